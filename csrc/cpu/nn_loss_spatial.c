/* The loss family's lookup and resampling kernels: embedding's backward and
 * max_norm renormalization, pad (constant, reflect, replicate, circular) and
 * interpolate (nearest, nearest-exact, linear, cubic) forward and backward.
 * The op layer (ops/nn_loss_spatial.c) checks shapes; index values are
 * checked here before anything is written. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ct_kernels.h"
#include "loops.h"

#ifdef _OPENMP
#define THREAD_ID(t, n) (t) = omp_get_thread_num(), (n) = omp_get_num_threads()
#else
#define THREAD_ID(t, n) (void)0
#endif

/* ============================ embedding ============================ */

/* tensors = {grad_weight (V, D), grad (M, D), indices (M, int64)}, all contiguous;
 * ints = {padding_idx (-1: none), scale_grad_by_freq}. Rows of grad added into
 * zeros at their index (the padding row gets none); threads split the columns,
 * so each adds its columns of every row in order. */
int ct_cpu_embedding_backward(const ct_kernel_args *args) {
    ct_tensor *gw = args->tensors[0], *g = args->tensors[1], *ix = args->tensors[2];
    int64_t V = gw->sizes[0], D = gw->sizes[1], M = ix->sizes[0], pad = args->ints[0];
    const int64_t *idx = (const int64_t *)ct_data(ix);
    int64_t *count = NULL;
    if (args->ints[1]) {
        if (!(count = calloc((size_t)V + 1, sizeof(int64_t)))) return ct_error(CT_ERR_NOMEM, "embedding: out of memory");
        for (int64_t i = 0; i < M; i++)
            if (idx[i] >= 0 && idx[i] < V) count[idx[i]]++;
    }
    int nt = (V * D + M * D >= CT_GRAIN ? ct_get_num_threads() : 1);
    if (nt > 1 && D < 2 * nt) nt = 1;
    switch (gw->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E: {                                                                                        \
        T *o = (T *)ct_data(gw);                                                                          \
        const T *in = (const T *)ct_data(g);                                                              \
        _Pragma("omp parallel num_threads(nt) if (nt > 1)")                                               \
        {                                                                                                 \
            int64_t t = 0, n = 1;                                                                         \
            THREAD_ID(t, n);                                                                              \
            int64_t c0 = D * t / n, c1 = D * (t + 1) / n;                                                 \
            for (int64_t v = 0; v < V; v++)                                                               \
                for (int64_t c = c0; c < c1; c++) CT_STORE_##E(o + v * D + c, 0);                         \
            for (int64_t i = 0; i < M; i++) {                                                             \
                int64_t k = idx[i];                                                                       \
                if (k == pad || k < 0 || k >= V) continue;                                                \
                C s = count ? (C)1 / (C)count[k] : (C)1;                                                  \
                for (int64_t c = c0; c < c1; c++)                                                         \
                    CT_STORE_##E(o + k * D + c, CT_LOAD_##E(o + k * D + c) + s * CT_LOAD_##E(in + i * D + c)); \
            }                                                                                             \
        }                                                                                                 \
        break;                                                                                            \
    }
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default:
        free(count);
        return ct_error_kernel_dtype("embedding_dense_backward", gw->dtype);
    }
    free(count);
    return 0;
}

/* tensors = {weight (V, D), indices (M, int64, contiguous)}; scalars = {max_norm, norm_type}:
 * each row named by an index whose norm exceeds max_norm is scaled to max_norm / (norm + 1e-7) */
