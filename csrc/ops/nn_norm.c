/* nn normalization family: batch/layer/group/instance norm, the fused
 * activations of nn_act.def, softmax/log_softmax, prelu, glu and dropout.
 * Checks and messages are PyTorch's; the numbers come from the backend's
 * norm, softmax and activation kernels (cpu/nn_norm.c) or, for the composite
 * ops (instance_norm, prelu, glu, dropout), from recorded core ops as in
 * PyTorch's own CPU implementations. Backward entries are at the end. */
#include <math.h>
#include <stdio.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

static const char *const act_kernels[CT_NUM_ACTS] = {
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) [CT_ACT_##NAME] = kernel,
#include "nn_act.def"
#undef CT_ACT
};
static const char *const act_grad_fns[2][CT_NUM_ACTS] = {
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) [CT_ACT_##NAME] = grad_fn,
    {
#include "nn_act.def"
    },
#undef CT_ACT
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) [CT_ACT_##NAME] = grad_fn_inplace,
    {
#include "nn_act.def"
    },
#undef CT_ACT
};

const char *ct_activation_kernel_name(ct_activation kind) { return act_kernels[kind]; }

/* the compute dtype of the kernels: float16/bfloat16 compute in float32 */
static ct_dtype compute_dtype(ct_dtype d) { return d == CT_FLOAT16 || d == CT_BFLOAT16 ? CT_FLOAT32 : d; }

/* run fn(args) with grad mode off: the temporaries of an op are not recorded, its node is */
#define NO_GRAD(stmt)                            \
    do {                                         \
        bool grad_mode_ = ct_grad_enabled();     \
        ct_set_grad_enabled(false);              \
        stmt;                                    \
        ct_set_grad_enabled(grad_mode_);         \
    } while (0)

