# fastact/_scalar.pxd -- the scalar math: one ``cdef inline`` function per activation and direction.
#
# Every function has the kernel signature  NAME_fwd(x, a, b, c)  /  NAME_bwd(g, saved, a, b, c)
# (a, b, c = the row's parameters in _table.py order; None arrives as NaN).  They are written
# branch-free (selects, NaN-preserving comparisons) so that the generated prange loops vectorise.
# float32 transcendental math is done in double and rounded once; float64 carries double-double
# intermediates (hi + lo) into one corrected division: that is where the <= 1 ULP comes from.
from cython cimport floating
from libc.math cimport fabs, copysign, INFINITY, exp, expm1, log, log1p, erfc, tanh, sqrt, fma, ldexp, NAN
from libc.float cimport DBL_MAX

cdef extern from "_vmath.h" nogil:
    double fa_exp_lp(double x) noexcept
    double fa_expm1_lp(double x) noexcept
    double fa_exp_dd(double x, double *lo) noexcept
    double fa_exp_dd_parts(double x, double *lo, double *k) noexcept
    double fa_exp_dd_fix(double v, double v_lo, double sh, double *lo, double *f1, double *f2) noexcept
    double fa_split_pow2(double a, double *m) noexcept
    double fa_expm1_dd(double x, double *lo) noexcept
    double fa_two_sum(double a, double b, double *err) noexcept
    double fa_fast_two_sum(double a, double b, double *err) noexcept
    double fa_div_dd(double n_hi, double n_lo, double d_hi, double d_lo) noexcept
    double fa_div_dd_inv(double n_hi, double n_lo, double d_hi, double d_lo, double inv_d) noexcept
    double fa_residual(double n, double q, double d) noexcept
    double fa_pow2_halves(double k, double *s2) noexcept
    const double FA_LN2_HI
    const double FA_LN2_LO
    const double FA_LOG2E
    const double FA_SHIFT


# ---- sigmoid: z = exp(-|x|); 1/(1+z) for x >= 0, z/(1+z) for x < 0 (no overflow, exact limits) ----
cdef inline floating sigmoid_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double nx = -fabs(<double>x), z, z_lo, d, d_lo
    if floating is float:
        # exp(-104) rounds to 0 in float32 already; NaN < c is false, so NaN passes the clamp.
        nx = -200.0 if nx < -200.0 else nx
        z = fa_exp_lp(nx)
        return <float>((1.0 if x >= 0 else z) / (1.0 + z))
    else:
        z = _sigmoid_dd(x, &z_lo)
        return z + z_lo

cdef inline double _sigmoid_quot(bint pos, double z, double z_lo, double d, double d_lo, double *lo) noexcept nogil:
    # sigmoid(w) = n / d as q + lo, d + d_lo = 1 + z, z + z_lo = e^-|w|, n = 1 for w >= 0 (pos), z
    # below: the double-double quotient (fa_div_dd's, its correction apart) with the correction's 1/d
    # as q (pos) or 1 - q (z/d + 1/d = 1), 2^-52 relative, nothing to a term of 2^-53 q: one vdivpd
    # per element, not two (float64 sigmoid 2-4% faster, near the noise; five copies are one)
    cdef double n = 1.0 if pos else z, q = n / d
    lo[0] = ((fa_residual(n, q, d) + (0.0 if pos else z_lo)) - q * d_lo) * (q if pos else 1.0 - q)
    return q

cdef inline double _sigmoid_dd(double x, double *lo) noexcept nogil:
    # float64 sigmoid(x) as q + lo (_sigmoid_quot), for glu's a sigmoid(b), rounded once
    cdef double nx = -fabs(x), z, z_lo, d, d_lo
    nx = -746.0 if nx < -746.0 else nx
    z = fa_exp_dd(nx, &z_lo)
    d = fa_fast_two_sum(1.0, z, &d_lo)
    return _sigmoid_quot(x >= 0, z, z_lo, d, d_lo + z_lo, lo)

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


# ---- relu (Keras semantics): a = negative_slope, b = max_value (NaN: none), c = threshold ----
cdef inline floating relu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating pos, neg, r
    # Keras clips to [0, max_value] only when max_value is given (b NaN: None; an inf b is a given bound)
    pos = x if b != b else (0 if x < 0 else (b if x > b else x))
    neg = 0 if a == 0 else a * (x - c)    # a == 0 must give 0 for x = -inf, not 0 * inf
    r = pos if x > c else neg
    return x if x != x else r

cdef inline floating relu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # Keras's gradient at the kinks too (its TensorFlow ops'): with a slope, no max_value and threshold 0
    # Keras calls the leaky op (g where x > 0, a g at 0 and below); otherwise its composite, whose parts
    # pass g strictly inside (x > c; relu6's 0 < x < 6 for max_value 6 and threshold 0; the leak's
    # relu(c - x) below c, none at c), and whose clip to [0, b] passes it at both bounds (x = 0, b).
    # As bounds fixed per call, which the compiler hoists out of the loops (NaN: none, a comparison with
    # it fails), so that an element takes four compares as before the kinks were Keras's (written with
    # each case's own tests, relu's backward with parameters took 1.45x the time, 1e6 float32): g
    # where x > c, not x > hi (b, or for relu6 the float below 6) and not x < lo (0, for a clip); the
    # leak where x < c, and for the leaky op at x = c = 0 too (x == ceq; NaN elsewhere).  (Not x < the
    # smallest subnormal for the leaky op's x <= 0: TensorFlow's threads, which run the Keras bridge's
    # calls in graphs, treat subnormals as 0, and x = 0 lost its leak there.)
    cdef bint none = b != b
    cdef bint relu6_op = (c == 0) & (b == 6)
    cdef floating eps = <floating>(5.9604644775390625e-08 if floating is float else 1.1102230246251565e-16)
    cdef floating hi = b - b * eps if relu6_op else b          # (6 (1 - 2^-24) rounds to the float below 6)
    cdef floating lo = <floating>NAN if none | relu6_op else 0
    cdef floating ceq = c if (a != 0) & none & (c == 0) else <floating>NAN
    cdef bint passes = (x > c) & (not (x > hi)) & (not (x < lo))
    cdef bint leaks = (x < c) | (x == ceq)
    cdef floating r = g if passes else ((0 if a == 0 else a * g) if leaks else 0)
    return x if x != x else r

# its plain form, the defaults (no leak, no clip, threshold 0): the same results in fewer instructions
cdef inline floating relu_plain_fwd(floating x) noexcept nogil:
    return 0 if x <= 0 else x     # NaN is not <= 0 and passes; -0 gives +0, as relu_fwd does

cdef inline floating relu_plain_bwd(floating g, floating x) noexcept nogil:
    return x if x != x else (g if x > 0 else 0)


# ---- leaky_relu: a = alpha ----
cdef inline floating leaky_relu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return x if x >= 0 else (x if x != x else (0 if a == 0 else a * x))

cdef inline floating leaky_relu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = g if x > 0 else (0 if a == 0 else a * g)
    return x if x != x else r


# ---- prelu: the forward is leaky_relu's with a per-element alpha; the backward Keras's PReLU's, relu(x) -
# alpha relu(-x), whose gradient is 0 at x = 0 (leaky_relu's op gives alpha g there); its alpha gradient: ----
cdef inline floating prelu_bwd(floating g, floating x, floating a) noexcept nogil:
    cdef floating r = g if x > 0 else (0 if (a == 0) | (x == 0) else a * g)
    return x if x != x else r

cdef inline double prelu_alpha_grad(floating g, floating x) noexcept nogil:
    # d(alpha * x)/d(alpha) = x where the unit is on its negative side; NaN x propagates
    return 0.0 if x > 0 else <double>g * <double>x


# ---- maxout: does v replace the running maximum b?  NaN wins (and stays); ties keep the first ----
cdef inline bint maxout_takes(floating v, floating b) noexcept nogil:
    return (v > b) | ((v != v) & (b == b))


# ==== Keras 3's other elementwise activations ====================================================
# float32 is computed in double and rounded once (the vectorisable fa_*_lp blocks where the function is
# exp/expm1-based, libm's log1p/erfc/tanh elsewhere); float64 uses libm with the stable formulations
# noted per function, double-double where a plain formula would lose more than an ULP or two.
# NaN propagates everywhere (also where Keras's tf.where formulations would turn it into a number).

cdef extern from *:
    """
    /* Horner's rule over n coefficients (constant at every call, so the loop unrolls and the
     * surrounding elementwise loop still vectorises) */
    static inline double fa_horner(const double *c, int n, double u)
    {
        double p = c[n - 1];
        #pragma GCC unroll 32
        for (int k = n - 2; k >= 0; k--)
            p = p * u + c[k];
        return p;
    }
    """
    double fa_horner(const double *c, int n, double u) noexcept nogil


cdef inline double _exp_lp(double v) noexcept nogil:
    # exp for the float32 paths: fa_exp_lp on its domain (the clamps keep NaN); e^-700 is small enough
    # to vanish even against the large factors some derivatives multiply it by
    v = -700.0 if v < -700.0 else v
    v = 700.0 if v > 700.0 else v
    return fa_exp_lp(v)

cdef inline double _expm1_neg_lp(double v) noexcept nogil:
    # expm1(v) for v <= 0 or NaN for the float32 paths
    return fa_expm1_lp(-200.0 if v < -200.0 else v)

cdef inline double _expm1_neg_dd(double v, double *lo) noexcept nogil:
    # expm1(v) for v <= 0 or NaN as hi + lo for the float64 paths: the double-double expm1 (vectorisable,
    # where libm's expm1 kept elu's and selu's loops scalar), held at -40, below which it is -1 in
    # double (its pair there, -1 + 4.2e-18, times any factor rounds as -1 + e^v would: 4.2e-18 is below
    # half an ULP of 1).  The caller multiplies the pair by its factor with one rounding (fma(a, hi,
    # a lo)): a times the rounded hi + lo was two roundings, up to 1.37 ULP (elu with alpha = 1e-20,
    # selu 1.44).  For v = -0 the pair is (+0, 0): callers keep -0 themselves.
    return fa_expm1_dd(-40.0 if v < -40.0 else v, lo)


