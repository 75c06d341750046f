/* fastact/_vmath.h -- vectorisable building blocks (exp, expm1) for the scalar math in _scalar.pxd.
 *
 * Why our own exp instead of libm: a loop that calls libm's expf/exp stays scalar (GCC only vectorises
 * it against libmvec, which needs -ffast-math, and -ffast-math breaks NaN/inf semantics and sets FTZ for
 * the whole process).  These functions are straight-line, branch-free C ("static inline", bit tricks via
 * memcpy, selects instead of branches), so GCC inlines them into the Cython prange loops and vectorises
 * the loop for whatever ISA the translation unit is compiled for (baseline SSE2, AVX2+FMA, AVX-512).
 *
 * Two precisions:
 *   *_lp  used by the float32 kernels, which compute in double: relative error < 2e-9, so that the
 *         final rounding to float32 stays within 0.51 ULP.
 *   *_hp  used by the float64 kernels: relative error about 1 double ULP.
 * Callers clamp the argument (NaN-preserving) to the range documented per function.
 */
#ifndef FASTACT_VMATH_H
#define FASTACT_VMATH_H

#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include <math.h>

static inline double fa_bits_to_double(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
static inline uint64_t fa_double_to_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }

#define FA_LOG2E    1.4426950408889634074
/* ln 2 split (fdlibm): LN2_HI has 32 significant bits, so k * LN2_HI is exact for |k| < 2^21. */
#define FA_LN2_HI   6.93147180369123816490e-01
#define FA_LN2_LO   1.90821492927058770002e-10
/* selu's scale and scale * alpha (Klambauer et al.) as double-doubles */
#define FA_SELU_SCALE 1.0507009873554805
#define FA_SELU_SCALE_LO 3.9874847667154144e-17
#define FA_SELU_SA 1.7580993408473768
#define FA_SELU_SA_LO 1.41535193800845e-17
/* Adding 1.5 * 2^52 rounds to an integer k held in the low mantissa bits: no float->int conversion
 * instruction is needed (AVX2 has none for 64-bit integers). */
#define FA_SHIFT    6755399441055744.0

/* 2^k for k + 1023 in [1, 2046], from the low bits of kbits (see FA_SHIFT). */
static inline double fa_pow2(uint64_t kbits)
{
    return fa_bits_to_double((kbits + 1023u) << 52);
}

/* 2^k for an integer-valued double k in [-2044, 2046] as two powers of two, 2^floor-ish(k/2) returned
 * and the rest in *s2, each normal: a product taken times both is rounded once, also where it ends
 * subnormal or beyond 2^1023 (ldexp without a library call or a branch) */
static inline double fa_pow2_halves(double k, double *s2)
{
    double t1 = k * 0.5 + FA_SHIFT;
    *s2 = fa_pow2(fa_double_to_bits((k - (t1 - FA_SHIFT)) + FA_SHIFT));
    return fa_pow2(fa_double_to_bits(t1));
}

/* expm1(r) - r - r^2/2 for |r| <= ln2/2, as r^3 * Q(r), Taylor coefficients 1/n! up to r^13
 * (truncation < 5e-18 relative): the float64 kernels' polynomial.  Q by Estrin's scheme (pairs, then
 * pairs of pairs with r^2, r^4, r^8) rather than Horner's: a chain of 5 dependent operations instead
 * of 11, which is what limited the float64 exp-based loops (sigmoid's forward 1.35 -> 1.03 ns per
 * element, one thread; fa_exp_dd alone 0.86 -> 0.76). */
static inline double fa_tail_hp(double r)
{
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double q01 = 1.0 / 6.0 + r * (1.0 / 24.0);
    double q23 = 1.0 / 120.0 + r * (1.0 / 720.0);
    double q45 = 1.0 / 5040.0 + r * (1.0 / 40320.0);
    double q67 = 1.0 / 362880.0 + r * (1.0 / 3628800.0);
    double q89 = 1.0 / 39916800.0 + r * (1.0 / 479001600.0);
    double q = (q01 + r2 * q23) + r4 * (q45 + r2 * q67) + r8 * (q89 + r2 * (1.0 / 6227020800.0));
    return r2 * r * q;
}

