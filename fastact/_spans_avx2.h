/* fastact/_spans_avx2.h -- hand-vectorised float32 spans for the AVX2 (+FMA) build, included by _spans.h
 * where the translation unit targets AVX2 but not AVX-512F.
 *
 * Why: on an AVX2 machine the portable float32 kernels compute in double (4 lanes per ymm, a vdivpd
 * per 4 elements), which lost to PyTorch's float kernels: on an AMD EPYC (Zen 3, 2 cores), 1e6
 * elements, 2 threads, sigmoid took 1.31 times PyTorch's time, silu 1.41.  Here the same <= 1 ULP
 * comes from float32 arithmetic on 8 lanes with error-free transformations, as _spans.h does with
 * AVX-512 (whose header comment explains the scheme); what AVX2 lacks is replaced:
 *
 *   exp(a) = 2^n T[j] (1 + p(r)),  a = (4 n + j) ln2/4 + r,  |r| <= ln2/8,
 *
 * T[j] = 2^(j/4) as hi + lo floats in one register each (vpermilps reads an index's low 2 bits within
 * each 128-bit half: one instruction per lookup, and a cheap one, where 2^(j/32) would take four
 * vpermps and blends), p = r + r^2 P(r) with P of degree 3 (relative error 2^-35; the pair's roundings,
 * 2^-26 of exp at most: fa2_exp_core), 2^n put on as a multiply by a power of two (no vscalefps).  The quotient is one vdivps, correctly rounded,
 * and one correction with vrcpps' 2^-12 estimate of 1/d (no rcp14 for a Newton step): the correction
 * is ~2^-24 of the quotient, so its estimate leaves ~2^-36.
 *
 * Only some functions are here (those with an FA_F32_SPAN_<name> defined at the end); _spans.h gives
 * the rest empty stubs, and the Cython kernels call a span only where its FA_F32_SPAN_<name> is 1.
 */
#ifndef FASTACT_SPANS_AVX2_H
#define FASTACT_SPANS_AVX2_H

#include <immintrin.h>
#include <string.h>

/* 2^(j/4) = hi + lo, j = 0..3, in both 128-bit halves (vpermilps reads within a half) */
static const float FA2_T4_HI[8] = {0x1p+0f, 0x1.306fep+0f, 0x1.6a09e6p+0f, 0x1.ae89fap+0f,
                                   0x1p+0f, 0x1.306fep+0f, 0x1.6a09e6p+0f, 0x1.ae89fap+0f};
static const float FA2_T4_LO[8] = {0.0f, 0x1.4636e2p-25f, 0x1.9fcef4p-26f, -0x1.a94b14p-26f,
                                   0.0f, 0x1.4636e2p-25f, 0x1.9fcef4p-26f, -0x1.a94b14p-26f};

/* the lanes of n elements left, as maskload's mask (n may exceed 8) */
static inline __m256i fa2_lanes_left(ptrdiff_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n < 8 ? (int)n : 8), lane);
}

/* 8 lanes of p (the n left: the others `fill`) */
static inline __m256 fa2_load_fill(const float *p, ptrdiff_t n, __m256 fill)
{
    if (n >= 8)
        return _mm256_loadu_ps(p);
    __m256i m = fa2_lanes_left(n);
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}

/* 8 floats into p (the n left, none for n <= 0) */
static inline void fa2_store_part(float *p, ptrdiff_t n, __m256 v)
{
    if (n >= 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, fa2_lanes_left(n), v);
}

/* the low and high 4 lanes of v in double, and the 8 lanes of (lo, hi) rounded to float */
static inline __m256d fa2_lo_pd(__m256 v)
{
    return _mm256_cvtps_pd(_mm256_castps256_ps128(v));
}

static inline __m256d fa2_hi_pd(__m256 v)
{
    return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

static inline __m256 fa2_pd_to_ps(__m256d lo, __m256d hi)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}

/* A loop over i = 0, W, 2 W, ... < n (the softmax rows, the double forms' spans): the body (...) with
 * full_ = 1 (plain loads and stores) while W elements are left, then once with full_ = 0 (masked:
 * FA2_ROW_LOAD fills with 0) for the rest */
#define FA2_ROW_LOAD(p, k) (full_ ? _mm256_loadu_ps((p) + i + (k)) : fa2_load_fill((p) + i + (k), n - i - (k), _mm256_setzero_ps()))
/* 4 lanes in double (p + i + k: a full step's from memory, vcvtps2pd's own load) */
#define FA2_ROW_LOAD_PD(p, k)                                                                           \
    (full_ ? _mm256_cvtps_pd(_mm_loadu_ps((p) + i + (k)))                                               \
           : fa2_lo_pd(fa2_load_fill((p) + i + (k), n - i - (k), _mm256_setzero_ps())))
#define FA2_ROW_STORE(p, k, v)                                                                          \
    do {                                                                                                \
        if (full_)                                                                                      \
            _mm256_storeu_ps((p) + i + (k), (v));                                                       \
        else                                                                                            \
            fa2_store_part((p) + i + (k), n - i - (k), (v));                                            \
    } while (0)
#define FA2_ROW_LOOP(W, ...)                                                                            \
    {                                                                                                   \
        ptrdiff_t i = 0;                                                                                \
        for (; i + (W) <= n; i += (W)) {                                                                \
            const int full_ = 1;                                                                        \
            __VA_ARGS__                                                                                 \
        }                                                                                               \
        if (i < n) {                                                                                    \
            const int full_ = 0;                                                                        \
            __VA_ARGS__                                                                                 \
        }                                                                                               \
    }

/* Spans computed in double on 4 lanes (where a float formula would need pairs to round once and double's
 * needs none, or fewer operations): fa2_NAME_pd(g, x, y) computes y[k] from g[k] and x[k] for k <
 * FA2_PD_NV, the 4 vectors of a step's 16 floats (a forward's g is x; four interleaved rather than two:
 * gelu' 1.53 -> 1.43 ns per element, sigmoid' 0.191 -> 0.186, hard_silu' 0.315 -> 0.301; gelu's own
 * form takes them two at a time, 1.18 against 1.22), then FIN, a float expression of the rounded result
 * r_ and the inputs g_ and x_ (8 lanes), takes what the formula leaves (selects).  Every lane takes
 * the formula, none goes one by one.  The loop loads 4 floats at a time into 4 doubles (vcvtps2pd's
 * own load: where 256-bit loads were split in two, the extractions made sigmoid' 0.32 ns per element
 * instead of 0.19), 16 a step, and the last 15 or fewer through masked loads and stores (FA2_ROW_LOOP). */
#define FA2_PD_RUN(NAME, FIN, TWO)                                                                      \
static inline __attribute__((always_inline)) void fa2_##NAME##_pd_run(const float *g, const float *x,   \
                                                                      float *out, ptrdiff_t n, const int pf) \
{                                                                                                       \
    FA2_ROW_LOOP(16, {                                                                                  \
        __m256 r[2];                                                                                    \
        if (pf && full_) {                                                                              \
            if (TWO)                                                                                    \
                _mm_prefetch((const char *)(g + i + FA2_AHEAD), _MM_HINT_T0);                           \
            _mm_prefetch((const char *)(x + i + FA2_AHEAD), _MM_HINT_T0);                               \
            _mm_prefetch((const char *)(out + i + FA2_AHEAD), _MM_HINT_T0);                             \
        }                                                                                               \
        __m256d gd[FA2_PD_NV], xd[FA2_PD_NV], yd[FA2_PD_NV];                                            \
        for (int k = 0; k < FA2_PD_NV; k++) {                                                           \
            xd[k] = FA2_ROW_LOAD_PD(x, 4 * k);                                                          \
            gd[k] = TWO ? FA2_ROW_LOAD_PD(g, 4 * k) : xd[k];                                            \
        }                                                                                               \
        fa2_##NAME##_pd(gd, xd, yd);                                                                    \
        for (int h = 0; h < 2; h++) {                                                                   \
            __m256 r_ = fa2_pd_to_ps(yd[2 * h], yd[2 * h + 1]), x_ = FA2_ROW_LOAD(x, 8 * h);            \
            __m256 g_ = TWO ? FA2_ROW_LOAD(g, 8 * h) : x_;                                              \
            (void)g_;                                                                                   \
            (void)x_;                                                                                   \
            r[h] = FIN;                                                                                 \
        }                                                                                               \
        for (int h = 0; h < 2; h++)                                                                     \
            FA2_ROW_STORE(out, 8 * h, r[h]);                                                            \
    })                                                                                                  \
}
/* fa_NAME_f32_span(x, out, n, pf), a forward */
#define FA2_SPAN_PD(NAME, FIN)                                                                          \
FA2_PD_RUN(NAME, FIN, 0)                                                                                \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n, int pf)                \
{                                                                                                       \
    if (pf)                                                                                             \
        fa2_##NAME##_pd_run(x, x, out, n, 1);                                                           \
    else                                                                                                \
        fa2_##NAME##_pd_run(x, x, out, n, 0);                                                           \
}
/* fa_NAME_f32_span(grad, saved, out, n, p, pf), a backward (no parameter) */
#define FA2_SPAN2_PD(NAME, FIN)                                                                         \
FA2_PD_RUN(NAME, FIN, 1)                                                                                \
static inline void fa_##NAME##_f32_span(const float *g, const float *x, float *out, ptrdiff_t n, float p, int pf) \
{                                                                                                       \
    (void)p;                                                                                            \
    if (pf)                                                                                             \
        fa2_##NAME##_pd_run(g, x, out, n, 1);                                                           \
    else                                                                                                \
        fa2_##NAME##_pd_run(g, x, out, n, 0);                                                           \
}
#define FA2_PD_NV 4
#define FA2_PD_EACH_OF(nv) for (int k = 0; k < (nv); k++)
#define FA2_PD_EACH FA2_PD_EACH_OF(FA2_PD_NV)

/* The forms below work on FA2_U vectors at once, each step written for all of them in turn, so that
 * the chains of the vectors (~20 dependent operations and a division each) overlap in program order:
 * sigmoid 0.93 -> 0.84 ns per element from one vector to two (best of five, one thread, 8192 elements,
 * AMD Zen 3; this VM's runs differ by up to 25%), 0.98 -> 0.76 from two to three (best of four
 * interleaved runs; silu' 2.30 -> 1.98, sigmoid' 0.44 -> 0.38, softplus' 1.25 -> 1.11); four spill
 * registers (1.47).  A form may work on fewer, where three cost more (gelu-tanh' 3.3 -> 3.6 ns, glu'
 * 1.46 -> 1.56): it declares its own fa2_nu, which FA2_EACH then reads, and its span loop (FA2_SPAN2_N)
 * or its own loop passes copies of the first vector as the others, so that the helpers that still
 * work on FA2_U (fa2_exp_core's reduction) compute the copies' chains as the first's, which GCC merges. */
#define FA2_U 3
enum { fa2_nu = FA2_U };
#define FA2_EACH for (int u_ = 0; u_ < fa2_nu; u_++)
#define FA2_EACH_OF(nu) for (int u_ = 0; u_ < (nu); u_++)
typedef struct { __m256 v[FA2_U]; } fa2_vec;

/* a + b = s + *lo exactly (TwoSum: either may be the larger) */
static inline __m256 fa2_two_sum(__m256 a, __m256 b, __m256 *lo)
{
    __m256 s = _mm256_add_ps(a, b), bb = _mm256_sub_ps(s, a);
    *lo = _mm256_add_ps(_mm256_sub_ps(a, _mm256_sub_ps(s, bb)), _mm256_sub_ps(b, bb));
    return s;
}

/* (n + n_lo) / (d + d_lo) from q = n / d rounded: q - (q d_lo + (q d - n - n_lo)) / d, the residual exact
 * (FMA) and its quotient taken with vrcpps' 2^-12 estimate (the correction is ~2^-24 of q) */
static inline __m256 fa2_div_fix(__m256 q, __m256 n, __m256 n_lo, __m256 d, __m256 d_lo)
{
    __m256 rho = _mm256_sub_ps(_mm256_fmsub_ps(q, d, n), n_lo);
    return _mm256_fnmadd_ps(_mm256_fmadd_ps(q, d_lo, rho), _mm256_rcp_ps(d), q);
}

/* fa2_exp_core: exp(a) for a in [-700, 88] as 2^n (th + t), th and t unscaled and n as integers (C2's own
 * error, 2^-41 of ln2/4, times k is 2^-29 of exp at a = -700 and 2^-32 within [-88, 88]);
 * fa2_exp_parts: exp(a) for a in [-64, 0] (NaN propagates) as 2^n (th + t), th = T[j] 2^n exactly, t = 2^n (T[j] p +
 * T_lo[j]), |t| < 2^-3.5 th: the pair unrenormalised.  k = 4 n + j = round(a 4 / ln2) comes from adding
 * 1.5 2^23 (its low bits are k's, two's complement); r = a - k ln2/4 in two steps, k C1 exact (C1 has 12
 * bits, |k| <= 4095), the first step exact, the second rounded (|r| <= ln2/8: 2^-28); p = e^r - 1 = r +
 * r^2 P(r), P of degree 3 (2^-35); the roundings of r and p 2^-28 of exp at most, t's 2^-27 (|t| up to
 * 0.15 for th up to 1.68).  T[j] by
 * vpermilps: on AMD Zen 3 a vpermps (an 8-entry table, 2^(j/8), |r| <= ln2/16, P of degree 2) took the
 * FMA pipes' time of about three FMAs, vpermilps that of one (sigmoid 0.91 -> 0.75 ns per element, best
 * of eight; its error over all inputs 0.590 -> 0.680 ULP, gelu's 0.76 -> 0.91; 2^(j/8) from two
 * vpermilps and a blend kept those and cost gelu 12%).  With `scale` (not NULL), th and t come without
 * 2^n and *scale gets 2^n: then a may go down to -87 (n >= -126, 2^n normal).  With `exact`, t is T[j] r +
 * (T[j] (r^2 P + r_lo) + T_lo[j]) rounded once, r_lo the reduction's rounding error: t's rounding alone
 * remains, 2^-27.1 of exp at most (measured over [-8, 0]; 2^-26.1 without), for three more operations
 * (gelu over all inputs 0.91 -> 0.90 ULP, its backward 1.01 -> 0.94; silu's backward; the softmax rows).  (Without `scale`, t is scaled after its rounding: the same bits, 2^n t
 * being normal for a >= -64.) */
