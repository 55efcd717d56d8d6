/* Counting and bucketing kernels: searchsorted (binary search per value),
 * bincount and histogram (per-thread private counts, merged at the end).
 * ops/counting.c checks shapes and dtypes and hands over contiguous
 * operands; every position computed here is checked or clamped before it
 * indexes memory. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "loops.h"

static int nomem(void) { return ct_error(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory"); }

/* this thread's share [lo, hi) of n items inside a parallel region */
static void thread_range(int64_t n, int64_t *lo, int64_t *hi) {
#ifdef _OPENMP
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    int t = 0, nt = 1;
#endif
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ---- searchsorted ----
 * The first position in b[0..n) whose value is >= v (right: > v), halving as
 * PyTorch's lower/upper bound does (start + len / 2), so boundaries holding NaN
 * or out of order give PyTorch's answers too. The update is branch-free; IDX
 * maps a position to the element compared (through the sorter or not). */
#define CT_SEARCH_BODY(C, IDX)                                    \
    int64_t lo = 0;                                               \
    while (n > 0) {                                               \
        int64_t h = n >> 1;                                       \
        C mv = b[IDX(lo + h)];                                    \
        bool go = right ? !(mv > v) : !(mv >= v);                 \
        lo = go ? lo + h + 1 : lo;                                \
        n = go ? n - h - 1 : h;                                   \
    }                                                             \
    return lo;
#define CT_DIRECT(i) (i)
#define CT_SORTED(i) (s[i])

/* Searches of four values in lockstep: four independent chains of loads hide
 * each other's latency. Steps past a value's end leave it unchanged. */
#define CT_DEF_SEARCH(E, T, C, m, _)                                                                   \
    static int64_t search_##E(const T *b, int64_t n, C v, bool right) { CT_SEARCH_BODY(C, CT_DIRECT) }    \
    static int64_t search_sorted_##E(const T *b, const int64_t *s, int64_t n, C v, bool right) {       \
        CT_SEARCH_BODY(C, CT_SORTED)                                                                      \
    }                                                                                                  \
    static void search4_##E(const T *b, int64_t n, const T *v, bool right, int64_t *out) {             \
        int64_t lo[4] = {0, 0, 0, 0}, len[4] = {n, n, n, n};                                           \
        for (int64_t left = n; left > 0; left >>= 1) {                                                 \
            for (int k = 0; k < 4; k++) {                                                              \
                int64_t h = len[k] >> 1, at = lo[k] + h < n ? lo[k] + h : n - 1;                       \
                C mv = b[at];                                                                          \
                bool go = len[k] > 0 && (right ? !(mv > v[k]) : !(mv >= v[k]));                        \
                lo[k] = go ? lo[k] + h + 1 : lo[k];                                                    \
                len[k] = go ? len[k] - h - 1 : h;                                                      \
            }                                                                                          \
        }                                                                                              \
        for (int k = 0; k < 4; k++) out[k] = lo[k];                                                    \
    }
CT_DT_INTS_(CT_DEF_SEARCH, 0)
CT_DEF_SEARCH(FLOAT32, float, float, d, 0)
CT_DEF_SEARCH(FLOAT64, double, double, d, 0)

/* values [rows, k] against boundaries [rows, m] (or one row for all), results
 * into out (int32 or int64) */
