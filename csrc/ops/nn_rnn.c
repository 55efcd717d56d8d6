/* Recurrent layers: one RNN / LSTM / GRU layer and direction over a packed
 * sequence (ct_rnn_layer in ct_ops.h). The caller (ctorch/nn/_functional/
 * rnn.py) projects the input of all steps with one GEMM; here the operands
 * are checked, the weights and initial states packed into one vector each
 * (recorded cats, so their gradients flow back), and the backend runs the
 * recurrence. Outputs are views of one result, so one node (CT_NODE_RNN)
 * takes the gradient of all of them and backpropagates through time. */
#include <stdio.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* "rnn_layer: expected <what> of shape (a, b), got [..]" unless t is 2-D (a, b) (b < 0: any) */
static int check_2d(const char *what, const ct_tensor *t, int64_t a, int64_t b) {
    if (t->ndim == 2 && t->sizes[0] == a && (b < 0 || t->sizes[1] == b)) return 0;
    char s[256];
    return ct_error(CT_ERR_RUNTIME, "rnn_layer: expected %s of shape (%lld, %lld), got %s", what, (long long)a,
                    (long long)b, ct_shape_str(t->ndim, t->sizes, s, 256));
}

static int check_dtype(const char *what, const ct_tensor *t, ct_dtype d) {
    if (t->dtype == d) return 0;
    return ct_error(CT_ERR_RUNTIME, "rnn_layer: expected %s to have dtype %s, got %s", what, ct_dtype_name(d),
                    ct_dtype_name(t->dtype));
}

/* batch_sizes: int64, 1-D, non-increasing, at most B, summing to N */
static int check_batch_sizes(const ct_tensor *bs, int64_t B, int64_t N) {
    if (bs->dtype != CT_INT64 || bs->ndim != 1 || ct_device_of(bs).type != CT_DEV_CPU)
        return ct_error(CT_ERR_RUNTIME, "rnn_layer: batch_sizes should be a 1D CPU int64 tensor");
    int64_t sum = 0, prev = B;
    for (int64_t t = 0; t < bs->sizes[0]; t++) {
        int64_t v = *(const int64_t *)(ct_data(bs) + t * bs->strides[0] * 8);
        if (v < 0 || v > prev)
            return ct_error(CT_ERR_RUNTIME, "rnn_layer: batch_sizes must be non-increasing, between 0 and the batch "
                            "size %lld", (long long)B);
        prev = v;
        sum += v;
    }
    if (sum != N)
        return ct_error(CT_ERR_RUNTIME, "rnn_layer: batch_sizes sum to %lld, but the input has %lld rows",
                        (long long)sum, (long long)N);
    return 0;
}

/* the checks of ct_rnn_layer; H and R out */
static int check_layer(ct_rnn_mode mode, const ct_tensor *xw, const ct_tensor *bs, const ct_tensor *w_hh,
                       const ct_tensor *b_hh, const ct_tensor *w_hr, const ct_tensor *h0, const ct_tensor *c0,
                       int64_t *H, int64_t *R) {
    if (mode < CT_RNN_TANH || mode > CT_RNN_GRU) return ct_error(CT_ERR_VALUE, "rnn_layer: unknown mode %d", mode);
    if (xw->dtype != CT_FLOAT32 && xw->dtype != CT_FLOAT64) return ct_error_kernel_dtype("rnn_layer", xw->dtype);
    int G = ct_rnn_gates(mode);
    if (w_hh->ndim != 2 || w_hh->sizes[0] % G != 0 || w_hh->sizes[0] == 0)
        return ct_error(CT_ERR_RUNTIME, "rnn_layer: w_hh should be 2-D with a multiple of %d rows", G);
    *H = w_hh->sizes[0] / G;
    *R = w_hh->sizes[1];
    if ((w_hr && mode != CT_RNN_LSTM) || (c0 != NULL) != (mode == CT_RNN_LSTM))
        return ct_error(CT_ERR_RUNTIME, "rnn_layer: w_hr is for an LSTM only, and c0 for an LSTM always");
    if (xw->ndim != 2) return ct_error(CT_ERR_RUNTIME, "rnn_layer: expected a 2-D xw");
    int64_t B = h0->ndim == 2 ? h0->sizes[0] : 0;
    const ct_tensor *ts[6] = {xw, w_hh, b_hh, w_hr, h0, c0};
    const char *names[6] = {"xw", "w_hh", "b_hh", "w_hr", "h0", "c0"};
    for (int i = 1; i < 6; i++)
        if (ts[i] && check_dtype(names[i], ts[i], xw->dtype) < 0) return -1;
    if (check_2d("xw", xw, xw->sizes[0], G * *H) < 0 || (!w_hr && *R != *H && check_2d("w_hh", w_hh, G * *H, *H) < 0) ||
        (w_hr && check_2d("w_hr", w_hr, *R, *H) < 0) || check_2d("h0", h0, B, *R) < 0 ||
        (c0 && check_2d("c0", c0, B, *H) < 0))
        return -1;
    if (b_hh && (b_hh->ndim != 1 || b_hh->sizes[0] != G * *H))
        return ct_error(CT_ERR_RUNTIME, "rnn_layer: expected b_hh of size %lld", (long long)(G * *H));
    return check_batch_sizes(bs, B, xw->sizes[0]);
}

