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
    threads: TF_THREADS
    resources:
        gpu_memory_mb=GPU_MEMORY_MB,
        max_image_pixels=config["max_image_pixels"],
        model_source=MODEL_SOURCE,
    params:
        settings=named(
            model=wildcard("model"),
            layer=wildcard("layer"),
            images=batch_images,
        ),
    script:
        "../scripts/extract.py"