cdef inline double _exp_fix(double v, double v_lo, double *lo, double *f1, double *f2) noexcept nogil:
    # e^(v + v_lo) = (e + *lo) *f1 *f2 (fa_exp_dd_fix: e + lo normal, *f1 and *f2 powers of two, both 1
    # from v = -665 to 709), v held in [-1500, 1500] (NaN passes): the float64 backward of elu, selu,
    # celu, softplus and log_sigmoid is g times about e^v, which is subnormal below -708 where g e^v need
    # not be (celu at x = -711 with g = 19 was 3.1 ULP off when e^v came rounded), so their products
    # are taken times *f1, then *f2, last.  Above 709.78 (celu's x / alpha for a negative alpha) e^v
    # overflows where g e^v need not (g = 1e-10 at v = 720: 5e302); from 1500 on any nonzero g times it
    # does, and g = 0 gives 0.  No branch or libm call: the loops vectorise.
    cdef double vc = -1500.0 if v < -1500.0 else (1500.0 if v > 1500.0 else v)
    return fa_exp_dd_fix(vc, v_lo, 0.0, lo, f1, f2)


cdef extern from "_vmath.h":            # (selu's constants: _spans_f64.h uses them too)
    const double FA_SELU_SCALE
    const double FA_SELU_SCALE_LO
    const double FA_SELU_SA
    const double FA_SELU_SA_LO


cdef extern from *:
    """
    #define FA_GELU_R2_HI 0.70710678118654757
    #define FA_GELU_R2_LO -4.8336466567264567e-17
    #define FA_GELU_2_SQRTPI 1.1283791670955126
    #define FA_GELU_1_SQRT2PI 0.3989422804014327
    #define FA_GELU_K0 0.7978845608028654
    #define FA_GELU_K0_LO -4.98465440455546e-17
    #define FA_GELU_K1_LO 2.1960211427085595e-18
    #define FA_GELU_K1 0.044715
    #define FA_EXP_64LN2LO_M1 1.2212575621905262e-08
    """
    const double FA_GELU_R2_HI
    const double FA_GELU_R2_LO
    const double FA_GELU_2_SQRTPI
    const double FA_GELU_1_SQRT2PI
    const double FA_GELU_K0
    const double FA_GELU_K0_LO
    const double FA_GELU_K1_LO
    const double FA_GELU_K1
    const double FA_EXP_64LN2LO_M1      # e^(64 LN2_LO) - 1: the factor a 2^64 shift leaves out of exp


cdef inline double _exp_acc(double v) noexcept nogil:
    # exp(v), any v (or NaN), rounded nearly correctly from fa_exp_dd's pair, vectorisable: 0 below -746,
    # inf from 709.79 on (fa_exp_dd scales by two powers of two, so its range reaches 710)
    cdef double lo, hi
    v = -746.0 if v < -746.0 else v
    hi = fa_exp_dd(710.0 if v > 710.0 else v, &lo)   # (C leaves the order of f(&lo) + lo open)
    return hi + lo

cdef inline double _exp_any(floating x, double v) noexcept nogil:
    # exp at the precision floating needs: fa_exp_lp for float32, fa_exp_dd's pair added up for float64
    # (vectorisable, where libm's exp kept the loops scalar: exponential's forward 2.74 -> 0.70 ns per
    # element, one thread)
    if floating is float:
        return _exp_lp(v)
    else:
        return _exp_acc(v)

cdef inline double _log1p_lp(double z) noexcept nogil:
    # log1p(z) for z in [0, 1] (or NaN) to ~2^-31 relative, vectorisable: 2 atanh(s), s = z/(2 + z)
    # in [0, 1/3], 10 terms of the odd series (the float32 paths of softplus and log_sigmoid)
    cdef double s = z / (2.0 + z), s2 = s * s, p = 1.0 / 19.0
    p = p * s2 + 1.0 / 17.0
    p = p * s2 + 1.0 / 15.0
    p = p * s2 + 1.0 / 13.0
    p = p * s2 + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    return 2.0 * s + 2.0 * s * s2 * p

cdef inline double _log1p_exp_neg(floating x) noexcept nogil:
    # log1p(exp(-|x|)) for the float32 paths
    return _log1p_lp(_exp_lp(-fabs(<double>x)))

cdef inline double _log1p_exp_neg_dd(double x, double *lo) noexcept nogil:
    # log1p(e^-|x|) as hi + lo for the float64 paths (to ~2^-57), vectorisable (libm's log1p and exp
    # kept softplus' and log_sigmoid's loops scalar: 8.9 ns per element).  With z = e^-|x| in [0, 1]
    # (fa_exp_dd's pair), log1p(z) = 2 atanh(s), s = z / (2 + z) in [0, 1/3]: 2 + z as hi + lo
    # (Fast2Sum), t = 2s = 2z / (2 + z) as hi + lo (one division, its residual exact, z's low part in
    # it; 2s rather than s, which is subnormal where z is near DBL_MIN: 1.5 ULP at x = -708), and
    # atanh(s) / s - 1 = s^2 P(s^2) by its series to s^32 (truncation 2^-51 of P, whose term is at most
    # 1/27 of the result).  All terms are positive: no cancellation, and for a tiny z the result is z
    # to its full accuracy.  (A form with 1 + z = 2^k f and f near 1 needed fewer terms but two
    # divisions and a TwoSum against the cancellation between log f and the rounding of 1 + z: 40%
    # slower.)
    cdef double nx = -fabs(x), z, z_lo, d, d_lo, inv, t, t_lo, s2, s4, s8, p
    z = fa_exp_dd(-746.0 if nx < -746.0 else nx, &z_lo)
    d = fa_fast_two_sum(2.0, z, &d_lo)
    inv = 1.0 / d
    t = (2.0 * z) * inv
    t_lo = ((fa_residual(2.0 * z, t, d) + 2.0 * z_lo) - t * d_lo) * inv
    s2 = 0.25 * (t * t)
    s4 = s2 * s2
    s8 = s4 * s4
    p = (((1.0 / 3.0 + s2 * (1.0 / 5.0)) + s4 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))
         + s8 * ((1.0 / 11.0 + s2 * (1.0 / 13.0)) + s4 * (1.0 / 15.0 + s2 * (1.0 / 17.0))))
    p = p + (s8 * s8) * (((1.0 / 19.0 + s2 * (1.0 / 21.0)) + s4 * (1.0 / 23.0 + s2 * (1.0 / 25.0)))
                         + s8 * ((1.0 / 27.0 + s2 * (1.0 / 29.0)) + s4 * (1.0 / 31.0 + s2 * (1.0 / 33.0))))
    lo[0] = t_lo + t * s2 * p
    return t

cdef inline double _sigmoid_acc(floating x) noexcept nogil:
    # sigmoid(x) for derivatives, where one nearly cancels: float32 from an exp good to a double ULP
    # (fa_exp_lp's 2e-9 would show); float64 is sigmoid's own double-double path (<= 0.73 ULP)
    cdef double z
    if floating is float:
        z = _exp_acc(-fabs(<double>x))
        return (1.0 if x >= 0 else z) / (1.0 + z)
    else:
        return sigmoid_fwd(x, 0, 0, 0)


# ---- elu: a = alpha ----
cdef inline floating elu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double v = 0.0 if x > 0 else <double>x
    cdef double m, m_lo, r
    if floating is float:
        return x if x > 0 else <floating>(<double>a * _expm1_neg_lp(v))
    else:
        m = _expm1_neg_dd(v, &m_lo)
        r = fma(a, m, a * m_lo) if v != 0 else a * v     # (a * v: x = -0 keeps its sign)
        return x if x > 0 else r

cdef inline floating elu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double v = 0.0 if x > 0 else <double>x
    cdef double e, lo, f1, f2, am, sh
    if floating is double:
        # e normal, f1 f2 <= 1 put on last.  For |alpha| < 1, g e first: alpha e was subnormal where
        # g alpha e is not (alpha = 1e-20, x = -666, g = -53: 7.3 ULP).  For |alpha| >= 1, alpha = am 2^sh
        # with am in [1, 2) (loop-invariant) and e = e^v 2^sh, held at 2^-960 as e^v alone was: then g
        # (am e) underflows or overflows only where the result does (where f1 f2 < 1 it is below 2^66).
        # alpha e with f1 f2 put on after g overflowed where the result does not (alpha = 1e300, x =
        # -800, g = 1e300: inf for 3.7e252).  g alpha reaches 2^2048, so v is held at -1500 - sh ln2
        # rather than -1500 (g alpha e^-1500 is not 0: alpha = 1e200, x = -1e5, g = 1e200 gave 3.6e-252
        # for 3.6e-43030), where f1 f2 is 2^-1204 still and the product 0 for any g.
        sh = fa_split_pow2(a, &am)
        v = -1500.0 - sh * FA_LN2_HI if v < -1500.0 - sh * FA_LN2_HI else v    # (NaN passes)
        e = fa_exp_dd_fix(v, 0.0, sh, &lo, &f1, &f2)     # (e is the pair's sum already)
        e = (g * e) * a if fabs(a) < 1.0 else g * (am * e)
        return g if x > 0 else (e * f1) * f2
    return g if x > 0 else <floating>(<double>g * (<double>a * _exp_any(x, v)))


# ---- selu: fixed scale and alpha (Klambauer et al.); scale and scale * alpha as double-doubles ----
cdef inline double _selu_factor(floating x, double e) noexcept nogil:
    # scale * (x if x > 0 else alpha * e), with one rounding in float64
    if x > 0:
        return fma(FA_SELU_SCALE, <double>x, FA_SELU_SCALE_LO * <double>x)
    return fma(FA_SELU_SA, e, FA_SELU_SA_LO * e)

cdef inline floating selu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double v = 0.0 if x > 0 else <double>x
    cdef double m, m_lo, r
    if floating is float:
        return <floating>_selu_factor(x, _expm1_neg_lp(v))
    else:
        # scale alpha (m + m_lo) with one rounding; x = -0 keeps its sign (SA v)
        m = _expm1_neg_dd(v, &m_lo)
        r = fma(FA_SELU_SA, m, FA_SELU_SA * m_lo + FA_SELU_SA_LO * m) if v != 0 else FA_SELU_SA * v
        return fma(FA_SELU_SCALE, x, FA_SELU_SCALE_LO * x) if x > 0 else r

