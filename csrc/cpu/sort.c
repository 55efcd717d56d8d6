/* Sorting kernels: sort, topk and kthvalue along one dim, the runs of
 * unique and unique_consecutive, and the row sort of unique(dim=).
 *
 * A row is read into (key, index) elements whose unsigned keys order exactly
 * as PyTorch's comparators order the values: NaN above everything (all NaNs
 * equal), -0.0 equal to 0.0, a descending order as complemented keys. Keys of
 * up to 32 bits pack with a 32-bit index into one uint64_t (key high); 64-bit
 * keys whose row spans under 2^32 pack too, as key - lo. The unstable sorts
 * and selections run PyTorch's algorithms step for step (sort_algos.h), so
 * ties come out in PyTorch's order; stable sorts are LSD radix sorts, and so
 * is an unstable sort whose keys turn out all distinct (its order is then the
 * only one). Values are rebuilt from the keys (from the source element the
 * index names where a key stands for several values: the zeros, NaN). */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/ct_cpu_alloc.h"
#include "ct_kernels.h"
#include "sort_algos.h"

typedef struct {
    uint64_t key, idx;
} wide_t;

#define PK_LESS(a, b) ((a) >> 32 < (b) >> 32)
#define WD_LESS(a, b) ((a).key < (b).key)
CT_SORT_ALGOS(pk, uint64_t, PK_LESS, 0)
CT_SORT_ALGOS(wd, wide_t, WD_LESS, 0)

#define PAR_SORT_MIN 65536   /* a row this long: likely ties; alone, its partitions run on several threads */
#define IDX_MASK 0xffffffffull

