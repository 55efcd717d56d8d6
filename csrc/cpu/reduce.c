/* CPU reductions. Full and partial reductions run over a reduction iterator
 * (out, in) of one dtype (the op layer casts the input to the accumulation
 * dtype first): a loop either reduces a run of inputs into one output (out
 * stride 0) or combines a run of inputs into a run of outputs elementwise,
 * NumPy's scheme. Index reductions and scans walk one dim per output position. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "loops.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LANES 32     /* independent accumulators of a contiguous run (4 AVX or 8 SSE vectors) */
#define BLOCK 4096   /* lanes restart every block; blocks fold into the wide total */

/* combine(acc, x) of each reduction; max/min propagate NaN */
#define RED_SUM (acc + x)
#define RED_PROD (acc * x)
#define RED_AMAX ((x != x || acc != acc) ? (acc != acc ? acc : x) : (x > acc ? x : acc))
#define RED_AMIN ((x != x || acc != acc) ? (acc != acc ? acc : x) : (x < acc ? x : acc))
#define RED_ALL (acc && x)
#define RED_ANY (acc || x)

/* The vectorizable form of each combine, used across lanes. Max/min lanes
 * skip the NaN test; instead they sum x - x, which is NaN only when a NaN (or
 * an infinity) went by, and such a block is reduced again the exact way. */
#define FAST_SUM RED_SUM
#define FAST_PROD RED_PROD
#define FAST_AMAX (x > acc ? x : acc)
#define FAST_AMIN (x < acc ? x : acc)
#define FAST_ALL RED_ALL
#define FAST_ANY RED_ANY
#define CHECK_NONE(x) 0
#define CHECK_NAN(x) ((x) - (x))

/* Packed max/min of a contiguous float32 run (GCC does not vectorize the
 * C form). False, with nothing written, when the run holds a NaN or an
 * infinity: the caller then takes the exact path. */
enum { RUN_MAX, RUN_MIN, RUN_OTHER };
static inline bool packed_minmax(int kind, ct_dtype dt, const void *in, int64_t n, void *total) {
#if defined(__SSE2__)
    if (kind == RUN_OTHER || dt != CT_FLOAT32 || n < 16) return false;
    const float *p = in;
    __m128 a0 = _mm_loadu_ps(p), a1 = _mm_loadu_ps(p + 4), a2 = _mm_loadu_ps(p + 8), a3 = _mm_loadu_ps(p + 12);
    __m128 c = _mm_setzero_ps();   /* sums x - x: NaN once a NaN or an infinity went by */
    int64_t i = 16;
    for (; i + 16 <= n; i += 16) {
        __m128 x0 = _mm_loadu_ps(p + i), x1 = _mm_loadu_ps(p + i + 4), x2 = _mm_loadu_ps(p + i + 8),
               x3 = _mm_loadu_ps(p + i + 12);
        if (kind == RUN_MAX) {
            a0 = _mm_max_ps(a0, x0); a1 = _mm_max_ps(a1, x1); a2 = _mm_max_ps(a2, x2); a3 = _mm_max_ps(a3, x3);
        } else {
            a0 = _mm_min_ps(a0, x0); a1 = _mm_min_ps(a1, x1); a2 = _mm_min_ps(a2, x2); a3 = _mm_min_ps(a3, x3);
        }
        c = _mm_add_ps(c, _mm_add_ps(_mm_sub_ps(x0, x0), _mm_sub_ps(x1, x1)));
        c = _mm_add_ps(c, _mm_add_ps(_mm_sub_ps(x2, x2), _mm_sub_ps(x3, x3)));
    }
    float lanes[16], chk[4], t = *(float *)total;
    _mm_storeu_ps(lanes, a0); _mm_storeu_ps(lanes + 4, a1); _mm_storeu_ps(lanes + 8, a2); _mm_storeu_ps(lanes + 12, a3);
    _mm_storeu_ps(chk, c);
    for (int j = 0; j < 4; j++) if (chk[j] != chk[j]) return false;
    for (int j = 0; j < 16; j++) if (lanes[j] != lanes[j] || lanes[j] - lanes[j] != 0) return false;
    for (; i < n; i++) if (p[i] != p[i] || p[i] - p[i] != 0) return false;
    for (int j = 0; j < 16; j++) t = kind == RUN_MAX ? (lanes[j] > t ? lanes[j] : t) : (lanes[j] < t ? lanes[j] : t);
    for (i = (n / 16) * 16; i < n; i++) t = kind == RUN_MAX ? (p[i] > t ? p[i] : t) : (p[i] < t ? p[i] : t);
    *(float *)total = t;
    return true;
#else
    return false;
#endif
}
#define RUN_KIND_sum RUN_OTHER
#define RUN_KIND_prod RUN_OTHER
#define RUN_KIND_amax RUN_MAX
#define RUN_KIND_amin RUN_MIN
#define RUN_KIND_all RUN_OTHER
#define RUN_KIND_any RUN_OTHER

