"""Viewers, the index page and the Snakemake report of a real run, checked in headless Chromium.

Screenshots go to $ACTGRID_SCREENSHOTS (or a temporary folder): look at them.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from workflow_helpers import grid_folder, open_page, snakemake

from actgrid import files, paths, viewer
from actgrid.params import RenderParams

pytestmark = pytest.mark.slow


def centre(page, selector: str, row: int, col: int, rows: int, cols: int) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return (
        box["x"] + (col + 0.5) * box["width"] / cols,
        box["y"] + (row + 0.5) * box["height"] / rows,
    )


def test_hovering_a_cell_shows_it_on_both_pictures_with_its_figures(tiny_run, browser, shots):
    _, layer = tiny_run
    folder = grid_folder(layer, "nmf4")
    acts = files.read_activations(layer / "activations.h5", "chelsea")[0]
    rows, cols = acts.shape[:2]
    cells = files.read_cells(folder / "cells.tsv")
    weights = files.read_groups(layer / "nmf4/groups.h5", "chelsea")[0]
    page, problems = open_page(browser, folder / "viewer.html")

    row, col = 2, 5
    cell = row * cols + col
    assert (cells["row"][cell], cells["col"][cell]) == (row, col)  # cells.tsv is row-major
    metrics = json.loads((folder / "metrics.json").read_text())
    assert cells["faithfulness"].mean() == pytest.approx(metrics["faithfulness"]["mean"], abs=1e-5)
    contrast = f"contrast {metrics['contrast']['mean']:.3f} and colourfulness"
    assert contrast in page.text_content("#summary")
    page.mouse.move(*centre(page, "#grid-wrap", row, col, rows, cols))
    assert page.get_attribute("#detail", "data-cell") == str(cell)
    assert page.text_content("#d-where") == f"cell {cell} · row {row}, col {col}"
    assert page.text_content("#d-faith") == f"{cells['faithfulness'][cell]:.3f}"
    assert page.text_content("#d-faith-photo") == f"{cells['faithfulness_photo'][cell]:.3f}"
    values = page.locator("#d-groups .value").all_text_contents()
    assert values == [f"{w:.2f}" for w in weights[cell]]
    top = page.locator("#d-top .label").all_text_contents()
    assert top[0] == f"ch {int(np.argmax(acts[row, col]))}" and len(top) == 6

    for wrap, highlight in (("#photo-wrap", "#hl-photo"), ("#grid-wrap", "#hl-grid")):
        assert page.is_visible(highlight)
        box, pic = page.locator(highlight).bounding_box(), page.locator(wrap).bounding_box()
        assert abs(box["x"] - (pic["x"] + col * pic["width"] / cols)) < 1.5
        assert abs(box["y"] - (pic["y"] + row * pic["height"] / rows)) < 1.5
        assert abs(box["width"] - pic["width"] / cols) < 1.5

    # The enlarged tile is this cell's tile of grid.png.
    drawn = page.evaluate("""() => { const c = document.getElementById('d-tile');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const s = [0, 0, 0]; for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++)
        s[k] += d[i + k]; return s.map(v => v / (d.length / 4)); }""")
    grid = np.asarray(Image.open(folder / "grid.png").convert("RGB"), np.float64)
    tile = grid.shape[0] // rows
    expected = grid[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile].mean((0, 1))
    assert np.abs(np.asarray(drawn) - expected).max() < 4
    page.screenshot(path=shots / "viewer_cell.png")

    # The photo answers too: its cell under the pointer.
    page.mouse.move(*centre(page, "#photo-wrap", 6, 1, rows, cols))
    assert page.get_attribute("#detail", "data-cell") == str(6 * cols + 1)

    page.click("#tab-groups")
    assert page.is_hidden("#view-cells") and page.locator(".group").count() == weights.shape[1]
    sizes = page.eval_on_selector_all(".group img", "imgs => imgs.map(i => i.naturalWidth)")
    assert sizes == [32] * weights.shape[1]  # each group's own image, W=32
    page.screenshot(path=shots / "viewer_groups.png", full_page=True)
    assert problems == []


def test_naive_viewer_has_no_factorization(tiny_run, browser):
    _, layer = tiny_run
    page, problems = open_page(browser, grid_folder(layer, "naive") / "viewer.html")
    page.mouse.move(*centre(page, "#grid-wrap", 0, 0, 8, 8))
    assert page.get_attribute("#detail", "data-cell") == "0"
    assert page.is_hidden("#d-groups-block") and page.is_disabled("#tab-groups")
    assert problems == []


def test_viewer_works_offline_and_shows_the_grid_beside_it(tiny_run, browser):
    _, layer = tiny_run
    folder = grid_folder(layer, "nmf4")
    html = (folder / "viewer.html").read_text()
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert html.count("data:image/jpeg;base64,") == 1  # the photo
    assert html.count("data:image/png;base64,") == 4  # the 4 group images
    assert html.count('"gridImage":"grid.png"') == 1  # not a copy of it
    page, problems = open_page(browser, folder / "viewer.html")
    width = page.evaluate("() => document.getElementById('grid').naturalWidth")
    assert width == Image.open(folder / "grid.png").size[0]
    assert problems == []


AWKWARD = 'a#b%20 <!--<script> "__DATA__" & é'  # a name no page may choke on


def synthetic_data(rows: int, cols: int, k: int = 3) -> dict:
    """What viewer_data gives, for a made-up rows×cols grid; one figure is undefined (NaN)."""
    rng = np.random.default_rng(rows * 10 + cols)
    n, tile = rows * cols, 10
    grid = (rng.random((rows * tile, cols * tile, 3)) * 255).astype(np.uint8)
    figures = {"mean": 0.5, "median": 0.5, "min": 0.1}
    return {
        "title": f"{AWKWARD} · layer · shared (nmf{k})",
        "names": {"dataset": "d", "image": AWKWARD, "model": "m", "layer": "l", "groups": "nmf3"},
        "render": RenderParams(
            "shared", 14, 1, 1, 0.05, 0.5, 1.0, "dense", "standard", 0
        ).as_dict(),
        "grid": [rows, cols],
        "channels": 8,
        "photo": viewer.png_uri(grid[::-1]),
        "gridImage": viewer.png_uri(grid),
        "metrics": {
            "faithfulness": figures,
            "faithfulness_photo": figures,
            "coherence": float("nan"),
        },
        "cells": {
            "faithfulness": list(np.linspace(0, 1, n)),
            "faithfulness_photo": [float("nan")] * n,
            "shard": [0] * n,
            "norm": [1.0] * n,
            "top": viewer.top_channels(rng.normal(size=(n, 8))),  # negative values too
        },
        "groups": {
            "weights": rng.random((n, k)).tolist(),
            "top": viewer.top_channels(rng.random((k, 8))),
            "images": [viewer.png_uri(grid[:tile, :tile])] * k,
        },
    }


@pytest.mark.parametrize("rows,cols", [(3, 5), (1, 4), (6, 2)])
def test_any_grid_shape_and_awkward_names(browser, tmp_path, rows, cols):
    path = tmp_path / "viewer.html"
    viewer.write_viewer(path, synthetic_data(rows, cols))
    page, problems = open_page(browser, path)
    assert page.title().startswith(AWKWARD) and page.text_content("#title").startswith(AWKWARD)
    pic = page.locator("#grid-wrap").bounding_box()
    assert pic["height"] / pic["width"] == pytest.approx(rows / cols, abs=0.01)
    for row, col in ((0, 0), (rows - 1, cols - 1), (rows - 1, 0)):
        page.mouse.move(*centre(page, "#grid-wrap", row, col, rows, cols))
        assert page.text_content("#d-where") == f"cell {row * cols + col} · row {row}, col {col}"
        box = page.locator("#hl-photo").bounding_box()
        photo = page.locator("#photo-wrap").bounding_box()
        assert abs(box["x"] - (photo["x"] + col * photo["width"] / cols)) < 1.5
        assert abs(box["y"] - (photo["y"] + row * photo["height"] / rows)) < 1.5
    assert page.text_content("#d-faith-photo") == "–" and "coherence –" in page.text_content(
        "#summary"
    )
    page.mouse.click(pic["x"] + pic["width"] - 0.5, pic["y"] + pic["height"] - 0.5)  # the edge
    assert page.text_content("#d-where").startswith(f"cell {rows * cols - 1} ")
    assert problems == []


FIGURE_KEYS = ("faithfulness", "faithfulness_photo", "objective")


def synthetic_grid(folder: Path, rng, coherence: float) -> Path:
    """A finished grid's folder as the index reads it: metrics.json and a thumbnail."""
    folder.mkdir(parents=True)
    summary = {"mean": float(rng.random()), "median": 0.5, "min": 0.1}
    metrics = {
        **{key: summary for key in FIGURE_KEYS},
        **{"coherence": coherence, "coherence_across_shards": 0.2, "coherence_photo": 0.1},
    }
    (folder / paths.METRICS).write_text(json.dumps(metrics))
    files.write_thumbnail(folder / paths.THUMBNAIL, rng.integers(0, 255, (12, 12, 3), np.uint8))
    return folder


