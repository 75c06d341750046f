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
 * Each function handles any n and alignment (head and tail use masked loads and stores through the same
 * instructions), so a result never depends on where an element sits in its span, hence never on the
 * thread count.
 * Built only where the translation unit targets AVX-512F; elsewhere FA_HAVE_SPANS is 0 and the
 * functions are empty stubs the Cython code never calls.
 */
#ifndef FASTACT_SPANS_H
#define FASTACT_SPANS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

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

/* 2^floor(scale) * (hi + lo), |lo| <= ulp(hi)/2, hi in [0.5, 2] */
typedef struct { __m512 hi, lo, scale; } fa_f2;

/* exp(a) for a in [-176, 89] or NaN (NaN stays NaN); |k| < 2^13 keeps the reduction exact. */
static inline fa_f2 fa_exp_f2_512(__m512 a, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    /* k = round(a * 32/ln2), held in the low mantissa bits of kf (1.5 * 2^23 shift). */
    const __m512 shift = _mm512_set1_ps(12582912.0f);
    __m512 kf = _mm512_fmadd_ps(a, _mm512_set1_ps(0x1.715476p+5f), shift);
    __m512 k = _mm512_sub_ps(kf, shift);
    /* r = a - k ln2/32: L1 has 9 significant bits, so k * L1 (|k| < 2^13) and a - k * L1 are exact. */
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0x1.63p-6f), a);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-0x1.bd0106p-18f), r);
    /* the table index is k mod 32: vpermi2ps reads the low 5 bits of kf's bits */
    __m512i idx = _mm512_castps_si512(kf);
    __m512 th = _mm512_permutex2var_ps(thi0, idx, thi1);
    __m512 tl = _mm512_permutex2var_ps(tlo0, idx, tlo1);
    /* expm1(r) = r + r^2 (1/2 + r/6): truncation r^4/24 < 2^-30.7 relative */
    __m512 c = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    __m512 p = _mm512_fmadd_ps(_mm512_mul_ps(r, r), c, r);
    /* T (1 + p) = th + (th p + tl), renormalised (Fast2Sum, |th| > 90 |th p + tl|) so that the low part
     * is below half an ULP of the high one; the scale 2^floor(k/32) is left to the caller (vscalef) */
    __m512 t = _mm512_fmadd_ps(th, p, tl);
    __m512 hi = _mm512_add_ps(th, t);
    __m512 lo = _mm512_add_ps(_mm512_sub_ps(th, hi), t);
    fa_f2 z;
    z.hi = hi;
    z.lo = lo;
    z.scale = _mm512_mul_ps(k, _mm512_set1_ps(1.0f / 32.0f));
    return z;
}

/* d_hi + d_lo = 1 + z for z = exp(a) from fa_exp_f2_512 (a <= 0, so z <= 1): with s = 2^floor(scale),
 * 1 + hi s is rounded to d_hi and its rounding error recovered exactly by one FMA (1 - d_hi is exact,
 * d_hi in [1, 2]); lo s is added to the low part. */
static inline __m512 fa_one_plus_512(fa_f2 z, __m512 *d_lo)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 s = _mm512_scalef_ps(one, z.scale);
    __m512 d_hi = _mm512_fmadd_ps(z.hi, s, one);
    *d_lo = _mm512_fmadd_ps(z.lo, s, _mm512_fmadd_ps(z.hi, s, _mm512_sub_ps(one, d_hi)));
    return d_hi;
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

static inline __m512 fa_sigmoid_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    /* z = exp(-|x|); -104 is below float's range for z, and max(lim, NaN) is NaN */
    __m512 a = _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN));
    a = _mm512_max_ps(_mm512_set1_ps(-104.0f), a);
    fa_f2 z = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    __m512 d_lo, d_hi = fa_one_plus_512(z, &d_lo);
    /* 1/(1+z) for x >= 0; z/(1+z) for x < 0, from z's unscaled parts and scaled at the end, so that a
     * result near FLT_MIN is not rounded from a subnormal low part (sign bit clear: +0, +x, NaN) */
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 n_hi = _mm512_mask_blend_ps(neg, one, z.hi);
    __m512 n_lo = _mm512_maskz_mov_ps(neg, z.lo);
    return _mm512_scalef_ps(fa_div_f2_512(n_hi, n_lo, d_hi, d_lo), _mm512_maskz_mov_ps(neg, z.scale));
}

