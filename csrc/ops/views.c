/* Views: new tensors over the same storage (sizes, strides, offset change). */
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_ops.h"

/* record a view op on its result (the gradient flows back through kind) */
static ct_tensor *recorded(ct_tensor *in, ct_tensor *out, int kind, const char *name, const int64_t *ints, int nints) {
    if (out && ct_record_op(kind, name, 1, &in, out, 0, NULL, NULL, 0, ints, nints) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_as_strided(ct_tensor *t, int ndim, const int64_t *sizes, const int64_t *strides, int64_t offset) {
    ct_tensor *v = ct_tensor_new(t->storage, t->dtype, ndim, sizes, strides, offset);
    if (v) v->view_base = ct_incref(t->view_base ? t->view_base : t);   /* in-place writes rewrite the base's history */
    return v;
}

/* the same memory with no tie to t's history (detach, .data, saved outputs) */
ct_tensor *ct_alias(ct_tensor *t) { return ct_tensor_new(t->storage, t->dtype, t->ndim, t->sizes, t->strides, t->offset); }

/* the sizes of a view/reshape with one inferred -1 resolved */
static int infer_size(const char *op, const ct_tensor *t, int ndim, const int64_t *sizes, int64_t *out) {
    int64_t numel = ct_numel(t), known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] == -1) {
            if (infer >= 0) return ct_error(CT_ERR_RUNTIME, "only one dimension can be inferred");
            infer = i;
        } else if (sizes[i] < 0) {
            return ct_error(CT_ERR_RUNTIME, "invalid shape dimension %lld", (long long)sizes[i]);
        } else {
            known *= sizes[i];
        }
        out[i] = sizes[i];
    }
    char buf[256];
    if (infer >= 0) {
        if (known == 0 || numel % known != 0) {
            if (known == 0)
                return ct_error(CT_ERR_RUNTIME, "cannot reshape tensor of 0 elements into shape %s because the "
                                "unspecified dimension size -1 can be any value and is ambiguous",
                                ct_shape_str(ndim, sizes, buf, 256));
            return ct_error(CT_ERR_RUNTIME, "shape '%s' is invalid for input of size %lld",
                            ct_shape_str(ndim, sizes, buf, 256), (long long)numel);
        }
        out[infer] = numel / known;
    } else if (known != numel) {
        return ct_error(CT_ERR_RUNTIME, "shape '%s' is invalid for input of size %lld",
                        ct_shape_str(ndim, sizes, buf, 256), (long long)numel);
    }
    (void)op;
    return 0;
}

/* strides for viewing t with new sizes without copying, as PyTorch's
 * computeStride: false when the memory layout does not allow it */
