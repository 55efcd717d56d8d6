/* The loss family: nll_loss and cross_entropy (class indices, or class
 * probabilities) over the rows of an input seen as (N, C, S), the pointwise
 * losses, the compositions (l1_loss, cosine_similarity, pairwise_distance),
 * embedding, one_hot, pad and interpolate. Checks and messages are PyTorch's;
 * the work is the backend's kernels (cpu/nn_loss.c, cpu/nn_loss_spatial.c),
 * recorded as one autograd node per call whose gradient is
 * ct_nn_loss_backward. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

enum { NONE = 0, MEAN = 1, SUM = 2 };

static const char *legacy(ct_dtype d) { return ct_dtype_infos[d].legacy; }

static int run(int op, ct_tensor *const *tensors, int ntensors, const int64_t *ints, int nints, const ct_scalar *scalars,
               int nscalars, ct_device dev) {
    ct_kernel_args args = {.op = op, .tensors = tensors, .ntensors = ntensors, .ints = ints, .nints = nints,
                           .scalars = scalars, .nscalars = nscalars};
    return ct_dispatch(dev, &args);
}

/* t reshaped (a view when its strides allow), expanded, cast or made contiguous, without history:
 * the op records itself once */
static ct_tensor *reshaped(ct_tensor *t, int ndim, const int64_t *sizes) {
    bool g = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = ct_reshape(t, ndim, sizes);
    ct_set_grad_enabled(g);
    return r;
}

/* t as a dense tensor of dtype and shape (broadcast), without history */
static ct_tensor *dense(ct_tensor *t, ct_dtype dtype, int ndim, const int64_t *shape) {
    bool g = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *c = ct_to_dtype(t, dtype, false), *e = c ? ct_expand(c, ndim, shape) : NULL;
    ct_tensor *r = e ? ct_contiguous(e) : NULL;
    ct_xdecref(c);
    ct_xdecref(e);
    ct_set_grad_enabled(g);
    return r;
}

static void release(ct_tensor **ts, int n) {
    for (int i = 0; i < n; i++) ct_xdecref(ts[i]);
}

/* PyTorch's error for an argument its derivative formulas leave out (weights, some targets) */
static int not_differentiable(const char *fn, const char *arg, const ct_tensor *t) {
    if (t && ct_grad_enabled() && ct_requires_grad(t))
        return ct_error(CT_ERR_RUNTIME, "The function '%s' is not differentiable with respect to argument '%s'. This "
                        "input cannot have requires_grad True.", fn, arg);
    return 0;
}

/* a gradient made contiguous in dtype (the kernels read it flat) */
static ct_tensor *flat_grad(ct_tensor *g, ct_dtype dtype) {
    ct_tensor *c = ct_to_dtype(g, dtype, false), *r = c ? ct_contiguous(c) : NULL;
    ct_xdecref(c);
    return r;
}

/* ============================ rows ============================ */

/* (N, C, S) of an input whose class dim is 0 (1-D) or 1 */
typedef struct {
    int64_t N, C, S;
} rows_shape;

static rows_shape rows_shape_of(const int ndim, const int64_t *sizes) {
    rows_shape r = {ndim >= 2 ? sizes[0] : 1, sizes[ndim == 1 ? 0 : 1], 1};
    for (int d = 2; d < ndim; d++) r.S *= sizes[d];
    return r;
}

/* PyTorch's checks of nll_loss_nd (nll_loss for 1-D and 2-D inputs, nll_loss2d beyond) */
static int check_class_target(const ct_tensor *in, const ct_tensor *tg, const ct_tensor *w) {
    char a[256], b[256];
    if (in->ndim < 1) return ct_error(CT_ERR_VALUE, "Expected 1 or more dimensions (got %d)", in->ndim);
    if (in->ndim != 1 && (tg->ndim == 0 || in->sizes[0] != tg->sizes[0]))
        return ct_error(CT_ERR_VALUE, "Expected input batch_size (%lld) to match target batch_size (%lld).",
                        (long long)in->sizes[0], (long long)(tg->ndim ? tg->sizes[0] : 0));
    int64_t C = in->sizes[in->ndim == 1 ? 0 : 1];
    if (in->ndim <= 2) {
        if (tg->ndim > 1)
            return ct_error(CT_ERR_RUNTIME, "0D or 1D target tensor expected, multi-target not supported");
        if (in->ndim == 1 && tg->ndim == 1 && tg->sizes[0] != 1)
            return ct_error(CT_ERR_VALUE, "For 1D input, 1D target must have size 1, but got target size: %lld",
                            (long long)tg->sizes[0]);
        if (w && (w->ndim != 1 || ct_numel(w) != C))
            return ct_error(CT_ERR_RUNTIME, "weight tensor should be defined either for all %lld classes or no classes "
                            "but got weight tensor of shape: %s", (long long)C, ct_shape_str(w->ndim, w->sizes, a, 256));
    } else {
        bool bad = tg->ndim != in->ndim - 1;
        for (int d = 1; d < tg->ndim && !bad; d++) bad = tg->sizes[d] != in->sizes[d + 1];
        if (in->ndim == 4 && tg->ndim != 3)
            return ct_error(CT_ERR_RUNTIME, "only batches of spatial targets supported (3D tensors) but got targets of "
                            "dimension: %d", tg->ndim);
        if (in->ndim == 4 && bad)
            return ct_error(CT_ERR_RUNTIME, "size mismatch (got input: %s , target: %s",
                            ct_shape_str(in->ndim, in->sizes, a, 256), ct_shape_str(tg->ndim, tg->sizes, b, 256));
        if (bad) {
            int64_t want[CT_MAX_DIMS];
            want[0] = in->sizes[0];
            for (int d = 2; d < in->ndim; d++) want[d - 1] = in->sizes[d];
            return ct_error(CT_ERR_RUNTIME, "Expected target size %s, got %s", ct_shape_str(in->ndim - 1, want, a, 256),
                            ct_shape_str(tg->ndim, tg->sizes, b, 256));
        }
        if (w && ct_numel(w) != C)
            return ct_error(CT_ERR_RUNTIME, "weight tensor should be defined either for all or no classes");
    }
    if (tg->dtype != CT_INT64 && tg->dtype != CT_UINT8)
        return ct_error(CT_ERR_RUNTIME, "expected target dtype to be Long or Byte, but got %s", legacy(tg->dtype));
    if (!ct_is_floating(in->dtype))
        return ct_error_kernel_dtype(in->ndim <= 2 ? "nll_loss_out_frame" : "nll_loss2d_forward_out_frame", in->dtype);
    if (w && w->dtype != in->dtype)
        return ct_error(CT_ERR_RUNTIME, "expected scalar type %s but found %s", legacy(in->dtype), legacy(w->dtype));
    return 0;
}