/* ---- keys, and values back from them ---- */
static inline uint32_t key_f32(float v) {
    uint32_t u = ct_float_to_bits(v + 0.0f);   /* -0.0 + 0.0 is +0.0: one zero */
    uint32_t k = u ^ ((uint32_t)((int32_t)u >> 31) | 0x80000000u);
    return v != v ? UINT32_MAX : k;
}
static inline float val_f32(uint64_t k) {
    uint32_t u = (uint32_t)k;
    return ct_bits_to_float(u >> 31 ? u ^ 0x80000000u : ~u);
}
static inline uint64_t key_f64(double v) {
    double z = v + 0.0;
    uint64_t u;
    memcpy(&u, &z, 8);
    uint64_t k = u ^ ((uint64_t)((int64_t)u >> 63) | (1ull << 63));
    return v != v ? UINT64_MAX : k;
}
static inline double val_f64(uint64_t k) {
    uint64_t u = k >> 63 ? k ^ (1ull << 63) : ~k;
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* X(E, storage type, key bits): KEY_E(value), VAL_E(key), and RAW_E(key): the key
 * stands for more than one bit pattern (the value comes from the source) */
#define CT_SORT_TYPES(X)                                                                         \
    X(BOOL, bool, 32) X(UINT8, uint8_t, 32) X(INT8, int8_t, 32) X(INT16, int16_t, 32)            \
    X(INT32, int32_t, 32) X(FLOAT16, ct_half, 32) X(BFLOAT16, ct_bf16, 32) X(FLOAT32, float, 32) \
    X(INT64, int64_t, 64) X(FLOAT64, double, 64)
#define KEY_BOOL(v) ((uint64_t)(v))
#define KEY_UINT8(v) ((uint64_t)(v))
#define KEY_INT8(v) ((uint64_t)(uint8_t)(v) ^ 0x80u)
#define KEY_INT16(v) ((uint64_t)(uint16_t)(v) ^ 0x8000u)
#define KEY_INT32(v) ((uint64_t)(uint32_t)(v) ^ 0x80000000u)
#define KEY_INT64(v) ((uint64_t)(v) ^ (1ull << 63))
#define KEY_FLOAT16(v) ((uint64_t)key_f32(ct_half_to_float(v)))
#define KEY_BFLOAT16(v) ((uint64_t)key_f32(ct_bf16_to_float(v)))
#define KEY_FLOAT32(v) ((uint64_t)key_f32(v))
#define KEY_FLOAT64(v) key_f64(v)
#define VAL_BOOL(k) ((bool)(k))
#define VAL_UINT8(k) ((uint8_t)(k))
#define VAL_INT8(k) ((int8_t)(uint8_t)((k) ^ 0x80u))
#define VAL_INT16(k) ((int16_t)(uint16_t)((k) ^ 0x8000u))
#define VAL_INT32(k) ((int32_t)(uint32_t)((k) ^ 0x80000000u))
#define VAL_INT64(k) ((int64_t)((k) ^ (1ull << 63)))
#define VAL_FLOAT16(k) ct_float_to_half(val_f32(k))
#define VAL_BFLOAT16(k) ct_float_to_bf16(val_f32(k))
#define VAL_FLOAT32(k) val_f32(k)
#define VAL_FLOAT64(k) val_f64(k)
#define RAW_INT(k) false
#define RAW_F32(k) ((k) == 0x80000000u || (k) == UINT32_MAX)
#define RAW_BOOL RAW_INT
#define RAW_UINT8 RAW_INT
#define RAW_INT8 RAW_INT
#define RAW_INT16 RAW_INT
#define RAW_INT32 RAW_INT
#define RAW_INT64 RAW_INT
#define RAW_FLOAT16 RAW_F32
#define RAW_BFLOAT16 RAW_F32
#define RAW_FLOAT32 RAW_F32
#define RAW_FLOAT64(k) ((k) == (1ull << 63) || (k) == UINT64_MAX)

/* One row in sortable form: pk (packed) or wd (wide) holds it, by `packed`;
 * a key is (stored + lo) ^ flip. */
typedef struct {
    uint64_t *pk, *pk_tmp;
    wide_t *wd, *wd_tmp;
    bool packed;
    uint64_t lo, flip;
    int64_t bytes;   /* of the one block wd points to */
} row_buf;

/* scratch from the caching allocator: repeated calls do not pay page faults again */
static int buf_alloc(row_buf *b, int64_t n) {
    b->bytes = 2 * (n > 0 ? n : 1) * (int64_t)sizeof(wide_t);
    b->wd = ct_cpu_alloc(b->bytes);
    b->wd_tmp = b->wd ? b->wd + n : NULL;
    b->pk = (uint64_t *)b->wd_tmp;   /* packed rows live in the halves of wd_tmp */
    b->pk_tmp = b->pk ? b->pk + n : NULL;
    return b->wd ? 0 : -1;
}

static void buf_free(row_buf *b) {
    if (b->wd) ct_cpu_free(b->wd, b->bytes);
}

/* the (flipped) key of element i of a source row src with byte stride st, storage type T */
#define SRC_KEY(E, T, i) (KEY_##E(*(const T *)(src + (i) * st)) ^ b->flip)

/* Read n elements (byte stride st) of dtype dt; flip: descending (complemented keys). */
static void load_row(row_buf *b, const char *src, int64_t st, int64_t n, ct_dtype dt, bool flip) {
    switch (dt) {
#define CT_LOAD(E, T, W)                                                               \
    case CT_##E: {                                                                     \
        b->flip = flip ? (W == 64 ? UINT64_MAX : 0xffffffffull) : 0;                   \
        b->lo = 0;                                                                     \
        uint64_t lo = UINT64_MAX, hi = 0;                                              \
        if (W == 64)                                                                   \
            for (int64_t i = 0; i < n; i++) {                                          \
                uint64_t k = SRC_KEY(E, T, i);                                         \
                lo = k < lo ? k : lo, hi = k > hi ? k : hi;                            \
            }                                                                          \
        else                                                                           \
            lo = hi = 0;                                                               \
        b->packed = n <= (int64_t)IDX_MASK && hi - lo <= IDX_MASK;   /* as key - lo */ \
        if (b->packed) {                                                               \
            b->lo = lo;                                                                \
            for (int64_t i = 0; i < n; i++)                                            \
                b->pk[i] = (SRC_KEY(E, T, i) - lo) << 32 | (uint64_t)i;                \
        } else {                                                                       \
            for (int64_t i = 0; i < n; i++) {                                          \
                b->wd[i].key = SRC_KEY(E, T, i);                                       \
                b->wd[i].idx = (uint64_t)i;                                            \
            }                                                                          \
        }                                                                              \
        break;                                                                         \
    }
        CT_SORT_TYPES(CT_LOAD)
#undef CT_LOAD
    default: break;
    }
}

