rule extract:
    """Run the model on a batch of photos up to one layer; write their activations."""
    input:
        images=batch_image_files,
    output:
        f"{LAYER_DIR}/{paths.ACTIVATIONS}",
    log:
        paths.log_file(LAYER_DIR, "extract"),
    cache: "omit-software"
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        cfg=extract_params,
    script:
        "../scripts/extract.py"
