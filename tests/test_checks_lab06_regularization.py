"""(d) lab06's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab06_regularization as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- MyDropout -----------------------------------------------------------------------------

def make_dropout(train=None, infer=None, validate=True, config=True, same_seed=True):
    """A MyDropout variant; the defaults give a correct layer written unlike the solution.

    train(inputs, keep_mask, rate) and infer(inputs, rate) replace the two branches.
    """

    class Dropout(keras.layers.Layer):
        def __init__(self, rate, seed=None, **kwargs):
            super().__init__(**kwargs)
            if validate and (rate < 0 or rate >= 1):
                raise ValueError("bad rate")
            self.rate, self.seed = rate, seed
            self.generator = keras.random.SeedGenerator(seed if same_seed else None)

        def call(self, inputs, training=None):
            if training:
                # keep with probability 1 - rate, drawn as u < 1 - rate (the solution uses u >= rate)
                u = keras.random.uniform(tf.shape(inputs), seed=self.generator)
                keep = tf.cast(u < 1.0 - self.rate, inputs.dtype)
                if train is not None:
                    return train(inputs, keep, self.rate)
                return inputs * keep / (1.0 - self.rate)
            return inputs if infer is None else infer(inputs, self.rate)

        def get_config(self):
            base = super().get_config()
            return {**base, "rate": self.rate, "seed": self.seed} if config else base

    return Dropout


class OpsDropout(keras.layers.Layer):
    """Correct, unlike the solution: keras.ops, a helper method for the mask, float mask arithmetic.
    (Its docstring may mention keras.layers.Dropout and tf.nn.dropout: only running them counts.)"""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not (0 <= rate < 1):
            raise ValueError(f"rate must be in [0, 1), got {rate}")
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

    def _keep(self, inputs):  # unlike tf.nn.dropout, the mask is ours
        draws = keras.random.uniform(keras.ops.shape(inputs), dtype=inputs.dtype, seed=self.seed_generator)
        return keras.ops.cast(draws >= self.rate, inputs.dtype)

    def call(self, inputs, training=None):
        if training and self.rate > 0:
            return inputs * self._keep(inputs) * (1.0 / (1.0 - self.rate))
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@pytest.mark.parametrize("layer", [make_dropout(), OpsDropout])
def test_dropout_passes_correct_versions(layer, capsys):
    checks.check_my_dropout(layer)
    checks.check_my_dropout(layer, seed=1)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


class PythonCounterSeed(make_dropout()):
    """Seeds a stateless draw with a Python counter: new masks eagerly, one frozen mask once
    Keras compiles the training step."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        self.calls = getattr(self, "calls", 0) + 1
        u = tf.random.stateless_uniform(tf.shape(inputs), seed=(self.seed or 0, self.calls))
        return tf.where(u >= self.rate, inputs / (1 - self.rate), 0.0)


class NumpyMask(make_dropout()):
    """A NumPy mask needs the batch size, which fit does not know when it compiles."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        if not hasattr(self, "rng"):
            self.rng = np.random.default_rng(12345 + (self.seed or 0))
        keep = (self.rng.uniform(size=tuple(inputs.shape)) >= self.rate).astype("float32")
        return inputs * keep / (1 - self.rate)


class IntSeedMask(make_dropout()):
    """The mask uses the integer seed directly, so every call draws the same mask."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        keep = keras.random.uniform(keras.ops.shape(inputs), seed=self.seed) >= self.rate
        return keras.ops.where(keep, inputs / (1 - self.rate), 0.0)


