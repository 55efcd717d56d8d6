/* Shape ops that copy: cat, stack, flip, roll, repeat, tril/triu; the
 * multi-output views split, chunk, unbind; and repeat_interleave, meshgrid
 * (compositions of recorded views). Each copy is a fresh tensor filled by
 * ct_copy_ from views of the inputs (no kernels of their own), and each op
 * records one autograd node over its inputs (derivatives.c); a cat of more
 * inputs than a node has edges records a tree of cat nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_ops.h"

/* dst <- src without recording (the op records itself once, at the end) */
static int place(ct_tensor *dst, ct_tensor *src) {
    bool on = ct_grad_enabled();
    ct_set_grad_enabled(false);
    int rc = ct_copy_(dst, src);
    ct_set_grad_enabled(on);
    return rc;
}

/* a view of t: sizes, strides, offset given (no history, no base) */
static ct_tensor *raw_view(ct_tensor *t, int ndim, const int64_t *sizes, const int64_t *strides, int64_t offset) {
    return ct_tensor_new(t->storage, t->dtype, ndim, sizes, strides, offset);
}

/* t narrowed along d without recording */
static ct_tensor *raw_narrow(ct_tensor *t, int d, int64_t start, int64_t len) {
    int64_t sizes[CT_MAX_DIMS];
    memcpy(sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    sizes[d] = len;
    return raw_view(t, t->ndim, sizes, t->strides, t->offset + start * t->strides[d]);
}

/* record one node for an op over inputs; on failure the result is released */
static ct_tensor *recorded(int kind, const char *name, int n, ct_tensor *const *ins, ct_tensor *out,
                           const int64_t *ints, int nints) {
    if (out && ct_record_op(kind, name, n, ins, out, 0, NULL, NULL, 0, ints, nints) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

/* ---- cat ---- */

/* PyTorch's legacy rule: 1-D empty tensors are skipped by cat's shape checks */
static bool skipped(const ct_tensor *t) { return t->ndim == 1 && t->sizes[0] == 0; }

static ct_tensor *cat_values(int n, ct_tensor *const *ts, int64_t dim, int64_t *d_out) {
    if (n == 0) return ct_error_null(CT_ERR_VALUE, "torch.cat(): expected a non-empty list of Tensors");
    ct_dtype dtype = ts[0]->dtype;
    for (int i = 1; i < n; i++) dtype = ct_promote_types(dtype, ts[i]->dtype);
    for (int i = 0; i < n; i++)
        if (ts[i]->ndim == 0)
            return ct_error_null(CT_ERR_RUNTIME, "zero-dimensional tensor (at position %d) cannot be concatenated", i);
    int ref = -1;
    for (int i = 0; i < n && ref < 0; i++)
        if (!skipped(ts[i])) ref = i;
    if (ref < 0) return ct_empty(1, ts[0]->sizes, dtype, ct_device_of(ts[0]));   /* all empty */
    const ct_tensor *r = ts[ref];
    int64_t d;
    if (ct_wrap_dim(dim, r->ndim, &d) < 0) return NULL;
    int64_t sizes[CT_MAX_DIMS];
    memcpy(sizes, r->sizes, sizeof(int64_t) * (size_t)r->ndim);
    sizes[d] = 0;
    for (int i = 0; i < n; i++) {
        const ct_tensor *t = ts[i];
        if (skipped(t)) continue;
        if (t->ndim != r->ndim)
            return ct_error_null(CT_ERR_RUNTIME, "Tensors must have same number of dimensions: got %d and %d", r->ndim,
                                 t->ndim);
        if (!ct_device_eq(ct_device_of(t), ct_device_of(r)))
            return ct_error_null(CT_ERR_RUNTIME, "Expected all tensors to be on the same device, but found at least "
                                 "two devices");
        for (int k = 0; k < r->ndim; k++)
            if (k != d && t->sizes[k] != r->sizes[k])
                return ct_error_null(CT_ERR_RUNTIME, "Sizes of tensors must match except in dimension %lld. Expected "
                                     "size %lld but got size %lld for tensor number %d in the list.", (long long)d,
                                     (long long)r->sizes[k], (long long)t->sizes[k], i);
        sizes[d] += t->sizes[d];
    }
    ct_tensor *out = ct_empty(r->ndim, sizes, dtype, ct_device_of(r));
    int64_t at = 0;
    for (int i = 0; out && i < n; i++) {
        if (skipped(ts[i])) continue;
        ct_tensor *part = raw_narrow(out, (int)d, at, ts[i]->sizes[d]);
        int rc = part ? place(part, ts[i]) : -1;
        ct_xdecref(part);
        if (rc < 0) {
            ct_decref(out);
            return NULL;
        }
        at += ts[i]->sizes[d];
    }
    *d_out = d;
    return out;
}

ct_tensor *ct_cat(int n, ct_tensor *const *ts, int64_t dim) {
    /* a node has at most CT_NODE_MAX_INPUTS edges: longer recorded lists
     * become a tree of cats (the same values, one node per group) */
    if (n > CT_NODE_MAX_INPUTS && ct_record_needed(n, ts)) {
        ct_tensor *parts[CT_NODE_MAX_INPUTS] = {NULL};
        int per = (n + CT_NODE_MAX_INPUTS - 1) / CT_NODE_MAX_INPUTS, np = 0;
        bool fail = false;
        for (int at = 0; at < n && !fail; at += per, np++) {
            parts[np] = ct_cat(at + per <= n ? per : n - at, ts + at, dim);
            fail = !parts[np];
        }
        ct_tensor *out = fail ? NULL : ct_cat(np, parts, dim);
        for (int i = 0; i < np; i++) ct_xdecref(parts[i]);
        return out;
    }
    int64_t d = 0;
    ct_tensor *out = cat_values(n, ts, dim, &d);
    if (!out || n > CT_NODE_MAX_INPUTS) return out;
    int64_t ints[1 + CT_NODE_MAX_INPUTS] = {d};
    for (int i = 0; i < n; i++) ints[1 + i] = skipped(ts[i]) ? -1 : ts[i]->sizes[d];
    return recorded(CT_NODE_CAT, "CatBackward0", n, ts, out, ints, n + 1);
}

ct_tensor *ct_stack(int n, ct_tensor *const *ts, int64_t dim) {
    if (n == 0) return ct_error_null(CT_ERR_RUNTIME, "stack expects a non-empty TensorList");
    char a[256], b[256];
    for (int i = 1; i < n; i++)
        if (ts[i]->ndim != ts[0]->ndim || memcmp(ts[i]->sizes, ts[0]->sizes, sizeof(int64_t) * (size_t)ts[0]->ndim))
            return ct_error_null(CT_ERR_RUNTIME, "stack expects each tensor to be equal size, but got %s at entry 0 "
                                 "and %s at entry %d", ct_shape_str(ts[0]->ndim, ts[0]->sizes, a, 256),
                                 ct_shape_str(ts[i]->ndim, ts[i]->sizes, b, 256), i);
    int64_t d;
    if (ct_wrap_dim(dim, ts[0]->ndim + 1, &d) < 0) return NULL;
    /* the cat of the inputs, each with a new dim of size 1 at d */
    ct_tensor *u[CT_NODE_MAX_INPUTS * CT_NODE_MAX_INPUTS];
    ct_tensor **us = n <= (int)(sizeof u / sizeof *u) ? u : malloc(sizeof(ct_tensor *) * (size_t)n);
    if (!us) return ct_error_null(CT_ERR_NOMEM, "stack: out of memory");
    int k = 0;
    for (; k < n; k++)
        if (!(us[k] = ct_unsqueeze(ts[k], d))) break;
    ct_tensor *out = k == n ? ct_cat(n, us, d) : NULL;
    if (out && out->grad_fn && out->grad_fn->kind == CT_NODE_CAT) out->grad_fn->name = "StackBackward0";
    for (int i = 0; i < k; i++) ct_decref(us[i]);
    if (us != u) free(us);
    return out;
}

/* ---- split, chunk, unbind: views, each with its own node (SliceBackward's
 * kind: its gradient placed into zeros of the input's shape) ---- */

/* give the node of a view its PyTorch name (when the view made one) */
static void name_node(ct_tensor *v, const ct_tensor *t, const char *name) {
    if (v->grad_fn && v->grad_fn != t->grad_fn) v->grad_fn->name = name;
}

int ct_split_sizes(ct_tensor *t, int n, const int64_t *sizes, int64_t dim, ct_tensor **outs) {
    int64_t d;
    if (t->ndim == 0) return ct_error(CT_ERR_RUNTIME, "split expects at least a 1-dimensional tensor");
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return -1;
    int64_t total = 0;
    char buf[256];
    for (int i = 0; i < n; i++) {
        if (sizes[i] < 0)
            return ct_error(CT_ERR_RUNTIME, "split_with_sizes expects split_sizes have only non-negative entries, "
                            "but got split_sizes=%s", ct_shape_str(n, sizes, buf, 256));
        total += sizes[i];
    }
    if (total != t->sizes[d])
        return ct_error(CT_ERR_RUNTIME, "split_with_sizes expects split_sizes to sum exactly to %lld (input tensor's "
                        "size at dimension %lld), but got split_sizes=%s", (long long)t->sizes[d], (long long)d,
                        ct_shape_str(n, sizes, buf, 256));
    int64_t at = 0;
    for (int i = 0; i < n; i++) {
        outs[i] = ct_narrow(t, d, at, sizes[i]);
        if (!outs[i]) {
            while (i-- > 0) ct_decref(outs[i]);
            return -1;
        }
        name_node(outs[i], t, "SplitWithSizesBackward0");
        at += sizes[i];
    }
    return n;
}

int ct_split(ct_tensor *t, int64_t size, int64_t dim, ct_tensor **outs, int max) {
    int64_t d;
    if (t->ndim == 0) return ct_error(CT_ERR_RUNTIME, "split expects at least a 1-dimensional tensor");
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return -1;
    int64_t len = t->sizes[d];
    if (size < 0)
        return ct_error(CT_ERR_RUNTIME, "split expects split_size be non-negative, but got split_size=%lld",
                        (long long)size);
    if (size == 0 && len != 0)
        return ct_error(CT_ERR_RUNTIME, "split_size can only be 0 if dimension size is 0, but got dimension size of "
                        "%lld", (long long)len);
    int64_t n = size == 0 ? 1 : (len + size - 1) / size;
    if (n == 0) n = 1;   /* an empty dim splits into one empty piece */
    if (n > max) return ct_error(CT_ERR_RUNTIME, "split: too many pieces (%lld)", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        int64_t start = i * size, piece = len - start < size ? len - start : size;
        outs[i] = ct_narrow(t, d, start, piece);
        if (!outs[i]) {
            while (i-- > 0) ct_decref(outs[i]);
            return -1;
        }
        name_node(outs[i], t, "SplitBackward0");
    }
    return (int)n;
}

int ct_chunk(ct_tensor *t, int64_t chunks, int64_t dim, ct_tensor **outs, int max) {
    if (t->ndim == 0) return ct_error(CT_ERR_RUNTIME, "chunk expects at least a 1-dimensional tensor");
    if (chunks <= 0) return ct_error(CT_ERR_RUNTIME, "chunk expects `chunks` to be greater than 0, got: %lld",
                                     (long long)chunks);
    int64_t d;
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return -1;
    int64_t size = (t->sizes[d] + chunks - 1) / chunks;
    if (size == 0 && t->sizes[d] == 0) {   /* PyTorch: `chunks` empty pieces */
        int64_t zeros[CT_MAX_DIMS] = {0};
        if (chunks > max) return ct_error(CT_ERR_RUNTIME, "chunk: too many pieces");
        return ct_split_sizes(t, (int)chunks, zeros, d, outs);
    }
    return ct_split(t, size, d, outs, max);
}

int ct_unbind(ct_tensor *t, int64_t dim, ct_tensor **outs, int max) {
    int64_t d;
    if (t->ndim == 0) return ct_error(CT_ERR_INDEX, "Dimension specified as 0 but tensor has no dimensions");
    if (ct_wrap_dim(dim, t->ndim, &d) < 0) return -1;
    if (t->sizes[d] > max) return ct_error(CT_ERR_RUNTIME, "unbind: too many pieces");
    for (int64_t i = 0; i < t->sizes[d]; i++) {
        outs[i] = ct_select(t, d, i);
        if (!outs[i]) {
            while (i-- > 0) ct_decref(outs[i]);
            return -1;
        }
        name_node(outs[i], t, "UnbindBackward0");
    }
    return (int)t->sizes[d];
}

/* ---- flip, roll ---- */

/* dims wrapped and checked for repeats; bit k of *mask set for dim k */
static int dim_set(const char *op, const ct_tensor *t, int ndims, const int64_t *dims, int64_t *wrapped,
                   int64_t *mask) {
    *mask = 0;
    for (int i = 0; i < ndims; i++) {
        if (ct_wrap_dim(dims[i], t->ndim, &wrapped[i]) < 0) return -1;
        if (*mask & ((int64_t)1 << wrapped[i]))
            return ct_error(CT_ERR_RUNTIME, "dim %lld appears multiple times in the list of dims",
                            (long long)wrapped[i]);
        *mask |= (int64_t)1 << wrapped[i];
    }
    (void)op;
    return 0;
}

ct_tensor *ct_flip(ct_tensor *t, int ndims, const int64_t *dims) {
    int64_t wrapped[CT_MAX_DIMS], mask, strides[CT_MAX_DIMS], offset = t->offset;
    if (ndims > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "flip: too many dims");
    if (dim_set("flip", t, ndims, dims, wrapped, &mask) < 0) return NULL;
    /* a view walking the flipped dims backwards, copied into a fresh tensor */
    for (int k = 0; k < t->ndim; k++) {
        strides[k] = t->strides[k];
        if (!(mask & ((int64_t)1 << k)) || t->sizes[k] == 0) continue;
        offset += (t->sizes[k] - 1) * t->strides[k];
        strides[k] = -t->strides[k];
    }
    ct_tensor *out = ct_empty(t->ndim, t->sizes, t->dtype, ct_device_of(t));
    ct_tensor *src = out ? raw_view(t, t->ndim, t->sizes, strides, offset) : NULL;
    int rc = src ? place(out, src) : -1;
    ct_xdecref(src);
    if (rc < 0) {
        ct_xdecref(out);
        return NULL;
    }
    int64_t ints[CT_MAX_DIMS];
    int n = 0;
    for (int k = 0; k < t->ndim; k++)
        if (mask & ((int64_t)1 << k)) ints[n++] = k;
    return recorded(CT_NODE_FLIP, "FlipBackward0", 1, &t, out, ints, n);
}

/* src rolled by shift along d into dst (same shape): two block copies */
static int roll_into(ct_tensor *dst, ct_tensor *src, int d, int64_t shift) {
    int64_t len = src->sizes[d];
    if (len == 0) return place(dst, src);
    int64_t s = ((shift % len) + len) % len;
    ct_tensor *a = raw_narrow(dst, d, s, len - s), *b = raw_narrow(src, d, 0, len - s);
    ct_tensor *c = raw_narrow(dst, d, 0, s), *e = raw_narrow(src, d, len - s, s);
    int rc = a && b && c && e && place(a, b) == 0 && place(c, e) == 0 ? 0 : -1;
    ct_xdecref(a), ct_xdecref(b), ct_xdecref(c), ct_xdecref(e);
    return rc;
}

ct_tensor *ct_roll(ct_tensor *t, int n, const int64_t *shifts, int ndims, const int64_t *dims) {
    if (n == 0) return ct_error_null(CT_ERR_RUNTIME, "`shifts` required");
    if (ndims == 0 && n != 1)
        return ct_error_null(CT_ERR_RUNTIME, "shifts and dimensions must align. shifts: %d, dims:%d", n, ndims);
    if (ndims != 0 && ndims != n)
        return ct_error_null(CT_ERR_RUNTIME, "shifts and dimensions must align. shifts: %d, dims:%d", n, ndims);
    if (n > (CT_MAX_DIMS + 1) / 2) return ct_error_null(CT_ERR_RUNTIME, "roll: too many dims");
    int64_t wrapped[CT_MAX_DIMS];
    if (t->ndim == 0 && ndims > 0)
        return ct_error_null(CT_ERR_INDEX, "Dimension specified as %lld but tensor has no dimensions", (long long)dims[0]);
    for (int i = 0; i < ndims; i++)
        if (ct_wrap_dim(dims[i], t->ndim, &wrapped[i]) < 0) return NULL;
    ct_tensor *out;
    bool on = ct_grad_enabled();
    ct_set_grad_enabled(false);
    if (ndims == 0) {   /* over the flattened tensor, then back to t's shape */
        int64_t flat_n = -1;
        ct_tensor *flat = ct_reshape(t, 1, &flat_n);
        ct_tensor *r = flat ? ct_empty(1, flat->sizes, t->dtype, ct_device_of(t)) : NULL;
        out = r && roll_into(r, flat, 0, shifts[0]) == 0 ? ct_reshape(r, t->ndim, t->sizes) : NULL;
        ct_xdecref(flat);
        ct_xdecref(r);
    } else {   /* one dim at a time */
        ct_tensor *cur = ct_incref(t);
        for (int i = 0; cur && i < ndims; i++) {
            ct_tensor *next = ct_empty(t->ndim, t->sizes, t->dtype, ct_device_of(t));
            if (next && roll_into(next, cur, (int)wrapped[i], shifts[i]) < 0) {
                ct_decref(next);
                next = NULL;
            }
            ct_decref(cur);
            cur = next;
        }
        out = cur;
    }
    ct_set_grad_enabled(on);
    if (!out) return NULL;
    int64_t ints[CT_MAX_DIMS + 2] = {ndims};
    for (int i = 0; i < n; i++) ints[1 + i] = shifts[i];
    for (int i = 0; i < ndims; i++) ints[1 + n + i] = wrapped[i];
    return recorded(CT_NODE_ROLL, "RollBackward0", 1, &t, out, ints, 1 + n + ndims);
}

/* ---- repeat ---- */

ct_tensor *ct_repeat(ct_tensor *t, int n, const int64_t *reps) {
    if (n < t->ndim)
        return ct_error_null(CT_ERR_RUNTIME, "Number of dimensions of repeat dims can not be smaller than number of "
                             "dimensions of tensor");
    if (2 * n > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "repeat: too many dimensions");
    /* out viewed as (r0, s0, r1, s1, ...) takes t expanded along the r's */
    int64_t out_sizes[CT_MAX_DIMS], blk[CT_MAX_DIMS], src_strides[CT_MAX_DIMS], blk_strides[CT_MAX_DIMS];
    int lead = n - t->ndim;
    for (int i = 0; i < n; i++) {
        int64_t s = i < lead ? 1 : t->sizes[i - lead];
        out_sizes[i] = s * reps[i];
        blk[2 * i] = reps[i];
        blk[2 * i + 1] = s;
        src_strides[2 * i] = 0;
        src_strides[2 * i + 1] = i < lead ? 0 : t->strides[i - lead];
    }
    for (int i = 0; i < n; i++)
        if (out_sizes[i] < 0) {
            char buf[256];
            return ct_error_null(CT_ERR_RUNTIME, "Trying to create tensor with negative dimension %lld: %s",
                                 (long long)out_sizes[i], ct_shape_str(n, out_sizes, buf, 256));
        }
    ct_tensor *out = ct_empty(n, out_sizes, t->dtype, ct_device_of(t));
    if (!out) return NULL;
    ct_contiguous_strides(2 * n, blk, blk_strides);
    ct_tensor *dst = raw_view(out, 2 * n, blk, blk_strides, out->offset);
    ct_tensor *src = dst ? raw_view(t, 2 * n, blk, src_strides, t->offset) : NULL;
    int rc = src ? place(dst, src) : -1;
    ct_xdecref(dst);
    ct_xdecref(src);
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return recorded(CT_NODE_REPEAT, "RepeatBackward0", 1, &t, out, reps, n);
}

/* ---- tril, triu ---- */

ct_tensor *ct_tri(ct_tensor *t, int64_t diagonal, bool upper) {
    const char *op = upper ? "triu" : "tril";
    if (t->ndim < 2) return ct_error_null(CT_ERR_RUNTIME, "%s: input tensor must have at least 2 dimensions", op);
    /* keep where col - row <= diagonal (tril) or >= diagonal (triu) */
    int64_t rows = t->sizes[t->ndim - 2], cols = t->sizes[t->ndim - 1], rshape[2] = {rows, 1};
    bool on = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = ct_arange(0, (double)rows, 1, CT_INT64, ct_device_of(t));
    ct_tensor *rv = r ? ct_view(r, 2, rshape) : NULL;
    ct_tensor *c = rv ? ct_arange(0, (double)cols, 1, CT_INT64, ct_device_of(t)) : NULL;
    ct_tensor *diff = c ? ct_binary(CT_OP_sub, c, rv, NULL, NULL) : NULL;
    ct_tensor *k = diff ? ct_scalar_tensor(ct_scalar_i(diagonal), CT_INT64, false) : NULL;
    ct_tensor *mask = k ? ct_binary(upper ? CT_OP_ge : CT_OP_le, diff, k, NULL, NULL) : NULL;
    ct_tensor *zero = mask ? ct_scalar_tensor(ct_scalar_i(0), t->dtype, false) : NULL;
    ct_tensor *out = zero ? ct_where(mask, t, zero, NULL) : NULL;
    ct_set_grad_enabled(on);
    ct_tensor *tmp[] = {r, rv, c, diff, k, mask, zero};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) ct_xdecref(tmp[i]);
    int64_t ints[2] = {diagonal, upper};
    return recorded(CT_NODE_TRI, upper ? "TriuBackward0" : "TrilBackward0", 1, &t, out, ints, 2);
}

/* ---- repeat_interleave, meshgrid: compositions of recorded views ---- */

ct_tensor *ct_repeat_interleave(ct_tensor *t, int64_t repeats, bool has_dim, int64_t dim) {
    if (repeats < 0) return ct_error_null(CT_ERR_RUNTIME, "Repeats must be non-negative");
    int64_t flat_n = -1, d = 0;
    ct_tensor *x = has_dim ? ct_incref(t) : ct_reshape(t, 1, &flat_n);
    if (!x) return NULL;
    if (has_dim && ct_wrap_dim(dim, x->ndim, &d) < 0) {
        ct_decref(x);
        return NULL;
    }
    /* x with a new dim after d, expanded to `repeats`, then the two merged */
    int64_t sizes[CT_MAX_DIMS];
    ct_tensor *u = ct_unsqueeze(x, d + 1), *e = NULL, *out = NULL;
    if (u) {
        memcpy(sizes, u->sizes, sizeof(int64_t) * (size_t)u->ndim);
        sizes[d + 1] = repeats;
        e = ct_expand(u, u->ndim, sizes);
    }
    if (e) out = ct_flatten(e, d, d + 1);
    if (out && out->storage == t->storage) {   /* always a new tensor (repeats 1: a view so far) */
        ct_tensor *c = ct_clone(out);
        ct_decref(out);
        out = c;
    }
    if (out && !ct_is_contiguous(out)) {   /* ... and a contiguous one */
        ct_tensor *c = ct_contiguous(out);
        ct_decref(out);
        out = c;
    }
    ct_decref(x);
    ct_xdecref(u);
    ct_xdecref(e);
    return out;
}

ct_tensor *ct_repeat_index(ct_tensor *repeats, int64_t output_size) {
    if (repeats->ndim != 1) return ct_error_null(CT_ERR_RUNTIME, "repeat_interleave only accept 1D vector as repeat");
    if (repeats->dtype != CT_INT32 && repeats->dtype != CT_INT64) {
        ct_error_kernel_dtype("repeat_interleave_cpu", repeats->dtype);
        return NULL;
    }
    if (ct_device_of(repeats).type != CT_DEV_CPU)
        return ct_error_null(CT_ERR_NOTIMPL, "repeat_interleave is not implemented for cuda");
    ct_tensor *r = ct_to_dtype(repeats, CT_INT64, false), *rc = r ? ct_contiguous(r) : NULL;
    ct_xdecref(r);
    if (!rc) return NULL;
    const int64_t *c = (const int64_t *)ct_data(rc);
    int64_t n = rc->sizes[0], total = 0;
    for (int64_t i = 0; i < n && total >= 0; i++) total = c[i] < 0 ? -1 : total + c[i];
    ct_tensor *out = NULL;
    if (total < 0)
        ct_error(CT_ERR_RUNTIME, "repeats can not be negative");
    else if (output_size >= 0 && output_size != total)
        ct_error(CT_ERR_RUNTIME, "allocated size does not match required size");
    else if ((out = ct_empty(1, &total, repeats->dtype, ct_cpu()))) {   /* the counts' dtype, as PyTorch */
        int64_t *o64 = (int64_t *)ct_data(out);
        int32_t *o32 = (int32_t *)ct_data(out);
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < c[i]; k++)
                if (repeats->dtype == CT_INT64) *o64++ = i;
                else *o32++ = (int32_t)i;
    }
    ct_decref(rc);
    return out;
}

ct_tensor *ct_repeat_interleave_counts(ct_tensor *t, ct_tensor *repeats, bool has_dim, int64_t dim,
                                       int64_t output_size) {
    if (repeats->ndim > 1) return ct_error_null(CT_ERR_RUNTIME, "repeats must be 0-dim or 1-dim tensor");
    int64_t flat_n = -1, d = 0;
    ct_tensor *x = has_dim ? ct_incref(t) : ct_reshape(t, 1, &flat_n);
    if (!x) return NULL;
    ct_tensor *idx = NULL, *out = NULL;
    if (has_dim && ct_wrap_dim(dim, x->ndim, &d) < 0) {
        ct_decref(x);
        return NULL;
    }
    int64_t len = x->ndim ? x->sizes[d] : 1, one = 1;
    ct_tensor *r1 = ct_numel(repeats) == 1 ? ct_reshape(repeats, 1, &one) : NULL;   /* one count for all */
    ct_tensor *r = r1 ? ct_expand(r1, 1, &len) : ct_incref(repeats);
    if (r && r->ndim == 1 && r->sizes[0] != len)
        ct_error(CT_ERR_RUNTIME, "repeats must have the same size as input along dim, but got repeats.size(0) = %lld "
                 "and input.size(%lld) = %lld", (long long)r->sizes[0], (long long)d, (long long)len);
    else if (r)
        idx = ct_repeat_index(r, output_size);
    if (idx) out = ct_index_select(x, d, idx);
    ct_decref(x);
    ct_xdecref(r1);
    ct_xdecref(r);
    ct_xdecref(idx);
    return out;
}

int ct_meshgrid(int n, ct_tensor *const *ts, bool xy, ct_tensor **outs) {
    if (n == 0) return ct_error(CT_ERR_RUNTIME, "meshgrid expects a non-empty TensorList");
    if (n > CT_MAX_DIMS) return ct_error(CT_ERR_RUNTIME, "meshgrid: too many tensors");
    int64_t shape[CT_MAX_DIMS];
    for (int i = 0; i < n; i++)
        if (ts[i]->dtype != ts[0]->dtype)
            return ct_error(CT_ERR_RUNTIME, "meshgrid expects all tensors to have the same dtype");
    for (int i = 0; i < n; i++) {
        char buf[256];
        if (ts[i]->ndim > 1)
            return ct_error(CT_ERR_RUNTIME, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a "
                            "tensor of shape %s", ct_shape_str(ts[i]->ndim, ts[i]->sizes, buf, 256));
        shape[i] = ts[i]->ndim ? ts[i]->sizes[0] : 1;
    }
    bool swap = xy && n >= 2;   /* 'xy': the grid of the first two inputs transposed */
    if (swap) {
        int64_t tmp = shape[0];
        shape[0] = shape[1];
        shape[1] = tmp;
    }
    for (int i = 0; i < n; i++) {
        int at = swap && i < 2 ? 1 - i : i;
        int64_t vshape[CT_MAX_DIMS];
        for (int k = 0; k < n; k++) vshape[k] = k == at ? shape[at] : 1;
        ct_tensor *v = ct_reshape(ts[i], n, vshape);
        outs[i] = v ? ct_expand(v, n, shape) : NULL;
        ct_xdecref(v);
        if (!outs[i]) {
            while (i-- > 0) ct_decref(outs[i]);
            return -1;
        }
    }
    return n;
}
