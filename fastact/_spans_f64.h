/* fastact/_spans_f64.h -- hand-vectorised float64 kernels built on exp for the AVX-512 build: the sigmoid
 * family, the exp backward passes (elu, selu, celu), glu, and softmax's and log_softmax's rows
 * (included by _spans.h, which supplies FA_KERNEL, fa_lanes8_left, fa_head_bytes, FA_AHEAD, FA_RUN_PF and
 * FA_GLU_ROWS_SPAN).
 *
 * Why: the portable float64 loops vectorise the scalar math of _scalar.pxd, whose exp is a degree-13
 * double-double polynomial without a table (GCC turns table lookups into gathers, 5x slower) followed
 * by a double-double quotient: sigmoid took 1.03 ns per element (one thread, 64K elements of
 * normal(0, 4), AMD Zen 5) against PyTorch's 0.54.  Here, with the table in registers (vpermt2pd):
 *
 *   e^-a = 2^(n/16) e^r = 2^floor(n/16) T[n mod 16] (1 + p(r)),  n = round(-16 a / ln2),  |r| <= ln2/32,
 *
 * T[j] = 2^(j/16) as hi + lo doubles, p(r) = e^r - 1 by its Taylor series to r^7 (truncation 2^-59.5),
 * the result as 2^k (hi + lo) with hi + lo = T (1 + p) by Fast2Sum (relative error ~2^-57).  The
 * reduction takes n/16 directly (the shifter 1.5 2^48 rounds to sixteenths; its bits' low four are the
 * table index) and vscalefpd floors n/16 itself: no conversion and no rounding instruction.
 *
 * sigmoid(x) = N / d with d = 1 + e, N = 1 (x >= 0) or e (x < 0), e = e^-|x| = e_hi + e_lo (scaled):
 * q = N / (1 + e_hi) by one vdivpd, then the residual N - q d, exact to ~2^-105 without forming d as a
 * pair: N - q is exact (Sterbenz: q is within a factor 2 of N), less q e_hi by an fma (the difference
 * is tiny, so its rounding is), plus e_lo times (1 - q) for x < 0 (e_lo - q e_lo, 1 - q being 1/d) or
 * -q for x >= 0; the result q + res / d, with 1/d taken as q or 1 - q, is rounded once: 0.55 ULP on
 * 20M inputs in [-40, 40] and tiny ones (against __float128), 0.75 just above DBL_MIN (x = -707.5,
 * where e's low part is rounded as a subnormal once scaled).  That is five operations after the
 * division where the double-double quotient (d as a pair, its residual, a second correction) took nine.
 *
 * AMD Zen 5 runs two 512-bit FP multiplies or fmas and two adds a cycle, one vscalefpd, a vdivpd every
 * ~4 cycles, and keeps too few operations in flight to overlap one block's long chain with the next
 * block's by itself: the spans compute the exp of the block two ahead (FA_PD_LOOP), 19.5 -> 15.3
 * cycles per block of 8 for sigmoid (one block ahead: 17.5).
 *
 * Products v sigmoid(x) (silu: v = x; softplus' and log_sigmoid's backward: v = g; glu: v = a) are
 * rounded once, fma(v, q, v lo).  Lanes from |x| = 700 on take a rare branch: there 1 + e is 1 to far
 * below double precision, so v sigmoid(x) is v (x > 0) or v e with e subnormal where v e need not be
 * (silu(-740) is -2.9e-319 ... silu(-710) -3.2e-306): v (hi + lo) is taken unscaled and 2^k put on last,
 * rounded once.  Infinite v (g) and x = -inf (the limit 0, or -0 for silu; inf * 0 is NaN) are settled
 * there too, and NaN x (giving x itself, whose sign would otherwise depend on the operand order GCC
 * picks in each copy of the loop body). */

/* 2^(j/16) = FA_T64_HI[j] + FA_T64_LO[j] */
static const double FA_T64_HI[16] = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
static const double FA_T64_LO[16] = {
    0x0.0p+0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
    0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54,
    -0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56,
    0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54};

/* the table in four registers */
typedef struct { __m512d hi0, hi1, lo0, lo1; } fa_t64;

static inline fa_t64 fa_t64_load(void)
{
    fa_t64 t = {_mm512_loadu_pd(FA_T64_HI), _mm512_loadu_pd(FA_T64_HI + 8), _mm512_loadu_pd(FA_T64_LO),
                _mm512_loadu_pd(FA_T64_LO + 8)};
    return t;
}

/* e^v = 2^floor(k) (hi + lo), hi + lo = T (1 + p) unscaled (in [0.97, 2)), v in [-1500, 1500] or NaN (2^k
 * put on by vscalefpd: an overflow or a subnormal is rounded once there).  (fa_exp_fine_pd's is
 * 2^k (hi + s + lo), hi the table's T, s = T p: s is 0 elsewhere) */
typedef struct { __m512d hi, lo, k, s; } fa_exp2k;

#define FA_PD_A_MAX 1500.0  /* e^-1500 is 0 in double even times 2^1024 (v e^-a): no infinity reaches the reduction */
#define FA_PD_FAR 700.0     /* from |x| = 700 on the lanes take the rare branch (see above) */

FA_KERNEL fa_exp2k fa_exp_pd(__m512d v, const fa_t64 *t)
{
    const __m512d shift = _mm512_set1_pd(0x1.8p48);     /* its unit in the last place is 1/16 */
    __m512d z = _mm512_fmadd_pd(v, _mm512_set1_pd(0x1.71547652b82fep+0), shift);
    __m512d k = _mm512_sub_pd(z, shift);                 /* n/16 */
    /* r = v - k ln2, ln2's high part with 37 bits (k ln2_hi exact, and the difference too) */
    __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(0x1.62e42fefa0000p-1), v);
    r = _mm512_fnmadd_pd(k, _mm512_set1_pd(0x1.cf79abc9e3b3ap-40), r);
    __m512d r2 = _mm512_mul_pd(r, r);
    /* p = r + r^2 (1/2 + r/6 + ... + r^5/7!), Estrin's pairs: a short chain */
    __m512d q = _mm512_fmadd_pd(_mm512_fmadd_pd(_mm512_set1_pd(1.0 / 5040), r, _mm512_set1_pd(1.0 / 720)), r2,
                                _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 120), r, _mm512_set1_pd(1.0 / 24)));
    q = _mm512_fmadd_pd(q, r2, _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 6), r, _mm512_set1_pd(0.5)));
    __m512d p = _mm512_fmadd_pd(q, r2, r);
    __m512i j = _mm512_castpd_si512(z);                  /* vpermt2pd reads the low four bits: n mod 16 */
    __m512d th = _mm512_permutex2var_pd(t->hi0, j, t->hi1), tl = _mm512_permutex2var_pd(t->lo0, j, t->lo1);
    __m512d s = _mm512_fmadd_pd(th, p, tl);
    fa_exp2k e;
    e.hi = _mm512_add_pd(th, s);
    e.lo = _mm512_add_pd(_mm512_sub_pd(th, e.hi), s);    /* Fast2Sum: |s| < th / 40 */
    e.k = k;
    e.s = _mm512_setzero_pd();
    return e;
}

/* s + *err = a + b exactly: Knuth's TwoSum, 8 lanes (the same results as fa_two_sum) */
static inline __m512d fa_two_sum_pd(__m512d a, __m512d b, __m512d *err)
{
    __m512d s = _mm512_add_pd(a, b), bb = _mm512_sub_pd(s, a);
    *err = _mm512_add_pd(_mm512_sub_pd(a, _mm512_sub_pd(s, bb)), _mm512_sub_pd(b, bb));
    return s;
}

/* the double-double total of `regs` (1 or 2) registers of lanes h + l: the high parts added by TwoSum
 * in lane order (register 0's lanes 0..7, then register 1's), errors and low parts into the low part;
 * a fixed order, so a row's sum depends on the row alone */
static inline double fa_lanes_total_dd_pd(const __m512d *h, const __m512d *l, int regs, double *lo)
{
    double hh[16], ll[16], t, t_lo, err;
    for (int r = 0; r < regs; r++) {
        _mm512_storeu_pd(hh + 8 * r, h[r]);
        _mm512_storeu_pd(ll + 8 * r, l[r]);
    }
    t = hh[0];
    t_lo = ll[0];
    for (int k = 1; k < 8 * regs; k++) {
        t = fa_two_sum(t, hh[k], &err);
        t_lo += err + ll[k];
    }
    *lo = t_lo;
    return t;
}

/* e^v as 2^k (hi + s + lo) to ~2^-62 instead of fa_exp_pd's ~2^-57, for expm1 (celu's forward: 2^k e - 1
 * cancels to 2^-5.5 of e, and below 2^-5 of v it is s itself): hi = T, s = T p rounded, lo the rest
 * (T p's rounding, T (p_lo + r_lo), T_lo (1 + p)); the reduction's r as a pair (TwoSum, k ln2_lo's
 * rounding kept), a degree-8 polynomial, p = r + r^2 Q as a pair (p rounded alone was 2^-53 of p, which
 * is the result where 2^k T is 1). */
FA_KERNEL fa_exp2k fa_exp_fine_pd(__m512d v, const fa_t64 *t)
{
    const __m512d shift = _mm512_set1_pd(0x1.8p48), l_lo = _mm512_set1_pd(0x1.cf79abc9e3b3ap-40);
    __m512d z = _mm512_fmadd_pd(v, _mm512_set1_pd(0x1.71547652b82fep+0), shift);
    __m512d k = _mm512_sub_pd(z, shift);
    __m512d r1 = _mm512_fnmadd_pd(k, _mm512_set1_pd(0x1.62e42fefa0000p-1), v);      /* exact */
    __m512d kl = _mm512_mul_pd(k, l_lo), kl_err = _mm512_fmsub_pd(k, l_lo, kl);
    __m512d s_err, r = fa_two_sum_pd(r1, _mm512_sub_pd(_mm512_setzero_pd(), kl), &s_err);
    __m512d r_lo = _mm512_sub_pd(s_err, kl_err);
    __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    /* p = r + r^2 (1/2 + r/6 + ... + r^6/8!): truncation 2^-66 at |r| = ln2/32 */
    __m512d q = _mm512_fmadd_pd(_mm512_fmadd_pd(_mm512_set1_pd(1.0 / 5040), r, _mm512_set1_pd(1.0 / 720)), r2,
                                _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 120), r, _mm512_set1_pd(1.0 / 24)));
    q = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 40320), r4, q);
    q = _mm512_fmadd_pd(q, r2, _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 6), r, _mm512_set1_pd(0.5)));
    __m512d tq = _mm512_mul_pd(q, r2);
    __m512d p = _mm512_add_pd(r, tq), p_lo = _mm512_add_pd(_mm512_sub_pd(r, p), tq);   /* |tq| < |r| / 80 */
    __m512i j = _mm512_castpd_si512(z);
    __m512d th = _mm512_permutex2var_pd(t->hi0, j, t->hi1), tl = _mm512_permutex2var_pd(t->lo0, j, t->lo1);
    /* (th + tl)(1 + p + p_lo + r_lo) = th + th p + [th p's error + th (p_lo + r_lo) + tl + tl p] */
    __m512d s = _mm512_mul_pd(th, p);
    __m512d lo = _mm512_add_pd(_mm512_fmsub_pd(th, p, s),
                               _mm512_fmadd_pd(th, _mm512_add_pd(p_lo, r_lo), _mm512_fmadd_pd(tl, p, tl)));
    fa_exp2k e;
    e.hi = th;
    e.s = s;
    e.lo = lo;
    e.k = k;
    return e;
}

