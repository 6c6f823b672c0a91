"""Keras models across the process boundary: described as plain data, rebuilt from an allow-list.

Two sides, as everywhere in the grader:

- :func:`describe_model` runs in the LEARNER's process (called from a probe). It turns a model
  into plain data: class, config (JSON-safe), weights (numpy arrays), loss, optimizer and shapes.
  It never fails: anything odd becomes a type name.
- :func:`rebuild_model` runs in the TRUSTED process. It builds a new ``keras.Model`` from such a
  description, constructing every layer itself from an allow-list of standard layers and
  activations and from known, type-checked config fields only. It never calls Keras'
  deserialization on the learner's config, never unpickles, and never loads a model file the
  learner wrote (Keras model files can run code). Anything else raises :class:`ModelRejected`,
  whose message is in the learner's terms and can be shown as the check's verdict.
- :func:`held_out_accuracy` evaluates a rebuilt model in the trusted process.

Everything the trusted side receives was produced in the learner's process and is treated as
hostile: a description that names a class or field it does not know is refused.

TensorFlow is imported lazily inside these functions: importing it costs seconds, and the CLI
must stay fast for lessons that never rebuild a model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader._tensorflow import quiet_keras

__all__ = [
    "ALLOWED_ACTIVATIONS",
    "ALLOWED_LAYERS",
    "ModelRejected",
    "describe_model",
    "held_out_accuracy",
    "rebuild_model",
]

#: Standard layers :func:`rebuild_model` can rebuild.
ALLOWED_LAYERS = (
    "InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape",
    "Dropout", "Activation", "ReLU", "Softmax", "BatchNormalization", "Rescaling",
    "GlobalAveragePooling2D",
)
#: Activations by the name Keras serializes them with (``swish`` is serialized as ``silu``).
ALLOWED_ACTIVATIONS = (
    "linear", "relu", "softmax", "sigmoid", "tanh", "elu", "gelu", "swish", "silu", "leaky_relu",
)
#: TensorFlow functions passed as activations (``activation=tf.nn.softmax``) are serialized by
#: the function's own name; these are the ones that mean an allowed activation.
_TF_FUNCTION_ALIASES = {
    "softmax_v2": "softmax", "softmax": "softmax", "relu": "relu", "sigmoid": "sigmoid",
    "tanh": "tanh", "elu": "elu", "gelu": "gelu", "silu": "silu", "swish": "silu",
    "leaky_relu": "leaky_relu", "identity": "linear",
}
_DTYPES = ("float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16")
_STANDARD = "Dense, Conv2D, MaxPooling2D, Flatten, Dropout, Activation, ReLU, Softmax, ..."

# Limits: the trusted process must not be made to allocate without bound.
MAX_LAYERS = 64
MAX_PARAMS = 20_000_000  # weights in the whole model
MAX_VALUES_PER_EXAMPLE = 4_000_000  # the size of any layer's output, for one example
MAX_DIM = 65_536  # units, filters, any one dimension of a shape
MAX_KERNEL = 64  # kernel, pool and stride sizes
MAX_DESCRIPTION_DEPTH = 12
MAX_ITEMS = 2_000
MAX_STRING = 2_000


class ModelRejected(ValueError):
    """The model cannot be rebuilt by the grader; the message says why, in the learner's terms."""


# =============================================================================================
# Learner side
# =============================================================================================


