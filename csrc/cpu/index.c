/* Gather and scatter along one dim: the kernels behind gather, index_select,
 * scatter, scatter_add, scatter_reduce, index_add_ and advanced indexing
 * (ops/index.c checks shapes and dtypes). Every index value is checked before
 * any memory is touched, so a bad index never reads or writes outside a tensor.
 *
 * Threads: a gather splits its rows (or, with few rows, the innermost dim)
 * among threads. A scatter's threads must never write the same element: when
 * dim is the innermost dim, distinct rows of the index land in distinct rows
 * of self, so rows are split; otherwise the innermost dim is, whose position
 * is the same in self as in the index. Each element of self then sees its
 * writes in the serial order, so duplicates resolve as on one thread. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ct_kernels.h"

/* The walk over rows [r0, r1) of the index tensor I (a row: all dims but the
 * last) and columns [k0, k1) of its last dim: A is walked alongside (the
 * gather's output, the scatter's source), T is addressed by the index value
 * along dim. Offsets are in elements; body sees pa and pt (char *). */
#define CT_INDEX_WALK(A, I, T, dim, r0, r1, k0, k1, body)                                          \
    do {                                                                                           \
        int nd_ = (I)->ndim, isz_ = ct_itemsize((A)->dtype), last_ = nd_ - 1;                      \
        int64_t sa_ = (A)->strides[last_], si_ = (I)->strides[last_];                              \
        int64_t st_ = last_ == (dim) ? 0 : (T)->strides[last_], sd_ = (T)->strides[dim];           \
        int64_t c_[CT_MAX_DIMS] = {0}, oa_ = 0, oi_ = 0, ot_ = 0, rest_ = (r0);                    \
        for (int d_ = last_ - 1; d_ >= 0; d_--) { /* the coordinates of row r0 */                  \
            c_[d_] = rest_ % (I)->sizes[d_], rest_ /= (I)->sizes[d_];                              \
            oa_ += c_[d_] * (A)->strides[d_], oi_ += c_[d_] * (I)->strides[d_];                    \
            ot_ += d_ == (dim) ? 0 : c_[d_] * (T)->strides[d_];                                    \
        }                                                                                          \
        const int64_t *ix_ = (const int64_t *)ct_data(I);                                          \
        char *ba_ = ct_data(A), *bt_ = ct_data(T);                                                 \
        for (int64_t r_ = (r0); r_ < (r1); r_++) {                                                 \
            for (int64_t k_ = (k0); k_ < (k1); k_++) {                                             \
                char *pa = ba_ + (oa_ + k_ * sa_) * isz_;                                          \
                char *pt = bt_ + (ot_ + k_ * st_ + ix_[oi_ + k_ * si_] * sd_) * isz_;              \
                body;                                                                              \
            }                                                                                      \
            for (int d_ = last_ - 1; d_ >= 0; d_--) {                                              \
                int64_t s_ = d_ == (dim) ? 0 : (T)->strides[d_];                                   \
                if (++c_[d_] < (I)->sizes[d_]) {                                                   \
                    oa_ += (A)->strides[d_], oi_ += (I)->strides[d_], ot_ += s_;                   \
                    break;                                                                         \
                }                                                                                  \
                oa_ -= (c_[d_] - 1) * (A)->strides[d_], oi_ -= (c_[d_] - 1) * (I)->strides[d_];    \
                ot_ -= (c_[d_] - 1) * s_, c_[d_] = 0;                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* how a walk is split among threads (see the top of the file) */
typedef struct {
    int threads;
    bool by_rows;
    int64_t rows, cols;
} split;

/* work: elements moved in all; writes: a scatter (threads must not share targets) */
static split plan(const ct_tensor *I, int dim, int64_t work, bool writes) {
    int last = I->ndim - 1;
    split s = {1, true, ct_numel(I) / I->sizes[last], I->sizes[last]};
    int nt = work >= CT_GRAIN ? ct_get_num_threads() : 1;
    if (nt < 2) return s;
    s.by_rows = writes ? last == dim : s.rows >= nt;
    if (s.by_rows ? s.rows < 2 : s.cols < 2 * nt) return s;
    s.threads = nt;
    return s;
}

/* the walk of body over the split: thread t takes its share of rows or columns */
#define CT_INDEX_RUN(A, I, T, dim, sp, body)                                                       \
    do {                                                                                           \
        split s_ = (sp);                                                                           \
        _Pragma("omp parallel num_threads(s_.threads) if (s_.threads > 1)")                        \
        {                                                                                          \
            int64_t t_ = 0, n_ = 1;                                                                \
            CT_THREAD_ID(t_, n_);                                                                  \
            int64_t len_ = s_.by_rows ? s_.rows : s_.cols, lo_ = len_ * t_ / n_;                   \
            int64_t hi_ = len_ * (t_ + 1) / n_;                                                    \
            if (s_.by_rows) CT_INDEX_WALK(A, I, T, dim, lo_, hi_, 0, s_.cols, body);               \
            else CT_INDEX_WALK(A, I, T, dim, 0, s_.rows, lo_, hi_, body);                          \
        }                                                                                          \
    } while (0)
#ifdef _OPENMP
#define CT_THREAD_ID(t, n) (t) = omp_get_thread_num(), (n) = omp_get_num_threads()
#else
#define CT_THREAD_ID(t, n) (void)0
#endif

/* the first index value outside [0, size) as an IndexError, or 0 */
static int bounds_error(const int64_t *ix, int64_t n, int64_t size, int dim) {
    for (int64_t k = 0; k < n; k++)
        if (ix[k] < 0 || ix[k] >= size)
            return ct_error(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                            (long long)ix[k], dim, (long long)size);
    return 0;
}

/* every index value within [0, size of T along dim) */
static int check_bounds(const ct_tensor *I, const ct_tensor *T, int dim) {
    int64_t size = T->sizes[dim], n = ct_numel(I) > 0, c[CT_MAX_DIMS] = {0}, off = 0, sizes[CT_MAX_DIMS];
    const int64_t *ix = (const int64_t *)ct_data(I);
    if (ct_is_contiguous(I)) {   /* one branch-free pass (threads for large indices), then find the culprit */
        int64_t total = ct_numel(I);
        uint64_t bad = 0;
#pragma omp parallel for reduction(| : bad) if (total >= 4 * CT_GRAIN && ct_get_num_threads() > 1)
        for (int64_t k = 0; k < total; k++) bad |= (uint64_t)ix[k] >= (uint64_t)size;
        return bad ? bounds_error(ix, total, size, dim) : 0;
    }
    for (int d = 0; d < I->ndim; d++) {   /* expanded dims repeat values: visit each once */
        sizes[d] = I->strides[d] ? I->sizes[d] : 1;
        n *= sizes[d];
    }
    for (int64_t k = 0; k < n; k++) {
        if (ix[off] < 0 || ix[off] >= size) return bounds_error(ix + off, 1, size, dim);
        for (int d = I->ndim - 1; d >= 0; d--) {
            if (++c[d] < sizes[d]) {
                off += I->strides[d];
                break;
            }
            off -= (c[d] - 1) * I->strides[d], c[d] = 0;
        }
    }
    return 0;
}

/* Rows: when the index is constant along the innermost dim (index_select,
 * advanced indexing) and T has unit stride there, and A too (or A is
 * constant there with a_const: a fill), the walk drops that dim and moves
 * whole rows of *row elements (stack copies a, i, t). */
static bool row_walk(const ct_tensor *A, const ct_tensor *I, const ct_tensor *T, int dim, bool a_const, ct_tensor *a,
                     ct_tensor *i, ct_tensor *t, int64_t *row) {
    int last = I->ndim - 1;
    if (I->ndim < 2 || last == dim || I->sizes[last] == 0 || I->strides[last] != 0 ||
        A->strides[last] != (a_const ? 0 : 1) || T->strides[last] != 1)
        return false;
    *a = *A, *i = *I, *t = *T;
    a->ndim = i->ndim = t->ndim = last;
    *row = I->sizes[last];
    return true;
}

/* a copy of one element in each direction, typed by its size (body: a copy from `from` to `to`) */
#define CT_COPY_BY_SIZE(isz, RUN)                                                                  \
    switch (isz) {                                                                                 \
    case 1: RUN(uint8_t); break;                                                                   \
    case 2: RUN(uint16_t); break;                                                                  \
    case 4: RUN(uint32_t); break;                                                                  \
    default: RUN(uint64_t); break;                                                                 \
    }

/* tensors = {out, self, index}; ints = {dim}: out[p] = self[p with p[dim] = index[p]] */
int ct_cpu_gather(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *self = args->tensors[1], *index = args->tensors[2];
    int dim = (int)args->ints[0];
    if (check_bounds(index, self, dim) < 0) return -1;
    if (ct_numel(index) == 0) return 0;
    ct_tensor a, i, t;
    int64_t row;
    if (row_walk(out, index, self, dim, false, &a, &i, &t, &row)) {
        size_t nb = (size_t)(row * ct_itemsize(out->dtype));
        CT_INDEX_RUN((&a), (&i), (&t), dim, plan(&i, dim, ct_numel(out), false), memcpy(pa, pt, nb));
        return 0;
    }
    split sp = plan(index, dim, ct_numel(out), false);
#define CT_GATHER_RUN(U) CT_INDEX_RUN(out, index, self, dim, sp, *(U *)pa = *(const U *)pt)
    CT_COPY_BY_SIZE(ct_itemsize(out->dtype), CT_GATHER_RUN)
#undef CT_GATHER_RUN
    return 0;
}

/* self[p with p[dim] = index[p]] = op(itself, src[p]) for one reduction body
 * over a_ (self's element) and b_ (src's), in the dtype's compute type C */
#define CT_REDUCE_CASE(E, T, C, m, OP)                                                         \
    case CT_##E:                                                                               \
        CT_INDEX_RUN(src, index, self, dim, sp, {                                              \
            C a_ = CT_LOAD_##E((T *)pt);                                                       \
            C b_ = CT_LOAD_##E((const T *)pa);                                                 \
            CT_STORE_##E((T *)pt, (C)(OP));                                                    \
        });                                                                                    \
        break;
#define CT_REDUCE_ALL(OP, BOOL_OP)                                                             \
    switch (self->dtype) {                                                                     \
        CT_REDUCE_CASE(BOOL, bool, bool, i, BOOL_OP)                                           \
        CT_DTYPES_NUM(CT_REDUCE_CASE, OP)                                                      \
    default: return ct_error(CT_ERR_RUNTIME, "scatter: unsupported dtype");                    \
    }

/* tensors = {self, index, src}; ints = {dim, mode (ct_scatter_mode)}:
 * self[p with p[dim] = index[p]] = src[p], or reduced into it (max/min keep NaN) */
int ct_cpu_scatter(const ct_kernel_args *args) {
    ct_tensor *self = args->tensors[0], *index = args->tensors[1], *src = args->tensors[2];
    int dim = (int)args->ints[0];
    if (check_bounds(index, self, dim) < 0) return -1;
    if (ct_numel(index) == 0) return 0;
    split sp = plan(index, dim, ct_numel(index), true);
    switch ((ct_scatter_mode)args->ints[1]) {
    case CT_SCATTER_SET: {
        ct_tensor a, i, t;
        int64_t row;
        if (row_walk(src, index, self, dim, false, &a, &i, &t, &row)) {
            size_t nb = (size_t)(row * ct_itemsize(self->dtype));
            CT_INDEX_RUN((&a), (&i), (&t), dim, plan(&i, dim, ct_numel(index), true), memmove(pt, pa, nb));
            return 0;
        }
        if (row_walk(src, index, self, dim, true, &a, &i, &t, &row)) {   /* rows filled with one value */
            split rows = plan(&i, dim, ct_numel(index), true);
#define CT_FILL_RUN(U) CT_INDEX_RUN((&a), (&i), (&t), dim, rows, for (int64_t j = 0; j < row; j++) ((U *)pt)[j] = *(const U *)pa)
            CT_COPY_BY_SIZE(ct_itemsize(self->dtype), CT_FILL_RUN)
#undef CT_FILL_RUN
            return 0;
        }
#define CT_SCATTER_RUN(U) CT_INDEX_RUN(src, index, self, dim, sp, *(U *)pt = *(const U *)pa)
        CT_COPY_BY_SIZE(ct_itemsize(self->dtype), CT_SCATTER_RUN)
#undef CT_SCATTER_RUN
        return 0;
    }
    case CT_SCATTER_ADD: CT_REDUCE_ALL(a_ + b_, a_ || b_) return 0;
    case CT_SCATTER_MUL: CT_REDUCE_ALL(a_ * b_, a_ && b_) return 0;
    case CT_SCATTER_AMAX: CT_REDUCE_ALL(a_ != a_ || (!(b_ != b_) && a_ >= b_) ? a_ : b_, a_ || b_) return 0;
    case CT_SCATTER_AMIN: CT_REDUCE_ALL(a_ != a_ || (!(b_ != b_) && a_ <= b_) ? a_ : b_, a_ && b_) return 0;
    }
    return ct_error(CT_ERR_RUNTIME, "scatter: unknown reduction");
}
