/* Loss kernels, forward and backward, each one pass over the data:
 * - rows: log_softmax + nll (cross_entropy with class indices, label
 *   smoothing), plain nll, and cross_entropy with class probabilities, over
 *   the rows (n, s) of an input seen as (N, C, S);
 * - pointwise: mse, smooth_l1, huber, bce, bce_with_logits, kl_div,
 *   soft_margin over flat contiguous operands.
 * Shapes and dtypes are checked by the op layer (ops/nn_loss.c); target
 * values here, before anything is written. Sums are taken per row or per
 * fixed block in double and added in order, so a result does not depend on
 * the thread count. Compiled twice (nn_loss_avx2.c), like elementwise.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct_kernels.h"
#include "loops.h"

#define BLOCK 8192   /* elements per partial sum of the pointwise losses */

/* a * b + c fused where the target has FMA (the AVX2 build: -std=c11 contracts nothing by itself) */
#ifdef __FMA__
#define MADD(a, b, c) fmaf(a, b, c)
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

/* exp of x <= 0 (softmax shifts by the row maximum): a branch-free polynomial
 * the compiler vectorizes (libm's expf does not); 2 ulp; 0 below -87.3 */
static inline float exp_nonpos(float x) {
    float xc = x < -87.3f ? -87.3f : x;
    float t = MADD(xc, 1.44269504f, 12582912.0f);   /* adding 1.5 * 2^23 rounds to an integer */
    float k = t - 12582912.0f;
    float r = MADD(k, 2.12194440e-4f, MADD(k, -0.693359375f, xc));   /* ln 2 in two parts */
    float p = MADD(1.9875691500e-4f, r, 1.3981999507e-3f);
    p = MADD(p, r, 8.3334519073e-3f);
    p = MADD(p, r, 4.1665795894e-2f);
    p = MADD(p, r, 1.6666665459e-1f);
    p = MADD(p, r, 5.0000001201e-1f);
    p = MADD(p, r * r, r + 1.0f);
    uint32_t e = (ct_float_to_bits(t) - 0x4B400000u + 127u) << 23;   /* 2^k */
    return x < -87.3f ? 0.0f : p * ct_bits_to_float(e);
}
#define EXP_NONPOS(x) _Generic((x), float: exp_nonpos, double: exp)(x)

/* a class index of a target element (int64 or uint8) */
static inline int64_t load_class(const char *p, ct_dtype dt) { return dt == CT_UINT8 ? *(const uint8_t *)p : *(const int64_t *)p; }

/* ============================ rows ============================ */

/* the rows (n, s) of input (N, C, S); strides in elements */
typedef struct {
    int64_t N, nc, S, sN, sC, sS;    /* input: nc classes */
    int64_t tN, tS, tC;              /* target: (N, S) class indices, or (N, C, S) probabilities */
    const char *x, *t, *w;           /* input, target, weight (C) or NULL */
    ct_dtype tdt, wdt;
    int64_t ignore;
    bool log_softmax;
    double eps;                      /* label smoothing */
    double wsum;                     /* sum of the weights (nc without weights) */
} rows_t;

static rows_t rows_of(const ct_tensor *in, const ct_tensor *tg, const ct_tensor *w, bool probs) {
    rows_t r = {.N = in->sizes[0], .nc = in->sizes[1], .S = in->sizes[2], .sN = in->strides[0],
                .sC = in->strides[1], .sS = in->strides[2], .tN = tg->strides[0],
                .tS = tg->strides[probs ? 2 : 1], .tC = probs ? tg->strides[1] : 0,
                .x = ct_data(in), .t = ct_data(tg), .w = w ? ct_data(w) : NULL, .tdt = tg->dtype,
                .wdt = in->dtype};
    return r;
}

/* the first target outside [0, C) that is not ignored, as PyTorch's IndexError */
static int target_error(const rows_t *r) {
    int64_t isz = ct_itemsize(r->tdt);
    for (int64_t n = 0; n < r->N; n++)
        for (int64_t s = 0; s < r->S; s++) {
            int64_t t = load_class(r->t + (n * r->tN + s * r->tS) * isz, r->tdt);
            if (t != r->ignore && (t < 0 || t >= r->nc))
                return ct_error(CT_ERR_INDEX, "Target %lld is out of bounds.", (long long)t);
        }
    return 0;
}

