"""Checks for lab06_regularization: MyDropout, early stopping (Keras's and by hand), L1/L2 penalties.

Dropout is checked statistically (fraction dropped within a binomial margin,
exact rescaling of the kept units, mean preserved), at inference, inside
``model.fit`` and ``model.predict``, and through its config. Early stopping is
run on scripted validation losses next to ``keras.callbacks.EarlyStopping``.
The penalties are compared with ``keras.regularizers`` and ``model.losses``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    attempt,
    expect,
    expect_close,
    expect_shape,
    expect_value_error,
    is_close,
    library_calls,
    passed,
    quietly,
    to_numpy,
)

DROPOUT_RATES = (0.3, 0.2, 0.6, 0.25)
# The ready-made dropouts the lab rules out, recognised when they run (whatever they were imported
# as, in call or in a helper); every Keras dropout layer ends in the stateless TF one.
BUILTIN_DROPOUTS = {
    "keras.random.dropout": "keras.random.dropout",
    "keras.layers.Dropout.call": "keras.layers.Dropout",
    "tensorflow.nn.dropout": "tf.nn.dropout",
    "tensorflow.nn.experimental.stateless_dropout": "a Keras dropout layer",
}
BUILTIN_PENALTIES = {
    "keras.regularizers.L1.__call__": "keras.regularizers.L1",
    "keras.regularizers.L2.__call__": "keras.regularizers.L2",
    "keras.regularizers.L1L2.__call__": "keras.regularizers.L1L2",
}
NUMPY_IN_GRAPH = ("partially known", "Cannot convert a symbolic", "NoneType", "__array__",
                  "numpy() is only available")


def _dropout_output(student, layer, x: np.ndarray, what: str, **kwargs) -> np.ndarray:
    """Call the student's layer on x and return a float64 array of x's shape (a float32 result)."""
    raw = student.run(layer, x, name="MyDropout.call", **kwargs)
    result = to_numpy(raw, what)
    expect_shape(result, x.shape, f"{what} for inputs of shape {x.shape}")
    dtype = getattr(raw, "dtype", None)
    dtype = getattr(dtype, "name", str(dtype)) if dtype is not None else type(raw).__name__
    expect(dtype == "float32", f"{what} returned {dtype} values for float32 inputs: return a tensor of the "
                               "inputs' dtype (keras.ops.where(keep, inputs / (1 - rate), keras.ops.zeros_like(inputs))).")
    expect(bool(np.all(np.isfinite(result))), f"{what} contains NaN or inf: divide the kept units by "
                                               "(1 - rate), never by rate.")
    return result


def _check_inference(student, layer, x: np.ndarray, rate: float, flag: str, **kwargs) -> None:
    """With training False/None the layer must return its inputs unchanged."""
    what = f"MyDropout(...)(inputs, {flag})"
    result = _dropout_output(student, layer, x, what, **kwargs)
    if is_close(result, x, rtol=1e-6, atol=0):
        return
    if np.mean(result == 0) > 0.01:
        raise CheckFailed(f"MyDropout dropped units with {flag}: dropout only acts when training "
                          "is True; otherwise return the inputs unchanged.")
    for factor, how in ((1 - rate, "multiplies them by (1 - rate)"), (1 / (1 - rate), "divides them by (1 - rate)")):
        if is_close(result, x * factor, rtol=1e-5, atol=0):
            raise CheckFailed(f"with {flag} MyDropout {how}: inverted dropout does all its "
                              "scaling during training, so at inference return the inputs unchanged.")
    expect_close(result, x, what, rtol=1e-6, atol=0)


def _check_training_statistics(y: np.ndarray, x: np.ndarray, rate: float) -> None:
    """One mask entry per unit, fraction dropped about `rate`, kept units scaled by exactly
    1/(1-rate), mean preserved."""
    n = x.size
    dropped = float(np.mean(y == 0))
    margin = 6 * np.sqrt(rate * (1 - rate) / n) + 1e-3
    if dropped == 0 and is_close(y, x, rtol=1e-6, atol=0):
        raise CheckFailed("with training=True nothing was dropped: check the training flag "
                          "(call(self, inputs, training=None), then drop when training is True).")
    zeros = y == 0
    if y.ndim >= 2 and 0 < dropped < 1:
        if np.array_equal(zeros, np.broadcast_to(zeros[:1], zeros.shape)):
            raise CheckFailed("MyDropout drops the same units in every example of the batch: draw one "
                              "uniform number per entry, keras.random.uniform(keras.ops.shape(inputs), ...).")
        if np.array_equal(zeros, np.broadcast_to(zeros[..., :1], zeros.shape)):
            raise CheckFailed("MyDropout drops whole examples (all their units at once): draw one uniform "
                              "number per entry, keras.random.uniform(keras.ops.shape(inputs), ...).")
    if abs(dropped - (1 - rate)) < margin and abs(dropped - rate) >= margin:
        raise CheckFailed(f"MyDropout(rate={rate}) zeroed {dropped:.1%} of the units, about 1 - rate: "
                          "it should drop a fraction rate, i.e. keep a unit when its uniform number is >= rate.")
    expect(abs(dropped - rate) < margin,
           f"MyDropout(rate={rate}) zeroed {dropped:.1%} of {n} units with training=True; expected "
           f"{rate:.0%} (within {margin:.1%}): each unit should be dropped with probability rate.")
    kept = y != 0
    ratio = y[kept] / x[kept]
    for factor, message in (
        (1.0, "the kept units are not rescaled (plain dropout): divide them by (1 - rate) so that "
              "the mean output stays equal to the mean input."),
        (1 - rate, "the kept units are multiplied by (1 - rate): divide them by (1 - rate) instead."),
        (1 / rate, "the kept units are divided by rate: divide them by (1 - rate), the probability "
                   "of keeping a unit."),
    ):
        if is_close(ratio, np.full_like(ratio, factor), rtol=1e-5, atol=0):
            raise CheckFailed(message)
    expect(is_close(ratio, np.full_like(ratio, 1 / (1 - rate)), rtol=1e-5, atol=0),
           f"the kept units should equal inputs / (1 - rate) = inputs * {1 / (1 - rate):.4g}, but "
           f"output / input ranges from {ratio.min():.4g} to {ratio.max():.4g}.")
    mean_margin = 6 * np.sqrt(np.mean(x**2) * rate / (1 - rate) / n)
    expect(abs(y.mean() - x.mean()) < mean_margin,
           f"the mean output {y.mean():.4f} differs from the mean input {x.mean():.4f} by more than "
           f"{mean_margin:.4f}: inverted dropout should preserve the mean.")


def _check_dropout_in_fit(student, MyDropout, rate: float, seed: int) -> None:  # noqa: N803 - contract name
    """Inside fit the layer gets training=True and a new mask per step; predict is the identity."""
    import keras

    d, n, batch_size = 64, 40, 32  # a full and a partial batch: the batch size is unknown in the graph
    x = np.ones((n, d), dtype="float32")
    y = np.full((n, 1), float(d), dtype="float32")

    def fit_and_predict():
        model = keras.Sequential([
            keras.Input(shape=(d,)),
            MyDropout(rate, seed=seed),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="ones"),
        ])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=batch_size, shuffle=False, verbose=0)
        return np.asarray(history.history["loss"], dtype=np.float64), model.predict(x, verbose=0)

    hints = {text: "MyDropout failed inside model.fit, where the batch size is unknown: build the mask "
                   "with keras.random.uniform(keras.ops.shape(inputs), ...) and keras.ops (not inputs.shape "
                   "or NumPy)."
             for text in NUMPY_IN_GRAPH}
    losses, predictions = student.run(fit_and_predict, name="MyDropout inside model.fit", hints=hints)
    # (sum of the 64 kept-and-rescaled ones - 64)^2 is 0 only when nothing is dropped.
    expect(bool(np.all(np.isfinite(losses))), "the loss inside model.fit was NaN or inf with MyDropout.")
    expect(losses.max() > 1e-6 * d,
           "inside model.fit MyDropout dropped nothing: Keras passes training=True to "
           "call(self, inputs, training=None) during fit; name the argument training and drop when it is True.")
    expect(len(np.unique(losses)) > 1,
           "inside model.fit MyDropout used the same mask at every training step: draw the mask with "
           "keras.random.uniform(..., seed=self.seed_generator) (NumPy random numbers get frozen when "
           "Keras compiles the training step).")
    predictions = to_numpy(predictions, "model.predict")
    expect(is_close(predictions, np.full((n, 1), float(d)), rtol=1e-5, atol=0),
           "model.predict changed the values passing through MyDropout: at inference (training=False) "
           "the layer must return its inputs unchanged.")


def check_my_dropout(MyDropout, seed: int = 0) -> None:  # noqa: N803 - contract name
    """MyDropout(rate, seed=None) is inverted dropout: drops ~rate of the entries of an input of any
    shape, rescales the rest by 1/(1-rate), keeps float32, is the identity at inference."""
    import keras

    rate = DROPOUT_RATES[seed % len(DROPOUT_RATES)]
    layer_seed = 10 + seed
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=(200, 500)).astype("float32")  # no zeros: a 0 out means dropped
    student = Student(MyDropout, "MyDropout")

    layer = student(rate, seed=layer_seed)
    expect(isinstance(layer, keras.layers.Layer), "MyDropout should subclass keras.layers.Layer.")
    for bad in (1.0, -0.1, 1.5):
        expect_value_error(lambda: MyDropout(bad), f"MyDropout({bad})", "0 <= rate < 1")
    try:
        quietly(MyDropout, 0.0)
    except ValueError:
        raise CheckFailed("MyDropout(0.0) raised ValueError: rate 0 is allowed (0 <= rate < 1), it simply "
                          "drops nothing.") from None
    except Exception:  # noqa: BLE001 - reported by the call of MyDropout(0.0) further down
        pass

    _check_inference(student, layer, x, rate, "training=False", training=False)
    _check_inference(student, layer, x, rate, "training=None (a plain call layer(x))")

    with library_calls(BUILTIN_DROPOUTS) as used:
        first = _dropout_output(student, layer, x, "MyDropout(...)(inputs, training=True)", training=True)
    expect(not used, f"MyDropout uses a ready-made dropout ({used[0] if used else ''}): write the mask "
                     "yourself with keras.random.uniform.")
    _check_training_statistics(first, x, rate)
    second = _dropout_output(student, layer, x, "MyDropout(...)(inputs, training=True)", training=True)
    expect(not np.array_equal(first == 0, second == 0),
           "two calls with training=True dropped exactly the same units: draw a new mask on every call "
           "with keras.random.uniform(..., seed=self.seed_generator), where self.seed_generator = "
           "keras.random.SeedGenerator(seed) is made once in __init__.")
    twin = student(rate, seed=layer_seed)
    twin_first = _dropout_output(student, twin, x, "MyDropout(...)(inputs, training=True)", training=True)
    expect(np.array_equal(first, twin_first),
           "two MyDropout layers made with the same seed dropped different units: create "
           "keras.random.SeedGenerator(seed) in __init__ and pass it as seed= to keras.random.uniform.")

    # Inputs of any shape (images, a single vector), and the default seed=None.
    unseeded = student(rate)
    for shape in ((12, 5, 6, 16), (6000,)):
        inputs = rng.uniform(0.5, 2.0, size=shape).astype("float32")
        what = f"MyDropout({rate})(inputs, training=True)"
        _check_training_statistics(_dropout_output(student, unseeded, inputs, what, training=True), inputs, rate)
        _check_inference(student, unseeded, inputs, rate, "training=False", training=False)

    no_drop = student(0.0, seed=layer_seed)
    result = _dropout_output(student, no_drop, x, "MyDropout(0.0)(inputs, training=True)", training=True)
    expect(is_close(result, x, rtol=1e-6, atol=0),
           "MyDropout(0.0) changed its inputs with training=True: with rate 0 nothing is dropped or scaled.")

    config = student.run(layer.get_config, name="MyDropout.get_config")
    expect(isinstance(config, dict) and "rate" in config and "seed" in config,
           "get_config should return super().get_config() plus rate and seed, so that "
           "MyDropout.from_config(layer.get_config()) rebuilds the same layer.")
    expect(float(config["rate"]) == rate and config["seed"] == layer_seed,
           f"get_config gave rate={config['rate']!r}, seed={config['seed']!r} for MyDropout({rate}, "
           f"seed={layer_seed}): return the values given to __init__.")
    clone = student.run(MyDropout.from_config, config, name="MyDropout.from_config")
    clone_first = _dropout_output(student, clone, x, "the rebuilt layer", training=True)
    expect(np.array_equal(clone_first, first),
           "MyDropout.from_config(layer.get_config()) did not rebuild the same layer (same rate, same seed).")

    _check_dropout_in_fit(student, MyDropout, rate, layer_seed)
    passed(f"MyDropout({rate}) drops about {rate:.0%} of the units of inputs of any shape, rescales the rest "
           "by 1/(1 - rate), is the identity at inference, and respects training inside fit and predict")


# --- early stopping: the scripted fit --------------------------------------------------------

def _scripted_sequences(seed: int) -> tuple[int, dict[str, list[float]]]:
    """A patience and four validation-loss sequences of 12 epochs.

    ``stops``: best mid-way, then a small dip that is not a new best, then rising.
    ``tie``: best mid-way, then exactly the same value again (not an improvement), then rising.
    ``limit``: best one epoch before the end, not enough epochs left to stop.
    ``first``: best at the very first epoch.
    """
    patience = 3 if seed % 2 == 0 else 2
    best_at = 3 + seed % 3
    falling = [round(1.0 - 0.1 * i, 4) for i in range(best_at + 1)]
    low = falling[-1]
    stops = falling + [low + 0.02, low + 0.01] + [round(low + 0.05 * i, 4) for i in range(1, 12)]
    tie = falling + [low] + [round(low + 0.05 * i, 4) for i in range(1, 12)]
    limit = [round(0.9 - 0.04 * i, 4) for i in range(10)] + [0.5, 0.53]
    first = [0.5 + 0.05 * i for i in range(12)]
    return patience, {"stops": stops[:12], "tie": tie[:12], "limit": limit, "first": first}


def _simulate(values: list[float], patience: int, improves) -> tuple[int, int]:
    """(epochs run, best epoch, both 1-based) of Keras's rule with another notion of improvement."""
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, value in enumerate(values):
        wait += 1
        if improves(value, best):
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch + 1
    return len(values), best_epoch + 1