static inline __attribute__((always_inline)) fa2_vec fa2_exp_core(fa2_vec a, __m256 thi, __m256 tlo, fa2_vec *t,
                                                                 __m256i n[FA2_U], const int exact)
{
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    fa2_vec th, kt, kf, r1, r, p, tl;
    FA2_EACH kt.v[u_] = _mm256_fmadd_ps(a.v[u_], _mm256_set1_ps(0x1.715476p+2f), shift);
    FA2_EACH kf.v[u_] = _mm256_sub_ps(kt.v[u_], shift);
    FA2_EACH r1.v[u_] = _mm256_fmadd_ps(kf.v[u_], _mm256_set1_ps(-0x1.62ep-3f), a.v[u_]);
    FA2_EACH r.v[u_] = _mm256_fmadd_ps(kf.v[u_], _mm256_set1_ps(-0x1.0bfbe8p-17f), r1.v[u_]);
    FA2_EACH {
        __m256 q = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.11031p-7f), r.v[u_], _mm256_set1_ps(0x1.557288p-5f)),
                                   r.v[u_], _mm256_set1_ps(0x1.555558p-3f));
        q = _mm256_fmadd_ps(q, r.v[u_], _mm256_set1_ps(0x1.fffffep-2f));
        if (exact) {
            /* p - r = r^2 P + r_lo, r_lo = the second step's rounding error (r1 - r is exact where that
             * error is not negligible, |r| > 2^-7) */
            __m256 r_lo = _mm256_fmadd_ps(kf.v[u_], _mm256_set1_ps(-0x1.0bfbe8p-17f), _mm256_sub_ps(r1.v[u_], r.v[u_]));
            p.v[u_] = _mm256_fmadd_ps(_mm256_mul_ps(r.v[u_], r.v[u_]), q, r_lo);
        } else
            p.v[u_] = _mm256_fmadd_ps(_mm256_mul_ps(r.v[u_], r.v[u_]), q, r.v[u_]);
    }
    FA2_EACH {
        __m256i ki = _mm256_castps_si256(kt.v[u_]);
        th.v[u_] = _mm256_permutevar_ps(thi, ki);
        tl.v[u_] = _mm256_permutevar_ps(tlo, ki);
        n[u_] = _mm256_srai_epi32(_mm256_sub_epi32(ki, _mm256_castps_si256(shift)), 2);     /* floor(k / 4) */
    }
    if (exact)
        FA2_EACH t->v[u_] = _mm256_fmadd_ps(th.v[u_], r.v[u_], _mm256_fmadd_ps(th.v[u_], p.v[u_], tl.v[u_]));
    else
        FA2_EACH t->v[u_] = _mm256_fmadd_ps(th.v[u_], p.v[u_], tl.v[u_]);
    return th;
}

/* fa2_exp_core's parts with 2^n put on (or given in *scale): 2^n is (n + 127) in the exponent field */
static inline __attribute__((always_inline)) fa2_vec fa2_exp_parts(fa2_vec a, __m256 thi, __m256 tlo, fa2_vec *t,
                                                                  fa2_vec *scale, const int exact)
{
    __m256i n[FA2_U];
    fa2_vec s, th = fa2_exp_core(a, thi, tlo, t, n, exact);
    FA2_EACH s.v[u_] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n[u_], _mm256_set1_epi32(127)), 23));
    if (scale) {
        *scale = s;
        return th;
    }
    FA2_EACH th.v[u_] = _mm256_mul_ps(th.v[u_], s.v[u_]);
    FA2_EACH t->v[u_] = _mm256_mul_ps(t->v[u_], s.v[u_]);
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
    th = fa2_exp_parts(a, thi, tlo, &t, NULL, 0);
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
    FA2_EACH q.v[u_] = fa2_div_fix(q.v[u_], u_hi.v[u_], u_lo.v[u_], d_hi.v[u_], d_lo.v[u_]);
    return q;
}

/* the lanes the forward forms leave, one by one: v sigmoid(x) in double as fa_softplus_backward_1 has
 * it (exp's error, ~1e-16, then one rounding), v = 1 or x: sigmoid below -64 (e^x, subnormal from
 * -87.3 on, 0 from -104 on; -inf 0), silu below -64 (x e^x; -inf -0, where x times 0 is NaN) and at
 * +inf (+inf).  (fa2_flush's signature: a is x again) */
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

/* The lanes a form leaves (those of `bad`) are recomputed one by one after the step: their inputs are
 * recorded (out may be x, so they are not read back) and fa2_flush writes their results to out, FA2_PEND
 * records at a time or at the span's end.  With the call in the step itself, GCC kept the form's values
 * on the stack around it (a call clobbers every ymm register): gelu spent 17% of its time there. */
#define FA2_PEND 16
typedef struct {
    float a[FA2_PEND][8], x[FA2_PEND][8];
    ptrdiff_t at[FA2_PEND];
    int lanes[FA2_PEND], n;
} fa2_pending;

static __attribute__((noinline, cold)) void fa2_flush(fa2_pending *pd, float *out, float (*one)(float, float, double),
                                                      double p)
{
    for (int k = 0; k < pd->n; k++)
        for (int b = pd->lanes[k]; b; b &= b - 1) {
            int j = __builtin_ctz(b);
            out[pd->at[k] + j] = one(pd->a[k][j], pd->x[k][j], p);
        }
    pd->n = 0;
}

/* The span loop, over out[i] = f(a[i], x[i]) (a forward passes x as a too): a head of masked lanes up
 * to out's next 32-byte boundary (from 2048 elements on: the head is a whole step for up to 7 lanes,
 * which glu's rows of 500 paid in every row, 1.06 -> 1.01 ns per element without it), steps of NU
 * vectors (8 NU lanes: a prefetch per array and 64-byte line FA2_AHEAD elements ahead, two for three
 * vectors), a masked tail.  fa2_NAME_u computes the vectors
 * from av and xv (past NU, copies of the first) and the lanes of each to be recomputed by ONE (those
 * lanes' results depend on their own inputs alone). */
#define FA2_AHEAD 2048
#define FA2_STEP(NAME, ONE, LOAD, STORE, VALID)                                                            \
    {                                                                                                   \
        int bad[FA2_U];                                                                                 \
        FA2_EACH av.v[u_] = u_ >= nu_ ? av.v[0] : two_ ? LOAD(a) : LOAD(x);                             \
        FA2_EACH xv.v[u_] = u_ >= nu_ ? xv.v[0] : LOAD(x);                                              \
        r = fa2_##NAME##_u(av, xv, thi, tlo, p_, bad);                                                  \
        FA2_EACH_OF(nu_) STORE;                                                                         \
        FA2_EACH_OF(nu_) if (bad[u_] & (VALID)) {                                                       \
            _mm256_storeu_ps(pd.a[pd.n], av.v[u_]);                                                     \
            _mm256_storeu_ps(pd.x[pd.n], xv.v[u_]);                                                     \
            pd.at[pd.n] = i + 8 * u_;                                                                   \
            pd.lanes[pd.n++] = bad[u_] & (VALID);                                                       \
        }                                                                                               \
        if (pd.n > FA2_PEND - FA2_U)                                                                    \
            fa2_flush(&pd, out, ONE, p_);                                                               \
    }
#define FA2_FULL(p) _mm256_loadu_ps((p) + i + 8 * u_)
#define FA2_PART(p) _mm256_maskload_ps((p) + i + 8 * u_, m[u_])
#define FA2_MASKED _mm256_movemask_ps(_mm256_castsi256_ps(m[u_]))
/* fa2_NAME_u from FORM (of av, xv and the parameter p_) and FIX (of the vectors a, x, the result y and p_):
 * FIX's lanes go to ONE (with p_ as its parameter) */
#define FA2_SPAN_RUN(NAME, NU, FORM, FIX, ONE)                                                          \
static inline __attribute__((always_inline)) fa2_vec fa2_##NAME##_u(fa2_vec av, fa2_vec xv, __m256 thi,  \
                                                                    __m256 tlo, float p_, int *bad)     \
{                                                                                                       \
    (void)p_;                                                                                           \
    (void)thi;                                                                                          \
    (void)tlo;                                                                                          \
    fa2_vec r = FORM;                                                                                   \
    FA2_EACH {                                                                                          \
        __m256 a = av.v[u_], x = xv.v[u_], y = r.v[u_];                                                 \
        (void)a;                                                                                        \
        (void)x;                                                                                        \
        (void)y;                                                                                        \
        bad[u_] = _mm256_movemask_ps(FIX);                                                              \
    }                                                                                                   \
    return r;                                                                                           \
}                                                                                                       \
static inline __attribute__((always_inline)) void fa2_##NAME##_run(const float *a, const float *x, float *out, \
                                                                   ptrdiff_t n, float p_, const int two_,      \
                                                                   const int pf_)                              \
{                                                                                                       \
    const __m256 thi = _mm256_loadu_ps(FA2_T4_HI), tlo = _mm256_loadu_ps(FA2_T4_LO);                    \
    const int nu_ = NU;                                                                                 \
    ptrdiff_t i = 0, h = n < 2048 ? 0 : (ptrdiff_t)((((uintptr_t)0 - (uintptr_t)out) & 31u) / sizeof(float)); \
    fa2_vec av, xv, r;                                                                                  \
    fa2_pending pd;                                                                                     \
    __m256i m[FA2_U];                                                                                   \
    pd.n = 0;                                                                                           \
    if (h > 0) {                                                                                        \
        FA2_EACH m[u_] = fa2_lanes_left(u_ == 0 ? h : 0);                                               \
        FA2_STEP(NAME, ONE, FA2_PART, _mm256_maskstore_ps(out + 8 * u_, m[u_], r.v[u_]), FA2_MASKED)         \
        i = h;                                                                                          \
    }                                                                                                   \
    for (; i + 8 * nu_ <= n; i += 8 * nu_) {                                                            \
        if (pf_)                                                                                        \
            for (int l_ = 0; l_ < 8 * nu_; l_ += 16) {                                                  \
                if (two_)                                                                               \
                    _mm_prefetch((const char *)(a + i + l_ + FA2_AHEAD), _MM_HINT_T0);                  \
                _mm_prefetch((const char *)(x + i + l_ + FA2_AHEAD), _MM_HINT_T0);                      \
                _mm_prefetch((const char *)(out + i + l_ + FA2_AHEAD), _MM_HINT_T0);                    \
            }                                                                                           \
        FA2_STEP(NAME, ONE, FA2_FULL, _mm256_storeu_ps(out + i + 8 * u_, r.v[u_]), 0xff)                     \
    }                                                                                                   \
    if (i < n) {                                                                                        \
        FA2_EACH m[u_] = fa2_lanes_left(n - i - 8 * u_);                                                \
        FA2_STEP(NAME, ONE, FA2_PART, _mm256_maskstore_ps(out + i + 8 * u_, m[u_], r.v[u_]), FA2_MASKED)     \
    }                                                                                                   \
    if (pd.n)                                                                                           \
        fa2_flush(&pd, out, ONE, p_);                                                                   \
}

/* fa2_NAME_run compiled for either pf (A: the first array, P: the parameter, TWO: whether A is a second
 * input) */
#define FA2_RUN_PF(NAME, A, P, TWO)                                                                     \
    do {                                                                                                \
        if (pf)                                                                                         \
            fa2_##NAME##_run(A, x, out, n, P, TWO, 1);                                                  \
        else                                                                                            \
            fa2_##NAME##_run(A, x, out, n, P, TWO, 0);                                                  \
    } while (0)
/* fa_NAME_f32_span(x, out, n, pf), the forward */
#define FA2_SPAN(NAME, FORM, FIX, ONE)                                                                  \
FA2_SPAN_RUN(NAME, FA2_U, FORM, FIX, ONE)                                                               \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n, int pf)                \
{                                                                                                       \
    FA2_RUN_PF(NAME, x, 0.0f, 0);                                                                       \
}
/* fa_NAME_f32_span(x, out, n, p, pf), a forward with the row's first parameter (p_ to FORM and FIX) */
#define FA2_SPAN_P(NAME, FORM, FIX, ONE)                                                                \
FA2_SPAN_RUN(NAME, FA2_U, FORM, FIX, ONE)                                                               \
static inline void fa_##NAME##_f32_span(const float *x, float *out, ptrdiff_t n, float p, int pf)       \
{                                                                                                       \
    FA2_RUN_PF(NAME, x, p, 0);                                                                          \
}
/* fa_NAME_f32_span(grad, saved, out, n, p, pf), a backward (p: its parameter, p_ to FORM and FIX), NU
 * vectors a step */
#define FA2_SPAN2_N(NAME, NU, FORM, FIX, ONE)                                                           \
FA2_SPAN_RUN(NAME, NU, FORM, FIX, ONE)                                                                  \
static inline void fa_##NAME##_f32_span(const float *g, const float *x, float *out, ptrdiff_t n, float p, int pf) \
{                                                                                                       \
    FA2_RUN_PF(NAME, g, p, 1);                                                                          \
}
#define FA2_SPAN2(NAME, FORM, FIX, ONE) FA2_SPAN2_N(NAME, FA2_U, FORM, FIX, ONE)

static inline __m256 fa2_below(__m256 x, float lim)
{
    return _mm256_cmp_ps(x, _mm256_set1_ps(lim), _CMP_LT_OQ);
}

/* the lanes where v is not 0 but below lim in size (as _spans.h's fa_small_nonzero_512) */
static inline __m256 fa2_small_nonzero(__m256 v, float lim)
{
    return _mm256_and_ps(_mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), _mm256_set1_ps(lim), _CMP_LT_OQ),
                         _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NEQ_UQ));
}

/* d = 1 + z as d + *d_lo exactly, z = zh + zl renormalised with |z| <= 1 (silu's and gelu-tanh's backward) */
static inline __m256 fa2_one_plus(__m256 zh, __m256 zl, __m256 *d_lo)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 d = _mm256_add_ps(one, zh);
    *d_lo = _mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(one, d), zh), zl);
    return d;
}

/* sigmoid: below -64 one by one (NaN and +inf stay: NaN propagates, +inf gives 1) */
FA2_SPAN(sigmoid, fa2_mul_sigmoid(xv, xv, 0, thi, tlo), fa2_below(x, -64.0f), fa2_sigmoid_1)
/* silu: x sigmoid(x); below -64 and +inf one by one (x / d would be inf - inf in the correction) */
FA2_SPAN(silu, fa2_mul_sigmoid(xv, xv, 1, thi, tlo),
         _mm256_or_ps(fa2_below(x, -64.0f), _mm256_cmp_ps(x, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ)), fa2_silu_1)

