/* Refcounted storage and strided tensors (views share one storage). */
#ifndef CT_TENSOR_H
#define CT_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_dtype.h"
#include "ct_status.h"

#define CT_MAX_DIMS 16

typedef enum { CT_DEV_CPU = 0, CT_DEV_CUDA = 1, CT_NUM_DEVICE_TYPES = 2 } ct_device_type;

typedef struct {
    int8_t type;    /* ct_device_type */
    int8_t index;   /* CUDA ordinal; 0 on the CPU */
} ct_device;

static inline ct_device ct_cpu(void) { ct_device d = {CT_DEV_CPU, 0}; return d; }
static inline bool ct_device_eq(ct_device a, ct_device b) { return a.type == b.type && a.index == b.index; }

/* memory of one or more tensors. `release` frees memory the core did not
 * allocate (a NumPy buffer, a DLPack tensor); NULL means the device allocator. */
typedef struct ct_storage {
    int64_t refcount;
    void *data;
    int64_t nbytes;
    ct_device device;
    void (*release)(void *ctx, void *data);
    void *release_ctx;
    int64_t version;            /* bumped by every in-place write; shared by all views */
} ct_storage;

typedef struct ct_tensor {
    int64_t refcount;
    ct_storage *storage;
    ct_dtype dtype;
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    int64_t strides[CT_MAX_DIMS];   /* in elements, may be 0 (expanded) */
    int64_t offset;                 /* in elements */
    bool is_wrapped_number;         /* a Python scalar: lowest promotion bucket */
    void *pyobj;                    /* borrowed: the Python wrapper, owned by the Python layer */
    /* autograd (ct_autograd.h) */
    bool requires_grad;             /* set on leaves by the user */
    struct ct_node *grad_fn;        /* owned: the node that made this tensor, NULL for leaves */
    struct ct_tensor *grad;         /* owned: accumulated gradient of a leaf (or a retained one) */
    struct ct_hook *hooks;          /* owned: gradient hooks of a leaf */
    struct ct_tensor *view_base;    /* owned: the tensor a view was made from (NULL for non-views) */
} ct_tensor;

/* ---- lifetime ---- */
ct_storage *ct_storage_new(int64_t nbytes, ct_device device);
ct_storage *ct_storage_wrap(void *data, int64_t nbytes, ct_device device,
                            void (*release)(void *, void *), void *ctx);
void ct_storage_incref(ct_storage *s);
void ct_storage_decref(ct_storage *s);

ct_tensor *ct_tensor_new(ct_storage *s, ct_dtype dtype, int ndim, const int64_t *sizes,
                         const int64_t *strides, int64_t offset);   /* takes a new ref of s */
ct_tensor *ct_empty(int ndim, const int64_t *sizes, ct_dtype dtype, ct_device device);
/* an empty tensor laid out like `like` (dense, same dim order) */
ct_tensor *ct_empty_like(const ct_tensor *like, ct_dtype dtype);
ct_tensor *ct_empty_strided(int ndim, const int64_t *sizes, const int64_t *strides,
                            ct_dtype dtype, ct_device device);
static inline ct_tensor *ct_incref(ct_tensor *t) { __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED); return t; }
void ct_decref(ct_tensor *t);
/* how many storages and tensors are alive (for leak tests) */
void ct_live_counts(int64_t *storages, int64_t *tensors);
static inline void ct_xdecref(ct_tensor *t) { if (t) ct_decref(t); }

/* ---- queries ---- */
int64_t ct_numel(const ct_tensor *t);
bool ct_is_contiguous(const ct_tensor *t);
/* no two elements share memory and no gaps (any dim order) */
bool ct_is_non_overlapping_and_dense(const ct_tensor *t);
static inline char *ct_data(const ct_tensor *t) {
    return (char *)t->storage->data + t->offset * ct_itemsize(t->dtype);
}
static inline ct_device ct_device_of(const ct_tensor *t) { return t->storage->device; }
static inline void ct_bump_version(ct_tensor *t) { __atomic_add_fetch(&t->storage->version, 1, __ATOMIC_RELAXED); }
/* "[2, 3]" into buf; returns buf */
char *ct_shape_str(int ndim, const int64_t *sizes, char *buf, int buflen);
/* wrap a negative dim; error (IndexError) when out of range */
int ct_wrap_dim(int64_t dim, int ndim, int64_t *out);
/* numel of a shape with overflow and negative-size checks */
int ct_shape_numel(int ndim, const int64_t *sizes, int64_t *out);
void ct_contiguous_strides(int ndim, const int64_t *sizes, int64_t *strides);

/* ---- views (ops/views.c) ---- */
ct_tensor *ct_view(ct_tensor *t, int ndim, const int64_t *sizes);   /* sizes may hold one -1 */
ct_tensor *ct_reshape(ct_tensor *t, int ndim, const int64_t *sizes);
ct_tensor *ct_as_strided(ct_tensor *t, int ndim, const int64_t *sizes, const int64_t *strides, int64_t offset);
ct_tensor *ct_permute(ct_tensor *t, int ndim, const int64_t *dims);
ct_tensor *ct_transpose(ct_tensor *t, int64_t d0, int64_t d1);
ct_tensor *ct_unsqueeze(ct_tensor *t, int64_t dim);
ct_tensor *ct_squeeze(ct_tensor *t, int ndims, const int64_t *dims);   /* ndims < 0: all */
ct_tensor *ct_expand(ct_tensor *t, int ndim, const int64_t *sizes);
ct_tensor *ct_flatten(ct_tensor *t, int64_t start, int64_t end);
ct_tensor *ct_narrow(ct_tensor *t, int64_t dim, int64_t start, int64_t length);
ct_tensor *ct_select(ct_tensor *t, int64_t dim, int64_t index);
ct_tensor *ct_slice(ct_tensor *t, int64_t dim, int64_t start, int64_t stop, int64_t step);
ct_tensor *ct_alias(ct_tensor *t);   /* a new tensor object on the same memory */
ct_tensor *ct_contiguous(ct_tensor *t);   /* t itself (new ref) when already contiguous */
/* broadcast shape of two shapes into out (CT_MAX_DIMS); returns ndim or -1 */
int ct_broadcast_shapes(int na, const int64_t *a, int nb, const int64_t *b, int64_t *out);

#endif