def _epoch_marker_model():
    """A model with a trainable kernel and bias and a non-trainable weight, all overwritten with
    epoch + 1 after every epoch (so the weights it ends with tell which epoch they come from)."""
    import keras

    class Marker(keras.layers.Layer):
        def build(self, input_shape):
            self.marker = self.add_weight(shape=(1,), initializer="zeros", trainable=False, name="marker")

        def call(self, inputs):
            return inputs

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1), Marker()])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def _script(values: list[float], monitor: str, decoy: list[float] | None):
    """A callback (put first) that writes values[epoch] into logs[monitor] and marks the weights."""
    import keras

    class Script(keras.callbacks.Callback):
        epochs_run = 0

        def on_epoch_end(self, epoch, logs=None):
            logs[monitor] = values[epoch]
            if decoy is not None:
                logs["val_loss"] = decoy[epoch]
            for weight in self.model.weights:
                weight.assign(np.full(tuple(weight.shape), epoch + 1.0, dtype="float32"))
            self.epochs_run = epoch + 1

    return Script()


def _final_epoch(model):
    """The epoch (1-based) whose marker weights the model holds, or a tuple when they disagree."""
    epochs = tuple(int(round(float(np.asarray(w.numpy()).reshape(-1)[0]))) for w in model.weights)
    return epochs[0] if len(set(epochs)) == 1 else epochs