/* W: the type a run accumulates in (double for float sums, as PyTorch's acc_type);
 * fast: the combine applied across lanes; check: see above */
#define CT_DEF_RED_LOOP(E, T, C, m, name, W, combine, fast, check)                             \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx_) {    \
        (void)ctx_;                                                                            \
        if (st[0] == sizeof(T) && st[1] == sizeof(T)) { /* a row into a row of outputs */      \
            T *o = (T *)data[0];                                                               \
            const T *in = (const T *)data[1];                                                  \
            for (int64_t i = 0; i < n; i++) {                                                  \
                C acc = CT_LOAD_##E(o + i), x = CT_LOAD_##E(in + i);                           \
                CT_STORE_##E(o + i, (combine));                                                \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        if (st[0] != 0) { /* combine a run of inputs into a run of outputs */                  \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T *o = CT_AT(T, data[0], i, st[0]);                                            \
                C acc = CT_LOAD_##E(o), x = CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));    \
                CT_STORE_##E(o, (combine));                                                    \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        T *o = (T *)data[0];                                                                   \
        W total = (W)CT_LOAD_##E(o);                                                           \
        if (st[1] == sizeof(T) && packed_minmax(RUN_KIND_##name, CT_##E, data[1], n, &total)) {    \
            /* done: total holds the result */                                                 \
        } else if (st[1] == sizeof(T)) {                                                       \
            const T *in = (const T *)data[1];                                                  \
            for (int64_t b = 0; b < n; b += BLOCK) {                                           \
                int64_t e = b + BLOCK < n ? b + BLOCK : n, i = b;                              \
                if (e - b >= 2 * LANES) {                                                      \
                    C lane[LANES], chk[LANES];                                                 \
                    for (int j = 0; j < LANES; j++) {                                          \
                        lane[j] = CT_LOAD_##E(in + b + j);                                     \
                        chk[j] = check(lane[j]);                                               \
                    }                                                                          \
                    for (i = b + LANES; i + LANES <= e; i += LANES)                            \
                        for (int j = 0; j < LANES; j++) {                                      \
                            C acc = lane[j], x = CT_LOAD_##E(in + i + j);                      \
                            lane[j] = (fast);                                                  \
                            chk[j] += check(x);                                                \
                        }                                                                      \
                    bool exact = false;                                                        \
                    for (int j = 0; j < LANES; j++) exact |= chk[j] != chk[j];                 \
                    if (exact) {                                                               \
                        i = b;                                                                 \
                    } else {                                                                   \
                        for (int j = 0; j < LANES; j++) {                                      \
                            W acc = total, x = (W)lane[j];                                     \
                            total = (combine);                                                 \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
                for (; i < e; i++) {                                                           \
                    W acc = total, x = (W)CT_LOAD_##E(in + i);                                 \
                    total = (combine);                                                         \
                }                                                                              \
            }                                                                                  \
        } else {                                                                               \
            for (int64_t i = 0; i < n; i++) {                                                  \
                W acc = total, x = (W)CT_LOAD_##E(CT_AT(const T, data[1], i, st[1]));          \
                total = (combine);                                                             \
            }                                                                                  \
        }                                                                                      \
        CT_STORE_##E(o, total);                                                                \
    }

#define CT_DEF_SUMPROD(E, T, C, m, W)                      \
    CT_DEF_RED_LOOP(E, T, C, m, sum, W, RED_SUM, FAST_SUM, CHECK_NONE) \
    CT_DEF_RED_LOOP(E, T, C, m, prod, W, RED_PROD, FAST_PROD, CHECK_NONE)
CT_DEF_SUMPROD(INT64, int64_t, int64_t, i, int64_t)
CT_DEF_SUMPROD(FLOAT32, float, float, d, double)
CT_DEF_SUMPROD(FLOAT64, double, double, d, double)
#define CT_DEF_MAXMIN(E, T, C, m, unused)                  \
    CT_DEF_RED_LOOP(E, T, C, m, amax, C, RED_AMAX, FAST_AMAX, CHECK_NAN) \
    CT_DEF_RED_LOOP(E, T, C, m, amin, C, RED_AMIN, FAST_AMIN, CHECK_NAN)
CT_DTYPES_ALL(CT_DEF_MAXMIN, 0)
CT_DEF_RED_LOOP(BOOL, bool, bool, i, all, bool, RED_ALL, FAST_ALL, CHECK_NONE)
CT_DEF_RED_LOOP(BOOL, bool, bool, i, any, bool, RED_ANY, FAST_ANY, CHECK_NONE)

static ct_loop_fn reduce_loop(int op, ct_dtype dt) {
    static const ct_loop_fn sum[CT_NUM_DTYPES] = {[CT_INT64] = loop_sum_INT64, [CT_FLOAT32] = loop_sum_FLOAT32,
                                                  [CT_FLOAT64] = loop_sum_FLOAT64};
    static const ct_loop_fn prod[CT_NUM_DTYPES] = {[CT_INT64] = loop_prod_INT64, [CT_FLOAT32] = loop_prod_FLOAT32,
                                                   [CT_FLOAT64] = loop_prod_FLOAT64};
    static const ct_loop_fn amax[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, amax)};
    static const ct_loop_fn amin[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, amin)};
    switch (op) {
    case CT_OP_sum: return sum[dt];
    case CT_OP_prod: return prod[dt];
    case CT_OP_amax: return amax[dt];
    case CT_OP_amin: return amin[dt];
    case CT_OP_all: return dt == CT_BOOL ? loop_all_BOOL : NULL;
    case CT_OP_any: return dt == CT_BOOL ? loop_any_BOOL : NULL;
    default: return NULL;
    }
}

/* Split the work over threads. When some kept dim (out stride != 0) is long
 * enough, threads take slices of it and write disjoint outputs; otherwise
 * each thread reduces a slice of the outermost dim into a private copy of
 * the (contiguous, initialized) output, and the copies are combined. */
static int run_reduction(const ct_iter *it, ct_loop_fn loop, ct_tensor *out) {
    int nthreads = ct_get_num_threads();
    if (it->numel < CT_GRAIN || nthreads < 2) {
        ct_iter_run_range(it, loop, NULL, 0, it->numel);
        return 0;
    }
    int split = -1;
    for (int d = it->ndim - 1; d >= 0 && split < 0; d--)
        if (it->strides[d][0] != 0 && it->shape[d] >= nthreads) split = d;
    bool private_out = split < 0;
    if (private_out) split = it->ndim - 1;
    int64_t extent = it->shape[split];
    if (extent < 2) {
        ct_iter_run_range(it, loop, NULL, 0, it->numel);
        return 0;
    }
    if (nthreads > extent) nthreads = (int)extent;
    int64_t out_bytes = ct_numel(out) * ct_itemsize(out->dtype);
    char *partials = NULL;
    if (private_out) {
        partials = malloc((size_t)(out_bytes * nthreads));
        if (!partials) return ct_error(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory");
        for (int t = 0; t < nthreads; t++) memcpy(partials + t * out_bytes, ct_data(out), (size_t)out_bytes);
    }
#pragma omp parallel num_threads(nthreads)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        int t = 0, nt = 1;
#endif
        int64_t lo = extent * t / nt, hi = extent * (t + 1) / nt;
        ct_iter sub = *it;
        sub.shape[split] = hi - lo;
        sub.numel = it->numel / extent * (hi - lo);
        for (int k = 0; k < it->ntensors; k++) sub.data[k] += lo * it->strides[split][k];
        if (private_out) sub.data[0] = partials + t * out_bytes + (it->data[0] - (char *)ct_data(out));
        if (lo < hi) ct_iter_run_range(&sub, loop, NULL, 0, sub.numel);
    }
    if (private_out) {
        int64_t isz = ct_itemsize(out->dtype), n = ct_numel(out), st[2] = {isz, isz};
        for (int t = 0; t < nthreads; t++) {
            char *ptrs[2] = {(char *)ct_data(out), partials + t * out_bytes};
            loop(ptrs, st, n, NULL);
        }
        free(partials);
    }
    return 0;
}

int CT_ISA(ct_cpu_reduce)(const ct_kernel_args *args) {
    const ct_iter *it = args->iter;
    ct_tensor *out = it->tensors[0];
    ct_loop_fn loop = reduce_loop(args->op, out->dtype);
    if (!loop)
        return ct_error_dtype(ct_op_name(args->op), out->dtype);
    return run_reduction(it, loop, out);
}

/* ---- max/min with indices along one dim ----
 * iterator operands: values, indices (int64), input narrowed to one element
 * along dim; ctx: the dim's length and input stride in bytes. The first
 * extreme wins; NaN counts as the extreme. */
typedef struct {
    int64_t len, stride;
} dim_walk;

#define CT_DEF_ARG_LOOP(E, T, C, m, name, better)                                                 \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx) {        \
        const dim_walk *w = ctx;                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                         \
            const char *p = data[2] + i * st[2];                                                  \
            C best = CT_LOAD_##E((const T *)p);                                                   \
            int64_t bi = 0;                                                                       \
            for (int64_t r = 1; r < w->len && best == best; r++) {                                \
                C x = CT_LOAD_##E((const T *)(p + r * w->stride));                                \
                if (better) { best = x; bi = r; }                                                 \
            }                                                                                     \
            if (data[0]) CT_STORE_##E(CT_AT(T, data[0], i, st[0]), best);                         \
            *CT_AT(int64_t, data[1], i, st[1]) = bi;                                              \
        }                                                                                         \
    }
#define CT_DEF_ARGS(E, T, C, m, unused)                         \
    CT_DEF_ARG_LOOP(E, T, C, m, argmax, (x != x || x > best))   \
    CT_DEF_ARG_LOOP(E, T, C, m, argmin, (x != x || x < best))
CT_DTYPES_ALL(CT_DEF_ARGS, 0)
static const ct_loop_fn argmax_loops[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, argmax)};
static const ct_loop_fn argmin_loops[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, argmin)};

