/* Pooling kernels on contiguous 3-D or 4-D tensors (planes of H x W), checked by
 * ops/nn_pool.c: max and average pooling over windows (kernel, stride,
 * padding, dilation) or adaptive ones (output cell o of n covers input
 * [floor(o * in / n), ceil((o + 1) * in / n))), and their gradients.
 * Threads split the planes. Max pooling keeps PyTorch's order: the first
 * largest value of a window wins, and a NaN wins over any number (the last
 * NaN, as PyTorch scans). */
#include <stdlib.h>

#include "ct_kernels.h"

/* the windows along one axis: output cell o reads input [start[o], end[o]) every step-th;
 * span[o]: the window's length counting padding (avg_pool2d's count_include_pad) */
typedef struct {
    int64_t *start, *end, *span, step;
} axis;

typedef struct {
    axis h, w;
    int64_t *mem;
    bool has_divisor;
    int64_t divisor;           /* divisor_override */
    bool include_pad, adaptive;
} windows;

static void axis_fill(axis *a, int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, bool adaptive,
                      bool is_max) {
    a->step = adaptive ? 1 : d;
    for (int64_t o = 0; o < out; o++) {
        int64_t lo, hi, span;
        if (adaptive) {
            lo = o * in / out;
            hi = ((o + 1) * in + out - 1) / out;
            span = hi - lo;
        } else if (is_max) {   /* the dilated window, clipped onto its own grid */
            lo = o * s - p;
            hi = lo + (k - 1) * d + 1;
            if (hi > in) hi = in;
            while (lo < 0) lo += d;
            span = hi - lo;
        } else {
            lo = o * s - p;
            hi = lo + k < in + p ? lo + k : in + p;
            span = hi - lo;
            if (lo < 0) lo = 0;
            if (hi > in) hi = in;
        }
        a->start[o] = lo;
        a->end[o] = hi;
        a->span[o] = span;
    }
}

/* the windows of a kernel call: ints as CT_POOL_* (ct_ops.h); -1 when out of memory */
static int windows_make(windows *wn, const int64_t *v, int64_t H, int64_t W, int64_t OH, int64_t OW, bool is_max) {
    wn->mem = malloc(sizeof(int64_t) * (size_t)(3 * (OH + OW) + 1));
    if (!wn->mem) return ct_error(CT_ERR_NOMEM, "pooling: out of memory");
    int64_t *m = wn->mem;
    wn->h = (axis){m, m + OH, m + 2 * OH, 1};
    wn->w = (axis){m + 3 * OH, m + 3 * OH + OW, m + 3 * OH + 2 * OW, 1};
    wn->adaptive = v[CT_POOL_ADAPTIVE] != 0;
    wn->include_pad = v[CT_POOL_INCLUDE_PAD] != 0;
    wn->has_divisor = v[CT_POOL_DIVISOR] != 0;
    wn->divisor = v[CT_POOL_DIVISOR];
    axis_fill(&wn->h, H, OH, v[CT_POOL_KH], v[CT_POOL_SH], v[CT_POOL_PH], v[CT_POOL_DH], wn->adaptive, is_max);
    axis_fill(&wn->w, W, OW, v[CT_POOL_KW], v[CT_POOL_SW], v[CT_POOL_PW], v[CT_POOL_DW], wn->adaptive, is_max);
    return 0;
}

/* what avg pooling divides the sum of cell (oh, ow) by */
static inline int64_t divisor_of(const windows *wn, int64_t oh, int64_t ow) {
    if (wn->has_divisor) return wn->divisor;
    if (wn->include_pad && !wn->adaptive) return wn->h.span[oh] * wn->w.span[ow];
    return (wn->h.end[oh] - wn->h.start[oh]) * (wn->w.end[ow] - wn->w.start[ow]);
}

typedef struct {
    int64_t planes, H, W, OH, OW;
} plane_shape;

/* (C, H, W) or (N, C, H, W) input and output */
static plane_shape shape_of(const ct_tensor *in, const ct_tensor *out) {
    int d = in->ndim;
    plane_shape s = {in->sizes[0] * (d == 4 ? in->sizes[1] : 1), in->sizes[d - 2], in->sizes[d - 1],
                     out->sizes[d - 2], out->sizes[d - 1]};
    return s;
}

#define PARALLEL_PLANES(s) _Pragma("omp parallel for if ((s).planes > 1 && (s).planes * (s).H * (s).W > 32768)")

