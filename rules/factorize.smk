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
        cfg=lambda w: {**tags.parse_groups_tag(w.groups), "photos": batch_images(w)},
    script:
        "../scripts/factorize.py"
