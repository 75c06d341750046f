"""The plain call in C (``plain_call`` of the kernel modules): it takes the plain cases, of any size, and
must hand every other one to the general path, with the same results."""
import numpy as np
import pytest

import fastact
from fastact import _dispatch

K = _dispatch.kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_takes_the_plain_cases_and_matches_the_general_path(dtype):
    x = (np.random.default_rng(1).standard_normal((10, 30)) * 3).astype(dtype)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    general = fastact.tanh(np.asfortranarray(x))    # Fortran order: the general path
    y = K.plain_call(1, x, None, None, 0.0, 0.0, 0.0, 10 ** 9, None)
    assert type(y) is np.ndarray and y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, general)
    dx = K.plain_call(1, g, y, None, 0.0, 0.0, 0.0, 10 ** 9, None)
    np.testing.assert_array_equal(dx, fastact.tanh_backward(g, y))
    for v in (x, np.float64(0.5) if dtype == np.float64 else np.float32(0.5)):
        np.testing.assert_array_equal(fastact.sigmoid(np.asarray(v)), fastact.sigmoid(np.asarray(v).copy()))


def test_declines_what_it_must_not_take():
    x = np.linspace(-3, 3, 64)
    plain = [1, x, None, None, 0.0, 0.0, 0.0, 10 ** 9, None]
    cases = {
        "unknown kernel": dict(kid=10 ** 6),
        "a list": dict(first=list(x)),
        "float16": dict(first=x.astype(np.float16)),
        "int": dict(first=np.arange(64)),
        "strided": dict(first=np.linspace(-3, 3, 128)[::2]),
        "Fortran": dict(first=np.asfortranarray(x.reshape(8, 8).T)),
        "byte-swapped": dict(first=x.astype(">f8")),
        "unaligned": dict(first=np.frombuffer(b"\0" + x.tobytes(), np.float64, 64, 1)),
        "saved of another dtype": dict(second=x.astype(np.float32)),
        "saved of another shape": dict(second=x[:32]),
        "out read-only": dict(out=np.zeros(64)),
        "out of another dtype": dict(out=np.zeros(64, np.float32)),
        "out overlapping x": dict(out=None),
    }
    names = ["kid", "first", "second", "out", "a", "b", "c", "serial_below", "n_threads"]
    for label, change in cases.items():
        args = dict(zip(names, plain))
        args.update(change)
        if label == "out read-only":
            args["out"].flags.writeable = False
        if label == "out overlapping x":
            buf = np.linspace(-3, 3, 65)
            args["first"], args["out"] = buf[:64], buf[1:]
        assert K.plain_call(*[args[n] for n in names]) is None, label


def test_out_may_be_an_input_but_not_overlap_one():
    x = np.linspace(-3, 3, 64)
    expected = fastact.sigmoid(x)
    y = x.copy()
    assert fastact.sigmoid(y, out=y) is y                      # in place: taken by the C path
    np.testing.assert_array_equal(y, expected)
    buf = np.linspace(-3, 3, 65)
    out = buf[1:]
    fastact.sigmoid(buf[:64], out=out)                         # partial overlap: the general path copies
    np.testing.assert_array_equal(out, fastact.sigmoid(np.linspace(-3, 3, 65)[:64]))
    g = np.ones(64)
    s = expected.copy()
    assert fastact.sigmoid_backward(g, s, out=s) is s          # out = saved
    np.testing.assert_array_equal(s, fastact.sigmoid_backward(np.ones(64), expected))


@pytest.mark.parametrize("n_threads", [None, 1, 2, 3])
def test_large_plain_calls_run_on_threads_with_the_general_paths_results(n_threads, rng):
    # above the serial cut-off the plain call runs on n_threads (None: get_num_threads()); the result
    # is the general path's (a strided view of the same values) bit for bit, forward and backward
    x = (rng.standard_normal(200_003) * 5).astype(np.float32)
    g = rng.standard_normal(x.size).astype(np.float32)
    xs, gs = np.repeat(x, 2)[::2], np.repeat(g, 2)[::2]
    for name in ("sigmoid", "tanh", "relu", "silu", "gelu"):
        f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
        np.testing.assert_array_equal(f(x, n_threads=n_threads), f(xs, n_threads=n_threads), err_msg=name)
        np.testing.assert_array_equal(b(g, x, n_threads=n_threads), b(gs, xs, n_threads=n_threads), err_msg=name)
        out = np.empty_like(x)
        assert f(x, out=out, n_threads=n_threads) is out