/* the first k elements of a sorted buffer: indices, and the values the keys stand for */
static void write_row(const row_buf *b, int64_t k, ct_dtype dt, const char *src, int64_t sst, char *vals, int64_t vst,
                      char *ind, int64_t ist) {
    switch (dt) {
#define CT_WRITE_LOOP(E, T, STORED, IDX)                                                    \
    for (int64_t j = 0; j < k; j++) {                                                       \
        uint64_t key = ((STORED) + b->lo) ^ b->flip;                                        \
        int64_t i = (int64_t)(IDX);                                                         \
        *(int64_t *)(ind + j * ist) = i;                                                    \
        *(T *)(vals + j * vst) = RAW_##E(key) ? *(const T *)(src + i * sst) : VAL_##E(key); \
    }
#define CT_WRITE(E, T, W)                                                       \
    case CT_##E:                                                                \
        if (b->packed) CT_WRITE_LOOP(E, T, b->pk[j] >> 32, b->pk[j] & IDX_MASK) \
        else CT_WRITE_LOOP(E, T, b->wd[j].key, b->wd[j].idx)                    \
        break;
        CT_SORT_TYPES(CT_WRITE)
#undef CT_WRITE
#undef CT_WRITE_LOOP
    default: break;
    }
}

/* topk's partial sort (std::partial_sort) straight from the source: a heap of the k
 * least elements so far; the others are never stored */
static void topk_heap_row(row_buf *b, const char *src, int64_t st, int64_t n, int64_t k, ct_dtype dt, bool flip) {
    b->lo = 0;
    switch (dt) {
#define CT_HEAP(E, T, W)                                                                 \
    case CT_##E: {                                                                       \
        b->flip = flip ? (W == 64 ? UINT64_MAX : 0xffffffffull) : 0;                     \
        b->packed = W == 32 && n <= (int64_t)IDX_MASK;                                   \
        if (b->packed) {                                                                 \
            uint64_t *h = b->pk;                                                         \
            for (int64_t i = 0; i < k; i++) h[i] = SRC_KEY(E, T, i) << 32 | (uint64_t)i; \
            pk_make_heap(h, k, NULL);                                                    \
            for (int64_t i = k; i < n; i++) {                                            \
                uint64_t e = SRC_KEY(E, T, i) << 32 | (uint64_t)i;                       \
                if (PK_LESS(e, h[0])) pk_adjust_heap(h, 0, k, e, NULL);                  \
            }                                                                            \
            pk_sort_heap(h, k, NULL);                                                    \
        } else {                                                                         \
            wide_t *h = b->wd;                                                           \
            for (int64_t i = 0; i < k; i++) {                                            \
                h[i].key = SRC_KEY(E, T, i);                                             \
                h[i].idx = (uint64_t)i;                                                  \
            }                                                                            \
            wd_make_heap(h, k, NULL);                                                    \
            for (int64_t i = k; i < n; i++) {                                            \
                wide_t e = {SRC_KEY(E, T, i), (uint64_t)i};                              \
                if (WD_LESS(e, h[0])) wd_adjust_heap(h, 0, k, e, NULL);                  \
            }                                                                            \
            wd_sort_heap(h, k, NULL);                                                    \
        }                                                                                \
        break;                                                                           \
    }
        CT_SORT_TYPES(CT_HEAP)
#undef CT_HEAP
    default: break;
    }
}

