/* dtypes, their C types, conversions and PyTorch's type promotion. */
#ifndef CT_DTYPE_H
#define CT_DTYPE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef uint16_t ct_half;   /* IEEE binary16 bits */
typedef uint16_t ct_bf16;   /* bfloat16 bits (upper half of a float32) */

/* X(ENUM, python name, legacy tensor name, storage C type, compute C type,
 *   scalar member: i for integral/bool, d for floating) */
#define CT_FOR_EACH_DTYPE(X)                                         \
    X(BOOL, bool, Bool, bool, bool, i)                               \
    X(UINT8, uint8, Byte, uint8_t, uint8_t, i)                       \
    X(INT8, int8, Char, int8_t, int8_t, i)                           \
    X(INT16, int16, Short, int16_t, int16_t, i)                      \
    X(INT32, int32, Int, int32_t, int32_t, i)                        \
    X(INT64, int64, Long, int64_t, int64_t, i)                       \
    X(FLOAT16, float16, Half, ct_half, float, d)                     \
    X(BFLOAT16, bfloat16, BFloat16, ct_bf16, float, d)               \
    X(FLOAT32, float32, Float, float, float, d)                      \
    X(FLOAT64, float64, Double, double, double, d)

typedef enum {
#define CT_X(E, n, l, T, C, m) CT_##E,
    CT_FOR_EACH_DTYPE(CT_X)
#undef CT_X
    CT_NUM_DTYPES,
    CT_UNDEFINED = -1
} ct_dtype;

/* dtype sets used to declare which dtypes a kernel supports;
 * X(E, T, C, m, extra...) is applied to each member */
#define CT_DT_BOOL_(X, ...) X(BOOL, bool, bool, i, __VA_ARGS__)
#define CT_DT_INTS_(X, ...)                 \
    X(UINT8, uint8_t, uint8_t, i, __VA_ARGS__) \
    X(INT8, int8_t, int8_t, i, __VA_ARGS__)    \
    X(INT16, int16_t, int16_t, i, __VA_ARGS__) \
    X(INT32, int32_t, int32_t, i, __VA_ARGS__) \
    X(INT64, int64_t, int64_t, i, __VA_ARGS__)
#define CT_DT_FLOATS_(X, ...)                  \
    X(FLOAT16, ct_half, float, d, __VA_ARGS__)  \
    X(BFLOAT16, ct_bf16, float, d, __VA_ARGS__) \
    X(FLOAT32, float, float, d, __VA_ARGS__)    \
    X(FLOAT64, double, double, d, __VA_ARGS__)
/* the named sets */
#define CT_DTYPES_ALL(X, ...) CT_DT_BOOL_(X, __VA_ARGS__) CT_DT_INTS_(X, __VA_ARGS__) CT_DT_FLOATS_(X, __VA_ARGS__)
#define CT_DTYPES_NUM(X, ...) CT_DT_INTS_(X, __VA_ARGS__) CT_DT_FLOATS_(X, __VA_ARGS__)
#define CT_DTYPES_FLOAT(X, ...) CT_DT_FLOATS_(X, __VA_ARGS__)
#define CT_DTYPES_INT(X, ...) CT_DT_INTS_(X, __VA_ARGS__)
#define CT_DTYPES_INTB(X, ...) CT_DT_BOOL_(X, __VA_ARGS__) CT_DT_INTS_(X, __VA_ARGS__)
/* a second spelling of the full set, for expanding one set inside another
 * (a macro does not expand inside its own expansion) */
#define CT_DTYPES_ALL2(X, ...)                       \
    X(BOOL, bool, bool, i, __VA_ARGS__)              \
    X(UINT8, uint8_t, uint8_t, i, __VA_ARGS__)       \
    X(INT8, int8_t, int8_t, i, __VA_ARGS__)          \
    X(INT16, int16_t, int16_t, i, __VA_ARGS__)       \
    X(INT32, int32_t, int32_t, i, __VA_ARGS__)       \
    X(INT64, int64_t, int64_t, i, __VA_ARGS__)       \
    X(FLOAT16, ct_half, float, d, __VA_ARGS__)       \
    X(BFLOAT16, ct_bf16, float, d, __VA_ARGS__)      \
    X(FLOAT32, float, float, d, __VA_ARGS__)         \
    X(FLOAT64, double, double, d, __VA_ARGS__)

typedef struct {
    const char *name;        /* "float32" */
    const char *legacy;      /* "Float" (FloatTensor, FloatStorage) */
    int itemsize;
    bool is_floating;
    bool is_signed;
} ct_dtype_info;

extern const ct_dtype_info ct_dtype_infos[CT_NUM_DTYPES];

static inline int ct_itemsize(ct_dtype d) { return ct_dtype_infos[d].itemsize; }
static inline bool ct_is_floating(ct_dtype d) { return d >= CT_FLOAT16; }
static inline bool ct_is_integral(ct_dtype d, bool include_bool) {
    return (d >= CT_UINT8 && d <= CT_INT64) || (include_bool && d == CT_BOOL);
}
static inline const char *ct_dtype_name(ct_dtype d) {
    return d >= 0 && d < CT_NUM_DTYPES ? ct_dtype_infos[d].name : "undefined";
}

/* a Python-side scalar: both representations are kept so that kernels can
 * pick the one of their compute type without branching */
typedef struct {
    double d;
    int64_t i;
} ct_scalar;

