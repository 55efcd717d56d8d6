/* Counting and bucketing kernels: searchsorted (binary search per value),
 * bincount and histogram (per-thread private counts, merged at the end),
 * aminmax (the data's range these ops need, in one pass).
 * ops/counting.c checks shapes and dtypes and hands over contiguous
 * operands; every position computed here is checked or clamped before it
 * indexes memory. */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "loops.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int nomem(void) { return ct_error(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory"); }

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* this thread's share [lo, hi) of n items inside a parallel region, split as
 * at::parallel_for splits them: at most n / grain threads, equal chunks */
static void thread_share(int64_t n, int64_t grain, int64_t *lo, int64_t *hi) {
#ifdef _OPENMP
    int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
#else
    int64_t nt = 1, t = 0;
#endif
    int64_t most = (n + grain - 1) / grain, chunk;
    if (nt > most) nt = most;
    chunk = (n + nt - 1) / nt;
    *lo = t < nt && t * chunk < n ? t * chunk : n;
    *hi = *lo + chunk < n ? *lo + chunk : n;
}

/* ---- searchsorted ----
 * The first position in a row b[0..n) whose value is >= v (right: > v),
 * halving as PyTorch's lower/upper bound does (start + len / 2), so rows
 * holding NaN or out of order give PyTorch's answers too. Each step is
 * branch-free (a mask picks the half), and eight values are searched in
 * lockstep so their chains of loads overlap. */
#define CT_STEP(mv, v, right, lo, len)                                              \
    do {                                                                             \
        int64_t h_ = (len) >> 1;                                                     \
        int64_t go_ = -(int64_t)((len) > 0 && ((right) ? !((mv) > (v)) : !((mv) >= (v)))); \
        (lo) += (h_ + 1) & go_;                                                      \
        (len) = h_ + (((len) - 2 * h_ - 1) & go_);                                   \
    } while (0)
#define CT_LANES 8

/* one searchsorted call: values [rows, k] against boundaries [rows, m] (shared: one row for all) */
typedef struct {
    const void *bd, *v;
    const int64_t *sorter;   /* positions into each row, or NULL */
    char *out;
    int64_t nv, k, m;
    bool shared, right, i32;
} search_job;

#define CT_DEF_SEARCH(E, T, C, m_, _)                                                                       \
    /* one value; s: the row's sorter (positions into b) or NULL */                                         \
    static int64_t search_##E(const T *b, const int64_t *s, int64_t n, C v, bool right) {                   \
        int64_t lo = 0, len = n;                                                                            \
        while (len > 0) {                                                                                   \
            int64_t at = lo + (len >> 1);                                                                   \
            C mv = b[s ? s[at] : at];                                                                       \
            CT_STEP(mv, v, right, lo, len);                                                                 \
        }                                                                                                   \
        return lo;                                                                                          \
    }                                                                                                       \
    /* CT_LANES values v[k] in rows b[k]: every lane takes the most steps any needs (a finished lane       \
     * reads its last element again and stays) */                                                           \
    static void search_lanes_##E(const T *const *b, int64_t n, const T *v, bool right, int64_t *out) {     \
        int64_t lo[CT_LANES] = {0}, len[CT_LANES];                                                          \
        for (int k = 0; k < CT_LANES; k++) len[k] = n;                                                      \
        for (int64_t steps = n; steps > 0; steps >>= 1)                                                     \
            for (int k = 0; k < CT_LANES; k++) {                                                            \
                int64_t at = lo[k] + (len[k] >> 1);                                                         \
                C mv = b[k][at < n ? at : n - 1];                                                           \
                CT_STEP(mv, (C)v[k], right, lo[k], len[k]);                                                 \
            }                                                                                               \
        for (int k = 0; k < CT_LANES; k++) out[k] = lo[k];                                                  \
    }                                                                                                       \
    /* block blk of CT_LANES values: results into out (int32/int64) */                                     \
    static void search_block_##E(const search_job *j, int64_t blk) {                                       \
        const T *bd = (const T *)j->bd, *v = (const T *)j->v;                                                \
        int64_t i0 = blk * CT_LANES, cnt = j->nv - i0 < CT_LANES ? j->nv - i0 : CT_LANES, r[CT_LANES];       \
        const T *rows[CT_LANES];                                                                             \
        for (int64_t i = 0; i < cnt; i++) rows[i] = bd + (j->shared ? 0 : (i0 + i) / j->k * j->m);          \
        if (cnt == CT_LANES && !j->sorter) {                                                                 \
            search_lanes_##E(rows, j->m, v + i0, j->right, r);                                               \
        } else {                                                                                             \
            for (int64_t i = 0; i < cnt; i++)                                                                \
                r[i] = search_##E(rows[i], j->sorter ? j->sorter + (rows[i] - bd) : NULL, j->m, v[i0 + i],   \
                                  j->right);                                                                 \
        }                                                                                                    \
        for (int64_t i = 0; i < cnt; i++) {                                                                  \
            if (j->i32) ((int32_t *)j->out)[i0 + i] = (int32_t)r[i];                                         \
            else ((int64_t *)j->out)[i0 + i] = r[i];                                                         \
        }                                                                                                    \
    }                                                                                                        \
    static void searchsorted_##E(const search_job *j) {                                                      \
        int64_t nblk = (j->nv + CT_LANES - 1) / CT_LANES;                                                    \
        if (j->nv * 16 < CT_GRAIN) { /* small: no thread team to set up */                                   \
            for (int64_t blk = 0; blk < nblk; blk++) search_block_##E(j, blk);                               \
            return;                                                                                          \
        }                                                                                                    \
        _Pragma("omp parallel for schedule(static) num_threads(ct_get_num_threads())")                      \
        for (int64_t blk = 0; blk < nblk; blk++) search_block_##E(j, blk);                                   \
    }
