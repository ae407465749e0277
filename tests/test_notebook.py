"""actgrid.render_grid, the notebook's function: the workflow's grid, in one call."""

import base64
import re
import subprocess
import sys

import numpy as np
import pytest
from workflow_helpers import REPO, TWO_METHODS, grid_folder

from actgrid import results

# the session's workflow run (tests/conftest.py) as render_grid's arguments
RENDER_GRID = f"""
import actgrid
grid = actgrid.render_grid(
    {str(REPO / "data/default/chelsea.png")!r},
    model={TWO_METHODS["model"]!r},
    layer="block10_dw_relu",
    method="shared",
    steps={TWO_METHODS["render"]["steps"]},
    groups={TWO_METHODS["nmf"]["groups"]},
    tile_size={TWO_METHODS["render"]["tile_size"]},
    batch_size={TWO_METHODS["render"]["batch_size"]},
    n_shards={TWO_METHODS["render"]["n_shards"]},
    threads=2,  # a render job's
)
print("grid in", grid.folder)
"""


def test_render_grid_gives_the_workflows_grid_in_one_call(tiny_run, tmp_path):
    _, layer = tiny_run
    workflow = results.open_grid(grid_folder(layer, "nmf4"))
    # a fresh process, as a job and a notebook's kernel start
    done = subprocess.run(
        [sys.executable, "-c", RENDER_GRID], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    grid = results.open_grid(tmp_path / re.search(r"grid in (\S+)", done.stdout)[1])
    assert grid.folder.is_relative_to(tmp_path / "results/notebook/batches")
    assert {k: v for k, v in grid.names.items() if k != "dataset"} == {
        k: v for k, v in workflow.names.items() if k != "dataset"
    }
    assert grid.params == workflow.params
    np.testing.assert_array_equal(grid.targets, workflow.targets)
    np.testing.assert_array_equal(grid.groups.weights, workflow.groups.weights)
    np.testing.assert_array_equal(grid.tiles, workflow.tiles)
    np.testing.assert_array_equal(grid.picture, workflow.picture)
    assert grid.metrics["faithfulness"] == workflow.metrics["faithfulness"]

    page = grid._repr_html_()  # Jupyter's view: the side by side, and the figures
    picture = re.search(r'src="data:image/jpeg;base64,([^"]+)"', page)[1]
    assert base64.b64decode(picture) == (grid.folder / "side_by_side.jpg").read_bytes()
    assert f"faithfulness {workflow.metrics['faithfulness']['mean']:.3f}" in page


def test_render_grid_refuses_a_missing_photo_and_a_wrong_setting(tmp_path):
    import actgrid

    with pytest.raises(FileNotFoundError, match="nope.png: no such image file"):
        actgrid.render_grid(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="not an actgrid config: .*tile_sise"):
        actgrid.render_grid(REPO / "data/default/chelsea.png", tile_sise=32)
