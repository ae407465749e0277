rule assemble:
    """Each grid of a batch: tile its cells into the grid, the side-by-side picture and a
    thumbnail; write its figures (metrics.json, and each cell's in cells.tsv) and its viewer."""
    input:
        unpack(batch_inputs),
        shards=shard_files,
    output:
        report(
            directory(GRIDS_DIR),
            patterns=["{image}/{figure,grid}.png", "{image}/{figure,side_by_side}.jpg"],
            caption="../report/grids.rst",
            category="{dataset}",
            subcategory="{image}",
            labels=figure_labels(),
        ),
    log:
        paths.log_file(RENDER_DIR, "assemble"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            images=batch_images,
            names=grid_names,
            render=render_params,
            crop=config["assemble"]["crop"],
            coherence_side=config["assemble"]["coherence_side"],
            dictionary=PLAN.dictionary,
        ),
    script:
        "../scripts/assemble.py"