def _type_name(value: Any) -> str:
    cls = type(value)
    return getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "object")


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON-safe data: str/int/float/bool/None, lists and str-keyed dicts; else a type name."""
    try:
        if value is None or type(value) in (bool, int, float):
            return value
        if type(value) is str:
            return value[:MAX_STRING]
        if depth >= MAX_DESCRIPTION_DEPTH:
            return _type_name(value)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return value.item()
        if type(value) in (list, tuple):
            return [_plain(v, depth + 1) for v in value[:MAX_ITEMS]]
        if type(value) is dict:
            return {k: _plain(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]
                    if type(k) is str}
    except Exception:  # a hostile __eq__, __len__, ...: keep only the type's name
        pass
    return _type_name(value)


def _attempt(function: Any, default: Any = None) -> Any:
    try:
        return function()
    except Exception:
        return default


def _describe_loss(model: Any) -> Any:
    if not getattr(model, "compiled", False):
        return None
    loss = getattr(model, "loss", None)
    if loss is None:
        return None
    if type(loss) is str:
        return {"kind": "name", "name": loss[:200], "from_logits": None}
    if type(loss) in (list, tuple, dict):
        return {"kind": _type_name(loss), "name": _type_name(loss), "from_logits": None}
    keras = quiet_keras()

    if isinstance(loss, keras.losses.Loss):
        config = _plain(_attempt(loss.get_config, {}))
        from_logits = config.get("from_logits") if type(config) is dict else None
        return {"kind": "Loss", "name": _type_name(loss), "config": config,
                "from_logits": from_logits if type(from_logits) is bool else None}
    if callable(loss):
        name = getattr(loss, "__name__", None)
        return {"kind": "function", "name": name[:200] if type(name) is str else _type_name(loss),
                "from_logits": None}
    return {"kind": _type_name(loss), "name": _type_name(loss), "from_logits": None}


def _describe_optimizer(model: Any) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    rate = _attempt(lambda: float(optimizer.learning_rate))
    return {"class": _type_name(optimizer), "learning_rate": rate}


def _weights(model: Any) -> Any:
    arrays = [np.asarray(w) for w in model.get_weights()]
    total = sum(int(a.size) for a in arrays)
    if total > MAX_PARAMS:
        return f"too many weights: {total} values"
    return [np.array(a, copy=True) for a in arrays]


def _source(arg: Any) -> str | None:
    """The layer whose output a functional node's argument is (None for anything else)."""
    if type(arg) is dict and arg.get("class_name") == "__keras_tensor__":
        history = arg.get("config", {}).get("keras_history")
        if type(history) in (list, tuple) and len(history) == 3 and tuple(history[1:]) == (0, 0):
            return str(history[0])
    return None


def _nodes(config: Any, prefix: str = "") -> Any:
    """How the layers of a functional model are called: ``{layer: [{"sources", "kwargs"}]}``.

    The same information as the config's ``inbound_nodes``, flattened: those sit too deep in the
    config to cross the wire whole. The layers of a functional model nested one level inside
    (a frozen base inside a transfer model) are keyed ``"<nested model>/<layer>"``.
    """
    if type(config) is not dict or type(config.get("layers")) is not list:
        return None
    nodes = {}
    for entry in config["layers"][:MAX_ITEMS]:
        if type(entry) is not dict:
            continue
        inner = entry.get("config")
        if not prefix and entry.get("class_name") == "Functional" and type(inner) is dict \
                and type(inner.get("name")) is str:
            nodes.update(_nodes(inner, prefix=f"{inner['name'][:MAX_STRING]}/") or {})
        if type(entry.get("name")) is not str:
            continue
        calls = []
        for node in entry.get("inbound_nodes") or []:
            args = node.get("args", []) if type(node) is dict else []
            kwargs = node.get("kwargs", {}) if type(node) is dict else {}
            calls.append({
                "sources": [_source(arg) for arg in args] if type(args) in (list, tuple)
                else [None],
                # Call arguments by name and value (None when not plain): the trusted side
                # decides which change nothing (see _NEUTRAL_CALL_ARGUMENTS).
                "kwargs": {str(k)[:MAX_STRING]: v if type(v) in (bool, int, str) else None
                           for k, v in list(kwargs.items())[:MAX_ITEMS]}
                if type(kwargs) is dict else {"?": None},
            })
        nodes[prefix + entry["name"][:MAX_STRING]] = calls
    return nodes


def _hoist_nested(config: Any) -> dict[str, Any]:
    """Move the configs of models nested in ``config`` to ``{name: config}`` (in place).

    A nested model's layers sit too deep in the config to cross the wire; hoisted, they sit as
    deep as the outer model's own.
    """
    nested: dict[str, Any] = {}
    if type(config) is not dict or type(config.get("layers")) is not list:
        return nested
    for entry in config["layers"][:MAX_ITEMS]:
        inner = entry.get("config") if type(entry) is dict else None
        if entry.get("class_name") in ("Functional", "Sequential") and type(inner) is dict \
                and type(inner.get("name")) is str:
            nested[inner["name"][:MAX_STRING]] = inner
            entry["config"] = {"name": inner["name"], "nested": True}
    return nested


