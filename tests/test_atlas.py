"""The activation atlas: its stages on their own, and the real workflow's atlas of two photos,
its files, its viewer in headless Chromium, the index's link and what adding a photo reruns."""

import copy
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
from PIL import Image
from workflow_helpers import (
    TINY,
    add_image,
    make_workdir,
    open_page,
    planned,
    snakemake,
    write_config,
)

from actgrid import atlas, files, images

ATLAS = {"enabled": True, "grid_size": 4, "min_count": 3, "top_patches": 3, "images_per_job": 1}
# the same two photos again as an atlas-only dataset (a batch a photo)
ONLY = {"images": "images_only", "grids": False}
# with the semantic dictionary: the atlas viewer shows the bins' channels' icons
DICTIONARY = {"enabled": True, "tile_size": 16, "steps": 8}
CONFIG = {**copy.deepcopy(TINY), "atlas": ATLAS, "dictionary": DICTIONARY}
CONFIG["datasets"]["only"] = ONLY
# every atlas stage of the tiny config (shared method, two shards)
ATLAS_JOBS = {
    "atlas_sample": 1,
    "atlas_layout": 1,
    "atlas_bins": 1,
    "atlas_factorize": 1,
    "atlas_render_shared": 1,
    "atlas_render_shard": 2,
    "atlas": 1,
}


def _activations(path, name, rows=3, cols=4, channels=5, seed=0, layer="l"):
    acts = np.random.default_rng(seed).random((rows, cols, channels), np.float32)
    attrs = dict(model="m", model_id="m-1", layer=layer, input_size=32, resize="stretch")
    own = dict(image_path=f"{name}.png", image_sha256="0" * 64)
    files.write_activations(path, {name: (acts, np.zeros((32, 32, 3), np.uint8), own)}, attrs)
    return acts


def test_sample_keeps_each_photos_draw_when_photos_are_added(tmp_path):
    sources = {n: str(tmp_path / f"{n}.h5") for n in ("a", "b", "c")}
    acts = {n: _activations(p, n, seed=i) for i, (n, p) in enumerate(sources.items())}
    atlas.sample([sources["c"], sources["a"]], tmp_path / "two.h5", 5, seed=0)
    atlas.sample(list(sources.values()), tmp_path / "three.h5", 5, seed=0)
    two, three = files.read_samples(tmp_path / "two.h5"), files.read_samples(tmp_path / "three.h5")
    assert two["photos"] == ["a", "c"] and three["photos"] == ["a", "b", "c"]
    assert len(three["vectors"]) == 15
    for photo in ("a", "c"):
        mine = [two["origin"][:, 0] == two["photos"].index(photo)]
        theirs = [three["origin"][:, 0] == three["photos"].index(photo)]
        assert np.array_equal(
            two["origin"][tuple(mine)][:, 1:], three["origin"][tuple(theirs)][:, 1:]
        )
    # each vector is the activation at its origin
    for vector, (photo, row, col) in zip(three["vectors"], three["origin"]):
        assert np.array_equal(vector, acts[three["photos"][photo]][row, col])
    assert three["images"] == ["a.png", "b.png", "c.png"]
    assert three["grid_shape"].tolist() == [[3, 4]] * 3
    atlas.sample(list(sources.values()), tmp_path / "all.h5", None, seed=0)
    assert len(files.read_samples(tmp_path / "all.h5")["vectors"]) == 36


def test_a_sample_of_samples_files_is_the_sample_of_their_activations(tmp_path):
    """An atlas-only batch's samples file (here drawn from activations the same way) gives
    the dataset's sample what the photos' activations give, and one drawn otherwise is refused."""
    sources = [str(tmp_path / f"{n}.h5") for n in ("a", "b", "c")]
    for i, (name, path) in enumerate(zip("abc", sources)):
        _activations(path, name, seed=i)
    atlas.sample(sources, tmp_path / "direct.h5", 5, seed=3)
    atlas.sample(sources[:2], tmp_path / "ab.h5", 5, seed=3)  # a batch of two photos
    atlas.sample([sources[2], str(tmp_path / "ab.h5")], tmp_path / "merged.h5", 5, seed=3)
    direct, merged = files.read_samples(tmp_path / "direct.h5"), files.read_samples(
        tmp_path / "merged.h5"
    )
    for key in ("vectors", "origin", "grid_shape"):
        assert np.array_equal(direct[key], merged[key]), key
    assert direct["photos"] == merged["photos"] and direct["images"] == merged["images"]
    with pytest.raises(ValueError, match="ab.h5: sampled 5 a photo with seed 3, the atlas asks 4"):
        atlas.sample([str(tmp_path / "ab.h5")], tmp_path / "s.h5", 4, seed=3)