CT_DT_INTS_(CT_DEF_SEARCH, 0)
CT_DEF_SEARCH(FLOAT32, float, float, d, 0)
CT_DEF_SEARCH(FLOAT64, double, double, d, 0)

/* tensors = {out (int32/int64), boundaries [..., m], values [..., k], sorter or NULL}; ints = {right} */
int ct_cpu_searchsorted(const ct_kernel_args *args) {
    const ct_tensor *bd = args->tensors[1], *v = args->tensors[2], *st = args->ntensors > 3 ? args->tensors[3] : NULL;
    search_job j = {.bd = ct_data(bd), .v = ct_data(v), .sorter = st ? (const int64_t *)ct_data(st) : NULL,
                    .out = ct_data(args->tensors[0]), .nv = ct_numel(v), .k = v->ndim ? v->sizes[v->ndim - 1] : 1,
                    .m = bd->sizes[bd->ndim - 1], .shared = bd->ndim == 1, .right = args->ints[0] != 0,
                    .i32 = args->tensors[0]->dtype == CT_INT32};
    switch (bd->dtype) {
#define CT_SEARCH_CASE(E, T, C, m_, _) \
    case CT_##E: searchsorted_##E(&j); return 0;
        CT_DT_INTS_(CT_SEARCH_CASE, 0)
        CT_SEARCH_CASE(FLOAT32, float, float, d, 0)
        CT_SEARCH_CASE(FLOAT64, double, double, d, 0)
#undef CT_SEARCH_CASE
    default: return ct_error_dtype("searchsorted_out", bd->dtype);
    }
}

/* ---- aminmax ----
 * The smallest and largest element in one pass (the range of bincount, histc
 * and histogram, the sorter's check), per-thread partials merged; both NaN
 * when the data holds a NaN, as PyTorch's aminmax. Integers compare in eight
 * independent lanes; float32 and float64 use SSE2's packed min/max, whose
 * answers for NaN do not matter: NaN is noted apart and wins. */
#define CT_MINMAX_LANES 8

/* the first NaN of x[lo..hi), into both results (the rare path) */
#define CT_TAKE_NAN(E, x, lo, hi, out)                                   \
    for (int64_t i_ = (lo); i_ < (hi); i_++)                             \
        if (CT_LOAD_##E((x) + i_) != CT_LOAD_##E((x) + i_)) {            \
            (out)[0] = (out)[1] = CT_LOAD_##E((x) + i_);                 \
            break;                                                       \
        }

