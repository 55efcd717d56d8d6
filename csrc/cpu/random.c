/* CPU kernels of the random ops: PyTorch's CPU transforms of mt19937 draws,
 * element by element in iteration order, so that a seed gives PyTorch's values.
 * The op layer (ops/random.c) holds the generator's lock around each call. */
#include <math.h>
#include <stdlib.h>

#include "ct_kernels.h"
#include "loops.h"

#define PI 3.14159265358979323846

/* ---- draws of one value (PyTorch's DistributionsHelper / TransformationHelper) ---- */

/* Box-Muller on two double uniforms; the sine half is cached for the next call.
 * fma: PyTorch's AVX2 / AVX-512 builds contract ret * std + mean. */
static double normal_double(ct_generator *g, double mean, double std, bool fma_) {
    double ret;
    if (g->has_next_double) {
        ret = g->next_double;
        g->has_next_double = false;
    } else {
        double u1 = ct_rng_uniform_double(g), u2 = ct_rng_uniform_double(g);
        double r = sqrt(-2.0 * log1p(-u2)), theta = 2.0 * PI * u1;
        g->next_double = r * sin(theta);
        g->has_next_double = true;
        ret = r * cos(theta);
    }
    return fma_ ? fma(ret, std, mean) : ret * std + mean;
}

/* random_(from, to): (bits % range) + from, 64 bits of randomness from a range of 2^28 up */
static int64_t draw_from_to(ct_generator *g, uint64_t range, int64_t from) {
    uint64_t v = range >= (1ull << 28) ? ct_rng_random64(g) : ct_rng_random(g);
    return (int64_t)(v % range + (uint64_t)from);
}

/* random_() without bounds: [0, 2^digits] for floating dtypes, [0, max] for integers */
static int64_t draw_default(ct_generator *g, ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return ct_rng_random(g) & 1;
    case CT_UINT8: return ct_rng_random(g) % 256u;
    case CT_INT8: return ct_rng_random(g) % 128u;
    case CT_INT16: return ct_rng_random(g) % 32768u;
    case CT_INT32: return ct_rng_random(g) % 2147483648u;
    case CT_INT64: return (int64_t)(ct_rng_random64(g) % 9223372036854775808ull);
    case CT_FLOAT16: return ct_rng_random(g) % ((1u << 11) + 1);
    case CT_BFLOAT16: return ct_rng_random(g) % ((1u << 8) + 1);
    case CT_FLOAT32: return ct_rng_random(g) % ((1u << 24) + 1);
    default: return (int64_t)(ct_rng_random64(g) % ((1ull << 53) + 1));
    }
}

/* ---- one store loop per dtype for values computed as int64 or double ---- */
typedef struct fill_ctx {
    ct_generator *g;
    int op;
    double a, b;          /* distribution parameters */
    int64_t mode, from;   /* random_ */
    uint64_t range;
    bool fma;             /* PyTorch's AVX2 / AVX-512 builds: a * b + c contracted */
} fill_ctx;

static int64_t draw_int(fill_ctx *c, ct_dtype dt) {
    if (c->mode == CT_RANDOM_FROM_TO) return draw_from_to(c->g, c->range, c->from);
    if (c->mode == CT_RANDOM_FULL64) return (int64_t)ct_rng_random64(c->g);
    return draw_default(c->g, dt);
}

static double draw_double(fill_ctx *c) {
    ct_generator *g = c->g;
    switch (c->op) {
    case CT_OP_normal: return normal_double(g, c->a, c->b, c->fma);
    case CT_OP_log_normal: return exp(normal_double(g, c->a, c->b, c->fma));
    case CT_OP_bernoulli: return ct_rng_uniform_double(g) < c->a;
    case CT_OP_exponential: return -1.0 / c->a * log1p(-ct_rng_uniform_double(g));
    case CT_OP_geometric: return ceil(log(ct_rng_uniform_double(g)) / log1p(-c->a));
    default: {   /* cauchy */
        double t = tan(PI * (ct_rng_uniform_double(g) - 0.5));
        return c->fma ? fma(c->b, t, c->a) : c->a + c->b * t;
    }
    }
}