cdef inline floating selu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # g scale from x = 0 on (-0 too), as Keras's (TensorFlow's SeluGrad: its output is not below 0 there)
    cdef double v = 0.0 if x > 0 else <double>x
    cdef double e, lo, f1, f2
    if floating is double:
        e = _exp_fix(v, 0.0, &lo, &f1, &f2)
        return g * FA_SELU_SCALE if x >= 0 else ((g * fma(FA_SELU_SA, e, FA_SELU_SA_LO * e)) * f1) * f2
    return <floating>(<double>g * (FA_SELU_SCALE if x >= 0 else _selu_factor(x, _exp_any(x, v))))


# ---- celu: a = alpha (nonzero); x for x > 0, alpha * expm1(x / alpha) otherwise.  float64 carries
# the rounding of x / alpha (v_lo) into exp/expm1 to first order: large |x / alpha| would amplify it ----
cdef inline double _celu_arg(floating x, floating a, double *v_lo) noexcept nogil:
    cdef double v
    v_lo[0] = 0.0
    if floating is float:
        # x times 1/alpha (hoisted out of the loop, no vdivpd): 2^-52 relative, 2^-43 of e^v at |v| = 700.
        # min(x, 0) as (x - |x|)/2 (exact; NaN stays; +inf gives NaN, which celu's x > 0 discards): the
        # select on x > 0 put a float mask among the double lanes' clamps below, and GCC widened and
        # narrowed it with 21 shuffles per 8 elements (AVX2)
        v = (<double>x - fabs(<double>x)) * (0.5 / <double>a)
        v = 200.0 if v > 200.0 else v        # alpha < 0 makes v positive; expm1(200) overflows float
        return -700.0 if v < -700.0 else v
    else:
        # x / alpha as v + v_lo from the reciprocal (hoisted out of the loop): v is a couple of ULP off,
        # v + v_lo good to ~2^-104 (fa_div_dd_inv's argument), without the two vdivpd per element.  v_lo
        # is 0 where _exp_fix holds v (|v| from 1500 on, as the AVX-512 span's fa_celu_exp_pd): there it
        # belonged to the v that was held, not to 1500, and e^(1500 + v_lo) took it to first order as
        # a factor 1 + v_lo, with v_lo up to 2^-53 |v|: the backward gave -inf for +inf (alpha =
        # -2.8e-38, x = -1.96, g = 1) and 3.1e-267 for 0 (alpha = 0.87, x = -3.2e99, g = 4.1e301)
        v = 0.0 if x > 0 else <double>x * (1.0 / <double>a)
        v_lo[0] = fma(-v, <double>a, <double>x) * (1.0 / <double>a) if fabs(v) < 1500.0 else 0.0  # (a select)
        return v

cdef inline floating celu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double v_lo, v = _celu_arg(x, a, &v_lo), e, vc, m, m_lo, n, s1, s2, t
    cdef bint big
    if floating is float:
        return x if x > 0 else <float>(<double>a * fa_expm1_lp(v))
    else:
        # where |x / alpha| < 2^-60 the result is x (alpha expm1(v) = x (1 + v/2 + ...)): x / alpha
        # underflowed to 0 for alpha = 1e30 and x = -2e-298 (-0, not x), and rounded as a subnormal
        # for alpha = 7 near x = -2.4e-308 (3.0 ULP)
        # alpha expm1(v) from the double-double expm1, without a branch or libm call (libm's expm1 kept
        # the loop scalar: 7.5 ns per element).  v is positive for a negative alpha, up to where alpha
        # e^v overflows, which for a tiny alpha is long after e^v does (alpha = -1e-3, x = -0.714 gave
        # -inf for -1.1e307): above 700, e^v = 2^n e^(v - n ln2) with v - n ln2 near 650 (n LN2_HI
        # exactly, e^(-n LN2_LO) - 1 to second order), alpha times the pair, then the two halves of
        # 2^n (fa_pow2_halves; v held at 1460, beyond which the product overflows for any alpha); held at -40 below
        # (expm1 is -1 in double).  v_lo to first order: expm1'(v) = e^v = m + 1.
        big = v > 700.0
        vc = 1460.0 if v > 1460.0 else v
        n = ((vc - 650.0) * FA_LOG2E + FA_SHIFT) - FA_SHIFT if big else 0.0
        t = n * FA_LN2_LO
        vc = vc - n * FA_LN2_HI
        m = fa_expm1_dd(-40.0 if vc < -40.0 else vc, &m_lo)
        m_lo = m_lo + (m + 1.0) * ((v_lo if v < 1460.0 else 0.0) + (0.5 * t * t - t))
        s1 = fa_pow2_halves(n, &s2)
        # -|.|: for x < 0 celu is negative whatever alpha's sign (alpha and expm1(x / alpha) have opposite
        # signs), but where alpha m overflows, alpha m_lo can too, with m_lo's sign: the FMA's exact alpha
        # m plus that inf gave +inf for -inf (alpha = -1e38, x = -6.99e40; -8.99e307, x = -inf).  One
        # OR per vector (celu forward 3.37 -> 3.41 ms per 1e6 doubles at AVX2, within the noise)
        e = -fabs((fma(<double>a, m, <double>a * m_lo) * s1) * s2)
        e = x if fabs(v) < 8.673617379884035e-19 else e        # (2^-60)
        return x if not (x <= 0) else e

cdef inline floating celu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double v_lo, v = _celu_arg(x, a, &v_lo), e, lo, f1, f2
    if floating is double:
        e = _exp_fix(v, v_lo, &lo, &f1, &f2)
        return g if x > 0 else ((g * e) * f1) * f2
    e = _exp_any(x, v)
    return g if x > 0 else <floating>(<double>g * (e + e * v_lo if (v_lo != 0) & (e != INFINITY) else e))


# ---- gelu: a = approximate (0 or 1) ----
# exact: x Phi(x) = x/2 erfc(-x/sqrt2).  float64 corrects erfc for the rounding of its argument
# (erfc'(z) = -2/sqrt(pi) exp(-z^2)), which a plain x * 0.7071... would amplify by 2z^2 in the tail.
# approximate: x/2 (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no cancellation.

# erfc for the float32 paths, vectorisable: erfc(z) = t exp(P(u) - z^2), t = 2/(2 + z), u = (12t - 7)/5
# in [-1, 1] for z in [0, 10]; P of degree 14 fitted (Chebyshev least squares, benchmarks/fit_erfc.py)
# to log(erfc(z)/t) + z^2 within 2^-35.6, so erfc is good to 2^-35 relative.
cdef extern from *:
    """
    static const double FA_ERFC_P[15] = {
    -0.5585953511357098,
    0.5703071524041937,
    0.015744884852398517,
    -0.029471315399404608,
    -0.0010433021292309114,
    0.003712872486811665,
    -0.0002858296172589309,
    -0.0005463334201889051,
    0.0001497671827622292,
    6.623240633569708e-05,
    -4.208496807796454e-05,
    -3.4364395472966333e-06,
    7.950959331121022e-06,
    -3.9424631672457565e-07,
    -8.12954668600305e-07,
    };
    """
    const double FA_ERFC_P[15]

cdef inline double _erfc_lp(double z) noexcept nogil:
    # z >= 0 or NaN; erfc(z > 10) < 2e-45 is below float32's range, and 0 keeps x erfc(z) there so
    cdef double t, u, p, zc
    zc = 10.0 if z > 10.0 else z
    # t = 2 / (2 + zc) from a float reciprocal (16 lanes, a third of vdivpd's cost) and one Newton step
    # (2^-46 relative); u's constant division as a product (an ULP of u is nothing to the polynomial)
    t = <float>1.0 / <float>(2.0 + zc)
    t = 2.0 * (t * (2.0 - (2.0 + zc) * t))
    u = (12.0 * t - 7.0) * 0.2
    p = fa_horner(FA_ERFC_P, 15, u)
    return 0.0 if z > 10.0 else t * _exp_lp(p - zc * zc)    # 2e-9: 0.03 ULP of a float32 result

# erf(z) for |z| < 1 from its Taylor series (17 terms, 2^-49 at |z| = 1): the derivative of gelu
# crosses zero at z = 0.53, where Phi needs an absolute accuracy the erfc form does not reach
cdef extern from *:
    """
    static const double FA_ERF_T[17] = {
    1.1283791670955126,
    -0.37612638903183754,
    0.11283791670955126,
    -0.026866170645131252,
    0.005223977625442188,
    -0.0008548327023450853,
    0.00012055332981789664,
    -1.492565035840625e-05,
    1.6462114365889248e-06,
    -1.6365844691234924e-07,
    1.4807192815879218e-08,
    -1.2290555301717928e-09,
    9.422759064650411e-11,
    -6.7113668551641105e-12,
    4.4632242632864775e-13,
    -2.7835162072109215e-14,
    1.6342614095367152e-15,
    };
    """
    const double FA_ERF_T[17]