def _simplify_dtypes(value: Any, depth: int = 0) -> None:
    """Replace each dtype policy ``{"class_name": "DTypePolicy", "config": {"name"}}`` by its
    name, in place: two levels less to cross the wire."""
    if depth > MAX_DESCRIPTION_DEPTH:
        return
    items = value.items() if type(value) is dict else enumerate(value) \
        if type(value) is list else ()
    for key, item in list(items):
        if key == "dtype" and type(item) is dict and item.get("class_name") in (
                "DTypePolicy", "FloatDTypePolicy") and type(item.get("config")) is dict and \
                type(item["config"].get("name")) is str:
            value[key] = item["config"]["name"]
        else:
            _simplify_dtypes(item, depth + 1)


def describe_model(model: Any) -> dict[str, Any]:
    """A Keras model as plain data (runs in the learner's process; never raises).

    Returns ``{"class", "module", "compiled", "config", "nodes", "weights", "loss",
    "optimizer", "input_shape", "output_shape"}``: the config as JSON-safe data (``nodes``: how
    a functional model's layers are called, by name), the weights as numpy arrays
    in ``model.get_weights()`` order, the loss as ``{"kind", "name", "from_logits"}`` (None when
    not compiled), the optimizer as ``{"class", "learning_rate"}`` (None when there is none).
    """
    config = _attempt(lambda: model.get_config(), "get_config failed")
    nodes = _attempt(lambda: _nodes(config))
    nested = _attempt(lambda: _hoist_nested(config), {})
    _attempt(lambda: _simplify_dtypes(config))
    _attempt(lambda: _simplify_dtypes(nested))
    return {
        "class": _type_name(model),
        "module": _attempt(lambda: str(type(model).__module__)[:200], ""),
        "compiled": bool(_attempt(lambda: getattr(model, "compiled", False) is True, False)),
        "config": _plain(config),
        "nodes": _plain(nodes),
        "nested": _plain(nested),
        "weights": _attempt(lambda: _weights(model), "get_weights failed"),
        "loss": _attempt(lambda: _describe_loss(model), "unreadable"),
        "optimizer": _attempt(lambda: _describe_optimizer(model), "unreadable"),
        "input_shape": _plain(_attempt(lambda: model.input_shape)),
        "output_shape": _plain(_attempt(lambda: model.output_shape)),
    }


# =============================================================================================
# Trusted side: reading the description
# =============================================================================================

_NAME = re.compile(r"^[A-Za-z0-9_.\-/]{1,120}$")


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


@dataclass
class _Layer:
    kind: str  # the Keras class
    name: str  # for messages only
    kwargs: dict[str, Any]