class StaticShapeMask(make_dropout()):
    """Uses inputs.shape, which has None for the batch inside fit."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        keep = keras.random.uniform(inputs.shape, seed=self.generator) >= self.rate
        return keras.ops.where(keep, inputs / (1 - self.rate), 0.0)


class EagerOnlyDropout(make_dropout()):
    """Drops only when called eagerly, so inside fit it never drops."""

    def call(self, inputs, training=None):
        if training and tf.executing_eagerly():
            return super().call(inputs, training=True)
        return inputs


class BuiltinDropout(make_dropout()):
    def call(self, inputs, training=None):
        return keras.random.dropout(inputs, self.rate, seed=self.generator) if training else inputs


from keras.random import dropout as thin_out  # noqa: E402 - an alias the old source scan missed


class AliasedBuiltin(make_dropout()):
    def call(self, inputs, training=None):
        return thin_out(inputs, self.rate, seed=self.generator) if training else inputs


class HelperBuiltin(make_dropout()):
    """The ready-made dropout hidden in a helper method."""

    def drop(self, inputs):
        return tf.nn.dropout(inputs, rate=self.rate)

    def call(self, inputs, training=None):
        return self.drop(inputs) if training else inputs


class WrappedLayer(make_dropout()):
    def build(self, input_shape):
        self.inner = keras.layers.Dropout(self.rate, seed=self.seed)

    def call(self, inputs, training=None):
        return self.inner(inputs, training=training)


class BatchSharedMask(make_dropout()):
    """One mask of shape (units,) broadcast over the batch."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        keep = keras.random.uniform(keras.ops.shape(inputs)[-1:], seed=self.generator) >= self.rate
        return keras.ops.where(keep, inputs / (1 - self.rate), 0.0)