# The normal tail Q(a) = erfc(a / sqrt2) / 2 in float64, vectorisable (exact gelu's float64 forward and
# backward; libm's erfc kept those loops scalar: ~20 ns per element).  fdlibm's structure with our own
# fits (benchmarks/fit_tables.py gelu_q64), z = a / sqrt2 (as z + z_lo), every region evaluated and
# selected (no branch): z < 1/2, 1/2 - (1/2) erf(z) with erf = z (t0 + y S(y)), y = z^2, from erf's
# Taylor series (FA_ERF_T), t0 + y S as a double-double; z in [1/2, 0.84375) and [0.84375, 1.25),
# (C + D(s)) / 2 with C = erfc at the interval's anchor (0.671875, 1.0625) and D a polynomial in s = z -
# anchor, small, so that its rounding is small beside erfc; z from 1.25, e^(-z^2 - 0.5625 + F(1/z^2))
# / (2 z) with F small (up to 0.22) in two pieces (z below and from 2.857), -z^2 = -a^2/2 exact as
# hi + lo, 1/z = sqrt2 / a as hi + lo.  Where z is rounded (the first three regions) its low part is
# taken to first order, erfc'(z) = -t0 e^(-z^2), with e^(-z^2) from the same exp as the tail's.
# Q + q_lo within 0.77 ULP of Q over 10k points against mpmath; from a = 38.6 (Q below 2^-1074) 0.
# The long polynomials by Estrin's scheme (a chain of 5 FMAs: Horner's 27 made the loop 5.5 ns per
# element instead of 3.7); the short ones by Horner's, whose rounding in the regions that need the
# polynomial's relative accuracy Estrin's doubled (1.07 -> 1.8 ULP).
cdef extern from *:
    """
    static const double FA_GQ_B[17] = {
        -2.4914856076776855e-17, -0.7184682397495465, 0.4827208485817266, 0.02327069982261715,
        -0.16872445024890265, 0.038363486057607324, 0.03640136433472241, -0.01612192525056544,
        -0.005092312725513014, 0.0038951293765149744, 0.00038189203059926015, -0.0006840362142541827,
        1.8735341877101196e-05, 9.45236408984854e-05, -1.154181646852889e-05, -1.0544820320658443e-05,
        2.2043587322411073e-06,
    };
    static const double FA_GQ_C[16] = {
        5.439558969310022e-18, -0.36490289117800395, 0.3877093218766292, -0.1529931392699444,
        -0.0479588353883853, 0.06628044682105504, -0.010685302145513324, -0.01253730633093751,
        0.005619929592383781, 0.0011108818154661635, -0.0012351607170735129, 5.682729214901593e-05,
        0.00017707346915704267, -3.690778354613631e-05, -1.7588355954685393e-05, 6.627042545852984e-06,
    };
    static const double FA_GQ_D[27] = {
        -0.14917905895199052, -0.283037101867471, 0.14159712167801092, -0.11379229930114311,
        0.11383422487868179, -0.12980245476227334, 0.16177699937960568, -0.21523265537624128,
        0.30118571577726405, -0.43890989112216783, 0.6614012413537002, -1.0252310169260923,
        1.6283384190523331, -2.6438142015698074, 4.370467901051688, -7.257478555501804,
        12.361550556461946, -23.7927990217366, 42.06181444293542, -28.092751358000722,
        44.345658072183525, -685.9960312014314, 1304.9458173023695, 2744.2128557301417,
        -5376.313335111891, -15531.246756453074, 29870.544270597384,
    };
    static const double FA_GQ_E[21] = {
        -0.009864942924700087, -0.4999999999999979, 0.6249999999974196, -1.5416666654181097,
        5.515624677369798, -25.50619848141875, 143.7574690609385, -952.916649569877,
        7239.025683270025, -61408.44523177609, 560934.1345199759, -5239652.328422664,
        47106783.13961395, -384534109.27371746, 2710979222.1659184, -15811181723.292692,
        73184104005.05174, -256205033035.5231, 633764594900.3231, -983476391581.0049,
        718175997758.0837,
    };
    #define FA_GQ_KD_HI -0.7116790589519906       /* FA_GQ_D[0] - 0.5625 = HI + LO exactly */
    #define FA_GQ_KD_LO 5.551115123125783e-17
    #define FA_GQ_KE_HI -0.5723649429247001       /* FA_GQ_E[0] - 0.5625 */
    #define FA_GQ_KE_LO -5.204170427930421e-18
    #define FA_GQ_CB 0.34202347284016327
    #define FA_GQ_CC 0.13294173056504724
    #define FA_GQ_T0_LO 1.533545961316588e-17
    #define FA_GQ_S2_HI 1.4142135623730951
    #define FA_GQ_S2_LO -9.667293313452913e-17

    /* Estrin's scheme for up to 32 coefficients (the missing ones 0): a chain of 5 FMAs.  Scalars, not
     * an array: an array's stack frame kept GCC from inlining the callers into the vectorised loops */
    #define FA_EC(k) ((k) < n ? c[k] : 0.0)
    #define FA_EP(k) (FA_EC(2 * (k)) + FA_EC(2 * (k) + 1) * w)
    static inline __attribute__((always_inline)) double fa_estrin(const double *c, int n, double w)
    {
        double w2 = w * w, w4 = w2 * w2, w8 = w4 * w4, w16 = w8 * w8;
        double q0 = FA_EP(0) + FA_EP(1) * w2, q1 = FA_EP(2) + FA_EP(3) * w2;
        double q2 = FA_EP(4) + FA_EP(5) * w2, q3 = FA_EP(6) + FA_EP(7) * w2;
        double q4 = FA_EP(8) + FA_EP(9) * w2, q5 = FA_EP(10) + FA_EP(11) * w2;
        double q6 = FA_EP(12) + FA_EP(13) * w2, q7 = FA_EP(14) + FA_EP(15) * w2;
        double r0 = q0 + q1 * w4, r1 = q2 + q3 * w4, r2 = q4 + q5 * w4, r3 = q6 + q7 * w4;
        return (r0 + r1 * w8) + (r2 + r3 * w8) * w16;
    }
    #undef FA_EP
    #undef FA_EC

    /* Q(a) = erfc(a / sqrt2) / 2 as hi + *q_lo (not renormalised), a >= 0 or NaN; with times_a, a Q(a)
     * (gelu's -gelu(-a)), whose tail is e^(...) sqrt2 / 2 from e's unscaled pair with 2^k put on last,
     * so that a Q is rounded once where Q would be subnormal and a Q is not (a near 37.5) */
    static inline __attribute__((always_inline)) double fa_normal_q_f64(double a, double *q_lo, const int times_a)
    {
        double ac = a > 38.6 ? 38.6 : a;
        double z = ac * FA_GELU_R2_HI, z_lo = fma(ac, FA_GELU_R2_HI, -z) + ac * FA_GELU_R2_LO;
        double aa = ac * ac, aa_lo = fma(ac, ac, -aa);
        /* the tail's exponent, -z^2 - 0.5625 + F (just -z^2 below z = 1.25), as hi + lo, and its exp.
         * F = c0 + c1 u + u^2 P(u) (u = s - 0.38125 or s): c0 - 0.5625 is a pair of constants, c1 u a
         * pair (FMA), only u^2 P (below 0.012) rounded; each sum's error kept (F rounded, then F -
         * 0.5625 rounded again, put up to 2^-54 into the exponent: 1.41 ULP at x = -2.23) */
        double s = 2.0 / aa;
        int tail = z >= 1.25, dreg = z < 2.857;
        double wd = s - 0.38125, u = dreg ? wd : s;
        double pd = fa_estrin(FA_GQ_D + 2, 25, wd), pe = fa_estrin(FA_GQ_E + 2, 19, s);
        double c1 = dreg ? FA_GQ_D[1] : FA_GQ_E[1];
        double m = c1 * u, m_lo = fma(c1, u, -m), r2 = (u * u) * (dreg ? pd : pe);
        double e1, t1 = fa_two_sum(-0.5 * aa, dreg ? FA_GQ_KD_HI : FA_GQ_KE_HI, &e1);
        double e2, t2 = fa_fast_two_sum(t1, m, &e2);            /* |t1| > 1.3, |m| < 0.08 */
        double e3, t3 = fa_fast_two_sum(t2, r2, &e3);
        double arg = tail ? t3 : -0.5 * aa;
        double arg_lo = (tail ? ((e1 + e2) + (e3 + m_lo)) + (dreg ? FA_GQ_KD_LO : FA_GQ_KE_LO) : 0.0) - 0.5 * aa_lo;
        double h_lo, k, h = fa_exp_dd_parts(arg < -746.0 ? -746.0 : arg, &h_lo, &k);
        h_lo = h_lo + h * arg_lo;
        double s2, s1 = fa_pow2_halves(k, &s2);
        double e = (h * s1) * s2, e_lo = (h_lo * s1) * s2;
        double qt, qt_lo;
        if (times_a) {
            double t = h * FA_GQ_S2_HI, t_lo = fma(h, FA_GQ_S2_HI, -t) + (h * FA_GQ_S2_LO + h_lo * FA_GQ_S2_HI);
            qt = ((0.5 * (t + t_lo)) * s1) * s2;
            qt_lo = 0.0;
        } else {
            double r = FA_GQ_S2_HI / ac, r_lo = (fma(-r, ac, FA_GQ_S2_HI) + FA_GQ_S2_LO) / ac;
            qt = 0.5 * (e * r);
            qt_lo = 0.5 * (fma(e, r, -(e * r)) + (e * r_lo + e_lo * r));
        }
        /* z < 1/2: 1/2 - erf(z)/2 */
        double y = z * z, w_lo, w = fa_fast_two_sum(FA_ERF_T[0], y * fa_horner(FA_ERF_T + 1, 12, y), &w_lo);
        double p = z * w, p_lo = fma(z, w, -p) + z * (w_lo + FA_GQ_T0_LO) + z_lo * FA_ERF_T[0] * e;
        double ea, qa = fa_fast_two_sum(0.5, -0.5 * p, &ea), qa_lo = ea - 0.5 * p_lo;
        /* z in [1/2, 1.25): (C + D) / 2, D = d0 + d1 v + v^2 P(v), v = z - anchor (exact), with d1 v a
         * pair (FMA) and d0 (C's rounding) in the low part, only v^2 P (below 0.015) rounded: D rounded
         * as a whole was up to 2^-54 of a D as large as Q near z = 1.25, 1.06 ULP there */
        double vb = z - 0.671875, vc = z - 1.0625;
        int b = z < 0.84375;
        double v = b ? vb : vc, d1 = b ? FA_GQ_B[1] : FA_GQ_C[1];
        double pb = fa_horner(FA_GQ_B + 2, 15, vb), pc = fa_horner(FA_GQ_C + 2, 14, vc);
        double dm = d1 * v, dm_lo = fma(d1, v, -dm), dr = (v * v) * (b ? pb : pc);
        double eb1, qb1 = fa_two_sum(0.5 * (b ? FA_GQ_CB : FA_GQ_CC), 0.5 * dm, &eb1);
        double eb2, qbc = fa_fast_two_sum(qb1, 0.5 * dr, &eb2);  /* Q > 0.038 > |dr| / 2 */
        double qbc_lo = (eb1 + eb2) + 0.5 * (dm_lo + (b ? FA_GQ_B[0] : FA_GQ_C[0])) - 0.5 * (z_lo * FA_ERF_T[0] * e);
        double q = z < 0.5 ? qa : qbc, lo = z < 0.5 ? qa_lo : qbc_lo;
        if (times_a) {                              /* a (q + lo), rounded below by the caller */
            double t = ac * q;
            lo = fma(ac, q, -t) + ac * lo;
            q = t;
        }
        lo = tail ? qt_lo : lo;
        q = tail ? qt : q;
        *q_lo = a > 38.6 ? 0.0 : lo;
        return a > 38.6 ? 0.0 : q;
    }

    /* Phi(x) = Q(|x|) for x < 0 and 1 - Q(x) for x >= 0; with times_x, x Phi(x) = -(|x| Q(|x|)) and x - x Q(x)
     * (Q <= 1/2; a NaN x passes through).  In C, so that the Cython kernels inline it: through a Cython
     * inline function, GCC's inliner stopped at its stack frame and the loops stayed scalar */
    static inline __attribute__((always_inline)) double fa_gelu_phi_f64(double x, const int times_x)
    {
        double q_lo, q = fa_normal_q_f64(fabs(x), &q_lo, times_x);
        /* x - x Q (Q <= 1/2) or 1 - Q with the difference's error e kept ((x - q) - q_lo was rounded
         * twice: 0.98 ULP), as r - (q_lo - e), which keeps r's sign where it is -0 (x = -0) */
        double e, r = fa_fast_two_sum(times_x ? x : 1.0, -q, &e);
        return x < 0 ? (times_x ? -(q + q_lo) : q + q_lo) : r - (q_lo - e);
    }
    """
    double fa_normal_q_f64(double a, double *q_lo, int times_a) noexcept nogil
    double fa_gelu_phi_f64(double x, int times_x) noexcept nogil

