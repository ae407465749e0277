"""The workflow passes Snakemake's linter and snakefmt, as CI requires."""

import subprocess

from workflow_helpers import REPO


def test_snakemake_lint():
    done = subprocess.run(["snakemake", "--lint"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Congratulations" in done.stdout + done.stderr


def test_snakefmt():
    done = subprocess.run(["snakefmt", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