/* lse of a contiguous row of float or double: max + log(sum exp(x - max)), vectorized. A NaN is skipped
 * by the max and makes the sum NaN; a row of -inf gets -inf (as PyTorch, no shift: its loss is NaN). */
#define CT_DEF_LSE(C, name, LOG)                                                                          \
    static C name(const C *x, int64_t n) {                                                                \
        C mx = -INFINITY, sum = 0;                                                                        \
        _Pragma("omp simd reduction(max : mx)")                                                           \
        for (int64_t c = 0; c < n; c++) mx = x[c] > mx ? x[c] : mx;                                       \
        if (mx == -INFINITY) return mx;                                                                   \
        _Pragma("omp simd reduction(+ : sum)")                                                            \
        for (int64_t c = 0; c < n; c++) sum += EXP_NONPOS(x[c] - mx);                                     \
        return mx + LOG(sum);                                                                             \
    }
CT_DEF_LSE(float, lse_f, logf)
CT_DEF_LSE(double, lse_d, log)

/* One dtype's row kernels: E the dtype, T storage, C compute type. */
#define CT_DEF_ROWS(E, T, C, m, unused)                                                                   \
    /* lse of a row of n with stride st: the vectorized loops when it is contiguous float or double */    \
    static C row_lse_##E(const T *x, int64_t n, int64_t st) {                                             \
        if (st == 1 && sizeof(T) == sizeof(C))                                                            \
            return _Generic((C)0, float: lse_f, default: lse_d)((const void *)x, n);                      \
        C mx = -INFINITY, sum = 0;                                                                        \
        for (int64_t c = 0; c < n; c++) {                                                                 \
            C v = CT_LOAD_##E(x + c * st);                                                                \
            mx = v > mx ? v : mx;                                                                         \
        }                                                                                                 \
        if (mx == -INFINITY) return mx;                                                                   \
        for (int64_t c = 0; c < n; c++) sum += EXP_NONPOS((C)(CT_LOAD_##E(x + c * st) - mx));             \
        return mx + CT_M(log, sum);                                                                       \
    }                                                                                                     \
    /* class targets: loss and weight of rows [r0, r1) (flat n * S + s) */                                \
    static void class_rows_##E(const rows_t *r, C *lse, double *loss, double *wt, int64_t r0, int64_t r1) { \
        const T *w = (const T *)r->w;                                                                     \
        int64_t isz = ct_itemsize(r->tdt);                                                                \
        for (int64_t i = r0; i < r1; i++) {                                                               \
            int64_t n = i / r->S, s = i % r->S;                                                           \
            const T *x = (const T *)r->x + n * r->sN + s * r->sS;                                         \
            int64_t t = load_class(r->t + (n * r->tN + s * r->tS) * isz, r->tdt);                         \
            C l = r->log_softmax ? row_lse_##E(x, r->nc, r->sC) : 0;                                       \
            if (lse) lse[i] = l;                                                                          \
            if (t == r->ignore || t < 0 || t >= r->nc) {                                                   \
                loss[i] = wt[i] = 0;                                                                      \
                continue;                                                                                 \
            }                                                                                             \
            double w_t = w ? (double)CT_LOAD_##E(w + t) : 1.0;                                            \
            double v = -w_t * ((double)CT_LOAD_##E(x + t * r->sC) - l);                                   \
            if (r->eps > 0) { /* smoothing: -sum_c w_c logp_c, spread over the classes */                 \
                double sm = 0;                                                                            \
                for (int64_t c = 0; c < r->nc; c++)                                                        \
                    sm -= (w ? (double)CT_LOAD_##E(w + c) : 1.0) * ((double)CT_LOAD_##E(x + c * r->sC) - l); \
                v = (1 - r->eps) * v + r->eps / (double)r->nc * sm;                                        \
            }                                                                                             \
            loss[i] = v;                                                                                  \
            wt[i] = w_t;                                                                                  \
        }                                                                                                 \
    }                                                                                                     \
    /* their gradient into gx (contiguous N, C, S); g: per row, or one value (gstride 0) times scale */   \
    static void class_rows_grad_##E(const rows_t *r, const C *lse, T *gx, const T *g, int64_t gstride,    \
                                    double scale, int64_t r0, int64_t r1) {                               \
        const T *w = (const T *)r->w;                                                                     \
        int64_t isz = ct_itemsize(r->tdt), C_ = r->nc, S = r->S;                                           \
        double b = r->eps / (double)C_;                                                                   \
        for (int64_t i = r0; i < r1; i++) {                                                               \
            int64_t n = i / S, s = i % S;                                                                 \
            const T *x = (const T *)r->x + n * r->sN + s * r->sS;                                         \
            T *o = gx + n * C_ * S + s;                                                                   \
            int64_t t = load_class(r->t + (n * r->tN + s * r->tS) * isz, r->tdt);                         \
            if (t == r->ignore || t < 0 || t >= C_) { /* (targets were checked by the forward) */         \
                for (int64_t c = 0; c < C_; c++) CT_STORE_##E(o + c * S, 0);                              \
                continue;                                                                                 \
            }                                                                                             \
            C gi = (C)((double)CT_LOAD_##E(g + i * gstride) * scale);                                     \
            C w_t = w ? CT_LOAD_##E(w + t) : (C)1;                                                        \
            if (!r->log_softmax) { /* nll: -w_t at the target */                                          \
                for (int64_t c = 0; c < C_; c++) CT_STORE_##E(o + c * S, 0);                              \
                CT_STORE_##E(o + t * S, -gi * w_t);                                                       \
                continue;                                                                                 \
            }                                                                                             \
            /* d/dx_j = (a + b W) p_j - a [j == t] - b w_j, a = (1 - eps) w_t */                          \
            C a = (C)(1 - r->eps) * w_t, bb = (C)b, pc = gi * (a + (C)(b * r->wsum)), l = lse[i];         \
            if (r->sC == 1 && S == 1 && !w && b == 0) {                                                   \
                for (int64_t c = 0; c < C_; c++) CT_STORE_##E(o + c, pc * EXP_NONPOS((C)(CT_LOAD_##E(x + c) - l))); \
            } else {                                                                                      \
                for (int64_t c = 0; c < C_; c++) {                                                        \
                    C p = EXP_NONPOS((C)(CT_LOAD_##E(x + c * r->sC) - l));                                \
                    C wc = w ? CT_LOAD_##E(w + c) : (C)1;                                                 \
                    CT_STORE_##E(o + c * S, pc * p - gi * bb * wc);                                       \
                }                                                                                         \
            }                                                                                             \
            CT_STORE_##E(o + t * S, CT_LOAD_##E(o + t * S) - gi * a);                                     \
        }                                                                                                 \
    }                                                                                                     \
    /* probability targets: y' = y (1 - eps) + eps / C; loss = -sum_c w_c y'_c (x_c - lse) */             \
    static void prob_rows_##E(const rows_t *r, C *lse, double *loss, int64_t r0, int64_t r1) {            \
        const T *w = (const T *)r->w;                                                                     \
        double keep = 1 - r->eps, add = r->eps / (double)r->nc;                                            \
        for (int64_t i = r0; i < r1; i++) {                                                               \
            int64_t n = i / r->S, s = i % r->S;                                                           \
            const T *x = (const T *)r->x + n * r->sN + s * r->sS;                                         \
            const T *y = (const T *)r->t + n * r->tN + s * r->tS;                                         \
            C l = row_lse_##E(x, r->nc, r->sC);                                                            \
            lse[i] = l;                                                                                   \
            double v = 0;                                                                                 \
            for (int64_t c = 0; c < r->nc; c++) {                                                          \
                double yc = (double)CT_LOAD_##E(y + c * r->tC) * keep + add;                              \
                v -= (w ? (double)CT_LOAD_##E(w + c) : 1.0) * yc * ((double)CT_LOAD_##E(x + c * r->sC) - l); \
            }                                                                                             \
            loss[i] = v;                                                                                  \
        }                                                                                                 \
    }                                                                                                     \
    /* gx_j = g (p_j sum_c w_c y'_c - w_j y'_j); gy_j = -g (1 - eps) w_j (x_j - lse) */                   \
    static void prob_rows_grad_##E(const rows_t *r, const C *lse, T *gx, T *gy, const T *g, int64_t gstride, \
                                   double scale, int64_t r0, int64_t r1) {                                \
        const T *w = (const T *)r->w;                                                                     \
        C keep = (C)(1 - r->eps), add = (C)(r->eps / (double)r->nc);                                       \
        int64_t C_ = r->nc, S = r->S;                                                                      \
        for (int64_t i = r0; i < r1; i++) {                                                               \
            int64_t n = i / S, s = i % S;                                                                 \
            const T *x = (const T *)r->x + n * r->sN + s * r->sS;                                         \
            const T *y = (const T *)r->t + n * r->tN + s * r->tS;                                         \
            C gi = (C)((double)CT_LOAD_##E(g + i * gstride) * scale), l = lse[i], sy = 0;                 \
            for (int64_t c = 0; c < C_; c++)                                                              \
                sy += (w ? CT_LOAD_##E(w + c) : (C)1) * (CT_LOAD_##E(y + c * r->tC) * keep + add);        \
            for (int64_t c = 0; c < C_; c++) {                                                            \
                C wc = w ? CT_LOAD_##E(w + c) : (C)1, xc = CT_LOAD_##E(x + c * r->sC);                    \
                C yc = CT_LOAD_##E(y + c * r->tC) * keep + add;                                           \
                if (gx) CT_STORE_##E(gx + n * C_ * S + c * S + s, gi * (EXP_NONPOS((C)(xc - l)) * sy - wc * yc)); \
                if (gy) CT_STORE_##E(gy + n * C_ * S + c * S + s, -gi * keep * wc * (xc - l));            \
            }                                                                                             \
        }                                                                                                 \
    }
CT_DTYPES_FLOAT(CT_DEF_ROWS, 0)

/* run body over rows [r0, r1) split among threads (work: elements read) */
#define CT_ROWS_RUN(nrows, work, body)                                                                    \
    do {                                                                                                  \
        int64_t nr_ = (nrows);                                                                            \
        int nt_ = work >= CT_GRAIN ? ct_get_num_threads() : 1;                                                      \
        if (nt_ > nr_) nt_ = nr_ > 0 ? (int)nr_ : 1;                                                      \
        _Pragma("omp parallel for num_threads(nt_) if (nt_ > 1) schedule(static)")                       \
        for (int k_ = 0; k_ < nt_; k_++) {                                                                \
            int64_t r0 = nr_ * k_ / nt_, r1 = nr_ * (k_ + 1) / nt_;                                       \
            body;                                                                                         \
        }                                                                                                 \
    } while (0)

/* the loss out of the row values: per row (none), their sum, or their mean (weighted by wt when given) */
static void finish_rows(ct_tensor *out, const double *loss, const double *wt, int64_t nrows, int reduction) {
    if (reduction == 0) {
        char *o = ct_data(out);
        int64_t isz = ct_itemsize(out->dtype);
        for (int64_t i = 0; i < nrows; i++) ct_store_scalar(o + i * isz, out->dtype, ct_scalar_f(loss[i]));
        return;
    }
    double sum = 0, div = 0;
    for (int64_t i = 0; i < nrows; i++) sum += loss[i], div += wt ? wt[i] : 1.0;
    ct_store_scalar(ct_data(out), out->dtype, ct_scalar_f(reduction == 1 ? sum / div : sum));
}

/* the divisor of a mean over class rows: the weights of the rows not ignored */
static double class_total_weight(const rows_t *r) {
    int64_t isz = ct_itemsize(r->tdt);
    double tw = 0;
    for (int64_t n = 0; n < r->N; n++)
        for (int64_t s = 0; s < r->S; s++) {
            int64_t t = load_class(r->t + (n * r->tN + s * r->tS) * isz, r->tdt);
            if (t == r->ignore || t < 0 || t >= r->nc) continue;
            tw += r->w ? ct_load_scalar(r->w + t * ct_itemsize(r->wdt), r->wdt).d : 1.0;
        }
    return tw;
}

/* tensors = {out (rows or 0-dim), lse (rows, compute dtype) or NULL, input (N, C, S), target (N, S),
 *            weight (C) or NULL};
 * ints = {reduction (0 none, 1 mean, 2 sum), ignore_index, log_softmax}; scalars = {label_smoothing}.
 * A mean divides by the weights of the targets not ignored. */
int CT_ISA(ct_cpu_nll_loss)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    rows_t r = rows_of(t[2], t[3], t[4], false);
    r.ignore = args->ints[1];
    r.log_softmax = args->ints[2] != 0;
    r.eps = args->scalars[0].d;
    if (target_error(&r) < 0) return -1;
    int64_t nrows = r.N * r.S;
    double *buf = malloc(sizeof(double) * (size_t)(2 * nrows + 1));
    if (!buf) return ct_error(CT_ERR_NOMEM, "nll_loss: out of memory");
    double *loss = buf, *wt = buf + nrows;
    switch (t[2]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E:                                                                                          \
        CT_ROWS_RUN(nrows, nrows * r.nc, class_rows_##E(&r, t[1] ? (C *)ct_data(t[1]) : NULL, loss, wt, r0, r1)); \
        break;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default:
        free(buf);
        return ct_error_kernel_dtype("nll_loss_out_frame", t[2]->dtype);
    }
    finish_rows(t[0], loss, wt, nrows, (int)args->ints[0]);
    free(buf);
    return 0;
}

/* tensors = {grad_input (N, C, S contiguous), grad (rows or 0-dim), lse or NULL, input, target, weight or NULL};
 * ints = {reduction, ignore_index, log_softmax}; scalars = {label_smoothing} */
int CT_ISA(ct_cpu_nll_loss_backward)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    rows_t r = rows_of(t[3], t[4], t[5], false);
    r.ignore = args->ints[1];
    r.log_softmax = args->ints[2] != 0;
    r.eps = args->scalars[0].d;
    r.wsum = (double)r.nc;
    double scale = args->ints[0] == 1 ? 1.0 / class_total_weight(&r) : 1.0;
    int64_t gstride = args->ints[0] == 0 ? 1 : 0, nrows = r.N * r.S;
    switch (t[3]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E:                                                                                          \
        if (r.w) {                                                                                        \
            r.wsum = 0;                                                                                   \
            for (int64_t c = 0; c < r.nc; c++) r.wsum += (double)CT_LOAD_##E((const T *)r.w + c);          \
        }                                                                                                 \
        CT_ROWS_RUN(nrows, nrows * r.nc, class_rows_grad_##E(&r, t[2] ? (const C *)ct_data(t[2]) : NULL,   \
                                                            (T *)ct_data(t[0]), (const T *)ct_data(t[1]), \
                                                            gstride, scale, r0, r1));                     \
        return 0;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default: return ct_error_kernel_dtype("nll_loss_backward_out_frame", t[3]->dtype);
    }
}

/* tensors = {out (rows or 0-dim), lse (rows), input (N, C, S), target (N, C, S), weight (C) or NULL};
 * ints = {reduction}; scalars = {label_smoothing}. A mean divides by the number of rows. */
int CT_ISA(ct_cpu_cross_entropy_prob)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    rows_t r = rows_of(t[2], t[3], t[4], true);
    r.eps = args->scalars[0].d;
    int64_t nrows = r.N * r.S;
    double *loss = malloc(sizeof(double) * (size_t)(nrows + 1));
    if (!loss) return ct_error(CT_ERR_NOMEM, "cross_entropy: out of memory");
    switch (t[2]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E: CT_ROWS_RUN(nrows, nrows * r.nc, prob_rows_##E(&r, (C *)ct_data(t[1]), loss, r0, r1)); break;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default:
        free(loss);
        return ct_error_kernel_dtype("log_softmax_lastdim_kernel_impl", t[2]->dtype);
    }
    finish_rows(t[0], loss, NULL, nrows, (int)args->ints[0]);
    free(loss);
    return 0;
}

/* tensors = {grad_input or NULL, grad_target or NULL (both N, C, S contiguous), grad, lse, input, target,
 * weight or NULL}; ints = {reduction}; scalars = {label_smoothing} */
int CT_ISA(ct_cpu_cross_entropy_prob_backward)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    rows_t r = rows_of(t[4], t[5], t[6], true);
    r.eps = args->scalars[0].d;
    int64_t gstride = args->ints[0] == 0 ? 1 : 0, nrows = r.N * r.S;
    double scale = args->ints[0] == 1 ? 1.0 / (double)nrows : 1.0;
    switch (t[4]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E:                                                                                          \
        CT_ROWS_RUN(nrows, nrows * r.nc, prob_rows_grad_##E(&r, (const C *)ct_data(t[3]),                  \
                                                           t[0] ? (T *)ct_data(t[0]) : NULL,              \
                                                           t[1] ? (T *)ct_data(t[1]) : NULL,              \
                                                           (const T *)ct_data(t[2]), gstride,             \
                                                           scale, r0, r1));                               \
        return 0;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default: return ct_error_kernel_dtype("log_softmax_backward_lastdim_kernel_impl", t[4]->dtype);
    }
}

/* ============================ pointwise ============================ */

/* the pointwise losses (ct_ops.h: ct_pointwise_loss_kind) of x, y with parameter p (beta, delta,
 * log_target) and pos_weight q, in double */
static inline double pw_loss(int kind, double x, double y, double q, double p) {
    switch (kind) {
    case CT_LOSS_MSE: return (x - y) * (x - y);
    case CT_LOSS_SMOOTH_L1: {
        double z = fabs(x - y);
        return z < p ? 0.5 * z * z / p : z - 0.5 * p;
    }
    case CT_LOSS_HUBER: {
        double z = fabs(x - y);
        return z < p ? 0.5 * z * z : p * (z - 0.5 * p);
    }
    case CT_LOSS_BCE: return (y - 1) * fmax(log1p(-x), -100.0) - y * fmax(log(x), -100.0);
    case CT_LOSS_BCE_LOGITS: { /* (1 - y) x - ((q - 1) y + 1) log_sigmoid(x) */
        double ls = fmin(x, 0.0) - log1p(exp(-fabs(x)));
        return (1 - y) * x - ((q - 1) * y + 1) * ls;
    }
    case CT_LOSS_KL_DIV:
        if (p != 0) return exp(y) * (y - x);
        return (y == 0 ? 0.0 : y * log(y)) - y * x;   /* xlogy(y, y) - y x */
    default: return log1p(exp(-y * x));                /* soft margin */
    }
}

/* d loss / d x (which 0) or d loss / d y (which 1) */
static inline double pw_grad(int kind, int which, double x, double y, double q, double p) {
    switch (kind) {
    case CT_LOSS_MSE: return which ? 2 * (y - x) : 2 * (x - y);
    case CT_LOSS_SMOOTH_L1:
    case CT_LOSS_HUBER: {
        double d = x - y, z = fabs(d), s = (double)((d > 0) - (d < 0));
        double v = kind == CT_LOSS_HUBER ? (z < p ? d : p * s) : (z < p ? d / p : s);
        return which ? -v : v;
    }
    case CT_LOSS_BCE:
        if (which) return log1p(-x) - log(x);   /* -logit(x) */
        return (x - y) / fmax((1 - x) * x, 1e-12);
    case CT_LOSS_BCE_LOGITS: {
        double sig = 1 / (1 + exp(-x)), ls = fmin(x, 0.0) - log1p(exp(-fabs(x)));
        return which ? -x - (q - 1) * ls : (q * y + 1 - y) * sig - q * y;
    }
    case CT_LOSS_KL_DIV:
        if (p != 0) return which ? exp(y) * (y - x + 1) : -exp(y);
        if (which) return y == 0 ? NAN : log(y) + 1 - x;   /* xlogy's gradient is 0 / 0 at 0 */
        return -y;
    default: { /* soft margin: -t z / (1 + z), z = exp(-t x), for either side */
        double a = which ? x : y, z = exp(-y * x);
        return -a * z / (1 + z);
    }
    }
}

/* operands of a pointwise kernel: flat arrays of one dtype, weight and pos_weight optional */
typedef struct {
    const char *x, *y, *w, *q;
    int kind;
    double p;
} pw_ops;

#define CT_DEF_POINTWISE(E, T, C, m, unused)                                                              \
    /* block [lo, hi): values into out (none) and their sum; -1 at an input or target of bce outside [0, 1] */ \
    static int pw_block_##E(const pw_ops *o, T *out, int64_t lo, int64_t hi, double *sum) {               \
        const T *x = (const T *)o->x, *y = (const T *)o->y, *w = (const T *)o->w, *q = (const T *)o->q;   \
        double acc = 0;                                                                                   \
        for (int64_t i = lo; i < hi; i++) {                                                               \
            double xv = CT_LOAD_##E(x + i), yv = CT_LOAD_##E(y + i);                                      \
            if (o->kind == CT_LOSS_BCE && !(xv >= 0 && xv <= 1 && yv >= 0 && yv <= 1))                    \
                return ct_error(CT_ERR_RUNTIME, "all elements of %s should be between 0 and 1",           \
                                xv >= 0 && xv <= 1 ? "target" : "input");                                 \
            double v = pw_loss(o->kind, xv, yv, q ? (double)CT_LOAD_##E(q + i) : 1.0, o->p);              \
            if (w) v *= (double)CT_LOAD_##E(w + i);                                                       \
            if (out) CT_STORE_##E(out + i, v);                                                            \
            acc += v;                                                                                     \
        }                                                                                                 \
        *sum = acc;                                                                                       \
        return 0;                                                                                         \
    }                                                                                                     \
    static void pw_grad_block_##E(const pw_ops *o, T *gx, T *gy, const T *g, int64_t gstride, double scale, \
                                  int64_t lo, int64_t hi) {                                               \
        const T *x = (const T *)o->x, *y = (const T *)o->y, *w = (const T *)o->w, *q = (const T *)o->q;   \
        for (int64_t i = lo; i < hi; i++) {                                                               \
            double xv = CT_LOAD_##E(x + i), yv = CT_LOAD_##E(y + i), qv = q ? (double)CT_LOAD_##E(q + i) : 1.0; \
            double s = (double)CT_LOAD_##E(g + i * gstride) * scale * (w ? (double)CT_LOAD_##E(w + i) : 1.0); \
            if (gx) CT_STORE_##E(gx + i, s * pw_grad(o->kind, 0, xv, yv, qv, o->p));                      \
            if (gy) CT_STORE_##E(gy + i, s * pw_grad(o->kind, 1, xv, yv, qv, o->p));                      \
        }                                                                                                 \
    }