/* r, or NULL after releasing it when rc < 0 */
static ct_tensor *unless_failed(ct_tensor *r, int rc) {
    if (rc < 0 && r) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

/* ---- activations ---- */

/* the iterator kernel: {out, x} forward, {gx, g, x} backward */
static int run_activation(int op, ct_activation kind, ct_tensor **out, int nin, ct_tensor *const *in, double s0,
                          double s1) {
    ct_iter it;
    if (ct_iter_elementwise(&it, act_kernels[kind], out, in[0]->dtype, nin, in) < 0) return -1;
    int64_t ints[1] = {kind};
    ct_scalar sc[2] = {ct_scalar_f(s0), ct_scalar_f(s1)};
    ct_kernel_args args = {.op = op, .iter = &it, .ints = ints, .nints = 1, .scalars = sc, .nscalars = 2};
    int rc = ct_dispatch(ct_device_of(*out), &args);
    ct_iter_release(&it);
    return rc;
}

ct_tensor *ct_activation_op(ct_activation kind, ct_tensor *x, double s0, double s1, bool inplace) {
    if (!ct_is_floating(x->dtype)) {
        if (kind != CT_ACT_HARDTANH || x->dtype == CT_BOOL) return ct_error_kernel_dtype(act_kernels[kind], x->dtype), NULL;
        ct_scalar bounds[2] = {ct_scalar_f(s0), ct_scalar_f(s1)};   /* integers: a clamp, as PyTorch's */
        return ct_unary(CT_OP_clamp, x, bounds, inplace ? x : NULL);
    }
    if (inplace && ct_inplace_check(x) < 0) return NULL;
    bool record = ct_record_needed(1, &x);
    ct_tensor *saved = !record ? NULL : inplace ? ct_clone(x) : ct_incref(x);   /* the input before the write */
    if (record && !saved) return NULL;
    ct_tensor *out = inplace ? ct_incref(x) : NULL;
    int rc;
    NO_GRAD(rc = run_activation(CT_OP_activation, kind, &out, 1, &x, s0, s1));
    if (rc == 0 && inplace) ct_bump_version(x);
    if (rc == 0 && record) {
        int64_t ints[1] = {kind};
        ct_scalar sc[2] = {ct_scalar_f(s0), ct_scalar_f(s1)};
        rc = ct_record_op(CT_NODE_ACTIVATION, act_grad_fns[inplace][kind], 1, &x, out, 1, &saved, sc, 2, ints, 1);
        if (rc == 0 && inplace) rc = ct_inplace_rebase(x);
    }
    ct_xdecref(saved);
    return unless_failed(out, rc);
}

/* ---- batch, layer and group norm: one kernel over an (A, C, B) layout (see cpu/nn_norm_tmpl.h) ---- */

typedef struct {
    int64_t A, C, B, G, KS, S, K;   /* K: the number of affine parameters */
    const char *kernel;             /* PyTorch's kernel name in dtype errors */
    const char *grad_fn;
} norm_layout;

/* "mixed dtype (CPU): ...": parameters share the input's dtype (float32 ones may join float16/bfloat16) */
static int check_param_dtypes(const ct_tensor *x, ct_tensor *const *params, int n) {
    for (int i = 0; i < n; i++) {
        if (!params[i] || params[i]->dtype == x->dtype) continue;
        if (compute_dtype(x->dtype) == CT_FLOAT32 && x->dtype != CT_FLOAT32 && params[i]->dtype == CT_FLOAT32) continue;
        return ct_error(CT_ERR_RUNTIME, "mixed dtype (CPU): all inputs must share same datatype.");
    }
    return 0;
}

/* a parameter in the compute dtype, contiguous; absent: K copies of fill */
static ct_tensor *param_or(ct_tensor *p, int64_t K, double fill, ct_dtype cd, ct_device dev) {
    if (!p) return ct_full(1, &K, ct_scalar_f(fill), cd, dev);
    ct_tensor *c = ct_to_dtype(p, cd, false), *r = c ? ct_contiguous(c) : NULL;
    ct_xdecref(c);
    return r;
}

static ct_tensor *contiguous_as(ct_tensor *t, ct_dtype cd) {
    ct_tensor *c = ct_to_dtype(t, cd, false), *r = c ? ct_contiguous(c) : NULL;
    ct_xdecref(c);
    return r;
}

static int run_norm_kernel(int op, ct_tensor *const *tensors, const norm_layout *L, int mode, double eps,
                           double momentum, ct_device dev) {
    int64_t ints[7] = {L->A, L->C, L->B, L->G, L->KS, L->S > 0 ? L->S : 1, mode};
    ct_scalar sc[2] = {ct_scalar_f(eps), ct_scalar_f(momentum)};
    ct_kernel_args args = {.op = op, .tensors = tensors, .ntensors = 8, .ints = ints, .nints = 7, .scalars = sc,
                           .nscalars = 2};
    return ct_dispatch(dev, &args);
}

/* the norm of x (any shape, read as L's (A, C, B)); records NATIVE_NORM over {x, weight, bias} */
static ct_tensor *native_norm(ct_tensor *x, const norm_layout *L, ct_tensor *weight, ct_tensor *bias,
                              ct_tensor *rm, ct_tensor *rv, int mode, double eps, double momentum,
                              ct_tensor **save_mean, ct_tensor **save_invstd) {
    if (!ct_is_floating(x->dtype)) return ct_error_kernel_dtype(L->kernel, x->dtype), NULL;
    ct_tensor *params[4] = {weight, bias, rm, rv};
    if (check_param_dtypes(x, params, 4) < 0) return NULL;
    ct_dtype cd = compute_dtype(x->dtype);
    ct_device dev = ct_device_of(x);
    ct_tensor *t[8] = {NULL}, *res = NULL;   /* out, mean, invstd, x, weight, bias, running_mean, running_var */
    int rc = -1;
    if (L->A * L->B == 0) mode &= ~CT_NORM_UPDATE_RUNNING;   /* an empty batch leaves the running stats */
    NO_GRAD({
        t[0] = ct_empty(x->ndim, x->sizes, cd, dev);
        t[1] = ct_empty(1, &L->C, cd, dev);
        t[2] = ct_empty(1, &L->C, cd, dev);
        t[3] = contiguous_as(x, cd);
        t[4] = param_or(weight, L->K, 1, cd, dev);
        t[5] = param_or(bias, L->K, 0, cd, dev);
        t[6] = rm;
        t[7] = rv;
        if (t[0] && t[1] && t[2] && t[3] && t[4] && t[5])
            rc = L->C == 0 ? 0 : run_norm_kernel(CT_OP_norm, t, L, mode, eps, momentum, dev);
        if (rc == 0) res = ct_to_dtype(t[0], x->dtype, false);
    });
    if (res && (rm || rv) && (mode & CT_NORM_UPDATE_RUNNING)) {
        if (rm) ct_bump_version(rm);
        if (rv) ct_bump_version(rv);
    }
    ct_tensor *inputs[3] = {x, weight, bias}, *saved[4] = {t[3], t[4], t[1], t[2]};
    int64_t ints[7] = {L->A, L->C, L->B, L->G, L->KS, L->S > 0 ? L->S : 1, mode & CT_NORM_BATCH_STATS};
    if (res && ct_record_op(CT_NODE_NATIVE_NORM, L->grad_fn, 3, inputs, res, 4, saved, NULL, 0, ints, 7) < 0) {
        ct_decref(res);
        res = NULL;
    }
    if (res && save_mean) *save_mean = ct_incref(t[1]);
    if (res && save_invstd) *save_invstd = ct_incref(t[2]);
    for (int i = 0; i < 6; i++) ct_xdecref(t[i]);
    return res;
}

static int check_features(const char *what, int64_t expected, const ct_tensor *t) {
    if (!t || ct_numel(t) == expected) return 0;
    return ct_error(CT_ERR_RUNTIME, "%s should contain %lld elements not %lld", what, (long long)expected,
                    (long long)ct_numel(t));
}

ct_tensor *ct_batch_norm(ct_tensor *x, ct_tensor *weight, ct_tensor *bias, ct_tensor *running_mean,
                         ct_tensor *running_var, bool training, double momentum, double eps, ct_tensor **save_mean,
                         ct_tensor **save_invstd) {
    int64_t C = x->ndim >= 2 ? x->sizes[1] : 0, B = 1;
    for (int d = 2; d < x->ndim; d++) B *= x->sizes[d];
    if (check_features("running_mean", C, running_mean) < 0) return NULL;
    if (!running_mean && !training)
        return ct_error_null(CT_ERR_RUNTIME, "running_mean must be defined in evaluation mode");
    if (check_features("running_var", C, running_var) < 0) return NULL;
    if (!running_var && !training)
        return ct_error_null(CT_ERR_RUNTIME, "running_var must be defined in evaluation mode");
    if (check_features("weight", C, weight) < 0 || check_features("bias", C, bias) < 0) return NULL;
    if (x->ndim < 2) return ct_error_null(CT_ERR_RUNTIME, "batch_norm: expected an input with at least 2 dimensions");
    norm_layout L = {x->sizes[0], C, B, C, 1, B, C, "batch_norm", "NativeBatchNormBackward0"};
    int mode = training ? CT_NORM_BATCH_STATS | ((running_mean || running_var) ? CT_NORM_UPDATE_RUNNING : 0) : 0;
    return native_norm(x, &L, weight, bias, running_mean, running_var, mode, eps, momentum, save_mean, save_invstd);
}

static int check_same_shape(const char *what, const ct_tensor *p, int n, const int64_t *shape) {
    bool same = !p || p->ndim == n;
    for (int i = 0; p && same && i < n; i++) same = p->sizes[i] == shape[i];
    if (same) return 0;
    char a[256], b[256];
    return ct_error(CT_ERR_RUNTIME, "Expected %s to be of same shape as normalized_shape, but got %s of shape %s and "
                    "normalized_shape = %s", what, what, ct_shape_str(p->ndim, p->sizes, a, 256),
                    ct_shape_str(n, shape, b, 256));
}

ct_tensor *ct_layer_norm(ct_tensor *x, int nshape, const int64_t *shape, ct_tensor *weight, ct_tensor *bias,
                         double eps) {
    char a[256], b[256], c[256];
    if (nshape < 1)
        return ct_error_null(CT_ERR_RUNTIME, "Expected normalized_shape to be at least 1-dimensional, i.e., containing "
                             "at least one element, but got normalized_shape = []");
    if (check_same_shape("weight", weight, nshape, shape) < 0 || check_same_shape("bias", bias, nshape, shape) < 0)
        return NULL;
    bool fits = x->ndim >= nshape;
    for (int i = 0; fits && i < nshape; i++) fits = x->sizes[x->ndim - nshape + i] == shape[i];
    if (!fits)
        return ct_error_null(CT_ERR_RUNTIME, "Given normalized_shape=%s, expected input with shape [*, %s, but got "
                             "input of size%s", ct_shape_str(nshape, shape, a, 256),
                             ct_shape_str(nshape, shape, b, 256) + 1, ct_shape_str(x->ndim, x->sizes, c, 256));
    int64_t M = 1, N = 1;
    for (int d = 0; d < x->ndim; d++) *(d < x->ndim - nshape ? &M : &N) *= x->sizes[d];
    norm_layout L = {1, M, N, 1, 0, 1, N, "LayerNormKernelImpl", "NativeLayerNormBackward0"};
    return native_norm(x, &L, weight, bias, NULL, NULL, CT_NORM_BATCH_STATS, eps, 0, NULL, NULL);
}

static int check_channel_vector(const char *what, const ct_tensor *p, const ct_tensor *x) {
    if (!p || (p->ndim == 1 && p->sizes[0] == x->sizes[1])) return 0;
    char a[256], b[256];
    return ct_error(CT_ERR_RUNTIME, "Expected %s to be a vector of size equal to the number of channels in input, but "
                    "got %s of shape %s and input of shape %s", what, what, ct_shape_str(p->ndim, p->sizes, a, 256),
                    ct_shape_str(x->ndim, x->sizes, b, 256));
}

ct_tensor *ct_group_norm(ct_tensor *x, int64_t groups, ct_tensor *weight, ct_tensor *bias, double eps) {
    char a[256];
    if (x->ndim < 2)
        return ct_error_null(CT_ERR_RUNTIME, "Expected at least 2 dimensions for input tensor but received %d", x->ndim);
    int64_t N = x->sizes[0], C = x->sizes[1], HW = 1;
    if (groups <= 0 || C % groups != 0)
        return ct_error_null(CT_ERR_RUNTIME, "Expected number of channels in input to be divisible by num_groups, but "
                             "got input of shape %s and num_groups=%lld", ct_shape_str(x->ndim, x->sizes, a, 256),
                             (long long)groups);
    if (check_channel_vector("weight", weight, x) < 0 || check_channel_vector("bias", bias, x) < 0) return NULL;
    for (int d = 2; d < x->ndim; d++) HW *= x->sizes[d];
    norm_layout L = {1, N * groups, C / groups * HW, groups, C / groups, HW, C, "GroupNormKernelImpl",
                     "NativeGroupNormBackward0"};
    return native_norm(x, &L, weight, bias, NULL, NULL, CT_NORM_BATCH_STATS, eps, 0, NULL, NULL);
}

/* PyTorch's composite: batch norm of x seen as (1, N * C, ...) with the parameters repeated N times;
 * the running stats get the mean over the batch of the per-instance ones */
ct_tensor *ct_instance_norm(ct_tensor *x, ct_tensor *weight, ct_tensor *bias, ct_tensor *running_mean,
                            ct_tensor *running_var, bool use_input_stats, double momentum, double eps) {
    if (x->ndim < 2) return ct_error_null(CT_ERR_RUNTIME, "instance_norm: expected an input with at least 2 dimensions");
    if (!use_input_stats && (!running_mean || !running_var))
        return ct_error_null(CT_ERR_RUNTIME, "Expected running_mean and running_var to be defined when "
                             "use_input_stats is false");
    int64_t N = x->sizes[0], C = x->sizes[1], shape[CT_MAX_DIMS], nc[2] = {N, C};
    shape[0] = 1;
    shape[1] = N * C;
    for (int d = 2; d < x->ndim; d++) shape[d] = x->sizes[d];
    ct_tensor *rep[4] = {weight, bias, running_mean, running_var}, *r[4] = {NULL}, *xc = NULL, *xv = NULL, *y = NULL;
    ct_tensor *out = NULL;
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++) {
        if (!rep[i]) continue;
        ok = (r[i] = ct_repeat(rep[i], 1, &N)) != NULL;
    }
    if (ok && (xc = ct_contiguous(x)) && (xv = ct_view(xc, x->ndim, shape)) &&
        (y = ct_batch_norm(xv, r[0], r[1], r[2], r[3], use_input_stats, momentum, eps, NULL, NULL))) {
        for (int i = 2; i < 4 && ok; i++) {   /* running stats <- mean over the batch */
            if (!rep[i] || !use_input_stats) continue;
            ct_tensor *v = NULL, *m = NULL;
            int64_t dim0 = 0;
            NO_GRAD(ok = (v = ct_view(r[i], 2, nc)) && (m = ct_reduce(CT_RED_MEAN, v, 1, &dim0, false, CT_UNDEFINED)) &&
                         ct_copy_(rep[i], m) == 0);
            ct_xdecref(v);
            ct_xdecref(m);
        }
        if (ok) out = ct_view(y, x->ndim, x->sizes);
    }
    for (int i = 0; i < 4; i++) ct_xdecref(r[i]);
    ct_xdecref(xc);
    ct_xdecref(xv);
    ct_xdecref(y);
    return out;
}

