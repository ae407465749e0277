import numpy as np
import pytest
from PIL import Image

from actgrid.models import feature_model

EGYPTIAN_CAT = 285


def _input(rgb, size=224):
    return (
        np.asarray(Image.fromarray(rgb).resize((size, size), Image.BILINEAR), np.float32)[None]
        / 255
    )


def test_chelsea_is_an_egyptian_cat(model, chelsea):
    import tensorflow as tf

    probs = tf.nn.softmax(model.keras_model(_input(chelsea))).numpy()[0]
    assert probs.argmax() == EGYPTIAN_CAT
    assert probs[EGYPTIAN_CAT] == pytest.approx(0.79, abs=0.03)


@pytest.mark.parametrize(
    "layer", ["stem_relu", "block3_expand_relu", "block10_dw_relu", "head_relu"]
)
@pytest.mark.parametrize("size", [224, 150])
def test_grid_shape_matches_the_network(model, layer, size):
    acts = feature_model(model, layer)(np.zeros((1, size, size, 3), np.float32))
    assert tuple(acts.shape[1:3]) == model.grid_shape(layer, size)


def test_default_layer_is_14x14_and_non_negative(model, chelsea):
    acts = np.asarray(feature_model(model, "block10_dw_relu")(_input(chelsea)))
    assert acts.shape[1:3] == (14, 14)
    assert acts.min() >= 0 and acts.max() > 0


def test_identity_includes_weights_checksum(model):
    assert model.identity == f"efficientnet_lite0-{model.weights_sha256[:8]}"


def test_unknown_layer(model):
    with pytest.raises(ValueError, match="no layer 'mixed4d'"):
        feature_model(model, "mixed4d")
