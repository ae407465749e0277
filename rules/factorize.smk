rule factorize:
    """NMF of the activation vectors into groups (Lucid's ChannelReducer)."""
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
        cfg=lambda w: tags.parse_groups_tag(w.groups),
    script:
        "../scripts/factorize.py"
