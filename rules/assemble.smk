rule assemble:
    """Tile the cells into the grid, the side-by-side picture and metrics.json."""
    input:
        activations=f"{LAYER_DIR}/activations.h5",
        shards=shard_files,
    output:
        grid=f"{RENDER_DIR}/grid.png",
        side_by_side=f"{RENDER_DIR}/side_by_side.png",
        metrics=f"{RENDER_DIR}/metrics.json",
    log:
        f"{RENDER_DIR}/logs/assemble.log",
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=assemble_params,
    script:
        "../scripts/assemble.py"