int ct_cpu_embedding_renorm(const ct_kernel_args *args) {
    ct_tensor *w = args->tensors[0], *ix = args->tensors[1];
    int64_t V = w->sizes[0], D = w->sizes[1], M = ct_numel(ix), s0 = w->strides[0], s1 = w->strides[1];
    double max_norm = args->scalars[0].d, p = args->scalars[1].d;
    const int64_t *idx = (const int64_t *)ct_data(ix);
    for (int64_t i = 0; i < M; i++)
        if (idx[i] < 0 || idx[i] >= V) return ct_error(CT_ERR_INDEX, "index out of range in self");
    char *seen = calloc((size_t)V + 1, 1);
    if (!seen) return ct_error(CT_ERR_NOMEM, "embedding_renorm_: out of memory");
    int64_t isz = ct_itemsize(w->dtype);
    char *base = ct_data(w);
    for (int64_t i = 0; i < M; i++) {
        int64_t k = idx[i];
        if (seen[k]) continue;
        seen[k] = 1;
        double norm = 0;
        for (int64_t c = 0; c < D; c++) {
            double a = fabs(ct_load_scalar(base + (k * s0 + c * s1) * isz, w->dtype).d);
            norm = isinf(p) ? fmax(norm, a) : p == 1 ? norm + a : p == 2 ? norm + a * a : norm + pow(a, p);
        }
        norm = isinf(p) || p == 1 ? norm : p == 2 ? sqrt(norm) : pow(norm, 1.0 / p);
        if (norm <= max_norm) continue;
        double scale = max_norm / (norm + 1e-7);
        for (int64_t c = 0; c < D; c++) {
            char *e = base + (k * s0 + c * s1) * isz;
            ct_store_scalar(e, w->dtype, ct_scalar_f(ct_load_scalar(e, w->dtype).d * scale));
        }
    }
    free(seen);
    return 0;
}

/* ============================ pad ============================ */

/* The padded dims are the last k of the input; dims before them ("lead") are
 * copied whole. Each padded dim has a map from output to input index (-1: the
 * fill value), so one walk serves every mode, forward and backward. */
typedef struct {
    int k, nlead;
    int64_t lead_sizes[CT_MAX_DIMS], lead_strides[CT_MAX_DIMS], nlead_total;
    int64_t in_size[3], in_stride[3], out_size[3];
    int64_t *map[3];
    int64_t rows_per_lead;   /* output rows (the last padded dim) per lead index */
} pad_plan;

/* source index of output o of a dim of size n padded by (left, right) */
static int64_t pad_source(int mode, int64_t o, int64_t n, int64_t left, int64_t right) {
    int64_t s = o - left;
    switch (mode) {
    case CT_PAD_CONSTANT: return s >= 0 && s < n ? s : -1;
    case CT_PAD_REFLECT:
        if (n == 1) return 0;
        s = s < 0 ? -s : s;
        s %= 2 * (n - 1);
        return s < n ? s : 2 * (n - 1) - s;
    case CT_PAD_REPLICATE: return s < 0 ? 0 : s >= n ? n - 1 : s;
    default: { /* circular: the input cropped by negative pads, repeated (PyTorch's wrap of the cropped centre) */
        int64_t lo = left < 0 ? -left : 0, len = n - lo - (right < 0 ? -right : 0);
        int64_t rel = o - (left > 0 ? left : 0);
        return len <= 0 ? -1 : lo + ((rel % len) + len) % len;   /* (nothing left to repeat: the fill) */
    }
    }
}

/* ints = {mode, k, left_0, right_0, ...} for the k padded dims, outermost first */
static int pad_plan_init(pad_plan *p, const ct_tensor *in, const ct_tensor *out, const int64_t *ints) {
    int mode = (int)ints[0];
    p->k = (int)ints[1];
    p->nlead = in->ndim - p->k;
    p->nlead_total = 1;
    for (int d = 0; d < p->nlead; d++) {
        p->lead_sizes[d] = in->sizes[d];
        p->lead_strides[d] = in->strides[d];
        p->nlead_total *= in->sizes[d];
    }
    p->rows_per_lead = 1;
    for (int j = 0; j < p->k; j++) {
        int d = p->nlead + j;
        p->in_size[j] = in->sizes[d];
        p->in_stride[j] = in->strides[d];
        p->out_size[j] = out->sizes[d];
        if (j < p->k - 1) p->rows_per_lead *= out->sizes[d];
        p->map[j] = malloc(sizeof(int64_t) * (size_t)(p->out_size[j] + 1));
        if (!p->map[j]) {
            for (int i = 0; i < j; i++) free(p->map[i]);
            return ct_error(CT_ERR_NOMEM, "pad: out of memory");
        }
        for (int64_t o = 0; o < p->out_size[j]; o++)
            p->map[j][o] = p->in_size[j] == 0 ? -1 : pad_source(mode, o, p->in_size[j], ints[2 + 2 * j], ints[3 + 2 * j]);
    }
    return 0;
}