/* max over each window: the value and (ind not NULL) its position h * W + w in the plane */
#define CT_DEF_MAX_POOL(E, T, C, m, unused)                                                                     \
    static void max_pool_##E(const windows *wn, plane_shape s, T *out, int64_t *ind, const T *in) {         \
        PARALLEL_PLANES(s)                                                                                  \
        for (int64_t pl = 0; pl < s.planes; pl++) {                                                         \
            const T *x = in + pl * s.H * s.W;                                                               \
            for (int64_t oh = 0; oh < s.OH; oh++)                                                           \
                for (int64_t ow = 0; ow < s.OW; ow++) {                                                     \
                    int64_t hs = wn->h.start[oh], he = wn->h.end[oh], ws = wn->w.start[ow], we = wn->w.end[ow]; \
                    int64_t best = hs * s.W + ws;                                                           \
                    C bv = CT_LOAD_##E(x + best);                                                           \
                    for (int64_t ih = hs; ih < he; ih += wn->h.step)                                        \
                        for (int64_t iw = ws; iw < we; iw += wn->w.step) {                                  \
                            C v = CT_LOAD_##E(x + ih * s.W + iw);                                           \
                            if (v > bv || v != v) {                                                         \
                                bv = v;                                                             \
                                best = ih * s.W + iw;                                               \
                            }                                                                       \
                        }                                                                           \
                    int64_t o = (pl * s.OH + oh) * s.OW + ow;                                       \
                    CT_STORE_##E(out + o, bv);                                                      \
                    if (ind) ind[o] = best;                                                         \
                }                                                                                   \
        }                                                                                           \
    }
CT_DTYPES_NUM(CT_DEF_MAX_POOL, 0)

/* the gradient of max pooling: each output's gradient added at its index (checked) */
#define CT_DEF_MAX_POOL_BACKWARD(E, T, C, m, unused)                                                        \
    static int max_pool_backward_##E(plane_shape s, T *gin, const T *gout, const int64_t *ind) {           \
        int bad = 0;                                                                                        \
        PARALLEL_PLANES(s)                                                                                  \
        for (int64_t pl = 0; pl < s.planes; pl++) {                                                         \
            T *g = gin + pl * s.H * s.W;                                                                    \
            for (int64_t i = 0; i < s.H * s.W; i++) CT_STORE_##E(g + i, 0);                                 \
            for (int64_t o = pl * s.OH * s.OW; o < (pl + 1) * s.OH * s.OW; o++) {                           \
                int64_t k = ind[o];                                                                         \
                if (k < 0 || k >= s.H * s.W) {                                                              \
                    __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);                                            \
                    continue;                                                                               \
                }                                                                                           \
                CT_STORE_##E(g + k, CT_LOAD_##E(g + k) + CT_LOAD_##E(gout + o));                            \
            }                                                                                               \
        }                                                                                                   \
        return bad ? ct_error(CT_ERR_RUNTIME, "max_pool2d_with_indices_backward: found an invalid max index") : 0; \
    }
CT_DTYPES_FLOAT(CT_DEF_MAX_POOL_BACKWARD, 0)

/* the mean of each window (integer dtypes divide as C does, truncating, like PyTorch) */
#define CT_DEF_AVG_POOL(E, T, C, m, unused)                                                                     \
    static void avg_pool_##E(const windows *wn, plane_shape s, T *out, const T *in) {                       \
        PARALLEL_PLANES(s)                                                                                  \
        for (int64_t pl = 0; pl < s.planes; pl++) {                                                         \
            const T *x = in + pl * s.H * s.W;                                                               \
            for (int64_t oh = 0; oh < s.OH; oh++)                                                           \
                for (int64_t ow = 0; ow < s.OW; ow++) {                                                     \
                    int64_t hs = wn->h.start[oh], he = wn->h.end[oh], ws = wn->w.start[ow], we = wn->w.end[ow]; \
                    int64_t div = divisor_of(wn, oh, ow);                                                   \
                    C sum = 0;                                                                              \
                    for (int64_t ih = hs; ih < he; ih++)                                                    \
                        for (int64_t iw = ws; iw < we; iw++) sum += CT_LOAD_##E(x + ih * s.W + iw);         \
                    CT_STORE_##E(out + (pl * s.OH + oh) * s.OW + ow, div > 0 ? sum / (C)div : (C)0);        \
                }                                                                                           \
        }                                                                                                   \
    }
CT_DTYPES_FLOAT(CT_DEF_AVG_POOL, 0)
CT_DEF_AVG_POOL(INT64, int64_t, int64_t, i, 0)