/* gelu and its backward in double (FA2_SPAN_PD, FA2_SPAN2_PD), from a = |x|: Q(a) = erfc(a/sqrt 2)/2 = E
 * M(a) with E = e^(-a^2/2) and M(a) = e^(a^2/2) Q(a), smooth (1/2 at 0, ~1/(a sqrt(2 pi)) far out), which a
 * rational function of degrees 4 and 5 follows to 2^-27.3 on [0, 14.5] (FA2_GELU_MP / FA2_GELU_MQ: one
 * vdivpd).  a^2 is exact in double, so E needs no pairs: fa2_exp_half_sq_pd, 2^-28.9.  The coefficients
 * come from benchmarks/fit_tables.py gelu_pd.  The float forms these replace (M on 8 vpermps-table slots
 * with a polynomial of degree 8, E, a E and the backward's products as float pairs, D near its root from a
 * series of its own, the lanes with subnormal results one by one) took 1.77 ns per element (gelu) and
 * 2.59 (its backward) on one thread (C, 64K elements of normal(0, 4), AMD Zen 3), these 1.18 and 1.43, and
 * were 0.90 and 0.94 ULP off at worst; these 0.636 over all 2^32 inputs (gelu) and 0.749 over every 5th
 * float of [-22, 22] (g = 1; 0.755 with random g from 2^-60 to 2^60, 0.752 over every float with |x| in
 * [1/2, 1], around the root).  (Degrees 5 and 6 for M, 5 and 5 for R and 7 for the exp: 0.502 and 0.504 ULP
 * over every 97th float, for 5% and 8% more time.) */
static const double FA2_EXP_HALF[7] = {0x1.0000000000000p+0, -0x1.0000008a26e5fp-1, 0x1.fffffc1d16753p-4,
                                       -0x1.555419600a7b8p-6, 0x1.55582244e47f8p-9, -0x1.1267820a35f40p-12,
                                       0x1.6ae72e287f800p-16};
static const double FA2_GELU_MP[5] = {0x1.ffffffffff000p-2, 0x1.c018fbc94c3b8p-2, 0x1.7626604ef336ap-3,
                                      0x1.4b4ccc5610ab2p-5, 0x1.0bc1387843fabp-8};
static const double FA2_GELU_MQ[6] = {0x1.0000000000000p+0, 0x1.ac4eac47fdd80p+0, 0x1.3346b9742ca45p+0,
                                      0x1.df421aa119071p-2, 0x1.9f3ffa1d30202p-4, 0x1.4f93aa8f8a005p-7};

/* P(a) / Q(a) for nv vectors, P and Q of np and nq coefficients (a's powers from 0), both by Horner */
static inline __attribute__((always_inline)) void fa2_ratio_pd(const double *P, int np, const double *Q, int nq,
                                                              const __m256d *a, __m256d *r, const int nv)
{
    __m256d p[FA2_PD_NV], q[FA2_PD_NV];
    FA2_PD_EACH_OF(nv) p[k] = _mm256_set1_pd(P[np - 1]);
    FA2_PD_EACH_OF(nv) q[k] = _mm256_set1_pd(Q[nq - 1]);
    for (int j = (np > nq ? np : nq) - 2; j >= 0; j--)
        FA2_PD_EACH_OF(nv) {
            if (j < np - 1)
                p[k] = _mm256_fmadd_pd(p[k], a[k], _mm256_set1_pd(P[j]));
            if (j < nq - 1)
                q[k] = _mm256_fmadd_pd(q[k], a[k], _mm256_set1_pd(Q[j]));
        }
    FA2_PD_EACH_OF(nv) r[k] = _mm256_div_pd(p[k], q[k]);
}

/* E = e^(-a^2/2) for a in [0, 21] (nv vectors): w = a^2, k = round(-w / (2 ln 2)) (from adding 1.5 2^52: k
 * in the low bits), s = w + 2 k ln 2 in [-ln 2, ln 2] (2 ln 2 rounded to double: 2^-45 of E at a = 21),
 * e^(-s/2) by FA2_EXP_HALF (degree 6, Horner), 2^k added into its exponent field (k >= -319: normal) */
static inline __attribute__((always_inline)) void fa2_exp_half_sq_pd(const __m256d *a, __m256d *e, const int nv)
{
    const __m256d shift = _mm256_set1_pd(0x1.8p52);
    __m256d w[FA2_PD_NV], kt[FA2_PD_NV], s[FA2_PD_NV];
    FA2_PD_EACH_OF(nv) w[k] = _mm256_mul_pd(a[k], a[k]);
    FA2_PD_EACH_OF(nv) kt[k] = _mm256_fmadd_pd(w[k], _mm256_set1_pd(-0x1.71547652b82fep-1), shift);
    FA2_PD_EACH_OF(nv) s[k] = _mm256_fmadd_pd(_mm256_sub_pd(kt[k], shift), _mm256_set1_pd(0x1.62e42fefa39efp+0), w[k]);
    FA2_PD_EACH_OF(nv) e[k] = _mm256_set1_pd(FA2_EXP_HALF[6]);
    for (int j = 5; j >= 0; j--)
        FA2_PD_EACH_OF(nv) e[k] = _mm256_fmadd_pd(e[k], s[k], _mm256_set1_pd(FA2_EXP_HALF[j]));
    FA2_PD_EACH_OF(nv) e[k] = _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(e[k]),
                                                            _mm256_slli_epi64(_mm256_castpd_si256(kt[k]), 52)));
}

/* gelu: max(x, 0) - (a E) M rounded once (an FMA), then to float.  a is held at 14.5, from where |gelu(x)|
 * < 2^-151 rounds to -0 (x < 0) and x - a Q(a) to x.  max(0, x) is x where x is NaN (vmaxpd's second
 * operand) and where x is -0 (the result -0, as x Phi(x)); M(0) is 1/2 - 2^-42, so that for x subnormal
 * x/2 + |x| 2^-42 (x > 0) and -|x|/2 (1 - 2^-41) (x < 0) round as x Phi(x) does, away from a tie. */
static inline __attribute__((always_inline)) void fa2_gelu_pd(const __m256d *g, const __m256d *x, __m256d *y)
{
    (void)g;
    for (int h = 0; h < FA2_PD_NV; h += 2) {            /* two vectors at a time (four: 1.18 -> 1.22 ns) */
        __m256d a[2], e[2], m[2];
        FA2_PD_EACH_OF(2) a[k] = _mm256_min_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x[h + k]), _mm256_set1_pd(14.5));
        fa2_exp_half_sq_pd(a, e, 2);
        fa2_ratio_pd(FA2_GELU_MP, 5, FA2_GELU_MQ, 6, a, m, 2);
        FA2_PD_EACH_OF(2) y[h + k] = _mm256_fnmadd_pd(_mm256_mul_pd(a[k], e[k]), m[k],
                                                       _mm256_max_pd(_mm256_setzero_pd(), x[h + k]));
    }
}

FA2_SPAN_PD(gelu, r_)

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

/* gelu's backward g D(x), D = Phi(x) + x phi(x) = E V(a) (x < 0) or 1 - E V(a) (x >= 0), V(a) = M(a) -
 * a/sqrt(2 pi), which has a root at a = r = 0.7518: V = (a - r) R(a), R smooth and away from 0 (-0.665 at 0,
 * -1/sqrt(2 pi) far out), a rational function of degrees 4 and 4 (FA2_GELU_RP / FA2_GELU_RQ: 2^-26.2 on
 * [0, 21]), and a - r from r as two doubles (a - r_hi exact near r: 2^-53 of itself), so that D keeps its
 * relative accuracy up to its root.  E V <= 1/2 for x >= 0: 1 - E V does not cancel.  g D is rounded once in
 * double, then to float.  a is held at 21, from where |g D| < 2^-150 for every finite g; FIN: x where it is
 * NaN and g 0 at x = -inf (the reference's limit: NaN for an infinite g). */
static const double FA2_GELU_RP[5] = {-0x1.54851a10cd8b9p-1, -0x1.8719c89506e4fp-1, -0x1.8d32af8e8c675p-2,
                                      -0x1.983b8afeb7f91p-4, -0x1.6b431c602bcbdp-7};
static const double FA2_GELU_RQ[5] = {0x1.0000000000000p+0, 0x1.6a05e0fccfc80p+0, 0x1.9fd2b36fb9c07p-1,
                                      0x1.d4de5368d320ep-3, 0x1.c747c1df97ad2p-6};

static inline __attribute__((always_inline)) void fa2_gelu_backward_pd(const __m256d *g, const __m256d *x, __m256d *y)
{
    __m256d a[FA2_PD_NV], e[FA2_PD_NV], v[FA2_PD_NV];
    FA2_PD_EACH a[k] = _mm256_min_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x[k]), _mm256_set1_pd(21.0));
    fa2_exp_half_sq_pd(a, e, FA2_PD_NV);
    fa2_ratio_pd(FA2_GELU_RP, 5, FA2_GELU_RQ, 5, a, v, FA2_PD_NV);
    FA2_PD_EACH {
        __m256d h = _mm256_sub_pd(_mm256_sub_pd(a[k], _mm256_set1_pd(0x1.80ead197f00b4p-1)),
                                  _mm256_set1_pd(-0x1.13e74c58cada8p-56));
        __m256d ev = _mm256_mul_pd(_mm256_mul_pd(e[k], h), v[k]);
        __m256d d = _mm256_blendv_pd(ev, _mm256_sub_pd(_mm256_set1_pd(1.0), ev),
                                     _mm256_cmp_pd(x[k], _mm256_setzero_pd(), _CMP_GE_OQ));
        y[k] = _mm256_mul_pd(g[k], d);
    }
}

static inline __m256 fa2_gelu_backward_fin(__m256 r, __m256 g, __m256 x)
{
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return _mm256_blendv_ps(r, _mm256_mul_ps(g, _mm256_setzero_ps()),
                            _mm256_cmp_ps(x, _mm256_set1_ps(-INFINITY), _CMP_EQ_OQ));
}

FA2_SPAN2_PD(gelu_backward, fa2_gelu_backward_fin(r_, g_, x_))

/* g u S / d^2 from the pairs u, S and d (silu's and gelu's tanh form's backward): N = u S and g N as pairs,
 * d^2 (in [1, 4]) as a pair, one vdivps and its correction (fa2_div_fix) */
static inline __m256 fa2_g_us_dd(__m256 g, __m256 u_hi, __m256 u_lo, __m256 s, __m256 s_lo, __m256 d_hi, __m256 d_lo)
{
    __m256 n = _mm256_mul_ps(u_hi, s);
    __m256 n_lo = _mm256_add_ps(_mm256_fmsub_ps(u_hi, s, n), _mm256_fmadd_ps(u_hi, s_lo, _mm256_mul_ps(u_lo, s)));
    __m256 gn = _mm256_mul_ps(g, n), gn_lo = _mm256_fmadd_ps(g, n_lo, _mm256_fmsub_ps(g, n, gn));
    __m256 dd = _mm256_mul_ps(d_hi, d_hi);
    __m256 dd_lo = _mm256_fmadd_ps(_mm256_add_ps(d_hi, d_hi), d_lo, _mm256_fmsub_ps(d_hi, d_hi, dd));
    return fa2_div_fix(_mm256_div_ps(gn, dd), gn, gn_lo, dd, dd_lo);
}

/* silu's backward g D, D = sigmoid(x) (1 + x sigmoid(-x)) = u S / d^2 as the AVX-512 exp form has it:
 * z = e^-|x| (fa2_exp_parts, -|x| held at -64; renormalised), d = 1 + z exactly as a pair, S = d + x v
 * by TwoSum and u with (u, v) = (1, z) for x >= 0, (z, 1) for x < 0; g u S as a pair divided by d^2 (one
 * vdivps and a correction, as fa2_mul_sigmoid's), rounded once.  S crosses zero at x0 = -1.27846
 * (1 + x0 + e^x0 = 0), where it keeps only z's absolute error (2^-28.2 of z with fa2_exp_parts' `exact`
 * at worst, 2^-30.5 measured beside x0): for |x - x0| < 1/16, S = -x0 h + c h^2 (1/2 + h/6 + ... +
 * h^7/9!), h = x - x0 exact as a pair, c = e^x0.  The interval decides how many 8-lane vectors take that
 * branch, taken or not at random (normal(0, 4) data: 20% of them for 0.15, 9% for 1/16), and so what
 * the mispredictions cost: C, one thread, 512K elements (beyond what the predictor learns), 2.00 ->
 * 1.75 ns per element from 0.15 to 1/16 (1.52 without a lane there); the largest error stays 0.69 ULP
 * over every float within 1/4 of x0 (g = 1, and random g from 2^-100 to 2^100) and 12M of normal(0,
 * 8), where 1/32 let it reach 0.87.  (Without `exact`, the interval had to be 1/2 wide, and computing
 * it for the 57% of normal(0, 4)'s blocks with such a lane cost a third of the time.)  From x = 32 on
 * (+inf included) D is 1 to 2^-38: g (x z with z held at e^-64 would not stay
 * small beyond 2^67).  One by one (fa_silu_backward_1): x below -64 (-inf included) and g's odd lanes
 * (fa2_odd_g). */
static inline __attribute__((always_inline)) fa2_vec fa2_silu_backward_form(fa2_vec gv, fa2_vec xv, __m256 thi,
                                                                            __m256 tlo)
{
    static const float Q[8] = {0x1.1d25d0p-3f, 0x1.7c326ap-5f, 0x1.7c326ap-7f, 0x1.302854p-9f, 0x1.958b1cp-12f,
                               0x1.cf7a68p-15f, 0x1.cf7a68p-18f, 0x1.9bfb08p-21f};     /* c/2!, ..., c/9! */
    const __m256 one = _mm256_set1_ps(1.0f), r_hi = _mm256_set1_ps(-0x1.474974p+0f), r_lo = _mm256_set1_ps(0x1.bdf6fap-27f);
    fa2_vec a, th, t, y;
    FA2_EACH a.v[u_] = _mm256_max_ps(_mm256_set1_ps(-64.0f), _mm256_or_ps(xv.v[u_], _mm256_set1_ps(-0.0f)));
    th = fa2_exp_parts(a, thi, tlo, &t, NULL, 1);
    FA2_EACH {
        __m256 x = xv.v[u_], g = gv.v[u_];
        __m256 zh = _mm256_add_ps(th.v[u_], t.v[u_]), zl = _mm256_add_ps(_mm256_sub_ps(th.v[u_], zh), t.v[u_]);
        __m256 d_lo, d_hi = fa2_one_plus(zh, zl, &d_lo);
        __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        __m256 p = _mm256_mul_ps(x, zh);
        __m256 p_lo = _mm256_fmadd_ps(x, zl, _mm256_fmsub_ps(x, zh, p));
        __m256 w = _mm256_blendv_ps(p, x, neg), w_lo = _mm256_andnot_ps(neg, p_lo);
        __m256 s_lo, s = fa2_two_sum(d_hi, w, &s_lo);
        s_lo = _mm256_add_ps(s_lo, _mm256_add_ps(d_lo, w_lo));
        __m256 h0 = _mm256_sub_ps(x, r_hi);
        __m256 root = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), h0), _mm256_set1_ps(0.0625f), _CMP_LT_OQ);
        if (_mm256_movemask_ps(root)) {
            __m256 h = _mm256_sub_ps(h0, r_lo);
            __m256 h_lo = _mm256_sub_ps(_mm256_sub_ps(_mm256_sub_ps(h0, h), r_lo), _mm256_set1_ps(0x1.03945ap-53f));
            __m256 q = _mm256_set1_ps(Q[7]);
            for (int k = 6; k >= 0; k--)
                q = _mm256_fmadd_ps(q, h, _mm256_set1_ps(Q[k]));
            /* -x0 h as a pair, then the rest added by TwoSum */
            __m256 m = _mm256_mul_ps(r_hi, h);
            __m256 m_lo = _mm256_fmadd_ps(r_hi, h_lo, _mm256_fmadd_ps(r_lo, h, _mm256_fmsub_ps(r_hi, h, m)));
            m = _mm256_sub_ps(_mm256_setzero_ps(), m);
            __m256 rs_lo, rs = fa2_two_sum(m, _mm256_fmsub_ps(_mm256_mul_ps(h, h), q, m_lo), &rs_lo);
            s = _mm256_blendv_ps(s, rs, root);
            s_lo = _mm256_blendv_ps(s_lo, rs_lo, root);
        }
        y.v[u_] = fa2_g_us_dd(g, _mm256_blendv_ps(one, zh, neg), _mm256_and_ps(neg, zl), s, s_lo, d_hi, d_lo);
        y.v[u_] = _mm256_blendv_ps(y.v[u_], g, _mm256_cmp_ps(x, _mm256_set1_ps(32.0f), _CMP_GE_OQ));
    }
    return y;
}