def test_patches_are_cut_from_the_photo_file_and_a_changed_photo_is_refused(tmp_path):
    photo = tmp_path / "p.png"
    pixels = np.random.default_rng(0).integers(0, 256, (40, 40, 3), np.uint8)
    Image.fromarray(pixels).save(photo)
    samples = {
        "origin": np.array([[0, 1, 1]]),
        "attrs": {"input_size": 32, "resize": "stretch"},
        "images": [str(photo)],
        "image_sha256": [files.sha256(photo)],
        "grid_shape": np.array([[4, 4]]),
    }
    patches = atlas.cut_patches(samples, np.array([[0, -1]]), 8, images.MAX_PIXELS)
    seen = images.fit_to_model(pixels, 32, "stretch")
    assert np.array_equal(patches[0, 0], seen[8:16, 8:16]) and (patches[0, 1] == 255).all()
    Image.fromarray(255 - pixels).save(photo)
    with pytest.raises(ValueError, match="p.png: changed since the atlas sampled it"):
        atlas.cut_patches(samples, np.array([[0, -1]]), 8, images.MAX_PIXELS)


def test_sample_refuses_photos_of_another_layer(tmp_path):
    _activations(tmp_path / "a.h5", "a")
    _activations(tmp_path / "b.h5", "b", rows=2, cols=2, layer="other")
    with pytest.raises(ValueError, match="b.h5: layer 'other'"):
        atlas.sample([str(tmp_path / "a.h5"), str(tmp_path / "b.h5")], tmp_path / "s.h5", None, 0)


def test_bins_are_the_means_of_their_vectors_above_the_minimum_count():
    rng = np.random.default_rng(1)
    coords = rng.random((200, 2)) * [4, 2] - 1
    vectors = rng.random((200, 7))
    bin_of = atlas.bin_places(coords, 5)
    filled, targets, counts = atlas.bin_targets(vectors, bin_of, 5, min_count=9)
    assert counts.sum() == 200 and 0 < len(filled) < 25
    for b in range(25):
        members = vectors[bin_of == b]
        if b in filled:
            assert len(members) >= 9
            np.testing.assert_allclose(targets[list(filled).index(b)], members.mean(0), rtol=1e-6)
        else:
            assert len(members) < 9
    # each bin's nearest members: its own vectors, by falling cosine to its target
    nearest = atlas.nearest_members(vectors, bin_of, filled, targets, top=4)
    for b, target, chosen in zip(filled, targets, nearest):
        assert (bin_of[chosen] == b).all()
        cos = [v @ target / np.linalg.norm(v) / np.linalg.norm(target) for v in vectors[chosen]]
        others = [i for i in np.flatnonzero(bin_of == b) if i not in chosen]
        worst = min(cos)
        assert cos == sorted(cos, reverse=True)
        assert all(
            vectors[i] @ target / np.linalg.norm(vectors[i]) / np.linalg.norm(target)
            <= worst + 1e-9
            for i in others
        )
    # the extremes land in the corner bins: x picks the column, y the row
    assert bin_of[coords[:, 0].argmin()] % 5 == 0 and bin_of[coords[:, 1].argmax()] // 5 == 4


