"""Each model source type: layers, value range and preprocessing, gradients, identity, errors."""

import functools
import http.server
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

from actgrid.models import ModelError, from_config
from actgrid.files import sha256
from actgrid.models.graph_models import FrozenGraph
from actgrid.models.keras_models import values_sha256
from tiny_models import INCEPTION_RANGE, inception_style_graph, small_keras_network


@pytest.fixture(autouse=True)
def model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTGRID_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def inception_pb(tmp_path_factory):
    return inception_style_graph(tmp_path_factory.mktemp("graph") / "inception_v1.pb")


def _inception(pb, **cfg):
    return from_config(
        type="frozen_graph", name="inception_v1", path=str(pb), value_range=INCEPTION_RANGE, **cfg
    )


def _images(n=2, size=96, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 3)).astype(np.float32)


def test_frozen_graph_has_lucid_layers_at_lucid_sizes(inception_pb):
    model = _inception(inception_pb)
    shapes = model.layer_shapes(224)
    assert shapes["mixed4d"] == (14, 14, 32) and shapes["mixed4d_pre_relu"] == (14, 14, 32)
    assert shapes["conv2d0"] == (112, 112, 16) and "localresponsenorm0" in shapes
    assert "softmax2" not in shapes and "avgpool0" not in shapes  # not spatial
    assert model.layer_shapes(96)["mixed4d"] == (6, 6, 32)
    # the weights' checksum alone names the graph fed [0, 1]; Lucid's value range is keyed too
    plain = from_config(type="frozen_graph", name="inception_v1", path=str(inception_pb))
    assert plain.identity == f"inception_v1-{sha256(inception_pb)[:8]}" != model.identity


