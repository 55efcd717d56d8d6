/* Convolution kernels: conv2d (im2col + GEMM), conv_transpose2d (GEMM +
 * col2im, also the input gradient of conv2d; with stride 1, a conv2d with
 * the kernel flipped) and the weight gradient (GEMM with the columns), on
 * contiguous NCHW tensors checked by ops/nn_conv.c. float32 and float64 go
 * to single-threaded BLAS calls spread over OpenMP threads (cpu/gemm.c's
 * one-pool rule), by column tiles of an image or, for small images, several
 * images per GEMM; integer dtypes run a direct loop whose sums wrap as
 * PyTorch's do. A 1x1 convolution with stride 1 and no padding uses the
 * image itself as its column matrix. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
#endif

#include "ct_blas.h"
#include "ct_kernels.h"

/* the two sides of a convolution: the image (conv2d's input) and the columns (its output) */
typedef struct {
    int64_t N, C, H, W;      /* image */
    int64_t K, OH, OW, L;    /* columns: channels, size, OH * OW */
    int64_t kh, kw, sh, sw, ph, pw, dh, dw, G;
    int64_t cg, kg, ck;      /* per group: image channels, column channels, column rows (cg * kh * kw) */
    bool direct;             /* 1x1, stride 1, no padding: the image is its own column matrix */
    int64_t tile;            /* output positions per column tile */
    int64_t nimg, width;     /* images per item (small ones go several to a GEMM), columns per item */
} geom;

/* a piece of work: positions [p0, p0 + tl) of image n0, or (nb > 1) all of images [n0, n0 + nb) */
typedef struct {
    int64_t n0, nb, p0, tl;
} item;

#define MIN_WIDTH 256   /* fewer output positions than this per GEMM leave BLAS well below its speed */

#define TILE_BYTES (1024 * 1024)   /* one tile of columns: fits the L2 cache beside the GEMM's panels */

/* the geometry of image (N, C, H, W), columns (N, K, OH, OW) and a kh x kw kernel; ints as the op's */
static geom geom_make(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t OH, int64_t OW, int64_t kh,
                      int64_t kw, const int64_t *ints, int64_t itemsize) {
    geom g = {.N = N, .C = C, .H = H, .W = W, .K = K, .OH = OH, .OW = OW, .kh = kh, .kw = kw, .sh = ints[0],
              .sw = ints[1], .ph = ints[2], .pw = ints[3], .dh = ints[4], .dw = ints[5], .G = ints[6]};
    g.L = g.OH * g.OW;
    g.cg = g.C / g.G;
    g.kg = g.K / g.G;
    g.ck = g.cg * g.kh * g.kw;
    g.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.OH == g.H &&
               g.OW == g.W;
    int64_t row_bytes = g.C * g.kh * g.kw * itemsize;
    g.tile = row_bytes > 0 ? TILE_BYTES / row_bytes : g.L;
    if (g.tile < 64) g.tile = 64;
    if (g.tile > g.L) g.tile = g.L > 0 ? g.L : 1;
    g.nimg = 1;
    if (!g.direct && g.L > 0 && 2 * g.L <= MIN_WIDTH) {   /* small images: several per item, all threads busy */
        int64_t per_thread = (g.N + ct_get_num_threads() - 1) / ct_get_num_threads();
        g.nimg = (MIN_WIDTH + g.L - 1) / g.L < per_thread ? (MIN_WIDTH + g.L - 1) / g.L : per_thread;
    }
    g.width = g.nimg * g.tile;
    return g;
}

static int64_t item_count(const geom *g) {
    return g->nimg > 1 ? (g->N + g->nimg - 1) / g->nimg : g->N * ((g->L + g->tile - 1) / g->tile);
}

