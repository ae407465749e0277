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