def _run_scripted(student, model, callback, values: list[float], monitor: str, decoy: list[float] | None,
                  name: str, real_fit: bool = False) -> tuple[int, object]:
    """Train with `values` injected as logs[monitor] after each epoch; the weights mark the epoch.

    ``student`` (a :class:`Student`, or None for Keras's own callback) runs the training.
    The callbacks get exactly the calls `model.fit` makes, through the same
    `keras.callbacks.CallbackList`; with ``real_fit`` it is `model.fit` itself
    (slower: Keras's per-epoch overhead).

    Returns:
        (epochs run, the epoch (1-based) whose weights the model ends with).
    """
    import keras

    script = _script(values, monitor, decoy)

    def drive():
        if real_fit:
            x = np.ones((4, 1), dtype="float32")
            model.fit(x, np.zeros((4, 1), dtype="float32"), epochs=len(values), batch_size=4,
                      callbacks=[script, callback], verbose=0)
            return
        callbacks = keras.callbacks.CallbackList([script, callback], model=model, verbose=0,
                                                 epochs=len(values), steps=1)
        model.stop_training = False
        callbacks.on_train_begin({})
        for epoch in range(len(values)):
            callbacks.on_epoch_begin(epoch, {})
            callbacks.on_epoch_end(epoch, {"loss": 0.0})
            if model.stop_training:
                break
        callbacks.on_train_end({"loss": 0.0})

    (student.run if student is not None else attempt)(drive, name=name)
    return script.epochs_run, _final_epoch(model)