/* ---- stable sorts: LSD radix over the key bytes (bytes all elements share are skipped) ---- */
#define RADIX_SORT(name, E, KEY, NB)                                                             \
    static void name(E *a, E *tmp, int64_t n) {                                                  \
        if (n <= CT_SORT_THRESHOLD) { /* small: stable insertion */                              \
            for (int64_t i = 1; i < n; i++) {                                                    \
                E v = a[i];                                                                      \
                int64_t j = i;                                                                   \
                while (j > 0 && KEY(v) < KEY(a[j - 1])) a[j] = a[j - 1], j--;                    \
                a[j] = v;                                                                        \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        int64_t cnt[NB][256];                                                                    \
        memset(cnt, 0, sizeof cnt);                                                              \
        for (int64_t i = 0; i < n; i++) {                                                        \
            uint64_t k = KEY(a[i]);                                                              \
            for (int d = 0; d < NB; d++) cnt[d][(k >> (8 * d)) & 255]++;                         \
        }                                                                                        \
        E *src = a, *dst = tmp;                                                                  \
        for (int d = 0; d < NB; d++) {                                                           \
            if (cnt[d][(KEY(src[0]) >> (8 * d)) & 255] == n) continue;                           \
            int64_t off[256], s = 0;                                                             \
            for (int v = 0; v < 256; v++) off[v] = s, s += cnt[d][v];                            \
            for (int64_t i = 0; i < n; i++) dst[off[(KEY(src[i]) >> (8 * d)) & 255]++] = src[i]; \
            E *t = src;                                                                          \
            src = dst, dst = t;                                                                  \
        }                                                                                        \
        if (src != a) memcpy(a, src, (size_t)n * sizeof(E));                                     \
    }                                                                                            \
    /* whether two neighbours of a sorted a share a key */                                       \
    static bool name##_ties(const E *a, int64_t n) {                                             \
        for (int64_t i = 1; i < n; i++)                                                          \
            if (KEY(a[i]) == KEY(a[i - 1])) return true;                                         \
        return false;                                                                            \
    }
#define PK_KEY(e) ((e) >> 32)
#define WD_KEY(e) ((e).key)
RADIX_SORT(pk_radix, uint64_t, PK_KEY, 4)
RADIX_SORT(wd_radix, wide_t, WD_KEY, 8)

/* ---- rows: every position of the dims other than dim ---- */
typedef struct {
    int nd;                            /* outer dims */
    int64_t sizes[CT_MAX_DIMS];
    int64_t st[3][CT_MAX_DIMS];        /* byte strides of each tensor over them */
    char *base[3];
    int64_t rows;
} rows_t;

/* t: three tensors of one ndim whose sizes agree outside dim */
static void rows_init(rows_t *w, ct_tensor *const *t, int dim) {
    w->nd = 0;
    w->rows = 1;
    for (int k = 0; k < 3; k++) w->base[k] = ct_data(t[k]);
    for (int d = 0; d < t[2]->ndim; d++) {
        if (d == dim) continue;
        w->sizes[w->nd] = t[2]->sizes[d];
        for (int k = 0; k < 3; k++) w->st[k][w->nd] = t[k]->strides[d] * ct_itemsize(t[k]->dtype);
        w->rows *= t[2]->sizes[d];
        w->nd++;
    }
}

static void row_ptrs(const rows_t *w, int64_t r, char **p) {
    for (int k = 0; k < 3; k++) p[k] = w->base[k];
    for (int d = w->nd - 1; d >= 0; d--) {
        int64_t c = r % w->sizes[d];
        r /= w->sizes[d];
        for (int k = 0; k < 3; k++) p[k] += c * w->st[k][d];
    }
}

/* what a kernel does to each row */
typedef struct {
    int op;             /* CT_OP_sort, CT_OP_topk, CT_OP_kthvalue */
    ct_dtype dtype;
    int64_t n, k, sst;  /* row length, results per row, source byte stride */
    bool flip, stable, sorted;
    int64_t radix_tries, radix_fails;   /* unstable sorts: rows sorted by radix first, and with ties */
} row_job;

/* an unstable sort: a radix sort when the keys are all distinct, else PyTorch's introsort;
 * the radix sort is tried on rows short enough for ties to be rare, while at most about
 * half the rows so far had ties */
static void unstable_sort(row_job *j, row_buf *b, const char *src) {
    int64_t n = j->n, tries, fails;
#pragma omp atomic read
    tries = j->radix_tries;
#pragma omp atomic read
    fails = j->radix_fails;
    if (n < PAR_SORT_MIN && 2 * fails <= tries + 2) {
#pragma omp atomic update
        j->radix_tries++;
        if (b->packed ? (pk_radix(b->pk, b->pk_tmp, n), !pk_radix_ties(b->pk, n))
                      : (wd_radix(b->wd, b->wd_tmp, n), !wd_radix_ties(b->wd, n)))
            return;
#pragma omp atomic update
        j->radix_fails++;
        load_row(b, src, j->sst, n, j->dtype, j->flip);
    }
    if (b->packed) pk_sort(b->pk, n, NULL);
    else wd_sort(b->wd, n, NULL);
}

/* one row from src: the answer in the buffer's first k elements */
static void run_row(row_job *j, row_buf *b, const char *src) {
    int64_t n = j->n, k = j->k;
    if (j->op == CT_OP_topk && k * 64 <= n) {   /* as PyTorch: a partial sort for small k */
        topk_heap_row(b, src, j->sst, n, k, j->dtype, j->flip);
        return;
    }
    load_row(b, src, j->sst, n, j->dtype, j->flip);
    if (j->op == CT_OP_sort && j->stable) {
        if (b->packed) pk_radix(b->pk, b->pk_tmp, n);
        else wd_radix(b->wd, b->wd_tmp, n);
    } else if (j->op == CT_OP_sort) {
        unstable_sort(j, b, src);
    } else if (j->op == CT_OP_kthvalue) {
        if (b->packed) pk_quickselect(b->pk, n, k - 1, NULL), b->pk[0] = b->pk[k - 1];
        else wd_quickselect(b->wd, n, k - 1, NULL), b->wd[0] = b->wd[k - 1];
    } else {   /* topk: nth_element, then a sort of the k - 1 before it */
        if (b->packed) pk_nth_element(b->pk, k - 1, n, NULL);
        else wd_nth_element(b->wd, k - 1, n, NULL);
        if (j->sorted && b->packed) pk_sort(b->pk, k - 1, NULL);
        else if (j->sorted) wd_sort(b->wd, k - 1, NULL);
    }
}

/* One long unstable row (ties are likely): the introsort's partitions run as OpenMP tasks. */
static void sort_one_row_parallel(row_buf *b, int64_t n, int nt) {
#pragma omp parallel num_threads(nt)
#pragma omp single
    {
        if (b->packed) pk_introsort_loop(b->pk, 0, n, 2 * ct_lg(n), NULL, PAR_SORT_MIN / 4);
        else wd_introsort_loop(b->wd, 0, n, 2 * ct_lg(n), NULL, PAR_SORT_MIN / 4);
    }
    if (b->packed) pk_final_insertion(b->pk, n, NULL);
    else wd_final_insertion(b->wd, n, NULL);
}

/* tensors = {values, indices, self}, values and indices shaped like self but k long along dim */
static int run_rows(const ct_kernel_args *a, row_job *job, int dim) {
    ct_tensor *self = a->tensors[2];
    rows_t w;
    rows_init(&w, a->tensors, dim);
    int64_t n = job->n, out_n = job->op == CT_OP_kthvalue ? 1 : job->k;
    if (w.rows == 0 || n == 0 || out_n == 0) return 0;
    int isz = ct_itemsize(self->dtype), nt = ct_get_num_threads();
    int64_t vst = a->tensors[0]->strides[dim] * isz, ist = a->tensors[1]->strides[dim] * 8;
    job->sst = self->strides[dim] * isz;
    bool failed = false;
    if (w.rows == 1 && job->op == CT_OP_sort && !job->stable && n >= PAR_SORT_MIN && nt > 1) {
        row_buf b;
        char *p[3];
        if (buf_alloc(&b, n) == 0) {
            row_ptrs(&w, 0, p);
            load_row(&b, p[2], job->sst, n, self->dtype, job->flip);
            sort_one_row_parallel(&b, n, nt);
            write_row(&b, n, self->dtype, p[2], job->sst, p[0], vst, p[1], ist);
        } else {
            failed = true;
        }
        buf_free(&b);
    } else {
#pragma omp parallel num_threads(nt) if (w.rows > 1 && w.rows * n >= CT_GRAIN && nt > 1)
        {
            row_buf b;
            bool ok = buf_alloc(&b, n) == 0;
            if (!ok) {
#pragma omp atomic write
                failed = true;
            }
#pragma omp for schedule(dynamic, 1 + CT_GRAIN / (n + 1))
            for (int64_t r = 0; r < w.rows; r++) {
                if (!ok) continue;
                char *p[3];
                row_ptrs(&w, r, p);
                run_row(job, &b, p[2]);
                write_row(&b, out_n, self->dtype, p[2], job->sst, p[0], vst, p[1], ist);
            }
            buf_free(&b);
        }
    }
    return failed ? ct_error(CT_ERR_NOMEM, "sort: out of memory for %lld elements", (long long)n) : 0;
}

/* ints = {dim, descending, stable} */
int ct_cpu_sort(const ct_kernel_args *a) {
    ct_tensor *self = a->tensors[2];
    int dim = (int)a->ints[0];
    row_job job = {.op = CT_OP_sort, .dtype = self->dtype, .n = self->sizes[dim], .k = self->sizes[dim],
                   .flip = a->ints[1] != 0, .stable = a->ints[2] != 0};
    /* PyTorch sorts a long 1-D integer tensor ascending with a (stable) radix sort,
     * and leaves a row that is one value repeated (stride 0) in its order */
    if ((self->ndim == 1 && ct_is_integral(self->dtype, false) && !job.flip && job.n >= CT_GRAIN) ||
        self->strides[dim] == 0)
        job.stable = true;
    return run_rows(a, &job, dim);
}

/* ints = {dim, k, largest, sorted} */
int ct_cpu_topk(const ct_kernel_args *a) {
    ct_tensor *self = a->tensors[2];
    int dim = (int)a->ints[0];
    row_job job = {.op = CT_OP_topk, .dtype = self->dtype, .n = self->sizes[dim], .k = a->ints[1],
                   .flip = a->ints[2] != 0, .sorted = a->ints[3] != 0};
    return run_rows(a, &job, dim);
}

/* ints = {dim, k}; values and indices 1 long along dim */
int ct_cpu_kthvalue(const ct_kernel_args *a) {
    ct_tensor *self = a->tensors[2];
    int dim = (int)a->ints[0];
    row_job job = {.op = CT_OP_kthvalue, .dtype = self->dtype, .n = self->sizes[dim], .k = a->ints[1]};
    return run_rows(a, &job, dim);
}

/* tensors = {out, inverse, counts, ngroups, values, perm} (inverse, counts, perm may be NULL):
 * the runs of equal elements (!=, so each NaN is a run of its own) of the contiguous 1-D values;
 * out and counts get one entry per run, inverse[perm ? perm[i] : i] the run of element i. */
int ct_cpu_unique_runs(const ct_kernel_args *a) {
    ct_tensor *const *t = a->tensors;
    int64_t n = ct_numel(t[4]), g = 0, start = 0;
    int64_t *inv = t[1] ? (int64_t *)ct_data(t[1]) : NULL, *cnt = t[2] ? (int64_t *)ct_data(t[2]) : NULL;
    const int64_t *perm = t[5] ? (const int64_t *)ct_data(t[5]) : NULL;
    if (n > 0) switch (t[4]->dtype) {
#define CT_RUNS(E, T, C, m, _)                    \
    case CT_##E: {                                \
        const T *v = (const T *)ct_data(t[4]);    \
        T *out = (T *)ct_data(t[0]);              \
        C last = CT_LOAD_##E(&v[0]);              \
        out[0] = v[0];                            \
        for (int64_t i = 0; i < n; i++) {         \
            C x = CT_LOAD_##E(&v[i]);             \
            if (i > 0 && x != last) {             \
                if (cnt) cnt[g] = i - start;      \
                out[++g] = v[i];                  \
                last = x, start = i;              \
            }                                     \
            if (inv) inv[perm ? perm[i] : i] = g; \
        }                                         \
        break;                                    \
    }
        CT_DTYPES_ALL(CT_RUNS, _)
#undef CT_RUNS
    default: break;
    }
    if (n > 0 && cnt) cnt[g] = n - start;
    *(int64_t *)ct_data(t[3]) = n > 0 ? g + 1 : 0;
    return 0;
}

