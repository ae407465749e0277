# The activation atlas of each dataset (actgrid/atlas.py, docs/atlas.md): sample -> layout ->
# bins, then the bins' targets through the render shards like a photo's cells.


rule atlas_extract:
    """An atlas-only dataset's batch through the model, keeping each photo's sample only."""
    input:
        images=batch_image_files,
    output:
        f"{LAYER_DIR}/{paths.SAMPLES}",
    log:
        paths.log_file(LAYER_DIR, "atlas_extract"),
    benchmark:
        paths.benchmark_file(LAYER_DIR, "atlas_extract")
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
            per_photo=ATLAS_PER_PHOTO,
            seed=ATLAS["seed"],
        ),
    script:
        "../scripts/extract.py"


rule atlas_sample:
    """Activation vectors from every photo of a dataset, and where each came from."""
    input:
        atlas_sources,
    output:
        f"{ATLAS_DIR}/{paths.SAMPLES}",
    log:
        paths.log_file(ATLAS_DIR, "sample"),
    benchmark:
        paths.benchmark_file(ATLAS_DIR, "sample")
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            per_photo=ATLAS_PER_PHOTO,
            seed=ATLAS["seed"],
        ),
    script:
        "../scripts/atlas_sample.py"


rule atlas_layout:
    """The sample's 2-D layout (UMAP, cosine distance)."""
    input:
        f"{ATLAS_DIR}/{paths.SAMPLES}",
    output:
        f"{ATLAS_DIR}/{paths.LAYOUT}",
    log:
        paths.log_file(ATLAS_DIR, "layout"),
    benchmark:
        paths.benchmark_file(ATLAS_DIR, "layout")
    conda:
        "../envs/actgrid.yaml"
    # seeded UMAP runs on one thread; unseeded, on all the cores Snakemake grants
    threads: 1 if ATLAS["reproducible_layout"] else workflow.cores or 1
    params:
        settings=named(
            neighbors=ATLAS["neighbors"],
            min_dist=ATLAS["min_dist"],
            pca=ATLAS["pca"],
            seed=ATLAS["seed"],
            reproducible=ATLAS["reproducible_layout"],
        ),
    script:
        "../scripts/atlas_layout.py"


rule atlas_bins:
    """An n×n grid over the layout: each full enough bin's mean vector, counts, patches."""
    input:
        samples=f"{ATLAS_DIR}/{paths.SAMPLES}",
        layout=f"{ATLAS_DIR}/{paths.LAYOUT}",
    output:
        f"{ATLAS_DIR}/{paths.BINS}",
    log:
        paths.log_file(ATLAS_DIR, "bins"),
    benchmark:
        paths.benchmark_file(ATLAS_DIR, "bins")
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    resources:
        max_image_pixels=config["max_image_pixels"],
    params:
        settings=named(
            grid_size=ATLAS["grid_size"],
            min_count=ATLAS["min_count"],
            top_patches=ATLAS["top_patches"],
            patch_size=RENDER["tile_size"],
        ),
    script:
        "../scripts/atlas_bins.py"


use rule factorize as atlas_factorize with:
    input:
        f"{ATLAS_DIR}/{paths.BINS}",
    output:
        f"{ATLAS_GROUPS_DIR}/{paths.GROUPS}",
    log:
        paths.log_file(ATLAS_GROUPS_DIR, "factorize"),
    benchmark:
        paths.benchmark_file(ATLAS_GROUPS_DIR, "factorize")
    params:
        settings=named(
            photos=[atlas.NAME],
            k=nmf_setting("k"),
            negative=nmf_setting("negative"),
            seed=NMF_SEED,
        ),


use rule render_shared as atlas_render_shared with:
    input:
        unpack(atlas_render_inputs),
    output:
        f"{ATLAS_RENDER_DIR}/{paths.SHARED}",
    log:
        paths.log_file(ATLAS_RENDER_DIR, "shared"),
    benchmark:
        paths.benchmark_file(ATLAS_RENDER_DIR, "shared")
    params:
        settings=named(
            render=render_params,
            images=[atlas.NAME],
        ),


use rule render_shard as atlas_render_shard with:
    input:
        unpack(shard_inputs(atlas_render_inputs, ATLAS_RENDER_DIR)),
    output:
        paths.shard_file(ATLAS_RENDER_DIR),
    log:
        paths.log_file(paths.shards_dir(ATLAS_RENDER_DIR), "shard", "{i}"),
    benchmark:
        paths.benchmark_file(paths.shards_dir(ATLAS_RENDER_DIR), "shard", "{i}")
    params:
        settings=named(
            render=render_params,
            images=[atlas.NAME],
            shard=wildcard("i", int),
            n_shards=wildcard("n", int),
        ),


rule atlas:
    """Place each bin's tile (atlas.png) and its most typical photo patch (patches.png); write
    atlas.json (per-bin figures) and the atlas's viewer."""
    input:
        bins=f"{ATLAS_DIR}/{paths.BINS}",
        shards=atlas_shard_files,
    output:
        atlas=report(
            f"{ATLAS_RENDER_DIR}/{paths.ATLAS}",
            caption="../report/atlas.rst",
            category="{dataset}",
            subcategory="atlas",
            labels=figure_labels("atlas"),
        ),
        patches=report(
            f"{ATLAS_RENDER_DIR}/{paths.PATCHES}",
            caption="../report/atlas_patches.rst",
            category="{dataset}",
            subcategory="atlas",
            labels=figure_labels("atlas: photo patches"),
        ),
        thumbnail=f"{ATLAS_RENDER_DIR}/{paths.THUMBNAIL}",
        metrics=f"{ATLAS_RENDER_DIR}/{paths.ATLAS_FIGURES}",
        viewer=f"{ATLAS_RENDER_DIR}/{paths.VIEWER}",
    log:
        paths.log_file(ATLAS_RENDER_DIR, "atlas"),
    benchmark:
        paths.benchmark_file(ATLAS_RENDER_DIR, "atlas")
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            names=grid_names,
            render=render_params,
            crop=config["assemble"]["crop"],
            size_by_count=ATLAS["size_by_count"],
            dictionary=PLAN.dictionary,
        ),
    script:
        "../scripts/atlas.py"


rule atlases:
    """Every dataset's atlas (with atlas.enabled): snakemake atlases."""
    input:
        all_atlases(),