/* the dtype of a row's log-sum-exp: float32 for the reduced-precision dtypes */
static ct_dtype lse_dtype(ct_dtype d) { return d == CT_FLOAT64 ? CT_FLOAT64 : CT_FLOAT32; }

/* class-index losses: nll (log_softmax false) or log_softmax + nll with smoothing eps */
static ct_tensor *class_loss(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, int64_t ignore,
                             bool log_softmax, double eps) {
    if (check_class_target(input, target, weight) < 0 ||
        not_differentiable(input->ndim == 4 ? "nll_loss2d_forward" : "nll_loss_forward", "weight", weight) < 0)
        return NULL;
    rows_shape rs = rows_shape_of(input->ndim, input->sizes);
    int64_t in3[3] = {rs.N, rs.C, rs.S}, tg2[2] = {rs.N, rs.S}, nrows = rs.N * rs.S;
    ct_device dev = ct_device_of(input);
    /* 'none' keeps the target's shape; beyond 4-D as nll_loss2d's (N, 1, S), viewed back afterwards */
    bool view_back = reduction == NONE && input->ndim != 4 && input->ndim > 2;
    int64_t rows_shape3[3] = {rs.N, 1, rs.S};
    ct_tensor *t[5] = {NULL};   /* out, lse, input, target, weight */
    t[2] = reshaped(input, 3, in3);
    t[3] = t[2] ? reshaped(target, 2, tg2) : NULL;
    t[4] = t[3] && weight ? reshaped(weight, 1, &rs.C) : NULL;
    if (t[3] && log_softmax) t[1] = ct_empty(1, &nrows, lse_dtype(input->dtype), dev);
    if (t[3] && (!weight || t[4]) && (!log_softmax || t[1]))
        t[0] = reduction != NONE ? ct_empty(0, NULL, input->dtype, dev)
               : view_back ? ct_empty(3, rows_shape3, input->dtype, dev)
                           : ct_empty(input->ndim == 1 ? 0 : target->ndim, target->sizes, input->dtype, dev);
    int64_t ints[3] = {reduction, ignore, log_softmax};
    ct_scalar s = ct_scalar_f(eps);
    ct_tensor *out = NULL;
    if (t[0] && run(CT_OP_nll_loss, t, 5, ints, 3, &s, 1, dev) == 0) {
        const char *name = log_softmax && eps > 0 ? "AddBackward0" : input->ndim > 2 ? "NllLoss2DBackward0"
                                                                                    : "NllLossBackward0";
        ct_tensor *save[4] = {t[2], t[3], t[4], t[1]};
        if (ct_record_op(CT_NODE_NLL_LOSS, name, 1, &input, t[0], 4, save, &s, 1, ints, 3) == 0)
            out = ct_incref(t[0]);
    }
    release(t, 5);
    if (out && view_back) {   /* (N, 1, S) seen as the target's shape: ViewBackward0, as PyTorch */
        ct_tensor *v = ct_view(out, target->ndim, target->sizes);
        ct_decref(out);
        out = v;
    }
    return out;
}

ct_tensor *ct_nll_loss(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, int64_t ignore_index) {
    return class_loss(input, target, weight, reduction, ignore_index, false, 0);
}

/* cross_entropy with class probabilities: target shaped like input (PyTorch's composite, fused) */
static ct_tensor *prob_loss(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, double eps) {
    char a[256];
    if (not_differentiable("cross_entropy_loss", "weight", weight) < 0) return NULL;
    ct_dtype dt = ct_promote_types(input->dtype, target->dtype);
    if (weight) dt = ct_promote_types(dt, weight->dtype);
    rows_shape rs = rows_shape_of(input->ndim, input->sizes);
    if (weight && ct_numel(weight) != rs.C) {
        int64_t want[CT_MAX_DIMS];
        for (int d = 0; d < input->ndim; d++) want[d] = d == (input->ndim == 1 ? 0 : 1) ? rs.C : 1;
        return ct_error_null(CT_ERR_RUNTIME, "shape '%s' is invalid for input of size %lld",
                             ct_shape_str(input->ndim, want, a, 256), (long long)ct_numel(weight));
    }
    int64_t in3[3] = {rs.N, rs.C, rs.S}, nrows = rs.N * rs.S;
    ct_device dev = ct_device_of(input);
    ct_tensor *t[5] = {NULL};   /* out, lse, input, target, weight */
    ct_tensor *xc = dense(input, dt, input->ndim, input->sizes);
    ct_tensor *yc = xc ? dense(target, dt, input->ndim, input->sizes) : NULL;
    t[2] = yc ? reshaped(xc, 3, in3) : NULL;
    t[3] = t[2] ? reshaped(yc, 3, in3) : NULL;
    t[4] = t[3] && weight ? dense(weight, dt, 1, &rs.C) : NULL;
    t[1] = t[3] && (!weight || t[4]) ? ct_empty(1, &nrows, lse_dtype(dt), dev) : NULL;
    if (t[1]) {
        int64_t shape[CT_MAX_DIMS], nd = 0;
        for (int d = 0; d < input->ndim && input->ndim > 1; d++)
            if (d != 1) shape[nd++] = input->sizes[d];
        t[0] = ct_empty(reduction == NONE ? (int)nd : 0, shape, dt, dev);
    }
    ct_xdecref(xc);
    ct_xdecref(yc);
    int64_t ints[1] = {reduction};
    ct_scalar s = ct_scalar_f(eps);
    ct_tensor *out = NULL, *inputs[2] = {input, target};
    if (t[0] && run(CT_OP_cross_entropy_prob, t, 5, ints, 1, &s, 1, dev) == 0) {
        ct_tensor *save[4] = {t[2], t[3], t[4], t[1]};
        if (ct_record_op(CT_NODE_CROSS_ENTROPY_PROB, reduction == MEAN ? "DivBackward1" : "NegBackward0", 2, inputs, t[0],
                         4, save, &s, 1, ints, 1) == 0)
            out = ct_incref(t[0]);
    }
    release(t, 5);
    return out;
}

