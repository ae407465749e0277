# The semantic dictionary (actgrid/dictionary.py, docs/viewer.md): an icon for every channel of
# each layer, rendered once for every dataset through the render shards, and each dataset's
# page of the layer's channels. Pages load a layer's icons.js when they are opened.


rule dictionary_channels:
    """A unit vector for each channel of the layer: what its icons are rendered for."""
    output:
        f"{DICTIONARY_DIR}/{paths.CHANNELS}",
    log:
        paths.log_file(DICTIONARY_DIR, "channels"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    resources:
        model_source=MODEL_SOURCE,
    params:
        settings=named(
            model=wildcard("model"),
            layer=wildcard("layer"),
        ),
    script:
        "../scripts/dictionary_channels.py"


use rule render_shard as dictionary_render_shard with:
    input:
        targets=f"{DICTIONARY_DIR}/{paths.CHANNELS}",
    output:
        paths.shard_file(DICTIONARY_RENDER_DIR),
    log:
        paths.log_file(paths.shards_dir(DICTIONARY_RENDER_DIR), "shard", "{i}"),
    benchmark:
        paths.benchmark_file(paths.shards_dir(DICTIONARY_RENDER_DIR), "shard", "{i}")
    params:
        settings=named(
            render=lambda w: RenderParams.from_tag(w.render, "naive").as_dict(),
            images=[dictionary.NAME],
            shard=wildcard("i", int),
            n_shards=wildcard("n", int),
        ),


rule dictionary:
    """The layer's icons (icons.png), their figures (dictionary.json) and icons.js for pages."""
    input:
        channels=f"{DICTIONARY_DIR}/{paths.CHANNELS}",
        shards=[paths.shard_file(paths.dictionary_render_dir(RESULTS, DICTIONARY_RENDER.tag), 1, 0)],
    output:
        icons=f"{DICTIONARY_DIR}/{paths.ICONS}",
        script=f"{DICTIONARY_DIR}/{paths.ICONS_SCRIPT}",
        figures=f"{DICTIONARY_DIR}/{paths.DICTIONARY_FIGURES}",
    log:
        paths.log_file(DICTIONARY_DIR, "dictionary"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            names=layer_names,
            crop=config["assemble"]["crop"],
            render=DICTIONARY_RENDER.as_dict(),
        ),
    script:
        "../scripts/dictionary.py"


rule layer_page:
    """A dataset's page of a layer's channels: each one's icon, strongest photo patches and how
    often it is among a cell's strongest channels."""
    input:
        activations=layer_sources,
        icons=f"{DICTIONARY_DIR}/{paths.ICONS_SCRIPT}",
    output:
        page=f"{LAYER_PAGE_DIR}/{paths.LAYER_PAGE}",
        patches=f"{LAYER_PAGE_DIR}/{paths.CHANNEL_PATCHES}",
    log:
        paths.log_file(LAYER_PAGE_DIR, "layer_page"),
    conda:
        "../envs/actgrid.yaml"
    threads: 1
    params:
        settings=named(
            names=lambda w: {"dataset": w.dataset, **layer_names(w)},
            top=DICTIONARY["top_patches"],
            patch_size=DICTIONARY["tile_size"],
        ),
    script:
        "../scripts/layer_page.py"
