/* fastact/_spans_avx2.h -- hand-vectorised float32 spans for the AVX2 (+FMA) build, included by _spans.h
 * where the translation unit targets AVX2 but not AVX-512F.
 *
 * Why: on an AVX2 machine the portable float32 kernels compute in double (4 lanes per ymm, a vdivpd
 * per 4 elements), which lost to PyTorch's float kernels: on an AMD EPYC (Zen 3, 2 cores), 1e6
 * elements, 2 threads, sigmoid took 1.31 times PyTorch's time, silu 1.41.  Here the same <= 1 ULP
 * comes from float32 arithmetic on 8 lanes with error-free transformations, as _spans.h does with
 * AVX-512 (whose header comment explains the scheme); what AVX2 lacks is replaced:
 *
 *   exp(a) = 2^n T[j] (1 + p(r)),  a = (8 n + j) ln2/8 + r,  |r| <= ln2/16,
 *
 * T[j] = 2^(j/8) as hi + lo floats in one register each (vpermps reads an index's low 3 bits: one
 * instruction per lookup, where 2^(j/32) would take four and blends), p = r + r^2 P(r) with P of
 * degree 2 (relative error 2^-32; p's own rounding, |p| <= 0.045, stays below 2^-28 of exp), 2^n put
 * on as a multiply by a power of two (no vscalefps).  The quotient is one vdivps, correctly rounded,
 * and one correction with vrcpps' 2^-12 estimate of 1/d (no rcp14 for a Newton step): the correction
 * is ~2^-24 of the quotient, so its estimate leaves ~2^-36.
 *
 * Only some functions are here (those with an FA_F32_SPAN_<name> defined at the end); _spans.h gives
 * the rest empty stubs, and the Cython kernels call a span only where its FA_F32_SPAN_<name> is 1.
 */
#ifndef FASTACT_SPANS_AVX2_H
#define FASTACT_SPANS_AVX2_H

#include <immintrin.h>

/* 2^(j/8) = hi + lo, j = 0..7 */
static const float FA2_T8_HI[8] = {0x1p+0f, 0x1.172b84p+0f, 0x1.306fep+0f, 0x1.4bfdaep+0f, 0x1.6a09e6p+0f,
                                   0x1.8ace54p+0f, 0x1.ae89fap+0f, 0x1.d5818ep+0f};
static const float FA2_T8_LO[8] = {0.0f, -0x1.c15742p-27f, 0x1.4636e2p-25f, -0x1.593abcp-25f, 0x1.9fcef4p-26f,
                                   0x1.15506ep-27f, -0x1.a94b14p-26f, -0x1.822dbcp-27f};

/* the lanes of n elements left, as maskload's mask (n may exceed 8) */
static inline __m256i fa2_lanes_left(ptrdiff_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n < 8 ? (int)n : 8), lane);
}

/* The forms below work on FA2_U vectors at once, each step written for all of them in turn, so that
 * the chains of two vectors (~20 dependent operations and a division each) overlap in program order:
 * sigmoid 0.93 -> 0.84 ns per element (best of five, one thread, 8192 elements, AMD Zen 3; this VM's
 * runs differ by up to 25%); four vectors at once spill registers (1.47). */
#define FA2_U 2
#define FA2_EACH for (int u_ = 0; u_ < FA2_U; u_++)
typedef struct { __m256 v[FA2_U]; } fa2_vec;

/* exp(a) for a in [-64, 0] (NaN propagates) as 2^n (th + t), th = T[j] 2^n exactly, t = 2^n (T[j] p +
 * T_lo[j]), |t| < 2^-5 th: the pair unrenormalised, within 2^-28.5 of exp(a).  k = 8 n + j = round(a 8 /
 * ln2) comes from adding 1.5 2^23 (its low bits are k's, two's complement); a - k ln2/8 in two steps,
 * k C1 exact (C1 has 13 bits, |k| <= 739), the first step exact, the second rounded to 2^-29. */
