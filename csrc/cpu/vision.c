/* Image kernels behind ctorch.vision's tensor transforms (ops/vision.c checks
 * shapes and dtypes; both operands are contiguous float32 or float64 planes).
 *
 * vision_resize: PyTorch's interpolate as torchvision calls it
 * (align_corners=False): nearest, nearest-exact, bilinear and bicubic, with or
 * without antialias. Every mode is separable: one tap list per output row and
 * column, a horizontal pass into a scratch buffer, then a vertical one. The
 * taps, their weights and the order of the sums are PyTorch's (upsample
 * kernels in float for float32, double for float64), so values agree with it.
 *
 * vision_affine: torchvision's _gen_affine_grid + grid_sample (zeros padding,
 * align_corners=False, nearest or bilinear), and its fill: a sampled mask of
 * ones tells how much of each output pixel fell inside the image. */
#include <math.h>
#include <stdlib.h>

#include "../core/ct_cpu_alloc.h"
#include "ct_kernels.h"
#include "ctorch/ct_ops.h"

/* the taps of one axis: output o reads n[o] inputs idx[o*k ..] with weights w[o*k ..] */
typedef struct {
    int k;
    bool contiguous;   /* tap j of output o reads idx[o*k] + j */
    int *n;
    int64_t *idx;
    void *w;   /* float or double, as the image */
} taps;

static void taps_free(taps *t) {
    free(t->n);
    free(t->idx);
    free(t->w);
}

/* PyTorch's filters: cubic convolution (A = -0.75 plain, -0.5 antialiased) and the triangle */
#define CUBIC1(T, x, A) ((((A) + (T)2) * (x) - ((A) + (T)3)) * (x) * (x) + (T)1)
#define CUBIC2(T, x, A) ((((A) * (x) - (T)5 * (A)) * (x) + (T)8 * (A)) * (x) - (T)4 * (A))

/* The tap builders for one element type T (float or double), with PyTorch's
 * arithmetic: the scale in T, index math as the upsample kernels write it. */
