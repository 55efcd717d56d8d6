/* CPU kernels of the nn normalization family (ops/nn_norm.c checks and shapes):
 * batch, layer and group norm forward and backward, softmax and log_softmax
 * forward and backward, and the fused activations of ops/nn_act.def.
 * Compiled twice, like elementwise.c: as is, and under AVX2 + FMA from
 * nn_norm_avx2.c (CT_ISA names the entry points). */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ct_kernels.h"
#include "fast_exp.h"
#include "loops.h"

/* ---- float math that vectorizes (erf, expm1 on top of ct_fast_expf) ---- */

/* erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), as PyTorch's vectorized erf */
CT_INLINE float ct_fast_erff(float x) {
    float a = fabsf(x), t = 1.0f / (1.0f + 0.3275911f * a);
    float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    return copysignf(1.0f - p * ct_fast_expf(-a * a), x);
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

#define NN_EXP(v) _Generic((v), float: ct_fast_expf, default: exp)(v)
#define ACT_EXPM1(v) _Generic((v), float: ct_fast_expm1f, default: expm1)(v)
#define ACT_EXP(v) NN_EXP(v)
#define ACT_ERF(v) _Generic((v), float: ct_fast_erff, default: erf)(v)

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946
#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT1_2 0.70710678118654752440
#define SQRT_2_OVER_PI 0.79788456080286535588

/* derivatives too long for a table line (type-generic through the compute type) */
#define CT_DEF_GRADS(C)                                                                   \
    static inline C gelu_tanh_grad_##C(C x) {                                            \
        C k = (C)SQRT_2_OVER_PI, t = CT_M(tanh, k * (x + (C)0.044715 * x * x * x));      \
        return (C)0.5 * (1 + t) + (C)0.5 * x * (1 - t * t) * k * (1 + (C)(3 * 0.044715) * x * x); \
    }                                                                                     \
    static inline C silu_grad_##C(C x) {                                                 \
        C s = 1 / (1 + ACT_EXP(-x));                                                      \
        return s * (1 + x * (1 - s));                                                     \
    }                                                                                     \
    static inline C mish_grad_##C(C x) {                                                 \
        C t = CT_M(tanh, CT_M(log1p, ACT_EXP(x))), s = 1 / (1 + ACT_EXP(-x));             \
        return t + x * s * (1 - t * t);                                                   \
    }
CT_DEF_GRADS(float)
CT_DEF_GRADS(double)
#define gelu_tanh_grad(x) _Generic((x), float: gelu_tanh_grad_float, default: gelu_tanh_grad_double)(x)
#define silu_grad(x) _Generic((x), float: silu_grad_float, default: silu_grad_double)(x)
#define mish_grad(x) _Generic((x), float: mish_grad_float, default: mish_grad_double)(x)

static int threads_for(int64_t work) { return work >= CT_GRAIN ? ct_get_num_threads() : 1; }
#ifdef _OPENMP
static int thread_id(void) { return omp_get_thread_num(); }
#else
static int thread_id(void) { return 0; }
#endif

/* ---- activations: one loop per (activation, float dtype); forward operands {out, x},
 * backward {gx, g, x}; params s0, s1 from the scalars ---- */

#define ACT_FWD_LOOP(E, T, CT_, m, name, fwd)                                                   \
    static void act_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx) {     \
        typedef CT_ C;                                                                        \
        const ct_scalar *p = ctx;                                                             \
        const C s0 = (C)p[0].d, s1 = (C)p[1].d;                                               \
        (void)s0, (void)s1;                                                                   \
        if (st[0] == sizeof(T) && st[1] == sizeof(T)) {                                       \
            T *o = (T *)data[0];                                                              \
            const T *in = (const T *)data[1];                                                 \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                             \
                C x = CT_LOAD_##E(in + i);                                                    \
                CT_STORE_##E(o + i, (fwd));                                                   \
            }                                                                                 \
        } else {                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                 \
                C x = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));                         \
                CT_STORE_##E(CT_AT(T, data[0], i, st[0]), (fwd));                             \
            }                                                                                 \
        }                                                                                     \
    }