#define CT_DEF_MINMAX(E, T, C, m_, _)                                                                    \
    static void minmax_of_##E(const T *x, int64_t lo, int64_t hi, C *out) {                              \
        C a[CT_MINMAX_LANES], b[CT_MINMAX_LANES];                                                         \
        bool nan = false;                                                                                \
        for (int k = 0; k < CT_MINMAX_LANES; k++) a[k] = b[k] = CT_LOAD_##E(x + lo);                     \
        int64_t i = lo;                                                                                  \
        for (; i + CT_MINMAX_LANES <= hi; i += CT_MINMAX_LANES)                                          \
            for (int k = 0; k < CT_MINMAX_LANES; k++) {                                                  \
                C v = CT_LOAD_##E(x + i + k);                                                            \
                a[k] = v < a[k] ? v : a[k];                                                              \
                b[k] = v > b[k] ? v : b[k];                                                              \
                nan |= v != v;                                                                           \
            }                                                                                            \
        for (; i < hi; i++) {                                                                            \
            C v = CT_LOAD_##E(x + i);                                                                    \
            a[0] = v < a[0] ? v : a[0];                                                                  \
            b[0] = v > b[0] ? v : b[0];                                                                  \
            nan |= v != v;                                                                               \
        }                                                                                                \
        for (int k = 1; k < CT_MINMAX_LANES; k++) {                                                      \
            a[0] = a[k] < a[0] ? a[k] : a[0];                                                            \
            b[0] = b[k] > b[0] ? b[k] : b[0];                                                            \
        }                                                                                                \
        out[0] = a[0];                                                                                   \
        out[1] = b[0];                                                                                   \
        if (nan) CT_TAKE_NAN(E, x, lo, hi, out);                                                         \
    }
CT_DT_BOOL_(CT_DEF_MINMAX, 0)
CT_DT_INTS_(CT_DEF_MINMAX, 0)
CT_DEF_MINMAX(FLOAT16, ct_half, float, d, 0)
CT_DEF_MINMAX(BFLOAT16, ct_bf16, float, d, 0)

#if defined(__SSE2__)
/* W lanes of a __m128 kind V with intrinsics suffix S (ps: float, pd: double) */
#define CT_DEF_MINMAX_SSE(E, T, V, S, W)                                                                 \
    static void minmax_of_##E(const T *x, int64_t lo, int64_t hi, T *out) {                              \
        V mn = _mm_set1_##S(x[lo]), mx = mn, un = _mm_setzero_##S();                                     \
        int64_t i = lo;                                                                                  \
        for (; i + W <= hi; i += W) {                                                                    \
            V v = _mm_loadu_##S(x + i);                                                                  \
            mn = _mm_min_##S(mn, v);                                                                     \
            mx = _mm_max_##S(mx, v);                                                                     \
            un = _mm_or_##S(un, _mm_cmpunord_##S(v, v));                                                 \
        }                                                                                                \
        T l[W], h[W];                                                                                    \
        _mm_storeu_##S(l, mn);                                                                           \
        _mm_storeu_##S(h, mx);                                                                           \
        bool nan = _mm_movemask_##S(un) != 0;                                                            \
        for (int k = 1; k < W; k++) {                                                                    \
            l[0] = l[k] < l[0] ? l[k] : l[0];                                                            \
            h[0] = h[k] > h[0] ? h[k] : h[0];                                                            \
        }                                                                                                \
        for (; i < hi; i++) {                                                                            \
            l[0] = x[i] < l[0] ? x[i] : l[0];                                                            \
            h[0] = x[i] > h[0] ? x[i] : h[0];                                                            \
            nan |= x[i] != x[i];                                                                         \
        }                                                                                                \
        out[0] = l[0];                                                                                   \
        out[1] = h[0];                                                                                   \
        if (nan) CT_TAKE_NAN(E, x, lo, hi, out);                                                         \
    }
