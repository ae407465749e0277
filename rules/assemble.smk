rule assemble:
    """Tile the cells into the grid, the side-by-side picture and a thumbnail; write the
    figures (metrics.json, and each cell's in cells.tsv)."""
    input:
        activations=f"{LAYER_DIR}/{paths.ACTIVATIONS}",
        shards=shard_files,
    output:
        grid=report(
            f"{RENDER_DIR}/{paths.GRID}",
            caption="../report/grid.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels("grid"),
        ),
        side_by_side=report(
            f"{RENDER_DIR}/{paths.SIDE_BY_SIDE}",
            caption="../report/side_by_side.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels("photo and grid"),
        ),
        thumbnail=f"{RENDER_DIR}/{paths.THUMBNAIL}",
        metrics=f"{RENDER_DIR}/{paths.METRICS}",
        cells=f"{RENDER_DIR}/{paths.CELLS}",
    log:
        paths.log_file(RENDER_DIR, "assemble"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=assemble_params,
    script:
        "../scripts/assemble.py"
