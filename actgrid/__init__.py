"""actgrid: Lucid-style activation grids as a Snakemake workflow."""

__version__ = "0.1.0"


def __getattr__(name):
    """``actgrid.render_grid`` (actgrid/notebook.py), imported when first used."""
    if name == "render_grid":
        from actgrid.notebook import render_grid

        return render_grid
    raise AttributeError(f"module 'actgrid' has no attribute {name!r}")


def export_to_jobs(root: str) -> None:
    """Put ``root``, the workflow folder that holds this package, first on the PYTHONPATH of
    every process started from here: jobs import actgrid from there, installed or not."""
    import os

    paths = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
