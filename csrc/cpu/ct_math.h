/* Type-generic math used by the elementwise bodies (ops/elementwise.def).
 * C is the compute type: float, double, or an integer type (bool included).
 * Integer division helpers never trap: a zero divisor sets CT_FLAG_ZERO_DIV
 * in the loop's ctx and yields 0 (the op then raises). */
#ifndef CT_MATH_H
#define CT_MATH_H

#include <math.h>
#include <stdint.h>

#include "ctorch/ct_backend.h"

/* libm on float/double; integers pass through (floor, ceil, round, trunc) */
#define CT_M(fn, x) _Generic((x), float: fn##f, double: fn, default: ct_int_identity)(x)
#define CT_M2(fn, a, b) _Generic((a), float: fn##f, double: fn)(a, b)
static inline int64_t ct_int_identity(int64_t x) { return x; }

#define CT_ABS(x) _Generic((x), float: fabsf, double: fabs, default: ct_iabs)(x)
static inline int64_t ct_iabs(int64_t x) { return x < 0 ? (int64_t)(0 - (uint64_t)x) : x; }

/* the inverse error function: Giles' polynomial (2010) as the first guess,
 * Halley steps to full double precision (on erfc for |y| > 0.5, where 1 - |y|
 * is exact and erf has no digits left); +-inf at +-1, NaN outside */
static inline double ct_erfinv(double y) {
    if (!(y > -1.0 && y < 1.0)) return y == 1.0 ? INFINITY : y == -1.0 ? -INFINITY : NAN;
    double a = fabs(y), w = -log((1.0 - a) * (1.0 + a)), p;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w, p = -3.5233877e-06 + p * w, p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w, p = -0.00125372503 + p * w, p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w, p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w, p = 0.00134934322 + p * w, p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w, p = -0.0076224613 + p * w, p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w, p = 2.83297682 + p * w;
    }
    double x = p * a;
    for (int i = 0; i < 8; i++) {   /* Halley (erf'' = -2x erf'): 2 steps near 0, a few more near +-1 */
        double r = a > 0.5 ? (1.0 - a) - erfc(x) : erf(x) - a, u = r / (1.1283791670955126 * exp(-x * x));
        double step = u / (1.0 + x * u);
        x -= step;
        if (fabs(step) <= 1e-16 * x) break;
    }
    return y < 0 ? -x : x;
}
static inline float ct_erfinvf(float y) { return (float)ct_erfinv(y); }

/* digamma: -inf at 0, NaN at negative integers (PyTorch's), reflection below 0,
 * the recurrence up to 6, then the asymptotic series */
static inline double ct_digamma(double x) {
    if (x == 0) return copysign(INFINITY, -x);
    if (x < 0) {
        if (x == floor(x)) return NAN;
        return ct_digamma(1.0 - x) - 3.14159265358979323846 / tan(3.14159265358979323846 * x);
    }
    double r = 0;
    for (; x < 6.0; x += 1.0) r -= 1.0 / x;
    double f = 1.0 / (x * x);
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}
static inline float ct_digammaf(float x) { return (float)ct_digamma(x); }

/* trigamma (polygamma(1, x)): reflection below 0, recurrence up to 6, asymptotic series */
static inline double ct_trigamma(double x) {
    if (x <= 0 && x == floor(x)) return INFINITY;
    if (x < 0) {
        double s = sin(3.14159265358979323846 * x);
        return -ct_trigamma(1.0 - x) + 9.86960440108935861883 / (s * s);
    }
    double r = 0;
    for (; x < 6.0; x += 1.0) r += 1.0 / (x * x);
    double f = 1.0 / (x * x);
    return r + 1.0 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
}
static inline float ct_trigammaf(float x) { return (float)ct_trigamma(x); }

static inline bool ct_isinf_f(float x) { return isinf(x); }
static inline bool ct_isinf_d(double x) { return isinf(x); }
/* sign bits read directly (gcc 12 miscompiles vectorized signbit of bfloat16 loads) */
static inline bool ct_signbit_f(float x) { return ct_float_to_bits(x) >> 31; }
static inline bool ct_signbit_d(double x) {
    uint64_t u;
    memcpy(&u, &x, 8);
    return u >> 63;
}
static inline bool ct_false(int64_t x) { return false; }
static inline bool ct_negative(int64_t x) { return x < 0; }
static inline bool ct_lnot(bool x) { return !x; }
static inline int64_t ct_bnot(int64_t x) { return ~x; }
#define CT_ISINF(x) _Generic((x), float: ct_isinf_f, double: ct_isinf_d, default: ct_false)(x)
#define CT_SIGNBIT(x) _Generic((x), float: ct_signbit_f, double: ct_signbit_d, default: ct_negative)(x)
#define CT_BNOT(x) _Generic((x), bool: ct_lnot, default: ct_bnot)(x)
#define CT_CLAMP(x, lo, hi) ((x) != (x) ? (x) : (x) < (lo) ? ((lo) > (hi) ? (hi) : (lo)) : (x) > (hi) ? (hi) : (x))
#define CT_LERP(a, b, w) (CT_ABS(w) < 0.5 ? (a) + (w) * ((b) - (a)) : (b) - ((b) - (a)) * (1 - (w)))

