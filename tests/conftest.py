import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def model():
    from actgrid.models import from_config

    return from_config()


@pytest.fixture(scope="session")
def chelsea():
    from PIL import Image

    return np.asarray(Image.open(REPO / "data/default/chelsea.png").convert("RGB"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The real workflow run once on chelsea with both methods: (workdir, layer directory)."""
    from workflow_helpers import TWO_METHODS, batch_layer, make_workdir, snakemake, write_config

    workdir = make_workdir(tmp_path_factory.mktemp("wf"), images=["chelsea"])
    write_config(workdir, TWO_METHODS)
    snakemake(workdir)
    layer = batch_layer(workdir)
    return workdir, layer


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
        # a page from disk may read the pixels of the pictures beside it (the viewer test
        # reads back the tile it drew from grid.png); showing them needs no such flag
        args = ["--no-sandbox", "--allow-file-access-from-files"]
        chromium = p.chromium.launch(executable_path=exe, args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: $ACTGRID_SCREENSHOTS or a temporary folder. Look at them."""
    folder = Path(os.environ.get("ACTGRID_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
