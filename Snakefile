# actgrid: Lucid-style activation grids for datasets of photos.
#   snakemake --cores 2        renders every dataset in config.yaml
# As a module of another workflow: docs/module.md.
import sys

from snakemake.utils import min_version, validate

min_version("9.0")

# The actgrid package is imported from this folder, by this process and by every job (conda
# environments and cluster jobs included, through PYTHONPATH): it need not be installed.
# A module fetched from a URL (e.g. by snakedeploy) has no folder: install the package there.
ACTGRID_ROOT = workflow.current_basedir.get_path_or_uri(secret_free=True)
sys.path.insert(0, ACTGRID_ROOT)
try:
    import actgrid
except ImportError:
    raise ImportError(
        f"actgrid: the workflow at {ACTGRID_ROOT} is not a local folder: install its package "
        "(pip install 'actgrid @ git+<its repository>@<tag>') or use a local clone (docs/module.md)"
    ) from None

actgrid.export_to_jobs(ACTGRID_ROOT)


configfile: "config.yaml"


validate(config, "schemas/config.schema.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/extract.smk"
include: "rules/factorize.smk"
include: "rules/render.smk"
include: "rules/assemble.smk"
include: "rules/view.smk"
include: "rules/atlas.smk"
include: "rules/dictionary.smk"
include: "rules/list_layers.smk"


rule all:
    default_target: True
    input:
        all_grids(),
        all_atlases(),
        all_dictionaries(),
        all_layer_pages(),
        all_indexes(),
