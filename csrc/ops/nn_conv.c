/* Convolutions (conv1d, conv2d, conv_transpose1d/2d, torch.convolution):
 * PyTorch's checks in its order and words, the output shape, and the
 * kernels of cpu/nn_conv.c on contiguous NCHW operands (1-d ones viewed
 * with a height of 1; float16 and bfloat16 computed in float32). The
 * gradient (ConvolutionBackward0) uses the same three kernels: a
 * convolution's input gradient is the transposed convolution of the output
 * gradient, and the other way round. */
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* the kernels' integer parameters */
enum { P_SH, P_SW, P_PH, P_PW, P_DH, P_DW, P_GROUPS, P_N };

/* C++'s name of a dtype, as PyTorch's bias message prints it */
static const char *cpp_type_name(ct_dtype d) {
    static const char *const names[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short int", "int",
                                                     "long int", "c10::Half", "c10::BFloat16", "float", "double"};
    return names[d];
}

static char *list_str(const int64_t *v, int n, char *buf, int len) { return ct_shape_str(n, v, buf, len); }

/* one value per spatial dim from a list of 1 or dim values */
static int expand_param(const ct_int_list *l, const char *what, int dim, int64_t *out) {
    if (l->n != 1 && l->n != dim) {
        char b[256];
        return ct_error(CT_ERR_RUNTIME, "expected %s to be a single integer value or a list of %d values to match the "
                        "convolution dimensions, but got %s=%s", what, dim, what, list_str(l->v, l->n, b, 256));
    }
    for (int i = 0; i < dim; i++) out[i] = l->v[l->n == 1 ? 0 : i];
    return 0;
}

/* padding='same': half the dilated kernel before, the rest after (extra: one more zero after, when odd) */
static int same_padding(const ct_tensor *x, const ct_tensor *w, const ct_conv_opts *o, ct_int_list *pad,
                        int64_t *extra) {
    char bw[256], bx[256];
    if (w->ndim < 3) return ct_error(CT_ERR_RUNTIME, "weight should have at least three dimensions");
    if (o->groups <= 0) return ct_error(CT_ERR_RUNTIME, "non-positive groups is not supported");
    int dim = w->ndim - 2;
    if (w->ndim != x->ndim)
        return ct_error(CT_ERR_RUNTIME, "Expected %d-dimensional input for %d-dimensional weight%s, but got "
                        "%d-dimensional input of size %s instead", w->ndim, w->ndim,
                        ct_shape_str(w->ndim, w->sizes, bw, 256), x->ndim, ct_shape_str(x->ndim, x->sizes, bx, 256));
    if (o->stride.n != dim && o->stride.n != 1)
        return ct_error(CT_ERR_RUNTIME, "stride cannot broadcast to %d dimensions", dim);
    if (o->dilation.n != dim && o->dilation.n != 1)
        return ct_error(CT_ERR_RUNTIME, "dilation cannot broadcast to %d dimensions", dim);
    for (int i = 0; i < o->stride.n; i++)
        if (o->stride.v[i] != 1)
            return ct_error(CT_ERR_RUNTIME, "padding='same' is not supported for strided convolutions");
    pad->n = dim;
    for (int i = 0; i < dim; i++) {
        int64_t total = o->dilation.v[o->dilation.n == 1 ? 0 : i] * (w->sizes[2 + i] - 1);
        pad->v[i] = total / 2;
        extra[i] = total - 2 * pad->v[i];
    }
    return 0;
}

