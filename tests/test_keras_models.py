"""grader.keras_models: describe a model (learner side), rebuild it safely (trusted side).

Descriptions travel through the real wire format here (to_plain → to_wire → JSON → from_wire), as
they do from a learner process, so the rebuild sees exactly what a check would see.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from grader.keras_models import (  # noqa: E402
    MAX_PARAMS,
    ModelRejected,
    describe_model,
    held_out_accuracy,
    rebuild_model,
)
from grader.learner import wire  # noqa: E402
from grader.learner.plain import to_plain  # noqa: E402

L = keras.layers


def over_the_wire(model) -> dict:
    """What a check receives when a probe returns describe_model(model)."""
    data = wire.to_wire(to_plain(describe_model(model)))
    return wire.from_wire(json.loads(json.dumps(data)))


def randomize(model, seed: int = 0) -> None:
    """Random weights everywhere (BatchNormalization's variance kept positive)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if "variance" in w.path
                       else rng.normal(0, 0.3, w.shape).astype(np.float32)
                       for w in model.weights])


def assert_round_trip(model, x: np.ndarray) -> None:
    randomize(model)
    rebuilt = rebuild_model(over_the_wire(model))
    assert rebuilt is not model
    np.testing.assert_allclose(np.asarray(rebuilt(x, training=False)),
                               np.asarray(model(x, training=False)), rtol=1e-5, atol=1e-5)


def rejection(description) -> str:
    with pytest.raises(ModelRejected) as caught:
        rebuild_model(description)
    return str(caught.value)


@pytest.fixture(scope="module")
def dense_model():
    model = keras.Sequential([keras.Input(shape=(20,)), L.Dense(16, activation="relu"),
                              L.Dropout(0.3), L.Dense(8, activation="tanh"), L.Dense(5)])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    randomize(model)
    return model


def x_of(shape, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# -- round trips -------------------------------------------------------------------------------


def test_sequential_dense_round_trip(dense_model):
    assert_round_trip(dense_model, x_of((7, 20)))


def test_functional_dense_chain_round_trip():
    inputs = keras.Input(shape=(20,))
    h = L.Dense(12)(inputs)
    h = L.ReLU()(h)
    h = L.Dense(6, use_bias=False)(h)
    h = L.Activation("gelu")(h)
    h = L.Dense(4)(h)
    outputs = L.Softmax()(h)
    assert_round_trip(keras.Model(inputs, outputs), x_of((5, 20)))


def test_sequential_conv_round_trip():
    model = keras.Sequential([
        keras.Input(shape=(64,)), L.Rescaling(0.5, offset=0.1), L.Reshape((8, 8, 1)),
        L.Conv2D(4, 3, padding="same", activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(), L.Conv2D(6, (2, 2), strides=1, activation="elu"),
        L.AveragePooling2D(pool_size=2, padding="same"), L.Flatten(), L.Dense(3, "softmax"),
    ])
    assert_round_trip(model, x_of((4, 64)))


def test_functional_conv_chain_round_trip():
    inputs = keras.Input(shape=(10, 10, 2))
    h = L.Conv2D(5, 3, activation="swish")(inputs)
    h = L.ReLU(negative_slope=0.1, max_value=3.0)(h)
    h = L.GlobalAveragePooling2D()(h)
    outputs = L.Dense(3, activation="leaky_relu")(h)
    assert_round_trip(keras.Model(inputs, outputs), x_of((2, 10, 10, 2)))


def test_sequential_without_input_built_by_build():
    model = keras.Sequential([L.Dense(6, activation="sigmoid"), L.Dense(2)])
    model.build((None, 9))
    assert_round_trip(model, x_of((3, 9)))


def test_tensorflow_functions_as_activations():
    import tensorflow as tf

    model = keras.Sequential([keras.Input(shape=(5,)), L.Dense(4, activation=tf.nn.relu),
                              L.Dense(3, activation=tf.nn.softmax)])
    assert_round_trip(model, x_of((2, 5)))


def test_held_out_accuracy_counts_argmax_hits():
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(3, use_bias=False)])
    model.set_weights([np.eye(3, dtype=np.float32)])
    rebuilt = rebuild_model(over_the_wire(model))
    images = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]
    assert held_out_accuracy(rebuilt, images, np.array([0, 1, 2, 0])) == 0.75
    assert held_out_accuracy(rebuilt, images, np.array([0, 1, 2, 2]), batch_size=3) == 1.0


