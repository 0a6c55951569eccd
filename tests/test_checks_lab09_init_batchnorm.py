"""(d) lab09's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab09_init_batchnorm as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- xavier_std -----------------------------------------------------------------------------

def xavier_numpy(fan_in, fan_out=None):
    fans = np.array([fan_in, fan_in if fan_out is None else fan_out], dtype=np.float64)
    return np.sqrt(1.0 / fans.mean())  # 2 / (a + b) is 1 / mean(a, b)


def xavier_keyword_only_none(fan_in, fan_out=None):
    """Correct: the `is None` test written out, integers through float()."""
    total = float(fan_in) + float(fan_in if fan_out is None else fan_out)
    return (2.0 / total) ** 0.5


@pytest.mark.parametrize("right", [
    xavier_numpy,
    xavier_keyword_only_none,
    lambda fan_in, fan_out=None: tf.sqrt(2.0 / tf.cast(fan_in + (fan_out or fan_in), tf.float64)),
])
def test_xavier_passes_correct_versions(right, capsys):
    checks.check_xavier_std(right)
    checks.check_xavier_std(right, seed=5)
    assert capsys.readouterr().out.count("✔") == 2


def xavier_negative_default(fan_in, fan_out=-1):
    if fan_out < 0:
        fan_out = fan_in
    return math.sqrt(2 / (fan_in + fan_out))


def xavier_python_ints_only(fan_in, fan_out=None):
    fan_out = fan_out if isinstance(fan_out, int) else fan_in
    return math.sqrt(2 / (fan_in + fan_out))


@pytest.mark.parametrize("wrong, message", [
    (lambda fan_in, fan_out=None: 1 / math.sqrt(fan_in), "fish book's simplified Xavier"),
    (lambda fan_in, fan_out=None: 1 / math.sqrt(fan_out or fan_in), "1/sqrt\\(fan_out\\)"),
    (lambda fan_in, fan_out=None: math.sqrt(2 / (fan_in + (fan_out or 0))), "He's value"),
    (lambda fan_in, fan_out=None: 2 / (fan_in + (fan_out or fan_in)), "a variance"),
    (lambda fan_in, fan_out=None: math.sqrt(1 / (fan_in + (fan_out or fan_in))), "factor 2"),
    (lambda fan_in, fan_out=None: math.sqrt(6 / (fan_in + (fan_out or fan_in))), "glorot_uniform"),
    (lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)), "must work without fan_out"),
    (lambda fan_in, fan_out=None: math.sqrt(2 / (fan_in + fan_out)), "must work without fan_out"),
    (lambda fan_in, fan_out=None: None, "forget the `return`"),
    (lambda n, m=None: xavier_numpy(n, m), "keep the given signature"),
    (lambda fan_in, fan_out=None: [xavier_numpy(fan_in, fan_out)] * 2, "one number"),
    (lambda fan_in, fan_out=None: -xavier_numpy(fan_in, fan_out), "positive number"),
    (lambda fan_in, fan_out=None: 1.01 * xavier_numpy(fan_in, fan_out), "is off"),
    (xavier_negative_default, "must work without fan_out"),
    (xavier_python_ints_only, r"xavier_std\(np.int64\(\d+\), np.int64\(\d+\)\) gave .*NumPy ones too"),
    (lambda fan_in, fan_out=None: stub(), "calls `stub`, which still raises"),
])
def test_xavier_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_xavier_std(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_xavier_takes_fan_out_second():
    def keyword_only(fan_in, *ignored, fan_out=None):
        return xavier_numpy(fan_in, fan_out)

    with pytest.raises(CheckFailed, match="second argument"):
        checks.check_xavier_std(keyword_only)


def test_xavier_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="xavier_std"):
        checks.check_xavier_std(stub)


# --- he_std ---------------------------------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda fan_in: np.float32((2 / fan_in) ** 0.5),
    lambda fan_in: tf.math.rsqrt(tf.constant(fan_in / 2, tf.float64)),
    lambda fan_in: float(np.sqrt(np.divide(2, fan_in))),
])
def test_he_passes_correct_versions(right, capsys):
    checks.check_he_std(right)
    checks.check_he_std(right, seed=3)
    assert capsys.readouterr().out.count("✔") == 2


def he_python_ints_only(fan_in):
    if not isinstance(fan_in, int):
        raise TypeError("fan_in must be an int")
    return math.sqrt(2 / fan_in)


@pytest.mark.parametrize("wrong, message", [
    (lambda n: 1 / math.sqrt(n), "Xavier value"),
    (lambda n: 2 / n, "a variance"),
    (lambda n: math.sqrt(2) / n, "whole fraction"),
    (lambda n: math.sqrt(6 / n), "he_uniform"),
    (lambda n: math.sqrt(1 / (2 * n)), "numerator"),
    (lambda n: -math.sqrt(2 / n), "positive number"),
    (lambda n: math.sqrt(2 / (n + 1)), "is off"),
    (he_python_ints_only, "raised TypeError"),
    (lambda n: None, "forget the `return`"),
])
def test_he_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_he_std(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_he_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="he_std"):
        checks.check_he_std(stub)


# --- MyBatchNorm ----------------------------------------------------------------------------

class GoodBN(keras.layers.Layer):
    """A correct layer written unlike the solution: tf.nn.moments and tf.nn.batch_normalization.

    The wrong variants below override one of its small methods.
    """

    initial = {"gamma": "ones", "beta": "zeros", "moving_mean": "zeros", "moving_variance": "ones"}
    moving_trainable = False

    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        if momentum < 0 or momentum > 1 or epsilon <= 0:
            raise ValueError("bad momentum or epsilon")
        self.momentum, self.epsilon = momentum, epsilon

    def build(self, input_shape):
        for name, initializer in self.initial.items():
            trainable = not name.startswith("moving") or self.moving_trainable
            setattr(self, name, self.add_weight(shape=(input_shape[-1],), initializer=initializer,
                                                trainable=trainable, name=name))

    def axes(self, inputs):
        return list(range(len(inputs.shape) - 1))

    def stats(self, inputs):
        return tf.nn.moments(inputs, axes=self.axes(inputs))

    def blend(self, moving, batch):
        return moving - (moving - batch) * (1.0 - self.momentum)

    def update(self, mean, variance):
        self.moving_mean.assign(self.blend(self.moving_mean, mean))
        self.moving_variance.assign(self.blend(self.moving_variance, variance))

    def normalise(self, inputs, mean, variance):
        return tf.nn.batch_normalization(inputs, mean, variance, self.beta, self.gamma, self.epsilon)

    def is_training(self, training):
        return bool(training)

    def call(self, inputs, training=None):
        if self.is_training(training):
            mean, variance = self.stats(inputs)
            self.update(mean, variance)
            return self.normalise(inputs, mean, variance)
        return self.normalise(inputs, self.moving_mean, self.moving_variance)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, epsilon=self.epsilon)
        return config


class OpsBN(keras.layers.Layer):
    """Correct, unlike the solution and GoodBN: keras.ops.moments with keepdims, initializer objects,
    `training is True`, the normalisation written as a scale and a shift."""

    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        if not (0.0 <= momentum <= 1.0):
            raise ValueError("momentum")
        if epsilon <= 0:
            raise ValueError("epsilon")
        self.momentum, self.epsilon = float(momentum), float(epsilon)

    def build(self, input_shape):
        shape = (int(input_shape[-1]),)
        self.gamma = self.add_weight(shape=shape, initializer=keras.initializers.Ones(), name="gamma")
        self.beta = self.add_weight(shape=shape, initializer=keras.initializers.Zeros(), name="beta")
        self.moving_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer="ones", trainable=False,
                                               name="moving_variance")

    def call(self, inputs, training=None):
        ops = keras.ops
        if training is True:
            mean, variance = ops.moments(inputs, axes=tuple(range(inputs.ndim - 1)), keepdims=True)
            mean, variance = ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))
            p = self.momentum
            self.moving_mean.assign(p * self.moving_mean + (1 - p) * mean)
            self.moving_variance.assign(p * self.moving_variance + (1 - p) * variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        scale = self.gamma * ops.rsqrt(variance + self.epsilon)
        return inputs * scale + (self.beta - mean * scale)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


@pytest.mark.parametrize("layer", [GoodBN, OpsBN])
def test_batch_norm_passes_correct_versions(layer, capsys):
    checks.check_my_batch_norm(layer)
    checks.check_my_batch_norm(layer, seed=1)
    checks.check_my_batch_norm(layer, seed=2)
    assert capsys.readouterr().out.count("✔") == 3


class MovingStatsInTraining(GoodBN):
    def call(self, inputs, training=None):
        if training:
            self.update(*self.stats(inputs))
        return self.normalise(inputs, self.moving_mean, self.moving_variance)


class BatchStatsAtInference(GoodBN):
    def call(self, inputs, training=None):
        mean, variance = self.stats(inputs)
        if training:
            self.update(mean, variance)
        return self.normalise(inputs, mean, variance)


class NoneMeansTraining(GoodBN):
    def is_training(self, training):
        return training is not False


class RowWise(GoodBN):
    def axes(self, inputs):
        return [len(inputs.shape) - 1]


class BatchAxisOnly(GoodBN):
    def axes(self, inputs):
        return [0]


class UnbiasedVariance(GoodBN):
    def stats(self, inputs):
        mean, variance = super().stats(inputs)
        m = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), inputs.dtype)
        return mean, variance * m / (m - 1)


class UnbiasedMovingVariance(GoodBN):
    def update(self, mean, variance):
        m = 8.0  # the check's first batch has 8 rows
        super().update(mean, variance * m / (m - 1))


class EpsilonOutside(GoodBN):
    def normalise(self, inputs, mean, variance):
        return self.gamma * (inputs - mean) / (tf.sqrt(variance) + self.epsilon) + self.beta


class NoEpsilon(GoodBN):
    def normalise(self, inputs, mean, variance):
        return self.gamma * (inputs - mean) / tf.sqrt(variance) + self.beta


class NoSquareRoot(GoodBN):
    def normalise(self, inputs, mean, variance):
        return self.gamma * (inputs - mean) / (variance + self.epsilon) + self.beta


class NoScaleShift(GoodBN):
    def normalise(self, inputs, mean, variance):
        return (inputs - mean) / tf.sqrt(variance + self.epsilon)


class SwappedMomentum(GoodBN):
    def blend(self, moving, batch):
        return moving * (1 - self.momentum) + batch * self.momentum


class FixedEpsilon(GoodBN):
    def normalise(self, inputs, mean, variance):
        return tf.nn.batch_normalization(inputs, mean, variance, self.beta, self.gamma, 1e-3)


class FixedMomentum(GoodBN):
    def blend(self, moving, batch):
        return moving * 0.99 + batch * 0.01


class AveragesTheSpread(GoodBN):
    def update(self, mean, variance):
        self.moving_mean.assign(self.blend(self.moving_mean, mean))
        self.moving_variance.assign(self.blend(self.moving_variance, tf.sqrt(variance)))


class NoUpdate(GoodBN):
    def update(self, mean, variance):
        pass


class ReplacedByBatch(GoodBN):
    def blend(self, moving, batch):
        return batch


class TrainableMoving(GoodBN):
    moving_trainable = True


class GammaZeros(GoodBN):
    initial = {**GoodBN.initial, "gamma": "zeros"}


class Reassigned(GoodBN):
    def update(self, mean, variance):
        self.moving_mean = self.blend(self.moving_mean, mean)
        self.moving_variance = self.blend(self.moving_variance, variance)


class AssertValidation(GoodBN):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        assert 0 <= momentum <= 1 and epsilon > 0, "bad arguments"
        keras.layers.Layer.__init__(self, **kwargs)
        self.momentum, self.epsilon = momentum, epsilon


class MomentumBelowOne(GoodBN):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        if not 0 <= momentum < 1:
            raise ValueError("momentum must be in [0, 1)")
        super().__init__(momentum, epsilon, **kwargs)


class ZeroEpsilonAccepted(GoodBN):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        if not 0 <= momentum <= 1 or epsilon < 0:
            raise ValueError("bad arguments")
        keras.layers.Layer.__init__(self, **kwargs)
        self.momentum, self.epsilon = momentum, epsilon


class ImagesOrTables(GoodBN):
    """The axes for 2-D and 4-D inputs only: a sequence (batch, time, channels) is reduced over all axes."""

    def axes(self, inputs):
        return [0] if len(inputs.shape) == 2 else [0, 1, 2]


def unwritten_normalise(inputs, mean, variance, gamma, beta, epsilon):
    raise NotImplementedError()


class UnwrittenHelper(GoodBN):
    def normalise(self, inputs, mean, variance):
        return unwritten_normalise(inputs, mean, variance, self.gamma, self.beta, self.epsilon)


class CallStub(GoodBN):
    def call(self, inputs, training=None):
        raise NotImplementedError()


class BuildStub(GoodBN):
    def build(self, input_shape):
        raise NotImplementedError()


class NoValidation(GoodBN):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.momentum, self.epsilon = momentum, epsilon


class NoConfig(GoodBN):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


class WrongDefault(GoodBN):
    def __init__(self, momentum=0.9, epsilon=1e-3, **kwargs):
        super().__init__(momentum, epsilon, **kwargs)


class ConfigForgetsValues(GoodBN):
    def get_config(self):
        return {**keras.layers.Layer.get_config(self), "momentum": 0.99, "epsilon": 1e-3}


class WrongArgumentName(GoodBN):
    def call(self, inputs, train=None):
        return super().call(inputs, training=train)


class NumpyFloat32(GoodBN):
    """Works eagerly (NumPy, float32 tensor out), fails once fit compiles the step."""

    def stats(self, inputs):
        array = np.asarray(inputs)
        axes = tuple(range(array.ndim - 1))
        return tf.constant(array.mean(axis=axes)), tf.constant(array.var(axis=axes))


class Float64Output(GoodBN):
    def call(self, inputs, training=None):
        return tf.cast(super().call(inputs, training=training), tf.float64)


@pytest.mark.parametrize("layer, message", [
    (MovingStatsInTraining, "training=True MyBatchNorm used the moving averages"),
    (BatchStatsAtInference, "used the statistics of the batch"),
    (NoneMeansTraining, "passes training=None"),
    (RowWise, "every axis but the last"),
    (BatchAxisOnly, "every axis but the last"),
    (UnbiasedVariance, "unbiased batch variance"),
    (UnbiasedMovingVariance, "moving variance is averaged with the unbiased"),
    (EpsilonOutside, "outside the square root"),
    (NoEpsilon, "epsilon is missing"),
    (NoSquareRoot, "divides by variance \\+ epsilon"),
    (NoScaleShift, "not scaled by gamma"),
    (SwappedMomentum, "other way round"),
    (FixedEpsilon, "ignores its epsilon argument"),
    (FixedMomentum, "ignores its momentum argument"),
    (AveragesTheSpread, "averaged with the batch's standard deviation"),
    (NoUpdate, "did not change"),
    (ReplacedByBatch, "replaced by the batch statistics"),
    (TrainableMoving, "trainable=False"),
    (GammaZeros, "self.gamma should start at 1"),
    (Reassigned, "assign\\(new_value\\)"),
    (NoValidation, "raise a ValueError"),
    (NoConfig, "get_config should return"),
    (WrongDefault, "Keras's defaults"),
    (ConfigForgetsValues, "return the values given to __init__"),
    (WrongArgumentName, "no argument named training"),
    (NumpyFloat32, "failed inside model.fit, where Keras compiles"),
    (Float64Output, "float32"),
    (AssertValidation, r"MyBatchNorm\(momentum=1.5\) raised AssertionError: raise a ValueError"),
    (MomentumBelowOne, r"MyBatchNorm\(momentum=1.0\) raised ValueError, but it is allowed"),
    (ZeroEpsilonAccepted, r"MyBatchNorm\(epsilon=0.0\) was accepted"),
    (ImagesOrTables, "wrong axes: .*batch and time for sequences"),
    (UnwrittenHelper, "calls `unwritten_normalise`, which still raises"),
    (CallStub, "`CallStub.call` still raises NotImplementedError"),
    (BuildStub, "`BuildStub.build` still raises NotImplementedError"),
])
def test_batch_norm_names_the_mistake(layer, message):
    with pytest.raises(CheckFailed, match=message) as failure:
        checks.check_my_batch_norm(layer)
    assert not isinstance(failure.value, NotAttempted)


def test_batch_norm_wrong_axes_on_images_only():
    class ChannelsOfFirstImage(GoodBN):
        def axes(self, inputs):
            return list(range(1, len(inputs.shape) - 1)) if len(inputs.shape) == 4 else [0]

        def stats(self, inputs):
            mean, variance = tf.nn.moments(inputs, axes=self.axes(inputs))
            if len(inputs.shape) == 4:  # keep the moving averages' shape right
                self.moving_mean.assign(self.blend(self.moving_mean, tf.reduce_mean(mean, 0)))
                self.moving_variance.assign(self.blend(self.moving_variance, tf.reduce_mean(variance, 0)))
                return tf.expand_dims(tf.expand_dims(mean, 1), 1), tf.expand_dims(tf.expand_dims(variance, 1), 1)
            return mean, variance

        def update(self, mean, variance):
            if len(mean.shape) == 1:
                super().update(mean, variance)

    with pytest.raises(CheckFailed, match="wrong axes"):
        checks.check_my_batch_norm(ChannelsOfFirstImage)


def test_batch_norm_stub_is_not_attempted():
    class InitStub(keras.layers.Layer):
        def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
            super().__init__(**kwargs)
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyBatchNorm"):
        checks.check_my_batch_norm(InitStub)


def test_batch_norm_that_is_not_a_layer():
    class NotALayer:
        def __init__(self, momentum=0.99, epsilon=1e-3):
            if momentum > 1 or momentum < 0 or epsilon < 0:
                raise ValueError("bad")

        def get_config(self):
            return {"momentum": 0.99, "epsilon": 1e-3}

    with pytest.raises(CheckFailed, match="subclass keras.layers.Layer"):
        checks.check_my_batch_norm(NotALayer)


def test_keras_target_std_reads_the_initializer():
    assert math.isclose(checks.keras_target_std(keras.initializers.GlorotNormal(), 300, 100), math.sqrt(2 / 400))
    assert math.isclose(checks.keras_target_std(keras.initializers.HeNormal(), 50, 7), math.sqrt(2 / 50))
    assert math.isclose(checks.keras_target_std(keras.initializers.LecunNormal(), 64, 7), 1 / 8)