@pytest.mark.parametrize("n_threads", [None, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_plain_row_calls_run_on_threads_with_the_general_paths_results(n_threads, dtype, rng):
    # the functions along an axis: plain_rows takes a plain call of any size along the last axis and
    # runs it on n_threads above the cut-off; the general path (a strided view, or an explicit axis of
    # a transposed copy) gives the same values bit for bit, forward, backward and in place
    x = (rng.standard_normal((301, 1000)) * 5).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    xs, gs = np.repeat(x, 2, axis=1)[:, ::2], np.repeat(g, 2, axis=1)[:, ::2]
    assert K.plain_rows(0, xs, None, None, 10 ** 9, None) is None           # not contiguous: declined
    for name in ("softmax", "log_softmax", "sparsemax"):
        f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
        y = f(x, n_threads=n_threads)
        np.testing.assert_array_equal(y, f(xs, n_threads=n_threads), err_msg=name)
        np.testing.assert_array_equal(y, f(np.ascontiguousarray(x.T), axis=0, n_threads=n_threads).T, err_msg=name)
        dx = b(g, y, n_threads=n_threads)
        np.testing.assert_array_equal(dx, b(gs, np.repeat(y, 2, axis=1)[:, ::2], n_threads=n_threads), err_msg=name)
        inplace = g.copy()
        assert b(inplace, y, out=inplace, n_threads=n_threads) is inplace
        np.testing.assert_array_equal(inplace, dx, err_msg=name)
        out = np.empty_like(x)
        assert f(x, out=out, n_threads=n_threads) is out
        np.testing.assert_array_equal(out, y, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 5, 8])
def test_large_new_outputs_share_their_inputs_offset(dtype, offset):
    # From 16384 elements a plain call's new output starts at its input's offset mod 64 (a backward's at
    # the saved tensor's), so that the span kernels' aligned stores come with aligned loads; it is an
    # ordinary writable C-contiguous array with the general path's values, a view into a longer buffer
    n = 20000
    buf = np.random.default_rng(3).standard_normal(n + 16).astype(dtype)
    x = buf[offset:offset + n].reshape(100, 200)
    g = np.random.default_rng(4).standard_normal(x.shape).astype(dtype)
    y = fastact.silu(x)
    dx = fastact.silu_backward(g, x)
    for r in (y, dx, fastact.softmax(x)):
        assert r.ctypes.data % 64 == x.ctypes.data % 64
        assert r.flags.c_contiguous and r.flags.writeable and r.shape == x.shape and r.dtype == dtype
    np.testing.assert_array_equal(y, fastact.silu(np.asfortranarray(x)))
    np.testing.assert_array_equal(dx, fastact.silu_backward(np.asfortranarray(g), np.asfortranarray(x)))
    y[...] = 1.0                                   # its buffer is its own
    assert (x != 1.0).any() and (y == 1.0).all()
    small = fastact.silu(x[:10])                   # below the threshold: a plain new array
    assert small.flags.owndata


def test_new_outputs_from_32_mib_on_two_threads_are_first_touched_and_hold_every_result(rng):
    # A new output of >= 32 MiB for a call on two threads has its pages faulted in by the calling thread
    # (a store of 0 per 2 MiB) before the kernel runs: every path that makes one (plain, general, along
    # an axis, glu's) must still return the kernel's values there, the same bits as on one thread, where
    # nothing is touched first
    n = (32 << 20) // 4 + 4096                       # float32, just above the threshold
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    rows = x.reshape(-1, 1024)
    cases = {"plain": (fastact.sigmoid, (x,)), "plain backward": (fastact.leaky_relu_backward, (g, x)),
             "general": (fastact.tanh, (x.astype(np.float64)[::2],)),     # strided
             "rows": (fastact.softmax, (rows,)), "general rows": (fastact.log_softmax, (rows.T, 0)),
             "glu": (fastact.glu_backward, (g.reshape(-1, 1024)[:, :512], rows))}
    for label, (f, args) in cases.items():
        two = f(*args, n_threads=2)
        assert two.nbytes >= 32 << 20, label
        np.testing.assert_array_equal(two, f(*args, n_threads=1), err_msg=label)
    for f, b in ((fastact.sigmoid, x), (fastact.softmax, rows)):     # an out= array is never touched:
        inplace = b.copy()                                               # in place, it is the input
        assert f(inplace, out=inplace, n_threads=2) is inplace
        np.testing.assert_array_equal(inplace, f(b, n_threads=1), err_msg=f.__name__)
    assert K.first_touch(np.ones(4), 2).tolist() == [1.0] * 4     # small: untouched


def test_first_touch_only_for_two_threads_in_a_process_on_at_most_two_cpus():
    # the caller's first touch stores a 0 per 2 MiB page: a stall-free trade on the 2-CPU VM, a loss on
    # a 16-CPU one (see FIRST_TOUCH_ON), so it applies only where two threads are all the CPUs
    from fastact._threads import _CPUS
    big = (32 << 20) + 4096                          # bytes: each touched byte becomes 0
    touched = K.first_touch(np.ones(big, np.uint8), 2)
    assert (touched == 0).any() == (_CPUS <= 2)
    assert (touched == 0).sum() <= big // (2 << 20) + 1
    for n_threads in (1, 3, 16):
        assert (K.first_touch(np.ones(big, np.uint8), n_threads) == 1).all(), n_threads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_glu_takes_the_plain_cases_and_declines_the_rest(dtype, rng):
    # kernels.plain_glu: glu along the last axis, checked in C; it must decline what the general path
    # has to convert, copy or reject (fastact.glu then takes the general path, whose results
    # test_axis.py compares), and give the general path's bits where it takes the call
    x = (rng.standard_normal((6, 40)) * 5).astype(dtype)
    g = rng.standard_normal((6, 20)).astype(dtype)
    y = K.plain_glu(x, None, None, 10 ** 9, None)
    assert type(y) is np.ndarray and y.dtype == dtype and y.shape == (6, 20) and y.flags.c_contiguous
    np.testing.assert_array_equal(y, fastact.glu(np.asfortranarray(x)))
    dx = K.plain_glu(x, g, None, 10 ** 9, 2)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dx, fastact.glu_backward(np.asfortranarray(g), np.asfortranarray(x)))
    out = np.empty((6, 20), dtype)
    assert K.plain_glu(x, None, out, 0, 2) is out
    np.testing.assert_array_equal(out, y)
    other = np.float32 if dtype == np.float64 else np.float64
    buf = np.empty(x.size * 2, dtype)
    cases = {
        "a list": dict(x=x.tolist()),
        "float16": dict(x=x.astype(np.float16)),
        "int": dict(x=np.arange(40).reshape(2, 20)),
        "0-d": dict(x=np.array(1.0, dtype)),
        "odd last axis": dict(x=x[:, :39].copy()),
        "empty last axis": dict(x=np.empty((6, 0), dtype)),
        "strided": dict(x=np.repeat(x, 2, axis=1)[:, ::2]),
        "Fortran": dict(x=np.asfortranarray(x)),
        "byte-swapped": dict(x=x.astype(x.dtype.newbyteorder())),
        "unaligned": dict(x=np.frombuffer(b"\0" + x.tobytes(), dtype, x.size, 1).reshape(x.shape)),
        "grad of another dtype": dict(grad=g.astype(other)),
        "grad of x's shape": dict(grad=np.zeros_like(x)),
        "grad strided": dict(grad=np.repeat(g, 2, axis=1)[:, ::2]),
        "out of another dtype": dict(out=np.empty((6, 20), other)),
        "out of x's shape": dict(out=np.empty_like(x)),
        "out read-only": dict(out=np.empty((6, 20), dtype)),
        "out Fortran": dict(out=np.empty((6, 20), dtype, order="F")),
        "out overlapping x": dict(out=None),
        "backward out is x": dict(grad=g, out=x),
        "backward out over grad": dict(grad=buf[:g.size].reshape(g.shape), out=buf[:x.size].reshape(x.shape)),
    }
    for label, change in cases.items():
        args = dict(x=x, grad=None, out=None)
        args.update(change)
        if label == "out read-only":
            args["out"].flags.writeable = False
        if label == "out overlapping x":
            big = np.zeros(x.size + 20, dtype)
            big[:x.size] = x.reshape(-1)
            args["x"], args["out"] = big[:x.size].reshape(x.shape), big[x.size - 100:x.size + 20].reshape(6, 20)
        assert K.plain_glu(args["x"], args["grad"], args["out"], 10 ** 9, None) is None, label
    # and the public functions still give the right answer (or the right error) on each of them
    with pytest.raises(ValueError, match="must be even"):
        fastact.glu(x[:, :39].copy())
    np.testing.assert_array_equal(fastact.glu(np.repeat(x, 2, axis=1)[:, ::2]), y)