static bool view_strides(const ct_tensor *t, int ndim, const int64_t *sizes, int64_t *strides) {
    if (ct_numel(t) == 0 || t->ndim == 0) {
        ct_contiguous_strides(ndim, sizes, strides);
        return true;
    }
    int view_d = ndim - 1;
    int64_t chunk_base_stride = t->ndim ? t->strides[t->ndim - 1] : 1;
    int64_t tensor_numel = 1, view_numel = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        tensor_numel *= t->sizes[d];
        if (d == 0 || (t->sizes[d - 1] != 1 && t->strides[d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
                strides[view_d] = view_numel * chunk_base_stride;
                view_numel *= sizes[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return false;
            if (d > 0) {
                chunk_base_stride = t->strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

ct_tensor *ct_view(ct_tensor *t, int ndim, const int64_t *sizes) {
    int64_t shape[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    if (ndim > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "view: too many dimensions");
    if (infer_size("view", t, ndim, sizes, shape) < 0) return NULL;
    if (!view_strides(t, ndim, shape, strides))
        return ct_error_null(CT_ERR_RUNTIME, "view size is not compatible with input tensor's size and stride (at "
                                             "least one dimension spans across two contiguous subspaces). Use "
                                             ".reshape(...) instead.");
    return recorded(t, ct_as_strided(t, ndim, shape, strides, t->offset), CT_NODE_VIEW, "ViewBackward0", NULL, 0);
}

ct_tensor *ct_reshape(ct_tensor *t, int ndim, const int64_t *sizes) {
    int64_t shape[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    if (ndim > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "reshape: too many dimensions");
    if (infer_size("reshape", t, ndim, sizes, shape) < 0) return NULL;
    if (view_strides(t, ndim, shape, strides))
        return recorded(t, ct_as_strided(t, ndim, shape, strides, t->offset), CT_NODE_VIEW, "ViewBackward0", NULL, 0);
    /* a contiguous copy in the new shape: PyTorch's clone + _unsafe_view, which is no view of the copy */
    ct_tensor *c = ct_contiguous(t);
    if (!c) return NULL;
    view_strides(c, ndim, shape, strides);
    ct_tensor *v = recorded(c, ct_tensor_new(c->storage, c->dtype, ndim, shape, strides, c->offset), CT_NODE_VIEW,
                            "UnsafeViewBackward0", NULL, 0);
    ct_decref(c);
    return v;
}

ct_tensor *ct_permute(ct_tensor *t, int ndim, const int64_t *dims) {
    if (ndim != t->ndim)
        return ct_error_null(CT_ERR_RUNTIME, "permute(sparse_coo): number of dimensions in the tensor input does not "
                                             "match the length of the desired ordering of dimensions i.e. input.dim() "
                                             "= %d is not equal to len(dims) = %d", t->ndim, ndim);
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS], perm[CT_MAX_DIMS];
    bool seen[CT_MAX_DIMS] = {false};
    for (int i = 0; i < ndim; i++) {
        int64_t d;
        if (ct_wrap_dim(dims[i], t->ndim, &d) < 0) return NULL;
        if (seen[d]) return ct_error_null(CT_ERR_RUNTIME, "permute(): duplicate dims are not allowed.");
        seen[d] = true;
        sizes[i] = t->sizes[d];
        strides[i] = t->strides[d];
        perm[i] = d;
    }
    return recorded(t, ct_as_strided(t, ndim, sizes, strides, t->offset), CT_NODE_PERMUTE, "PermuteBackward0", perm,
                    ndim);
}

ct_tensor *ct_transpose(ct_tensor *t, int64_t d0, int64_t d1) {
    int64_t a, b;
    if (ct_wrap_dim(d0, t->ndim, &a) < 0 || ct_wrap_dim(d1, t->ndim, &b) < 0) return NULL;
    if (t->ndim == 0) return ct_alias(t);
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    memcpy(sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(strides, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    sizes[a] = t->sizes[b];
    sizes[b] = t->sizes[a];
    strides[a] = t->strides[b];
    strides[b] = t->strides[a];
    int64_t perm[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = i == a ? b : i == b ? a : i;
    return recorded(t, ct_as_strided(t, t->ndim, sizes, strides, t->offset), CT_NODE_PERMUTE, "TransposeBackward0",
                    perm, t->ndim);
}

ct_tensor *ct_unsqueeze(ct_tensor *t, int64_t dim) {
    int64_t d;
    if (ct_wrap_dim(dim, t->ndim + 1, &d) < 0) return NULL;
    if (t->ndim + 1 > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "unsqueeze: too many dimensions");
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++) {
        if (i == d) {
            sizes[i] = 1;
            strides[i] = d < t->ndim ? t->sizes[d] * t->strides[d] : 1;
        } else {
            sizes[i] = t->sizes[j];
            strides[i] = t->strides[j];
            j++;
        }
    }
    return recorded(t, ct_as_strided(t, t->ndim + 1, sizes, strides, t->offset), CT_NODE_VIEW, "UnsqueezeBackward0",
                    NULL, 0);
}

ct_tensor *ct_squeeze(ct_tensor *t, int ndims, const int64_t *dims) {
    bool drop[CT_MAX_DIMS] = {false};
    if (ndims < 0) {
        for (int i = 0; i < t->ndim; i++) drop[i] = t->sizes[i] == 1;
    } else {
        for (int i = 0; i < ndims; i++) {
            int64_t d;
            if (ct_wrap_dim(dims[i], t->ndim, &d) < 0) return NULL;
            if (t->ndim > 0) drop[d] = t->sizes[d] == 1;
        }
    }
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (drop[i]) continue;
        sizes[n] = t->sizes[i];
        strides[n] = t->strides[i];
        n++;
    }
    return recorded(t, ct_as_strided(t, n, sizes, strides, t->offset), CT_NODE_VIEW,
                    ndims < 0 ? "SqueezeBackward0" : "SqueezeBackward1", NULL, 0);
}

ct_tensor *ct_expand(ct_tensor *t, int ndim, const int64_t *sizes) {
    char a[256], b[256];
    if (ndim < t->ndim)
        return ct_error_null(CT_ERR_RUNTIME, "expand(torch.%sTensor{%s}, size=%s): the number of sizes provided "
                             "(%d) must be greater or equal to the number of dimensions in the tensor (%d)",
                             ct_dtype_infos[t->dtype].legacy, ct_shape_str(t->ndim, t->sizes, a, 256), ct_shape_str(ndim, sizes, b, 256), ndim,
                             t->ndim);
    if (ndim > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "expand: too many dimensions");
    int64_t out_sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    int lead = ndim - t->ndim;
    for (int i = ndim - 1; i >= 0; i--) {
        int td = i - lead;
        int64_t want = sizes[i];
        if (td < 0) {
            if (want < 0)
                return ct_error_null(CT_ERR_RUNTIME, "The expanded size of the tensor (%lld) isn't allowed in a "
                                     "leading, non-existing dimension %d", (long long)want, i);
            out_sizes[i] = want;
            strides[i] = 0;
            continue;
        }
        int64_t have = t->sizes[td];
        if (want == -1) want = have;
        if (have == want) {
            out_sizes[i] = have;
            strides[i] = t->strides[td];
        } else if (have == 1 && want >= 0) {
            out_sizes[i] = want;
            strides[i] = 0;
        } else {
            return ct_error_null(CT_ERR_RUNTIME, "The expanded size of the tensor (%lld) must match the existing size "
                                 "(%lld) at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: %s",
                                 (long long)want, (long long)have, i, ct_shape_str(ndim, sizes, a, 256),
                                 ct_shape_str(t->ndim, t->sizes, b, 256));
        }
    }
    return recorded(t, ct_as_strided(t, ndim, out_sizes, strides, t->offset), CT_NODE_EXPAND, "ExpandBackward0", NULL,
                    0);
}

ct_tensor *ct_flatten(ct_tensor *t, int64_t start, int64_t end) {
    int64_t s, e;
    if (ct_wrap_dim(start, t->ndim, &s) < 0 || ct_wrap_dim(end, t->ndim, &e) < 0) return NULL;
    if (s > e) return ct_error_null(CT_ERR_RUNTIME, "flatten() has invalid args: start_dim cannot come after end_dim");
    if (t->ndim == 0) {
        int64_t one = 1;
        return ct_reshape(t, 1, &one);
    }
    int64_t sizes[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < s; i++) sizes[n++] = t->sizes[i];
    int64_t m = 1;
    for (int64_t i = s; i <= e; i++) m *= t->sizes[i];
    sizes[n++] = m;
    for (int i = (int)e + 1; i < t->ndim; i++) sizes[n++] = t->sizes[i];
    return ct_reshape(t, n, sizes);
}

ct_tensor *ct_slice(ct_tensor *t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
    int64_t d;
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return NULL;
    if (t->ndim == 0) return ct_error_null(CT_ERR_INDEX, "slice() cannot be applied to a 0-dim tensor.");
    if (step <= 0) return ct_error_null(CT_ERR_VALUE, "step must be greater than zero");
    int64_t n = t->sizes[d];
    /* clamp like Python slices */
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > n) start = n;
    if (stop < start) stop = start;
    if (stop > n) stop = n;
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    memcpy(sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(strides, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    sizes[d] = (stop - start + step - 1) / step;
    strides[d] = t->strides[d] * step;
    int64_t ints[5] = {0, d, start, stop, step};
    return recorded(t, ct_as_strided(t, t->ndim, sizes, strides, t->offset + start * t->strides[d]), CT_NODE_SLICE,
                    "SliceBackward0", ints, 5);
}

ct_tensor *ct_narrow(ct_tensor *t, int64_t dim, int64_t start, int64_t length) {
    int64_t d;
    if (t->ndim == 0) return ct_error_null(CT_ERR_RUNTIME, "narrow() cannot be applied to a 0-dim tensor.");
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return NULL;
    int64_t n = t->sizes[d];
    if (start < -n || start > n)
        return ct_error_null(CT_ERR_INDEX, "start out of range (expected to be in range of [%lld, %lld], but got %lld)",
                             (long long)-n, (long long)n, (long long)start);
    if (start < 0) start += n;
    if (length < 0) return ct_error_null(CT_ERR_RUNTIME, "narrow(): length must be non-negative.");
    if (start > n - length)
        return ct_error_null(CT_ERR_RUNTIME, "start (%lld) + length (%lld) exceeds dimension size (%lld).",
                             (long long)start, (long long)length, (long long)n);
    return ct_slice(t, d, start, start + length, 1);
}

ct_tensor *ct_select(ct_tensor *t, int64_t dim, int64_t index) {
    int64_t d;
    if (t->ndim == 0) return ct_error_null(CT_ERR_INDEX, "select() cannot be applied to a 0-dim tensor.");
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return NULL;
    int64_t n = t->sizes[d];
    if (index < -n || index >= n) {
        char buf[256];
        return ct_error_null(CT_ERR_INDEX, "select(): index %lld out of range for tensor of size %s at dimension %lld",
                             (long long)index, ct_shape_str(t->ndim, t->sizes, buf, 256), (long long)d);
    }
    if (index < 0) index += n;
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == d) continue;
        sizes[k] = t->sizes[i];
        strides[k] = t->strides[i];
        k++;
    }
    int64_t ints[3] = {1, d, index};
    return recorded(t, ct_as_strided(t, t->ndim - 1, sizes, strides, t->offset + index * t->strides[d]),
                    CT_NODE_SLICE, "SelectBackward0", ints, 3);
}
