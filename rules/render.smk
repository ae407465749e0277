rule render_shared:
    """Optimize the group images jointly with every cell for the first phase."""
    input:
        activations=f"{LAYER_DIR}/activations.h5",
        groups=f"{LAYER_DIR}/{{groups}}/groups.h5",
    output:
        f"{RENDER_DIR}/shared.h5",
    log:
        f"{RENDER_DIR}/logs/shared.log",
    retries: RENDER["retries"]
    conda:
        "../envs/actgrid.yaml"
    threads: 2
    resources:
        gpu=1,
        chunks=render_chunks,
    params:
        cfg=render_params,
    script:
        "../scripts/render_shared.py"


rule render_shard:
    """Render one shard's cells (on top of the frozen group images for 'shared')."""
    input:
        unpack(shard_inputs),
    output:
        f"{RENDER_DIR}/shards{{n}}/shard{{i}}.h5",
    log:
        f"{RENDER_DIR}/shards{{n}}/logs/shard{{i}}.log",
    retries: RENDER["retries"]
    conda:
        "../envs/actgrid.yaml"
    threads: 2
    resources:
        gpu=1,
        chunks=render_chunks,
    params:
        cfg=lambda w: {**render_params(w), "shard": int(w.i), "n_shards": int(w.n)},
    script:
        "../scripts/render_shard.py"
