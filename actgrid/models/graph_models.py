"""TensorFlow graphs: frozen GraphDefs (Lucid's model zoo) and SavedModel directories.

A graph is imported into a TF2 function with its input placeholder replaced by a tensor of any
height and width (as Lucid does with ``input_map``), so gradients flow back to the image. A
layer is an operation's name, e.g. ``mixed4d`` or ``mixed4d_pre_relu`` in InceptionV1.
"""

from __future__ import annotations

from functools import cached_property

from actgrid.models.base import FromFile, Model, unknown_layer
from actgrid.models.sources import ModelError

# Operation types whose output is a layer worth visualizing (others: constants, reads, shapes).
LAYER_OPS = {
    "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Gelu",
    "Conv2D", "DepthwiseConv2dNative", "BiasAdd", "Add", "AddV2", "Mul", "ConcatV2", "Concat",
    "MaxPool", "AvgPool", "LRN", "FusedBatchNorm", "FusedBatchNormV3",
}  # fmt: skip


def with_pre_relu_concats(graph_def):
    """Add ``<name>_pre_relu`` for each concatenation of ReLUs, as Lucid does for InceptionV1.

    InceptionV1's ``mixed4d`` concatenates its towers after their ReLUs; Lucid adds
    ``mixed4d_pre_relu``, the same towers before them (which can be negative).
    """
    nodes = {node.name: node for node in graph_def.node}

    def node_of(tensor: str):
        return nodes.get(tensor.lstrip("^").split(":")[0])

    added = []
    for node in graph_def.node:
        if node.op not in ("Concat", "ConcatV2") or f"{node.name}_pre_relu" in nodes:
            continue
        kinds = [node_of(t).op if node_of(t) else None for t in node.input]
        if kinds.count("Const") != 1 or kinds.count("Relu") != len(kinds) - 1:
            continue
        alias = type(node)()
        alias.CopyFrom(node)
        alias.name = f"{node.name}_pre_relu"
        del alias.input[:]
        for tensor, kind in zip(node.input, kinds):
            alias.input.append(node_of(tensor).input[0] if kind == "Relu" else tensor)
        added.append(alias)
    graph_def.node.extend(added)
    return graph_def


class GraphModel(Model):
    """Common to graph models: layers are operations; ``input_name`` picks the input."""

    @cached_property
    def graph_def(self):
        raise NotImplementedError

    @cached_property
    def input_name(self) -> str:
        placeholders = [n.name for n in self.graph_def.node if n.op == "Placeholder"]
        name = self.cfg.get("input_name")
        if name is None and len(placeholders) == 1:
            return placeholders[0]
        if name not in placeholders:
            raise ModelError(
                f"model.input_name: {name!r} is not an input of {self.name!r}; "
                f"its inputs: {', '.join(placeholders) or 'none'}"
            )
        return name

    @property
    def input_channels(self) -> int:
        node = next(n for n in self.graph_def.node if n.name == self.input_name)
        dims = node.attr["shape"].shape.dim
        return self.check_channels(dims[-1].size if dims and dims[-1].size > 0 else 3)

    def _import(self, image, layers: list[str] | None = None):
        """Import the graph fed by ``image``: only the part ``layers`` need, if given."""
        import tensorflow as tf

        graph_def = self.graph_def
        if layers is not None:
            graph_def = tf.compat.v1.graph_util.extract_sub_graph(graph_def, layers)
        return tf.compat.v1.import_graph_def(
            graph_def,
            input_map={f"{self.input_name}:0": image},
            return_elements=[f"{layer}:0" for layer in layers or []],
            name="",
        )

    def _graph(self, shape, layers: list[str] | None = None):
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            self._import(tf.compat.v1.placeholder(tf.float32, shape), layers)
        return graph

    @cached_property
    def layer_names(self) -> list[str]:
        """Layer-like operations with a 4-D float output, found with any input height and width."""
        return [
            op.name
            for op in self._graph([1, None, None, self.input_channels]).get_operations()
            if op.type in LAYER_OPS
            and op.name != self.input_name
            and op.outputs[0].dtype.is_floating
            and op.outputs[0].shape.rank == 4
        ]

    def describe(self, input_size: int):
        """The layers' shapes for a square input: only their part of the graph is imported at
        ``input_size`` (a classifier top built for one fixed size would not take another)."""
        layers = self.layer_names
        graph = self._graph([1, input_size, input_size, self.input_channels], layers)
        return {name: tuple(graph.get_tensor_by_name(f"{name}:0").shape[1:]) for name in layers}

    def layer_function(self, layer: str):
        names = self.layer_names
        if layer not in names:
            raise unknown_layer(self.name, layer, names)
        # imported into the caller's graph (``features`` traces it): its ops inline, where
        # redirected ReLU gradients (``optvis.relu``) can reach them
        return lambda x: self._import(x, [layer])[0]


class FrozenGraph(FromFile, GraphModel):
    """A frozen GraphDef (``.pb``) from ``path`` or ``url`` + ``sha256``, e.g. Lucid's InceptionV1."""

    options = {"path", "url", "sha256", "value_range", "input_name"}
    sources = {"path", "url"}
    network_options = {"value_range": (0.0, 1.0), "input_name": None}

    @cached_property
    def graph_def(self):
        import tensorflow as tf

        try:
            graph_def = tf.compat.v1.GraphDef.FromString(self.file.read_bytes())
        except Exception as e:
            raise ModelError(
                f"model.path: {self.file} is not a frozen TensorFlow graph: {e}"
            ) from e
        return with_pre_relu_concats(graph_def)


class SavedModel(FromFile, GraphModel):
    """A TensorFlow SavedModel directory; its ``signature`` (serving_default) is frozen to a graph."""

    options = {"path", "sha256", "value_range", "input_name", "signature"}
    sources = {"path"}
    network_options = {
        "value_range": (0.0, 1.0),
        "input_name": None,
        "signature": "serving_default",
    }

    @cached_property
    def graph_def(self):
        import tensorflow as tf
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )

        path = self.file
        try:
            loaded = tf.saved_model.load(str(path))
        except Exception as e:
            raise ModelError(f"model.path: could not load {path} as a SavedModel: {e}") from e
        signature = self.cfg.get("signature", "serving_default")
        if signature not in loaded.signatures:
            raise ModelError(
                f"model.signature: {path} has no signature {signature!r}; "
                f"it has {', '.join(loaded.signatures) or 'none'}"
            )
        return convert_variables_to_constants_v2(loaded.signatures[signature]).graph.as_graph_def()
