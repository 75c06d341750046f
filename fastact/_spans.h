/* fastact/_spans.h -- hand-vectorised float32 kernels over a contiguous span, for the AVX-512 build.
 *
 * Why: the portable float32 sigmoid/tanh/exp in _scalar.pxd compute in double to stay within 1 ULP.  GCC
 * vectorises them, but at half the lanes and with two vdivpd per 16 elements: ~1.9 cycles per element,
 * which loses to PyTorch's (less exact) float kernels.  Here the same <= 1 ULP comes from float32
 * arithmetic with error-free transformations instead:
 *
 *   exp(a) = 2^n * T[j] * (1 + p(r)),  a = (32 n + j) ln2/32 + r,  |r| <= ln2/64,
 *
 * with T[j] = 2^(j/32) held as hi + lo floats in two registers each (one vpermi2ps per lookup, no
 * gather), p a 3-term polynomial (truncation 2^-30.7), and the result kept unevaluated as z_hi + z_lo
 * (relative error ~2^-30).  The quotient is rcp14's estimate corrected once by its FMA-exact residual
 * (a Newton step: 2^-28, low parts folded in), so it is rounded once from a value within ~2^-28 of the
 * truth: every result is within 0.59 ULP (benchmarks/accuracy.py sweeps all 2^32 inputs).  NaN
 * propagates (the clamp keeps it), +-inf and signed zeros come out exact, subnormal results are rounded
 * from the hi + lo pair (absolute error below FLT_MIN).
 *
 * tanh has no quotient: |x| picks one of 32 intervals (quarter binades) and a degree-6 polynomial
 * around the interval's midpoint, its coefficients gathered with vpermt2ps (the way MKL's HA vsTanh
 * works): 25 instructions per 16 elements against the exp-and-quotient form's 35, 0.567 ULP.
 * tanh_shrink has a table of its own (x - tanh(x) cancels near 0), and gelu, gelu's and silu's
 * derivatives have tables over |x| (fa_atab) for their common range, with no exp at all; their spans
 * gather the lanes beyond the tables and compute them 16 at a time (FA_SPLIT_SPAN).
 *
 * The backward spans (sigmoid and tanh from y; silu, gelu in both forms, softplus, log_sigmoid, elu, selu
 * and celu from x; glu's) keep the derivative as hi + lo and multiply by g with one rounding; where
 * the derivatives of silu and gelu (both forms) cross zero, a table interval centred on the root or an
 * expansion around it keeps float32 within 1 ULP of the exact value itself.  Lanes they do not cover
 * (NaN, infinities, far tails, a g near float's largest) are recomputed one by one in double
 * (fa_fix_lanes).  softmax's and log_softmax's rows, forward and backward, are at the end.
 *
 * Each function handles any n and alignment (head and tail use masked loads and stores through the same
 * instructions), so a result never depends on where an element sits in its span, hence never on the
 * thread count.
 * Built only where the translation unit targets AVX-512F; elsewhere FA_HAVE_SPANS is 0 and the
 * functions are empty stubs the Cython code never calls, but for those _spans_avx2.h has for the AVX2
 * build (FA_F32_SPAN_<name>, at the end, says which).
 */
#ifndef FASTACT_SPANS_H
#define FASTACT_SPANS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include "_vmath.h"

/* softplus' and log_sigmoid's backward for one element, in double (the portable path's formula): the
 * lanes the AVX-512 and AVX2 spans leave */
static inline float fa_softplus_backward_1(float g, float x, double p)
{
    (void)p;
    double xd = x, z = exp(-fabs(xd));
    return (float)((double)g * ((x >= 0 ? 1.0 : z) / (1.0 + z)));
}

static inline float fa_log_sigmoid_backward_1(float g, float x, double p)
{
    (void)p;
    return fa_softplus_backward_1(g, -x, p);
}

/* gelu's backward for one element, in double: the lanes the AVX-512 spans leave (x < -16, where the
 * derivative, about x phi(x), is below float's range but g times it need not be, +-inf, and any x where g
 * is from 2^122 or NaN) and those the AVX2 span does */
static inline float fa_gelu_backward_1(float g, float x, double p)
{
    (void)p;
    if (isinf(x))
        return x > 0 ? g : g * 0.0f;
    double xd = x;
    return (float)((double)g * (erfc(-xd * 0.7071067811865476) / 2 + xd * exp(-0.5 * xd * xd) * 0.3989422804014327));
}

/* silu's backward for one element, in double (the formula of the portable path): the lanes the vector
 * forms leave out (AVX-512: x NaN, infinite or below -150; AVX2: x below -64 and g's odd lanes).  At
 * x = +-inf the derivative is 1 or 0 (g * 0: NaN for an infinite g, as in the reference). */
static inline float fa_silu_backward_1(float g, float x, double p)
{
    (void)p;
    if (x != x)
        return x;
    if (isinf(x))
        return x > 0 ? g : g * 0.0f;
    double xd = x, z = exp(-fabs(xd)), d = 1.0 + z;
    return (float)((double)g * (((x >= 0 ? 1.0 : z) / d) * (1.0 + xd * ((x >= 0 ? z : 1.0) / d))));
}

/* sigmoid's and tanh's backward from the saved y for one element, in double (the portable path's
 * formulas): the lanes the AVX-512 and AVX2 spans leave */
static inline float fa_sigmoid_backward_1(float g, float y, double p)
{
    (void)p;
    return (float)((double)g * ((double)y * (1.0 - (double)y)));
}

static inline float fa_tanh_backward_1(float g, float y, double p)
{
    (void)p;
    return (float)((double)g * ((1.0 - (double)y) * (1.0 + (double)y)));
}

/* gelu's tanh form's backward for one element, in double (the portable path's float32 formula): the
 * lanes the vector forms leave out (AVX-512: x NaN, infinite or below -12, g from 2^117; AVX2 likewise,
 * g from 2^64, and results below 2^-100) */
static inline float fa_gelu_tanh_backward_1(float g, float x, double p)
{
    (void)p;
    if (x != x)
        return x;
    double xd = x, w = 1.5957691216057308 * (xd + 0.044715 * xd * xd * xd);
    double z = exp(-fabs(w)), inv = 1.0 / (1.0 + z);
    double s = (w >= 0 ? 1.0 : z) * inv, sn = (w >= 0 ? z : 1.0) * inv;
    double d = s + xd * s * sn * (1.5957691216057308 * (1.0 + 3.0 * 0.044715 * xd * xd));
    return (float)((double)g * (fabs(xd) >= 1e30 ? (x > 0 ? 1.0 : 0.0) : d));
}

/* The exp argument of the exp-form derivatives' lane-by-lane path, held at -700 from below: e^v stays
 * positive, so that an infinite g gives +-inf down to x = -FLT_MAX, as the longdouble reference, and
 * no finite g changes (g e^-700 is below half the smallest float).  -inf stays: the derivative is 0
 * there (g 0, NaN for an infinite g). */
static inline double fa_exp_arg_held(double v)
{
    return v < -700.0 && v != -INFINITY ? -700.0 : v;
}

/* selu's, elu's and celu's backward for one element, in double (the portable path's formulas): the
 * lanes the AVX-512 and AVX2 spans leave */
static inline float fa_selu_backward_1(float g, float x, double p)
{
    (void)p;
    double v = x > 0 ? 0.0 : (double)x;
    v = fa_exp_arg_held(v);
    return (float)((double)g * (x >= 0 ? 1.0507009873554805 : 1.7580993408473768 * exp(v)));
}

static inline float fa_elu_backward_1(float g, float x, double alpha)
{
    double v = fa_exp_arg_held((double)x);
    return x > 0 ? g : (float)((double)g * ((double)alpha * exp(v)));
}

static inline float fa_celu_backward_1(float g, float x, double alpha)
{
    double v = x > 0 ? 0.0 : (double)x * (1.0 / (double)alpha);
    v = v > 200.0 ? 200.0 : fa_exp_arg_held(v);
    return x > 0 ? g : (float)((double)g * exp(v));
}

/* glu's forward for one element, in double, as the portable path (the lanes the AVX-512 and AVX2
 * spans leave): sigmoid(b) = 1 or 0 exactly at b = +-inf (so a * 0 is NaN only for a = +-inf, and an
 * infinite a gives a wherever sigmoid(b) > 0) */
static inline float fa_glu_1(float a, float b, double p)
{
    (void)p;
    double z = exp(-fabs((double)b)), r = 1.0 / (1.0 + z);
    double s = b == -INFINITY ? 0.0 : (b >= 0 ? r : z * r);
    if (isinf(a) && b > -INFINITY)
        return a;
    return (float)((double)a * s);
}

/* glu's backward for one pair, in double (the portable path's float32 formula; the lanes
 * the AVX-512 and AVX2 spans leave).  sigmoid(b) and sigmoid(-b) are > 0 for every finite b, also where
 * double's exp underflows (|b| > 745), as in glu's forward: an infinite g gives g in da for b > -inf,
 * and an infinite g or a gives g a (+-inf, or NaN for a zero other factor) in db for a finite b, as the
 * exact products, not inf * 0 (a finite g a there gives 0 either way: below 2^256 times e^-745) */
static inline void fa_glu_backward_1(float a, float b, float g, float *da, float *db)
{
    double z = exp(-fabs((double)b)), r = 1.0 / (1.0 + z);
    double s = (b >= 0 ? 1.0 : z) * r, t = (b >= 0 ? z : 1.0) * r, ga = (double)g * (double)a;
    *da = (float)(isinf(g) && b > -INFINITY ? (double)g : (double)g * s);
    *db = (float)(isinf(ga) && fabs(b) < INFINITY ? ga : ga * (s * t));
}

/* empty stubs of the spans' signatures (forward, forward with a parameter, backward), for the levels
 * that lack a span: the Cython kernels never call them (FA_F32_SPAN_<name> is 0 there) */
#define FA_STUB_T(NAME, SFX, T)                                                                         \
static inline void fa_##NAME##_##SFX##_span(const T *x, T *out, ptrdiff_t n, int pf)                    \
{ (void)x; (void)out; (void)n; (void)pf; }
#define FA_STUB2_T(NAME, SFX, T)                                                                        \
static inline void fa_##NAME##_##SFX##_span(const T *a, const T *b, T *out, ptrdiff_t n, T p, int pf)   \
{ (void)a; (void)b; (void)out; (void)n; (void)p; (void)pf; }
#define FA_STUB(NAME) FA_STUB_T(NAME, f32, float)
#define FA_STUB2(NAME) FA_STUB2_T(NAME, f32, float)
#define FA_STUB_P(NAME)                                                                                 \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n, float p, int pf)       \
{ (void)x; (void)out; (void)n; (void)p; (void)pf; }

#if defined(__AVX512F__)
#include <immintrin.h>
#define FA_HAVE_SPANS 1

/* 2^(j/32) = FA_T_HI[j] + FA_T_LO[j], j = 0..31: hi rounded to float, lo the float nearest the rest. */
static const float FA_T_HI[32] = {
    0x1p+0f, 0x1.059b0ep+0f, 0x1.0b5586p+0f, 0x1.11301ep+0f, 0x1.172b84p+0f, 0x1.1d4874p+0f,
    0x1.2387a6p+0f, 0x1.29e9ep+0f, 0x1.306fep+0f, 0x1.371a74p+0f, 0x1.3dea64p+0f, 0x1.44e086p+0f,
    0x1.4bfdaep+0f, 0x1.5342b6p+0f, 0x1.5ab07ep+0f, 0x1.6247ecp+0f, 0x1.6a09e6p+0f, 0x1.71f75ep+0f,
    0x1.7a1148p+0f, 0x1.82589ap+0f, 0x1.8ace54p+0f, 0x1.93737cp+0f, 0x1.9c4918p+0f, 0x1.a5503cp+0f,
    0x1.ae89fap+0f, 0x1.b7f77p+0f, 0x1.c199bep+0f, 0x1.cb720ep+0f, 0x1.d5818ep+0f, 0x1.dfc974p+0f,
    0x1.ea4afap+0f, 0x1.f50766p+0f};
static const float FA_T_LO[32] = {
    0x0p+0f, -0x1.9d4f52p-25f, 0x1.9f3122p-25f, -0x1.fdb496p-25f, -0x1.c15742p-27f, -0x1.d2e8cap-25f,
    0x1.ceac48p-25f, -0x1.5c0424p-25f, 0x1.4636e2p-25f, -0x1.18aac6p-25f, 0x1.824684p-25f, 0x1.8624b4p-30f,
    -0x1.593abcp-25f, -0x1.2c561p-25f, -0x1.5bd5ecp-27f, -0x1.f8b55p-25f, 0x1.9fcef4p-26f, 0x1.1d8beep-25f,
    -0x1.829fdp-25f, -0x1.accc7cp-26f, 0x1.15506ep-27f, -0x1.e64744p-25f, 0x1.51f848p-27f,
    -0x1.b83b54p-25f, -0x1.a94b14p-26f, -0x1.a09438p-25f, -0x1.3d56b2p-27f, -0x1.8837ccp-27f,
    -0x1.822dbcp-27f, -0x1.908c94p-25f, 0x1.52486cp-27f, -0x1.246ebp-26f};

/* a span's per-block function (or a large part several of them share): inlined even where the span's
 * loop calls it three times (head, body, tail), which GCC would otherwise not do for the larger ones (a
 * call per block, with the constants reloaded inside: gelu's tanh form's backward ran at 1.5 ns per
 * element instead of ~1) */
#define FA_KERNEL static inline __attribute__((always_inline))

/* a float's bits */
static inline int32_t fa_bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

/* the mask of the lanes a block of 16 starting `left` elements before the end may touch */
static inline __mmask16 fa_lanes_left(ptrdiff_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* the same for a block of 8 */
static inline __mmask8 fa_lanes8_left(ptrdiff_t left)
{
    return left >= 8 ? (__mmask8)0xff : (__mmask8)((1u << left) - 1u);
}

/* g (hi + lo) with one rounding */
static inline __m512 fa_mul_f2_512(__m512 g, __m512 hi, __m512 lo)
{
    return _mm512_fmadd_ps(g, hi, _mm512_mul_ps(g, lo));
}

/* the lanes with 0 < |v| < lim (not NaN): |v|'s bits less one, unsigned, below lim's less one.  Zeros
 * are left out: the lifts behind these masks give a zero g the same zero, and gradients hold many exact
 * zeros (masked or gated upstream), whose blocks took the lift's branch: half of g 0 made sigmoid's and
 * tanh's backward 1.17x and 1.23x the time, silu's 1.12x, elu's 1.14x (one thread, 1e5 floats) */
static inline __mmask16 fa_small_nonzero_512(__m512 v, float lim)
{
    __m512i b = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff));
    return _mm512_cmplt_epu32_mask(_mm512_sub_epi32(b, _mm512_set1_epi32(1)),
                                   _mm512_sub_epi32(_mm512_castps_si512(_mm512_set1_ps(lim)), _mm512_set1_epi32(1)));
}

/* the lanes of a nonzero g below 2^-64, where g lo (lo up to 2^-24 hi) may be rounded as a subnormal */
static inline __mmask16 fa_tiny_512(__m512 g)
{
    return fa_small_nonzero_512(g, 0x1p-64f);
}

/* g (hi + lo) where g hi does not overflow, except that in the lanes `tiny` it is g 2^64 (hi + lo) (the
 * callers' g there is below 2^-64, so that does not overflow either), so that g lo is not rounded as a
 * subnormal.  Such lanes are rare, so they are redone behind a branch. */
static inline __m512 fa_mul_f2_tiny_512(__m512 g, __m512 hi, __m512 lo, __mmask16 tiny)
{
    __m512 r = fa_mul_f2_512(g, hi, lo);
    if (tiny)
        r = _mm512_mask_mov_ps(r, tiny, fa_mul_f2_512(_mm512_mul_ps(g, _mm512_set1_ps(0x1p64f)), hi, lo));
    return r;
}

/* g (hi + lo) 2^floor(scale) where g hi does not overflow (the callers bound g, or bring it down first):
 * rounded once where the result is normal (a tiny g's 2^64 comes off with the scale); a subnormal
 * result is within FLT_MIN. */
static inline __m512 fa_mul_f2_lift_512(__m512 g, __m512 hi, __m512 lo, __m512 scale)
{
    __mmask16 tiny = fa_tiny_512(g);
    __m512 r = fa_mul_f2_tiny_512(g, hi, lo, tiny);
    return _mm512_scalef_ps(r, _mm512_mask_sub_ps(scale, tiny, scale, _mm512_set1_ps(64.0f)));
}

/* the same for any finite or infinite g: a g from 2^64 is taken times 2^-64 first (and 64 added to the
 * scale), since g times an unscaled hi of up to ~13 would overflow; an infinite g gives g hi (g lo may
 * be inf * 0) */
static inline __m512 fa_mul_f2_scaled_512(__m512 g, __m512 hi, __m512 lo, __m512 scale)
{
    __m512 ag = _mm512_abs_ps(g);
    __mmask16 huge = _mm512_cmp_ps_mask(ag, _mm512_set1_ps(0x1p64f), _CMP_GE_OQ);
    __m512 r = fa_mul_f2_lift_512(_mm512_mask_mul_ps(g, huge, g, _mm512_set1_ps(0x1p-64f)), hi, lo,
                                  _mm512_mask_add_ps(scale, huge, scale, _mm512_set1_ps(64.0f)));
    return _mm512_mask_mul_ps(r, _mm512_cmp_ps_mask(ag, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ), g, hi);
}

/* g (hi + lo), rounded once where the result is normal (sigmoid's and tanh's backward) */
static inline __m512 fa_mul_f2_unit_512(__m512 g, __m512 hi, __m512 lo)
{
    __mmask16 tiny = fa_tiny_512(g);
    __m512 r = fa_mul_f2_tiny_512(g, hi, lo, tiny);
    return tiny ? _mm512_mask_scalef_ps(r, tiny, r, _mm512_set1_ps(-64.0f)) : r;
}

/* hi + lo = 1 - y exactly, for |y| <= 1 (Fast2Sum) */
static inline __m512 fa_one_minus_512(__m512 y, __m512 *lo)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 hi = _mm512_sub_ps(one, y);
    *lo = _mm512_sub_ps(_mm512_sub_ps(one, hi), y);
    return hi;
}

/* r with the lanes in `odd` replaced by f(a, b, p) one by one, from the loaded lanes (out may be a or b);
 * p is the row's parameter (elu's and celu's alpha; log_softmax's row sum), unused by the others */
static inline __m512 fa_fix_lanes(__m512 r, __m512 a, __m512 b, __mmask16 odd, float (*f)(float, float, double),
                                  double p)
{
    if (odd) {
        float al[16], bl[16], rl[16];
        _mm512_storeu_ps(al, a);
        _mm512_storeu_ps(bl, b);
        _mm512_storeu_ps(rl, r);
        for (int j = 0; j < 16; j++)
            if (odd >> j & 1)
                rl[j] = f(al[j], bl[j], p);
        r = _mm512_loadu_ps(rl);
    }
    return r;
}

/* fa_fix_lanes(r, g, x, odd, f, p), but the lanes of `odd` where t (x, or the argument the derivative
 * takes) is below t_low and |g| below g_zero are g z instead (z a signed zero: the sign of the
 * derivative there, so small below t_low that g times it rounds to a zero for such g; g_zero 0: none),
 * and g z_inf where t is -inf (the lane-by-lane f's value there: the derivative's limit, whose zero may
 * have the other sign, gelu's and silu's +0).  For the exp-form backward spans, whose lanes there went
 * one by one in double: x = 300 x normal made elu's, silu's and softplus' 18-25x the time of
 * normal(0, 4), gelu's 23x at 30 x normal, and x = -inf on a tenth of the lanes softplus', elu's, selu's
 * and celu's 9x (one thread, 1e5 floats). */
/* Of the lanes `m` (t below the caller's bound), those with |g| below g_zero, their *r set to g z, or g
 * z_inf where t is -inf: the zero settling of fa_fix_lanes_below and fa_settle_backward_512 */
static inline __mmask16 fa_zero_lanes_512(__m512 *r, __m512 g, __m512 t, __mmask16 m, float g_zero, float z,
                                          float z_inf)
{
    __mmask16 zero = _mm512_mask_cmp_ps_mask(m, _mm512_abs_ps(g), _mm512_set1_ps(g_zero), _CMP_LT_OQ);
    __m512 zs = _mm512_set1_ps(z);
    if (fa_bits(z) != fa_bits(z_inf))
        zs = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, _mm512_set1_ps(-INFINITY), _CMP_EQ_OQ), zs,
                                  _mm512_set1_ps(z_inf));
    *r = _mm512_mask_mul_ps(*r, zero, g, zs);
    return zero;
}

static inline __m512 fa_fix_lanes_below(__m512 r, __m512 g, __m512 x, __mmask16 odd, __m512 t, float t_low,
                                        float g_zero, float z, float z_inf, float (*f)(float, float, double),
                                        double p)
{
    if (odd) {
        __mmask16 zero = fa_zero_lanes_512(&r, g, t, odd & _mm512_cmp_ps_mask(t, _mm512_set1_ps(t_low), _CMP_LT_OQ),
                                           g_zero, z, z_inf);
        r = fa_fix_lanes(r, g, x, odd & (__mmask16)~zero, f, p);
    }
    return r;
}

/* For the split spans' backward (FA_SPLIT_SPAN2): of the lanes `far` that the common form leaves, those
 * whose result needs no arithmetic, settled in the loop rather than gathered for the far form (a
 * tenth of normal(0, 4) data at -1e4, +1e4 or -inf took silu's backward 1.9-2.5 times its usual time,
 * gelu's 1.2-2.4).  From x_big on the derivative is 1 to well below half an ULP: g (any g).  Below
 * t_low (finite) it is a zero of sign z for |g| below g_zero, as in fa_fix_lanes_below; at -inf g times
 * +0 (fa_gelu_backward_1's and fa_silu_backward_1's value there, a limit the reference takes too).
 * *v gets the results of the lanes returned (g in the others).  With `branch`, one compare in every
 * block that has far lanes and the rest only where some are below t_low or from x_big on; without, no
 * branch (the span's dense mode of a kernel whose dense mode means saturated data, see
 * fa_silu_backward_settle_512). */
static inline __mmask16 fa_settle_backward_512(__m512 g, __m512 x, __mmask16 far, float t_low, float x_big,
                                               float g_zero, float z, const int branch, __m512 *v)
{
    *v = g;
    __mmask16 low = _mm512_mask_cmp_ps_mask(far, x, _mm512_set1_ps(t_low), _CMP_LT_OQ);
    __mmask16 top = x_big == INFINITY ? 0 : _mm512_mask_cmp_ps_mask(far, x, _mm512_set1_ps(x_big), _CMP_GE_OQ);
    if (branch && !(low | top))
        return 0;
    return fa_zero_lanes_512(v, g, x, low, g_zero, z, 0.0f) | top;
}

/* 2^floor(scale) * (hi + lo), |lo| <= ulp(hi)/2, hi in [0.5, 2] */
typedef struct { __m512 hi, lo, scale; } fa_f2;

/* exp(a) = 2^floor(scale) (th + t), th = T[j]'s high part, |t| < 2^-5 th (not renormalised), for a in
 * [-176, 176] or NaN (NaN stays NaN); |k| < 2^13 keeps the reduction exact. */
/* The reduction of exp(a), a = (32 n + j) ln2/32 + r: returns k = 32 n + j, with kf's bits in *idx (the
 * table index j in their low 5 bits, n in bits 5..13) and expm1(r) in *p */
static inline __m512 fa_exp_reduce_512(__m512 a, __m512i *idx, __m512 *p)
{
    /* k = round(a * 32/ln2), held in the low mantissa bits of kf (1.5 * 2^23 shift). */
    const __m512 shift = _mm512_set1_ps(12582912.0f);
    __m512 kf = _mm512_fmadd_ps(a, _mm512_set1_ps(0x1.715476p+5f), shift);
    __m512 k = _mm512_sub_ps(kf, shift);
    /* r = a - k ln2/32: L1 has 9 significant bits, so k * L1 (|k| < 2^13) and a - k * L1 are exact. */
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0x1.63p-6f), a);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-0x1.bd0106p-18f), r);
    /* the table index is k mod 32: vpermi2ps reads the low 5 bits of kf's bits */
    *idx = _mm512_castps_si512(kf);
    /* expm1(r) = r + r^2 (1/2 + r/6): truncation r^4/24 < 2^-30.7 relative */
    __m512 c = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    *p = _mm512_fmadd_ps(_mm512_mul_ps(r, r), c, r);
    return k;
}

/* fa_exp_reduce_512's results, which the pipelined spans compute a block ahead (FA_PIPE_LOOP) */
typedef struct { __m512i idx; __m512 p, k; } fa_exp_pre;

static inline fa_exp_pre fa_exp_pre_512(__m512 a)
{
    fa_exp_pre s;
    s.k = fa_exp_reduce_512(a, &s.idx, &s.p);
    return s;
}

/* fa_exp_parts_512 from a reduction already made */
static inline __m512 fa_exp_parts_pre_512(fa_exp_pre pre, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1,
                                          __m512 *t_, __m512 *scale)
{
    __m512i idx = pre.idx;
    __m512 p = pre.p, k = pre.k;
    __m512 th = _mm512_permutex2var_ps(thi0, idx, thi1);
    __m512 tl = _mm512_permutex2var_ps(tlo0, idx, tlo1);
    /* T (1 + p) = th + (th p + tl); the scale 2^floor(k/32) is left to the caller (vscalef) */
    *t_ = _mm512_fmadd_ps(th, p, tl);
    *scale = _mm512_mul_ps(k, _mm512_set1_ps(1.0f / 32.0f));
    return th;
}

static inline __m512 fa_exp_parts_512(__m512 a, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1, __m512 *t_,
                                      __m512 *scale)
{
    return fa_exp_parts_pre_512(fa_exp_pre_512(a), thi0, thi1, tlo0, tlo1, t_, scale);
}

/* exp(a) as fa_exp_parts_512, renormalised (Fast2Sum, |th| > 90 |t|) so that the low part is below half
 * an ULP of the high one */
static inline fa_f2 fa_exp_f2_512(__m512 a, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    fa_f2 z;
    __m512 t, th = fa_exp_parts_512(a, thi0, thi1, tlo0, tlo1, &t, &z.scale);
    z.hi = _mm512_add_ps(th, t);
    z.lo = _mm512_add_ps(_mm512_sub_ps(th, z.hi), t);
    return z;
}

/* exp(a) as fa_exp_parts_512's th + t, not renormalised (|t| < 2^-5 th): for callers that only multiply
 * the pair by something and round once, where t's rounding in that product stays ~2^-29 of the result
 * (the renormalisation's three additions cost log_softmax's backward 17% on AMD Zen 5) */
static inline fa_f2 fa_exp_raw_512(__m512 a, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    fa_f2 z;
    z.hi = fa_exp_parts_512(a, thi0, thi1, tlo0, tlo1, &z.lo, &z.scale);
    return z;
}

/* d_hi + d_lo = 1 + z for z = 2^floor(scale) (th + t) from fa_exp_parts_512 (a <= 0, so z <= 1), zh =
 * th + t rounded: with s = 2^floor(scale), 1 + zh s is rounded to d_hi; th s + (1 - d_hi) is exact (1 -
 * d_hi is, d_hi in [1, 2], and the sum lies within |t s| + ulp(d_hi)/2 of 0 on th s's grid), and t s
 * is added to it.  With `wide`, below z = 2^-100 the scale is held at -100: 1 + z is 1 to 2^-100 either
 * way, and s never becomes subnormal (a microcode assist per use); without it the caller keeps a above
 * -FA_COMMON_X (s >= 2^-93).  t need not be renormalised: its s t is part of the low part anyway. */
static inline __m512 fa_one_plus_parts_512(__m512 th, __m512 t, __m512 zh, __m512 scale, const int wide,
                                           __m512 *d_lo)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 s = _mm512_scalef_ps(one, wide ? _mm512_max_ps(scale, _mm512_set1_ps(-100.0f)) : scale);
    __m512 d_hi = _mm512_fmadd_ps(zh, s, one);
    *d_lo = _mm512_fmadd_ps(t, s, _mm512_fmadd_ps(th, s, _mm512_sub_ps(one, d_hi)));
    return d_hi;
}

/* the same for z from fa_exp_f2_512 */
static inline __m512 fa_one_plus_512(fa_f2 z, __m512 *d_lo)
{
    return fa_one_plus_parts_512(z.hi, z.lo, z.hi, z.scale, 1, d_lo);
}

/* (n_hi + n_lo) / (d_hi + d_lo), rounded once; d_hi in [1, 2], |d_lo| <= ulp(d_hi). */
static inline __m512 fa_div_f2_512(__m512 n_hi, __m512 n_lo, __m512 d_hi, __m512 d_lo)
{
    /* q = n_hi y is within eps = 2^-14 of the quotient; the residual step q + (n - q d) y is a Newton
     * step that leaves eps^2 = 2^-28, and it folds the low parts in: one rounding at the end */
    __m512 y = _mm512_rcp14_ps(d_hi);
    __m512 q = _mm512_mul_ps(n_hi, y);
    __m512 rho = _mm512_fnmadd_ps(q, d_hi, n_hi);                          /* exact (FMA) */
    __m512 corr = _mm512_fnmadd_ps(q, d_lo, _mm512_add_ps(rho, n_lo));
    return _mm512_fmadd_ps(corr, y, q);
}

static const float FA_SIGN = -0.0f;

/* hi + lo = a + b exactly, no order of magnitudes assumed: Dekker's Fast2Sum on the larger and the
 * smaller magnitude, which vrangeps picks (imm 7: |max|, 6: |min|, each with its own sign; of equal
 * magnitudes one each), five operations where Knuth's TwoSum takes six, and the same hi and lo (both
 * exact).  On the tables' c0 + c1 t of the derivatives (their near forms alone, one thread, 64K elements, AMD Zen 5):
 * silu's backward 18.3 -> 17.8 cycles per block of 16, gelu's 21.0 -> 20.1. */
static inline __m512 fa_two_sum_512(__m512 a, __m512 b, __m512 *lo)
{
    __m512 big = _mm512_range_ps(a, b, 7), small = _mm512_range_ps(a, b, 6);
    __m512 hi = _mm512_add_ps(big, small);
    *lo = _mm512_add_ps(_mm512_sub_ps(big, hi), small);
    return hi;
}

/* hi + lo = a - b exactly (TwoSum on a and -b, the negation folded in) */
static inline __m512 fa_two_diff_512(__m512 a, __m512 b, __m512 *lo)
{
    __m512 hi = _mm512_sub_ps(a, b);
    __m512 bb = _mm512_sub_ps(hi, a);
    *lo = _mm512_sub_ps(_mm512_sub_ps(a, _mm512_sub_ps(hi, bb)), _mm512_add_ps(b, bb));
    return hi;
}

/* q 2^floor(sc) as vscalefps gives it, but with the results below FLT_MIN rounded to their subnormal
 * grid by an integer conversion instead (the same rounding, to nearest even, of the same exact q
 * 2^(sc + 149)): vscalefps takes a microcode assist for each subnormal result, which made gelu's tanh
 * form 0.82 instead of 0.64 ns per element on normal(0, 4) data (where 6% of the blocks have a lane
 * whose result underflows).  For the general paths only: the test costs ~4 instructions per block.
 * Results below 2^-190 |q| come out as 0, which they round to. */
static inline __m512 fa_scalef_sub_512(__m512 q, __m512 sc)
{
    __mmask16 sub = _mm512_cmp_ps_mask(_mm512_add_ps(_mm512_getexp_ps(q), sc), _mm512_set1_ps(-126.0f), _CMP_LT_OQ);
    __m512 r = _mm512_mask_scalef_ps(q, (__mmask16)~sub, q, sc);
    if (sub) {
        __m512 t = _mm512_maskz_scalef_ps(sub, _mm512_abs_ps(q),
                                          _mm512_max_ps(_mm512_add_ps(sc, _mm512_set1_ps(149.0f)), _mm512_set1_ps(-40.0f)));
        __m512 m = _mm512_castsi512_ps(_mm512_cvtps_epi32(t));
        r = _mm512_mask_mov_ps(r, sub, _mm512_or_ps(m, _mm512_and_ps(q, _mm512_set1_ps(FA_SIGN))));
    }
    return r;
}

/* whether any lane of x is NaN or has |x| >= lim: the blocks the kernels with a fast common path send
 * down their general one.  The sigmoid-form kernels' bound is FA_COMMON_X: below it, e^-|x| and its
 * scale 2^floor(k/32) >= 2^-93 stay normal, so their clamps are not needed. */
#define FA_COMMON_X 64.0f

static inline __mmask16 fa_beyond_512(__m512 x, float lim)
{
    return _mm512_cmp_ps_mask(_mm512_or_ps(x, _mm512_set1_ps(FA_SIGN)), _mm512_set1_ps(-lim), _CMP_NGT_UQ);
}

/* whether x <= lim or NaN, lane by lane */
static inline __mmask16 fa_below_512(__m512 x, float lim)
{
    return _mm512_cmp_ps_mask(x, _mm512_set1_ps(lim), _CMP_NGT_UQ);
}

/* tanh(|x|) on 32 intervals of [0, 16): quarter binades from 1/16 up, the first taken down to 0.  On
 * interval j, tanh(c + t) = c0 + (c1 t + (a0 + t^2 P(t))), c the midpoint (t = |x| - c exact), c0 =
 * tanh(c) rounded, a0 the constant part of the rest, P of degree 4.  The tail is below ~1/8 of c0 and
 * carries a few float roundings, so the result is rounded once from a value within ~0.05 ULP of tanh
 * (0.55 ULP over all 2^32 inputs, benchmarks/accuracy.py).  On [0, 5/64) the row is x + x^3 Q(x), so a
 * tiny x gives x.  From benchmarks/fit_tables.py (the printed table, rows as named; column = slot).
 * Slot: bits 21..25 of max(|x|, 1/16), which are the low 3 exponent bits and the top 2 mantissa bits;
 * 8 binades give 32 distinct slots (vpermt2ps reads those 5 bits, no masking). */