FA2_SPAN2(silu_backward, fa2_silu_backward_form(av, xv, thi, tlo), _mm256_or_ps(fa2_below(x, -64.0f), fa2_odd_g(a, y)),
          fa_silu_backward_1)

/* glu's forward a sigmoid(b), as softplus' (a = g, b = x), its sign a's (a = -0 gives -0, a tiny
 * negative product -0); one by one as softplus' has it, and where a is infinite (fa_glu_1) */
static inline __attribute__((always_inline)) fa2_vec fa2_glu_form(fa2_vec av, fa2_vec xv, __m256 thi, __m256 tlo)
{
    fa2_vec q = fa2_mul_sigmoid(av, xv, 1, thi, tlo);
    FA2_EACH q.v[u_] = _mm256_or_ps(q.v[u_], _mm256_and_ps(av.v[u_], _mm256_set1_ps(-0.0f)));
    return q;
}

FA2_SPAN2(glu, fa2_glu_form(av, xv, thi, tlo), _mm256_or_ps(fa2_below(x, -64.0f), fa2_odd_g(a, y)), fa_glu_1)

/* glu's backward, da = g sigmoid(b) and db = g a sigmoid(b) sigmoid(-b), as the AVX-512 form has it:
 * z = e^-|b| (fa2_exp_parts, -|b| held at -64) and d = 1 + z as pairs, da's quotient g u / d (u = 1 for
 * b >= 0, z below) as q + e (one vdivps, e its correction by vrcpps' estimate: fa2_div_fix's steps), a v
 * / d (v the other of 1 and z, a v exact as a pair) as q2 + e2 the same way, and db = (q + e)(q2 + e2)
 * rounded once (u v = z for either sign of b).  The signs of g and of g a are put on (the residual
 * steps can turn a -0 into +0).  One by one (fa_glu_backward_1): |b| beyond 64 (+-inf included), |a| or
 * |g| from 2^64 (inf, NaN), and g u, a v or db below 2^-100 where g (a, both) is not 0 (the quotients'
 * residuals would be rounded as subnormals; a tiny g or a makes such a g u or a v).  C, 32.8M triples
 * (normal(0, 4), random bit patterns, 27 special values, mixed in blocks) against long double: da 0.69
 * ULP, db 0.69. */
static inline __attribute__((always_inline)) void fa2_glu_backward_form(fa2_vec av, fa2_vec bv, fa2_vec gv, fa2_vec *da,
                                                                        fa2_vec *db, int bad[FA2_U], __m256 thi,
                                                                        __m256 tlo)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    fa2_vec e, t, th;
    FA2_EACH e.v[u_] = _mm256_max_ps(_mm256_set1_ps(-64.0f), _mm256_or_ps(bv.v[u_], sign)); /* (NaN: the 2nd) */
    th = fa2_exp_parts(e, thi, tlo, &t, NULL, 0);
    FA2_EACH {
        __m256 a = av.v[u_], b = bv.v[u_], g = gv.v[u_];
        __m256 neg = _mm256_cmp_ps(b, zero, _CMP_LT_OQ);
        __m256 zh = _mm256_add_ps(th.v[u_], t.v[u_]), zl = _mm256_add_ps(_mm256_sub_ps(th.v[u_], zh), t.v[u_]);
        __m256 d = _mm256_add_ps(one, zh);
        __m256 d_lo = _mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(one, d), th.v[u_]), t.v[u_]);
        __m256 r = _mm256_rcp_ps(d);
        /* g u and a v, u = 1 or z, v the other */
        __m256 wu = _mm256_blendv_ps(one, zh, neg), wu_lo = _mm256_and_ps(zl, neg);
        __m256 wv = _mm256_blendv_ps(zh, one, neg), wv_lo = _mm256_andnot_ps(neg, zl);
        __m256 n = _mm256_mul_ps(g, wu), n_lo = _mm256_fmadd_ps(g, wu_lo, _mm256_fmsub_ps(g, wu, n));
        __m256 m = _mm256_mul_ps(a, wv), m_lo = _mm256_fmadd_ps(a, wv_lo, _mm256_fmsub_ps(a, wv, m));
        __m256 q = _mm256_div_ps(n, d), q2 = _mm256_div_ps(m, d);
        __m256 c = _mm256_mul_ps(_mm256_fmadd_ps(q, d_lo, _mm256_sub_ps(_mm256_fmsub_ps(q, d, n), n_lo)), r);
        __m256 c2 = _mm256_mul_ps(_mm256_fmadd_ps(q2, d_lo, _mm256_sub_ps(_mm256_fmsub_ps(q2, d, m), m_lo)), r);
        /* da = q - c, db = (q - c)(q2 - c2) */
        __m256 x = _mm256_or_ps(_mm256_sub_ps(q, c), _mm256_and_ps(g, sign));
        __m256 y = _mm256_fmadd_ps(q, q2, _mm256_fnmadd_ps(q, c2, _mm256_mul_ps(c, _mm256_sub_ps(zero, q2))));
        y = _mm256_or_ps(y, _mm256_and_ps(_mm256_xor_ps(g, a), sign));
        da->v[u_] = x;
        db->v[u_] = y;
        /* A block needs no lane-by-lane test where every lane has |b| <= 32 and |a|, |g| each 0 or in
         * [2^-24, 2^60) (NaN and inf fail): g u and a v are then above 2^-71, db above 2^-97, nothing
         * overflows.  Tested on the bits as integers (the FMA pipes are the busy ones; the compares cost
         * 7% of the time): the smaller of |a|'s and |g|'s bits less 1, unsigned (0 wraps to the top), at
         * least 2^-24's less 1, the larger, signed, below 2^60's. */
        const __m256i abs = _mm256_set1_epi32(0x7fffffff), m1 = _mm256_set1_epi32(-1);
        __m256i ai = _mm256_and_si256(_mm256_castps_si256(a), abs), gi = _mm256_and_si256(_mm256_castps_si256(g), abs);
        __m256i lo = _mm256_min_epu32(_mm256_add_epi32(ai, m1), _mm256_add_epi32(gi, m1)), hi = _mm256_max_epi32(ai, gi);
        __m256i fine = _mm256_cmpeq_epi32(_mm256_max_epu32(lo, _mm256_set1_epi32(0x337fffff)), lo);
        fine = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_and_si256(_mm256_castps_si256(b), abs),
                                                      _mm256_set1_epi32(0x42000000)), fine);
        fine = _mm256_andnot_si256(_mm256_cmpgt_epi32(hi, _mm256_set1_epi32(0x5d7fffff)), fine);
        bad[u_] = 0;
        if (_mm256_movemask_epi8(fine) != -1) {
            /* the lanes to redo: |b| > 64, |a| or |g| from 2^64 or NaN (the larger compared, unordered: a
             * NaN a is the one vmaxps may pass on; a NaN g gives NaN here too), and g u, a v or db below
             * 2^-100 where g (a, both) is not 0 */
            const __m256 tiny = _mm256_set1_ps(0x1p-100f);
            __m256 gz = _mm256_cmp_ps(g, zero, _CMP_NEQ_UQ), az = _mm256_cmp_ps(a, zero, _CMP_NEQ_UQ);
            __m256 odd = _mm256_cmp_ps(_mm256_andnot_ps(sign, b), _mm256_set1_ps(64.0f), _CMP_GT_OQ);
            odd = _mm256_or_ps(odd, _mm256_cmp_ps(_mm256_max_ps(_mm256_andnot_ps(sign, g), _mm256_andnot_ps(sign, a)),
                                                  _mm256_set1_ps(0x1p64f), _CMP_NLT_UQ));
            __m256 sn = _mm256_cmp_ps(_mm256_andnot_ps(sign, n), tiny, _CMP_LT_OQ);
            __m256 sm = _mm256_or_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, m), tiny, _CMP_LT_OQ),
                                     _mm256_and_ps(gz, _mm256_cmp_ps(_mm256_andnot_ps(sign, y), tiny, _CMP_LT_OQ)));
            odd = _mm256_or_ps(odd, _mm256_or_ps(_mm256_and_ps(sn, gz), _mm256_and_ps(sm, az)));
            bad[u_] = _mm256_movemask_ps(odd);
        }
    }
}

typedef struct {
    float a[FA2_PEND][8], b[FA2_PEND][8], g[FA2_PEND][8];
    ptrdiff_t at[FA2_PEND];
    int lanes[FA2_PEND], n;
} fa2_glu_pending;

static __attribute__((noinline, cold)) void fa2_glu_flush(fa2_glu_pending *pd, float *da, float *db)
{
    for (int k = 0; k < pd->n; k++)
        for (int l = pd->lanes[k]; l; l &= l - 1) {
            int j = __builtin_ctz(l);
            fa_glu_backward_1(pd->a[k][j], pd->b[k][j], pd->g[k][j], da + pd->at[k] + j, db + pd->at[k] + j);
        }
    pd->n = 0;
}

static inline void fa_glu_backward_f32_span(const float *a, const float *b, const float *g, float *da, float *db,
                                            ptrdiff_t n)
{
    const __m256 thi = _mm256_loadu_ps(FA2_T4_HI), tlo = _mm256_loadu_ps(FA2_T4_LO);
    const int nu = 2;           /* (vectors a step: three took 3% more time) */
    fa2_glu_pending pd;
    pd.n = 0;
    for (ptrdiff_t i = 0; i < n; i += 8 * nu) {
        fa2_vec av, bv, gv, ra, rb;
        __m256i m[FA2_U];
        int bad[FA2_U], whole = i + 8 * nu <= n;
        if (whole)
            FA2_EACH_OF(nu) {
                av.v[u_] = FA2_FULL(a);
                bv.v[u_] = FA2_FULL(b);
                gv.v[u_] = FA2_FULL(g);
            }
        else
            FA2_EACH_OF(nu) {
                m[u_] = fa2_lanes_left(n - i - 8 * u_);
                av.v[u_] = FA2_PART(a);
                bv.v[u_] = FA2_PART(b);
                gv.v[u_] = FA2_PART(g);
            }
        for (int u_ = nu; u_ < FA2_U; u_++) {   /* (copies of the first: the same values, merged) */
            av.v[u_] = av.v[0];
            bv.v[u_] = bv.v[0];
            gv.v[u_] = gv.v[0];
        }
        fa2_glu_backward_form(av, bv, gv, &ra, &rb, bad, thi, tlo);
        if (whole)
            FA2_EACH_OF(nu) {
                _mm256_storeu_ps(da + i + 8 * u_, ra.v[u_]);
                _mm256_storeu_ps(db + i + 8 * u_, rb.v[u_]);
            }
        else
            FA2_EACH_OF(nu) {
                _mm256_maskstore_ps(da + i + 8 * u_, m[u_], ra.v[u_]);
                _mm256_maskstore_ps(db + i + 8 * u_, m[u_], rb.v[u_]);
                bad[u_] &= FA2_MASKED;
            }
        FA2_EACH_OF(nu) if (bad[u_]) {
            _mm256_storeu_ps(pd.a[pd.n], av.v[u_]);
            _mm256_storeu_ps(pd.b[pd.n], bv.v[u_]);
            _mm256_storeu_ps(pd.g[pd.n], gv.v[u_]);
            pd.at[pd.n] = i + 8 * u_;
            pd.lanes[pd.n++] = bad[u_];
        }
        if (pd.n > FA2_PEND - FA2_U)
            fa2_glu_flush(&pd, da, db);
    }
    if (pd.n)
        fa2_glu_flush(&pd, da, db);
}

/* ---- the elu family's backward: selu's g scale (x > 0) or g scale alpha e^x, elu's g or g alpha e^x, celu's g
 * or g e^(x/alpha) ---- */

/* c e^v for v in [-87, 87] (beyond: junk, the callers' FIX sends those lanes one by one) as p + *p_lo
 * (2^-27, unrenormalised) times *sc = 2^n: e^v = 2^n (th + t) (fa2_exp_parts, `exact`), times 1 + v_lo
 * where v_lo is given (celu's x/alpha as a pair), times c = c_hi + c_lo (v_lo and c not both) */
