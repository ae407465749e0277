rule assemble:
    """Tile the cells into the grid, the side-by-side picture, metrics.json and cells.tsv."""
    input:
        activations=f"{LAYER_DIR}/activations.h5",
        shards=shard_files,
    output:
        grid=report(
            f"{RENDER_DIR}/grid.png",
            caption="../report/grid.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels("grid"),
        ),
        side_by_side=report(
            f"{RENDER_DIR}/side_by_side.png",
            caption="../report/side_by_side.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels("photo and grid"),
        ),
        metrics=f"{RENDER_DIR}/metrics.json",
        cells=f"{RENDER_DIR}/cells.tsv",
    log:
        f"{RENDER_DIR}/logs/assemble.log",
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=assemble_params,
    script:
        "../scripts/assemble.py"