# PReLU: (x shape, alpha shape, whether plain_prelu takes it); it takes alpha's slopes as they lie in the
# vector form (Q == 1) and the row form (Q >= 64), and leaves repeated slopes (1 < Q < 64) and alphas
# with an axis of 1 inside their span to the general path
PRELU_CASES = [
    ((64, 8, 8, 16), (16,), True), ((64, 8, 8, 16), (), True), ((8, 10, 10, 6), (10, 10, 6), True),
    ((8, 10, 10, 6), (1, 1, 6), True), ((4, 250), (250,), True), ((4, 250), (1, 250), True),
    ((2000, 100), (100,), True),                     # vector form, four blocks of rows summed in C
    ((16, 6000), (6000,), True),                     # vector form, column chunks
    ((3, 64, 40, 40), (64, 1, 1), True), ((7, 300, 100), (300, 1), True),    # row form
    ((20000,), (), True), ((1,), (1,), True),
    ((16, 12, 9, 5), (12, 1, 1), False), ((40, 30, 3), (30, 1), False),     # 1 < Q < 64
    ((8, 10, 10, 6), (10, 1, 6), False), ((6, 5, 7, 3), (5, 1, 3), False),  # a 1 inside the span
    ((3000,), (1,), True), ((10,), (), False),
]