ct_tensor *ct_cross_entropy(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, int64_t ignore_index,
                            double label_smoothing) {
    bool probs = input->ndim == target->ndim && !memcmp(input->sizes, target->sizes, sizeof(int64_t) * (size_t)input->ndim);
    if (probs) {
        if (!ct_is_floating(target->dtype))
            return ct_error_null(CT_ERR_RUNTIME, "Expected floating point type for target with class probabilities, "
                                 "got %s", legacy(target->dtype));
        if (ignore_index >= 0)
            return ct_error_null(CT_ERR_RUNTIME, "ignore_index is not supported for floating point target");
    }
    if (label_smoothing > 1)
        return ct_error_null(CT_ERR_RUNTIME, "label_smoothing must be between 0.0 and 1.0. Got: %g", label_smoothing);
    if (!ct_is_floating(input->dtype)) {
        ct_error_kernel_dtype(input->ndim <= 2 ? "log_softmax_lastdim_kernel_impl" : "log_softmax_kernel_impl",
                              input->dtype);
        return NULL;
    }
    double eps = label_smoothing > 0 ? label_smoothing : 0;
    if (probs) return prob_loss(input, target, weight, reduction, eps);
    return class_loss(input, target, weight, reduction, ignore_index, true, eps);
}

/* gradients of the class-index losses: input only */
static int class_loss_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0];
    ct_tensor *k[6] = {ct_empty(3, x->sizes, x->dtype, ct_device_of(x)), flat_grad(g, x->dtype), n->saved[3], x,
                       n->saved[1], n->saved[2]};
    int rc = k[0] && k[1] ? run(CT_OP_nll_loss_backward, k, 6, n->ints, 3, n->scalars, 1, ct_device_of(x)) : -1;
    if (rc == 0) gi[0] = ct_reshape(k[0], n->in_shape[0].ndim, n->in_shape[0].sizes);
    ct_xdecref(k[0]);
    ct_xdecref(k[1]);
    return rc == 0 && gi[0] ? 0 : -1;
}

/* gradients of cross_entropy with probabilities: input and target */
static int prob_loss_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0];
    ct_device dev = ct_device_of(x);
    ct_tensor *k[7] = {n->next[0].node ? ct_empty(3, x->sizes, x->dtype, dev) : NULL,
                       n->next[1].node ? ct_empty(3, x->sizes, x->dtype, dev) : NULL, flat_grad(g, x->dtype),
                       n->saved[3], x, n->saved[1], n->saved[2]};
    int rc = k[2] && (k[0] || !n->next[0].node) && (k[1] || !n->next[1].node)
                 ? run(CT_OP_cross_entropy_prob_backward, k, 7, n->ints, 1, n->scalars, 1, dev) : -1;
    for (int i = 0; i < 2 && rc == 0; i++)
        if (k[i] && !(gi[i] = ct_reshape(k[i], n->in_shape[i].ndim, n->in_shape[i].sizes))) rc = -1;
    release(k, 3);
    return rc;
}

/* ============================ pointwise ============================ */

static const char *const pw_names[][3] = {   /* grad_fn names by reduction (none, mean, sum) */
    [CT_LOSS_MSE] = {"MseLossBackward0", "MseLossBackward0", "MseLossBackward0"},
    [CT_LOSS_SMOOTH_L1] = {"SmoothL1LossBackward0", "SmoothL1LossBackward0", "SmoothL1LossBackward0"},
    [CT_LOSS_HUBER] = {"HuberLossBackward0", "HuberLossBackward0", "HuberLossBackward0"},
    [CT_LOSS_BCE] = {"BinaryCrossEntropyBackward0", "BinaryCrossEntropyBackward0", "BinaryCrossEntropyBackward0"},
    [CT_LOSS_BCE_LOGITS] = {"BinaryCrossEntropyWithLogitsBackward0", "BinaryCrossEntropyWithLogitsBackward0",
                            "BinaryCrossEntropyWithLogitsBackward0"},
    [CT_LOSS_KL_DIV] = {"SubBackward0", "MeanBackward0", "SumBackward0"},   /* log_target: MulBackward0 */
    [CT_LOSS_SOFT_MARGIN] = {"SoftMarginLossBackward0", "SoftMarginLossBackward0", "SoftMarginLossBackward0"},
};

/* the result dtype of a pointwise loss, or CT_UNDEFINED with PyTorch's error */
static ct_dtype pw_dtype(ct_loss_kind kind, const ct_tensor *x, const ct_tensor *y) {
    static const char *const kernels[] = {[CT_LOSS_MSE] = "mse_cpu", [CT_LOSS_SMOOTH_L1] = "smooth_l1_cpu",
                                          [CT_LOSS_HUBER] = "huber_cpu", [CT_LOSS_BCE] = "binary_cross_entropy",
                                          [CT_LOSS_BCE_LOGITS] = "log_sigmoid_cpu"};
    ct_dtype dt = kind == CT_LOSS_BCE || kind == CT_LOSS_SOFT_MARGIN ? x->dtype : ct_result_type2(x, y);
    if (kind == CT_LOSS_BCE && y->dtype != x->dtype) {
        ct_error(CT_ERR_RUNTIME, "Found dtype %s but expected %s", legacy(y->dtype), legacy(x->dtype));
        return CT_UNDEFINED;
    }
    if (ct_is_floating(dt)) return dt;
    if (kind == CT_LOSS_KL_DIV)
        ct_error(CT_ERR_RUNTIME, "kl_div: Integral inputs not supported.");
    else if (kind == CT_LOSS_SOFT_MARGIN)
        ct_error(CT_ERR_RUNTIME, "result type %s can't be cast to the desired output type %s",
                 legacy(ct_get_default_dtype()), legacy(dt));
    else
        ct_error_kernel_dtype(kernels[kind], dt);
    return CT_UNDEFINED;
}

