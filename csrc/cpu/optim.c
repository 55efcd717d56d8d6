/* The optimizer updates (ops/optim.c prepares them): one pass over each
 * parameter, its gradient and its state tensors, all dense and laid out
 * alike, so each loop runs flat over memory; a group's parameters share one
 * parallel region. The operations and their order are those of PyTorch's
 * single-tensor implementations (foreach=False) as its vectorized CPU kernels
 * compute them: add(alpha), lerp and addcmul round once (multiply-adds),
 * addcdiv is a + (v * b) / c, scalars are cast to the tensor's dtype. float16
 * and bfloat16 compute in float32 and round once per update (as PyTorch's
 * fused kernels do). Compiled twice, as elementwise.c: optim_avx2.c has FMA. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ct_kernels.h"
#include "loops.h"

/* a * b + c: one rounding where the build has FMA (PyTorch's AVX2 / AVX-512 kernels), two otherwise */
#ifdef CT_OPTIM_FMA
#define CT_MADD(a, b, c) _Generic((a), float: fmaf, double: fma)(a, b, c)
#else
#define CT_MADD(a, b, c) ((a) * (b) + (c))
#endif
#define CT_SQRT(x) _Generic((x), float: sqrtf, double: sqrt)(x)
/* torch.maximum: NaN wins */
#define CT_MAXIMUM(a, b) (((a) != (a) || (a) > (b)) ? (a) : (b))

/* the operands (param, grad, states) as T pointers, the flags every rule reads and
 * the weight decay c[0]; lerp weights w as PyTorch's lerp uses them (see CT_OPTIM_LERP) */
#define CT_OPTIM_LOCALS(T, C)                                                                                 \
    T *P = (T *)d[0], *S0 = (T *)d[2], *S1 = (T *)d[3], *S2 = (T *)d[4];                                      \
    const T *G = (const T *)d[1];                                                                             \
    const bool mx = fl & CT_OPTIM_MAXIMIZE, l2 = fl & CT_OPTIM_L2;                                            \
    const C wd = (C)c[0];                                                                                     \
    (void)S1, (void)S2, (void)wd
#define CT_LERP_WEIGHT(C, name, w)                                                                            \
    const C name##_w = (C)(w);                                                                                \
    const bool name##_small = CT_ABS(name##_w) < (C)0.5;                                                      \
    const C name##_coef = name##_small ? name##_w : name##_w - (C)1
/* lerp(a, b, w) = a + w (b - a) for |w| < 0.5, else b - (1 - w) (b - a), fused */
#define CT_OPTIM_LERP(name, a, b) CT_MADD(name##_coef, (b) - (a), name##_small ? (a) : (b))
/* the gradient as the rules use it: negated to maximize, plus L2 weight decay */
#define CT_GRAD(p, g) ((g) = mx ? -(g) : (g), (g) = l2 ? CT_MADD(wd, p, g) : (g))
#define CT_LD(E, X) CT_LOAD_##E((X) + i)
#define CT_ST(E, X, v) CT_STORE_##E((X) + i, v)

/* SGD: c = {wd, momentum, 1 - dampening, -lr}; S0 the momentum buffer */
#define CT_SGD(E, T, C, m, _)                                                                                 \
    static void sgd_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                    \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        const C mom = (C)c[1], damp1 = (C)c[2], nlr = (C)c[3];                                                \
        const bool nest = fl & CT_OPTIM_NESTEROV;                                                             \
        if (!(fl & CT_OPTIM_MOMENTUM)) {                                                                      \
            for (int64_t i = lo; i < hi; i++) {                                                               \
                C p = CT_LD(E, P), g = CT_LD(E, G);                                                           \
                CT_GRAD(p, g);                                                                                \
                CT_ST(E, P, CT_MADD(nlr, g, p));                                                              \
            }                                                                                                 \
        } else if (fl & CT_OPTIM_FIRST) { /* the new buffer starts as the gradient */                         \
            for (int64_t i = lo; i < hi; i++) {                                                               \
                C p = CT_LD(E, P), g = CT_LD(E, G);                                                           \
                CT_GRAD(p, g);                                                                                \
                CT_ST(E, S0, g);                                                                              \
                CT_ST(E, P, CT_MADD(nlr, nest ? CT_MADD(mom, g, g) : g, p));                                  \
            }                                                                                                 \
        } else {                                                                                              \
            for (int64_t i = lo; i < hi; i++) {                                                               \
                C p = CT_LD(E, P), g = CT_LD(E, G), b = CT_LD(E, S0);                                         \
                CT_GRAD(p, g);                                                                                \
                b = CT_MADD(damp1, g, b * mom);                                                               \
                CT_ST(E, S0, b);                                                                              \
                CT_ST(E, P, CT_MADD(nlr, nest ? CT_MADD(mom, b, g) : b, p));                                  \
            }                                                                                                 \
        }                                                                                                     \
    }