static inline __attribute__((always_inline)) fa2_vec fa2_c_exp(fa2_vec v, const fa2_vec *v_lo, __m256 c_hi, __m256 c_lo,
                                                              fa2_vec *p_lo, fa2_vec *sc, __m256 thi, __m256 tlo)
{
    fa2_vec t, th;
    FA2_EACH v.v[u_] = _mm256_min_ps(_mm256_max_ps(v.v[u_], _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
    th = fa2_exp_parts(v, thi, tlo, &t, sc, 1);
    FA2_EACH {
        if (v_lo) {
            /* e^(v + v_lo) = (th + t)(1 + v_lo): t v_lo counts (|t| up to 2^-3.5 th, |v_lo| 2^-22 of |v|) */
            p_lo->v[u_] = _mm256_fmadd_ps(th.v[u_], v_lo->v[u_], _mm256_fmadd_ps(t.v[u_], v_lo->v[u_], t.v[u_]));
        } else {
            __m256 p = _mm256_mul_ps(c_hi, th.v[u_]);
            p_lo->v[u_] = _mm256_fmadd_ps(c_hi, t.v[u_], _mm256_fmadd_ps(c_lo, th.v[u_], _mm256_fmsub_ps(c_hi, th.v[u_], p)));
            th.v[u_] = p;
        }
    }
    return th;
}

/* g (p + p_lo) rounded once; where g p is 0 (g or p 0, or too small: the callers' FIX takes those
 * lanes), g p itself, a zero of the product's sign (its low part, +0, would turn -0 into +0) */
static inline __m256 fa2_times_pair(__m256 g, __m256 p, __m256 p_lo)
{
    __m256 y = _mm256_mul_ps(g, p);
    __m256 r = _mm256_add_ps(y, _mm256_fmadd_ps(g, p_lo, _mm256_fmsub_ps(g, p, y)));
    return _mm256_blendv_ps(r, y, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

/* The lanes of the three one by one (fa_selu_backward_1 and co.): the exp's argument v beyond [-87, 87]
 * or NaN (2^n would not be normal; selu's and elu's v = min(x, 0) is never above), |g| from 2^64 (g times
 * the pair could overflow before 2^n is put on) or nonzero below 2^-60 (elu's 2^e, up to 2^60, is put on
 * after the rounding: the rounded product must not be subnormal), and a nonzero g with a result below
 * 2^-100 (2^n and 2^e put on a rounded product would round it again) */
static inline __m256 fa2_elu_odd(__m256 g, __m256 y, __m256 v)
{
    __m256 far = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), _mm256_set1_ps(87.0f), _CMP_NLE_UQ);
    return _mm256_or_ps(_mm256_or_ps(fa2_odd_g(g, y), fa2_small_nonzero(g, 0x1p-60f)), far);
}

/* min(x, 0), NaN kept */
static inline __m256 fa2_neg_part(__m256 x)
{
    return _mm256_min_ps(_mm256_setzero_ps(), x);
}

/* selu: scale and scale alpha as hi + lo floats (as the AVX-512 form), the factor as a pair (scale's for
 * x > 0, scale alpha e^x's otherwise), g times it rounded once, then 2^n */
static inline __attribute__((always_inline)) fa2_vec fa2_selu_backward_form(fa2_vec gv, fa2_vec xv, __m256 thi,
                                                                            __m256 tlo)
{
    fa2_vec v, p, p_lo, sc;
    FA2_EACH v.v[u_] = fa2_neg_part(xv.v[u_]);
    p = fa2_c_exp(v, NULL, _mm256_set1_ps(0x1.c212ccp+0f), _mm256_set1_ps(0x1.903c0cp-26f), &p_lo, &sc, thi, tlo);
    FA2_EACH {
        __m256 pos = _mm256_cmp_ps(xv.v[u_], _mm256_setzero_ps(), _CMP_GE_OQ);     /* (Keras's g scale at 0) */
        __m256 hi = _mm256_blendv_ps(p.v[u_], _mm256_set1_ps(0x1.0cfabep+0f), pos);
        __m256 lo = _mm256_blendv_ps(p_lo.v[u_], _mm256_set1_ps(-0x1.2adddap-25f), pos);
        p.v[u_] = _mm256_mul_ps(fa2_times_pair(gv.v[u_], hi, lo), _mm256_blendv_ps(sc.v[u_], _mm256_set1_ps(1.0f), pos));
    }
    return p;
}

FA2_SPAN2(selu_backward, fa2_selu_backward_form(av, xv, thi, tlo), fa2_elu_odd(a, y, fa2_neg_part(x)),
          fa_selu_backward_1)

/* alpha = m 2^e, m in [1, 2) (sign included), for elu; ok = 0 (every lane one by one) for an alpha that is
 * zero, subnormal, not finite or with |e| > 60 */
typedef struct { __m256 m, e, all; } fa2_alpha;

static inline fa2_alpha fa2_alpha_of(float alpha)
{
    fa2_alpha al;
    uint32_t b;
    memcpy(&b, &alpha, sizeof b);
    int e = (int)((b >> 23) & 255u) - 127;
    uint32_t mb = (b & 0x807fffffu) | (127u << 23), eb = (uint32_t)(e + 127) << 23;
    float m, p2;
    memcpy(&m, &mb, sizeof m);
    memcpy(&p2, &eb, sizeof p2);
    int ok = e >= -60 && e <= 60;
    al.m = _mm256_set1_ps(m);
    al.e = _mm256_set1_ps(ok ? p2 : 1.0f);
    al.all = _mm256_castsi256_ps(_mm256_set1_epi32(ok ? 0 : -1));
    return al;
}

/* elu: alpha's mantissa times e^x as the pair, g times it rounded once, then 2^e and 2^n (each exact: the
 * product is normal, from 2^-61 to 2^66, and 2^e keeps it so) */
static inline __attribute__((always_inline)) fa2_vec fa2_elu_backward_form(fa2_vec gv, fa2_vec xv, float alpha,
                                                                           __m256 thi, __m256 tlo)
{
    const fa2_alpha al = fa2_alpha_of(alpha);
    fa2_vec v, p, p_lo, sc;
    FA2_EACH v.v[u_] = fa2_neg_part(xv.v[u_]);
    p = fa2_c_exp(v, NULL, al.m, _mm256_setzero_ps(), &p_lo, &sc, thi, tlo);
    FA2_EACH {
        __m256 y = _mm256_mul_ps(_mm256_mul_ps(fa2_times_pair(gv.v[u_], p.v[u_], p_lo.v[u_]), al.e), sc.v[u_]);
        p.v[u_] = _mm256_blendv_ps(y, gv.v[u_], _mm256_cmp_ps(xv.v[u_], _mm256_setzero_ps(), _CMP_GT_OQ));
    }
    return p;
}

FA2_SPAN2(elu_backward, fa2_elu_backward_form(av, xv, p_, thi, tlo),
          _mm256_or_ps(fa2_elu_odd(a, y, fa2_neg_part(x)), fa2_alpha_of(p_).all), fa_elu_backward_1)

/* celu: v = x/alpha as a pair (x > 0: 0), v = x (1/alpha) rounded and v_lo = (x - v alpha) (1/alpha),
 * the remainder exact (one FMA; alpha from 2^-60 to 2^60 in size keeps it normal where it matters); e^v
 * (1 + v_lo) as the pair, g times it rounded once, then 2^n.  One by one besides fa2_elu_odd's: |v| > 87
 * (alpha < 0 makes v positive) and alpha beyond that range or not finite (every lane). */
static inline __m256 fa2_celu_v(__m256 x, float alpha)
{
    return _mm256_mul_ps(fa2_neg_part(x), _mm256_set1_ps(1.0f / alpha));
}

static inline __m256 fa2_celu_odd(__m256 g, __m256 y, __m256 x, float alpha)
{
    float aa = fabsf(alpha);
    __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(aa >= 0x1p-60f && aa <= 0x1p60f ? 0 : -1));
    return _mm256_or_ps(fa2_elu_odd(g, y, fa2_celu_v(x, alpha)), all);
}

static inline __attribute__((always_inline)) fa2_vec fa2_celu_backward_form(fa2_vec gv, fa2_vec xv, float alpha,
                                                                            __m256 thi, __m256 tlo)
{
    const __m256 al = _mm256_set1_ps(alpha), inv = _mm256_set1_ps(1.0f / alpha);
    fa2_vec v, v_lo, p, p_lo, sc;
    FA2_EACH {
        v.v[u_] = fa2_celu_v(xv.v[u_], alpha);
        v_lo.v[u_] = _mm256_mul_ps(_mm256_fnmadd_ps(v.v[u_], al, fa2_neg_part(xv.v[u_])), inv);
    }
    p = fa2_c_exp(v, &v_lo, _mm256_setzero_ps(), _mm256_setzero_ps(), &p_lo, &sc, thi, tlo);
    FA2_EACH {
        __m256 y = _mm256_mul_ps(fa2_times_pair(gv.v[u_], p.v[u_], p_lo.v[u_]), sc.v[u_]);
        p.v[u_] = _mm256_blendv_ps(y, gv.v[u_], _mm256_cmp_ps(xv.v[u_], _mm256_setzero_ps(), _CMP_GT_OQ));
    }
    return p;
}

FA2_SPAN2(celu_backward, fa2_celu_backward_form(av, xv, p_, thi, tlo), fa2_celu_odd(a, y, x, p_), fa_celu_backward_1)

/* (FA2_SPAN's ONE for a form that leaves no lane) */
static inline float fa2_no_lane_1(float a, float x, double p)
{
    (void)a;
    (void)p;
    return x;
}

/* Backward passes in double (FA2_SPAN2_PD).  sigmoid's backward g (y (1 - y)) and tanh's g ((1 - y) (1 + y)) from the saved y: the portable
 * formulas (fa_sigmoid_backward_1's and fa_tanh_backward_1's) lane for lane, an infinite or NaN g, |y|
 * > 1 and subnormal results included (double's range holds every product of three floats).  1 - y and
 * 1 + y are exact for 2^-29 <= |y| <= 2^52, each product rounds by 2^-53 at most, and the float's
 * rounding comes last (0.5 ULP and 2^-28 of one).  The float pair forms these replace (1 - y as a
 * Fast2Sum pair, y (1 - y) by an FMA, g times the pair rounded once, a test for the lanes to do one by
 * one) gave the same bits over 16M random inputs but for one bug (NaN where g y (1 - y) overflows, y in
 * [-1, 0)) and took 0.30 ns per element on one thread (AMD Zen 3, 8192 elements, best of 400), this
 * 0.19 (sigmoid') and 0.22 (tanh'). */
static inline void fa2_sigmoid_backward_pd(const __m256d *g, const __m256d *y, __m256d *r)
{
    FA2_PD_EACH r[k] = _mm256_mul_pd(g[k], _mm256_mul_pd(y[k], _mm256_sub_pd(_mm256_set1_pd(1.0), y[k])));
}

static inline void fa2_tanh_backward_pd(const __m256d *g, const __m256d *y, __m256d *r)
{
    const __m256d one = _mm256_set1_pd(1.0);
    FA2_PD_EACH r[k] = _mm256_mul_pd(g[k], _mm256_mul_pd(_mm256_sub_pd(one, y[k]), _mm256_add_pd(one, y[k])));
}

/* hard_silu's backward inside 0 < x + 3 < 6, g ((2x + 3) (1/6)), as the portable path has it (hard_silu_bwd
 * in _scalar.pxd, its double form): 2x + 3 is exact where it is small (Sterbenz: 2x in [-6, -3/2]) and
 * rounds by 2^-53 of itself elsewhere (nothing cancels), times 1/6 (rounded: 2^-54) and then g two more
 * roundings, the float's last: 0.5 ULP and 2^-27 of one.  (x/3 + 1/2 instead, 1/3 rounded, is 0.036 ULP
 * more beside x = -1.5, where x/3 and 1/2 cancel, and not 0 at -1.5 when taken by an FMA.)  FIN: g above
 * (x + 3 >= 6), g * 0 below, x where x is NaN.  The float form it replaces (u = 2x + 3 and u/6 as pairs,
 * g below 2^-100 lifted by 2^64, an infinite g without the low part: the FMA scalar form lane for lane)
 * took 0.37 ns per element (C, one thread, 8192 elements, best of 400), this 0.29; and it was 0.75 ULP
 * off where the result is subnormal (within FLT_MIN), this 0.5. */
static inline void fa2_hard_silu_backward_pd(const __m256d *g, const __m256d *x, __m256d *r)
{
    FA2_PD_EACH {
        __m256d u = _mm256_fmadd_pd(x[k], _mm256_set1_pd(2.0), _mm256_set1_pd(3.0));
        r[k] = _mm256_mul_pd(g[k], _mm256_mul_pd(u, _mm256_set1_pd(1.0 / 6.0)));
    }
}

static inline __m256 fa2_hard_silu_backward_fin(__m256 r, __m256 g, __m256 x)
{
    __m256 t = _mm256_add_ps(x, _mm256_set1_ps(3.0f));
    r = _mm256_blendv_ps(r, g, _mm256_cmp_ps(t, _mm256_set1_ps(6.0f), _CMP_GE_OQ));
    r = _mm256_blendv_ps(r, _mm256_mul_ps(g, _mm256_setzero_ps()), _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_LE_OQ));
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

FA2_SPAN2_PD(sigmoid_backward, r_)
FA2_SPAN2_PD(tanh_backward, r_)
FA2_SPAN2_PD(hard_silu_backward, fa2_hard_silu_backward_fin(r_, g_, x_))

/* softsign, x / (1 + |x|), as the AVX-512 form: a = |x|, 1 + a exact as d + d_lo (Fast2Sum on the larger
 * and the smaller), a / (1 + a) by vdivps and fa2_div_fix, rounded once; x's sign put back (-0 stays -0,
 * NaN propagates).  From 2^26 on (+inf included) the result rounds to +-1.  No lane goes one by one. */
static inline __attribute__((always_inline)) fa2_vec fa2_softsign_form(fa2_vec xv)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    FA2_EACH {
        __m256 x = xv.v[u_], a = _mm256_andnot_ps(sign, x);
        __m256 d = _mm256_add_ps(a, one);
        __m256 d_lo = _mm256_add_ps(_mm256_sub_ps(_mm256_max_ps(a, one), d), _mm256_min_ps(a, one));
        __m256 q = fa2_div_fix(_mm256_div_ps(a, d), a, _mm256_setzero_ps(), d, d_lo);
        q = _mm256_blendv_ps(q, one, _mm256_cmp_ps(a, _mm256_set1_ps(0x1p26f), _CMP_GE_OQ));
        xv.v[u_] = _mm256_or_ps(q, _mm256_and_ps(x, sign));
    }
    return xv;
}

FA2_SPAN(softsign, fa2_softsign_form(xv), _mm256_setzero_ps(), fa2_no_lane_1)

/* w = k x (1 + C x^2) and t = k x (1 + 3 C x^2) as hi + lo (~2^-44), k = 2 sqrt(2/pi), C = 0.044715 (k, C
 * and 3 C as hi + lo), x^2 and k x exact as pairs and shared (fa_gelu_cubic_512, once for both): gelu's tanh
 * form's w = 2u and x times its derivative */
static inline __m256 fa2_gelu_cubics(__m256 x, __m256 *w_lo, __m256 *t, __m256 *t_lo)
{
    const __m256 k_hi = _mm256_set1_ps(0x1.988454p+0f);
    __m256 p = _mm256_mul_ps(x, x), p_lo = _mm256_fmsub_ps(x, x, p);
    __m256 v = _mm256_mul_ps(k_hi, x);
    __m256 v_lo = _mm256_fmadd_ps(_mm256_set1_ps(-0x1.857936p-25f), x, _mm256_fmsub_ps(k_hi, x, v));
    __m256 r[2], r_lo[2];
    static const float C[2][2] = {{0x1.6e4e26p-5f, 0x1.a9003ep-30f}, {0x1.12ba9ep-3f, -0x1.c13fd0p-28f}};
    for (int k = 0; k < 2; k++) {
        const __m256 c_hi = _mm256_set1_ps(C[k][0]);
        __m256 m = _mm256_mul_ps(c_hi, p);
        __m256 m_lo = _mm256_fmadd_ps(c_hi, p_lo, _mm256_fmadd_ps(_mm256_set1_ps(C[k][1]), p, _mm256_fmsub_ps(c_hi, p, m)));
        __m256 w_lo_, w = fa2_two_sum(_mm256_set1_ps(1.0f), m, &w_lo_);
        w_lo_ = _mm256_add_ps(w_lo_, m_lo);
        r[k] = _mm256_mul_ps(v, w);
        r_lo[k] = _mm256_fmadd_ps(v, w_lo_, _mm256_fmadd_ps(v_lo, w, _mm256_fmsub_ps(v, w, r[k])));
    }
    *w_lo = r_lo[0];
    *t = r[1];
    *t_lo = r_lo[1];
    return r[0];
}

