/* Pooling: max_pool2d (with indices), avg_pool2d, adaptive_avg_pool2d,
 * adaptive_max_pool2d and their 1-d forms (the 2-d op over a height of 1,
 * between unsqueeze and squeeze, as PyTorch does). PyTorch's checks in its
 * order and words; the work is cpu/nn_pool.c's kernels on contiguous
 * (C, H, W) or (N, C, H, W) tensors. */

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

static int64_t div_floor(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* PyTorch's pooling_output_shape, with its checks */
static int pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode, int64_t *out) {
    if (s == 0) return ct_error(CT_ERR_RUNTIME, "stride should not be zero");
    if (pad < 0) return ct_error(CT_ERR_RUNTIME, "pad must be non-negative, but got pad: %lld", (long long)pad);
    if (pad > ((k - 1) * d + 1) / 2)
        return ct_error(CT_ERR_RUNTIME, "pad should be at most half of effective kernel size, but got pad=%lld, "
                        "kernel_size=%lld and dilation=%lld", (long long)pad, (long long)k, (long long)d);
    int64_t o = div_floor(in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pad) o--;   /* the last window must start inside the input */
    *out = o;
    return 0;
}

/* the window parameters of a 2-d pooling, one value per dim */
typedef struct {
    int64_t kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
} pool2d;

/* PyTorch's pool2d_shape_check */
static int pool2d_shape_check(const ct_tensor *x, const pool2d *p) {
    if (p->kw <= 0 || p->kh <= 0)
        return ct_error(CT_ERR_RUNTIME, "kernel size should be greater than zero, but got kH: %lld kW: %lld",
                        (long long)p->kh, (long long)p->kw);
    if (p->sw <= 0 || p->sh <= 0)
        return ct_error(CT_ERR_RUNTIME, "stride should be greater than zero, but got dH: %lld dW: %lld",
                        (long long)p->sh, (long long)p->sw);
    if (p->dh <= 0 || p->dw <= 0)
        return ct_error(CT_ERR_RUNTIME, "dilation should be greater than zero, but got dilationH: %lld dilationW: %lld",
                        (long long)p->dh, (long long)p->dw);
    bool dims_ok = x->sizes[1] != 0 && x->sizes[2] != 0;
    if (!((x->ndim == 3 && x->sizes[0] != 0 && dims_ok) || (x->ndim == 4 && dims_ok && x->sizes[3] != 0))) {
        char b[256];
        return ct_error(CT_ERR_RUNTIME, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                        "input, but got:%s", ct_shape_str(x->ndim, x->sizes, b, 256));
    }
    if (p->kw / 2 < p->pw || p->kh / 2 < p->ph)
        return ct_error(CT_ERR_RUNTIME, "pad should be smaller than or equal to half of kernel size, but got padW = "
                        "%lld, padH = %lld, kW = %lld, kH = %lld", (long long)p->pw, (long long)p->ph, (long long)p->kw,
                        (long long)p->kh);
    int64_t c = x->sizes[x->ndim - 3], h = x->sizes[x->ndim - 2], w = x->sizes[x->ndim - 1];
    if (p->ow < 1 || p->oh < 1)
        return ct_error(CT_ERR_RUNTIME, "Given input size: (%lldx%lldx%lld). Calculated output size: "
                        "(%lldx%lldx%lld). Output size is too small", (long long)c, (long long)h, (long long)w,
                        (long long)c, (long long)p->oh, (long long)p->ow);
    return 0;
}

/* the kernel size, stride (omitted: the kernel size), padding and dilation of o, after PyTorch's length
 * checks (op names the op in their messages; with_dilation: max pooling's four lists) */
static int pool2d_params(const char *op, const ct_pool_opts *o, bool with_dilation, pool2d *p) {
    if (o->kernel.n != 1 && o->kernel.n != 2)
        return ct_error(CT_ERR_RUNTIME, "%s: kernel_size must either be a single int, or a tuple of two ints", op);
    if (o->stride.n > 2)
        return ct_error(CT_ERR_RUNTIME, "%s: stride must either be omitted, a single int, or a tuple of two ints", op);
    if (o->padding.n != 1 && o->padding.n != 2)
        return ct_error(CT_ERR_RUNTIME, "%s: padding must either be a single int, or a tuple of two ints", op);
    if (with_dilation && o->dilation.n != 1 && o->dilation.n != 2)
        return ct_error(CT_ERR_RUNTIME, "%s: dilation must be either a single int, or a tuple of two ints", op);
    const ct_int_list *st = o->stride.n ? &o->stride : &o->kernel;
    p->kh = o->kernel.v[0];
    p->kw = o->kernel.v[o->kernel.n - 1];
    p->sh = st->v[0];
    p->sw = st->v[st->n - 1];
    p->ph = o->padding.v[0];
    p->pw = o->padding.v[o->padding.n - 1];
    p->dh = with_dilation ? o->dilation.v[0] : 1;
    p->dw = with_dilation ? o->dilation.v[o->dilation.n - 1] : 1;
    return 0;
}

