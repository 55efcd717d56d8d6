/* exp in float that vectorizes (libm's expf does not): always inlined, so that the
 * loops calling it vectorize at every ISA (cpu/nn_norm.c, cpu/attention.c) */
#ifndef CT_FAST_EXP_H
#define CT_FAST_EXP_H

#include <math.h>

#include "ctorch/ct_dtype.h"

#define CT_INLINE static inline __attribute__((always_inline))

/* exp(x) = 2^n exp(r), n = round(x / ln 2), with Cephes' polynomial for exp(r) (about 1 ulp). Results
 * below FLT_MIN flush to 0 and x in (88.376, 88.723) saturates at exp(88.376): 2^n stays a normal
 * float. NaN propagates through the polynomial. */
CT_INLINE float ct_fast_expf(float x) {
    float xc = x < -87.33654f ? -87.33654f : x > 88.37626f ? 88.37626f : x;
    float fn = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   /* round to nearest */
    float r = xc - fn * 0.693359375f + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    float res = p * ct_bits_to_float((uint32_t)((int32_t)fn + 127) << 23);
    return x > 88.72283f ? INFINITY : x < -87.33654f ? 0.0f : res;
}

#endif
