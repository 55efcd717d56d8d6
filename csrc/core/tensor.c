/* Storage and tensor lifetime, shape helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_tensor.h"

/* storages and tensors alive now: the reliability tests check that freeing a graph frees everything in it */
static int64_t live_storages, live_tensors;

void ct_live_counts(int64_t *storages, int64_t *tensors) {
    *storages = __atomic_load_n(&live_storages, __ATOMIC_RELAXED);
    *tensors = __atomic_load_n(&live_tensors, __ATOMIC_RELAXED);
}

ct_storage *ct_storage_wrap(void *data, int64_t nbytes, ct_device device,
                            void (*release)(void *, void *), void *ctx) {
    ct_storage *s = malloc(sizeof *s);
    if (!s) return ct_error_null(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory");
    s->refcount = 1;
    s->data = data;
    s->nbytes = nbytes;
    s->device = device;
    s->release = release;
    s->release_ctx = ctx;
    s->version = 0;
    __atomic_add_fetch(&live_storages, 1, __ATOMIC_RELAXED);
    return s;
}

ct_storage *ct_storage_new(int64_t nbytes, ct_device device) {
    const ct_backend *be = ct_get_backend((ct_device_type)device.type);
    if (!be)
        return ct_error_null(CT_ERR_RUNTIME, "device type %s is not available",
                             device.type == CT_DEV_CUDA ? "cuda" : "cpu");
    void *data = be->alloc(nbytes, device.index);
    if (!data) return NULL;
    ct_storage *s = ct_storage_wrap(data, nbytes, device, NULL, NULL);   /* NULL release: the backend frees */
    if (!s) be->free(data, nbytes, device.index);
    return s;
}

void ct_storage_incref(ct_storage *s) { __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED); }

void ct_storage_decref(ct_storage *s) {
    if (__atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (s->release) {
        s->release(s->release_ctx, s->data);
    } else {
        const ct_backend *be = ct_get_backend((ct_device_type)s->device.type);
        if (be) be->free(s->data, s->nbytes, s->device.index);
    }
    free(s);
    __atomic_sub_fetch(&live_storages, 1, __ATOMIC_RELAXED);
}

ct_tensor *ct_tensor_new(ct_storage *s, ct_dtype dtype, int ndim, const int64_t *sizes,
                         const int64_t *strides, int64_t offset) {
    if (ndim > CT_MAX_DIMS)
        return ct_error_null(CT_ERR_RUNTIME, "ctorch supports at most %d dimensions, got %d",
                             CT_MAX_DIMS, ndim);
    ct_tensor *t = malloc(sizeof *t);
    if (!t) return ct_error_null(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory");
    t->refcount = 1;
    ct_storage_incref(s);
    t->storage = s;
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        t->sizes[i] = sizes[i];
        t->strides[i] = strides[i];
    }
    t->offset = offset;
    t->is_wrapped_number = false;
    t->pyobj = NULL;
    t->requires_grad = false;
    t->grad_fn = NULL;
    t->grad = NULL;
    t->hooks = NULL;
    t->view_base = NULL;
    __atomic_add_fetch(&live_tensors, 1, __ATOMIC_RELAXED);
    return t;
}

void ct_decref(ct_tensor *t) {
    if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (t->grad_fn) {
        if (t->grad_fn->retain == t) t->grad_fn->retain = NULL;
        ct_node_decref(t->grad_fn);
    }
    ct_xdecref(t->grad);
    ct_hooks_free(&t->hooks);
    ct_xdecref(t->view_base);
    ct_storage_decref(t->storage);
    free(t);
    __atomic_sub_fetch(&live_tensors, 1, __ATOMIC_RELAXED);
}

void ct_contiguous_strides(int ndim, const int64_t *sizes, int64_t *strides) {
    int64_t st = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = st;
        st *= sizes[i] > 1 ? sizes[i] : 1;
    }
}

int ct_shape_numel(int ndim, const int64_t *sizes, int64_t *out) {
    int64_t n = 1;
    if (ndim > CT_MAX_DIMS)
        return ct_error(CT_ERR_RUNTIME, "ctorch supports at most %d dimensions, got %d", CT_MAX_DIMS, ndim);
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0)
            return ct_error(CT_ERR_RUNTIME, "Trying to create tensor with negative dimension %lld: %s",
                            (long long)sizes[i], ct_shape_str(ndim, sizes, (char[256]){0}, 256));
    }
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] != 0 && n > INT64_MAX / sizes[i]) {
            /* keep scanning: a later 0 makes the product 0 */
            for (int j = i; j < ndim; j++)
                if (sizes[j] == 0) { *out = 0; return 0; }
            return ct_error(CT_ERR_RUNTIME, "numel: integer multiplication overflow");
        }
        n *= sizes[i];
    }
    *out = n;
    return 0;
}