static inline __m256 fa2_gelu_tanh_settled(__m256 g, __m256 x)
{
    __m256 in = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-12.0f), _CMP_LT_OQ),
                              _mm256_cmp_ps(x, _mm256_set1_ps(-1e30f), _CMP_GT_OQ));
    return _mm256_and_ps(in, _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), g), _mm256_set1_ps(0x1p45f), _CMP_LT_OQ));
}

static inline __m256 fa2_gelu_tanh_odd(__m256 g, __m256 x)
{
    __m256 ag = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
    __m256 below = _mm256_andnot_ps(fa2_gelu_tanh_settled(g, x), _mm256_cmp_ps(x, _mm256_set1_ps(-12.0f), _CMP_NGE_UQ));
    return _mm256_or_ps(_mm256_or_ps(fa2_small_nonzero(g, 0x1p-100f), below),
                        _mm256_cmp_ps(ag, _mm256_set1_ps(0x1p64f), _CMP_NLT_UQ));
}

static inline __attribute__((always_inline)) fa2_vec fa2_gelu_tanh_backward_form(fa2_vec gv, fa2_vec xv, __m256 thi,
                                                                                 __m256 tlo)
{
    static const float Q[6] = {-0x1.993cd4p-4f, 0x1.9a0ef6p-2f, 0x1.3720c6p-4f, 0x1.f37b84p-6f, 0x1.721f46p-7f,
                               0x1.e3b484p-9f};
    enum { fa2_nu = 2 };        /* (two vectors: FA2_SPAN2_N below) */
    const __m256 one = _mm256_set1_ps(1.0f), r_hi = _mm256_set1_ps(-0x1.8142a0p-1f);
    fa2_vec w, w_lo, t, t_lo, a, te, y;
    __m256i ni[FA2_U];
    FA2_EACH {
        w.v[u_] = fa2_gelu_cubics(xv.v[u_], &w_lo.v[u_], &t.v[u_], &t_lo.v[u_]);
        a.v[u_] = _mm256_max_ps(_mm256_set1_ps(-176.0f), _mm256_or_ps(w.v[u_], _mm256_set1_ps(-0.0f)));
    }
    for (int u_ = fa2_nu; u_ < FA2_U; u_++)
        a.v[u_] = a.v[0];
    fa2_vec th = fa2_exp_core(a, thi, tlo, &te, ni, 1);
    FA2_EACH {
        __m256 x = xv.v[u_], g = gv.v[u_], neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        /* exp(-|w + w_lo|) = z (1 -+ w_lo), with th + te as z (|w_lo| reaches 2^-19, te 0.15 th); u = z
         * unscaled, renormalised */
        __m256 zt = _mm256_fmadd_ps(_mm256_add_ps(th.v[u_], te.v[u_]),
                                    _mm256_blendv_ps(_mm256_sub_ps(_mm256_setzero_ps(), w_lo.v[u_]), w_lo.v[u_], neg), te.v[u_]);
        __m256 uz = _mm256_add_ps(th.v[u_], zt), uzl = _mm256_add_ps(_mm256_sub_ps(th.v[u_], uz), zt);
        __m256i n = _mm256_and_si256(_mm256_castps_si256(neg), ni[u_]);   /* (the scale: x < 0 only) */
        __m256 sz = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_max_epi32(ni[u_], _mm256_set1_epi32(-100)),
                                                                         _mm256_set1_epi32(127)), 23));
        __m256 zh = _mm256_mul_ps(uz, sz), zl = _mm256_mul_ps(uzl, sz);
        __m256 d_lo, d_hi = fa2_one_plus(zh, zl, &d_lo);
        /* S = d + t v: v = z for x >= 0, 1 for x < 0 */
        __m256 p = _mm256_mul_ps(t.v[u_], zh);
        __m256 p_lo = _mm256_fmadd_ps(t_lo.v[u_], zh, _mm256_fmadd_ps(t.v[u_], zl, _mm256_fmsub_ps(t.v[u_], zh, p)));
        __m256 wv = _mm256_blendv_ps(p, t.v[u_], neg), wv_lo = _mm256_blendv_ps(p_lo, t_lo.v[u_], neg);
        __m256 s_lo, s = fa2_two_sum(d_hi, wv, &s_lo);
        s_lo = _mm256_add_ps(s_lo, _mm256_add_ps(d_lo, wv_lo));
        __m256 root = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(x, r_hi)), _mm256_set1_ps(0.1f),
                                    _CMP_LT_OQ);
        if (_mm256_movemask_ps(root)) {
            /* S = S'(x0) h + h^2 P(h), h = x - x0 as a pair (x0 as three floats, x - x0_hi exact) */
            __m256 h_lo, h = fa2_two_sum(_mm256_sub_ps(x, r_hi), _mm256_set1_ps(-0x1.85a06cp-27f), &h_lo);
            h_lo = _mm256_sub_ps(h_lo, _mm256_set1_ps(0x1.a9ea48p-52f));
            const __m256 m_hi = _mm256_set1_ps(0x1.3af6cep+1f);
            __m256 ah = _mm256_mul_ps(m_hi, h);
            __m256 al = _mm256_fmadd_ps(m_hi, h_lo, _mm256_fmadd_ps(_mm256_set1_ps(-0x1.f53b62p-24f), h,
                                                                    _mm256_fmsub_ps(m_hi, h, ah)));
            __m256 q = _mm256_set1_ps(Q[5]);
            for (int k = 4; k >= 0; k--)
                q = _mm256_fmadd_ps(q, h, _mm256_set1_ps(Q[k]));
            __m256 rs_lo, rs = fa2_two_sum(ah, _mm256_fmadd_ps(_mm256_mul_ps(h, h), q, al), &rs_lo);
            s = _mm256_blendv_ps(s, rs, root);
            s_lo = _mm256_blendv_ps(s_lo, rs_lo, root);
        }
        __m256 r = fa2_g_us_dd(g, _mm256_blendv_ps(one, uz, neg), _mm256_and_ps(neg, uzl), s, s_lo, d_hi, d_lo);
        /* 2^n in two steps, n1 = max(n, -126) last: each exact where the result is normal */
        __m256i n1 = _mm256_max_epi32(n, _mm256_set1_epi32(-126));
        r = _mm256_mul_ps(r, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(n, n1),
                                                                                     _mm256_set1_epi32(127)), 23)));
        r = _mm256_mul_ps(r, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23)));
        r = _mm256_blendv_ps(r, g, _mm256_cmp_ps(x, _mm256_set1_ps(8.0f), _CMP_GE_OQ));
        y.v[u_] = _mm256_blendv_ps(r, _mm256_mul_ps(g, _mm256_set1_ps(-0.0f)), fa2_gelu_tanh_settled(g, x));
    }
    for (int u_ = fa2_nu; u_ < FA2_U; u_++)
        y.v[u_] = y.v[0];
    return y;
}

FA2_SPAN2_N(gelu_tanh_backward, 2, fa2_gelu_tanh_backward_form(av, xv, thi, tlo), fa2_gelu_tanh_odd(a, x),
            fa_gelu_tanh_backward_1)

/* ---- the piecewise-linear forwards, bit for bit _scalar.pxd's forms ----
 * x86's min and max return their second operand where either is NaN or both are zeros: vmaxps(lo,
 * vminps(hi, x)) is `hi < x ? hi : x`, then `lo > t ? lo : t`, which give the scalar forms' results, NaN
 * and -0 included (each span matches its scalar form bit for bit over all 2^32 inputs, the
 * parameterised ones for 10 to 14 thresholds or alphas; a NaN's payload aside).  GCC's loops of those
 * forms took a compare and a blend per select (relu6: 6 instructions per 8 elements, and the portable
 * loop's ~35 per 64), 1.4-1.8x a copy's time on one thread at 1e6 (relu6 175, leaky_relu 216,
 * hard_shrink 221 us against a copy's 113). */
static inline __m256 fa2_clamp(__m256 x, float lo, float hi)
{
    return _mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), x));
}

/* relu's plain form: x where x > 0 or NaN, else +0 (-0 included) */
static inline fa2_vec fa2_relu_form(fa2_vec x)
{
    FA2_EACH x.v[u_] = _mm256_and_ps(x.v[u_], _mm256_cmp_ps(x.v[u_], _mm256_setzero_ps(), _CMP_NLE_UQ));
    return x;
}

/* leaky_relu: alpha x where x < 0, else x (NaN, -0), as max(alpha x, x) for alpha <= 1 and min(alpha x, x)
 * above (the second operand, x, where x is NaN or both are zeros); alpha = 0: +0 below 0, not 0 times -inf.
 * (A compare, a multiply and a blend took 30% longer at 1e6, from L3.) */
static inline fa2_vec fa2_leaky_relu_form(fa2_vec x, float alpha)
{
    const __m256 a = _mm256_set1_ps(alpha);
    FA2_EACH {
        if (alpha == 0.0f)
            x.v[u_] = _mm256_and_ps(x.v[u_], _mm256_cmp_ps(x.v[u_], _mm256_setzero_ps(), _CMP_NLT_UQ));
        else if (alpha <= 1.0f)
            x.v[u_] = _mm256_max_ps(_mm256_mul_ps(a, x.v[u_]), x.v[u_]);
        else
            x.v[u_] = _mm256_min_ps(_mm256_mul_ps(a, x.v[u_]), x.v[u_]);
    }
    return x;
}

/* relu6 and hard_tanh: x clamped (0 if x < 0 else (6 if x > 6 else x), and -1, 1) */
static inline fa2_vec fa2_clamp_form(fa2_vec x, float lo, float hi)
{
    FA2_EACH x.v[u_] = fa2_clamp(x.v[u_], lo, hi);
    return x;
}

/* soft_shrink: x - clamp(x, -a, a): x - a above a, x + a below -a (x - (-a) is the same operation), x - x
 * = +0 in between (a >= 0, finite); NaN propagates */
static inline fa2_vec fa2_soft_shrink_form(fa2_vec x, float a)
{
    FA2_EACH x.v[u_] = _mm256_sub_ps(x.v[u_], fa2_clamp(x.v[u_], -a, a));
    return x;
}

/* hard_shrink: x where not |x| <= a (NaN included), else +0 */
static inline fa2_vec fa2_hard_shrink_form(fa2_vec x, float a)
{
    FA2_EACH x.v[u_] = _mm256_and_ps(x.v[u_], _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x.v[u_]),
                                                            _mm256_set1_ps(a), _CMP_NLE_UQ));
    return x;
}

/* sparse_sigmoid: 0.5 (x + 1) = x/2 + 1/2 rounded once (the same: halving is exact there), clamped to [0, 1]
 * (+0 at x = -1 and below, NaN propagates) */
static inline fa2_vec fa2_sparse_sigmoid_form(fa2_vec x)
{
    FA2_EACH x.v[u_] = fa2_clamp(_mm256_fmadd_ps(x.v[u_], _mm256_set1_ps(0.5f), _mm256_set1_ps(0.5f)), 0.0f, 1.0f);
    return x;
}

/* hard_sigmoid, relu6(x + 3) / 6 (the division itself: x (1/6) would round differently), and hard_silu, x
 * times it (two roundings, as Keras's x * hard_sigmoid(x)) */
static inline fa2_vec fa2_hard_sigmoid_form(fa2_vec x, const int times_x)
{
    FA2_EACH {
        __m256 h = _mm256_div_ps(fa2_clamp(_mm256_add_ps(x.v[u_], _mm256_set1_ps(3.0f)), 0.0f, 6.0f),
                                 _mm256_set1_ps(6.0f));
        x.v[u_] = times_x ? _mm256_mul_ps(x.v[u_], h) : h;
    }
    return x;
}