/* Adam / AdamW: c = {wd, decay, 1 - beta1, beta2, 1 - beta2, sqrt(bias_correction2), eps, -step_size};
 * S0 exp_avg, S1 exp_avg_sq, S2 max_exp_avg_sq (AMS) */
#define CT_ADAM_LOOP(E, C, AMS)                                                                               \
    for (int64_t i = lo; i < hi; i++) {                                                                       \
        C p = CT_LD(E, P) * decay, g = CT_LD(E, G), ea = CT_LD(E, S0), sq = CT_LD(E, S1), v;                  \
        CT_GRAD(p, g);                                                                                        \
        ea = CT_OPTIM_LERP(b1, ea, g);                                                                        \
        sq = CT_MADD(c2 * g, g, sq * b2);                                                                     \
        if (AMS) {                                                                                            \
            v = CT_MAXIMUM(CT_LD(E, S2), sq);                                                                 \
            CT_ST(E, S2, v);                                                                                  \
        } else {                                                                                              \
            v = sq;                                                                                           \
        }                                                                                                     \
        CT_ST(E, S0, ea);                                                                                     \
        CT_ST(E, S1, sq);                                                                                     \
        CT_ST(E, P, p + (nss * ea) / (CT_SQRT(v) / bc2s + eps));                                              \
    }
#define CT_ADAM(E, T, C, m, _)                                                                                \
    static void adam_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                   \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        CT_LERP_WEIGHT(C, b1, c[2]);                                                                          \
        const C decay = (C)c[1], b2 = (C)c[3], c2 = (C)c[4], bc2s = (C)c[5], eps = (C)c[6];                   \
        const C nss = (C)c[7];                                                                                \
        if (fl & CT_OPTIM_AMSGRAD) CT_ADAM_LOOP(E, C, 1)                                                      \
        else CT_ADAM_LOOP(E, C, 0)                                                                            \
    }

/* RMSprop: c = {wd, alpha, 1 - alpha, eps, momentum, -lr}; S0 square_avg, S1 momentum_buffer (MOM),
 * S2 grad_avg (CEN) */
#define CT_RMSPROP_LOOP(E, C, CEN, MOM)                                                                       \
    for (int64_t i = lo; i < hi; i++) {                                                                       \
        C p = CT_LD(E, P), g = CT_LD(E, G), sq = CT_LD(E, S0), avg;                                           \
        CT_GRAD(p, g);                                                                                        \
        sq = CT_MADD(c1 * g, g, sq * alpha);                                                                  \
        CT_ST(E, S0, sq);                                                                                     \
        if (CEN) {                                                                                            \
            C ga = CT_OPTIM_LERP(a1, CT_LD(E, S2), g);                                                        \
            CT_ST(E, S2, ga);                                                                                 \
            avg = CT_SQRT(CT_MADD(-ga, ga, sq)) + eps;                                                        \
        } else {                                                                                              \
            avg = CT_SQRT(sq) + eps;                                                                          \
        }                                                                                                     \
        if (MOM) {                                                                                            \
            C b = CT_LD(E, S1) * mom + g / avg;                                                               \
            CT_ST(E, S1, b);                                                                                  \
            CT_ST(E, P, CT_MADD(nlr, b, p));                                                                  \
        } else {                                                                                              \
            CT_ST(E, P, p + (nlr * g) / avg);                                                                 \
        }                                                                                                     \
    }
#define CT_RMSPROP(E, T, C, m, _)                                                                             \
    static void rmsprop_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        CT_LERP_WEIGHT(C, a1, c[2]);                                                                          \
        const C alpha = (C)c[1], c1 = (C)c[2], eps = (C)c[3], mom = (C)c[4], nlr = (C)c[5];                   \
        bool cen = fl & CT_OPTIM_CENTERED, mo = fl & CT_OPTIM_MOMENTUM;                                       \
        if (cen && mo) CT_RMSPROP_LOOP(E, C, 1, 1)                                                            \
        else if (cen) CT_RMSPROP_LOOP(E, C, 1, 0)                                                             \
        else if (mo) CT_RMSPROP_LOOP(E, C, 0, 1)                                                              \
        else CT_RMSPROP_LOOP(E, C, 0, 0)                                                                      \
    }

/* Adagrad: c = {wd, eps, -clr}; S0 sum */
#define CT_ADAGRAD(E, T, C, m, _)                                                                             \
    static void adagrad_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        const C eps = (C)c[1], nclr = (C)c[2];                                                                \
        for (int64_t i = lo; i < hi; i++) {                                                                   \
            C p = CT_LD(E, P), g = CT_LD(E, G), s;                                                            \
            CT_GRAD(p, g);                                                                                    \
            s = CT_MADD(g, g, CT_LD(E, S0));                                                                  \
            CT_ST(E, S0, s);                                                                                  \
            CT_ST(E, P, p + (nclr * g) / (CT_SQRT(s) + eps));                                                 \
        }                                                                                                     \
    }