class _Fields:
    """The config of one layer, read field by field; unknown fields with effects are refused."""

    # Fields that do not change what a trained layer computes.
    HARMLESS = frozenset({
        "name", "trainable", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
        "beta_initializer", "gamma_initializer", "moving_mean_initializer",
        "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
        "beta_constraint", "gamma_constraint", "renorm_momentum", "momentum", "seed",
        "noise_shape", "sparse", "ragged", "optional", "lora_rank", "lora_alpha",
        "quantization_config",
    })

    def __init__(self, kind: str, name: str, config: dict[str, Any]) -> None:
        self.kind, self.name, self.config = kind, name, config
        self.used: set[str] = set()

    def where(self) -> str:
        return f"layer '{self.name}' ({self.kind})"

    def reject(self, what: str) -> ModelRejected:
        return ModelRejected(f"your model's {self.where()} {what}")

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.config.get(key, default)

    def integer(self, key: str, default: Any = None, low: int = 1, high: int = MAX_DIM) -> int:
        value = self.get(key, default)
        if not _is_int(value) or not low <= value <= high:
            raise self.reject(f"has {key}={_short(value)}: expected a whole number from {low} "
                              f"to {high}")
        return value

    def number(self, key: str, default: Any = None, low: float = -1e6,
               high: float = 1e6) -> float:
        value = self.get(key, default)
        if not _is_number(value) or not low <= value <= high:
            raise self.reject(f"has {key}={_short(value)}: expected a number from {low:g} to "
                              f"{high:g}")
        return float(value)

    def optional_number(self, key: str, low: float = -1e6, high: float = 1e6) -> float | None:
        if self.config.get(key) is None:
            self.used.add(key)
            return None
        return self.number(key, low=low, high=high)

    def boolean(self, key: str, default: Any = None) -> bool:
        value = self.get(key, default)
        if type(value) is not bool:
            raise self.reject(f"has {key}={_short(value)}: expected True or False")
        return value

    def choice(self, key: str, options: tuple[Any, ...], default: Any = None) -> Any:
        value = self.get(key, default)
        if type(value) not in (str, type(None)) or value not in options:
            allowed = ", ".join(repr(o) for o in options)
            raise self.reject(f"has {key}={_short(value)}: the grader rebuilds only {allowed}")
        return value

    def pair(self, key: str, default: Any = None, *, allow_none: bool = False,
             high: int = MAX_KERNEL) -> tuple[int, int] | None:
        value = self.get(key, default)
        if value is None and allow_none:
            return None
        if _is_int(value):
            value = [value, value]
        if (type(value) is not list or len(value) != 2
                or not all(_is_int(v) and 1 <= v <= high for v in value)):
            raise self.reject(f"has {key}={_short(value)}: expected two whole numbers from 1 "
                              f"to {high}")
        return int(value[0]), int(value[1])

    def activation(self, key: str = "activation") -> str:
        return _activation(self.get(key, "linear"), self)

    def dtype(self) -> str:
        value = self.get("dtype", "float32")
        if type(value) is dict:  # a DTypePolicy: {"module", "class_name", "config": {"name"}}
            if value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy"):
                raise self.reject(f"has a dtype policy {_short(value.get('class_name'))}: "
                                  "use a plain float dtype")
            value = value.get("config", {}).get("name") if type(value.get("config")) is dict \
                else None
        if value is None:
            return "float32"
        if type(value) is not str or value not in _DTYPES:
            raise self.reject(f"has dtype {_short(value)}: use float32")
        return value

    def finish(self) -> None:
        """Refuse any field this reader did not use, unless it is harmless or switched off."""
        for key, value in self.config.items():
            if key in self.used or key in self.HARMLESS or key == "dtype":
                continue
            if _switched_off(value):
                continue
            raise self.reject(f"has a setting the grader does not know, {key}={_short(value)}: "
                              "build it from standard arguments only")


def _switched_off(value: Any) -> bool:
    """None, False, 0, "" or empty: a setting left at "off"."""
    if value is None or value is False:
        return True
    if type(value) in (int, float):
        return value == 0
    return type(value) in (str, list, dict) and len(value) == 0


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _activation(value: Any, fields: _Fields) -> str:
    if value is None:
        return "linear"
    if type(value) is str:
        if value in ALLOWED_ACTIVATIONS:
            return "silu" if value == "swish" else value
        raise fields.reject(f"uses the activation {value!r}: the grader rebuilds only "
                            f"{', '.join(ALLOWED_ACTIVATIONS)}")
    if type(value) is dict and value.get("class_name") == "function" and value.get(
            "module") in ("builtins", "tensorflow", "keras") and value.get("config") in \
            _TF_FUNCTION_ALIASES:
        return _TF_FUNCTION_ALIASES[value["config"]]
    what = "a custom activation function"
    if type(value) is dict and type(value.get("config")) is str:
        what = f"a custom activation function ({_short(value['config'])})"
    elif type(value) is dict and "value" in value:
        what = "a lambda as its activation"
    raise fields.reject(f"uses {what}: the grader rebuilds only the standard activations "
                        f"({', '.join(ALLOWED_ACTIVATIONS)}); pass one by name, e.g. "
                        "activation=\"relu\"")


def _layer_name(entry: dict[str, Any], index: int) -> str:
    config = entry.get("config")
    name = config.get("name") if type(config) is dict else None
    if type(name) is str and _NAME.match(name):
        return name
    return f"#{index + 1}"