static inline __m512 fa_tanh_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    const __m512 sign = _mm512_set1_ps(FA_SIGN);
    __m512 ax = _mm512_andnot_ps(sign, x);
    /* |x| < 0.125: odd polynomial |x| + |x|^3 P(x^2), Taylor to x^7 (truncation 2^-22 relative to P);
     * |x|^3 P is below |x|/190, so the sum is rounded once from a value within 2^-29 of the truth */
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 P = _mm512_fmadd_ps(_mm512_set1_ps(-0x1.ba1ba2p-5f), x2, _mm512_set1_ps(0x1.111112p-3f));
    P = _mm512_fmadd_ps(P, x2, _mm512_set1_ps(-0x1.555556p-2f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(ax, x2), P, ax);
    /* |x| >= 0.125: (1 - w) / (1 + w), w = exp(-2|x|) in (0, 0.78]: 1 - w loses at most 3 bits, which
     * the 2^-30 of w's hi + lo pair absorbs */
    __m512 a = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
    fa_f2 w = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    __m512 d_lo, d_hi = fa_one_plus_512(w, &d_lo);
    /* (1 - w) / (1 + w) = 2/d - 1.  q = 2 rcp14(d_hi) is within 2^-14 of 2/d, in [1, 2] (d in [1, 1.78]),
     * so q - 1 is exact; q - 1 + (2 - q d) / d, with 1/d taken as rcp14 again, is a Newton step on 2/d
     * with the 1 taken off first: one rounding, 2^-28 */
    __m512 y = _mm512_rcp14_ps(d_hi);
    __m512 q = _mm512_add_ps(y, y);
    __m512 corr = _mm512_fnmadd_ps(q, d_lo, _mm512_fnmadd_ps(q, d_hi, _mm512_set1_ps(2.0f)));
    __m512 big = _mm512_fmadd_ps(corr, y, _mm512_sub_ps(q, _mm512_set1_ps(1.0f)));
    /* NaN compares false and takes the big path, which propagates it; both paths work on |x| and the
     * sign goes back on last (tanh(-0) = -0) */
    __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.125f), _CMP_LT_OQ);
    return _mm512_or_ps(_mm512_mask_blend_ps(is_small, big, small), _mm512_and_ps(x, sign));
}

/* v sigmoid(x) (silu: v = x; glu: v = a, x = b) = v / (1 + z) for x >= 0, v z / (1 + z) for x < 0,
 * z = exp(-|x|) as hi + lo.  v z is kept exact (FMA) and unscaled, the quotient is rounded once from
 * ~2^-28 and scaled at the end.  x < -120: |v e^x| < 2^-150 |v|; x = +-inf: v or 0 times v's sign. */
static inline __m512 fa_mul_sigmoid_512(__m512 v, __m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    __m512 a = _mm512_or_ps(x, _mm512_set1_ps(FA_SIGN));
    a = _mm512_max_ps(_mm512_set1_ps(-120.0f), a);
    fa_f2 z = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    __m512 d_lo, d_hi = fa_one_plus_512(z, &d_lo);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    /* v z: z's high part is up to 2, so a v beyond 2^64 is taken times 2^-64 first (and the final
     * scaling puts it back), where v z would overflow; a small v is left alone (v z stays normal) */
    __mmask16 huge = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(0x1p64f), _CMP_GE_OQ);
    __m512 vs = _mm512_mask_mul_ps(v, huge, v, _mm512_set1_ps(0x1p-64f));
    __m512 p = _mm512_mul_ps(vs, z.hi);
    __m512 p_lo = _mm512_fmadd_ps(vs, z.lo, _mm512_fmsub_ps(vs, z.hi, p));
    __m512 n_hi = _mm512_mask_blend_ps(neg, v, p);
    __m512 n_lo = _mm512_maskz_mov_ps(neg, p_lo);
    __m512 scale = _mm512_maskz_mov_ps(neg, _mm512_mask_add_ps(z.scale, huge, z.scale, _mm512_set1_ps(64.0f)));
    return _mm512_scalef_ps(fa_div_f2_512(n_hi, n_lo, d_hi, d_lo), scale);
}

