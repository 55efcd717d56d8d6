/* CPU kernels of scaled_dot_product_attention (ops/attention.c checks, shapes
 * and dtypes): per batch item, the scores Q K^T (BLAS), the masked softmax,
 * dropout and the product with V; the backward gives dQ, dK and dV from the
 * saved probabilities. Batch items are split over OpenMP threads, BLAS runs
 * single-threaded inside them. Compiled twice, like nn_norm.c: as is, and
 * under AVX2 + FMA from attention_avx2.c (CT_ISA names the entry point). */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
#endif

#include "ct_blas.h"
#include "ct_kernels.h"
#include "loops.h"

enum { MASK_NONE, MASK_BOOL, MASK_FLOAT };

/* one batch item's mask: element (i, j) at data[i * s0 + j * s1] */
typedef struct {
    int kind;
    const char *data;
    int64_t s0, s1;
} attn_mask;

typedef struct {
    int nb, nt;                   /* batch dims, threads */
    int64_t B, L, S, E, Ev;
    int64_t ldq, ldk, ldv;        /* row strides of q, k, v */
} attn_dims;

/* the element offset of batch item b in t, whose first nb dims are the (broadcast) batch dims */
static int64_t batch_offset(const ct_tensor *t, int nb, int64_t b) {
    int64_t off = 0;
    for (int d = nb - 1; d >= 0; d--) {
        off += b % t->sizes[d] * t->strides[d];
        b /= t->sizes[d];
    }
    return off;
}

static attn_mask mask_of(const ct_tensor *m, int nb, int64_t b) {
    attn_mask r = {MASK_NONE, NULL, 0, 0};
    if (!m) return r;
    r.kind = m->dtype == CT_BOOL ? MASK_BOOL : MASK_FLOAT;
    r.data = ct_data(m) + batch_offset(m, nb, b) * ct_itemsize(m->dtype);
    r.s0 = m->strides[nb];
    r.s1 = m->strides[nb + 1];
    return r;
}

/* the row stride BLAS is given: a single row may have any stride */
static int64_t row_ld(const ct_tensor *t) {
    int64_t rows = t->sizes[t->ndim - 2], cols = t->sizes[t->ndim - 1], min = cols > 1 ? cols : 1;
    return rows <= 1 || t->strides[t->ndim - 2] < min ? min : t->strides[t->ndim - 2];
}

#define T float
#define GEMM CT_BLAS(cblas_sgemm)
#define EXP ct_fast_expf
#define SFX _f32
#include "attention_tmpl.h"
#undef T
#undef GEMM
#undef EXP
#undef SFX
#define T double
#define GEMM CT_BLAS(cblas_dgemm)
#define EXP exp
#define SFX _f64
#include "attention_tmpl.h"
#undef T
#undef GEMM
#undef EXP
#undef SFX

/* q, k, v: the operands after the outputs (forward: tensors 2..4; backward: 4..6) */
static attn_dims dims_of(ct_tensor *const *qkv, int64_t nbatch) {
    const ct_tensor *q = qkv[0], *k = qkv[1], *v = qkv[2];
    int nb = q->ndim - 2;
    attn_dims d = {.nb = nb, .nt = 1, .B = nbatch, .L = q->sizes[nb], .S = k->sizes[nb], .E = q->sizes[nb + 1],
                   .Ev = v->sizes[nb + 1], .ldq = row_ld(q), .ldk = row_ld(k), .ldv = row_ld(v)};
    double work = (double)d.B * (double)d.L * (double)d.S * (double)(d.E + d.Ev);
    int nt = ct_get_num_threads();
    if (d.B > 1 && work > 1 << 18) d.nt = (int64_t)nt < d.B ? nt : (int)d.B;
    return d;
}

/* forward: tensors {out, P or NULL, q, k, v, mask or NULL, drop or NULL}; ints {causal}; scalars {scale};
 * backward: tensors {gq, gk, gv, g, q, k, v, P, drop or NULL}; scalars {scale} */
int CT_ISA(ct_cpu_attention)(const ct_kernel_args *args) {
    bool fwd = args->op == CT_OP_attention;
    ct_tensor *const *t = args->tensors;
    const ct_tensor *out = t[fwd ? 0 : 3];
    int64_t nbatch = 1;
    for (int i = 0; i < out->ndim - 2; i++) nbatch *= out->sizes[i];
    attn_dims d = dims_of(t + (fwd ? 2 : 4), nbatch);
    size_t isz = (size_t)ct_itemsize(out->dtype);
    void *scratch = malloc((size_t)d.nt * 2 * (size_t)(d.L * d.S) * isz + 1);
    if (!scratch) return ct_error(CT_ERR_RUNTIME, "scaled_dot_product_attention: out of memory");
    bool f64 = out->dtype == CT_FLOAT64;
    if (fwd && f64) attn_forward_f64(args, &d, scratch);
    else if (fwd) attn_forward_f32(args, &d, scratch);
    else if (f64) attn_backward_f64(args, &d, scratch);
    else attn_backward_f32(args, &d, scratch);
    free(scratch);
    return 0;
}