def _check_class(entry: Any, index: int,
                 nested_ok: bool = False) -> tuple[str, str, dict[str, Any]]:
    """The (class, name, config) of one layer entry, if it is a standard layer.

    With ``nested_ok``, a Keras Sequential or functional model one level down (a frozen base
    inside a transfer model) passes too, to be spliced into the chain by :func:`_splice`.
    """
    if type(entry) is not dict:
        raise ModelRejected(f"your model's layer #{index + 1} could not be read")
    kind = entry.get("class_name")
    name = _layer_name(entry, index)
    if type(kind) is not str:
        raise ModelRejected(f"your model's layer '{name}' has no readable class")
    module = entry.get("module")
    if nested_ok and kind in ("Sequential", "Functional") and type(module) is str and \
            (module == "keras" or module.startswith("keras.src.models.")) and \
            type(entry.get("config")) is dict:
        return kind, name, entry["config"]
    if kind in ("Sequential", "Functional", "Model"):
        raise ModelRejected(f"your model contains another model ('{name}', a {kind}) inside it: "
                            "the grader rebuilds flat models only; put all the layers in one "
                            "keras.Sequential (or one functional chain)")
    if kind == "Lambda":
        raise ModelRejected(f"your model uses a Lambda layer ('{name}'): the grader rebuilds "
                            f"only standard layers; use {_STANDARD} instead")
    custom = entry.get("registered_name") is not None or entry.get("module") != "keras.layers"
    if kind not in ALLOWED_LAYERS or custom:
        what = "a custom layer class" if custom else "the layer"
        raise ModelRejected(f"your model uses {what} {kind[:60]!r} ('{name}'): the grader "
                            f"rebuilds only standard layers ({', '.join(ALLOWED_LAYERS)}); "
                            f"use {_STANDARD} instead")
    config = entry.get("config")
    if type(config) is not dict:
        raise ModelRejected(f"your model's layer '{name}' ({kind}) has no readable config")
    return kind, name, config


def _read_layer(kind: str, name: str, config: dict[str, Any]) -> _Layer:
    """A standard layer's constructor arguments, from known, type-checked fields only."""
    f = _Fields(kind, name, config)
    kwargs: dict[str, Any] = {"dtype": f.dtype()}
    if kind == "InputLayer":
        shape = f.get("batch_shape")
        if type(shape) is not list or not 2 <= len(shape) <= 5 or not all(
                _is_int(d) and 1 <= d <= MAX_DIM for d in shape[1:]) or not (
                shape[0] is None or (_is_int(shape[0]) and 1 <= shape[0] <= MAX_DIM)):
            raise f.reject(f"has the input shape {_short(shape)}: give keras.Input a shape of "
                           "positive sizes, such as shape=(784,)")
        for flag in ("sparse", "ragged", "optional"):
            if config.get(flag) not in (None, False):
                raise f.reject(f"has {flag}={_short(config.get(flag))}: use a plain dense input")
        kwargs = {"batch_shape": tuple(shape), "dtype": kwargs["dtype"]}
    elif kind == "Dense":
        kwargs |= {"units": f.integer("units"), "activation": f.activation(),
                   "use_bias": f.boolean("use_bias", True)}
    elif kind == "Conv2D":
        kwargs |= {
            "filters": f.integer("filters"),
            "kernel_size": f.pair("kernel_size"),
            "strides": f.pair("strides", [1, 1]),
            "padding": f.choice("padding", ("valid", "same"), "valid"),
            "data_format": f.choice("data_format", ("channels_last", None), None),
            "dilation_rate": f.pair("dilation_rate", [1, 1]),
            "groups": f.integer("groups", 1, high=1),
            "activation": f.activation(),
            "use_bias": f.boolean("use_bias", True),
        }
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        kwargs |= {
            "pool_size": f.pair("pool_size", [2, 2]),
            "strides": f.pair("strides", None, allow_none=True),
            "padding": f.choice("padding", ("valid", "same"), "valid"),
            "data_format": f.choice("data_format", ("channels_last", None), None),
        }
    elif kind == "Flatten":
        kwargs["data_format"] = f.choice("data_format", ("channels_last", None), None)
    elif kind == "Reshape":
        target = f.get("target_shape")
        if type(target) is not list or not 1 <= len(target) <= 4 or not all(
                _is_int(d) and (d == -1 or 1 <= d <= MAX_DIM) for d in target) or \
                target.count(-1) > 1:
            raise f.reject(f"has target_shape={_short(target)}: expected positive sizes (at "
                           "most one -1)")
        kwargs["target_shape"] = tuple(target)
    elif kind == "Dropout":
        kwargs["rate"] = f.number("rate", low=0.0, high=0.999)
    elif kind == "Activation":
        kwargs["activation"] = f.activation()
    elif kind == "ReLU":
        kwargs |= {"max_value": f.optional_number("max_value", low=0.0),
                   "negative_slope": f.number("negative_slope", 0.0, low=0.0, high=1e3),
                   "threshold": f.number("threshold", 0.0)}
    elif kind == "Softmax":
        axis = f.get("axis", -1)
        if not (_is_int(axis) and -5 <= axis <= 5):
            raise f.reject(f"has axis={_short(axis)}: use the default axis=-1")
        kwargs["axis"] = axis
    elif kind == "BatchNormalization":
        axis = f.get("axis", -1)
        if type(axis) is list and len(axis) == 1:
            axis = axis[0]
        if not (_is_int(axis) and -5 <= axis <= 5):
            raise f.reject(f"has axis={_short(axis)}: use the default axis=-1")
        kwargs |= {"axis": axis, "epsilon": f.number("epsilon", 1e-3, low=1e-12, high=10.0),
                   "center": f.boolean("center", True), "scale": f.boolean("scale", True)}
        f.get("synchronized")  # only how statistics are gathered across devices in training
    elif kind == "Rescaling":
        kwargs |= {"scale": f.number("scale", 1.0), "offset": f.number("offset", 0.0)}
    elif kind == "GlobalAveragePooling2D":
        kwargs |= {"data_format": f.choice("data_format", ("channels_last", None), None),
                   "keepdims": f.boolean("keepdims", False)}
    f.finish()
    return _Layer(kind, name, kwargs)


