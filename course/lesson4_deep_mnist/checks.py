"""Deep MNIST: a multi-layer perceptron.

Checks for ``exercises/lesson4_deep_mnist.py``: ``init_params``, ``dense``, ``mlp_logits`` and
``train_mlp``. Every expected value is computed here, in float64 numpy, from inputs chosen here;
the held-out accuracy is computed here from the params ``train_mlp`` returns, and the held-out
labels never leave this process.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from grader.check import check
from grader.data.mnist import grading_split
from grader.expect import describe, expect_array, expect_close, expect_number, fail, measure
from grader.learner.wire import Array

PROBES = "lesson4_deep_mnist"

# The training budget: 1000 steps of 100 images (12.5 epochs of the 8,000 grading images) with
# the 2016 network shape of lesson 5 (hidden_units=[128, 32]). See notes.md.
HIDDEN_UNITS = [128, 32]
STEPS = 1000
BATCH_SIZE = 100
LEARNING_RATE = 0.3
# Calibrated with benchmarks/calibrate_lesson4.py (table in notes.md): over 20 seeds the
# reference reaches 0.9555 to 0.9675; the best linear model (no hidden layer) at most 0.9365.
ACCURACY_THRESHOLD = 0.945
TRAIN_TIMEOUT_S = 120

# Initial weights: standard deviation × sqrt(fan_in) must lie in this band. He gives sqrt(2),
# Glorot 0.6 to 1.4, truncated normal with stddev 0.1 as in 2016 gives 0.09·sqrt(fan_in)
# (2.5 for 784 inputs); stddev 1 gives 28 for 784 inputs, and every pre-activation explodes.
RELATIVE_SCALE = (0.1, 3.0)
MAX_INITIAL_BIAS = 0.5

FD_STEP = 1e-2


def prepare() -> None:
    """Load the grading split before any check runs: missing MNIST stops grading with its fix."""
    grading_split()


def _layers(sizes: list[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(sizes))


def _forward(x: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]], *,
             hidden: str = "relu", output: str = "linear") -> np.ndarray:
    """The MLP's output in float64: ``hidden`` on the hidden layers, ``output`` on the last."""
    a = np.asarray(x, dtype=np.float64)
    for index, (W, b) in enumerate(params):
        a = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        kind = output if index == len(params) - 1 else hidden
        if kind == "relu":
            a = np.maximum(a, 0.0)
        elif kind == "softmax":
            e = np.exp(a - a.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
    return a


def _pre_activations(x: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Which hidden units are active, for every example: the ReLU pattern."""
    a, pattern = np.asarray(x, np.float64), []
    for W, b in params[:-1]:
        z = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        pattern.append((z > 0).reshape(-1))
        a = np.maximum(z, 0.0)
    return np.concatenate(pattern) if pattern else np.zeros(0, bool)


def _loss(x: np.ndarray, labels: np.ndarray, params: list) -> float:
    logits = _forward(x, params)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def _gradients(x: np.ndarray, labels: np.ndarray,
               params: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, ...]]:
    """Backpropagation in float64 of the mean softmax cross-entropy of the ReLU MLP."""
    activations, a = [np.asarray(x, np.float64)], np.asarray(x, np.float64)
    for index, (W, b) in enumerate(params):
        a = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        if index < len(params) - 1:
            a = np.maximum(a, 0.0)
        activations.append(a)
    logits = activations[-1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    delta = e / e.sum(axis=1, keepdims=True)
    delta[np.arange(len(labels)), labels] -= 1.0
    delta /= len(labels)
    grads: list[tuple[np.ndarray, ...]] = []
    for index in range(len(params) - 1, -1, -1):
        grads.append((activations[index].T @ delta, delta.sum(axis=0)))
        if index:
            delta = (delta @ np.asarray(params[index][0], np.float64).T) * (activations[index] > 0)
    return grads[::-1]


def _random_params(rng: np.random.Generator, sizes: list[int], scale: float = 1.0,
                   bias: float = 0.2) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-scaled weights and biases of both signs, so ReLUs and negative logits both occur."""
    return [
        ((rng.normal(0.0, scale * np.sqrt(2.0 / fan_in), (fan_in, fan_out))).astype(np.float32),
         rng.normal(0.0, bias, fan_out).astype(np.float32))
        for fan_in, fan_out in _layers(sizes)
    ]


def _layer_name(index: int, count: int) -> str:
    return "the output layer" if index == count - 1 else f"layer {index + 1}"


PARAM_KINDS = ("tf.Variable", "tf.Tensor", "ndarray")


def _expect_params(value: Any, sizes: list[int], *, label: str,
                   kinds: tuple[str, ...] = PARAM_KINDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """A list of (W, b) pairs for the layer sizes; each W (inputs, outputs), each b (outputs,)."""
    layers = _layers(sizes)
    if type(value) not in (list, tuple):
        fail(f"{label} should return a list of (W, b) pairs, got {describe(value)}")
    if len(value) != len(layers):
        hidden = len(layers) - 1
        fail(f"{label} should return {len(layers)} (W, b) pairs for the layer sizes {sizes} "
             f"({hidden} hidden layer{'s' if hidden != 1 else ''} and the output layer), got "
             f"{len(value)}")
    params = []
    for index, (pair, (fan_in, fan_out)) in enumerate(zip(value, layers, strict=True)):
        name = _layer_name(index, len(layers))
        if type(pair) not in (list, tuple) or len(pair) != 2:
            fail(f"{label}: item {index} ({name}) should be a pair (W, b), got {describe(pair)}")
        W, b = pair
        if isinstance(W, Array) and W.shape == (fan_out, fan_in) and fan_in != fan_out:
            fail(f"{label}: expected W of {name} of shape {(fan_in, fan_out)}, got "
                 f"{W.shape}: W maps inputs to outputs, x @ W, so its shape is (inputs, outputs)")
        if isinstance(b, Array) and b.shape in ((1, fan_out), (fan_out, 1)):
            fail(f"{label}: expected b of {name} of shape ({fan_out},), got {b.shape}: one "
                 "bias per output unit, a 1-D vector")
        params.append((
            expect_array(W, label=f"{label}: W of {name}", kinds=kinds,
                         shape=(fan_in, fan_out), dtype="float32"),
            expect_array(b, label=f"{label}: b of {name}", kinds=kinds,
                         shape=(fan_out,), dtype="float32"),
        ))
    return params


# -- init_params -------------------------------------------------------------------------------

def _init_params(learner, seed: int, sizes: list[int], seeds: list[int]) -> list[Any]:
    return learner.run(f"{PROBES}:init_params", label=f"init_params({sizes}, seed)", seed=seed,
                       sizes=sizes, seeds=seeds)


@check(
    "init_params returns one (W, b) pair of tf.Variables per layer, W of shape (in, out)",
    points=2,
    hint="Loop over consecutive sizes (fan_in, fan_out) = zip(sizes[:-1], sizes[1:]) and append "
    "(tf.Variable(W), tf.Variable(b)) with W of shape [fan_in, fan_out] and b of shape "
    "[fan_out], both float32.",
    grades="init_params",
)
def test_init_params_shapes(learner, seed):
    for sizes in ([784, 128, 32, 10], [20, 7]):
        (params,) = _init_params(learner, seed, sizes, [1])
        _expect_params(params, sizes, label=f"init_params({sizes}, seed=1)",
                       kinds=("tf.Variable",))


@check(
    "init_params starts from small random weights and small biases",
    points=2,
    hint="Draw W at random with mean 0 and a scale that shrinks with the number of inputs: "
    "stddev sqrt(2 / fan_in) (He), Glorot, or a truncated normal with stddev 0.1 as in 2016. "
    "Zeros (or any constant) make every hidden unit identical; tf.random.normal without a "
    "stddev (1.0) makes the activations explode. Start b at zero or a small constant like 0.1.",
    grades="init_params",
)
def test_init_params_statistics(learner, seed):
    sizes = [784, 128, 32, 10]
    (value,) = _init_params(learner, seed, sizes, [3])
    params = _expect_params(value, sizes, label=f"init_params({sizes}, seed=3)")
    for index, ((W, b), (fan_in, fan_out)) in enumerate(zip(params, _layers(sizes), strict=True)):
        name = f"W of {_layer_name(index, len(params))} ({fan_in} → {fan_out})"
        W64 = W.astype(np.float64)
        if not np.all(np.isfinite(W64)) or not np.all(np.isfinite(b)):
            fail(f"init_params: {name} or its bias holds NaN or infinity")
        if np.ptp(W64) == 0:
            fail(f"init_params: every entry of {name} is {W64.flat[0]:.6g}: with equal weights "
                 "every hidden unit computes the same thing and gets the same gradient, so they "
                 "stay identical forever (symmetry). Draw W at random.")
        std, mean = float(W64.std()), float(W64.mean())
        if abs(mean) > 0.3 * std:
            fail(f"init_params: {name} has mean {mean:.4g} and standard deviation {std:.4g}: "
                 "random weights should be centred on 0 (a uniform draw with the default range "
                 "takes values in [0, 1); use a normal or a range around 0)")
        relative = std * np.sqrt(fan_in)
        low, high = RELATIVE_SCALE
        he = np.sqrt(2.0 / fan_in)
        if relative > high:
            fail(f"init_params: {name} has standard deviation {std:.3g}, too large for "
                 f"{fan_in} inputs: the pre-activations come out about {relative:.0f} times "
                 f"larger than the inputs and grow layer by layer. Use a scale like "
                 f"sqrt(2 / {fan_in}) = {he:.3g} (He), Glorot, or stddev 0.1 as in 2016.")
        if relative < low:
            fail(f"init_params: {name} has standard deviation {std:.3g}, too small for "
                 f"{fan_in} inputs: the signal fades layer by layer and so do the gradients. "
                 f"Use a scale like sqrt(2 / {fan_in}) = {he:.3g} (He), Glorot, or stddev 0.1.")
        largest = float(np.max(np.abs(b)))
        if largest > MAX_INITIAL_BIAS:
            fail(f"init_params: the bias of {_layer_name(index, len(params))} holds "
                 f"{largest:.3g}: start biases at zero or a small constant such as 0.1")


@check(
    "init_params respects its seed: the same seed gives the same params, another seed others",
    points=2,
    hint="Make the randomness depend only on `seed`: a stateless op such as "
    "tf.random.stateless_truncated_normal(shape, seed=[seed, layer]), a Keras initializer "
    "created with seed=seed + layer, or tf.random.Generator.from_seed(seed). An op-level "
    "seed (tf.random.normal(..., seed=seed)) gives new values on every call.",
    grades="init_params",
)
def test_init_params_seed(learner, seed):
    sizes = [30, 20, 10]
    label = f"init_params({sizes}, seed)"
    first = [_expect_params(v, sizes, label=label) for v in
             _init_params(learner, seed, sizes, [7, 7, 8])]
    (later,) = _init_params(learner, seed + 1, sizes, [7])
    again = _expect_params(later, sizes, label=label)

    def same(a: list, b: list) -> bool:
        return all(np.array_equal(x, y) for pa, pb in zip(a, b, strict=True)
                   for x, y in zip(pa, pb, strict=True))

    if not same(first[0], first[1]):
        fail("init_params(sizes, seed=7) returned different weights on two calls in a row: the "
             "weights must depend on the seed argument only. Draws from the global random "
             "state, or with an op-level seed (tf.random.normal(..., seed=seed)), change on "
             "every call; a stateless op with seed=[seed, layer] does not")
    if not same(first[0], again):
        fail("init_params(sizes, seed=7) returned different weights after other random numbers "
             "were drawn: the params must depend on the seed argument only, not on the global "
             "random state")
    if all(np.array_equal(first[0][i][0], first[2][i][0]) for i in range(len(first[0]))):
        fail("init_params(sizes, seed=7) and init_params(sizes, seed=8) returned the same "
             "weights: use the seed argument to draw them")


# -- dense ------------------------------------------------------------------------------------

def _dense(learner, rng, seed, activation: str | None) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(0.0, 1.0, (6, 9)).astype(np.float32)
    W = rng.normal(0.0, 0.5, (9, 4)).astype(np.float32)
    b = rng.normal(0.0, 0.5, 4).astype(np.float32)
    call = "dense(x, W, b)" if activation is None else \
        f"dense(x, W, b, activation=tf.nn.{activation})"
    value = learner.run(f"{PROBES}:dense", label=call, seed=seed, x=x, W=W, b=b,
                        activation=activation)
    array = expect_array(value, label=f"{call} with x of shape (6, 9) and W of shape (9, 4)",
                         shape=(6, 4), dtype="float32")
    return array, x.astype(np.float64) @ W + b


@check(
    "dense(x, W, b) without an activation is x @ W + b",
    points=1,
    hint="`tf.matmul(x, W) + b`: x has one example per row, W maps its inputs to its outputs, "
    "and b broadcasts over the rows. Apply nothing when activation is None.",
    grades="dense",
)
def test_dense_without_activation(learner, rng, seed):
    got, z = _dense(learner, rng, seed, None)
    if np.allclose(got, np.maximum(z, 0.0), atol=1e-5) and not np.allclose(got, z, atol=1e-5):
        fail("dense(x, W, b) applied ReLU although no activation was given: with "
             "activation=None return x @ W + b as it is (the output layer needs that)")
    expect_close(got, z, label="dense(x, W, b)", rtol=1e-5, atol=1e-5)


@check(
    "dense(x, W, b, activation) applies the activation it is given",
    points=2,
    hint="Compute z = tf.matmul(x, W) + b and return activation(z) when activation is not "
    "None: call the function you were given, whichever it is.",
    grades="dense",
)
def test_dense_with_activation(learner, rng, seed):
    for name, function in (("relu", lambda z: np.maximum(z, 0.0)), ("tanh", np.tanh)):
        got, z = _dense(learner, rng, seed, name)
        call = f"dense(x, W, b, activation=tf.nn.{name})"
        if np.allclose(got, z, atol=1e-5):
            fail(f"{call} returned x @ W + b: it ignored the activation; return activation(z)")
        if name != "relu" and np.allclose(got, np.maximum(z, 0.0), atol=1e-5):
            fail(f"{call} applied ReLU instead of the activation it was given: return "
                 "activation(z)")
        expect_close(got, function(z), label=call, rtol=1e-5, atol=1e-5)


# -- mlp_logits -------------------------------------------------------------------------------

def _mlp_logits(learner, seed, x: np.ndarray, params: list) -> np.ndarray:
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    call = f"mlp_logits(x, params) for layer sizes {sizes}"
    value = learner.run(f"{PROBES}:mlp_logits", label=call, seed=seed, x=x, params=params)
    got = expect_array(value, label=f"{call} and x of shape {x.shape}",
                       shape=(x.shape[0], sizes[-1]), dtype="float32")
    if np.allclose(got, _forward(x, params, output="relu"), rtol=1e-4, atol=1e-4):
        fail(f"{call} went through ReLU on the output layer too: logits must be free to be "
             "negative (a ReLU there clips them to 0); apply ReLU to the hidden layers only")
    if np.allclose(got, _forward(x, params, output="softmax"), rtol=1e-4, atol=1e-4):
        fail(f"{call} returned probabilities (softmax): return the logits and let the loss "
             "apply softmax, or your logits go through softmax twice")
    if len(params) > 1 and np.allclose(got, _forward(x, params, hidden="linear"),
                                       rtol=1e-4, atol=1e-4):
        fail(f"{call} has no ReLU between the layers: without it the layers collapse into one "
             "linear map, no better than lesson 3; use dense(..., tf.nn.relu) on hidden layers")
    expect_close(got, _forward(x, params), label=call, rtol=1e-4, atol=1e-4)
    return got


@check(
    "mlp_logits: ReLU hidden layers, a linear output layer",
    points=3,
    hint="Loop over params[:-1] with x = dense(x, W, b, tf.nn.relu), then return "
    "dense(x, W, b) with the last pair and no activation.",
    grades="mlp_logits", uses=("dense",),
)
def test_mlp_logits_values(learner, rng, seed):
    x = grading_split().train_images[rng.choice(8000, 5, replace=False)]
    _mlp_logits(learner, seed, x, _random_params(rng, [784, 64, 32, 10]))


@check(
    "mlp_logits works for any number of layers",
    points=1,
    hint="Do not assume two hidden layers: loop over all pairs in params, the last one is the "
    "output layer (with a single pair there is no hidden layer at all).",
    grades="mlp_logits", uses=("dense",),
)
def test_mlp_logits_any_depth(learner, rng, seed):
    for sizes in ([12, 5], [12, 9, 8, 7, 5]):
        x = rng.normal(0.0, 1.0, (4, sizes[0])).astype(np.float32)
        _mlp_logits(learner, seed, x, _random_params(rng, sizes))


@check(
    "the gradients of a loss through mlp_logits match finite differences",
    points=2,
    hint="Stay inside TensorFlow in dense and mlp_logits (tf.matmul, tf.nn.relu; no numpy, no "
    ".numpy(), no tf.stop_gradient), so that tf.GradientTape can differentiate through them.",
    grades="mlp_logits", uses=("dense",),
)
def test_mlp_gradients(learner, rng, seed):
    sizes = [12, 9, 7, 5]
    x = rng.normal(0.0, 1.0, (6, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], 6).astype(np.int64)
    params = _random_params(rng, sizes, scale=1.5, bias=0.3)
    pattern = _pre_activations(x, params)
    reference = _gradients(x, labels, params)
    h = FD_STEP
    chosen, perturbations = [], []
    for layer, pair in enumerate(params):
        for which in (0, 1):
            picked = 0
            for index in rng.permutation(pair[which].size):
                if abs(reference[layer][which].reshape(-1)[index]) < 0.02 or picked == 2:
                    continue
                nudged = []
                for delta in (h, -h):
                    changed = [[W.copy(), b.copy()] for W, b in params]
                    changed[layer][which].reshape(-1)[index] += np.float32(delta)
                    nudged.append(_pre_activations(x, changed))
                if all(np.array_equal(p, pattern) for p in nudged):  # no ReLU kink in between
                    chosen.append((layer, which, int(index)))
                    perturbations += [(layer, which, int(index), h), (layer, which, int(index), -h)]
                    picked += 1
    answer = learner.run(f"{PROBES}:loss_and_gradients",
                         label="the cross-entropy of mlp_logits(x, params)", seed=seed,
                         x=x, labels=labels, params=params, perturbations=perturbations)
    expect_number(answer["loss"], label="the mean cross-entropy of mlp_logits(x, params)")
    losses = [expect_number(v, label="the loss with one weight changed")
              for v in answer["losses"]]
    gradients = answer["gradients"]
    for position, (layer, which, index) in enumerate(chosen):
        part = "Wb"[which]
        name = f"{part} of {_layer_name(layer, len(params))}"
        gradient = gradients[layer][which]
        if gradient is None:
            fail(f"tf.GradientTape found no gradient of the loss by {name}: the computation "
                 "left TensorFlow on the way (numpy, .numpy(), a Python float?)")
        shape = params[layer][which].shape
        tape = expect_array(gradient, label=f"the gradient by {name}", shape=shape)
        where = np.unravel_index(index, shape)
        where_text = where[0] if len(where) == 1 else tuple(int(i) for i in where)
        fd = (losses[2 * position] - losses[2 * position + 1]) / (2 * h)
        got = float(tape.reshape(-1)[index])
        if not np.isclose(got, fd, rtol=2e-2, atol=2e-3):
            fail(f"the gradient by {name} at {where_text} is wrong: the tape says {got:.5g}, "
                 f"finite differences of your mlp_logits' loss say {fd:.5g}: is part of the "
                 "computation hidden from the tape (tf.stop_gradient, numpy)?")


# -- train_mlp --------------------------------------------------------------------------------

def _train(learner, seed: int, images: np.ndarray, labels: np.ndarray, hidden_units: list[int],
           steps: int, batch_size: int, learning_rate: float) -> list:
    call = (f"train_mlp(images, labels, hidden_units={hidden_units}, steps={steps}, "
            f"batch_size={batch_size}, learning_rate={learning_rate})")
    value = learner.run(f"{PROBES}:train_mlp", label=call, seed=seed, timeout=TRAIN_TIMEOUT_S,
                        images=images, labels=labels, hidden_units=hidden_units, steps=steps,
                        batch_size=batch_size, learning_rate=learning_rate)
    return _expect_params(value, [784, *hidden_units, 10], label=call)


@check(
    "train_mlp returns params shaped by hidden_units",
    points=2,
    hint="Build the network from the arguments: init_params([784, *hidden_units, 10], seed), "
    "any number of hidden layers; return that list of (W, b) pairs.",
    grades="train_mlp", uses=("init_params", "dense", "mlp_logits"),
)
def test_train_mlp_structure(learner, rng, seed):
    split = grading_split()
    pick = rng.choice(len(split.train_images), 300, replace=False)
    _train(learner, seed, split.train_images[pick], split.train_labels[pick], [48, 24, 12],
           steps=5, batch_size=50, learning_rate=0.1)


@check(
    "train_mlp takes plain gradient-descent steps of size learning_rate",
    points=2,
    hint="Each step: the mean softmax cross-entropy of mlp_logits over the batch "
    "(tf.reduce_mean), its gradients from tf.GradientTape, then "
    "variable.assign_sub(learning_rate * gradient) for every W and b (or "
    "keras.optimizers.SGD(learning_rate)). Use the learning_rate you are given.",
    grades="train_mlp", uses=("init_params", "dense", "mlp_logits"),
)
def test_train_mlp_gradient_step(learner, rng, seed):
    # Fifty copies of one image: every batch of them has the same gradient, however the learner
    # draws its batches (shuffled once or every epoch, with or without replacement, tf.data or
    # numpy slices), so one step is predictable from its starting point alone.
    split = grading_split()
    pick = rng.choice(len(split.train_images), 1)
    images = np.repeat(split.train_images[pick], 50, axis=0)
    labels = np.repeat(split.train_labels[pick], 50)
    hidden_units, rate = [32, 16], 0.5
    sizes = [784, *hidden_units, 10]
    call = f"train_mlp(images, labels, {hidden_units}, steps=1, batch_size=50, learning_rate"
    answers = learner.run(f"{PROBES}:train_mlp_from_same_start", label=f"{call}=...)",
                          seed=seed, timeout=TRAIN_TIMEOUT_S, images=images, labels=labels,
                          hidden_units=hidden_units, learning_rates=[0.0, 0.0, rate],
                          random_seed=seed)
    start, start_again, after = (
        _expect_params(value, sizes, label=f"{call}={lr})")
        for value, lr in zip(answers, [0.0, 0.0, rate], strict=True)
    )
    if not all(np.array_equal(a, b) for pa, pb in zip(start, start_again, strict=True)
               for a, b in zip(pa, pb, strict=True)):
        fail(f"{call}=0.0) returned different params on two calls from the same random state: "
             "build the start with init_params(sizes, seed) so that training is reproducible")
    expected = [tuple(-rate * g for g in pair) for pair in _gradients(images, labels, start)]
    moved = [tuple(a.astype(np.float64) - s for a, s in zip(pa, ps, strict=True))
             for pa, ps in zip(after, start, strict=True)]
    flat_expected = np.concatenate([g.reshape(-1) for pair in expected for g in pair])
    flat_moved = np.concatenate([g.reshape(-1) for pair in moved for g in pair])
    if not np.any(flat_moved):
        fail(f"{call}={rate}) returned the same params as with learning_rate=0.0 (from the same "
             "start): use the learning_rate argument as the step size, and update every W and b "
             "in place (assign_sub)")
    ratio = float(flat_moved @ flat_expected / (flat_expected @ flat_expected))
    close = np.allclose(flat_moved, flat_expected, rtol=2e-2, atol=2e-5)
    if not close and np.allclose(flat_moved, ratio * flat_expected, rtol=5e-2, atol=2e-5):
        if np.isclose(ratio, len(images), rtol=2e-2):
            fail(f"one step of {call}={rate}) on a batch of {len(images)} images moved the "
                 f"params {ratio:.3g} times too far: the loss is the sum over the batch; take "
                 "the mean (tf.reduce_mean)")
        if np.isclose(ratio, -1.0, rtol=2e-2):
            fail(f"{call}={rate}) moved the params up the gradient: gradient descent subtracts "
                 "learning_rate * gradient (assign_sub)")
        fail(f"one step of {call}={rate}) moved the params {ratio:.3g} times as far as "
             f"learning_rate * gradient: use the learning_rate argument as the step size")
    if not close:
        fail(f"one step of {call}={rate}) on one batch of {len(images)} images did not move "
             "the params by -learning_rate times the gradient of the mean softmax "
             "cross-entropy of mlp_logits (computed here by backpropagation). Is `steps` the "
             "number of steps, is every W and b updated, and is the loss "
             "tf.nn.sparse_softmax_cross_entropy_with_logits of the logits, averaged?")


@check(
    f"train_mlp's params classify held-out MNIST digits (accuracy ≥ {ACCURACY_THRESHOLD:.1%})",
    points=4,
    hint=f"Train for `steps` steps on shuffled batches of `batch_size` images (the grader passes "
    f"hidden_units={HIDDEN_UNITS}, steps={STEPS}, batch_size={BATCH_SIZE}, "
    f"learning_rate={LEARNING_RATE}). A linear model reaches about 93 % here: check the ReLU "
    "between layers, the initial scale, that each step takes a new batch, and that the loss "
    "is the cross-entropy of the logits.",
    grades="train_mlp", depends=("init_params", "dense", "mlp_logits"),
)
def test_train_mlp_heldout_accuracy(learner, seed):
    split = grading_split()
    params = _train(learner, seed, split.train_images, split.train_labels, HIDDEN_UNITS,
                    STEPS, BATCH_SIZE, LEARNING_RATE)
    if not all(np.all(np.isfinite(a)) for pair in params for a in pair):
        fail("the params train_mlp returned hold NaN or infinity: training diverged (is the "
             "initial scale small, the loss the mean over the batch, the step learning_rate?)")
    predictions = _forward(split.test_images, params).argmax(axis=1)
    correct = int(np.sum(predictions == split.test_labels))
    accuracy = correct / len(split.test_labels)
    if not measure("held-out accuracy", accuracy, ACCURACY_THRESHOLD, at_least=True):
        fail(f"the params train_mlp returned classify {correct} of {len(split.test_labels)} "
             f"held-out images correctly ({accuracy:.1%}); at least {ACCURACY_THRESHOLD:.1%} "
             "is needed (the reference reaches about 96 %, a linear model about 93 %)")
