"""The index page of a dataset of many grids: its size, and how fast headless Chromium loads,
sorts and pages it.

    python benchmarks/index_page.py [--grids 1000 10000]

Each grid is a folder as the workflow leaves it for the index (metrics.json with random figures
and a 160 px JPEG thumbnail, written by actgrid's own writers); the page is written by
``viewer.write_index``, as the index rule does. Needs Chromium (apt-get install chromium) and
Playwright (pip install -e '.[test]').
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from actgrid import files, paths, viewer

RENDER = "W48_steps256_batch64_lr0.05_frac0.5_cos1_adamdense_standard_seed0"
MODEL = "efficientnet_lite0-57934424_224px_stretch"


def grid_folders(dataset: Path, n: int) -> list[Path]:
    """``n`` finished grids' folders (what the index reads of them), names as the workflow's."""
    rng = np.random.default_rng(0)
    thumbnail = rng.integers(0, 255, (160, 160, 3), np.uint8)
    folders = []
    for i in range(n):
        folder = dataset / f"photo_{i:06d}" / MODEL / "block10_dw_relu" / "nmf6" / RENDER
        folder.mkdir(parents=True)
        figures = (
            "faithfulness",
            "faithfulness_photo",
            "retrieval",
            "retrieval_photo",
            "objective",
        )
        metrics = {k: {"mean": rng.random(), "median": rng.random(), "min": 0.0} for k in figures}
        metrics |= {k: rng.random() for k in ("coherence", "coherence_across_shards")}
        metrics |= {"coherence_photo": rng.random(), "seam": {"ratio": rng.random()}}
        files.write_json(folder / paths.METRICS, metrics)
        files.write_thumbnail(folder / paths.THUMBNAIL, np.roll(thumbnail, i, axis=1))
        folders.append(folder)
    return folders


def measure(browser, index: Path) -> dict:
    """Seconds to the table's first page, to sort by a figure, to the next page."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    start = time.perf_counter()
    page.goto(index.as_uri(), wait_until="load")
    page.wait_for_selector("#body tr")
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    page.click('th[data-column="coherence"]')
    page.wait_for_selector('th[aria-sort="descending"]')
    sort = time.perf_counter() - start
    start = time.perf_counter()
    page.click("#next")
    page.wait_for_function("document.getElementById('page-info').textContent.startsWith('page 2')")
    next_page = time.perf_counter() - start
    page.close()
    return {"load_s": loaded, "sort_s": sort, "next_page_s": next_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    from playwright.sync_api import sync_playwright

    print(f"date {time.strftime('%Y-%m-%d')}")
    print("| grids | index.html | per grid | write s | load s | sort s | next page s |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        for n in args.grids:
            dataset = Path(tmp) / f"d{n}"
            folders = grid_folders(dataset, n)
            start = time.perf_counter()
            index = dataset / paths.INDEX
            viewer.write_index("d", dataset, folders, index, dataset / paths.METRICS_TABLE)
            write = time.perf_counter() - start
            size = index.stat().st_size
            t = measure(browser, index)
            print(
                f"| {n} | {size / 1e6:.2f} MB | {size / n:.0f} B | {write:.1f} | "
                f"{t['load_s']:.2f} | {t['sort_s']:.2f} | {t['next_page_s']:.2f} |"
            )
        browser.close()


if __name__ == "__main__":
    main()
