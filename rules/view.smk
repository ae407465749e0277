# Seconds of NumPy and Pillow each: run where Snakemake runs, never queued on a cluster.
localrules:
    viewer,
    index,


rule viewer:
    """One grid's self-contained HTML viewer: cells, their figures, the NMF groups."""
    input:
        unpack(viewer_inputs),
    output:
        report(
            f"{RENDER_DIR}/{paths.VIEWER}",
            caption="../report/viewer.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels("viewer"),
        ),
    log:
        paths.log_file(RENDER_DIR, "viewer"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=viewer_params,
    script:
        "../scripts/viewer.py"


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
        cfg=index_params,
    script:
        "../scripts/index.py"