cdef inline double _gelu_cdf_f32(float x, bint times_x) noexcept nogil:
    # float32's Phi(x) = erfc(-x/sqrt2)/2, or x Phi(x) with times_x, in double: for the forward (times_x)
    # the erfc form is relatively accurate everywhere (Phi >= 1/2 where 1 - erfc/2 is taken); the
    # derivative needs Phi to an absolute accuracy near its root, which the erf series gives.  (float64
    # calls fa_gelu_phi_f64 itself: through this function GCC did not inline it)
    cdef double xd = x, z = -xd * FA_GELU_R2_HI, e, z2, p
    e = 0.5 * _erfc_lp(fabs(z))
    e = e if z >= 0 else 1.0 - e
    if times_x:
        return e * xd
    z2 = z * z
    p = fa_horner(FA_ERF_T, 17, z2)
    return (0.5 - 0.5 * z * p) if fabs(z) < 1.0 else e


cdef inline double _gelu_w_f32(double xd) noexcept nogil:
    # w = 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) for float32 x, in double (2^-52 of w, nothing to a float)
    return 2.0 * FA_GELU_K0 * (xd + FA_GELU_K1 * xd * xd * xd)

cdef inline double _gelu_w(double xd, double *w_lo) noexcept nogil:
    # w = 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) as a double-double (float64: its rounding, times |w| up
    # to 745, would reach the result)
    cdef double x2, x2_lo, x3, x3_lo, t1, t1_lo, t, t_lo, e, w
    x2 = xd * xd
    x2_lo = fma(xd, xd, -x2)
    x3 = x2 * xd
    x3_lo = fma(x2, xd, -x3) + x2_lo * xd
    t1 = FA_GELU_K1 * x3
    t1_lo = fma(FA_GELU_K1, x3, -t1) + FA_GELU_K1 * x3_lo + FA_GELU_K1_LO * x3
    t = fa_two_sum(xd, t1, &e)
    t_lo = e + t1_lo
    w = 2.0 * (FA_GELU_K0 * t)
    w_lo[0] = 2.0 * (fma(FA_GELU_K0, t, -FA_GELU_K0 * t) + FA_GELU_K0 * t_lo + FA_GELU_K0_LO * t)
    return w

cdef inline double _gelu_tanh_sig_f32(double xd) noexcept nogil:
    # sigmoid(2u) for the approximate form's float32 forward, in double
    cdef double w = _gelu_w_f32(xd), z
    z = _exp_lp(-fabs(w)) if w == w else w
    return (1.0 if w >= 0 else z) / (1.0 + z)

cdef inline double _gelu_tanh_pair(double xd, double *sn) noexcept nogil:
    # sigmoid(w) and (*sn) sigmoid(-w) for float64 (w = 2u), from one exp: z = exp(-|w|) as hi + lo
    # (w's low part folded in to first order), its low part and 1 + z are the same for w and -w (w = 0
    # only at x = 0, where w_lo = 0); each quotient as sigmoid's float64 path takes it.  No early
    # return for a NaN w (itself, selected): a branch would keep GCC from vectorising the loop.
    cdef double w_lo, w = _gelu_w(xd, &w_lo), nw = -fabs(w), z, z_lo, d, d_lo, q, q_lo
    z = fa_exp_dd(-746.0 if nw < -746.0 else nw, &z_lo)
    z_lo = z_lo - z * (w_lo if w >= 0 else -w_lo)
    d = fa_fast_two_sum(1.0, z, &d_lo)
    d_lo = d_lo + z_lo
    q = _sigmoid_quot(w <= 0, z, z_lo, d, d_lo, &q_lo)
    sn[0] = q + q_lo
    q = _sigmoid_quot(w >= 0, z, z_lo, d, d_lo, &q_lo)
    d = q + q_lo
    sn[0] = w if w != w else sn[0]
    return w if w != w else d

cdef inline double _gelu_tanh_f64(double xd) noexcept nogil:
    # float64 x sigmoid(w), w = 2u, without a branch or libm call, so that GCC vectorises the loop (with
    # them: 7 ns per element).  Below w = -700 sigmoid(w) is e^w to double precision and subnormal
    # from -708 on, where x e^w is not: there x e^w comes from e^w's unscaled pair (fa_exp_dd_parts,
    # as silu's float64 forward takes it; w's low part to first order) as hi + lo, 2^k put on last (its
    # sign x's: -0 where it underflows).  The limits at the end: +-0, +-inf and NaN give x, |x| from
    # 1e100 (x^3 beyond double) x or -0.
    cdef double w_lo, w = _gelu_w(xd, &w_lo), v = -fabs(w), z, z_lo, d, d_lo, q, q_lo, t, t_lo, r
    cdef double h, h_lo, k, s1, s2
    h = fa_exp_dd_parts(-1400.0 if v < -1400.0 else v, &h_lo, &k)
    h_lo = h_lo - h * (w_lo if w >= 0 else -w_lo)
    s1 = fa_pow2_halves(k, &s2)
    z = (h * s1) * s2
    z_lo = (h_lo * s1) * s2
    d = fa_fast_two_sum(1.0, z, &d_lo)
    d_lo = d_lo + z_lo
    # sigmoid(w) = n / d as q + q_lo, and x times it rounded once (x q rounded twice: 1.8 ULP)
    q = _sigmoid_quot(w >= 0, z, z_lo, d, d_lo, &q_lo)
    t = xd * h
    t_lo = fma(xd, h, -t) + xd * h_lo
    r = xd * q
    r = -fabs(((t + t_lo) * s1) * s2) if w < -700.0 else r + (fma(xd, q, -r) + xd * q_lo)
    r = -0.0 if w < -1400.0 else r          # (x e^w underflowed long before)
    r = (xd if xd > 0 else -0.0) if not (fabs(xd) < 1e100) else r
    return xd if (xd != xd) | (xd == 0) else r

cdef inline floating gelu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, r
    if floating is float:
        # straight-line (both forms are selects) so the loop vectorises; +-inf and NaN at the end
        r = xd * _gelu_tanh_sig_f32(xd) if a != 0 else _gelu_cdf_f32(x, True)
        return x if x == INFINITY else (<float>-0.0 if x == -INFINITY else <float>r)
    else:
        if a != 0:
            return _gelu_tanh_f64(xd)
        # (selects, no early return: the loop vectorises) Phi is 0 or 1 long before 1e150
        r = fa_gelu_phi_f64(xd, 1)
        return (x if x > 0 else (x if x != x else -0.0)) if not (fabs(xd) < 1e150) else r

cdef inline floating gelu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, s, sn, du, d, phi, r, w, z, inv
    if a != 0:
        if floating is float:
            # sigmoid(2u) and sigmoid(-2u) from one exp and one division (z = exp(-|2u|))
            w = _gelu_w_f32(xd)
            z = _exp_acc(-fabs(w)) if w == w else w
            inv = 1.0 / (1.0 + z)
            s = (1.0 if w >= 0 else z) * inv
            sn = (z if w >= 0 else 1.0) * inv
        else:
            s = _gelu_tanh_pair(xd, &sn)
        du = 2.0 * FA_GELU_K0 * (1.0 + 3.0 * FA_GELU_K1 * xd * xd)
        d = s + xd * s * sn * du
    else:
        # phi(x) = exp(-x^2/2)/sqrt(2 pi), with the rounding of x^2 carried to first order
        phi = FA_GELU_1_SQRT2PI * _exp_acc(-0.5 * (xd * xd)) * (1.0 - 0.5 * fma(xd, xd, -(xd * xd)))
        d = (fa_gelu_phi_f64(xd, 0) if floating is double else _gelu_cdf_f32(<float>x, False)) + xd * phi
        if floating is float:
            # below -14 the float erfc is cut off (Phi < 1e-45 alone is nothing to a float), but g d is
            # not for a large g: d = phi (R(a) - a), R(a) = Phi(-a)/phi(a) by its asymptotic series
            # (1/a)(1 - r + 3r^2 - 15r^3 + ...), r = 1/a^2 < 1/196 (6 terms: 2^-33)
            r = 1.0 / (xd * xd)
            d = (phi * ((1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r * (1.0 - 9.0 * r))))) / -xd + xd)
                 if xd < -14.0 else d)
    if floating is double:
        # (selects, no early return: the approximate form's loop vectorises)
        r = (g if x > 0 else g * 0.0) if not (fabs(xd) < (1e100 if a != 0 else 1e150)) else g * d
        return x if x != x else r
    else:
        d = (1.0 if x > 0 else 0.0) if fabs(xd) >= 1e30 else d    # +-inf (NaN stays NaN)
    return <floating>(<double>g * d)