static inline __m512 fa_silu_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    /* below -120 (and -inf, where -inf * 0 would be NaN): -0; +inf: inf; the sign of -0 kept */
    const __m512 sign = _mm512_set1_ps(FA_SIGN);
    __m512 q = fa_mul_sigmoid_512(x, x, thi0, thi1, tlo0, tlo1);
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-120.0f), _CMP_LT_OQ), q, sign);
    q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ), q, x);
    return _mm512_or_ps(q, _mm512_and_ps(x, sign));
}

/* glu's forward over one group: out[i] = a[i] sigmoid(b[i]).  Like the elementwise reference
 * (a times sigmoid(b) rounded to float32 in double): sigmoid(b) = 1 or 0 exactly at b = +-inf, so
 * a * 0 is NaN only for a = +-inf. */
static inline void fa_glu_f32_span(const float *a, const float *b, float *out, ptrdiff_t n)
{
    const __m512 thi0 = _mm512_loadu_ps(FA_T_HI), thi1 = _mm512_loadu_ps(FA_T_HI + 16);
    const __m512 tlo0 = _mm512_loadu_ps(FA_T_LO), tlo1 = _mm512_loadu_ps(FA_T_LO + 16);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 av = _mm512_maskz_loadu_ps(in, a + i), bv = _mm512_maskz_loadu_ps(in, b + i);
        __m512 q = fa_mul_sigmoid_512(av, bv, thi0, thi1, tlo0, tlo1);
        /* b < -120: a e^b, below 2^-150 |a|: a * 0 (0 with a's sign, NaN for infinite a) */
        __mmask16 deep = _mm512_cmp_ps_mask(bv, _mm512_set1_ps(-120.0f), _CMP_LT_OQ);
        q = _mm512_mask_mul_ps(q, deep, av, _mm512_setzero_ps());
        /* b = +inf: a; infinite a: a, or NaN where sigmoid(b) is 0 (b = -inf) or NaN */
        q = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(bv, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ), q, av);
        __mmask16 a_inf = _mm512_cmp_ps_mask(_mm512_abs_ps(av), _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
        __m512 unit = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(bv, _mm512_set1_ps(-INFINITY), _CMP_GT_OQ),
                                           _mm512_set1_ps(NAN), _mm512_set1_ps(1.0f));
        q = _mm512_mask_mul_ps(q, a_inf, av, unit);
        q = _mm512_or_ps(q, _mm512_and_ps(av, _mm512_set1_ps(FA_SIGN)));   /* a = -0: -0 */
        _mm512_mask_storeu_ps(out + i, in, q);
    }
}

static inline __m512 fa_exponential_512(__m512 x, __m512 thi0, __m512 thi1, __m512 tlo0, __m512 tlo1)
{
    /* exp(x): the hi + lo pair rounded once to float, then scaled (exact, except in the subnormal
     * range, where the absolute error stays below FLT_MIN).  Clamped to [-104, 89], NaN kept: below,
     * exp rounds to 0; above, the scaling overflows to inf. */
    __m512 a = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    fa_f2 z = fa_exp_f2_512(a, thi0, thi1, tlo0, tlo1);
    return _mm512_scalef_ps(_mm512_add_ps(z.hi, z.lo), z.scale);
}