static const float FA_TANH_TAB[9][32] = {
    /* centre */ {0x1.2p+1f, 0x1.6p+1f, 0x1.ap+1f, 0x1.ep+1f, 0x1.2p+2f, 0x1.6p+2f,
        0x1.ap+2f, 0x1.ep+2f, 0x1.2p+3f, 0x1.6p+3f, 0x1.ap+3f, 0x1.ep+3f,
        0.0f, 0x1.6p-4f, 0x1.ap-4f, 0x1.ep-4f, 0x1.2p-3f, 0x1.6p-3f,
        0x1.ap-3f, 0x1.ep-3f, 0x1.2p-2f, 0x1.6p-2f, 0x1.ap-2f, 0x1.ep-2f,
        0x1.2p-1f, 0x1.6p-1f, 0x1.ap-1f, 0x1.ep-1f, 0x1.2p+0f, 0x1.6p+0f,
        0x1.ap+0f, 0x1.ep+0f},
    /* c0 */ {0x1.f4bfd6p-1f, 0x1.fbd50ap-1f, 0x1.fe767ap-1f, 0x1.ff6f18p-1f, 0x1.ffdfa8p-1f, 0x1.fffbap-1f,
        0x1.ffff68p-1f, 0x1.ffffecp-1f, 0x1.fffffep-1f, 0x1p+0f, 0x1p+0f, 0x1p+0f,
        0.0f, 0x1.5f22d2p-4f, 0x1.9e9356p-4f, 0x1.ddd092p-4f, 0x1.1e1ddp-3f, 0x1.5c9308p-3f,
        0x1.9a5f1cp-3f, 0x1.d7665cp-3f, 0x1.18a39ap-2f, 0x1.52c2c6p-2f, 0x1.8a87e2p-2f, 0x1.bfae6ap-2f,
        0x1.05087p-1f, 0x1.3157ep-1f, 0x1.5789p-1f, 0x1.77d838p-1f, 0x1.9e5cb6p-1f, 0x1.c278a6p-1f,
        0x1.d9c6fap-1f, 0x1.e8789ep-1f},
    /* a0 */ {0x1.856588p-26f, -0x1.460e5p-27f, -0x1.458edep-26f, -0x1.62a7a8p-27f, -0x1.bc878cp-26f, -0x1.a05f1cp-26f,
        0x1.3fba54p-27f, -0x1.0eb7e8p-26f, 0x1.f4bb06p-26f, -0x1.32b03ep-31f, -0x1.67802p-37f, -0x1.a56822p-43f,
        0.0f, -0x1.265b68p-32f, 0x1.f48da8p-30f, 0x1.493e02p-29f, 0x1.5735ap-29f, -0x1.bb0c58p-28f,
        -0x1.899ab6p-31f, 0x1.f3771p-28f, -0x1.94b9f6p-30f, -0x1.3c4f24p-27f, -0x1.69988ap-27f, 0x1.72e49cp-27f,
        -0x1.a124c8p-26f, -0x1.608a2ep-29f, -0x1.de5a8p-26f, 0x1.c680d2p-26f, -0x1.16e76cp-27f, -0x1.ab696cp-26f,
        0x1.fcbf8ap-26f, 0x1.9d7ff8p-26f},
    /* c1 */ {0x1.64108ap-5f, 0x1.09a7a8p-6f, 0x1.88ef6ep-8f, 0x1.21a7b4p-9f, 0x1.02c03cp-11f, 0x1.183476p-14f,
        0x1.2f61b4p-17f, 0x1.48779cp-20f, 0x1.060dacp-24f, 0x1.332de2p-30f, 0x1.681366p-36f, 0x1.a614c6p-42f,
        0x1p+0f, 0x1.fc3cbep-1f, 0x1.fac13ep-1f, 0x1.f9085ap-1f, 0x1.f601cap-1f, 0x1.f12bp-1f,
        0x1.eb715ap-1f, 0x1.e4dfb2p-1f, 0x1.d98b36p-1f, 0x1.c7f724p-1f, 0x1.b3ff2ep-1f, 0x1.9e23aep-1f,
        0x1.7aeae6p-1f, 0x1.49e6cp-1f, 0x1.197fcep-1f, 0x1.d834d2p-2f, 0x1.615002p-2f, 0x1.cea744p-3f,
        0x1.265e34p-3f, 0x1.6fcfa6p-4f},
    /* p2 */ {-0x1.5c3d8cp-5f, -0x1.077e0cp-6f, -0x1.87c168p-8f, -0x1.2155b6p-9f, -0x1.02af4p-11f, -0x1.18316p-14f,
        -0x1.2f609cp-17f, -0x1.4876c2p-20f, -0x1.05e086p-24f, -0x1.32f8fap-30f, -0x1.67d55cp-36f, -0x1.a5cc14p-42f,
        0.0f, -0x1.5c8eeep-4f, -0x1.9a543cp-4f, -0x1.d75018p-4f, -0x1.188872p-3f, -0x1.5279e8p-3f,
        -0x1.89e504p-3f, -0x1.be6ca4p-3f, -0x1.038f7ep-2f, -0x1.2daf94p-2f, -0x1.4ff71cp-2f, -0x1.6a1d3cp-2f,
        -0x1.825dfcp-2f, -0x1.897d24p-2f, -0x1.79c0ep-2f, -0x1.5aa21cp-2f, -0x1.1defacp-2f, -0x1.970e08p-3f,
        -0x1.10646ep-3f, -0x1.5ee892p-4f},
    /* p3 */ {0x1.bbce04p-6f, 0x1.5994cep-7f, 0x1.03964ep-8f, 0x1.80e742p-10f, 0x1.586064p-12f, 0x1.7529bp-15f,
        0x1.941038p-18f, 0x1.b57a98p-21f, 0x1.56786cp-25f, 0x1.9171bap-31f, 0x1.d692cp-37f, 0x1.13cd9ep-42f,
        -0x1.555554p-2f, -0x1.49c248p-2f, -0x1.470f7p-2f, -0x1.42b2c4p-2f, -0x1.3aaff2p-2f, -0x1.2ed6b2p-2f,
        -0x1.204618p-2f, -0x1.101bfep-2f, -0x1.e8f36cp-3f, -0x1.987b1p-3f, -0x1.424904p-3f, -0x1.d71974p-4f,
        -0x1.bcf15ap-5f, 0x1.d6bcdep-7f, 0x1.072286p-4f, 0x1.843dc2p-4f, 0x1.c68f5ep-4f, 0x1.97d92cp-4f,
        0x1.33de5ap-4f, 0x1.a85d42p-5f},
    /* p4 */ {-0x1.93cce6p-7f, -0x1.4e3bc6p-8f, -0x1.0076bap-9f, -0x1.7f3576p-11f, -0x1.5824fcp-13f, -0x1.753a5ep-16f,
        -0x1.942e1cp-19f, -0x1.b59c84p-22f, -0x1.5859f6p-26f, -0x1.93a616p-32f, -0x1.d92878p-38f, -0x1.155154p-43f,
        -0x1.c9f726p-18f, 0x1.7984a4p-4f, 0x1.2c341ep-4f, 0x1.43d57p-4f, 0x1.80cc58p-4f, 0x1.a6b5ecp-4f,
        0x1.e920b2p-4f, 0x1.0deaeap-3f, 0x1.3444f2p-3f, 0x1.4f888ep-3f, 0x1.5cf112p-3f, 0x1.587ef2p-3f,
        0x1.3a60eap-3f, 0x1.e952ep-4f, 0x1.470b84p-4f, 0x1.62817cp-5f, 0x1.ac451ep-9f, -0x1.5dd5ccp-6f,
        -0x1.9d273cp-6f, -0x1.55d56cp-6f},
    /* p5 */ {0x1.04b056p-8f, 0x1.f5d4ccp-10f, 0x1.93f0fp-11f, 0x1.32d7e6p-12f, 0x1.1e7cd8p-14f, 0x1.3761eap-17f,
        0x1.514bfp-20f, 0x1.6d362ep-23f, 0x1.491294p-27f, 0x1.81bd36p-33f, 0x1.c429f6p-39f, 0x1.09037p-44f,
        0x1.11ed78p-3f, -0x1.21e58p+4f, -0x1.1809ep+2f, -0x1.574ff4p+1f, -0x1.feb33ep-1f, 0x1.562962p-1f,
        0x1.9bfcdep-2f, 0x1.84d4d8p-1f, -0x1.a85a84p-10f, 0x1.487622p-4f, -0x1.a357p-5f, -0x1.5d4478p-6f,
        -0x1.76db16p-5f, -0x1.d955eep-5f, -0x1.f2b7dcp-5f, -0x1.bfbbbp-5f, -0x1.071e74p-5f, -0x1.395ac6p-7f,
        0x1.768ecap-10f, 0x1.2be216p-8f},
    /* p6 */ {-0x1.7885d2p-11f, -0x1.1df2cep-11f, -0x1.fed7e4p-13f, -0x1.90e314p-14f, -0x1.7a180ap-16f, -0x1.9c7e02p-19f,
        -0x1.bf0bb6p-22f, -0x1.e4178cp-25f, -0x1.acbb22p-29f, -0x1.f68fa2p-35f, -0x1.268cc2p-40f, -0x1.59461ep-46f,
        -0x1.15d7ecp-7f, -0x1.a6023p+8f, -0x1.60ac36p+6f, -0x1.6fba6p+5f, -0x1.f1acb8p+3f, 0x1.9713d4p+2f,
        0x1.8bcc1cp+1f, 0x1.6cdfp+2f, -0x1.f80f3p-2f, 0x1.6082cp-3f, -0x1.4ed8dap-2f, -0x1.75df1p-4f,
        -0x1.692adcp-5f, -0x1.b6ddb8p-9f, 0x1.303a5cp-7f, 0x1.e9a2fcp-7f, 0x1.2eb356p-6f, 0x1.676044p-7f,
        0x1.0b803cp-8f, 0x1.4ea26ap-11f},
};

/* x - tanh(x) on the same intervals and in the same form (rows c0, a0, c1, p2..p6; midpoints in
 * FA_TANH_TAB[0]), fitted itself (benchmarks/fit_tables.py tanh_shrink): tanh's absolute error would be
 * amplified where x - tanh(x) cancels.  The first interval's row (x^3 Q(x)) is not used by the kernel,
 * which takes the series there. */
static const float FA_TANH_SHRINK_TAB[8][32] = {
    /* c0 */ {0x1.45a014p+0f, 0x1.c2157cp+0f, 0x1.206262p+1f, 0x1.60243ap+1f, 0x1.c00816p+1f, 0x1.20008cp+2f,
        0x1.600012p+2f, 0x1.a00002p+2f, 0x1p+3f, 0x1.4p+3f, 0x1.8p+3f, 0x1.cp+3f,
        0.0f, 0x1.ba5c24p-13f, 0x1.6ca982p-12f, 0x1.17b6aep-11f, 0x1.e22faap-11f, 0x1.b67c6ep-10f,
        0x1.683906p-9f, 0x1.13346p-8f, 0x1.d71986p-8f, 0x1.a7a754p-7f, 0x1.5781ecp-6f, 0x1.028caap-5f,
        0x1.af790ep-5f, 0x1.7541p-4f, 0x1.21dc04p-3f, 0x1.a09f1cp-3f, 0x1.434694p-2f, 0x1.fb0eb6p-2f,
        0x1.663906p-1f, 0x1.d78762p-1f},
    /* a0 */ {0x1.3d7974p-25f, -0x1.ae9baep-25f, -0x1.5d462p-25f, 0x1.62933p-27f, 0x1.ba9c04p-26f, 0x1.a02974p-26f,
        0x1.ec037ep-23f, 0x1.21d6c8p-23f, 0x1.059ee2p-25f, 0x1.32b24ap-31f, 0x1.678074p-37f, 0x1.a5676p-43f,
        0.0f, 0x1.96607p-38f, 0x1.b91f62p-37f, -0x1.3e07a8p-37f, 0x1.91b2f4p-38f, 0x1.863dacp-35f,
        0x1.334624p-36f, 0x1.912212p-33f, 0x1.4c1a4ep-34f, -0x1.d8205ap-34f, -0x1.668578p-31f, 0x1.a3709ap-32f,
        -0x1.ee223ap-30f, 0x1.60875p-29f, -0x1.0d3a22p-29f, 0x1.cbef4ap-29f, 0x1.16f7dap-27f, -0x1.520592p-28f,
        -0x1.fcb09ap-26f, -0x1.9d7a82p-26f},
    /* c1 */ {0x1.e9bef8p-1f, 0x1.f7b2c2p-1f, 0x1.fcee22p-1f, 0x1.fede58p-1f, 0x1.ffbf5p-1f, 0x1.fff73ep-1f,
        0x1.fffedp-1f, 0x1.ffffd6p-1f, 0x1.fffffep-1f, 0x1p+0f, 0x1p+0f, 0x1p+0f,
        0.0f, 0x1.e1a08p-8f, 0x1.4fb07p-7f, 0x1.bde976p-7f, 0x1.3fc6ap-6f, 0x1.daa01p-6f,
        0x1.48ea64p-5f, 0x1.b204eap-5f, 0x1.33a64ap-4f, 0x1.c046e6p-4f, 0x1.300344p-3f, 0x1.877148p-3f,
        0x1.0a2a32p-2f, 0x1.6c3282p-2f, 0x1.cd0064p-2f, 0x1.13e596p-1f, 0x1.4f57fep-1f, 0x1.8c562ep-1f,
        0x1.b66874p-1f, 0x1.d2060cp-1f},
    /* p2 */ {0x1.5c3d96p-5f, 0x1.077df6p-6f, 0x1.87c1dp-8f, 0x1.215586p-9f, 0x1.02b076p-11f, 0x1.182d34p-14f,
        0x1.2f2824p-17f, 0x1.462826p-20f, 0x1.0782cep-24f, 0x1.702efp-30f, 0x1.a3bb44p-36f, 0x1.e2041cp-42f,
        0.0f, 0x1.5c8e34p-4f, 0x1.9a5414p-4f, 0x1.d75002p-4f, 0x1.188836p-3f, 0x1.527ap-3f,
        0x1.89e50cp-3f, 0x1.be6cbcp-3f, 0x1.038f76p-2f, 0x1.2daf9ep-2f, 0x1.4ff71p-2f, 0x1.6a1d3cp-2f,
        0x1.825dfp-2f, 0x1.897d2ap-2f, 0x1.79c0dcp-2f, 0x1.5aa214p-2f, 0x1.1defa6p-2f, 0x1.970dfcp-3f,
        0x1.106476p-3f, 0x1.5ee89ep-4f},
    /* p3 */ {-0x1.bbd206p-6f, -0x1.598b32p-7f, -0x1.03ac52p-8f, -0x1.80c8d8p-10f, -0x1.58666ep-12f, -0x1.740216p-15f,
        -0x1.8439cp-18f, -0x1.e9233p-22f, -0x1.7d406cp-25f, -0x1.2813b8p-28f, -0x1.5b01cep-34f, -0x1.96b872p-40f,
        0x1.555554p-2f, 0x1.4b5c1ap-2f, 0x1.4775e2p-2f, 0x1.42f2cap-2f, 0x1.3b1672p-2f, 0x1.2ea378p-2f,
        0x1.202c8p-2f, 0x1.0fdbf6p-2f, 0x1.e919ccp-3f, 0x1.9854ap-3f, 0x1.427c46p-3f, 0x1.d7196ep-4f,
        0x1.bd24c6p-5f, -0x1.d789d6p-7f, -0x1.07227cp-4f, -0x1.84241ep-4f, -0x1.c688f2p-4f, -0x1.97d2c2p-4f,
        -0x1.33e4c2p-4f, -0x1.a866dep-5f},
    /* p4 */ {0x1.93c47p-7f, 0x1.4e4de6p-8f, 0x1.004d9ep-9f, 0x1.7f5cb8p-11f, 0x1.57f034p-13f, 0x1.761806p-16f,
        0x1.9f819cp-19f, 0x1.15e5ccp-21f, 0x1.43b52ep-26f, -0x1.7c00bep-32f, -0x1.258784p-38f, -0x1.b2ca9ap-45f,
        0x1.c9f726p-18f, -0x1.c95ec8p-5f, -0x1.0c2a84p-4f, -0x1.323c32p-4f, -0x1.68d228p-4f, -0x1.b046dp-4f,
        -0x1.ec51dp-4f, -0x1.12b008p-3f, -0x1.337a26p-3f, -0x1.5087e8p-3f, -0x1.5bbba6p-3f, -0x1.5881aep-3f,
        -0x1.3a139cp-3f, -0x1.e99fa8p-4f, -0x1.46d88cp-4f, -0x1.61b57cp-5f, -0x1.a9dca6p-9f, 0x1.5e214ep-6f,
        0x1.9cf366p-6f, 0x1.55ae94p-6f},
    /* p5 */ {-0x1.03f8e8p-8f, -0x1.f943e4p-10f, -0x1.8c1336p-11f, -0x1.3846a4p-12f, -0x1.1e378ep-14f, -0x1.44959ap-17f,
        -0x1.032d74p-19f, -0x1.414c6p-20f, -0x1.b46718p-28f, 0x1.474da2p-29f, 0x1.7f8a42p-35f, 0x1.c17e0ap-41f,
        -0x1.11ed78p-3f, -0x1.7699bep-3f, -0x1.97addap-3f, -0x1.69da62p-3f, -0x1.2d6e8cp-3f, -0x1.8ac744p-4f,
        -0x1.de1da6p-4f, -0x1.6d531cp-5f, -0x1.a92348p-5f, -0x1.b2c2bp-6f, -0x1.4db87ap-6f, 0x1.5db1d2p-6f,
        0x1.5207dcp-5f, 0x1.fdf49p-5f, 0x1.f2a104p-5f, 0x1.9b11a8p-5f, 0x1.04d218p-5f, 0x1.302deep-7f,
        -0x1.2d4c8cp-10f, -0x1.1e25b2p-8f},
    /* p6 */ {0x1.7eaf02p-11f, 0x1.176ae6p-11f, 0x1.0e0beep-12f, 0x1.82c1dp-14f, 0x1.7e8838p-16f, 0x1.88762ap-19f,
        0x1.77d426p-23f, -0x1.15374p-22f, 0x1.111706p-28f, 0x1.374ddp-31f, 0x1.36a29cp-37f, 0x1.3efb54p-43f,
        0x1.15d7ecp-7f, -0x1.9e35f4p+1f, -0x1.b57e5cp+1f, -0x1.13cd18p+2f, -0x1.8f9682p+0f, 0x1.d4ee7cp-2f,
        -0x1.a15abap-1f, 0x1.16af3cp+0f, 0x1.af8b4ep-3f, 0x1.77d076p-3f, -0x1.b32716p-4f, 0x1.8e160ap-4f,
        0x1.179ffp-6f, 0x1.123daep-6f, -0x1.29357ap-6f, -0x1.0bbf54p-5f, -0x1.3c7fd6p-6f, -0x1.822668p-7f,
        -0x1.cc9f82p-9f, -0x1.be147ep-13f},
};

static inline __m512 fa_coef(const float *row, __m512i slot)
{
    return _mm512_permutex2var_ps(_mm512_loadu_ps(row), slot, _mm512_loadu_ps(row + 16));
}

/* the same from the row negated (loop-invariant: the compiler negates the row once, outside the loop) */
static inline __m512 fa_coef_neg(const float *row, __m512i slot)
{
    const __m512 sign = _mm512_set1_ps(-0.0f);
    return _mm512_permutex2var_ps(_mm512_xor_ps(_mm512_loadu_ps(row), sign), slot,
                                  _mm512_xor_ps(_mm512_loadu_ps(row + 16), sign));
}

/* The interval polynomial from rows c0, a0, c1, p2..p6 (t = |x| - centre): returns c0, with c1 in *c1 and
 * a0 + t^2 P(t) in *inner */
static inline __m512 fa_interval_parts_512(const float (*rows)[32], __m512i slot, __m512 t, __m512 *c1,
                                           __m512 *inner)
{
    __m512 p = _mm512_fmadd_ps(fa_coef(rows[7], slot), t, fa_coef(rows[6], slot));
    p = _mm512_fmadd_ps(p, t, fa_coef(rows[5], slot));
    p = _mm512_fmadd_ps(p, t, fa_coef(rows[4], slot));
    p = _mm512_fmadd_ps(p, t, fa_coef(rows[3], slot));
    *inner = _mm512_fmadd_ps(_mm512_mul_ps(t, t), p, fa_coef(rows[1], slot));
    *c1 = fa_coef(rows[2], slot);
    return fa_coef(rows[0], slot);
}

/* the same, returning c0 and the rest, c1 t + (a0 + t^2 P(t)), in *tail */
static inline __m512 fa_interval_512(const float (*rows)[32], __m512i slot, __m512 t, __m512 *tail)
{
    __m512 c1, inner, c0 = fa_interval_parts_512(rows, slot, t, &c1, &inner);
    *tail = _mm512_fmadd_ps(c1, t, inner);
    return c0;
}

/* |x| clamped below 16 (vminps returns its second operand when one is NaN, so NaN stays NaN and
 * propagates through t; its slot, from the max, is the first one), its slot and t = |x| - centre */
static inline __m512 fa_interval_arg_512(__m512 x, __m512i *slot, __m512 *t)
{
    __m512 ax = _mm512_min_ps(_mm512_set1_ps(0x1.fffffep+3f), _mm512_andnot_ps(_mm512_set1_ps(FA_SIGN), x));
    *slot = _mm512_srli_epi32(_mm512_castps_si512(_mm512_max_ps(ax, _mm512_set1_ps(0x1p-4f))), 21);
    *t = _mm512_sub_ps(ax, fa_coef(FA_TANH_TAB[0], *slot));
    return ax;
}

FA_KERNEL __m512 fa_tanh_512(__m512 x)
{
    __m512i slot;
    __m512 t, tail;
    fa_interval_arg_512(x, &slot, &t);          /* tanh is 1 from 9.02 on */
    __m512 c0 = fa_interval_512(FA_TANH_TAB + 1, slot, t, &tail);
    /* the sign goes back on last: tanh(-0) = -0 */
    return _mm512_or_ps(_mm512_add_ps(c0, tail), _mm512_and_ps(x, _mm512_set1_ps(FA_SIGN)));
}

/* tanh_shrink, x - tanh(x) (odd): |x| on its interval as c0 + c1 t + (a0 + t^2 P(t)), with c0 + c1 t
 * exact as hi + lo (c1 t is up to a third of c0 near 0, where its rounding would show), rounded once.
 * Below 5/64 the
 * interval form would round x^3 Q(x) three times: there the series x^3 (1/3 - 2x^2/15 + 17x^4/315 -
 * 62x^6/2835 + 1382x^8/155925) (truncation 2^-36) is taken with x^2 and x^2 / 3 as hi + lo, and rounded
 * once.  From 16
 * on (tanh(x) is 1 to 2^-45): x - 1, with x's sign; NaN propagates. */
FA_KERNEL __m512 fa_tanh_shrink_512(__m512 x)
{
    __m512i slot;
    __m512 t, c1, inner;
    __m512 ax = fa_interval_arg_512(x, &slot, &t);
    __m512 c0 = fa_interval_parts_512(FA_TANH_SHRINK_TAB, slot, t, &c1, &inner);
    /* c0 + c1 t kept as hi + lo (|c1 t| < c0 / 2: Fast2Sum), so that only the small inner part rounds */
    __m512 p = _mm512_mul_ps(c1, t), p_lo = _mm512_fmsub_ps(c1, t, p);
    __m512 s = _mm512_add_ps(c0, p);
    __m512 r = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_sub_ps(c0, s), p), _mm512_add_ps(p_lo, inner)));
    __mmask16 small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1.4p-4f), _CMP_LT_OQ);
    if (small) {
        const __m512 third_hi = _mm512_set1_ps(0x1.555556p-2f), third_lo = _mm512_set1_ps(-0x1.555556p-27f);
        /* below 2^-30, x is taken times 2^40 (and the result times 2^-120), so that x^2 and the low
         * parts stay normal; the series' terms after 1/3 use the unscaled x^2 */
        __m512 k = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1p-30f), _CMP_LT_OQ),
                                       _mm512_set1_ps(40.0f));
        __m512 xs = _mm512_scalef_ps(ax, k);
        __m512 y = _mm512_mul_ps(xs, xs), y_lo = _mm512_fmsub_ps(xs, xs, y);
        __m512 yt = _mm512_scalef_ps(y, _mm512_mul_ps(k, _mm512_set1_ps(-2.0f)));
        __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(0x1.226e36p-7f), yt, _mm512_set1_ps(-0x1.664f48p-6f));
        q = _mm512_fmadd_ps(q, yt, _mm512_set1_ps(0x1.ba1ba2p-5f));
        q = _mm512_fmadd_ps(q, yt, _mm512_set1_ps(-0x1.111112p-3f));
        /* y (1/3 + s), s = x^2 q: y third_hi exact as hi + lo, the rest to first order */
        __m512 m = _mm512_mul_ps(y, third_hi);
        __m512 m_lo = _mm512_fmadd_ps(y, _mm512_fmadd_ps(yt, q, third_lo),
                                      _mm512_fmadd_ps(y_lo, third_hi, _mm512_fmsub_ps(y, third_hi, m)));
        __m512 rs = _mm512_scalef_ps(fa_mul_f2_512(xs, m, m_lo), _mm512_mul_ps(k, _mm512_set1_ps(-3.0f)));
        r = _mm512_mask_blend_ps(small, r, rs);
    }
    __m512 a = _mm512_andnot_ps(_mm512_set1_ps(FA_SIGN), x);                  /* ax is clamped below 16 */
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(16.0f), _CMP_GE_OQ), r,
                             _mm512_sub_ps(a, _mm512_set1_ps(1.0f)));
    return _mm512_or_ps(r, _mm512_and_ps(x, _mm512_set1_ps(FA_SIGN)));
}

/* Tables over a = |x| for the common path of gelu, silu and their derivatives, where no exp is needed
 * (benchmarks/fit_tables.py gelu_q|gelu_d|silu_s|silu_d, which says how they are fitted): 32 intervals,
 * slot floor(a (k1 + a k2) + k0), and on each V(c + t) = c0 + (c1 + c1lo) t + (a0 + t^2 P(t)), P of
 * degree 4, relative error 2^-26.1 or less before the last rounding.  V(a) is the function at x = -a;
 * at x = a it is 1 - V(a).  `bound` is a float below the last interval's end. */
typedef struct {
    float k0, k1, k2, bound;
    int root;           /* V has a root, where c1 t outgrows c0: c0 + c1 t by TwoSum, not Fast2Sum; and
                         * a0 is used (without a root, each centre is where c0 is V to 2^-33; the
                         * first is 0, where gelu's and silu's V is 1/2) */
    int slope_lo;       /* the c1lo row is used (it is 0 otherwise) */
    float rows[10][32]; /* centre, c0, a0, c1, c1lo, p2..p6 */
} fa_atab;

static const fa_atab FA_GELU_Q_ATAB = {0.0f, 0x1.8p+1f, 0x1p-1f, 0x1.6p+2f, 0, 0, {
    /* centre */ {0.0f, 0x1.d825c8p-2f, 0x1.7a849ep-1f, 0x1.feff6p-1f, 0x1.3db2f2p+0f, 0x1.78841cp+0f,
        0x1.b07046p+0f, 0x1.e5ddaep+0f, 0x1.0c8e32p+1f, 0x1.2534f6p+1f, 0x1.3cfdp+1f, 0x1.53f888p+1f,
        0x1.6a4862p+1f, 0x1.7fe9e6p+1f, 0x1.94f998p+1f, 0x1.a97a4p+1f, 0x1.bd788cp+1f, 0x1.d0fe2ep+1f,
        0x1.e41626p+1f, 0x1.f6c258p+1f, 0x1.048358p+2f, 0x1.0d7abep+2f, 0x1.164aa2p+2f, 0x1.1ee9ap+2f,
        0x1.27639cp+2f, 0x1.2fb916p+2f, 0x1.37e9e4p+2f, 0x1.3ffcfcp+2f, 0x1.47ebf6p+2f, 0x1.4fbe88p+2f,
        0x1.57734cp+2f, 0x1.5f0b1ap+2f},
    /* c0 */ {0x1p-1f, 0x1.4a1b5ep-2f, 0x1.d6c338p-3f, 0x1.45e5acp-3f, 0x1.b780f2p-4f, 0x1.217e72p-4f,
        0x1.7577aep-5f, 0x1.d8bd44p-6f, 0x1.2611fap-6f, 0x1.682732p-7f, 0x1.b2cb1ep-8f, 0x1.03176ap-8f,
        0x1.30bd1ep-9f, 0x1.62a6eep-10f, 0x1.982066p-11f, 0x1.d1293ap-12f, 0x1.06a608p-12f, 0x1.2607cp-13f,
        0x1.465baep-14f, 0x1.678dd2p-15f, 0x1.89805p-16f, 0x1.ab45eep-17f, 0x1.cc5864p-18f, 0x1.ede7e6p-19f,
        0x1.073992p-19f, 0x1.16ecdcp-20f, 0x1.26156cp-21f, 0x1.34157p-22f, 0x1.418f24p-23f, 0x1.4dca7p-24f,
        0x1.58f6e4p-25f, 0x1.630fd8p-26f},
    /* a0 */ {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f},
    /* c1 */ {-0x1.988454p-2f, -0x1.6f5216p-2f, -0x1.36d548p-2f, -0x1.f086bap-3f, -0x1.7a46c8p-3f, -0x1.15062ap-3f,
        -0x1.8854dcp-4f, -0x1.0dd448p-4f, -0x1.69c2f2p-5f, -0x1.da25a4p-6f, -0x1.307fbep-6f, -0x1.802754p-7f,
        -0x1.dc498cp-8f, -0x1.2308aap-8f, -0x1.5e8fc2p-9f, -0x1.a0ff38p-10f, -0x1.ea33cap-11f, -0x1.1cf93ap-11f,
        -0x1.47d6d6p-12f, -0x1.75a6b4p-13f, -0x1.a65022p-14f, -0x1.d8dc5p-15f, -0x1.065214p-15f, -0x1.216da2p-16f,
        -0x1.3ce1d8p-17f, -0x1.588848p-18f, -0x1.745662p-19f, -0x1.8f74a6p-20f, -0x1.aa92d4p-21f, -0x1.c4af74p-22f,
        -0x1.ddea6ap-23f, -0x1.f622bap-24f},
    /* c1lo */ {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f},
    /* p2 */ {0x1.5ce5c4p-21f, 0x1.52bacap-4f, 0x1.cb97f6p-4f, 0x1.ef8dd6p-4f, 0x1.d5721p-4f, 0x1.977006p-4f,
        0x1.4b5da4p-4f, 0x1.000e6cp-4f, 0x1.7b810ap-5f, 0x1.0f8798p-5f, 0x1.790a9ap-6f, 0x1.fe2904p-7f,
        0x1.510356p-7f, 0x1.b473dcp-8f, 0x1.154852p-8f, 0x1.5a876ep-9f, 0x1.aa816ep-10f, 0x1.02cf54p-10f,
        0x1.35f744p-11f, 0x1.6ee84ap-12f, 0x1.adc20ep-13f, 0x1.f1c23ap-14f, 0x1.1d299ep-14f, 0x1.44609cp-15f,
        0x1.6da38ep-16f, 0x1.98c264p-17f, 0x1.c5a92p-18f, 0x1.f34d16p-19f, 0x1.11355ep-19f, 0x1.28d93ep-20f,
        0x1.409628p-21f, 0x1.5847bp-22f},
    /* p3 */ {0x1.104adap-4f, 0x1.81a6a2p-5f, 0x1.77e33cp-6f, 0x1.4901e4p-13f, -0x1.106a78p-6f, -0x1.ad9b38p-6f,
        -0x1.e4c542p-6f, -0x1.d41042p-6f, -0x1.9a39ccp-6f, -0x1.4fa15ap-6f, -0x1.047fbap-6f, -0x1.83a472p-7f,
        -0x1.164336p-7f, -0x1.83da2cp-8f, -0x1.0737eep-8f, -0x1.5d34c4p-9f, -0x1.c5eda6p-10f, -0x1.21a72p-10f,
        -0x1.6b6fb6p-11f, -0x1.c13ceap-12f, -0x1.11f5cep-12f, -0x1.499b4p-13f, -0x1.8775f4p-14f, -0x1.cc9becp-15f,
        -0x1.0c0eeap-15f, -0x1.34f336p-16f, -0x1.60fafap-17f, -0x1.8f6d48p-18f, -0x1.c0d7bep-19f, -0x1.f43a9ep-20f,
        -0x1.14c69p-20f, -0x1.30454p-21f},
    /* p4 */ {0x1.e9796p-14f, -0x1.3ac36cp-6f, -0x1.77ec78p-6f, -0x1.4aeffp-6f, -0x1.c8e01p-7f, -0x1.c6e274p-8f,
        -0x1.039384p-10f, 0x1.9aacf4p-9f, 0x1.62818cp-8f, 0x1.96b20cp-8f, 0x1.89d6ap-8f, 0x1.58c514p-8f,
        0x1.19718ap-8f, 0x1.b43434p-9f, 0x1.440136p-9f, 0x1.d0d3aap-10f, 0x1.43d9dcp-10f, 0x1.b7e31ap-11f,
        0x1.23f84ep-11f, 0x1.7bf26ap-12f, 0x1.e5f6ecp-13f, 0x1.317808p-13f, 0x1.79fe52p-14f, 0x1.ce2c58p-15f,
        0x1.16d206p-15f, 0x1.4c7d5p-16f, 0x1.884408p-17f, 0x1.c9b144p-18f, 0x1.08b3d8p-18f, 0x1.2f50acp-19f,
        0x1.589da4p-20f, 0x1.848f46p-21f},
    /* p5 */ {-0x1.58b86ap-7f, -0x1.5d2164p-8f, -0x1.1697d4p-13f, 0x1.096cf8p-8f, 0x1.85acf4p-8f, 0x1.81f32cp-8f,
        0x1.3740cap-8f, 0x1.8ded3ep-9f, 0x1.7aafe2p-10f, 0x1.c44028p-13f, -0x1.27959ep-11f, -0x1.091e16p-10f,
        -0x1.2f08dp-10f, -0x1.20fec2p-10f, -0x1.f4dde8p-11f, -0x1.9a13acp-11f, -0x1.3b488cp-11f, -0x1.d01f56p-12f,
        -0x1.4cc144p-12f, -0x1.cfdc74p-13f, -0x1.3999b6p-13f, -0x1.a0e4b8p-14f, -0x1.0eea74p-14f, -0x1.59d9cep-15f,
        -0x1.b40564p-16f, -0x1.0dbc6p-16f, -0x1.4a697ep-17f, -0x1.8e059cp-18f, -0x1.dc93c4p-19f, -0x1.1914bep-19f,
        -0x1.492988p-20f, -0x1.7d7812p-21f},
    /* p6 */ {0x1.4e1fa8p-10f, 0x1.8f0f84p-9f, 0x1.a551b2p-9f, 0x1.d9e5aap-10f, 0x1.3aa57cp-11f, -0x1.3783cp-12f,
        -0x1.1bd30ap-10f, -0x1.3103a6p-10f, -0x1.0a1394p-10f, -0x1.a5fd36p-11f, -0x1.65025p-11f, -0x1.35466ep-12f,
        -0x1.22d3fap-16f, 0x1.39a49p-14f, 0x1.268ad8p-13f, 0x1.cca00ep-13f, 0x1.8c5562p-13f, 0x1.32e5a8p-13f,
        0x1.0301f8p-13f, 0x1.a6366p-14f, 0x1.2419d4p-14f, 0x1.ae2deep-15f, 0x1.2c0956p-15f, 0x1.86f278p-16f,
        0x1.0964cp-16f, 0x1.4eae34p-17f, 0x1.b1d604p-18f, 0x1.07b2a4p-18f, 0x1.50b718p-19f, 0x1.8fb718p-20f,
        0x1.ed3cc6p-21f, 0x1.25932p-21f},
}};