# -- describe_model ----------------------------------------------------------------------------


def test_description_is_plain_data(dense_model):
    description = describe_model(dense_model)
    json.dumps({k: v for k, v in description.items() if k != "weights"})  # JSON-safe
    assert description["class"] == "Sequential"
    assert description["compiled"]
    assert description["input_shape"] == [None, 20]
    assert description["output_shape"] == [None, 5]
    assert description["loss"]["name"] == "SparseCategoricalCrossentropy"
    assert description["loss"]["from_logits"] is True
    assert description["optimizer"]["class"] == "Adam"
    assert description["optimizer"]["learning_rate"] == pytest.approx(0.01)
    assert [w.shape for w in description["weights"]] == [(20, 16), (16,), (16, 8), (8,),
                                                         (8, 5), (5,)]


def test_description_of_losses_given_by_name_or_function():
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2, activation="softmax")])
    assert describe_model(model)["loss"] is None
    assert describe_model(model)["optimizer"] is None
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert describe_model(model)["loss"] == {"kind": "name",
                                             "name": "sparse_categorical_crossentropy",
                                             "from_logits": None}
    model.compile(optimizer="sgd", loss=keras.losses.sparse_categorical_crossentropy)
    loss = describe_model(model)["loss"]
    assert loss["kind"] == "function" and loss["name"] == "sparse_categorical_crossentropy"


def test_description_never_fails_on_odd_objects():
    class Odd:
        def get_config(self):
            return {"a": object(), "b": (1, 2.5, "x", None), 3: "dropped"}

        @property
        def compiled(self):
            raise RuntimeError("no")

    for thing in (None, 42, "model", Odd()):
        description = describe_model(thing)
        assert isinstance(description, dict)
        json.dumps({k: v for k, v in description.items() if k != "weights"})
    odd = describe_model(Odd())
    assert odd["class"].endswith("Odd")
    assert odd["config"] == {"a": "object", "b": [1, 2.5, "x", None]}
    assert odd["compiled"] is False


# -- rejections --------------------------------------------------------------------------------


def test_lambda_layer_is_rejected():
    model = keras.Sequential([keras.Input(shape=(4,)), L.Lambda(lambda t: t * 2), L.Dense(2)])
    message = rejection(over_the_wire(model))
    assert "Lambda layer" in message and "standard layers" in message and "Dense" in message


def test_custom_layer_class_is_rejected():
    class Doubler(L.Layer):
        def call(self, inputs):
            return inputs * 2

    model = keras.Sequential([keras.Input(shape=(4,)), Doubler(), L.Dense(2)])
    message = rejection(over_the_wire(model))
    assert "custom layer class 'Doubler'" in message


def test_layer_outside_the_allow_list_is_rejected():
    model = keras.Sequential([keras.Input(shape=(4,)), L.LayerNormalization(), L.Dense(2)])
    assert "'LayerNormalization'" in rejection(over_the_wire(model))


@pytest.mark.parametrize("activation", ["named", "lambda", "unknown name"])
def test_custom_activation_is_rejected(activation):
    def my_relu(t):
        return keras.ops.maximum(t, 0.0)

    chosen = {"named": my_relu, "lambda": lambda t: t, "unknown name": "selu"}[activation]
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, activation=chosen)])
    message = rejection(over_the_wire(model))
    assert "layer 'dense" in message and "activation" in message
    assert "relu" in message  # the allowed ones are listed


def _base_and_extractor():
    inputs = keras.Input(shape=(8, 8, 1))
    x = L.Conv2D(3, 3, padding="same", name="c1")(inputs)
    x = L.BatchNormalization(name="bn")(x)
    x = L.ReLU()(L.MaxPooling2D()(x))
    features = L.Dense(6, activation="relu", name="features")(L.Flatten()(x))
    base = keras.Model(inputs, L.Dense(10, name="logits")(features))
    randomize(base)
    return base, keras.Model(base.input, features)