/* The head runs up to out's next 64-byte boundary (NumPy's large buffers sit 16 bytes past one, and
 * zmm stores split over two cache lines cost ~9% in a standalone run); the tail is what is left.  Both
 * are masked. */
#define FA_SPAN(NAME)                                                                                   \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n)                         \
{                                                                                                       \
    const __m512 thi0 = _mm512_loadu_ps(FA_T_HI), thi1 = _mm512_loadu_ps(FA_T_HI + 16);                 \
    const __m512 tlo0 = _mm512_loadu_ps(FA_T_LO), tlo1 = _mm512_loadu_ps(FA_T_LO + 16);                 \
    ptrdiff_t i = (ptrdiff_t)((((uintptr_t)0 - (uintptr_t)out) & 63u) / sizeof(float));                 \
    __mmask16 m;                                                                                        \
    if (i > n)                                                                                          \
        i = n;                                                                                          \
    if (i > 0) {                                                                                        \
        m = (__mmask16)((1u << i) - 1u);                                                                \
        _mm512_mask_storeu_ps(out, m, fa_##NAME##_512(_mm512_maskz_loadu_ps(m, x), thi0, thi1, tlo0, tlo1)); \
    }                                                                                                   \
    for (; i + 16 <= n; i += 16)                                                                        \
        _mm512_storeu_ps(out + i, fa_##NAME##_512(_mm512_loadu_ps(x + i), thi0, thi1, tlo0, tlo1));      \
    if (i < n) {                                                                                        \
        m = (__mmask16)((1u << (n - i)) - 1u);                                                          \
        _mm512_mask_storeu_ps(out + i, m,                                                               \
                              fa_##NAME##_512(_mm512_maskz_loadu_ps(m, x + i), thi0, thi1, tlo0, tlo1)); \
    }                                                                                                   \
}
FA_SPAN(sigmoid)
FA_SPAN(tanh)
FA_SPAN(exponential)
FA_SPAN(silu)
#undef FA_SPAN

/* ---- softmax rows (float32): the sum and the quotients, with exp from the same hi + lo pairs ----
 * d = x - m is kept exact as d_hi + d_lo (TwoSum), exp(d) = exp(d_hi) (1 + d_lo) renormalised; values
 * below m - 176 (and -inf) contribute e^-176 = 2^-254 with d_lo = 0, nothing next to a float ULP of any
 * sum that matters (log_softmax needs the sum without the maximum to its relative accuracy down to
 * FLT_MIN; softmax's is at least 1).  fa_exp_f2_512's reduction is exact down to -177. */
static inline fa_f2 fa_exp_shifted_512(__m512 x, __m512 m, __mmask16 *top, __m512 thi0, __m512 thi1,
                                       __m512 tlo0, __m512 tlo1)
{
    const __m512 floor_ = _mm512_set1_ps(-176.0f);
    __m512 d = _mm512_sub_ps(x, m);
    __m512 bb = _mm512_sub_ps(d, x);
    __m512 err = _mm512_add_ps(_mm512_sub_ps(x, _mm512_sub_ps(d, bb)), _mm512_sub_ps(_mm512_sub_ps(_mm512_setzero_ps(), m), bb));
    /* (rows holding NaN or +inf never get here, so d is never NaN; -inf gives d = -inf, err NaN) */
    __mmask16 deep = _mm512_cmp_ps_mask(d, floor_, _CMP_LT_OQ);
    *top = _mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_EQ_OQ);
    d = _mm512_max_ps(floor_, d);
    err = _mm512_maskz_mov_ps((__mmask16)~deep, err);
    fa_f2 z = fa_exp_f2_512(d, thi0, thi1, tlo0, tlo1);
    /* the low part takes d_lo's effect without renormalising: |lo| stays below 2^-16 |hi| (|d_lo| <=
     * 176 2^-24), which the sums in double and fa_div_f2_512's correction step both absorb */
    z.lo = _mm512_fmadd_ps(z.hi, err, z.lo);
    return z;
}

/* The largest value of x[0:n] (NaN ignored) and *bad = the row holds NaN or +inf, or only -inf (or
 * nothing): fa_row_max_f32 with vmaxps (which returns its second operand where the first is NaN) and a
 * NaN mask, three times faster than the portable integer-key version. */
static inline float fa_row_max_f32_span(const float *x, ptrdiff_t n, int *bad)
{
    const __m512 lowest = _mm512_set1_ps(-INFINITY);
    __m512 m0 = lowest, m1 = lowest;
    __mmask16 nan = 0;
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
        m0 = _mm512_max_ps(v0, m0);
        m1 = _mm512_max_ps(v1, m1);
        nan |= _mm512_cmp_ps_mask(v0, v1, _CMP_UNORD_Q);
    }
    for (; i < n; i += 16) {
        __mmask16 in = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 v = _mm512_mask_loadu_ps(lowest, in, x + i);
        m0 = _mm512_max_ps(v, m0);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    *bad = (nan != 0) | (m == INFINITY) | (m == -INFINITY);
    return m;
}

/* Sum over x[0:n] of exp(x - m) in double, without the terms where x == m (exactly 1 each), which are
 * counted in *ties.  Term j goes to lane j % 16 from the row's start, so the sum depends on the row
 * alone.  The terms are taken times 2^64, so that even the low part of a term near FLT_MIN is a normal
 * float (a tiny sum keeps its relative accuracy: log_softmax's -log1p(t)); their high parts are added
 * in double (exact), their low parts (2^-24 of them) in float.  With e_hi and e_lo given, the scaled
 * terms are also stored there for fa_softmax_scale_f32_span (1 at the maxima as 2^64), so that softmax
 * computes each exp once; the quotients are scaled back once, at the end. */
static inline double fa_softmax_sum_f32_span(const float *x, ptrdiff_t n, float m_, double *ties, float *e_hi,
                                             float *e_lo)
{
    const __m512 thi0 = _mm512_loadu_ps(FA_T_HI), thi1 = _mm512_loadu_ps(FA_T_HI + 16);
    const __m512 tlo0 = _mm512_loadu_ps(FA_T_LO), tlo1 = _mm512_loadu_ps(FA_T_LO + 16);
    const __m512 m = _mm512_set1_ps(m_), two64 = _mm512_set1_ps(0x1p64f);
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    __m512 sl = _mm512_setzero_ps();
    long long count = 0;
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u), top;
        fa_f2 z = fa_exp_shifted_512(_mm512_maskz_loadu_ps(in, x + i), m, &top, thi0, thi1, tlo0, tlo1);
        __mmask16 use = in & (__mmask16)~top;
        __m512 s64 = _mm512_add_ps(z.scale, _mm512_set1_ps(64.0f));
        __m512 hi = _mm512_maskz_scalef_ps(use, z.hi, s64);
        __m512 lo = _mm512_maskz_scalef_ps(use, z.lo, s64);
        if (e_hi) {
            _mm512_mask_storeu_ps(e_hi + i, in, _mm512_mask_mov_ps(hi, top, two64));
            _mm512_mask_storeu_ps(e_lo + i, in, lo);
        }
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(hi)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(hi), 1))));
        sl = _mm512_add_ps(sl, lo);
        count += __builtin_popcount((unsigned)(in & top));
    }
    *ties = (double)count;
    double a[8], b[8], t = 0.0;
    float c[16], tl = 0.0f;
    _mm512_storeu_pd(a, s0);
    _mm512_storeu_pd(b, s1);
    _mm512_storeu_ps(c, sl);
    for (int k = 0; k < 8; k++) {
        t += a[k] + b[k];
        tl += c[k] + c[k + 8];
    }
    return (t + tl) * 0x1p-64;
}