FA2_SPAN(relu, fa2_relu_form(xv), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN_P(leaky_relu, fa2_leaky_relu_form(xv, p_), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN(relu6, fa2_clamp_form(xv, 0.0f, 6.0f), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN(hard_tanh, fa2_clamp_form(xv, -1.0f, 1.0f), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN_P(soft_shrink, fa2_soft_shrink_form(xv, p_), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN_P(hard_shrink, fa2_hard_shrink_form(xv, p_), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN(sparse_sigmoid, fa2_sparse_sigmoid_form(xv), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN(hard_sigmoid, fa2_hard_sigmoid_form(xv, 0), _mm256_setzero_ps(), fa2_no_lane_1)
FA2_SPAN(hard_silu, fa2_hard_sigmoid_form(xv, 1), _mm256_setzero_ps(), fa2_no_lane_1)

/* ---- softmax and log_softmax rows (float32, forward and backward) ----
 * As _spans.h's AVX-512 rows, in float arithmetic but for the sums: on AMD Zen 3 a conversion between
 * float and double ties up its one pipe for about two cycles per 8 lanes, and the same rows with their
 * terms and quotients in double took 1.28 (softmax), 1.43 (log_softmax) and 0.67 (softmax') ns per
 * element in L1, against 1.03, 1.32 and 0.53 here (C, rows of 1000, one thread; sigmoid 0.77-0.79;
 * log_softmax' stays in double, 1.1).  The terms e^(x - m) are float pairs from
 * fa2_exp_core times 2^64 (so that a term's low part stays normal wherever its quotient is), their high
 * parts summed in double and low parts in float; softmax's quotients use the reciprocal of the sum as
 * a float pair, log_softmax's (x - m) - lg two TwoSums.  Each lane takes the row's elements j = lane
 * (mod 16) from the row's start, added in a fixed order, so the sums do not depend on where the row lies
 * in memory or on the thread count. */

/* the lanes of 2 FA2_U double accumulators and 8 float ones added in a fixed order */
static inline double fa2_total(const __m256d *acc, __m256 acc_f)
{
    __m256d s = acc[0];
    for (int k = 1; k < 2 * FA2_U; k++)
        s = _mm256_add_pd(s, acc[k]);
    s = _mm256_add_pd(s, _mm256_add_pd(fa2_lo_pd(acc_f), fa2_hi_pd(acc_f)));
    double p[4];
    _mm256_storeu_pd(p, s);
    return (p[0] + p[1]) + (p[2] + p[3]);
}

/* the row's largest value (NaN ignored: vmaxps returns its second operand where the first is NaN) and
 * *bad = the row holds NaN or +inf, or only -inf (or nothing) */
static inline float fa2_row_max(const float *x, ptrdiff_t n, int *bad, float *low)
{
    const __m256 lowest = _mm256_set1_ps(-INFINITY);
    __m256 m0 = lowest, m1 = lowest, l0 = _mm256_set1_ps(INFINITY), l1 = l0, nan = _mm256_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        m0 = _mm256_max_ps(v0, m0);
        m1 = _mm256_max_ps(v1, m1);
        l0 = _mm256_min_ps(v0, l0);
        l1 = _mm256_min_ps(v1, l1);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v0, v1, _CMP_UNORD_Q));
    }
    for (; i < n; i += 8) {
        __m256 v = fa2_load_fill(x + i, n - i, lowest);
        m0 = _mm256_max_ps(v, m0);
        l0 = _mm256_min_ps(fa2_load_fill(x + i, n - i, _mm256_set1_ps(INFINITY)), l0);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    m0 = _mm256_max_ps(m0, m1);
    l0 = _mm256_min_ps(l0, l1);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    __m128 g = _mm_min_ps(_mm256_castps256_ps128(l0), _mm256_extractf128_ps(l0, 1));
    g = _mm_min_ps(g, _mm_movehl_ps(g, g));
    float m = _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
    *low = _mm_cvtss_f32(_mm_min_ss(g, _mm_movehdup_ps(g)));
    *bad = _mm256_movemask_ps(nan) != 0 || m == INFINITY || m == -INFINITY;
    return m;
}

/* The sum over x[0:n] of 2^64 e^(x - m), in double.  x is raised to low = m - 176 rounded down first
 * (-inf included), so that d = x - m is exact as d + d_lo (TwoSum), and d below -176 is taken as -176
 * without a low part; e^d (1 + d_lo) as the pair, times 2^(n + 64), which is normal down to d = -131.7:
 * the terms below that are 0 (below 2^-189, they count for nothing next to the sum's own rounding, where
 * log_softmax's sum without the maximum matters down to FLT_MIN).  With `ties` (log_softmax) the terms
 * where x == m (2^64 each) are left out and counted there; with e_hi (softmax), each term is also stored
 * as e_hi + e_lo (e_hi may be x: a block is read before it is written). */
typedef struct {
    __m256d acc[2 * FA2_U];
    __m256 acc_lo;
    __m256i count;
} fa2_sums;

/* fa2_softmax_sum's step over x[i:i + 16] (`left` of them, all for `full`: no masks) */
static inline __attribute__((always_inline)) void fa2_softmax_step(const float *x, ptrdiff_t i, ptrdiff_t left,
                                                                  const int full, const int narrow, __m256 m,
                                                                  __m256 low, __m256 thi, __m256 tlo, const int ties,
                                                                  float *e_hi, float *e_lo, fa2_sums *sm)
{
    fa2_vec v, d, d_lo, t;
    __m256 use[FA2_U];
    __m256i ni[FA2_U];
    FA2_EACH {
        if (full) {
            v.v[u_] = _mm256_loadu_ps(x + i + 8 * u_);
            use[u_] = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        } else {
            v.v[u_] = fa2_load_fill(x + i + 8 * u_, left - 8 * u_, low);
            use[u_] = _mm256_castsi256_ps(fa2_lanes_left(left - 8 * u_));
        }
        if (ties) {
            __m256 top = _mm256_and_ps(use[u_], _mm256_cmp_ps(v.v[u_], m, _CMP_EQ_OQ));
            sm->count = _mm256_sub_epi32(sm->count, _mm256_castps_si256(top));
            use[u_] = _mm256_andnot_ps(top, use[u_]);
        }
        if (narrow)     /* (a full step of a row within 60 of its maximum: nothing to hold) */
            d.v[u_] = fa2_two_sum(v.v[u_], _mm256_sub_ps(_mm256_setzero_ps(), m), &d_lo.v[u_]);
        else {
            d.v[u_] = fa2_two_sum(_mm256_max_ps(v.v[u_], low), _mm256_sub_ps(_mm256_setzero_ps(), m), &d_lo.v[u_]);
            __m256 far = _mm256_cmp_ps(d.v[u_], _mm256_set1_ps(-176.0f), _CMP_LT_OQ);
            d.v[u_] = _mm256_blendv_ps(d.v[u_], _mm256_set1_ps(-176.0f), far);
            d_lo.v[u_] = _mm256_andnot_ps(far, d_lo.v[u_]);
        }
    }
    fa2_vec th = fa2_exp_core(d, thi, tlo, &t, ni, 1);
    FA2_EACH {
        /* (th + t)(1 + d_lo): |d_lo| up to 2^-17, so t d_lo counts as well */
        __m256 tt = _mm256_fmadd_ps(_mm256_add_ps(th.v[u_], t.v[u_]), d_lo.v[u_], t.v[u_]);
        /* 2^(n + 64): n + 191 in the exponent field */
        __m256i e = _mm256_add_epi32(ni[u_], _mm256_set1_epi32(191));
        __m256 sc = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
        __m256 hi = _mm256_mul_ps(th.v[u_], sc), lo = _mm256_mul_ps(tt, sc);
        if (!narrow || !full || ties) {
            __m256 ok = narrow ? use[u_] : _mm256_and_ps(use[u_], _mm256_castsi256_ps(_mm256_cmpgt_epi32(e, _mm256_setzero_si256())));
            hi = _mm256_and_ps(ok, hi);
            lo = _mm256_and_ps(ok, lo);
        }
        /* hi + lo renormalised (Fast2Sum: lo, th's polynomial part, is up to ~9% of hi): the float sum
         * of the low parts then adds terms of 2^-24 of each term, not 9%, whose roundings grew with the
         * row (softmax 50 ULP off at 1e5 elements, log_softmax 3.4; AVX-512's pairs are renormalised) */
        __m256 s_ = _mm256_add_ps(hi, lo);
        lo = _mm256_sub_ps(lo, _mm256_sub_ps(s_, hi));
        hi = s_;
        sm->acc[2 * u_] = _mm256_add_pd(sm->acc[2 * u_], fa2_lo_pd(hi));
        sm->acc[2 * u_ + 1] = _mm256_add_pd(sm->acc[2 * u_ + 1], fa2_hi_pd(hi));
        sm->acc_lo = _mm256_add_ps(sm->acc_lo, lo);
        if (e_hi && full) {
            _mm256_storeu_ps(e_hi + i + 8 * u_, hi);
            _mm256_storeu_ps(e_lo + i + 8 * u_, lo);
        } else if (e_hi) {
            fa2_store_part(e_hi + i + 8 * u_, left - 8 * u_, hi);
            fa2_store_part(e_lo + i + 8 * u_, left - 8 * u_, lo);
        }
    }
}

static inline double fa2_softmax_sum(const float *x, ptrdiff_t n, float mx, int narrow, double *ties, float *e_hi,
                                     float *e_lo)
{
    const __m256 thi = _mm256_loadu_ps(FA2_T4_HI), tlo = _mm256_loadu_ps(FA2_T4_LO);
    const __m256 m = _mm256_set1_ps(mx);
    float lw = (float)((double)mx - 176.0);     /* rounded down ((double) mx - 176 is mx from 2^61) */
    if (lw >= mx || (double)lw > (double)mx - 176.0)
        lw = nextafterf(lw, -INFINITY);
    const __m256 low = _mm256_set1_ps(lw);
    fa2_sums sm;
    sm.acc_lo = _mm256_setzero_ps();
    sm.count = _mm256_setzero_si256();
    for (int k = 0; k < 2 * FA2_U; k++)
        sm.acc[k] = _mm256_setzero_pd();
    ptrdiff_t i = 0;
#define FA2_SOFTMAX_STEPS(NARROW, TIES)                                                                 \
    do {                                                                                                \
        for (; i + 8 * FA2_U <= n; i += 8 * FA2_U)                                                      \
            fa2_softmax_step(x, i, n - i, 1, NARROW, m, low, thi, tlo, TIES, e_hi, e_lo, &sm);          \
        if (i < n)                                                                                      \
            fa2_softmax_step(x, i, n - i, 0, 0, m, low, thi, tlo, TIES, e_hi, e_lo, &sm);               \
    } while (0)
    if (ties && narrow)
        FA2_SOFTMAX_STEPS(1, 1);
    else if (ties)
        FA2_SOFTMAX_STEPS(0, 1);
    else if (narrow)
        FA2_SOFTMAX_STEPS(1, 0);
    else
        FA2_SOFTMAX_STEPS(0, 0);
#undef FA2_SOFTMAX_STEPS
    if (ties) {
        int c[8];
        _mm256_storeu_si256((__m256i *)c, sm.count);
        *ties = (double)c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
    }
    return fa2_total(sm.acc, sm.acc_lo);
}

/* softmax (log_form 0) or log_softmax (1) of the row x[0:n] into y (y may be x), as the portable path
 * defines them (_softmax_row); e_lo (room for n floats) holds softmax's low parts between its passes (the
 * high parts are in y).  Returns 0, having written nothing, for a row that holds NaN or +inf or only -inf
 * (the portable path's case). */
static inline int fa2_softmax_row_f32(const float *x, float *y, ptrdiff_t n, int log_form, float *e_lo)
{
    int bad;
    float lowest;
    const float m = fa2_row_max(x, n, &bad, &lowest);
    if (bad)
        return 0;
    /* every x - m from -60 up, exact as a pair: no hold at m - 176, every term normal times 2^64 */
    const int narrow = (double)lowest - (double)m >= -60.0;
    if (log_form) {
        /* y = (x - m) - lg in double: x - m exact (or rounded by 2^-53 where the two are 2^29 apart), the
         * difference rounded once, then to float: 0.5 ULP and 2^-29 of one.  x = -inf gives -inf, and an
         * x - m beyond float's range -inf.  (The float form, x - m and its difference with lg as TwoSum
         * pairs, took 1.10 ns per element for the whole row, this 0.94: C, 100 rows of 1000, one thread.) */
        double ties, t = fa2_softmax_sum(x, n, m, narrow, &ties, NULL, NULL);
        const __m256d md = _mm256_set1_pd((double)m), lg = _mm256_set1_pd(log1p(t * 0x1p-64 + (ties - 1.0)));
        FA2_ROW_LOOP(8, {
            FA2_ROW_STORE(y, 0, fa2_pd_to_ps(_mm256_sub_pd(_mm256_sub_pd(FA2_ROW_LOAD_PD(x, 0), md), lg),
                                             _mm256_sub_pd(_mm256_sub_pd(FA2_ROW_LOAD_PD(x, 4), md), lg)));
        })
        return 1;
    }
    /* y = (e_hi + e_lo) / total, total = 2^k D, D in [1, 2) (k >= 64 for the terms' 2^64): (e_hi + e_lo)
     * (r + r_lo), r + r_lo = 1/D, then 2^-k (normal), rounded once but for ~2^-48 of y (a subnormal y
     * twice, within its ULP) */
    int k;
    const double D = 2.0 * frexp(fa2_softmax_sum(x, n, m, narrow, NULL, y, e_lo), &k), R = 1.0 / D;
    const float r_ = (float)R, sk_ = ldexpf(1.0f, 1 - k);
    const __m256 r = _mm256_set1_ps(r_), r_lo = _mm256_set1_ps((float)(R - r_)), sk = _mm256_set1_ps(sk_);
    FA2_ROW_LOOP(8, {
        __m256 hi = FA2_ROW_LOAD(y, 0), lo = FA2_ROW_LOAD(e_lo, 0);
        __m256 q = _mm256_mul_ps(hi, r);
        __m256 q_lo = _mm256_add_ps(_mm256_fmsub_ps(hi, r, q), _mm256_fmadd_ps(hi, r_lo, _mm256_mul_ps(lo, r)));
        FA2_ROW_STORE(y, 0, _mm256_mul_ps(_mm256_add_ps(q, q_lo), sk));
    })
    return 1;
}

/* softmax (log_form 0) or log_softmax (1) of 8 rows of L (1 <= L <= FA2_ROWS8_MAX) at x + r L into y + r L
 * (y may be x), one row per lane: lane by lane the operations of fa2_softmax_row_f32 (its maximum; its
 * terms as fa2_softmax_step computes them outside the narrow form, which gives the narrow form's bits
 * where that applies; term j added into double partial j % 24 and float low part j % 8 in order of j,
 * then fa2_total's order; softmax's divisor and quotients, log_softmax's log1p, libm's, per row, and
 * (x - m) - lg in double), so the same bits.  The row path costs a row ~90 ns of fixed work (its three
 * passes' setup and reductions: 100 rows of 8 took 8.9 us against PyTorch's 3.5), here shared by 8 rows.
 * Returns 0, having written nothing, where a row holds NaN or +inf or only -inf (the row path's case). */
/* b[r] lane j -> b[j] lane r (an 8 x 8 transpose in registers) */
static inline void fa2_transpose8(__m256 *b)
{
    __m256 t[8], u[8];
    for (int k = 0; k < 4; k++) {
        t[2 * k] = _mm256_unpacklo_ps(b[2 * k], b[2 * k + 1]);
        t[2 * k + 1] = _mm256_unpackhi_ps(b[2 * k], b[2 * k + 1]);
    }
    for (int k = 0; k < 2; k++) {
        u[4 * k] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * k + 1] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; k++) {
        b[k] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
        b[k + 4] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
    }
}

#define FA2_ROWS8_MAX 64
static inline int fa2_rows8_f32(const float *x, float *y, ptrdiff_t L, int log_form)
{
    const __m256 thi = _mm256_loadu_ps(FA2_T4_HI), tlo = _mm256_loadu_ps(FA2_T4_LO);
    float vs[(FA2_ROWS8_MAX + 8) * 8], hs[FA2_ROWS8_MAX * 8], ls[FA2_ROWS8_MAX * 8];
    float mx[8], lw[8];
    double tot[8];
    __m256d acc[24][2];
    __m256 acc_lo[8];
    __m256i count = _mm256_setzero_si256();
    for (ptrdiff_t c = 0; c < L; c += 8) {              /* vs[8 l + r] = x[r L + l] */
        __m256 b[8];
        for (int r = 0; r < 8; r++)
            b[r] = fa2_load_fill(x + r * L + c, L - c, _mm256_setzero_ps());
        fa2_transpose8(b);
        for (int j = 0; j < 8; j++)
            _mm256_storeu_ps(vs + 8 * (c + j), b[j]);
    }
    __m256 m = _mm256_set1_ps(-INFINITY), nan = _mm256_setzero_ps();
    for (ptrdiff_t l = 0; l < L; l++) {
        __m256 v = _mm256_loadu_ps(vs + 8 * l);
        m = _mm256_max_ps(v, m);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), m), _mm256_set1_ps(INFINITY),
                                          _CMP_EQ_OQ));
    if (_mm256_movemask_ps(nan))
        return 0;
    _mm256_storeu_ps(mx, m);
    for (int r = 0; r < 8; r++) {                       /* fa2_softmax_sum's low, row by row */
        lw[r] = (float)((double)mx[r] - 176.0);
        if (lw[r] >= mx[r] || (double)lw[r] > (double)mx[r] - 176.0)
            lw[r] = nextafterf(lw[r], -INFINITY);
    }
    const __m256 low = _mm256_loadu_ps(lw), minus_m = _mm256_sub_ps(_mm256_setzero_ps(), m);
    for (int k = 0; k < 24; k++)
        acc[k][0] = acc[k][1] = _mm256_setzero_pd();
    for (int k = 0; k < 8; k++)
        acc_lo[k] = _mm256_setzero_ps();
    for (ptrdiff_t l0 = 0; l0 < L; l0 += FA2_U) {       /* FA2_U lines a step (past L: copies, unused) */
        fa2_vec v, d, d_lo, t;
        __m256 use[FA2_U];
        __m256i ni[FA2_U];
        FA2_EACH {
            v.v[u_] = _mm256_loadu_ps(vs + 8 * (l0 + u_ < L ? l0 + u_ : l0));
            use[u_] = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
            if (log_form) {
                __m256 top = _mm256_cmp_ps(v.v[u_], m, _CMP_EQ_OQ);
                if (l0 + u_ < L)
                    count = _mm256_sub_epi32(count, _mm256_castps_si256(top));
                use[u_] = _mm256_andnot_ps(top, use[u_]);
            }
            d.v[u_] = fa2_two_sum(_mm256_max_ps(v.v[u_], low), minus_m, &d_lo.v[u_]);
            __m256 far = _mm256_cmp_ps(d.v[u_], _mm256_set1_ps(-176.0f), _CMP_LT_OQ);
            d.v[u_] = _mm256_blendv_ps(d.v[u_], _mm256_set1_ps(-176.0f), far);
            d_lo.v[u_] = _mm256_andnot_ps(far, d_lo.v[u_]);
        }
        fa2_vec th = fa2_exp_core(d, thi, tlo, &t, ni, 1);
        FA2_EACH {
            ptrdiff_t l = l0 + u_;
            if (l >= L)
                break;
            __m256 tt = _mm256_fmadd_ps(_mm256_add_ps(th.v[u_], t.v[u_]), d_lo.v[u_], t.v[u_]);
            __m256i e = _mm256_add_epi32(ni[u_], _mm256_set1_epi32(191));
            __m256 sc = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
            __m256 ok = _mm256_and_ps(use[u_], _mm256_castsi256_ps(_mm256_cmpgt_epi32(e, _mm256_setzero_si256())));
            __m256 hi = _mm256_and_ps(ok, _mm256_mul_ps(th.v[u_], sc)), lo = _mm256_and_ps(ok, _mm256_mul_ps(tt, sc));
            __m256 s_ = _mm256_add_ps(hi, lo);          /* renormalised, as fa2_softmax_step's */
            lo = _mm256_sub_ps(lo, _mm256_sub_ps(s_, hi));
            hi = s_;
            acc[l % 24][0] = _mm256_add_pd(acc[l % 24][0], fa2_lo_pd(hi));
            acc[l % 24][1] = _mm256_add_pd(acc[l % 24][1], fa2_hi_pd(hi));
            acc_lo[l % 8] = _mm256_add_ps(acc_lo[l % 8], lo);
            if (!log_form) {
                _mm256_storeu_ps(hs + 8 * l, hi);
                _mm256_storeu_ps(ls + 8 * l, lo);
            }
        }
    }
    /* fa2_total lane by lane: s_q = P_q + P_(4 + q) + ... + P_(20 + q), plus the low parts q and q + 4 */
    for (int h = 0; h < 2; h++) {
        __m256d s[4];
        for (int q = 0; q < 4; q++) {
            s[q] = acc[q][h];
            for (int k = 1; k < 6; k++)
                s[q] = _mm256_add_pd(s[q], acc[4 * k + q][h]);
            __m256d a = h ? fa2_hi_pd(acc_lo[q]) : fa2_lo_pd(acc_lo[q]);
            __m256d b = h ? fa2_hi_pd(acc_lo[q + 4]) : fa2_lo_pd(acc_lo[q + 4]);
            s[q] = _mm256_add_pd(s[q], _mm256_add_pd(a, b));
        }
        _mm256_storeu_pd(tot + 4 * h, _mm256_add_pd(_mm256_add_pd(s[0], s[1]), _mm256_add_pd(s[2], s[3])));
    }
    if (log_form) {
        int c[8];
        double lg[8], md[8];
        _mm256_storeu_si256((__m256i *)c, count);
        for (int r = 0; r < 8; r++) {
            lg[r] = log1p(tot[r] * 0x1p-64 + ((double)c[r] - 1.0));
            md[r] = mx[r];
        }
        const __m256d m0 = _mm256_loadu_pd(md), m1 = _mm256_loadu_pd(md + 4);
        const __m256d lg0 = _mm256_loadu_pd(lg), lg1 = _mm256_loadu_pd(lg + 4);
        for (ptrdiff_t l = 0; l < L; l++) {
            __m256 v = _mm256_loadu_ps(vs + 8 * l);
            _mm256_storeu_ps(vs + 8 * l, fa2_pd_to_ps(_mm256_sub_pd(_mm256_sub_pd(fa2_lo_pd(v), m0), lg0),
                                                      _mm256_sub_pd(_mm256_sub_pd(fa2_hi_pd(v), m1), lg1)));
        }
    } else {
        /* the row path's D = 2 frexp(total, &k) (the total is normal, from 2^64 to below 2^71), R = 1/D, r =
         * R and r_lo = R - r rounded to float, 2^(1 - k) (normal), from the totals' bits */
        __m256 rv[2], rlv[2];
        __m128i kv[2];
        for (int h = 0; h < 2; h++) {
            __m256i b = _mm256_castpd_si256(_mm256_loadu_pd(tot + 4 * h));
            __m256d D = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                                            _mm256_set1_epi64x(0x3ff0000000000000LL)));
            __m256d R = _mm256_div_pd(_mm256_set1_pd(1.0), D);
            __m128 rf = _mm256_cvtpd_ps(R);
            rv[h] = _mm256_castps128_ps256(rf);
            rlv[h] = _mm256_castps128_ps256(_mm256_cvtpd_ps(_mm256_sub_pd(R, _mm256_cvtps_pd(rf))));
            /* the biased exponents (k + 1022), from the high halves' bits 20..30 */
            __m256i e = _mm256_srli_epi64(b, 52);
            kv[h] = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(e, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
        }
        const __m256 r = _mm256_insertf128_ps(rv[0], _mm256_castps256_ps128(rv[1]), 1);
        const __m256 r_lo = _mm256_insertf128_ps(rlv[0], _mm256_castps256_ps128(rlv[1]), 1);
        /* 2^(1 - k): (1 - k) + 127 = 1150 - (k + 1022) in the exponent field */
        const __m256i be = _mm256_inserti128_si256(_mm256_castsi128_si256(kv[0]), kv[1], 1);
        const __m256 skv = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(1150), be), 23));
        for (ptrdiff_t l = 0; l < L; l++) {
            __m256 hi = _mm256_loadu_ps(hs + 8 * l), lo = _mm256_loadu_ps(ls + 8 * l);
            __m256 q = _mm256_mul_ps(hi, r);
            __m256 q_lo = _mm256_add_ps(_mm256_fmsub_ps(hi, r, q), _mm256_fmadd_ps(hi, r_lo, _mm256_mul_ps(lo, r)));
            _mm256_storeu_ps(vs + 8 * l, _mm256_mul_ps(_mm256_add_ps(q, q_lo), skv));
        }
    }
    for (ptrdiff_t c = 0; c < L; c += 8) {
        __m256 b[8];
        for (int j = 0; j < 8; j++)
            b[j] = _mm256_loadu_ps(vs + 8 * (c + j));
        fa2_transpose8(b);
        for (int r = 0; r < 8; r++)
            fa2_store_part(y + r * L + c, L - c, b[r]);
    }
    return 1;
}