CT_DTYPES_FLOAT(CT_DEF_POINTWISE, 0)

/* mse as its own loops: the benchmarked case, vectorized in the compute type */
#define CT_DEF_MSE(E, T, C, m, unused)                                                                    \
    static double mse_block_##E(const T *x, const T *y, int64_t lo, int64_t hi) {                         \
        double acc = 0;                                                                                   \
        for (int64_t i = lo; i < hi; i += 256) {                                                          \
            C part = 0;                                                                                   \
            int64_t e = i + 256 < hi ? i + 256 : hi;                                                      \
            _Pragma("omp simd reduction(+ : part)")                                                       \
            for (int64_t j = i; j < e; j++) {                                                             \
                C d = CT_LOAD_##E(x + j) - CT_LOAD_##E(y + j);                                            \
                part += d * d;                                                                            \
            }                                                                                             \
            acc += (double)part;                                                                          \
        }                                                                                                 \
        return acc;                                                                                       \
    }
CT_DTYPES_FLOAT(CT_DEF_MSE, 0)

#define CT_DEF_MSE_GRAD(E, T, C, m, unused)                                                               \
    /* gx = 2 (x - y) g s, gy = -gx, g one value (gstride 0) or per element */                            \
    static void mse_grad_block_##E(const T *x, const T *y, T *gx, T *gy, const T *g, int64_t gstride, double scale, \
                                   int64_t lo, int64_t hi) {                                              \
        C two = (C)(2 * scale), g0 = CT_LOAD_##E(g);                                                      \
        for (int64_t i = lo; i < hi; i++) {                                                               \
            C d = two * (CT_LOAD_##E(x + i) - CT_LOAD_##E(y + i)) * (gstride ? CT_LOAD_##E(g + i) : g0);  \
            if (gx) CT_STORE_##E(gx + i, d);                                                              \
            if (gy) CT_STORE_##E(gy + i, -d);                                                             \
        }                                                                                                 \
    }
CT_DTYPES_FLOAT(CT_DEF_MSE_GRAD, 0)

/* tensors = {out (flat, or 0-dim), input, target, weight or NULL, pos_weight or NULL} (flat, contiguous,
 * one dtype); ints = {kind, reduction}; scalars = {p} */
int CT_ISA(ct_cpu_pointwise_loss)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    pw_ops o = {ct_data(t[1]), ct_data(t[2]), t[3] ? ct_data(t[3]) : NULL, t[4] ? ct_data(t[4]) : NULL,
                (int)args->ints[0], args->scalars[0].d};
    int64_t n = ct_numel(t[1]), nb = (n + BLOCK - 1) / BLOCK;
    bool none = args->ints[1] == 0;
    double *part = calloc((size_t)nb + 1, sizeof(double));
    if (!part) return ct_error(CT_ERR_NOMEM, "loss: out of memory");
    int bad = 0, nt = (n >= CT_GRAIN ? ct_get_num_threads() : 1);
    switch (t[1]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E:                                                                                          \
        if (o.kind == CT_LOSS_MSE && !none && !o.w) {                                                     \
            _Pragma("omp parallel for num_threads(nt) if (nt > 1 && nb > 1) schedule(static)")           \
            for (int64_t b = 0; b < nb; b++)                                                              \
                part[b] = mse_block_##E((const T *)o.x, (const T *)o.y, b * BLOCK, b + 1 == nb ? n : (b + 1) * BLOCK); \
            break;                                                                                        \
        }                                                                                                 \
        _Pragma("omp parallel for num_threads(nt) if (nt > 1 && nb > 1) schedule(static) reduction(| : bad)") \
        for (int64_t b = 0; b < nb; b++)                                                                  \
            bad |= pw_block_##E(&o, none ? (T *)ct_data(t[0]) : NULL, b * BLOCK, b + 1 == nb ? n : (b + 1) * BLOCK, \
                                &part[b]) < 0;                                                            \
        break;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default:
        free(part);
        return ct_error_kernel_dtype("loss", t[1]->dtype);
    }
    double sum = 0;
    for (int64_t b = 0; b < nb; b++) sum += part[b];
    free(part);
    if (bad) {   /* the first bad block again on this thread, for its message */
        double unused;
        for (int64_t b = 0; b < nb; b++) {
            switch (t[1]->dtype) {
#define CT_CASE(E, T, C, m, unused_)                                                                      \
    case CT_##E: bad = pw_block_##E(&o, NULL, b * BLOCK, b + 1 == nb ? n : (b + 1) * BLOCK, &unused); break;
                CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
            default: break;
            }
            if (bad < 0) return -1;
        }
    }
    if (!none) ct_store_scalar(ct_data(t[0]), t[0]->dtype, ct_scalar_f(args->ints[1] == 1 ? sum / (double)n : sum));
    return 0;
}