static void pad_plan_free(pad_plan *p) {
    for (int j = 0; j < p->k; j++) free(p->map[j]);
}

/* offset (elements) in the input of lead index L and output row r of it; -1 when the row is fill */
static int64_t pad_row_offset(const pad_plan *p, int64_t L, int64_t r) {
    int64_t off = 0;
    for (int d = p->nlead - 1; d >= 0; d--) {
        off += (L % p->lead_sizes[d]) * p->lead_strides[d];
        L /= p->lead_sizes[d];
    }
    for (int j = p->k - 2; j >= 0; j--) {
        int64_t s = p->map[j][r % p->out_size[j]];
        if (s < 0) return -1;
        off += s * p->in_stride[j];
        r /= p->out_size[j];
    }
    return off;
}

/* the forward walk for one element size: out rows of the input row or the fill value */
#define CT_DEF_PAD(U)                                                                                     \
    static void pad_rows_##U(const pad_plan *p, const char *in, char *out, U fill, int64_t r0, int64_t r1) { \
        int last = p->k - 1;                                                                              \
        int64_t W = p->out_size[last], s = p->in_stride[last];                                            \
        const int64_t *map = p->map[last];                                                                \
        for (int64_t r = r0; r < r1; r++) {                                                               \
            U *o = (U *)out + r * W;                                                                      \
            int64_t off = pad_row_offset(p, r / p->rows_per_lead, r % p->rows_per_lead);                  \
            if (off < 0) {                                                                                \
                for (int64_t x = 0; x < W; x++) o[x] = fill;                                              \
                continue;                                                                                 \
            }                                                                                             \
            const U *src = (const U *)in + off;                                                           \
            for (int64_t x = 0; x < W; x++) o[x] = map[x] < 0 ? fill : src[map[x] * s];                   \
        }                                                                                                 \
    }
CT_DEF_PAD(uint8_t)
CT_DEF_PAD(uint16_t)
CT_DEF_PAD(uint32_t)
CT_DEF_PAD(uint64_t)

/* tensors = {out (contiguous), input}; ints = {mode, k, pads (left, right) per padded dim}; scalars = {value} */
int ct_cpu_pad(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *in = args->tensors[1];
    pad_plan p;
    if (pad_plan_init(&p, in, out, args->ints) < 0) return -1;
    int64_t rows = p.nlead_total * p.rows_per_lead, isz = ct_itemsize(out->dtype);
    uint64_t fill = 0;
    ct_store_scalar(&fill, out->dtype, args->scalars[0]);
    int nt = (ct_numel(out) >= CT_GRAIN ? ct_get_num_threads() : 1);
    const char *src = ct_data(in);
    char *dst = ct_data(out);
#pragma omp parallel num_threads(nt) if (nt > 1 && rows > 1)
    {
        int64_t t = 0, n = 1;
        THREAD_ID(t, n);
        int64_t r0 = rows * t / n, r1 = rows * (t + 1) / n;
        uint8_t f1;
        uint16_t f2;
        uint32_t f4;
        switch (isz) {
        case 1: memcpy(&f1, &fill, 1), pad_rows_uint8_t(&p, src, dst, f1, r0, r1); break;
        case 2: memcpy(&f2, &fill, 2), pad_rows_uint16_t(&p, src, dst, f2, r0, r1); break;
        case 4: memcpy(&f4, &fill, 4), pad_rows_uint32_t(&p, src, dst, f4, r0, r1); break;
        default: pad_rows_uint64_t(&p, src, dst, fill, r0, r1); break;
        }
    }
    pad_plan_free(&p);
    return 0;
}

/* tensors = {grad_input (contiguous), grad_out (contiguous)}; ints as ct_cpu_pad: grad_out added into
 * zeros at each element's source (threads split the lead index: their targets never meet) */