/* total = 2^k (D_hi + D_lo), D_hi in [1, 2]: the divisor of the quotients below */
static inline __m512 fa_divisor_512(double total, __m512 *d_lo, __m512 *k_)
{
    int k;
    double D = __builtin_frexp(total, &k) * 2.0;
    float D_hi = (float)D, D_lo = (float)(D - (double)D_hi);
    *d_lo = _mm512_set1_ps(D_lo);
    *k_ = _mm512_set1_ps((float)(k - 1));
    return _mm512_set1_ps(D_hi);
}

/* y = exp(x - m) / total for x[0:n] (total >= 1, the row's sum), each rounded once from ~2^-28. */
static inline void fa_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, float m_, double total)
{
    const __m512 thi0 = _mm512_loadu_ps(FA_T_HI), thi1 = _mm512_loadu_ps(FA_T_HI + 16);
    const __m512 tlo0 = _mm512_loadu_ps(FA_T_LO), tlo1 = _mm512_loadu_ps(FA_T_LO + 16);
    const __m512 m = _mm512_set1_ps(m_);
    __m512 dl, kk, dh = fa_divisor_512(total, &dl, &kk);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u), top;
        fa_f2 z = fa_exp_shifted_512(_mm512_maskz_loadu_ps(in, x + i), m, &top, thi0, thi1, tlo0, tlo1);
        __m512 q = fa_div_f2_512(z.hi, z.lo, dh, dl);
        _mm512_mask_storeu_ps(y + i, in, _mm512_scalef_ps(q, _mm512_sub_ps(z.scale, kk)));
    }
}