static item item_of(const geom *g, int64_t it) {
    if (g->nimg > 1) {
        item t = {it * g->nimg, g->N - it * g->nimg < g->nimg ? g->N - it * g->nimg : g->nimg, 0, g->L};
        return t;
    }
    int64_t ntiles = (g->L + g->tile - 1) / g->tile, p0 = it % ntiles * g->tile;
    item t = {it / ntiles, 1, p0, g->L - p0 < g->tile ? g->L - p0 : g->tile};
    return t;
}

static geom geom_of(const ct_tensor *img, const ct_tensor *cols, const ct_tensor *w, const int64_t *ints) {
    const int64_t *i = img->sizes, *c = cols->sizes;
    return geom_make(i[0], i[1], i[2], i[3], c[1], c[2], c[3], w->sizes[2], w->sizes[3], ints, ct_itemsize(img->dtype));
}

/* threads for `items` independent pieces of work worth `flops` in all */
static int team(int64_t items, double flops) {
    int nt = ct_get_num_threads();
    if (flops < 1e6 || items < 2) return 1;
    return items < nt ? (int)items : nt;
}

static inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* the output columns q of [a, b) whose image column q * s + off lies in [0, W) */
static inline void valid_cols(int64_t a, int64_t b, int64_t s, int64_t off, int64_t W, int64_t *lo, int64_t *hi) {
    int64_t first = -floor_div(off, s), last = floor_div(W - 1 - off, s) + 1;   /* ceil(-off / s), ... */
    *lo = first > a ? first : a;
    *hi = last < b ? last : b;
    if (*hi < *lo) *hi = *lo;
}

#define CT_T float
#define CT_GEMM CT_BLAS(cblas_sgemm)
#define CT_SFX _f32
#include "nn_conv_impl.h"
#undef CT_T
#undef CT_GEMM
#undef CT_SFX
#define CT_T double
#define CT_GEMM CT_BLAS(cblas_dgemm)
#define CT_SFX _f64
#include "nn_conv_impl.h"
#undef CT_T
#undef CT_GEMM
#undef CT_SFX

/* integer dtypes, directly: sums in uint64_t, so that they wrap (mod 2^bits) as PyTorch's do.
 * forward: out[n, k] = bias[k] + sum over the group's channels and the kernel of x * w;
 * transposed: each column value times the kernel added into the image */
#define CT_DEF_CONV_INT(E, T, Ct, m, unused)                                                                 \
    static void conv_int_##E(const geom *g, T *cols, T *img, const T *w, const T *bias, bool transposed) {  \
        int64_t HW = g->H * g->W;                                                                       \
        if (transposed)                                                                                 \
            for (int64_t i = 0; i < g->N * g->C * HW; i++) img[i] = bias ? bias[i / HW % g->C] : 0;     \
        _Pragma("omp parallel for if (!transposed && g->N * g->K * g->L * g->ck > 65536)")              \
        for (int64_t nk = 0; nk < g->N * g->K; nk++) {                                                  \
            int64_t n = nk / g->K, k = nk % g->K, c0 = k / g->kg * g->cg;                               \
            for (int64_t oh = 0; oh < g->OH; oh++)                                                      \
                for (int64_t ow = 0; ow < g->OW; ow++) {                                                \
                    T *pc = cols + nk * g->L + oh * g->OW + ow;                                         \
                    uint64_t acc = bias && !transposed ? (uint64_t)bias[k] : 0;                         \
                    for (int64_t c = 0; c < g->cg; c++)                                                 \
                        for (int64_t i = 0; i < g->kh; i++) {                                           \
                            int64_t ih = oh * g->sh - g->ph + i * g->dh;                                \
                            if (ih < 0 || ih >= g->H) continue;                                         \
                            for (int64_t j = 0; j < g->kw; j++) {                                       \
                                int64_t iw = ow * g->sw - g->pw + j * g->dw;                            \
                                if (iw < 0 || iw >= g->W) continue;                                     \
                                uint64_t wv = (uint64_t)w[((k * g->cg + c) * g->kh + i) * g->kw + j];   \
                                T *pi = img + (n * g->C + c0 + c) * HW + ih * g->W + iw;                \
                                if (transposed) *pi = (T)((uint64_t)*pi + (uint64_t)*pc * wv);          \
                                else acc += (uint64_t)*pi * wv;                                         \
                            }                                                                           \
                        }                                                                               \
                    if (!transposed) *pc = (T)acc;                                                      \
                }                                                                                       \
        }                                                                                               \
    }