/* doubles reach integers through int64 (out-of-range values as x86 converts them) */
static inline int64_t to_int64(double v) { return v >= -9.2e18 && v <= 9.2e18 ? (int64_t)v : INT64_MIN; }
#define CONV_BOOL(v) ((v) != 0)
#define CONV_UINT8(v) to_int64(v)
#define CONV_INT8(v) to_int64(v)
#define CONV_INT16(v) to_int64(v)
#define CONV_INT32(v) to_int64(v)
#define CONV_INT64(v) to_int64(v)
#define CONV_FLOAT16(v) (v)
#define CONV_BFLOAT16(v) (v)
#define CONV_FLOAT32(v) (v)
#define CONV_FLOAT64(v) (v)
#define CT_DEF_STORE(E, T, C, m, unused)                                                      \
    static void loop_store_int_##E(char **data, const int64_t *st, int64_t n, void *ctx) {    \
        fill_ctx *c = ctx;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                     \
            int64_t v = draw_int(c, CT_##E);                                                  \
            CT_STORE_##E(CT_AT(T, data[0], i, st[0]), CT_##E == CT_BOOL ? v != 0 : v);        \
        }                                                                                     \
    }                                                                                         \
    static void loop_store_double_##E(char **data, const int64_t *st, int64_t n, void *ctx) { \
        fill_ctx *c = ctx;                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = draw_double(c);                                                        \
            CT_STORE_##E(CT_AT(T, data[0], i, st[0]), CONV_##E(v));                           \
        }                                                                                     \
    }
CT_DTYPES_ALL(CT_DEF_STORE, 0)
static const ct_loop_fn store_int_loops[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, store_int)};
static const ct_loop_fn store_double_loops[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, store_double)};

/* random, and the distributions drawn through double: normal (scalar path),
 * log_normal, bernoulli with a scalar p, exponential, geometric, cauchy */
static int random_fill(const ct_kernel_args *a, bool fma) {
    const ct_iter *it = a->iter;
    fill_ctx c = {.g = a->gen, .op = a->op, .fma = fma};
    if (a->nscalars > 0) c.a = a->scalars[0].d;
    if (a->nscalars > 1) c.b = a->scalars[1].d;
    if (a->op == CT_OP_random) {
        c.mode = a->ints[0];
        c.from = a->ints[1];
        c.range = (uint64_t)a->ints[2];
    }
    const ct_loop_fn *loops = a->op == CT_OP_random ? store_int_loops : store_double_loops;
    ct_iter_run_range(it, loops[it->tensors[0]->dtype], &c, 0, it->numel);
    return 0;
}
int ct_cpu_random_fill(const ct_kernel_args *a) { return random_fill(a, false); }
int ct_cpu_random_fill_avx2(const ct_kernel_args *a) { return random_fill(a, true); }

/* ---- uniform_: u * (to - from) + from in the op math type; a value rounded up to `to` becomes `from` ---- */
typedef struct {
    ct_generator *g;
    double from, to;
    bool fma;   /* PyTorch's AVX2 / AVX-512 builds contract u * (to - from) + from */
} uniform_ctx;

#define CT_FMA(C, a, b, c) (sizeof(C) == 8 ? (C)fma(a, b, c) : (C)fmaf((float)(a), (float)(b), (float)(c)))
#define CT_DEF_UNIFORM(E, T, C, m, unused)                                                     \
    static void loop_uniform_##E(char **data, const int64_t *st, int64_t n, void *ctx) {       \
        uniform_ctx *c = ctx;                                                                  \
        ct_generator *g = c->g;                                                                \
        const C from = (C)c->from, to = (C)c->to;                                              \
        T from_s, to_s;                                                                        \
        CT_STORE_##E(&from_s, c->from);                                                        \
        CT_STORE_##E(&to_s, c->to);                                                            \
        for (int64_t i = 0; i < n; i++) {                                                      \
            C u = sizeof(C) == 8 ? (C)ct_rng_uniform_double(g) : (C)ct_rng_uniform_float(g);   \
            T v;                                                                               \
            CT_STORE_##E(&v, c->fma ? CT_FMA(C, u, to - from, from) : u * (to - from) + from); \
            *CT_AT(T, data[0], i, st[0]) = CT_LOAD_##E(&v) == CT_LOAD_##E(&to_s) ? from_s : v; \
        }                                                                                      \
    }
