rule factorize:
    """NMF of each photo's activation vectors into groups (Lucid's ChannelReducer)."""
    input:
        f"{LAYER_DIR}/{paths.ACTIVATIONS}",
    output:
        f"{GROUPS_DIR}/{paths.GROUPS}",
    log:
        paths.log_file(GROUPS_DIR, "factorize"),
    cache: "omit-software"
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            photos=batch_images,
            k=nmf_setting("k"),
            negative=nmf_setting("negative"),
            seed=NMF_SEED,
        ),
    script:
        "../scripts/factorize.py"