/* The float32 kernels only need ~2^-29 relative accuracy (then the final rounding to float32 stays within
 * 0.503 ULP), so they use short minimax polynomials (fitted for relative error on |r| <= ln2/2; the fit
 * is reproduced by benchmarks/fit_polynomials.py) and a one-constant reduction: the error of k * ln2 in
 * double (< 1e-13 for |k| < 300) is far below that. */
static inline double fa_reduce_lp(double x, uint64_t *kbits)
{
    double t = x * FA_LOG2E + FA_SHIFT;
    *kbits = fa_double_to_bits(t);
    return x - (t - FA_SHIFT) * 0.6931471805599453094;
}

/* exp(x) for the float32 kernels: relative error < 2e-9.  Caller guarantees x in [-700, 700] or NaN. */
static inline double fa_exp_lp(double x)
{
    uint64_t kb;
    double r = fa_reduce_lp(x, &kb);
    double p = 0.0013836831544905624;
    p = p * r + 0.008374824033960615;
    p = p * r + 0.041668226264332336;
    p = p * r + 0.16666420072367577;
    p = p * r + 0.499999920747556;
    p = p * r + 1.000000036344642;
    p = p * r + 1.0000000005546295;
    return p * fa_pow2(kb);
}

/* expm1(x) for the float32 kernels: 2^k p - (1 - 2^k) with p = r (1 + r Q(r)); relative error < 1e-9, and
 * full relative accuracy as x -> 0 (k == 0 then, and the result is p).  x in [-700, 700] or NaN.  -0
 * gives -0, as expm1 does (so elu(-0) = alpha * -0): r + r^2 Q and + (2^k - 1) would each add a +0. */
static inline double fa_expm1_lp(double x)
{
    uint64_t kb;
    double r = fa_reduce_lp(x, &kb);
    double q = 0.00019857798489559495;
    q = q * r + 0.0013933606525287927;
    q = q * r + 0.008333360731929081;
    q = q * r + 0.0416664654472509;
    q = q * r + 0.16666666532267116;
    q = q * r + 0.5000000013387544;
    double p = r * (1.0 + r * q);
    double s = fa_pow2(kb);
    return s * p - (1.0 - s);
}

/* Prefetch the cache lines of the `bytes` bytes that start 8 * bytes past p: the portable elementwise
 * loops walk their arrays in steps of STREAM elements (64: 256 bytes of float32) and call this for
 * each array at each step, 2 KB (float32) ahead.  On this machine the hardware prefetchers leave a
 * compute-bound loop waiting on memory once its arrays outgrow L2: in C, over 1.6e7 elements, softplus's
 * float32 loop (log1p(exp) in double) went 2.1 -> 1.13 ns per element with this (1.0 in cache), selu's
 * 0.95 -> 0.68 (0.42 in cache); no change in cache.  Nothing is read (a prefetch does not fault), so
 * the lines may lie past the array's end. */
static inline void fa_prefetch_ahead(const void *p, size_t bytes)
{
    for (size_t k = 0; k < bytes; k += 64)
        __builtin_prefetch((const void *)((uintptr_t)p + 8 * bytes + k), 0, 3);
}

/* ---- float64: double-double ("hi + lo") results, so that sigmoid and tanh can be rounded once ---- */