CT_DTYPES_FLOAT(CT_DEF_UNIFORM, 0)

static int uniform(const ct_kernel_args *a, bool fma) {
    static const ct_loop_fn loops[CT_NUM_DTYPES] = {CT_DTYPES_FLOAT(CT_LOOP_ENTRY, uniform)};
    uniform_ctx c = {a->gen, a->scalars[0].d, a->scalars[1].d, fma};
    ct_iter_run_range(a->iter, loops[a->iter->tensors[0]->dtype], &c, 0, a->iter->numel);
    return 0;
}
int ct_cpu_uniform(const ct_kernel_args *a) { return uniform(a, false); }
int ct_cpu_uniform_avx2(const ct_kernel_args *a) { return uniform(a, true); }

/* ---- normal_: contiguous tensors of 16 or more elements take PyTorch's batch path:
 * uniforms for every element, then Box-Muller on blocks of 16 (pairs j, j + 8);
 * a ragged end redraws the last 16 elements and transforms them again ---- */
#define CT_DEF_FILL16(C, SQRT, LOG, COS, SIN, FMA)                                 \
    static void fill16_##C(C *d, C mean, C std) {                                  \
        for (int j = 0; j < 8; j++) {                                              \
            C u1 = 1 - d[j], u2 = d[j + 8];                                        \
            C radius = SQRT(-2 * LOG(u1));                                         \
            C theta = (C)(2.0f * PI * u2);                                         \
            d[j] = FMA(radius * COS(theta), std, mean);                            \
            d[j + 8] = FMA(radius * SIN(theta), std, mean);                        \
        }                                                                          \
    }
CT_DEF_FILL16(float, sqrtf, logf, cosf, sinf, fmaf)
CT_DEF_FILL16(double, sqrt, log, cos, sin, fma)

/* the 16-element block: PyTorch's AVX2 polynomial one on AVX2 CPUs, libm on others */
typedef void (*fill16_fn)(float *d, float mean, float std);

static void normal_fill_float(float *d, int64_t n, float mean, float std, ct_generator *g, fill16_fn f16) {
    for (int64_t i = 0; i < n; i++) d[i] = ct_rng_uniform_float(g);
    for (int64_t i = 0; i + 16 <= n; i += 16) f16(d + i, mean, std);
    if (n % 16) {
        for (int j = 0; j < 16; j++) d[n - 16 + j] = ct_rng_uniform_float(g);
        f16(d + n - 16, mean, std);
    }
}

static void normal_fill_double(double *d, int64_t n, double mean, double std, ct_generator *g) {
    for (int64_t i = 0; i < n; i++) d[i] = ct_rng_uniform_double(g);
    for (int64_t i = 0; i + 16 <= n; i += 16) fill16_double(d + i, mean, std);
    if (n % 16) {
        for (int j = 0; j < 16; j++) d[n - 16 + j] = ct_rng_uniform_double(g);
        fill16_double(d + n - 16, mean, std);
    }
}

/* float16 / bfloat16: each block in a float buffer, then rounded */
static void normal_fill_reduced(char *out, ct_dtype dt, int64_t n, float mean, float std, ct_generator *g,
                                fill16_fn f16) {
    float buf[16];
    int64_t isz = ct_itemsize(dt);
    for (int64_t i = 0; i < n; i += 16) {
        int64_t at = i + 16 <= n ? i : n - 16;   /* the ragged end: the last 16 again */
        for (int j = 0; j < 16; j++) buf[j] = ct_rng_uniform_float(g);
        f16(buf, mean, std);
        for (int j = 0; j < 16; j++) ct_store_scalar(out + (at + j) * isz, dt, ct_scalar_f(buf[j]));
    }
}