/* ---- softmax, log_softmax ---- */

static void outer_dim_inner(const ct_tensor *x, int64_t dim, int64_t ints[3]) {
    ints[0] = ints[2] = 1;
    ints[1] = x->ndim ? x->sizes[dim] : 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) ints[0] *= x->sizes[d];
        if (d > dim) ints[2] *= x->sizes[d];
    }
}

static int run_softmax_kernel(int op, ct_tensor *const *t, int64_t dim, bool log) {
    int64_t ints[4];
    outer_dim_inner(t[1], dim, ints);
    ints[3] = log;
    ct_kernel_args args = {.op = op, .tensors = t, .ntensors = op == CT_OP_softmax ? 2 : 3, .ints = ints, .nints = 4};
    return ct_numel(t[0]) == 0 ? 0 : ct_dispatch(ct_device_of(t[0]), &args);
}

ct_tensor *ct_softmax(ct_tensor *x, int64_t dim, ct_dtype dtype, bool log) {
    int64_t d;
    if (ct_wrap_dim(dim, x->ndim ? x->ndim : 1, &d) < 0) return NULL;
    if (dtype != CT_UNDEFINED && dtype != x->dtype) {   /* recorded conversion first (ToCopyBackward0) */
        ct_tensor *xc = ct_to_dtype(x, dtype, false), *r = xc ? ct_softmax(xc, d, CT_UNDEFINED, log) : NULL;
        ct_xdecref(xc);
        return r;
    }
    if (!ct_is_floating(x->dtype))
        return ct_error_kernel_dtype(log ? "log_softmax_kernel_impl" : "softmax_kernel_impl", x->dtype), NULL;
    ct_dtype cd = compute_dtype(x->dtype);
    ct_tensor *t[2] = {NULL, NULL}, *res = NULL;
    NO_GRAD({
        if ((t[1] = contiguous_as(x, cd)) && (t[0] = ct_empty(x->ndim, x->sizes, cd, ct_device_of(x))) &&
            run_softmax_kernel(CT_OP_softmax, t, d, log) == 0)
            res = ct_to_dtype(t[0], x->dtype, false);
    });
    ct_xdecref(t[0]);
    ct_xdecref(t[1]);
    int64_t ints[2] = {d, log};
    if (res && ct_record_op(CT_NODE_SOFTMAX, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", 1, &x, res, 1, &res,
                            NULL, 0, ints, 2) < 0) {
        ct_decref(res);
        return NULL;
    }
    return res;
}