/* the output sizes of p over x's last two dims, checked */
static int pool2d_output(const ct_tensor *x, pool2d *p, bool ceil_mode) {
    int64_t h = x->sizes[x->ndim - 2], w = x->sizes[x->ndim - 1];
    if (pool_out_size(h, p->kh, p->ph, p->sh, p->dh, ceil_mode, &p->oh) < 0 ||
        pool_out_size(w, p->kw, p->pw, p->sw, p->dw, ceil_mode, &p->ow) < 0)
        return -1;
    return pool2d_shape_check(x, p);
}

static void pool_ints(const pool2d *p, bool adaptive, bool include_pad, int64_t divisor, int64_t *v) {
    int64_t w[CT_POOL_NINTS] = {adaptive, p->kh, p->kw, p->sh, p->sw, p->ph, p->pw, p->dh, p->dw, include_pad, divisor};
    for (int i = 0; i < CT_POOL_NINTS; i++) v[i] = w[i];
}

/* out (x's leading dims, then oh x ow) of kernel op over contiguous x; ind: NULL, or receives the
 * indices (max pooling). Recorded as kind/name (saving the indices, or the ints). */
static ct_tensor *run_pool(int op, ct_tensor *x, int64_t oh, int64_t ow, const int64_t *ints, ct_tensor **ind,
                           int kind, const char *name) {
    int64_t sizes[4] = {x->sizes[0], x->sizes[1], x->sizes[2], x->sizes[3]};
    sizes[x->ndim - 2] = oh;
    sizes[x->ndim - 1] = ow;
    bool want_idx = ind || (kind == CT_NODE_MAX_POOL && ct_record_needed(1, &x));   /* the backward needs them */
    ct_tensor *xc = ct_contiguous(x), *out = xc ? ct_empty(x->ndim, sizes, x->dtype, ct_device_of(x)) : NULL;
    ct_tensor *idx = out && want_idx ? ct_empty(x->ndim, sizes, CT_INT64, ct_device_of(x)) : NULL;
    bool ok = out && (idx || !want_idx);
    if (ok && ct_numel(out) > 0) {
        bool is_max = op == CT_OP_max_pool2d;   /* {out, indices, input}; avg: {out, input} */
        ct_tensor *ts[3] = {out, is_max ? idx : xc, xc};
        ct_kernel_args a = {.op = op, .tensors = ts, .ntensors = is_max ? 3 : 2, .ints = ints, .nints = CT_POOL_NINTS};
        ok = ct_dispatch(ct_device_of(x), &a) == 0;
    }
    ok = ok && ct_record_op(kind, name, 1, &x, out, kind == CT_NODE_MAX_POOL ? 1 : 0, &idx, NULL, 0, ints,
                            CT_POOL_NINTS) == 0;
    ct_xdecref(xc);
    if (!ok) {
        ct_xdecref(out);
        ct_xdecref(idx);
        return NULL;
    }
    if (ind) *ind = idx;
    else ct_xdecref(idx);
    return out;
}

ct_tensor *ct_max_pool2d(ct_tensor *x, const ct_pool_opts *o, ct_tensor **ind) {
    pool2d p;
    if (pool2d_params("max_pool2d", o, true, &p) < 0) return NULL;
    if (x->ndim != 3 && x->ndim != 4)
        return ct_error_null(CT_ERR_RUNTIME, "non-empty 3D or 4D (batch mode) tensor expected for input");
    if (pool2d_output(x, &p, o->ceil_mode) < 0) return NULL;
    int64_t ints[CT_POOL_NINTS];
    pool_ints(&p, false, false, 0, ints);
    return run_pool(CT_OP_max_pool2d, x, p.oh, p.ow, ints, ind, CT_NODE_MAX_POOL, "MaxPool2DWithIndicesBackward0");
}