def test_a_model_nested_one_level_is_spliced_into_the_chain():
    """Lesson 7's transfer models: a frozen extractor inside a Sequential or functional model."""
    base, extractor = _base_and_extractor()
    extractor.trainable = False
    x = x_of((5, 8, 8, 1))
    assert_round_trip(keras.Sequential([extractor, L.Dense(4)]), x)
    assert_round_trip(keras.Sequential([keras.Input(shape=(8, 8, 1)), extractor, L.Dense(4)]), x)
    inputs = keras.Input(shape=(8, 8, 1))
    assert_round_trip(keras.Model(inputs, L.Dense(4)(extractor(inputs, training=False))), x)
    assert_round_trip(keras.Sequential([*base.layers[:-1], L.Dense(4)]), x)
    layers = keras.Sequential(base.layers[:-1])  # the base's own layers, nested
    assert_round_trip(keras.Sequential([keras.Input(shape=(8, 8, 1)), layers, L.Dense(4)]), x)
    flat = rebuild_model(over_the_wire(keras.Sequential([extractor, L.Dense(4)])))
    assert [type(layer).__name__ for layer in flat.layers] == [
        "InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D", "ReLU", "Flatten", "Dense",
        "Dense"]


def test_a_model_nested_two_levels_is_rejected():
    inner = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3)])
    middle = keras.Sequential([keras.Input(shape=(4,)), inner, L.Dense(3)])
    model = keras.Sequential([keras.Input(shape=(4,)), middle, L.Dense(2)])
    assert "another model" in rejection(over_the_wire(model))


def test_a_nested_model_called_in_training_mode_is_rejected():
    _, extractor = _base_and_extractor()
    inputs = keras.Input(shape=(8, 8, 1))
    model = keras.Model(inputs, L.Dense(4)(extractor(inputs, training=True)))
    assert "extra call arguments" in rejection(over_the_wire(model))


def test_subclassed_model_is_rejected():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    net = Net()
    net(np.zeros((1, 3), np.float32))
    message = rejection(over_the_wire(net))
    assert "Net" in message and "keras.Sequential" in message


def test_branching_functional_model_is_rejected():
    inputs = keras.Input(shape=(4,))
    a, b = L.Dense(3)(inputs), L.Dense(3)(inputs)
    model = keras.Model(inputs, L.Add()([a, b]))
    assert "Add" in rejection(over_the_wire(model))
    model = keras.Model(inputs, L.Dense(2)(a))  # b left dangling is not part of this model
    rebuild_model(over_the_wire(model))


def test_operations_inside_a_functional_model_are_rejected():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, L.Dense(2)(inputs * 2.0))
    assert "standard layers" in rejection(over_the_wire(model))


def test_mismatched_weights_are_rejected(dense_model):
    description = over_the_wire(dense_model)
    fewer = {**description, "weights": description["weights"][:-1]}
    assert "sent 5 weight arrays, but its layers have 6" in rejection(fewer)
    reshaped = copy.deepcopy(description)
    reshaped["weights"][0] = np.zeros((20, 17), np.float32)
    message = rejection(reshaped)
    assert "(20, 17)" in message and "(20, 16)" in message and "'dense" in message
    not_arrays = {**description, "weights": ["weights"] * 6}
    assert "not all float arrays" in rejection(not_arrays)


def _dense_description(units, **extra) -> dict:
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3)])
    description = over_the_wire(model)
    layer = description["config"]["layers"][1]["config"]
    layer["units"] = units
    layer.update(extra)
    return description


def test_oversized_and_odd_configs_are_rejected():
    assert "units=100000000" in rejection(_dense_description(10**8))
    assert "units='3'" in rejection(_dense_description("3"))
    assert "units=True" in rejection(_dense_description(True))
    message = rejection(_dense_description(60_000))  # 4 × 60,000 weights: allowed by size ...
    assert "weight arrays" in message or "shape" in message  # ... but not the weights sent
    wide = over_the_wire(keras.Sequential([keras.Input(shape=(5000,)), L.Dense(3)]))
    wide["config"]["layers"][1]["config"]["units"] = 60_000  # 300 million weights
    assert f"more than {MAX_PARAMS:,} weights" in rejection(wide)
    assert "does not know, surprise=3" in rejection(_dense_description(3, surprise=3))
    rebuild_model(_dense_description(3, surprise=None))  # a setting left off is harmless
    assert "activation" in rejection(_dense_description(3, activation={"evil": "code"}))
    for odd in (None, [], "model", {"class": "Sequential"},
                {"class": "Sequential", "module": "keras.src.models", "config": {"layers": 3}}):
        assert rejection(odd)
    bad_shape = over_the_wire(keras.Sequential([keras.Input(shape=(4,)), L.Dense(3)]))
    bad_shape["config"]["layers"][0]["config"]["batch_shape"] = [None, -4]
    assert "input shape" in rejection(bad_shape)
    deep = over_the_wire(keras.Sequential([keras.Input(shape=(2,)),
                                           *[L.Dense(2) for _ in range(70)]]))
    assert "at most 64" in rejection(deep)