/* tensors = {grad_input or NULL, grad_target or NULL, grad (flat, or 0-dim), input, target, weight or NULL,
 * pos_weight or NULL}; ints = {kind, reduction}; scalars = {p} */
int CT_ISA(ct_cpu_pointwise_loss_backward)(const ct_kernel_args *args) {
    ct_tensor *const *t = args->tensors;
    pw_ops o = {ct_data(t[3]), ct_data(t[4]), t[5] ? ct_data(t[5]) : NULL, t[6] ? ct_data(t[6]) : NULL,
                (int)args->ints[0], args->scalars[0].d};
    int64_t n = ct_numel(t[3]), gstride = args->ints[1] == 0 ? 1 : 0, nb = (n + BLOCK - 1) / BLOCK;
    double scale = args->ints[1] == 1 ? 1.0 / (double)n : 1.0;
    int nt = (n >= CT_GRAIN ? ct_get_num_threads() : 1);
    switch (t[3]->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E:                                                                                          \
        _Pragma("omp parallel for num_threads(nt) if (nt > 1 && nb > 1) schedule(static)")               \
        for (int64_t b = 0; b < nb; b++) {                                                                \
            T *gx = t[0] ? (T *)ct_data(t[0]) : NULL, *gy = t[1] ? (T *)ct_data(t[1]) : NULL;             \
            int64_t lo = b * BLOCK, hi = b + 1 == nb ? n : (b + 1) * BLOCK;                               \
            if (o.kind == CT_LOSS_MSE && !o.w)                                                            \
                mse_grad_block_##E((const T *)o.x, (const T *)o.y, gx, gy, (const T *)ct_data(t[2]), gstride, \
                                   scale, lo, hi);                                                        \
            else                                                                                          \
                pw_grad_block_##E(&o, gx, gy, (const T *)ct_data(t[2]), gstride, scale, lo, hi);          \
        }                                                                                                 \
        return 0;
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default: return ct_error_kernel_dtype("loss_backward", t[3]->dtype);
    }
}