ct_tensor *ct_avg_pool2d(ct_tensor *x, const ct_pool_opts *o) {
    pool2d p;
    if (pool2d_params("avg_pool2d", o, false, &p) < 0) return NULL;
    if (o->has_divisor && o->divisor == 0) return ct_error_null(CT_ERR_RUNTIME, "divisor must be not zero");
    int64_t unused;
    if (ct_wrap_dim(-3, x->ndim, &unused) < 0) return NULL;
    if (pool2d_output(x, &p, o->ceil_mode) < 0) return NULL;
    int64_t ints[CT_POOL_NINTS];
    pool_ints(&p, false, o->count_include_pad, o->has_divisor ? o->divisor : 0, ints);
    return run_pool(CT_OP_avg_pool2d, x, p.oh, p.ow, ints, NULL, CT_NODE_AVG_POOL, "AvgPool2DBackward0");
}

/* "[2, 3, 0, 4] with dimension 2 being empty" unless every dim from `from` on is non-empty */
static int check_nonempty(const char *op, const ct_tensor *x, int from) {
    for (int i = from; i < x->ndim; i++)
        if (x->sizes[i] <= 0) {
            char b[256];
            return ct_error(CT_ERR_RUNTIME, "%s(): Expected input to have non-zero size for non-batch dimensions, but "
                            "input has sizes %s with dimension %d being empty", op,
                            ct_shape_str(x->ndim, x->sizes, b, 256), i);
        }
    return 0;
}

ct_tensor *ct_adaptive_avg_pool2d(ct_tensor *x, const ct_int_list *size) {
    if (size->n != 2) return ct_error_null(CT_ERR_RUNTIME, "adaptive_avg_pool2d: output_size must be 2");
    if (size->v[0] < 0 || size->v[1] < 0)
        return ct_error_null(CT_ERR_RUNTIME, "adaptive_avg_pool2d: elements of output_size must be greater than or "
                             "equal to 0 but received {%lld, %lld}", (long long)size->v[0], (long long)size->v[1]);
    if (size->v[0] == 1 && size->v[1] == 1) {   /* the mean over the plane, as PyTorch computes it */
        int64_t dims[2] = {-1, -2};
        return ct_reduce(CT_RED_MEAN, x, 2, dims, true, CT_UNDEFINED);
    }
    char b[256];
    if (x->ndim != 3 && x->ndim != 4)
        return ct_error_null(CT_ERR_RUNTIME, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got %s",
                             ct_shape_str(x->ndim, x->sizes, b, 256));
    if (check_nonempty("adaptive_avg_pool2d", x, x->ndim - 2) < 0) return NULL;
    if (!ct_is_floating(x->dtype)) {
        ct_error_kernel_dtype("adaptive_avg_pool2d", x->dtype);
        return NULL;
    }
    int64_t ints[CT_POOL_NINTS] = {[CT_POOL_ADAPTIVE] = 1};
    return run_pool(CT_OP_avg_pool2d, x, size->v[0], size->v[1], ints, NULL, CT_NODE_AVG_POOL,
                    "AdaptiveAvgPool2DBackward0");
}

ct_tensor *ct_adaptive_max_pool2d(ct_tensor *x, const ct_int_list *size, ct_tensor **ind) {
    char b[256];
    if (x->ndim != 3 && x->ndim != 4)
        return ct_error_null(CT_ERR_RUNTIME, "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: %s",
                             ct_shape_str(x->ndim, x->sizes, b, 256));
    if (check_nonempty("adaptive_max_pool2d", x, 1) < 0) return NULL;
    if (size->n != 2)
        return ct_error_null(CT_ERR_RUNTIME, "adaptive_max_pool2d(): internal error: output_size.size() must be 2");
    if (size->v[0] < 0 || size->v[1] < 0) {   /* PyTorch fails making the output */
        int64_t s[4] = {x->sizes[0], x->sizes[1], x->sizes[2], x->sizes[3]};
        s[x->ndim - 2] = size->v[0];
        s[x->ndim - 1] = size->v[1];
        return ct_error_null(CT_ERR_RUNTIME, "Trying to create tensor with negative dimension %lld: %s",
                             (long long)(size->v[0] < 0 ? size->v[0] : size->v[1]), ct_shape_str(x->ndim, s, b, 256));
    }
    if (!ct_is_floating(x->dtype)) {
        ct_error_kernel_dtype("adaptive_max_pool2d", x->dtype);
        return NULL;
    }
    int64_t ints[CT_POOL_NINTS] = {[CT_POOL_ADAPTIVE] = 1};
    return run_pool(CT_OP_max_pool2d, x, size->v[0], size->v[1], ints, ind, CT_NODE_MAX_POOL,
                    "AdaptiveMaxPool2DBackward0");
}

