rule extract:
    """Run the model on one photo up to one layer; write its activations."""
    input:
        image=image_path,
    output:
        f"{LAYER_DIR}/{paths.ACTIVATIONS}",
    log:
        paths.log_file(LAYER_DIR, "extract"),
    cache: "omit-software"
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=lambda w: {**tags.parse_model_tag(w.model), "layer": w.layer},
    script:
        "../scripts/extract.py"