/* a weight broadcast into the loss's shape: it may not grow it (PyTorch multiplies in place) */
static int check_into(const ct_tensor *w, int nd, const int64_t *shape) {
    int64_t b[CT_MAX_DIMS];
    char a[256], c[256];
    int nb = ct_broadcast_shapes(nd, shape, w->ndim, w->sizes, b);
    if (nb < 0) return -1;
    if (nb != nd || memcmp(b, shape, sizeof(int64_t) * (size_t)nd))
        return ct_error(CT_ERR_RUNTIME, "output with shape %s doesn't match the broadcast shape %s",
                        ct_shape_str(nd, shape, a, 256), ct_shape_str(nb, b, c, 256));
    return 0;
}

ct_tensor *ct_pointwise_loss(ct_loss_kind kind, ct_tensor *input, ct_tensor *target, ct_tensor *weight,
                             ct_tensor *pos_weight, double p, int reduction) {
    ct_dtype dt = pw_dtype(kind, input, target);
    if (dt == CT_UNDEFINED) return NULL;
    const char *fn = kind == CT_LOSS_BCE ? "binary_cross_entropy" : "binary_cross_entropy_with_logits";
    if (not_differentiable(fn, "weight", weight) < 0 || not_differentiable(fn, "pos_weight", pos_weight) < 0 ||
        (kind == CT_LOSS_SOFT_MARGIN && not_differentiable("soft_margin_loss", "target", target) < 0))
        return NULL;
    int64_t shape[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes(input->ndim, input->sizes, target->ndim, target->sizes, shape);
    if (nd < 0 || (weight && check_into(weight, nd, shape) < 0) || (pos_weight && check_into(pos_weight, nd, shape) < 0))
        return NULL;
    ct_device dev = ct_device_of(input);
    ct_tensor *t[5] = {NULL, dense(input, dt, nd, shape), NULL, NULL, NULL};   /* out, input, target, weight, pos_weight */
    t[2] = t[1] ? dense(target, dt, nd, shape) : NULL;
    t[3] = t[2] && weight ? dense(weight, dt, nd, shape) : NULL;
    t[4] = t[2] && pos_weight ? dense(pos_weight, dt, nd, shape) : NULL;
    if (t[2] && (!weight || t[3]) && (!pos_weight || t[4]))
        t[0] = reduction == NONE ? ct_empty(nd, shape, dt, dev) : ct_empty(0, NULL, dt, dev);
    int64_t ints[2] = {kind, reduction};
    ct_scalar s = ct_scalar_f(p);
    ct_tensor *out = NULL, *inputs[2] = {input, target};
    if (t[0] && run(CT_OP_pointwise_loss, t, 5, ints, 2, &s, 1, dev) == 0) {
        const char *name = kind == CT_LOSS_KL_DIV && reduction == NONE && p != 0 ? "MulBackward0"
                                                                                 : pw_names[kind][reduction];
        if (ct_record_op(CT_NODE_POINTWISE_LOSS, name, 2, inputs, t[0], 4, t + 1, &s, 1, ints, 2) == 0)
            out = ct_incref(t[0]);
    }
    release(t, 5);
    return out;
}

static int pointwise_loss_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0];
    ct_device dev = ct_device_of(x);
    ct_tensor *k[7] = {n->next[0].node ? ct_empty(x->ndim, x->sizes, x->dtype, dev) : NULL,
                       n->next[1].node ? ct_empty(x->ndim, x->sizes, x->dtype, dev) : NULL, flat_grad(g, x->dtype), x,
                       n->saved[1], n->saved[2], n->saved[3]};
    int rc = k[2] && (k[0] || !n->next[0].node) && (k[1] || !n->next[1].node)
                 ? run(CT_OP_pointwise_loss_backward, k, 7, n->ints, 2, n->scalars, 1, dev) : -1;
    if (rc == 0) gi[0] = k[0], gi[1] = k[1];
    else release(k, 2);
    ct_xdecref(k[2]);
    return rc;
}

/* ============================ compositions ============================ */

/* |input - target| and its mean or sum: PyTorch's graph (AbsBackward0, MeanBackward0, SumBackward0) */
ct_tensor *ct_l1_loss(ct_tensor *input, ct_tensor *target, int reduction) {
    ct_tensor *d = ct_binary(CT_OP_sub, input, target, NULL, NULL), *a = d ? ct_unary(CT_OP_abs, d, NULL, NULL) : NULL;
    ct_xdecref(d);
    if (!a || reduction == NONE) return a;
    ct_tensor *r = ct_reduce(reduction == MEAN ? CT_RED_MEAN : CT_RED_SUM, a, 0, NULL, false, CT_UNDEFINED);
    ct_decref(a);
    return r;
}