static int normal(const ct_kernel_args *a, fill16_fn f16, bool fma) {
    ct_tensor *t = a->tensors[0];
    int64_t n = ct_numel(t);
    double mean = a->scalars[0].d, std = a->scalars[1].d;
    if (n < 16 || !ct_is_contiguous(t)) return random_fill(a, fma);
    if (t->dtype == CT_FLOAT32) normal_fill_float((float *)ct_data(t), n, (float)mean, (float)std, a->gen, f16);
    else if (t->dtype == CT_FLOAT64) normal_fill_double((double *)ct_data(t), n, mean, std, a->gen);
    else normal_fill_reduced(ct_data(t), t->dtype, n, (float)mean, (float)std, a->gen, f16);
    return 0;
}
int ct_cpu_normal(const ct_kernel_args *a) { return normal(a, fill16_float, false); }
int ct_cpu_normal_avx2(const ct_kernel_args *a) { return normal(a, ct_normal16_avx2, true); }

/* ---- bernoulli_(p tensor): a float64 p compares a double uniform, other p dtypes a float one ---- */
typedef struct {
    ct_generator *g;
    ct_dtype out_dt, p_dt;
    int bad;   /* a p outside [0, 1] (PyTorch checks it as it reaches the element) */
} bernoulli_ctx;

static void loop_bernoulli_tensor(char **data, const int64_t *st, int64_t n, void *ctx) {
    bernoulli_ctx *c = ctx;
    for (int64_t i = 0; i < n && !c->bad; i++) {
        double p = ct_load_scalar(data[1] + i * st[1], c->p_dt).d;
        if (!(p >= 0 && p <= 1)) {
            c->bad = 1;
            break;
        }
        bool b = c->p_dt == CT_FLOAT64 ? ct_rng_uniform_double(c->g) < p : ct_rng_uniform_float(c->g) < (float)p;
        ct_store_scalar(data[0] + i * st[0], c->out_dt, ct_scalar_i(b));
    }
}

int ct_cpu_bernoulli(const ct_kernel_args *a) {
    const ct_iter *it = a->iter;
    if (a->nscalars) return ct_cpu_random_fill(a);   /* a scalar p */
    bernoulli_ctx c = {a->gen, it->tensors[0]->dtype, it->tensors[1]->dtype, 0};
    ct_iter_run_range(it, loop_bernoulli_tensor, &c, 0, it->numel);
    if (c.bad)
        return ct_error(CT_ERR_RUNTIME, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this "
                        "error message be improved?  If so, please report an enhancement request to PyTorch.)");
    return 0;
}

/* ---- randperm: Fisher-Yates with random() % (n - i); from n = 2^32 / 20 up, PyTorch
 * switches to the inside-out variant with random64() % (i + 1) ---- */
#define CT_DEF_RANDPERM(E, T, C, m, unused)                                                   \
    static void randperm_##E(T *r, int64_t n, ct_generator *g) {                             \
        if (n < (int64_t)(UINT32_MAX / 20)) {                                                 \
            for (int64_t i = 0; i < n; i++) CT_STORE_##E(r + i, i);                           \
            for (int64_t i = 0; i < n - 1; i++) {                                             \
                int64_t z = (int64_t)(ct_rng_random(g) % (uint64_t)(n - i));                  \
                T save = r[i];                                                                \
                r[i] = r[z + i];                                                              \
                r[z + i] = save;                                                              \
            }                                                                                 \
        } else {                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                 \
                int64_t z = (int64_t)(ct_rng_random64(g) % (uint64_t)(i + 1));                \
                CT_STORE_##E(r + i, i);                                                       \
                r[i] = r[z];                                                                  \
                CT_STORE_##E(r + z, i);                                                       \
            }                                                                                 \
        }                                                                                     \
    }
CT_DTYPES_NUM(CT_DEF_RANDPERM, 0)

