/* fastact/_convert.h -- float16 and bfloat16 to and from float32, for the calls computed in float32.
 *
 * NumPy's casts of float16 are scalar code with a branch per element and a floating-point status check:
 * 1.2-1.5 ns per element, 9 where results alternate between 0 and others (relu's: mispredictions) and
 * 90 where a float16 result is subnormal (gelu's, sigmoid's far tail), so that a float16 call took
 * 20-60 times its float32 time.  These are branch-free: GCC vectorises them at every level, and the
 * AVX-512 level takes float16 through vcvtph2ps / vcvtps2ph.  Both directions are exact or rounded to
 * nearest, ties to even, as NumPy's and ml_dtypes' casts are, subnormals and infinities included
 * (a float32 beyond float16's range gives inf, as in NumPy); a NaN stays NaN with its sign and its
 * leading payload bits, made quiet, both ways and in every lane (vcvtph2ps's and vcvtps2ph's rule;
 * NumPy keeps a signalling float16 NaN signalling; bfloat16's widening keeps the bits as they are).
 * Nothing here depends on the floating-point environment beyond round-to-nearest without FTZ/DAZ,
 * which fastact never changes. */
#ifndef FA_CONVERT_H
#define FA_CONVERT_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

static inline float fa_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t fa_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* float16 bits to float32, exact: the exponent rebiased; a subnormal float16 (and 0) as the float32 with
 * its bits over 2^-14 with exponent 1 ... minus that 2^-14: one exact subtraction (F. Giesen's form) */
static inline float fa_half_to_float(uint16_t h)
{
    uint32_t em = (uint32_t)(h & 0x7fffu) << 13;
    uint32_t e = em & 0x0f800000u;
    uint32_t u = em + ((uint32_t)(127 - 15) << 23);
    u = e == 0x0f800000u ? u + ((uint32_t)(128 - 16) << 23) : u;    /* inf, NaN: exponent 255 */
    u = e == 0x0f800000u && (em & 0x007fe000u) ? u | 0x00400000u : u; /* NaN made quiet, as vcvtph2ps */
    float sub = fa_bits_f32(u + (1u << 23)) - fa_bits_f32(113u << 23);
    float r = e == 0 ? sub : fa_bits_f32(u);
    return fa_bits_f32(fa_f32_bits(r) | ((uint32_t)(h & 0x8000u) << 16));
}

/* float32 to float16 bits, rounded to nearest (ties to even): a normal result by adding half an ULP
 * less one plus the kept bit's parity to the rebiased bits; a subnormal one (|f| < 2^-14) by a float
 * addition of 1/2, which rounds f at float16's subnormal quantum 2^-24; from 65520 on inf */
static inline uint16_t fa_float_to_half(float f)
{
    uint32_t u = fa_f32_bits(f), sign = u & 0x80000000u, a = u ^ sign;
    uint32_t normal = (a + ((uint32_t)(15 - 127) << 23) + 0xfffu + ((a >> 13) & 1u)) >> 13;
    uint32_t sub = fa_f32_bits(fa_bits_f32(a) + 0.5f) - fa_f32_bits(0.5f);
    uint32_t r = a < (113u << 23) ? sub : normal;
    r = a >= ((uint32_t)(127 + 16) << 23) ? 0x7c00u : r;                          /* inf (and beyond) */
    r = a > 0x7f800000u ? 0x7e00u | ((a >> 13) & 0x3ffu) : r;                      /* NaN, made quiet */
    return (uint16_t)(r | (sign >> 16));
}

/* bfloat16 bits to float32 (exact) and float32 to bfloat16 bits (to nearest, ties to even; NaN made
 * quiet, its sign and leading payload bits kept) */
static inline float fa_brain_to_float(uint16_t h)
{
    return fa_bits_f32((uint32_t)h << 16);
}

static inline uint16_t fa_float_to_brain(float f)
{
    uint32_t u = fa_f32_bits(f);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : r);
}

static inline void fa_widen_span(const uint16_t *src, float *dst, ptrdiff_t n, int brain)
{
    ptrdiff_t i = 0;
    if (brain) {
        for (; i < n; i++)
            dst[i] = fa_brain_to_float(src[i]);
        return;
    }
#ifdef __AVX512F__
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
#endif
    for (; i < n; i++)
        dst[i] = fa_half_to_float(src[i]);
}

static inline void fa_narrow_span(const float *src, uint16_t *dst, ptrdiff_t n, int brain)
{
    ptrdiff_t i = 0;
    if (brain) {
        for (; i < n; i++)
            dst[i] = fa_float_to_brain(src[i]);
        return;
    }
#ifdef __AVX512F__
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
    for (; i < n; i++)
        dst[i] = fa_float_to_half(src[i]);
}

#endif