def _keras_reference(model, patience: int, values: list[float], monitor: str) -> tuple[int, int]:
    """What keras.callbacks.EarlyStopping does on the same sequence."""
    import keras

    reference = keras.callbacks.EarlyStopping(monitor=monitor, mode="min", patience=patience,
                                              restore_best_weights=True)
    return _run_scripted(None, model, reference, values, monitor, None, "keras.callbacks.EarlyStopping")


def check_make_early_stopping(make_early_stopping, seed: int = 0) -> None:
    """make_early_stopping(patience=5) returns EarlyStopping(monitor="val_loss", patience=patience,
    restore_best_weights=True), Keras's defaults otherwise."""
    import keras

    patience = (3, 7, 2)[seed % 3]
    student = Student(make_early_stopping, "make_early_stopping")
    callback = student(patience=patience)
    expect(callback is not None, "make_early_stopping returned None: did you forget the `return`?")
    expect(isinstance(callback, keras.callbacks.EarlyStopping),
           f"make_early_stopping should return a keras.callbacks.EarlyStopping, got {type(callback).__name__}.")
    expect(callback.monitor == "val_loss",
           f"the callback monitors {callback.monitor!r}: early stopping should watch the validation "
           "loss, monitor='val_loss'.")
    expect(callback.mode in ("auto", "min"),
           f"mode={callback.mode!r} treats a rising loss as progress: leave mode at 'auto' (or 'min').")
    expect(callback.restore_best_weights is True,
           "restore_best_weights is off, so the model keeps the weights of the last epoch: "
           "pass restore_best_weights=True.")
    expect(callback.patience == patience,
           f"make_early_stopping(patience={patience}) gave patience={callback.patience}: pass the "
           "argument on to EarlyStopping.")
    default = student()
    expect(isinstance(default, keras.callbacks.EarlyStopping) and default.patience == 5,
           f"make_early_stopping() with its default gave patience={getattr(default, 'patience', None)!r}: "
           "keep the signature make_early_stopping(patience=5).")
    expect(callback.baseline is None and callback.min_delta == 0 and callback.start_from_epoch == 0,
           "keep EarlyStopping's defaults for baseline, min_delta and start_from_epoch: only monitor, "
           "patience and restore_best_weights need setting.")
    passed(f"make_early_stopping(patience={patience}) watches val_loss and restores the best weights "
           "(patience 5 by default)")