/* e^-|x|, |x| held at FA_PD_A_MAX (NaN passes) */
FA_KERNEL fa_exp2k fa_exp_neg_pd(__m512d x, const fa_t64 *t)
{
    return fa_exp_pd(_mm512_max_pd(_mm512_set1_pd(-FA_PD_A_MAX), _mm512_or_pd(x, _mm512_set1_pd(-0.0))), t);
}

/* sigmoid(x) as q + lo (or sigmoid(-x) where `neg`), from e = fa_exp_neg_pd(x) (see above), with inv
 * = 1/(1 + e) (to 2^-52) and e_hi = e's scaled high part */
typedef struct { __m512d q, lo, inv, e_hi; } fa_sig_pd;

FA_KERNEL fa_sig_pd fa_sigmoid_parts_pd(__m512d x, fa_exp2k e, const int neg)
{
    const __m512d one = _mm512_set1_pd(1.0);
    fa_sig_pd s;
    s.e_hi = _mm512_scalef_pd(e.hi, e.k);
    __m512d e_lo = _mm512_scalef_pd(e.lo, e.k);
    __mmask8 pos = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), neg ? _CMP_LE_OQ : _CMP_GE_OQ);
    __m512d num = _mm512_mask_mov_pd(s.e_hi, pos, one);
    s.q = _mm512_div_pd(num, _mm512_add_pd(one, s.e_hi));
    __m512d t = _mm512_fnmadd_pd(s.q, s.e_hi, _mm512_sub_pd(num, s.q));
    s.inv = _mm512_mask_sub_pd(s.q, (__mmask8)~pos, one, s.q);                /* q, or 1 - q */
    __m512d c = _mm512_mask_sub_pd(s.inv, pos, _mm512_setzero_pd(), s.inv);   /* e_lo's factor: -q, or 1 - q */
    s.lo = _mm512_mul_pd(_mm512_fmadd_pd(e_lo, c, t), s.inv);
    return s;
}

FA_KERNEL __m512d fa_sigmoid_pd(__m512d x, fa_exp2k e, const int neg, __m512d *lo)
{
    fa_sig_pd s = fa_sigmoid_parts_pd(x, e, neg);
    *lo = s.lo;
    return s.q;
}

/* the lanes of the rare branch: |x| from FA_PD_FAR on (infinities included) and NaN, which gives x
 * itself there (the arithmetic would give x's NaN or |x|'s by the operand order GCC picks, which
 * differs between a span's body and its tail: a NaN's sign would depend on where it sits) */
static inline __mmask8 fa_pd_far(__m512d x)
{
    return _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(FA_PD_FAR), _CMP_NLT_UQ);
}

static inline __mmask8 fa_pd_nan(__m512d x)
{
    return _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
}

/* v sigmoid(x), rounded once: the common lanes by fma(v, q, v lo).  The rare branch takes the lanes
 * with |x| >= FA_PD_FAR or an infinite v (where v lo could be inf * 0): on x's side of 1 the result
 * is v (v e^-|x| is below half its ULP); on the other side v e^-|x| unscaled, 2^k put on last, with v
 * held at 2^960 first and its 2^64 put back with the rest (v e does not overflow unscaled), and v 0
 * at |x| = inf (NaN for an infinite v); an infinite v elsewhere gives v q (q > 0 there, or v e's hi) */
FA_KERNEL __m512d fa_mul_sigmoid_pd(__m512d v, __m512d x, fa_exp2k e, const int neg)
{
    __m512d lo, q = fa_sigmoid_pd(x, e, neg, &lo);
    __m512d r = _mm512_fmadd_pd(v, q, _mm512_mul_pd(v, lo));
    const __m512d inf = _mm512_set1_pd(INFINITY);
    __mmask8 fx = fa_pd_far(x), iv = _mm512_cmp_pd_mask(_mm512_abs_pd(v), inf, _CMP_EQ_OQ);
    if (__builtin_expect((fx | iv) != 0, 0)) {
        __mmask8 one_side = _mm512_mask_cmp_pd_mask(fx, x, _mm512_setzero_pd(), neg ? _CMP_LT_OQ : _CMP_GT_OQ);
        __mmask8 tail_side = fx & (__mmask8)~one_side;
        __mmask8 huge = _mm512_cmp_pd_mask(_mm512_abs_pd(v), _mm512_set1_pd(0x1p960), _CMP_GE_OQ);
        __m512d vs = _mm512_mask_mul_pd(v, huge, v, _mm512_set1_pd(0x1p-64));
        __m512d ks = _mm512_mask_add_pd(e.k, huge, e.k, _mm512_set1_pd(64.0));
        __m512d tail = _mm512_scalef_pd(_mm512_fmadd_pd(vs, e.hi, _mm512_mul_pd(vs, e.lo)), ks);
        r = _mm512_mask_mov_pd(r, tail_side, tail);
        r = _mm512_mask_mov_pd(r, one_side, v);
        r = _mm512_mask_mul_pd(r, iv & (__mmask8)~fx, v, q);
        r = _mm512_mask_mul_pd(r, iv & tail_side, v, e.hi);
        r = _mm512_mask_mul_pd(r, tail_side & _mm512_cmp_pd_mask(_mm512_abs_pd(x), inf, _CMP_EQ_OQ), v,
                               _mm512_setzero_pd());
        r = _mm512_mask_mov_pd(r, fa_pd_nan(x), x);
    }
    return r;
}

FA_KERNEL __m512d fa_sigmoid_f64_512(__m512d x, fa_exp2k e)
{
    __m512d lo, q = fa_sigmoid_pd(x, e, 0, &lo);
    return _mm512_add_pd(q, lo);
}

/* silu: x sigmoid(x); in the rare branch x from 700 on is x, x down to -700 x e^x with 2^k last, x held
 * at -FA_PD_A_MAX (x e^x rounds to -0 from -746 on), -inf -0 */
FA_KERNEL __m512d fa_silu_f64_512(__m512d x, fa_exp2k e)
{
    __m512d lo, q = fa_sigmoid_pd(x, e, 0, &lo);
    __m512d r = _mm512_fmadd_pd(x, q, _mm512_mul_pd(x, lo));
    __mmask8 far = fa_pd_far(x);
    if (__builtin_expect(far != 0, 0)) {
        __m512d xc = _mm512_max_pd(x, _mm512_set1_pd(-FA_PD_A_MAX));
        __m512d tail = _mm512_scalef_pd(_mm512_fmadd_pd(xc, e.hi, _mm512_mul_pd(xc, e.lo)), e.k);
        r = _mm512_mask_mov_pd(r, far, tail);
        r = _mm512_mask_mov_pd(r, _mm512_mask_cmp_pd_mask(far, x, _mm512_setzero_pd(), _CMP_GT_OQ) | fa_pd_nan(x), x);
    }
    return r;
}

/* silu's backward: g s (1 + x (1 - s)), s = sigmoid(x) as q (1 - s: e_hi / d for x >= 0, 1 / d below),
 * in plain double: its bound is 3 ULP of |g| max(1, |x|) (the derivative crosses 0 at x = -1.278),
 * and this is within ~1.5.  An infinite g gives +-inf (s (1 + x (1 - s)) is nonzero for finite x).  In
 * the rare branch x from 700 on gives g (the derivative is 1 to double precision), x = -inf g 0 (the
 * limit 0; NaN for an infinite g), x below -700 its product with the scaled (maybe subnormal) s, within
 * the bound, but -g for an infinite g (the derivative is negative there, even where s rounds to 0),
 * and NaN x x itself */
FA_KERNEL __m512d fa_silu_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    (void)p;
    fa_sig_pd s = fa_sigmoid_parts_pd(x, e, 0);
    __mmask8 pos = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ);
    __m512d sn = _mm512_mask_mul_pd(s.inv, pos, s.e_hi, s.inv);
    __m512d r = _mm512_mul_pd(g, _mm512_mul_pd(s.q, _mm512_fmadd_pd(x, sn, _mm512_set1_pd(1.0))));
    __mmask8 far = fa_pd_far(x);
    if (__builtin_expect(far != 0, 0)) {
        const __m512d inf = _mm512_set1_pd(INFINITY);
        __mmask8 below = _mm512_mask_cmp_pd_mask(far, x, _mm512_setzero_pd(), _CMP_LT_OQ);
        __mmask8 iv = _mm512_cmp_pd_mask(_mm512_abs_pd(g), inf, _CMP_EQ_OQ);
        r = _mm512_mask_sub_pd(r, below & iv, _mm512_setzero_pd(), g);
        r = _mm512_mask_mul_pd(r, below & _mm512_cmp_pd_mask(x, _mm512_set1_pd(-INFINITY), _CMP_EQ_OQ), g,
                               _mm512_setzero_pd());
        r = _mm512_mask_mov_pd(r, _mm512_mask_cmp_pd_mask(far, x, _mm512_setzero_pd(), _CMP_GT_OQ), g);
        r = _mm512_mask_mov_pd(r, fa_pd_nan(x), x);
    }
    return r;
}

/* softplus' backward: g sigmoid(x); log_sigmoid's: g sigmoid(-x) */
FA_KERNEL __m512d fa_softplus_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    (void)p;
    return fa_mul_sigmoid_pd(g, x, e, 0);
}

FA_KERNEL __m512d fa_log_sigmoid_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    (void)p;
    return fa_mul_sigmoid_pd(g, x, e, 1);
}

/* glu: a sigmoid(b) */
FA_KERNEL __m512d fa_glu_f64_512(__m512d a, __m512d b, fa_exp2k e, double p)
{
    (void)p;
    return fa_mul_sigmoid_pd(a, b, e, 0);
}

/* g w e^x for x <= 0 (elu's and selu's backward, w = alpha or scale alpha; g (or g scale) from 0 on):
 * e^x = 2^k (hi + lo) from e^-|x| (the same for x <= 0), w (hi + lo) rounded, times g, 2^k put on last
 * (rounded once more only where the result is subnormal): three roundings, within 1.6 ULP, where the
 * bound is 3.  g w (hi + lo) overflows unscaled where |g w| >= 2^1023 (an inf in the result), and is
 * subnormal for a tiny g; those lanes, rare, are redone with g 2^-64 and k + 64, or g 2^128 and k -
 * 128.  x = -inf gives g lim w (lim: the factor's limit there, 0, or inf for celu with a negative
 * alpha; g 0 is NaN for an infinite g), NaN x x itself; a finite x from -1500 down, g w e^-1500 with
 * it 0 or subnormal.  (celu: e^(x / alpha), see below.) */
/* For r = 2^k u, u = g (hi + lo) unscaled (lo: none unless `pair`): the lanes of `m` where r came out
 * inf or NaN, or u zero or subnormal with g not 0 (fpclass 0x99: NaN, +-inf; 0x26: +-0, subnormal),
 * where g times the factor overflowed or lost its digits before 2^k ...  (A zero g gives the same zero
 * either way; gradients hold many, and half of g 0 made elu's backward 1.49x the time, selu's 1.33x,
 * gelu's 1.13x when their blocks took the redo for them: one thread, 1e5 doubles.) */
static inline __mmask8 fa_pd_scaled_odd(__mmask8 m, __m512d r, __m512d u, __m512d g)
{
    __mmask8 gnz = _mm512_cmp_pd_mask(g, _mm512_setzero_pd(), _CMP_NEQ_UQ);
    return _mm512_mask_fpclass_pd_mask(m, r, 0x99) | _mm512_mask_fpclass_pd_mask(m & gnz, u, 0x26);
}