/* s + *err == a + b exactly (Knuth's TwoSum, no branches, any magnitudes). */
static inline double fa_two_sum(double a, double b, double *err)
{
    double s = a + b, bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* s + *err == a + b exactly where |a| >= |b| (or a == 0): Dekker's Fast2Sum, three operations where
 * TwoSum takes six, and the same s and *err (both exact) */
static inline double fa_fast_two_sum(double a, double b, double *err)
{
    double s = a + b;
    *err = (a - s) + b;
    return s;
}

/* n - q * d exactly (FMA, or Dekker's product where the ISA has no FMA): the residual of a quotient. */
static inline double fa_residual(double n, double q, double d)
{
#ifdef __FMA__
    return __builtin_fma(-q, d, n);
#else
    /* Dekker's split overflows from 2^996 (softmax' at the baseline level gave NaN for g = 1.4e300): a
     * factor beyond 2^995 is taken times 2^-60 first, and the product and its error times the inverse
     * after, exactly (they are q d's parts, finite where q d is) */
    const double split = 134217729.0;   /* 2^27 + 1 */
    double sq = fabs(q) > 0x1p995 ? 0x1p-60 : 1.0, sd = fabs(d) > 0x1p995 ? 0x1p-60 : 1.0;
    double qs = q * sq, ds = d * sd, back = 1.0 / (sq * sd);
    double p = qs * ds;
    double tq = split * qs, qh = tq - (tq - qs), ql = qs - qh;
    double td = split * ds, dh = td - (td - ds), dl = ds - dh;
    double perr = ((qh * dh - p) + qh * dl + ql * dh) + ql * dl;   /* qs * ds - p exactly */
    return (n - p * back) - perr * back;
#endif
}

/* (n_hi + n_lo) / (d_hi + d_lo) rounded nearly correctly: a double division and its exact residual
 * corrected by the low parts. */
static inline double fa_div_dd(double n_hi, double n_lo, double d_hi, double d_lo)
{
    double q = n_hi / d_hi;
    return q + ((fa_residual(n_hi, q, d_hi) + n_lo) - q * d_lo) / d_hi;
}

/* The same quotient for many numerators over one denominator, without a division per element: q from
 * the reciprocal inv_d = 1 / d_hi (a couple of ULP off), then the same residual correction. */
static inline double fa_div_dd_inv(double n_hi, double n_lo, double d_hi, double d_lo, double inv_d)
{
    double q = n_hi * inv_d;
    return q + ((fa_residual(n_hi, q, d_hi) + n_lo) - q * d_lo) * inv_d;
}

/* expm1 of the reduced argument as p_hi + p_lo, |x| <= 1500 or NaN; returns p_hi, sets k's bits. */
static inline double fa_expm1_reduced_dd(double x, uint64_t *kbits, double *p_lo)
{
    double t = x * FA_LOG2E + FA_SHIFT;
    *kbits = fa_double_to_bits(t);
    double k = t - FA_SHIFT;
    double r1 = x - k * FA_LN2_HI;            /* exact */
    double r2 = k * FA_LN2_LO;
    double r_hi = r1 - r2;
    double r_lo = (r1 - r_hi) - r2;            /* Fast2Sum: |r1| >= |r2| */
    double tail = 0.5 * r_hi * r_hi + fa_tail_hp(r_hi);
    double e;
    double p_hi = fa_fast_two_sum(r_hi, tail, &e);   /* |tail| < |r_hi| / 5 */
    *p_lo = e + (r_lo + r_lo * r_hi);          /* first-order effect of r_lo on the tail */
    return p_hi;
}

/* e^x = (h + *lo) 2^k unscaled: h in [1/sqrt2, sqrt2], *k the integer-valued exponent, x in [-1500,
 * 1500] or NaN (fa_pow2_halves takes k from -2044: x from -1416).  fa_exp_dd puts 2^k on as two powers
 * of two; silu's and gelu-tanh's float64 forward put them on x e^x last (rounded once more
 * only where it ends subnormal); fa_exp_dd_fix keeps part of it apart. */
static inline double fa_exp_dd_parts(double x, double *lo, double *k)
{
    uint64_t kb;
    double p_lo, e;
    double p_hi = fa_expm1_reduced_dd(x, &kb, &p_lo);
    double h = fa_fast_two_sum(1.0, p_hi, &e);       /* |p_hi| < 1/2 */
    *k = fa_bits_to_double(kb) - FA_SHIFT;
    *lo = e + p_lo;
    return h;
}

/* exp(x) = z_hi + z_lo for the float64 kernels, x in [-746, 710] or NaN.  The scale 2^k is applied as
 * two powers of two, so that results in the subnormal range are rounded once and k = 1024 (from 709.44
 * on) is reached; from 709.79 on z_hi is inf. */
static inline double fa_exp_dd(double x, double *z_lo)
{
    double lo, k, h = fa_exp_dd_parts(x, &lo, &k);
    double s2, s1 = fa_pow2_halves(k, &s2);
    *z_lo = (lo * s1) * s2;
    return (h * s1) * s2;
}

/* u v e^-w for finite u and v and w in [0, 2300] (700 and up in use), rounded once (a result below
 * DBL_MIN twice: within DBL_MIN): the tail that glu's float64 forward and backward take from |b| = 700
 * on, where e^-|b| (sigmoid(-|b|), and sigmoid(b) sigmoid(-b) to double precision) is subnormal or 0
 * while a e^-|b| or g a e^-|b| need not be (a = 1e300, b = -750: 1.9e-26).  u and v as m 2^e (frexp),
 * their product exact as a pair, e^-w as the square of fa_exp_dd_parts' e^(-w/2) = (h + lo) 2^k (its
 * range ends at 1500), all of it multiplied out unscaled as a pair and rounded, 2^(eu + ev + 2k) put on
 * last (an overflow gives inf, the correct rounding of a product beyond DBL_MAX).  A zero product keeps
 * its sign.  Not for the vectorised loops (libm's frexp and ldexp): their callers take the few lanes
 * that need it one by one. */
static inline double fa_mul2_exp_neg(double u, double v, double w)
{
    int eu, ev;
    double mu = frexp(u, &eu), mv = frexp(v, &ev), lo, k;
    double h = fa_exp_dd_parts(-0.5 * fmin(w, 2300.0), &lo, &k);
    double e = h * h, e_lo = 2.0 * h * lo - fa_residual(e, h, h);      /* (h + lo)^2, lo^2 left out */
    double p = mu * mv, p_lo = -fa_residual(p, mu, mv);                 /* mu mv exactly */
    double q = p * e, q_lo = (p * e_lo + p_lo * e) - fa_residual(q, p, e);
    double r = q + q_lo;
    return ldexp(r == 0.0 ? q : r, eu + ev + 2 * (int)k);
}

/* glu's float64 backward where 700 <= |b| < inf, for finite a and g: sigmoid(b) is 1 (b > 0) or e^-|b|,
 * and sigmoid(b) sigmoid(-b) = e^-|b| / (1 + e^-|b|)^2 is e^-|b| to double precision */
static inline void fa_glu_backward_far_f64(double a, double b, double g, double *da, double *db)
{
    double w = fabs(b);
    *da = b > 0 ? g : fa_mul2_exp_neg(g, 1.0, w);
    /* (an infinite or NaN a: g a, as nearer 0, where sigmoid(b) sigmoid(-b) > 0 makes it +-inf or NaN;
     * da does not depend on a: g sigmoid(b) was 0 for a = inf at b = -750, 1.9e-26 for a finite a) */
    *db = fabs(a) < INFINITY ? fa_mul2_exp_neg(g, a, w) : g * a;
}

/* e^(v + v_lo) 2^sh = (e + *lo) *f1 *f2 for the float64 backward kernels whose result is g times about
 * e^v (elu, selu, celu, softplus, log_sigmoid), v in [-1500, 1500] or NaN, v_lo to first order (celu's
 * rounding of x / alpha; 0 for the others), sh an integer-valued exponent (elu's alpha's, in [0, 1023]
 * with v in [-1500 - sh ln2, 0]; 0 for the others): with k = round(v / ln2) + sh clamped to k1 in
 * [-960, 1023], e + *lo = 2^k1 (1 + p) stays normal, low part included, and 2^(k - k1) is two powers
 * of two *f1 *f2 (fa_pow2_halves, each normal): both 1 for v in [-665.8, 709.4] and sh = 0.  A product with e taken times *f1,
 * then *f2, last is rounded once more only where it ends subnormal: g e^v is subnormal below v = -708
 * where g itself need not be small.  e is the pair's sum rounded and *lo what it leaves (callers that
 * want the sum take e alone).  Where f1 f2 is 1, e is fa_exp_dd's pair added up.  This replaces a
 * lifting of the argument by 512 or 1024 ln2 below -700, whose selects and correction of the shifted
 * argument made elu's backward 2.5 times as slow as the exp (clamping k1 at -1020 instead, with one
 * power of two, left *lo subnormal: 0.3 ULP more for elu's and softplus' backward there). */
static inline double fa_exp_dd_fix(double v, double v_lo, double sh, double *lo, double *f1, double *f2)
{
    double t, k, e, h = fa_exp_dd_parts(v, &t, &k);
    /* k + sh (sh = 0: k - 0.0 folds to k, where k + 0.0 would not, for -0: no instruction) */
    k = k - (0.0 - sh);
    double k1 = k < -960.0 ? -960.0 : (k > 1023.0 ? 1023.0 : k);
    double s = fa_pow2(fa_double_to_bits(k1 + FA_SHIFT));
    *f1 = fa_pow2_halves(k - k1, f2);
    double u = fa_fast_two_sum(h, t + h * v_lo, &e);
    *lo = e * s;
    return u * s;
}

/* a = *m 2^e with *m in [1, 2) (a's sign) for a finite |a| >= 1, e returned (integer-valued); *m = a and
 * e = 0 below 1.  Branch-free (e from the exponent bits ORed into FA_SHIFT's low mantissa bits, no
 * integer conversion); for loop-invariant a, hoisted out of the loops. */
static inline double fa_split_pow2(double a, double *m)
{
    double e = fa_bits_to_double(((fa_double_to_bits(a) >> 52) & 0x7ffu) | fa_double_to_bits(FA_SHIFT))
               - (FA_SHIFT + 1023.0);
    double s2, s1;
    e = fabs(a) >= 1.0 ? e : 0.0;
    s1 = fa_pow2_halves(-e, &s2);
    *m = (a * s1) * s2;
    return e;
}

/* expm1(x) = t_hi + t_lo for the float64 kernels, x in [-40, 700] or NaN (tanh's 2|x|, at most 40; elu's
 * and selu's x from -40 up, below which expm1 is -1 to double precision; celu's x / alpha up to 700;
 * x = -0 gives +0, which those callers select away): 2^k (1 + p) - 1 = 2^k p + (2^k - 1), summed
 * without losing the low part. */
static inline double fa_expm1_dd(double x, double *t_lo)
{
    uint64_t kb;
    double p_lo, e;
    double p_hi = fa_expm1_reduced_dd(x, &kb, &p_lo);
    double s = fa_pow2(kb);
    double t_hi = fa_two_sum(s * p_hi, s - 1.0, &e);
    *t_lo = e + s * p_lo;
    return t_hi;
}

/* ---- lane sums for the row kernels (softmax, log_softmax, sparsemax and their backward passes) ----
 * A row's terms are written to a scratch block by an elementwise loop (which vectorises like the
 * elementwise kernels), then added here into FA_LANES partial sums: term j goes to lane j % FA_LANES,
 * whatever the block boundaries (blocks are multiples of FA_LANES long), so the order of additions, and
 * with it the result, is fixed by the row alone.  The lanes are one AVX-512 register (two AVX2, four
 * SSE2 ones); the caller adds them up in a fixed order at the end. */
#define FA_LANES 32

static inline void fa_lanes_add(const double *restrict v, ptrdiff_t n, double *restrict acc)
{
    double a[FA_LANES];
    memcpy(a, acc, sizeof a);
    ptrdiff_t j = 0;
    for (; j + FA_LANES <= n; j += FA_LANES)
        for (int k = 0; k < FA_LANES; k++)
            a[k] += v[j + k];
    for (int k = 0; j + k < n; k++)
        a[k] += v[j + k];
    memcpy(acc, a, sizeof a);
}

/* The same in double-double: lanes (s_hi, s_lo) += v_hi + v_lo, each addition a TwoSum. */
static inline void fa_lanes_add_dd(const double *restrict v_hi, const double *restrict v_lo, ptrdiff_t n,
                                   double *restrict s_hi, double *restrict s_lo)
{
    double h[FA_LANES], l[FA_LANES], e;
    memcpy(h, s_hi, sizeof h);
    memcpy(l, s_lo, sizeof l);
    ptrdiff_t j = 0;
    for (; j + FA_LANES <= n; j += FA_LANES)
        for (int k = 0; k < FA_LANES; k++) {
            h[k] = fa_two_sum(h[k], v_hi[j + k], &e);
            l[k] += e + v_lo[j + k];
        }
    for (int k = 0; j + k < n; k++) {
        h[k] = fa_two_sum(h[k], v_hi[j + k], &e);
        l[k] += e + v_lo[j + k];
    }
    memcpy(s_hi, h, sizeof h);
    memcpy(s_lo, l, sizeof l);
}

/* The largest value of x[0:n] (NaN ignored), and *bad = the row holds NaN or +inf, or only -inf (or
 * nothing): the first pass of the row kernels.  Done on integer keys, monotone in the value (the bits,
 * with the magnitude bits flipped for negative values; NaN gets the smallest key and is counted),
 * written with masks rather than selects: integer max and sum reductions in that form are what GCC
 * vectorises at every level, where its float max reduction, which must respect NaN, stays scalar. */
#define FA_ROW_MAX(NAME, T, I, U, MAG, INF_BITS, SHIFT)                                          \
static inline double NAME(const T *restrict x, ptrdiff_t n, int *bad)                          \
{                                                                                                \
    const I lowest = (I)((U)1 << SHIFT);                                                         \
    I best = lowest, nans = 0;                                                                   \
    for (ptrdiff_t j = 0; j < n; j++) {                                                          \
        I b;                                                                                     \
        memcpy(&b, &x[j], sizeof b);                                                             \
        I is_nan = -(I)((b & MAG) > INF_BITS);                 /* all ones for NaN */            \
        I key = ((b ^ ((b >> SHIFT) & MAG)) & ~is_nan) | (lowest & is_nan);                      \
        nans -= is_nan;                                                                          \
        best = key > best ? key : best;                                                          \
    }                                                                                            \
    I bits = best ^ ((best >> SHIFT) & MAG);                                                     \
    T m;                                                                                         \
    memcpy(&m, &bits, sizeof m);                                                                 \
    *bad = (nans > 0) | (best == lowest) | (m == (T)INFINITY) | (m == -(T)INFINITY);             \
    return m;                                                                                    \
}
FA_ROW_MAX(fa_row_max_f32, float, int32_t, uint32_t, 0x7fffffff, 0x7f800000, 31)
FA_ROW_MAX(fa_row_max_f64, double, int64_t, uint64_t, 0x7fffffffffffffffLL, 0x7ff0000000000000LL, 63)

/* log_softmax's backward, dx = g - e^y S, one element at a time in double with libm's exp: the paths'
 * way for what their vector exps leave (a y beyond their range, NaN, a row whose S is not finite).  A y
 * above 0 is no log-probability, but it gets the formula too: +inf gives -inf (NaN where S = 0), where
 * a y held at 20 gave finite nonsense (-1.46e9 for S = 3), NaN gives NaN, and a finite y whose e^y
 * overflows double times S = 0 is 0 (the product's sign: S's), as the exact product is. */
static inline double fa_log_softmax_backward_1d(double g, double y, double S)
{
    return g - (S == 0.0 && y < INFINITY ? S : exp(y) * S);
}

static inline float fa_log_softmax_backward_1(float g, float y, double S)
{
    return (float)fa_log_softmax_backward_1d(g, y, S);
}

/* the same over n elements (dx may be g or y: each element is read before it is written) */
static inline void fa_log_softmax_backward_each(const float *g, const float *y, float *dx, ptrdiff_t n, double S)
{
    for (ptrdiff_t k = 0; k < n; k++)
        dx[k] = fa_log_softmax_backward_1(g[k], y[k], S);
}

static inline void fa_log_softmax_backward_each_f64(const double *g, const double *y, double *dx, ptrdiff_t n,
                                                    double S)
{
    for (ptrdiff_t k = 0; k < n; k++)
        dx[k] = fa_log_softmax_backward_1d(g[k], y[k], S);
}

#endif