static inline __attribute__((always_inline)) fa2_vec fa2_exp_parts(fa2_vec a, __m256 thi, __m256 tlo, fa2_vec *t)
{
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    fa2_vec th, kt, r, p, tl, s;
    FA2_EACH kt.v[u_] = _mm256_fmadd_ps(a.v[u_], _mm256_set1_ps(0x1.715476p+3f), shift);
    FA2_EACH r.v[u_] = _mm256_fmadd_ps(_mm256_sub_ps(kt.v[u_], shift), _mm256_set1_ps(-0x1.62ep-4f), a.v[u_]);
    FA2_EACH r.v[u_] = _mm256_fmadd_ps(_mm256_sub_ps(kt.v[u_], shift), _mm256_set1_ps(-0x1.0bfbe8p-18f), r.v[u_]);
    FA2_EACH {
        __m256 q = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.553982p-5f), r.v[u_],
                                                   _mm256_set1_ps(0x1.555cccp-3f)), r.v[u_], _mm256_set1_ps(0.5f));
        p.v[u_] = _mm256_fmadd_ps(_mm256_mul_ps(r.v[u_], r.v[u_]), q, r.v[u_]);
    }
    FA2_EACH {
        __m256i ki = _mm256_castps_si256(kt.v[u_]);
        th.v[u_] = _mm256_permutevar8x32_ps(thi, ki);
        tl.v[u_] = _mm256_permutevar8x32_ps(tlo, ki);
        /* 2^n, n = floor(k / 8) >= -93: (k >> 3) + 127 in the exponent field */
        __m256i n = _mm256_srai_epi32(_mm256_sub_epi32(ki, _mm256_castps_si256(shift)), 3);
        s.v[u_] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    }
    FA2_EACH th.v[u_] = _mm256_mul_ps(th.v[u_], s.v[u_]);
    FA2_EACH t->v[u_] = _mm256_fmadd_ps(th.v[u_], p.v[u_], _mm256_mul_ps(tl.v[u_], s.v[u_]));
    return th;
}

/* v sigmoid(x) for x >= -64 or NaN (+inf included) and finite v (silu's x of any size; softplus' and
 * log_sigmoid's backward take |g| from 2^64 one by one, as the AVX-512 spans do): with z = e^-|x| =
 * th + t (fa2_exp_parts, -|x| held at -64, where sigmoid(x) is 1 to 2^-92 for x >= 64) and d = 1 + z as
 * d_hi + d_lo (exact: 1 - d_hi is, and th + (1 - d_hi) lies on th's grid within a few of its ULPs),
 * the numerator u = v (x >= 0) or v z (x < 0) as u_hi + u_lo (z renormalised, Fast2Sum, then v z by an
 * FMA), q = u_hi / d_hi rounded, and q - (q d_lo + (q d_hi - u_hi - u_lo)) / d_hi, the residual exact
 * (FMA) and its quotient taken with vrcpps' estimate.  v = 1 (sigmoid) skips v's products. */
static inline __attribute__((always_inline)) fa2_vec fa2_mul_sigmoid(fa2_vec v, fa2_vec x, const int times_v,
                                                                     __m256 thi, __m256 tlo)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    fa2_vec a, t, th, zh, d_hi, d_lo, u_hi, u_lo, q;
    FA2_EACH a.v[u_] = _mm256_max_ps(_mm256_set1_ps(-64.0f), _mm256_or_ps(x.v[u_], sign)); /* (NaN: the 2nd) */
    th = fa2_exp_parts(a, thi, tlo, &t);
    FA2_EACH zh.v[u_] = _mm256_add_ps(th.v[u_], t.v[u_]);
    FA2_EACH d_hi.v[u_] = _mm256_add_ps(one, zh.v[u_]);
    FA2_EACH {
        __m256 neg = _mm256_cmp_ps(x.v[u_], _mm256_setzero_ps(), _CMP_LT_OQ);
        __m256 zl = _mm256_add_ps(_mm256_sub_ps(th.v[u_], zh.v[u_]), t.v[u_]);
        __m256 w_hi = _mm256_blendv_ps(one, zh.v[u_], neg), w_lo = _mm256_and_ps(zl, neg);
        if (times_v) {
            u_hi.v[u_] = _mm256_mul_ps(v.v[u_], w_hi);
            u_lo.v[u_] = _mm256_fmadd_ps(v.v[u_], w_lo, _mm256_fmsub_ps(v.v[u_], w_hi, u_hi.v[u_]));
        } else {
            u_hi.v[u_] = w_hi;
            u_lo.v[u_] = w_lo;
        }
    }
    FA2_EACH q.v[u_] = _mm256_div_ps(u_hi.v[u_], d_hi.v[u_]);
    FA2_EACH d_lo.v[u_] = _mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(one, d_hi.v[u_]), th.v[u_]), t.v[u_]);
    FA2_EACH {
        __m256 rho = _mm256_sub_ps(_mm256_fmsub_ps(q.v[u_], d_hi.v[u_], u_hi.v[u_]), u_lo.v[u_]);
        q.v[u_] = _mm256_fnmadd_ps(_mm256_fmadd_ps(q.v[u_], d_lo.v[u_], rho), _mm256_rcp_ps(d_hi.v[u_]), q.v[u_]);
    }
    return q;
}