/* ints: {len, stride in bytes, is_max} */
int CT_ISA(ct_cpu_arg_reduce)(const ct_kernel_args *args) {
    dim_walk w = {args->ints[0], args->ints[1]};
    const ct_iter *it = args->iter;
    ct_dtype dt = it->tensors[2]->dtype;
    ct_iter_run(it, args->ints[2] ? argmax_loops[dt] : argmin_loops[dt], &w);
    return 0;
}

/* ---- cumulative sum / product along one dim ----
 * operands: out and input, both narrowed to one element along dim; ctx: the
 * dim's length and the two strides in bytes. Accumulates in the wide type. */
typedef struct {
    int64_t len, out_stride, in_stride;
} scan_walk;

#define CT_DEF_SCAN_LOOP(E, T, C, m, name, W, op)                                              \
    static void loop_##name##_##E(char **data, const int64_t *st, int64_t n, void *ctx) {     \
        const scan_walk *w = ctx;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                      \
            char *o = data[0] + i * st[0];                                                     \
            const char *p = data[1] + i * st[1];                                               \
            W acc = (W)CT_LOAD_##E((const T *)p);                                              \
            CT_STORE_##E((T *)o, acc);                                                         \
            for (int64_t r = 1; r < w->len; r++) {                                             \
                acc = acc op(W) CT_LOAD_##E((const T *)(p + r * w->in_stride));                \
                CT_STORE_##E((T *)(o + r * w->out_stride), acc);                               \
            }                                                                                  \
        }                                                                                      \
    }
