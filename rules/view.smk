# Seconds of NumPy: run where Snakemake runs, never queued on a cluster.
localrules:
    index,


rule index:
    """A dataset's index page (a thumbnail per grid, linking its viewer) and metrics.tsv."""
    input:
        unpack(dataset_grids),
    output:
        html=report(
            f"{DATASET_DIR}/{paths.INDEX}",
            caption="../report/index.rst",
            category="{dataset}",
            subcategory="all images",
            labels={"figure": "index page"},
        ),
        tsv=report(
            f"{DATASET_DIR}/{paths.METRICS_TABLE}",
            caption="../report/metrics.rst",
            category="{dataset}",
            subcategory="all images",
            labels={"figure": "metrics table (TSV)"},
        ),
    log:
        paths.log_file(RESULTS, "index_{dataset}"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            dataset=wildcard("dataset"),
            folder=lambda w: paths.dataset_dir(RESULTS, w.dataset),
            grids=lambda w: PLAN.grid_dirs(w.dataset),
            atlases=lambda w: PLAN.atlas_dirs(w.dataset),
            layers=lambda w: PLAN.layer_page_dirs(w.dataset),
        ),
    script:
        "../scripts/index.py"