/* ... and those lanes redone with g 2^-64 and k + 64 (|g| from 1), or g 2^128 and k - 128 */
static inline __m512d fa_pd_scaled_redo(__m512d r, __mmask8 odd, __m512d g, __m512d hi, __m512d lo, __m512d k,
                                        const int pair)
{
    __mmask8 small = _mm512_cmp_pd_mask(_mm512_abs_pd(g), _mm512_set1_pd(1.0), _CMP_LT_OQ);
    __m512d s = _mm512_mask_blend_pd(small, _mm512_set1_pd(-64.0), _mm512_set1_pd(128.0));
    __m512d gs = _mm512_scalef_pd(g, s);
    __m512d u = pair ? _mm512_fmadd_pd(gs, hi, _mm512_mul_pd(gs, lo)) : _mm512_mul_pd(gs, hi);
    return _mm512_mask_mov_pd(r, odd, _mm512_scalef_pd(u, _mm512_sub_pd(k, s)));
}

FA_KERNEL __m512d fa_exp_backward_pd(__m512d g, __m512d x, fa_exp2k e, __m512d w, __m512d pos_factor, double lim)
{
    __m512d f = _mm512_fmadd_pd(w, e.hi, _mm512_mul_pd(w, e.lo)), u = _mm512_mul_pd(g, f);
    __mmask8 pos = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
    __m512d r = _mm512_mask_mul_pd(_mm512_scalef_pd(u, e.k), pos, g, pos_factor);
    /* where x is not above 0 (celu's e^v is 2^k f with k > 0 for a negative alpha); x = -inf where lim
     * is inf (celu with a negative alpha: a zero g there is g lim, NaN, not the 0 g f gives).  Where lim
     * is 0, g f 2^k is already g lim w's zero at x = -inf (x held at -1500), but for an infinite g,
     * whose inf r the class test takes.  (Taking every x = -inf, a tenth of the lanes made elu's and
     * selu's backward 2.9 times slower, the branch mispredicted in every other block.) */
    __mmask8 odd = fa_pd_scaled_odd((__mmask8)~pos, r, u, g)
                   | (lim != 0.0 ? _mm512_cmp_pd_mask(x, _mm512_set1_pd(-INFINITY), _CMP_EQ_OQ) : 0);
    if (__builtin_expect(odd != 0, 0)) {
        r = fa_pd_scaled_redo(r, odd, g, f, f, e.k, 0);
        r = _mm512_mask_mul_pd(r, odd & _mm512_cmp_pd_mask(x, _mm512_set1_pd(-INFINITY), _CMP_EQ_OQ),
                               _mm512_mul_pd(g, _mm512_set1_pd(lim)), w);
        r = _mm512_mask_mov_pd(r, fa_pd_nan(x), x);
    }
    return r;
}

/* elu's: g alpha e^x.  For alpha = 0 and |alpha| in [2^-960, 2^32] (the plain span) w = alpha: w (hi +
 * lo) is normal, g w (hi + lo) beyond the range comes back within it from the redo's g 2^-64 or
 * g 2^128, and g alpha e^-1500 is 0.  Beyond those (the wide span, chosen per call) alpha = w 2^ew with w
 * in [1, 2) (getmant, getexp: a subnormal alpha normalised too), 2^ew taken into k: w = alpha made w
 * (hi + lo) round as a subnormal for a subnormal alpha (alpha = 5e-324, x = -0.55, g = 1.8e308: 4.44e-16
 * for 5.11e-16), and g w (hi + lo) overflow past what the redo recovers (alpha = 1e300, x = -800, g =
 * 1e300: inf for 3.7e252); and x is held at -2200 (fa_exp_neg_elu_pd), not -1500: g alpha reaches
 * 2^2048, and g alpha e^-1500 is not 0 (alpha = 1e200, x = -1e5, g = 1e200 gave inf, the exact value
 * 3.6e-43030).  (The wide kernel for every alpha, its one vaddpd more per block made elu's backward
 * 4-5% slower: 1e6 doubles, one thread.) */
FA_KERNEL __m512d fa_elu_plain_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    return fa_exp_backward_pd(g, x, e, _mm512_set1_pd(p), _mm512_set1_pd(1.0), 0.0);
}

FA_KERNEL __m512d fa_elu_wide_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    __m512d a = _mm512_set1_pd(p);
    e.k = _mm512_add_pd(e.k, _mm512_getexp_pd(a));
    return fa_exp_backward_pd(g, x, e, _mm512_getmant_pd(a, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src),
                              _mm512_set1_pd(1.0), 0.0);
}

/* e^-|x| for elu's wide backward, |x| held at 2200 (see above; fa_exp_pd's reduction is exact to 2800) */
FA_KERNEL fa_exp2k fa_exp_neg_elu_pd(__m512d x, const fa_t64 *t)
{
    return fa_exp_pd(_mm512_max_pd(_mm512_set1_pd(-2200.0), _mm512_or_pd(x, _mm512_set1_pd(-0.0))), t);
}

FA_KERNEL __m512d fa_selu_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double p)
{
    (void)p;
    const __m512d scale = _mm512_set1_pd(FA_SELU_SCALE);
    __m512d r = fa_exp_backward_pd(g, x, e, _mm512_set1_pd(FA_SELU_SA), scale, 0.0);
    /* (x = 0, -0 too: g scale, Keras's; TensorFlow's SeluGrad takes its output 0 as not below 0) */
    return _mm512_mask_mul_pd(r, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ), g, scale);
}

/* celu's backward, g e^v, v = x / alpha, for x <= 0 (g from 0 on): v from the reciprocal as v + v_lo
 * (v_lo = (x - v alpha) / alpha, the portable path's _celu_arg; 0 where v is held), held in
 * [-1500, 1500] (a negative alpha makes v positive: e^v may overflow where g e^v does not, and
 * fa_exp_backward_pd puts 2^k on last), e^v's low part taken times 1 + v_lo to first order */
FA_KERNEL fa_exp2k fa_celu_exp_pd(__m512d x, __m512d a, __m512d inv, const fa_t64 *t, const int fine)
{
    __m512d xn = _mm512_min_pd(_mm512_setzero_pd(), x);                  /* (NaN passes) */
    __m512d v = _mm512_mul_pd(xn, inv);
    const __m512d lim = _mm512_set1_pd(FA_PD_A_MAX);
    __m512d v_lo = _mm512_maskz_mul_pd(_mm512_cmp_pd_mask(_mm512_abs_pd(v), lim, _CMP_LT_OQ),
                                       _mm512_fnmadd_pd(v, a, xn), inv);
    __m512d vc = _mm512_max_pd(_mm512_sub_pd(_mm512_setzero_pd(), lim), _mm512_min_pd(lim, v));
    fa_exp2k e = fine ? fa_exp_fine_pd(vc, t) : fa_exp_pd(vc, t);
    e.lo = _mm512_fmadd_pd(_mm512_add_pd(e.hi, e.s), v_lo, e.lo);
    return e;
}

/* A span's loop over blocks of 8: a masked head of HEAD elements (FA_PD_HEAD: up to out's next 64-byte
 * boundary, as the float32 spans; 0 for a pass that sums, whose lanes must not depend on where the
 * row sits), then the body with each block's exp (PRE of XS's lanes: fa_exp_neg_pd, or another
 * fa_exp2k) computed two blocks ahead, then the last two blocks and the tail, masked.  The block (the
 * last arguments: its text may hold commas) computes and stores the block from j under m_, with XS's
 * lanes in xv_ and their exp in pre_. */
#define FA_PD_HEAD (fa_head_bytes(out, n) / (ptrdiff_t)sizeof(double))
#define FA_PD_ONE(XS, PRE, END, ...)                                                                    \
    {                                                                                                   \
        j = i;                                                                                          \
        m_ = fa_lanes8_left((END) - i);                                                                 \
        xv_ = _mm512_maskz_loadu_pd(m_, (XS) + j);                                                      \
        pre_ = PRE(xv_, &t_);                                                                           \
        __VA_ARGS__;                                                                                    \
    }
#define FA_PD_LOOP(XS, PRE, HEAD, ...)                                                                  \
    const fa_t64 t_ = fa_t64_load();                                                                    \
    ptrdiff_t head_ = (HEAD), i = 0, j = 0;                                                             \
    __mmask8 m_;                                                                                        \
    __m512d xv_;                                                                                        \
    fa_exp2k pre_;                                                                                      \
    if (head_ > n)                                                                                      \
        head_ = n;                                                                                      \
    if (head_ > 0) {                                                                                    \
        FA_PD_ONE(XS, PRE, head_, __VA_ARGS__)                                                          \
        i = head_;                                                                                      \
    }                                                                                                   \
    if (i + 24 <= n) {                                                                                  \
        __m512d x1_ = _mm512_loadu_pd((XS) + i), x2_ = _mm512_loadu_pd((XS) + i + 8);                   \
        fa_exp2k p1_ = PRE(x1_, &t_), p2_ = PRE(x2_, &t_);                                              \
        m_ = (__mmask8)0xff;                                                                            \
        for (; i + 24 <= n; i += 8) {                                                                   \
            j = i;                                                                                      \
            xv_ = x1_;                                                                                  \
            pre_ = p1_;                                                                                 \
            x1_ = x2_;                                                                                  \
            p1_ = p2_;                                                                                  \
            x2_ = _mm512_loadu_pd((XS) + i + 16);                                                       \
            p2_ = PRE(x2_, &t_);                                                                        \
            __VA_ARGS__;                                                                                \
        }                                                                                               \
    }                                                                                                   \
    for (; i < n; i += 8)                                                                               \
        FA_PD_ONE(XS, PRE, n, __VA_ARGS__)

/* the float64 spans prefetch as the float32 ones (FA_AHEAD bytes' worth: 8 KB ahead) */
#define FA_PF64(p) if (pf_) _mm_prefetch((const char *)((p) + j + FA_AHEAD / 2), _MM_HINT_T0)

