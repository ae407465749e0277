"""actgrid: Lucid-style activation grids as a Snakemake workflow."""

__version__ = "0.1.0"