static const fa_atab FA_GELU_D_ATAB = {0x1.e91cbap-6f, 0x1.8p+1f, 0x1.851eb8p-2f, 0x1.8p+2f, 1, 1, {
    /* centre */ {0x1.3e969ep-3f, 0x1.d76de2p-2f, 0x1.80ead2p-1f, 0x1.05abeap+0f, 0x1.47c76ep+0f, 0x1.86c3acp+0f,
        0x1.c30868p+0f, 0x1.fce8aep+0f, 0x1.1a5418p+1f, 0x1.353f84p+1f, 0x1.4f4e1ep+1f, 0x1.6893e2p+1f,
        0x1.8121fp+1f, 0x1.99071cp+1f, 0x1.b05054p+1f, 0x1.c708f2p+1f, 0x1.dd3b06p+1f, 0x1.f2ef78p+1f,
        0x1.041724p+2f, 0x1.0e7f52p+2f, 0x1.18b38p+2f, 0x1.22b69ep+2f, 0x1.2c8b56p+2f, 0x1.363416p+2f,
        0x1.3fb318p+2f, 0x1.490a6ap+2f, 0x1.523beep+2f, 0x1.5b495ep+2f, 0x1.643458p+2f, 0x1.6cfe5cp+2f,
        0x1.75a8cap+2f, 0x1.7e34fp+2f},
    /* c0 */ {0x1.81ebdap-2f, 0x1.4267dcp-3f, -0x1.6737d8p-28f, -0x1.6a7dep-4f, -0x1.ff54c4p-4f, -0x1.03112cp-3f,
        -0x1.c1dd84p-4f, -0x1.62731p-4f, -0x1.04603cp-4f, -0x1.6a33d4p-5f, -0x1.e1d11cp-6f, -0x1.34933ep-6f,
        -0x1.7e867p-7f, -0x1.ccbbeep-8f, -0x1.0e6decp-8f, -0x1.363174p-9f, -0x1.5c64cp-10f, -0x1.7fd53p-11f,
        -0x1.9f70f8p-12f, -0x1.ba547p-13f, -0x1.cfd344p-14f, -0x1.df7c64p-15f, -0x1.e91b54p-16f, -0x1.ecb53p-17f,
        -0x1.ea82dcp-18f, -0x1.e2e8f4p-19f, -0x1.d66f7cp-20f, -0x1.c5b862p-21f, -0x1.b174c8p-22f, -0x1.9a5cfp-23f,
        -0x1.81290ep-24f, -0x1.66890cp-25f},
    /* a0 */ {0x1.6a663ep-28f, -0x1.44b9f4p-28f, -0x1.b1501p-53f, 0x1.80d838p-31f, -0x1.06befep-31f, 0x1.0e8b4ap-29f,
        -0x1.b1df5p-29f, 0x1.536ebp-29f, 0x1.bfd6c2p-29f, 0x1.bfbd92p-33f, -0x1.be78b8p-31f, -0x1.74b51cp-34f,
        -0x1.644514p-32f, -0x1.153d6ep-33f, -0x1.26b472p-33f, -0x1.70259p-34f, -0x1.1e4866p-38f, 0x1.d41b72p-36f,
        -0x1.3d0e5cp-40f, -0x1.abb95p-38f, -0x1.c8b0b6p-40f, -0x1.494dd4p-42f, -0x1.01b13cp-43f, -0x1.57184ep-43f,
        -0x1.6f9e9p-43f, -0x1.211964p-44f, -0x1.890f2ap-45f, -0x1.4034c8p-46f, -0x1.c3621ap-48f, -0x1.d00d14p-48f,
        0x1.bef28ep-51f, -0x1.882a26p-51f},
    /* c1 */ {-0x1.8eb86ap-1f, -0x1.488002p-1f, -0x1.b9d99p-2f, -0x1.cedebcp-3f, -0x1.039bacp-4f, 0x1.50605cp-5f,
        0x1.7e261ap-4f, 0x1.ba29eap-4f, 0x1.9b1eaep-4f, 0x1.52a99ap-4f, 0x1.010a42p-4f, 0x1.6eec9cp-5f,
        0x1.f2b486p-6f, 0x1.455cfcp-6f, 0x1.99ff94p-7f, 0x1.f52c78p-8f, 0x1.2a2bap-8f, 0x1.5a530cp-9f,
        0x1.898ec8p-10f, 0x1.b6670ep-11f, 0x1.df7f14p-12f, 0x1.01d2fap-12f, 0x1.10f246p-13f, 0x1.1cc306p-14f,
        0x1.250de4p-15f, 0x1.29be2ap-16f, 0x1.2ae00ap-17f, 0x1.289d1p-18f, 0x1.2336aep-19f, 0x1.1b015cp-20f,
        0x1.105f7ep-21f, 0x1.03baf2p-22f},
    /* c1lo */ {-0x1.003deep-29f, 0x1.62e086p-26f, 0x1.f7f8e6p-27f, 0x1.265e3ap-29f, -0x1.51270cp-30f, 0x1.1ace36p-31f,
        0x1.433674p-33f, 0x1.8481bcp-31f, 0x1.2c726ep-30f, 0x1.c5e336p-31f, 0x1.06bdf6p-29f, -0x1.b4c08ep-30f,
        -0x1.af760cp-34f, 0x1.b5989cp-31f, 0x1.66ee7cp-33f, -0x1.5a7e88p-35f, -0x1.8fcd6ep-33f, -0x1.f7871cp-35f,
        0x1.271faap-36f, -0x1.66ec6ap-37f, 0x1.794374p-37f, 0x1.d1c61ep-39f, -0x1.e3dd5ap-39f, -0x1.6d804p-40f,
        -0x1.eef9dp-41f, -0x1.ab2b9ap-42f, -0x1.c9e9b8p-44f, -0x1.0d9cp-44f, -0x1.53b928p-45f, -0x1.8cf654p-45f,
        0x1.4ab99p-46f, 0x1.0ee5b2p-47f},
    /* p2 */ {0x1.f33da8p-4f, 0x1.40658ep-2f, 0x1.8d9a94p-2f, 0x1.6df044p-2f, 0x1.0ffdfap-2f, 0x1.44d5fp-3f,
        0x1.112908p-4f, 0x1.5af54cp-9f, -0x1.11cc5ap-5f, -0x1.87bb5ep-5f, -0x1.8c5d78p-5f, -0x1.56ac5ap-5f,
        -0x1.0cc268p-5f, -0x1.893c86p-6f, -0x1.109632p-6f, -0x1.69abdp-7f, -0x1.ce6e2p-8f, -0x1.1e5444p-8f,
        -0x1.58c0dap-9f, -0x1.94d3d2p-10f, -0x1.d0c1d6p-11f, -0x1.055be4p-11f, -0x1.207aaep-12f, -0x1.38f23p-13f,
        -0x1.4e15c4p-14f, -0x1.5f5de8p-15f, -0x1.6c6cb4p-16f, -0x1.750f54p-17f, -0x1.793bfap-18f, -0x1.790f16p-19f,
        -0x1.74c714p-20f, -0x1.6cbd04p-21f},
    /* p3 */ {0x1.01b616p-2f, 0x1.39b4p-3f, 0x1.2a3224p-6f, -0x1.66e7cep-4f, -0x1.1f4096p-3f, -0x1.2447p-3f,
        -0x1.d2de84p-4f, -0x1.2fc788p-4f, -0x1.317aap-5f, -0x1.481decp-7f, 0x1.ae8b7cp-8f, 0x1.d6d068p-7f,
        0x1.0a2ed6p-6f, 0x1.e5f44ep-7f, 0x1.8a3d36p-7f, 0x1.276e2ep-7f, 0x1.a1442cp-8f, 0x1.19133p-8f,
        0x1.6c1b8ep-9f, 0x1.c8216cp-10f, 0x1.157a8ap-10f, 0x1.48f83p-11f, 0x1.7d0f92p-12f, 0x1.b035a6p-13f,
        0x1.e0e498p-14f, 0x1.06d808p-14f, 0x1.1aabbcp-15f, 0x1.2b69f4p-16f, 0x1.38b014p-17f, 0x1.423fp-18f,
        0x1.47fbb8p-19f, 0x1.49ec7ap-20f},
    /* p4 */ {-0x1.733d84p-5f, -0x1.bb0a2ap-4f, -0x1.d2f9acp-4f, -0x1.39aeep-4f, -0x1.97c2dcp-6f, 0x1.1d6182p-6f,
        0x1.4acd4p-5f, 0x1.71c446p-5f, 0x1.38757ap-5f, 0x1.af506p-6f, 0x1.dfd614p-7f, 0x1.6ec342p-8f,
        -0x1.a8c552p-13f, -0x1.a3d9fep-9f, -0x1.15c5c2p-8f, -0x1.0e0c78p-8f, -0x1.c60248p-9f, -0x1.5c656cp-9f,
        -0x1.f4d3dep-10f, -0x1.562576p-10f, -0x1.c081fap-11f, -0x1.1bd81p-11f, -0x1.5c8d72p-12f, -0x1.a0bc96p-13f,
        -0x1.e68cb4p-14f, -0x1.15fb78p-14f, -0x1.377b02p-15f, -0x1.56ccacp-16f, -0x1.731018p-17f, -0x1.8b86a4p-18f,
        -0x1.9f9726p-19f, -0x1.aed9f4p-20f},
    /* p5 */ {-0x1.c0dacap-5f, -0x1.81d156p-6f, 0x1.dff72ap-7f, 0x1.30b658p-5f, 0x1.430b68p-5f, 0x1.c38abap-6f,
        0x1.7322e6p-7f, -0x1.100286p-9f, -0x1.3e415p-7f, -0x1.86af2p-7f, -0x1.5a0fcp-7f, -0x1.f31978p-8f,
        -0x1.2878eap-8f, -0x1.0b3d3ep-9f, -0x1.905b4ep-12f, 0x1.16c36ap-11f, 0x1.db0872p-11f, 0x1.f2adcp-11f,
        0x1.b3bc24p-11f, 0x1.569daep-11f, 0x1.f52c5ep-12f, 0x1.5b0782p-12f, 0x1.cbf868p-13f, 0x1.25e5bp-13f,
        0x1.6bf9e4p-14f, 0x1.b69246p-15f, 0x1.01dae6p-15f, 0x1.28a29ep-16f, 0x1.4e867ep-17f, 0x1.726e12p-18f,
        0x1.9359aap-19f, 0x1.b06b6p-20f},
    /* p6 */ {0x1.505424p-7f, 0x1.6c49eep-6f, 0x1.3d40bp-6f, 0x1.04a4a8p-7f, -0x1.1b5fep-8f, -0x1.617412p-7f,
        -0x1.73120cp-7f, -0x1.05b838p-7f, -0x1.d8b80ep-9f, -0x1.fcfa16p-18f, 0x1.0a096cp-9f, 0x1.652986p-9f,
        0x1.473b12p-9f, 0x1.ee2cbcp-10f, 0x1.2f2e8cp-10f, 0x1.2cb5fap-11f, 0x1.6f7844p-13f, -0x1.e5eb5ep-15f,
        -0x1.5e1a24p-13f, -0x1.92d142p-13f, -0x1.67ebaap-13f, -0x1.218f7ap-13f, -0x1.ad324cp-14f, -0x1.2ea92ap-14f,
        -0x1.92b54cp-15f, -0x1.03360ap-15f, -0x1.431c8cp-16f, -0x1.880d96p-17f, -0x1.cfcc8ep-18f, -0x1.0ba414p-18f,
        -0x1.2fe2cap-19f, -0x1.528662p-20f},
}};

static const fa_atab FA_SILU_D_ATAB = {0x1.22b01ap-1f, 0x1p+2f, -0x1.c71c72p-4f, 0x1.72p+3f, 1, 0, {
    /* centre */ {0x1.bbf5fcp-5f, 0x1.e15e14p-3f, 0x1.f5f5fp-2f, 0x1.7f8d2p-1f, 0x1.03125p+0f, 0x1.474974p+0f,
        0x1.8ce3a2p+0f, 0x1.d384b4p+0f, 0x1.0dafdap+1f, 0x1.3242c8p+1f, 0x1.57846cp+1f, 0x1.7d7eecp+1f,
        0x1.a43d7ap+1f, 0x1.cbcc76p+1f, 0x1.f43996p+1f, 0x1.0eca16p+2f, 0x1.23f6acp+2f, 0x1.39ac36p+2f,
        0x1.4ff5a6p+2f, 0x1.66df7ap+2f, 0x1.7e780ap+2f, 0x1.96cff8p+2f, 0x1.affab8p+2f, 0x1.ca0f48p+2f,
        0x1.e5292ap+2f, 0x1.00b4ep+3f, 0x1.0f7d1cp+3f, 0x1.1f072cp+3f, 0x1.2f746ap+3f, 0x1.40f10ep+3f,
        0x1.53b9eap+3f, 0x1.6826dcp+3f},
    /* c0 */ {0x1.e4441ap-2f, 0x1.88c1cep-2f, 0x1.0eb85ep-2f, 0x1.43085ap-3f, 0x1.197e24p-4f, -0x1.848b9ep-29f,
        -0x1.9007c4p-5f, -0x1.457aecp-4f, -0x1.8624bep-4f, -0x1.98eef4p-4f, -0x1.8c06cp-4f, -0x1.6b7204p-4f,
        -0x1.408744p-4f, -0x1.11fc42p-4f, -0x1.c88ae2p-5f, -0x1.74242ep-5f, -0x1.298c2ep-5f, -0x1.d38794p-6f,
        -0x1.6950dp-6f, -0x1.12d852p-6f, -0x1.9ba84ap-7f, -0x1.2f7784p-7f, -0x1.b8387ep-8f, -0x1.39e904p-8f,
        -0x1.b79d58p-9f, -0x1.2dcdecp-9f, -0x1.956eeep-10f, -0x1.09b4c4p-10f, -0x1.529232p-11f, -0x1.a1586p-12f,
        -0x1.ee4384p-13f, -0x1.166682p-13f},
    /* a0 */ {0x1.e59acp-34f, 0x1.a3c396p-27f, 0x1.1185dap-27f, 0x1.c131d4p-29f, -0x1.68d81ep-35f, 0x1.9fcfbp-55f,
        0x1.debf66p-30f, 0x1.eadc4ep-29f, 0x1.ff516p-29f, -0x1.aed5fep-29f, 0x1.9b8046p-29f, -0x1.e21a14p-31f,
        -0x1.4d994ap-33f, -0x1.a8216cp-30f, -0x1.f93f1p-31f, -0x1.4162dep-32f, 0x1.56356p-30f, -0x1.d37a9p-31f,
        0x1.801552p-34f, 0x1.9a092ap-32f, -0x1.a9ab1ep-32f, -0x1.8dbffep-37f, -0x1.4998c4p-33f, -0x1.eda96ep-33f,
        0x1.6f1a9ap-36f, -0x1.4cd38p-34f, 0x1.b25502p-36f, -0x1.fd8508p-36f, 0x1.585a5ap-36f, 0x1.c260eap-37f,
        -0x1.214c1ap-43f, -0x1.0e2864p-40f},
    /* c1 */ {-0x1.ff3fa8p-2f, -0x1.f20cf2p-2f, -0x1.c604eap-2f, -0x1.828914p-2f, -0x1.31d6cp-2f, -0x1.be141p-3f,
        -0x1.2579d4p-3f, -0x1.4cdbcap-4f, -0x1.152334p-5f, -0x1.430b24p-11f, 0x1.4dee2ap-6f, 0x1.04d474p-5f,
        0x1.2a8616p-5f, 0x1.2b0d28p-5f, 0x1.154ea6p-5f, 0x1.e832d6p-6f, 0x1.9d7be2p-6f, 0x1.53a8cap-6f,
        0x1.0ff5f4p-6f, 0x1.a9d46cp-7f, 0x1.4697c2p-7f, 0x1.eb49c4p-8f, 0x1.6a855ep-8f, 0x1.066476p-8f,
        0x1.74529cp-9f, 0x1.029c66p-9f, 0x1.5f147p-10f, 0x1.d0967ap-11f, 0x1.2a9aaep-11f, 0x1.7315e8p-12f,
        0x1.bad722p-13f, 0x1.f67d1ep-14f},
    /* c1lo */ {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f},
    /* p2 */ {0x1.bb4fp-7f, 0x1.d446ccp-5f, 0x1.bd8d8cp-4f, 0x1.2327c8p-3f, 0x1.3b772p-3f, 0x1.2c5634p-3f,
        0x1.01ac8cp-3f, 0x1.93c8ccp-4f, 0x1.21f40cp-4f, 0x1.7b1afcp-5f, 0x1.b78174p-6f, 0x1.9fd5b2p-7f,
        0x1.a9b052p-9f, -0x1.4630bcp-9f, -0x1.6abae4p-8f, -0x1.bb9654p-8f, -0x1.c2684p-8f, -0x1.9f6f68p-8f,
        -0x1.68768p-8f, -0x1.2b4edp-8f, -0x1.e02dd6p-9f, -0x1.7624p-9f, -0x1.1c105ep-9f, -0x1.a5032p-10f,
        -0x1.30af7p-10f, -0x1.ae8622p-11f, -0x1.2897acp-11f, -0x1.8da756p-12f, -0x1.02984ep-12f, -0x1.44cb96p-13f,
        -0x1.876584p-14f, -0x1.c02a0ep-15f},
    /* p3 */ {0x1.53c67ep-4f, 0x1.39c5aep-4f, 0x1.ce9528p-5f, 0x1.dae29p-6f, 0x1.e217bep-10f, -0x1.353c98p-6f,
        -0x1.f5e0cap-6f, -0x1.1617fep-5f, -0x1.009506p-5f, -0x1.a3243ap-6f, -0x1.37300cp-6f, -0x1.a850d8p-7f,
        -0x1.08d4a6p-7f, -0x1.27d7c6p-8f, -0x1.12e058p-9f, -0x1.31b87cp-11f, 0x1.2687d6p-12f, 0x1.736c4p-11f,
        0x1.c3f5bcp-11f, 0x1.c111a6p-11f, 0x1.93191ep-11f, 0x1.5331bp-11f, 0x1.105dep-11f, 0x1.a53ep-12f,
        0x1.3b3e26p-12f, 0x1.c9ae76p-13f, 0x1.42797cp-13f, 0x1.b8b15ap-14f, 0x1.23579ep-14f, 0x1.73438ap-15f,
        0x1.c5371ep-16f, 0x1.068b92p-16f},
    /* p4 */ {-0x1.b6fa0cp-9f, -0x1.c8dde2p-7f, -0x1.8f803p-6f, -0x1.c04baap-6f, -0x1.7da58cp-6f, -0x1.f2cf2ap-7f,
        -0x1.afda96p-8f, 0x1.07d1f4p-13f, 0x1.0badfep-8f, 0x1.6f9a96p-8f, 0x1.693662p-8f, 0x1.2d407ep-8f,
        0x1.c2effap-9f, 0x1.3603c2p-9f, 0x1.8a47dap-10f, 0x1.cce8b6p-11f, 0x1.e0f04p-12f, 0x1.98709ap-13f,
        0x1.5a9418p-15f, -0x1.46b3dcp-15f, -0x1.36fd4cp-14f, -0x1.5b604p-14f, -0x1.45d98ap-14f, -0x1.161b98p-14f,
        -0x1.bd9f3cp-15f, -0x1.53f8eap-15f, -0x1.f1bf88p-16f, -0x1.5eb2c6p-16f, -0x1.db6732p-17f, -0x1.35550cp-17f,
        -0x1.8077fap-18f, -0x1.c49a16p-19f},
    /* p5 */ {-0x1.287a98p-7f, -0x1.5adfdcp-7f, -0x1.5a9ff4p-8f, 0x1.60dab4p-11f, 0x1.4d195p-8f, 0x1.ae8358p-8f,
        0x1.7cec0ap-8f, 0x1.f83126p-9f, 0x1.ea489p-10f, 0x1.a2ebb4p-12f, -0x1.bd73bep-12f, -0x1.85547cp-11f,
        -0x1.8bcc2ap-11f, -0x1.46237ep-11f, -0x1.e8ced8p-12f, -0x1.4b054ep-12f, -0x1.a1a514p-13f, -0x1.ed482ep-14f,
        -0x1.0f6534p-14f, -0x1.e7b796p-16f, -0x1.7735d4p-17f, 0x1.7a7f1cp-24f, 0x1.3c7014p-18f, 0x1.9989cp-18f,
        0x1.90fe7ep-18f, 0x1.5fbb86p-18f, 0x1.190374p-18f, 0x1.9eaadap-19f, 0x1.263d72p-19f, 0x1.8bbe9cp-20f,
        0x1.fa8b16p-21f, 0x1.305c84p-21f},
    /* p6 */ {-0x1.9f448p-8f, 0x1.4c41cep-9f, 0x1.ddcf38p-9f, 0x1.c43488p-9f, 0x1.78ee0cp-10f, 0x1.057d36p-13f,
        -0x1.bcf88ap-11f, -0x1.50154ep-10f, -0x1.1424ecp-10f, -0x1.5847ecp-11f, -0x1.3dcac4p-12f, -0x1.20b62ep-14f,
        0x1.7c9ab8p-15f, 0x1.4b26e6p-14f, 0x1.6ba754p-14f, 0x1.1db7acp-14f, 0x1.8ec7dcp-15f, 0x1.0fb588p-15f,
        0x1.6ea7cep-16f, 0x1.5853b2p-17f, 0x1.f91698p-18f, 0x1.51bdf6p-19f, 0x1.120f26p-20f, 0x1.95b708p-22f,
        -0x1.6e74f6p-27f, -0x1.9fff78p-22f, -0x1.da7b8cp-22f, -0x1.573be2p-22f, -0x1.1142ecp-22f, -0x1.857c46p-23f,
        -0x1.09e742p-23f, -0x1.40dd04p-24f},
}};

static const fa_atab FA_SILU_S_ATAB = {0x1p-1f, 0x1.99999ap+0f, 0.0f, 0x1.3ap+4f, 0, 0, {
    /* centre */ {0.0f, 0x1.3fff52p-1f, 0x1.4000c2p+0f, 0x1.dffc92p+0f, 0x1.40008p+1f, 0x1.900168p+1f,
        0x1.dfff1ap+1f, 0x1.17fe44p+2f, 0x1.400054p+2f, 0x1.6801bap+2f, 0x1.8ffefp+2f, 0x1.b8013ap+2f,
        0x1.e0016cp+2f, 0x1.0400bep+3f, 0x1.180268p+3f, 0x1.2bfe0cp+3f, 0x1.3fff48p+3f, 0x1.53ff0cp+3f,
        0x1.67fdb2p+3f, 0x1.7c0012p+3f, 0x1.8ffd78p+3f, 0x1.a400e6p+3f, 0x1.b7ff8p+3f, 0x1.cc0244p+3f,
        0x1.e0004ap+3f, 0x1.f3ff0cp+3f, 0x1.040012p+4f, 0x1.0dff82p+4f, 0x1.180028p+4f, 0x1.220228p+4f,
        0x1.2bfeaep+4f, 0x1.35ff7ep+4f},
    /* c0 */ {0x1p-1f, 0x1.65038ap-2f, 0x1.c815f6p-3f, 0x1.1052b8p-3f, 0x1.36b5f2p-4f, 0x1.58c4bcp-5f,
        0x1.7878a8p-6f, 0x1.976726p-7f, 0x1.b69d2cp-8f, 0x1.d6f8a2p-9f, 0x1.f91d58p-10f, 0x1.0e92acp-10f,
        0x1.21ca42p-11f, 0x1.364e3p-12f, 0x1.4c2ad2p-13f, 0x1.63ceep-14f, 0x1.7cdbbcp-15f, 0x1.97bce2p-16f,
        0x1.b491d2p-17f, 0x1.d339ap-18f, 0x1.f455ecp-19f, 0x1.0bb2ep-19f, 0x1.1ea076p-20f, 0x1.32bcb4p-21f,
        0x1.4872ccp-22f, 0x1.5faa38p-23f, 0x1.786a44p-24f, 0x1.93042ep-25f, 0x1.af5eb2p-26f, 0x1.cd90ep-27f,
        0x1.ee8954p-28f, 0x1.08a75ep-28f},
    /* a0 */ {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f},
    /* c1 */ {-0x1p-2f, -0x1.d115a4p-3f, -0x1.62842ep-3f, -0x1.d83978p-4f, -0x1.1f242p-4f, -0x1.4a4232p-5f,
        -0x1.6fd21ep-6f, -0x1.925674p-7f, -0x1.b3adaep-8f, -0x1.d54768p-9f, -0x1.f8242ep-10f, -0x1.0e4b2ep-10f,
        -0x1.21a14p-11f, -0x1.3636aep-12f, -0x1.4c1d5ap-13f, -0x1.63c726p-14f, -0x1.7cd74ep-15f, -0x1.97ba58p-16f,
        -0x1.b4905ep-17f, -0x1.d338cap-18f, -0x1.f45572p-19f, -0x1.0bb2bep-19f, -0x1.1ea062p-20f, -0x1.32bca8p-21f,
        -0x1.4872c6p-22f, -0x1.5faa34p-23f, -0x1.786a42p-24f, -0x1.93042cp-25f, -0x1.af5eb2p-26f, -0x1.cd90ep-27f,
        -0x1.ee8954p-28f, -0x1.08a75ep-28f},
    /* c1lo */ {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f},
    /* p2 */ {0x1.5b9a76p-25f, 0x1.1991a4p-5f, 0x1.893b5ep-5f, 0x1.5aa40ep-5f, 0x1.e727d4p-6f, 0x1.2e75ccp-6f,
        0x1.5eead2p-7f, 0x1.88555p-8f, 0x1.add8cp-9f, 0x1.d1e81p-10f, 0x1.f632ccp-11f, 0x1.0dbc56p-11f,
        0x1.214f44p-12f, 0x1.3607acp-13f, 0x1.4c0268p-14f, 0x1.63b7bp-15f, 0x1.7cce6ep-16f, 0x1.97b54p-17f,
        0x1.b48d72p-18f, 0x1.d3371ap-19f, 0x1.f4547ap-20f, 0x1.0bb278p-20f, 0x1.1ea038p-21f, 0x1.32bc8ep-22f,
        0x1.4872b8p-23f, 0x1.5faa28p-24f, 0x1.786a3cp-25f, 0x1.930424p-26f, 0x1.af5ebp-27f, 0x1.cd90dcp-28f,
        0x1.ee895p-29f, 0x1.08a75cp-29f},
    /* p3 */ {0x1.554ffp-6f, 0x1.c1a46ap-7f, 0x1.243c38p-10f, -0x1.842cf8p-8f, -0x1.bba43p-8f, -0x1.4dd52ap-8f,
        -0x1.a85e2p-9f, -0x1.f0eep-10f, -0x1.16ddb6p-10f, -0x1.322104p-11f, -0x1.4c3758p-12f, -0x1.66288cp-13f,
        -0x1.80e4dap-14f, -0x1.9ce198p-15f, -0x1.ba6576p-16f, -0x1.da203cp-17f, -0x1.fba65ep-18f, -0x1.0fc75p-18f,
        -0x1.230486p-19f, -0x1.3777dp-20f, -0x1.4d8bc2p-21f, -0x1.64eba8p-22f, -0x1.7e29eap-23f, -0x1.98fb1ap-24f,
        -0x1.b5ece4p-25f, -0x1.d4e25ap-26f, -0x1.f5e204p-27f, -0x1.0cad6cp-27f, -0x1.1f93a6p-28f, -0x1.33b53cp-29f,
        -0x1.49b044p-30f, -0x1.60de8ep-31f},
    /* p4 */ {0x1.f4f72ep-17f, -0x1.43c5bap-8f, -0x1.1a5752p-8f, -0x1.627c3ep-10f, 0x1.9c318ap-12f, 0x1.a04442p-11f,
        0x1.55cea2p-11f, 0x1.be048ap-12f, 0x1.07b4e4p-12f, 0x1.294074p-13f, 0x1.4718d6p-14f, 0x1.633374p-15f,
        0x1.7f3b9ep-16f, 0x1.9bea7ap-17f, 0x1.b9dc9p-18f, 0x1.d9d2c2p-19f, 0x1.fb839ap-20f, 0x1.0fbf9ap-20f,
        0x1.23006ep-21f, 0x1.3779b6p-22f, 0x1.4d8cdcp-23f, 0x1.64e93p-24f, 0x1.7e2d56p-25f, 0x1.9901f6p-26f,
        0x1.b5ee16p-27f, 0x1.d4ebc6p-28f, 0x1.f5e5f4p-29f, 0x1.0cb3aap-29f, 0x1.1f9432p-30f, 0x1.33b874p-31f,
        0x1.49b40ep-32f, 0x1.60e2aap-33f},
    /* p5 */ {-0x1.1bb01ep-9f, -0x1.743cf2p-11f, 0x1.bb1fdp-11f, 0x1.b0ec36p-11f, 0x1.3ccap-12f, 0x1.b8cc48p-18f,
        -0x1.2d622ep-14f, -0x1.1684a4p-14f, -0x1.76f9cep-15f, -0x1.c103bep-16f, -0x1.fc0208p-17f, -0x1.1882cp-17f,
        -0x1.307dfap-18f, -0x1.491be6p-19f, -0x1.61c46ap-20f, -0x1.7be36ep-21f, -0x1.96b70cp-22f, -0x1.b3d19ep-23f,
        -0x1.d339a6p-24f, -0x1.f39ce6p-25f, -0x1.0bcccep-25f, -0x1.1efe64p-26f, -0x1.32d09ep-27f, -0x1.48128ep-28f,
        -0x1.5fd63ep-29f, -0x1.784cccp-30f, -0x1.92fb7p-31f, -0x1.af02a8p-32f, -0x1.ce10d2p-33f, -0x1.ee3df6p-34f,
        -0x1.08b906p-34f, -0x1.1b4efp-35f},
    /* p6 */ {0x1.b77b72p-13f, 0x1.232c76p-11f, 0x1.7aed7cp-13f, -0x1.126d68p-13f, -0x1.e808c4p-14f, -0x1.5d251cp-15f,
        -0x1.3433f8p-18f, 0x1.679f6ap-18f, 0x1.77503cp-18f, 0x1.079d52p-18f, 0x1.37083ep-19f, 0x1.67d4d4p-20f,
        0x1.8475ecp-21f, 0x1.af6fccp-22f, 0x1.cf29ep-23f, 0x1.f46e42p-24f, 0x1.08e9fep-24f, 0x1.1cd6b4p-25f,
        0x1.33feaep-26f, 0x1.47019ep-27f, 0x1.61a89p-28f, 0x1.7fe688p-29f, 0x1.950b96p-30f, 0x1.ae5a1cp-31f,
        0x1.d3d334p-32f, 0x1.ecda56p-33f, 0x1.0ab508p-33f, 0x1.19670cp-34f, 0x1.3384eep-35f, 0x1.46974cp-36f,
        0x1.5d6baep-37f, 0x1.75e0e8p-38f},
}};


/* The slot of v = a, or of v = -a where `neg`: floor(a (k1 + a k2) + k0); a table with k2 = 0 takes it
 * by one fma.  For a from the bound on, and NaN, the slot wraps and the value means nothing: the
 * callers blend those lanes away.  The split spans compute the next block's slot before this block's
 * polynomial (see FA_PIPE_LOOP): the slot's chain (two fmas and a conversion) is then off the
 * critical path. */
static inline __m512i fa_atab_slot_512(const fa_atab *tb, __m512 v, const int neg)
{
    const __m512 k1 = _mm512_set1_ps(neg ? -tb->k1 : tb->k1);
    return _mm512_cvttps_epi32(_mm512_fmadd_ps(v, tb->k2 == 0.0f ? k1 : _mm512_fmadd_ps(v, _mm512_set1_ps(tb->k2), k1),
                                               _mm512_set1_ps(tb->k0)));
}

/* V(a) as hi + lo from v = a, or from v = -a where `neg` (gelu's and silu's forward, which need -|x| and
 * no |x|: the slot and t come out the same): c0 + c1 t exact, the rest rounded once.  Without a root,
 * c0 + c1 t is rounded once by an fma and its error recovered by another, with c0 - s exact (Sterbenz:
 * |c1 t| <= c0/3 in every slot of FA_GELU_Q_ATAB and FA_SILU_S_ATAB, the tables without a root), and
 * P's halves are evaluated at once (p2 + t (p3 + p4 t + t^2 (p5 + p6 t)): a shorter chain, gelu 3.5%
 * faster; the derivatives' tables keep Horner's order, 1% there).  With `odd` (the derivatives), the
 * lanes `shift` get V(a) - 1 (see fa_atab_odd_512).  `slot` is fa_atab_slot_512's for the same v. */