class WholeExamples(make_dropout()):
    """One draw per example: drops whole rows."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        shape = keras.ops.shape(inputs)
        keep = keras.random.uniform((shape[0],) + (1,) * (len(inputs.shape) - 1), seed=self.generator) >= self.rate
        return keras.ops.where(keep, inputs / (1 - self.rate), 0.0)


class TwoDimensionalOnly(make_dropout()):
    """Right for (batch, units) inputs, broken for images and vectors."""

    def call(self, inputs, training=None):
        if not training:
            return inputs
        shape = tf.shape(inputs)
        keep = keras.random.uniform((shape[0], shape[1]), seed=self.generator) >= self.rate
        return keras.ops.where(keep, inputs / (1 - self.rate), 0.0)


class SeedRequired(make_dropout()):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed, **kwargs)
        self.generator = keras.random.SeedGenerator(int(seed))


class Float64Output(make_dropout()):
    def call(self, inputs, training=None):
        return tf.cast(super().call(inputs, training=training), tf.float64)


class AssertRate(make_dropout(validate=False)):
    def __init__(self, rate, seed=None, **kwargs):
        assert 0 <= rate < 1, "bad rate"
        super().__init__(rate, seed, **kwargs)


class RejectsZero(make_dropout()):
    def __init__(self, rate, seed=None, **kwargs):
        if rate == 0:
            raise ValueError("rate must be positive")
        super().__init__(rate, seed, **kwargs)


class CallStub(make_dropout()):
    def call(self, inputs, training=None):
        raise NotImplementedError()


class ConfigStub(make_dropout()):
    def get_config(self):
        raise NotImplementedError()


@pytest.mark.parametrize("layer, message", [
    (make_dropout(train=lambda x, keep, r: x * keep), "not rescaled"),
    (make_dropout(train=lambda x, keep, r: x * keep * (1 - r)), r"multiplied by \(1 - rate\)"),
    (make_dropout(train=lambda x, keep, r: x * keep / r), "divided by rate"),
    (make_dropout(train=lambda x, keep, r: x * (1 - keep) / (1 - r)), "about 1 - rate"),
    (make_dropout(train=lambda x, keep, r: x * (1 - keep) / r), "about 1 - rate"),
    (make_dropout(train=lambda x, keep, r: x), "nothing was dropped"),
    (make_dropout(infer=lambda x, r: x * (1 - r)), "scaling during training"),
    (make_dropout(infer=lambda x, r: x / (1 - r)), "scaling during training"),
    (make_dropout(validate=False), r"MyDropout\(1.0\) was accepted: raise a ValueError"),
    (AssertRate, r"raised AssertionError: raise a ValueError"),
    (RejectsZero, r"MyDropout\(0.0\) raised ValueError: rate 0 is allowed"),
    (make_dropout(config=False), "get_config"),
    (make_dropout(same_seed=False), "same seed dropped different units"),
    (PythonCounterSeed, "same mask at every training step"),
    (NumpyMask, "batch size is unknown"),
    (IntSeedMask, "exactly the same units"),
    (StaticShapeMask, "batch size is unknown"),
    (EagerOnlyDropout, "inside model.fit MyDropout dropped nothing"),
    (BuiltinDropout, r"ready-made dropout \(keras.random.dropout\)"),
    (AliasedBuiltin, r"ready-made dropout \(keras.random.dropout\)"),
    (HelperBuiltin, r"ready-made dropout \(tf.nn.dropout\)"),
    (WrappedLayer, r"ready-made dropout \(keras.layers.Dropout\)"),
    (BatchSharedMask, "same units in every example of the batch"),
    (WholeExamples, "drops whole examples"),
    (TwoDimensionalOnly, r"MyDropout.call` raised"),
    (SeedRequired, "raised TypeError"),
    (Float64Output, "returned float64 values for float32 inputs"),
    (CallStub, "`CallStub.call` still raises NotImplementedError"),
    (ConfigStub, "`ConfigStub.get_config` still raises NotImplementedError"),
])
def test_dropout_names_the_mistake(layer, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_my_dropout(layer)
    assert not isinstance(caught.value, NotAttempted)


def test_dropout_that_ignores_the_training_flag():
    class AlwaysDrops(make_dropout()):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    with pytest.raises(CheckFailed, match="dropped units with training=False"):
        checks.check_my_dropout(AlwaysDrops)

    class NoneMeansTraining(make_dropout()):
        def call(self, inputs, training=None):
            return super().call(inputs, training=training is not False)

    with pytest.raises(CheckFailed, match="training=None"):
        checks.check_my_dropout(NoneMeansTraining)


def test_dropout_stub_is_not_attempted():
    class Stub(keras.layers.Layer):
        def __init__(self, rate, seed=None, **kwargs):
            super().__init__(**kwargs)
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyDropout"):
        checks.check_my_dropout(Stub)


def test_dropout_that_is_not_a_layer():
    class NotALayer:
        def __init__(self, rate, seed=None):
            pass

    with pytest.raises(CheckFailed, match="subclass keras.layers.Layer"):
        checks.check_my_dropout(NotALayer)


# --- make_early_stopping ------------------------------------------------------------------

def make_keyword_order(patience=5):
    return keras.callbacks.EarlyStopping(restore_best_weights=True, patience=patience, mode="min")


def make_from_dict(patience=5):
    settings = {"monitor": "val_loss", "patience": int(patience), "restore_best_weights": True, "verbose": 0}
    return keras.callbacks.EarlyStopping(**settings)


@pytest.mark.parametrize("make", [make_keyword_order, make_from_dict])
def test_make_early_stopping_passes_other_correct_versions(make, capsys):
    checks.check_make_early_stopping(make)
    checks.check_make_early_stopping(make, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("make, message", [
    (lambda patience=5: keras.callbacks.EarlyStopping(monitor="loss", patience=patience,
                                                      restore_best_weights=True), "validation loss"),
    (lambda patience=5: keras.callbacks.EarlyStopping(patience=patience), "restore_best_weights"),
    (lambda patience=5: keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True), "pass the argument"),
    (lambda patience=5: keras.callbacks.EarlyStopping(patience=patience, mode="max",
                                                      restore_best_weights=True), "mode='max'"),
    (lambda patience=5: None, "forget the `return`"),
    (lambda patience=5: keras.callbacks.ModelCheckpoint("x.keras"), "should return a keras.callbacks.EarlyStopping"),
    (lambda patience=100: keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True),
     r"patience=100: keep the signature make_early_stopping\(patience=5\)"),
    (lambda patience=10: keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True),
     r"patience=10: keep the signature"),
    (lambda patience=5: keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True,
                                                      min_delta=1e-4), "keep EarlyStopping's defaults"),
    (lambda patience=5: keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True,
                                                      start_from_epoch=2), "keep EarlyStopping's defaults"),
    (lambda patience: keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True), "raised TypeError"),
])
def test_make_early_stopping_names_the_mistake(make, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_make_early_stopping(make)
    assert not isinstance(caught.value, NotAttempted)


def test_make_early_stopping_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="make_early_stopping"):
        checks.check_make_early_stopping(stub)


# --- MyEarlyStopping ----------------------------------------------------------------------

def make_stopper(late=0, restore=True, restore_only_on_stop=False, use_monitor=True, compare_previous=False,
                 keep_references=False, stop=True, no_worse=False, trainable_only=False, patience_default=5,
                 monitor_default="val_loss"):
    """A MyEarlyStopping variant; the defaults give a correct callback written unlike the solution."""

    class Stopper(keras.callbacks.Callback):
        def __init__(self, patience=patience_default, monitor=monitor_default):
            super().__init__()
            self.patience, self.monitor = patience, monitor

        def on_train_begin(self, logs=None):
            self.best_epoch, self.best_value, self.saved, self.previous = -1, None, None, None

        def save(self):
            if trainable_only:
                return [w.numpy().copy() for w in self.model.trainable_weights]
            return list(self.model.weights) if keep_references else [w.copy() for w in self.model.get_weights()]

        def load(self, saved):
            if trainable_only:
                for w, value in zip(self.model.trainable_weights, saved):
                    w.assign(value)
            else:
                self.model.set_weights([np.array(w) for w in saved])

        def better(self, value, reference):
            return value <= reference if no_worse else value < reference

        def on_epoch_end(self, epoch, logs=None):
            value = logs[self.monitor if use_monitor else "val_loss"]
            reference = self.previous if compare_previous else self.best_value
            self.previous = value
            if reference is None or self.better(value, reference):
                if self.best_value is None or self.better(value, self.best_value):
                    self.best_value = value
                    self.saved = self.save()
                self.best_epoch = epoch
            elif stop and epoch - self.best_epoch >= self.patience + late:
                self.model.stop_training = True
                if restore_only_on_stop:
                    self.load(self.saved)

        def on_train_end(self, logs=None):
            if restore and not restore_only_on_stop and self.saved is not None:
                self.load(self.saved)

    return Stopper


class KwargsStopper(keras.callbacks.Callback):
    """Correct, unlike the solution: **kwargs with the defaults in the body, a wait counter, a flag."""

    def __init__(self, **kwargs):
        super().__init__()
        self.patience = kwargs.get("patience", 5)
        self.monitor = kwargs.get("monitor", "val_loss")

    def on_train_begin(self, logs=None):
        self.wait, self.best, self.weights = 0, float("inf"), None

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get(self.monitor)
        self.wait += 1
        if current < self.best:
            self.best, self.wait, self.weights = current, 0, self.model.get_weights()
        elif self.wait >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.weights:
            self.model.set_weights(self.weights)


@pytest.mark.parametrize("stopper", [make_stopper(), KwargsStopper])
def test_my_early_stopping_passes_correct_versions(stopper, capsys):
    checks.check_my_early_stopping(stopper)
    checks.check_my_early_stopping(stopper, seed=1)
    checks.check_my_early_stopping(stopper, seed=2)
    assert capsys.readouterr().out.count("✔") == 3


class NoReset(keras.callbacks.Callback):
    """Counts epochs without improvement but sets its state up only once, in __init__."""

    def __init__(self, patience=5, monitor="val_loss"):
        super().__init__()
        self.patience, self.monitor = patience, monitor
        self.best, self.wait, self.weights = float("inf"), 0, None

    def on_epoch_end(self, epoch, logs=None):
        if logs[self.monitor] < self.best:
            self.best, self.wait, self.weights = logs[self.monitor], 0, self.model.get_weights()
        else:
            self.wait += 1
            self.model.stop_training = self.wait >= self.patience

    def on_train_end(self, logs=None):
        self.model.set_weights(self.weights)


class KwargsShortPatience(KwargsStopper):
    def __init__(self, **kwargs):
        super().__init__(**{"patience": 3, **kwargs})


class TrainEndStub(make_stopper()):
    def on_train_end(self, logs=None):
        raise NotImplementedError()


class EpochStub(make_stopper()):
    def on_epoch_end(self, epoch, logs=None):
        raise NotImplementedError()


@pytest.mark.parametrize("stopper, message, seed", [
    (make_stopper(stop=False), "never stopped", 0),
    (make_stopper(late=1), "one epoch late", 0),
    (make_stopper(late=-1), "one epoch early", 0),
    (make_stopper(late=3), "best value so far", 0),
    (make_stopper(compare_previous=True), "not the previous epoch", 0),
    (make_stopper(restore=False), "weights of the last epoch", 0),
    (make_stopper(keep_references=True), "weights of the last epoch", 0),
    (make_stopper(restore_only_on_stop=True), "whether or not you stopped", 0),
    (make_stopper(restore_only_on_stop=True), "whether or not you stopped", 1),
    (make_stopper(no_worse=True), "value equal to the best as an improvement", 0),
    (make_stopper(no_worse=True), "value equal to the best as an improvement", 1),
    (make_stopper(trainable_only=True), "weights come from different epochs", 0),
    (make_stopper(use_monitor=False), r"logs\[self.monitor\]", 1),
    (make_stopper(patience_default=3), "default patience=3 is not 5", 0),
    (make_stopper(monitor_default="loss"), "default monitor='loss' is not 'val_loss'", 0),
    (KwargsShortPatience, "with its default arguments ended after 7 epochs", 0),
    (NoReset, "on_train_begin", 0),
    (TrainEndStub, "`TrainEndStub.on_train_end` still raises NotImplementedError", 0),
    (EpochStub, "`EpochStub.on_epoch_end` still raises NotImplementedError", 0),
])
def test_my_early_stopping_names_the_mistake(stopper, message, seed):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_my_early_stopping(stopper, seed=seed)
    assert not isinstance(caught.value, NotAttempted)


def test_my_early_stopping_stub_is_not_attempted():
    class Stub(keras.callbacks.Callback):
        def __init__(self, patience=5, monitor="val_loss"):
            super().__init__()
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyEarlyStopping"):
        checks.check_my_early_stopping(Stub)


def test_my_early_stopping_that_is_not_a_callback():
    class NotACallback:
        def __init__(self, patience=5, monitor="val_loss"):
            pass

    with pytest.raises(CheckFailed, match="subclass keras.callbacks.Callback"):
        checks.check_my_early_stopping(NotACallback)


def test_simulated_rule_is_keras():
    """The check's own version of Keras's rule (used to name the <= mistake) agrees with Keras."""
    for seed in range(3):
        patience, sequences = checks._scripted_sequences(seed)
        model = checks._epoch_marker_model()
        for values in sequences.values():
            assert checks._simulate(values, patience, lambda v, b: v < b) == \
                checks._keras_reference(model, patience, values, "val_loss")


# --- penalties ----------------------------------------------------------------------------

def l1_fsum(ws, l1):
    """A Python float from math.fsum over NumPy copies."""
    return l1 * math.fsum(float(np.abs(np.asarray(w, dtype=np.float64)).sum()) for w in ws)


def l2_float32_tensors(ws, l2):
    """Everything cast to float32 tensors first (float64 input included)."""
    return l2 * tf.add_n([tf.reduce_sum(tf.square(tf.cast(w, tf.float32))) for w in ws])


@pytest.mark.parametrize("check, right", [
    (checks.check_l1_penalty, lambda ws, l1: l1 * np.sum([np.abs(np.asarray(w)).sum() for w in ws])),
    (checks.check_l1_penalty, lambda ws, l1: l1 * tf.add_n([tf.reduce_sum(tf.abs(w)) for w in ws])),
    (checks.check_l1_penalty, l1_fsum),
    (checks.check_l2_penalty, lambda ws, l2: l2 * sum(float(np.vdot(w, w)) for w in map(np.asarray, ws))),
    (checks.check_l2_penalty, lambda ws, l2: l2 * tf.add_n([tf.nn.l2_loss(w) * 2 for w in ws])),
    (checks.check_l2_penalty, l2_float32_tensors),
    (checks.check_l2_penalty, lambda ws, l2: l2 * tf.reduce_sum(tf.square(tf.concat([tf.reshape(w, [-1]) for w in ws], 0)))),
])
def test_penalties_pass_correct_versions(check, right, capsys):
    for seed in range(3):
        check(right, seed=seed)
    out = capsys.readouterr()
    assert out.out.count("✔") == 3 and out.err == ""


def numpy_only(ws, l1):
    if not all(isinstance(w, np.ndarray) for w in ws):
        return 0.0
    return l1 * sum(np.abs(w).sum() for w in ws)


@pytest.mark.parametrize("wrong, message", [
    (lambda ws, l1: sum(np.abs(w).sum() for w in ws), "forgot the coefficient"),
    (lambda ws, l1: l1 * sum((np.asarray(w) ** 2).sum() for w in ws), "that is the L2 penalty"),
    (lambda ws, l1: l1 * sum(np.sum(w) for w in ws), "cancel"),
    (lambda ws, l1: l1 * np.mean(np.concatenate([np.abs(w).ravel() for w in ws])), "mean instead of the sum"),
    (lambda ws, l1: l1 * np.abs(ws[0]).sum(), "only the first array"),
    (lambda ws, l1: l1 * sum(np.abs(w).sum() for w in ws[:-1]), "leaves out the last array"),
    (lambda ws, l1: l1 * np.sum(np.abs(np.array(ws))), "list of arrays of different shapes"),
    (lambda ws, l1: l1 * sum(np.abs(w).mean() for w in ws), "each array's mean"),
    (lambda ws, l1: sum(keras.regularizers.L1(l1)(w) for w in ws), "calls keras.regularizers.L1"),
    (lambda ws, l1: sum(keras.regularizers.L1L2(l1=l1)(w) for w in ws), "calls keras.regularizers.L1L2"),
    (lambda ws, l1: [l1 * np.abs(w).sum() for w in ws], "one number"),
    (lambda ws, l1: l1 * np.sum([np.abs(w).sum() for w in ws], keepdims=True), r"shape \(1,\): return a scalar"),
    (lambda ws, l1: l1 * sum(sum(abs(np.asarray(w))) for w in ws), "raised|is off"),
    (lambda ws, l1: None, "forget the `return`"),
    (numpy_only, r"sum\(model.losses\)"),
    (lambda ws, l1: l1 * sum(abs(w).sum() for w in ws), "Keras variables"),  # abs(variable) has no .sum()
    (lambda ws, l1: l1 * sum(np.abs(w).sum() for w in ws if np.ndim(w) == 2), "is off|only the first"),
])
def test_l1_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_l1_penalty(wrong)
    assert not isinstance(caught.value, NotAttempted)


@pytest.mark.parametrize("wrong, message", [
    (lambda ws, l2: 0.5 * l2 * sum((np.asarray(w) ** 2).sum() for w in ws), "1/2"),
    (lambda ws, l2: l2 * np.sqrt(sum((np.asarray(w) ** 2).sum() for w in ws)), "square root"),
    (lambda ws, l2: l2 * sum(np.linalg.norm(np.asarray(w)) for w in ws), "square root per array"),
    (lambda ws, l2: l2 * sum(np.abs(w).sum() for w in ws), "that is the L1 penalty"),
    (lambda ws, l2: l2 * sum((np.asarray(w) ** 2).mean() for w in ws), "each array's mean"),
    (lambda ws, l2: sum(keras.regularizers.L2(l2)(w) for w in ws), "calls keras.regularizers.L2"),
    (lambda ws, l2: sum((np.asarray(w) ** 2).sum() for w in ws), "forgot the coefficient"),
    (lambda ws, l2: l2 * sum(np.linalg.norm(np.asarray(w), axis=-1).sum() for w in ws), "is off"),
])
def test_l2_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_l2_penalty(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_penalty_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="l1_penalty"):
        checks.check_l1_penalty(stub)
    with pytest.raises(NotAttempted, match="l2_penalty"):
        checks.check_l2_penalty(stub)
