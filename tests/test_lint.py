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


def test_config_errors_are_caught_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: {d: {images: data/default}}\nrender: {steps: 0}\n")
    done = subprocess.run(
        ["snakemake", "-n", "--configfile", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "'steps'" in out and "less than the minimum of 1" in out
    bad.write_text("datasets: {d: {images: data/default}}\nlayers: [mixed4d]\n")
    done = subprocess.run(
        ["snakemake", "-n", "--configfile", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "has no layer 'mixed4d'" in done.stdout + done.stderr