def _endpoints(value: Any, what: str) -> str:
    """The one layer name of a functional config's input_layers / output_layers."""
    if type(value) is list and len(value) == 1 and type(value[0]) is list:
        value = value[0]
    if type(value) is list and len(value) == 3 and type(value[0]) is str and value[1:] == [0, 0]:
        return value[0]
    raise ModelRejected(f"your model has several {what} (or none the grader can read): the "
                        "grader rebuilds models with one input and one output")


#: Call arguments a functional model's config records that change no prediction of the rebuilt
#: model: Keras writes ``training=False`` for Dropout and BatchNormalization (their mode while
#: the graph was built) and ``mask=None`` for Softmax and BatchNormalization; the rebuilt model
#: predicts in inference mode anyway. ``training=True`` (dropout at inference) would change them.
_NEUTRAL_CALL_ARGUMENTS = {"training": (False, None), "mask": (None,)}


def _neutral_call(kwargs: Any) -> bool:
    """Whether a layer's recorded call arguments leave its predictions as a plain call's."""
    if type(kwargs) is not dict:
        return False
    return all(key in _NEUTRAL_CALL_ARGUMENTS and any(
        value is neutral for neutral in _NEUTRAL_CALL_ARGUMENTS[key])
        for key, value in kwargs.items())


NESTED = ("Sequential", "Functional")


@dataclass
class _Graph:
    """How a functional model's layers are called, and the configs of the models nested in it."""

    nodes: Any
    nested: Any


