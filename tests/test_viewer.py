"""Viewers, the index page and the Snakemake report of a real run, checked in headless Chromium.

Screenshots go to $ACTGRID_SCREENSHOTS (or a temporary folder): look at them.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from workflow_helpers import snakemake

from actgrid import assemble, extract, factorize

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; CI (ACTGRID_REQUIRE_BROWSER=1) fails without it."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        message = "the viewer tests need Chromium: apt-get install chromium"
        if os.environ.get("ACTGRID_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("ACTGRID_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, path):
    """A page showing ``path``; the list it returns collects script errors and web requests."""
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    problems = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on(
        "request",
        lambda r: r.url.startswith(("file:", "data:")) or problems.append(f"request: {r.url}"),
    )
    page.goto(Path(path).as_uri())
    return page, problems


def render_dir(layer: Path, groups: str) -> Path:
    (found,) = (layer / groups).glob("W32_*")
    return found


def centre(page, selector: str, row: int, col: int, rows: int, cols: int) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return (
        box["x"] + (col + 0.5) * box["width"] / cols,
        box["y"] + (row + 0.5) * box["height"] / rows,
    )


def test_hovering_a_cell_shows_it_on_both_pictures_with_its_figures(tiny_run, browser, shots):
    _, layer = tiny_run
    folder = render_dir(layer, "nmf4")
    acts = extract.load(layer / "activations.h5")[0]
    rows, cols = acts.shape[:2]
    cells = assemble.read_cells(folder / "cells.tsv")
    weights = factorize.load_weights(layer / "nmf4/groups.h5")
    page, problems = open_page(browser, folder / "viewer.html")

    row, col = 2, 5
    cell = row * cols + col
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
    page, problems = open_page(browser, render_dir(layer, "naive") / "viewer.html")
    page.mouse.move(*centre(page, "#grid-wrap", 0, 0, 8, 8))
    assert page.get_attribute("#detail", "data-cell") == "0"
    assert page.is_hidden("#d-groups-block") and page.is_disabled("#tab-groups")
    assert problems == []


def test_viewer_is_one_offline_file(tiny_run):
    _, layer = tiny_run
    html = (render_dir(layer, "nmf4") / "viewer.html").read_text()
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert html.count("data:image/png;base64,") >= 2 + 4  # photo, grid, the 4 group images


def test_index_links_every_viewer_with_its_figures(tiny_run, browser, shots):
    import json

    workdir, _ = tiny_run
    index = workdir / "results/tiny/index.html"
    page, problems = open_page(browser, index)
    cards = page.locator("a.card")
    assert cards.count() == 2  # chelsea × (shared, naive)
    for href in cards.evaluate_all("cards => cards.map(c => c.getAttribute('href'))"):
        assert (index.parent / href).is_file() and href.endswith("viewer.html")
    page.screenshot(path=shots / "index.png", full_page=True)
    header, *lines = (workdir / "results/tiny/metrics.tsv").read_text().splitlines()
    rows = [dict(zip(header.split("\t"), line.split("\t"))) for line in lines]
    assert len(rows) == 2
    for row in rows:
        (path,) = (index.parent / row["image"]).glob(f"*/*/*/{row['render']}/metrics.json")
        metrics = json.loads(path.read_text())
        assert float(row["faithfulness_mean"]) == pytest.approx(
            metrics["faithfulness"]["mean"], abs=1e-4
        )
        assert float(row["coherence"]) == pytest.approx(metrics["coherence"], abs=1e-4)
    cards.first.click()
    assert "chelsea" in page.title()
    assert problems == []


def test_snakemake_report_groups_every_figure(tiny_run, browser, shots):
    workdir, _ = tiny_run
    snakemake(workdir, "--report", "report.html")
    page, problems = open_page(browser, workdir / "report.html")
    page.get_by_text("Results", exact=True).first.click()
    page.get_by_text("tiny", exact=True).first.click()
    page.get_by_text("chelsea", exact=True).first.click()
    for figure in ("grid", "photo and grid", "viewer"):
        assert page.get_by_role("cell", name=figure, exact=True).count() == 2  # both methods
    page.screenshot(path=shots / "report.png")
    assert [p for p in problems if not p.startswith("request: http")] == []