CT_DEF_MINMAX_SSE(FLOAT32, float, __m128, ps, 4)
CT_DEF_MINMAX_SSE(FLOAT64, double, __m128d, pd, 2)
#else
CT_DEF_MINMAX(FLOAT32, float, float, d, 0)
CT_DEF_MINMAX(FLOAT64, double, double, d, 0)
#endif

/* partials of the threads that share x[0..n), merged into out[0] (min) and out[1] (max) */
#define CT_DEF_MINMAX_ALL(E, T, C, m_, _)                                                                \
    static int minmax_##E(const T *x, int64_t n, T *out) {                                               \
        int nt = n >= CT_GRAIN ? ct_get_num_threads() : 1;                                                \
        C *part = malloc(sizeof(C) * 2 * (size_t)nt);                                                    \
        if (!part) return nomem();                                                                       \
        for (int t = 0; t < nt; t++) part[2 * t] = part[2 * t + 1] = CT_LOAD_##E(x); /* idle threads */  \
        if (nt == 1) {                                                                                   \
            minmax_of_##E(x, 0, n, part);                                                                \
        } else {                                                                                         \
            _Pragma("omp parallel num_threads(nt)")                                                      \
            {                                                                                            \
                int64_t lo, hi;                                                                          \
                thread_share(n, CT_GRAIN, &lo, &hi);                                                     \
                if (lo < hi) minmax_of_##E(x, lo, hi, part + 2 * thread_id());                           \
            }                                                                                            \
        }                                                                                                \
        C a = part[0], b = part[1];                                                                      \
        for (int t = 1; t < nt; t++) {                                                                   \
            C pa = part[2 * t], pb = part[2 * t + 1];                                                    \
            a = pa != pa || pa < a ? pa : a;                                                             \
            b = pb != pb || pb > b ? pb : b;                                                             \
        }                                                                                                \
        free(part);                                                                                      \
        CT_STORE_##E(out, a);                                                                            \
        CT_STORE_##E(out + 1, b);                                                                        \
        return 0;                                                                                        \
    }
CT_DTYPES_ALL(CT_DEF_MINMAX_ALL, 0)

/* tensors = {out [2] (the input's dtype), input (contiguous, not empty)} */
int ct_cpu_aminmax(const ct_kernel_args *args) {
    const ct_tensor *in = args->tensors[1];
    switch (in->dtype) {
#define CT_MINMAX_CASE(E, T, C, m_, _) \
    case CT_##E: return minmax_##E((const T *)ct_data(in), ct_numel(in), (T *)ct_data(args->tensors[0]));
        CT_DTYPES_ALL(CT_MINMAX_CASE, 0)
#undef CT_MINMAX_CASE
    default: return ct_error_dtype("aminmax", in->dtype);
    }
}

/* ---- bincount ----
 * Counts go to per-thread int64 arrays merged at the end (exact in any order);
 * weights are summed in input order on one thread, as PyTorch does, so float
 * sums round the same way. */