static inline double ct_round_decimals(double x, double d) {
    double p = pow(10.0, fabs(d));
    return d >= 0 ? nearbyint(x * p) / p : nearbyint(x / p) * p;
}
#define CT_ROUND_DECIMALS(x, d) _Generic((x), float: (float)ct_round_decimals(x, d), default: ct_round_decimals(x, d))

/* integer division family: int64 arithmetic, INT64_MIN / -1 wraps instead of trapping */
static inline int64_t ct_idiv(int64_t a, int64_t b, int *flags) {
    if (b == 0) { *flags |= CT_FLAG_ZERO_DIV; return 0; }
    if (b == -1) return (int64_t)(0 - (uint64_t)a);
    return a / b;
}
static inline int64_t ct_irem(int64_t a, int64_t b, int *flags) {
    if (b == 0) { *flags |= CT_FLAG_ZERO_DIV; return 0; }
    if (b == -1) return 0;
    return a % b;
}
static inline int64_t ct_idiv_floor(int64_t a, int64_t b, int *flags) {
    int64_t q = ct_idiv(a, b, flags), r = ct_irem(a, b, flags);
    return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t ct_irem_floor(int64_t a, int64_t b, int *flags) {
    int64_t r = ct_irem(a, b, flags);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
/* floating floor division as PyTorch computes it (exact for integral quotients) */
static inline double ct_fdiv_floor(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    return div - fl > 0.5 ? fl + 1 : fl;
}
static inline double ct_frem(double a, double b) {
    double r = fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static inline float ct_frem_f(float a, float b) {
    float r = fmodf(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

#define CT_FLAGS (((ct_loop_ctx *)ctx_)->flags)
#define CT_DIV_TRUNC(a, b) _Generic((a), float: truncf((a) / (b)), double: trunc((a) / (b)), \
                                    default: ct_idiv(a, b, CT_FLAGS))
#define CT_DIV_FLOOR(a, b) _Generic((a), float: (float)ct_fdiv_floor(a, b), double: ct_fdiv_floor(a, b), \
                                    default: ct_idiv_floor(a, b, CT_FLAGS))
#define CT_REM(a, b) _Generic((a), float: ct_frem_f(a, b), double: ct_frem(a, b), \
                              default: ct_irem_floor(a, b, CT_FLAGS))
#define CT_FMOD(a, b) _Generic((a), float: fmodf(a, b), double: fmod(a, b), default: ct_irem(a, b, CT_FLAGS))

/* integer power by squaring; negative exponents as PyTorch: 1, +-1, or 0 */
static inline int64_t ct_ipow(int64_t base, int64_t e) {
    if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    while (e) {
        if (e & 1) r *= b;
        b *= b;
        e >>= 1;
    }
    return (int64_t)r;
}
#define CT_POW(a, b) _Generic((a), float: powf(a, b), double: pow(a, b), default: ct_ipow(a, b))

/* shifts: counts outside [0, bits) give 0 (or -1 for a negative value shifted right) */
#define CT_SHL(a, b) ((b) < 0 || (b) >= (int64_t)(8 * sizeof(a)) ? 0 : (int64_t)((uint64_t)(a) << (b)))
#define CT_SHR(a, b) ((b) < 0 || (b) >= (int64_t)(8 * sizeof(a)) ? ((a) < 0 ? -1 : 0) : (a) >> (b))

/* ---- float math that vectorizes (libm's expf and expm1f do not); always inlined, so that the
 * loops calling them vectorize at every ISA (cpu/nn_norm.c, cpu/nn_rnn.c) ---- */
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

/* expm1: its Taylor series near 0 (|x| < 0.5, to x^8: relative error below 1e-8), exp(x) - 1 elsewhere */
CT_INLINE float ct_fast_expm1f(float x) {
    float p = 1.0f / 40320;
    p = p * x + 1.0f / 5040;
    p = p * x + 1.0f / 720;
    p = p * x + 1.0f / 120;
    p = p * x + 1.0f / 24;
    p = p * x + 1.0f / 6;
    p = p * x + 0.5f;
    p = (p * x + 1.0f) * x;
    return fabsf(x) < 0.5f ? p : ct_fast_expf(x) - 1.0f;
}

#endif
