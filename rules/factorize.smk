rule factorize:
    """NMF of the activation vectors into groups (Lucid's ChannelReducer)."""
    input:
        f"{LAYER_DIR}/activations.h5",
    output:
        f"{LAYER_DIR}/{{groups}}/groups.h5",
    log:
        f"{LAYER_DIR}/{{groups}}/logs/factorize.log",
    cache: "omit-software"
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=lambda w: tags.parse_groups_tag(w.groups),
    script:
        "../scripts/factorize.py"