int ct_cpu_pad_backward(const ct_kernel_args *args) {
    ct_tensor *gin = args->tensors[0], *gout = args->tensors[1];
    pad_plan p;
    if (pad_plan_init(&p, gin, gout, args->ints) < 0) return -1;
    int last = p.k - 1;
    int64_t W = p.out_size[last], s = p.in_stride[last], plane = ct_numel(gin) / (p.nlead_total ? p.nlead_total : 1);
    const int64_t *map = p.map[last];
    int nt = (ct_numel(gout) >= CT_GRAIN ? ct_get_num_threads() : 1);
    switch (gin->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E: {                                                                                        \
        T *gi = (T *)ct_data(gin);                                                                        \
        const T *go = (const T *)ct_data(gout);                                                           \
        _Pragma("omp parallel for num_threads(nt) if (nt > 1) schedule(static)")                          \
        for (int64_t L = 0; L < p.nlead_total; L++) {                                                     \
            for (int64_t e = 0; e < plane; e++) CT_STORE_##E(gi + L * plane + e, 0);                      \
            for (int64_t r = 0; r < p.rows_per_lead; r++) {                                               \
                int64_t off = pad_row_offset(&p, L, r);                                                   \
                if (off < 0) continue;                                                                    \
                const T *g = go + (L * p.rows_per_lead + r) * W;                                          \
                for (int64_t x = 0; x < W; x++)                                                           \
                    if (map[x] >= 0)                                                                      \
                        CT_STORE_##E(gi + off + map[x] * s, CT_LOAD_##E(gi + off + map[x] * s) + CT_LOAD_##E(g + x)); \
            }                                                                                             \
        }                                                                                                 \
        break;                                                                                            \
    }
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default:
        pad_plan_free(&p);
        return ct_error_kernel_dtype("pad_backward", gin->dtype);
    }
    pad_plan_free(&p);
    return 0;
}

/* ============================ interpolate ============================ */

/* The spatial dims (1 to 3, the last of the tensor) are resampled
 * separately: output index o of dim j reads K input indices idx[o K + t]
 * with weights wt[o K + t] (K = 1 nearest, 2 linear, 4 cubic). Missing outer
 * dims are size 1 with one tap of weight 1. Index and weight computations are
 * PyTorch's (UpSample.h), in the accumulation type C. */
