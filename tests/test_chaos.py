"""Chaos, cheaply: one killed job, one power cut and one full disk, each resumed with the
documented commands, give every output of a clean run byte for byte (benchmarks/chaos.py runs
the same on 24 photos, and under SLURM)."""

import os
import random
import subprocess
import sys

import pytest

from workflow_helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import chaos  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = {**chaos.CHEAP, "atlas": {"enabled": False}}


def _can_mount(tmp_path) -> bool:
    folder = tmp_path / "probe"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)])
    subprocess.run(["umount", str(folder)], capture_output=True)
    return done.returncode == 0


def test_kill_power_cut_and_full_disk_resume_to_identical_outputs(tmp_path):
    kinds = ["kill", "power"]
    if os.geteuid() == 0 and _can_mount(tmp_path):
        kinds.append("disk")  # a size-limited tmpfs needs root; CI runs as root
    photos = sorted((REPO / "data/default").glob("*.png"))
    clean, *rows = chaos.local_scenarios(tmp_path, photos, kinds, 0.0, random.Random(1), CONFIG)
    print(clean, *rows, sep="\n")  # the figures, for -s and for a failure's report
    assert [row["scenario"] for row in rows] == kinds
    for row in rows:
        assert row["jobs killed"] >= 1, row
        assert row["identical"] == row["outputs"] == clean["outputs"], row
        assert row["missing"] == row["extra"] == row["unreadable"] == row["temp files"] == 0, row
        assert row["raw tracebacks of errno 28"] == 0, row
    kill = rows[0]
    assert kill["failures named"] >= 1  # "Error in rule ..." for the killed job
    if "disk" in kinds:
        disk = rows[-1]
        assert disk["disk full lines"] >= 1, disk  # one "actgrid: disk full: <file> ..." line