#define CT_WIDE_UINT8 int64_t
#define CT_WIDE_INT8 int64_t
#define CT_WIDE_INT16 int64_t
#define CT_WIDE_INT32 int64_t
#define CT_WIDE_INT64 int64_t
#define CT_WIDE_FLOAT16 double
#define CT_WIDE_BFLOAT16 double
#define CT_WIDE_FLOAT32 double
#define CT_WIDE_FLOAT64 double
#define CT_DEF_SCANS(E, T, C, m, unused)                      \
    CT_DEF_SCAN_LOOP(E, T, C, m, cumsum, CT_WIDE_##E, +)      \
    CT_DEF_SCAN_LOOP(E, T, C, m, cumprod, CT_WIDE_##E, *)
CT_DTYPES_NUM(CT_DEF_SCANS, 0)
static const ct_loop_fn cumsum_loops[CT_NUM_DTYPES] = {CT_DTYPES_NUM(CT_LOOP_ENTRY, cumsum)};
static const ct_loop_fn cumprod_loops[CT_NUM_DTYPES] = {CT_DTYPES_NUM(CT_LOOP_ENTRY, cumprod)};

/* ints: {len, out stride, in stride} in bytes */
int CT_ISA(ct_cpu_scan)(const ct_kernel_args *args) {
    scan_walk w = {args->ints[0], args->ints[1], args->ints[2]};
    const ct_iter *it = args->iter;
    ct_dtype dt = it->tensors[0]->dtype;
    ct_loop_fn loop = args->op == CT_OP_cumsum ? cumsum_loops[dt] : cumprod_loops[dt];
    if (!loop)
        return ct_error_dtype(ct_op_name(args->op), dt);
    ct_iter_run(it, loop, &w);
    return 0;
}