/* y = (e_hi + e_lo) 2^-64 / total from the terms fa_softmax_sum_f32_span stored (y may be e_hi). */
static inline void fa_softmax_scale_f32_span(const float *e_hi, const float *e_lo, float *y, ptrdiff_t n,
                                             double total)
{
    __m512 dl, kk, dh = fa_divisor_512(total, &dl, &kk);
    __m512 minus_k = _mm512_sub_ps(_mm512_set1_ps(-64.0f), kk);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 in = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 q = fa_div_f2_512(_mm512_maskz_loadu_ps(in, e_hi + i), _mm512_maskz_loadu_ps(in, e_lo + i), dh, dl);
        _mm512_mask_storeu_ps(y + i, in, _mm512_scalef_ps(q, minus_k));
    }
}

#else
#define FA_HAVE_SPANS 0
static inline void fa_sigmoid_f32_span(const float *x, float *out, ptrdiff_t n)
{ (void)x; (void)out; (void)n; }
static inline void fa_tanh_f32_span(const float *x, float *out, ptrdiff_t n)
{ (void)x; (void)out; (void)n; }
static inline void fa_exponential_f32_span(const float *x, float *out, ptrdiff_t n)
{ (void)x; (void)out; (void)n; }
static inline void fa_silu_f32_span(const float *x, float *out, ptrdiff_t n)
{ (void)x; (void)out; (void)n; }
static inline void fa_glu_f32_span(const float *a, const float *b, float *out, ptrdiff_t n)
{ (void)a; (void)b; (void)out; (void)n; }
static inline float fa_row_max_f32_span(const float *x, ptrdiff_t n, int *bad)
{ (void)x; (void)n; *bad = 1; return 0; }
static inline double fa_softmax_sum_f32_span(const float *x, ptrdiff_t n, float m, double *ties, float *e_hi,
                                             float *e_lo)
{ (void)x; (void)n; (void)m; (void)e_hi; (void)e_lo; *ties = 0; return 0; }
static inline void fa_softmax_scale_f32_span(const float *e_hi, const float *e_lo, float *y, ptrdiff_t n,
                                             double total)
{ (void)e_hi; (void)e_lo; (void)y; (void)n; (void)total; }
static inline void fa_softmax_out_f32_span(const float *x, float *y, ptrdiff_t n, float m, double total)
{ (void)x; (void)y; (void)n; (void)m; (void)total; }
#endif

#endif