/* <x1 / max(|x1|, eps), x2 / max(|x2|, eps)> along dim, the clamps outside the graph (PyTorch's) */
ct_tensor *ct_cosine_similarity(ct_tensor *x1, ct_tensor *x2, int64_t dim, double eps) {
    ct_dtype dt = ct_result_type2(x1, x2);
    if (!ct_is_floating(dt))
        return ct_error_null(CT_ERR_RUNTIME, "expected common dtype to be floating point, yet common dtype is %s",
                             legacy(dt));
    int64_t shape[CT_MAX_DIMS], d;
    int nd = ct_broadcast_shapes(x1->ndim, x1->sizes, x2->ndim, x2->sizes, shape);
    if (nd < 0 || ct_wrap_dim(dim, nd, &d) < 0) return NULL;
    ct_tensor *v[10] = {ct_to_dtype(x1, dt, false), ct_to_dtype(x2, dt, false)};
    for (int i = 0; i < 2; i++) {
        v[2 + i] = v[i] ? ct_expand(v[i], nd, shape) : NULL;
        ct_tensor *norm = v[2 + i] ? ct_norm(v[2 + i], 2, 1, &d, true) : NULL;
        v[4 + i] = norm ? ct_clone(norm) : NULL;
        ct_xdecref(norm);
        if (v[4 + i]) {
            bool g = ct_grad_enabled();
            ct_set_grad_enabled(false);
            ct_scalar lo[2] = {ct_scalar_f(eps), ct_scalar_f(0)};   /* (unary ops read two parameters) */
            ct_tensor *c = ct_unary(CT_OP_clamp_min, v[4 + i], lo, v[4 + i]);
            ct_set_grad_enabled(g);
            if (!c) {
                ct_decref(v[4 + i]);
                v[4 + i] = NULL;
            }
            ct_xdecref(c);
        }
        v[6 + i] = v[4 + i] ? ct_binary(CT_OP_div, v[2 + i], v[4 + i], NULL, NULL) : NULL;
    }
    v[8] = v[6] && v[7] ? ct_binary(CT_OP_mul, v[6], v[7], NULL, NULL) : NULL;
    ct_tensor *r = v[8] ? ct_reduce(CT_RED_SUM, v[8], 1, &d, false, CT_UNDEFINED) : NULL;
    release(v, 10);
    return r;
}

/* the p-norm of x1 - x2 + eps over the last dim (NormBackward1, as PyTorch's at::norm) */
ct_tensor *ct_pairwise_distance(ct_tensor *x1, ct_tensor *x2, double p, double eps, bool keepdim) {
    int nd = x1->ndim > x2->ndim ? x1->ndim : x2->ndim;
    int64_t last = nd - 1;
    ct_tensor *e = ct_scalar_tensor(ct_scalar_f(eps), CT_FLOAT64, true);
    ct_tensor *d = e ? ct_binary(CT_OP_sub, x1, x2, NULL, NULL) : NULL, *s = d ? ct_binary(CT_OP_add, d, e, NULL, NULL) : NULL;
    ct_tensor *r = s ? ct_norm(s, p, nd ? 1 : 0, &last, keepdim) : NULL;
    ct_xdecref(e);
    ct_xdecref(d);
    ct_xdecref(s);
    return r ? ct_rename_grad_fn(r, s, "NormBackward1") : NULL;
}

/* ============================ embedding, one_hot ============================ */

ct_tensor *ct_embedding(ct_tensor *weight, ct_tensor *indices, int64_t padding_idx, bool scale_grad_by_freq,
                        bool sparse) {
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return ct_error_null(CT_ERR_RUNTIME, "Expected tensor for argument #1 'indices' to have one of the following "
                             "scalar types: Long, Int; but got torch.%sTensor instead (while checking arguments for "
                             "embedding)", legacy(indices->dtype));
    if (weight->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "'weight' must be 2-D");
    if (sparse && ct_record_needed(1, &weight))
        return ct_error_null(CT_ERR_NOTIMPL, "embedding(): sparse=True (sparse gradients) is not supported by ctorch");
    int64_t m = ct_numel(indices), shape[CT_MAX_DIMS + 1];
    if (indices->ndim + 1 > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "embedding: too many dimensions");
    memcpy(shape, indices->sizes, sizeof(int64_t) * (size_t)indices->ndim);
    shape[indices->ndim] = weight->sizes[1];
    ct_tensor *flat = reshaped(indices, 1, &m), *idx = flat ? dense(flat, CT_INT64, 1, &m) : NULL;
    ct_xdecref(flat);
    if (!idx) return NULL;
    bool g = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *rows = ct_index_select(weight, 0, idx), *out = rows ? ct_reshape(rows, indices->ndim + 1, shape) : NULL;
    ct_set_grad_enabled(g);
    ct_xdecref(rows);
    if (!rows && ct_last_error() == CT_ERR_RUNTIME && strstr(ct_last_error_message(), "out of DATA bounds"))
        ct_error(CT_ERR_INDEX, "index out of range in self");
    int64_t ints[2] = {padding_idx, scale_grad_by_freq};
    if (out && ct_record_op(CT_NODE_EMBEDDING, "EmbeddingBackward0", 1, &weight, out, 1, &idx, NULL, 0, ints, 2) < 0) {
        ct_decref(out);
        out = NULL;
    }
    ct_decref(idx);
    return out;
}

/* rows of the gradient added at their indices, into zeros shaped like the weight */
static int embedding_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    const ct_shape *w = &n->in_shape[0];
    ct_tensor *idx = n->saved[0];
    int64_t g2[2] = {idx->sizes[0], w->sizes[1]};
    ct_tensor *gc = flat_grad(g, w->dtype), *k[3] = {ct_empty(2, w->sizes, w->dtype, ct_device_of(g)),
                                                     gc ? reshaped(gc, 2, g2) : NULL, idx};
    int rc = k[0] && k[1] ? run(CT_OP_embedding_backward, k, 3, n->ints, 2, NULL, 0, ct_device_of(g)) : -1;
    if (rc == 0) gi[0] = k[0];
    else ct_xdecref(k[0]);
    ct_xdecref(k[1]);
    ct_xdecref(gc);
    return rc;
}

int ct_embedding_renorm_(ct_tensor *weight, ct_tensor *indices, double max_norm, double norm_type) {
    if (indices->dtype != CT_INT64 && indices->dtype != CT_INT32)
        return ct_error(CT_ERR_RUNTIME, "Expected tensor for argument #2 'indices' to have one of the following scalar "
                        "types: Long, Int; but got torch.%sTensor instead (while checking arguments for "
                        "embedding_renorm_)", legacy(indices->dtype));
    if (weight->ndim != 2) return ct_error(CT_ERR_RUNTIME, "'weight' must be 2-D");
    if (!ct_is_floating(weight->dtype)) return ct_error_kernel_dtype("embedding_renorm_cpu_", weight->dtype);
    if (ct_inplace_check(weight) < 0) return -1;
    int64_t m = ct_numel(indices);
    ct_tensor *flat = reshaped(indices, 1, &m), *idx = flat ? dense(flat, CT_INT64, 1, &m) : NULL;
    ct_xdecref(flat);
    if (!idx) return -1;
    ct_tensor *k[2] = {weight, idx};
    ct_scalar s[2] = {ct_scalar_f(max_norm), ct_scalar_f(norm_type)};
    int rc = run(CT_OP_embedding_renorm, k, 2, NULL, 0, s, 2, ct_device_of(weight));
    ct_decref(idx);
    if (rc == 0) ct_bump_version(weight);
    return rc;
}

