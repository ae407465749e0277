#!/usr/bin/env bash
# A virtual environment for the peer benchmarks (Xplique), kept out of actgrid's dependencies.
# Run it after README's install (`pip install -e .`), in the same environment (a venv activated,
# or none): it is built on top of the Python that holds actgrid and TensorFlow, the first of
# $PYTHON, `python` and `python3` on PATH that imports both. That Python's own packages stay
# visible in the new venv (a .pth file adds its site directories after the venv's own), also
# where it is itself a venv, which `venv --system-site-packages` alone would not see through.
# Every Xplique release pins tensorflow<=2.20, so it is installed without its dependencies on
# top of that TensorFlow; its own needs (and TensorFlow Probability's) are listed here.
set -euo pipefail
venv="$(dirname "$0")/.venv"

# Prints (last) the interpreter's path, then the .pth line that adds its site directories; the
# checkout's own actgrid/ (the current directory, sys.path[0] of `python -`) does not count.
probe='
import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
import site

import actgrid, tensorflow

dirs = list(site.getsitepackages())
if site.ENABLE_USER_SITE:
    dirs.append(site.getusersitepackages())
print(sys.executable)
print("import site; list(map(site.addsitedir, %r))" % dirs)
'
candidates=(python python3)
[[ -n ${PYTHON:-} ]] && candidates=("$PYTHON" "${candidates[@]}")
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
python="" why=""
for candidate in "${candidates[@]}"; do
  command -v "$candidate" >/dev/null || continue
  if found="$(TF_CPP_MIN_LOG_LEVEL=3 "$candidate" - <<<"$probe" 2>"$err")"; then
    python="$(tail -n 2 <<<"$found" | head -n 1)" pth="$(tail -n 1 <<<"$found")"
    break
  fi
  why="$candidate: $(tail -n 1 "$err")"
done
if [[ -z $python ]]; then
  echo "peers.sh: no Python on PATH imports actgrid and TensorFlow (${why:-no python found})." >&2
  echo "Run README's install first (pip install -e . in the repository root), then run this" >&2
  echo "script in the same environment (or set PYTHON to the interpreter that holds actgrid)." >&2
  exit 1
fi
echo "peers.sh: building $venv on $python"

"$python" -m venv --clear "$venv"
site_dir="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$pth" >"$site_dir/_actgrid_base.pth"
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" - <<<"$probe" >/dev/null 2>"$err" || {
  cat "$err" >&2
  echo "peers.sh: $venv does not see $python's actgrid and TensorFlow" >&2
  exit 1
}
"$venv/bin/pip" install -q deprecated einops opencv-python-headless matplotlib dm-tree decorator \
  cloudpickle 'scikit-image<=0.25.2'
"$venv/bin/pip" install -q --no-deps xplique==2.0.2 tensorflow-probability==0.25.0 tf-keras==2.21.0
echo "peer venv ready: $venv/bin/python benchmarks/render_speed.py --xplique"
