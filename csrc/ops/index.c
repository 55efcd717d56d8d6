/* Index ops: gather, index_select, scatter (src, value, add), index_add,
 * nonzero and the linear index of advanced indexing. Checks and messages are
 * PyTorch's; the work is the backend's gather and scatter kernels. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* an int64 index (int32 converted); other dtypes are an error naming the op */
static ct_tensor *long_index(const char *op, ct_tensor *index) {
    if (index->dtype != CT_INT64 && index->dtype != CT_INT32)
        return ct_error_null(CT_ERR_RUNTIME, "%s(): Expected dtype int32 or int64 for index", op);
    return ct_to_dtype(index, CT_INT64, false);
}

/* the pending out-of-bounds IndexError of a kernel raised as `code` with a prefix
 * (gather and scatter raise RuntimeError; index_copy_ names itself) */
static void index_error_as(ct_status code, const char *prefix) {
    if (ct_last_error() != CT_ERR_INDEX) return;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", ct_last_error_message());
    ct_error(code, "%s%s", prefix, msg);
}

/* an op made of several recorded steps shows PyTorch's name on its last node */
ct_tensor *ct_rename_grad_fn(ct_tensor *out, const ct_tensor *in, const char *name) {
    if (out && ct_grad_enabled() && out->grad_fn && out->grad_fn != in->grad_fn) out->grad_fn->name = name;
    return out;
}

/* t itself, or a 0-dim t seen as 1-D of size 1 (the kernels want a dim) */
static ct_tensor *at_least_1d(ct_tensor *t) {
    if (t->ndim > 0) return ct_incref(t);
    int64_t one = 1;
    return ct_tensor_new(t->storage, t->dtype, 1, &one, &one, t->offset);
}

/* run the gather or scatter kernel on three operands (see ops.def) */
static int run_kernel(int op, ct_tensor *a, ct_tensor *b, ct_tensor *c, int64_t dim, ct_scatter_mode mode) {
    ct_tensor *v[3] = {at_least_1d(a), at_least_1d(b), at_least_1d(c)};
    int rc = -1;
    if (v[0] && v[1] && v[2]) {
        int64_t ints[2] = {dim, mode};
        ct_kernel_args args = {.op = op, .tensors = v, .ntensors = 3, .ints = ints, .nints = 2};
        rc = ct_dispatch(ct_device_of(a), &args);
    }
    for (int i = 0; i < 3; i++) ct_xdecref(v[i]);
    return rc;
}

/* index.size(d) <= self.size(d) for d != dim (and <= src.size(d) for every d) */
static int check_sizes(const char *op, ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src) {
    int nd = self->ndim ? self->ndim : 1;
    if ((index->ndim ? index->ndim : 1) != nd)
        return ct_error(CT_ERR_RUNTIME, "Index tensor must have the same number of dimensions as %s tensor",
                        src ? "self" : op[0] == 'g' ? "input" : "self");
    if (src && (src->ndim ? src->ndim : 1) != nd)
        return ct_error(CT_ERR_RUNTIME, "Index tensor must have the same number of dimensions as src tensor");
    char bi[256], bs[256], bsrc[256];
    for (int d = 0; d < self->ndim && index->ndim; d++) {
        bool bad_self = d != dim && index->sizes[d] > self->sizes[d];
        bool bad_src = src && src->ndim && index->sizes[d] > src->sizes[d];
        if (!bad_self && !bad_src) continue;
        ct_shape_str(index->ndim, index->sizes, bi, 256);
        ct_shape_str(self->ndim, self->sizes, bs, 256);
        if (op[0] == 'g')
            return ct_error(CT_ERR_RUNTIME, "Size does not match at dimension %d expected index %s to be no larger "
                            "than self %s apart from dimension %lld", d, bi, bs, (long long)dim);
        if (!src)
            return ct_error(CT_ERR_RUNTIME, "Expected index %s to be no larger than self %s apart from dimension %lld",
                            bi, bs, (long long)dim);
        return ct_error(CT_ERR_RUNTIME, "Expected index %s to be no larger than self %s apart from dimension %lld and "
                        "to be no larger size than src %s", bi, bs, (long long)dim,
                        ct_shape_str(src->ndim, src->sizes, bsrc, 256));
    }
    return 0;
}

