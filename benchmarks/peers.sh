#!/usr/bin/env bash
# A virtual environment for the peer benchmarks (Xplique), kept out of actgrid's dependencies.
# Every Xplique release pins tensorflow<=2.20, so it is installed without its dependencies on
# top of the system's TensorFlow; its own pure-Python needs are listed here.
set -euo pipefail
venv="$(dirname "$0")/.venv"
python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q deprecated einops opencv-python-headless matplotlib dm-tree
"$venv/bin/pip" install -q --no-deps xplique==2.0.2 tensorflow-probability==0.25.0 tf-keras==2.21.0
echo "peer venv ready: $venv/bin/python benchmarks/render_speed.py --xplique"
