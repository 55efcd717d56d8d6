/* Copies, casts and factories (ct_ops.h). */
#include <math.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* copy between devices: both sides dense and contiguous, through the non-CPU backend */
static int copy_across_devices(ct_tensor *dst, ct_tensor *src) {
    ct_device dd = ct_device_of(dst), sd = ct_device_of(src);
    const ct_backend *be = ct_get_backend((ct_device_type)(dd.type != CT_DEV_CPU ? dd.type : sd.type));
    if (!be) return ct_error(CT_ERR_RUNTIME, "copy_: device is not available");
    int rc = -1;
    ct_tensor *s = ct_to_dtype(src, dst->dtype, false), *sc = NULL, *tmp = NULL;
    if (!s) return -1;
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, dst->sizes, sizeof shape);
    ct_tensor *se = ct_expand(s, dst->ndim, shape);
    if (se && (sc = ct_contiguous(se))) {
        bool direct = ct_is_contiguous(dst);
        tmp = direct ? ct_incref(dst) : ct_empty(dst->ndim, dst->sizes, dst->dtype, dd);
        if (tmp) {
            rc = be->copy(ct_data(tmp), dd, ct_data(sc), sd, ct_numel(tmp) * ct_itemsize(tmp->dtype));
            if (rc == 0 && !direct) rc = ct_copy_(dst, tmp);
        }
    }
    ct_xdecref(se);
    ct_xdecref(sc);
    ct_xdecref(tmp);
    ct_decref(s);
    return rc;
}

int ct_item(ct_tensor *t, ct_scalar *v) {
    int64_t n = ct_numel(t);
    if (n != 1) return ct_error(CT_ERR_RUNTIME, "a Tensor with %lld elements cannot be converted to Scalar", (long long)n);
    if (ct_device_of(t).type == CT_DEV_CPU) {
        *v = ct_load_scalar(ct_data(t), t->dtype);
        return 0;
    }
    ct_tensor *h = ct_empty(t->ndim, t->sizes, t->dtype, ct_cpu());
    int rc = h ? copy_across_devices(h, t) : -1;
    if (rc == 0) *v = ct_load_scalar(ct_data(h), h->dtype);
    ct_xdecref(h);
    return rc;
}

/* autograd after an in-place write of new values into t: t's history
 * becomes node (NULL: constants, no history), and a view's base follows */
static int record_overwrite(ct_tensor *t, ct_node *node) {
    if (node) {
        ct_record_finish(node, t);
    } else if (t->grad_fn) {
        ct_node_decref(t->grad_fn);
        t->grad_fn = NULL;
    }
    return ct_inplace_rebase(t);
}

int ct_copy_(ct_tensor *dst, ct_tensor *src) {
    if (ct_inplace_check(dst) < 0) return -1;
    ct_tensor *in[2] = {dst, src};
    bool record = ct_record_needed(2, in) && ct_is_floating(dst->dtype);
    ct_node *node = record && ct_record_needed(1, &src) ? ct_record_begin(CT_NODE_COPY, "CopyBackwards", 2, in) : NULL;
    if (record && ct_record_needed(1, &src) && !node) return -1;
    int rc;
    if (!ct_device_eq(ct_device_of(dst), ct_device_of(src))) {
        rc = copy_across_devices(dst, src);
    } else {
        ct_iter it;
        ct_tensor *out = dst;
        if (ct_iter_elementwise(&it, "copy_", &out, dst->dtype, 1, &src) < 0) {
            if (node) ct_node_decref(node);
            return -1;
        }
        ct_kernel_args args = {.op = CT_OP_copy, .iter = &it};
        rc = it.numel ? ct_dispatch(ct_device_of(dst), &args) : 0;
        ct_iter_release(&it);
        if (rc == 0) ct_bump_version(dst);
    }
    if (rc == 0 && record) return record_overwrite(dst, node);
    if (node) ct_node_decref(node);
    return rc;
}