/* everything PyTorch's _convolution checks about shapes, after the parameters are expanded */
static int check_shapes(const ct_tensor *x, const ct_tensor *w, const ct_tensor *b, const ct_conv_opts *o, int dim,
                        const int64_t *pad, const int64_t *extra) {
    char bw[256], bx[256], bb[256];
    int64_t G = o->groups;
    ct_shape_str(w->ndim, w->sizes, bw, 256);
    ct_shape_str(x->ndim, x->sizes, bx, 256);
    if (w->ndim != x->ndim)
        return ct_error(CT_ERR_RUNTIME, "Expected %d-dimensional input for %d-dimensional weight %s, but got "
                        "%d-dimensional input of size %s instead", w->ndim, w->ndim, bw, x->ndim, bx);
    if (w->sizes[0] < G)
        return ct_error(CT_ERR_RUNTIME, "Given groups=%lld, expected weight to be at least %lld at dimension 0, but "
                        "got weight of size %s instead", (long long)G, (long long)G, bw);
    if (w->sizes[0] % G)
        return ct_error(CT_ERR_RUNTIME, "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                        "but got weight of size [%s] instead", (long long)G, (long long)G, bw);
    if (o->transposed) {
        if (x->sizes[1] != w->sizes[0])
            return ct_error(CT_ERR_RUNTIME, "Given transposed=1, weight of size %s, expected input%s to have %lld "
                            "channels, but got %lld channels instead", bw, bx, (long long)w->sizes[0],
                            (long long)x->sizes[1]);
        if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[1] * G))
            return ct_error(CT_ERR_RUNTIME, "Given transposed=1, weight of size %s, expected bias to be 1-dimensional "
                            "with %lld elements, but got bias of size %s instead", bw, (long long)(w->sizes[1] * G),
                            ct_shape_str(b->ndim, b->sizes, bb, 256));
        return 0;
    }
    if (x->sizes[1] != w->sizes[1] * G)
        return ct_error(CT_ERR_RUNTIME, "Given groups=%lld, weight of size %s, expected input%s to have %lld channels, "
                        "but got %lld channels instead", (long long)G, bw, bx, (long long)(w->sizes[1] * G),
                        (long long)x->sizes[1]);
    if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[0]))
        return ct_error(CT_ERR_RUNTIME, "Given weight of size %s, expected bias to be 1-dimensional with %lld elements, "
                        "but got bias of size %s instead", bw, (long long)w->sizes[0],
                        ct_shape_str(b->ndim, b->sizes, bb, 256));
    int64_t padded[CT_MAX_DIMS], kernel[CT_MAX_DIMS];
    bool fits = true;
    for (int i = 0; i < dim; i++) {
        padded[i] = x->sizes[2 + i] + 2 * pad[i] + extra[i];
        kernel[i] = o->dilation.v[o->dilation.n == 1 ? 0 : i] * (w->sizes[2 + i] - 1) + 1;
        fits = fits && padded[i] >= kernel[i];
    }
    if (fits) return 0;
    char bp[256] = "", bk[256] = "";
    for (int i = 0; i < dim; i++) {
        snprintf(bp + strlen(bp), sizeof bp - strlen(bp), "%s%lld", i ? " x " : "", (long long)padded[i]);
        snprintf(bk + strlen(bk), sizeof bk - strlen(bk), "%s%lld", i ? " x " : "", (long long)kernel[i]);
    }
    return ct_error(CT_ERR_RUNTIME, "Calculated padded input size per channel: (%s). Kernel size: (%s). Kernel size "
                    "can't be greater than actual input size", bp, bk);
}

/* output_padding of a transposed convolution must be below the stride or the dilation */
static int check_output_padding(int dim, const int64_t *st, const int64_t *dil, const int64_t *op) {
    bool ok = true;
    for (int i = 0; i < dim; i++) ok = ok && (op[i] < st[i] || op[i] < dil[i]);
    if (ok) return 0;
    int h = dim == 1 ? -1 : 0, w = dim - 1;   /* 1-d: PyTorch checks it as 2-d with a height of 1 */
    return ct_error(CT_ERR_RUNTIME, "output padding must be smaller than either stride or dilation, but got "
                    "output_padding_height: %lld output_padding_width: %lld stride_height: %lld stride_width: %lld "
                    "dilation_height: %lld dilation_width: %lld", (long long)(h < 0 ? 0 : op[h]), (long long)op[w],
                    (long long)(h < 0 ? 1 : st[h]), (long long)st[w], (long long)(h < 0 ? 1 : dil[h]),
                    (long long)dil[w]);
}

static int check_dtypes(const ct_tensor *x, const ct_tensor *w, const ct_conv_opts *o) {
    if (w->dtype != x->dtype) {
        if (ct_is_floating(x->dtype))
            return ct_error(CT_ERR_RUNTIME, "Input type (torch.%sTensor) and weight type (torch.%sTensor) should be "
                            "the same or input should be a MKLDNN tensor and weight is a dense tensor",
                            ct_dtype_infos[x->dtype].legacy, ct_dtype_infos[w->dtype].legacy);
        return ct_error(CT_ERR_RUNTIME, "expected scalar type %s but found %s", ct_dtype_infos[x->dtype].legacy,
                        ct_dtype_infos[w->dtype].legacy);
    }
    return 0;
}

/* t contiguous, in the dtype the kernels compute in (float32 for float16 and bfloat16); a 1-d
 * operand (3-D) viewed 4-D with a height of 1 */