/* the lanes the forward forms leave, one by one: v sigmoid(x) in double as fa_softplus_backward_1 has
 * it (exp's error, ~1e-16, then one rounding), v = 1 or x: sigmoid below -64 (e^x, subnormal from
 * -87.3 on, 0 from -104 on; -inf 0), silu below -64 (x e^x; -inf -0, where x times 0 is NaN) and at
 * +inf (+inf).  (fa2_fix_lanes' signature: a is x again) */
static inline float fa2_sigmoid_1(float a, float x, double p)
{
    (void)a;
    return fa_softplus_backward_1(1.0f, x, p);
}

static inline float fa2_silu_1(float a, float x, double p)
{
    (void)a;
    return x == -INFINITY ? -0.0f : fa_softplus_backward_1(x, x, p);
}

/* r with the lanes of `bad` replaced by one(a, x, 0) */
static inline __m256 fa2_fix_lanes(__m256 r, __m256 a, __m256 x, int bad, float (*one)(float, float, double))
{
    float as[8], xs[8], rs[8];
    _mm256_storeu_ps(as, a);
    _mm256_storeu_ps(xs, x);
    _mm256_storeu_ps(rs, r);
    while (bad) {
        int k = __builtin_ctz(bad);
        rs[k] = one(as[k], xs[k], 0.0);
        bad &= bad - 1;
    }
    return _mm256_loadu_ps(rs);
}

/* The span loop, over out[i] = f(a[i], x[i]) (a forward passes x as a too): a head of masked lanes up
 * to out's next 32-byte boundary, steps of FA2_U vectors (16 lanes: one prefetch per array covers its
 * 64-byte line FA2_AHEAD elements ahead), a masked tail.  FORM computes FA2_U vectors from av and xv;
 * the lanes where FIX (of the vectors a, x and the result y) is set are recomputed one by one by ONE,
 * so that a lane's result depends on its own inputs alone. */
#define FA2_AHEAD 2048
#define FA2_STEP(NAME, LOAD, STORE)                                                                           \
    {                                                                                                   \
        FA2_EACH av.v[u_] = two_ ? LOAD(a) : LOAD(x);                                                   \
        FA2_EACH xv.v[u_] = LOAD(x);                                                                    \
        r = fa2_##NAME##_u(av, xv, thi, tlo);                                                           \
        FA2_EACH STORE;                                                                                 \
    }
#define FA2_FULL(p) _mm256_loadu_ps((p) + i + 8 * u_)
#define FA2_PART(p) _mm256_maskload_ps((p) + i + 8 * u_, m[u_])
#define FA2_SPAN_RUN(NAME, FORM, FIX, ONE)                                                              \
static inline __attribute__((always_inline)) fa2_vec fa2_##NAME##_u(fa2_vec av, fa2_vec xv, __m256 thi,  \
                                                                    __m256 tlo)                         \
{                                                                                                       \
    fa2_vec r = FORM;                                                                                   \
    FA2_EACH {                                                                                          \
        __m256 a = av.v[u_], x = xv.v[u_], y = r.v[u_];                                                 \
        int bad = _mm256_movemask_ps(FIX);                                                              \
        (void)a;                                                                                        \
        (void)y;                                                                                        \
        if (bad)                                                                                        \
            r.v[u_] = fa2_fix_lanes(r.v[u_], a, x, bad, ONE);                                           \
    }                                                                                                   \
    return r;                                                                                           \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa2_##NAME##_run(const float *a, const float *x, float *out, \
                                                                   ptrdiff_t n, const int two_, const int pf_) \
{                                                                                                       \
    const __m256 thi = _mm256_loadu_ps(FA2_T8_HI), tlo = _mm256_loadu_ps(FA2_T8_LO);                    \
    ptrdiff_t i = 0, h = n < 64 ? 0 : (ptrdiff_t)((((uintptr_t)0 - (uintptr_t)out) & 31u) / sizeof(float)); \
    fa2_vec av, xv, r;                                                                                  \
    __m256i m[FA2_U];                                                                                   \
    if (h > 0) {                                                                                        \
        FA2_EACH m[u_] = fa2_lanes_left(u_ == 0 ? h : 0);                                               \
        FA2_STEP(NAME, FA2_PART, _mm256_maskstore_ps(out + 8 * u_, m[u_], r.v[u_]))                           \
        i = h;                                                                                          \
    }                                                                                                   \
    for (; i + 8 * FA2_U <= n; i += 8 * FA2_U) {                                                        \
        if (pf_) {                                                                                      \
            if (two_)                                                                                   \
                _mm_prefetch((const char *)(a + i + FA2_AHEAD), _MM_HINT_T0);                           \
            _mm_prefetch((const char *)(x + i + FA2_AHEAD), _MM_HINT_T0);                               \
            _mm_prefetch((const char *)(out + i + FA2_AHEAD), _MM_HINT_T0);                             \
        }                                                                                               \
        FA2_STEP(NAME, FA2_FULL, _mm256_storeu_ps(out + i + 8 * u_, r.v[u_]))                                 \
    }                                                                                                   \
    if (i < n) {                                                                                        \
        FA2_EACH m[u_] = fa2_lanes_left(n - i - 8 * u_);                                                \
        FA2_STEP(NAME, FA2_PART, _mm256_maskstore_ps(out + i + 8 * u_, m[u_], r.v[u_]))                       \
    }                                                                                                   \
}