/* softmax's backward over one row, dx = y (g - S) with S = sum of g y (log_form 0), or log_softmax's, dx
 * = g - e^y S with S = sum of g (1); S in double (g y exact there), and both formulas in double, as the
 * portable path has them: g - S rounds by 2^-53 of itself, y times it by as much again, then the float's
 * rounding (a zero y gives the sign of y (g - S), a subnormal result needs nothing of its own).  Four
 * floats come from memory into 4 doubles at a time (vcvtps2pd's own load), in both passes: from
 * 256-bit loads split in two the double form took 0.53 ns per element, the float pair form it replaced
 * (g - S as a TwoSum pair, y times it rounded once, the tiny products in double) 0.41, and this 0.27 (C,
 * 100 rows of 1000, one thread, AMD Zen 3, best of 300).  log_softmax': e^y from fa2_exp_core, y held in
 * [-700, 20] (-700 is below 2^-1009 S: nothing at the bottom), and a step with a y above 20 (not a
 * log-probability: +inf, say) taken one by one (fa_log_softmax_backward_each).  dx may be g or y.
 * Returns 0, having written nothing, where S is not finite (the portable path's formulas as they
 * stand). */
static inline __attribute__((always_inline)) int fa2_softmax_backward_row(const float *g, const float *y, float *dx,
                                                                         ptrdiff_t n, const int log_form)
{
    const __m256 thi = _mm256_loadu_ps(FA2_T4_HI), tlo = _mm256_loadu_ps(FA2_T4_LO);
    __m256d acc[2 * FA2_U];
    for (int k = 0; k < 2 * FA2_U; k++)
        acc[k] = _mm256_setzero_pd();
    FA2_ROW_LOOP(8 * FA2_U, {
        FA2_EACH
            for (int h_ = 0; h_ < 2; h_++) {
                __m256d gd = FA2_ROW_LOAD_PD(g, 8 * u_ + 4 * h_);
                acc[2 * u_ + h_] = log_form ? _mm256_add_pd(acc[2 * u_ + h_], gd)
                                            : _mm256_fmadd_pd(gd, FA2_ROW_LOAD_PD(y, 8 * u_ + 4 * h_), acc[2 * u_ + h_]);
            }
    })
    const double S_ = fa2_total(acc, _mm256_setzero_ps());
    if (!(fabs(S_) < INFINITY))
        return 0;
    const __m256d S = _mm256_set1_pd(S_);
    FA2_ROW_LOOP(8 * FA2_U, {
        fa2_vec yv, t;
        __m256i ni[FA2_U];
        int big = 0;
        if (log_form) {
            fa2_vec a;
            FA2_EACH yv.v[u_] = FA2_ROW_LOAD(y, 8 * u_);
            FA2_EACH big |= _mm256_movemask_ps(_mm256_cmp_ps(yv.v[u_], _mm256_set1_ps(20.0f), _CMP_GT_OQ));
            FA2_EACH a.v[u_] = _mm256_max_ps(_mm256_set1_ps(-700.0f), _mm256_min_ps(_mm256_set1_ps(20.0f), yv.v[u_]));
            fa2_vec th = fa2_exp_core(a, thi, tlo, &t, ni, 1);
            FA2_EACH {
                /* (th + t) 2^n in double, 2^n from the integer n */
                __m256i e = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(ni[u_])),
                                                               _mm256_set1_epi64x(1023)), 52);
                __m256i f = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(ni[u_], 1)),
                                                               _mm256_set1_epi64x(1023)), 52);
                __m256d lo = _mm256_mul_pd(_mm256_add_pd(fa2_lo_pd(th.v[u_]), fa2_lo_pd(t.v[u_])), _mm256_castsi256_pd(e));
                __m256d hi = _mm256_mul_pd(_mm256_add_pd(fa2_hi_pd(th.v[u_]), fa2_hi_pd(t.v[u_])), _mm256_castsi256_pd(f));
                yv.v[u_] = fa2_pd_to_ps(_mm256_fnmadd_pd(lo, S, FA2_ROW_LOAD_PD(g, 8 * u_)),
                                        _mm256_fnmadd_pd(hi, S, FA2_ROW_LOAD_PD(g, 8 * u_ + 4)));
            }
        } else
            FA2_EACH yv.v[u_] = fa2_pd_to_ps(_mm256_mul_pd(FA2_ROW_LOAD_PD(y, 8 * u_), _mm256_sub_pd(FA2_ROW_LOAD_PD(g, 8 * u_), S)),
                                             _mm256_mul_pd(FA2_ROW_LOAD_PD(y, 8 * u_ + 4), _mm256_sub_pd(FA2_ROW_LOAD_PD(g, 8 * u_ + 4), S)));
        if (big)        /* (log_softmax': a y above 20 in the step, held there above: the step one by one) */
            fa_log_softmax_backward_each(g + i, y + i, dx + i, full_ ? 8 * FA2_U : n - i, S_);
        else
            FA2_EACH FA2_ROW_STORE(dx, 8 * u_, yv.v[u_]);
    })
    return 1;
}

static inline int fa2_softmax_backward_row_f32(const float *g, const float *y, float *dx, ptrdiff_t n, int log_form)
{
    return log_form ? fa2_softmax_backward_row(g, y, dx, n, 1) : fa2_softmax_backward_row(g, y, dx, n, 0);
}
#define FA2_SOFTMAX_ROWS 1

#define FA_F32_SPAN_sigmoid 1
#define FA_F32_SPAN_glu 1
#define FA_F32_SPAN_glu_backward 1
#define FA_F32_SPAN_silu 1
#define FA_F32_SPAN_gelu 1
#define FA_F32_SPAN_gelu_backward 1
#define FA_F32_SPAN_silu_backward 1
#define FA_F32_SPAN_softplus_backward 1
#define FA_F32_SPAN_log_sigmoid_backward 1
#define FA_F32_SPAN_selu_backward 1
#define FA_F32_SPAN_elu_backward 1
#define FA_F32_SPAN_celu_backward 1
#define FA_F32_SPAN_hard_silu_backward 1
#define FA_F32_SPAN_sigmoid_backward 1
#define FA_F32_SPAN_tanh_backward 1
#define FA_F32_SPAN_softsign 1
#define FA_F32_SPAN_gelu_tanh_backward 1
#define FA_F32_SPAN_relu 1
#define FA_F32_SPAN_leaky_relu 1
#define FA_F32_SPAN_relu6 1
#define FA_F32_SPAN_hard_tanh 1
#define FA_F32_SPAN_soft_shrink 1
#define FA_F32_SPAN_hard_shrink 1
#define FA_F32_SPAN_sparse_sigmoid 1
#define FA_F32_SPAN_hard_sigmoid 1
#define FA_F32_SPAN_hard_silu 1

#endif
