"""One TensorFlow: README's CPU install and the GPU install each resolve to exactly one
distribution that provides the `tensorflow` module (pip's resolver, a dry run with a report)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Distributions that install the `tensorflow` module (they overwrite each other's files).
PROVIDE_TENSORFLOW = {
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tensorflow-cpu-aws",
    "tensorflow-aarch64",
    "intel-tensorflow",
    "tf-nightly",
    "tf-nightly-cpu",
    "tf-nightly-gpu",
}


def resolve(target: str, report: Path) -> dict[str, str]:
    """Name -> version of every distribution pip would install for ``target`` on a fresh machine."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"),
            *("--quiet", "--report", str(report), "-e", target),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    installs = json.loads(report.read_text())["install"]
    return {
        re.sub(r"[-_.]+", "-", item["metadata"]["name"].lower()): item["metadata"]["version"]
        for item in installs
    }


@pytest.mark.parametrize("extras", ["", "[gpu]"])  # README command 1; the GPU install
def test_each_install_resolves_to_one_tensorflow(tmp_path, extras):
    installs = resolve(f"{REPO}{extras}", tmp_path / "report.json")
    assert "actgrid" in installs
    providers = sorted(set(installs) & PROVIDE_TENSORFLOW)
    assert providers == ["tensorflow"], providers
    if extras == "[gpu]":  # the CUDA libraries come along
        assert any(name.startswith("nvidia-cudnn") for name in installs)