/* fa_NAME_f64_span(x, out, n, pf): out = NAME(x), compiled for either pf */
#define FA_PD_SPAN(NAME)                                                                                \
static inline __attribute__((always_inline)) void fa_##NAME##_f64_run(const double *x, double *out, ptrdiff_t n, \
                                                                      const int pf_)                    \
{                                                                                                       \
    FA_PD_LOOP(x, fa_exp_neg_pd, FA_PD_HEAD, FA_PF64(x); FA_PF64(out);                                  \
               _mm512_mask_storeu_pd(out + j, m_, fa_##NAME##_f64_512(xv_, pre_)))                      \
}                                                                                                       \
FA_RUN_PF(NAME, f64, double)

/* fa_NAME_f64_span(a, b, out, n, p, pf): out = NAME(a, b, p) with b's exp (the backward passes: a = grad,
 * b = saved x, p the row's first parameter; glu: the halves); FA_PD_SPAN2_PRE with another exp of b's */
#define FA_PD_SPAN2_PRE(NAME, PRE)                                                                      \
static inline __attribute__((always_inline)) void fa_##NAME##_f64_run(const double *a, const double *b, double *out, \
                                                                      ptrdiff_t n, double p, const int pf_) \
{                                                                                                       \
    FA_PD_LOOP(b, PRE, FA_PD_HEAD, FA_PF64(a); FA_PF64(b); FA_PF64(out);                                \
               _mm512_mask_storeu_pd(out + j, m_, fa_##NAME##_f64_512(_mm512_maskz_loadu_pd(m_, a + j), xv_, pre_, p))) \
}                                                                                                       \
FA_RUN2_PF(NAME, f64, double)
#define FA_PD_SPAN2(NAME) FA_PD_SPAN2_PRE(NAME, fa_exp_neg_pd)

FA_PD_SPAN(sigmoid)
FA_PD_SPAN(silu)
FA_PD_SPAN2(silu_backward)
FA_PD_SPAN2(softplus_backward)
FA_PD_SPAN2(log_sigmoid_backward)
FA_PD_SPAN2(glu)
FA_PD_SPAN2(elu_plain_backward)
FA_PD_SPAN2_PRE(elu_wide_backward, fa_exp_neg_elu_pd)

/* elu's backward span: the plain kernel for alpha = 0 and |alpha| in [2^-960, 2^32], the wide one beyond */
static inline void fa_elu_backward_f64_span(const double *g, const double *x, double *out, ptrdiff_t n,
                                            double p, int pf)
{
    if (p == 0.0 || (fabs(p) >= 0x1p-960 && fabs(p) <= 0x1p32))
        fa_elu_plain_backward_f64_span(g, x, out, n, p, pf);
    else
        fa_elu_wide_backward_f64_span(g, x, out, n, p, pf);
}
FA_PD_SPAN2(selu_backward)

/* celu's backward span: fa_celu_exp_pd's e^(x / alpha), alpha = p */
#define FA_PD_CELU_EXP(v, t) fa_celu_exp_pd(v, av_, inv_, t, 0)
#define FA_PD_CELU_EXP_FINE(v, t) fa_celu_exp_pd(v, av_, inv_, t, 1)

static inline void fa_celu_backward_f64_span(const double *g, const double *x, double *out, ptrdiff_t n,
                                             double p, int pf)
{
    const int pf_ = pf;         /* (a test per block: well predicted, and this span is compiled once) */
    const __m512d av_ = _mm512_set1_pd(p), inv_ = _mm512_set1_pd(1.0 / p), one = _mm512_set1_pd(1.0);
    const double lim = p > 0 ? 0.0 : INFINITY;
    FA_PD_LOOP(x, FA_PD_CELU_EXP, FA_PD_HEAD, {
        FA_PF64(g);
        FA_PF64(x);
        FA_PF64(out);
        _mm512_mask_storeu_pd(out + j, m_, fa_exp_backward_pd(_mm512_maskz_loadu_pd(m_, g + j), xv_, pre_, one,
                                                              one, lim));
    })
}

/* glu's backward over one group's halves: da = g s, db = g a (s t), s = sigmoid(b), t = sigmoid(-b):
 * s = q + lo rounded once; t = (1 - q) - lo for b < 0, e (q + lo) for b >= 0 (e = e^-|b| as hi + lo:
 * no cancellation); g a exact as hi + lo (fma) times s t, rounded once (the portable path's (g a) (s t)
 * rounded g a first: 3.54 ULP of the bound 4 this way, 2.9 with the pair; where g a is 0, g a s t, whose
 * zero keeps its sign, where the fma's +0 term would not).  One block of 8; the span below stores da and
 * db at their places in dx (dx may be x).  (An infinite a or g gave NaN for db until the tests covered
 * float64 here: the pair's low part is inf - inf.) */
FA_KERNEL void fa_glu_backward_f64_block(__m512d av, __m512d bv, __m512d gv, fa_exp2k e, __m512d *da, __m512d *db)
{
    const __m512d one = _mm512_set1_pd(1.0);
    fa_sig_pd sp = fa_sigmoid_parts_pd(bv, e, 0);
    __m512d e_lo = _mm512_scalef_pd(e.lo, e.k);
    __m512d sv = _mm512_add_pd(sp.q, sp.lo);
    __m512d t = _mm512_fmadd_pd(sp.e_hi, sp.q, _mm512_fmadd_pd(sp.e_hi, sp.lo, _mm512_mul_pd(e_lo, sp.q)));
    t = _mm512_mask_sub_pd(t, _mm512_cmp_pd_mask(bv, _mm512_setzero_pd(), _CMP_LT_OQ), _mm512_sub_pd(one, sp.q),
                           sp.lo);
    *da = _mm512_mul_pd(gv, sv);
    __m512d ga = _mm512_mul_pd(gv, av), st = _mm512_mul_pd(sv, t);
    __m512d r = _mm512_fmadd_pd(ga, st, _mm512_mul_pd(_mm512_fmsub_pd(gv, av, ga), st));
    r = _mm512_mask_mul_pd(r, _mm512_cmp_pd_mask(ga, _mm512_setzero_pd(), _CMP_EQ_OQ), ga, st);        /* (-0) */
    /* g a infinite (or NaN): its low part g a - ga is NaN; g (a s t) instead (a g a beyond double's
     * range from finite g and a, a finite result), but g a itself where g or a is infinite and b finite:
     * s t > 0 for every finite b, also where it underflowed to 0 (|b| > 745), as in glu's forward, so
     * the exact product is +-inf (NaN for a zero other factor); likewise da = g for an infinite g and b
     * > -inf.  (Where b is infinite, s t = 0 exactly: NaN, as the reference.) */
    __mmask8 odd = _mm512_fpclass_pd_mask(ga, 0x99);
    if (odd) {
        __mmask8 inf_g = _mm512_fpclass_pd_mask(gv, 0x18), finite_b = ~_mm512_fpclass_pd_mask(bv, 0x99);
        __m512d q = _mm512_mul_pd(gv, _mm512_mul_pd(av, st));
        q = _mm512_mask_mov_pd(q, (inf_g | _mm512_fpclass_pd_mask(av, 0x18)) & finite_b, ga);
        r = _mm512_mask_mov_pd(r, odd, q);
        *da = _mm512_mask_mov_pd(*da, inf_g & _mm512_cmp_pd_mask(bv, _mm512_set1_pd(-INFINITY), _CMP_GT_OQ), gv);
    }
    /* from |b| = 700 on (finite b and g), where e^-|b| is subnormal or 0 but g e^b and g a e^-|b| need
     * not be: lane by lane (fa_glu_backward_far_f64) */
    __m512d ab = _mm512_abs_pd(bv);
    __mmask8 far = _mm512_cmp_pd_mask(ab, _mm512_set1_pd(FA_PD_FAR), _CMP_GE_OQ);
    if (__builtin_expect(far != 0, 0))
        far &= _mm512_cmp_pd_mask(ab, _mm512_set1_pd(INFINITY), _CMP_LT_OQ)
               & (__mmask8)~_mm512_fpclass_pd_mask(gv, 0x99);
    if (__builtin_expect(far != 0, 0)) {
        double al[8], bl[8], gl[8], dal[8], dbl[8];
        _mm512_storeu_pd(al, av);
        _mm512_storeu_pd(bl, bv);
        _mm512_storeu_pd(gl, gv);
        _mm512_storeu_pd(dal, *da);
        _mm512_storeu_pd(dbl, r);
        for (int k = 0; k < 8; k++)
            if (far >> k & 1)
                fa_glu_backward_far_f64(al[k], bl[k], gl[k], dal + k, dbl + k);
        *da = _mm512_loadu_pd(dal);
        r = _mm512_loadu_pd(dbl);
    }
    *db = r;
}

static inline void fa_glu_backward_f64_span(const double *a, const double *b, const double *g, double *da,
                                            double *db, ptrdiff_t n)
{
    double *out = da;
    FA_PD_LOOP(b, fa_exp_neg_pd, FA_PD_HEAD, {
        __m512d ra, rb;
        fa_glu_backward_f64_block(_mm512_maskz_loadu_pd(m_, a + j), xv_, _mm512_maskz_loadu_pd(m_, g + j), pre_,
                                  &ra, &rb);
        _mm512_mask_storeu_pd(da + j, m_, ra);
        _mm512_mask_storeu_pd(db + j, m_, rb);
    })
}

/* glu over `rows` groups of x's (P, 2, M) form in one call, as fa_glu_rows_f32_span (see there): halves
 * of 1, 2 and 4 de-interleaved from 16 consecutive doubles of x by two vpermt2pd per block of 8; halves
 * that are multiples of 8 as whole blocks, group after group, each block's exp taken a block ahead;
 * other halves group by group with the last block masked. */
static inline __attribute__((always_inline)) void fa_glu_rows_f64_run(const double *x, const double *g, double *out,
                                                                      ptrdiff_t rows, ptrdiff_t M,
                                                                      const int backward, const int pf_)
{
    const fa_t64 t_ = fa_t64_load();
    __m512d ra, rb;
    if (M == 1 || M == 2 || M == 4) {
        int64_t ia[8], ib[8], iq[16];
        for (int l = 0; l < 8; l++) {
            ia[l] = 2 * M * (l / M) + l % M;
            ib[l] = ia[l] + M;
        }
        for (int q = 0; q < 16; q++) {
            int r = q / (int)(2 * M), o = q % (int)(2 * M);
            iq[q] = o < M ? r * (int)M + o : 8 + r * (int)M + o - (int)M;
        }
        const __m512i va = _mm512_loadu_si512(ia), vb = _mm512_loadu_si512(ib);
        const __m512i vq0 = _mm512_loadu_si512(iq), vq1 = _mm512_loadu_si512(iq + 8);
        ptrdiff_t n = rows * M, j = 0;
#define FA_GLU_PERM_BLOCK(M_, M0_, M1_, LOAD, STORE)                                                    \
        {                                                                                               \
            __m512d lo = LOAD(M0_, x + 2 * j), hi = LOAD(M1_, x + 2 * j + 8);                           \
            __m512d av = _mm512_permutex2var_pd(lo, va, hi), bv = _mm512_permutex2var_pd(lo, vb, hi);   \
            fa_exp2k e = fa_exp_neg_pd(bv, &t_);                                                        \
            if (backward) {                                                                             \
                fa_glu_backward_f64_block(av, bv, LOAD(M_, g + j), e, &ra, &rb);                        \
                STORE(out + 2 * j, M0_, _mm512_permutex2var_pd(ra, vq0, rb));                            \
                STORE(out + 2 * j + 8, M1_, _mm512_permutex2var_pd(ra, vq1, rb));                        \
            } else {                                                                                    \
                STORE(out + j, M_, fa_glu_f64_512(av, bv, e, 0.0));                                     \
            }                                                                                           \
        }
#define FA_GLU_LOAD_ALL(m, p) _mm512_loadu_pd(p)
#define FA_GLU_STORE_ALL(p, m, v) _mm512_storeu_pd(p, v)
        for (; j + 8 <= n; j += 8) {
            if (pf_) {
                _mm_prefetch((const char *)(x + 2 * j + FA_AHEAD / 2), _MM_HINT_T0);
                _mm_prefetch((const char *)(out + (backward ? 2 * j : j) + FA_AHEAD / 2), _MM_HINT_T0);
                if (backward)
                    _mm_prefetch((const char *)(g + j + FA_AHEAD / 2), _MM_HINT_T0);
            }
            FA_GLU_PERM_BLOCK(0, 0, 0, FA_GLU_LOAD_ALL, FA_GLU_STORE_ALL)
        }
        if (j < n) {
            ptrdiff_t left = n - j;
            __mmask8 m = fa_lanes8_left(left);
            __mmask8 m0 = fa_lanes8_left(2 * left), m1 = left > 4 ? fa_lanes8_left(2 * left - 8) : 0;
            FA_GLU_PERM_BLOCK(m, m0, m1, _mm512_maskz_loadu_pd, _mm512_mask_storeu_pd)
        }
#undef FA_GLU_PERM_BLOCK
#undef FA_GLU_LOAD_ALL
#undef FA_GLU_STORE_ALL
        return;
    }
    if (M % 8 == 0) {
        const double *a = x, *na;
        ptrdiff_t nb = rows * (M / 8), c = 0;
        __m512d bv = _mm512_loadu_pd(a + M);
        fa_exp2k e = fa_exp_neg_pd(bv, &t_);
        for (ptrdiff_t q = 0; q < nb; q++) {
            c += 8;
            na = a + 8;
            if (c == M) {
                c = 0;
                na += M;
            }
            __m512d nbv = q + 1 < nb ? _mm512_loadu_pd(na + M) : bv;
            fa_exp2k ne = fa_exp_neg_pd(nbv, &t_);
            if (pf_) {
                _mm_prefetch((const char *)(a + FA_AHEAD / 2), _MM_HINT_T0);
                _mm_prefetch((const char *)(a + M + FA_AHEAD / 2), _MM_HINT_T0);
            }
            if (backward) {
                ptrdiff_t at = a - x;       /* (dx has x's layout; g out's) */
                fa_glu_backward_f64_block(_mm512_loadu_pd(a), bv, _mm512_loadu_pd(g + 8 * q), e, &ra, &rb);
                _mm512_storeu_pd(out + at, ra);
                _mm512_storeu_pd(out + at + M, rb);
            } else {
                _mm512_storeu_pd(out + 8 * q, fa_glu_f64_512(_mm512_loadu_pd(a), bv, e, 0.0));
            }
            a = na;
            bv = nbv;
            e = ne;
        }
        return;
    }
    for (ptrdiff_t p = 0; p < rows; p++) {
        const double *a = x + 2 * p * M;
        for (ptrdiff_t c = 0; c < M; c += 8) {
            __mmask8 m = fa_lanes8_left(M - c);
            __m512d bv = _mm512_maskz_loadu_pd(m, a + M + c);
            fa_exp2k e = fa_exp_neg_pd(bv, &t_);
            if (backward) {
                fa_glu_backward_f64_block(_mm512_maskz_loadu_pd(m, a + c), bv, _mm512_maskz_loadu_pd(m, g + p * M + c),
                                          e, &ra, &rb);
                _mm512_mask_storeu_pd(out + 2 * p * M + c, m, ra);
                _mm512_mask_storeu_pd(out + 2 * p * M + M + c, m, rb);
            } else {
                _mm512_mask_storeu_pd(out + p * M + c, m, fa_glu_f64_512(_mm512_maskz_loadu_pd(m, a + c), bv, e, 0.0));
            }
        }
    }
}

FA_GLU_ROWS_SPAN(f64, double)

/* celu's forward, alpha expm1(x / alpha) for x <= 0, x from 0 on (and NaN): expm1 = 2^k (T + s + lo) - 1
 * from fa_exp_fine_pd (x / alpha's v_lo in lo, to first order), (2^k T - 1) + 2^k s by two TwoSums
 * (it cancels where |v| < ln2 / 2), alpha times the pair rounded once.  Where |v| < 2^-60 the result is x (the
 * portable path's rule: alpha expm1(v) = x (1 + v/2 ...)); from v = 700 on (a negative alpha) the 1 is
 * below the result's ULP: alpha e 2^k, 2^k put on last (e^v may overflow where alpha e^v does not). */
static inline void fa_celu_f64_span(const double *x, double *out, ptrdiff_t n, double p, int pf)
{
    const int pf_ = pf;
    const __m512d av_ = _mm512_set1_pd(p), inv_ = _mm512_set1_pd(1.0 / p), one = _mm512_set1_pd(1.0);
    FA_PD_LOOP(x, FA_PD_CELU_EXP_FINE, FA_PD_HEAD, {
        FA_PF64(x);
        FA_PF64(out);
        /* (2^k T - 1) + 2^k s + 2^k lo: both sums by TwoSum (2^k T - 1 is exact only from 2^k T = 1/2
         * on), their errors and 2^k lo in the low part */
        __m512d c_err, m_err, c = fa_two_sum_pd(_mm512_scalef_pd(pre_.hi, pre_.k), _mm512_sub_pd(_mm512_setzero_pd(), one),
                                                &c_err);
        __m512d m = fa_two_sum_pd(c, _mm512_scalef_pd(pre_.s, pre_.k), &m_err);
        __m512d m_lo = _mm512_add_pd(_mm512_add_pd(m_err, c_err), _mm512_scalef_pd(pre_.lo, pre_.k));
        __m512d r = _mm512_fmadd_pd(av_, m, _mm512_mul_pd(av_, m_lo));
        __m512d v = _mm512_mul_pd(xv_, inv_);
        /* x itself: x > 0, NaN, |v| < 2^-60 */
        __mmask8 keep = _mm512_cmp_pd_mask(xv_, _mm512_setzero_pd(), _CMP_NLE_UQ)
                        | _mm512_cmp_pd_mask(_mm512_abs_pd(v), _mm512_set1_pd(0x1p-60), _CMP_LT_OQ);
        __mmask8 big = _mm512_mask_cmp_pd_mask((__mmask8)~keep, v, _mm512_set1_pd(FA_PD_FAR), _CMP_GT_OQ);
        if (__builtin_expect(big != 0, 0))
            r = _mm512_mask_mov_pd(r, big, _mm512_scalef_pd(_mm512_fmadd_pd(av_, pre_.hi,
                                                                            _mm512_mul_pd(av_, _mm512_add_pd(pre_.s, pre_.lo))),
                                                            pre_.k));
        /* x where `keep`, else -|r| (the sign bit ORed in, merge-masked: the blend's one instruction):
         * celu is negative for x < 0, but where alpha m overflows, alpha m_lo may too with m_lo's sign,
         * and the FMA's exact alpha m plus that inf gave +inf (alpha = -1e38, x = -6.99e40) */
        _mm512_mask_storeu_pd(out + j, m_, _mm512_mask_or_pd(xv_, (__mmask8)~keep, r, _mm512_set1_pd(-0.0)));
    })
}

/* ---- softmax's and log_softmax's backward over one row (float64) ---- */

/* the sum over j < n of g[j] y[j] (y given; each product exact as hi + lo) or of g[j] (y NULL) as hi +
 * *lo: element j in lane j % 16 of two accumulator pairs (TwoSum into the high parts, the errors and
 * low parts added into the low ones), the lanes added in a fixed order: the sum depends on the row
 * alone, and its rounding stays near 2^-100 of the terms' scale, as the portable path's 32 lanes */
FA_KERNEL double fa_row_sum_dd_pd(const double *g, const double *y, ptrdiff_t n, double *lo)
{
    __m512d h[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, l[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
    ptrdiff_t i = 0;
    for (; i < n; i += 16) {
        for (int k = 0; k < 16; k += 8) {      /* (2 KB ahead: a long row's lines come from L3) */
            _mm_prefetch((const char *)(g + i + 256 + k), _MM_HINT_T0);
            if (y)
                _mm_prefetch((const char *)(y + i + 256 + k), _MM_HINT_T0);
        }
        for (int k = 0; k < 2; k++) {
            __mmask8 in = n - i > 8 * k ? fa_lanes8_left(n - i - 8 * k) : 0;     /* (past the end: none) */
            __m512d gv = _mm512_maskz_loadu_pd(in, g + i + 8 * k), p = gv, p_lo = _mm512_setzero_pd(), e;
            if (y) {
                __m512d yv = _mm512_maskz_loadu_pd(in, y + i + 8 * k);
                p = _mm512_mul_pd(gv, yv);
                p_lo = _mm512_fmsub_pd(gv, yv, p);
            }
            h[k] = fa_two_sum_pd(h[k], p, &e);
            l[k] = _mm512_add_pd(l[k], _mm512_add_pd(e, p_lo));
        }
    }
    return fa_lanes_total_dd_pd(h, l, 2, lo);
}

/* softmax's backward, dx = y (g - S), S = sum of g y as S_hi + S_lo: d = g - S_hi rounded, then y d -
 * y S_lo by an fma, rounded once more: at most 1.5 ULP of |y| (|g| + |S|) (the bound is 2), as the
 * portable path's y (d + (d_lo - S_lo)) with g - S_hi by TwoSum, whose d is rounded once too; 1.27 ->
 * 1.14 cycles per element (one thread, rows of 1000 in L3).  Where y is 0, y d (the fma's sum of two
 * zeros would be +0 where y d is -0).  dx may be g or y; the second pass prefetches g's and y's lines
 * `ahead` elements on (the next row's, or its own row's further on; 0: none). */
FA_KERNEL void fa_softmax_backward_f64_span(const double *g, const double *y, double *dx, ptrdiff_t n,
                                            ptrdiff_t ahead)
{
    double S_lo_, S_ = fa_row_sum_dd_pd(g, y, n, &S_lo_);
    if (fabs(S_) <= 0x1.fffffffffffffp1023)             /* (renormalised, as the portable path's sum) */
        S_ = fa_two_sum(S_, S_lo_, &S_lo_);
    if (!(fabs(S_) <= 0x1.fffffffffffffp1023)) {
        /* an infinite g in the row (or NaN): y (g - S) as it stands, as the reference */
        for (ptrdiff_t i = 0; i < n; i++)
            dx[i] = y[i] * (g[i] - S_);
        return;
    }
    const __m512d minus_S = _mm512_set1_pd(-S_), minus_S_lo = _mm512_set1_pd(-S_lo_);
    for (ptrdiff_t j = 0; j < n; j += 8) {
        __mmask8 m = fa_lanes8_left(n - j);
        if (ahead) {
            _mm_prefetch((const char *)(g + j + ahead), _MM_HINT_T0);
            _mm_prefetch((const char *)(y + j + ahead), _MM_HINT_T0);
        }
        __m512d yv = _mm512_maskz_loadu_pd(m, y + j), d = _mm512_add_pd(_mm512_maskz_loadu_pd(m, g + j), minus_S);
        __m512d r = _mm512_fmadd_pd(yv, d, _mm512_mul_pd(yv, minus_S_lo));
        r = _mm512_mask_mul_pd(r, _mm512_cmp_pd_mask(yv, _mm512_setzero_pd(), _CMP_EQ_OQ), yv, d);    /* (-0) */
        _mm512_mask_storeu_pd(dx + j, m, r);
    }
}

/* e^y for log_softmax's backward, y held in [-1500, 1500] (NaN passes; e^1500 is inf once scaled) */
FA_KERNEL fa_exp2k fa_exp_held_pd(__m512d y, const fa_t64 *t)
{
    return fa_exp_pd(_mm512_max_pd(_mm512_set1_pd(-FA_PD_A_MAX), _mm512_min_pd(_mm512_set1_pd(FA_PD_A_MAX), y)), t);
}

/* log_softmax's backward, dx = g - p S, S = sum of g as S_hi + S_lo, p = e^y (its pair rounded once,
 * then scaled): v = p S_hi and v_lo = p S_lo + (p S_hi - v) (fma), g - v by TwoSum, then (d + (d_lo -
 * v_lo)), the portable path's formula.  The exps two blocks ahead (FA_PD_LOOP).  dx may be g or y. */
FA_KERNEL void fa_log_softmax_backward_f64_span(const double *g, const double *y, double *dx, ptrdiff_t n,
                                                ptrdiff_t ahead)
{
    double S_lo_, S_ = fa_row_sum_dd_pd(g, NULL, n, &S_lo_);
    if (fabs(S_) <= 0x1.fffffffffffffp1023)             /* (renormalised: a high part of 0 is a zero sum) */
        S_ = fa_two_sum(S_, S_lo_, &S_lo_);
    if (!(fabs(S_) <= 0x1.fffffffffffffp1023) || S_ == 0.0) {
        /* an infinite g in the row (or NaN): g - e^y S as it stands, as the reference; S = 0: e^y 0 is 0
         * (S's sign) for every finite y, also where e^y overflows double (fa_log_softmax_backward_1d) */
        fa_log_softmax_backward_each_f64(g, y, dx, n, S_);
        return;
    }
    const __m512d S = _mm512_set1_pd(S_), S_lo = _mm512_set1_pd(S_lo_);
    double *out = dx;
    FA_PD_LOOP(y, fa_exp_held_pd, FA_PD_HEAD, {
        if (ahead) {
            _mm_prefetch((const char *)(g + j + ahead), _MM_HINT_T0);
            _mm_prefetch((const char *)(y + j + ahead), _MM_HINT_T0);
        }
        __m512d p = _mm512_scalef_pd(_mm512_add_pd(pre_.hi, pre_.lo), pre_.k);
        __m512d v = _mm512_mul_pd(p, S);
        __m512d v_lo = _mm512_fmadd_pd(p, S_lo, _mm512_fmsub_pd(p, S, v));
        __m512d gv = _mm512_maskz_loadu_pd(m_, g + j);
        __m512d d_lo, d = fa_two_sum_pd(gv, _mm512_sub_pd(_mm512_setzero_pd(), v), &d_lo);
        __m512d r = _mm512_add_pd(d, _mm512_sub_pd(d_lo, v_lo));
        /* (e^y S overflowed, or e^y itself, y beyond 709.78 or +inf: g - v, where TwoSum's parts are
         * inf - inf) */
        r = _mm512_mask_sub_pd(r, _mm512_fpclass_pd_mask(v, 0x18), gv, v);
        _mm512_mask_storeu_pd(dx + j, m_, r);
    })
}

/* ---- softmax's and log_softmax's forward over one row (float64), after the row's maximum m ---- */

/* e^(x - m) held at -1500 (x = -inf: 0), for FA_PD_LOOP (m in the caller's mv_) */
#define FA_PD_SHIFTED_EXP(v, t) fa_exp_pd(_mm512_max_pd(_mm512_set1_pd(-FA_PD_A_MAX), _mm512_sub_pd(v, mv_)), t)

/* The sum pass: t = the sum of e^(x - m) over the row without one maximum, as the return value + *t_lo
 * (the maxima's terms are 1 each: they are counted, the others' sum kept as a double-double in 8 lanes
 * by TwoSum, element j of the row in lane j % 8, the lanes added in a fixed order).  x - m as d + d_lo
 * (TwoSum; d_lo 0 for x = -inf), its exp as hi + lo with d_lo's effect to first order (e d_lo).  Where num is not NULL, the quotient's numerators
 * go there (1 at the maxima, e's high part elsewhere; num may be x: each block is read before it is
 * written) and their low parts to num_lo (0 at the maxima).  As the portable path's _exp_terms. */
FA_KERNEL double fa_softmax_sum_f64_span(const double *x, ptrdiff_t n, double m, double *t_lo, double *num,
                                         double *num_lo)
{
    const __m512d mv_ = _mm512_set1_pd(m), minus_m = _mm512_set1_pd(-m), one = _mm512_set1_pd(1.0);
    __m512d h = _mm512_setzero_pd(), l = _mm512_setzero_pd();
    ptrdiff_t ties = 0;
    FA_PD_LOOP(x, FA_PD_SHIFTED_EXP, 0, {
        __m512d d_lo, e_err, d = fa_two_sum_pd(xv_, minus_m, &d_lo);
        /* (0 where x - m is -inf: x = -inf, or a finite x more than DBL_MAX below m, whose NaN low part
         * made every element of the row NaN: softmax([1e308, -1e308])) */
        d_lo = _mm512_mask_mov_pd(d_lo, _mm512_cmp_pd_mask(d, _mm512_set1_pd(-INFINITY), _CMP_EQ_OQ),
                                  _mm512_setzero_pd());
        __mmask8 top = _mm512_mask_cmp_pd_mask(m_, d, _mm512_setzero_pd(), _CMP_EQ_OQ);
        __mmask8 term = m_ & (__mmask8)~top;
        __m512d e_hi = _mm512_maskz_scalef_pd(term, pre_.hi, pre_.k);
        __m512d e_lo = _mm512_maskz_fmadd_pd(term, e_hi, d_lo, _mm512_scalef_pd(pre_.lo, pre_.k));
        ties += __builtin_popcount(top);
        h = fa_two_sum_pd(h, e_hi, &e_err);
        l = _mm512_add_pd(l, _mm512_add_pd(e_err, e_lo));
        if (num) {
            _mm512_mask_storeu_pd(num + j, m_, _mm512_mask_mov_pd(e_hi, top, one));
            _mm512_mask_storeu_pd(num_lo + j, m_, e_lo);
        }
    })
    double lo, err, t = fa_lanes_total_dd_pd(&h, &l, 1, &lo);
    t = fa_two_sum(t, (double)ties - 1.0, &err);     /* the other maxima count 1 each */
    *t_lo = lo + err;
    return t;
}

/* y = (num + num_lo) / (total + total_lo), each rounded nearly correctly (fa_div_dd_inv's formula); y may
 * be num */
static inline void fa_softmax_div_f64_span(const double *num, const double *num_lo, double *y, ptrdiff_t n,
                                           double total, double total_lo)
{
    const __m512d d = _mm512_set1_pd(total), d_lo = _mm512_set1_pd(total_lo), inv = _mm512_set1_pd(1.0 / total);
    for (ptrdiff_t j = 0; j < n; j += 8) {
        __mmask8 m = fa_lanes8_left(n - j);
        __m512d nv = _mm512_maskz_loadu_pd(m, num + j), q = _mm512_mul_pd(nv, inv);
        __m512d res = _mm512_fnmadd_pd(q, d_lo, _mm512_add_pd(_mm512_fnmadd_pd(q, d, nv), _mm512_maskz_loadu_pd(m, num_lo + j)));
        _mm512_mask_storeu_pd(y + j, m, _mm512_fmadd_pd(res, inv, q));
    }
}

/* log_softmax's output pass: y = (x - m) - (lg + lg_lo), x - m and its difference with lg by TwoSum,
 * rounded once (x = -inf: -inf); y may be x */
static inline void fa_log_softmax_out_f64_span(const double *x, double *y, ptrdiff_t n, double m, double lg,
                                               double lg_lo)
{
    const __m512d minus_m = _mm512_set1_pd(-m), minus_lg = _mm512_set1_pd(-lg), lgl = _mm512_set1_pd(lg_lo);
    for (ptrdiff_t j = 0; j < n; j += 8) {
        __mmask8 mk = fa_lanes8_left(n - j);
        __m512d xv = _mm512_maskz_loadu_pd(mk, x + j);
        __m512d d_lo, u_lo, d = fa_two_sum_pd(xv, minus_m, &d_lo);
        __m512d u = fa_two_sum_pd(d, minus_lg, &u_lo);
        __m512d r = _mm512_add_pd(u, _mm512_add_pd(u_lo, _mm512_sub_pd(d_lo, lgl)));
        r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(_mm512_abs_pd(u), _mm512_set1_pd(INFINITY), _CMP_EQ_OQ), u);
        _mm512_mask_storeu_pd(y + j, mk, r);
    }
}

/* ---- exact gelu (float64): x Phi(x) and its derivative from one table ----
 *
 * Q(a) = erfc(a / sqrt2) / 2 = E M(a), E = e^(-a^2/2), M(a) = e^(a^2/2) Q(a): M is smooth (1/2 at 0,
 * about 1/(a sqrt(2 pi)) for large a), so it takes a table of polynomials where Q itself would need
 * regions of its own (the portable path evaluates fdlibm's five regions in every lane: 2.2 ms for 1e6
 * elements of normal(0, 4) on 2 threads, 0.76 ms here).  M for a in [0, 15): 16 slots, quarter
 * binades of 1 + a (its bits 50..53 are vpermt2pd's index: [0, 1/4), [1/4, 1/2), ... [11, 13),
 * [13, 15)), on each M(c + t) = c0 + c1 t + t^2 P(t), c0 and c1 as pairs, P of degree 12 by its halves
 * in t^2 (a chain of 7 fmas instead of Horner's 12: 46 -> 43 cycles per block of 8) (benchmarks/
 * fit_tables.py gelu_m64: 2^-56.9 with the evaluation's roundings; t = a - c is exact: c = 0 in the
 * first slot, the midpoint elsewhere).  From a = 15 on, a M(a) = G(w), w = 1/a^2, a polynomial of
 * degree 10 (2^-60).  E from fa_exp_pd (2^-57) with a^2's rounding to first order.  The products keep
 * e's low part times the whole of a M (its low part is up to 2^-5 of it: left out, that was 0.96 ULP).
 * Over 12.8M inputs in [-38.5, 38.5] against __float128: 0.58 ULP; the backward 0.50 ULP of max(|d|,
 * max(1, |x|)).
 *
 *   gelu(x) = -a E M(a) (x = -a < 0), x - x E M(x) (x >= 0);
 *   gelu'(x) = E (M(a) - a phi0) (x = -a < 0), 1 - E (M(x) - x phi0) (x >= 0), phi0 = 1/sqrt(2 pi).
 *
 * Rows: centre, c0, c0 lo, c1, c1 lo, p2..p14, slots in vpermt2pd's order. */
static const double FA_GELU_M64[18][16] = {
    /* centre */ {0x1.4000000000000p+0, 0x1.c000000000000p+0, 0x1.2000000000000p+1, 0x1.6000000000000p+1,
        0x1.c000000000000p+1, 0x1.2000000000000p+2, 0x1.6000000000000p+2, 0x1.a000000000000p+2,
        0x1.0000000000000p+3, 0x1.4000000000000p+3, 0x1.8000000000000p+3, 0x1.c000000000000p+3,
        0x0.0p+0, 0x1.8000000000000p-2, 0x1.4000000000000p-1, 0x1.c000000000000p-1},
    /* c0 */ {0x1.d898de09c6f19p-3, 0x1.7b5abd2fd03adp-3, 0x1.3aadddf19e980p-3, 0x1.0bb968cded93fp-3,
        0x1.b396f9cf1e260p-4, 0x1.5b5acd3b15fbbp-4, 0x1.201fa9259b7acp-4, 0x1.eba5fe5b14b2ap-5,
        0x1.9269722f50cddp-5, 0x1.43a38ae46ed46p-5, 0x1.0e7dcd1d93192p-5, 0x1.d087ad6e0cbf6p-6,
        0x1.0000000000000p-1, 0x1.84b705ec74443p-2, 0x1.4b1de1265fdfap-2, 0x1.1e7c2d26d017dp-2},
    /* c0lo */ {0x1.d6ac48da9b5e4p-57, 0x1.800e52e98304cp-58, -0x1.a4235d20a0b3bp-58, 0x1.188df3f4c6335p-63,
        -0x1.1646b36c1f44dp-61, 0x1.3b0a597c9f99ep-58, 0x1.4a005c06100b4p-58, 0x1.f61ed10bbb526p-60,
        -0x1.9403443e0f2cap-59, -0x1.93a50d2c0d7b4p-59, 0x1.0874a781f595ap-62, -0x1.ef06b4b4e2b80p-60,
        -0x1.0c51f20f085f6p-82, 0x1.5930c60b036a7p-57, -0x1.b31066794951ap-56, -0x1.51009c34e43e8p-56},
    /* c1 */ {-0x1.c49321dc9c383p-4, -0x1.3253b6cdb4c64p-4, -0x1.b405cc6b87d06p-5, -0x1.432b1910e5ccfp-5,
        -0x1.b6038a80903c9p-6, -0x1.1be2c5acaa9ddp-6, -0x1.8b195531b3873p-7, -0x1.21ae9268527c7p-7,
        -0x1.86b8437ca5cfdp-8, -0x1.fbf2cfdc6dcc6p-9, -0x1.63cfc8735fac0p-9, -0x1.06cdbe7c1ecddp-9,
        -0x1.9884533d43651p-2, -0x1.06bfb10497cb7p-2, -0x1.93234d0a8ef29p-3, -0x1.3baf57769aa07p-3},
    /* c1lo */ {0x1.c72bd2827bf1fp-58, -0x1.87ee05f6e3499p-61, -0x1.04a3bc9388a5dp-59, -0x1.71c3a137e1838p-59,
        -0x1.581fd7d3eec60p-60, -0x1.21207c189dfb4p-60, -0x1.d0b3e6b844cd5p-61, -0x1.087387c70d6b5p-61,
        0x1.a29dde3c6671ep-63, 0x1.7dd40d3cf248ep-63, -0x1.56b0d5779722bp-63, 0x1.4d44210310657p-63,
        0x1.cbc2aac785c9fp-56, -0x1.7386138c91597p-56, -0x1.10a5c6921ca5ap-58, 0x1.270243d46f9f1p-59},
    /* p2 */ {0x1.7b79d1bfca9d0p-5, 0x1.bd45f4ef48357p-6, 0x1.15aa6bd488cb1p-6, 0x1.6c5e3c927cb84p-7,
        0x1.a29f04f4ff87fp-8, 0x1.bfbaed8d60a26p-9, 0x1.07e3e93700dcfp-9, 0x1.4ea50718ea867p-10,
        0x1.7625d6555fc03p-11, 0x1.8af23eaa8d287p-12, 0x1.d0fb6385ac0e4p-13, 0x1.27e80535b5cd6p-13,
        0x1.0000000000000p-2, 0x1.222f238abb57ep-3, 0x1.9a45b22626679p-4, 0x1.28beedc5d8e33p-4},
    /* p3 */ {-0x1.1f33fe5ba772ap-6, -0x1.2962f462b87d0p-7, -0x1.49badda1251fdp-8, -0x1.838c5241004c5p-9,
        -0x1.7e8220e1036cep-10, -0x1.55bc008c2d6edp-11, -0x1.57ff859618f98p-12, -0x1.7b5fb856fe99dp-13,
        -0x1.6189189b2bcddp-14, -0x1.305575efc7783p-15, -0x1.2ddfa2851ae29p-16, -0x1.4b934f0a935f0p-17,
        -0x1.1058377e2cee0p-3, -0x1.15c9232370e40p-4, -0x1.6e920728d942fp-5, -0x1.ef9f7e801f4d7p-6},
    /* p4 */ {0x1.8ff2a58d03ea8p-8, 0x1.721ebe31cd900p-9, 0x1.70c53ca78fa4ap-10, 0x1.87b71017320f1p-11,
        0x1.4fb4a0c072074p-12, 0x1.fa3b677d6c21fp-14, 0x1.b643d5fcfb13fp-15, 0x1.a6741523ba96ep-16,
        0x1.49cbdba33c67dp-17, 0x1.d0ed67da799fdp-19, 0x1.857df7c0772ffp-20, 0x1.71c8031d36887p-21,
        0x1.fffffffffff85p-5, 0x1.dc32d9e82c5a5p-6, 0x1.27b80fe96282bp-6, 0x1.78a81433a4149p-7},
    /* p5 */ {-0x1.038d10ff572bfp-9, -0x1.b17803c2fbb25p-11, -0x1.87595809412d9p-12, -0x1.7a617d69c616dp-13,
        -0x1.1c0d0d8210b3bp-14, -0x1.6caa288a70740p-16, -0x1.1138dc9ab6dcbp-17, -0x1.ce785bb2c0b62p-19,
        -0x1.2fdca5ff9c688p-20, -0x1.601bb3ec6e10bp-22, -0x1.f36e8a8d1fc21p-24, -0x1.9a75a9cd8941ep-25,
        -0x1.b3c058c9df41bp-6, -0x1.7506fdef7ac63p-7, -0x1.b6a736b310c3dp-8, -0x1.08ab2aee0603cp-8},
    /* p6 */ {0x1.3cf8a3e73d453p-11, 0x1.e145f6cbff269p-13, 0x1.8c5d485b9d974p-14, 0x1.5ee01a5145283p-15,
        0x1.d0dbc4f926e69p-17, 0x1.ffea8a091f596p-19, 0x1.4dc8ce2c09896p-20, 0x1.f218716ff2020p-22,
        0x1.14a23c2bb8e54p-23, 0x1.0872f4cb2f838p-25, 0x1.3e4151e307da3p-27, 0x1.c5826c3a9b247p-29,
        0x1.55555554e8c5dp-7, 0x1.0ed65c322e392p-8, 0x1.2ee7e9d1dfdb1p-9, 0x1.5bd1973a01eedp-10},
    /* p7 */ {-0x1.6ed9fae9a3dffp-13, -0x1.fd83365ddcaedp-15, -0x1.80e690c346e5dp-16, -0x1.397eac289ba2fp-17,
        -0x1.70cd45ecb0078p-19, -0x1.5eaec4099811ap-21, -0x1.8ff51a22113cep-23, -0x1.08149021da8abp-24,
        -0x1.f1e2fbcc58a0ep-27, -0x1.8a00231dcab11p-29, -0x1.932ed6446455bp-31, -0x1.f2caba9544803p-33,
        -0x1.f200655cb044ep-9, -0x1.7047c5500f309p-10, -0x1.892321dd1a469p-11, -0x1.af0c28cc2dcafp-12},
    /* p8 */ {0x1.94a90af99154bp-15, 0x1.025c8f01a7d30p-16, 0x1.67b72dda51130p-18, 0x1.0eb207ea10af5p-19,
        0x1.1c504f2e94d2dp-21, 0x1.d597b5a6742f3p-24, 0x1.d682617a5c6fdp-26, 0x1.13dc1cd66adbbp-27,
        0x1.bb0bdb1a40374p-30, 0x1.232deb62e1e81p-32, 0x1.fbc6247609ca3p-35, 0x1.11108f236cbbcp-36,
        0x1.555552b89bb67p-10, 0x1.d89f436553656p-12, 0x1.e2f4d90ea229bp-13, 0x1.fb0ddc9aab21dp-14},
    /* p9 */ {-0x1.ab5e83e3f8776p-17, -0x1.f7e785f0fd6ebp-19, -0x1.448d63548a0e5p-20, -0x1.c4f2c40e27b76p-22,
        -0x1.aac3c4672a6ccp-24, -0x1.33afd16fa5903p-26, -0x1.0fefe8617c347p-28, -0x1.1c0c4241c2aadp-30,
        -0x1.85fa70960b9a0p-33, -0x1.ab0abd5eb8866p-36, -0x1.3de6e6f2697fap-38, -0x1.29a7258872ad8p-40,
        -0x1.baaaac27f7f68p-12, -0x1.1ff9a2c44c6e2p-13, -0x1.1a60c72610351p-14, -0x1.1c8f396feed92p-15},
    /* p10 */ {0x1.b1c5a2de77735p-19, 0x1.da0624a5e8ecfp-21, 0x1.1b72a5cee822bp-22, 0x1.6ffb77939efabp-24,
        0x1.3855bac954f05p-26, 0x1.8b0675480de77p-29, 0x1.351b64bbe31e0p-31, 0x1.207447b06e004p-33,
        0x1.53a749c543697p-36, 0x1.36c4c987647dap-39, 0x1.8bcb979c5d5dbp-42, 0x1.43088afe4886bp-44,
        0x1.110cd0bb938fbp-13, 0x1.4ee6c404212fap-15, 0x1.3bc548c15a56ep-16, 0x1.320c29439c8cdp-17},
    /* p11 */ {-0x1.a86f29bf6fef5p-21, -0x1.af47f32775656p-23, -0x1.e04fddf23bbfep-25, -0x1.22d80a948a43bp-26,
        -0x1.be549244b1251p-29, -0x1.f146aebdb10e2p-32, -0x1.59b6016daaeabp-34, -0x1.2104a1b0c6edcp-36,
        -0x1.2496a49d95196p-39, -0x1.c0c84033c784dp-43, -0x1.e9ec4f6ca821bp-46, -0x1.5d056bcd446e2p-48,
        -0x1.41a5e147b9fcep-15, -0x1.7533d0bb6a7d0p-17, -0x1.52f6c44eab00bp-18, -0x1.3c86485e8cf09p-19},
    /* p12 */ {0x1.917bf00643a0cp-23, 0x1.7c6ccfafb47b8p-25, 0x1.8b9a355e4f961p-27, 0x1.c00c1fee712d5p-29,
        0x1.37ef27119f708p-31, 0x1.334bcf6ede4efp-34, 0x1.7cc5b83f2cd90p-37, 0x1.1de48c5fd1ba0p-39,
        0x1.f3723d453b1b3p-43, 0x1.41cd07e5ebeb7p-46, 0x1.2d9bf3276bdf2p-49, 0x1.778810882588cp-52,
        0x1.68789c1756ed1p-17, 0x1.8fe1f54822bc9p-19, 0x1.5e687b18dc899p-20, 0x1.3bbdf6e2adff7p-21},
    /* p13 */ {-0x1.7429864bd1565p-25, -0x1.493b43a451528p-27, -0x1.401380ffb43e3p-29, -0x1.536ea7cc56f20p-31,
        -0x1.b621f84a04aafp-34, -0x1.7cebd2acbb46cp-37, -0x1.a425d3a5a00f3p-40, -0x1.1b1bfc67c93dap-42,
        -0x1.b8068b285873cp-46, -0x1.d7e9ebfcfaa6ap-50, -0x1.79804af8ae2ffp-53, -0x1.99245bd38fd8cp-56,
        -0x1.6e1aa2b80ab1fp-19, -0x1.9ea75d6c17239p-21, -0x1.5ef6d3f9ea87dp-22, -0x1.3182b4a9860d6p-23},
    /* p14 */ {0x1.4af573d9d13f0p-27, 0x1.1260f5e7ef6d6p-29, 0x1.f47d02025fe62p-32, 0x1.f28851f18101cp-34,
        0x1.2577267ae5b51p-36, 0x1.c667c0be59ed5p-40, 0x1.c142265c03d56p-43, 0x1.112aa30a54684p-45,
        0x1.7020ee309aa73p-49, 0x1.4d7b585a8254ap-53, 0x1.cbb4beb0585ddp-57, 0x1.b478a0c6b1824p-60,
        0x1.0463091c47023p-21, 0x1.9e1e21fc896ecp-23, 0x1.530fd769a4e52p-24, 0x1.1d8bb61264612p-25},
};
static const double FA_GELU_G64[12] = {
    0x1.9884533d43651p-2, -0x1.cbc0ebf6941d9p-56, -0x1.9884533d43651p-2, 0x1.32633e6df288fp+0,
    -0x1.7efc0e0965617p+2, 0x1.4f1c8c3f96aefp+5, -0x1.79001955c9cdep+8, 0x1.032f5ac3fd12ep+12,
    -0x1.a50746bdd7566p+15, 0x1.8837aec46fb95p+19, -0x1.866d0c963314ep+23, 0x1.32fa771880884p+27};

#define FA_GELU_PHI0_HI 0x1.9884533d43651p-2     /* 1/sqrt(2 pi) as hi + lo */
#define FA_GELU_PHI0_LO -0x1.cbc0ebf6941d9p-56

#define FA_GELU_M_TOP 0x1.dffffffffffffp+3      /* the largest double below 15: the table's last a */

/* M(a) as hi + *lo for a in [0, 15) (NaN: any value) */
FA_KERNEL __m512d fa_gelu_m_pd(__m512d a, __m512d *lo)
{
    __m512i slot = _mm512_srli_epi64(_mm512_castpd_si512(_mm512_add_pd(a, _mm512_set1_pd(1.0))), 50);
#define FA_M64(r) _mm512_permutex2var_pd(_mm512_loadu_pd(FA_GELU_M64[r]), slot, _mm512_loadu_pd(FA_GELU_M64[r] + 8))
    __m512d t = _mm512_sub_pd(a, FA_M64(0));
    __m512d t2 = _mm512_mul_pd(t, t);
    __m512d pe = FA_M64(17), po = FA_M64(16);
    for (int r = 15; r >= 5; r -= 2) {
        pe = _mm512_fmadd_pd(pe, t2, FA_M64(r));
        if (r > 5) po = _mm512_fmadd_pd(po, t2, FA_M64(r - 1));
    }
    __m512d p = _mm512_fmadd_pd(po, t, pe);
    __m512d c0 = FA_M64(1), c1 = FA_M64(3);
    __m512d m = _mm512_mul_pd(c1, t), m_lo = _mm512_fmsub_pd(c1, t, m);
    __m512d hi = _mm512_add_pd(c0, m);
    __m512d s_lo = _mm512_add_pd(_mm512_sub_pd(c0, hi), m);             /* Fast2Sum: |c1 t| < c0 */
    *lo = _mm512_add_pd(s_lo, _mm512_add_pd(m_lo, _mm512_fmadd_pd(_mm512_mul_pd(t, t), p,
                                                                 _mm512_fmadd_pd(FA_M64(4), t, FA_M64(2)))));
#undef FA_M64
    return hi;
}

/* a M(a) for a from 15 on (held at 40: beyond, E is 0), as hi + *lo: G(w) = c0 + (c0 lo + w P(w)) */
FA_KERNEL __m512d fa_gelu_g_pd(__m512d a, __m512d *lo)
{
    __m512d ac = _mm512_min_pd(a, _mm512_set1_pd(40.0));
    __m512d w = _mm512_div_pd(_mm512_set1_pd(1.0), _mm512_mul_pd(ac, ac));
    __m512d p = _mm512_set1_pd(FA_GELU_G64[11]);
    for (int k = 10; k >= 2; k--)
        p = _mm512_fmadd_pd(p, w, _mm512_set1_pd(FA_GELU_G64[k]));
    *lo = _mm512_fmadd_pd(w, p, _mm512_set1_pd(FA_GELU_G64[1]));
    return _mm512_set1_pd(FA_GELU_G64[0]);
}

/* E = e^(-a^2/2), a = |x| held at 40 (NaN passes), as fa_exp_pd's 2^k (hi + lo) with a^2's rounding
 * u_lo to first order (lo - hi u_lo / 2) */
FA_KERNEL fa_exp2k fa_gelu_exp_pd(__m512d x, const fa_t64 *t)
{
    __m512d a = _mm512_min_pd(_mm512_abs_pd(x), _mm512_set1_pd(40.0));
    __m512d u = _mm512_mul_pd(a, a), u_lo = _mm512_fmsub_pd(a, a, u);
    fa_exp2k e = fa_exp_pd(_mm512_mul_pd(u, _mm512_set1_pd(-0.5)), t);
    e.lo = _mm512_fnmadd_pd(_mm512_mul_pd(e.hi, _mm512_set1_pd(0.5)), u_lo, e.lo);
    return e;
}

/* M(a) as hi + *lo, or a M(a) with `times_a`: the table below 15, G from 15 on (and NaN; there M = G / a
 * with a held at 40 and no low part: the backward's D is -a phi0 to 2^-7 there); *far: those lanes */
FA_KERNEL __m512d fa_gelu_m_any_pd(__m512d a, __m512d *lo, __mmask8 *far, const int times_a)
{
    __m512d m_lo, m = fa_gelu_m_pd(_mm512_min_pd(a, _mm512_set1_pd(FA_GELU_M_TOP)), &m_lo);
    if (times_a) {
        __m512d am = _mm512_mul_pd(a, m);
        m_lo = _mm512_fmadd_pd(a, m_lo, _mm512_fmsub_pd(a, m, am));
        m = am;
    }
    *far = _mm512_cmp_pd_mask(a, _mm512_set1_pd(15.0), _CMP_NLT_UQ);
    if (__builtin_expect(*far != 0, 0)) {
        __m512d g_lo, g = fa_gelu_g_pd(a, &g_lo);
        if (times_a) {
            m = _mm512_mask_mov_pd(m, *far, g);
            m_lo = _mm512_mask_mov_pd(m_lo, *far, g_lo);
        } else {
            m = _mm512_mask_div_pd(m, *far, _mm512_add_pd(g, g_lo), _mm512_min_pd(a, _mm512_set1_pd(40.0)));
            m_lo = _mm512_mask_mov_pd(m_lo, *far, _mm512_setzero_pd());
        }
    }
    *lo = m_lo;
    return m;
}

/* gelu: t = a Q(a) = E a M(a) = 2^k (p + p_lo); -t for x < 0 (rounded once: scaled last), x - t from 0
 * on (t <= x/2: x - t_hi by Fast2Sum, then its error and t's low part, as the portable path's r - (lo -
 * e), which keeps -0 for x = -0).  +inf gives inf, -inf -0 (t is 0 at a = 40 already), NaN x. */
FA_KERNEL __m512d fa_gelu_f64_512(__m512d x, fa_exp2k e)
{
    __mmask8 far;
    __m512d a = _mm512_abs_pd(x), am_lo, am = fa_gelu_m_any_pd(a, &am_lo, &far, 1);
    __m512d p = _mm512_mul_pd(e.hi, am);
    __m512d p_lo = _mm512_fmadd_pd(e.hi, am_lo, _mm512_fmadd_pd(e.lo, _mm512_add_pd(am, am_lo), _mm512_fmsub_pd(e.hi, am, p)));
    __m512d neg = _mm512_or_pd(_mm512_scalef_pd(_mm512_add_pd(p, p_lo), e.k), _mm512_set1_pd(-0.0));
    __m512d th = _mm512_scalef_pd(p, e.k), tl = _mm512_scalef_pd(p_lo, e.k);
    __m512d r = _mm512_sub_pd(x, th);
    __m512d err = _mm512_sub_pd(_mm512_sub_pd(x, r), th);
    r = _mm512_sub_pd(r, _mm512_sub_pd(tl, err));
    r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ), neg);
    if (__builtin_expect(far != 0, 0))
        r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, _mm512_set1_pd(INFINITY), _CMP_EQ_OQ) | fa_pd_nan(x), x);
    return r;
}