#define CT_DEF_TAPS(C)                                                                                    \
    typedef struct {                                                                                      \
        int K;                                                                                            \
        int64_t in, out, stride;                                                                          \
        int64_t *idx;                                                                                     \
        C *wt;                                                                                            \
    } taps_##C;                                                                                           \
    static C cubic1_##C(C x, C A) { return ((A + 2) * x - (A + 3)) * x * x + 1; }                         \
    static C cubic2_##C(C x, C A) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }                   \
    /* mode, align_corners, sizes and the scale of one dim (<= 0: not given) */                           \
    static int taps_init_##C(taps_##C *tp, int mode, bool align, int64_t in, int64_t out, int64_t stride, double scale) { \
        tp->K = mode == CT_UPSAMPLE_LINEAR ? 2 : mode == CT_UPSAMPLE_CUBIC ? 4 : 1;                       \
        tp->in = in, tp->out = out, tp->stride = stride;                                                  \
        tp->idx = malloc(sizeof(int64_t) * (size_t)(out * tp->K + 1));                                    \
        tp->wt = malloc(sizeof(C) * (size_t)(out * tp->K + 1));                                           \
        if (!tp->idx || !tp->wt) return ct_error(CT_ERR_NOMEM, "interpolate: out of memory");             \
        float fscale = scale > 0 ? (float)(1.0 / scale) : (float)in / (float)out;                         \
        C ratio = align ? (out > 1 ? (C)(in - 1) / (C)(out - 1) : (C)0)                                   \
                        : scale > 0 ? (C)(1.0 / scale) : (C)in / (C)out;                                  \
        for (int64_t o = 0; o < out; o++) {                                                               \
            int64_t *ix = tp->idx + o * tp->K;                                                            \
            C *w = tp->wt + o * tp->K;                                                                    \
            if (mode == CT_UPSAMPLE_NEAREST || mode == CT_UPSAMPLE_NEAREST_EXACT) {                       \
                int64_t s;                                                                                \
                if (mode == CT_UPSAMPLE_NEAREST_EXACT) s = (int64_t)floorf((float)(((double)o + 0.5) * fscale)); \
                else if (out == in) s = o;                                                                \
                else if (out == 2 * in) s = o >> 1;                                                       \
                else s = (int64_t)floorf((float)o * fscale);                                              \
                ix[0] = s < in - 1 ? s : in - 1;                                                          \
                w[0] = 1;                                                                                 \
                continue;                                                                                 \
            }                                                                                             \
            C real = align ? ratio * (C)o : ratio * ((C)o + (C)0.5) - (C)0.5;                              \
            if (mode == CT_UPSAMPLE_LINEAR) {                                                             \
                if (real < 0) real = 0;                                                                   \
                int64_t i0 = (int64_t)floorf((float)real);                                                \
                if (i0 > in - 1) i0 = in - 1;                                                             \
                C l1 = real - (C)i0;                                                                      \
                l1 = l1 < 0 ? 0 : l1 > 1 ? 1 : l1;                                                        \
                ix[0] = i0, ix[1] = i0 + (i0 < in - 1 ? 1 : 0);                                           \
                w[0] = (C)1 - l1, w[1] = l1;                                                              \
                continue;                                                                                 \
            }                                                                                             \
            int64_t i0 = (int64_t)floorf((float)real);                                                    \
            C t = real - (C)i0, A = (C)-0.75;                                                             \
            C t2 = (C)1 - t;                                                                              \
            w[0] = cubic2_##C(t + 1, A), w[1] = cubic1_##C(t, A);                                         \
            w[2] = cubic1_##C(t2, A), w[3] = cubic2_##C(t2 + 1, A);                                       \
            for (int j = 0; j < 4; j++) {                                                                 \
                int64_t s = i0 - 1 + j;                                                                   \
                ix[j] = s < 0 ? 0 : s > in - 1 ? in - 1 : s;                                              \
            }                                                                                             \
        }                                                                                                 \
        return 0;                                                                                         \
    }                                                                                                     \
    static void taps_free_##C(taps_##C *tp, int n) {                                                      \
        for (int j = 0; j < n; j++) free(tp[j].idx), free(tp[j].wt);                                      \
    }
CT_DEF_TAPS(float)
CT_DEF_TAPS(double)

/* the resampling of one dtype: plane b (N * C of them) at output (od, oh) is the sum over the taps of
 * the two outer dims (rows of the input, weight v) of the taps of the last dim */
#define CT_DEF_UPSAMPLE(E, T, C, m, unused)                                                               \
    static void upsample_rows_##E(const taps_##C *tp, const T *in, const int64_t *ps, T *out,             \
                                  int64_t r0, int64_t r1, C *acc) {                                       \
        int64_t OD = tp[0].out, OH = tp[1].out, OW = tp[2].out, K = tp[2].K, sw = tp[2].stride;           \
        for (int64_t r = r0; r < r1; r++) {                                                               \
            int64_t b = r / (OD * OH), od = r / OH % OD, oh = r % OH;                                     \
            int first = 1;                                                                                \
            for (int td = 0; td < tp[0].K; td++)                                                          \
                for (int th = 0; th < tp[1].K; th++) {                                                    \
                    const T *row = in + b / ps[0] * ps[1] + b % ps[0] * ps[2] + tp[0].idx[od * tp[0].K + td] * tp[0].stride +    \
                                   tp[1].idx[oh * tp[1].K + th] * tp[1].stride;                           \
                    C v = tp[0].wt[od * tp[0].K + td] * tp[1].wt[oh * tp[1].K + th];                      \
                    const int64_t *ix = tp[2].idx;                                                        \
                    const C *wt = tp[2].wt;                                                               \
                    for (int64_t x = 0; x < OW; x++) {                                                    \
                        C s = CT_LOAD_##E(row + ix[x * K] * sw) * wt[x * K];                              \
                        for (int64_t k = 1; k < K; k++) s += CT_LOAD_##E(row + ix[x * K + k] * sw) * wt[x * K + k]; \
                        acc[x] = first ? s * v : acc[x] + s * v;                                          \
                    }                                                                                     \
                    first = 0;                                                                            \
                }                                                                                         \
            T *o = out + r * OW;                                                                          \
            for (int64_t x = 0; x < OW; x++) CT_STORE_##E(o + x, acc[x]);                                 \
        }                                                                                                 \
    }