CT_DTYPES_INT(CT_DEF_CONV_INT, 0)

/* one of conv2d (transposed false) and conv_transpose2d on the image and column tensors */
static int conv_run(ct_tensor *img, ct_tensor *cols, ct_tensor *w, ct_tensor *bias, const int64_t *ints,
                    bool transposed, const char *name) {
    geom g = geom_of(img, cols, w, ints);
    void *pi = ct_data(img), *pc = ct_data(cols), *pw = ct_data(w), *pb = bias ? ct_data(bias) : NULL;
    switch (img->dtype) {
    case CT_FLOAT32:
        return transposed ? conv_transposed_f32(&g, pi, pc, pw, pb) : conv_forward_f32(&g, pc, pi, pw, pb);
    case CT_FLOAT64:
        return transposed ? conv_transposed_f64(&g, pi, pc, pw, pb) : conv_forward_f64(&g, pc, pi, pw, pb);
#define CT_CONV_INT_CASE(E, T, Ct, m, unused) \
    case CT_##E: conv_int_##E(&g, pc, pi, pw, pb, transposed); return 0;
        CT_DTYPES_INT(CT_CONV_INT_CASE, 0)
    default:
        return ct_error_kernel_dtype(name, img->dtype);
    }
}

int ct_cpu_conv2d(const ct_kernel_args *a) {
    ct_tensor *bias = a->ntensors > 3 ? a->tensors[3] : NULL;
    return conv_run(a->tensors[1], a->tensors[0], a->tensors[2], bias, a->ints, false, "slow_conv2d_cpu");
}

int ct_cpu_conv_transpose2d(const ct_kernel_args *a) {
    ct_tensor *bias = a->ntensors > 3 ? a->tensors[3] : NULL;
    return conv_run(a->tensors[0], a->tensors[1], a->tensors[2], bias, a->ints, true, "slow_conv_transpose2d_out_cpu");
}

#define WHOLE_COLS_BYTES (32 * 1024 * 1024)   /* the columns of every image, for one weight-gradient GEMM */

int ct_cpu_conv_weight_grad(const ct_kernel_args *a) {
    ct_tensor *gw = a->tensors[0], *img = a->tensors[1], *cols = a->tensors[2];
    geom g = geom_of(img, cols, gw, a->ints);
    /* items narrower than MIN_WIDTH / 2 starve the per-item GEMMs; wider ones keep their cache-sized tiles
     * (the small CNN of bench_train, 196 columns per item, is faster with them) */
    bool whole = g.width < MIN_WIDTH / 2 &&
                 (double)(g.C * g.kh * g.kw + g.K) * (double)(g.N * g.L) * ct_itemsize(gw->dtype) <= WHOLE_COLS_BYTES;
    if (whole && gw->dtype == CT_FLOAT32)
        return conv_weight_whole_f32(&g, (float *)ct_data(gw), (const float *)ct_data(img), (const float *)ct_data(cols));
    if (whole && gw->dtype == CT_FLOAT64)
        return conv_weight_whole_f64(&g, (double *)ct_data(gw), (const double *)ct_data(img), (const double *)ct_data(cols));
    switch (gw->dtype) {
    case CT_FLOAT32: return conv_weight_f32(&g, (float *)ct_data(gw), (const float *)ct_data(img), (const float *)ct_data(cols));
    case CT_FLOAT64:
        return conv_weight_f64(&g, (double *)ct_data(gw), (const double *)ct_data(img), (const double *)ct_data(cols));
    default: return ct_error_kernel_dtype("convolution_backward", gw->dtype);
    }
}