/* the values of gather (no recording): out shaped like index */
static ct_tensor *gather_values(ct_tensor *self, int64_t dim, ct_tensor *index) {
    ct_tensor *out = ct_empty(index->ndim, index->sizes, self->dtype, ct_device_of(self));
    if (out && run_kernel(CT_OP_gather, out, self, index, dim, CT_SCATTER_SET) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

static ct_tensor *recorded(ct_tensor *out, int kind, const char *name, int nin, ct_tensor *const *inputs,
                           ct_tensor *index, int64_t dim, int64_t flag) {
    int64_t ints[2] = {dim, flag};
    if (out && ct_record_op(kind, name, nin, inputs, out, 1, &index, NULL, 0, ints, 2) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_gather(ct_tensor *self, int64_t dim, ct_tensor *index) {
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    ct_tensor *idx = long_index("gather", index);
    if (!idx) return NULL;
    ct_tensor *out = check_sizes("gather", self, d, idx, NULL) < 0 ? NULL : gather_values(self, d, idx);
    out = recorded(out, CT_NODE_GATHER, "GatherBackward0", 1, &self, idx, d, 0);
    ct_decref(idx);
    if (!out) index_error_as(CT_ERR_RUNTIME, "");
    return out;
}

/* a 1-D index along dim of a tensor shaped like `like`, expanded to it with that dim n long */
static ct_tensor *expand_along(ct_tensor *index, int64_t dim, const ct_tensor *like) {
    int nd = like->ndim ? like->ndim : 1;
    int64_t shape[CT_MAX_DIMS], full[CT_MAX_DIMS], n = ct_numel(index);
    for (int i = 0; i < nd; i++) {
        shape[i] = i == dim ? n : 1;
        full[i] = i == dim ? n : like->ndim ? like->sizes[i] : 1;
    }
    ct_tensor *v = ct_reshape(index, nd, shape);
    ct_tensor *e = v ? ct_expand(v, nd, full) : NULL;
    ct_xdecref(v);
    return e;
}

ct_tensor *ct_index_select(ct_tensor *self, int64_t dim, ct_tensor *index) {
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    if (index->ndim > 1) return ct_error_null(CT_ERR_INDEX, "index_select(): Index is supposed to be a vector");
    ct_tensor *idx = long_index("index_select", index);
    ct_tensor *e = idx ? expand_along(idx, d, self) : NULL;
    ct_xdecref(idx);
    if (!e) return NULL;
    ct_tensor *out = gather_values(self, d, e);
    if (!out && ct_last_error() == CT_ERR_INDEX) {   /* PyTorch's wording for index_select */
        long long v = 0, size = 0;
        int dd = 0;
        sscanf(ct_last_error_message(), "index %lld is out of bounds for dimension %d with size %lld", &v, &dd, &size);
        ct_error(CT_ERR_RUNTIME, "INDICES element is out of DATA bounds, id=%lld axis_dim=%lld", v, size);
    }
    if (out && self->ndim == 0 && index->ndim == 0) {   /* a 0-dim result for 0-dim operands */
        ct_tensor *r = ct_reshape(out, 0, NULL);
        ct_decref(out);
        out = r;
    }
    out = recorded(out, CT_NODE_GATHER, "IndexSelectBackward0", 1, &self, e, d, 0);
    ct_decref(e);
    return out;
}

/* scatter of src (same dtype as self, or a 0-dim value broadcast over index)
 * into self (inplace) or a copy of it, written or reduced by mode; the
 * gradient exists for SET and ADD (scatter(reduce=) has none, as in PyTorch:
 * its node fails in backward) */
static ct_tensor *scatter_impl(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                               ct_scatter_mode mode, bool reduce_arg, bool inplace, ct_status oob, const char *prefix) {
    bool accumulate = mode == CT_SCATTER_ADD && !reduce_arg;
    const char *op = accumulate ? "scatter_add" : "scatter";
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    if (!is_value && src->dtype != self->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "%s(): Expected self.dtype to be equal to src.dtype", op);
    if (inplace && ct_inplace_check(self) < 0) return NULL;
    ct_tensor *idx = long_index(op, index);
    if (!idx) return NULL;
    ct_tensor *s = NULL, *out = NULL;
    if (check_sizes(op, self, d, idx, is_value ? NULL : src) == 0)
        s = is_value ? ct_to_dtype(src, self->dtype, false) : ct_incref(src);
    if (s && is_value) {   /* the value over the index's shape */
        ct_tensor *e = ct_expand(s, idx->ndim, idx->sizes);
        ct_decref(s);
        s = e;
    }
    if (s) {
        bool grad = ct_grad_enabled();
        ct_set_grad_enabled(false);
        out = inplace ? ct_incref(self) : ct_clone(self);
        ct_set_grad_enabled(grad);
    }
    if (out && run_kernel(CT_OP_scatter, out, idx, s, d, mode) < 0) {
        ct_decref(out);
        out = NULL;
        index_error_as(oob, prefix);
    }
    if (out) ct_bump_version(out);
    ct_tensor *inputs[2] = {self, is_value ? NULL : src};
    const char *name = accumulate ? "ScatterAddBackward0" : is_value ? "ScatterBackward1" : "ScatterBackward0";
    out = recorded(out, CT_NODE_SCATTER, reduce_arg ? "NotImplemented" : name, 2, inputs, idx, d, reduce_arg ? -1 : (int64_t)mode);
    if (out && inplace && ct_inplace_rebase(out) < 0) {
        ct_decref(out);
        out = NULL;
    }
    ct_xdecref(s);
    ct_decref(idx);
    return out;
}

ct_tensor *ct_scatter(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                      ct_scatter_mode mode, bool inplace) {
    return scatter_impl(self, dim, index, src, is_value, mode, false, inplace, CT_ERR_RUNTIME, "");
}

ct_tensor *ct_scatter_reduce_arg(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                                 ct_scatter_mode mode, bool inplace) {
    return scatter_impl(self, dim, index, src, is_value, mode, true, inplace, CT_ERR_RUNTIME, "");
}

/* the value a reduction starts from where include_self=False drops self's values */
static ct_scalar reduce_identity(ct_scatter_reduction r, ct_dtype dt) {
    if (r == CT_SR_SUM || r == CT_SR_MEAN) return ct_scalar_i(0);
    if (r == CT_SR_PROD) return ct_scalar_i(1);
    bool lowest = r == CT_SR_AMAX;
    if (ct_is_floating(dt)) return ct_scalar_f(lowest ? -INFINITY : INFINITY);
    if (dt == CT_BOOL) return ct_scalar_i(!lowest);
    int bits = 8 * ct_itemsize(dt);
    if (!ct_dtype_infos[dt].is_signed) return ct_scalar_i(lowest ? 0 : (1 << bits) - 1);
    int64_t hi = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
    return ct_scalar_i(lowest ? -hi - 1 : hi);
}

/* v (a 0-dim tensor or a scalar) written or reduced into out at idx along dim */
static int scatter_scalar(ct_tensor *out, ct_tensor *idx, int64_t dim, ct_scalar v, ct_scatter_mode mode) {
    ct_tensor *s = ct_scalar_tensor(v, out->dtype, false), *e = s ? ct_expand(s, idx->ndim, idx->sizes) : NULL;
    int rc = e ? run_kernel(CT_OP_scatter, out, idx, e, dim, mode) : -1;
    ct_xdecref(s);
    ct_xdecref(e);
    return rc;
}

/* mean's divisor: how many values met at each position of out (at least 1) */
static ct_tensor *mean_counts(ct_tensor *out, int64_t dim, ct_tensor *idx, bool include_self) {
    ct_tensor *count = ct_full(out->ndim, out->sizes, ct_scalar_i(include_self), out->dtype, ct_device_of(out));
    ct_scalar params[2] = {ct_scalar_i(1), ct_scalar_i(0)};   /* unary kernels read two parameters */
    ct_tensor *clamped = count && scatter_scalar(count, idx, dim, params[0], CT_SCATTER_ADD) == 0
                             ? ct_unary(CT_OP_clamp_min, count, params, count) : NULL;
    if (!clamped) {
        ct_xdecref(count);
        return NULL;
    }
    ct_decref(clamped);   /* count itself, written in place */
    return count;
}

/* the reduction of src into self (or a copy) and the mean's counts (NULL for other reductions) */
static ct_tensor *scatter_reduce_values(ct_tensor *self, int64_t d, ct_tensor *idx, ct_tensor *src,
                                        ct_scatter_reduction reduce, bool include_self, bool inplace,
                                        ct_tensor **counts) {
    static const ct_scatter_mode modes[] = {[CT_SR_SUM] = CT_SCATTER_ADD, [CT_SR_PROD] = CT_SCATTER_MUL,
                                            [CT_SR_MEAN] = CT_SCATTER_ADD, [CT_SR_AMAX] = CT_SCATTER_AMAX,
                                            [CT_SR_AMIN] = CT_SCATTER_AMIN};
    ct_tensor *out = inplace ? ct_incref(self) : ct_clone(self);
    bool ok = out && (include_self || scatter_scalar(out, idx, d, reduce_identity(reduce, self->dtype),
                                                     CT_SCATTER_SET) == 0);
    ok = ok && run_kernel(CT_OP_scatter, out, idx, src, d, modes[reduce]) == 0;
    *counts = ok && reduce == CT_SR_MEAN ? mean_counts(out, d, idx, include_self) : NULL;
    if (ok && reduce == CT_SR_MEAN) {   /* out /= counts, in place (the returned reference is out itself) */
        ct_tensor *q = *counts ? ct_binary(ct_is_floating(out->dtype) ? CT_OP_div : CT_OP_floor_divide, out,
                                           *counts, NULL, out) : NULL;
        ok = q != NULL;
        ct_xdecref(q);
    }
    if (!ok) ct_xdecref(out);
    return ok ? out : NULL;
}

ct_tensor *ct_scatter_reduce(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src,
                             ct_scatter_reduction reduce, bool include_self, bool inplace) {
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    if (src->dtype != self->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "scatter(): Expected self.dtype to be equal to src.dtype");
    if (reduce == CT_SR_MEAN && self->dtype == CT_BOOL) {
        ct_error_kernel_dtype("scatter_gather_tensor_cpu_reduce_mean", self->dtype);
        return NULL;
    }
    if (inplace && ct_inplace_check(self) < 0) return NULL;
    ct_tensor *idx = long_index("scatter_reduce", index);
    if (!idx) return NULL;
    ct_tensor *inputs[2] = {self, src}, *orig = NULL, *counts = NULL, *out = NULL;
    bool record = ct_record_needed(2, inputs), keep_values = reduce != CT_SR_SUM && reduce != CT_SR_MEAN;
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    if (check_sizes("scatter_reduce", self, d, idx, src) == 0) {
        orig = record && keep_values ? (inplace ? ct_clone(self) : ct_incref(self)) : NULL;
        if (!record || !keep_values || orig)
            out = scatter_reduce_values(self, d, idx, src, reduce, include_self, inplace, &counts);
    }
    ct_set_grad_enabled(grad);
    if (out) ct_bump_version(out);
    if (out && record) {
        ct_tensor *save[4] = {idx, counts ? counts : orig, src, out};
        int64_t ints[3] = {d, reduce, include_self};
        if (ct_record_op(CT_NODE_SCATTER_REDUCE, "ScatterReduceBackward0", 2, inputs, out, keep_values ? 4 : 1 + !!counts,
                         save, NULL, 0, ints, 3) < 0 ||
            (inplace && ct_inplace_rebase(out) < 0)) {
            ct_decref(out);
            out = NULL;
        }
    }
    if (!out) index_error_as(CT_ERR_RUNTIME, "");
    ct_xdecref(orig);
    ct_xdecref(counts);
    ct_decref(idx);
    return out;
}

/* the row-major flat positions of the true elements of mask (bool): nonzero's rows dotted with the strides */
static ct_tensor *true_positions(ct_tensor *mask) {
    int64_t nd = mask->ndim, stride = 1;
    ct_tensor *pos = ct_nonzero(mask), *st = ct_empty(1, &nd, CT_INT64, ct_cpu()), *lin = NULL;
    if (pos && st) {
        int64_t *s = (int64_t *)ct_data(st);
        for (int i = mask->ndim - 1; i >= 0; i--) s[i] = stride, stride *= mask->sizes[i];
        lin = ct_matmul(pos, st);
    }
    ct_xdecref(pos);
    ct_xdecref(st);
    return lin;
}

/* masked_scatter: the masked positions of self (mask broadcast with self; in
 * place: to self), in row-major order, take source's first values */
ct_tensor *ct_masked_scatter(ct_tensor *self, ct_tensor *mask, ct_tensor *source, bool inplace) {
    if (mask->dtype != CT_BOOL)
        return ct_error_null(CT_ERR_RUNTIME, "masked_scatter_ only supports boolean masks, but got mask with dtype %s",
                             ct_dtype_infos[mask->dtype].legacy);
    if (source->dtype != self->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "masked_scatter: expected self and source to have same dtypes but got"
                             "%s and %s", ct_dtype_infos[self->dtype].legacy, ct_dtype_infos[source->dtype].legacy);
    if (inplace && ct_inplace_check(self) < 0) return NULL;
    int64_t all = -1, shape[CT_MAX_DIMS];
    int nd = inplace ? self->ndim : ct_broadcast_shapes(self->ndim, self->sizes, mask->ndim, mask->sizes, shape);
    if (inplace) memcpy(shape, self->sizes, sizeof(int64_t) * (size_t)nd);
    if (nd < 0) return NULL;
    ct_tensor *me = ct_expand(mask, nd, shape), *se = me ? ct_expand(self, nd, shape) : NULL;
    ct_tensor *lin = se ? true_positions(me) : NULL, *flat_src = NULL, *first = NULL, *base = NULL, *flat = NULL;
    ct_tensor *res = NULL, *out = NULL;
    if (lin && ct_numel(lin) > ct_numel(source))
        ct_error(CT_ERR_RUNTIME, "Number of elements of source < number of ones in mask");
    else if (lin && (flat_src = ct_reshape(source, 1, &all)))
        first = ct_narrow(flat_src, 0, 0, ct_numel(lin));
    if (first && (base = ct_clone(se)) && (flat = ct_reshape(base, 1, &all)))
        res = ct_scatter(flat, 0, lin, first, false, CT_SCATTER_SET, false);
    out = res ? ct_reshape(res, nd, shape) : NULL;
    if (out && inplace) {   /* written back into self: its history is the copy of the result */
        int rc = ct_copy_(self, out);
        ct_decref(out);
        out = rc < 0 ? NULL : ct_incref(self);
        if (out && out->grad_fn && out->grad_fn->kind == CT_NODE_COPY) out->grad_fn->name = "MaskedScatterBackward0";
    } else {
        out = ct_rename_grad_fn(out, self, "MaskedScatterBackward0");
    }
    ct_tensor *tmp[8] = {me, se, lin, flat_src, first, base, flat, res};
    for (int i = 0; i < 8; i++) ct_xdecref(tmp[i]);
    return out;
}

ct_tensor *ct_index_add(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *source, ct_scalar alpha,
                        bool inplace) {
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    if (index->ndim > 1) return ct_error_null(CT_ERR_INDEX, "index_add_(): Index is supposed to be a vector");
    int64_t n = ct_numel(index), sn = source->ndim ? source->sizes[d < source->ndim ? d : 0] : 1;
    if (n != sn)
        return ct_error_null(CT_ERR_INDEX, "index_add_(): Number of indices (%lld) should be equal to source.size(dim) "
                             "(%lld)", (long long)n, (long long)sn);
    if (source->dtype != self->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "index_add_(): self (%s) and source (%s) must have the same scalar type",
                             ct_dtype_infos[self->dtype].legacy, ct_dtype_infos[source->dtype].legacy);
    ct_tensor *idx = long_index("index_add_", index);
    ct_tensor *e = idx ? expand_along(idx, d, source) : NULL;
    ct_xdecref(idx);
    if (!e) return NULL;
    ct_tensor *src = ct_incref(source);
    if (alpha.d != 1 || alpha.i != 1) {
        ct_tensor *a = ct_scalar_tensor(alpha, self->dtype, true);
        ct_decref(src);
        src = a ? ct_binary(CT_OP_mul, source, a, NULL, NULL) : NULL;
        ct_xdecref(a);
    }
    ct_tensor *out = src ? ct_scatter(self, d, e, src, false, CT_SCATTER_ADD, inplace) : NULL;
    if (out && out->grad_fn && out->grad_fn->kind == CT_NODE_SCATTER) out->grad_fn->name = "IndexAddBackward0";
    ct_xdecref(src);
    ct_decref(e);
    return out;
}

/* index_fill (a 0-dim value) and index_copy (a source): a scatter along dim at a 1-D index */
ct_tensor *ct_index_fill_copy(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                              bool inplace) {
    const char *op = is_value ? "index_fill_" : "index_copy_";
    int64_t d;
    if (ct_wrap_dim(dim, self->ndim, &d) < 0) return NULL;
    if (index->ndim > 1)
        return is_value ? ct_error_null(CT_ERR_RUNTIME, "Index has to be a vector/scalar")
                        : ct_error_null(CT_ERR_INDEX, "%s(): Index should have dimension 1 or 0 (got %d)", op,
                                        index->ndim);
    if (!is_value && src->ndim != self->ndim)
        return ct_error_null(CT_ERR_INDEX, "index_copy_(): When source and destination are not scalars, their "
                             "dimensionality must match. Source dimensionality (%d), destination dimensionality (%d)",
                             src->ndim, self->ndim);
    ct_tensor *idx = long_index(op, index);
    ct_tensor *e = idx ? expand_along(idx, d, is_value ? self : src) : NULL;
    ct_xdecref(idx);
    if (!e) return NULL;
    ct_tensor *out = scatter_impl(self, d, e, src, is_value, CT_SCATTER_SET, false, inplace, CT_ERR_INDEX, is_value ? "" : "index_copy_(): ");
    if (out && out->grad_fn && out->grad_fn->kind == CT_NODE_SCATTER)
        out->grad_fn->name = is_value ? "IndexFillBackward0" : "IndexCopyBackward0";
    ct_decref(e);
    return out;
}

/* take(index): the elements of t at flat positions (negative ones wrapped), shaped like index */
ct_tensor *ct_take(ct_tensor *t, ct_tensor *index) {
    if (index->dtype != CT_INT64)
        return ct_error_null(CT_ERR_RUNTIME, "take(): Expected a long tensor for index, but got %s",
                             ct_dtype_infos[index->dtype].legacy);
    int64_t all = -1, n = ct_numel(t);
    int dim0 = 0;
    ct_tensor *flat = ct_reshape(t, 1, &all);
    ct_tensor *lin = flat ? ct_index_linear(1, &index, &n, &dim0) : NULL;
    if (!lin && ct_last_error() == CT_ERR_INDEX) {   /* PyTorch's wording for take */
        long long v = 0, size = 0;
        int dd = 0;
        sscanf(ct_last_error_message(), "index %lld is out of bounds for dimension %d with size %lld", &v, &dd, &size);
        ct_error(CT_ERR_INDEX, "out of range: tried to access index %lld on a tensor of %lld elements.", v, size);
    }
    ct_tensor *l1 = lin ? ct_reshape(lin, 1, &all) : NULL;
    ct_tensor *sel = l1 ? ct_index_select(flat, 0, l1) : NULL;
    ct_tensor *out = sel ? ct_reshape(sel, index->ndim, index->sizes) : NULL;
    ct_tensor *tmp[4] = {flat, lin, l1, sel};
    for (int i = 0; i < 4; i++) ct_xdecref(tmp[i]);
    return ct_rename_grad_fn(out, t, "TakeBackward0");
}

/* the positions of t's nonzero elements, [count, ndim] int64, in row-major
 * order (walked on the host) */
ct_tensor *ct_nonzero(ct_tensor *t) {
    if (ct_device_of(t).type != CT_DEV_CPU) return ct_error_null(CT_ERR_NOTIMPL, "nonzero is not implemented for cuda");
    ct_tensor *b = ct_to_dtype(t, CT_BOOL, false), *c = b ? ct_contiguous(b) : NULL;
    ct_xdecref(b);
    if (!c) return NULL;
    const bool *m = (const bool *)ct_data(c);
    int64_t n = ct_numel(c), count = 0;
    for (int64_t i = 0; i < n; i++) count += m[i];
    int64_t shape[2] = {count, t->ndim};
    ct_tensor *out = ct_empty(2, shape, CT_INT64, ct_cpu());
    if (out) {
        int64_t *o = (int64_t *)ct_data(out), pos[CT_MAX_DIMS] = {0};
        for (int64_t i = 0; i < n; i++) {
            if (m[i])
                for (int d = 0; d < t->ndim; d++) *o++ = pos[d];
            for (int d = t->ndim - 1; d >= 0; d--) {   /* the next position */
                if (++pos[d] < t->sizes[d]) break;
                pos[d] = 0;
            }
        }
    }
    ct_decref(c);
    return out;
}

/* Advanced indexing: k int64 index tensors over dims of sizes[] (dims[] for
 * messages), broadcast together; the result holds, per position, the linear
 * index into those dims merged into one (negative indices wrapped). */
ct_tensor *ct_index_linear(int k, ct_tensor *const *idx, const int64_t *sizes, const int *dims) {
    int64_t shape[CT_MAX_DIMS];
    int nd = idx[0]->ndim;
    memcpy(shape, idx[0]->sizes, sizeof(int64_t) * (size_t)nd);
    for (int j = 1; j < k && nd >= 0; j++) nd = ct_broadcast_shapes(nd, shape, idx[j]->ndim, idx[j]->sizes, shape);
    if (nd < 0) {
        char buf[1024];
        int len = 0;
        for (int j = 0; j < k && len < 900; j++) {
            if (j) len += snprintf(buf + len, sizeof buf - (size_t)len, ", ");
            ct_shape_str(idx[j]->ndim, idx[j]->sizes, buf + len, 100);
            len += (int)strlen(buf + len);
        }
        return ct_error_null(CT_ERR_INDEX, "shape mismatch: indexing tensors could not be broadcast together with "
                             "shapes %s", buf);
    }
    ct_tensor *out = ct_full(nd, shape, ct_scalar_i(0), CT_INT64, ct_cpu());
    int64_t n = out ? ct_numel(out) : 0;
    for (int j = 0; j < k && out; j++) {
        if (ct_device_of(idx[j]).type != CT_DEV_CPU) {
            ct_decref(out);
            return ct_error_null(CT_ERR_NOTIMPL, "advanced indexing is not implemented for cuda");
        }
        ct_tensor *e = ct_expand(idx[j], nd, shape), *c = e ? ct_contiguous(e) : NULL;
        ct_xdecref(e);
        if (!c) {
            ct_decref(out);
            return NULL;
        }
        const int64_t *v = (const int64_t *)ct_data(c);
        int64_t *o = (int64_t *)ct_data(out), size = sizes[j];
        for (int64_t i = 0; i < n; i++) {
            int64_t x = v[i];
            if (x < -size || x >= size) {
                ct_decref(c);
                ct_decref(out);
                return ct_error_null(CT_ERR_INDEX, "index %lld is out of bounds for dimension %d with size %lld",
                                     (long long)x, dims[j], (long long)size);
            }
            o[i] = o[i] * size + (x < 0 ? x + size : x);
        }
        ct_decref(c);
    }
    return out;
}

/* where advanced indexing puts the indexed dims: adjacent ones stay in place
 * (at dims[0]), separated ones go first */
static int index_position(int k, const int *dims) {
    for (int j = 1; j < k; j++)
        if (dims[j] != dims[0] + j) return 0;
    return dims[0];
}

/* v with the k indexed dims moved first (*pv, a view) and merged into one:
 * [M, rest...] (a view of v when the layout allows, else a copy); *nrest: the rest's count */
static ct_tensor *merge_indexed(ct_tensor *v, int k, const int *dims, int *nrest, ct_tensor **pv) {
    int64_t perm[CT_MAX_DIMS], shape[CT_MAX_DIMS];
    bool adv[CT_MAX_DIMS] = {false};
    int p = 0, r = 1;
    shape[0] = 1;
    for (int j = 0; j < k; j++) {
        adv[dims[j]] = true;
        perm[p++] = dims[j];
        shape[0] *= v->sizes[dims[j]];
    }
    for (int d = 0; d < v->ndim; d++)
        if (!adv[d]) {
            perm[p++] = d;
            shape[r++] = v->sizes[d];
        }
    *nrest = r - 1;
    *pv = ct_permute(v, v->ndim, perm);
    return *pv ? ct_reshape(*pv, r, shape) : NULL;
}

/* the result of indexing: [B..., rest...] reordered so B sits at pos */
static ct_tensor *place(ct_tensor *r, int nb, int nr, int pos, bool inverse) {
    int64_t perm[CT_MAX_DIMS];
    int p = 0;
    for (int i = 0; i < pos; i++) perm[p++] = nb + i;
    for (int i = 0; i < nb; i++) perm[p++] = i;
    for (int i = pos; i < nr; i++) perm[p++] = nb + i;
    if (inverse) {
        int64_t inv[CT_MAX_DIMS];
        for (int i = 0; i < p; i++) inv[perm[i]] = i;
        memcpy(perm, inv, sizeof(int64_t) * (size_t)p);
    }
    return ct_permute(r, p, perm);
}

/* the linear index of the k indexed dims of v (see ct_index_linear) */
static ct_tensor *linear_of(ct_tensor *v, int k, const int *dims, ct_tensor *const *idx) {
    int64_t sizes[CT_MAX_DIMS] = {0};
    for (int j = 0; j < k; j++) sizes[j] = v->sizes[dims[j]];
    return ct_index_linear(k, idx, sizes, dims);
}

/* v[..., idx..., ...] for adjacent indexed dims: they merge in place into one dim d0,
 * an index_select along it, and the result takes lin's shape there (NumPy's placement) */
static ct_tensor *index_read_adjacent(ct_tensor *v, int k, int d0, ct_tensor *lin) {
    int64_t merged[CT_MAX_DIMS], shape[CT_MAX_DIMS], all = -1;
    int nm = 0, ns = 0, tail = v->ndim - d0 - k;
    if (d0 + lin->ndim + tail > CT_MAX_DIMS) return ct_error_null(CT_ERR_INDEX, "too many dimensions after indexing");
    for (int d = 0; d < d0; d++) merged[nm++] = shape[ns++] = v->sizes[d];
    merged[nm] = 1;
    for (int j = 0; j < k; j++) merged[nm] *= v->sizes[d0 + j];
    nm++;
    for (int j = 0; j < lin->ndim; j++) shape[ns++] = lin->sizes[j];
    for (int d = d0 + k; d < v->ndim; d++) merged[nm++] = shape[ns++] = v->sizes[d];
    ct_tensor *m = ct_reshape(v, nm, merged), *flat = m ? ct_reshape(lin, 1, &all) : NULL;
    ct_tensor *sel = flat ? ct_index_select(m, d0, flat) : NULL, *out = sel ? ct_reshape(sel, ns, shape) : NULL;
    ct_xdecref(m);
    ct_xdecref(flat);
    ct_xdecref(sel);
    return out;
}

ct_tensor *ct_index_read(ct_tensor *v, int k, const int *dims, ct_tensor *const *idx) {
    ct_tensor *lin = linear_of(v, k, dims, idx);
    if (!lin) return NULL;
    if (dims[k - 1] == dims[0] + k - 1) {   /* adjacent dims (or one) */
        ct_tensor *out = index_read_adjacent(v, k, dims[0], lin);
        ct_decref(lin);
        return ct_rename_grad_fn(out, v, "IndexBackward0");
    }
    int nr = 0, nb = lin->ndim;
    ct_tensor *pv = NULL, *m = merge_indexed(v, k, dims, &nr, &pv);
    ct_xdecref(pv);
    int64_t all = -1, shape[CT_MAX_DIMS];
    ct_tensor *flat = m ? ct_reshape(lin, 1, &all) : NULL;
    ct_tensor *sel = flat ? ct_index_select(m, 0, flat) : NULL, *r = NULL, *out = NULL;
    if (sel && nb + nr <= CT_MAX_DIMS) {
        memcpy(shape, lin->sizes, sizeof(int64_t) * (size_t)nb);
        memcpy(shape + nb, sel->sizes + 1, sizeof(int64_t) * (size_t)nr);
        r = ct_reshape(sel, nb + nr, shape);
    } else if (sel) {
        ct_error(CT_ERR_INDEX, "too many dimensions after indexing");
    }
    int pos = index_position(k, dims);
    out = r && pos ? place(r, nb, nr, pos, false) : r ? ct_incref(r) : NULL;
    ct_xdecref(r);
    ct_xdecref(sel);
    ct_xdecref(flat);
    ct_xdecref(m);
    ct_decref(lin);
    return ct_rename_grad_fn(out, v, "IndexBackward0");
}

int ct_index_write(ct_tensor *v, int k, const int *dims, ct_tensor *const *idx, ct_tensor *values, bool accumulate) {
    ct_tensor *both[2] = {v, values};
    bool record = ct_record_needed(2, both);
    if (ct_inplace_check(v) < 0) return -1;
    if (values->dtype != v->dtype)
        return ct_error(CT_ERR_RUNTIME, "Index put requires the source and destination dtypes match, got %s for the "
                        "destination and %s for the source.", ct_dtype_infos[v->dtype].legacy,
                        ct_dtype_infos[values->dtype].legacy);
    ct_tensor *lin = linear_of(v, k, dims, idx);
    if (!lin) return -1;
    int nr = 0, nb = lin->ndim, rc = -1, pos = index_position(k, dims);
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(record);   /* recorded: a scatter into a view of v (CopySlices on its base) */
    ct_tensor *pv = NULL, *m = merge_indexed(v, k, dims, &nr, &pv);
    if (record && m && m->storage != v->storage) {
        ct_decref(m);
        m = ct_error_null(CT_ERR_NOTIMPL, "advanced index assignment with autograd into this layout is not supported "
                          "yet");
    }
    int64_t shape[CT_MAX_DIMS], flat[CT_MAX_DIMS];
    ct_tensor *vals = NULL, *e = NULL, *idx1 = NULL, *ve = NULL, *vp = NULL;
    if (m && nb + nr <= CT_MAX_DIMS) {
        /* the values over the result's shape, in [B..., rest...] order, then [N, rest...] */
        memcpy(flat, m->sizes, sizeof(int64_t) * (size_t)(nr + 1));
        flat[0] = ct_numel(lin);
        for (int i = 0, b = 0, r = 0; i < nb + nr; i++)
            shape[i] = i >= pos && i < pos + nb ? lin->sizes[b++] : m->sizes[1 + r++];
        ve = ct_expand(values, nb + nr, shape);
        vp = ve ? (pos ? place(ve, nb, nr, pos, true) : ct_incref(ve)) : NULL;
        vals = vp ? ct_reshape(vp, nr + 1, flat) : NULL;
        int64_t all = -1;
        idx1 = vals ? ct_reshape(lin, 1, &all) : NULL;
        e = idx1 ? expand_along(idx1, 0, vals) : NULL;
    }
    ct_tensor *vc = e ? ct_to_dtype(vals, v->dtype, false) : NULL;
    bool is_view = m && m->storage == v->storage;
    ct_tensor *out = vc ? ct_scatter(m, 0, e, vc, false, accumulate ? CT_SCATTER_ADD : CT_SCATTER_SET, true) : NULL;
    ct_tensor *back = out && !is_view ? ct_view(m, pv->ndim, pv->sizes) : NULL;
    if (out) rc = is_view ? 0 : back ? ct_copy_(pv, back) : -1;   /* m was a copy: write it back */
    ct_xdecref(back);
    ct_set_grad_enabled(grad);
    ct_xdecref(out);
    ct_xdecref(pv);
    ct_xdecref(vc);
    ct_xdecref(e);
    ct_xdecref(idx1);
    ct_xdecref(vals);
    ct_xdecref(vp);
    ct_xdecref(ve);
    ct_xdecref(m);
    ct_decref(lin);
    return rc;
}