static inline ct_scalar ct_scalar_f(double v) {
    ct_scalar s = {v, (v > -9.2e18 && v < 9.2e18) ? (int64_t)v : 0};   /* nan/inf: no integer value */
    return s;
}
static inline ct_scalar ct_scalar_i(int64_t v) { ct_scalar s = {(double)v, v}; return s; }

void ct_store_scalar(void *p, ct_dtype dtype, ct_scalar v);
ct_scalar ct_load_scalar(const void *p, ct_dtype dtype);

/* ---- float16 / bfloat16 conversions ---- */
static inline float ct_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t ct_float_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float ct_half_to_float(ct_half h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return ct_bits_to_float(sign | 0x7f800000u | (man << 13));  /* inf/nan */
    if (exp == 0) {                                                               /* subnormal */
        float f = (float)man * 5.9604644775390625e-8f;                            /* 2^-24 */
        return sign ? -f : f;
    }
    return ct_bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
}

static inline ct_half ct_float_to_half(float f) {
    uint32_t u = ct_float_to_bits(f), sign = (u >> 16) & 0x8000;
    uint32_t au = u & 0x7fffffffu;
    if (au >= 0x7f800000u) return (ct_half)(sign | 0x7c00 | (au > 0x7f800000u ? 0x200 : 0));
    if (au >= 0x477ff000u) return (ct_half)(sign | 0x7c00);           /* overflow to inf */
    if (au < 0x38800000u) {                                           /* subnormal or zero */
        float a = ct_bits_to_float(au) * 16777216.0f;                 /* scale by 2^24 */
        uint32_t m = (uint32_t)a;
        float rem = a - (float)m;                                     /* round half to even */
        if (rem > 0.5f || (rem == 0.5f && (m & 1))) m++;
        return (ct_half)(sign | m);
    }
    /* normal: round mantissa to nearest even at bit 13 */
    uint32_t r = au + 0xfffu + ((au >> 13) & 1);
    return (ct_half)(sign | ((r - 0x38000000u) >> 13));
}

static inline float ct_bf16_to_float(ct_bf16 b) { return ct_bits_to_float((uint32_t)b << 16); }
static inline ct_bf16 ct_float_to_bf16(float f) {
    uint32_t u = ct_float_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ct_bf16)((u >> 16) | 0x40);   /* quiet nan */
    u += 0x7fffu + ((u >> 16) & 1);                                            /* nearest even */
    return (ct_bf16)(u >> 16);
}

/* load a storage value as its compute type, and store one back */
#define CT_LOAD_BOOL(p) (*(const uint8_t *)(p) != 0)   /* any nonzero byte is true (bytes from files or buffers may not be 0/1) */
#define CT_LOAD_UINT8(p) (*(p))
#define CT_LOAD_INT8(p) (*(p))
#define CT_LOAD_INT16(p) (*(p))
#define CT_LOAD_INT32(p) (*(p))
#define CT_LOAD_INT64(p) (*(p))
#define CT_LOAD_FLOAT16(p) ct_half_to_float(*(p))
#define CT_LOAD_BFLOAT16(p) ct_bf16_to_float(*(p))
#define CT_LOAD_FLOAT32(p) (*(p))
#define CT_LOAD_FLOAT64(p) (*(p))
#define CT_STORE_BOOL(p, v) (*(p) = (bool)(v))
#define CT_STORE_UINT8(p, v) (*(p) = (uint8_t)(v))
#define CT_STORE_INT8(p, v) (*(p) = (int8_t)(v))
#define CT_STORE_INT16(p, v) (*(p) = (int16_t)(v))
#define CT_STORE_INT32(p, v) (*(p) = (int32_t)(v))
#define CT_STORE_INT64(p, v) (*(p) = (int64_t)(v))
#define CT_STORE_FLOAT16(p, v) (*(p) = ct_float_to_half((float)(v)))
#define CT_STORE_BFLOAT16(p, v) (*(p) = ct_float_to_bf16((float)(v)))
#define CT_STORE_FLOAT32(p, v) (*(p) = (float)(v))
#define CT_STORE_FLOAT64(p, v) (*(p) = (double)(v))

/* ---- promotion (docs/interop-formats.md section 5) ---- */
ct_dtype ct_promote_types(ct_dtype a, ct_dtype b);
ct_dtype ct_get_default_dtype(void);
int ct_set_default_dtype(ct_dtype d);   /* floating dtypes only */
/* can values of `from` be written into `to` (in-place / out=) without an error */
bool ct_can_cast(ct_dtype from, ct_dtype to);
/* NotImplementedError: "<op>_cpu" not implemented for '<Dtype>' (PyTorch's words);
 * the _kernel_ form prints the kernel name as given */
int ct_error_dtype(const char *op, ct_dtype d);
int ct_error_kernel_dtype(const char *kernel, ct_dtype d);

/* the three priority buckets of result_type */
typedef enum { CT_BUCKET_DIM = 0, CT_BUCKET_ZERODIM = 1, CT_BUCKET_WRAPPED = 2 } ct_bucket;

typedef struct {
    ct_dtype bucket[3];   /* CT_UNDEFINED where empty */
} ct_result_state;

void ct_result_init(ct_result_state *st);
void ct_result_add(ct_result_state *st, ct_dtype d, ct_bucket b);
ct_dtype ct_result_finish(const ct_result_state *st);

#endif