#define CT_DEF_SEARCH_ALL(E, T, C, m_, _)                                                               \
    static void searchsorted_##E(const ct_kernel_args *a, int64_t nv, int64_t k, int64_t m, bool shared) { \
        const T *bd = (const T *)ct_data(a->tensors[1]), *v = (const T *)ct_data(a->tensors[2]);        \
        const int64_t *st = a->ntensors > 3 && a->tensors[3] ? (const int64_t *)ct_data(a->tensors[3]) : NULL; \
        bool right = a->ints[0] != 0, i32 = a->tensors[0]->dtype == CT_INT32;                             \
        char *out = ct_data(a->tensors[0]);                                                              \
        int64_t nblk = (nv + 3) / 4;                                                                     \
        _Pragma("omp parallel for schedule(static) if (nv * 16 >= CT_GRAIN) num_threads(ct_get_num_threads())") \
        for (int64_t blk = 0; blk < nblk; blk++) {                                                       \
            int64_t i0 = blk * 4, r[4];                                                                  \
            bool lockstep = shared && !st && i0 + 4 <= nv;                                               \
            if (lockstep) search4_##E(bd, m, v + i0, right, r);                                          \
            for (int64_t j = 0; j < 4 && i0 + j < nv; j++) {                                             \
                int64_t i = i0 + j, row = shared ? 0 : i / k;                                            \
                if (!lockstep)                                                                           \
                    r[j] = st ? search_sorted_##E(bd + row * m, st + row * m, m, v[i], right)             \
                              : search_##E(bd + row * m, m, v[i], right);                                \
                if (i32) ((int32_t *)out)[i] = (int32_t)r[j];                                            \
                else ((int64_t *)out)[i] = r[j];                                                         \
            }                                                                                            \
        }                                                                                                \
    }
CT_DT_INTS_(CT_DEF_SEARCH_ALL, 0)
CT_DEF_SEARCH_ALL(FLOAT32, float, float, d, 0)
CT_DEF_SEARCH_ALL(FLOAT64, double, double, d, 0)