static inline __m512 fa_atab_shift_512(const fa_atab *tb, __m512 v, __m512i slot, const int neg, const int odd,
                                       __mmask16 shift, __m512 *lo)
{
    __m512 t = neg ? _mm512_sub_ps(fa_coef_neg(tb->rows[0], slot), v) : _mm512_sub_ps(v, fa_coef(tb->rows[0], slot));
    __m512 tt = _mm512_mul_ps(t, t);
    __m512 c1 = fa_coef(tb->rows[3], slot), c0 = fa_coef(tb->rows[1], slot);
    if (!tb->root) {
        __m512 p = _mm512_fmadd_ps(_mm512_fmadd_ps(fa_coef(tb->rows[9], slot), t, fa_coef(tb->rows[8], slot)), tt,
                                   _mm512_fmadd_ps(fa_coef(tb->rows[7], slot), t, fa_coef(tb->rows[6], slot)));
        p = _mm512_fmadd_ps(p, t, fa_coef(tb->rows[5], slot));
        __m512 s = _mm512_fmadd_ps(c1, t, c0);
        __m512 s_lo = _mm512_fmadd_ps(c1, t, _mm512_sub_ps(c0, s));
        if (tb->slope_lo)
            s_lo = _mm512_fmadd_ps(fa_coef(tb->rows[4], slot), t, s_lo);
        *lo = _mm512_fmadd_ps(tt, p, s_lo);
        return s;
    }
    __m512 p = _mm512_fmadd_ps(fa_coef(tb->rows[9], slot), t, fa_coef(tb->rows[8], slot));
    for (int k = 7; k >= 5; k--)
        p = _mm512_fmadd_ps(p, t, fa_coef(tb->rows[k], slot));
    __m512 c0_lo = fa_coef(tb->rows[2], slot);
    if (odd) {
        /* c0 - 1 in the lanes `shift`, by Fast2Sum (|c0| <= 1/2): its error joins c0's low part.  Off the
         * polynomial's chain, where 1 - V by Fast2Sum afterwards took four serial operations */
        const __m512 one = _mm512_set1_ps(1.0f);
        __m512 c = _mm512_mask_sub_ps(c0, shift, c0, one);
        c0_lo = _mm512_add_ps(c0_lo, _mm512_sub_ps(c0, _mm512_mask_add_ps(c, shift, c, one)));
        c0 = c;
    }
    __m512 inner = _mm512_fmadd_ps(tt, p, c0_lo);
    __m512 m = _mm512_mul_ps(c1, t);
    __m512 m_lo = _mm512_fmsub_ps(c1, t, m);
    if (tb->slope_lo)
        m_lo = _mm512_fmadd_ps(fa_coef(tb->rows[4], slot), t, m_lo);
    __m512 s_lo, s = fa_two_sum_512(c0, m, &s_lo);
    *lo = _mm512_add_ps(s_lo, _mm512_add_ps(m_lo, inner));
    return s;
}

static inline __m512 fa_atab_512(const fa_atab *tb, __m512 v, __m512i slot, const int neg, __m512 *lo)
{
    return fa_atab_shift_512(tb, v, slot, neg, 0, 0, lo);
}

/* f(x) = V(|x|) for x < 0 and -(1 - V(x)) = V(x) - 1 for x >= 0 (and NaN), as hi + lo: the callers take
 * the lanes of *pos negated.  (1 - V as V - 1 negated lets the table's c0 take the 1, off the chain.) */
static inline __m512 fa_atab_odd_512(const fa_atab *tb, __m512 x, __m512i slot, __mmask16 *pos, __m512 *lo)
{
    *pos = (__mmask16)~_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return fa_atab_shift_512(tb, _mm512_abs_ps(x), slot, 0, 1, *pos, lo);
}

/* the slot fa_atab_odd_512 takes, from x */
static inline __m512i fa_atab_odd_slot_512(const fa_atab *tb, __m512 x)
{
    return fa_atab_slot_512(tb, _mm512_abs_ps(x), 0);
}

/* gelu's normal tail beyond the tables: G(w) = a e^(a^2/2) Q(a) = c0 + (c0lo + w P(w)), w = 1/a^2, P of
 * degree 5, for a in [5.375, 16]: relative error 2^-28.1 (benchmarks/fit_tables.py gelu_tail).  Q(a)
 * = E G / a with E = e^(-a^2/2), so gelu(-a) = -E G and gelu's derivative at -a is -a E (c0 - w G). */
static const float FA_GELU_G[8] = {0x1.988454p-2f, -0x1.857936p-27f, -0x1.98844p-2f, 0x1.325a3ep+0f,
                                   -0x1.7d6d2p+2f, 0x1.3dffccp+5f, -0x1.110112p+8f, 0x1.280434p+10f};

/* E = 2^e.scale (e.hi + e.lo) for a in [5.375, 16] (a^2 exact as u + u_lo, u_lo's part to first order),
 * w = 1/a^2 (rcp14 and a Newton step: 2^-28), and G = c0 + *g_lo */
static inline fa_f2 fa_gelu_tail_512(__m512 a, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1, __m512 *w,
                                     __m512 *g_lo)
{
    __m512 u = _mm512_mul_ps(a, a), u_lo = _mm512_fmsub_ps(a, a, u);
    fa_f2 e = fa_exp_f2_512(_mm512_mul_ps(u, _mm512_set1_ps(-0.5f)), thi0, thi1, tlo0, tlo1);
    e.lo = _mm512_fnmadd_ps(_mm512_mul_ps(e.hi, _mm512_set1_ps(0.5f)), u_lo, e.lo);
    __m512 r = _mm512_rcp14_ps(u);
    r = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(u, r, _mm512_set1_ps(1.0f)), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(FA_GELU_G[7]), r, _mm512_set1_ps(FA_GELU_G[6]));
    for (int k = 5; k >= 2; k--)
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FA_GELU_G[k]));
    *g_lo = _mm512_fmadd_ps(r, p, _mm512_set1_ps(FA_GELU_G[1]));
    *w = r;
    return e;
}

/* E (c0 + m_lo) as hi + lo, unscaled.  m_lo is up to 2^-5 of c0 and e.lo up to 2^-18 of e.hi (it carries
 * a^2's rounding), so e.lo m_lo counts: e.lo is taken times c0 + m_lo */
static inline __m512 fa_gelu_tail_times_512(fa_f2 e, __m512 m_lo, __m512 *lo)
{
    const __m512 c0 = _mm512_set1_ps(FA_GELU_G[0]);
    __m512 m = _mm512_mul_ps(e.hi, c0);
    *lo = _mm512_fmadd_ps(e.hi, m_lo, _mm512_fmadd_ps(e.lo, _mm512_add_ps(c0, m_lo), _mm512_fmsub_ps(e.hi, c0, m)));
    return m;
}

/* x V(|x|) for x < 0 and x (1 - V(x)) for x >= 0 as max(x, 0) + y V(a), y = -a = -|x|, V from a table
 * without a root (gelu: the normal tail Q, silu: sigmoid(-a)), for |x| below its bound and NaN, which
 * propagates.  With c = max(x, 0) and V = s + lo: q = c + y s rounded, its error e recovered exactly
 * (c - q is exact: q is within a factor 2 of c where c > 0, as y s >= -c/2), then q + (y lo + e), about
 * one rounding in all.  The tables' first interval is centred at 0 with c0 = 1/2, so that below 2^-26 s
 * is 1/2, q = x/2 exactly and e = 0: no residual is rounded as a subnormal (it was, for x near 2^-125,
 * before that centre: 1.0 ULP).  The last step subtracts -(y lo) - e rather than adding y lo + e: where
 * q is -0 (x = -0, and -2^-149, whose q rounds to -0) that term is +0, and the difference keeps q's sign
 * where the sum gave +0 (gelu: the same bits over all 2^32 inputs as OR-ing x's sign in, which cost
 * 3.5%).  (The form x (1 - V) for x >= 0 took five more instructions: 18% slower.)  Over all 2^32
 * inputs: gelu 0.64 ULP, silu 0.64.  *far gets the lanes from the bound on (|x|), for the split span:
 * fa_tail_settle_512 takes those whose result is x. */
static inline __m512 fa_tail_form_512(const fa_atab *tb, __m512 x, __m512i slot, __mmask16 *far)
{
    __m512 y = _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN));
    *far = _mm512_cmp_ps_mask(y, _mm512_set1_ps(-tb->bound), _CMP_LE_OQ);
    __m512 v_lo, v = fa_atab_512(tb, y, slot, 1, &v_lo);
    __m512 c = _mm512_max_ps(_mm512_setzero_ps(), x);
    __m512 q = _mm512_fmadd_ps(y, v, c);
    __m512 e = _mm512_fmadd_ps(y, v, _mm512_sub_ps(c, q));
    return _mm512_sub_ps(q, _mm512_fnmsub_ps(y, v_lo, e));
}

/* the slot fa_tail_form_512 takes, from x */
static inline __m512i fa_tail_slot_512(const fa_atab *tb, __m512 x)
{
    return fa_atab_slot_512(tb, _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN)), 1);
}

/* gelu: the form above with FA_GELU_Q_ATAB for |x| < 5.5; *far gets the other lanes, for
 * fa_gelu_settle_512 and fa_gelu_far_512 */
static inline __m512i fa_gelu_slot_512(__m512 x)
{
    return fa_tail_slot_512(&FA_GELU_Q_ATAB, x);
}

FA_KERNEL __m512 fa_gelu_near_512(__m512 x, __m512i slot, __mmask16 *far)
{
    return fa_tail_form_512(&FA_GELU_Q_ATAB, x, slot, far);
}

/* Of the far lanes of fa_tail_form_512 (|x| from the bound on, not NaN), those the split span settles,
 * *v their results: from the bound on x (gelu: x Q(x) is below half an ULP of x from 5.5 on; silu
 * rounds to x from 17.3 on; +inf gives inf) and from `low` down -0 (gelu's |x Q(x)| is below 2^-150
 * from -14.5 down, silu's from -120; -inf included), as max(x, -0).  One integer compare takes both:
 * of the far lanes, those whose bits, as a signed integer, are at least low's are the positive ones and
 * those from low down.  (Blending x in fa_gelu_near_512 cost every block two instructions, 4-7% on
 * normal(0, 1) data, where no lane is far.  Settling -0 too: a tenth of normal(0, 4) data at -1e4 took
 * gelu 1.3 times its usual time, silu 1.6.) */
static inline __mmask16 fa_tail_settle_512(__m512 x, __mmask16 far, float low, __m512 *v)
{
    *v = _mm512_max_ps(x, _mm512_set1_ps(-0.0f));
    return _mm512_mask_cmpge_epi32_mask(far, _mm512_castps_si512(x), _mm512_set1_epi32(fa_bits(low)));
}

static inline __mmask16 fa_gelu_settle_512(__m512 x, __mmask16 far, __m512 *v)
{
    return fa_tail_settle_512(x, far, -14.5f, v);
}

/* gelu from -5.5 down to -14.5, the only lanes that reach it (fa_gelu_settle_512 takes those from 5.5
 * on and from -14.5 down, where it rounds to -0, and NaN stays in the table's form): -E G.  The results below FLT_MIN are rounded as fa_scalef_sub_512 does (|q| 2^(scale + 149) rounded to
 * an integer, which is the result's bit pattern), but for the lanes below -13.125, whose |gelu| is
 * below 2^-125.6, all of them and none above 2^-126 (the integer is exact up to 2^-125, where both
 * ways agree): one compare on x in place of getexp, an add and a compare on the result, 27.4 -> 23.4
 * cycles per 16 far lanes (one thread, AMD Zen 5); the same bits. */
FA_KERNEL __m512 fa_gelu_far_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    __m512 a = _mm512_abs_ps(x);
    __m512 w, g_lo, lo;
    fa_f2 e = fa_gelu_tail_512(a, thi0, thi1, tlo0, tlo1, &w, &g_lo);
    __m512 hi = fa_gelu_tail_times_512(e, g_lo, &lo);
    __m512 q = _mm512_add_ps(hi, lo);                                   /* (positive) */
    __mmask16 sub = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-13.125f), _CMP_LT_OQ);
    __m512 r = _mm512_mask_scalef_ps(q, (__mmask16)~sub, q, e.scale);
    if (sub) {
        __m512 t = _mm512_scalef_ps(q, _mm512_add_ps(e.scale, _mm512_set1_ps(149.0f)));
        r = _mm512_mask_mov_ps(r, sub, _mm512_castsi512_ps(_mm512_cvtps_epi32(t)));
    }
    return _mm512_or_ps(r, _mm512_set1_ps(FA_SIGN));
}

/* Near a root r = r_hi + r_lo + r_lo2 of a derivative (three floats: the nearest float to r is within
 * 2^-25 of it, where two would leave 2^-25 of h): f1 h as hi + lo for h = v - r, with v - r_hi exact
 * (Sterbenz) and h renormalised first (TwoSum), so that f1 h keeps its relative accuracy when v - r_hi
 * is 0 or a few ULP; *hf gets h rounded, for the higher terms. */
static inline __m512 fa_root_linear_512(__m512 v, float r_hi, float r_lo, float r_lo2, float f1_hi, float f1_lo,
                                        __m512 *lo, __m512 *hf)
{
    __m512 h_lo, h = fa_two_sum_512(_mm512_sub_ps(v, _mm512_set1_ps(r_hi)), _mm512_set1_ps(-r_lo), &h_lo);
    h_lo = _mm512_sub_ps(h_lo, _mm512_set1_ps(r_lo2));
    const __m512 m_hi = _mm512_set1_ps(f1_hi);
    __m512 a = _mm512_mul_ps(m_hi, h);
    *lo = _mm512_fmadd_ps(m_hi, h_lo, _mm512_fmadd_ps(_mm512_set1_ps(f1_lo), h, _mm512_fmsub_ps(m_hi, h, a)));
    *hf = h;
    return a;
}

/* The common form of both derivatives below, g D(x) with D = f from the table (for x >= 0, -g times
 * V - 1: 0.5025 -> 0.4852 ns per element for gelu's, silu's 0.3% faster, one thread, 1e6 elements of
 * normal(0, 4)), rounded once, for |x| below the table's bound and |g| below g_max (an infinite g times
 * the low part could give inf - inf);
 * *far gets the other lanes.  A g below 2^-64 is taken times 2^64 (fa_mul_f2_tiny_512) and the result
 * back: g f_lo could otherwise be subnormal, with a rounding error near an ULP of a result near FLT_MIN.
 * (fa_mul_f2_lift_512 does the same with a scalef on every block: 3% slower here.) */
static inline __m512 fa_atab_backward_512(const fa_atab *tb, __m512 g, __m512 x, __m512i slot, float g_max,
                                          __mmask16 *far)
{
    __mmask16 pos;
    __m512 f_lo, f = fa_atab_odd_512(tb, x, slot, &pos, &f_lo);
    /* far: not both |x| < bound and |g| < g_max; without a g_max in one compare, of |x| + 0 g (NaN for an
     * infinite or NaN g): two compares and their mask operations cost silu's backward 6% */
    __m512 ax = _mm512_abs_ps(x);
    if (g_max == INFINITY)
        *far = _mm512_cmp_ps_mask(_mm512_fmadd_ps(g, _mm512_setzero_ps(), ax), _mm512_set1_ps(tb->bound), _CMP_NLT_UQ);
    else
        *far = (__mmask16)~(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(tb->bound), _CMP_LT_OQ)
                            & _mm512_cmp_ps_mask(_mm512_abs_ps(g), _mm512_set1_ps(g_max), _CMP_LT_OQ));
    __mmask16 tiny = fa_tiny_512(g);
    __m512 r = fa_mul_f2_tiny_512(_mm512_mask_xor_ps(g, pos, g, _mm512_set1_ps(FA_SIGN)), f, f_lo, tiny);
    return tiny ? _mm512_mask_mul_ps(r, tiny, r, _mm512_set1_ps(0x1p-64f)) : r;
}

/* gelu's backward: FA_GELU_D_ATAB (V(a) = Q(a) - a phi(a), which has its root at a0 = 0.75179) for
 * |x| < 6 and |g| < 2^122; g from x = 6.03125 on (the derivative is 1 + e with e below 2^-25 from
 * 6.0298 on, less than half an ULP of any float relative to it, so g times it rounds to g; inf and NaN
 * g included; from 6.5, as it was, 1.5% of normal(0, 4) data, 18% of the far lanes, went to the far
 * form: 27.6 -> 26.8 cycles per block of normal(0, 4), one thread) */
static inline __m512i fa_gelu_backward_slot_512(__m512 x)
{
    return fa_atab_odd_slot_512(&FA_GELU_D_ATAB, x);
}

FA_KERNEL __m512 fa_gelu_backward_near_512(__m512 g, __m512 x, __m512i slot, __mmask16 *far)
{
    __m512 r = fa_atab_backward_512(&FA_GELU_D_ATAB, g, x, slot, 0x1p122f, far);
    __mmask16 one = _mm512_cmp_ps_mask(x, _mm512_set1_ps(6.03125f), _CMP_GE_OQ);  /* +inf included */
    *far &= ~one;
    return _mm512_mask_mov_ps(r, one, g);
}

/* (the lanes below -16 settled in the loop, in its sparse mode: g times -0; fa_gelu_backward_near_512
 * settles those from 6.03125 on) */
static inline __mmask16 fa_gelu_backward_settle_512(__m512 g, __m512 x, __mmask16 far, const int dense, __m512 *v)
{
    /* (only in the sparse mode: normal(0, 4) data puts gelu's in the dense one, where the settling's
     * compare and branch in every block cost 2-3% at 1e6 on 2 threads) */
    *v = g;
    return dense ? 0 : fa_settle_backward_512(g, x, far, -16.0f, INFINITY, 0x1p32f, -0.0f, 1, v);
}

/* ... and for the lanes it leaves: from |x| = 6 on, the tail's D(-a) = -a E (c0 - w G) (|x| clamped
 * at 16), that is g D(-a) below -6 and g + g |D(-a)| from 6 to 6.03125; below -16 (and -inf) g times
 * a zero for |g| below 2^32; the rest of them, NaN, and g from 2^122 (or NaN: g hi could overflow where
 * the result does not, and g lo be inf * 0), fa_gelu_backward_1, lane by lane */
FA_KERNEL __m512 fa_gelu_backward_far_512(__m512 g, __m512 x, __m512 thi0, __m512 thi1, __m512 tlo0,
                                          __m512 tlo1)
{
    __m512 a = _mm512_min_ps(_mm512_set1_ps(16.0f), _mm512_abs_ps(x)), w, g_lo, lo;
    fa_f2 e = fa_gelu_tail_512(a, thi0, thi1, tlo0, tlo1, &w, &g_lo);
    /* c0 - w G = c0 + (c0lo - w G), G = c0 + g_lo: w G is below 3.5% of c0 */
    __m512 m_lo = _mm512_fnmadd_ps(w, _mm512_add_ps(_mm512_set1_ps(FA_GELU_G[0]), g_lo),
                                   _mm512_set1_ps(FA_GELU_G[1]));
    __m512 m = fa_gelu_tail_times_512(e, m_lo, &lo);
    /* a (m + lo): |D(-a)| 2^-scale, up to 16 x 0.8 (no overflow in g h for |g| < 2^122); h_lo is up to
     * 3.5% of h (it carries -w G) */
    __m512 h = _mm512_mul_ps(a, m), h_lo = _mm512_fmadd_ps(a, lo, _mm512_fmsub_ps(a, m, h));
    __m512 neg = _mm512_xor_ps(fa_scalef_sub_512(fa_mul_f2_512(g, h, h_lo), e.scale), _mm512_set1_ps(FA_SIGN));
    __m512 pos = _mm512_fmadd_ps(g, _mm512_scalef_ps(_mm512_add_ps(h, h_lo),
                                                     _mm512_max_ps(e.scale, _mm512_set1_ps(-100.0f))), g);
    __m512 r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), pos, neg);
    __mmask16 odd = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-16.0f), _CMP_NGE_UQ)
                    | (__mmask16)~_mm512_cmp_ps_mask(_mm512_abs_ps(g), _mm512_set1_ps(0x1p122f), _CMP_LT_OQ);
    /* (below -16 the derivative is negative and below 2^-182.2 in size: g D rounds to -0 g's sign for
     * |g| < 2^32) */
    return fa_fix_lanes_below(r, g, x, odd, x, -16.0f, 0x1p32f, -0.0f, 0.0f, fa_gelu_backward_1, 0.0);
}

/* The parts of v sigmoid(x) = (v u) / d (neg: the lanes of x < 0): z = exp(-|x|) = 2^floor(scale) (th +
 * t); d = 1 + z as d_hi + d_lo; and v u as n_hi + n_lo, u = 1 for x >= 0 and z unscaled for x < 0 (v z
 * = v zh + (v t + (v th - v zh)) with zh = th + t rounded: one rounding of a term ~2^-5 v z, so ~2^-29;
 * normal for a normal v).  z's scale is the quotient's, for x < 0; the returned z is renormalised
 * (Fast2Sum), for the callers that keep it.
 * With `wide`, any x: -|x| floored at -120 (for x >= 0, 1 + z is 1 to float precision long before;
 * fa_one_plus_parts_512 holds z's scale at -100 there, so that no lane computes with subnormals: their
 * microcode assists made gelu's tanh form 3x slower on normal(0, 4) data, whose 2u passes 87 from x =
 * 7.7).  Without it the caller has checked that |x| < FA_COMMON_X in every lane, and the clamps
 * are left out: silu's forward went 0.39 -> 0.32 ns per element (one thread; the clamps and fix-ups of
 * its general path are 8 of its 41 instructions per block). */
static inline fa_f2 fa_sigmoid_parts_512(__m512 v, __m512 x, __mmask16 neg, const int wide, __m512 *d_hi,
                                         __m512 *d_lo, __m512 *n_hi, __m512 *n_lo, __m512 thi0, __m512 thi1,
                                         __m512 tlo0, __m512 tlo1, const fa_exp_pre *pre)
{
    __m512 a = _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN));
    if (wide)
        a = _mm512_max_ps(_mm512_set1_ps(-120.0f), a);
    fa_f2 z;
    __m512 t, th = fa_exp_parts_pre_512(pre && !wide ? *pre : fa_exp_pre_512(a), thi0, thi1, tlo0, tlo1, &t, &z.scale);
    z.hi = _mm512_add_ps(th, t);
    z.lo = _mm512_add_ps(_mm512_sub_ps(th, z.hi), t);          /* (only for the callers that keep z) */
    *d_hi = fa_one_plus_parts_512(th, t, z.hi, z.scale, wide, d_lo);
    __m512 p = _mm512_mul_ps(v, z.hi);
    __m512 p_lo = _mm512_fmadd_ps(v, t, _mm512_fmsub_ps(v, th, p));
    *n_hi = _mm512_mask_blend_ps(neg, v, p);
    *n_lo = _mm512_maskz_mov_ps(neg, p_lo);
    return z;
}

/* v sigmoid(x + x_lo) (silu: v = x; glu: v = a, x = b; gelu's tanh form: v = x, x + x_lo = 2u) =
 * v / (1 + z) for x >= 0, v z / (1 + z) for x < 0, z = exp(-|x|) as hi + lo.  v z is kept exact (FMA) and
 * unscaled, the quotient is rounded once from ~2^-28 and scaled at the end.  x_lo (with has_lo) is
 * taken to first order, sigmoid(x + x_lo) = sigmoid(x) (1 + x_lo sigmoid(-x)), in the numerator's low
 * part (x_lo below 2^-24 |x|: the term left out is below 2^-40).  x < -120 (|v e^x| < 2^-150 |v|),
 * x = +-inf and |v| >= 2^64 (where v / d or v z may overflow) are the callers' to settle.  `wide` as for
 * fa_sigmoid_parts_512: without it |x| < 64, and none of that arises from x. */
FA_KERNEL __m512 fa_mul_sigmoid_lo_512(__m512 v, __m512 x, __m512 x_lo, const int has_lo, const int lift,
                                        const int wide, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1,
                                        const fa_exp_pre *pre)
{
    /* (with lift) a |v| below 2^-100 is taken times 2^64, and the result times 2^-64 in the final
     * scaling: the quotient's residual, ~2^-15 v, must stay a normal float (without it glu and softplus'
     * backward were 1.46 ULP off for a v of 1.2e-38).  silu and gelu's tanh form need no lift: a tiny
     * v = x comes with d = 2 exactly, whose residual is 0. */
    __mmask16 tiny = 0;
    if (lift) {
        tiny = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ);
        v = _mm512_mask_mul_ps(v, tiny, v, _mm512_set1_ps(0x1p64f));
    }
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 d_hi, d_lo, n_hi, n_lo;
    fa_f2 z = fa_sigmoid_parts_512(v, x, neg, wide, &d_hi, &d_lo, &n_hi, &n_lo, thi0, thi1, tlo0, tlo1, pre);
    if (has_lo) {
        /* sigmoid(-x) = (1 or z) / d, to rcp14's 2^-14 (z floored at 2^-60: no subnormals) */
        __m512 zs = _mm512_scalef_ps(z.hi, wide ? _mm512_max_ps(z.scale, _mm512_set1_ps(-60.0f)) : z.scale);
        __m512 w = _mm512_mul_ps(_mm512_mask_blend_ps(neg, zs, _mm512_set1_ps(1.0f)), _mm512_rcp14_ps(d_hi));
        n_lo = _mm512_fmadd_ps(n_hi, _mm512_mul_ps(x_lo, w), n_lo);
    }
    /* (below -120 the result is left unscaled: every caller replaces it, and scaling it to nothing
     * would cost an underflow assist) */
    __mmask16 scaled = wide ? neg & _mm512_cmp_ps_mask(x, _mm512_set1_ps(-120.0f), _CMP_GE_OQ) : neg;
    __m512 q = fa_div_f2_512(n_hi, n_lo, d_hi, d_lo);
    if (!lift && !wide)
        return _mm512_mask_scalef_ps(q, scaled, q, z.scale);
    __m512 sc = _mm512_maskz_mov_ps(scaled, z.scale);
    if (lift)
        sc = _mm512_mask_sub_ps(sc, tiny, sc, _mm512_set1_ps(64.0f));
    return wide ? fa_scalef_sub_512(q, sc) : _mm512_scalef_ps(q, sc);
}

/* The first stage of the kernels of v sigmoid(x), which their spans compute a block ahead (FA_PIPE_LOOP):
 * the reduction of exp(-|x|), with -|x| held at -FA_COMMON_X: -min(|x|, 64) in one vrangeps (imm 0xe:
 * the smaller magnitude, sign set).  The lanes beyond it, which the kernels replace, then compute with
 * normal numbers (2^floor(k/32) = 2^-93 at -64), and a block with such lanes needs no second reduction
 * for the others. */
static inline fa_exp_pre fa_sigmoid_pre_512(__m512 x)
{
    return fa_exp_pre_512(_mm512_range_ps(x, _mm512_set1_ps(FA_COMMON_X), 0xe));
}

/* sigmoid(x) for |x| < FA_COMMON_X (no NaN): fa_mul_sigmoid_lo_512's arithmetic (v = 1) with z =
 * exp(-|x|) scaled as it is formed.  2^floor(k/32) is added to the exponent fields of T[j]'s hi and lo
 * (integer additions, which run beside the FMA pipes; both parts stay normal: |x| < 64 gives
 * 2^floor(k/32) >= 2^-93, and FA_SIG_SETUP's tables have no low part 0), so 1 + z takes additions, not
 * FMAs by a scale, and the quotient needs no final scaling.  Its results differ from the general path's
 * in the last bit at times (both ~0.55 ULP): sigmoid 0.229 -> 0.201 ns per element (one thread, AMD
 * Zen 5).  (silu used it with v = x until its table form, fa_silu_near_512.) */
FA_KERNEL __m512 fa_sigmoid_near_512(__m512 x, fa_exp_pre pre, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    const __m512 onev = _mm512_set1_ps(1.0f);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512i idx = pre.idx;
    __m512 p = pre.p;
    /* k 2^18 = floor(k/32) 2^23 + j 2^18 (kf's bits 0..13 moved to 18..31; the tables hold T[j] less
     * j 2^18, integer-wise): floor(k/32) in the exponent field */
    __m512i e = _mm512_slli_epi32(idx, 18);
    __m512 th = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(_mm512_permutex2var_ps(thi0, idx, thi1)), e));
    __m512 tl = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(_mm512_permutex2var_ps(tlo0, idx, tlo1)), e));
    __m512 t = _mm512_fmadd_ps(th, p, tl);
    __m512 zh = _mm512_add_ps(th, t);
    __m512 d_hi = _mm512_add_ps(onev, zh);
    __m512 d_lo = _mm512_add_ps(_mm512_add_ps(_mm512_sub_ps(onev, d_hi), th), t);
    __m512 y = _mm512_rcp14_ps(d_hi);
    /* (1 or z) / d: the residual carried negated and the correction subtracted, q - (q d_lo + rho') y */
    __m512 q = _mm512_mul_ps(_mm512_mask_blend_ps(neg, onev, zh), y);
    __m512 rho = _mm512_fmsub_ps(q, d_hi, _mm512_mask_blend_ps(neg, onev, th));
    rho = _mm512_mask_sub_ps(rho, neg, rho, t);
    return _mm512_fnmadd_ps(_mm512_fmadd_ps(q, d_lo, rho), y, q);
}

/* v sigmoid(x) for any v below 2^64 in size (glu, softplus' and log_sigmoid's backward), and in *ok the
 * lanes it covers: |v| < 2^64, x >= -120 and not NaN (the callers take the others one by one, or settle
 * them).  pre is fa_sigmoid_pre_512 of x (or of -x, the same): with -|x| held at -64 the common path
 * gives v from x = 64 on (+inf included; sigmoid(x) is 1 to 2^-92 there), and only the lanes from -64
 * down and NaN need more: the general path where a lane is in [-120, -64].  (Normal(0, 4) data with a
 * tenth of x at +-1e4, which sent every other block down the general path, took softplus' backward
 * 1.8-2.2 times its usual time.) */
FA_KERNEL __m512 fa_mul_sigmoid_512(__m512 v, __m512 x, fa_exp_pre pre, __mmask16 *ok, __m512 thi0, __m512 thi1,
                                    __m512 tlo0, __m512 tlo1)
{
    *ok = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0x1p64f), _CMP_LT_OQ);
    __m512 r = fa_mul_sigmoid_lo_512(v, x, _mm512_setzero_ps(), 0, 1, 0, thi0, thi1, tlo0, tlo1, &pre);
    __mmask16 far = fa_below_512(x, -FA_COMMON_X);
    if (far) {
        __mmask16 in = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-120.0f), _CMP_GE_OQ);
        *ok &= in;
        if (far & in)
            r = _mm512_mask_mov_ps(r, far & in, fa_mul_sigmoid_lo_512(v, x, _mm512_setzero_ps(), 0, 1, 1, thi0, thi1,
                                                                      tlo0, tlo1, NULL));
    }
    return r;
}

/* sigmoid(x): fa_sigmoid_near_512, whose reduction (fa_sigmoid_pre_512) holds -|x| at -64, so that
 * it gives 1 from x = 64 on (+inf included), and, for the lanes from -64 down and NaN, 0 from -104 down
 * (e^x below 2^-150; -inf included) and the general path (v sigmoid(x) with v = 1, whose v z is z's
 * own hi + lo) above: NaN propagates, results below FLT_MIN (from -87.3 down) are rounded by
 * fa_scalef_sub_512.  The general path takes those lanes only, so that no result depends on its
 * neighbours (the two paths round ~2^-29 apart differently).  (On normal(0, 4) data with a tenth of
 * it +-1e4, which put every other block on the general path, sigmoid took 2.8 times its usual time.) */
FA_KERNEL __m512 fa_sigmoid_512(__m512 x, fa_exp_pre pre, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1,
                                __m512 t1hi0, __m512 t1hi1, __m512 t1lo0, __m512 t1lo1)
{
    __m512 q = fa_sigmoid_near_512(x, pre, t1hi0, t1hi1, t1lo0, t1lo1);
    __mmask16 far = fa_below_512(x, -FA_COMMON_X);
    if (far) {
        __mmask16 hard = far & _mm512_cmp_ps_mask(x, _mm512_set1_ps(-104.0f), _CMP_NLE_UQ);
        if (hard)
            q = _mm512_mask_mov_ps(q, hard, fa_mul_sigmoid_lo_512(_mm512_set1_ps(1.0f), x, _mm512_setzero_ps(), 0,
                                                                  0, 1, thi0, thi1, tlo0, tlo1, NULL));
        q = _mm512_maskz_mov_ps((__mmask16)~(far & ~hard), q);
    }
    return q;
}

/* k x (1 + C x^2) as hi + lo (~2^-44), k = 2 sqrt(2/pi) and C = C_hi + C_lo, x^2 exact: gelu's tanh form's
 * 2u (C = 0.044715) and x times its derivative (C = 3 0.044715) */
static inline __m512 fa_gelu_cubic_512(__m512 x, float C_hi, float C_lo, __m512 *lo)
{
    const __m512 c_hi = _mm512_set1_ps(C_hi), k_hi = _mm512_set1_ps(0x1.988454p+0f);
    __m512 p = _mm512_mul_ps(x, x), p_lo = _mm512_fmsub_ps(x, x, p);
    __m512 m = _mm512_mul_ps(c_hi, p);
    __m512 m_lo = _mm512_fmadd_ps(c_hi, p_lo, _mm512_fmadd_ps(_mm512_set1_ps(C_lo), p, _mm512_fmsub_ps(c_hi, p, m)));
    __m512 w_lo, w = fa_two_sum_512(_mm512_set1_ps(1.0f), m, &w_lo);
    w_lo = _mm512_add_ps(w_lo, m_lo);
    __m512 v = _mm512_mul_ps(k_hi, x);
    __m512 v_lo = _mm512_fmadd_ps(_mm512_set1_ps(-0x1.857936p-25f), x, _mm512_fmsub_ps(k_hi, x, v));
    __m512 b = _mm512_mul_ps(v, w);
    *lo = _mm512_fmadd_ps(v, w_lo, _mm512_fmadd_ps(v_lo, w, _mm512_fmsub_ps(v, w, b)));
    return b;
}

/* gelu's tanh form, x sigmoid(2u), 2u = k x (1 + c x^2), k = 2 sqrt(2/pi), c = 0.044715 (k and c as
 * hi + lo, x^2 exact): 2u is kept as hi + lo (~2^-44), since sigmoid's relative error is |2u| times
 * 2u's (2u reaches -120 at x = -11.6).  2u < -120: -0; x >= 16: x. */