def _stopping_hint(got, expected, values, patience, where) -> str:
    """The sentence for a MyEarlyStopping run that ended unlike Keras's."""
    epochs, best = expected
    if isinstance(got[1], tuple):
        return (f"after training {where}, the model's weights come from different epochs {got[1]}: save "
                "them all with self.model.get_weights() and put them all back with self.model.set_weights(...).")
    if (got == _simulate(values, patience, lambda value, best_value: value <= best_value)
            and any(a == b for a, b in zip(values, values[1:]))):
        return (f"MyEarlyStopping counted a value equal to the best as an improvement {where}: only a strictly "
                "smaller value is a new best (value < best), as in keras.callbacks.EarlyStopping.")
    if got[0] != epochs:
        if got[0] == len(values) and epochs < len(values):
            return (f"MyEarlyStopping never stopped training {where}: set self.model.stop_training = True "
                    "once patience epochs pass without a new best.")
        if got[0] == epochs + 1:
            return (f"MyEarlyStopping stopped one epoch late {where} (after {got[0]} epochs, Keras after "
                    f"{epochs}): stop as soon as the epochs since the best reach patience.")
        if got[0] == epochs - 1:
            return (f"MyEarlyStopping stopped one epoch early {where} (after {got[0]} epochs, Keras after "
                    f"{epochs}): wait until patience epochs in a row have not improved.")
        return (f"MyEarlyStopping stopped after {got[0]} epochs {where}, where keras.callbacks.EarlyStopping "
                f"stops after {epochs}: compare each value with the best value so far (not the previous "
                "epoch) and count epochs since that best.")
    if epochs == len(values) and got[1] == len(values):
        return ("when fit reaches its last epoch without stopping, MyEarlyStopping left the last epoch's "
                "weights: restore the best weights in on_train_end, whether or not you stopped.")
    if got[1] == got[0]:
        return (f"MyEarlyStopping left the model with the weights of the last epoch {where}: save "
                "self.model.get_weights() when the value improves and put them back with "
                "self.model.set_weights(...) in on_train_end.")
    return (f"MyEarlyStopping left the model with the weights of epoch {got[1]} {where}, but the best epoch "
            f"was {best}: save self.model.get_weights() exactly when the value improves.")