/* the gradient of average pooling: each output's gradient spread over its window */
#define CT_DEF_AVG_POOL_BACKWARD(E, T, C, m, unused)                                                        \
    static void avg_pool_backward_##E(const windows *wn, plane_shape s, T *gin, const T *gout) {           \
        PARALLEL_PLANES(s)                                                                                  \
        for (int64_t pl = 0; pl < s.planes; pl++) {                                                         \
            T *g = gin + pl * s.H * s.W;                                                                    \
            for (int64_t i = 0; i < s.H * s.W; i++) CT_STORE_##E(g + i, 0);                                 \
            for (int64_t oh = 0; oh < s.OH; oh++)                                                           \
                for (int64_t ow = 0; ow < s.OW; ow++) {                                                     \
                    int64_t hs = wn->h.start[oh], he = wn->h.end[oh], ws = wn->w.start[ow], we = wn->w.end[ow]; \
                    int64_t div = divisor_of(wn, oh, ow);                                                   \
                    if (div <= 0) continue;                                                                 \
                    C v = CT_LOAD_##E(gout + (pl * s.OH + oh) * s.OW + ow) / (C)div;                        \
                    for (int64_t ih = hs; ih < he; ih++)                                                    \
                        for (int64_t iw = ws; iw < we; iw++)                                                \
                            CT_STORE_##E(g + ih * s.W + iw, CT_LOAD_##E(g + ih * s.W + iw) + v);            \
                }                                                                                           \
        }                                                                                                   \
    }
CT_DTYPES_FLOAT(CT_DEF_AVG_POOL_BACKWARD, 0)

int ct_cpu_max_pool2d(const ct_kernel_args *a) {
    ct_tensor *out = a->tensors[0], *ind = a->tensors[1], *in = a->tensors[2];
    plane_shape s = shape_of(in, out);
    windows wn;
    if (windows_make(&wn, a->ints, s.H, s.W, s.OH, s.OW, true) < 0) return -1;
    int64_t *pi = ind ? (int64_t *)ct_data(ind) : NULL;
    int rc = 0;
    switch (in->dtype) {
#define CT_MAX_POOL_CASE(E, T, C, m, unused) \
    case CT_##E: max_pool_##E(&wn, s, (T *)ct_data(out), pi, (const T *)ct_data(in)); break;
        CT_DTYPES_NUM(CT_MAX_POOL_CASE, 0)
    default: rc = ct_error_kernel_dtype(wn.adaptive ? "adaptive_max_pool2d" : "max_pool2d", in->dtype);
    }
    free(wn.mem);
    return rc;
}

int ct_cpu_max_pool2d_backward(const ct_kernel_args *a) {
    ct_tensor *gin = a->tensors[0], *gout = a->tensors[1], *ind = a->tensors[2];
    plane_shape s = shape_of(gin, gout);
    switch (gin->dtype) {
#define CT_MAX_POOL_BW_CASE(E, T, C, m, unused) \
    case CT_##E: return max_pool_backward_##E(s, (T *)ct_data(gin), (const T *)ct_data(gout), (const int64_t *)ct_data(ind));
        CT_DTYPES_FLOAT(CT_MAX_POOL_BW_CASE, 0)
    default: return ct_error_kernel_dtype("max_pool2d_with_indices_backward", gin->dtype);
    }
}

int ct_cpu_avg_pool2d(const ct_kernel_args *a) {
    ct_tensor *out = a->tensors[0], *in = a->tensors[1];
    plane_shape s = shape_of(in, out);
    windows wn;
    if (windows_make(&wn, a->ints, s.H, s.W, s.OH, s.OW, false) < 0) return -1;
    int rc = 0;
    switch (in->dtype) {
#define CT_AVG_POOL_CASE(E, T, C, m, unused) \
    case CT_##E: avg_pool_##E(&wn, s, (T *)ct_data(out), (const T *)ct_data(in)); break;
        CT_DTYPES_FLOAT(CT_AVG_POOL_CASE, 0)
        CT_AVG_POOL_CASE(INT64, int64_t, int64_t, i, 0)
    default: rc = ct_error_kernel_dtype(wn.adaptive ? "adaptive_avg_pool2d" : "avg_pool2d", in->dtype);
    }
    free(wn.mem);
    return rc;
}

int ct_cpu_avg_pool2d_backward(const ct_kernel_args *a) {
    ct_tensor *gin = a->tensors[0], *gout = a->tensors[1];
    plane_shape s = shape_of(gin, gout);
    windows wn;
    if (windows_make(&wn, a->ints, s.H, s.W, s.OH, s.OW, false) < 0) return -1;
    int rc = 0;
    switch (gin->dtype) {
#define CT_AVG_POOL_BW_CASE(E, T, C, m, unused) \
    case CT_##E: avg_pool_backward_##E(&wn, s, (T *)ct_data(gin), (const T *)ct_data(gout)); break;
        CT_DTYPES_FLOAT(CT_AVG_POOL_BW_CASE, 0)
    default: rc = ct_error_kernel_dtype("avg_pool2d_backward", gin->dtype);
    }
    free(wn.mem);
    return rc;
}