FA_KERNEL __m512 fa_gelu_tanh_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    __m512 b_lo, b = fa_gelu_cubic_512(x, 0x1.6e4e26p-5f, 0x1.a9003ep-30f, &b_lo);
    const __m512 sign = _mm512_set1_ps(FA_SIGN);
    if (!fa_beyond_512(b, FA_COMMON_X))       /* |2u| < 64 (|x| < 8.8): no clamps, no fix-ups but the sign */
        return _mm512_or_ps(fa_mul_sigmoid_lo_512(x, b, b_lo, 1, 0, 0, thi0, thi1, tlo0, tlo1, NULL),
                            _mm512_and_ps(x, sign));
    __m512 q = fa_mul_sigmoid_lo_512(x, b, b_lo, 1, 0, 1, thi0, thi1, tlo0, tlo1, NULL);
    /* (x <= -11.6, -inf included, gives 2u < -120; x >= 16 and +inf leave 2u's low part NaN) */
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, _mm512_set1_ps(-120.0f), _CMP_LT_OQ), q, sign);
    q = _mm512_or_ps(q, _mm512_and_ps(x, sign));                        /* x's sign: -0 gives -0 */
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(16.0f), _CMP_GE_OQ), q, x);
}

/* silu: x sigmoid(x) = max(x, 0) + y S(a), y = -a = -|x|, S(a) = sigmoid(-a) from FA_SILU_S_ATAB: gelu's
 * common form (fa_tail_form_512) with the logistic tail in place of the normal one, for |x| < 19.625
 * and NaN (no exp, no division: 0.216 -> 0.189 ns per element, one thread, AMD Zen 5); *far gets the
 * other lanes: fa_silu_settle_512 settles those from 19.625 on (silu(x) rounds to x from 17.3 on; +inf
 * gives inf) and from -120 down (-0), fa_silu_far_512 takes the others.  (A block-level branch to the
 * general path instead, as sigmoid has, made silu 3 times slower on normal(0, 10) data, where 56% of
 * the blocks have such a lane.) */
static inline __m512i fa_silu_slot_512(__m512 x)
{
    return fa_tail_slot_512(&FA_SILU_S_ATAB, x);
}

FA_KERNEL __m512 fa_silu_near_512(__m512 x, __m512i slot, __mmask16 *far)
{
    return fa_tail_form_512(&FA_SILU_S_ATAB, x, slot, far);
}

static inline __mmask16 fa_silu_settle_512(__m512 x, __mmask16 far, __m512 *v)
{
    return fa_tail_settle_512(x, far, -120.0f, v);
}

/* silu from -19.625 down to -120, the only lanes that reach it (fa_silu_settle_512 takes those from
 * -120 down): the general path (fa_mul_sigmoid_lo_512), -0's sign kept */
FA_KERNEL __m512 fa_silu_far_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    const __m512 sign = _mm512_set1_ps(FA_SIGN);
    __m512 f = fa_mul_sigmoid_lo_512(x, x, _mm512_setzero_ps(), 0, 0, 1, thi0, thi1, tlo0, tlo1, NULL);
    return _mm512_or_ps(f, sign);
}

/* Backward of sigmoid and tanh from y: g y (1 - y) and g (1 - y^2), for |y| <= 1 and finite g.  The
 * derivative is kept as hi + lo (to 2^-47: Fast2Sum for 1 - y, FMA products), so the result is rounded
 * once, as the double formula of the portable path (which the other lanes take, one by one: y beyond
 * [-1, 1], NaN or infinite y or g).  A g below 2^-64 is lifted (fa_mul_f2_unit_512): g lo as a
 * subnormal took tanh's to 0.99 ULP at g = 1.2e-38. */
static inline __mmask16 fa_saved_y_odd(__m512 g, __m512 y)
{
    /* not both |y| <= 1 and g finite: |y| + 0 g is NaN for an infinite or NaN g (one compare) */
    __m512 s = _mm512_fmadd_ps(g, _mm512_setzero_ps(), _mm512_abs_ps(y));
    return _mm512_cmp_ps_mask(s, _mm512_set1_ps(1.0f), _CMP_NLE_UQ);
}

FA_KERNEL __m512 fa_sigmoid_backward_512(__m512 g, __m512 y)
{
    __m512 d_lo, d_hi = fa_one_minus_512(y, &d_lo);
    __m512 q = _mm512_mul_ps(y, d_hi);
    __m512 q_lo = _mm512_fmadd_ps(y, d_lo, _mm512_fmsub_ps(y, d_hi, q));
    return fa_fix_lanes(fa_mul_f2_unit_512(g, q, q_lo), g, y, fa_saved_y_odd(g, y),
                        fa_sigmoid_backward_1, 0.0);
}

FA_KERNEL __m512 fa_tanh_backward_512(__m512 g, __m512 y)
{
    /* 1 - y^2 = h + (h_lo - p_lo): y^2 = p + p_lo (FMA) and 1 - p = h + h_lo (Fast2Sum) exactly.  For
     * p >= 1/2, h is exact (Sterbenz), h_lo = 0 and the low part is -p_lo exactly; below, h > 1/2 and
     * the low part's rounding is below 2^-47 h. */
    __m512 p = _mm512_mul_ps(y, y), p_lo = _mm512_fmsub_ps(y, y, p);
    __m512 h_lo, h = fa_one_minus_512(p, &h_lo);
    return fa_fix_lanes(fa_mul_f2_unit_512(g, h, _mm512_sub_ps(h_lo, p_lo)), g, y, fa_saved_y_odd(g, y),
                        fa_tanh_backward_1, 0.0);
}

/* The derivative D = sigmoid(w) (1 + t sigmoid(-w)) (silu: w = t = x; gelu's tanh form: w = 2u, t = x w'),
 * with z = exp(-|w|) (hi + lo), d = 1 + z and (u, v) = (1, z) for w >= 0, (z, 1) for w < 0: sigmoid(w) =
 * u/d, sigmoid(-w) = v/d, so D = u S / d^2 with S = d + t v.  fa_sig_deriv_s_512 gives d and S as
 * hi + lo (TwoSum: t v may exceed d); the caller replaces S near its root, where d + t v cancels, and
 * fa_sig_deriv_times_512 gives g D: S / d^2 divided once (rcp14 and a residual step, as hi + lo,
 * ~2^-28), times g with one rounding (and z's scale for w < 0). */
static inline __m512 fa_sig_deriv_s_512(fa_f2 z, __mmask16 neg, __m512 t, __m512 t_lo, const int has_lo,
                                        __m512 *d_hi, __m512 *d_lo, __m512 *s_lo)
{
    *d_hi = fa_one_plus_512(z, d_lo);
    /* t v: t itself for w < 0, t z (hi + lo, z scaled) for w >= 0.  The scale is floored at -100 (t z is
     * then nothing next to d for |t| < 2^70; the callers replace the lanes with a larger t), so that no
     * lane computes with subnormals (a microcode assist each: gelu's tanh form took 4.4 ns per element
     * on normal(0, 4) data without it) */
    __m512 sz = _mm512_scalef_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(z.scale, _mm512_set1_ps(-100.0f)));
    __m512 zh = _mm512_mul_ps(z.hi, sz), zl = _mm512_mul_ps(z.lo, sz);
    __m512 p = _mm512_mul_ps(t, zh);
    __m512 p_lo = _mm512_fmadd_ps(t, zl, _mm512_fmsub_ps(t, zh, p));
    __m512 w_hi = _mm512_mask_blend_ps(neg, p, t), w_lo;
    if (has_lo)
        w_lo = _mm512_mask_blend_ps(neg, _mm512_fmadd_ps(t_lo, zh, p_lo), t_lo);
    else
        w_lo = _mm512_maskz_mov_ps(~neg, p_lo);
    __m512 s_hi = fa_two_sum_512(*d_hi, w_hi, s_lo);
    *s_lo = _mm512_add_ps(*s_lo, _mm512_add_ps(*d_lo, w_lo));
    return s_hi;
}

static inline __m512 fa_sig_deriv_times_512(__m512 g, fa_f2 z, __mmask16 neg, __m512 s_hi, __m512 s_lo,
                                            __m512 d_hi, __m512 d_lo)
{
    /* N = u S (u = z unscaled for w < 0, its scale put on at the end) */
    __m512 u_hi = _mm512_mask_blend_ps(neg, _mm512_set1_ps(1.0f), z.hi), u_lo = _mm512_maskz_mov_ps(neg, z.lo);
    __m512 n_hi = _mm512_mul_ps(u_hi, s_hi);
    __m512 n_lo = _mm512_add_ps(_mm512_fmsub_ps(u_hi, s_hi, n_hi), _mm512_fmadd_ps(u_hi, s_lo, _mm512_mul_ps(u_lo, s_hi)));
    /* d^2 in [1, 4] */
    __m512 dd_hi = _mm512_mul_ps(d_hi, d_hi);
    __m512 dd_lo = _mm512_fmadd_ps(_mm512_add_ps(d_hi, d_hi), d_lo, _mm512_fmsub_ps(d_hi, d_hi, dd_hi));
    __m512 y = _mm512_rcp14_ps(dd_hi);
    __m512 q0 = _mm512_mul_ps(n_hi, y);
    __m512 rho = _mm512_fnmadd_ps(q0, dd_hi, n_hi);                       /* exact (FMA) */
    __m512 q_lo = _mm512_mul_ps(_mm512_fnmadd_ps(q0, dd_lo, _mm512_add_ps(rho, n_lo)), y);
    return fa_mul_f2_lift_512(g, q0, q_lo, _mm512_maskz_mov_ps(neg, z.scale));
}

/* A root x0 = r_hi + r_lo + r_lo2 of S, its slope s1 = s1_hi + s1_lo and the rest of its expansion,
 * S = s1 h + h^2 Q(h) for h = x - x0, Q(h) = q[0] + q[1] h + ... + q[5] h^5, used for |h| < 0.1 */
typedef struct { float r_hi, r_lo, r_lo2, s1_hi, s1_lo, q[6]; } fa_root;

/* g D from fa_sig_deriv_s_512's S and d: S from the root's expansion near it (renormalised, TwoSum, so
 * that the quotient's first estimate carries S); g from x_big on, where D is 1 to float precision; lanes
 * below x_low, NaN, and g from g_max on (g q0 could overflow where the result does not) recomputed one
 * by one by f1, but for finite x below x_low with |g| below g_zero, where D (negative there) is so small
 * that g D rounds to -0 g's sign (fa_fix_lanes_below) */
static inline __m512 fa_sig_deriv_finish_512(__m512 g, __m512 x, fa_f2 z, __mmask16 neg, __m512 s_hi, __m512 s_lo,
                                             __m512 d_hi, __m512 d_lo, const fa_root *rt, float x_low, float x_big,
                                             float g_max, float g_zero, float (*f1)(float, float, double))
{
    __mmask16 root = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(x, _mm512_set1_ps(rt->r_hi))),
                                        _mm512_set1_ps(0.1f), _CMP_LT_OQ);
    if (root) {
        __m512 a_lo, hf, a_hi = fa_root_linear_512(x, rt->r_hi, rt->r_lo, rt->r_lo2, rt->s1_hi, rt->s1_lo, &a_lo, &hf);
        __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(rt->q[5]), hf, _mm512_set1_ps(rt->q[4]));
        for (int k = 3; k >= 0; k--)
            p = _mm512_fmadd_ps(p, hf, _mm512_set1_ps(rt->q[k]));
        __m512 r_lo, r_hi = fa_two_sum_512(a_hi, _mm512_fmadd_ps(_mm512_mul_ps(hf, hf), p, a_lo), &r_lo);
        s_hi = _mm512_mask_blend_ps(root, s_hi, r_hi);
        s_lo = _mm512_mask_blend_ps(root, s_lo, r_lo);
    }
    __m512 r = fa_sig_deriv_times_512(g, z, neg, s_hi, s_lo, d_hi, d_lo);
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(x_big), _CMP_GE_OQ), r, g);
    __mmask16 odd = (__mmask16)~(_mm512_cmp_ps_mask(x, _mm512_set1_ps(x_low), _CMP_GE_OQ)
                                 & _mm512_cmp_ps_mask(_mm512_abs_ps(g), _mm512_set1_ps(g_max), _CMP_LT_OQ));
    return fa_fix_lanes_below(r, g, x, odd, x, x_low, g_zero, -0.0f, 0.0f, f1, 0.0);
}

/* silu's backward in its exp form, which its span takes for the lanes the table leaves (|x| from 11.5625,
 * NaN, infinite g): g sigmoid(x) (1 + x sigmoid(-x)) for x in [-150, 32), w = t = x.  S = d + x v crosses
 * zero at x0 = -1.27846 (1 + x0 + e^x0 = 0), where it would keep only z's absolute 2^-30: for
 * |x - x0| < 0.1, S = h + c expm1(h) with h = x - x0, c = e^x0 = -(1 + x0), that is S = -x0 h + c h^2
 * (1/2 + h/6 + ... + h^5/7!), exact to its own relative 2^-28.  From 32 on (+inf included) the
 * derivative is 1 to 2^-38 (and t z, with z's scale floored, would not be small there); NaN, -inf and
 * x < -150 (where e^x leaves float's exponent range) go one by one, and so does g from 2^118: q0 is up
 * to 2 u |S| / d^2 <= 302 before its scaling (|S| <= 151 at x = -150). */
static const fa_root FA_SILU_ROOT = {-0x1.474974p+0f, 0x1.bdf6fap-27f, 0x1.03945ap-53f, 0x1.474974p+0f,
                                     -0x1.bdf6fap-27f, {0x1.1d25d0p-3f, 0x1.7c326ap-5f, 0x1.7c326ap-7f,
                                     0x1.302854p-9f, 0x1.958b1cp-12f, 0x1.cf7a68p-15f}};  /* c/2!, ..., c/7! */

FA_KERNEL __m512 fa_silu_backward_far_512(__m512 g, __m512 x, __m512 thi0, __m512 thi1, __m512 tlo0,
                                              __m512 tlo1)
{
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 a = _mm512_max_ps(_mm512_set1_ps(-176.0f), _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN)));
    fa_f2 z = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    __m512 d_hi, d_lo, s_lo, s_hi = fa_sig_deriv_s_512(z, neg, x, _mm512_setzero_ps(), 0, &d_hi, &d_lo, &s_lo);
    /* (below -150 |D| < 151 e^-150 < 2^-208: g D rounds to -0 for |g| < 2^58) */
    return fa_sig_deriv_finish_512(g, x, z, neg, s_hi, s_lo, d_hi, d_lo, &FA_SILU_ROOT, -150.0f, 32.0f, 0x1p118f,
                                   0x1p58f, fa_silu_backward_1);
}

/* (the lanes below -150 and from 32 on settled in the loop, as fa_silu_backward_far_512 would; without a
 * branch in the dense mode, which silu's takes only on data with many |x| beyond 11.5625: a tenth of
 * normal(0, 4) data at +-1e4 or -inf 211-215 -> 188-197 us per 1e6 on 2 threads) */
static inline __mmask16 fa_silu_backward_settle_512(__m512 g, __m512 x, __mmask16 far, const int dense, __m512 *v)
{
    return fa_settle_backward_512(g, x, far, -150.0f, 32.0f, 0x1p58f, -0.0f, !dense, v);
}

/* silu's backward: FA_SILU_D_ATAB (V(a) = sigmoid(-a) (1 - a sigmoid(a)), root at 1.27846) for
 * |x| < 11.5625 and finite g; fa_silu_backward_far_512 for the other lanes */
static inline __m512i fa_silu_backward_slot_512(__m512 x)
{
    return fa_atab_odd_slot_512(&FA_SILU_D_ATAB, x);
}

FA_KERNEL __m512 fa_silu_backward_near_512(__m512 g, __m512 x, __m512i slot, __mmask16 *far)
{
    return fa_atab_backward_512(&FA_SILU_D_ATAB, g, x, slot, INFINITY, far);
}

/* gelu's tanh form's backward, g sigmoid(w) (1 + x w' sigmoid(-w)) with w = 2u = k x (1 + c x^2), for x in
 * [-12, 8): w and t = x w' = k x (1 + 3c x^2) as hi + lo (fa_gelu_cubic_512), z = exp(-|w|) with w's low
 * part taken to first order.  S = 1 + e^w + t crosses zero at x0 = -0.752461, S'(x0) = 2.4607: for
 * |x - x0| < 0.1, its Taylor series to h^7 (truncation 2^-34 of S).  From 8 on the derivative is 1 to
 * 2^-60 and the result g; below -12 (w < -142), NaN, and g from 2^117 (|S| <= 389 and u <= 2 before
 * the scaling) go one by one. */
static const fa_root FA_GELU_TANH_ROOT = {-0x1.8142a0p-1f, 0x1.85a06cp-27f, 0x1.a9ea48p-52f, 0x1.3af6cep+1f,
                                          -0x1.f53b62p-24f, {-0x1.993cd4p-4f, 0x1.9a0ef6p-2f, 0x1.3720c6p-4f,
                                          0x1.f37b84p-6f, 0x1.721f46p-7f, 0x1.e3b484p-9f}};

FA_KERNEL __m512 fa_gelu_tanh_backward_512(__m512 g, __m512 x, __m512 thi0, __m512 thi1, __m512 tlo0,
                                           __m512 tlo1)
{
    __m512 w_lo, w = fa_gelu_cubic_512(x, 0x1.6e4e26p-5f, 0x1.a9003ep-30f, &w_lo);
    __m512 t_lo, t = fa_gelu_cubic_512(x, 0x1.12ba9ep-3f, -0x1.c13fd0p-28f, &t_lo);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 a = _mm512_max_ps(_mm512_set1_ps(-176.0f), _mm512_or_ps(w, _mm512_set1_ps(FA_SIGN)));
    fa_f2 z = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    /* exp(-|w + w_lo|) = z (1 -+ w_lo) */
    z.lo = _mm512_fmadd_ps(z.hi, _mm512_mask_blend_ps(neg, _mm512_sub_ps(_mm512_setzero_ps(), w_lo), w_lo), z.lo);
    __m512 d_hi, d_lo, s_lo, s_hi = fa_sig_deriv_s_512(z, neg, t, t_lo, 1, &d_hi, &d_lo, &s_lo);
    /* (below -12 |D| < 2^-196.9: g D rounds to -0 for |g| < 2^45) */
    return fa_sig_deriv_finish_512(g, x, z, neg, s_hi, s_lo, d_hi, d_lo, &FA_GELU_TANH_ROOT, -12.0f, 8.0f,
                                   0x1p117f, 0x1p45f, fa_gelu_tanh_backward_1);
}

/* softplus' backward g sigmoid(x) and log_sigmoid's g sigmoid(-x) from x: v sigmoid(x) with v = g
 * (0.55 ULP, as silu).  Lanes one by one in double (the portable path's formula): x NaN or below -120
 * (where g e^x is g times less than 2^-173, which a large g can still carry to a normal float), and
 * g NaN or beyond 2^64. */
FA_KERNEL __m512 fa_softplus_backward_512(__m512 g, __m512 x, fa_exp_pre pre, __m512 thi0, __m512 thi1,
                                          __m512 tlo0, __m512 tlo1)
{
    __mmask16 ok;
    __m512 r = fa_mul_sigmoid_512(g, x, pre, &ok, thi0, thi1, tlo0, tlo1);
    /* (e^x < 2^-173 below -120, -inf included) */
    return fa_fix_lanes_below(r, g, x, (__mmask16)~ok, x, -120.0f, 0x1p22f, 0.0f, 0.0f,
                              fa_softplus_backward_1, 0.0);
}

FA_KERNEL __m512 fa_log_sigmoid_backward_512(__m512 g, __m512 x, fa_exp_pre pre, __m512 thi0, __m512 thi1,
                                             __m512 tlo0, __m512 tlo1)
{
    __mmask16 ok;
    __m512 nx = _mm512_xor_ps(x, _mm512_set1_ps(FA_SIGN));
    __m512 r = fa_mul_sigmoid_512(g, nx, pre, &ok, thi0, thi1, tlo0, tlo1);
    /* (e^-x < 2^-173 above 120, +inf included) */
    return fa_fix_lanes_below(r, g, x, (__mmask16)~ok, nx, -120.0f, 0x1p22f, 0.0f, 0.0f,
                              fa_log_sigmoid_backward_1, 0.0);
}

/* c e^x for x <= 0 (x clamped to [-176, 0]; a NaN lane is junk, the callers' fallback takes it), c = c_hi + c_lo:
 * the unscaled product as hi + lo (2^-29), its scale 2^floor(*scale) apart (selu's and elu's negative side) */
static inline __m512 fa_times_exp_512(__m512 x, __m512 c_hi, __m512 c_lo, __m512 *lo, __m512 *scale, __m512 thi0,
                                      __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    fa_f2 e = fa_exp_raw_512(_mm512_max_ps(_mm512_set1_ps(-176.0f), _mm512_min_ps(x, _mm512_setzero_ps())),
                             thi0, thi1, tlo0, tlo1);
    __m512 p = _mm512_mul_ps(c_hi, e.hi);
    *lo = _mm512_fmadd_ps(c_hi, e.lo, _mm512_fmadd_ps(c_lo, e.hi, _mm512_fmsub_ps(c_hi, e.hi, p)));
    *scale = e.scale;
    return p;
}

/* selu's backward g scale (1 from x = 0 on, Keras's, alpha e^x below), with scale and scale alpha as
 * hi + lo floats and e^x as a hi + lo pair: the factor is kept as hi + lo (2^-29) and multiplied by g with one
 * rounding.  x NaN or below -176 (where e^x leaves the exponent range of the pair's scaling; g can
 * still make the result a normal float down to x = -175.7) take the portable path's formula, but for
 * the lanes whose result rounds to a zero (fa_fix_lanes_below). */
FA_KERNEL __m512 fa_selu_backward_512(__m512 g, __m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    const __m512 sa_hi = _mm512_set1_ps(0x1.c212ccp+0f), sa_lo = _mm512_set1_ps(0x1.903c0cp-26f);
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    __m512 p_lo, scale, p = fa_times_exp_512(x, sa_hi, sa_lo, &p_lo, &scale, thi0, thi1, tlo0, tlo1);
    __m512 hi = _mm512_mask_blend_ps(pos, p, _mm512_set1_ps(0x1.0cfabep+0f));
    __m512 lo = _mm512_mask_blend_ps(pos, p_lo, _mm512_set1_ps(-0x1.2adddap-25f));
    __m512 r = fa_mul_f2_scaled_512(g, hi, lo, _mm512_maskz_mov_ps((__mmask16)~pos, scale));
    /* (1.76 e^x < 2^-253 below -176) */
    return fa_fix_lanes_below(r, g, x, (__mmask16)~_mm512_cmp_ps_mask(x, _mm512_set1_ps(-176.0f), _CMP_GE_OQ),
                              x, -176.0f, 0x1p99f, 0.0f, 0.0f, fa_selu_backward_1, 0.0);
}

/* elu's and celu's alpha, for their backward spans: alpha = m 2^e with m in [1, 2) (or 0), so that m
 * times e^x's high part stays far from float's limits and 2^e joins the final scaling; ok = 0 for a
 * non-finite alpha, whose lanes then all go one by one. */
typedef struct { __m512 m, e, p, inv, sc; float alpha; int ok; } fa_alpha;

static inline fa_alpha fa_alpha_of(float p)
{
    fa_alpha a;
    int e = 0;
    a.ok = isfinite(p);
    float m = a.ok ? frexpf(p, &e) * 2.0f : p;
    a.m = _mm512_set1_ps(m);
    a.e = _mm512_set1_ps(m == 0.0f || !a.ok ? 0.0f : (float)(e - 1));
    a.alpha = p;
    /* p = alpha sc and inv = 1/(alpha sc), sc = 2^64 for a tiny alpha: celu's remainder x sc - v p must
     * not be subnormal */
    float sc = fabsf(p) < 0x1p-60f ? 0x1p64f : 1.0f;
    a.sc = _mm512_set1_ps(sc);
    a.p = _mm512_set1_ps(p * sc);
    a.inv = _mm512_set1_ps(1.0f / (p * sc));
    return a;
}

/* elu's backward g alpha e^x for x <= 0 (g above): alpha's mantissa times e^x (hi + lo, 2^-30) kept as
 * hi + lo and multiplied by g with one rounding.  x NaN or below -176 (g alpha e^x can be a normal float
 * down to x = -280) take the portable path's formula. */
FA_KERNEL __m512 fa_elu_backward_512(__m512 g, __m512 x, fa_alpha al, __m512 thi0, __m512 thi1, __m512 tlo0,
                                         __m512 tlo1)
{
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 p_lo, scale, p = fa_times_exp_512(x, al.m, _mm512_setzero_ps(), &p_lo, &scale, thi0, thi1, tlo0, tlo1);
    __m512 r = fa_mul_f2_scaled_512(g, p, p_lo, _mm512_add_ps(scale, al.e));
    r = _mm512_mask_blend_ps(pos, r, g);
    __mmask16 ok = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-176.0f), _CMP_GE_OQ) & (al.ok ? 0xffff : pos);
    /* (|alpha e^x| < 2^-253.9 |alpha| below -176; g alpha 0 for alpha = 0; none for a non-finite alpha) */
    float g_zero = !al.ok ? 0.0f : al.alpha == 0.0f ? INFINITY : 0x1p100f / fabsf(al.alpha);
    return fa_fix_lanes_below(r, g, x, (__mmask16)~ok, x, -176.0f, g_zero, al.alpha * 0.0f, al.alpha * 0.0f,
                              fa_elu_backward_1, al.alpha);
}

/* celu's backward g e^(x/alpha) for x <= 0 (g above).  v = x/alpha as hi + lo: v = x (1/alpha) rounded,
 * and v_lo = its remainder x - v alpha (one FMA) times 1/alpha, 2^-46 of v in all; x and alpha are
 * scaled by 2^64 for a tiny alpha, where the remainder would be subnormal.  e^v (hi + lo) times
 * (1 + v_lo), then g with one rounding.  |v| > 176 (alpha < 0 makes v positive; g e^v is finite up to
 * v = 191) and NaN take the portable path's formula. */
FA_KERNEL __m512 fa_celu_backward_512(__m512 g, __m512 x, fa_alpha al, __m512 thi0, __m512 thi1, __m512 tlo0,
                                          __m512 tlo1)
{
    const __m512 lim = _mm512_set1_ps(176.0f);
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 xn = _mm512_mul_ps(_mm512_min_ps(_mm512_setzero_ps(), x), al.sc);     /* NaN stays NaN */
    __m512 v = _mm512_mul_ps(xn, al.inv);
    __m512 v_lo = _mm512_mul_ps(_mm512_fnmadd_ps(v, al.p, xn), al.inv);
    __mmask16 in = _mm512_cmp_ps_mask(_mm512_abs_ps(v), lim, _CMP_LE_OQ);
    fa_f2 e = fa_exp_raw_512(_mm512_maskz_mov_ps(in, v), thi0, thi1, tlo0, tlo1);
    /* e^(v + v_lo) = (hi + lo)(1 + v_lo): lo v_lo counts, as lo is up to 2^-5 hi and v_lo up to 2^-16 */
    __m512 lo = _mm512_fmadd_ps(e.hi, v_lo, _mm512_fmadd_ps(e.lo, v_lo, e.lo));
    __m512 r = fa_mul_f2_scaled_512(g, e.hi, _mm512_maskz_mov_ps(in, lo), e.scale);
    r = _mm512_mask_blend_ps(pos, r, g);
    __mmask16 ok = (in & (al.ok ? 0xffff : 0)) | pos;
    /* (e^v < 2^-253.9 for v = x/alpha below -176; none for a non-finite alpha) */
    return fa_fix_lanes_below(r, g, x, (__mmask16)~ok, v, -176.0f, al.ok ? 0x1p100f : 0.0f, 0.0f, 0.0f,
                              fa_celu_backward_1, al.alpha);
}

/* glu's forward: a sigmoid(b), as v sigmoid(x) (0.54 ULP).  Lanes one by one (fa_glu_1): |a| from 2^64
 * (a / d or a z could overflow) or infinite, b below -120 (a e^b, down to 2^-173 |a|, is still a normal
 * float for a large a) or infinite, NaN. */
FA_KERNEL __m512 fa_glu_512(__m512 av, __m512 bv, fa_exp_pre pre, __m512 thi0, __m512 thi1, __m512 tlo0,
                            __m512 tlo1)
{
    __mmask16 ok;
    __m512 q = fa_mul_sigmoid_512(av, bv, pre, &ok, thi0, thi1, tlo0, tlo1);
    q = _mm512_or_ps(q, _mm512_and_ps(av, _mm512_set1_ps(FA_SIGN)));     /* a = -0: -0 */
    return fa_fix_lanes(q, av, bv, (__mmask16)~ok, fa_glu_1, 0.0);
}

/* glu's backward, da = g sigmoid(b) and db = g a sigmoid(b) sigmoid(-b), from one z = exp(-|b|) (hi + lo)
 * and d = 1 + z: da = g u / d from fa_sigmoid_parts_512 (u = 1 or z), db = (g u / d) (a v / d) with
 * v = z or 1, the other, and z's scale for either sign of b.
 * Each is rounded once from ~2^-27.  Lanes one by one (fa_glu_backward_1): |b| beyond 120 or NaN, g or
 * a beyond 2^60 or nonzero below 2^-100 (overflow, or a quotient's residual below FLT_MIN), nonzero
 * results below FLT_MIN (rounded a second time by the scaling: 0.76 subnormal ULP) and db below 2^-100. */
static inline void fa_glu_backward_512(__m512 av, __m512 bv, __m512 g, __m512 *da, __m512 *db, __m512 thi0,
                                       __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    __mmask16 neg = _mm512_cmp_ps_mask(bv, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 d_hi, d_lo, n_hi, n_lo;
    fa_f2 z = fa_sigmoid_parts_512(g, bv, neg, 1, &d_hi, &d_lo, &n_hi, &n_lo, thi0, thi1, tlo0, tlo1, NULL);
    /* da's quotient g u / d as q + e (fa_div_f2_512's steps, e = its correction), and a v / d the same
     * way (v = z for b >= 0, 1 below; a v exact as m + m_lo): db = (q + e)(q2 + e2) 2^scale, one
     * rounding, since u v = z whatever b's sign.  (As g a z / d^2 it took ten instructions more.) */
    __m512 y = _mm512_rcp14_ps(d_hi);
    __m512 q = _mm512_mul_ps(n_hi, y);
    __m512 c = _mm512_fnmadd_ps(q, d_lo, _mm512_add_ps(_mm512_fnmadd_ps(q, d_hi, n_hi), n_lo));
    __m512 e = _mm512_mul_ps(c, y);
    __m512 m = _mm512_mul_ps(av, z.hi);
    __m512 m_lo = _mm512_maskz_fmadd_ps((__mmask16)~neg, av, z.lo, _mm512_fmsub_ps(av, z.hi, m));
    m = _mm512_mask_blend_ps(neg, m, av);
    __m512 q2 = _mm512_mul_ps(m, y);
    __m512 e2 = _mm512_mul_ps(_mm512_fnmadd_ps(q2, d_lo, _mm512_add_ps(_mm512_fnmadd_ps(q2, d_hi, m), m_lo)), y);
    *da = _mm512_scalef_ps(_mm512_fmadd_ps(c, y, q), _mm512_maskz_mov_ps(neg, z.scale));
    *db = _mm512_scalef_ps(_mm512_fmadd_ps(q, q2, _mm512_fmadd_ps(q, e2, _mm512_mul_ps(e, q2))), z.scale);
    /* the signs of g and of g a also where a result is zero (the residual steps can turn -0 into +0) */
    const __m512 sign = _mm512_set1_ps(FA_SIGN);
    *da = _mm512_or_ps(*da, _mm512_and_ps(g, sign));
    *db = _mm512_or_ps(*db, _mm512_and_ps(_mm512_xor_ps(g, av), sign));
}

static inline __mmask16 fa_glu_ok_512(__m512 v)
{
    __m512 m = _mm512_abs_ps(v);
    return _mm512_cmp_ps_mask(m, _mm512_set1_ps(0x1p60f), _CMP_LT_OQ)
           & (_mm512_cmp_ps_mask(m, _mm512_set1_ps(0x1p-100f), _CMP_GE_OQ)
              | _mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_EQ_OQ));
}

/* softsign, x / (1 + |x|): a = |x|, 1 + a exact as hi + lo (Fast2Sum on the larger and the smaller) and
 * a / (1 + a) from rcp14 and one residual step (fa_div_f2_512, ~2^-28), rounded once; x's sign put back
 * (-0 stays -0, NaN propagates).  From 2^26 on the result rounds to +-1 (and +-inf would give NaN). */
FA_KERNEL __m512 fa_softsign_512(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 a = _mm512_abs_ps(x);
    __m512 big = _mm512_max_ps(a, one), small = _mm512_min_ps(a, one);
    __m512 d = _mm512_add_ps(a, one);
    __m512 d_lo = _mm512_add_ps(_mm512_sub_ps(big, d), small);
    __m512 q = fa_div_f2_512(a, _mm512_setzero_ps(), d, d_lo);
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(0x1p26f), _CMP_GE_OQ), q, one);
    return _mm512_or_ps(q, _mm512_and_ps(x, _mm512_set1_ps(FA_SIGN)));
}

/* hard_silu's backward, lane for lane the float32 form of _scalar.pxd (fa_hard_silu_inner_f32: g (2x +
 * 3)/6 rounded once, inside 0 < x + 3 < 6; g above, g * 0 below, x where x is NaN).  GCC's
 * vectorisation of that loop took 37 vector instructions per 16 elements, 0.29 ns per element on one
 * thread; this takes 25. */
FA_KERNEL __m512 fa_hard_silu_backward_512(__m512 g, __m512 x)
{
    const __m512 three = _mm512_set1_ps(3.0f), sixth = _mm512_set1_ps(1.0f / 6.0f);
    /* above: 0 < x + 3 < 6 fails upwards (g), below: downwards (g * 0); NaN x, neither, gives x */
    __m512 t = _mm512_add_ps(x, three);
    __mmask16 above = _mm512_cmp_ps_mask(t, _mm512_set1_ps(6.0f), _CMP_GE_OQ);
    __mmask16 below = _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_LE_OQ);
    /* u = 2x + 3 as u + u_lo, u/6 as r + r_lo.  u_lo by Fast2Sum on max(2x, 3) and min(2x, 3): the
     * larger in magnitude, except for 2x below -3, where u is exact (Sterbenz) and so is the sum; it is
     * the error TwoSum gives in _scalar.pxd, one instruction less */
    __m512 x2 = _mm512_add_ps(x, x), u = _mm512_add_ps(x2, three);
    __m512 u_lo = _mm512_add_ps(_mm512_sub_ps(_mm512_max_ps(x2, three), u), _mm512_min_ps(x2, three));
    __m512 r = _mm512_mul_ps(u, sixth);
    __m512 r_lo = _mm512_mul_ps(_mm512_add_ps(_mm512_fnmadd_ps(r, _mm512_set1_ps(6.0f), u), u_lo), sixth);
    /* g below 2^-100 taken times 2^64 and the result back; an infinite (or NaN) g takes no low part */
    __m512 ag = _mm512_abs_ps(g);
    __mmask16 tiny = fa_small_nonzero_512(g, 0x1p-100f);
    __m512 gs = tiny ? _mm512_mask_mul_ps(g, tiny, g, _mm512_set1_ps(0x1p64f)) : g;
    __m512 c = _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(ag, _mm512_set1_ps(INFINITY), _CMP_LT_OQ), gs, r_lo);
    __m512 y = _mm512_fmadd_ps(gs, r, c);
    if (tiny)
        y = _mm512_mask_mul_ps(y, tiny, y, _mm512_set1_ps(0x1p-64f));
    y = _mm512_mask_mov_ps(y, above, g);
    y = _mm512_mask_mul_ps(y, below, g, _mm512_setzero_ps());
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