def _check_defaults(student, MyEarlyStopping, model) -> None:  # noqa: N803 - contract name
    """MyEarlyStopping() watches val_loss with patience 5, as its signature says."""
    try:
        parameters = inspect.signature(MyEarlyStopping).parameters
    except (TypeError, ValueError):
        parameters = {}
    for key, want in (("patience", 5), ("monitor", "val_loss")):
        parameter = parameters.get(key)
        if parameter is not None and parameter.default is not inspect.Parameter.empty and parameter.default != want:
            raise CheckFailed(f"MyEarlyStopping's default {key}={parameter.default!r} is not {want!r}: keep the "
                              'signature MyEarlyStopping(patience=5, monitor="val_loss").')
    values = [1.0, 0.9, 0.8, 0.7] + [round(0.7 + 0.05 * i, 4) for i in range(1, 9)]
    callback = student()
    expected = _keras_reference(model, 5, values, "val_loss")
    got = _run_scripted(student, model, callback, values, "val_loss", None, "MyEarlyStopping")
    if got != expected:
        raise CheckFailed(f"MyEarlyStopping() with its default arguments ended after {got[0]} epochs, where "
                          f"keras.callbacks.EarlyStopping(patience=5) on val_loss ends after {expected[0]}: keep "
                          'the defaults patience=5 and monitor="val_loss".')