def rows_shown(page) -> list[list[str]]:
    return page.locator("#body tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].slice(1).map(c => c.textContent))"
    )


def test_index_links_awkward_names_and_shows_undefined_figures(browser, tmp_path):
    folder = tmp_path / "d/batches/m/l/batch_0/nmf3/W14_render/grids" / AWKWARD
    synthetic_grid(folder, np.random.default_rng(0), float("nan"))
    viewer.write_viewer(folder / paths.VIEWER, synthetic_data(2, 3))
    index, tsv = tmp_path / "d/index.html", tmp_path / "d/metrics.tsv"
    viewer.write_index("d", tmp_path / "d", [folder], index, tsv)
    page, problems = open_page(browser, index)
    header = page.locator("#head th").all_text_contents()
    (row,) = rows_shown(page)
    assert row[header.index("coherence") - 1] == "–" and row[0] == AWKWARD
    assert "nan" in tsv.read_text().splitlines()[1].split("\t")  # undefined, said plainly
    assert page.locator("td.thumb img").evaluate("img => img.naturalWidth") == 12
    page.locator("#body a").last.click()
    assert page.title().startswith(AWKWARD)
    assert problems == []


def test_index_of_a_thousand_grids_loads_pages_and_sorts(browser, tmp_path, shots):
    """1,000 grids (and 10 with an undefined figure): a small page, one page of thumbnails
    loaded, sorted by a figure both ways (undefined ones last), paged, filtered."""
    rng = np.random.default_rng(1)
    dataset = tmp_path / "many"
    folders = [
        synthetic_grid(
            dataset / "batches/m/l/batch_0/nmf6/W48_render/grids" / f"photo_{i:04d}",
            rng,
            float("nan") if i % 100 == 7 else float(rng.random()),
        )
        for i in range(1000)
    ]
    index = dataset / paths.INDEX
    viewer.write_index("many", dataset, folders, index, dataset / paths.METRICS_TABLE)
    assert index.stat().st_size < 250_000  # ~120 bytes a grid (it embedded 71 KB each)
    page, problems = open_page(browser, index)
    page.wait_for_load_state("load")
    assert page.text_content("#page-info") == "page 1 of 20 · 1000 of 1000 grids"
    loaded = page.locator("td.thumb img").evaluate_all(
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert 0 < loaded <= 50
    header = page.locator("#head th").all_text_contents()
    column = header.index("coherence") - 1
    figures = [json.loads((f / paths.METRICS).read_text())["coherence"] for f in folders]
    defined = sorted((v for v in figures if v == v), reverse=True)

    page.click('th[data-column="coherence"]')  # a figure: highest first
    assert [float(r[column]) for r in rows_shown(page)[:3]] == pytest.approx(defined[:3], abs=6e-4)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "index_1000.png", full_page=False)
    page.click('th[data-column="coherence"]')  # again: lowest first
    assert float(rows_shown(page)[0][column]) == pytest.approx(defined[-1], abs=6e-4)
    page.select_option("#per-page", "200")
    for _ in range(4):
        page.click("#next")
    assert page.text_content("#page-info") == "page 5 of 5 · 1000 of 1000 grids"
    assert [r[column] for r in rows_shown(page)[-10:]] == ["–"] * 10  # undefined: last
    assert page.is_disabled("#next")

    page.click('th[data-column="image"]')
    page.fill("#filter", "photo_09")
    assert page.text_content("#page-info") == "page 1 of 1 · 100 of 1000 grids"
    names = [r[0] for r in rows_shown(page)]
    assert names == [f"photo_{i:04d}" for i in range(900, 1000)]
    assert problems == []