def test_unknown_batch_normalization_mode_is_rejected():
    model = keras.Sequential([keras.Input(shape=(4,)), L.BatchNormalization()])
    description = over_the_wire(model)
    description["config"]["layers"][1]["config"]["renorm"] = True
    assert "renorm=True" in rejection(description)


def test_model_without_input_size_is_rejected():
    model = keras.Sequential([L.Dense(3), L.Dense(2)])
    assert "keras.Input(shape=(784,))" in rejection(over_the_wire(model))


def test_extra_call_arguments_are_rejected():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, L.Dense(2)(L.Dropout(0.5)(inputs, training=True)))
    assert "extra call arguments" in rejection(over_the_wire(model))


# -- every layer of the allow-list, as learners write it: Sequential and functional ------------

#: For each allowed layer: an input shape and the layer (InputLayer begins every model).
EVERY_LAYER = {
    "Dense": ((6,), lambda: L.Dense(4, activation="relu")),
    "Conv2D": ((6, 6, 2), lambda: L.Conv2D(3, 3, padding="same", activation="relu")),
    "MaxPooling2D": ((6, 6, 2), lambda: L.MaxPooling2D()),
    "AveragePooling2D": ((6, 6, 2), lambda: L.AveragePooling2D(2)),
    "Flatten": ((3, 4), lambda: L.Flatten()),
    "Reshape": ((12,), lambda: L.Reshape((3, 4))),
    "Dropout": ((6,), lambda: L.Dropout(0.5)),
    "Activation": ((6,), lambda: L.Activation("tanh")),
    "ReLU": ((6,), lambda: L.ReLU(max_value=2.0)),
    "Softmax": ((6,), lambda: L.Softmax()),
    "BatchNormalization": ((6,), lambda: L.BatchNormalization()),
    "Rescaling": ((6,), lambda: L.Rescaling(1 / 255)),
    "GlobalAveragePooling2D": ((6, 6, 2), lambda: L.GlobalAveragePooling2D()),
}


def test_every_allowed_layer_is_in_the_table():
    from grader.keras_models import ALLOWED_LAYERS

    assert set(ALLOWED_LAYERS) - {"InputLayer"} == set(EVERY_LAYER)


@pytest.mark.parametrize("form", ["sequential", "functional"])
@pytest.mark.parametrize("kind", sorted(EVERY_LAYER))
def test_every_allowed_layer_round_trips_after_training(kind, form):
    """Input → the layer → Flatten → Dense, compiled and fitted as a learner would, then
    rebuilt: the same predictions (training-only layers in inference mode)."""
    shape, make = EVERY_LAYER[kind]
    if form == "sequential":
        model = keras.Sequential([keras.Input(shape=shape), make(), L.Flatten(), L.Dense(3)])
    else:
        inputs = keras.Input(shape=shape)
        h = make()(inputs)
        h = L.Flatten()(h)
        model = keras.Model(inputs, L.Dense(3)(h))
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = x_of((16, *shape))
    model.fit(x, np.arange(16) % 3, epochs=1, batch_size=8, verbose=0)
    assert_round_trip(model, x)


def test_functional_model_with_dropout_and_batch_normalization_round_trips():
    """The issue's model: keras.Input → Dense → Dropout → BatchNormalization → Dense."""
    inputs = keras.Input(shape=(784,))
    h = L.Dense(32, activation="relu")(inputs)
    h = L.Dropout(0.2)(h)
    h = L.BatchNormalization()(h)
    model = keras.Model(inputs, L.Dense(10)(h))
    assert_round_trip(model, x_of((5, 784)))