def check_my_early_stopping(MyEarlyStopping, seed: int = 0) -> None:  # noqa: N803 - contract name
    """MyEarlyStopping stops when keras.callbacks.EarlyStopping would (a tie is no improvement) and
    restores every weight of the best epoch, also when training runs to its last epoch."""
    import keras

    patience, sequences = _scripted_sequences(seed)
    monitor = "val_loss" if seed % 2 == 0 else "val_error"
    student = Student(MyEarlyStopping, "MyEarlyStopping")
    callback = student(patience=patience, monitor=monitor)
    expect(isinstance(callback, keras.callbacks.Callback),
           "MyEarlyStopping should subclass keras.callbacks.Callback.")
    model = _epoch_marker_model()
    runs = [(label, values, False) for label, values in sequences.items()]
    runs.append(("stops", sequences["stops"], True))  # and once inside a real model.fit
    for label, values, real_fit in runs:
        # A decoy val_loss (best at epoch 2, then rising) tells apart a callback that ignores `monitor`.
        decoy = None if monitor == "val_loss" else [0.9, 0.4] + [round(0.45 + 0.05 * i, 4)
                                                                  for i in range(len(values) - 2)]
        expected = _keras_reference(model, patience, values, monitor)
        got = _run_scripted(student, model, callback, values, monitor, decoy, "MyEarlyStopping", real_fit=real_fit)
        if got == expected:
            continue
        shown = ", ".join(f"{v:g}" for v in values[: expected[0] + 1])
        where = f"on validation losses {shown}, ... with patience={patience}"
        fresh = student(patience=patience, monitor=monitor)
        if _run_scripted(student, model, fresh, values, monitor, decoy, "MyEarlyStopping") == expected:
            raise CheckFailed("MyEarlyStopping worked in its first fit but not when reused: reset the best "
                              "value, the epoch counter and the saved weights in on_train_begin.")
        if decoy is not None and got == _keras_reference(model, patience, decoy, "val_loss"):
            raise CheckFailed(f"MyEarlyStopping(monitor={monitor!r}) watched 'val_loss': read "
                              "logs[self.monitor], the key given as monitor.")
        raise CheckFailed(_stopping_hint(got, expected, values, patience, where))
    _check_defaults(student, MyEarlyStopping, model)
    passed(f"MyEarlyStopping(patience={patience}) stops when keras.callbacks.EarlyStopping does (ties included) "
           "and leaves the model at its best epoch")


# --- weight penalties ------------------------------------------------------------------------

PENALTY_HINTS = {
    "inhomogeneous": "weights is a list of arrays of different shapes: compute the sum for each array, "
                     "then add those sums up (do not turn the whole list into one array).",
    "setting an array element with a sequence": "weights is a list of arrays of different shapes: compute "
                                                "the sum for each array, then add those sums up.",
}
VARIABLE_HINTS = {
    **PENALTY_HINTS,
    "object has no attribute": "the function failed on a model's kernels (Keras variables, whose results "
                               "are tensors): use keras.ops (keras.ops.sum, keras.ops.abs, ...) or "
                               "np.asarray(w) first.",
}


def _penalty_value(student, weights, coefficient, name: str, hints: dict | None = None) -> float:
    """Call a student's penalty and return it as one float (it must be a scalar)."""
    value = to_numpy(student(weights, coefficient, hints=hints or PENALTY_HINTS), f"{name}(weights, coefficient)")
    expect(value.size == 1, f"{name} should return one number for the whole list, got shape {value.shape}: "
                            "add up over every array and every entry.")
    expect(value.shape == (), f"{name} returned an array of shape {value.shape}: return a scalar, the sum "
                              "over every array (no keepdims, no list around it).")
    return float(value.reshape(()))