/* ---- 1-d forms: x (C, L) or (N, C, L) pooled as (.., 1, L), the result squeezed back ---- */
static ct_tensor *unsqueeze_h(ct_tensor *x) { return ct_unsqueeze(x, -2); }

static ct_tensor *squeeze_h(ct_tensor *t) {
    if (!t) return NULL;
    int64_t d = -2;
    ct_tensor *r = ct_squeeze(t, 1, &d);
    ct_decref(t);
    return r;
}

/* a 2-d pooling result (and indices) of a 1-d input, squeezed */
static ct_tensor *squeezed(ct_tensor *out, ct_tensor **ind) {
    out = squeeze_h(out);
    if (ind && *ind) {
        *ind = squeeze_h(*ind);
        if (!out || !*ind) {
            ct_xdecref(out);
            ct_xdecref(*ind);
            *ind = NULL;
            return NULL;
        }
    }
    return out;
}

static int check_1d_dims(const char *op, const ct_tensor *x) {
    if (x->ndim == 2 || x->ndim == 3) return 0;
    return ct_error(CT_ERR_RUNTIME, "Expected 2 to 3 dimensions, but got %d-dimensional tensor for argument #1 'self' "
                    "(while checking arguments for %s)", x->ndim, op);
}

static int check_one_int(const char *op, const char *arg, const ct_int_list *l, bool may_omit) {
    if (l->n == 1 || (may_omit && l->n == 0)) return 0;
    return ct_error(CT_ERR_RUNTIME, "%s() argument '%s' should contain one int (got %d)", op, arg, l->n);
}

/* o's lists as the 2-d ones of a height-1 pooling */
static ct_pool_opts as_2d(const ct_pool_opts *o) {
    ct_pool_opts p = *o;
    p.kernel = (ct_int_list){.v = {1, o->kernel.v[0]}, .n = 2};
    p.stride = (ct_int_list){.v = {1, o->stride.n ? o->stride.v[0] : o->kernel.v[0]}, .n = 2};
    p.padding = (ct_int_list){.v = {0, o->padding.v[0]}, .n = 2};
    p.dilation = (ct_int_list){.v = {1, o->dilation.n ? o->dilation.v[0] : 1}, .n = 2};
    return p;
}