/* the 1-D concatenation of the present tensors, flattened (recorded) */
static ct_tensor *packed(int n, ct_tensor *const *ts) {
    ct_tensor *flat[3] = {NULL};
    int k = 0;
    bool ok = true;
    for (int i = 0; i < n && ok; i++)
        if (ts[i]) ok = (flat[k++] = ct_flatten(ts[i], 0, -1)) != NULL;
    ct_tensor *r = ok ? ct_cat(k, flat, 0) : NULL;
    for (int i = 0; i < k; i++) ct_xdecref(flat[i]);
    return r;
}

/* part [at, at + rows * cols) of res as a (rows, cols) view */
static ct_tensor *part(ct_tensor *res, int64_t at, int64_t rows, int64_t cols) {
    ct_tensor *flat = ct_narrow(res, 0, at, rows * cols);
    int64_t shape[2] = {rows, cols};
    ct_tensor *r = flat ? ct_view(flat, 2, shape) : NULL;
    ct_xdecref(flat);
    return r;
}

int ct_rnn_layer(ct_rnn_mode mode, ct_tensor *xw, ct_tensor *batch_sizes, ct_tensor *w_hh, ct_tensor *b_hh,
                 ct_tensor *w_hr, ct_tensor *h0, ct_tensor *c0, bool reverse, ct_tensor **outs) {
    int64_t H = 0, R = 0;
    outs[0] = outs[1] = outs[2] = NULL;
    if (check_layer(mode, xw, batch_sizes, w_hh, b_hh, w_hr, h0, c0, &H, &R) < 0) return -1;
    int64_t N = xw->sizes[0], B = h0->sizes[0], nc = c0 ? B * H : 0, total = N * R + B * R + nc;
    int64_t ints[7] = {mode, reverse, H, R, b_hh != NULL, B, w_hr != NULL};
    int64_t wshape[2] = {N, ct_rnn_work_width(mode, H, R)};
    ct_tensor *pw[3] = {w_hh, b_hh, w_hr}, *ps[2] = {h0, c0};
    ct_tensor *x = ct_contiguous(xw), *bs = ct_contiguous(batch_sizes), *params = packed(3, pw), *state = packed(2, ps);
    ct_tensor *res = ct_empty(1, &total, xw->dtype, ct_device_of(xw)), *work = ct_empty(2, wshape, xw->dtype,
                                                                                         ct_device_of(xw));
    int rc = x && bs && params && state && res && work ? 0 : -1;
    if (rc == 0) {
        ct_tensor *ts[6] = {res, work, x, bs, params, state};
        ct_kernel_args args = {.op = CT_OP_rnn_layer, .tensors = ts, .ntensors = 6, .ints = ints, .nints = 7};
        rc = ct_dispatch(ct_device_of(xw), &args);
    }
    ct_tensor *inputs[3] = {x, params, state}, *saved[3] = {params, work, bs};
    if (rc == 0) rc = ct_record_op(CT_NODE_RNN, "RnnLayerBackward0", 3, inputs, res, 3, saved, NULL, 0, ints, 7);
    if (rc == 0) {
        outs[0] = part(res, 0, N, R);
        outs[1] = part(res, N * R, B, R);
        outs[2] = c0 ? part(res, N * R + B * R, B, H) : NULL;
        if (!outs[0] || !outs[1] || (c0 && !outs[2])) rc = -1;
    }
    ct_tensor *tmp[6] = {x, bs, params, state, res, work};
    for (int i = 0; i < 6; i++) ct_xdecref(tmp[i]);
    for (int i = 0; rc < 0 && i < 3; i++) ct_xdecref(outs[i]), outs[i] = NULL;
    return rc;
}

/* The gradients of xw, params and state through the whole sequence; under create_graph they get a
 * CT_NODE_NN_ONCE node, so that a second derivative raises (not implemented) instead of coming out wrong. */
int ct_rnn_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *params = n->saved[0], *work = n->saved[1], *bs = n->saved[2];
    int64_t G = ct_rnn_gates((int)n->ints[0]), H = n->ints[2], N = work->sizes[0];
    int64_t xshape[2] = {N, G * H};
    ct_tensor *gc = ct_to_dtype(g, params->dtype, false), *gcc = gc ? ct_contiguous(gc) : NULL;
    gi[0] = ct_empty(2, xshape, params->dtype, ct_device_of(params));
    gi[1] = ct_empty(1, params->sizes, params->dtype, ct_device_of(params));
    gi[2] = ct_empty(1, n->in_shape[2].sizes, params->dtype, ct_device_of(params));
    int rc = gcc && gi[0] && gi[1] && gi[2] ? 0 : -1;
    if (rc == 0) {
        ct_tensor *ts[7] = {gi[0], gi[1], gi[2], gcc, work, bs, params};
        ct_kernel_args args = {.op = CT_OP_rnn_layer_backward, .tensors = ts, .ntensors = 7, .ints = n->ints,
                               .nints = 7};
        rc = ct_dispatch(ct_device_of(params), &args);
    }
    ct_tensor *in[3] = {g, params, work};
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = ct_record_op(CT_NODE_NN_ONCE, "RnnLayerBackwardBackward0", 3, in, gi[i], 0, NULL, NULL, 0, NULL, 0);
    ct_xdecref(gc);
    ct_xdecref(gcc);
    for (int i = 0; rc < 0 && i < 3; i++) ct_xdecref(gi[i]), gi[i] = NULL;
    return rc;
}
