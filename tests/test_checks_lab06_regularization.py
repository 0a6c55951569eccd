"""(d) lab06's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

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


def test_dropout_passes_a_tf_version(capsys):
    checks.check_my_dropout(make_dropout())
    checks.check_my_dropout(make_dropout(), seed=1)
    assert capsys.readouterr().out.count("✔") == 2


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


@pytest.mark.parametrize("layer, message", [
    (make_dropout(train=lambda x, keep, r: x * keep), "not rescaled"),
    (make_dropout(train=lambda x, keep, r: x * keep * (1 - r)), r"multiplied by \(1 - rate\)"),
    (make_dropout(train=lambda x, keep, r: x * keep / r), "divided by rate"),
    (make_dropout(train=lambda x, keep, r: x * (1 - keep) / (1 - r)), "about 1 - rate"),
    (make_dropout(train=lambda x, keep, r: x * (1 - keep) / r), "about 1 - rate"),
    (make_dropout(train=lambda x, keep, r: x), "nothing was dropped"),
    (make_dropout(infer=lambda x, r: x * (1 - r)), "scaling during training"),
    (make_dropout(infer=lambda x, r: x / (1 - r)), "scaling during training"),
    (make_dropout(validate=False), "raise a ValueError"),
    (make_dropout(config=False), "get_config"),
    (make_dropout(same_seed=False), "same seed dropped different units"),
    (PythonCounterSeed, "same mask at every training step"),
    (NumpyMask, "batch size is unknown"),
    (IntSeedMask, "exactly the same units"),
    (StaticShapeMask, "batch size is unknown"),
    (EagerOnlyDropout, "inside model.fit MyDropout dropped nothing"),
    (BuiltinDropout, "write the mask yourself"),
])
def test_dropout_names_the_mistake(layer, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_my_dropout(layer)


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

    class CallStub(make_dropout()):
        def call(self, inputs, training=None):
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyDropout"):
        checks.check_my_dropout(CallStub)


def test_dropout_that_is_not_a_layer():
    class NotALayer:
        def __init__(self, rate, seed=None):
            pass

    with pytest.raises(CheckFailed, match="subclass keras.layers.Layer"):
        checks.check_my_dropout(NotALayer)


# --- make_early_stopping ------------------------------------------------------------------

def test_make_early_stopping_passes_keyword_order_variant(capsys):
    def make(patience=4):
        return keras.callbacks.EarlyStopping(restore_best_weights=True, patience=patience, mode="min")

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
     "between 1 and 20"),
])
def test_make_early_stopping_names_the_mistake(make, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_make_early_stopping(make)


def test_make_early_stopping_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="make_early_stopping"):
        checks.check_make_early_stopping(stub)


# --- MyEarlyStopping ----------------------------------------------------------------------

def make_stopper(late=0, restore=True, restore_only_on_stop=False, use_monitor=True,
                 compare_previous=False, keep_references=False, stop=True):
    """A MyEarlyStopping variant; the defaults give a correct callback written unlike the solution."""

    class Stopper(keras.callbacks.Callback):
        def __init__(self, patience=5, monitor="val_loss"):
            super().__init__()
            self.patience, self.monitor = patience, monitor

        def on_train_begin(self, logs=None):
            self.best_epoch, self.best_value, self.saved, self.previous = -1, None, None, None

        def on_epoch_end(self, epoch, logs=None):
            value = logs[self.monitor if use_monitor else "val_loss"]
            reference = self.previous if compare_previous else self.best_value
            self.previous = value
            if reference is None or value < reference:
                if self.best_value is None or value < self.best_value:
                    self.best_value = value
                    self.saved = (list(self.model.weights) if keep_references
                                  else [w.copy() for w in self.model.get_weights()])
                self.best_epoch = epoch
            elif stop and epoch - self.best_epoch >= self.patience + late:
                self.model.stop_training = True
                if restore_only_on_stop:
                    self.model.set_weights(self.saved)

        def on_train_end(self, logs=None):
            if restore and not restore_only_on_stop and self.saved is not None:
                self.model.set_weights([np.array(w) for w in self.saved])

    return Stopper


def test_my_early_stopping_passes_an_epoch_counting_version(capsys):
    checks.check_my_early_stopping(make_stopper())
    checks.check_my_early_stopping(make_stopper(), seed=1)
    checks.check_my_early_stopping(make_stopper(), seed=2)
    assert capsys.readouterr().out.count("✔") == 3


@pytest.mark.parametrize("stopper, message", [
    (make_stopper(stop=False), "never stopped"),
    (make_stopper(late=1), "one epoch late"),
    (make_stopper(late=-1), "one epoch early"),
    (make_stopper(late=3), "best value so far"),
    (make_stopper(compare_previous=True), "not the previous epoch"),
    (make_stopper(restore=False), "weights of the last epoch"),
    (make_stopper(keep_references=True), "weights of the last epoch"),
    (make_stopper(restore_only_on_stop=True), "whether or not you stopped"),
])
def test_my_early_stopping_names_the_mistake(stopper, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_my_early_stopping(stopper)


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


def test_my_early_stopping_must_reset_between_fits():
    with pytest.raises(CheckFailed, match="on_train_begin"):
        checks.check_my_early_stopping(NoReset)


def test_my_early_stopping_must_read_its_monitor():
    with pytest.raises(CheckFailed, match="logs\\[self.monitor\\]"):
        checks.check_my_early_stopping(make_stopper(use_monitor=False), seed=1)


def test_my_early_stopping_stubs_are_not_attempted():
    class Stub(keras.callbacks.Callback):
        def __init__(self, patience=5, monitor="val_loss"):
            super().__init__()
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyEarlyStopping"):
        checks.check_my_early_stopping(Stub)

    class EpochStub(make_stopper()):
        def on_epoch_end(self, epoch, logs=None):
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyEarlyStopping"):
        checks.check_my_early_stopping(EpochStub)


def test_my_early_stopping_that_is_not_a_callback():
    class NotACallback:
        def __init__(self, patience=5, monitor="val_loss"):
            pass

    with pytest.raises(CheckFailed, match="subclass keras.callbacks.Callback"):
        checks.check_my_early_stopping(NotACallback)


# --- penalties ----------------------------------------------------------------------------

def test_penalties_pass_numpy_and_tf_versions(capsys):
    checks.check_l1_penalty(lambda ws, l1: l1 * np.sum([np.abs(np.asarray(w)).sum() for w in ws]))
    checks.check_l1_penalty(lambda ws, l1: l1 * tf.add_n([tf.reduce_sum(tf.abs(w)) for w in ws]), seed=1)
    checks.check_l2_penalty(lambda ws, l2: l2 * sum(float(np.vdot(w, w)) for w in map(np.asarray, ws)))
    checks.check_l2_penalty(lambda ws, l2: l2 * tf.add_n([tf.nn.l2_loss(w) * 2 for w in ws]), seed=2)
    assert capsys.readouterr().out.count("✔") == 4


@pytest.mark.parametrize("wrong, message", [
    (lambda ws, l1: sum(np.abs(w).sum() for w in ws), "forgot the coefficient"),
    (lambda ws, l1: l1 * sum((np.asarray(w) ** 2).sum() for w in ws), "that is the L2 penalty"),
    (lambda ws, l1: l1 * sum(np.sum(w) for w in ws), "cancel"),
    (lambda ws, l1: l1 * np.mean(np.concatenate([np.abs(w).ravel() for w in ws])), "mean instead of the sum"),
    (lambda ws, l1: l1 * np.abs(ws[0]).sum(), "only the first array"),
    (lambda ws, l1: l1 * np.sum(np.abs(np.array(ws))), "list of arrays of different shapes"),
    (lambda ws, l1: [l1 * np.abs(w).sum() for w in ws], "one number"),
    (lambda ws, l1: None, "forget the `return`"),
])
def test_l1_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_l1_penalty(wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda ws, l2: 0.5 * l2 * sum((np.asarray(w) ** 2).sum() for w in ws), "1/2"),
    (lambda ws, l2: l2 * np.sqrt(sum((np.asarray(w) ** 2).sum() for w in ws)), "square root"),
    (lambda ws, l2: l2 * sum(np.linalg.norm(np.asarray(w)) for w in ws), "square root per array"),
    (lambda ws, l2: l2 * sum(np.abs(w).sum() for w in ws), "that is the L1 penalty"),
    (lambda ws, l2: sum((np.asarray(w) ** 2).sum() for w in ws), "forgot the coefficient"),
])
def test_l2_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_l2_penalty(wrong)


def test_penalty_that_only_works_on_numpy_arrays():
    def numpy_only(ws, l1):
        if not all(isinstance(w, np.ndarray) for w in ws):
            return 0.0
        return l1 * sum(np.abs(w).sum() for w in ws)

    with pytest.raises(CheckFailed, match="sum\\(model.losses\\)"):
        checks.check_l1_penalty(numpy_only)
    with pytest.raises(CheckFailed, match="Keras variables"):  # abs(variable) is a tensor: no .sum()
        checks.check_l1_penalty(lambda ws, l1: l1 * sum(abs(w).sum() for w in ws))


def test_penalty_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="l1_penalty"):
        checks.check_l1_penalty(stub)
    with pytest.raises(NotAttempted, match="l2_penalty"):
        checks.check_l2_penalty(stub)