/* the extreme value of t (is_max) or its least */
static int extreme(ct_tensor *t, bool is_max, int64_t *v) {
    ct_tensor *r = ct_reduce(is_max ? CT_RED_AMAX : CT_RED_AMIN, t, 0, NULL, false, CT_UNDEFINED);
    ct_scalar s;
    int rc = r ? ct_item(r, &s) : -1;
    ct_xdecref(r);
    if (rc == 0) *v = s.i;
    return rc;
}

ct_tensor *ct_one_hot(ct_tensor *t, int64_t num_classes) {
    if (t->dtype != CT_INT64)
        return ct_error_null(CT_ERR_RUNTIME, "one_hot is only applicable to index tensor of type LongTensor.");
    if (t->ndim + 1 > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "one_hot: too many dimensions");
    int64_t lo = 0, hi = 0, shape[CT_MAX_DIMS];
    if (ct_numel(t) == 0 && num_classes <= 0)
        return ct_error_null(CT_ERR_RUNTIME, "Can not infer total number of classes from empty tensor.");
    if (ct_numel(t) > 0) {
        if (extreme(t, false, &lo) < 0) return NULL;
        if (lo < 0) return ct_error_null(CT_ERR_RUNTIME, "Class values must be non-negative.");
        if (extreme(t, true, &hi) < 0) return NULL;
        if (num_classes == -1) num_classes = hi + 1;
        else if (hi >= num_classes) return ct_error_null(CT_ERR_RUNTIME, "Class values must be smaller than num_classes.");
    }
    memcpy(shape, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    shape[t->ndim] = num_classes;
    ct_tensor *out = ct_full(t->ndim + 1, shape, ct_scalar_i(0), CT_INT64, ct_device_of(t));
    ct_tensor *idx = out ? ct_unsqueeze(t, -1) : NULL, *one = idx ? ct_scalar_tensor(ct_scalar_i(1), CT_INT64, false) : NULL;
    ct_tensor *r = one ? ct_scatter(out, -1, idx, one, true, CT_SCATTER_SET, true) : NULL;
    ct_xdecref(out);
    ct_xdecref(idx);
    ct_xdecref(one);
    return r;
}

/* ============================ pad ============================ */

static const char *const pad_mode_names[] = {"constant", "reflect", "replicate", "circular"};

/* constant padding: negative pads crop; each side may remove at most what is there (narrow's check) */
static int check_constant_pad(const ct_tensor *in, int npad, const int64_t *pad) {
    for (int i = 0; i < npad / 2; i++) {
        int64_t size = in->sizes[in->ndim - 1 - i], l = pad[2 * i] < 0 ? pad[2 * i] : 0;
        int64_t r = pad[2 * i + 1] < 0 ? pad[2 * i + 1] : 0;
        if (size + l < 0 || size + l + r < 0) return ct_error(CT_ERR_RUNTIME, "narrow(): length must be non-negative.");
    }
    return 0;
}

/* reflect and replicate over k dims (1-3): PyTorch's checks of reflection_pad{k}d / replication_pad{k}d */
static int check_edge_pad(const ct_tensor *in, int k, const int64_t *pad, ct_pad_mode mode) {
    char a[256], kernel[32];
    snprintf(kernel, sizeof kernel, "%s_pad%dd", mode == CT_PAD_REFLECT ? "reflection" : "replication", k);
    if (in->dtype == CT_BOOL) return ct_error_kernel_dtype(kernel, in->dtype);
    bool batch = in->ndim == k + 2;
    for (int d = batch ? 1 : 0; d < in->ndim; d++)
        if (in->sizes[d] == 0)
            return ct_error(CT_ERR_RUNTIME, "Expected %dD or %dD (batch mode) tensor with possibly 0 batch size and "
                            "other non-zero dimensions for input, but got: %s", k + 1, k + 2,
                            ct_shape_str(in->ndim, in->sizes, a, 256));
    static const char *const dim_names[] = {"W", "H", "D"};
    for (int i = 0; i < k && mode == CT_PAD_REFLECT; i++) {   /* pad[2i], pad[2i + 1]: dim ndim - 1 - i */
        int d = in->ndim - 1 - i;
        if (pad[2 * i] >= in->sizes[d] || pad[2 * i + 1] >= in->sizes[d])
            return ct_error(CT_ERR_RUNTIME, "Argument #%d: Padding size should be less than the corresponding input "
                            "dimension, but got: padding (%lld, %lld) at dimension %d of input %s", 4 + 2 * i,
                            (long long)pad[2 * i], (long long)pad[2 * i + 1], d, ct_shape_str(in->ndim, in->sizes, a, 256));
    }
    bool small = false;
    char ins[96] = "", outs[96] = "";
    for (int i = k - 1; i >= 0; i--) {
        int64_t size = in->sizes[in->ndim - 1 - i], o = size + pad[2 * i] + pad[2 * i + 1];
        small |= o < 1;
        size_t li = strlen(ins), lo = strlen(outs);
        snprintf(ins + li, sizeof ins - li, "%s%s: %lld", i == k - 1 ? "" : ", ", dim_names[i], (long long)size);
        snprintf(outs + lo, sizeof outs - lo, "%s%s: %lld", i == k - 1 ? "" : " ", dim_names[i], (long long)o);
    }
    if (small) return ct_error(CT_ERR_RUNTIME, "input (%s) is too small. Calculated output %s", ins, outs);
    return 0;
}

static int check_circular_pad(const ct_tensor *in, int k, const int64_t *pad) {
    for (int i = 0; i < k; i++) {
        int64_t size = in->sizes[in->ndim - 1 - i];
        if (pad[2 * i] > size || pad[2 * i + 1] > size)
            return ct_error(CT_ERR_RUNTIME, "Padding value causes wrapping around more than once.");
        if (pad[2 * i] + pad[2 * i + 1] + size <= 0)
            return ct_error(CT_ERR_RUNTIME, "Negative padding value is resulting in an empty dimension");
    }
    return 0;
}

/* the pad kernel's ints {mode, k, (left, right) outermost padded dim first} and the output shape */
static ct_tensor *pad_values(ct_tensor *in, int k, const int64_t *pad, ct_pad_mode mode, double value, int64_t *ints) {
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, in->sizes, sizeof(int64_t) * (size_t)in->ndim);
    ints[0] = mode;
    ints[1] = k;
    for (int j = 0; j < k; j++) {   /* padded dim j (outermost first) takes pad[2 (k - 1 - j)], pad[...+1] */
        int i = k - 1 - j, d = in->ndim - k + j;
        ints[2 + 2 * j] = pad[2 * i];
        ints[3 + 2 * j] = pad[2 * i + 1];
        shape[d] += pad[2 * i] + pad[2 * i + 1];
    }
    ct_tensor *out = ct_empty(in->ndim, shape, in->dtype, ct_device_of(in));
    ct_scalar v = ct_scalar_f(value);
    ct_tensor *k2[2] = {out, in};
    if (out && run(CT_OP_pad, k2, 2, ints, 2 + 2 * k, &v, 1, ct_device_of(in)) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_pad(ct_tensor *input, int npad, const int64_t *pad, ct_pad_mode mode, double value, bool has_value) {
    if (npad % 2) return ct_error_null(CT_ERR_RUNTIME, "Padding length must be divisible by 2");
    if (npad > 2 * input->ndim)
        return ct_error_null(CT_ERR_RUNTIME, "Padding length should be less than or equal to two times the input "
                             "dimension but got padding length %d and input of dimension %d", npad, input->ndim);
    static const char *const names[4][3] = {
        {"ConstantPadNdBackward0", "ConstantPadNdBackward0", "ConstantPadNdBackward0"},
        {"ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0"},
        {"ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0"},
        {"CopySlices", "CopySlices", "CopySlices"}};   /* PyTorch's circular pad is a composite */
    int k = npad / 2;
    if (mode == CT_PAD_CONSTANT) {
        if (check_constant_pad(input, npad, pad) < 0) return NULL;
        if (input->ndim == 0) return ct_clone(input);
        static const int64_t none[2] = {0, 0};
        if (k == 0) k = 1, pad = none;   /* no padding: a copy */
    } else {
        if (has_value && value != 0)
            return ct_error_null(CT_ERR_RUNTIME, "Padding mode \"%s\" doesn't take in value argument", pad_mode_names[mode]);
        if (npad < 2 || npad > 6 || input->ndim < k + 1 || input->ndim > k + 2)
            return ct_error_null(CT_ERR_NOTIMPL, "Padding size %d is not supported for %dD input tensor.\nSupported "
                                 "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last "
                                 "dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D "
                                 "input: padding size = 6 (pads last 3 dimensions)", npad, input->ndim);
        if (mode == CT_PAD_CIRCULAR ? check_circular_pad(input, k, pad) < 0 : check_edge_pad(input, k, pad, mode) < 0)
            return NULL;
    }
    int64_t ints[2 + 2 * CT_MAX_DIMS];
    ct_tensor *out = pad_values(input, k, pad, mode, mode == CT_PAD_CONSTANT ? value : 0, ints);
    if (out && ct_record_op(CT_NODE_PAD, names[mode][k > 3 ? 0 : k - 1], 1, &input, out, 0, NULL, NULL, 0, ints, 2 + 2 * k) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

/* constant: the gradient cropped back (a pad by the negated pads, itself recorded); other modes:
 * the gradient added at each element's source */
static int pad_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    int k = (int)n->ints[1];
    if (n->ints[0] == CT_PAD_CONSTANT) {
        int64_t back[2 * CT_MAX_DIMS];
        for (int j = 0; j < k; j++) back[2 * (k - 1 - j)] = -n->ints[2 + 2 * j], back[2 * (k - 1 - j) + 1] = -n->ints[3 + 2 * j];
        gi[0] = ct_pad(g, 2 * k, back, CT_PAD_CONSTANT, 0, false);
        return gi[0] ? 0 : -1;
    }
    const ct_shape *in = &n->in_shape[0];
    ct_tensor *k2[2] = {ct_empty(in->ndim, in->sizes, g->dtype, ct_device_of(g)), ct_contiguous(g)};
    int rc = k2[0] && k2[1] ? run(CT_OP_pad_backward, k2, 2, n->ints, n->nints, NULL, 0, ct_device_of(g)) : -1;
    if (rc == 0) gi[0] = k2[0];
    else ct_xdecref(k2[0]);
    ct_xdecref(k2[1]);
    return rc;
}

/* ============================ interpolate ============================ */

/* "(H: 4, W: 4)" of k sizes, with sep between the entries */
static char *spatial_str(int k, const int64_t *sizes, char *buf, size_t len) {
    static const char *const dims[] = {"D", "H", "W"};
    buf[0] = 0;
    for (int j = 0; j < k; j++) {
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s: %lld", j ? ", " : "(", dims[3 - k + j], (long long)sizes[j]);
    }
    size_t at = strlen(buf);
    snprintf(buf + at, len - at, ")");
    return buf;
}

static int check_upsample(const ct_tensor *in, ct_upsample_mode mode, int k, const int64_t *out_size) {
    char a[128], b[128];
    bool bad = false;
    for (int j = 0; j < k; j++) bad |= in->sizes[2 + j] <= 0 || out_size[j] <= 0;
    if (bad)
        return ct_error(CT_ERR_RUNTIME, "Input and output sizes should be greater than 0, but got input %s%s output %s",
                        spatial_str(k, in->sizes + 2, a, sizeof a), k == 1 ? " and" : "",
                        spatial_str(k, out_size, b, sizeof b));
    if (in->sizes[1] == 0)
        return ct_error(CT_ERR_RUNTIME, "Non-empty %dD data tensor expected but got a tensor with sizes %s", k + 2,
                        ct_shape_str(in->ndim, in->sizes, a, sizeof a));
    bool nearest = mode == CT_UPSAMPLE_NEAREST || mode == CT_UPSAMPLE_NEAREST_EXACT;
    if (ct_is_floating(in->dtype) || (nearest && in->dtype == CT_UINT8)) return 0;
    static const char *const kernels[] = {[CT_UPSAMPLE_NEAREST] = "compute_indices_weights_nearest",
                                          [CT_UPSAMPLE_NEAREST_EXACT] = "compute_indices_weights_nearest",
                                          [CT_UPSAMPLE_LINEAR] = "compute_indices_weights_linear",
                                          [CT_UPSAMPLE_CUBIC] = "compute_indices_weights_cubic"};
    const char *kernel = kernels[mode];
    if (k == 2 && mode != CT_UPSAMPLE_CUBIC)
        kernel = nearest ? "upsample_nearest2d_channels_last" : "upsample_bilinear2d_channels_last";
    return ct_error_kernel_dtype(kernel, in->dtype);
}

/* PyTorch's grad_fn name of a mode over k dims */
static const char *upsample_name(ct_upsample_mode mode, int k) {
    static const char *const names[4][3] = {
        {"UpsampleNearest1DBackward0", "UpsampleNearest2DBackward0", "UpsampleNearest3DBackward0"},
        {"UpsampleNearestExact1DBackward0", "UpsampleNearestExact2DBackward0", "UpsampleNearestExact3DBackward0"},
        {"UpsampleLinear1DBackward0", "UpsampleBilinear2DBackward0", "UpsampleTrilinear3DBackward0"},
        {"UpsampleBicubic1DBackward0", "UpsampleBicubic2DBackward0", "UpsampleBicubic3DBackward0"}};
    return names[mode][k - 1];
}

ct_tensor *ct_upsample(ct_tensor *input, ct_upsample_mode mode, int k, const int64_t *out_size, const double *scales,
                       bool align_corners) {
    if (k < 1 || k > 3 || input->ndim != k + 2)
        return ct_error_null(CT_ERR_RUNTIME, "interpolate: expected a %dD input", k + 2);
    if (check_upsample(input, mode, k, out_size) < 0) return NULL;
    int64_t shape[5] = {input->sizes[0], input->sizes[1]};
    memcpy(shape + 2, out_size, sizeof(int64_t) * (size_t)k);
    ct_tensor *out = ct_empty(k + 2, shape, input->dtype, ct_device_of(input)), *k2[2] = {out, input};
    /* ints {mode, align_corners, k, the scales as bits}: the node keeps doubles in its integers */
    int64_t ints[6] = {mode, align_corners, k};
    ct_scalar s[3];
    for (int j = 0; j < k; j++) {
        s[j] = ct_scalar_f(scales[j]);
        memcpy(&ints[3 + j], &scales[j], sizeof(double));
    }
    if (out && run(CT_OP_upsample, k2, 2, ints, 3, s, k, ct_device_of(input)) < 0) {
        ct_decref(out);
        return NULL;
    }
    if (out && ct_record_op(CT_NODE_UPSAMPLE, upsample_name(mode, k), 1, &input, out, 0, NULL, NULL, 0, ints, 3 + k) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

static int upsample_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    const ct_shape *in = &n->in_shape[0];
    ct_scalar s[3];
    for (int j = 0; j < n->ints[2]; j++) {
        double v;
        memcpy(&v, &n->ints[3 + j], sizeof(double));
        s[j] = ct_scalar_f(v);
    }
    ct_tensor *k2[2] = {ct_empty(in->ndim, in->sizes, g->dtype, ct_device_of(g)), ct_contiguous(g)};
    int rc = k2[0] && k2[1] ? run(CT_OP_upsample_backward, k2, 2, n->ints, 3, s, (int)n->ints[2], ct_device_of(g)) : -1;
    if (rc == 0) gi[0] = k2[0];
    else ct_xdecref(k2[0]);
    ct_xdecref(k2[1]);
    return rc;
}

/* ============================ backward ============================ */

int ct_nn_loss_backward(const ct_node *n, ct_tensor *grad, ct_tensor **grads) {
    /* the kernels' gradients have no history: under create_graph a second derivative through them would be
     * silently 0. Refused, unless the gradient is linear in grad alone (embedding, pad, upsample, plain nll)
     * and grad has no history either; a constant pad's gradient is a recorded pad itself. */
    bool linear = n->kind == CT_NODE_EMBEDDING || n->kind == CT_NODE_PAD || n->kind == CT_NODE_UPSAMPLE ||
                  (n->kind == CT_NODE_NLL_LOSS && !n->ints[2]);
    bool constant_pad = n->kind == CT_NODE_PAD && n->ints[0] == CT_PAD_CONSTANT;
    if (ct_grad_enabled() && !constant_pad && (!linear || ct_requires_grad(grad)))
        return ct_error(CT_ERR_NOTIMPL, "ctorch: double backward through %s is not supported", n->name);
    switch (n->kind) {
    case CT_NODE_NLL_LOSS: return class_loss_backward(n, grad, grads);
    case CT_NODE_CROSS_ENTROPY_PROB: return prob_loss_backward(n, grad, grads);
    case CT_NODE_POINTWISE_LOSS: return pointwise_loss_backward(n, grad, grads);
    case CT_NODE_EMBEDDING: return embedding_backward(n, grad, grads);
    case CT_NODE_PAD: return pad_backward(n, grad, grads);
    case CT_NODE_UPSAMPLE: return upsample_backward(n, grad, grads);
    default: return ct_error(CT_ERR_RUNTIME, "ct_nn_loss_backward: not a node of the loss family");
    }
}