CT_DEF_UPSAMPLE(UINT8, uint8_t, float, i, 0)
CT_DTYPES_FLOAT(CT_DEF_UPSAMPLE, 0)

#define CT_DEF_UPSAMPLE_GRAD(E, T, C, m, unused)                                                          \
    /* planes [b0, b1): grad_out spread over the taps into acc (one input plane), then stored */          \
    static void upsample_grad_planes_##E(const taps_##C *tp, T *gin, const T *gout, int64_t b0, int64_t b1, \
                                         C *acc) {                                                        \
        int64_t OD = tp[0].out, OH = tp[1].out, OW = tp[2].out, K = tp[2].K;                              \
        int64_t plane = tp[0].in * tp[1].in * tp[2].in;                                                   \
        for (int64_t b = b0; b < b1; b++) {                                                               \
            memset(acc, 0, sizeof(C) * (size_t)plane);                                                    \
            const T *g = gout + b * OD * OH * OW;                                                         \
            for (int64_t od = 0; od < OD; od++)                                                           \
                for (int64_t oh = 0; oh < OH; oh++, g += OW)                                              \
                    for (int td = 0; td < tp[0].K; td++)                                                  \
                        for (int th = 0; th < tp[1].K; th++) {                                            \
                            C *row = acc + (tp[0].idx[od * tp[0].K + td] * tp[1].in + tp[1].idx[oh * tp[1].K + th]) * tp[2].in; \
                            C v = tp[0].wt[od * tp[0].K + td] * tp[1].wt[oh * tp[1].K + th];              \
                            for (int64_t x = 0; x < OW; x++) {                                            \
                                C gv = CT_LOAD_##E(g + x) * v;                                            \
                                for (int64_t k = 0; k < K; k++) row[tp[2].idx[x * K + k]] += gv * tp[2].wt[x * K + k]; \
                            }                                                                             \
                        }                                                                                 \
            for (int64_t e = 0; e < plane; e++) CT_STORE_##E(gin + b * plane + e, acc[e]);                \
        }                                                                                                 \
    }
CT_DTYPES_FLOAT(CT_DEF_UPSAMPLE_GRAD, 0)

/* three dims of taps for a tensor with k spatial dims (the missing outer ones: size 1) */
#define CT_TAPS_SETUP(C, tp, big, args)                                                                   \
    int k_ = (int)(args)->ints[2], nd_ = (big)->ndim, ok_ = 0;                                            \
    taps_##C tp[3];                                                                                       \
    for (int j = 0; j < 3; j++) {                                                                         \
        int d = nd_ - 3 + j;                                                                              \
        bool real = j >= 3 - k_;                                                                          \
        if (ok_ == 0 && taps_init_##C(&tp[j], real ? (int)(args)->ints[0] : CT_UPSAMPLE_NEAREST,           \
                                      (args)->ints[1] != 0, real ? in_sizes[d] : 1, real ? out_sizes[d] : 1, \
                                      real ? in_strides[d] : 0, real ? (args)->scalars[j - 3 + k_].d : 0) < 0) \
            ok_ = -1;                                                                                     \
        if (ok_ < 0) tp[j].idx = NULL, tp[j].wt = NULL;                                                   \
    }

/* tensors = {out (contiguous), input (N, C, spatial...)}; ints = {mode, align_corners, k spatial dims};
 * scalars = {the scale of each spatial dim (<= 0: not given)} */