int ct_cpu_randperm(const ct_kernel_args *a) {
    ct_tensor *t = a->tensors[0];   /* contiguous, 1-D */
    switch (t->dtype) {
#define CT_RANDPERM_CASE(E, T, C, m, unused) \
    case CT_##E: randperm_##E((T *)ct_data(t), t->sizes[0], a->gen); break;
        CT_DTYPES_NUM(CT_RANDPERM_CASE, 0)
    default: break;
    }
    return 0;
}

/* ---- poisson: PyTorch's sample_poisson (NumPy's: transformed rejection from rate 10 up,
 * multiplication of uniforms below) on double uniforms ---- */
static int64_t sample_poisson(double lambda, ct_generator *g) {
    if (lambda >= 10) {
        double slam = sqrt(lambda), loglam = log(lambda);
        double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
        double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
        for (;;) {
            double U = ct_rng_uniform_double(g) - 0.5, V = ct_rng_uniform_double(g);
            double us = 0.5 - fabs(U);
            int64_t k = (int64_t)floor((2 * a / us + b) * U + lambda + 0.43);
            if (us >= 0.07 && V <= vr) return k;
            if (k < 0 || (us < 0.013 && V > us)) continue;
            if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lambda + (double)k * loglam - lgamma((double)k + 1))
                return k;
        }
    }
    if (lambda == 0) return 0;
    double enlam = exp(-lambda), prod = 1.0;
    int64_t x = 0;
    for (;;) {
        prod *= ct_rng_uniform_double(g);
        if (prod > enlam) x++;
        else return x;
    }
}

typedef struct {
    ct_generator *g;
    ct_dtype dt;
    int bad;
} poisson_ctx;

static void loop_poisson(char **data, const int64_t *st, int64_t n, void *ctx) {
    poisson_ctx *c = ctx;
    for (int64_t i = 0; i < n && !c->bad; i++) {
        double lambda = ct_load_scalar(data[1] + i * st[1], c->dt).d;
        if (!(lambda >= 0)) c->bad = 1;
        else ct_store_scalar(data[0] + i * st[0], c->dt, ct_scalar_f((double)sample_poisson(lambda, c->g)));
    }
}

int ct_cpu_poisson(const ct_kernel_args *a) {
    poisson_ctx c = {a->gen, a->iter->tensors[0]->dtype, 0};
    ct_iter_run_range(a->iter, loop_poisson, &c, 0, a->iter->numel);
    if (c.bad) return ct_error(CT_ERR_RUNTIME, "invalid Poisson rate, expected rate to be non-negative");
    return 0;
}

/* ---- gamma: PyTorch's sample_gamma (Marsaglia and Tsang 2000, alpha < 1 boosted
 * by U^(1/alpha)) on double uniforms and the generator's cached Box-Muller normals.
 * single: a float sample, whose alpha arithmetic PyTorch does in float (its
 * constants are float literals), so the draws match bit for bit */
static double sample_gamma(double alpha, bool single, ct_generator *g) {
    double scale = 1.0;
    if (alpha < 1.0) {
        if (alpha == 0) return 0;
        double expo = single ? (double)(1.0f / (float)alpha) : 1.0 / alpha;
        scale *= pow(1 - ct_rng_uniform_double(g), expo);
        alpha = single ? (double)((float)alpha + 1.0f) : alpha + 1.0;
    }
    double d = single ? (double)((float)alpha - 1.0f / 3.0f) : alpha - (double)(1.0f / 3.0f);
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, y;
        do {
            x = normal_double(g, 0.0, 1.0, false);
            y = 1.0 + c * x;
        } while (y <= 0);
        double v = y * y * y, u = 1 - ct_rng_uniform_double(g), xx = x * x;
        if (u < 1.0 - (double)0.0331f * xx * xx) return scale * d * v;
        if (log(u) < 0.5 * xx + d * (1.0 - v + log(v))) return scale * d * v;
    }
}

typedef struct {
    ct_generator *g;
    ct_dtype out_dt, in_dt;
} gamma_ctx;

