# actgrid: Lucid-style activation grids for datasets of photos.
#   snakemake --cores 2        renders every dataset in config.yaml
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "schemas/config.schema.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/extract.smk"
include: "rules/factorize.smk"
include: "rules/render.smk"
include: "rules/assemble.smk"
include: "rules/view.smk"
include: "rules/list_layers.smk"


rule all:
    default_target: True
    input:
        all_grids(),
        all_indexes(),
