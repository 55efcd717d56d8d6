/* Reductions: result shapes and dtypes, accumulation dtypes, dispatch
 * (kernels in cpu/reduce.c); var/std, norm and logsumexp are composed of them. */
#include <math.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

static const char *legacy(ct_dtype d) { return ct_dtype_infos[d].legacy; }

/* mark reduced dims; all dims when ndims == 0 */
static int reduced_mask(const ct_tensor *x, int ndims, const int64_t *dims, bool *mask) {
    memset(mask, 0, sizeof(bool) * CT_MAX_DIMS);
    if (ndims == 0) {
        for (int i = 0; i < x->ndim; i++) mask[i] = true;
        return 0;
    }
    for (int i = 0; i < ndims; i++) {
        int64_t d;
        if (ct_wrap_dim(dims[i], x->ndim, &d) < 0) return -1;
        if (x->ndim == 0) continue;
        if (mask[d]) return ct_error(CT_ERR_RUNTIME, "dim %lld appears multiple times in the list of dims", (long long)d);
        mask[d] = true;
    }
    return 0;
}

/* drop reduced dims (keepdim=false) from a keepdim-shaped result */
static ct_tensor *finish_shape(ct_tensor *r, const bool *mask, bool keepdim) {
    if (keepdim || !r) return r;
    int64_t dims[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < r->ndim; i++)
        if (mask[i]) dims[n++] = i;
    ct_tensor *v = ct_squeeze(r, n, dims);
    ct_decref(r);
    return v;
}

static ct_dtype sum_dtype(ct_dtype x) { return ct_is_integral(x, true) ? CT_INT64 : x; }
static ct_dtype acc_dtype(ct_dtype d) { return d == CT_FLOAT16 || d == CT_BFLOAT16 ? CT_FLOAT32 : ct_is_integral(d, true) ? CT_INT64 : d; }

static const int kind_op[] = {[CT_RED_SUM] = CT_OP_sum, [CT_RED_MEAN] = CT_OP_sum, [CT_RED_PROD] = CT_OP_prod,
                              [CT_RED_AMAX] = CT_OP_amax, [CT_RED_AMIN] = CT_OP_amin, [CT_RED_ALL] = CT_OP_all,
                              [CT_RED_ANY] = CT_OP_any};
static const char *const kind_name[] = {"sum", "mean", "prod", "amax", "amin", "all", "any"};

static ct_tensor *reduce_values(ct_reduce_kind kind, ct_tensor *x, const bool *mask, bool keepdim, ct_dtype dtype);