#define CT_DEF_BINCOUNT(E, T, C, m_, _)                                                                  \
    static int bincount_##E(const ct_kernel_args *a) {                                                   \
        ct_tensor *out = a->tensors[0];                                                                  \
        const T *x = (const T *)ct_data(a->tensors[1]);                                                  \
        const ct_tensor *w = a->tensors[2];                                                              \
        int64_t n = ct_numel(a->tensors[1]), nb = ct_numel(out);                                         \
        if (w && w->dtype == CT_FLOAT32) {                                                               \
            float *o = (float *)ct_data(out);                                                            \
            const float *wv = (const float *)ct_data(w);                                                 \
            for (int64_t i = 0; i < n; i++) o[x[i]] += wv[i];                                            \
            return 0;                                                                                    \
        }                                                                                                \
        if (w) {                                                                                         \
            double *o = (double *)ct_data(out);                                                          \
            const double *wv = (const double *)ct_data(w);                                               \
            for (int64_t i = 0; i < n; i++) o[x[i]] += wv[i];                                            \
            return 0;                                                                                    \
        }                                                                                                \
        int64_t *o = (int64_t *)ct_data(out);                                                            \
        int nt = n >= CT_GRAIN && nb <= n / 8 ? ct_get_num_threads() : 1;                                 \
        if (nt == 1) {                                                                                   \
            for (int64_t i = 0; i < n; i++) o[x[i]]++;                                                   \
            return 0;                                                                                    \
        }                                                                                                \
        int64_t *part = calloc((size_t)(nt * nb), sizeof(int64_t));                                      \
        if (!part) return nomem();                                                                       \
        _Pragma("omp parallel num_threads(nt)")                                                          \
        {                                                                                                \
            int64_t lo, hi, *mine = part + (int64_t)thread_id() * nb;                                    \
            thread_share(n, CT_GRAIN, &lo, &hi);                                                         \
            for (int64_t i = lo; i < hi; i++) mine[x[i]]++;                                              \
        }                                                                                                \
        for (int t = 0; t < nt; t++)                                                                     \
            for (int64_t b = 0; b < nb; b++) o[b] += part[t * nb + b];                                   \
        free(part);                                                                                      \
        return 0;                                                                                        \
    }
CT_DT_INTS_(CT_DEF_BINCOUNT, 0)

/* tensors = {out (zeros: int64, or float32/float64 like the weights), input (integral, values in
 * [0, numel(out))), weights (float32 or float64) or NULL} */
int ct_cpu_bincount(const ct_kernel_args *args) {
    switch (args->tensors[1]->dtype) {
#define CT_BINCOUNT_CASE(E, T, C, m_, _) \
    case CT_##E: return bincount_##E(args);
        CT_DT_INTS_(CT_BINCOUNT_CASE, 0)
#undef CT_BINCOUNT_CASE
    default: return ct_error_dtype("bincount", args->tensors[1]->dtype);
    }
}

/* ---- histogram ----
 * PyTorch's three ways (ct_hist_search) to find an element's bin among edges e[0..ne):
 * LINEAR (histc): (x - e0) * (ne - 1) / (e_last - e0), truncated, computed in
 * the input's dtype (float16/bfloat16 round after every step, as their C++
 * operators do); LOCAL: that guess corrected by an upper-bound search among
 * its neighbours; BINARY: an upper-bound search over all edges. The last bin
 * includes its right edge; elements outside [e0, e_last] and NaN are skipped.
 * Each thread counts (or sums weights) into a histogram of the input's dtype,
 * over the share at::parallel_for gives it, and the histograms are summed at
 * the end: float16/bfloat16 counts saturate and float sums round as in PyTorch. */
#define CT_HIST_GRAIN 200   /* PyTorch's HISTOGRAM_GRAIN_SIZE */

#define CT_ROUND_FLOAT16(x) ct_half_to_float(ct_float_to_half(x))
#define CT_ROUND_BFLOAT16(x) ct_bf16_to_float(ct_float_to_bf16(x))
#define CT_ROUND_FLOAT32(x) (x)
#define CT_ROUND_FLOAT64(x) (x)

/* the first position in e[lo..hi) whose edge is > x (std::upper_bound), into pos */
#define CT_UPPER(E, C, e, lo_, hi_, x, pos)                     \
    do {                                                        \
        int64_t len_ = (hi_) - (lo_);                           \
        (pos) = (lo_);                                          \
        while (len_ > 0) {                                      \
            C mv_ = CT_LOAD_##E((e) + (pos) + (len_ >> 1));     \
            CT_STEP(mv_, x, true, pos, len_);                   \
        }                                                       \
    } while (0)

