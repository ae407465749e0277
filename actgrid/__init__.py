"""actgrid: Lucid-style activation grids as a Snakemake workflow."""

__version__ = "0.1.0"


def export_to_jobs(root: str) -> None:
    """Put ``root``, the workflow folder that holds this package, first on the PYTHONPATH of
    every process started from here: jobs import actgrid from there, installed or not."""
    import os

    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