/* a copied result takes the history of its source (a leaf copy has none of its own) */
static ct_tensor *record_copy(ct_tensor *src, ct_tensor *out, int kind, const char *name) {
    if (out && ct_is_floating(out->dtype) && ct_record_op(kind, name, 1, &src, out, 0, NULL, NULL, 0, NULL, 0) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_to_dtype(ct_tensor *t, ct_dtype dtype, bool copy) {
    if (t->dtype == dtype && !copy) return ct_incref(t);
    ct_tensor *out = ct_empty_like(t, dtype);
    if (out && ct_copy_(out, t) < 0) {
        ct_decref(out);
        return NULL;
    }
    return t->dtype == dtype ? record_copy(t, out, CT_NODE_CLONE, "CloneBackward0")
                             : record_copy(t, out, CT_NODE_TO, "ToCopyBackward0");
}

ct_tensor *ct_clone(ct_tensor *t) { return ct_to_dtype(t, t->dtype, true); }

ct_tensor *ct_contiguous(ct_tensor *t) {
    if (ct_is_contiguous(t)) return ct_incref(t);
    ct_tensor *out = ct_empty(t->ndim, t->sizes, t->dtype, ct_device_of(t));
    if (out && ct_copy_(out, t) < 0) {
        ct_decref(out);
        return NULL;
    }
    return record_copy(t, out, CT_NODE_CLONE, "CloneBackward0");
}

int ct_fill_(ct_tensor *t, ct_scalar v) {
    if (ct_inplace_check(t) < 0) return -1;
    ct_iter it;
    ct_tensor *out = t;
    /* the iterator needs one input: the output itself, unread by the fill loop */
    if (ct_iter_elementwise(&it, "fill_", &out, t->dtype, 1, &t) < 0) return -1;
    ct_kernel_args args = {.op = CT_OP_fill, .iter = &it, .scalars = &v, .nscalars = 1};
    int rc = it.numel ? ct_dispatch(ct_device_of(t), &args) : 0;
    ct_iter_release(&it);
    if (rc == 0) ct_bump_version(t);
    if (rc == 0 && ct_record_needed(1, &t)) return record_overwrite(t, NULL);   /* constants: no history */
    return rc;
}

ct_tensor *ct_full(int ndim, const int64_t *sizes, ct_scalar v, ct_dtype dtype, ct_device dev) {
    ct_tensor *t = ct_empty(ndim, sizes, dtype, dev);
    if (t && ct_fill_(t, v) < 0) {
        ct_decref(t);
        return NULL;
    }
    return t;
}

static ct_tensor *range_kernel(int op, int64_t n, ct_scalar a, ct_scalar b, ct_dtype dtype, ct_device dev) {
    ct_tensor *t = ct_empty(1, &n, dtype, dev);
    if (!t || n == 0) return t;
    ct_scalar s[2] = {a, b};
    ct_kernel_args args = {.op = op, .tensors = &t, .ntensors = 1, .scalars = s, .nscalars = 2};
    if (ct_dispatch(dev, &args) < 0) {
        ct_decref(t);
        return NULL;
    }
    return t;
}

ct_tensor *ct_arange(double start, double end, double step, ct_dtype dtype, ct_device dev) {
    if (dtype == CT_BOOL) return ct_error_dtype("arange", dtype), NULL;
    if (step == 0) return ct_error_null(CT_ERR_RUNTIME, "step must be nonzero");
    if (!isfinite(start) || !isfinite(end))
        return ct_error_null(CT_ERR_RUNTIME, "unsupported range: %g -> %g", start, end);
    if ((step > 0 && start > end) || (step < 0 && start < end))
        return ct_error_null(CT_ERR_RUNTIME, "upper bound and lower bound inconsistent with step sign");
    double len = ceil((end - start) / step);
    if (len > 9.0e18) return ct_error_null(CT_ERR_RUNTIME, "arange: too many elements");
    ct_scalar a = ct_is_floating(dtype) ? ct_scalar_f(start) : ct_scalar_i((int64_t)start);
    ct_scalar b = ct_is_floating(dtype) ? ct_scalar_f(step) : ct_scalar_i((int64_t)step);
    return range_kernel(CT_OP_arange, (int64_t)len, a, b, dtype, dev);
}

ct_tensor *ct_linspace(double start, double end, int64_t steps, ct_dtype dtype, ct_device dev) {
    if (steps < 0) return ct_error_null(CT_ERR_RUNTIME, "linspace(): number of steps must be non-negative");
    if (!ct_is_floating(dtype)) {   /* integral results step between the integral endpoints, as PyTorch */
        start = trunc(start);
        end = trunc(end);
    }
    return range_kernel(CT_OP_linspace, steps, ct_scalar_f(start), ct_scalar_f(end), dtype, dev);
}

ct_tensor *ct_eye(int64_t n, int64_t m, ct_dtype dtype, ct_device dev) {
    if (n < 0) return ct_error_null(CT_ERR_RUNTIME, "n must be greater or equal to 0, got %lld", (long long)n);
    if (m < 0) return ct_error_null(CT_ERR_RUNTIME, "m must be greater or equal to 0, got %lld", (long long)m);
    int64_t sizes[2] = {n, m};
    ct_tensor *t = ct_full(2, sizes, ct_scalar_i(0), dtype, dev);
    if (!t || n == 0 || m == 0) return t;
    ct_kernel_args args = {.op = CT_OP_eye, .tensors = &t, .ntensors = 1};
    if (ct_dispatch(dev, &args) < 0) {
        ct_decref(t);
        return NULL;
    }
    return t;
}