def test_layout_is_seeded_and_leaves_tensorflow_unloaded(tmp_path):
    """Two layouts of the same sample agree; umap-learn does not pull TensorFlow in."""
    code = """
import sys, numpy as np
from actgrid import atlas
vectors = np.random.default_rng(0).random((60, 8)).astype(np.float32)
a, b = atlas.embed(vectors, 15, 0.1, 0), atlas.embed(vectors, 15, 0.1, 0)
assert a.shape == (60, 2) and np.array_equal(a, b)
assert atlas.embed(vectors, 15, 0.1, 0, threads=2).shape == (60, 2)  # unseeded, two threads
assert "tensorflow" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def atlas_run(tmp_path_factory):
    """The real workflow with the atlas on, two photos at 96 px, and the same two as an
    atlas-only dataset: (workdir, the first one's atlas folder)."""
    workdir = make_workdir(tmp_path_factory.mktemp("atlas"))
    shutil.copytree(workdir / "images", workdir / ONLY["images"])
    write_config(workdir, CONFIG)
    snakemake(workdir)
    (folder,) = (workdir / "results/tiny/atlas").glob("*/block10_dw_relu")
    return workdir, folder


def test_atlas_bins_hold_the_means_of_their_samples(atlas_run):
    """Read independently with h5py: the layout's points binned here, each rendered bin's
    target the mean of its vectors, bins below the minimum count neither rendered nor drawn."""
    workdir, folder = atlas_run
    with h5py.File(folder / "samples.h5") as f:
        vectors, origin = f["vectors"][()], f["origin"][()]
    with h5py.File(folder / "layout.h5") as f:
        coords = f["coords"][()]
    with h5py.File(folder / "bins.h5") as f:
        targets, places, counts = f["targets"][()], f["places"][()], f["counts"][()]
        patches, patch_origin = f["patches"][()], f["patch_origin"][()]
    assert len(vectors) == 2 * 36 and set(origin[:, 0]) == {0, 1}  # every 6×6 cell of 2 photos
    n = ATLAS["grid_size"]
    x, y = ((coords - coords.min(0)) / (coords.max(0) - coords.min(0)) * n).T
    col, row = np.minimum(x.astype(int), n - 1), np.minimum(y.astype(int), n - 1)
    for r in range(n):
        for c in range(n):
            members = vectors[(row == r) & (col == c)]
            assert counts[r, c] == len(members)
            rendered = np.flatnonzero((places[:, 0] == r) & (places[:, 1] == c))
            if len(members) < ATLAS["min_count"]:
                assert len(rendered) == 0
            else:
                np.testing.assert_allclose(targets[rendered[0]], members.mean(0), rtol=1e-5)
    assert len(targets) == (counts >= ATLAS["min_count"]).sum()
    assert patches.shape[1:] == (3, 24, 24, 3) and (patch_origin[:, 0, 0] >= 0).all()

    (render,) = (folder / "nmf3").glob("W24_*")
    report = files.read_json(render / "atlas.json")
    assert report["bins_filled"] == len(targets) and report["samples"] == 72
    assert [[b["row"], b["col"]] for b in report["bins"]] == places.tolist()
    assert all(-1 <= b["faithfulness"] <= 1 for b in report["bins"])
    assert 0 < report["contrast"]["mean"] < 0.5 and 0 < report["colourfulness_photo"]["mean"]
    picture = np.asarray(Image.open(render / "atlas.png").convert("RGB"))
    typical = np.asarray(Image.open(render / "patches.png").convert("RGB"))
    side = report["tile_size"]
    assert picture.shape == typical.shape == (n * side, n * side, 3)
    crop = (24 - side) // 2
    for r in range(n):
        for c in range(n):
            tile = picture[r * side : (r + 1) * side, c * side : (c + 1) * side]
            patch = typical[r * side : (r + 1) * side, c * side : (c + 1) * side]
            assert (tile == 255).all() == (counts[r, c] < ATLAS["min_count"])
            rendered = np.flatnonzero((places[:, 0] == r) & (places[:, 1] == c))
            if len(rendered):  # the bin's most typical patch, cropped like the tiles
                cut = patches[rendered[0], 0, crop : 24 - crop, crop : 24 - crop]
                assert np.array_equal(patch, cut)
            else:
                assert (patch == 255).all()


def test_atlas_viewer_shows_a_bins_count_and_patches(atlas_run, browser, shots):
    workdir, folder = atlas_run
    (render,) = (folder / "nmf3").glob("W24_*")
    report = files.read_json(render / "atlas.json")
    page, problems = open_page(browser, render / "viewer.html")
    box = page.locator("#atlas-wrap").bounding_box()
    n = report["grid"]
    for b in report["bins"][:3]:
        page.mouse.move(
            box["x"] + (b["col"] + 0.5) * box["width"] / n,
            box["y"] + (b["row"] + 0.5) * box["height"] / n,
        )
        assert page.locator("#detail").get_attribute("data-bin") == f"{b['row']},{b['col']}"
        assert page.locator("#d-count").inner_text() == str(b["count"])
        assert page.locator("#d-faith").inner_text() == f"{b['faithfulness']:.3f}"
        captions = page.locator("#d-patches .patch div").all_inner_texts()
        assert captions == [f"{p['photo']} · row {p['row']}, col {p['col']}" for p in b["patches"]]
        # the patch drawn is the one cut from the photo (JPEG, so close rather than equal)
        drawn = page.evaluate(
            "() => Array.from(document.querySelector('#d-patches canvas').getContext('2d')"
            ".getImageData(0, 0, 24, 24).data)"
        )
        with h5py.File(folder / "bins.h5") as f:
            index = report["bins"].index(b)
            patch = f["patches"][index, 0].astype(float)
        drawn = np.asarray(drawn, float).reshape(24, 24, 4)[..., :3]
        assert np.abs(drawn - patch).mean() < 8
    icons = page.locator("#d-top .icon")
    icons.first.wait_for()  # the layer's icons.js arrived
    assert icons.count() == 6
    icons.first.hover()
    heat = page.locator("#heat")
    assert heat.is_visible()
    assert heat.get_attribute("data-channel") == icons.first.get_attribute("data-channel")
    page.screenshot(path=str(shots / "atlas_viewer.png"))
    tiles_src = page.locator("#atlas").get_attribute("src")
    page.get_by_role("button", name="Photo patches").click()
    assert page.locator("#atlas").get_attribute("src").startswith("data:image/jpeg")
    page.get_by_role("button", name="Tiles").click()
    assert page.locator("#atlas").get_attribute("src") == tiles_src
    empty = np.argwhere(np.asarray(report["counts"]) < ATLAS["min_count"])
    if len(empty):
        r, c = empty[0]
        page.mouse.move(
            box["x"] + (c + 0.5) * box["width"] / n, box["y"] + (r + 0.5) * box["height"] / n
        )
        assert "empty" in page.locator("#d-where").inner_text()
        assert page.locator("#d-patches .patch").count() == 0
    assert problems == []
    page.close()


def test_index_links_the_atlas(atlas_run, browser):
    workdir, _ = atlas_run
    page, problems = open_page(browser, workdir / "results/tiny/index.html")
    link = page.locator("#atlas-cards a.card")
    assert link.count() == 1
    target = (workdir / "results/tiny" / link.get_attribute("href")).resolve()
    assert target.name == "viewer.html" and (target.parent / "atlas.png").exists()
    assert link.locator("img").evaluate("img => img.naturalWidth") > 0  # its thumbnail file
    assert "bins" in link.inner_text() and problems == []
    page.close()


def test_changed_settings_rerun_their_atlas_stages_on_and_a_new_photo_from_sampling_on(atlas_run):
    workdir, _ = atlas_run
    assert planned(workdir, "atlases") == {}
    both = {k: 2 * v for k, v in ATLAS_JOBS.items()}  # both datasets' atlases
    for change, first in (("min_count", "atlas_bins"), ("pca", "atlas_layout")):
        write_config(workdir, {**CONFIG, "atlas": {**ATLAS, change: 2}})
        stages = list(both)[list(both).index(first) :]
        assert planned(workdir, "atlases") == {k: both[k] for k in stages}, change
    # the icons' own steps: their render and the atlas, not the grids (the index links them)
    write_config(workdir, {**CONFIG, "atlas": {**ATLAS, "steps": 4}})
    stages = ["atlas_render_shared", "atlas_render_shard", "atlas"]
    assert planned(workdir) == {**{k: both[k] for k in stages}, "index": 2}
    # a sample's size: the atlas-only dataset's extraction too (a batch a photo)
    write_config(workdir, {**CONFIG, "atlas": {**ATLAS, "samples_per_photo": 2}})
    assert planned(workdir, "atlases") == {"atlas_extract": 2, **both}
    write_config(workdir, CONFIG)
    add_image(workdir, "astronaut")
    try:  # the new photo's extraction alone, then every atlas stage
        assert planned(workdir, "atlases") == {"extract": 1, **ATLAS_JOBS}
    finally:
        (workdir / "images/astronaut.png").unlink()
    assert planned(workdir, "atlases") == {}


def test_an_atlas_only_dataset_writes_no_activations_and_the_same_atlas(atlas_run):
    """The atlas-only dataset (a batch a photo) keeps only each photo's sample, and its atlas
    is the one drawn from the full activations of the same photos (one batch of two)."""
    workdir, folder = atlas_run
    only = workdir / "results/only"
    assert not list(only.rglob("activations.h5")) and not list(only.rglob("grids"))
    assert len(list(only.glob("batches/*/block10_dw_relu/batch_*/samples.h5"))) == 2
    (alone,) = (only / "atlas").glob("*/block10_dw_relu")
    mine, theirs = files.read_samples(alone / "samples.h5"), files.read_samples(
        folder / "samples.h5"
    )
    assert mine["photos"] == theirs["photos"] == ["chelsea", "coffee"]
    for key in ("vectors", "origin", "grid_shape"):
        assert np.array_equal(mine[key], theirs[key]), key
    assert np.array_equal(
        files.read_layout(alone / "layout.h5"), files.read_layout(folder / "layout.h5")
    )
    a, b = files.read_bins(alone / "bins.h5"), files.read_bins(folder / "bins.h5")
    for key in files.BIN_ARRAYS:
        assert np.array_equal(a[key], b[key]), key
    (render,) = (folder / "nmf3").glob("W24_*")
    (render_alone,) = (alone / "nmf3").glob("W24_*")
    assert (
        files.read_png(render_alone / "atlas.png").tolist()
        == files.read_png(render / "atlas.png").tolist()
    )
    page = (only / "index.html").read_text()
    assert "atlas" in page


def test_an_unreproducible_layout_runs_unseeded(atlas_run):
    """atlas.reproducible_layout: false reaches the layout job (last: it leaves that layout)."""
    workdir, folder = atlas_run
    with h5py.File(folder / "layout.h5") as f:
        assert f.attrs["reproducible"]
    write_config(workdir, {**CONFIG, "atlas": {**ATLAS, "reproducible_layout": False}})
    snakemake(workdir, "atlases", "--until", "atlas_layout")
    with h5py.File(folder / "layout.h5") as f:
        assert not f.attrs["reproducible"]