static ct_tensor *kernel_operand(ct_tensor *t) {
    ct_dtype d = t->dtype == CT_FLOAT16 || t->dtype == CT_BFLOAT16 ? CT_FLOAT32 : t->dtype;
    ct_tensor *c = ct_to_dtype(t, d, false), *r = c ? ct_contiguous(c) : NULL;
    ct_xdecref(c);
    if (!r || r->ndim != 3) return r;
    int64_t s[4] = {r->sizes[0], r->sizes[1], 1, r->sizes[2]};
    ct_tensor *v = ct_view(r, 4, s);
    ct_decref(r);
    return v;
}

/* run kernel op writing a new tensor of `sizes` (4-D, the operands' compute dtype) from a, b and c
 * (c may be NULL), then shaped as `like` (ndim and sizes) in dtype */
static ct_tensor *run_conv_kernel(int op, const int64_t *sizes, ct_tensor *a, ct_tensor *b, ct_tensor *c,
                                  const int64_t *ints, int ndim, ct_dtype dtype) {
    ct_tensor *ka = kernel_operand(a), *kb = ka ? kernel_operand(b) : NULL, *kc = kb && c ? kernel_operand(c) : NULL;
    ct_tensor *out = kb && (kc || !c) ? ct_empty(4, sizes, ka->dtype, ct_device_of(a)) : NULL;
    if (out && ct_numel(out) > 0) {
        ct_tensor *ts[4] = {out, ka, kb, kc};
        ct_kernel_args args = {.op = op, .tensors = ts, .ntensors = kc ? 4 : 3, .ints = ints, .nints = P_N};
        if (ct_dispatch(ct_device_of(a), &args) < 0) {
            ct_decref(out);
            out = NULL;
        }
    }
    ct_xdecref(ka);
    ct_xdecref(kb);
    ct_xdecref(kc);
    if (!out) return NULL;
    int64_t shape[4] = {sizes[0], sizes[1], sizes[2], sizes[3]};
    if (ndim == 3) shape[2] = sizes[3];
    ct_tensor *v = ndim == 4 ? ct_incref(out) : ct_view(out, 3, shape);
    ct_decref(out);
    ct_tensor *r = v ? ct_to_dtype(v, dtype, false) : NULL;
    ct_xdecref(v);
    return r;
}

/* the kernels' parameters from per-dim ones (1-d: height stride 1, padding 0, dilation 1) */
static void kernel_ints(int dim, const int64_t *st, const int64_t *pad, const int64_t *dil, int64_t groups,
                        int64_t *ints) {
    int h = dim == 1 ? -1 : 0, w = dim - 1;
    ints[P_SH] = h < 0 ? 1 : st[h];
    ints[P_SW] = st[w];
    ints[P_PH] = h < 0 ? 0 : pad[h];
    ints[P_PW] = pad[w];
    ints[P_DH] = h < 0 ? 1 : dil[h];
    ints[P_DW] = dil[w];
    ints[P_GROUPS] = groups;
}

/* 4-D sizes of a tensor shaped (N, C, spatial...) with dim spatial dims */
static void sizes4(int dim, int64_t n, int64_t c, const int64_t *sp, int64_t *s) {
    s[0] = n;
    s[1] = c;
    s[2] = dim == 1 ? 1 : sp[0];
    s[3] = sp[dim - 1];
}

