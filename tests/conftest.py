import os
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
    from workflow_helpers import TWO_METHODS, make_workdir, snakemake, write_config

    workdir = make_workdir(tmp_path_factory.mktemp("wf"), images=["chelsea"])
    write_config(workdir, TWO_METHODS)
    snakemake(workdir)
    layer = next((workdir / "results/tiny/chelsea").glob("*/block10_dw_relu"))
    return workdir, layer