def _check_penalty(function, name: str, kind: str, seed: int) -> None:
    """Shared body of the L1 and L2 checks: random arrays (float32 and float64, any rank) vs
    keras.regularizers, then model.losses on Keras variables."""
    import keras

    rng = np.random.default_rng(seed)
    coefficient = (0.01, 0.003, 0.05)[seed % 3]
    shapes = [(5, 4), (4,), (4 + seed % 2, 3), (2, 2, 1, 3)]  # a conv kernel too: any shapes
    weights = [rng.normal(size=shape).astype("float32") for shape in shapes]
    regularizer = (keras.regularizers.L1 if kind == "L1" else keras.regularizers.L2)(coefficient)
    expected = sum(float(regularizer(w)) for w in weights)
    student = Student(function, name)

    with library_calls(BUILTIN_PENALTIES) as used:
        value = _penalty_value(student, [w.copy() for w in weights], coefficient, name)
    entrywise = "keras.ops.abs" if kind == "L1" else "keras.ops.square"
    expect(not used, f"{name} calls {used[0] if used else ''}, the regularizer this check compares it "
                     f"with: write the sum yourself ({entrywise} and keras.ops.sum, or NumPy).")
    flat = np.concatenate([w.ravel() for w in weights]).astype(np.float64)
    abs_sum, square_sum = np.abs(flat).sum(), (flat**2).sum()
    own = abs_sum if kind == "L1" else square_sum
    mistakes = {
        f"{name} forgot the coefficient: multiply the sum by {kind.lower()}.": own,
        f"{name} takes the mean instead of the sum: the penalty adds up every weight.": coefficient * own / flat.size,
        f"{name} adds up each array's mean: the penalty adds up every weight, not the arrays' averages.":
            coefficient * sum((np.abs(w) if kind == "L1" else w.astype(np.float64) ** 2).mean() for w in weights),
        f"{name} uses only the first array of the list: add up the penalty of every array.":
            coefficient * (np.abs(weights[0]).sum() if kind == "L1" else (weights[0].astype(np.float64) ** 2).sum()),
        f"{name} leaves out the last array of the list: add up the penalty of every array.":
            coefficient * sum(np.abs(w).sum() if kind == "L1" else (w.astype(np.float64) ** 2).sum()
                              for w in weights[:-1]),
    }
    if kind == "L1":
        mistakes.update({
            "l1_penalty sums w**2 (that is the L2 penalty): use the absolute values |w|.": coefficient * square_sum,
            "l1_penalty sums the signed weights, so positive and negative ones cancel: sum |w|.": coefficient * flat.sum(),
        })
    else:
        mistakes.update({
            "l2_penalty has a factor 1/2: Keras's L2 regularizer is l2 * sum(w**2), without the 1/2.":
                0.5 * coefficient * square_sum,
            "l2_penalty takes a square root (the norm ||w||): the penalty is the sum of squares itself.":
                coefficient * np.sqrt(square_sum),
            "l2_penalty takes a square root per array: the penalty is the plain sum of squares.":
                coefficient * sum(np.sqrt((w.astype(np.float64) ** 2).sum()) for w in weights),
            "l2_penalty sums |w| (that is the L1 penalty): use the squares w**2.": coefficient * abs_sum,
        })
    for message, wrong in mistakes.items():
        if not np.isclose(value, expected, rtol=1e-5) and np.isclose(value, wrong, rtol=1e-5):
            raise CheckFailed(message)
    expect_close(np.float64(value), expected, f"{name}(weights, {coefficient}) vs keras.regularizers.{kind}",
                 rtol=1e-5, atol=1e-7)

    doubles = [rng.normal(size=shape) for shape in shapes[1:]]  # float64 arrays are float arrays too
    want = coefficient * sum(np.abs(w).sum() if kind == "L1" else (w**2).sum() for w in doubles)
    expect_close(np.float64(_penalty_value(student, doubles, coefficient, name)), want,
                 f"{name} on a list of float64 arrays", rtol=1e-5, atol=1e-9)

    def build():
        model = keras.Sequential([
            keras.Input(shape=(6,)),
            keras.layers.Dense(5, kernel_regularizer=regularizer),
            keras.layers.Dense(3, kernel_regularizer=regularizer),
        ])
        for layer in model.layers:
            layer.kernel.assign(rng.normal(size=tuple(layer.kernel.shape)).astype("float32"))
        return model

    model = attempt(build, name="a Dense model with kernel_regularizer")
    kernels = [layer.kernel for layer in model.layers]
    from_model = float(sum(float(loss) for loss in model.losses))
    value = _penalty_value(student, kernels, coefficient, name, VARIABLE_HINTS)
    expect(np.isclose(value, from_model, rtol=1e-5, atol=1e-7),
           f"{name} on a model's kernels (Keras variables) gives {value:.6g}, but sum(model.losses) is "
           f"{from_model:.6g}: make the function work on Keras variables too (keras.ops or np.asarray).")
    passed(f"{name} matches keras.regularizers.{kind}({coefficient}) on a list of float32 and float64 arrays "
           "of any rank and sum(model.losses) on a model")


def check_l1_penalty(l1_penalty, seed: int = 0) -> None:
    """l1_penalty(weights, l1) = l1 * sum of |w| over a list of arrays."""
    _check_penalty(l1_penalty, "l1_penalty", "L1", seed)


def check_l2_penalty(l2_penalty, seed: int = 0) -> None:
    """l2_penalty(weights, l2) = l2 * sum of w**2 over a list of arrays."""
    _check_penalty(l2_penalty, "l2_penalty", "L2", seed)