/* ---- unique(dim=): rows compared lexicographically, as PyTorch's std::sort comparator
 * (a position where neither is less, NaN included, moves on to the next) ---- */
typedef struct {
    const void *m;   /* [rows, cols] int64 or double */
    int64_t cols;
} lex_ctx;

#define LEX_LESS(T)                                                                     \
    static inline bool lex_less_##T(const void *cx, int64_t a, int64_t b) {             \
        const lex_ctx *c = cx;                                                          \
        const T *x = (const T *)c->m + a * c->cols, *y = (const T *)c->m + b * c->cols; \
        for (int64_t i = 0; i < c->cols; i++) {                                         \
            if (x[i] < y[i]) return true;                                               \
            if (x[i] > y[i]) return false;                                              \
        }                                                                               \
        return false;                                                                   \
    }
LEX_LESS(int64_t)
LEX_LESS(double)
#define LI_LESS(a, b) lex_less_int64_t(cx, a, b)
#define LD_LESS(a, b) lex_less_double(cx, a, b)
CT_SORT_ALGOS(li, int64_t, LI_LESS, 1)
CT_SORT_ALGOS(ld, int64_t, LD_LESS, 1)

/* the rows of a contiguous [n, m] tensor widened to int64 (bool, integers) or double (floats) */
static void *widen_rows(const ct_tensor *rows, int64_t count) {
    void *m = malloc((size_t)(count ? count : 1) * 8);
    if (!m) return NULL;
    const char *src = ct_data(rows);
    switch (rows->dtype) {
#define CT_WIDEN(E, T, C, mm, _)                                                                    \
    case CT_##E:                                                                                    \
        for (int64_t i = 0; i < count; i++)                                                         \
            if (ct_is_floating(CT_##E)) ((double *)m)[i] = (double)CT_LOAD_##E((const T *)src + i); \
            else ((int64_t *)m)[i] = (int64_t)CT_LOAD_##E((const T *)src + i);                      \
        break;
        CT_DTYPES_ALL(CT_WIDEN, _)
#undef CT_WIDEN
    default: break;
    }
    return m;
}

/* tensors = {heads, inverse, counts, ngroups, rows}; ints = {consecutive}: rows [n, m]
 * contiguous, in (unless consecutive) lexicographic order; heads[g] is the row that stands
 * for group g, inverse[r] the group of row r, counts[g] its size (int64 [n] each) */
int ct_cpu_unique_dim(const ct_kernel_args *a) {
    ct_tensor *const *t = a->tensors;
    int64_t n = t[4]->sizes[0], cols = t[4]->sizes[1];
    bool fl = ct_is_floating(t[4]->dtype);
    lex_ctx cx = {widen_rows(t[4], n * cols), cols};
    int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (!cx.m || !perm) {
        free((void *)cx.m);
        free(perm);
        return ct_error(CT_ERR_NOMEM, "unique: out of memory for %lld rows", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    if (!a->ints[0] && fl) ld_sort(perm, n, &cx);
    else if (!a->ints[0]) li_sort(perm, n, &cx);
    int64_t *heads = (int64_t *)ct_data(t[0]), *inv = (int64_t *)ct_data(t[1]), *cnt = (int64_t *)ct_data(t[2]);
    int64_t g = -1;
    for (int64_t i = 0; i < n; i++) {
        bool same = i > 0;
        for (int64_t c = 0; same && c < cols; c++) {   /* != against the group's first row */
            int64_t x = heads[g] * cols + c, y = perm[i] * cols + c;
            same = fl ? ((const double *)cx.m)[x] == ((const double *)cx.m)[y]
                      : ((const int64_t *)cx.m)[x] == ((const int64_t *)cx.m)[y];
        }
        if (!same) heads[++g] = perm[i], cnt[g] = 0;
        cnt[g]++;
        inv[perm[i]] = g;
    }
    *(int64_t *)ct_data(t[3]) = g + 1;
    free((void *)cx.m);
    free(perm);
    return 0;
}