int ct_cpu_upsample(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *in = args->tensors[1];
    const int64_t *in_sizes = in->sizes, *out_sizes = out->sizes, *in_strides = in->strides;
    /* plane b = (n, c): channels, and the strides of n and c */
    int64_t ps[3] = {in->sizes[1] ? in->sizes[1] : 1, in->strides[0], in->strides[1]}, planes = in->sizes[0] * in->sizes[1];
    int fail = 0;
    switch (out->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E: {                                                                                        \
        CT_TAPS_SETUP(C, tp, in, args)                                                                    \
        if (ok_ < 0) {                                                                                    \
            taps_free_##C(tp, 3);                                                                         \
            return -1;                                                                                    \
        }                                                                                                 \
        int64_t rows = planes * tp[0].out * tp[1].out, OW = tp[2].out;                                    \
        int nt = (ct_numel(out) * tp[0].K * tp[1].K * tp[2].K >= CT_GRAIN ? ct_get_num_threads() : 1);                \
        _Pragma("omp parallel num_threads(nt) if (nt > 1 && rows > 1)")                                   \
        {                                                                                                 \
            int64_t t = 0, n = 1;                                                                         \
            THREAD_ID(t, n);                                                                              \
            C *acc = malloc(sizeof(C) * (size_t)(OW + 1));                                                \
            if (acc) upsample_rows_##E(tp, (const T *)ct_data(in), ps, (T *)ct_data(out), rows * t / n,   \
                                       rows * (t + 1) / n, acc);                                          \
            else _Pragma("omp atomic write") fail = 1;                                                    \
            free(acc);                                                                                    \
        }                                                                                                 \
        taps_free_##C(tp, 3);                                                                             \
        return fail ? ct_error(CT_ERR_NOMEM, "interpolate: out of memory") : 0;                           \
    }
        CT_CASE(UINT8, uint8_t, float, i, 0)
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default: return ct_error(CT_ERR_RUNTIME, "interpolate: unsupported dtype");
    }
}

/* tensors = {grad_input (contiguous), grad_out (contiguous)}; ints and scalars as ct_cpu_upsample
 * (threads split the planes: each accumulates its own) */
int ct_cpu_upsample_backward(const ct_kernel_args *args) {
    ct_tensor *gin = args->tensors[0], *gout = args->tensors[1];
    const int64_t *in_sizes = gin->sizes, *out_sizes = gout->sizes, *in_strides = gin->strides;
    int64_t planes = gin->sizes[0] * gin->sizes[1];
    int fail = 0;
    switch (gin->dtype) {
#define CT_CASE(E, T, C, m, unused)                                                                       \
    case CT_##E: {                                                                                        \
        CT_TAPS_SETUP(C, tp, gin, args)                                                                   \
        if (ok_ < 0) {                                                                                    \
            taps_free_##C(tp, 3);                                                                         \
            return -1;                                                                                    \
        }                                                                                                 \
        int64_t plane = tp[0].in * tp[1].in * tp[2].in;                                                   \
        int nt = (ct_numel(gout) * tp[0].K * tp[1].K * tp[2].K >= CT_GRAIN ? ct_get_num_threads() : 1);               \
        _Pragma("omp parallel num_threads(nt) if (nt > 1 && planes > 1)")                                 \
        {                                                                                                 \
            int64_t t = 0, n = 1;                                                                         \
            THREAD_ID(t, n);                                                                              \
            C *acc = malloc(sizeof(C) * (size_t)(plane + 1));                                             \
            if (acc) upsample_grad_planes_##E(tp, (T *)ct_data(gin), (const T *)ct_data(gout), planes * t / n, \
                                              planes * (t + 1) / n, acc);                                 \
            else _Pragma("omp atomic write") fail = 1;                                                    \
            free(acc);                                                                                    \
        }                                                                                                 \
        taps_free_##C(tp, 3);                                                                             \
        return fail ? ct_error(CT_ERR_NOMEM, "interpolate: out of memory") : 0;                           \
    }
        CT_DTYPES_FLOAT(CT_CASE, 0)
#undef CT_CASE
    default: return ct_error_kernel_dtype("upsample_backward", gin->dtype);
    }
}