/* ---- prelu and glu: compositions of recorded ops, named as PyTorch's nodes ---- */

ct_tensor *ct_prelu(ct_tensor *x, ct_tensor *weight) {
    if (weight->ndim > 1)
        return ct_error_null(CT_ERR_RUNTIME, "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = %d",
                             weight->ndim);
    if (x->dtype != weight->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "prelu: Type promoting not supported. Got %s and %s",
                             ct_dtype_infos[x->dtype].legacy, ct_dtype_infos[weight->dtype].legacy);
    int64_t channels = x->ndim >= 2 ? x->sizes[1] : 1, n = ct_numel(weight), shape[CT_MAX_DIMS];
    if (n != 1 && n != channels)
        return ct_error_null(CT_ERR_RUNTIME, "Mismatch of parameter numbers and input channel size. Found parameter "
                             "numbers = %lld and channel size = %lld.", (long long)n, (long long)channels);
    for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? n : 1;   /* weight along dim 1 */
    ct_tensor *zero = ct_scalar_tensor(ct_scalar_i(0), x->dtype, true);
    ct_tensor *w = zero ? ct_reshape(weight, x->ndim > 1 ? x->ndim : 1, x->ndim > 1 ? shape : &n) : NULL;
    ct_tensor *pos = w ? ct_binary(CT_OP_gt, x, zero, NULL, NULL) : NULL;
    ct_tensor *neg = pos ? ct_binary(CT_OP_mul, x->ndim ? w : weight, x, NULL, NULL) : NULL;
    ct_tensor *out = neg ? ct_where(pos, x, neg, NULL) : NULL;
    if (out && x->ndim == 0 && out->ndim) {   /* a 0-dim input stays 0-dim */
        ct_tensor *s = ct_reshape(out, 0, NULL);
        ct_decref(out);
        out = s;
    }
    ct_xdecref(zero);
    ct_xdecref(w);
    ct_xdecref(pos);
    ct_xdecref(neg);
    return ct_rename_grad_fn(out, x, "PreluKernelBackward0");
}