# ---- silu (swish): x sigmoid(x); float64 divides the double-double x*z by 1 + z like sigmoid ----
cdef inline floating silu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, nx = -fabs(xd), z, z_lo, d, d_lo, n, n_lo, r, h, h_lo, k, s1, s2
    if floating is float:
        z = _exp_lp(nx)      # (x = -inf: -inf e^-700 would be -inf; the limit is -0)
        return <float>((xd if x >= 0 else xd * z) / (1.0 + z)) if x != -INFINITY else <float>-0.0
    else:
        # Without a branch, so that GCC vectorises it (with early returns it ran lane by lane: 12.6 ns
        # per element).  e^-|x| = (h + h_lo) 2^k from fa_exp_dd_parts: 1 + e^-|x| from it scaled (as
        # fa_exp_dd gives it), the numerator x e^x from it unscaled (x (h + h_lo), normal), and the
        # quotient taken times 2^k's two halves last, so that below x = -708, where x e^x is subnormal,
        # it is rounded once more only there (the same bits as dividing the scaled pair elsewhere).
        # Shifting the exp's argument by 64 ln2 below -700 instead (mish's way), with its correction and
        # selects: 1.31 ns per element, 1.22 this way.  The special values are selected at the
        # end: NaN and +-0 give x (the double-double quotient would turn -0 into +0), beyond 1e300 x
        # (Dekker's split in fa_div_dd would overflow), below -1400 (and -inf) -0, where x e^x
        # underflowed long before (it does at -754).
        h = fa_exp_dd_parts(nx if nx > -1400.0 else -1400.0, &h_lo, &k)
        s1 = fa_pow2_halves(k, &s2)
        z = (h * s1) * s2
        z_lo = (h_lo * s1) * s2
        d = fa_fast_two_sum(1.0, z, &d_lo)
        d_lo = d_lo + z_lo
        n = xd if xd >= 0 else xd * h
        n_lo = 0.0 if xd >= 0 else fma(xd, h, -n) + xd * h_lo
        r = fa_div_dd(n, n_lo, d, d_lo)
        r = r if xd >= 0 else (r * s1) * s2
        r = -0.0 if xd < -1400.0 else r
        return xd if (xd != xd) | (xd == 0) | (xd > 1e300) else r

cdef inline floating silu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # sigmoid(x) (1 + x sigmoid(-x))
    cdef double xd = x
    if x != x:
        return x
    cdef double z
    if not (fabs(xd) < 1e300):
        return g if x > 0 else g * 0        # the limits 1 and 0 (an infinite g times 0: NaN)
    if floating is float:                   # both sigmoids from one exp(-|x|)
        z = _exp_acc(-fabs(xd))
        return <float>(<double>g * (((1.0 if x >= 0 else z) / (1.0 + z))
                                    * (1.0 + xd * ((z if x >= 0 else 1.0) / (1.0 + z)))))
    return <floating>(<double>g * (_sigmoid_acc(x) * (1.0 + xd * _sigmoid_acc(-x))))


cdef inline double _g_sigmoid_f64(double g, double x) noexcept nogil:
    # g sigmoid(x) in double.  Below x = -40 sigmoid(x) is e^x to double precision (1 + e^x rounds to 1),
    # and e^x is subnormal from -708 on where g e^x need not be: softplus' backward was 3e9 ULP off at
    # x = -731 with g = 1e10 (and 2.06 at x = -709.6 with g = -3.5).  There e^x comes
    # as a normal pair times powers of two (_exp_fix, which scales from -665 down), g (e + lo) rounded
    # before the powers are put on (e + lo first cost 2.2 ULP); from -660 up sigmoid_fwd's double-double
    # quotient, from the same exp (below, and from 660 on, it is e^x, and 1, to double precision): one
    # exp, no branch, so that GCC vectorises the loop.
    cdef double z_lo, f1, f2, d, d_lo, q, q_lo
    cdef double z = _exp_fix(-fabs(x), 0.0, &z_lo, &f1, &f2)
    d = fa_fast_two_sum(1.0, z, &d_lo)
    d_lo = d_lo + z_lo
    q = _sigmoid_quot(x >= 0, z, z_lo, d, d_lo, &q_lo)
    # (an infinite g: g itself, the derivative being > 0 however small, as at the AVX-512 level; g z_lo
    # was inf * 0 or inf - inf, NaN or inf from one x to the next)
    return (((fma(g, z, g * z_lo) * f1) * f2 if fabs(g) <= DBL_MAX else g) if x < -660.0
            else g * (q + q_lo))


# ---- softplus: max(x, 0) + log1p(exp(-|x|)) ----
cdef inline floating softplus_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, lo, hi, t
    if floating is float:
        return <floating>((xd if x > 0 else 0.0) + _log1p_exp_neg(x))
    # float64: max(x, 0) + the pair, rounded once (TwoSum: either may be larger); +inf and NaN give x
    hi = fa_two_sum(xd if x > 0 else 0.0, _log1p_exp_neg_dd(xd, &lo), &t)
    return xd if (xd > 1e300) | (xd != xd) else hi + (t + lo)

cdef inline floating softplus_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    return <floating>(<double>g * _sigmoid_acc(x)) if floating is float else _g_sigmoid_f64(g, x)


# ---- log_sigmoid: min(x, 0) - log1p(exp(-|x|)) ----
cdef inline floating log_sigmoid_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, lo, hi, t
    if floating is float:
        return <floating>((xd if x < 0 else 0.0) - _log1p_exp_neg(x))
    hi = fa_two_sum(xd if x < 0 else 0.0, -_log1p_exp_neg_dd(xd, &lo), &t)
    return xd if (xd < -1e300) | (xd != xd) else hi + (t - lo)

cdef inline floating log_sigmoid_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # sigmoid(-x)
    return <floating>(<double>g * _sigmoid_acc(-x)) if floating is float else _g_sigmoid_f64(g, -x)


# ---- softsign: x / (1 + |x|); float64 divides by the exact double-double 1 + |x| ----
cdef inline floating softsign_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, d, d_lo
    if not (fabs(xd) < 1e300):
        return x if x != x else <floating>copysign(1.0, xd)
    if floating is float:
        return <float>(xd / (1.0 + fabs(xd)))
    else:
        if xd == 0:                     # (the double-double quotient would turn -0 into +0)
            return x
        d = fa_two_sum(1.0, fabs(xd), &d_lo)
        return fa_div_dd(xd, 0.0, d, d_lo)

cdef inline floating softsign_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # g / (1 + |x|)^2; float64 squares the exact double-double 1 + |x|
    cdef double ax = fabs(<double>x), d, d_lo, p, p_lo
    if floating is float:
        d = 1.0 + ax
        return <float>(<double>g / (d * d))
    else:
        if not (ax < 1e150):                  # (1 + |x|)^2 == x^2 here, and would overflow
            return x if x != x else (g / ax) / ax
        d = fa_two_sum(1.0, ax, &d_lo)
        if not (fabs(<double>g) < INFINITY):
            return g / (d * d)
        p = d * d
        p_lo = fma(d, d, -p) + 2.0 * d * d_lo
        if not (fabs(<double>g) < 1e300):
            # (the double-double quotient's products would overflow: g taken times 2^-64 and the quotient,
            # at least 1 here, times 2^64; g / (d d) rounded thrice was 2.7 ULP off at g = 1e300)
            return ldexp(fa_div_dd(ldexp(g, -64), 0.0, p, p_lo), 64)
        return fa_div_dd(g, 0.0, p, p_lo)


# ---- mish: x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2): no cancellation anywhere ----
cdef inline floating mish_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, z, n, z_lo, v, t, t_lo, w, w_lo, n_lo, d, d_lo, inv, q, q_lo, r
    cdef bint tail
    if floating is float:
        if x > 20:                          # tanh(softplus(x)) == 1 in double
            return x
        z = _exp_lp(xd)
        n = z * (z + 2.0)
        return <float>(xd * n / (n + 2.0)) if x == x and x != -INFINITY else (x if x != x else <float>-0.0)
    else:
        # Without a branch, so that GCC vectorises it (one exp per element, its argument shifted for the
        # tail), and in double-double up to the last product: n = z (z + 2) and q = n / (n + 2) as hi +
        # lo (one division, its residual exact), x q rounded once (the plain formula's six roundings
        # reached 4.05 ULP).  Below -700 mish(x) = x e^x (1 + O(e^x)) with e^x subnormal: x e^x from
        # e^x 2^64 (e^(x + 64 LN2_HI) e^(64 LN2_LO), normal; x + 64 LN2_HI is exact: both are multiples
        # of 2^-43 and below 1024; e^(64 LN2_LO) - 1 = 1.2e-8 joins z's low part, to second order: 64
        # LN2_LO alone left 7.5e-17, 1.25 ULP at x = -708) as hi + lo, scaled back; below -752 (and
        # -inf), where |x e^x| is below half of the least subnormal, -0 (from -746 on, as it was, x e^x
        # down to -751.4 came out -0: 154 subnormal steps); from 20 on (tanh(softplus(x)) == 1), +-0
        # and NaN, x.  (silu's and gelu-tanh's way,
        # e^x's unscaled pair with 2^k put on last, made this loop 1.73 -> 2.25 ns per element: GCC
        # spilled registers in it.)
        tail = xd < -700.0
        v = -752.0 if xd < -752.0 else xd
        v = 20.0 if v > 20.0 else v
        z = fa_exp_dd(v + (64.0 * FA_LN2_HI if tail else 0.0), &z_lo)
        z_lo = z_lo + z * (FA_EXP_64LN2LO_M1 if tail else 0.0)
        t = xd * z
        t_lo = fma(xd, z, -t) + xd * z_lo
        w = fa_two_sum(z, 2.0, &w_lo)
        w_lo = w_lo + z_lo
        n = z * w
        n_lo = fma(z, w, -n) + (z * w_lo + z_lo * w)
        d = fa_two_sum(n, 2.0, &d_lo)
        d_lo = d_lo + n_lo
        inv = 1.0 / d
        q = n * inv
        q_lo = ((fa_residual(n, q, d) + n_lo) - q * d_lo) * inv
        r = xd * q
        r = (t + t_lo) * 5.421010862427522e-20 if tail else r + (fma(xd, q, -r) + xd * q_lo)    # 2^-64
        r = -0.0 if xd < -752.0 else r
        return xd if (xd != xd) | (xd == 0) | (xd > 20.0) else r