/* the reduction, recorded for autograd as one node (ints: keepdim, reduced-dim bits) */
ct_tensor *ct_reduce(ct_reduce_kind kind, ct_tensor *x, int ndims, const int64_t *dims, bool keepdim, ct_dtype dtype) {
    bool mask[CT_MAX_DIMS];
    if (reduced_mask(x, ndims, dims, mask) < 0) return NULL;
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = reduce_values(kind, x, mask, keepdim, dtype);
    ct_set_grad_enabled(grad_mode);
    if (!r || !ct_is_floating(r->dtype) || kind == CT_RED_ALL || kind == CT_RED_ANY || !ct_record_needed(1, &x)) return r;
    static const int node_kind[] = {[CT_RED_SUM] = CT_OP_sum, [CT_RED_MEAN] = CT_NODE_MEAN, [CT_RED_PROD] = CT_OP_prod,
                                    [CT_RED_AMAX] = CT_OP_amax, [CT_RED_AMIN] = CT_OP_amin};
    static const char *const names[][2] = {[CT_RED_SUM] = {"SumBackward0", "SumBackward1"},
                                           [CT_RED_MEAN] = {"MeanBackward0", "MeanBackward1"},
                                           [CT_RED_PROD] = {"ProdBackward0", "ProdBackward1"},
                                           [CT_RED_AMAX] = {"AmaxBackward0", "AmaxBackward0"},
                                           [CT_RED_AMIN] = {"AminBackward0", "AminBackward0"}};
    int64_t ints[2] = {keepdim, 0};
    for (int d = 0; d < x->ndim; d++)
        if (mask[d]) ints[1] |= (int64_t)1 << d;
    ct_tensor *save[2] = {x, r};
    int nsave = kind == CT_RED_PROD || kind == CT_RED_AMAX || kind == CT_RED_AMIN ? 2 : 0;
    if (ct_record_op(node_kind[kind], names[kind][ndims > 0], 1, &x, r, nsave, save, NULL, 0, ints, 2) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

static ct_tensor *reduce_values(ct_reduce_kind kind, ct_tensor *x, const bool *mask, bool keepdim, ct_dtype dtype) {
    ct_dtype result, acc;
    switch (kind) {
    case CT_RED_SUM:
    case CT_RED_PROD:
        result = dtype != CT_UNDEFINED ? dtype : sum_dtype(x->dtype);
        acc = acc_dtype(result);
        break;
    case CT_RED_MEAN:
        result = dtype != CT_UNDEFINED ? dtype : x->dtype;
        if (!ct_is_floating(result))
            return ct_error_null(CT_ERR_RUNTIME, "mean(): could not infer output dtype. %s dtype must be either a "
                                 "floating point or complex dtype. Got: %s",
                                 dtype != CT_UNDEFINED ? "Optional" : "Input", legacy(result));
        acc = acc_dtype(result);
        break;
    case CT_RED_AMAX:
    case CT_RED_AMIN:
        result = acc = x->dtype;
        for (int i = 0; i < x->ndim; i++)
            if (mask[i] && x->sizes[i] == 0)
                return ct_error_null(CT_ERR_INDEX, "%s(): Expected reduction dim %d to have non-zero size.",
                                     kind_name[kind], i);
        break;
    default: /* all, any: bool, or uint8 for uint8 inputs */
        result = x->dtype == CT_UINT8 ? CT_UINT8 : CT_BOOL;
        acc = CT_BOOL;
        break;
    }
    int64_t shape[CT_MAX_DIMS] = {0}, count = 1;
    for (int i = 0; i < x->ndim; i++) {
        shape[i] = mask[i] ? 1 : x->sizes[i];
        if (mask[i]) count *= x->sizes[i];
    }
    ct_tensor *out = NULL, *in = NULL, *res = NULL;
    if (!(out = ct_empty(x->ndim, shape, acc, ct_device_of(x)))) return NULL;
    int rc;
    if (kind == CT_RED_AMAX || kind == CT_RED_AMIN) {
        /* start from the first element of each reduced run */
        ct_tensor *first = ct_incref(x);
        for (int i = 0; i < x->ndim && first; i++) {
            if (!mask[i]) continue;
            ct_tensor *n = ct_narrow(first, i, 0, 1);
            ct_decref(first);
            first = n;
        }
        rc = first ? ct_copy_(out, first) : -1;
        ct_xdecref(first);
    } else {
        double init = (kind == CT_RED_PROD || kind == CT_RED_ALL) ? 1 : 0;
        rc = ct_fill_(out, ct_scalar_f(init));
    }
    if (rc == 0 && (in = ct_to_dtype(x, acc, false))) {
        ct_iter it;
        ct_iter_reduction(&it, out, in);
        ct_kernel_args args = {.op = kind_op[kind], .iter = &it};
        rc = ct_dispatch(ct_device_of(x), &args);
        ct_iter_release(&it);
        if (rc == 0) {
            res = ct_incref(out);
            if (kind == CT_RED_MEAN) {
                ct_tensor *c = ct_scalar_tensor(ct_scalar_f((double)count), CT_FLOAT64, true);
                ct_tensor *m = c ? ct_binary(CT_OP_div, res, c, NULL, res) : NULL;
                ct_xdecref(c);
                ct_xdecref(m);
                if (!m) ct_xdecref(res), res = NULL;
            }
            if (res && res->dtype != result) {
                ct_tensor *r = ct_to_dtype(res, result, false);
                ct_decref(res);
                res = r;
            }
        }
    }
    ct_xdecref(in);
    ct_decref(out);
    return finish_shape(res, mask, keepdim);
}

int ct_max_min_dim(ct_tensor *x, int64_t dim, bool keepdim, bool is_max, ct_tensor **values, ct_tensor **indices) {
    int64_t d;
    *values = *indices = NULL;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return -1;
    if (x->ndim == 0) {
        *values = ct_clone(x);
        *indices = ct_scalar_tensor(ct_scalar_i(0), CT_INT64, false);
        return *values && *indices ? 0 : -1;
    }
    if (x->sizes[d] == 0)
        return ct_error(CT_ERR_INDEX, "%s(): Expected reduction dim %lld to have non-zero size.", is_max ? "argmax" : "argmin",
                        (long long)d);
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    shape[d] = 1;
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *vals = ct_empty(x->ndim, shape, x->dtype, ct_device_of(x));
    ct_tensor *idx = vals ? ct_empty(x->ndim, shape, CT_INT64, ct_device_of(x)) : NULL;
    ct_tensor *xn = idx ? ct_narrow(x, d, 0, 1) : NULL;
    int rc = -1;
    if (xn) {
        ct_iter it;
        ct_tensor *in[2] = {idx, xn}, *o = vals;
        if (ct_iter_elementwise(&it, "max", &o, x->dtype, 2, in) == 0) {
            int64_t ints[3] = {x->sizes[d], x->strides[d] * ct_itemsize(x->dtype), is_max};
            ct_kernel_args args = {.op = CT_OP_arg_reduce, .iter = &it, .ints = ints, .nints = 3};
            rc = it.numel ? ct_dispatch(ct_device_of(x), &args) : 0;
            ct_iter_release(&it);
        }
    }
    ct_xdecref(xn);
    bool mask[CT_MAX_DIMS] = {false};
    mask[d] = true;
    if (rc == 0) {
        *values = finish_shape(vals, mask, keepdim);
        *indices = finish_shape(idx, mask, keepdim);
        vals = idx = NULL;
    }
    ct_set_grad_enabled(grad_mode);
    ct_xdecref(vals);
    ct_xdecref(idx);
    if (rc < 0 || !*values || !*indices) return -1;
    int64_t ints[2] = {d, keepdim};
    if (ct_is_floating(x->dtype) &&
        ct_record_op(CT_NODE_MAXMIN_DIM, is_max ? "MaxBackward0" : "MinBackward0", 1, &x, *values, 1, indices, NULL, 0,
                     ints, 2) < 0)
        return -1;
    return 0;
}

ct_tensor *ct_argmax_min(ct_tensor *x, bool dim_given, int64_t dim, bool keepdim, bool is_max) {
    ct_tensor *v = NULL, *i = NULL;
    if (x->dtype == CT_BOOL)
        return ct_error_null(CT_ERR_RUNTIME, "%s(): does not support bool input", is_max ? "argmax" : "argmin");
    if (dim_given) {
        if (ct_max_min_dim(x, dim, keepdim, is_max, &v, &i) < 0) return NULL;
        ct_decref(v);
        return i;
    }
    if (ct_numel(x) == 0)
        return ct_error_null(CT_ERR_INDEX, "%s(): Expected reduction dim to be specified for input.numel() == 0.",
                             is_max ? "argmax" : "argmin");
    int64_t n = -1;
    ct_tensor *flat = ct_reshape(x, 1, &n);
    if (!flat) return NULL;
    int rc = ct_max_min_dim(flat, 0, false, is_max, &v, &i);
    ct_decref(flat);
    if (rc < 0) return NULL;
    ct_decref(v);
    if (keepdim && x->ndim > 0) {
        int64_t ones[CT_MAX_DIMS];
        for (int k = 0; k < x->ndim; k++) ones[k] = 1;
        ct_tensor *r = ct_reshape(i, x->ndim, ones);
        ct_decref(i);
        return r;
    }
    return i;
}

static ct_tensor *cumulative_values(int op, ct_tensor *x, int64_t d, ct_dtype dtype);

ct_tensor *ct_cumulative(int op, ct_tensor *x, int64_t dim, ct_dtype dtype) {
    int64_t d;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return NULL;
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = cumulative_values(op, x, d, dtype);
    ct_set_grad_enabled(grad_mode);
    ct_tensor *save[2] = {x, r};   /* cumprod's derivative needs both */
    if (r && ct_is_floating(r->dtype) &&
        ct_record_op(op, op == CT_OP_cumsum ? "CumsumBackward0" : "CumprodBackward0", 1, &x, r,
                     op == CT_OP_cumprod ? 2 : 0, save, NULL, 0, &d, 1) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

static ct_tensor *cumulative_values(int op, ct_tensor *x, int64_t d, ct_dtype dtype) {
    ct_dtype dt = dtype != CT_UNDEFINED ? dtype : sum_dtype(x->dtype);
    ct_tensor *in = ct_to_dtype(x, dt, false);
    if (!in) return NULL;
    ct_tensor *out = ct_empty(x->ndim, x->sizes, dt, ct_device_of(x));
    if (!out || x->ndim == 0 || ct_numel(x) == 0) {
        if (out && ct_copy_(out, in) < 0) ct_decref(out), out = NULL;
        ct_decref(in);
        return out;
    }
    ct_tensor *on = ct_narrow(out, d, 0, 1), *xn = ct_narrow(in, d, 0, 1);
    int rc = -1;
    if (on && xn) {
        ct_iter it;
        ct_tensor *o = on;
        if (ct_iter_elementwise(&it, ct_op_name(op), &o, dt, 1, &xn) == 0) {
            int64_t isz = ct_itemsize(dt);
            int64_t ints[3] = {x->sizes[d], out->strides[d] * isz, in->strides[d] * isz};
            ct_kernel_args args = {.op = op, .iter = &it, .ints = ints, .nints = 3};
            rc = ct_dispatch(ct_device_of(x), &args);
            ct_iter_release(&it);
        }
    }
    ct_xdecref(on);
    ct_xdecref(xn);
    ct_decref(in);
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

/* helpers for the composite reductions below: each steals nothing, returns a new ref */
static ct_tensor *with_scalar(int op, ct_tensor *a, double v) {
    ct_tensor *s = ct_scalar_tensor(ct_scalar_f(v), CT_FLOAT64, true);
    ct_tensor *r = s ? ct_binary(op, a, s, NULL, NULL) : NULL;
    ct_xdecref(s);
    return r;
}

static int check_floating(const char *op, const ct_tensor *x) {
    if (!ct_is_floating(x->dtype))
        return ct_error(CT_ERR_RUNTIME, "%s: Expected a floating point or complex tensor as input. Got %s", op,
                        legacy(x->dtype));
    return 0;
}

ct_tensor *ct_var(ct_tensor *x, int ndims, const int64_t *dims, double correction, bool keepdim, bool take_sqrt) {
    if (!ct_is_floating(x->dtype))
        return ct_error_null(CT_ERR_RUNTIME, "std and var only support floating point and complex dtypes");
    bool mask[CT_MAX_DIMS];
    if (reduced_mask(x, ndims, dims, mask) < 0) return NULL;
    int64_t count = 1;
    for (int i = 0; i < x->ndim; i++)
        if (mask[i]) count *= x->sizes[i];
    ct_tensor *mean = ct_reduce(CT_RED_MEAN, x, ndims, dims, true, CT_UNDEFINED);
    ct_tensor *diff = mean ? ct_binary(CT_OP_sub, x, mean, NULL, NULL) : NULL;
    ct_tensor *sq = diff ? ct_binary(CT_OP_mul, diff, diff, NULL, NULL) : NULL;
    ct_tensor *ss = sq ? ct_reduce(CT_RED_SUM, sq, ndims, dims, keepdim, CT_UNDEFINED) : NULL;
    double div = (double)count - correction;
    ct_tensor *var = ss ? with_scalar(CT_OP_div, ss, div > 0 ? div : 0) : NULL;
    ct_tensor *res = var && take_sqrt ? ct_unary(CT_OP_sqrt, var, NULL, NULL) : (var ? ct_incref(var) : NULL);
    ct_xdecref(mean);
    ct_xdecref(diff);
    ct_xdecref(sq);
    ct_xdecref(ss);
    ct_xdecref(var);
    return res;
}

static ct_tensor *norm_values(ct_tensor *x, double p, int ndims, const int64_t *dims, bool keepdim);

/* the 2-norm is recorded as one node: its gradient at 0 is 0, as PyTorch's */
ct_tensor *ct_norm(ct_tensor *x, double p, int ndims, const int64_t *dims, bool keepdim) {
    if (p != 2 || !ct_record_needed(1, &x)) return norm_values(x, p, ndims, dims, keepdim);
    bool mask[CT_MAX_DIMS];
    if (reduced_mask(x, ndims, dims, mask) < 0) return NULL;
    ct_set_grad_enabled(false);
    ct_tensor *r = norm_values(x, p, ndims, dims, keepdim);
    ct_set_grad_enabled(true);
    int64_t ints[2] = {keepdim, 0};
    for (int d = 0; d < x->ndim; d++)
        if (mask[d]) ints[1] |= (int64_t)1 << d;
    ct_tensor *save[2] = {x, r};
    if (r && ct_record_op(CT_NODE_NORM2, "NormBackward1", 1, &x, r, 2, save, NULL, 0, ints, 2) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

static ct_tensor *norm_values(ct_tensor *x, double p, int ndims, const int64_t *dims, bool keepdim) {
    if (check_floating("linalg.vector_norm", x) < 0) return NULL;
    ct_tensor *a = ct_unary(CT_OP_abs, x, NULL, NULL), *t = NULL, *s = NULL, *res = NULL;
    if (!a) return NULL;
    if (isinf(p)) {
        res = ct_numel(x) == 0 && p > 0 ? ct_reduce(CT_RED_SUM, a, ndims, dims, keepdim, CT_UNDEFINED)
                                        : ct_reduce(p > 0 ? CT_RED_AMAX : CT_RED_AMIN, a, ndims, dims, keepdim,
                                                    CT_UNDEFINED);
    } else if (p == 0) {
        t = with_scalar(CT_OP_ne, a, 0);
        ct_tensor *f = t ? ct_to_dtype(t, x->dtype, false) : NULL;
        res = f ? ct_reduce(CT_RED_SUM, f, ndims, dims, keepdim, CT_UNDEFINED) : NULL;
        ct_xdecref(f);
    } else if (p == 1) {
        res = ct_reduce(CT_RED_SUM, a, ndims, dims, keepdim, CT_UNDEFINED);
    } else if (p == 2) {
        t = ct_binary(CT_OP_mul, a, a, NULL, NULL);
        s = t ? ct_reduce(CT_RED_SUM, t, ndims, dims, keepdim, CT_UNDEFINED) : NULL;
        res = s ? ct_unary(CT_OP_sqrt, s, NULL, NULL) : NULL;
    } else {
        t = with_scalar(CT_OP_pow, a, p);
        s = t ? ct_reduce(CT_RED_SUM, t, ndims, dims, keepdim, CT_UNDEFINED) : NULL;
        res = s ? with_scalar(CT_OP_pow, s, 1.0 / p) : NULL;
    }
    ct_decref(a);
    ct_xdecref(t);
    ct_xdecref(s);
    return res;
}

ct_tensor *ct_logsumexp(ct_tensor *x, int ndims, const int64_t *dims, bool keepdim) {
    ct_tensor *xf = ct_to_dtype(x, ct_is_floating(x->dtype) ? x->dtype : ct_get_default_dtype(), false);
    if (!xf) return NULL;
    if (ct_numel(xf) == 0) {   /* log(0) = -inf over empty runs */
        ct_tensor *s = ct_reduce(CT_RED_SUM, xf, ndims, dims, keepdim, CT_UNDEFINED);
        ct_tensor *r = s ? ct_unary(CT_OP_log, s, NULL, NULL) : NULL;
        ct_xdecref(s);
        ct_decref(xf);
        return r;
    }
    /* subtract the max (0 where the max is infinite) so exp cannot overflow */
    ct_tensor *m = ct_reduce(CT_RED_AMAX, xf, ndims, dims, true, CT_UNDEFINED);
    ct_tensor *fin = m ? ct_unary(CT_OP_isfinite, m, NULL, NULL) : NULL;
    ct_tensor *zero = fin ? ct_scalar_tensor(ct_scalar_f(0), xf->dtype, false) : NULL;
    ct_tensor *mz = zero ? ct_where(fin, m, zero, NULL) : NULL;
    ct_tensor *d = mz ? ct_binary(CT_OP_sub, xf, mz, NULL, NULL) : NULL;
    ct_tensor *e = d ? ct_unary(CT_OP_exp, d, NULL, NULL) : NULL;
    ct_tensor *s = e ? ct_reduce(CT_RED_SUM, e, ndims, dims, keepdim, CT_UNDEFINED) : NULL;
    ct_tensor *l = s ? ct_unary(CT_OP_log, s, NULL, NULL) : NULL;
    ct_tensor *mk = NULL, *res = NULL;
    if (l) {
        bool mask[CT_MAX_DIMS];
        reduced_mask(xf, ndims, dims, mask);
        mk = finish_shape(ct_incref(mz), mask, keepdim);
        res = mk ? ct_binary(CT_OP_add, l, mk, NULL, NULL) : NULL;
    }
    ct_tensor *all[] = {xf, m, fin, zero, mz, d, e, s, l, mk};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ct_xdecref(all[i]);
    return res;
}