ct_tensor *ct_glu(ct_tensor *x, int64_t dim) {
    if (x->ndim == 0) return ct_error_null(CT_ERR_RUNTIME, "glu does not support scalars because halving size must be even");
    int64_t d;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return NULL;
    int64_t n = x->sizes[d];
    if (n % 2)
        return ct_error_null(CT_ERR_RUNTIME, "Halving dimension must be even, but dimension %lld is size %lld",
                             (long long)d, (long long)n);
    if (!ct_is_floating(x->dtype)) return ct_error_dtype("glu", x->dtype), NULL;
    ct_tensor *a = ct_narrow(x, d, 0, n / 2), *b = a ? ct_narrow(x, d, n / 2, n / 2) : NULL;
    ct_tensor *s = b ? ct_unary(CT_OP_sigmoid, b, NULL, NULL) : NULL;
    ct_tensor *out = s ? ct_binary(CT_OP_mul, a, s, NULL, NULL) : NULL;
    ct_xdecref(a);
    ct_xdecref(b);
    ct_xdecref(s);
    return ct_rename_grad_fn(out, x, "GluBackward0");
}

/* ---- dropout: PyTorch's CPU composite (the mask drawn with bernoulli_(1 - p), as its) ---- */

/* t op v for a number v; into out when given */
static ct_tensor *with_number(int op, ct_tensor *t, double v, ct_tensor *out) {
    ct_tensor *s = ct_scalar_tensor(ct_scalar_f(v), CT_FLOAT64, true), *r = s ? ct_binary(op, t, s, NULL, out) : NULL;
    ct_xdecref(s);
    return r;
}