/* gelu's backward: D = M(a) - a phi0 as d + d_lo (TwoSum; a phi0 exact as a pair to 2^-106), q = E D
 * unscaled (p + p_lo); x < 0: g 2^k (p + p_lo), 2^k put on last (its bound is 3 ULP of |g| max(1,
 * |x|), where D crosses 0 at a = 0.7518: this is within ~1.5); x >= 0: g (1 - 2^k (p + p_lo)), 1 -
 * 2^k p by Fast2Sum (|E D| <= 1/2 there).  From a = 15 on M = G / a (D is -a phi0 to 2^-7 there: its
 * low part is nothing beside the bound).  For x < 0 g (p + p_lo) overflows unscaled where |g| >= 2^1018,
 * and is subnormal for a tiny g: those lanes are redone with g 2^-64 and k + 64, or g 2^128 and k - 128
 * (as fa_exp_backward_pd).  The portable path's specials: |x| >= 1e150 (infinities) g for x > 0, g 0
 * below (its formula's limit); NaN x x itself.  An infinite g elsewhere gives +-inf (q is not 0: 2^k
 * is put on last), as the longdouble reference, where the portable path gives NaN once E underflows. */
FA_KERNEL __m512d fa_gelu_backward_f64_512(__m512d g, __m512d x, fa_exp2k e, double pp)
{
    (void)pp;
    __mmask8 far;
    __m512d a = _mm512_abs_pd(x), m_lo, m = fa_gelu_m_any_pd(a, &m_lo, &far, 0);
    /* a phi0 with a held at 40 as E is: beyond, E D is 0 in double (a phi0 itself at a = 2e48 made E D
     * 1e-300 once scaled, where the derivative is 0) */
    const __m512d ph = _mm512_set1_pd(FA_GELU_PHI0_HI), ac = _mm512_min_pd(a, _mm512_set1_pd(40.0));
    __m512d b = _mm512_mul_pd(ac, ph);
    __m512d b_lo = _mm512_fmadd_pd(ac, _mm512_set1_pd(FA_GELU_PHI0_LO), _mm512_fmsub_pd(ac, ph, b));
    __m512d d_lo, d = fa_two_sum_pd(m, _mm512_sub_pd(_mm512_setzero_pd(), b), &d_lo);
    d_lo = _mm512_add_pd(d_lo, _mm512_sub_pd(m_lo, b_lo));
    __m512d p = _mm512_mul_pd(e.hi, d);
    __m512d p_lo = _mm512_fmadd_pd(e.hi, d_lo, _mm512_fmadd_pd(e.lo, _mm512_add_pd(d, d_lo), _mm512_fmsub_pd(e.hi, d, p)));
    /* x >= 0 (and NaN): g (f + f_lo), f = 1 - 2^k (p + p_lo) */
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d th = _mm512_scalef_pd(p, e.k), tl = _mm512_scalef_pd(p_lo, e.k);
    __m512d f = _mm512_sub_pd(one, th);
    __m512d f_lo = _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(one, f), th), tl);
    __m512d pos = _mm512_fmadd_pd(g, f, _mm512_mul_pd(g, f_lo));
    /* x < 0 */
    __mmask8 neg = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    __m512d u = _mm512_fmadd_pd(g, p, _mm512_mul_pd(g, p_lo));
    __m512d r = _mm512_mask_mov_pd(pos, neg, _mm512_scalef_pd(u, e.k));
    __mmask8 odd = fa_pd_scaled_odd(neg, r, u, g);
    if (__builtin_expect(odd != 0, 0))
        r = fa_pd_scaled_redo(r, odd, g, p, p_lo, e.k, 1);
    /* an infinite g: g times the sign of the derivative, which is not 0 here (g (f + f_lo) and g (p +
     * p_lo) are inf - inf where the low part's sign is not the high part's: NaN for half of all x) */
    __mmask8 ginf = _mm512_fpclass_pd_mask(g, 0x18);
    if (__builtin_expect(ginf != 0, 0))
        r = _mm512_mask_mul_pd(r, ginf, g, _mm512_mask_blend_pd(neg, _mm512_add_pd(f, f_lo), _mm512_add_pd(p, p_lo)));
    if (__builtin_expect(far != 0, 0)) {
        /* x >= 1e150: g; x below -40, where the lanes above took the derivative at -40 (E's a is held
         * there): g 0, the derivative below double's range counting as 0, as on the portable path (the
         * held one, ~6e-347, gave g 1e300 a result of -5.8e-47; NaN for an infinite g) */
        __mmask8 huge = _mm512_cmp_pd_mask(a, _mm512_set1_pd(1e150), _CMP_GE_OQ);
        __mmask8 gt0 = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
        __mmask8 gone = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-40.0), _CMP_LT_OQ);
        r = _mm512_mask_mov_pd(r, (huge & gt0) | gone, _mm512_mask_mov_pd(_mm512_mul_pd(g, _mm512_setzero_pd()), gt0, g));
        r = _mm512_mask_mov_pd(r, fa_pd_nan(x), x);
    }
    return r;
}

/* the exact-gelu spans (fa_gelu_f64_span(x, out, n, p, pf), p: approximate, 0 here) */
static inline __attribute__((always_inline)) void fa_gelu_f64_run(const double *x, double *out, ptrdiff_t n,
                                                                   const int pf_)
{
    FA_PD_LOOP(x, fa_gelu_exp_pd, FA_PD_HEAD, FA_PF64(x); FA_PF64(out);
               _mm512_mask_storeu_pd(out + j, m_, fa_gelu_f64_512(xv_, pre_)))
}

static inline void fa_gelu_f64_span(const double *x, double *out, ptrdiff_t n, double p, int pf)
{
    (void)p;
    if (pf)
        fa_gelu_f64_run(x, out, n, 1);
    else
        fa_gelu_f64_run(x, out, n, 0);
}

FA_PD_SPAN2_PRE(gelu_backward, fa_gelu_exp_pd)
