# fastact/_scalar.pxd -- the scalar math: one ``cdef inline`` function per activation and direction.
#
# Every function has the kernel signature  NAME_fwd(x, a, b, c)  /  NAME_bwd(g, saved, a, b, c)
# (a, b, c = the row's parameters in _table.py order; None arrives as +inf).  They are written
# branch-free (selects, NaN-preserving comparisons) so that the generated prange loops vectorise.
# float32 transcendental math is done in double and rounded once; float64 carries double-double
# intermediates (hi + lo) into one corrected division: that is where the <= 1 ULP comes from.
from cython cimport floating
from libc.math cimport fabs, copysign, INFINITY

cdef extern from "_vmath.h" nogil:
    double fa_exp_lp(double x) noexcept
    double fa_expm1_lp(double x) noexcept
    double fa_exp_dd(double x, double *lo) noexcept
    double fa_expm1_dd(double x, double *lo) noexcept
    double fa_two_sum(double a, double b, double *err) noexcept
    double fa_div_dd(double n_hi, double n_lo, double d_hi, double d_lo) noexcept


# ---- sigmoid: z = exp(-|x|); 1/(1+z) for x >= 0, z/(1+z) for x < 0 (no overflow, exact limits) ----
cdef inline floating sigmoid_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double nx = -fabs(<double>x), z, z_lo, d, d_lo
    if floating is float:
        # exp(-104) rounds to 0 in float32 already; NaN < c is false, so NaN passes the clamp.
        nx = -200.0 if nx < -200.0 else nx
        z = fa_exp_lp(nx)
        return <float>((1.0 if x >= 0 else z) / (1.0 + z))
    else:
        nx = -746.0 if nx < -746.0 else nx
        z = fa_exp_dd(nx, &z_lo)
        d = fa_two_sum(1.0, z, &d_lo)
        d_lo = d_lo + z_lo
        return fa_div_dd(1.0 if x >= 0 else z, 0.0 if x >= 0 else z_lo, d, d_lo)

cdef inline floating sigmoid_bwd(floating g, floating y, floating a, floating b, floating c) noexcept nogil:
    cdef double yd = y
    return <floating>(<double>g * (yd * (1.0 - yd)))


# ---- tanh: copysign(t / (t + 2), x) with t = expm1(2|x|): full relative accuracy near 0 ----
cdef inline floating tanh_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double ax = fabs(<double>x), t, t_lo, d, d_lo
    ax = 20.0 if ax > 20.0 else ax        # tanh(20) == 1 in double; NaN passes
    if floating is float:
        t = fa_expm1_lp(2.0 * ax)
        return <float>copysign(t / (t + 2.0), <double>x)
    else:
        t = fa_expm1_dd(2.0 * ax, &t_lo)
        d = fa_two_sum(t, 2.0, &d_lo)
        d_lo = d_lo + t_lo
        return copysign(fa_div_dd(t, t_lo, d, d_lo), x)

cdef inline floating tanh_bwd(floating g, floating y, floating a, floating b, floating c) noexcept nogil:
    cdef double yd = y
    return <floating>(<double>g * ((1.0 - yd) * (1.0 + yd)))


# ---- relu (Keras semantics): a = negative_slope, b = max_value (+inf: none), c = threshold ----
cdef inline floating relu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating pos, neg, r
    # Keras clips to [0, max_value] only when max_value is given.
    pos = x if b == INFINITY else (0 if x < 0 else (b if x > b else x))
    neg = 0 if a == 0 else a * (x - c)    # a == 0 must give 0 for x = -inf, not 0 * inf
    r = pos if x > c else neg
    return x if x != x else r

cdef inline floating relu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef bint passes = (x > c) & ((b == INFINITY) | ((x > 0) & (x < b)))
    cdef floating r = g if passes else ((0 if a == 0 else a * g) if x <= c else 0)
    return x if x != x else r


# ---- leaky_relu: a = alpha ----
cdef inline floating leaky_relu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return x if x >= 0 else (x if x != x else (0 if a == 0 else a * x))

cdef inline floating leaky_relu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = g if x > 0 else (0 if a == 0 else a * g)
    return x if x != x else r


# ---- prelu: the forward/backward math is leaky_relu's with a per-element alpha; its alpha gradient: ----
cdef inline double prelu_alpha_grad(floating g, floating x) noexcept nogil:
    # d(alpha * x)/d(alpha) = x where the unit is on its negative side; NaN x propagates
    return 0.0 if x > 0 else <double>g * <double>x


# ---- maxout: does v replace the running maximum b?  NaN wins (and stays); ties keep the first ----
cdef inline bint maxout_takes(floating v, floating b) noexcept nogil:
    return (v > b) | ((v != v) & (b == b))