/* Adadelta: c = {wd, rho, 1 - rho, eps, -lr}; S0 square_avg, S1 acc_delta */
#define CT_ADADELTA(E, T, C, m, _)                                                                            \
    static void adadelta_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {               \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        const C rho = (C)c[1], c1 = (C)c[2], eps = (C)c[3], nlr = (C)c[4];                                    \
        for (int64_t i = lo; i < hi; i++) {                                                                   \
            C p = CT_LD(E, P), g = CT_LD(E, G), sq = CT_LD(E, S0), acc = CT_LD(E, S1);                        \
            CT_GRAD(p, g);                                                                                    \
            sq = CT_MADD(c1 * g, g, sq * rho);                                                                \
            C delta = (CT_SQRT(acc + eps) / CT_SQRT(sq + eps)) * g;                                           \
            CT_ST(E, S0, sq);                                                                                 \
            CT_ST(E, S1, CT_MADD(c1 * delta, delta, acc * rho));                                              \
            CT_ST(E, P, CT_MADD(nlr, delta, p));                                                              \
        }                                                                                                     \
    }

/* Adamax: c = {wd, 1 - beta1, beta2, eps, -clr}; S0 exp_avg, S1 exp_inf */
#define CT_ADAMAX(E, T, C, m, _)                                                                              \
    static void adamax_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                 \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        CT_LERP_WEIGHT(C, b1, c[1]);                                                                          \
        const C b2 = (C)c[2], eps = (C)c[3], nclr = (C)c[4];                                                  \
        for (int64_t i = lo; i < hi; i++) {                                                                   \
            C p = CT_LD(E, P), g = CT_LD(E, G), ea = CT_LD(E, S0), ei = CT_LD(E, S1) * b2;                    \
            CT_GRAD(p, g);                                                                                    \
            ea = CT_OPTIM_LERP(b1, ea, g);                                                                    \
            C ga = CT_ABS(g) + eps;                                                                           \
            ei = CT_MAXIMUM(ei, ga);                                                                          \
            CT_ST(E, S0, ea);                                                                                 \
            CT_ST(E, S1, ei);                                                                                 \
            CT_ST(E, P, p + (nclr * ea) / ei);                                                                \
        }                                                                                                     \
    }

/* NAdam: c = {wd, decay, 1 - beta1, beta2, 1 - beta2, bias_correction2, eps, grad's and exp_avg's step
 * sizes}; S0 exp_avg, S1 exp_avg_sq */
#define CT_NADAM(E, T, C, m, _)                                                                               \
    static void nadam_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                  \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        CT_LERP_WEIGHT(C, b1, c[2]);                                                                          \
        const C decay = (C)c[1], b2 = (C)c[3], c2 = (C)c[4], bc2 = (C)c[5], eps = (C)c[6];                    \
        const C sg = (C)c[7], sa = (C)c[8];                                                                   \
        for (int64_t i = lo; i < hi; i++) {                                                                   \
            C p = CT_LD(E, P) * decay, g = CT_LD(E, G), ea = CT_LD(E, S0), sq = CT_LD(E, S1);                 \
            CT_GRAD(p, g);                                                                                    \
            ea = CT_OPTIM_LERP(b1, ea, g);                                                                    \
            sq = CT_MADD(c2 * g, g, sq * b2);                                                                 \
            C den = CT_SQRT(sq / bc2) + eps;                                                                  \
            p = p + (sg * g) / den;                                                                           \
            CT_ST(E, S0, ea);                                                                                 \
            CT_ST(E, S1, sq);                                                                                 \
            CT_ST(E, P, p + (sa * ea) / den);                                                                 \
        }                                                                                                     \
    }

/* RAdam: c = {wd, decay, 1 - beta1, beta2, 1 - beta2, bias_correction1, lr, sqrt(bias_correction2), eps,
 * rect}; S0 exp_avg, S1 exp_avg_sq. Rectified (RECTIFY): lr * adaptive lr * rect, the adaptive lr
 * computed as PyTorch's float / tensor does, a reciprocal times the float */