def test_frozen_graph_gets_lucid_value_range(inception_pb):
    """Features of RGB in [0, 1] equal the raw graph run in a TF1 session on x·255 − 117."""
    x = _images()
    graph = tf.Graph()
    with graph.as_default():
        graph_def = tf.compat.v1.GraphDef.FromString(inception_pb.read_bytes())
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        expected = session.run("mixed4d:0", {"input:0": x * 255 - 117})
    got = _inception(inception_pb).features("mixed4d")(x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def _gradient(features, x):
    """d sum(features) / d image, taken inside a tf.function as the render loop does."""

    @tf.function
    def gradient(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            value = tf.reduce_sum(features(images))
        return tape.gradient(value, images)

    grad = gradient(tf.constant(x)).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).mean() > 0
    return grad


def test_frozen_graph_passes_gradients_to_the_image(inception_pb):
    """Equal to TF1's tf.gradients on the raw graph, times 255 for the value range."""
    x = _images(size=72)
    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
        graph_def = tf.compat.v1.GraphDef.FromString(inception_pb.read_bytes())
        (layer,) = tf.compat.v1.import_graph_def(
            graph_def, {"input:0": image}, ["mixed4c:0"], name=""
        )
        (grad,) = tf.gradients(tf.reduce_sum(layer), image)
    with tf.compat.v1.Session(graph=graph) as session:
        expected = session.run(grad, {image: x * 255 - 117}) * 255
    got = _gradient(_inception(inception_pb).features("mixed4c"), x)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


def test_pre_relu_variants_are_added_as_lucid_does(inception_pb):
    """mixed4d concatenates ReLU towers; mixed4d_pre_relu is the towers before their ReLUs."""
    model = _inception(inception_pb)
    x = _images()
    pre = model.features("mixed4d_pre_relu")(x).numpy()
    np.testing.assert_allclose(np.maximum(pre, 0), model.features("mixed4d")(x), atol=1e-5)
    assert pre.min() < 0
    _gradient(model.features("mixed4d_pre_relu"), x)


def test_frozen_graph_errors(inception_pb, tmp_path):
    with pytest.raises(ModelError, match="no layer 'mixed4x'; closest: mixed4d"):
        _inception(inception_pb).features("mixed4x")
    with pytest.raises(ModelError, match="'image' is not an input .* its inputs: input"):
        _inception(inception_pb, input_name="image").layer_shapes()
    text = tmp_path / "notes.pb"
    text.write_text("not a graph")
    with pytest.raises(ModelError, match="notes.pb is not a frozen TensorFlow graph"):
        _inception(text).layer_shapes()
    with pytest.raises(ModelError, match="config says 0000"):
        _inception(inception_pb, sha256="0" * 64).identity


_NO_TENSORFLOW = """
import json, sys
from actgrid.models import from_config
model = from_config(json.loads(sys.argv[1]))
print(json.dumps([model.identity, model.layer_shapes(96)]))
assert "tensorflow" not in sys.modules, "the caller imported TensorFlow"
"""


def _without_tensorflow(cfg: dict, cache) -> list:
    """``[identity, layer_shapes(96)]`` (as JSON) asked by a process that never imports TF."""
    env = {**os.environ, "ACTGRID_CACHE": str(cache)}
    cmd = [sys.executable, "-c", _NO_TENSORFLOW, json.dumps(cfg)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_layer_table_is_the_same_with_or_without_tensorflow_loaded(inception_pb, tmp_path):
    cfg = {"type": "frozen_graph", "name": "inception_v1", "path": str(inception_pb)}
    without = _without_tensorflow(cfg, tmp_path / "elsewhere")
    model = from_config(cfg)  # here TensorFlow is loaded, and the cache is another one
    shapes = {name: list(shape) for name, shape in model.layer_shapes(96).items()}
    assert without == [model.identity, shapes]


def test_layer_table_is_computed_once_in_a_subprocess(inception_pb, model_cache, monkeypatch):
    """Even with TensorFlow loaded here: a subprocess computes it, later calls read the cache."""
    runs, run = [], subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: runs.append(cmd) or run(cmd, **kw))

    def not_here(self, input_size):
        raise AssertionError("the layer table was computed in the calling process")

    monkeypatch.setattr(FrozenGraph, "describe", not_here)
    shapes = _inception(inception_pb).layer_shapes(96)
    assert shapes["mixed4d"] == (6, 6, 32) and len(runs) == 1
    assert _inception(inception_pb).layer_shapes(96) == shapes and len(runs) == 1
    assert len(list((model_cache / "layers").glob("*.json"))) == 1


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_url_is_fetched_once_and_verified(inception_pb, model_cache):
    handler = functools.partial(_Files, directory=str(inception_pb.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/inception_v1.pb"
    checksum = sha256(inception_pb)
    try:
        model = from_config(type="frozen_graph", name="inception_v1", url=url, sha256=checksum)
        assert model.identity == f"inception_v1-{checksum[:8]}"
        assert model.file == model_cache / "models" / checksum / "inception_v1.pb"
        unpinned = from_config(type="frozen_graph", name="inception_v1", url=url)
        assert unpinned.identity == model.identity  # the checksum of what was fetched
        bad = from_config(type="frozen_graph", name="v1", url=url, sha256="1" * 64)
        with pytest.raises(ModelError, match="has sha256 .*, config says 1111"):
            bad.identity
    finally:
        server.shutdown()
        server.server_close()
    offline = from_config(type="frozen_graph", name="v1", url=url, sha256="2" * 64)
    with pytest.raises(ModelError, match=f"could not download .* place it at {model_cache}"):
        offline.identity
    assert model.layer_shapes(96)["mixed4d"] == (6, 6, 32)  # the cached copy, server gone


def _application():
    return from_config(
        type="keras_application", name="MobileNetV2", weights=None, seed=3, input_size=96
    )


def test_keras_application_uses_its_own_preprocessing():
    """MobileNetV2 takes [-1, 1]: features of x equal the plain network on 2x - 1."""
    import keras

    x = _images()
    keras.utils.set_random_seed(3)
    net = keras.applications.MobileNetV2(weights=None, include_top=False)
    layer = net.get_layer("block_13_expand_relu").output
    expected = keras.Model(net.input, layer)(x * 2 - 1)
    got = _application().features("block_13_expand_relu")(x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert _application().layer_shapes()["block_13_expand_relu"] == (6, 6, 576)


def test_random_weights_are_the_same_in_every_process(tmp_path):
    """The identity (a checksum of the weight values) must not depend on the process."""
    cfg = {"type": "keras_application", "name": "MobileNetV2", "weights": None, "seed": 3}
    identity, _ = _without_tensorflow({**cfg, "input_size": 96}, tmp_path / "elsewhere")
    assert identity == f"MobileNetV2-{values_sha256(_application().network)[:8]}"
    other_seed = from_config(**{**cfg, "seed": 4})
    assert other_seed.identity != identity


def test_application_weights_file_is_checksummed_by_its_values(tmp_path):
    """Weights from a file: the identity is the values' checksum, whatever file holds them."""
    path = tmp_path / "mobilenet_v2.weights.h5"
    _application().network.save_weights(path)
    cfg = {"type": "keras_application", "name": "MobileNetV2", "input_size": 96}
    from_file = from_config(**cfg, weights=str(path))
    assert from_file.identity == _application().identity


def test_unknown_application():
    with pytest.raises(ModelError, match="keras.applications has no 'ResNet51'; have: .*ResNet50"):
        from_config(type="keras_application", name="ResNet51", weights=None).network


def test_keras_file_with_a_fixed_input_takes_any_size(tmp_path):
    net = small_keras_network((64, 64, 3))
    path = tmp_path / "small.keras"
    net.save(path)
    model = from_config(type="keras_file", name="small", path=str(path), value_range=[0, 255])
    assert model.layer_shapes(96) == {
        "conv1": (48, 48, 16),
        "conv2": (24, 24, 32),
        "conv2_relu": (24, 24, 32),
        "conv3": (12, 12, 32),
    }
    x = _images(size=64)
    import keras

    expected = keras.Model(net.input, net.get_layer("conv3").output)(x * 255)
    np.testing.assert_allclose(model.features("conv3")(x), expected, rtol=1e-4, atol=1e-3)
    _gradient(model.features("conv2_relu"), _images(size=72))


def test_grayscale_keras_file_sees_luminance(tmp_path):
    net = small_keras_network((64, 64, 1))
    path = tmp_path / "gray.h5"
    net.save(path)
    model = from_config(type="keras_file", name="gray", path=str(path))
    x = _images(size=64)
    import keras

    expected = keras.Model(net.input, net.get_layer("conv3").output)(tf.image.rgb_to_grayscale(x))
    np.testing.assert_allclose(model.features("conv3")(x), expected, rtol=1e-4, atol=1e-4)


def test_two_channel_model_is_refused(tmp_path):
    path = tmp_path / "two.keras"
    small_keras_network((64, 64, 2)).save(path)
    with pytest.raises(ModelError, match="takes 2 input channels; actgrid feeds RGB"):
        from_config(type="keras_file", name="two", path=str(path)).features("conv3")


def test_saved_model_directory(tmp_path):
    net = small_keras_network((64, 64, 3))
    net.export(tmp_path / "exported", verbose=False)
    model = from_config(type="saved_model", name="exported", path=str(tmp_path / "exported"))
    shapes = model.layer_shapes(96)
    (relu3,) = [name for name in shapes if "conv3" in name and name.endswith("Relu")]
    assert shapes[relu3] == (12, 12, 32)
    x = _images()
    import keras

    expected = keras.Model(net.input, net.get_layer("conv3").output)(x[:, :64, :64])
    np.testing.assert_allclose(model.features(relu3)(x[:, :64, :64]), expected, atol=1e-4)
    _gradient(model.features(relu3), _images(size=72))
    assert model.identity == f"exported-{sha256(tmp_path / 'exported')[:8]}"


def test_options_that_do_not_apply_are_refused():
    with pytest.raises(ModelError, match="value_range does not apply to type embedded"):
        from_config(value_range=[0, 1])
    with pytest.raises(ModelError, match="weights does not apply to type keras_file"):
        from_config(type="keras_file", name="x", path="x.keras", weights="imagenet")
    with pytest.raises(ModelError, match="needs exactly one of path or url"):
        from_config(type="frozen_graph", name="x")
    with pytest.raises(ModelError, match="model.path: missing.keras does not exist"):
        from_config(type="keras_file", name="x", path="missing.keras").identity
