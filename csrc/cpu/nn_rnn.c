/* Recurrent layers: the whole recurrence of one RNN / LSTM / GRU layer and
 * direction over a packed sequence (ops/nn_rnn.c checks and lays out the
 * operands), forward and backward through time. Per step: one BLAS GEMM with
 * W_hh for the rows of that step, then one fused pass over the gates; the
 * backward's weight gradients are one GEMM over all rows at the end. BLAS
 * runs single-threaded (cpu/gemm.c's rule): above a few MFLOP per step,
 * OpenMP threads split each step's GEMM and gates. Compiled twice, like nn_norm.c: as is, and under
 * AVX2 + FMA from nn_rnn_avx2.c (CT_ISA names the entry points). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
#endif

#include "ct_blas.h"
#include "ct_kernels.h"
#include "loops.h"

typedef struct {
    int mode;                 /* ct_rnn_mode */
    int threads;              /* OpenMP threads per step */
    bool reverse, bias, proj;
    int64_t H, R, B, T, G, W, N;   /* hidden, output (proj) size, batch, steps, gates, work row width, rows */
    const int64_t *bs;        /* rows per step (non-increasing) */
    int64_t *off;             /* the first row of each step */
} rnn_geom;

/* float gates through the polynomial exp (the loops vectorize; libm's expf and tanhf do not): tanh(x) =
 * expm1(2x) / (expm1(2x) + 2), exact near 0, with |x| clamped at 9 where tanh rounds to +-1 */
CT_INLINE float sigmoid_f32(float x) { return 1.0f / (1.0f + ct_fast_expf(-x)); }
CT_INLINE float tanh_f32(float x) {
    float e = ct_fast_expm1f(2.0f * (x < -9.0f ? -9.0f : x > 9.0f ? 9.0f : x));
    return e / (e + 2.0f);
}
static inline double sigmoid_f64(double x) { return 1.0 / (1.0 + exp(-x)); }

#define CT_T float
#define CT_GEMM CT_BLAS(cblas_sgemm)
#define CT_SIGMOID sigmoid_f32
#define CT_TANH tanh_f32
#define CT_SFX _f32
#include "nn_rnn_impl.h"
#undef CT_T
#undef CT_GEMM
#undef CT_SIGMOID
#undef CT_TANH
#undef CT_SFX
#define CT_T double
#define CT_GEMM CT_BLAS(cblas_dgemm)
#define CT_SIGMOID sigmoid_f64
#define CT_TANH tanh
#define CT_SFX _f64
#include "nn_rnn_impl.h"
#undef CT_T
#undef CT_GEMM
#undef CT_SIGMOID
#undef CT_TANH
#undef CT_SFX

#define STEP_FLOPS_PER_THREAD 2e6   /* below this, a step's GEMM is not worth splitting */

/* the geometry from the op's ints {mode, reverse, H, R, bias, B, proj} and batch_sizes; off is allocated */
static int geom_of(const ct_kernel_args *args, const ct_tensor *batch_sizes, rnn_geom *g) {
    const int64_t *i = args->ints;
    *g = (rnn_geom){.mode = (int)i[0], .reverse = i[1] != 0, .H = i[2], .R = i[3], .bias = i[4] != 0, .B = i[5],
                    .T = batch_sizes->sizes[0], .bs = (const int64_t *)ct_data(batch_sizes)};
    g->proj = i[6] != 0;
    g->G = ct_rnn_gates(g->mode);
    g->W = ct_rnn_work_width(g->mode, g->H, g->R);
    g->off = malloc(sizeof(int64_t) * (size_t)(g->T + 1));
    if (!g->off) return ct_error(CT_ERR_NOMEM, "rnn: out of memory");
    g->N = 0;
    for (int64_t t = 0; t < g->T; t++) g->off[t] = g->N, g->N += g->bs[t];
    g->threads = 2.0 * (double)g->B * (double)(g->G * g->H) * (double)g->R >= STEP_FLOPS_PER_THREAD
                 ? ct_get_num_threads() : 1;
    return 0;
}

/* tensors = {res, work, xw, batch_sizes, params, state} */
int CT_ISA(ct_cpu_rnn_layer)(const ct_kernel_args *args) {
    ct_tensor *const *ts = args->tensors;
    rnn_geom g;
    if (geom_of(args, ts[3], &g) < 0) return -1;
    size_t isz = (size_t)ct_itemsize(ts[0]->dtype);
    void *gates = malloc(isz * (size_t)((g.B + g.R) * g.G * g.H + 1));   /* gates, then W_hh^T */
    int rc = gates ? 0 : ct_error(CT_ERR_NOMEM, "rnn: out of memory");
#define FORWARD(T, SFX) \
    rnn_forward##SFX(&g, (T *)ct_data(ts[0]), (T *)ct_data(ts[1]), (const T *)ct_data(ts[2]), \
                     (const T *)ct_data(ts[4]), (const T *)ct_data(ts[5]), (T *)gates, (T *)gates + g.B * g.G * g.H)
    if (rc == 0 && ts[0]->dtype == CT_FLOAT32) FORWARD(float, _f32);
    else if (rc == 0) FORWARD(double, _f64);
#undef FORWARD
    free(gates);
    free(g.off);
    return rc;
}

/* tensors = {gxw, gparams, gstate, gres, work, batch_sizes, params}; ints as the forward's */
int CT_ISA(ct_cpu_rnn_layer_backward)(const ct_kernel_args *args) {
    ct_tensor *const *ts = args->tensors;
    rnn_geom g;
    if (geom_of(args, ts[5], &g) < 0) return -1;
    size_t isz = (size_t)ct_itemsize(ts[0]->dtype);
    int64_t n_dgh = g.mode == CT_RNN_GRU ? g.N * g.G * g.H : 0, n_dhs = g.proj ? g.N * g.R : 0;
    int64_t n_dm = g.proj ? g.B * g.H : 0;
    char *scratch = malloc(isz * (size_t)(n_dgh + n_dhs + n_dm + 1));
    int rc = scratch ? 0 : ct_error(CT_ERR_NOMEM, "rnn: out of memory");
    char *dgh = scratch, *dhs = dgh + isz * (size_t)n_dgh, *dm = dhs + isz * (size_t)n_dhs;
#define BACKWARD(T, SFX)                                                                                  \
    rnn_backward##SFX(&g, (T *)ct_data(ts[0]), (T *)ct_data(ts[1]), (T *)ct_data(ts[2]), (const T *)ct_data(ts[3]), \
                      (const T *)ct_data(ts[4]), (const T *)ct_data(ts[6]), (T *)dgh, (T *)dhs, (T *)dm)
    if (rc == 0 && ts[0]->dtype == CT_FLOAT32) BACKWARD(float, _f32);
    else if (rc == 0) BACKWARD(double, _f64);
#undef BACKWARD
    free(scratch);
    free(g.off);
    return rc;
}