/* PyTorch's check_max_pool1d */
static int check_max_pool1d(const ct_tensor *x, const ct_pool_opts *o) {
    char b[256];
    if (!((x->ndim == 2 && x->sizes[0] != 0 && x->sizes[1] != 0) ||
          (x->ndim == 3 && x->sizes[1] != 0 && x->sizes[2] != 0)))
        return ct_error(CT_ERR_RUNTIME, "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                        "size for input, but got:%s", ct_shape_str(x->ndim, x->sizes, b, 256));
    if (o->kernel.n != 1)
        return ct_error(CT_ERR_RUNTIME, "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size "
                        "1 but got size %d", o->kernel.n);
    if (o->stride.n > 1)
        return ct_error(CT_ERR_RUNTIME, "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of "
                        "size 1 but got size %d", o->stride.n);
    if (o->padding.n != 1)
        return ct_error(CT_ERR_RUNTIME, "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 "
                        "but got size %d", o->padding.n);
    if (o->dilation.n != 1)
        return ct_error(CT_ERR_RUNTIME, "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 "
                        "but got size %d", o->dilation.n);
    int64_t k = o->kernel.v[0], s = o->stride.n ? o->stride.v[0] : k, p = o->padding.v[0], d = o->dilation.v[0];
    if (k <= 0) return ct_error(CT_ERR_RUNTIME, "max_pool1d() kernel_size must be greater than zero, but got %lld", (long long)k);
    if (s <= 0) return ct_error(CT_ERR_RUNTIME, "max_pool1d() stride must be greater than zero, but got %lld", (long long)s);
    if (p < 0) return ct_error(CT_ERR_RUNTIME, "max_pool1d() padding must be non-negative, but got %lld", (long long)p);
    if (p > k / 2)
        return ct_error(CT_ERR_RUNTIME, "max_pool1d() padding should be at most half of kernel size, but got "
                        "padding=%lld and kernel_size=%lld", (long long)p, (long long)k);
    if (d <= 0) return ct_error(CT_ERR_RUNTIME, "max_pool1d() dilation must be greater than zero, but got %lld", (long long)d);
    int64_t ow;
    if (pool_out_size(x->sizes[x->ndim - 1], k, p, s, d, o->ceil_mode, &ow) < 0) return -1;
    if (ow <= 0) return ct_error(CT_ERR_RUNTIME, "max_pool1d() Invalid computed output size: %lld", (long long)ow);
    return 0;
}

ct_tensor *ct_max_pool1d(ct_tensor *x, const ct_pool_opts *o, ct_tensor **ind) {
    if (check_max_pool1d(x, o) < 0) return NULL;
    /* without indices or a gradient PyTorch runs its max_pool1d_impl, for floating dtypes only */
    if (!ind && !ct_record_needed(1, &x) && !ct_is_floating(x->dtype)) {
        ct_error_kernel_dtype("max_pool1d_impl", x->dtype);
        return NULL;
    }
    ct_pool_opts p = as_2d(o);
    ct_tensor *x2 = unsqueeze_h(x);
    ct_tensor *out = x2 ? ct_max_pool2d(x2, &p, ind) : NULL;
    ct_xdecref(x2);
    return squeezed(out, ind);
}

ct_tensor *ct_avg_pool1d(ct_tensor *x, const ct_pool_opts *o) {
    if (check_one_int("avg_pool1d", "kernel_size", &o->kernel, false) < 0 ||
        check_one_int("avg_pool1d", "stride", &o->stride, true) < 0 ||
        check_one_int("avg_pool1d", "padding", &o->padding, false) < 0 || check_1d_dims("avg_pool1d", x) < 0)
        return NULL;
    ct_pool_opts p = as_2d(o);
    ct_tensor *x2 = unsqueeze_h(x);
    ct_tensor *out = x2 ? ct_avg_pool2d(x2, &p) : NULL;
    ct_xdecref(x2);
    return squeeze_h(out);
}

ct_tensor *ct_adaptive_avg_pool1d(ct_tensor *x, const ct_int_list *size) {
    if (check_one_int("adaptive_avg_pool1d", "output_size", size, false) < 0 ||
        check_1d_dims("adaptive_avg_pool1d", x) < 0)
        return NULL;
    ct_int_list s2 = {.v = {1, size->v[0]}, .n = 2};
    ct_tensor *x2 = unsqueeze_h(x);
    ct_tensor *out = x2 ? ct_adaptive_avg_pool2d(x2, &s2) : NULL;
    ct_xdecref(x2);
    return squeeze_h(out);
}

ct_tensor *ct_adaptive_max_pool1d(ct_tensor *x, const ct_int_list *size, ct_tensor **ind) {
    if (check_one_int("adaptive_max_pool1d", "output_size", size, false) < 0 ||
        check_1d_dims("adaptive_max_pool1d", x) < 0 || check_nonempty("adaptive_max_pool1d", x, 1) < 0)
        return NULL;
    ct_int_list s2 = {.v = {1, size->v[0]}, .n = 2};
    ct_tensor *x2 = unsqueeze_h(x);
    ct_tensor *out = x2 ? ct_adaptive_max_pool2d(x2, &s2, ind) : NULL;
    ct_xdecref(x2);
    return squeezed(out, ind);
}

/* MaxPool2DWithIndicesBackward0 and friends: the output gradient added at the saved indices;
 * AvgPool2DBackward0 and friends: spread evenly over each window */
int ct_pool_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    const ct_shape *in = &n->in_shape[0];
    ct_tensor *gc = ct_contiguous(g), *gin = gc ? ct_empty(in->ndim, in->sizes, g->dtype, ct_device_of(g)) : NULL;
    int rc = gin ? 0 : -1;
    if (gin && ct_numel(gin) > 0) {
        bool is_max = n->kind == CT_NODE_MAX_POOL;
        ct_tensor *ts[3] = {gin, gc, is_max ? n->saved[0] : NULL};
        ct_kernel_args a = {.op = is_max ? CT_OP_max_pool2d_backward : CT_OP_avg_pool2d_backward, .tensors = ts,
                            .ntensors = is_max ? 3 : 2, .ints = n->ints, .nints = CT_POOL_NINTS};
        rc = ct_dispatch(ct_device_of(g), &a);
    }
    ct_xdecref(gc);
    if (rc < 0) {
        ct_xdecref(gin);
        return -1;
    }
    gi[0] = gin;
    return 0;
}
