"""The reference itself: backward formulas agree with finite differences of the forward functions,
and the ReLU options follow Keras's documented examples."""
import numpy as np
import pytest

from fastact import _reference as R


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_smooth_backward_is_the_derivative(name):
    x = np.linspace(-6, 6, 1001, dtype=np.longdouble)
    h = np.longdouble(1e-7)
    numeric = (getattr(R, name)(x + h) - getattr(R, name)(x - h)) / (2 * h)
    analytic = getattr(R, name + "_backward")(np.ones_like(x), getattr(R, name)(x))
    np.testing.assert_allclose(analytic.astype(float), numeric.astype(float), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("params", [(0.0, None, 0.0), (0.1, None, 0.0), (0.0, 6.0, 0.0), (0.2, 3.0, 0.5),
                                    (0.3, None, -1.0)])
def test_relu_backward_is_the_derivative_away_from_kinks(params):
    x = np.linspace(-7.05, 7.05, 1411)
    h = 1e-6
    numeric = (R.relu(x + h, *params) - R.relu(x - h, *params)) / (2 * h)
    analytic = R.relu_backward(np.ones_like(x), x, *params)
    kinks = np.array([0.0, params[2]] + ([params[1]] if params[1] is not None else []))
    away = np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 1e-3
    np.testing.assert_allclose(analytic[away], numeric[away], atol=1e-6)


def test_relu_keras_examples():
    # keras.layers.ReLU docstring examples
    x = np.array([-3.0, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(R.relu(x), [0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(R.relu(x, negative_slope=1.0), [-3.0, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(R.relu(x, max_value=1.0), [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(R.relu(x, threshold=1.5), [0.0, 0.0, 0.0, 2.0])


def test_leaky_relu_definition():
    x = np.array([-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(R.leaky_relu(x, 0.1), [-0.2, 0.0, 0.0, 3.0])
    np.testing.assert_array_equal(R.leaky_relu_backward(np.ones(4), x, 0.1), [0.1, 0.1, 0.1, 1.0])
