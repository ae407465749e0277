rule render_shared:
    """Optimize a batch's group images jointly with all its cells for the first phase."""
    input:
        unpack(batch_inputs),
    output:
        f"{RENDER_DIR}/{paths.SHARED}",
    log:
        paths.log_file(RENDER_DIR, "shared"),
    retries: RENDER["retries"]
    conda:
        "../envs/actgrid-cuda.yaml"
    threads: render_threads
    resources:
        gpu=1,
        mem_mb=render_mem_mb,
        chunk_cells=RENDER["chunk_cells"],
        retries=RENDER["retries"],
        gpu_memory_mb=GPU_MEMORY_MB,
        model_source=MODEL_SOURCE,
    params:
        settings=named(
            render=render_params,
            images=batch_images,
        ),
    script:
        "../scripts/render_shared.py"


rule render_shard:
    """Render one shard of a batch's cells (on the frozen group images for 'shared')."""
    input:
        unpack(shard_inputs(batch_inputs, RENDER_DIR)),
    output:
        paths.shard_file(RENDER_DIR),
    log:
        paths.log_file(paths.shards_dir(RENDER_DIR), "shard", "{i}"),
    retries: RENDER["retries"]
    conda:
        "../envs/actgrid-cuda.yaml"
    threads: render_threads
    resources:
        gpu=1,
        mem_mb=render_mem_mb,
        chunk_cells=RENDER["chunk_cells"],
        retries=RENDER["retries"],
        gpu_memory_mb=GPU_MEMORY_MB,
        model_source=MODEL_SOURCE,
    params:
        settings=named(
            render=render_params,
            images=batch_images,
            shard=wildcard("i", int),
            n_shards=wildcard("n", int),
        ),
    script:
        "../scripts/render_shard.py"