cdef inline floating mish_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # tanh(sp) + x sech^2(sp) sigmoid(x), with tanh(sp) = n/(n+2), sech^2(sp) = 4(n+1)/(n+2)^2
    cdef double xd = x, z, n, t, d, h
    if x != x:
        return x
    if x > 20:
        return g
    if x == -INFINITY:
        return g * 0                   # the derivative's limit, 0 (NaN for an infinite g, as g 0 is)
    z = _exp_acc(xd)                   # the sum nearly cancels near x = -1.19
    n = z * (z + 2.0)
    t = n + 2.0
    d = n / t + xd * (z / (1.0 + z)) * (4.0 * (n + 1.0) / (t * t))
    if floating is float:
        # within 1/32 of the derivative's root r = -1.1924312145154952 (a double pair), where the sum
        # above cancels (1.5 ULP at the float nearest r, x = -1.1924312, at the baseline level; 1.07 at
        # the others): its Taylor series in h = x - r, degree 6 (truncation 2^-38; coefficients from
        # mpmath at 200 bits)
        h = (xd + 1.1924312145154952) + 4.8484829848031044e-17     # (x - r, exact to 2^-53 of itself)
        t = h * (0.2669479140495345 + h * (0.20473126408010586 + h * (0.04190782104360987 + h * (
            -0.020271822716684245 + h * (-0.01582112656173338 + h * -0.0033606849270232685)))))
        d = t if fabs(h) < 0.03125 else d
    return <floating>(<double>g * d)


# ---- exponential: saved y (the derivative is y) ----
cdef inline floating exponential_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return <floating>_exp_any(x, <double>x)

cdef inline floating exponential_bwd(floating g, floating y, floating a, floating b, floating c) noexcept nogil:
    return g * y


# ---- linear ----
cdef inline floating linear_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return x

cdef inline floating linear_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    return g


# ---- tanh_shrink: x - tanh(x), from its Taylor series where the subtraction would cancel: float32
# below 0.5 (13 terms), float64 below 0.6 (22 terms, truncation 2^-60.7); above that a float64
# double-double tanh = t/(t + 2), t = expm1(2|x|), makes x - tanh exact up to 1.9.  (float64 from 0.5:
# 1.07 ULP near 0.52, where expm1's reduced argument 2|x| - ln2 is near its largest, the pair's tail
# rounded to ~2^-57, and x - tanh(x) cancels 12-fold; from 0.6 the reduced argument is below 0.19.) ----
cdef extern from *:
    """
    static const double FA_TANH_SHRINK_C[22] = {
    0.3333333333333333,
    -0.13333333333333333,
    0.05396825396825397,
    -0.021869488536155203,
    0.008863235529902197,
    -0.003592128036572481,
    0.0014558343870513183,
    -0.000590027440945586,
    0.00023912911424355248,
    -9.691537956929451e-05,
    3.927832388331683e-05,
    -1.5918905069328964e-05,
    6.451689215655431e-06,
    -2.6147711512907546e-06,
    1.0597268320104654e-06,
    -4.294911078273806e-07,
    1.7406618963571648e-07,
    -7.054636946400968e-08,
    2.859136662305254e-08,
    -1.1587644432798853e-08,
    4.6962953982309016e-09,
    -1.903336833931276e-09,
    };
    """
    const double FA_TANH_SHRINK_C[22]

cdef inline double _tanh_dd(double ax, double *lo) noexcept nogil:
    # tanh(ax) = hi + lo for 0 <= ax <= 60: t/(t + 2), t = expm1(2 ax) as a double-double, divided with
    # its residual
    cdef double t, t_lo, d, d_lo, q
    t = fa_expm1_dd(2.0 * ax, &t_lo)
    d = fa_two_sum(t, 2.0, &d_lo)
    d_lo = d_lo + t_lo
    q = t / d
    lo[0] = ((fma(-q, d, t) + t_lo) - q * d_lo) / d
    return q

cdef inline double _tanh_shrink_series_f64(double xd, double x2) noexcept nogil:
    # x^3 (1/3 + x^2 P1(x^2)) for |x| < 0.6, rounded once: x^3 as hi + lo, 1/3 + x^2 P1 as hi + lo
    # (Fast2Sum: |x^2 P1| < 1/20; 1/3's own rounding in the low part).  x^3 P rounded after x^3 and P
    # each were rounded reached 3.12 ULP.  Below 2^-300, x^3 is taken times 2^1200 (its low parts would
    # be subnormal: 1.3 ULP near DBL_MIN) and the product scaled back, rounded once; the sign is x's
    # (a zero product's sign came out +).
    cdef bint tiny = fabs(xd) < 4.9090934652977266e-91           # 2^-300
    cdef double xs = xd * (2.5822498780869086e+120 if tiny else 1.0)    # 2^400
    cdef double xs2 = xs * xs, x2_lo = fma(xs, xs, -xs2), x3 = xs2 * xs, x3_lo, s, e, r
    x3_lo = fma(xs2, xs, -x3) + x2_lo * xs
    s = fa_fast_two_sum(FA_TANH_SHRINK_C[0], x2 * fa_horner(&FA_TANH_SHRINK_C[1], 21, x2), &e)
    r = fma(x3, s, x3 * (e + 1.850371707708594e-17) + x3_lo * s)     # (1/3 - its double)
    r = (r * (2.409919865102884e-181 if tiny else 1.0)) * (2.409919865102884e-181 if tiny else 1.0)  # 2^-600
    return copysign(r, xd)

cdef inline floating tanh_shrink_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, ax = fabs(xd), x2 = xd * xd, t, q, corr
    if floating is float:
        # series below 0.5 (its 13 leading terms: 2^-38); above, tanh = t/(t + 2) from fa_expm1_lp:
        # x - tanh(x) cancels at most 13-fold there, which its 1e-9 absorbs
        if ax < 0.5:
            return <float>(xd * x2 * fa_horner(FA_TANH_SHRINK_C, 13, x2))
        t = fa_expm1_lp(2.0 * (20.0 if ax > 20.0 else ax))
        return <float>copysign(ax - t / (t + 2.0), xd)
    else:
        # both forms, then a select (no branch, no libm call: GCC vectorises the loop, where it ran lane
        # by lane at ~11 ns per element): below 0.6 the series, above |x| - tanh|x| from the double-double
        # tanh (held at 20, where it is 1 in double), |x| - q by TwoSum (exact below 1.9, where q is in
        # [|x|/2, |x|]), its sign x's; +-inf and NaN give x
        q = _tanh_dd(20.0 if ax > 20.0 else ax, &corr)
        t = fa_two_sum(ax, -q, &q)
        t = copysign(t + (q - corr), xd)
        t = _tanh_shrink_series_f64(xd, x2) if ax < 0.6 else t
        return xd if not (ax < INFINITY) else t

cdef inline floating tanh_shrink_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double ax = fabs(<double>x), e, t
    if floating is float:
        e = fa_expm1_lp(2.0 * (20.0 if ax > 20.0 else ax))
        t = e / (e + 2.0)                   # |tanh(x)|
    else:                                   # tanh from the double-double (held at 20, where it is 1
        t = _tanh_dd(20.0 if ax > 20.0 else ax, &e)     # in double; no libm call or branch: the loop
        t = t + e                                       # vectorises), rounded once, then squared
        # (g t) t: t^2 is subnormal below |x| = 1.5e-154 where g t^2 need not be (x = 1.1e-158 with
        # g = -5e8 was 2.4e8 ULP off); |t| <= 1, so g t cannot overflow, and where it underflows the
        # result is below it
        return (g * t) * t
    return <floating>(<double>g * (t * t))


# ---- squareplus: a = b; (x + sqrt(x^2 + b))/2, as b / (2 (s - x)) for x < 0 (no cancellation) ----
cdef inline double _squareplus_s(double xd, double b) noexcept nogil:
    # sqrt(x^2 + b); |x| itself where b is 0 or negligible (x^2 would underflow or overflow)
    return sqrt(xd * xd + b) if (b != 0) & (fabs(xd) < 1e150) else fabs(xd)

cdef extern from *:
    """
    /* squareplus in float64, within 0.51 ULP, as C with always_inline (as Cython inline functions GCC
     * judged the calls cold, did not inline them, and left the loop scalar: 0.4 -> 6.4 ns per element).
     * s = sqrt(x^2 + b) f as s + s_lo (to ~2^-100 relative) with the scale f (a power of two: 1, but
     * 2^-600 where x^2 + b could overflow and 2^600 where x^2 and b would both be subnormal): x f and
     * b f^2 (b times f twice: 2^-1200 is not a double) added as a pair (x^2's rounding error from an
     * FMA), the pair's square root s and its correction (r + t_lo) / 2s, r = t - s^2 exact.  Then, with
     * one rounding at the end (s rounded, then the sum or the quotient, was up to 2.7 ULP): x >= 0,
     * x/2 + s/2 as a pair, / f; x < 0, b f / (s/2 - x/2) / 4 from the pair s/2 - x/2 (both positive: no
     * cancellation; b f, where b alone left the quotient's residual below DBL_MIN and its correction
     * lost: 2 ULP for b = 5e-324).  b = 0 is relu ((-0 + 0) / 2 = +0 at -0); +-inf give inf and +0;
     * both sides computed and selected, no branch: three divisions and a square root. */
    static inline __attribute__((always_inline)) double fa_squareplus_f64(double x, double b)
    {
        const double big = 1.7976931348623157e308;
        double ax = fabs(x) <= big ? fabs(x) : 0.0, bb = b > 0 ? b : 1.0;
        /* down where max(|x|, b 2^-500) >= 2^500, up where max(|x|, b 2^500) < 2^-500: a select on b
         * alone (loop-invariant) feeding f kept GCC from vectorising the loop */
        double b_dn = bb * 3.054936363499605e-151, b_up = bb * 3.273390607896142e+150;   /* (fmax is a libm call) */
        double m_dn = ax > b_dn ? ax : b_dn, m_up = ax > b_up ? ax : b_up;
        double f = m_dn >= 3.273390607896142e+150 ? 2.409919865102884e-181
                   : (m_up < 3.054936363499605e-151 ? 4.149515568880993e+180 : 1.0);
        double xs = ax * f, bs = (bb * f) * f;
        double p = xs * xs, p_lo = -fa_residual(p, xs, xs), t_lo, t = fa_two_sum(p, bs, &t_lo);
        t_lo = t_lo + p_lo;
        double s = sqrt(t), s_lo = (fa_residual(t, s, s) + t_lo) * (0.5 / s);
        double h_lo, h = fa_two_sum(0.5 * xs, 0.5 * s, &h_lo);
        /* 1 / f from f's own conditions: a select on f itself (f < 1 ? .. : f > 1 ? ..) made GCC 12 stop
         * with an internal compiler error in the SSE2 build */
        double inv_f = m_dn >= 3.273390607896142e+150 ? 4.149515568880993e+180
                       : (m_up < 3.054936363499605e-151 ? 2.409919865102884e-181 : 1.0);
        double r = (h + (h_lo + 0.5 * s_lo)) * inv_f;
        r = x > big ? x : r;
        r = b == 0 ? x + 0.0 : r;
        double d_lo, d = fa_fast_two_sum(0.5 * s, 0.5 * xs, &d_lo);
        /* b f / d rounded first (the residual of a quotient from 1 / d was lost for a subnormal b: 1 ULP),
         * and b f below 2^-510 taken times 2^600 (its residual would be subnormal, the correction lost:
         * 1.3 ULP for b = 1e-310, x = -1.2e-150), the quotient scaled back.  The numerator is b (f 2^600),
         * the powers of two multiplied first (exactly: 1, 2^600 or 2^-600): b f itself is subnormal or 0
         * for f = 2^-600 and b below 2^-422, and 2^600 could not give its digits back (b = 1e-140, x =
         * -1e155: 2.1e12 ULP; b = 2e-147, x = -1e160: 0 for 5.1e-308) */
        double n = b * f, up_n = n < 2.983336292480083e-154 ? 4.149515568880993e+180 : 1.0;
        double dn_n = n < 2.983336292480083e-154 ? 2.409919865102884e-181 : 1.0;
        double q = (fa_div_dd(b * (f * up_n), 0.0, d, d_lo + 0.5 * s_lo) * 0.25) * dn_n;
        q = x < -big ? 0.0 : q;
        q = b == 0 ? 0.0 : q;
        return x >= 0 ? r : (x != x ? x : q);
    }
    """
    double fa_squareplus_f64(double x, double b) noexcept nogil