/* out (batched input): shapes checked, computed, recorded */
static ct_tensor *conv_batched(ct_tensor *x, ct_tensor *w, ct_tensor *b, const ct_conv_opts *o) {
    if (b && b->dtype != x->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "Input type (%s) and bias type (%s) should be the same",
                             cpp_type_name(x->dtype), cpp_type_name(b->dtype));
    ct_int_list padding = o->padding;
    int64_t extra[CT_MAX_DIMS] = {0};
    if (o->padding_mode == CT_CONV_PAD_SAME && same_padding(x, w, o, &padding, extra) < 0) return NULL;
    if (o->padding_mode == CT_CONV_PAD_VALID) padding = (ct_int_list){.v = {0}, .n = 1};
    if (w->ndim < 3) return ct_error_null(CT_ERR_RUNTIME, "weight should have at least three dimensions");
    if (o->groups <= 0) return ct_error_null(CT_ERR_RUNTIME, "non-positive groups is not supported");
    int dim = w->ndim - 2;
    int64_t st[CT_MAX_DIMS], pad[CT_MAX_DIMS], dil[CT_MAX_DIMS], op[CT_MAX_DIMS];
    if (expand_param(&o->stride, "stride", dim, st) < 0 || expand_param(&padding, "padding", dim, pad) < 0 ||
        expand_param(&o->dilation, "dilation", dim, dil) < 0 ||
        expand_param(&o->output_padding, "output_padding", dim, op) < 0)
        return NULL;
    for (int i = 0; i < dim; i++) {
        if (pad[i] < 0) return ct_error_null(CT_ERR_RUNTIME, "negative padding is not supported");
        if (op[i] < 0) return ct_error_null(CT_ERR_RUNTIME, "negative output_padding is not supported");
        if (st[i] <= 0) return ct_error_null(CT_ERR_RUNTIME, "non-positive stride is not supported");
        if (dil[i] < 0) return ct_error_null(CT_ERR_RUNTIME, "dilation should be greater than zero");
    }
    if (check_shapes(x, w, b, o, dim, pad, extra) < 0) return NULL;
    if (o->transposed && check_output_padding(dim, st, dil, op) < 0) return NULL;
    if (check_dtypes(x, w, o) < 0) return NULL;
    for (int i = 0; i < dim; i++)
        if (dil[i] <= 0) return ct_error_null(CT_ERR_RUNTIME, "non-positive dilation is not supported");
    if (dim > 2)
        return ct_error_null(CT_ERR_NOTIMPL, "ctorch: convolutions over %d spatial dims are not implemented", dim);
    if (x->dtype == CT_BOOL || (o->transposed && !ct_is_floating(x->dtype) && x->dtype != CT_INT64)) {
        ct_error_kernel_dtype(o->transposed ? "slow_conv_transpose2d_out_cpu" : "slow_conv2d_cpu", x->dtype);
        return NULL;
    }
    int64_t osp[2], in_sp[2] = {x->sizes[2], x->sizes[dim + 1]};
    for (int i = 0; i < dim; i++) {
        int64_t k = w->sizes[2 + i];
        osp[i] = o->transposed ? (in_sp[i] - 1) * st[i] - 2 * pad[i] + dil[i] * (k - 1) + op[i] + 1
                               : (in_sp[i] + 2 * pad[i] + extra[i] - dil[i] * (k - 1) - 1) / st[i] + 1;
    }
    if (osp[0] <= 0 || osp[dim - 1] <= 0) {   /* 1-d: PyTorch's message shows the height of 1 */
        int64_t h_in = dim == 1 ? 1 : in_sp[0], h_out = dim == 1 ? 1 : osp[0];
        return ct_error_null(CT_ERR_RUNTIME, "Given input size per channel: (%lld x %lld). Calculated output size per "
                             "channel: (%lld x %lld). Output size is too small", (long long)h_in,
                             (long long)in_sp[dim - 1], (long long)h_out, (long long)osp[dim - 1]);
    }
    int64_t ints[P_N], out4[4];
    kernel_ints(dim, st, pad, dil, o->groups, ints);
    int64_t out_c = o->transposed ? w->sizes[1] * o->groups : w->sizes[0];
    sizes4(dim, x->sizes[0], out_c, osp, out4);
    if (!o->transposed && w->sizes[1] == 0) out4[1] = 0;   /* no input channels: PyTorch's output has none either */
    ct_tensor *out = run_conv_kernel(o->transposed ? CT_OP_conv_transpose2d : CT_OP_conv2d, out4, x, w, b, ints,
                                     dim + 2, x->dtype);
    if (!out) return NULL;
    int64_t rec[2 + P_N] = {dim, o->transposed};
    memcpy(rec + 2, ints, sizeof ints);
    ct_tensor *ins[3] = {x, w, b}, *save[2] = {x, w};
    if (ct_record_op(CT_NODE_CONV, "ConvolutionBackward0", 3, ins, out, 2, save, NULL, 0, rec, 2 + P_N) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_convolution(ct_tensor *input, ct_tensor *weight, ct_tensor *bias, const ct_conv_opts *o) {
    bool unbatched = false;
    if (o->name) {
        int s = o->spatial;
        if (input->ndim != s + 1 && input->ndim != s + 2) {
            char b[256];
            return ct_error_null(CT_ERR_RUNTIME, "Expected %dD (unbatched) or %dD (batched) input to %s, but got input "
                                 "of size: %s", s + 1, s + 2, o->name, ct_shape_str(input->ndim, input->sizes, b, 256));
        }
        unbatched = input->ndim == s + 1;
    }
    ct_tensor *x = unbatched ? ct_unsqueeze(input, 0) : ct_incref(input);
    ct_tensor *out = x ? conv_batched(x, weight, bias, o) : NULL;
    ct_xdecref(x);
    if (!out || !unbatched) return out;
    int64_t zero = 0;
    ct_tensor *r = ct_squeeze(out, 1, &zero);
    ct_decref(out);
    return r;
}

/* ConvolutionBackward0: with x the input and w the weight of y = conv(x, w),
 * dx = conv_transpose(dy, w), dw = the weight kernel on (x, dy), db = dy summed
 * over all dims but the channels; a transposed convolution swaps the roles
 * of its input and output */
static void conv_grads(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *x = n->saved[0], *w = n->saved[1];
    int dim = (int)n->ints[0];
    bool transposed = n->ints[1] != 0;
    const int64_t *ints = n->ints + 2;
    ct_tensor *img = transposed ? g : x, *cols = transposed ? x : g;   /* the two sides of the kernels */
    int64_t img4[4], cols4[4], w4[4];
    sizes4(dim, img->sizes[0], img->sizes[1], img->sizes + 2, img4);
    sizes4(dim, cols->sizes[0], cols->sizes[1], cols->sizes + 2, cols4);
    sizes4(dim, w->sizes[0], w->sizes[1], w->sizes + 2, w4);
    if (n->next[0].node)
        gi[0] = transposed ? run_conv_kernel(CT_OP_conv2d, cols4, g, w, NULL, ints, x->ndim, x->dtype)
                           : run_conv_kernel(CT_OP_conv_transpose2d, img4, g, w, NULL, ints, x->ndim, x->dtype);
    if (n->next[1].node && (!n->next[0].node || gi[0])) {
        bool empty = ct_numel(img) == 0 || ct_numel(cols) == 0;
        gi[1] = empty ? ct_full(w->ndim, w->sizes, ct_scalar_i(0), w->dtype, ct_device_of(w))
                      : run_conv_kernel(CT_OP_conv_weight_grad, w4, img, cols, NULL, ints, w->ndim, w->dtype);
    }
    if (n->next[2].node && (!n->next[1].node || gi[1]) && (!n->next[0].node || gi[0])) {
        int64_t dims[CT_MAX_DIMS] = {0, 2, 3};
        gi[2] = ct_numel(g) == 0 ? ct_full(1, n->in_shape[2].sizes, ct_scalar_i(0), g->dtype, ct_device_of(g))
                                 : ct_reduce(CT_RED_SUM, g, g->ndim - 1, dims, false, CT_UNDEFINED);
    }
}

static int conv_backward(const ct_node *n, ct_tensor *grad, ct_tensor **gi) {
    ct_tensor *g = ct_contiguous(grad);   /* once, for both kernels (sum().backward() gives an expanded one) */
    if (!g) return -1;
    conv_grads(n, g, gi);
    ct_decref(g);
    for (int i = 0; i < 3; i++)
        if (n->next[i].node && !gi[i]) {
            for (int j = 0; j < 3; j++) ct_xdecref(gi[j]), gi[j] = NULL;
            return -1;
        }
    return 0;
}

/* Under create_graph, the gradients the kernels computed here are not differentiable again: each gets
 * a CT_NODE_NN_ONCE node, whose backward raises (not implemented), so that a second derivative through
 * a convolution or pooling fails loudly instead of coming out silently zero. */
static int mark_once(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *ins[3] = {g, n->nsaved > 0 ? n->saved[0] : NULL, n->nsaved > 1 ? n->saved[1] : NULL};
    const char *name = n->kind == CT_NODE_CONV       ? "ConvolutionBackwardBackward0"
                       : n->kind == CT_NODE_MAX_POOL ? "MaxPool2DWithIndicesBackwardBackward0"
                                                     : "AvgPool2DBackwardBackward0";
    for (int i = 0; i < n->nnext; i++)
        if (gi[i] && ct_record_op(CT_NODE_NN_ONCE, name, 3, ins, gi[i], 0, NULL, NULL, 0, NULL, 0) < 0) return -1;
    return 0;
}

int ct_nn_conv_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    int rc = n->kind == CT_NODE_CONV ? conv_backward(n, g, gi) : ct_pool_backward(n, g, gi);
    if (rc == 0 && mark_once(n, g, gi) < 0) {
        for (int i = 0; i < n->nnext; i++) ct_xdecref(gi[i]), gi[i] = NULL;
        return -1;
    }
    return rc;
}