/* out = max(tiny of out's dtype, gamma(alpha)), alpha read as double */
static void loop_gamma(char **data, const int64_t *st, int64_t n, void *ctx) {
    gamma_ctx *c = ctx;
    double tiny = c->out_dt == CT_FLOAT64 ? 2.2250738585072014e-308 : c->out_dt == CT_FLOAT32 ? 1.1754943508222875e-38
                  : c->out_dt == CT_FLOAT16 ? 6.103515625e-05 : 1.1754943508222875e-38;
    for (int64_t i = 0; i < n; i++) {
        double v = sample_gamma(ct_load_scalar(data[1] + i * st[1], c->in_dt).d, c->out_dt != CT_FLOAT64, c->g);
        ct_store_scalar(data[0] + i * st[0], c->out_dt, ct_scalar_f(v > tiny ? v : tiny));
    }
}

/* iterator: out, alpha (any floating dtypes; float64 out for the Dirichlet's draws) */
int ct_cpu_standard_gamma(const ct_kernel_args *a) {
    gamma_ctx c = {a->gen, a->iter->tensors[0]->dtype, a->iter->tensors[1]->dtype};
    ct_iter_run_range(a->iter, loop_gamma, &c, 0, a->iter->numel);
    return 0;
}

/* ---- multinomial ----
 * With replacement (PyTorch's CPU kernel): per row, the cumulative sums in the
 * accumulation type (double for float64, float otherwise) divided by the total,
 * the last set to 1; each sample is the first slot whose sum is >= a double uniform.
 * Without replacement the op layer has made keys p / Exp(1) (the Gumbel-top-k trick,
 * as PyTorch); here the num_samples largest keys of each row, largest first. */
#define CT_CUMSUM_CASE(E, T, C, m, ACC)                                 \
    case CT_##E:                                                        \
        for (int64_t j = 0; j < cats; j++) {                            \
            sum += (ACC)CT_LOAD_##E((const T *)(row + j * cs * isz));   \
            cum[j] = sum;                                               \
        }                                                               \
        break;
#define CT_DEF_MULTINOMIAL(ACC)                                                                  \
    static void multinomial_##ACC(const ct_tensor *p, int64_t *out, int64_t n_sample, ACC *cum,  \
                                  ct_generator *g) {                                            \
        int64_t rows = p->ndim == 2 ? p->sizes[0] : 1, cats = p->sizes[p->ndim - 1];             \
        int64_t rs = p->ndim == 2 ? p->strides[0] : 0, cs = p->strides[p->ndim - 1];             \
        int64_t isz = ct_itemsize(p->dtype);                                                      \
        for (int64_t r = 0; r < rows; r++) {                                                     \
            ACC sum = 0;                                                                          \
            const char *row = ct_data(p) + r * rs * isz;                                          \
            switch (p->dtype) {                                                                   \
                CT_DTYPES_FLOAT(CT_CUMSUM_CASE, ACC)                                              \
            default: break;                                                                       \
            }                                                                                     \
            for (int64_t j = 0; j < cats; j++) cum[j] /= sum;                                     \
            cum[cats - 1] = 1;                                                                    \
            for (int64_t s = 0; s < n_sample; s++) {                                             \
                double u = ct_rng_uniform_double(g);                                              \
                int64_t lo = 0, hi = cats;                                                        \
                while (hi > lo) {                                                                 \
                    int64_t mid = lo + (hi - lo) / 2;                                             \
                    if (cum[mid] < u) lo = mid + 1;                                               \
                    else hi = mid;                                                                \
                }                                                                                 \
                out[r * n_sample + s] = lo;                                                       \
            }                                                                                     \
        }                                                                                         \
    }
CT_DEF_MULTINOMIAL(float)
CT_DEF_MULTINOMIAL(double)

typedef struct {
    double key;
    int64_t index;
} keyed;

/* a before b in the result: the larger key, or the lower index among equal keys */
static inline bool before(keyed a, keyed b) { return a.key > b.key || (a.key == b.key && a.index < b.index); }

