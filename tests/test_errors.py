"""Bad arguments: exact exception types, and messages that name the argument and the value."""
import numpy as np
import pytest

import fastact
from fastact._table import ACTIVATIONS

NAMES = [row.name for row in ACTIVATIONS]
SAVED = {row.name: row.saved for row in ACTIVATIONS}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad, dtype_word", [
    (np.array([1 + 2j]), "complex128"), (np.array(["a"]), "<U1"), (np.array([object()]), "object"),
    (np.array([1], np.longdouble), "float128"), (np.array(["2020-01-01"], "datetime64[D]"), "datetime64"),
])
def test_unsupported_dtypes(name, bad, dtype_word):
    with pytest.raises(TypeError, match=r"^x has dtype .*" + dtype_word[:5]):
        getattr(fastact, name)(bad)
    with pytest.raises(TypeError, match=r"^grad has dtype"):
        getattr(fastact, name + "_backward")(bad, np.ones(1))
    with pytest.raises(TypeError, match=rf"^{SAVED[name]} has dtype"):
        getattr(fastact, name + "_backward")(np.ones(1), bad)


@pytest.mark.parametrize("name", NAMES)
def test_unconvertible_input(name):
    with pytest.raises(TypeError, match=r"^x "):
        getattr(fastact, name)([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="x has dtype"):
        getattr(fastact, name)({"a": 1})


@pytest.mark.parametrize("name", NAMES)
def test_out_errors(name):
    f = getattr(fastact, name)
    x = np.ones((3, 4), np.float32)
    with pytest.raises(TypeError, match=r"out must be a numpy.ndarray, got list"):
        f(x, out=[0.0] * 12)
    with pytest.raises(TypeError, match=r"out has dtype float64, but the result has dtype float32"):
        f(x, out=np.empty((3, 4)))
    with pytest.raises(ValueError, match=r"out has shape \(4, 3\), but the result has shape \(3, 4\)"):
        f(x, out=np.empty((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"out has shape \(12,\)"):
        f(x, out=np.empty(12, np.float32))
    ro = np.empty((3, 4), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        f(x, out=ro)
    with pytest.raises(TypeError, match="out has dtype float32, but the result has dtype float64"):
        f(np.ones(3, np.int32), out=np.empty(3, np.float32))  # ints give float64


@pytest.mark.parametrize("name", NAMES)
def test_backward_shape_mismatch(name):
    b = getattr(fastact, name + "_backward")
    s = SAVED[name]
    with pytest.raises(ValueError, match=rf"grad and {s} must have the same shape, got grad.shape=\(3,\) "
                                         rf"and {s}.shape=\(4,\)"):
        b(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="same shape"):
        b(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        b(np.ones((1, 3)), np.ones(3))  # no broadcasting


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [3, 100_000])
def test_backward_of_none_is_an_error(name, n):
    # (the plain call reads a missing second array as a forward: sigmoid_backward(g, None) was sigmoid(g))
    b = getattr(fastact, name + "_backward")
    g = np.linspace(-2, 2, n)
    with pytest.raises(TypeError, match=rf"^{SAVED[name]} of {name}_backward must be an array, got None"):
        b(g, None)
    with pytest.raises(TypeError, match=rf"^grad of {name}_backward must be an array, got None"):
        b(None, g)


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_backward_of_none_is_an_error(axis):
    with pytest.raises(TypeError, match=r"^grad of glu_backward must be an array, got None"):
        fastact.glu_backward(None, np.ones((4, 4)), axis=axis)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad, exc, msg", [
    (0, ValueError, r"n_threads must be >= 1, got 0"),
    (-2, ValueError, r"n_threads must be >= 1, got -2"),
    (1.5, TypeError, r"n_threads must be an integer >= 1 or None, got 1.5 \(float\)"),
    ("2", TypeError, r"n_threads must be an integer >= 1 or None, got '2' \(str\)"),
    (True, TypeError, r"n_threads must be an integer >= 1 or None, got True \(bool\)"),
    (2**40, ValueError, r"n_threads must be <= 2147483647, got 1099511627776"),   # (was OverflowError)
])
def test_bad_n_threads(name, bad, exc, msg):
    with pytest.raises(exc, match=msg):
        getattr(fastact, name)(np.ones(3), n_threads=bad)
    with pytest.raises(exc, match=msg):
        getattr(fastact, name + "_backward")(np.ones(3), np.ones(3), n_threads=bad)


def test_set_num_threads_errors():
    with pytest.raises(ValueError, match=r"n_threads must be >= 1, got 0"):
        fastact.set_num_threads(0)
    with pytest.raises(TypeError, match=r"n_threads must be an integer"):
        fastact.set_num_threads(2.0)
    with pytest.raises(ValueError, match=r"n_threads must be <= 2147483647, got 2147483648"):
        fastact.set_num_threads(2**31)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(max_value=-1.0), ValueError, r"max_value of relu cannot be less than 0.0, got max_value=-1.0"),
    (dict(max_value=float("nan")), ValueError, r"max_value of relu must be finite, got nan"),
    (dict(max_value=-float("inf")), ValueError, r"max_value of relu cannot be less than 0.0, got max_value=-inf"),
    (dict(negative_slope=float("inf")), ValueError, r"negative_slope of relu must be finite, got inf"),
    (dict(threshold="1"), TypeError, r"threshold of relu must be a real number, got '1' \(str\)"),
    (dict(negative_slope=None), TypeError, r"negative_slope of relu must be a real number, got None"),
    (dict(max_value=[6.0]), TypeError, r"max_value of relu must be a real number or None, got \[6.0\]"),
    (dict(threshold=np.array([1.0, 2.0])), TypeError, r"threshold of relu must be a real number"),
])
def test_relu_param_errors(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        fastact.relu(np.ones(3), **kwargs)
    with pytest.raises(exc, match=msg):
        fastact.relu_backward(np.ones(3), np.ones(3), **kwargs)


def test_params_accept_numpy_scalars():
    x = np.linspace(-2, 8, 11)
    np.testing.assert_array_equal(fastact.relu(x, np.float32(0.5), np.array(6.0), np.int64(1)),
                                  fastact.relu(x, 0.5, 6.0, 1.0))


def test_leaky_relu_param_errors():
    with pytest.raises(TypeError, match=r"alpha of leaky_relu must be a real number, got None"):
        fastact.leaky_relu(np.ones(3), alpha=None)
    with pytest.raises(ValueError, match=r"alpha of leaky_relu must be finite, got nan"):
        fastact.leaky_relu(np.ones(3), float("nan"))


def test_unknown_keyword():
    with pytest.raises(TypeError, match="unexpected keyword argument 'slope'"):
        fastact.leaky_relu(np.ones(3), slope=0.2)


@pytest.mark.parametrize("name, param", [(row.name, p) for row in ACTIVATIONS for p in row.params])
def test_every_param_rejects_a_string(name, param):
    kind = "True or False" if param.kind == "bool" else "a real number"
    with pytest.raises(TypeError, match=rf"^{param.name} of {name} must be {kind}"):
        getattr(fastact, name)(np.ones(3), **{param.name: "1"})


@pytest.mark.parametrize("call, exc, msg", [
    (lambda x: fastact.gelu(x, approximate=1), TypeError, r"approximate of gelu must be True or False, got 1 \(int\)"),
    (lambda x: fastact.gelu(x, approximate=None), TypeError, r"approximate of gelu must be True or False, got None"),
    (lambda x: fastact.gelu_backward(x, x, approximate="yes"), TypeError, r"approximate of gelu must be True or False"),
    (lambda x: fastact.celu(x, alpha=0.0), ValueError, r"alpha of celu cannot be 0 or smaller in magnitude than "
                                                       r"2\.22507e-308 \(float64's smallest normal\), got alpha=0\.0"),
    (lambda x: fastact.celu(x, alpha=-5e-324), ValueError, r"alpha of celu cannot be 0 .*got alpha=-5e-324"),
    (lambda x: fastact.celu(x.astype(np.float32), alpha=-1e-40), ValueError,
     r"alpha of celu cannot be smaller in magnitude than 1\.17549e-38 \(float32's smallest normal\) where this "
     r"call computes in float32: got alpha=-1e-40; pass float64 input"),
    (lambda x: fastact.celu_backward(x, x, alpha=0), ValueError, r"alpha of celu cannot be 0"),
    (lambda x: fastact.soft_shrink(x, threshold=-0.1), ValueError,
     r"threshold of soft_shrink cannot be less than 0\.0, got threshold=-0\.1"),
    (lambda x: fastact.hard_shrink(x, threshold=-1), ValueError, r"threshold of hard_shrink cannot be less than 0\.0"),
    (lambda x: fastact.squareplus(x, b=-4.0), ValueError, r"b of squareplus cannot be less than 0\.0, got b=-4\.0"),
    (lambda x: fastact.elu(x, alpha=np.inf), ValueError, r"alpha of elu must be finite, got inf"),
    (lambda x: fastact.threshold(x, default_value=np.nan), ValueError, r"default_value of threshold must be finite"),
])
def test_new_param_kinds_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(np.ones(3))


WIDE = [(row.name, p.name) for row in ACTIVATIONS for p in row.params if p.kind == "real" and not p.allow_none]


@pytest.mark.parametrize("name, param", WIDE)
def test_a_parameter_beyond_float32_where_the_call_computes_in_float32(name, param):
    # float32 would hold 1e39 as inf, and inf * 0 is NaN (elu's alpha at x = 0): refused, naming it, in
    # float32 and float16 calls, plain (small) and general (strided, large) alike; float64 computes with it
    from fastact._testing import reference
    fwd, bwd = getattr(fastact, name), getattr(fastact, name + "_backward")
    msg = rf"^{param} of {name} is beyond float32's range \(magnitude above 3.40282e\+38\).* got {param}=1e\+39"
    for dtype in (np.float32, np.float16):
        for x in (np.ones(3, dtype), np.ones(200_001, dtype)[::2]):
            with pytest.raises(ValueError, match=msg):
                fwd(x, **{param: 1e39})
            with pytest.raises(ValueError, match=msg):
                bwd(x, x, **{param: 1e39})
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(fwd(x, **{param: 1e39}), reference(name, x, **{param: 1e39}), rtol=1e-15)
    fwd(x, **{param: 3e38})   # within float32's range: taken in every dtype
    fwd(x.astype(np.float32), **{param: 3e38})


def test_a_tiny_celu_alpha_is_refused_only_where_the_call_computes_in_float32():
    # celu divides by alpha: below float32's smallest normal it is refused in float32 and float16 calls
    # (plain and general), but float64 takes it down to float64's smallest normal (it was refused there)
    from fastact._testing import reference
    for dtype in (np.float32, np.float16):
        for x in (np.ones(3, dtype), np.ones(200_001, dtype)[::2]):
            for call in (lambda: fastact.celu(x, alpha=1e-300), lambda: fastact.celu_backward(x, x, alpha=-1e-40)):
                with pytest.raises(ValueError, match=r"alpha of celu cannot be smaller in magnitude than"):
                    call()
    x = np.array([-1e-290, -3e-300, -1e-310, 0.0, 2.0, -5.0])
    for alpha in (1e-300, -1e-300, 2.3e-308):
        np.testing.assert_allclose(fastact.celu(x, alpha=alpha), reference("celu", x, alpha=alpha), rtol=1e-15,
                                   atol=1e-322)   # (within a few subnormal steps below DBL_MIN)
        np.testing.assert_allclose(fastact.celu_backward(np.ones_like(x), x, alpha=alpha),
                                   reference("celu_backward", np.ones_like(x), x, alpha=alpha), rtol=1e-15,
                                   atol=1e-322)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_parameter_set_refused_once_is_refused_again(dtype):
    # (validated parameter sets are cached: the refusal depends on the call's dtype, not on the cache)
    x = np.ones(3)
    fastact.elu(x, alpha=1e300)
    with pytest.raises(ValueError, match=r"alpha of elu is beyond float32's range"):
        fastact.elu(x.astype(dtype), alpha=1e300)
    fastact.elu(x, alpha=1e300)


def test_a_zero_parameter_is_plus_zero_whatever_came_before():
    # -0.0 == 0.0 and they hash alike: the validated-parameter cache gave threshold(x, 0, v) the sign of
    # whichever zero it had seen first (+0.0 from the defaults at import, or an earlier call's -0.0);
    # -0.0 is taken as 0.0 now, in every call
    x = np.array([-1.0, 2.0])
    for v in (-0.0, 0.0, np.float64(-0.0), np.float32(-0.0), -0.0):
        for dtype in (np.float32, np.float64):
            for n in (2, 100_000):
                y = fastact.threshold(np.resize(x.astype(dtype), n), 0.0, v)
                assert y[0] == 0 and not np.signbit(y[0])


def test_a_validated_value_does_not_let_an_equal_one_of_another_type_through():
    # 1 == True == 1.0 and they hash alike: a parameter set validated once must not make an equal value
    # of the wrong kind pass later (the parameter cache once keyed on the values alone)
    x = np.ones(3)
    fastact.gelu(x, approximate=True)
    with pytest.raises(TypeError, match=r"approximate of gelu must be True or False, got 1 \(int\)"):
        fastact.gelu(x, approximate=1)
    fastact.relu(x, 0.0)
    with pytest.raises(TypeError, match=r"negative_slope of relu must be a real number, got False"):
        fastact.relu(x, False)


def test_a_call_with_the_defaults_goes_straight_to_the_kernels(monkeypatch):
    # the generated functions send a plain call whose parameters are their defaults straight to the
    # kernels' plain call (fastact._api); anything else still goes through fastact._core's checks
    from fastact import _api

    def general(*args):
        raise AssertionError("the general path was taken")
    x = np.linspace(-3, 3, 40, dtype=np.float32)
    expected = {name: _api.FUNCTIONS[name](x) for name in ("relu", "gelu", "sigmoid", "elu")}
    for name in ("relu", "gelu", "sigmoid", "elu"):
        f = _api.FUNCTIONS[name]
        monkeypatch.setitem(f.__globals__, "_forward", general)
        np.testing.assert_array_equal(f(x), expected[name])
        np.testing.assert_array_equal(f(x, n_threads=2), expected[name])
        with pytest.raises(AssertionError, match="general path"):
            f(x.tolist())                      # not a plain call
        with pytest.raises(AssertionError, match="general path"):
            f(x, n_threads=0)                  # checked by the general path
    monkeypatch.undo()
    with pytest.raises(ValueError, match="n_threads must be >= 1"):
        fastact.relu(x, n_threads=0)


def test_bool_param_accepts_numpy_bool():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(fastact.gelu(x, approximate=np.True_), fastact.gelu(x, approximate=True))
    assert not np.array_equal(fastact.gelu(x, approximate=True), fastact.gelu(x, approximate=False))


def test_an_integer_parameter_beyond_double_is_a_value_error():
    # (OverflowError: int too large to convert to float)
    with pytest.raises(ValueError, match=r"alpha of elu must be finite, got alpha=1000000000"):
        fastact.elu(np.ones(3), alpha=10**400)
    with pytest.raises(ValueError, match=r"max_value of relu must be finite"):
        fastact.relu(np.ones(3, np.float32), max_value=-10**400)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu"])
def test_a_float64_saved_beyond_float32_gives_no_warning(name):
    # a float32 grad with a float64 saved: saved is cast to float32 (inf), without NumPy's warning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx = getattr(fastact, name + "_backward")(np.ones(2, np.float32), np.array([1e300, 1.0]))
    assert dx.dtype == np.float32


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")   # (NumPy's, on np.matrix)
def test_a_matrix_out_is_refused_by_name():
    # (a Cython "Buffer has wrong number of dimensions" error, or, along axis 0, accepted)
    for call in (lambda o: fastact.relu(np.ones((2, 4)), out=o), lambda o: fastact.softmax(np.ones((2, 4)), out=o),
                 lambda o: fastact.softmax(np.ones((2, 4)), axis=0, out=o),
                 lambda o: fastact.maxout(np.ones((2, 16)), 4, out=o), lambda o: fastact.prelu(np.ones((2, 4)), 0.1, out=o)):
        with pytest.raises(TypeError, match=r"out must be a numpy.ndarray, got matrix \(a matrix stays 2-d"):
            call(np.matrix(np.zeros((2, 4))))