/* fa_NAME_f32_span(x, out, n, pf), the forward, compiled for either pf */
#define FA2_SPAN(NAME, FORM, FIX, ONE)                                                                  \
FA2_SPAN_RUN(NAME, FORM, FIX, ONE)                                                                      \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n, int pf)                \
{                                                                                                       \
    if (pf)                                                                                             \
        fa2_##NAME##_run(x, x, out, n, 0, 1);                                                           \
    else                                                                                                \
        fa2_##NAME##_run(x, x, out, n, 0, 0);                                                           \
}
/* fa_NAME_f32_span(grad, saved, out, n, p, pf), a backward without a parameter */
#define FA2_SPAN2(NAME, FORM, FIX, ONE)                                                                 \
FA2_SPAN_RUN(NAME, FORM, FIX, ONE)                                                                      \
static inline void fa_##NAME##_f32_span(const float *g, const float *x, float *out, ptrdiff_t n, float p, int pf) \
{                                                                                                       \
    (void)p;                                                                                            \
    if (pf)                                                                                             \
        fa2_##NAME##_run(g, x, out, n, 1, 1);                                                           \
    else                                                                                                \
        fa2_##NAME##_run(g, x, out, n, 1, 0);                                                           \
}

static inline __m256 fa2_below(__m256 x, float lim)
{
    return _mm256_cmp_ps(x, _mm256_set1_ps(lim), _CMP_LT_OQ);
}

/* sigmoid: below -64 one by one (NaN and +inf stay: NaN propagates, +inf gives 1) */
FA2_SPAN(sigmoid, fa2_mul_sigmoid(xv, xv, 0, thi, tlo), fa2_below(x, -64.0f), fa2_sigmoid_1)
/* silu: x sigmoid(x); below -64 and +inf one by one (x / d would be inf - inf in the correction) */
FA2_SPAN(silu, fa2_mul_sigmoid(xv, xv, 1, thi, tlo),
         _mm256_or_ps(fa2_below(x, -64.0f), _mm256_cmp_ps(x, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ)), fa2_silu_1)

/* softplus' g sigmoid(x) and log_sigmoid's g sigmoid(-x): one by one where the argument of sigmoid is
 * below -64 (-inf included), where |g| is 2^64 or more (an infinite g would give inf - inf), and where
 * the result is below 2^-100 but g is not 0: there the quotient's residuals, ~2^-24 of it, fall below
 * FLT_MIN, and their roundings (2^-150 each) add up to more than the subnormal result's ULP (1.19 ULP
 * at g = 2^-126) */
static inline fa2_vec fa2_negated(fa2_vec x)
{
    FA2_EACH x.v[u_] = _mm256_xor_ps(x.v[u_], _mm256_set1_ps(-0.0f));
    return x;
}

static inline __m256 fa2_odd_g(__m256 g, __m256 y)
{
    const __m256 abs = _mm256_set1_ps(-0.0f);
    __m256 tiny = _mm256_and_ps(_mm256_cmp_ps(_mm256_andnot_ps(abs, y), _mm256_set1_ps(0x1p-100f), _CMP_LT_OQ),
                                _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_NEQ_UQ));
    return _mm256_or_ps(tiny, _mm256_cmp_ps(_mm256_andnot_ps(abs, g), _mm256_set1_ps(0x1p64f), _CMP_GE_OQ));
}

FA2_SPAN2(softplus_backward, fa2_mul_sigmoid(av, xv, 1, thi, tlo), _mm256_or_ps(fa2_below(x, -64.0f), fa2_odd_g(a, y)),
          fa_softplus_backward_1)
FA2_SPAN2(log_sigmoid_backward, fa2_mul_sigmoid(av, fa2_negated(xv), 1, thi, tlo),
          _mm256_or_ps(_mm256_cmp_ps(x, _mm256_set1_ps(64.0f), _CMP_GT_OQ), fa2_odd_g(a, y)),
          fa_log_sigmoid_backward_1)

#define FA_F32_SPAN_sigmoid 1
#define FA_F32_SPAN_silu 1
#define FA_F32_SPAN_softplus_backward 1
#define FA_F32_SPAN_log_sigmoid_backward 1

#endif
