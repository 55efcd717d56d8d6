/* Gather and scatter along one dim: the kernels behind gather, index_select,
 * scatter, scatter_add, index_add_ and advanced indexing (ops/index.c checks
 * shapes and dtypes). Every index value is checked before any memory is
 * touched, so a bad index never reads or writes outside a tensor. */
#include <string.h>

#include "ct_kernels.h"

/* The walk over the index tensor I: A is walked alongside (the gather's
 * output, the scatter's source), T is addressed by the index value along dim.
 * Offsets are in elements; body sees pa and pt (char *). The innermost dim is
 * a plain strided loop; an odometer steps over the outer ones. */
#define CT_INDEX_WALK(A, I, T, dim, body)                                                        \
    do {                                                                                         \
        int nd_ = (I)->ndim, isz_ = ct_itemsize((A)->dtype), last_ = nd_ - 1;                    \
        int64_t n_ = ct_numel(I), len_ = (I)->sizes[last_];                                      \
        if (n_ == 0) break;                                                                      \
        int64_t sa_ = (A)->strides[last_], si_ = (I)->strides[last_];                            \
        int64_t st_ = last_ == (dim) ? 0 : (T)->strides[last_], sd_ = (T)->strides[dim];         \
        int64_t c_[CT_MAX_DIMS] = {0}, oa_ = 0, oi_ = 0, ot_ = 0;                               \
        const int64_t *ix_ = (const int64_t *)ct_data(I);                                        \
        char *ba_ = ct_data(A), *bt_ = ct_data(T);                                               \
        for (int64_t r_ = 0; r_ < n_ / len_; r_++) {                                             \
            for (int64_t k_ = 0; k_ < len_; k_++) {                                              \
                char *pa = ba_ + (oa_ + k_ * sa_) * isz_;                                        \
                char *pt = bt_ + (ot_ + k_ * st_ + ix_[oi_ + k_ * si_] * sd_) * isz_;            \
                body;                                                                            \
            }                                                                                    \
            for (int d_ = last_ - 1; d_ >= 0; d_--) {                                            \
                int64_t s_ = d_ == (dim) ? 0 : (T)->strides[d_];                                 \
                if (++c_[d_] < (I)->sizes[d_]) {                                                 \
                    oa_ += (A)->strides[d_], oi_ += (I)->strides[d_], ot_ += s_;                 \
                    break;                                                                       \
                }                                                                                \
                oa_ -= (c_[d_] - 1) * (A)->strides[d_], oi_ -= (c_[d_] - 1) * (I)->strides[d_];  \
                ot_ -= (c_[d_] - 1) * s_, c_[d_] = 0;                                            \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* every index value within [0, size of T along dim) */
static int check_bounds(const ct_tensor *I, const ct_tensor *T, int dim) {
    int64_t size = T->sizes[dim], n = ct_numel(I) > 0, c[CT_MAX_DIMS] = {0}, off = 0, sizes[CT_MAX_DIMS];
    const int64_t *ix = (const int64_t *)ct_data(I);
    for (int d = 0; d < I->ndim; d++) {   /* expanded dims repeat values: visit each once */
        sizes[d] = I->strides[d] ? I->sizes[d] : 1;
        n *= sizes[d];
    }
    for (int64_t k = 0; k < n; k++) {
        if (ix[off] < 0 || ix[off] >= size)
            return ct_error(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                            (long long)ix[off], dim, (long long)size);
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

/* copy one element of isz bytes */
static inline void copy_elem(char *dst, const char *src, int isz) {
    switch (isz) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
    }
}

/* Rows: when the index is constant along the innermost dim (index_select,
 * advanced indexing) and A and T have unit stride there, the walk drops that
 * dim and moves whole rows of *row elements (stack copies a, i, t). */
static bool row_walk(const ct_tensor *A, const ct_tensor *I, const ct_tensor *T, int dim, ct_tensor *a, ct_tensor *i,
                     ct_tensor *t, int64_t *row) {
    int last = I->ndim - 1;
    if (I->ndim < 2 || last == dim || I->sizes[last] == 0 || I->strides[last] != 0 || A->strides[last] != 1 ||
        T->strides[last] != 1)
        return false;
    *a = *A, *i = *I, *t = *T;
    a->ndim = i->ndim = t->ndim = last;
    *row = I->sizes[last];
    return true;
}

/* tensors = {out, self, index}; ints = {dim}: out[p] = self[p with p[dim] = index[p]] */
int ct_cpu_gather(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *self = args->tensors[1], *index = args->tensors[2];
    int dim = (int)args->ints[0];
    if (check_bounds(index, self, dim) < 0) return -1;
    int isz = ct_itemsize(out->dtype);
    ct_tensor a, i, t;
    int64_t row;
    if (row_walk(out, index, self, dim, &a, &i, &t, &row)) {
        size_t nb = (size_t)(row * isz);
        CT_INDEX_WALK((&a), (&i), (&t), dim, memcpy(pa, pt, nb));
        return 0;
    }
    CT_INDEX_WALK(out, index, self, dim, copy_elem(pa, pt, isz));
    return 0;
}

/* self[p with p[dim] = index[p]] = op(itself, src[p]) for one reduction body
 * over a_ (self's element) and b_ (src's), in the dtype's compute type C */
#define CT_REDUCE_CASE(E, T, C, m, OP)                                                         \
    case CT_##E:                                                                               \
        CT_INDEX_WALK(src, index, self, dim, {                                                 \
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
    switch ((ct_scatter_mode)args->ints[1]) {
    case CT_SCATTER_SET: {
        int isz = ct_itemsize(self->dtype);
        ct_tensor a, i, t;
        int64_t row;
        if (row_walk(src, index, self, dim, &a, &i, &t, &row)) {
            size_t nb = (size_t)(row * isz);
            CT_INDEX_WALK((&a), (&i), (&t), dim, memmove(pt, pa, nb));
            return 0;
        }
        CT_INDEX_WALK(src, index, self, dim, copy_elem(pt, pa, isz));
        return 0;
    }
    case CT_SCATTER_ADD: CT_REDUCE_ALL(a_ + b_, a_ || b_) return 0;
    case CT_SCATTER_MUL: CT_REDUCE_ALL(a_ * b_, a_ && b_) return 0;
    case CT_SCATTER_AMAX: CT_REDUCE_ALL(a_ != a_ || (!(b_ != b_) && a_ >= b_) ? a_ : b_, a_ || b_) return 0;
    case CT_SCATTER_AMIN: CT_REDUCE_ALL(a_ != a_ || (!(b_ != b_) && a_ <= b_) ? a_ : b_, a_ && b_) return 0;
    }
    return ct_error(CT_ERR_RUNTIME, "scatter: unknown reduction");
}