#define CT_DEF_HIST(E, T, C, m_, _)                                                                      \
    static inline int64_t bin_##E(const T *e, int64_t ne, C left, C right, C x, int alg) {                \
        int64_t pos;                                                                                     \
        if (alg == CT_HIST_BINARY) {                                                                     \
            CT_UPPER(E, C, e, 0, ne, x, pos);                                                               \
            pos -= 1;                                                                                    \
        } else {                                                                                         \
            C d = CT_ROUND_##E(x - left), span = CT_ROUND_##E(right - left);                             \
            C scaled = CT_ROUND_##E(d * CT_ROUND_##E((C)(ne - 1)));                                      \
            pos = (int64_t)CT_ROUND_##E(scaled / span);                                                  \
            if (alg == CT_HIST_LOCAL) {                                                                  \
                int64_t lo = pos - 1 > 0 ? pos - 1 : 0, hi = pos + 2 < ne ? pos + 2 : ne;                \
                CT_UPPER(E, C, e, lo, hi, x, pos);                                                          \
                pos -= 1;                                                                                \
            }                                                                                            \
        }                                                                                                \
        if (pos >= ne - 1) pos = ne - 2; /* the last bin takes its right edge (and, as a guard, beyond) */ \
        return pos < 0 ? 0 : pos;                                                                        \
    }                                                                                                    \
    static void hist_range_##E(const ct_kernel_args *a, int64_t lo, int64_t hi, T *acc) {                 \
        const T *x = (const T *)ct_data(a->tensors[1]), *e = (const T *)ct_data(a->tensors[2]);          \
        const T *w = a->ntensors > 3 && a->tensors[3] ? (const T *)ct_data(a->tensors[3]) : NULL;        \
        int64_t ne = ct_numel(a->tensors[2]);                                                            \
        int alg = (int)a->ints[0];                                                                       \
        C left = CT_LOAD_##E(e), right = CT_LOAD_##E(e + ne - 1);                                        \
        for (int64_t i = lo; i < hi; i++) {                                                              \
            C v = CT_LOAD_##E(x + i);                                                                    \
            if (!(v >= left && v <= right)) continue;                                                    \
            T *slot = acc + bin_##E(e, ne, left, right, v, alg);                                         \
            CT_STORE_##E(slot, CT_LOAD_##E(slot) + (w ? CT_LOAD_##E(w + i) : (C)1));                     \
        }                                                                                                \
    }                                                                                                    \
    static int hist_##E(const ct_kernel_args *a) {                                                       \
        ct_tensor *hist = a->tensors[0];                                                                 \
        int64_t n = ct_numel(a->tensors[1]), nb = ct_numel(hist);                                        \
        int nt = n > CT_HIST_GRAIN ? ct_get_num_threads() : 1;                                            \
        T *acc = calloc((size_t)(nt * nb), sizeof(T)); /* all-zero bits: 0.0 in every float dtype */     \
        if (!acc) return nomem();                                                                        \
        if (nt == 1) {                                                                                   \
            hist_range_##E(a, 0, n, acc);                                                                \
        } else {                                                                                         \
            _Pragma("omp parallel num_threads(nt)")                                                      \
            {                                                                                            \
                int64_t lo, hi;                                                                          \
                thread_share(n, CT_HIST_GRAIN, &lo, &hi);                                                \
                hist_range_##E(a, lo, hi, acc + (int64_t)thread_id() * nb);                              \
            }                                                                                            \
        }                                                                                                \
        T *o = (T *)ct_data(hist);                                                                       \
        for (int64_t b = 0; b < nb; b++) {                                                               \
            C s = 0;                                                                                     \
            for (int t = 0; t < nt; t++) s += CT_LOAD_##E(acc + t * nb + b);                             \
            CT_STORE_##E(o + b, s);                                                                      \
        }                                                                                                \
        free(acc);                                                                                       \
        return 0;                                                                                        \
    }
CT_DTYPES_FLOAT(CT_DEF_HIST, 0)

/* tensors = {hist [bins], input, edges [bins + 1], weight or NULL}, all of the input's dtype and
 * contiguous; ints = {bin search (ct_hist_search)} */
int ct_cpu_histogram(const ct_kernel_args *args) {
    switch (args->tensors[1]->dtype) {
#define CT_HIST_CASE(E, T, C, m_, _) \
    case CT_##E: return hist_##E(args);
        CT_DTYPES_FLOAT(CT_HIST_CASE, 0)
#undef CT_HIST_CASE
    default: return ct_error_kernel_dtype("histogram_cpu", args->tensors[1]->dtype);
    }
}