#define ACT_BWD_LOOP(E, T, CT_, m, name, bwd)                                                   \
    static void act_grad_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx) { \
        typedef CT_ C;                                                                        \
        const ct_scalar *p = ctx;                                                             \
        const C s0 = (C)p[0].d, s1 = (C)p[1].d;                                               \
        (void)s0, (void)s1;                                                                   \
        if (st[0] == sizeof(T) && st[1] == sizeof(T) && st[2] == sizeof(T)) {                 \
            T *o = (T *)data[0];                                                              \
            const T *pg = (const T *)data[1], *px = (const T *)data[2];                       \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                             \
                C g = CT_LOAD_##E(pg + i), x = CT_LOAD_##E(px + i);                           \
                CT_STORE_##E(o + i, (bwd));                                                   \
            }                                                                                 \
        } else {                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                 \
                C g = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));                         \
                C x = CT_LOAD_##E(CT_AT(const T, data[2], i, st[2]));                         \
                CT_STORE_##E(CT_AT(T, data[0], i, st[0]), (bwd));                             \
            }                                                                                 \
        }                                                                                     \
    }
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd)                  \
    CT_DTYPES_FLOAT(ACT_FWD_LOOP, NAME, fwd)                                       \
    CT_DTYPES_FLOAT(ACT_BWD_LOOP, NAME, bwd)
#include "../ops/nn_act.def"
#undef CT_ACT

#define ACT_ENTRY(E, T, C, m, prefix, name) [CT_##E] = prefix##name##_##E,
static const ct_loop_fn act_loops[CT_NUM_ACTS][CT_NUM_DTYPES] = {
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) [CT_ACT_##NAME] = {CT_DTYPES_FLOAT(ACT_ENTRY, act_, NAME)},
#include "../ops/nn_act.def"
#undef CT_ACT
};
static const ct_loop_fn act_grad_loops[CT_NUM_ACTS][CT_NUM_DTYPES] = {
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) [CT_ACT_##NAME] = {CT_DTYPES_FLOAT(ACT_ENTRY, act_grad_, NAME)},
#include "../ops/nn_act.def"
#undef CT_ACT
};

/* ints {kind}; scalars {s0, s1}; the op layer checked the dtype */
int CT_ISA(ct_cpu_activation)(const ct_kernel_args *args) {
    bool backward = args->op == CT_OP_activation_backward;
    ct_dtype dt = args->iter->tensors[1]->dtype;
    ct_loop_fn loop = (backward ? act_grad_loops : act_loops)[args->ints[0]][dt];
    if (!loop) return ct_error_kernel_dtype(ct_activation_kernel_name((ct_activation)args->ints[0]), dt);
    ct_iter_run(args->iter, loop, (void *)args->scalars);
    return 0;
}

/* ---- norms and softmax: float and double (the op layer computes float16/bfloat16 in float) ---- */

typedef struct {
    int64_t A, C, B, G, KS, S;
} norm_shape;

/* running statistics: any floating dtype, any stride */
static double load_at(const ct_tensor *t, int64_t i) {
    return ct_load_scalar(ct_data(t) + i * t->strides[0] * ct_itemsize(t->dtype), t->dtype).d;
}
static void store_at(ct_tensor *t, int64_t i, double v) {
    ct_store_scalar(ct_data(t) + i * t->strides[0] * ct_itemsize(t->dtype), t->dtype, ct_scalar_f(v));
}

#define NN_COLS 64     /* columns per work item of a softmax over a non-innermost dim */
#define NN_BLOCK 256   /* elements summed in the element type before a double sum */
#define NN_FLUSH 32    /* rows of parameter gradients summed in the element type before a double sum */

#define T float
#define SUF f32
#include "nn_norm_tmpl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "nn_norm_tmpl.h"
#undef T
#undef SUF

/* ints {A, C, B, G, KS, S, mode}; scalars {eps, momentum} (forward) */
int CT_ISA(ct_cpu_norm)(const ct_kernel_args *args) {
    const int64_t *i = args->ints;
    norm_shape s = {i[0], i[1], i[2], i[3], i[4], i[5]};
    bool f64 = args->tensors[3]->dtype == CT_FLOAT64;
    if (args->op == CT_OP_norm) {
        if (f64) norm_forward_f64(args, &s);
        else norm_forward_f32(args, &s);
        return 0;
    }
    return f64 ? norm_backward_f64(args, &s) : norm_backward_f32(args, &s);
}

int CT_ISA(ct_cpu_softmax)(const ct_kernel_args *args) {
    bool backward = args->op == CT_OP_softmax_backward;
    if (args->tensors[1]->dtype == CT_FLOAT64) softmax_run_f64(args, backward);
    else softmax_run_f32(args, backward);
    return 0;
}