def _splice(layers: list[tuple[str, str, dict[str, Any]]], graph: _Graph,
            keep_first_input: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """The chain with each nested model replaced by its own layers (its input dropped)."""
    flat: list[tuple[str, str, dict[str, Any]]] = []
    for position, (kind, name, stub) in enumerate(layers):
        if kind not in NESTED:
            flat.append((kind, name, stub))
            continue
        config = graph.nested.get(stub.get("name")) if type(graph.nested) is dict else None
        if type(config) is not dict:
            raise ModelRejected(f"the grader could not read the model '{name}' nested in yours")
        inner = (_sequential_layers(config, graph, nested=True) if kind == "Sequential"
                 else _functional_chain(config, graph, prefix=f"{stub['name']}/"))
        flat.extend(inner if position == 0 and keep_first_input else inner[1:])
    if len(flat) > MAX_LAYERS:
        raise ModelRejected(f"your model has {len(flat)} layers: the grader rebuilds at most "
                            f"{MAX_LAYERS}")
    return flat


def _functional_chain(config: dict[str, Any], graph: _Graph,
                      prefix: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    """The layers of a functional model that is a simple chain, input first.

    ``prefix``: the name of the model this one is nested in (its nodes are keyed by it); a
    nested model may not hold another.
    """
    nodes = graph.nodes
    if type(nodes) is not dict:
        raise ModelRejected("the grader could not read how your model's layers are connected")
    entries = config.get("layers")
    if type(entries) is not list or not entries:
        raise ModelRejected("your model has no layers the grader can read")
    if len(entries) > MAX_LAYERS:
        raise ModelRejected(f"your model has {len(entries)} layers: the grader rebuilds at most "
                            f"{MAX_LAYERS}")
    by_name: dict[str, tuple[str, str, dict[str, Any]]] = {}
    parent: dict[str, str] = {}
    for index, entry in enumerate(entries):
        kind, name, layer_config = _check_class(entry, index, nested_ok=not prefix)
        if type(entry.get("name")) is str:
            name = entry["name"] if _NAME.match(entry["name"]) else name
        if name in by_name:
            raise ModelRejected(f"your model has two layers named '{name}'")
        by_name[name] = (kind, name, layer_config)
        calls = nodes.get(prefix + name)
        if kind == "InputLayer":
            if calls not in ([], None):
                raise ModelRejected(f"your model's input '{name}' could not be read")
            continue
        if type(calls) is not list or len(calls) != 1:
            raise ModelRejected(f"your model calls layer '{name}' ({kind}) {_times(calls)}: the "
                                "grader rebuilds a simple chain, each layer called once on the "
                                "previous layer's output")
        call = calls[0] if type(calls[0]) is dict else {}
        sources = call.get("sources")
        source = sources[0] if type(sources) is list and len(sources) == 1 else None
        if type(source) is not str or not _neutral_call(call.get("kwargs")):
            raise ModelRejected(f"your model's layer '{name}' ({kind}) is not called on exactly "
                                "one previous layer's output: the grader rebuilds a simple "
                                "chain (no branches, merges or extra call arguments)")
        parent[name] = source
    first = _endpoints(config.get("input_layers"), "inputs")
    last = _endpoints(config.get("output_layers"), "outputs")
    chain = [last]
    while chain[-1] != first:
        if chain[-1] not in parent or len(chain) > len(by_name):
            raise ModelRejected("your model's layers do not form a simple chain from its input "
                                "to its output: the grader rebuilds only such chains")
        chain.append(parent[chain[-1]])
    if len(chain) != len(by_name) or any(n not in by_name for n in chain):
        raise ModelRejected("your model has layers outside the chain from its input to its "
                            "output (branches or unused layers): the grader rebuilds a simple "
                            "chain only")
    if by_name[first][0] != "InputLayer":
        raise ModelRejected("your model's input could not be read")
    return _splice([by_name[name] for name in reversed(chain)], graph, keep_first_input=False)


def _sequential_layers(config: dict[str, Any], graph: _Graph,
                       nested: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    entries = config.get("layers")
    if type(entries) is not list or not entries:
        raise ModelRejected("your model has no layers the grader can read")
    if len(entries) > MAX_LAYERS:
        raise ModelRejected(f"your model has {len(entries)} layers: the grader rebuilds at most "
                            f"{MAX_LAYERS}")
    layers = [_check_class(entry, index, nested_ok=not nested)
              for index, entry in enumerate(entries)]
    if not nested:  # Sequential([base, head]): the base's input is the model's
        layers = _splice(layers, graph, keep_first_input=True)
    if layers[0][0] != "InputLayer":
        shape = config.get("build_input_shape")
        if type(shape) is not list:
            raise ModelRejected("your model does not know its input size: start it with "
                                "keras.Input(shape=(784,)) (or whatever the input is)")
        layers.insert(0, ("InputLayer", "input", {"batch_shape": shape}))
    if any(kind == "InputLayer" for kind, _, _ in layers[1:]):
        raise ModelRejected("your model has an input layer in the middle: keras.Input comes "
                            "first only")
    return layers


def _times(nodes: Any) -> str:
    count = len(nodes) if type(nodes) is list else 0
    return {0: "never"}.get(count, f"{count} times")


def _expected_params(layer: _Layer, shape: tuple[Any, ...]) -> int:
    """The weights a layer will create for an input of ``shape`` (before creating them)."""
    last = shape[-1] if shape and _is_int(shape[-1]) else 0
    if layer.kind == "Dense":
        return (last + 1) * layer.kwargs["units"]
    if layer.kind == "Conv2D":
        kh, kw = layer.kwargs["kernel_size"]
        return (kh * kw * last + 1) * layer.kwargs["filters"]
    if layer.kind == "BatchNormalization":
        return 4 * last
    return 0


def _as_array(value: Any) -> np.ndarray | None:
    from grader.learner.wire import Array

    if isinstance(value, Array):
        value = value.array
    if type(value) is np.ndarray and value.dtype.kind == "f":
        return value
    return None


def rebuild_model(description: Any) -> Any:
    """A new ``keras.Model`` from :func:`describe_model`'s data, or :class:`ModelRejected`.

    Runs in the trusted process. Only Sequential models and functional models that are a simple
    chain of layers from :data:`ALLOWED_LAYERS` are rebuilt, from known fields only; the weights
    must match the rebuilt layers' weights in number and shape.
    """
    if type(description) is not dict:
        raise ModelRejected("the grader could not read your model")
    cls, module = description.get("class"), description.get("module")
    config = description.get("config")
    if cls not in ("Sequential", "Functional") or type(module) is not str or \
            not module.startswith("keras."):
        name = cls if type(cls) is str else "something else"
        raise ModelRejected(f"your model is a {name[:60]}, not a keras.Sequential or a "
                            "functional keras.Model(inputs, outputs): the grader rebuilds only "
                            "those (a subclass of keras.Model cannot be rebuilt from its config)")
    if type(config) is not dict:
        raise ModelRejected("the grader could not read your model's config")
    graph = _Graph(description.get("nodes"), description.get("nested"))
    entries = (_sequential_layers(config, graph) if cls == "Sequential"
               else _functional_chain(config, graph))
    layers = [_read_layer(kind, name, layer_config) for kind, name, layer_config in entries]
    weights = description.get("weights")
    if type(weights) is not list:
        raise ModelRejected(f"the grader could not read your model's weights ({_short(weights)})")
    arrays = [_as_array(w) for w in weights]
    if any(a is None for a in arrays):
        raise ModelRejected("your model's weights are not all float arrays")
    return _build(layers, arrays)


def _build(layers: list[_Layer], arrays: list[np.ndarray]) -> Any:
    keras = quiet_keras()

    x = inputs = keras.Input(**layers[0].kwargs)
    params = 0
    built = []
    for layer in layers[1:]:
        params += _expected_params(layer, tuple(x.shape))
        if params > MAX_PARAMS:
            raise ModelRejected(f"your model has more than {MAX_PARAMS:,} weights (at layer "
                                f"'{layer.name}'): the grader rebuilds smaller models only")
        keras_layer = getattr(keras.layers, layer.kind)(**layer.kwargs)
        try:
            x = keras_layer(x)
        except Exception as exc:
            raise ModelRejected(f"your model's layer '{layer.name}' ({layer.kind}) cannot take "
                                f"an input of shape {tuple(x.shape)}: {str(exc)[:200]}") from None
        values = math.prod(d for d in x.shape[1:] if d is not None)
        if values > MAX_VALUES_PER_EXAMPLE:
            raise ModelRejected(f"your model's layer '{layer.name}' outputs {values:,} values "
                                "per image: the grader rebuilds smaller models only")
        built.append((layer, keras_layer))
    model = keras.Model(inputs, x)
    expected = [(layer, tuple(w.shape)) for layer, k in built for w in k.weights]
    if len(arrays) != len(expected):
        raise ModelRejected(f"your model sent {len(arrays)} weight arrays, but its layers have "
                            f"{len(expected)}: the weights do not match the layers")
    for index, ((layer, shape), array) in enumerate(zip(expected, arrays, strict=True)):
        if tuple(array.shape) != shape:
            raise ModelRejected(f"weight array #{index + 1} of your model has shape "
                                f"{tuple(array.shape)}, but layer '{layer.name}' ({layer.kind}) "
                                f"needs {shape}: the weights do not match the layers")
    model.set_weights(arrays)
    return model


def held_out_accuracy(model: Any, images: np.ndarray, labels: np.ndarray,
                      batch_size: int = 250) -> float:
    """The fraction of ``images`` whose largest output is at its label (trusted process)."""
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels)
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError("images and labels must be non-empty and of equal length")
    correct = 0
    for start in range(0, len(images), batch_size):
        outputs = np.asarray(model(images[start:start + batch_size], training=False))
        outputs = outputs.reshape(len(outputs), -1)
        correct += int(np.sum(np.argmax(outputs, axis=1) == labels[start:start + batch_size]))
    return correct / len(images)