ct_tensor *ct_dropout(ct_tensor *x, double p, bool train, bool feature, bool alpha, bool inplace) {
    if (p == 0 || !train || ct_numel(x) == 0) return ct_incref(x);
    ct_tensor *out = inplace ? x : NULL;
    if (p == 1) return with_number(CT_OP_mul, x, 0, out);
    if (feature && x->ndim < 2)
        return ct_error_null(CT_ERR_RUNTIME, "Feature dropout requires at least 2 dimensions in the input");
    int64_t shape[CT_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = feature && d >= 2 ? 1 : x->sizes[d];   /* one draw per channel */
    ct_tensor *noise = ct_empty(x->ndim, shape, x->dtype, ct_device_of(x)), *b = NULL, *r = NULL, *tmp = NULL;
    bool ok = noise && ct_bernoulli_(noise, 1 - p, NULL) == 0;
    if (ok && alpha) {   /* b = (noise - 1) alpha a + alpha a p; noise *= a */
        const double al = 1.7580993408473766, a = 1 / sqrt((al * al * p + 1) * (1 - p));
        ok = (tmp = with_number(CT_OP_mul, noise, al * a, NULL)) && (b = with_number(CT_OP_add, tmp, al * a * (p - 1), NULL));
        ct_xdecref(tmp);
        ok = ok && (tmp = with_number(CT_OP_mul, noise, a, noise));
    } else if (ok) {
        ok = (tmp = with_number(CT_OP_div, noise, 1 - p, noise)) != NULL;
    }
    ct_xdecref(tmp);
    if (ok) r = ct_binary(CT_OP_mul, x, noise, NULL, out);
    if (r && alpha) {
        ct_tensor *sum = ct_binary(CT_OP_add, r, b, NULL, out);
        ct_decref(r);
        r = sum;
    }
    ct_xdecref(noise);
    ct_xdecref(b);
    return r;
}

/* ---- backward ---- */

/* a fused backward's results: differentiating them again raises (not implemented) */
static int mark_once(ct_tensor **gi, int n, ct_tensor *g, ct_tensor *x, const char *name) {
    ct_tensor *in[2] = {g, x};
    for (int i = 0; i < n; i++)
        if (gi[i] && ct_record_op(CT_NODE_NN_ONCE, name, 2, in, gi[i], 0, NULL, NULL, 0, NULL, 0) < 0) return -1;
    return 0;
}

static int activation_grad(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0], *gc = ct_to_dtype(g, x->dtype, false), *in[2] = {gc, x};
    if (!gc) return -1;
    ct_tensor *out = NULL;
    int rc;
    NO_GRAD(rc = run_activation(CT_OP_activation_backward, (ct_activation)n->ints[0], &out, 2, in, n->scalars[0].d,
                                n->scalars[1].d));
    ct_decref(gc);
    if (rc < 0) return -1;
    gi[0] = out;
    return mark_once(gi, 1, g, x, "activation_backward");
}