FA_KERNEL __m512 fa_exponential_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    /* exp(x): th + t rounded once to float, then scaled (exact, except in the subnormal
     * range, where the absolute error stays below FLT_MIN).  Clamped to [-104, 89], NaN kept: below,
     * exp rounds to 0; above, the scaling overflows to inf. */
    __m512 a = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 t, scale, th = fa_exp_parts_512(a, thi0, thi1, tlo0, tlo1, &t, &scale);
    return _mm512_scalef_ps(_mm512_add_ps(th, t), scale);
}

/* Prefetch the cache line of p[k].  Every pass that streams arrays through a span prefetches them
 * itself: this machine's hardware prefetchers leave a compute-bound loop waiting on memory once its
 * arrays outgrow L2.  The elementwise spans prefetch every array FA_AHEAD elements ahead: with 512
 * (32 lines) on the Intel VM, silu's forward went 0.49 -> 0.43 ns per element at 1e6 elements, 0.88 ->
 * 0.55 at 1.6e7, gelu's 0.83 -> 0.71 and 1.6 -> 0.80 (one thread).  On AMD Zen 5, 2048 (128 lines)
 * beats 512 from memory (2 threads, 1.6e7 elements, out=: tanh 1.65 -> 1.22 ms, sigmoid 2.00 ->
 * 1.90, glu on rows of 1000, whose halves are spans of 500, 2.92 -> 1.30) and ties it in L3 (1e6);
 * 1024 gave most of it, 4096 and 8192 no more.  The row passes that read a row from L1 (softmax's)
 * prefetch the next row instead, whose first pass would otherwise wait on memory.  p[k] is never read
 * (a prefetch does not fault), so it may lie past the array's end. */
#define FA_AHEAD 2048
/* ... but the backward spans of a few instructions per element (sigmoid's, tanh's and hard_silu's, the
 * rows with backward_streams in _table.py), which run at the memory's speed, prefetch 1024 ahead, from
 * the same size on: in L3 the later lines come back too late for them without their own prefetches
 * (Zen 5 keeps ~60 floating-point operations in flight, ~4 of their blocks: too few loads outstanding),
 * and 2048 ahead did no better than none.  tanh's, 2 threads, 1e6 elements (L3), NumPy's offsets, two
 * data sets in turn, medians of 41 rounds (C, one run, 10 calls each; the rows in four runs): none
 * 68.9-72.0 us, 512 63.5-71.2, 1024 60.3-66.3, 1536 70.1-72.0, 2048 68.6-72.9, a plain g (1 - y y)
 * loop 64.2-68.5; at 3e5 1024 ties none (17.3 / 17.7), at 1.6e7 (DRAM) all tie (3.79-3.95 ms).  At the
 * AVX2 level these rows keep prefetching only beyond the last-level cache (_kernels.pyx.tp's
 * STREAM_PREFETCH_FROM, measured on AMD Zen 3). */
#define FA_AHEAD_STREAM 1024

/* (always_inline: called from an always_inline span, a plain inline one was found to have no side
 * effects and its calls deleted as dead code before it was inlined, by GCC 12: no prefetch at all) */
static inline __attribute__((always_inline)) void fa_prefetch(const float *p, ptrdiff_t k)
{
    _mm_prefetch((const char *)((uintptr_t)p + (uintptr_t)k * sizeof(float)), _MM_HINT_T0);
}

/* The elementwise spans prefetch only where the caller says their arrays are beyond L2 (pf: a call of
 * 1 MB or more per thread, _kernels.pyx.tp's PREFETCH_FROM); in L2 the prefetches only took load
 * slots.  One thread, 64K elements, cycles per block of 16 without and with them: sigmoid's backward
 * 4.6 / 7.1, tanh's 4.5 / 5.9, softplus' 16.6 / 17.9; two threads, 1e5 elements, out=: sigmoid' 6.0 /
 * 7.0 us, tanh' 6.3 / 7.1.  From L3 on they mostly help: 1e6 elements, time without / with: gelu'
 * 1.12, silu' 1.06, tanh' 1.05, sigmoid' 0.95 (the noise of such runs is ~5%).  Each span is compiled
 * twice, with pf_ a constant: no test per block. */
#define FA_PF(p) FA_PF_AT(p, FA_AHEAD)
#define FA_PF_AT(p, ahead) if (pf_) fa_prefetch(p, j + (ahead))


/* The head runs up to out's next 64-byte boundary (NumPy's large buffers sit 16 bytes past one, and
 * zmm stores split over two cache lines cost ~9% in a standalone run); the tail is what is left.  Both
 * are masked.  A span shorter than FA_HEAD_MIN has no head: there the extra block would cost more than
 * the split lines (a softmax row of 16 floats 32 bytes past a boundary took two blocks per pass).
 * BLOCK computes and stores the block of 16 from j under the mask m_ (all-ones in the body, where the
 * masked loads and stores compile to plain ones). */
#define FA_HEAD_MIN 64

static inline ptrdiff_t fa_head_bytes(const void *out, ptrdiff_t n)
{
    return n < FA_HEAD_MIN ? 0 : (ptrdiff_t)(((uintptr_t)0 - (uintptr_t)out) & 63u);
}

static inline ptrdiff_t fa_head_len(const float *out, ptrdiff_t n)
{
    return fa_head_bytes(out, n) / (ptrdiff_t)sizeof(float);
}

/* FA_SPAN_LOOP's and FA_SPLIT_LOOP's head and tail (masked blocks; the block's text may hold commas) */
#define FA_LOOP_HEAD(...)                                                                               \
    ptrdiff_t i = fa_head_len(out, n), j = 0;                                                           \
    __mmask16 m_;                                                                                       \
    if (i > n)                                                                                          \
        i = n;                                                                                          \
    if (i > 0) {                                                                                        \
        m_ = fa_lanes_left(i);                                                                          \
        __VA_ARGS__;                                                                                    \
    }
#define FA_LOOP_TAIL(...)                                                                               \
    if (i < n) {                                                                                        \
        j = i;                                                                                          \
        m_ = fa_lanes_left(n - i);                                                                      \
        __VA_ARGS__;                                                                                    \
    }

#define FA_SPAN_LOOP(BLOCK)                                                                             \
    FA_LOOP_HEAD(BLOCK)                                                                                 \
    for (; i + 16 <= n; i += 16) {                                                                      \
        j = i;                                                                                          \
        m_ = (__mmask16)0xffff;                                                                         \
        BLOCK;                                                                                          \
    }                                                                                                   \
    FA_LOOP_TAIL(BLOCK)

/* A loop over a span like FA_SPAN_LOOP, for kernels in two stages: PRE(x) (of type T), the start of a
 * block's dependency chain (gelu's and silu's table slot, sigmoid's exp reduction), and the block
 * itself (BLOCK, with the block's lanes of XS in xv_ and PRE's result in pre_; XS is the array PRE reads:
 * x, the saved x of a backward).  In the body the next block's xv_ and PRE are taken before the block is
 * computed (software pipelining): PRE's chain then overlaps the previous block's instead of waiting
 * behind it.  AMD Zen 5 does not find that overlap itself: it keeps ~60 floating-point operations in
 * flight (a loop of blocks of 24 dependent fmas ran at 41 cycles per block, of two independent chains
 * of 12 at 13.9).  The body stops one block short of the end, so that the next block is always whole (a
 * masked load there cost more than the pipelining gained); that block and the tail, like the head, take
 * PRE directly.  One thread, 64K elements in L2, cycles per block of 16, normal(0, 1) / normal(0, 4)
 * data (medians of two runs each): silu's backward 19.8 / 20.4 -> 16.8 / 17.5, gelu's 21.6 / 36.2 ->
 * 18.2 / 28.6, gelu 14.6 / 24.1 -> 12.6 / 20.2, sigmoid 12.4 -> 10.9; the same bits.  (PRE carries no
 * mask: sigmoid's beyond-FA_COMMON_X mask carried with its reduction made it 14.1, spilt around the
 * rare branch; the block takes its own masks.) */
#define FA_PIPE_HEAD(XS, T, PRE, BLOCK)                                                                 \
    ptrdiff_t i = fa_head_len(out, n), j = 0;                                                           \
    __mmask16 m_;                                                                                       \
    __m512 xv_;                                                                                         \
    T pre_;                                                                                             \
    if (i > n)                                                                                          \
        i = n;                                                                                          \
    if (i > 0) {                                                                                        \
        m_ = fa_lanes_left(i);                                                                          \
        xv_ = _mm512_maskz_loadu_ps(m_, (XS) + j);                                                      \
        pre_ = PRE(xv_);                                                                                \
        BLOCK;                                                                                          \
    }
/* (the body's first block loaded; then, for each block, its xv_ and pre_ taken and the next one's
 * loaded) */
#define FA_PIPE_START(XS, T, PRE)                                                                       \
    __m512 nx_ = _mm512_loadu_ps((XS) + i);                                                             \
    T np_ = PRE(nx_);                                                                                   \
    m_ = (__mmask16)0xffff;
#define FA_PIPE_NEXT(XS, PRE)                                                                           \
    j = i;                                                                                              \
    xv_ = nx_;                                                                                          \
    pre_ = np_;                                                                                         \
    nx_ = _mm512_loadu_ps((XS) + i + 16);                                                               \
    np_ = PRE(nx_);
#define FA_PIPE_TAIL(XS, PRE, BLOCK)                                                                    \
    for (; i < n; i += 16) {            /* the last whole block and the tail */                         \
        j = i;                                                                                          \
        m_ = fa_lanes_left(n - i);                                                                      \
        xv_ = _mm512_maskz_loadu_ps(m_, (XS) + j);                                                      \
        pre_ = PRE(xv_);                                                                                \
        BLOCK;                                                                                          \
    }
#define FA_PIPE_LOOP(XS, T, PRE, BLOCK)                                                                 \
    FA_PIPE_HEAD(XS, T, PRE, BLOCK)                                                                     \
    if (i + 32 <= n) {                                                                                  \
        FA_PIPE_START(XS, T, PRE)                                                                       \
        for (; i + 32 <= n; i += 16) {                                                                  \
            FA_PIPE_NEXT(XS, PRE)                                                                       \
            BLOCK;                                                                                      \
        }                                                                                               \
    }                                                                                                   \
    FA_PIPE_TAIL(XS, PRE, BLOCK)

/* SETUP declares what the loop keeps in registers, ARGS passes it on to NAME_512. */
#define FA_SPAN(NAME, SETUP, ARGS)                                                                      \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *x, float *out, ptrdiff_t n, \
                                                                      const int pf_)                    \
{                                                                                                       \
    SETUP                                                                                               \
    FA_SPAN_LOOP(FA_PF(x); FA_PF(out);                                                                  \
                 _mm512_mask_storeu_ps(out + j, m_, fa_##NAME##_512(_mm512_maskz_loadu_ps(m_, x + j) ARGS))) \
}                                                                                                       \
FA_SPAN_PF(NAME)
/* fa_NAME_SFX_span(x, out, n, pf): fa_NAME_SFX_run compiled for either pf (T: float, or double for
 * _spans_f64.h's) */
#define FA_RUN_PF(NAME, SFX, T)                                                                         \
static inline void fa_##NAME##_##SFX##_span(const T *x, T *out, ptrdiff_t n, int pf)                    \
{                                                                                                       \
    if (pf)                                                                                             \
        fa_##NAME##_##SFX##_run(x, out, n, 1);                                                          \
    else                                                                                                \
        fa_##NAME##_##SFX##_run(x, out, n, 0);                                                          \
}
#define FA_SPAN_PF(NAME) FA_RUN_PF(NAME, f32, float)
/* FA_SPAN for a kernel in two stages, PRE(x) (of type T) and fa_NAME_512(x, pre ARGS), with the first a
 * block ahead (FA_PIPE_LOOP) */
#define FA_PIPE_SPAN(NAME, T, PRE, SETUP, ARGS)                                                         \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *x, float *out, ptrdiff_t n, \
                                                                      const int pf_)                    \
{                                                                                                       \
    SETUP                                                                                               \
    FA_PIPE_LOOP(x, T, PRE, FA_PF(x); FA_PF(out);                                                       \
                 _mm512_mask_storeu_ps(out + j, m_, fa_##NAME##_512(xv_, pre_ ARGS)))                   \
}                                                                                                       \
FA_SPAN_PF(NAME)
#define FA_EXP_SETUP                                                                                    \
    const __m512 thi0 = _mm512_loadu_ps(FA_T_HI), thi1 = _mm512_loadu_ps(FA_T_HI + 16);                 \
    const __m512 tlo0 = _mm512_loadu_ps(FA_T_LO), tlo1 = _mm512_loadu_ps(FA_T_LO + 16);
#define FA_EXP_ARGS , thi0, thi1, tlo0, tlo1
/* v's bits less j's, integer-wise (FA_SIG_SETUP's tables) */
static inline __m512 fa_sub_bits(__m512 v, __m512i j)
{
    return _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(v), j));
}

/* ... and with T[0] split as (1 - 2^-24) + 2^-24, so that no low part is 0: fa_sigmoid_near_512 scales
 * both parts by adding to their exponent fields, which needs every part normal.  Each T[j]'s bits are
 * stored less j 2^18, so that adding k 2^18 (kf's bits shifted) adds floor(k/32) 2^23 without masking
 * k mod 32 off first: one instruction fewer, sigmoid 2-3% faster (silu too, before its table form), the
 * same bits over all 2^32 inputs. */
#define FA_SIG_SETUP FA_EXP_SETUP                                                                      \
    const __m512i jj0_ = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 18); \
    const __m512i jj1_ = _mm512_add_epi32(jj0_, _mm512_set1_epi32(16 << 18));                            \
    const __m512 t1hi0 = fa_sub_bits(_mm512_mask_mov_ps(thi0, 1, _mm512_set1_ps(0x1.fffffep-1f)), jj0_);    \
    const __m512 t1hi1 = fa_sub_bits(thi1, jj1_);                                                         \
    const __m512 t1lo0 = fa_sub_bits(_mm512_mask_mov_ps(tlo0, 1, _mm512_set1_ps(0x1p-24f)), jj0_);          \
    const __m512 t1lo1 = fa_sub_bits(tlo1, jj1_);
#define FA_SIG_ARGS FA_EXP_ARGS, t1hi0, t1hi1, t1lo0, t1lo1
#define FA_ALPHA_SETUP const fa_alpha alpha = fa_alpha_of(p);
#define FA_ALPHA_ARGS , alpha FA_EXP_ARGS
FA_PIPE_SPAN(sigmoid, fa_exp_pre, fa_sigmoid_pre_512, FA_SIG_SETUP, FA_SIG_ARGS)
FA_SPAN(tanh, , )
FA_SPAN(tanh_shrink, , )
FA_SPAN(softsign, , )
FA_SPAN(exponential, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPAN(gelu_tanh, FA_EXP_SETUP, FA_EXP_ARGS)

/* out[i] = NAME(a[i], b[i]) over one span (glu's halves; the backward passes: grad, saved), head and
 * tail masked; SETUP and ARGS as for FA_SPAN, and p the row's first parameter (elu's and celu's alpha) */
#define FA_SPAN2(NAME, AHEAD, SETUP, ARGS)                                                              \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *a, const float *b, float *out, \
                                                                      ptrdiff_t n, float p, const int pf_) \
{                                                                                                       \
    (void)p;                                                                                            \
    SETUP                                                                                               \
    FA_SPAN_LOOP(FA_PF_AT(a, AHEAD); FA_PF_AT(b, AHEAD); FA_PF_AT(out, AHEAD);                          \
                 _mm512_mask_storeu_ps(out + j, m_, fa_##NAME##_512(_mm512_maskz_loadu_ps(m_, a + j),   \
                                                                    _mm512_maskz_loadu_ps(m_, b + j) ARGS))) \
}                                                                                                       \
FA_SPAN2_PF(NAME)
/* fa_NAME_SFX_span(a, b, out, n, p, pf): fa_NAME_SFX_run compiled for either pf */
#define FA_RUN2_PF(NAME, SFX, T)                                                                        \
static inline void fa_##NAME##_##SFX##_span(const T *a, const T *b, T *out, ptrdiff_t n, T p, int pf)   \
{                                                                                                       \
    if (pf)                                                                                             \
        fa_##NAME##_##SFX##_run(a, b, out, n, p, 1);                                                    \
    else                                                                                                \
        fa_##NAME##_##SFX##_run(a, b, out, n, p, 0);                                                    \
}
#define FA_SPAN2_PF(NAME) FA_RUN2_PF(NAME, f32, float)
/* FA_SPAN2 for a kernel in two stages, PRE(b) (of type T) and fa_NAME_512(a, b, pre ARGS), with the
 * first a block ahead (FA_PIPE_LOOP) */
#define FA_PIPE_SPAN2(NAME, T, PRE, SETUP, ARGS)                                                        \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *a, const float *b, float *out, \
                                                                      ptrdiff_t n, float p, const int pf_) \
{                                                                                                       \
    (void)p;                                                                                            \
    SETUP                                                                                               \
    FA_PIPE_LOOP(b, T, PRE, FA_PF(a); FA_PF(b); FA_PF(out);                                             \
                 _mm512_mask_storeu_ps(out + j, m_, fa_##NAME##_512(_mm512_maskz_loadu_ps(m_, a + j), xv_, \
                                                                    pre_ ARGS)))                        \
}                                                                                                       \
FA_SPAN2_PF(NAME)
FA_PIPE_SPAN2(glu, fa_exp_pre, fa_sigmoid_pre_512, FA_EXP_SETUP, FA_EXP_ARGS)

/* Spans of kernels with a common form (NAME_near_512, which also says which lanes it leaves) and a
 * costly one for the rare lanes it leaves (NAME_far_512): the common form runs on every block, and the
 * lanes it leaves are gathered into a buffer (a forward's NAME_settle_512 first settles those whose
 * result is the input: gelu's x from 5.5 on); once it holds FA_FAR_MAX of them (and at the end) they
 * are computed 16 at a time, their results stored back to their places.  On normal(0, 4) data 8.5% of
 * gelu's lanes are far (x <= -5.5), in 76% of the blocks: per block, both forms would cost 1.6 times
 * the common one (2.7 times on AMD Zen 5).  Emptying the buffer every 16 lanes instead made gelu take
 * 0.66 ns per element there rather than 0.55 (one thread, 1e5 elements, before x >= 5.5 stopped being
 * far): a mispredicted branch each time, and loads that waited on the buffer's stores.
 *
 * Whether a block has far lanes is a branch the predictor cannot learn on such data (it mispredicts
 * in about as many blocks as it is taken in, up to half), so the loop runs in chunks of FA_SPLIT_CHUNK
 * blocks, each in one of two modes by how many of the previous chunk's blocks had far lanes: sparse
 * (fewer than FA_SPLIT_DENSE of them, a quarter), a branch around the gathering, or dense, every block gathered
 * without a branch (an empty mask appends nothing).  Both modes gather the same lanes in the same
 * order, so each lane's result still depends on its inputs alone.  gelu, one thread, 1e6 elements
 * never seen before (AMD Zen 5): normal(0, 4) 0.49 -> 0.41 ns per element, normal(0, 2.5) 0.51 ->
 * 0.35; normal(0, 1) and (0, 2), where (almost) no chunk is dense, unchanged.  (On data it has seen before, over and over,
 * the predictor of that machine learns the branch of a span of 500k elements: a benchmark that times
 * the same array again and again flatters the sparse form there.) */
#define FA_FAR_MAX 256
#define FA_SPLIT_CHUNK 64
#define FA_SPLIT_DENSE 16
typedef struct { float a[FA_FAR_MAX + 16], b[FA_FAR_MAX + 16]; int32_t at[FA_FAR_MAX + 16]; int n; } fa_far_buf;

/* the far lanes of the block at j appended (b too where `two`; j: the block's offset in a part of a
 * span, below 2^30) */
static inline void fa_far_push(fa_far_buf *q, __mmask16 far, __m512 a, __m512 b, ptrdiff_t j, const int two)
{
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int k = q->n;
    _mm512_storeu_ps(q->a + k, _mm512_maskz_compress_ps(far, a));
    if (two)
        _mm512_storeu_ps(q->b + k, _mm512_maskz_compress_ps(far, b));
    _mm512_storeu_si512(q->at + k, _mm512_maskz_compress_epi32(far, _mm512_add_epi32(lane, _mm512_set1_epi32((int)j))));
    q->n = k + __builtin_popcount(far);
}

/* CALL, on the buffered lanes FA_FAR_IN(q, a) (and b) 16 at a time, each result stored to its place in
 * out; the buffer is left empty.  (The lanes beyond n are zeros.)  Two calls per step, written side by
 * side, so that their long dependency chains overlap: gelu's far form 31.6 -> 26.1 cycles per 16 lanes
 * (one thread, AMD Zen 5, the buffer alone), where the out-of-order window held about one and a half. */
#define FA_FAR_IN(q, v) _mm512_maskz_loadu_ps(f_, (q).v + k_)
#define FA_FAR_FLUSH(q, CALL)                                                                           \
    for (int k0_ = 0; k0_ < (q).n; k0_ += 32) {                                                         \
        __mmask16 f0_, f1_;                                                                             \
        __m512 r0_, r1_;                                                                                \
        {                                                                                               \
            const int k_ = k0_;                                                                         \
            const __mmask16 f_ = f0_ = fa_lanes_left((q).n - k_);                                       \
            r0_ = CALL;                                                                                 \
        }                                                                                               \
        {                                                                                               \
            const int k_ = k0_ + 16;                                                                    \
            const __mmask16 f_ = f1_ = k_ < (q).n ? fa_lanes_left((q).n - k_) : 0;                      \
            r1_ = CALL;                                                                                 \
        }                                                                                               \
        _mm512_mask_i32scatter_ps(out, f0_, _mm512_maskz_loadu_epi32(f0_, (q).at + k0_), r0_, 4);       \
        _mm512_mask_i32scatter_ps(out, f1_, _mm512_maskz_loadu_epi32(f1_, (q).at + k0_ + 16), r1_, 4);  \
    }                                                                                                   \
    (q).n = 0;

/* the span in parts of 2^30 elements, so that fa_far_buf's offsets fit in 32 bits */
#define FA_SPLIT_PARTS(CALL)                                                                            \
    for (ptrdiff_t s_ = 0; s_ < n; s_ += (ptrdiff_t)1 << 30) {                                          \
        ptrdiff_t n_ = n - s_ < ((ptrdiff_t)1 << 30) ? n - s_ : (ptrdiff_t)1 << 30;                      \
        CALL;                                                                                           \
    }

/* FA_PIPE_LOOP with PRE the table slot (T __m512i) and the body in chunks of FA_SPLIT_CHUNK blocks, each
 * run with SPARSE or DENSE (the same results); each adds the blocks that had far lanes to hits_ */
#define FA_SPLIT_LOOP(XS, SLOT, SPARSE, DENSE)                                                          \
    int hits_ = 0, dense_ = 0;                                                                          \
    FA_PIPE_HEAD(XS, __m512i, SLOT, SPARSE)                                                             \
    if (i + 32 <= n) {                                                                                  \
        FA_PIPE_START(XS, __m512i, SLOT)                                                                \
        while (i + 32 <= n) {                                                                           \
            ptrdiff_t end_ = n - 16 - i < 16 * FA_SPLIT_CHUNK ? n - 16 : i + 16 * FA_SPLIT_CHUNK;       \
            hits_ = 0;                                                                                  \
            if (dense_)                                                                                 \
                for (; i + 16 <= end_; i += 16) {                                                       \
                    FA_PIPE_NEXT(XS, SLOT)                                                              \
                    DENSE;                                                                              \
                }                                                                                       \
            else                                                                                        \
                for (; i + 16 <= end_; i += 16) {                                                       \
                    FA_PIPE_NEXT(XS, SLOT)                                                              \
                    SPARSE;                                                                             \
                }                                                                                       \
            dense_ = hits_ >= FA_SPLIT_DENSE;                                                           \
        }                                                                                               \
    }                                                                                                   \
    FA_PIPE_TAIL(XS, SLOT, SPARSE)

/* the far lanes of a block gathered, the buffer emptied once full by FLUSH (fa_NAME_flush: the far form
 * on 16 buffered lanes at a time, out of line) */
#define FA_SPLIT_GATHER(far, u, v, two, FLUSH)                                                          \
    fa_far_push(&q, far, u, v, j, two);                                                                 \
    if (q.n >= FA_FAR_MAX)                                                                              \
        FLUSH(&q, out);