cdef inline floating squareplus_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double xd = x, s
    if floating is float:
        s = _squareplus_s(xd, a)
        # halves first: x + s and s - x may not exist in double for |x| near DBL_MAX; for x < 0,
        # b / (2 (s - x)) = (b / (s/2 - x/2)) / 4, the quarter taken last (0.25 b underflows for a
        # subnormal b)
        return <floating>(0.5 * xd + 0.5 * s if x >= 0 else (
            (<double>a / (0.5 * s - 0.5 * xd) * 0.25 if a != 0 else 0.0) if x == x else xd))
    else:
        return fa_squareplus_f64(xd, a)

cdef inline double _squareplus_d(double xd, double b) noexcept nogil:
    # the derivative (1 + x/s)/2, as b / (2 s (s - x)) for x < 0, s = sqrt(x^2 + b), b > 0: from x f and
    # b f^2, which leave both quotients as they are, f = 2^-600 where max(|x|, sqrt(b)) >= 2^500 (x^2 + b
    # could overflow: s was taken as |x| from |x| = 1e150 on, whatever b, 1e15 ULP off for b = 1e300) and
    # 2^600 where it is below 2^-500 (b = 5e-324, x = -1e-170: 0 where the derivative is 1/2); +-inf
    # give 1 and 0
    cdef double ax = fabs(xd), rb = sqrt(b), m, f, xs, bs, s
    m = ax if ax > rb else rb
    f = 2.409919865102884e-181 if m >= 3.273390607896142e+150 else (
        4.149515568880993e+180 if m < 3.054936363499605e-151 else 1.0)
    xs = (xd if ax <= DBL_MAX else 0.0) * f
    bs = (b * f) * f
    s = sqrt(xs * xs + bs)
    # x < 0: b f / (2 s (s - x) f^2) f, one division by the scaled denominator, which is normal (s >= 2^-500
    # where f = 1); b f, not b f^2, which underflows for b = 4 once |x| passes 2^500 (0 where the
    # derivative is 1.8e-305), and no subnormal b / s or b / 4 first (b = 5e-324: 0 for 2.3e-199 at
    # x = -2.3e-63, 1.5e7 ULP at x = -5.3e-9)
    s = (0.5 * (1.0 + xs / s)) if xd >= 0 else ((b * f) / ((s * (s - xs)) * 2.0)) * f
    return s if ax <= DBL_MAX else (1.0 if xd > 0 else 0.0)

cdef inline floating squareplus_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # (1 + x/s)/2, as b / (2 s (s - x)) for x < 0; b = 0 is relu (slope 1 at x = 0)
    cdef double xd = x, r
    if x != x:
        return x
    if a == 0:
        r = 1.0 if x >= 0 else 0.0
    else:
        r = _squareplus_d(xd, a)
    return <floating>(<double>g * r)


# ---- the piecewise-linear ones, in floating itself with Keras's operations (exact) ----
cdef inline floating relu6_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return 0 if x < 0 else (6 if x > 6 else x)

cdef inline floating relu6_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = g if (x > 0) & (x < 6) else 0
    return x if x != x else r

cdef inline floating hard_sigmoid_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    # Keras 3: relu6(x + 3) / 6
    return relu6_fwd(x + 3, a, b, c) / 6

cdef inline floating hard_sigmoid_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating t = x + 3
    cdef floating r = g / 6 if (t > 0) & (t < 6) else 0
    return x if x != x else r

cdef inline floating hard_silu_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    # Keras 3: x * hard_sigmoid(x)
    return x * hard_sigmoid_fwd(x, a, b, c)

cdef extern from *:
    """
    /* g (2x + 3)/6 in float32, rounded once: u = 2x + 3 exact as u + u_lo (TwoSum; 2x is exact), u/6 as
     * r + r_lo (r = u (1/6) rounded, its remainder u - 6r exact by FMA), then g (r + r_lo) by FMA.  With
     * FMA in hardware only (the AVX2 and AVX-512 levels): 16 float lanes instead of 8 double ones and
     * their conversions, 0.38 -> 0.29 ns per element.  Elsewhere in double, as the AVX2 span has it
     * (_spans_avx2.h, fa2_hard_silu_backward_pd): 0.5 ULP and 2^-27 of one. */
    static inline float fa_hard_silu_inner_f32(float g, float x)
    {
    #if defined(__FMA__)
        float x2 = 2.0f * x, u = x2 + 3.0f, bb = u - x2;
        float u_lo = (x2 - (u - bb)) + (3.0f - bb);
        float r = u * (1.0f / 6.0f);
        float r_lo = (fmaf(-r, 6.0f, u) + u_lo) * (1.0f / 6.0f);
        /* a g below 2^-100 is taken times 2^64 (and the result times 2^-64), so that g r_lo is not
         * rounded as a subnormal where the result is still normal (it cost up to 0.5 ULP) */
        float sc = fabsf(g) < 0x1p-100f ? 0x1p64f : 1.0f, gs = g * sc;
        /* (an infinite g takes no low part: inf * 0, or inf - inf, would be NaN where g r is +-inf) */
        float c = fabsf(gs) < INFINITY ? gs * r_lo : 0.0f;
        return fmaf(gs, r, c) * (1.0f / sc);
    #else
        /* (times 1/6 in double, not / 6: a double ULP more, far below float's, without a vdivpd; 2x + 3,
         * not x/3 + 1/2, whose terms cancel beside x = -1.5 and carry 1/3's rounding) */
        return (float)((double)g * ((2.0 * (double)x + 3.0) * (1.0 / 6.0)));
    #endif
    }
    """
    float fa_hard_silu_inner_f32(float g, float x) noexcept nogil

cdef inline floating hard_silu_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # hard_sigmoid(x) + x hard_sigmoid'(x) = (2x + 3)/6 inside, rounded once; g or g * 0 outside.  float64:
    # 2x + 3 is exact where it is small (Sterbenz), so the result keeps its relative accuracy beside the
    # root (x/3 + 1/2 was half off at x = -1.5 + 2^-52, its terms cancelling with 1/3's rounding in
    # them); u/6 before g, which cannot overflow (u/6 < 1), and / 6 rather than times 1/6 (1.8 -> 1.2 ULP
    # over 2M uniform x: 1/6's own rounding and the product's are two of the four)
    cdef floating t = x + 3
    cdef floating r
    if floating is float:
        r = fa_hard_silu_inner_f32(g, x) if (t > 0) & (t < 6) else (g if t >= 6 else g * 0)
    else:
        r = g * ((2 * x + 3) / 6) if (t > 0) & (t < 6) else (g if t >= 6 else g * 0)
    return x if x != x else r

cdef inline floating hard_tanh_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return -1 if x < -1 else (1 if x > 1 else x)

cdef inline floating hard_tanh_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    # tf.clip_by_value's gradient: the bounds themselves pass it
    cdef floating r = g if (x >= -1) & (x <= 1) else 0
    return x if x != x else r

cdef inline floating soft_shrink_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = x - a if x > a else (x + a if x < -a else 0)
    return x if x != x else r

cdef inline floating soft_shrink_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = g if (x > a) | (x < -a) else 0
    return x if x != x else r

cdef inline floating hard_shrink_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = x if (x > a) | (x < -a) else 0
    return x if x != x else r

cdef inline floating hard_shrink_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    return soft_shrink_bwd(g, x, a, b, c)

cdef inline floating sparse_plus_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    # (x + 1)^2 / 4 on (-1, 1), from the double-double x + 1: rounded once
    cdef double t, t_lo, p
    if floating is float:
        t = <double>x + 1.0
        p = 0.25 * (t * t)
    else:
        t = fa_two_sum(<double>x, 1.0, &t_lo)
        p = t * t
        p = 0.25 * (p + (fma(t, t, -p) + 2.0 * t * t_lo))
    return 0 if x <= -1 else (<floating>p if x < 1 else x)

cdef inline floating sparse_plus_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef double r = 0.0 if x <= -1 else (0.5 * (<double>x + 1.0) if x < 1 else 1.0)
    return x if x != x else <floating>(<double>g * r)

cdef inline floating sparse_sigmoid_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    return 0 if x <= -1 else (1 if x >= 1 else <floating>0.5 * (x + 1))

cdef inline floating sparse_sigmoid_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = <floating>0.5 * g if (x > -1) & (x < 1) else 0
    return x if x != x else r

cdef inline floating threshold_fwd(floating x, floating a, floating b, floating c) noexcept nogil:
    # a = threshold, b = default_value
    return x if (x > a) | (x != x) else b

cdef inline floating threshold_bwd(floating g, floating x, floating a, floating b, floating c) noexcept nogil:
    cdef floating r = g if x > a else 0
    return x if x != x else r