static ct_tensor *empty_with_strides(int ndim, const int64_t *sizes, const int64_t *strides,
                                     int64_t span, ct_dtype dtype, ct_device device) {
    int64_t isz = ct_itemsize(dtype);
    if (span > INT64_MAX / isz)
        return ct_error_null(CT_ERR_NOMEM,
                             "DefaultCPUAllocator: can't allocate memory: you tried to allocate more than "
                             "%lld bytes.", (long long)INT64_MAX);
    ct_storage *s = ct_storage_new(span * isz, device);
    if (!s) return NULL;
    ct_tensor *t = ct_tensor_new(s, dtype, ndim, sizes, strides, 0);
    ct_storage_decref(s);
    return t;
}

ct_tensor *ct_empty(int ndim, const int64_t *sizes, ct_dtype dtype, ct_device device) {
    int64_t n, strides[CT_MAX_DIMS];
    if (ct_shape_numel(ndim, sizes, &n) < 0) return NULL;
    ct_contiguous_strides(ndim, sizes, strides);
    return empty_with_strides(ndim, sizes, strides, n, dtype, device);
}

ct_tensor *ct_empty_strided(int ndim, const int64_t *sizes, const int64_t *strides, ct_dtype dtype,
                            ct_device device) {
    int64_t n, span = 1;
    if (ct_shape_numel(ndim, sizes, &n) < 0) return NULL;
    for (int i = 0; i < ndim; i++) {
        if (strides[i] < 0) return ct_error_null(CT_ERR_RUNTIME, "empty_strided: negative strides are not supported");
        span += (sizes[i] - 1) * strides[i];
    }
    return empty_with_strides(ndim, sizes, strides, n == 0 ? 0 : span, dtype, device);
}

ct_tensor *ct_empty_like(const ct_tensor *like, ct_dtype dtype) {
    if (ct_is_contiguous(like) || !ct_is_non_overlapping_and_dense(like))
        return ct_empty(like->ndim, like->sizes, dtype, ct_device_of(like));
    /* dense in another dim order (e.g. transposed): keep that order */
    return ct_empty_strided(like->ndim, like->sizes, like->strides, dtype, ct_device_of(like));
}

int64_t ct_numel(const ct_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->sizes[i];
    return n;
}

bool ct_is_contiguous(const ct_tensor *t) {
    int64_t expected = 1;
    for (int i = 0; i < t->ndim; i++)
        if (t->sizes[i] == 0) return true;   /* empty tensors are contiguous, whatever their strides */
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->sizes[i] != 1) {
            if (t->strides[i] != expected) return false;
            expected *= t->sizes[i];
        }
    }
    return true;
}

bool ct_is_non_overlapping_and_dense(const ct_tensor *t) {
    if (ct_is_contiguous(t)) return true;
    /* sort dims by stride; then they must form a contiguous layout */
    int perm[CT_MAX_DIMS], n = 0;
    for (int i = 0; i < t->ndim; i++)
        if (t->sizes[i] != 1) perm[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t->strides[perm[j]] < t->strides[perm[j - 1]]; j--) {
            int tmp = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = tmp;
        }
    int64_t expected = 1;
    for (int i = 0; i < n; i++) {
        if (t->strides[perm[i]] != expected) return false;
        expected *= t->sizes[perm[i]];
    }
    return true;
}

char *ct_shape_str(int ndim, const int64_t *sizes, char *buf, int buflen) {
    int pos = snprintf(buf, (size_t)buflen, "[");
    for (int i = 0; i < ndim && pos < buflen; i++)
        pos += snprintf(buf + pos, (size_t)(buflen - pos), i ? ", %lld" : "%lld", (long long)sizes[i]);
    if (pos < buflen) snprintf(buf + pos, (size_t)(buflen - pos), "]");
    return buf;
}

int ct_wrap_dim(int64_t dim, int ndim, int64_t *out) {
    int64_t n = ndim > 0 ? ndim : 1;   /* a 0-dim tensor accepts dims -1 and 0 */
    if (dim < -n || dim >= n)
        return ct_error(CT_ERR_INDEX, "Dimension out of range (expected to be in range of [%lld, %lld], but got %lld)",
                        (long long)-n, (long long)(n - 1), (long long)dim);
    *out = dim < 0 ? dim + n : dim;
    return 0;
}

int ct_broadcast_shapes(int na, const int64_t *a, int nb, const int64_t *b, int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = n - 1; i >= 0; i--) {   /* PyTorch reports the last mismatching dim */
        int ia = na - n + i, ib = nb - n + i;
        int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            ct_error(CT_ERR_RUNTIME,
                     "The size of tensor a (%lld) must match the size of tensor b (%lld) at non-singleton dimension %d",
                     (long long)sa, (long long)sb, i);
            return -1;
        }
        out[i] = sa == 1 ? sb : sa;
    }
    return n;
}