#define FA_SPLIT_SPAN(NAME, SETUP, ARGS)                                                                \
static __attribute__((noinline)) void fa_##NAME##_flush(fa_far_buf *qp, float *out)                     \
{                                                                                                       \
    SETUP                                                                                               \
    FA_FAR_FLUSH(*qp, fa_##NAME##_far_512(FA_FAR_IN(*qp, a) ARGS))                                      \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_part(const float *x, float *out, ptrdiff_t n, \
                                                                       const int pf_)                   \
{                                                                                                       \
    fa_far_buf q;                                                                                       \
    q.n = 0;                                                                                            \
    FA_SPLIT_LOOP(x, fa_##NAME##_slot_512, {                                                            \
        FA_PF(x);                                                                                       \
        FA_PF(out);                                                                                     \
        __mmask16 far_;                                                                                 \
        __m512 r_ = fa_##NAME##_near_512(xv_, pre_, &far_);                                            \
        _mm512_mask_storeu_ps(out + j, m_, r_);         /* (before the gathering, which may empty */    \
        if (far_ &= m_) {                               /* the buffer into this block) */               \
            hits_++;                                                                                    \
            __m512 v_;                                                                                  \
            __mmask16 done_ = fa_##NAME##_settle_512(xv_, far_, &v_);                                   \
            _mm512_mask_storeu_ps(out + j, done_, v_);                                                  \
            if ((far_ &= (__mmask16)~done_)) {                                                          \
                FA_SPLIT_GATHER(far_, xv_, xv_, 0, fa_##NAME##_flush)                                   \
            }                                                                                           \
        }                                                                                               \
    }, {                                                                                                \
        FA_PF(x);                                                                                       \
        FA_PF(out);                                                                                     \
        __mmask16 far_;                                                                                 \
        __m512 r_ = fa_##NAME##_near_512(xv_, pre_, &far_);                                            \
        hits_ += far_ != 0;                                                                             \
        __m512 v_;                                                                                      \
        __mmask16 done_ = fa_##NAME##_settle_512(xv_, far_, &v_);                                       \
        _mm512_storeu_ps(out + j, _mm512_mask_mov_ps(r_, done_, v_));                                   \
        far_ &= (__mmask16)~done_;                                                                      \
        FA_SPLIT_GATHER(far_, xv_, xv_, 0, fa_##NAME##_flush)                                           \
    })                                                                                                  \
    fa_##NAME##_flush(&q, out);                                                                         \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *x, float *out, ptrdiff_t n, \
                                                                      const int pf_)                    \
{                                                                                                       \
    FA_SPLIT_PARTS(fa_##NAME##_f32_part(x + s_, out + s_, n_, pf_))                                     \
}                                                                                                       \
FA_SPAN_PF(NAME)

/* the sparse mode's: the far lanes of a backward block that fa_NAME_settle_512 settles, stored (the
 * block's results are) */
#define FA_SPLIT_SETTLE2(NAME)                                                                          \
    {                                                                                                   \
        __m512 v_;                                                                                      \
        __mmask16 done_ = fa_##NAME##_settle_512(u_, xv_, far_, 0, &v_);                                \
        if (done_) {                                                                                    \
            _mm512_mask_storeu_ps(out + j, done_, v_);                                                  \
            far_ &= (__mmask16)~done_;                                                                  \
        }                                                                                               \
    }

#define FA_SPLIT_SPAN2(NAME, SETUP, ARGS)                                                               \
static __attribute__((noinline)) void fa_##NAME##_flush(fa_far_buf *qp, float *out)                     \
{                                                                                                       \
    SETUP                                                                                               \
    FA_FAR_FLUSH(*qp, fa_##NAME##_far_512(FA_FAR_IN(*qp, a), FA_FAR_IN(*qp, b) ARGS))                   \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_part(const float *a, const float *b, float *out, \
                                                                       ptrdiff_t n, const int pf_)      \
{                                                                                                       \
    fa_far_buf q;                                                                                       \
    q.n = 0;                                                                                            \
    FA_SPLIT_LOOP(b, fa_##NAME##_slot_512, {                                                            \
        FA_PF(a);                                                                                       \
        FA_PF(b);                                                                                       \
        FA_PF(out);                                                                                     \
        __m512 u_ = _mm512_maskz_loadu_ps(m_, a + j);                                                   \
        __mmask16 far_;                                                                                 \
        _mm512_mask_storeu_ps(out + j, m_, fa_##NAME##_near_512(u_, xv_, pre_, &far_));                \
        if (far_ &= m_) {                                                                               \
            hits_++;                                                                                    \
            FA_SPLIT_SETTLE2(NAME)                                                                      \
            FA_SPLIT_GATHER(far_, u_, xv_, 1, fa_##NAME##_flush)                                        \
        }                                                                                               \
    }, {                                                                                                \
        FA_PF(a);                                                                                       \
        FA_PF(b);                                                                                       \
        FA_PF(out);                                                                                     \
        __m512 u_ = _mm512_loadu_ps(a + j);                                                             \
        __m512 v_;                                                                                      \
        __mmask16 far_;                                                                                 \
        __m512 r_ = fa_##NAME##_near_512(u_, xv_, pre_, &far_);                                        \
        hits_ += far_ != 0;                                                                             \
        __mmask16 done_ = fa_##NAME##_settle_512(u_, xv_, far_, 1, &v_);                                \
        _mm512_storeu_ps(out + j, _mm512_mask_mov_ps(r_, done_, v_));                                   \
        far_ &= (__mmask16)~done_;                                                                      \
        FA_SPLIT_GATHER(far_, u_, xv_, 1, fa_##NAME##_flush)                                            \
    })                                                                                                  \
    fa_##NAME##_flush(&q, out);                                                                         \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa_##NAME##_f32_run(const float *a, const float *b, float *out, \
                                                                      ptrdiff_t n, float p, const int pf_) \
{                                                                                                       \
    (void)p;                                                                                            \
    FA_SPLIT_PARTS(fa_##NAME##_f32_part(a + s_, b + s_, out + s_, n_, pf_))                             \
}                                                                                                       \
FA_SPAN2_PF(NAME)
FA_SPLIT_SPAN(gelu, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPLIT_SPAN(silu, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPLIT_SPAN2(gelu_backward, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPLIT_SPAN2(silu_backward, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPAN2(sigmoid_backward, FA_AHEAD_STREAM, , )
FA_SPAN2(tanh_backward, FA_AHEAD_STREAM, , )
FA_SPAN2(hard_silu_backward, FA_AHEAD_STREAM, , )
FA_SPAN2(gelu_tanh_backward, FA_AHEAD, FA_EXP_SETUP, FA_EXP_ARGS)
FA_PIPE_SPAN2(softplus_backward, fa_exp_pre, fa_sigmoid_pre_512, FA_EXP_SETUP, FA_EXP_ARGS)
FA_PIPE_SPAN2(log_sigmoid_backward, fa_exp_pre, fa_sigmoid_pre_512, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPAN2(selu_backward, FA_AHEAD, FA_EXP_SETUP, FA_EXP_ARGS)
FA_SPAN2(elu_backward, FA_AHEAD, FA_EXP_SETUP FA_ALPHA_SETUP, FA_ALPHA_ARGS)
FA_SPAN2(celu_backward, FA_AHEAD, FA_EXP_SETUP FA_ALPHA_SETUP, FA_ALPHA_ARGS)
#undef FA_SPAN2

/* the block of 16 (the lanes in m) of a, b, g: both halves of glu's dx, to da and db (under m) */
FA_KERNEL void fa_glu_backward_block_v(__m512 av, __m512 bv, __m512 gv, float *da, float *db, __mmask16 m,
                                       __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    __m512 ra, rb;
    fa_glu_backward_512(av, bv, gv, &ra, &rb, thi0, thi1, tlo0, tlo1);
    /* A block whose every lane is ordinary needs no lane-by-lane test: |b| <= 32, and a and g each 0 or
     * in [2^-24, 2^60], leave da above 2^-70 and db above 2^-95, nowhere near a subnormal or an overflow.
     * |a| + |g| + |b| 2^55 <= 2^60 bounds the first (NaN and inf fail it), and min(|a|, |g|) >= 2^-24,
     * with zeros made 1 by vfixupimmps, the second.  (The tests below took 28% of the block's time.) */
    const __m512 aa = _mm512_abs_ps(av), ag = _mm512_abs_ps(gv);
    const __m512i zero_to_one = _mm512_set1_epi32(0x11111A11);
    __m512 big = _mm512_fmadd_ps(_mm512_abs_ps(bv), _mm512_set1_ps(0x1p55f), _mm512_add_ps(aa, ag));
    __m512 small = _mm512_min_ps(_mm512_fixupimm_ps(aa, aa, zero_to_one, 0), _mm512_fixupimm_ps(ag, ag, zero_to_one, 0));
    __mmask16 odd = 0;
    if ((__mmask16)(_mm512_cmp_ps_mask(big, _mm512_set1_ps(0x1p60f), _CMP_LE_OQ)
                    & _mm512_cmp_ps_mask(small, _mm512_set1_ps(0x1p-24f), _CMP_GE_OQ)) != (__mmask16)0xffff) {
        /* (and results below FLT_MIN, which the scaling would round a second time, and db below 2^-100,
         * where the low terms of its product may be rounded as subnormals) */
        const __m512 zero = _mm512_setzero_ps();
        __mmask16 sub = _mm512_cmp_ps_mask(_mm512_abs_ps(ra), _mm512_set1_ps(0x1p-126f), _CMP_LT_OQ)
                        | (_mm512_cmp_ps_mask(_mm512_abs_ps(rb), _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ)
                           & _mm512_cmp_ps_mask(av, zero, _CMP_NEQ_UQ));
        odd = m & ((sub & _mm512_cmp_ps_mask(gv, zero, _CMP_NEQ_UQ))
                   | (__mmask16)~(_mm512_cmp_ps_mask(_mm512_abs_ps(bv), _mm512_set1_ps(120.0f), _CMP_LE_OQ)
                                  & fa_glu_ok_512(av) & fa_glu_ok_512(gv)));
    }
    if (odd) {
        float al[16], bl[16], gl[16], dal[16], dbl[16];
        _mm512_storeu_ps(al, av);
        _mm512_storeu_ps(bl, bv);
        _mm512_storeu_ps(gl, gv);
        _mm512_storeu_ps(dal, ra);
        _mm512_storeu_ps(dbl, rb);
        for (int k = 0; k < 16; k++)
            if (odd >> k & 1)
                fa_glu_backward_1(al[k], bl[k], gl[k], dal + k, dbl + k);
        ra = _mm512_loadu_ps(dal);
        rb = _mm512_loadu_ps(dbl);
    }
    _mm512_mask_storeu_ps(da, m, ra);
    _mm512_mask_storeu_ps(db, m, rb);
}

/* ... from a, b, g */
FA_KERNEL void fa_glu_backward_block(const float *a, const float *b, const float *g, float *da, float *db,
                                     __mmask16 m, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    fa_glu_backward_block_v(_mm512_maskz_loadu_ps(m, a), _mm512_maskz_loadu_ps(m, b), _mm512_maskz_loadu_ps(m, g),
                            da, db, m, thi0, thi1, tlo0, tlo1);
}

static inline void fa_glu_backward_f32_span(const float *a, const float *b, const float *g, float *da, float *db,
                                            ptrdiff_t n)
{
    FA_EXP_SETUP
    float *out = da;
    FA_SPAN_LOOP(fa_prefetch(a, j + FA_AHEAD); fa_prefetch(b, j + FA_AHEAD); fa_prefetch(g, j + FA_AHEAD);
                 fa_prefetch(da, j + FA_AHEAD); fa_prefetch(db, j + FA_AHEAD);
                 fa_glu_backward_block(a + j, b + j, g + j, da + j, db + j, m_, thi0, thi1, tlo0, tlo1))
}

/* glu over `rows` groups of x's (P, 2, M) form in one call (group p's halves: a = x + 2 p M, b = a + M):
 * the forward out[p M + m] = a sigmoid(b) (out (rows, M), contiguous), the backward dx (x's shape) from
 * g ((rows, M)).  A span call per group, from the Cython loop, costs ~25-40 cycles of set-up each
 * (262144 elements on two threads: the backward of rows of 2 took 1132 us, PyTorch 340).  For M = 1, 2,
 * 4 or 8, 32 consecutive floats of x hold 16 whole groups' worth of a and b: two loads and two vpermt2ps
 * give a block of 16 of each (and two more put da and db back in x's order); for other M the groups'
 * blocks of 16 run in one loop, whole ones unmasked where M is a multiple of 16, the last of each
 * group masked otherwise, the forward's exp reduction a block ahead (as FA_PIPE_LOOP).  The caller
 * (_kernels.pyx.tp's _glu) sends M below 64 or a multiple of 16 here, up to CHUNK; longer halves not
 * made of whole blocks go to a span call per group, faster there (M = 500: 16.2 cycles per block
 * against 21.1).  The same results: glu is elementwise. */
static inline __attribute__((always_inline)) void fa_glu_rows_f32_run(const float *x, const float *g, float *out,
                                                                      ptrdiff_t rows, ptrdiff_t M,
                                                                      const int backward, const int pf_)
{
    FA_EXP_SETUP
    if (M == 1 || M == 2 || M == 4 || M == 8) {
        /* lane l of a is x's element 2 M (l / M) + l % M of the 32, b's M further on; dx's element q
         * (q % 2M < M: da's lane, else db's, 16 on in the two-source index) */
        int32_t ia[16], ib[16], iq[32];
        for (int l = 0; l < 16; l++) {
            ia[l] = (int32_t)(2 * M * (l / M) + l % M);
            ib[l] = ia[l] + (int32_t)M;
        }
        for (int q = 0; q < 32; q++) {
            int r = q / (int)(2 * M), o = q % (int)(2 * M);
            iq[q] = o < M ? r * (int)M + o : 16 + r * (int)M + o - (int)M;
        }
        const __m512i va = _mm512_loadu_si512(ia), vb = _mm512_loadu_si512(ib);
        const __m512i vq0 = _mm512_loadu_si512(iq), vq1 = _mm512_loadu_si512(iq + 16);
        ptrdiff_t n = rows * M;
        /* (the whole blocks with plain loads and stores: masked ones made them ~3.5 times slower where x
         * came from memory) */
#define FA_GLU_PERM_BLOCK(M_, M0_, M1_, LOAD, STORE)                                                    \
        {                                                                                               \
            __m512 lo = LOAD(M0_, x + 2 * j), hi = LOAD(M1_, x + 2 * j + 16);                           \
            __m512 av = _mm512_permutex2var_ps(lo, va, hi), bv = _mm512_permutex2var_ps(lo, vb, hi);    \
            if (backward) {                                                                             \
                float da[16], db[16];                                                                   \
                fa_glu_backward_block_v(av, bv, LOAD(M_, g + j), da, db, (__mmask16)0xffff, thi0, thi1,  \
                                        tlo0, tlo1);                                                    \
                __m512 dav = _mm512_loadu_ps(da), dbv = _mm512_loadu_ps(db);                            \
                STORE(out + 2 * j, M0_, _mm512_permutex2var_ps(dav, vq0, dbv));                          \
                STORE(out + 2 * j + 16, M1_, _mm512_permutex2var_ps(dav, vq1, dbv));                     \
            } else {                                                                                    \
                STORE(out + j, M_, fa_glu_512(av, bv, fa_sigmoid_pre_512(bv), thi0, thi1, tlo0, tlo1));  \
            }                                                                                           \
        }
#define FA_GLU_LOAD_ALL(m, p) _mm512_loadu_ps(p)
#define FA_GLU_STORE_ALL(p, m, v) _mm512_storeu_ps(p, v)
        ptrdiff_t j = 0;
        for (; j + 16 <= n; j += 16) {
            if (pf_) {
                fa_prefetch(x, 2 * j + FA_AHEAD);
                fa_prefetch(out, (backward ? 2 * j : j) + FA_AHEAD);
                if (backward)
                    fa_prefetch(g, j + FA_AHEAD);
            }
            FA_GLU_PERM_BLOCK(0, 0, 0, FA_GLU_LOAD_ALL, FA_GLU_STORE_ALL)
        }
        if (j < n) {
            ptrdiff_t left = n - j;
            __mmask16 m = fa_lanes_left(left);
            __mmask16 m0 = fa_lanes_left(2 * left), m1 = left > 8 ? fa_lanes_left(2 * left - 16) : 0;
            FA_GLU_PERM_BLOCK(m, m0, m1, _mm512_maskz_loadu_ps, _mm512_mask_storeu_ps)
        }
#undef FA_GLU_PERM_BLOCK
#undef FA_GLU_LOAD_ALL
#undef FA_GLU_STORE_ALL
        return;
    }
    if (backward) {
        for (ptrdiff_t p = 0; p < rows; p++) {
            const float *a = x + 2 * p * M;
            float *d = out + 2 * p * M;
            if (pf_)                        /* (x and dx: the next rows') */
                for (ptrdiff_t c = 0; c < 2 * M; c += 16) {
                    fa_prefetch(a, c + FA_AHEAD);
                    fa_prefetch(d, c + FA_AHEAD);
                    if (c < M)
                        fa_prefetch(g + p * M, c + FA_AHEAD);
                }
            if (M % 16 == 0)                /* (whole blocks: unmasked loads and stores) */
                for (ptrdiff_t c = 0; c < M; c += 16)
                    fa_glu_backward_block(a + c, a + M + c, g + p * M + c, d + c, d + M + c, (__mmask16)0xffff,
                                          thi0, thi1, tlo0, tlo1);
            else
                for (ptrdiff_t c = 0; c < M; c += 16)
                    fa_glu_backward_block(a + c, a + M + c, g + p * M + c, d + c, d + M + c, fa_lanes_left(M - c),
                                          thi0, thi1, tlo0, tlo1);
        }
        return;
    }
    /* the forward: block (p, c) with the next one's b and exp reduction taken first; where M is a
     * multiple of 16 every block is whole (unmasked loads and stores: 20.5 -> 15.1 cycles per block, M =
     * 32, one thread; a span call per group of 512 took 16.3) */
    if (M % 16 == 0) {
        const float *a = x, *na;
        ptrdiff_t nb = rows * (M / 16), c = 0;
        __m512 bv = _mm512_loadu_ps(a + M);
        fa_exp_pre pre = fa_sigmoid_pre_512(bv);
        for (ptrdiff_t q = 0; q < nb; q++) {
            c += 16;
            na = a + 16;
            if (c == M) {
                c = 0;
                na += M;
            }
            __m512 nbv = q + 1 < nb ? _mm512_loadu_ps(na + M) : bv;
            fa_exp_pre npre = fa_sigmoid_pre_512(nbv);
            if (pf_) {
                fa_prefetch(a, FA_AHEAD);
                fa_prefetch(a + M, FA_AHEAD);
                fa_prefetch(out, 16 * q + FA_AHEAD);
            }
            _mm512_storeu_ps(out + 16 * q, fa_glu_512(_mm512_loadu_ps(a), bv, pre, thi0, thi1, tlo0, tlo1));
            a = na;
            bv = nbv;
            pre = npre;
        }
        return;
    }
    ptrdiff_t p = 0, c = 0;
    __mmask16 m = fa_lanes_left(M);
    __m512 bv = _mm512_maskz_loadu_ps(m, x + M);
    fa_exp_pre pre = fa_sigmoid_pre_512(bv);
    while (p < rows) {
        ptrdiff_t np = p, nc = c + 16;
        if (nc >= M) {
            np = p + 1;
            nc = 0;
        }
        __mmask16 nm = np < rows ? fa_lanes_left(M - nc) : 0;
        __m512 nbv = _mm512_maskz_loadu_ps(nm, x + 2 * np * M + M + nc);
        fa_exp_pre npre = fa_sigmoid_pre_512(nbv);
        if (pf_) {
            fa_prefetch(x + 2 * p * M, c + FA_AHEAD);
            fa_prefetch(x + 2 * p * M + M, c + FA_AHEAD);
            fa_prefetch(out + p * M, c + FA_AHEAD);
        }
        _mm512_mask_storeu_ps(out + p * M + c, m, fa_glu_512(_mm512_maskz_loadu_ps(m, x + 2 * p * M + c), bv, pre,
                                                              thi0, thi1, tlo0, tlo1));
        p = np;
        c = nc;
        m = nm;
        bv = nbv;
        pre = npre;
    }
}

/* fa_glu_rows_SFX_span(x, g, out, rows, M, backward, pf): fa_glu_rows_SFX_run compiled for each direction
 * and pf (T: float, or double for _spans_f64.h's) */
#define FA_GLU_ROWS_SPAN(SFX, T)                                                                        \
static inline void fa_glu_rows_##SFX##_span(const T *x, const T *g, T *out, ptrdiff_t rows, ptrdiff_t M, \
                                            int backward, int pf)                                      \
{                                                                                                       \
    if (backward) {                                                                                     \
        if (pf)                                                                                         \
            fa_glu_rows_##SFX##_run(x, g, out, rows, M, 1, 1);                                          \
        else                                                                                            \
            fa_glu_rows_##SFX##_run(x, g, out, rows, M, 1, 0);                                          \
    } else {                                                                                            \
        if (pf)                                                                                         \
            fa_glu_rows_##SFX##_run(x, g, out, rows, M, 0, 1);                                          \
        else                                                                                            \
            fa_glu_rows_##SFX##_run(x, g, out, rows, M, 0, 0);                                          \
    }                                                                                                   \
}
FA_GLU_ROWS_SPAN(f32, float)

#undef FA_EXP_ARGS
#undef FA_ALPHA_SETUP
#undef FA_ALPHA_ARGS
#undef FA_SPAN

/* ---- softmax rows (float32): the sum and the quotients, with exp from the same hi + lo pairs ----
 * d = x - m is kept exact as d_hi + d_lo (TwoSum), exp(d) = exp(d_hi) (1 + d_lo) renormalised.  x is
 * first raised to `low` = m - 176 rounded down (fa_shift_floor), and d floored at -176: values below
 * m - 176 (and -inf) contribute about e^-176 = 2^-254, nothing next to a float ULP of any sum that
 * matters (log_softmax needs the sum without the maximum to its relative accuracy down to FLT_MIN;
 * softmax's is at least 1), and d_lo stays finite.  fa_exp_f2_512's reduction is exact down to -177. */
static inline __m512 fa_shift_floor(float m)
{
    return _mm512_sub_round_ps(_mm512_set1_ps(m), _mm512_set1_ps(176.0f), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}

static inline fa_f2 fa_exp_shifted_512(__m512 x, __m512 m, __m512 low, __m512 thi0, __m512 thi1, __m512 tlo0,
                                       __m512 tlo1)
{
    /* (rows holding NaN or +inf never get here) */
    x = _mm512_max_ps(x, low);
    __m512 d_lo, d = fa_two_diff_512(x, m, &d_lo);
    fa_f2 z = fa_exp_f2_512(_mm512_max_ps(_mm512_set1_ps(-176.0f), d), thi0, thi1, tlo0, tlo1);
    /* the low part takes d_lo's effect without renormalising: |lo| stays below 2^-16 |hi| (|d_lo| <=
     * 176 2^-24), which the sums in double and fa_div_f2_512's correction step both absorb */
    z.lo = _mm512_fmadd_ps(z.hi, d_lo, z.lo);
    return z;
}

/* The terms of a block of 16 (one row's, or one term of 16 rows), 2^64 exp(v - m) as hi + lo (the
 * factor keeps a low part near FLT_MIN normal): zero outside `use` and, with ties, where v == m (those
 * lanes added to *top).  The row sum and the sixteen-row sums both take their terms from here. */
static inline __m512 fa_softmax_term_512(__m512 v, __m512 m, __m512 low, __mmask16 use, const int ties,
                                         __mmask16 *top, __m512 *lo, __m512 thi0, __m512 thi1, __m512 tlo0,
                                         __m512 tlo1)
{
    fa_f2 z = fa_exp_shifted_512(v, m, low, thi0, thi1, tlo0, tlo1);
    if (ties) {
        *top = use & _mm512_cmp_ps_mask(v, m, _CMP_EQ_OQ);
        use &= (__mmask16)~*top;
    }
    __m512 s64 = _mm512_add_ps(z.scale, _mm512_set1_ps(64.0f));
    *lo = _mm512_maskz_scalef_ps(use, z.lo, s64);
    return _mm512_maskz_scalef_ps(use, z.hi, s64);
}

/* The largest value of x[0:n] (NaN ignored) and *bad = the row holds NaN or +inf, or only -inf (or
 * nothing): fa_row_max_f32 with vmaxps (which returns its second operand where the first is NaN) and a
 * NaN mask, three times faster than the portable integer-key version. */
static inline float fa_row_max_f32_span(const float *x, ptrdiff_t n, int *bad)
{
    const __m512 lowest = _mm512_set1_ps(-INFINITY);
    __m512 m0 = lowest, m1 = lowest;
    __mmask16 nan = 0;
    /* a head up to x's 64-byte boundary: the loads below are then not split across cache lines */
    ptrdiff_t i = fa_head_len(x, n);
    if (i > n)
        i = n;
    if (i > 0) {
        __m512 v = _mm512_mask_loadu_ps(lowest, fa_lanes_left(i), x);
        m0 = _mm512_max_ps(v, m0);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    for (; i + 32 <= n; i += 32) {
        __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
        m0 = _mm512_max_ps(v0, m0);
        m1 = _mm512_max_ps(v1, m1);
        nan |= _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q);
    }
    for (; i < n; i += 16) {
        __mmask16 in = fa_lanes_left(n - i);
        __m512 v = _mm512_mask_loadu_ps(lowest, in, x + i);
        m0 = _mm512_max_ps(v, m0);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    *bad = (nan != 0) | (m == INFINITY) | (m == -INFINITY);
    return m;
}

/* the low and high 8 floats of v in double */
static inline __m512d fa_lo_pd(__m512 v)
{
    return _mm512_cvtps_pd(_mm512_castps512_ps256(v));
}

static inline __m512d fa_hi_pd(__m512 v)
{
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* the 16 lanes of (a, b) added in a fixed order */
static inline double fa_lanes_total_pd(__m512d a, __m512d b)
{
    /* t = 0, then t += a[k] + b[k] for k = 0..7: the pairs added at once, the chain of 8 after (a short
     * row's fixed cost was mostly this chain of 16 dependent adds) */
    double p[8], t = 0.0;
    _mm512_storeu_pd(p, _mm512_add_pd(a, b));
    for (int k = 0; k < 8; k++)
        t += p[k];
    return t;
}

/* Sum over x[0:n] of exp(x - m) in double.  With `ties` given (log_softmax), the terms where x == m
 * (exactly 1 each) are left out of it and counted in *ties; without (softmax, whose total is at least
 * 1), they are summed as the others.  The terms are taken times 2^64, so that even the low part of a
 * term near FLT_MIN is a normal float (a tiny sum keeps its relative accuracy: log_softmax's
 * -log1p(t)); their high parts are added in double (exact), their low parts (2^-24 of them) in float.
 * With e_hi and e_lo given, the scaled terms are also stored there for fa_softmax_scale_f32_span, so
 * that softmax computes each exp once; the quotients are scaled back once, at the end.  With `ahead`,
 * the next row's distance (fa_prefetch), each block prefetches one cache line of that row.
 *
 * The blocks of 16 start at e_hi's 64-byte boundaries (x's without e_hi), after a head of the first
 * 16 - s terms, s = the row's offset in floats from the boundary before it (FA_SPAN_LOOP; s = 0 for a
 * row shorter than FA_HEAD_MIN, which has no head): a row at 32 bytes past a boundary took 20% longer
 * with every load and store split across two cache lines.  The head's terms are moved to lanes s.., so
 * term j goes to lane (j + s) % 16 throughout, and the lanes are added up from lane s on
 * (fa_lanes_from): each lane holds the same terms, added in the same order, wherever the row lies, so
 * the sum depends on the row alone. */
static inline double fa_lanes_from(__m512d a, __m512d b, __m512 c, unsigned s)
{
    /* with l = (a, b): t = 0, then t += l[(k + s) % 16] + l[(k + 8 + s) % 16] for k = 0..7, and tl the
     * same over c in float; the pairs are added at once (vpermt2pd brings lanes (k + s) % 16 together),
     * the two chains of 8 after */
    const __m512i k8 = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), k16 = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9,
                                                                                         8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i sv = _mm512_set1_epi64((long long)s), m15 = _mm512_set1_epi64(15);
    __m512d lo = _mm512_permutex2var_pd(a, _mm512_and_si512(_mm512_add_epi64(k8, sv), m15), b);
    __m512d hi = _mm512_permutex2var_pd(a, _mm512_and_si512(_mm512_add_epi64(k8, _mm512_add_epi64(sv,
                                                                            _mm512_set1_epi64(8))), m15), b);
    __m512 rc = _mm512_permutexvar_ps(_mm512_and_si512(_mm512_add_epi32(k16, _mm512_set1_epi32((int)s)),
                                                       _mm512_set1_epi32(15)), c);
    __m256 q = _mm256_add_ps(_mm512_castps512_ps256(rc),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(rc), 1)));
    double p[8], t = 0.0;
    float ql[8], tl = 0.0f;
    _mm512_storeu_pd(p, _mm512_add_pd(lo, hi));
    _mm256_storeu_ps(ql, q);
    for (int k = 0; k < 8; k++) {
        t += p[k];
        tl += ql[k];
    }
    return t + tl;
}

FA_KERNEL double fa_softmax_sum_f32_span(const float *x, ptrdiff_t n, float mx, double *ties, float *e_hi,
                                         float *e_lo, ptrdiff_t ahead)
{
    FA_EXP_SETUP
    const __m512 m = _mm512_set1_ps(mx), low = fa_shift_floor(mx);
    float *out = e_hi ? e_hi : (float *)x;                  /* (x is only read) */
    const unsigned s = (unsigned)((16 - fa_head_len(out, n)) & 15);     /* the head's first lane */
    const __m512i rot = _mm512_and_si512(_mm512_sub_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
                                                                           4, 3, 2, 1, 0),
                                                          _mm512_set1_epi32((int)s)), _mm512_set1_epi32(15));
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    __m512 sl = _mm512_setzero_ps();
    long long count = 0;
    FA_SPAN_LOOP({
        __mmask16 top = 0;
        __m512 lo;
        if (ahead)
            fa_prefetch(x, j + ahead);
        __m512 hi = fa_softmax_term_512(_mm512_maskz_loadu_ps(m_, x + j), m, low, m_, ties != NULL, &top, &lo,
                                        thi0, thi1, tlo0, tlo1);
        count += __builtin_popcount((unsigned)top);
        if (e_hi) {
            _mm512_mask_storeu_ps(e_hi + j, m_, hi);
            _mm512_mask_storeu_ps(e_lo + j, m_, lo);
        }
        if (j == 0) {           /* the head (or a whole row shorter than it): lanes 0.. to s.. */
            hi = _mm512_permutexvar_ps(rot, hi);
            lo = _mm512_permutexvar_ps(rot, lo);
        }
        s0 = _mm512_add_pd(s0, fa_lo_pd(hi));
        s1 = _mm512_add_pd(s1, fa_hi_pd(hi));
        sl = _mm512_add_ps(sl, lo);
    })
    if (ties)
        *ties = (double)count;
    return fa_lanes_from(s0, s1, sl, s) * 0x1p-64;
}

/* The divisors of the quotients below, for 16 rows' totals (normal positive doubles, in two vectors of
 * eight): total = 2^e (D_hi + D_lo) with D in [1, 2), D and e (into *k_) from the bits (frexp was a
 * library call per row).  One row's (fa_divisor_512) is the same code on a broadcast total, so the
 * sixteen-row kernels' quotients are the row path's bits. */
static inline __m512 fa_divisor16_512(__m512d t0, __m512d t1, __m512 *d_lo, __m512 *k_)
{
    const __m512i mant = _mm512_set1_epi64(0x000fffffffffffffll), one = _mm512_set1_epi64(0x3ff0000000000000ll);
    __m512d D0 = _mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(t0), mant), one));
    __m512d D1 = _mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(t1), mant), one));
    __m256 h0 = _mm512_cvtpd_ps(D0), h1 = _mm512_cvtpd_ps(D1);
    __m256 l0 = _mm512_cvtpd_ps(_mm512_sub_pd(D0, _mm512_cvtps_pd(h0)));
    __m256 l1 = _mm512_cvtpd_ps(_mm512_sub_pd(D1, _mm512_cvtps_pd(h1)));
    __m256i e0 = _mm512_cvtepi64_epi32(_mm512_srli_epi64(_mm512_castpd_si512(t0), 52));
    __m256i e1 = _mm512_cvtepi64_epi32(_mm512_srli_epi64(_mm512_castpd_si512(t1), 52));
    *d_lo = _mm512_insertf32x8(_mm512_castps256_ps512(l0), l1, 1);
    *k_ = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_inserti32x8(_mm512_castsi256_si512(e0), e1, 1),
                                              _mm512_set1_epi32(1023)));
    return _mm512_insertf32x8(_mm512_castps256_ps512(h0), h1, 1);
}

static inline __m512 fa_divisor_512(double total, __m512 *d_lo, __m512 *k_)
{
    const __m512d t = _mm512_set1_pd(total);
    return fa_divisor16_512(t, t, d_lo, k_);
}

/* y = exp(x - m) / total for x[0:n] (total >= 1, the row's sum), each rounded once from ~2^-28. */
static inline void fa_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, float m_, double total)
{
    FA_EXP_SETUP
    const __m512 m = _mm512_set1_ps(m_), low = fa_shift_floor(m_);
    __m512 dl, kk, dh = fa_divisor_512(total, &dl, &kk);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = fa_lanes_left(n - i);
        fa_f2 z = fa_exp_shifted_512(_mm512_maskz_loadu_ps(in, x + i), m, low, thi0, thi1, tlo0, tlo1);
        __m512 q = fa_div_f2_512(z.hi, z.lo, dh, dl);
        _mm512_mask_storeu_ps(y + i, in, _mm512_scalef_ps(q, _mm512_sub_ps(z.scale, kk)));
    }
}

/* log_softmax's output, y = (x - m) - lg in double (x - m exact), then rounded to float; lg = log1p(t)
 * (fa_lines_log_softmax's: per half of the lanes, for the sixteen-row kernel), 16 at a time: 100 rows
 * of 1000 in 16.7 us on one thread, where GCC's loop of it took ~21; -inf gives -inf; y may be x.  The
 * portable formula also adds lg's low part (the sum's rounding error through log1p), but that is at
 * most 2^-52 of |y| (|y| >= lg, as x <= m), so it moves a float result only where the double lies that
 * close to a rounding boundary: leaving it out made the pass 17% faster (log_softmax 4%). */
static inline __m512 fa_log_softmax_y_512(__m512 v, __m512d m0, __m512d m1, __m512d lg0, __m512d lg1)
{
    __m256 r0 = _mm512_cvtpd_ps(_mm512_sub_pd(_mm512_sub_pd(fa_lo_pd(v), m0), lg0));
    __m256 r1 = _mm512_cvtpd_ps(_mm512_sub_pd(_mm512_sub_pd(fa_hi_pd(v), m1), lg1));
    return _mm512_insertf32x8(_mm512_castps256_ps512(r0), r1, 1);
}

static inline void fa_log_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, double m, double lg)
{
    const __m512d mv = _mm512_set1_pd(m), lgv = _mm512_set1_pd(lg);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = fa_lanes_left(n - i);
        __m512 v = _mm512_maskz_loadu_ps(in, x + i);
        _mm512_mask_storeu_ps(y + i, in, fa_log_softmax_y_512(v, mv, mv, lgv, lgv));
    }
}

/* y = (e_hi + e_lo) 2^-64 / total from the terms fa_softmax_sum_f32_span stored (y may be e_hi). */
static inline void fa_softmax_scale_f32_span(const float *e_hi, const float *e_lo, float *y, ptrdiff_t n,
                                             double total)
{
    __m512 dl, kk, dh = fa_divisor_512(total, &dl, &kk);
    __m512 minus_k = _mm512_sub_ps(_mm512_set1_ps(-64.0f), kk);
    float *out = y;
    FA_SPAN_LOOP({
        __m512 q = fa_div_f2_512(_mm512_maskz_loadu_ps(m_, e_hi + j), _mm512_maskz_loadu_ps(m_, e_lo + j), dh, dl);
        _mm512_mask_storeu_ps(y + j, m_, _mm512_scalef_ps(q, minus_k));
    })
}

/* 8 floats of p (the lanes in `in`; zeros elsewhere) in double */
static inline __m512d fa_load_pd(const float *p, __mmask8 in)
{
    return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(in, p));
}

/* the sum over j < n of g[j] y[j] (y given) or of g[j] (y NULL), in double: products exact, element j
 * in lane j % 32 of four accumulators (independent chains, so the adds overlap) and the lanes added in
 * a fixed order, so the sum depends on the row alone */
FA_KERNEL double fa_row_sum_pd(const float *g, const float *y, ptrdiff_t n)
{
    __m512d s[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            __m512d gv = _mm512_cvtps_pd(_mm256_loadu_ps(g + i + 8 * k));
            s[k] = y ? _mm512_fmadd_pd(gv, _mm512_cvtps_pd(_mm256_loadu_ps(y + i + 8 * k)), s[k])
                     : _mm512_add_pd(s[k], gv);
        }
    for (int k = 0; i < n; i += 8, k++) {
        __mmask8 in = fa_lanes8_left(n - i);
        __m512d gv = fa_load_pd(g + i, in);
        s[k] = y ? _mm512_fmadd_pd(gv, fa_load_pd(y + i, in), s[k]) : _mm512_add_pd(s[k], gv);
    }
    return fa_lanes_total_pd(_mm512_add_pd(s[0], s[2]), _mm512_add_pd(s[1], s[3]));
}

/* a row whose g holds an infinity (or NaN: S is not finite): y (g - S) as it stands, as the reference
 * (TwoSum would turn every lane's inf - inf into NaN) */
static __attribute__((noinline, cold)) void fa_softmax_backward_plain_f32(const float *g, const float *y, float *dx,
                                                                          ptrdiff_t n, double S)
{
    for (ptrdiff_t i = 0; i < n; i++)
        dx[i] = (float)((double)y[i] * ((double)g[i] - S));
}

/* softmax's backward over one row, dx = y (g - S), S = sum of g y (fa_row_sum_pd) held as S_hi + S_lo:
 * g - S_hi exact as d + d_lo (TwoSum), and y (d + (d_lo - S_lo)) rounded once but for terms ~2^-48 of
 * y (|g| + |S|), the scale its accuracy is measured in.  Where y d is below 2^-100 (a subnormal
 * y (d_lo - S_lo) would be rounded to a subnormal's ULP: 0.97 ULP in rows of scale 100) or d overflows
 * (g = -3e38 beside S = 1.7e38: it gave NaN for y (g - S) = -2.9e37), the block takes the double
 * formula of the portable path instead, which converted eight lanes at a time took
 * 1.4x the time everywhere.  dx may be g or y.  `ahead`: as for fa_softmax_sum_f32_span. */
FA_KERNEL void fa_softmax_backward_f32_span(const float *g, const float *y, float *dx, ptrdiff_t n,
                                            ptrdiff_t ahead)
{
    const double S = fa_row_sum_pd(g, y, n);
    if (__builtin_expect(!(fabs(S) <= 0x1.fffffffffffffp1023), 0)) {
        fa_softmax_backward_plain_f32(g, y, dx, n, S);
        return;
    }
    const float S_hi_ = (float)S;
    const __m512 S_hi = _mm512_set1_ps(S_hi_), S_lo = _mm512_set1_ps((float)(S - (double)S_hi_));
    const __m512d Sd = _mm512_set1_pd(S);
    float *out = dx;
    FA_SPAN_LOOP({
        if (ahead) {
            fa_prefetch(g, j + ahead);
            fa_prefetch(y, j + ahead);
        }
        __m512 yv = _mm512_maskz_loadu_ps(m_, y + j);
        __m512 gv = _mm512_maskz_loadu_ps(m_, g + j);
        __m512 r;
        __m512 d = _mm512_sub_ps(gv, S_hi);
        /* (and where g - S_hi overflows float, whose TwoSum low part is NaN: y (g - S) may well be
         * finite, and the double formula has it) */
        if (_mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_mul_ps(yv, d)), _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ)
            | _mm512_fpclass_ps_mask(d, 0x18)) {
            __m256 r_lo = _mm512_cvtpd_ps(_mm512_mul_pd(fa_lo_pd(yv), _mm512_sub_pd(fa_lo_pd(gv), Sd)));
            __m256 r_hi = _mm512_cvtpd_ps(_mm512_mul_pd(fa_hi_pd(yv), _mm512_sub_pd(fa_hi_pd(gv), Sd)));
            r = _mm512_insertf32x8(_mm512_castps256_ps512(r_lo), r_hi, 1);
        } else {
            __m512 d_lo;
            d = fa_two_diff_512(gv, S_hi, &d_lo);
            r = fa_mul_f2_512(yv, d, _mm512_sub_ps(d_lo, S_lo));
        }
        _mm512_mask_storeu_ps(dx + j, m_, r);
    })
}

/* log_softmax's backward over one row, dx = g - e^y S, S = sum of g (in double, 16 lanes as above).
 * S = 2^k (S_hi + S_lo) with S_hi + S_lo in [0.5, 1); P = e^y S as hi + lo (2^-29, not renormalised),
 * scaled, and g - P is taken by TwoSum and rounded once: within 2^-5 ULP of the larger of the
 * terms, plus the rounding.  Lanes with y beyond [-87, 20] (e^y's scaling leaves the normal range) or
 * NaN take the formula in double (fa_log_softmax_backward_1), but for those with a finite y below -87
 * where P is settled without it (fa_log_softmax_far_512).  A row whose S is not finite
 * or beyond 2^90 in size (where P may overflow float) is left to the portable path: returns 0, having
 * written nothing.  dx may be g or y.  `ahead`: as for fa_softmax_sum_f32_span. */

/* The lanes `far` (finite y below -87: log-probabilities of a confident row, common in classification;
 * each took the lane-by-lane formula, which made such rows 30x slower) whose result the block settles
 * here, r set in them: P = e^y S = 2^q (hi + lo), from y held at -177 (an upper bound of P below it;
 * fa_exp_raw_512 is exact down to there), with q = the scale + k.  Where g is not 0 and P < 2.03 2^q
 * is below a quarter ULP of g (q + 27 <= g's exponent), g - P rounds to g; where g is 0 (the usual case:
 * a gradient of a loss on one class per row), the result is -P rounded once to its float or subnormal
 * (fa_scalef_sub_512; y = -inf is left out, whose P is 0, not a tiny positive).  Others (a tiny g beside
 * P) stay with the formula.  Returns the lanes settled. */
static inline __mmask16 fa_log_softmax_far_512(__m512 gv, __m512 yv, __mmask16 far, __m512 kk, __m512 shi0,
                                               __m512 shi1, __m512 slo0, __m512 slo1, __m512 *r)
{
    fa_f2 e = fa_exp_raw_512(_mm512_max_ps(yv, _mm512_set1_ps(-177.0f)), shi0, shi1, slo0, slo1);
    __m512 q = _mm512_add_ps(e.scale, kk);
    __mmask16 zero = _mm512_mask_cmp_ps_mask(far, gv, _mm512_setzero_ps(), _CMP_EQ_OQ);
    __mmask16 negl = _mm512_mask_cmp_ps_mask(far & (__mmask16)~zero, _mm512_add_ps(q, _mm512_set1_ps(27.0f)),
                                             _mm512_getexp_ps(gv), _CMP_LE_OQ);
    __m512 p = fa_scalef_sub_512(_mm512_add_ps(e.hi, e.lo), q);
    *r = _mm512_mask_mov_ps(*r, negl, gv);
    *r = _mm512_mask_sub_ps(*r, zero, gv, p);
    return zero | negl;
}