#define CT_RADAM(E, T, C, m, _)                                                                               \
    static void radam_##E(char *const *d, const double *c, int fl, int64_t lo, int64_t hi) {                  \
        CT_OPTIM_LOCALS(T, C);                                                                                \
        CT_LERP_WEIGHT(C, b1, c[2]);                                                                          \
        const C decay = (C)c[1], b2 = (C)c[3], c2 = (C)c[4], bc1 = (C)c[5], lr = (C)c[6];                     \
        const C bc2s = (C)c[7], eps = (C)c[8], rect = (C)c[9];                                                \
        const bool rectify = fl & CT_OPTIM_RECTIFY;                                                           \
        for (int64_t i = lo; i < hi; i++) {                                                                   \
            C p = CT_LD(E, P) * decay, g = CT_LD(E, G), ea = CT_LD(E, S0), sq = CT_LD(E, S1);                 \
            CT_GRAD(p, g);                                                                                    \
            ea = CT_OPTIM_LERP(b1, ea, g);                                                                    \
            sq = CT_MADD(c2 * g, g, sq * b2);                                                                 \
            C u = (ea / bc1) * lr;                                                                            \
            u = rectify ? (u * (((C)1 / (CT_SQRT(sq) + eps)) * bc2s)) * rect : u;                             \
            CT_ST(E, S0, ea);                                                                                 \
            CT_ST(E, S1, sq);                                                                                 \
            CT_ST(E, P, p - u);                                                                               \
        }                                                                                                     \
    }

CT_DTYPES_FLOAT(CT_SGD, _)
CT_DTYPES_FLOAT(CT_ADAM, _)
CT_DTYPES_FLOAT(CT_RMSPROP, _)
CT_DTYPES_FLOAT(CT_ADAGRAD, _)
CT_DTYPES_FLOAT(CT_ADADELTA, _)
CT_DTYPES_FLOAT(CT_ADAMAX, _)
CT_DTYPES_FLOAT(CT_NADAM, _)
CT_DTYPES_FLOAT(CT_RADAM, _)

/* one rule over elements [lo, hi) of the operands d, with coefficients c and flags fl */
typedef void (*optim_loop)(char *const *d, const double *c, int fl, int64_t lo, int64_t hi);

#define CT_OPTIM_ENTRY(E, T, C, m, rule) [CT_##E] = rule##_##E,
static const optim_loop loops[CT_OPTIM_NUM_KINDS][CT_NUM_DTYPES] = {
    [CT_OPTIM_SGD] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, sgd)},
    [CT_OPTIM_ADAM] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, adam)},
    [CT_OPTIM_RMSPROP] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, rmsprop)},
    [CT_OPTIM_ADAGRAD] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, adagrad)},
    [CT_OPTIM_ADADELTA] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, adadelta)},
    [CT_OPTIM_ADAMAX] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, adamax)},
    [CT_OPTIM_NADAM] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, nadam)},
    [CT_OPTIM_RADAM] = {CT_DTYPES_FLOAT(CT_OPTIM_ENTRY, radam)},
};

/* elements [lo, hi) of the group's parameters laid end to end: each parameter's share of the range */
static void run_range(const ct_kernel_args *a, int64_t lo, int64_t hi) {
    int kind = (int)a->ints[0], n = a->nints - 1;
    int64_t off = 0;
    for (int i = 0; i < n && off < hi; i++) {
        ct_tensor *const *ops = a->tensors + i * CT_OPTIM_OPERANDS;
        int64_t size = ct_numel(ops[0]), b = lo > off ? lo - off : 0, e = hi - off < size ? hi - off : size;
        if (b < e) {
            char *d[CT_OPTIM_OPERANDS];
            double c[CT_OPTIM_MAX_COEFS];
            for (int k = 0; k < CT_OPTIM_OPERANDS; k++) d[k] = ops[k] ? ct_data(ops[k]) : NULL;
            for (int k = 0; k < CT_OPTIM_MAX_COEFS; k++) c[k] = a->scalars[i * CT_OPTIM_MAX_COEFS + k].d;
            loops[kind][ops[0]->dtype](d, c, (int)a->ints[1 + i], b, e);
        }
        off += size;
    }
}

/* a group's update (ct_ops.h): one parallel region over all its elements, split evenly among the threads
 * (whole vectors each), so a step waits for its threads once, not once per parameter */
int CT_ISA(ct_cpu_optim_step)(const ct_kernel_args *a) {
    int64_t total = 0;
    for (int i = 0; i < a->nints - 1; i++) {
        const ct_tensor *p = a->tensors[i * CT_OPTIM_OPERANDS];
        if (!loops[a->ints[0]][p->dtype]) return ct_error_dtype("optim_step", p->dtype);
        total += ct_numel(p);
    }
    int nt = total >= CT_GRAIN ? ct_get_num_threads() : 1;
    if (nt < 2) {
        run_range(a, 0, total);
        return 0;
    }
#pragma omp parallel num_threads(nt)
    {
        int t = 0, k = 1;
#ifdef _OPENMP
        t = omp_get_thread_num(), k = omp_get_num_threads();
#endif
        int64_t lo = (total * t / k) & ~(int64_t)15, hi = t == k - 1 ? total : (total * (t + 1) / k) & ~(int64_t)15;
        run_range(a, lo, hi);
    }
    return 0;
}