def test_index_links_every_viewer_with_its_figures(tiny_run, browser, shots):
    workdir, _ = tiny_run
    index = workdir / "results/tiny/index.html"
    page, problems = open_page(browser, index)
    links = page.locator("#body td:nth-child(2) a")
    assert links.count() == 2  # chelsea × (shared, naive)
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert (index.parent / href).is_file() and href.endswith("viewer.html")
    widths = page.locator("td.thumb img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 2 and all(0 < w <= 160 for w in widths)  # its own thumbnail file
    page.screenshot(path=shots / "index.png", full_page=True)
    header, *lines = (workdir / "results/tiny/metrics.tsv").read_text().splitlines()
    rows = [dict(zip(header.split("\t"), line.split("\t"))) for line in lines]
    assert len(rows) == 2
    for row in rows:
        path = index.parent / row["path"] / "metrics.json"
        assert row["render"] in row["path"] and row["path"].endswith(row["image"])
        metrics = json.loads(path.read_text())
        assert float(row["faithfulness_mean"]) == pytest.approx(
            metrics["faithfulness"]["mean"], abs=1e-4
        )
        assert float(row["coherence"]) == pytest.approx(metrics["coherence"], abs=1e-4)
    links.first.click()
    assert "chelsea" in page.title()
    assert problems == []


def test_snakemake_report_groups_every_figure(tiny_run, browser, shots):
    workdir, _ = tiny_run
    snakemake(workdir, "--report", "report.html")
    page, problems = open_page(browser, workdir / "report.html")
    page.get_by_text("Results", exact=True).first.click()
    page.get_by_text("tiny", exact=True).first.click()
    page.get_by_text("chelsea", exact=True).first.click()
    for figure in ("grid", "photo and grid"):  # the viewers stay beside their grids
        assert page.get_by_role("cell", name=figure, exact=True).count() == 2  # both methods
    assert page.get_by_role("cell", name="shared (nmf4)", exact=True).count() == 2
    page.screenshot(path=shots / "report.png")
    page.get_by_text("tiny", exact=True).first.click()
    page.get_by_text("all images", exact=True).first.click()
    for figure in ("index page", "metrics table (TSV)"):
        assert page.get_by_role("cell", name=figure, exact=True).count() == 1
    assert [p for p in problems if not p.startswith("request: http")] == []