static int norm_grad(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0], *w = n->saved[1];
    ct_device dev = ct_device_of(x);
    norm_layout L = {n->ints[0], n->ints[1], n->ints[2], n->ints[3], n->ints[4], n->ints[5], ct_numel(w), NULL, NULL};
    ct_tensor *t[8] = {NULL, NULL, NULL, NULL, x, w, n->saved[2], n->saved[3]};
    int rc = -1;
    NO_GRAD({
        t[0] = n->next[0].node ? ct_empty(x->ndim, x->sizes, x->dtype, dev) : NULL;
        t[1] = n->next[1].node ? ct_empty(1, &L.K, x->dtype, dev) : NULL;
        t[2] = n->next[2].node ? ct_empty(1, &L.K, x->dtype, dev) : NULL;
        t[3] = contiguous_as(g, x->dtype);
        bool ok = t[3] && (t[0] || !n->next[0].node) && (t[1] || !n->next[1].node) && (t[2] || !n->next[2].node);
        if (ok) rc = run_norm_kernel(CT_OP_norm_backward, t, &L, (int)n->ints[6], 0, 0, dev);
    });
    ct_xdecref(t[3]);
    for (int i = 0; i < 3; i++) gi[i] = unless_failed(t[i], rc);
    return rc < 0 ? -1 : mark_once(gi, 3, g, x, "native_norm_backward");
}

static int softmax_grad(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *o = n->saved[0];
    ct_dtype cd = compute_dtype(o->dtype);
    ct_tensor *t[3] = {NULL, NULL, NULL};
    int rc = -1;
    NO_GRAD({
        if ((t[1] = contiguous_as(g, cd)) && (t[2] = contiguous_as(o, cd)) &&
            (t[0] = ct_empty(o->ndim, o->sizes, cd, ct_device_of(o))))
            rc = run_softmax_kernel(CT_OP_softmax_backward, t, n->ints[0], n->ints[1]);
    });
    ct_xdecref(t[1]);
    ct_xdecref(t[2]);
    gi[0] = unless_failed(t[0], rc);
    return rc < 0 ? -1 : mark_once(gi, 1, g, o, "softmax_backward");
}

int ct_nn_norm_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    int rc = n->kind == CT_NODE_ACTIVATION    ? activation_grad(n, g, gi)
             : n->kind == CT_NODE_NATIVE_NORM ? norm_grad(n, g, gi)
             : n->kind == CT_NODE_SOFTMAX     ? softmax_grad(n, g, gi)
                                              : ct_error(CT_ERR_NOTIMPL, "the derivative of %s is not implemented", n->name);
    for (int i = 0; rc < 0 && i < n->nnext; i++) {
        ct_xdecref(gi[i]);
        gi[i] = NULL;
    }
    return rc;
}