#define CT_DEFINE_TAPS(T, SUF)                                                                        \
    static T aa_filter_##SUF(T x, int cubic) {                                                        \
        if (x < 0) x = -x;                                                                            \
        if (!cubic) return x < 1 ? (T)1 - x : (T)0;                                                   \
        if (x < (T)1) return CUBIC1(T, x, (T)-0.5);                                                   \
        if (x < (T)2) return CUBIC2(T, x, (T)-0.5);                                                   \
        return 0;                                                                                     \
    }                                                                                                 \
    static void fill_taps_##SUF(taps *t, int64_t in, int64_t out, int mode, int aa) {                 \
        T scale = (T)in / (T)out, *w = t->w;                                                          \
        for (int64_t o = 0; o < out; o++) {                                                           \
            int64_t *ix = t->idx + o * t->k;                                                          \
            T *wo = w + o * t->k;                                                                     \
            int n = 1;                                                                                \
            wo[0] = 1;                                                                                \
            if (mode == CT_RESAMPLE_NEAREST) {                                                        \
                int64_t i = in == out ? o : out == 2 * in ? o >> 1 : (int64_t)floorf((float)o * (float)scale); \
                ix[0] = i < in - 1 ? i : in - 1;                                                      \
            } else if (mode == CT_RESAMPLE_NEAREST_EXACT) {                                           \
                int64_t i = in == out ? o : (int64_t)floorf((float)((o + 0.5) * (float)scale));       \
                ix[0] = i < in - 1 ? i : in - 1;                                                      \
            } else if (aa) {                                                                          \
                int cubic = mode == CT_RESAMPLE_BICUBIC;                                              \
                T support = scale >= (T)1 ? (cubic ? 2 : 1) * scale : (T)(cubic ? 2 : 1);             \
                T center = scale * (o + 0.5), total = 0, invscale = scale >= (T)1 ? 1.0 / scale : 1.0; \
                int64_t lo = (int64_t)(center - support + 0.5), hi = (int64_t)(center + support + 0.5); \
                lo = lo > 0 ? lo : 0;                                                                 \
                n = (int)((hi < in ? hi : in) - lo);                                                  \
                for (int j = 0; j < n; j++) {                                                         \
                    ix[j] = lo + j;                                                                   \
                    wo[j] = aa_filter_##SUF((T)((j + lo - center + 0.5) * invscale), cubic);          \
                    total += wo[j];                                                                   \
                }                                                                                     \
                for (int j = 0; total != 0 && j < n; j++) wo[j] /= total;                             \
            } else if (mode == CT_RESAMPLE_BILINEAR) {                                                \
                n = 2;                                                                                \
                T real = scale * (o + (T)0.5) - (T)0.5;                                               \
                real = real < 0 ? 0 : real;                                                           \
                int64_t i0 = (int64_t)floor(real);                                                    \
                i0 = in == out ? o : i0 < in - 1 ? i0 : in - 1;                                       \
                T l1 = in == out ? 0 : real - (T)i0;                                                  \
                l1 = l1 < 0 ? 0 : l1 > 1 ? 1 : l1;                                                    \
                ix[0] = i0, ix[1] = in == out ? i0 : i0 + (i0 < in - 1), wo[0] = (T)1 - l1, wo[1] = l1; \
            } else { /* bicubic: four clamped taps around floor(real) */                              \
                n = 4;                                                                                \
                T real = scale * (o + (T)0.5) - (T)0.5;                                               \
                int64_t i0 = (int64_t)floor(real);                                                    \
                i0 = i0 < in - 1 ? i0 : in - 1;                                                       \
                T t = real - (T)i0, A = (T)-0.75;                                                     \
                t = t < 0 ? 0 : t > 1 ? 1 : t;                                                        \
                T x2 = (T)1 - t;                                                                      \
                wo[0] = CUBIC2(T, t + (T)1, A), wo[1] = CUBIC1(T, t, A);                              \
                wo[2] = CUBIC1(T, x2, A), wo[3] = CUBIC2(T, x2 + (T)1, A);                            \
                for (int j = 0; j < 4; j++) {                                                         \
                    int64_t i = i0 - 1 + j;                                                           \
                    ix[j] = i < 0 ? 0 : i > in - 1 ? in - 1 : i;                                      \
                }                                                                                     \
            }                                                                                         \
            t->n[o] = n;                                                                              \
        }                                                                                             \
    }                                                                                                 \
    /* out[r][o] = sum_j in[r][idx_j] * w_j over rows r in [0, rows): the horizontal pass */          \
    static void pass_rows_##SUF(T *out, const T *in, int64_t rows, int64_t win, int64_t wout,         \
                                const taps *t) {                                                      \
        const T *w = t->w;                                                                            \
        _Pragma("omp parallel for if (rows * wout >= CT_GRAIN)")                                      \
        for (int64_t r = 0; r < rows; r++) {                                                          \
            const T *src = in + r * win;                                                              \
            T *dst = out + r * wout;                                                                  \
            for (int64_t o = 0; o < wout; o++) {                                                      \
                const int64_t *ix = t->idx + o * t->k;                                                \
                const T *wo = w + o * t->k, *run = src + ix[0];                                       \
                T acc = run[0] * wo[0];                                                               \
                if (t->contiguous) /* antialiased taps are a run of neighbours */                     \
                    for (int j = 1; j < t->n[o]; j++) acc += run[j] * wo[j];                          \
                else                                                                                  \
                    for (int j = 1; j < t->n[o]; j++) acc += src[ix[j]] * wo[j];                      \
                dst[o] = acc;                                                                         \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    /* out[p][o][:] = sum_j in[p][idx_j][:] * w_j: the vertical pass, whole rows at a time */         \
    static void pass_cols_##SUF(T *out, const T *in, int64_t planes, int64_t hin, int64_t hout,       \
                                int64_t width, const taps *t) {                                       \
        const T *w = t->w;                                                                            \
        _Pragma("omp parallel for if (planes * hout * width >= CT_GRAIN)")                            \
        for (int64_t po = 0; po < planes * hout; po++) {                                              \
            int64_t p = po / hout, o = po % hout;                                                     \
            const int64_t *ix = t->idx + o * t->k;                                                    \
            const T *wo = w + o * t->k, *src = in + p * hin * width;                                  \
            T *dst = out + po * width;                                                                \
            const T *r0 = src + ix[0] * width;                                                        \
            for (int64_t c = 0; c < width; c++) dst[c] = r0[c] * wo[0];                               \
            for (int j = 1; j < t->n[o]; j++) {                                                       \
                const T *rj = src + ix[j] * width;                                                    \
                T wj = wo[j];                                                                         \
                for (int64_t c = 0; c < width; c++) dst[c] += rj[c] * wj;                             \
            }                                                                                         \
        }                                                                                             \
    }

CT_DEFINE_TAPS(float, f)
CT_DEFINE_TAPS(double, d)

/* the most taps one output can read along an axis of in -> out */
static int max_taps(int64_t in, int64_t out, int mode, int aa) {
    if (mode == CT_RESAMPLE_NEAREST || mode == CT_RESAMPLE_NEAREST_EXACT) return 1;
    if (!aa) return mode == CT_RESAMPLE_BILINEAR ? 2 : 4;
    double support = (mode == CT_RESAMPLE_BICUBIC ? 2.0 : 1.0) * (in > out ? (double)in / (double)out : 1.0);
    return (int)ceil(support) * 2 + 2;
}

static int make_taps(taps *t, int64_t in, int64_t out, int mode, int aa, bool dbl) {
    t->k = max_taps(in, out, mode, aa);
    t->contiguous = aa && mode != CT_RESAMPLE_NEAREST && mode != CT_RESAMPLE_NEAREST_EXACT;
    size_t isz = dbl ? sizeof(double) : sizeof(float), cnt = (size_t)out * (size_t)t->k;
    t->n = malloc(sizeof(int) * (size_t)out);
    t->idx = malloc(sizeof(int64_t) * cnt);
    t->w = malloc(isz * cnt);
    if (!t->n || !t->idx || !t->w) {
        taps_free(t);
        return ct_error(CT_ERR_RUNTIME, "vision resize: out of memory");
    }
    if (dbl)
        fill_taps_d(t, in, out, mode, aa);
    else
        fill_taps_f(t, in, out, mode, aa);
    return 0;
}

/* tensors = {out (planes, oh, ow), in (planes, h, w)}, both contiguous; ints = {mode, antialias} */
int ct_cpu_vision_resize(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *in = args->tensors[1];
    int mode = (int)args->ints[0], aa = (int)args->ints[1];
    bool dbl = in->dtype == CT_FLOAT64;
    int64_t planes = in->sizes[0], h = in->sizes[1], w = in->sizes[2], oh = out->sizes[1], ow = out->sizes[2];
    if (planes == 0) return 0;
    /* antialiased resampling skips an axis that keeps its size (PyTorch's separable kernel does) */
    bool do_w = !aa || w != ow, do_h = !aa || h != oh;
    taps tw = {0}, th = {0};
    if ((do_w && make_taps(&tw, w, ow, mode, aa, dbl) < 0) || (do_h && make_taps(&th, h, oh, mode, aa, dbl) < 0)) {
        taps_free(&tw);
        return -1;
    }
    /* the horizontal pass's output, from the caching allocator (a fresh block would page-fault each call) */
    int64_t mid_bytes = do_w && do_h ? (int64_t)(dbl ? sizeof(double) : sizeof(float)) * planes * h * ow : 0;
    void *mid = mid_bytes ? ct_cpu_alloc(mid_bytes) : NULL;
    if (mid_bytes && !mid) {
        taps_free(&tw);
        taps_free(&th);
        return -1;
    }
    void *wdst = do_h ? mid : ct_data(out);
    const void *hsrc = do_w ? mid : ct_data(in);
    if (dbl) {
        if (do_w) pass_rows_d(wdst, (const double *)ct_data(in), planes * h, w, ow, &tw);
        if (do_h) pass_cols_d((double *)ct_data(out), hsrc, planes, h, oh, ow, &th);
    } else {
        if (do_w) pass_rows_f(wdst, (const float *)ct_data(in), planes * h, w, ow, &tw);
        if (do_h) pass_cols_f((float *)ct_data(out), hsrc, planes, h, oh, ow, &th);
    }
    if (mid) ct_cpu_free(mid, mid_bytes);
    taps_free(&tw);
    taps_free(&th);
    return 0;
}

/* floor and round-half-even without libm calls (the baseline x86-64 build has no
 * SSE4.1 rounding instruction); exact for |x| < 2^22, and larger values lie
 * outside any image anyway */
#define CT_FLOOR(T, x) ((T)(int64_t)(x) - (T)((T)(int64_t)(x) > (x)))
/* adding 1.5 * 2^(mantissa bits) rounds to an integer in the current (nearest-even) mode */
#define CT_RINT_MAGIC(T) ((T)(sizeof(T) == sizeof(float) ? 12582912.0 : 6755399441055744.0))
#define CT_RINT(T, x) (((x) + CT_RINT_MAGIC(T)) - CT_RINT_MAGIC(T))
#define CT_BIG 4194304.0                                          /* 2^22 */

/* The affine warp for element type T: for each output pixel, the grid point of
 * torchvision's _gen_affine_grid (base points from a float32 linspace, times
 * theta scaled to [-1, 1]), unnormalized as grid_sample does, then its taps
 * (input offsets and weights; -1: outside, reading zero) applied to every plane.
 * The mask is the same sampling of a plane of ones: the share inside the image. */
#define CT_DEFINE_AFFINE(T, SUF)                                                                      \
    static int taps_##SUF(T x, T y, int64_t h, int64_t w, int bilinear, int64_t *off, T *wt, T *mask) { \
        if (!(fabs((double)x) < CT_BIG && fabs((double)y) < CT_BIG)) {                                \
            *mask = 0, off[0] = -1, wt[0] = 0;                                                        \
            return 1;                                                                                 \
        }                                                                                             \
        if (!bilinear) {                                                                              \
            T rx = CT_RINT(T, x), ry = CT_RINT(T, y);                                                 \
            bool inside = rx >= 0 && rx < (T)w && ry >= 0 && ry < (T)h;                               \
            *mask = inside ? 1 : 0, off[0] = inside ? (int64_t)ry * w + (int64_t)rx : -1, wt[0] = 1;  \
            return 1;                                                                                 \
        }                                                                                             \
        T xw = CT_FLOOR(T, x), yn = CT_FLOOR(T, y), tx = x - xw, ty = y - yn;                         \
        T e = (T)1 - tx, s = (T)1 - ty, m = 0;                                                        \
        wt[0] = s * e, wt[1] = s * tx, wt[2] = ty * e, wt[3] = ty * tx;                               \
        for (int k = 0; k < 4; k++) {                                                                 \
            T cx = xw + (T)(k & 1), cy = yn + (T)(k >> 1);                                            \
            bool inside = cx >= 0 && cx < (T)w && cy >= 0 && cy < (T)h;                               \
            off[k] = inside ? (int64_t)cy * w + (int64_t)cx : -1;                                     \
            m += (inside ? (T)1 : (T)0) * wt[k];                                                      \
        }                                                                                             \
        *mask = m;                                                                                    \
        return 4;                                                                                     \
    }                                                                                                 \
    static void affine_##SUF(T *out, const T *in, int64_t planes, int64_t chans, int64_t h, int64_t w, \
                             int64_t oh, int64_t ow, const ct_scalar *sc, int bilinear, int nfill) {  \
        T th[6], fill[CT_VISION_MAX_FILL];                                                            \
        for (int i = 0; i < 6; i++) th[i] = (T)sc[i].d / (T)(i < 3 ? 0.5 * (double)w : 0.5 * (double)h); \
        for (int i = 0; i < nfill; i++) fill[i] = (T)sc[6 + i].d;                                     \
        float xs = -(float)ow * 0.5f + 0.5f, xe = (float)ow * 0.5f + 0.5f - 1.0f;                     \
        float ys = -(float)oh * 0.5f + 0.5f, ye = (float)oh * 0.5f + 0.5f - 1.0f;                     \
        float xstep = ow > 1 ? (xe - xs) / (float)(ow - 1) : 0, ystep = oh > 1 ? (ye - ys) / (float)(oh - 1) : 0; \
        int64_t plane_in = h * w, plane_out = oh * ow;                                                \
        _Pragma("omp parallel for if (planes * oh * ow >= CT_GRAIN)")                                 \
        for (int64_t i = 0; i < oh; i++) {                                                            \
            T y = (T)(i < oh / 2 ? ys + ystep * (float)i : ye - ystep * (float)(oh - i - 1));         \
            for (int64_t j = 0; j < ow; j++) {                                                        \
                T x = (T)(j < ow / 2 ? xs + xstep * (float)j : xe - xstep * (float)(ow - j - 1));     \
                T gx = x * th[0] + y * th[1] + th[2], gy = x * th[3] + y * th[4] + th[5], wt[4], m;   \
                int64_t off[4];                                                                       \
                int n = taps_##SUF((gx + (T)1) * ((T)w / 2) - (T)0.5, (gy + (T)1) * ((T)h / 2) - (T)0.5, \
                                   h, w, bilinear, off, wt, &m);                                      \
                for (int64_t p = 0; p < planes; p++) {                                                \
                    const T *src = in + p * plane_in;                                                 \
                    T v = 0;                                                                          \
                    for (int k = 0; k < n; k++) v += (off[k] >= 0 ? src[off[k]] : (T)0) * wt[k];      \
                    if (nfill) {                                                                      \
                        T f = fill[nfill == 1 ? 0 : p % chans];                                       \
                        v = bilinear ? v * m + ((T)1 - m) * f : m < (T)0.5 ? f : v;                   \
                    }                                                                                 \
                    out[p * plane_out + i * ow + j] = v;                                              \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

CT_DEFINE_AFFINE(float, f)
CT_DEFINE_AFFINE(double, d)

/* tensors = {out (planes, oh, ow), in (planes, h, w)}; scalars = {theta[6], fill...};
 * ints = {bilinear, channels (planes cycle through them), nfill (0: no fill)} */
int ct_cpu_vision_affine(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *in = args->tensors[1];
    int64_t planes = in->sizes[0], h = in->sizes[1], w = in->sizes[2], oh = out->sizes[1], ow = out->sizes[2];
    int bilinear = (int)args->ints[0], nfill = (int)args->ints[2];
    if (in->dtype == CT_FLOAT64)
        affine_d((double *)ct_data(out), (const double *)ct_data(in), planes, args->ints[1], h, w, oh, ow,
                 args->scalars, bilinear, nfill);
    else
        affine_f((float *)ct_data(out), (const float *)ct_data(in), planes, args->ints[1], h, w, oh, ow,
                 args->scalars, bilinear, nfill);
    return 0;
}