FA_KERNEL int fa_log_softmax_backward_f32_span(const float *g, const float *y, float *dx, ptrdiff_t n,
                                               ptrdiff_t ahead)
{
    const double S = fa_row_sum_pd(g, NULL, n);
    if (!(fabs(S) < 0x1p90))
        return 0;
    int k;
    double m = frexp(S, &k);
    const float m_hi = (float)m;
    const __m512 S_hi = _mm512_set1_ps(m_hi), S_lo = _mm512_set1_ps((float)(m - m_hi)), kk = _mm512_set1_ps((float)k);
    /* the row's exp table times S's mantissa, T[j] m as hi + lo (~2^-47), so that fa_exp_parts_512 gives
     * e^y m itself (0.30 -> 0.25 ns per element on AMD Zen 5: the product's five instructions gone) */
    __m512 ts[4];
    for (int h = 0; h < 2; h++) {
        __m512 th = _mm512_loadu_ps(FA_T_HI + 16 * h), tl = _mm512_loadu_ps(FA_T_LO + 16 * h);
        ts[h] = _mm512_mul_ps(th, S_hi);
        ts[2 + h] = _mm512_add_ps(_mm512_fmsub_ps(th, S_hi, ts[h]), _mm512_fmadd_ps(th, S_lo, _mm512_mul_ps(tl, S_hi)));
    }
    const __m512 shi0 = ts[0], shi1 = ts[1], slo0 = ts[2], slo1 = ts[3];
    float *out = dx;
    FA_SPAN_LOOP({
        if (ahead) {
            fa_prefetch(g, j + ahead);
            fa_prefetch(y, j + ahead);
        }
        __m512 gv = _mm512_maskz_loadu_ps(m_, g + j);
        __m512 yv = _mm512_maskz_loadu_ps(m_, y + j);
        __mmask16 ok = _mm512_cmp_ps_mask(yv, _mm512_set1_ps(-87.0f), _CMP_GE_OQ)
                       & _mm512_cmp_ps_mask(yv, _mm512_set1_ps(20.0f), _CMP_LE_OQ);
        /* (the lanes outside `ok`, NaN and +-inf included, are junk here and replaced below by the
         * one-by-one formula, whose exp in double costs more than the microcode assist an Intel core
         * may take to scale one of them to a subnormal; masking or clamping y first cost this loop 8%
         * and 4% on AMD Zen 5) */
        fa_f2 e = fa_exp_raw_512(yv, shi0, shi1, slo0, slo1);
        __m512 sc = _mm512_add_ps(e.scale, kk);
        __m512 q = _mm512_scalef_ps(e.hi, sc);
        __m512 q_lo = _mm512_scalef_ps(e.lo, sc);
        __m512 d_lo;
        __m512 d = fa_two_diff_512(gv, q, &d_lo);
        __m512 r = _mm512_add_ps(d, _mm512_sub_ps(d_lo, q_lo));
        __mmask16 odd = m_ & (__mmask16)~ok;
        if (odd) {
            __mmask16 far = _mm512_mask_cmp_ps_mask(odd, yv, _mm512_set1_ps(-87.0f), _CMP_LT_OQ)
                            & _mm512_cmp_ps_mask(yv, _mm512_set1_ps(-INFINITY), _CMP_NEQ_UQ);
            if (far)
                odd &= (__mmask16)~fa_log_softmax_far_512(gv, yv, far, kk, shi0, shi1, slo0, slo1, &r);
            r = fa_fix_lanes(r, gv, yv, odd, fa_log_softmax_backward_1, S);
        }
        _mm512_mask_storeu_ps(dx + j, m_, r);
    })
    return 1;
}

/* ---- columns to rows and back (axis_cols: softmax and co. along an axis other than the last) ----
 * r[j][i] <-> r[i][j] for 16 vectors of 16 floats: pairs unpacked (floats, then pairs of floats as
 * doubles), which leaves 4x4 blocks in each 128-bit lane, then the lanes transposed (shuffle_f32x4). */
static inline void fa_transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int k = 0; k < 16; k += 2) {
        t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
    }
    /* u[4g + c], lane L: column 4L + c of rows 4g..4g + 3 */
    for (int k = 0; k < 16; k += 4) {
        __m512d a = _mm512_castps_pd(t[k]), b = _mm512_castps_pd(t[k + 1]);
        __m512d c = _mm512_castps_pd(t[k + 2]), d = _mm512_castps_pd(t[k + 3]);
        r[k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* column 4L + c: lane g of it is lane L of u[4g + c] */
    for (int c = 0; c < 4; c++) {
        __m512 s0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44), s1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xEE);
        __m512 s2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
        __m512 s3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xEE);
        t[c] = _mm512_shuffle_f32x4(s0, s2, 0x88);
        t[4 + c] = _mm512_shuffle_f32x4(s0, s2, 0xDD);
        t[8 + c] = _mm512_shuffle_f32x4(s1, s3, 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
    }
    for (int k = 0; k < 16; k++)
        r[k] = t[k];
}

/* xs[c L + l] = x[l M + c] for c < b (<= 16), l < L: the b columns from x as rows of xs, 16 lines of
 * the axis at a time */
static inline void fa_cols_to_rows_f32(const float *x, ptrdiff_t M, ptrdiff_t L, int b, float *xs)
{
    const __mmask16 cols = fa_lanes_left(b);
    __m512 r[16];
    for (ptrdiff_t l = 0; l < L; l += 16) {
        const ptrdiff_t left = L - l < 16 ? L - l : 16;
        for (int i = 0; i < 16; i++)
            r[i] = i < left ? _mm512_maskz_loadu_ps(cols, x + (l + i) * M) : _mm512_setzero_ps();
        fa_transpose16(r);
        for (int c = 0; c < b; c++)
            _mm512_mask_storeu_ps(xs + c * L + l, fa_lanes_left(left), r[c]);
    }
}

/* the inverse: out[l M + c] = xs[c L + l] */
static inline void fa_rows_to_cols_f32(const float *xs, ptrdiff_t L, int b, float *out, ptrdiff_t M)
{
    const __mmask16 cols = fa_lanes_left(b);
    __m512 r[16];
    for (ptrdiff_t l = 0; l < L; l += 16) {
        const ptrdiff_t left = L - l < 16 ? L - l : 16;
        for (int c = 0; c < 16; c++)
            r[c] = c < b ? _mm512_maskz_loadu_ps(fa_lanes_left(left), xs + c * L + l) : _mm512_setzero_ps();
        fa_transpose16(r);
        for (int i = 0; i < left; i++)
            _mm512_mask_storeu_ps(out + (l + i) * M, cols, r[i]);
    }
}

/* log1p(t) for t >= 0 (or NaN), eight lanes in double, within 2^-51 of itself (16M random t from 2^-60
 * to 2^20 against log1pl): 1 + t = u + e exactly (Fast2Sum), u = f 2^k with f in [0.75, 1.5)
 * (vgetmantpd), log(f) = 2 atanh(s), s = (f - 1)/(f + 1), |s| <= 0.2, ten terms of the odd series, and
 * e/u added.  log_softmax's rows at the AVX-512 level take their log1p(t) from here, one row (fa_log1p_1)
 * or sixteen at a time: libm's log1p per row was a third of the time on rows of 16. */
static inline __m512d fa_log1p_pd(__m512d t)
{
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d u = _mm512_add_pd(one, t);
    __mmask8 big = _mm512_cmp_pd_mask(t, one, _CMP_GT_OQ);
    __m512d a = _mm512_mask_blend_pd(big, one, t), b = _mm512_mask_blend_pd(big, t, one);
    __m512d e = _mm512_add_pd(_mm512_sub_pd(a, u), b);
    __m512d f = _mm512_getmant_pd(u, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
    __m512d k = _mm512_getexp_pd(u);
    k = _mm512_mask_add_pd(k, _mm512_cmp_pd_mask(f, one, _CMP_LT_OQ), k, one);   /* u = f 2^k */
    __m512d s = _mm512_div_pd(_mm512_sub_pd(f, one), _mm512_add_pd(f, one));
    __m512d s2 = _mm512_mul_pd(s, s);
    __m512d p = _mm512_set1_pd(1.0 / 21);
    static const double c[9] = {1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3};
    for (int i = 0; i < 9; i++)
        p = _mm512_fmadd_pd(p, s2, _mm512_set1_pd(c[i]));
    __m512d s_2 = _mm512_add_pd(s, s);
    __m512d lf = _mm512_fmadd_pd(_mm512_mul_pd(s_2, s2), p, s_2);
    const __m512d ln2_hi = _mm512_set1_pd(0x1.62e42fefa3800p-1), ln2_lo = _mm512_set1_pd(0x1.ef35793c76730p-45);
    return _mm512_add_pd(_mm512_mul_pd(k, ln2_hi), _mm512_add_pd(lf, _mm512_fmadd_pd(k, ln2_lo, _mm512_div_pd(e, u))));
}

static inline double fa_log1p_1(double t)
{
    return _mm512_cvtsd_f64(fa_log1p_pd(_mm512_set1_pd(t)));
}

/* log_softmax of `rows` rows of L (>= 1) from x (y may be x), row by row as the row path computes them
 * (the maximum, the sum without the maxima plus ties - 1, lg = log1p of it, the output pass), but
 * software-pipelined: a row's output pass runs after the next row's maximum, and its sum after that,
 * so that the dependent chains between the passes (the maximum's reduction before the sum, the sum's
 * lanes and log1p before the output) overlap the other row's streaming work instead of stalling
 * between them: one thread, rows of 1000, 0.402 -> 0.380 ns per element, rows of 130 0.712 -> 0.637.
 * A row holding NaN or +inf (or only -inf) comes out NaN. */
static inline void fa_log_softmax_out_row(const float *x, float *y, ptrdiff_t L, int bad, double m, double lg)
{
    if (bad)
        for (ptrdiff_t j = 0; j < L; j++)
            y[j] = NAN;
    else
        fa_log_softmax_out_f32_span(x, y, L, m, lg);
}

static inline void fa_log_softmax_rows_f32(const float *x, float *y, ptrdiff_t rows, ptrdiff_t L)
{
    double m_prev = 0.0, lg_prev = 0.0;
    int bad_prev = 1;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *xr = x + r * L;
        int bad;
        double m = fa_row_max_f32_span(xr, L, &bad), lg = 0.0, ties, err;
        if (r > 0)
            fa_log_softmax_out_row(xr - L, y + (r - 1) * L, L, bad_prev, m_prev, lg_prev);
        if (!bad) {
            double t = fa_softmax_sum_f32_span(xr, L, (float)m, &ties, NULL, NULL, L);
            lg = fa_log1p_1(fa_two_sum(t, ties - 1.0, &err));
        }
        m_prev = m;
        lg_prev = lg;
        bad_prev = bad;
    }
    if (rows > 0)
        fa_log_softmax_out_row(x + (rows - 1) * L, y + (rows - 1) * L, L, bad_prev, m_prev, lg_prev);
}

/* softmax and log_softmax of 16 rows at once, one row per lane: either 16 short rows (row r at x + r L),
 * transposed into lanes, or 16 columns of a (P, L, M) array, whose lines
 * along the axis already are vectors (axis_cols).  Lane by lane they are the row path's operations
 * (fa_row_max_f32_span's maximum, the terms of fa_softmax_sum_f32_span, its lane sums: term j in sum
 * j % 16, added in order of j, then fa_lanes_from's chain, which the row path's alignment head does
 * not change; then fa_divisor_512 and fa_softmax_scale_f32_span's quotients, or fa_log1p_pd and the
 * portable path's double output formula), so the results are the same bits.  A row costs the row path
 * ~35 ns of fixed work (its chains of dependent reductions; log_softmax's log1p on top), and a column
 * costs it two transposing copies; here 16 rows share the chains.  Rows holding NaN or +inf, or only
 * -inf, give NaN. */

/* a block: line l of the 16 rows is the vector at p + l stride, lanes outside `in` unused */
typedef struct { const float *p; ptrdiff_t stride; __mmask16 in; } fa_lines;

static inline __m512 fa_line(fa_lines a, ptrdiff_t l)
{
    return _mm512_maskz_loadu_ps(a.in, a.p + l * a.stride);
}

/* the rows' maxima, and the bad rows */
static inline __mmask16 fa_lines_max(fa_lines a, ptrdiff_t L, __m512 *m_)
{
    __m512 m = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (ptrdiff_t l = 0; l < L; l++) {
        __m512 v = fa_line(a, l);
        m = _mm512_max_ps(v, m);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    *m_ = m;
    return nan | _mm512_cmp_ps_mask(_mm512_abs_ps(m), _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
}

/* the rows' sums of exp(x - m) (without the maxima's terms, counted in *ties, when ties is given), as
 * fa_softmax_sum_f32_span returns them, in two vectors of 8 rows; the scaled terms in hs and ls (16
 * per line) when given */
static inline void fa_lines_sums(fa_lines a, ptrdiff_t L, __m512 m, __m512d *tot0, __m512d *tot1, float *hs,
                                 float *ls, __m512 *ties)
{
    FA_EXP_SETUP
    const __m512 low = _mm512_sub_round_ps(m, _mm512_set1_ps(176.0f), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512d a0[16], a1[16];
    __m512 b[16], count = _mm512_setzero_ps();
    for (int r = 0; r < 16; r++) {
        a0[r] = a1[r] = _mm512_setzero_pd();
        b[r] = _mm512_setzero_ps();
    }
    for (ptrdiff_t l = 0; l < L; l++) {
        __mmask16 top = 0;
        __m512 lo, hi = fa_softmax_term_512(fa_line(a, l), m, low, (__mmask16)0xffff, ties != NULL, &top, &lo,
                                            thi0, thi1, tlo0, tlo1);
        count = _mm512_mask_add_ps(count, top, count, _mm512_set1_ps(1.0f));
        if (hs) {
            _mm512_storeu_ps(hs + l * 16, hi);
            _mm512_storeu_ps(ls + l * 16, lo);
        }
        a0[l & 15] = _mm512_add_pd(a0[l & 15], fa_lo_pd(hi));
        a1[l & 15] = _mm512_add_pd(a1[l & 15], fa_hi_pd(hi));
        b[l & 15] = _mm512_add_ps(b[l & 15], lo);
    }
    /* fa_lanes_from lane by lane: t = 0 + (A_0 + A_8) + ... + (A_7 + A_15), tl alike in float */
    __m512d t0 = _mm512_setzero_pd(), t1 = _mm512_setzero_pd();
    __m512 tl = _mm512_setzero_ps();
    for (int k = 0; k < 8; k++) {
        t0 = _mm512_add_pd(t0, _mm512_add_pd(a0[k], a0[k + 8]));
        t1 = _mm512_add_pd(t1, _mm512_add_pd(a1[k], a1[k + 8]));
        tl = _mm512_add_ps(tl, _mm512_add_ps(b[k], b[k + 8]));
    }
    const __m512d two_m64 = _mm512_set1_pd(0x1p-64);
    *tot0 = _mm512_mul_pd(_mm512_add_pd(t0, fa_lo_pd(tl)), two_m64);
    *tot1 = _mm512_mul_pd(_mm512_add_pd(t1, fa_hi_pd(tl)), two_m64);
    if (ties)
        *ties = count;
}

/* softmax of the lines into y (line l at y + l y_stride, lanes in a.in), from the scratch hs, ls (16 L
 * floats each) */
static inline void fa_lines_softmax(fa_lines a, ptrdiff_t L, float *y, ptrdiff_t y_stride, float *hs, float *ls)
{
    __m512 m;
    __m512d t0, t1;
    __mmask16 bad = fa_lines_max(a, L, &m);
    fa_lines_sums(a, L, m, &t0, &t1, hs, ls, NULL);
    __m512 dl, kk, dh = fa_divisor16_512(t0, t1, &dl, &kk);
    const __m512 minus_k = _mm512_sub_ps(_mm512_set1_ps(-64.0f), kk);
    for (ptrdiff_t l = 0; l < L; l++) {
        __m512 q = fa_div_f2_512(_mm512_loadu_ps(hs + l * 16), _mm512_loadu_ps(ls + l * 16), dh, dl);
        q = _mm512_mask_blend_ps(bad, _mm512_scalef_ps(q, minus_k), _mm512_set1_ps(NAN));
        _mm512_mask_storeu_ps(y + l * y_stride, a.in, q);
    }
}

/* log_softmax: t = the sum without the maxima, plus ties - 1, then per row lg = log1p(t) (fa_log1p_pd,
 * as the row path at this level) and y = (float)(((double)x - m) - lg), as the row path does */
static inline void fa_lines_log_softmax(fa_lines a, ptrdiff_t L, float *y, ptrdiff_t y_stride)
{
    __m512 m, ties;
    __m512d t0, t1;
    __mmask16 bad = fa_lines_max(a, L, &m);
    fa_lines_sums(a, L, m, &t0, &t1, NULL, NULL, &ties);
    /* _log_softmax_out's lg, eight rows at a time */
    __m512d lg[2];
    for (int h = 0; h < 2; h++) {
        __m512d w = _mm512_sub_pd(h ? fa_hi_pd(ties) : fa_lo_pd(ties), _mm512_set1_pd(1.0));
        lg[h] = fa_log1p_pd(_mm512_add_pd(h ? t1 : t0, w));
    }
    const __m512d lg0 = lg[0], lg1 = lg[1];
    const __m512d m0 = fa_lo_pd(m), m1 = fa_hi_pd(m);
    for (ptrdiff_t l = 0; l < L; l++) {
        __m512 q = fa_log_softmax_y_512(fa_line(a, l), m0, m1, lg0, lg1);
        _mm512_mask_storeu_ps(y + l * y_stride, a.in, _mm512_mask_blend_ps(bad, q, _mm512_set1_ps(NAN)));
    }
}

/* the short rows (L <= FA_ROWS16_MAX): transposed into lanes, computed, transposed back (y may be x) */
#define FA_ROWS16_MAX 128

static inline void fa_rows16_f32(const float *x, float *y, ptrdiff_t L, int log_form)
{
    float vs[FA_ROWS16_MAX * 16], hs[FA_ROWS16_MAX * 16], ls[FA_ROWS16_MAX * 16];
    for (ptrdiff_t c0 = 0; c0 < L; c0 += 16)         /* vs[l 16 + r] = x[r L + l] */
        fa_cols_to_rows_f32(x + c0, L, 16, (int)(L - c0 < 16 ? L - c0 : 16), vs + c0 * 16);
    fa_lines a = {vs, 16, (__mmask16)0xffff};
    if (log_form)
        fa_lines_log_softmax(a, L, vs, 16);
    else
        fa_lines_softmax(a, L, vs, 16, hs, ls);
    for (ptrdiff_t c0 = 0; c0 < L; c0 += 16)
        fa_rows_to_cols_f32(vs + c0 * 16, 16, (int)(L - c0 < 16 ? L - c0 : 16), y + c0, L);
}

/* b <= 16 columns of a (P, L, M) array: line l at x + l M (out alike; out may be x), scratch 32 L floats */
static inline void fa_cols16_f32(const float *x, float *out, ptrdiff_t L, ptrdiff_t M, int b, int log_form,
                                 float *scratch)
{
    fa_lines a = {x, M, fa_lanes_left(b)};
    if (log_form)
        fa_lines_log_softmax(a, L, out, M);
    else
        fa_lines_softmax(a, L, out, M, scratch, scratch + 16 * L);
}

#include "_spans_f64.h"

#undef FA_EXP_SETUP
#undef FA_SPAN_LOOP

#else
#define FA_HAVE_SPANS 0
#if defined(__AVX2__) && defined(__FMA__)
#include "_spans_avx2.h"
#endif
/* empty stubs of the same signatures (FA_SPAN, FA_SPAN2; T double: _spans_f64.h's), but for the
 * functions _spans_avx2.h has (those it defines an FA_F32_SPAN_<name> for: 1 there, 0 here) */
#define FA_PD_STUB(NAME) FA_STUB_T(NAME, f64, double)
#define FA_PD_STUB2(NAME) FA_STUB2_T(NAME, f64, double)
#ifndef FA_F32_SPAN_sigmoid
FA_STUB(sigmoid)
#define FA_F32_SPAN_sigmoid 0
#endif
#ifndef FA_F32_SPAN_tanh
FA_STUB(tanh)
#define FA_F32_SPAN_tanh 0
#endif
#ifndef FA_F32_SPAN_tanh_shrink
FA_STUB(tanh_shrink)
#define FA_F32_SPAN_tanh_shrink 0
#endif
#ifndef FA_F32_SPAN_softsign
FA_STUB(softsign)
#define FA_F32_SPAN_softsign 0
#endif
#ifndef FA_F32_SPAN_exponential
FA_STUB(exponential)
#define FA_F32_SPAN_exponential 0
#endif
#ifndef FA_F32_SPAN_silu
FA_STUB(silu)
#define FA_F32_SPAN_silu 0
#endif
#ifndef FA_F32_SPAN_gelu
FA_STUB(gelu)
#define FA_F32_SPAN_gelu 0
#endif
#ifndef FA_F32_SPAN_gelu_tanh
FA_STUB(gelu_tanh)
#define FA_F32_SPAN_gelu_tanh 0
#endif
#ifndef FA_F32_SPAN_glu
FA_STUB2(glu)
#define FA_F32_SPAN_glu 0
#endif
#ifndef FA_F32_SPAN_silu_backward
FA_STUB2(silu_backward)
#define FA_F32_SPAN_silu_backward 0
#endif
#ifndef FA_F32_SPAN_sigmoid_backward
FA_STUB2(sigmoid_backward)
#define FA_F32_SPAN_sigmoid_backward 0
#endif
#ifndef FA_F32_SPAN_tanh_backward
FA_STUB2(tanh_backward)
#define FA_F32_SPAN_tanh_backward 0
#endif
#ifndef FA_F32_SPAN_hard_silu_backward
FA_STUB2(hard_silu_backward)
#define FA_F32_SPAN_hard_silu_backward 0
#endif
#ifndef FA_F32_SPAN_gelu_backward
FA_STUB2(gelu_backward)
#define FA_F32_SPAN_gelu_backward 0
#endif
#ifndef FA_F32_SPAN_gelu_tanh_backward
FA_STUB2(gelu_tanh_backward)
#define FA_F32_SPAN_gelu_tanh_backward 0
#endif
#ifndef FA_F32_SPAN_softplus_backward
FA_STUB2(softplus_backward)
#define FA_F32_SPAN_softplus_backward 0
#endif
#ifndef FA_F32_SPAN_log_sigmoid_backward
FA_STUB2(log_sigmoid_backward)
#define FA_F32_SPAN_log_sigmoid_backward 0
#endif
#ifndef FA_F32_SPAN_selu_backward
FA_STUB2(selu_backward)
#define FA_F32_SPAN_selu_backward 0
#endif
#ifndef FA_F32_SPAN_elu_backward
FA_STUB2(elu_backward)
#define FA_F32_SPAN_elu_backward 0
#endif
#ifndef FA_F32_SPAN_celu_backward
FA_STUB2(celu_backward)
#define FA_F32_SPAN_celu_backward 0
#endif
FA_PD_STUB(sigmoid)
FA_PD_STUB(silu)
FA_PD_STUB2(silu_backward)
FA_PD_STUB2(softplus_backward)
FA_PD_STUB2(log_sigmoid_backward)
FA_PD_STUB2(glu)
FA_PD_STUB2(elu_backward)
FA_PD_STUB2(selu_backward)
FA_PD_STUB2(celu_backward)
FA_PD_STUB2(gelu_backward)
#undef FA_PD_STUB
#undef FA_PD_STUB2
static inline void fa_softmax_backward_f64_span(const double *g, const double *y, double *dx, ptrdiff_t n,
                                                ptrdiff_t ahead)
{ (void)g; (void)y; (void)dx; (void)n; (void)ahead; }
static inline void fa_log_softmax_backward_f64_span(const double *g, const double *y, double *dx, ptrdiff_t n,
                                                    ptrdiff_t ahead)
{ (void)g; (void)y; (void)dx; (void)n; (void)ahead; }
static inline void fa_celu_f64_span(const double *x, double *out, ptrdiff_t n, double p, int pf)
{ (void)x; (void)out; (void)n; (void)p; (void)pf; }
static inline void fa_gelu_f64_span(const double *x, double *out, ptrdiff_t n, double p, int pf)
{ (void)x; (void)out; (void)n; (void)p; (void)pf; }
static inline void fa_glu_backward_f64_span(const double *a, const double *b, const double *g, double *da,
                                            double *db, ptrdiff_t n)
{ (void)a; (void)b; (void)g; (void)da; (void)db; (void)n; }
static inline void fa_glu_rows_f32_span(const float *x, const float *g, float *out, ptrdiff_t rows, ptrdiff_t M,
                                        int backward, int pf)
{ (void)x; (void)g; (void)out; (void)rows; (void)M; (void)backward; (void)pf; }
static inline void fa_glu_rows_f64_span(const double *x, const double *g, double *out, ptrdiff_t rows, ptrdiff_t M,
                                        int backward, int pf)
{ (void)x; (void)g; (void)out; (void)rows; (void)M; (void)backward; (void)pf; }
static inline double fa_softmax_sum_f64_span(const double *x, ptrdiff_t n, double m, double *t_lo, double *num,
                                             double *num_lo)
{ (void)x; (void)n; (void)m; (void)num; (void)num_lo; *t_lo = 0; return 0; }
static inline void fa_softmax_div_f64_span(const double *num, const double *num_lo, double *y, ptrdiff_t n,
                                           double total, double total_lo)
{ (void)num; (void)num_lo; (void)y; (void)n; (void)total; (void)total_lo; }
static inline void fa_log_softmax_out_f64_span(const double *x, double *y, ptrdiff_t n, double m, double lg,
                                               double lg_lo)
{ (void)x; (void)y; (void)n; (void)m; (void)lg; (void)lg_lo; }
static inline float fa_row_max_f32_span(const float *x, ptrdiff_t n, int *bad)
{ (void)x; (void)n; *bad = 1; return 0; }
static inline void fa_softmax_backward_f32_span(const float *g, const float *y, float *dx, ptrdiff_t n,
                                                ptrdiff_t ahead)
{ (void)g; (void)y; (void)dx; (void)n; (void)ahead; }
#ifndef FA_F32_SPAN_glu_backward
static inline void fa_glu_backward_f32_span(const float *a, const float *b, const float *g, float *da, float *db,
                                            ptrdiff_t n)
{ (void)a; (void)b; (void)g; (void)da; (void)db; (void)n; }
#define FA_F32_SPAN_glu_backward 0
#endif
static inline int fa_log_softmax_backward_f32_span(const float *g, const float *y, float *dx, ptrdiff_t n,
                                                   ptrdiff_t ahead)
{ (void)g; (void)y; (void)dx; (void)n; (void)ahead; return 0; }
static inline double fa_softmax_sum_f32_span(const float *x, ptrdiff_t n, float m, double *ties, float *e_hi,
                                             float *e_lo, ptrdiff_t ahead)
{ (void)x; (void)n; (void)m; (void)e_hi; (void)e_lo; (void)ahead; if (ties) *ties = 0; return 0; }
static inline void fa_softmax_scale_f32_span(const float *e_hi, const float *e_lo, float *y, ptrdiff_t n,
                                             double total)
{ (void)e_hi; (void)e_lo; (void)y; (void)n; (void)total; }
static inline void fa_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, float m, double total)
{ (void)x; (void)y; (void)n; (void)m; (void)total; }
static inline void fa_log_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, double m, double lg)
{ (void)x; (void)y; (void)n; (void)m; (void)lg; }
static inline void fa_cols_to_rows_f32(const float *x, ptrdiff_t M, ptrdiff_t L, int b, float *xs)
{ (void)x; (void)M; (void)L; (void)b; (void)xs; }
static inline void fa_rows_to_cols_f32(const float *xs, ptrdiff_t L, int b, float *out, ptrdiff_t M)
{ (void)xs; (void)L; (void)b; (void)out; (void)M; }
static inline void fa_rows16_f32(const float *x, float *y, ptrdiff_t L, int log_form)
{ (void)x; (void)y; (void)L; (void)log_form; }
static inline double fa_log1p_1(double t)
{ return log1p(t); }
static inline void fa_log_softmax_rows_f32(const float *x, float *y, ptrdiff_t rows, ptrdiff_t L)
{ (void)x; (void)y; (void)rows; (void)L; }
static inline void fa_cols16_f32(const float *x, float *out, ptrdiff_t L, ptrdiff_t M, int b, int log_form,
                                 float *scratch)
{ (void)x; (void)out; (void)L; (void)M; (void)b; (void)log_form; (void)scratch; }
#endif

/* FA2_SOFTMAX_ROWS: whether _spans_avx2.h's softmax rows are here (the AVX2 build; stubs elsewhere) */
#ifndef FA2_SOFTMAX_ROWS
#define FA2_SOFTMAX_ROWS 0
static inline int fa2_softmax_row_f32(const float *x, float *y, ptrdiff_t n, int log_form, float *e_lo)
{ (void)x; (void)y; (void)n; (void)log_form; (void)e_lo; return 0; }
static inline int fa2_softmax_backward_row_f32(const float *g, const float *y, float *dx, ptrdiff_t n, int log_form)
{ (void)g; (void)y; (void)dx; (void)n; (void)log_form; return 0; }
#define FA2_ROWS8_MAX 0
static inline int fa2_rows8_f32(const float *x, float *y, ptrdiff_t L, int log_form)
{ (void)x; (void)y; (void)L; (void)log_form; return 0; }
#endif

/* The piecewise-linear forwards (relu's plain form, leaky_relu, relu6, hard_tanh, soft_shrink,
 * hard_shrink, sparse_sigmoid, hard_sigmoid, hard_silu) have spans at the AVX2 level alone (_spans_avx2.h:
 * vminps/vmaxps and masks, two to five operations per 8 elements): there GCC's loops of the scalar forms
 * (a compare and a blend per select, and the portable loop's per-64-element overhead) took 1.4-1.8x the
 * time of a copy and fell below PyTorch at 1e6; at the AVX-512 level its masked loops of the same forms
 * already run at the memory's speed. */
#ifndef FA_F32_SPAN_relu
FA_STUB(relu)
#define FA_F32_SPAN_relu 0
#endif
#ifndef FA_F32_SPAN_leaky_relu
FA_STUB_P(leaky_relu)
#define FA_F32_SPAN_leaky_relu 0
#endif
#ifndef FA_F32_SPAN_relu6
FA_STUB(relu6)
#define FA_F32_SPAN_relu6 0
#endif
#ifndef FA_F32_SPAN_hard_tanh
FA_STUB(hard_tanh)
#define FA_F32_SPAN_hard_tanh 0
#endif
#ifndef FA_F32_SPAN_soft_shrink
FA_STUB_P(soft_shrink)
#define FA_F32_SPAN_soft_shrink 0
#endif
#ifndef FA_F32_SPAN_hard_shrink
FA_STUB_P(hard_shrink)
#define FA_F32_SPAN_hard_shrink 0
#endif
#ifndef FA_F32_SPAN_sparse_sigmoid
FA_STUB(sparse_sigmoid)
#define FA_F32_SPAN_sparse_sigmoid 0
#endif
#ifndef FA_F32_SPAN_hard_sigmoid
FA_STUB(hard_sigmoid)
#define FA_F32_SPAN_hard_sigmoid 0
#endif
#ifndef FA_F32_SPAN_hard_silu
FA_STUB(hard_silu)
#define FA_F32_SPAN_hard_silu 0
#endif
#undef FA_STUB
#undef FA_STUB2
#undef FA_STUB_T
#undef FA_STUB2_T
#undef FA_STUB_P

/* FA_F32_SPAN_<name>: whether fa_<name>_f32_span is a kernel here, for the Cython kernels' dispatch: all
 * of them in the AVX-512 build but the piecewise-linear ones above, those of _spans_avx2.h in the AVX2 one
 * (defined 1 there, 0 above) */
#ifndef FA_F32_SPAN_sigmoid
#define FA_F32_SPAN_sigmoid 1
#endif
#ifndef FA_F32_SPAN_tanh
#define FA_F32_SPAN_tanh 1
#endif
#ifndef FA_F32_SPAN_tanh_shrink
#define FA_F32_SPAN_tanh_shrink 1
#endif
#ifndef FA_F32_SPAN_softsign
#define FA_F32_SPAN_softsign 1
#endif
#ifndef FA_F32_SPAN_exponential
#define FA_F32_SPAN_exponential 1
#endif
#ifndef FA_F32_SPAN_silu
#define FA_F32_SPAN_silu 1
#endif
#ifndef FA_F32_SPAN_gelu
#define FA_F32_SPAN_gelu 1
#endif
#ifndef FA_F32_SPAN_gelu_tanh
#define FA_F32_SPAN_gelu_tanh 1
#endif
#ifndef FA_F32_SPAN_glu
#define FA_F32_SPAN_glu 1
#endif
#ifndef FA_F32_SPAN_glu_backward
#define FA_F32_SPAN_glu_backward 1
#endif
#ifndef FA_F32_SPAN_silu_backward
#define FA_F32_SPAN_silu_backward 1
#endif
#ifndef FA_F32_SPAN_sigmoid_backward
#define FA_F32_SPAN_sigmoid_backward 1
#endif
#ifndef FA_F32_SPAN_tanh_backward
#define FA_F32_SPAN_tanh_backward 1
#endif
#ifndef FA_F32_SPAN_hard_silu_backward
#define FA_F32_SPAN_hard_silu_backward 1
#endif
#ifndef FA_F32_SPAN_gelu_backward
#define FA_F32_SPAN_gelu_backward 1
#endif
#ifndef FA_F32_SPAN_gelu_tanh_backward
#define FA_F32_SPAN_gelu_tanh_backward 1
#endif
#ifndef FA_F32_SPAN_softplus_backward
#define FA_F32_SPAN_softplus_backward 1
#endif
#ifndef FA_F32_SPAN_log_sigmoid_backward
#define FA_F32_SPAN_log_sigmoid_backward 1
#endif
#ifndef FA_F32_SPAN_selu_backward
#define FA_F32_SPAN_selu_backward 1
#endif
#ifndef FA_F32_SPAN_elu_backward
#define FA_F32_SPAN_elu_backward 1
#endif
#ifndef FA_F32_SPAN_celu_backward
#define FA_F32_SPAN_celu_backward 1
#endif

#endif