static inline void swap_keyed(keyed *a, keyed *b) {
    keyed t = *a;
    *a = *b;
    *b = t;
}

/* order a[lo, hi) far enough that a[0, k) holds the first k entries in order:
 * quicksort that only descends into parts overlapping [0, k) */
static void partial_sort(keyed *a, int64_t lo, int64_t hi, int64_t k) {
    while (hi - lo > 16 && lo < k) {
        int64_t mid = lo + (hi - lo) / 2;   /* median of three as the pivot, at mid */
        if (before(a[mid], a[lo])) swap_keyed(&a[mid], &a[lo]);
        if (before(a[hi - 1], a[mid])) swap_keyed(&a[hi - 1], &a[mid]);
        if (before(a[mid], a[lo])) swap_keyed(&a[mid], &a[lo]);
        keyed pivot = a[mid];
        int64_t i = lo, j = hi - 1;
        while (i <= j) {
            while (before(a[i], pivot)) i++;
            while (before(pivot, a[j])) j--;
            if (i <= j) swap_keyed(&a[i++], &a[j--]);
        }
        partial_sort(a, lo, j + 1, k);
        lo = i;
    }
    for (int64_t i = lo + 1; i < hi && lo < k; i++)   /* short parts: insertion sort */
        for (int64_t j = i; j > lo && before(a[j], a[j - 1]); j--) swap_keyed(&a[j], &a[j - 1]);
}

/* per row, the indices of the n_sample largest keys, largest first */
static int top_keys(const ct_tensor *keys, int64_t *out, int64_t n_sample) {
    int64_t rows = keys->ndim == 2 ? keys->sizes[0] : 1, cats = keys->sizes[keys->ndim - 1];
    int64_t rs = keys->ndim == 2 ? keys->strides[0] : 0, cs = keys->strides[keys->ndim - 1];
    int64_t isz = ct_itemsize(keys->dtype);
    keyed *k = malloc(sizeof(keyed) * (size_t)cats);
    if (!k) return ct_error(CT_ERR_NOMEM, "multinomial: out of memory");
    for (int64_t r = 0; r < rows; r++) {
        const char *row = ct_data(keys) + r * rs * isz;
        switch (keys->dtype) {
#define CT_KEYS_CASE(E, T, C, m, unused)                                          \
    case CT_##E:                                                                  \
        for (int64_t j = 0; j < cats; j++) {                                      \
            k[j].key = CT_LOAD_##E((const T *)(row + j * cs * isz));              \
            k[j].index = j;                                                       \
        }                                                                         \
        break;
            CT_DTYPES_FLOAT(CT_KEYS_CASE, 0)
        default: break;
        }
        if (n_sample == 1) {   /* argmax: the first of the largest */
            for (int64_t j = 1; j < cats; j++)
                if (before(k[j], k[0])) k[0] = k[j];
        } else {
            partial_sort(k, 0, cats, n_sample);
        }
        for (int64_t s = 0; s < n_sample; s++) out[r * n_sample + s] = k[s].index;
    }
    free(k);
    return 0;
}

int ct_cpu_multinomial(const ct_kernel_args *a) {
    ct_tensor *out = a->tensors[0], *p = a->tensors[1];   /* out: contiguous int64 */
    int64_t n_sample = a->ints[0];
    if (!a->ints[1]) return top_keys(p, (int64_t *)ct_data(out), n_sample);
    int64_t cats = p->sizes[p->ndim - 1];
    void *cum = malloc((size_t)cats * (p->dtype == CT_FLOAT64 ? sizeof(double) : sizeof(float)));
    if (!cum) return ct_error(CT_ERR_NOMEM, "multinomial: out of memory");
    if (p->dtype == CT_FLOAT64) multinomial_double(p, (int64_t *)ct_data(out), n_sample, cum, a->gen);
    else multinomial_float(p, (int64_t *)ct_data(out), n_sample, cum, a->gen);
    free(cum);
    return 0;
}