@pytest.mark.parametrize("shape, alpha_shape, plain", PRELU_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_prelu_gives_the_general_paths_bits(shape, alpha_shape, plain, dtype, rng):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.flat[::17] = -0.0
    x_nan = x.copy()                   # (NaN in the backward's x would make every dalpha NaN)
    x_nan.flat[::13] = np.nan
    alpha = rng.uniform(0.05, 0.5, alpha_shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    assert (K.plain_prelu(x, alpha, None, None, 10 ** 9, None) is not None) == plain
    assert (K.plain_prelu(x, alpha, g, None, 10 ** 9, None) is not None) == plain

    def strided(a):                    # the same values, not contiguous: the general path
        return np.repeat(a, 2, axis=-1)[..., ::2]

    for nt in (1, 2, 3):
        general = fastact.prelu(strided(x_nan), alpha, n_threads=nt)
        y = fastact.prelu(x_nan, alpha, n_threads=nt)
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_array_equal(y, general)
        out = np.full_like(x, 7)
        assert fastact.prelu(x_nan, alpha, out=out, n_threads=nt) is out
        np.testing.assert_array_equal(out, general)
        dx_general, dalpha_general = fastact.prelu_backward(strided(g), strided(x), alpha, n_threads=nt)
        dx, dalpha = fastact.prelu_backward(g, x, alpha, n_threads=nt)
        np.testing.assert_array_equal(dx, dx_general)
        assert dalpha.shape == alpha.shape and dalpha.dtype == alpha.dtype
        assert dalpha.tobytes() == dalpha_general.tobytes() and np.isfinite(dalpha).all()
        in_place = g.copy()            # dx over grad
        dx, dalpha = fastact.prelu_backward(in_place, x, alpha, out=in_place, n_threads=nt)
        assert dx is in_place and dalpha.tobytes() == dalpha_general.tobytes()
        np.testing.assert_array_equal(dx, dx_general)
    in_place = x_nan.copy()
    assert fastact.prelu(in_place, alpha, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, general)


def test_plain_prelu_and_maxout_decline_what_they_must_not_take(rng):
    x = rng.standard_normal((4, 250)).astype(np.float32)
    a = np.full(250, 0.25, np.float32)
    g = rng.standard_normal((4, 250)).astype(np.float32)
    prelu_cases = {
        "x a list": (x.tolist(), a, None), "alpha a list": (x, a.tolist(), None),
        "alpha float64": (x, a.astype(np.float64), None), "x float16": (x.astype(np.float16), a, None),
        "x Fortran": (np.asfortranarray(x), a, None), "x strided": (np.repeat(x, 2, axis=1)[:, ::2], a, None),
        "alpha strided": (x, np.repeat(a, 2)[::2], None),
        "alpha byte-swapped": (x, a.astype(a.dtype.newbyteorder()), None),
        "alpha too big": (x, np.ones((1, 4, 250), np.float32), None),
        "alpha not broadcasting": (x, np.ones(125, np.float32), None),
        "alpha enlarging": (x, np.ones((2, 250), np.float32), None),
        "x empty": (np.empty((0, 250), np.float32), a, None),
        "grad float64": (x, a, g.astype(np.float64)), "grad of another shape": (x, a, g[:2]),
        "grad strided": (x, a, np.repeat(g, 2, axis=1)[:, ::2]),
        "out float64": (x, a, None, np.empty(x.shape)),
        "out Fortran": (x, a, None, np.empty(x.shape, np.float32, "F")),
        "out read-only": (x, a, None, np.empty_like(x)),
        "out of another shape": (x, a, None, np.empty((250, 4), np.float32)),
        "out overlapping x": (x, a, None, "overlap"),
        "out is alpha": (x[:1], np.full((1, 250), 0.5, np.float32), None, "alpha"),
    }
    for label, case in prelu_cases.items():
        xx, aa, gg, out = case + (None,) * (4 - len(case))
        if label == "out read-only":
            out.flags.writeable = False
        if label == "out overlapping x":
            buf = np.zeros(x.size + 10, np.float32)
            xx, out = buf[:x.size].reshape(x.shape), buf[10:].reshape(x.shape)
        if label == "out is alpha":
            out = aa
        assert K.plain_prelu(xx, aa, gg, out, 10 ** 9, None) is None, label
    gm = rng.standard_normal((4, 125)).astype(np.float32)
    maxout_cases = {
        "x a list": (x.tolist(), None, 125, -1), "num_units numpy": (x, None, np.int64(125), -1),
        "num_units bool": (x, None, True, -1), "num_units 0": (x, None, 0, -1), "num_units 3": (x, None, 3, -1),
        "num_units too big": (x, None, 500, -1), "num_units huge": (x, None, 2 ** 70, -1),
        "axis 2": (x, None, 125, 2), "axis -3": (x, None, 125, -3), "axis huge": (x, None, 125, -2 ** 70),
        "axis float": (x, None, 125, -1.0), "x Fortran": (np.asfortranarray(x), None, 125, -1),
        "x 0-d": (np.array(1.0, np.float32), None, 1, 0),
        "grad float64": (x, gm.astype(np.float64), 125, -1), "grad of x's shape": (x, g, 125, -1),
    }
    for label, (xx, gg, units, axis) in maxout_cases.items():
        assert K.plain_maxout(xx, gg, None, units, axis, 10 ** 9, None) is None, label
    y = K.plain_maxout(x, None, None, 125, -2 + 1, 10 ** 9, None)
    np.testing.assert_array_equal(y, fastact.maxout(np.asfortranarray(x), 125))
    np.testing.assert_array_equal(K.plain_maxout(x, None, None, 2, 0, 10 ** 9, 2),
                                  fastact.maxout(np.asfortranarray(x), 2, 0))
    out = np.full((4, 125), 7, np.float32)
    assert K.plain_maxout(x, None, out, 125, -1, 10 ** 9, None) is out
    np.testing.assert_array_equal(out, y)
    dx = np.full_like(x, 7)
    assert K.plain_maxout(x, gm, dx, 125, -1, 0, 2) is dx
    np.testing.assert_array_equal(dx, fastact.maxout_backward(np.asfortranarray(gm), np.asfortranarray(x), 125))
    buf = np.zeros(x.size + 125, np.float32)
    bad_outs = {"out is x": (x, None, x),
                "out over x": (buf[:1000].reshape(x.shape), None, buf[600:1100].reshape(4, 125)),
                "dx is x": (x, gm, x), "out Fortran": (x, None, np.empty((4, 125), np.float32, "F")),
                "out float64": (x, None, np.empty((4, 125))), "out of x's shape": (x, None, np.empty_like(x)),
                "dx over grad": (x, buf[:500].reshape(4, 125), buf[100:1100].reshape(x.shape))}
    for label, (xx, gg, oo) in bad_outs.items():
        assert K.plain_maxout(xx, gg, oo, 125, -1, 10 ** 9, None) is None, label
    # and the public functions give the general path's answers or errors there
    np.testing.assert_array_equal(fastact.maxout(x, np.int64(125)), y)
    with pytest.raises(ValueError, match="num_units must be >= 1"):
        fastact.maxout(x, 0)
    with pytest.raises(ValueError, match="out of bounds"):
        fastact.maxout(x, 125, axis=-3)
    with pytest.raises(ValueError, match="alpha with shape"):
        fastact.prelu(x, np.ones(125, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((4, 250), 0), ((8, 16, 16), 1), ((8, 16, 16), -3), ((3, 5, 7), -2),
                                         ((23, 40), 0), ((24, 40), 0), ((2, 3, 70), 0)])
def test_short_axis_other_than_the_last_gives_the_general_paths_bits(shape, axis, dtype, rng):
    # one axis other than the last shorter than the column kernel's minimum (24) is swapped last and
    # taken by plain_rows, its result swapped back; out= takes the general path (which moves the axis
    # last itself): the same bits, a new C-contiguous array, for every function along an axis and its
    # backward, NaN and strided inputs included
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x.flat[::37] = np.nan
    g = rng.standard_normal(shape).astype(dtype)
    pairs = [(fastact.softmax, fastact.softmax_backward), (fastact.log_softmax, fastact.log_softmax_backward),
             (fastact.sparsemax, fastact.sparsemax_backward)]
    for f, b in pairs:
        for nt in (None, 1, 2):
            y = f(x, axis=axis, n_threads=nt)
            assert y.flags.c_contiguous and not np.shares_memory(y, x)
            np.testing.assert_array_equal(y, f(x, axis=axis, out=np.empty_like(x), n_threads=nt))
            dx = b(g, y, axis=axis, n_threads=nt)
            assert dx.flags.c_contiguous and not np.shares_memory(dx, g)
            np.testing.assert_array_equal(dx, b(g, y, axis=axis, out=np.empty_like(x), n_threads=nt))
        strided = np.repeat(x, 2, axis=-1)[..., ::2]
        np.testing.assert_array_equal(f(strided, axis=axis), f(x, axis=axis, out=np.empty_like(x)))
    with pytest.raises(ValueError, match="out of bounds"):
        fastact.softmax(x, axis=len(shape))
    with pytest.raises((TypeError, ValueError), match="n_threads"):
        fastact.softmax(x, axis=axis, n_threads=0)


@pytest.mark.parametrize("bad, exc, msg", [
    (0, ValueError, r"n_threads must be >= 1, got 0"),
    (1.5, TypeError, r"n_threads must be an integer >= 1 or None, got 1.5 \(float\)"),
    (True, TypeError, r"n_threads must be an integer >= 1 or None, got True \(bool\)"),
    (2**40, ValueError, r"n_threads must be <= 2147483647, got 1099511627776"),
])
def test_plain_calls_leave_a_bad_n_threads_to_the_general_path(bad, exc, msg):
    # every plain call (elementwise, rows, glu, maxout, prelu, a short non-last axis) declines an n_threads
    # that is not None or a count, small arrays included, and the general path names it
    x = np.random.default_rng(3).standard_normal((4, 250)).astype(np.float32)
    for n in (8, 10 ** 5):
        assert K.plain_call(1, x, None, None, 0.0, 0.0, 0.0, n, bad) is None
        assert K.plain_rows(0, x, None, None, n, bad) is None
        assert K.plain_glu(x, None, None, n, bad) is None
        assert K.plain_maxout(x, None, None, 125, -1, n, bad) is None
        assert K.plain_prelu(x, np.full(250, 0.1, np.float32), None, None, n, bad) is None
    calls = [lambda: fastact.tanh(x, n_threads=bad), lambda: fastact.softmax(x, n_threads=bad),
             lambda: fastact.softmax(x, axis=0, n_threads=bad), lambda: fastact.glu(x, n_threads=bad),
             lambda: fastact.maxout(x, 125, n_threads=bad), lambda: fastact.prelu(x, 0.1, n_threads=bad),
             lambda: fastact.maxout_backward(np.ones((4, 125), np.float32), x, 125, n_threads=bad),
             lambda: fastact.prelu_backward(x, x, 0.1, n_threads=bad)]
    for call in calls:
        with pytest.raises(exc, match=msg):
            call()