/* tensors = {out (int32/int64), boundaries [..., m], values [..., k], sorter or NULL}; ints = {right} */
int ct_cpu_searchsorted(const ct_kernel_args *args) {
    const ct_tensor *bd = args->tensors[1], *v = args->tensors[2];
    int64_t nv = ct_numel(v), m = bd->sizes[bd->ndim - 1], k = v->ndim ? v->sizes[v->ndim - 1] : 1;
    bool shared = bd->ndim == 1;
    switch (bd->dtype) {
#define CT_SEARCH_CASE(E, T, C, m_, _) \
    case CT_##E: searchsorted_##E(args, nv, k, m, shared); return 0;
        CT_DT_INTS_(CT_SEARCH_CASE, 0)
        CT_SEARCH_CASE(FLOAT32, float, float, d, 0)
        CT_SEARCH_CASE(FLOAT64, double, double, d, 0)
#undef CT_SEARCH_CASE
    default: return ct_error_dtype("searchsorted_out", bd->dtype);
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
            thread_range(n, &lo, &hi);                                                                   \
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
 * PyTorch's three ways to find an element's bin among edges e[0..ne):
 * LINEAR (histc): (x - e0) * (ne - 1) / (e_last - e0), truncated, computed in
 * the input's dtype (float16/bfloat16 round after every step, as their C++
 * operators do); LOCAL: that guess corrected by an upper-bound search among
 * its neighbours; BINARY: an upper-bound search over all edges. The last bin
 * includes its right edge; elements outside [e0, e_last] and NaN are skipped.
 * Counts (or weights) are summed per thread in float (double for float64). */
enum { CT_HIST_LINEAR, CT_HIST_LOCAL, CT_HIST_BINARY };

#define CT_ROUND_FLOAT16(x) ct_half_to_float(ct_float_to_half(x))
#define CT_ROUND_BFLOAT16(x) ct_bf16_to_float(ct_float_to_bf16(x))
#define CT_ROUND_FLOAT32(x) (x)
#define CT_ROUND_FLOAT64(x) (x)

/* the first position in e[lo..hi) whose edge is > x (std::upper_bound) */
#define CT_UPPER(E, T, e, lo_, hi_, x, out)                        \
    do {                                                           \
        int64_t first_ = (lo_), len_ = (hi_) - (lo_);              \
        while (len_ > 0) {                                         \
            int64_t h_ = len_ >> 1;                                \
            bool go_ = !((x) < CT_LOAD_##E((e) + first_ + h_));    \
            first_ = go_ ? first_ + h_ + 1 : first_;               \
            len_ = go_ ? len_ - h_ - 1 : h_;                       \
        }                                                          \
        (out) = first_;                                            \
    } while (0)

#define CT_DEF_HIST(E, T, C, m_, _)                                                                      \
    typedef C acc_##E;                                                                                   \
    static inline int64_t bin_##E(const T *e, int64_t ne, C left, C right, C x, int alg) {                \
        int64_t pos;                                                                                     \
        if (alg == CT_HIST_BINARY) {                                                                     \
            CT_UPPER(E, T, e, 0, ne, x, pos);                                                            \
            pos -= 1;                                                                                    \
        } else {                                                                                         \
            C d = CT_ROUND_##E(x - left), span = CT_ROUND_##E(right - left);                             \
            C scaled = CT_ROUND_##E(d * CT_ROUND_##E((C)(ne - 1)));                                      \
            pos = (int64_t)CT_ROUND_##E(scaled / span);                                                  \
            if (alg == CT_HIST_LOCAL) {                                                                  \
                int64_t lo = pos - 1 > 0 ? pos - 1 : 0, hi = pos + 2 < ne ? pos + 2 : ne;                \
                CT_UPPER(E, T, e, lo, hi, x, pos);                                                       \
                pos -= 1;                                                                                \
            }                                                                                            \
        }                                                                                                \
        if (pos >= ne - 1) pos = ne - 2;                                                                 \
        return pos < 0 ? 0 : pos;                                                                        \
    }                                                                                                    \
    static void hist_range_##E(const ct_kernel_args *a, int64_t lo, int64_t hi, acc_##E *acc) {          \
        const T *x = (const T *)ct_data(a->tensors[1]), *e = (const T *)ct_data(a->tensors[2]);          \
        const T *w = a->ntensors > 3 && a->tensors[3] ? (const T *)ct_data(a->tensors[3]) : NULL;        \
        int64_t ne = ct_numel(a->tensors[2]);                                                            \
        int alg = (int)a->ints[0];                                                                       \
        C left = CT_LOAD_##E(e), right = CT_LOAD_##E(e + ne - 1);                                        \
        for (int64_t i = lo; i < hi; i++) {                                                              \
            C v = CT_LOAD_##E(x + i);                                                                    \
            if (!(v >= left && v <= right)) continue;                                                    \
            acc[bin_##E(e, ne, left, right, v, alg)] += w ? (acc_##E)CT_LOAD_##E(w + i) : (acc_##E)1;    \
        }                                                                                                \
    }                                                                                                    \
    static int hist_##E(const ct_kernel_args *a) {                                                       \
        ct_tensor *hist = a->tensors[0];                                                                 \
        int64_t n = ct_numel(a->tensors[1]), nb = ct_numel(hist);                                        \
        int nt = n >= CT_GRAIN && nb <= n / 8 ? ct_get_num_threads() : 1;                                 \
        acc_##E *acc = calloc((size_t)(nt * nb), sizeof(acc_##E));                                       \
        if (!acc) return nomem();                                                                        \
        if (nt == 1) {                                                                                   \
            hist_range_##E(a, 0, n, acc);                                                                \
        } else {                                                                                         \
            _Pragma("omp parallel num_threads(nt)")                                                      \
            {                                                                                            \
                int64_t lo, hi;                                                                          \
                thread_range(n, &lo, &hi);                                                               \
                hist_range_##E(a, lo, hi, acc + (int64_t)thread_id() * nb);                              \
            }                                                                                            \
        }                                                                                                \
        T *o = (T *)ct_data(hist);                                                                       \
        for (int64_t b = 0; b < nb; b++) {                                                               \
            acc_##E s = acc[b];                                                                          \
            for (int t = 1; t < nt; t++) s += acc[t * nb + b];                                           \
            CT_STORE_##E(o + b, s);                                                                      \
        }                                                                                                \
        free(acc);                                                                                       \
        return 0;                                                                                        \
    }
CT_DTYPES_FLOAT(CT_DEF_HIST, 0)

/* tensors = {hist [bins], input, edges [bins + 1], weight or NULL}, all of the input's dtype and
 * contiguous; ints = {algorithm (CT_HIST_*)} */
int ct_cpu_histogram(const ct_kernel_args *args) {
    switch (args->tensors[1]->dtype) {
#define CT_HIST_CASE(E, T, C, m_, _) \
    case CT_##E: return hist_##E(args);
        CT_DTYPES_FLOAT(CT_HIST_CASE, 0)
#undef CT_HIST_CASE
    default: return ct_error_kernel_dtype("histogram_cpu", args->tensors[1]->dtype);
    }
}
