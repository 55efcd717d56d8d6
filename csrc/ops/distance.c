/* Distances: cdist (x1 (B..., P, M) against x2 (B..., R, M) -> (B..., P, R))
 * and dist (the p-norm of a - b). cdist runs a direct C kernel per p, or, for
 * p = 2 on larger inputs (compute_mode), the matrix-product form PyTorch uses
 * there, so values agree with PyTorch's to rounding. Each records one
 * CT_NODE_CDIST node (autograd/derivatives.c); the direct form's gradient is
 * the cdist_backward kernel, reached through ct_cdist_backward. */
#include <math.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* the broadcast batch dims of x1 and x2 (returns their count, -1 on error) and their product */
static int batch_shape(const ct_tensor *x1, const ct_tensor *x2, int64_t *batch, int64_t *B) {
    int nb = ct_broadcast_shapes(x1->ndim - 2, x1->sizes, x2->ndim - 2, x2->sizes, batch);
    *B = 1;
    for (int i = 0; i < nb; i++) *B *= batch[i];
    return nb;
}

/* batch dims followed by two more */
static int with_batch(int nb, const int64_t *batch, int64_t r, int64_t c, int64_t *shape) {
    memcpy(shape, batch, sizeof(int64_t) * (size_t)nb);
    shape[nb] = r;
    shape[nb + 1] = c;
    return nb + 2;
}

/* x (..., r, m) expanded to the batch dims and seen as (B, r, m); contiguous when asked */
static ct_tensor *as_batched(ct_tensor *x, int nb, const int64_t *batch, int64_t B, bool contiguous) {
    int64_t shape[CT_MAX_DIMS], s3[3] = {B, x->sizes[x->ndim - 2], x->sizes[x->ndim - 1]};
    ct_tensor *e = ct_expand(x, with_batch(nb, batch, s3[1], s3[2], shape), shape);
    ct_tensor *r = e ? ct_reshape(e, 3, s3) : NULL;
    ct_xdecref(e);
    if (!r || !contiguous) return r;
    ct_tensor *c = ct_contiguous(r);
    ct_decref(r);
    return c;
}

static int run_kernel(int op, int n, ct_tensor *const *ts, double p) {
    ct_scalar sc[1] = {ct_scalar_f(p)};
    ct_kernel_args args = {.op = op, .tensors = ts, .ntensors = n, .scalars = sc, .nscalars = 1};
    return ct_dispatch(ct_device_of(ts[0]), &args);
}

/* the direct form: (B, P, R) from the kernel (float32 and float64, as PyTorch) */
static ct_tensor *direct(ct_tensor *x1, ct_tensor *x2, double p, int nb, const int64_t *batch, int64_t B) {
    ct_dtype dt = x1->dtype;
    if (dt != CT_FLOAT32 && dt != CT_FLOAT64) return ct_error_kernel_dtype("cdist", dt), NULL;
    if (x2->dtype != dt)
        return ct_error_null(CT_ERR_RUNTIME, "expected scalar type %s but found %s", ct_dtype_infos[dt].legacy,
                             ct_dtype_infos[x2->dtype].legacy);
    ct_tensor *a = as_batched(x1, nb, batch, B, true), *b = a ? as_batched(x2, nb, batch, B, true) : NULL;
    int64_t shape[3] = {B, x1->sizes[x1->ndim - 2], x2->sizes[x2->ndim - 2]};
    ct_tensor *out = b ? ct_empty(3, shape, dt, ct_device_of(x1)) : NULL;
    ct_tensor *ts[3] = {out, a, b};
    if (out && run_kernel(CT_OP_cdist, 3, ts, p) < 0) {
        ct_decref(out);
        out = NULL;
    }
    ct_xdecref(a);
    ct_xdecref(b);
    return out;
}

/* sum of squares along the last dim, kept */
static ct_tensor *sq_norms(ct_tensor *x) {
    int64_t last = -1;
    ct_tensor *s = ct_binary(CT_OP_mul, x, x, NULL, NULL);
    ct_tensor *r = s ? ct_reduce(CT_RED_SUM, s, 1, &last, true, CT_UNDEFINED) : NULL;
    ct_xdecref(s);
    return r;
}

/* PyTorch's matrix-product form of the 2-norm: [-2 a, |a|^2, 1] @ [b, 1, |b|^2]^T,
 * clamped at 0 and square-rooted; a (B, P, M), b (B, R, M) */
static ct_tensor *euclidean(ct_tensor *a, ct_tensor *b) {
    ct_tensor *t[9] = {NULL}, *r = NULL;
    ct_scalar zero[2] = {ct_scalar_i(0), ct_scalar_i(0)};
    if (!(t[0] = sq_norms(a)) || !(t[1] = sq_norms(b)) ||
        !(t[2] = ct_full(t[0]->ndim, t[0]->sizes, ct_scalar_i(1), t[0]->dtype, ct_device_of(a))) ||
        !(t[3] = ct_full(t[1]->ndim, t[1]->sizes, ct_scalar_i(1), t[1]->dtype, ct_device_of(b))) ||
        !(t[4] = ct_scalar_tensor(ct_scalar_i(-2), CT_INT64, true)) ||
        !(t[5] = ct_binary(CT_OP_mul, a, t[4], NULL, NULL)))
        goto done;
    ct_tensor *left[3] = {t[5], t[0], t[2]}, *right[3] = {b, t[3], t[1]};
    if (!(t[6] = ct_cat(3, left, -1)) || !(t[7] = ct_cat(3, right, -1)) || !(t[8] = ct_transpose(t[7], -2, -1)) ||
        !(r = ct_matmul(t[6], t[8])))
        goto done;
    ct_tensor *c = ct_unary(CT_OP_clamp_min, r, zero, r), *s = c ? ct_unary(CT_OP_sqrt, r, NULL, r) : NULL;
    ct_xdecref(c);   /* new references to r itself */
    ct_xdecref(s);
    if (!s) {
        ct_decref(r);
        r = NULL;
    }
done:
    for (int i = 0; i < 9; i++) ct_xdecref(t[i]);
    return r;
}

/* the matrix-product form, recorded as EuclideanDistBackward0 over the batched
 * inputs, then viewed as the output (ViewBackward0), as in PyTorch */
static ct_tensor *cdist_mm(ct_tensor *x1, ct_tensor *x2, int nb, const int64_t *batch, int64_t B) {
    ct_tensor *a = as_batched(x1, nb, batch, B, false), *b = a ? as_batched(x2, nb, batch, B, false) : NULL;
    ct_tensor *r = NULL, *res = NULL;
    if (b) {
        bool grad_mode = ct_grad_enabled();
        ct_set_grad_enabled(false);
        r = euclidean(a, b);
        ct_set_grad_enabled(grad_mode);
    }
    ct_tensor *in[2] = {a, b}, *save[3] = {a, b, r};
    int64_t form = CT_DIST_EUCLID, shape[CT_MAX_DIMS];
    if (r && ct_record_op(CT_NODE_CDIST, "EuclideanDistBackward0", 2, in, r, 3, save, NULL, 0, &form, 1) == 0)
        res = ct_view(r, with_batch(nb, batch, x1->sizes[x1->ndim - 2], x2->sizes[x2->ndim - 2], shape), shape);
    ct_xdecref(a);
    ct_xdecref(b);
    ct_xdecref(r);
    return res;
}

/* PyTorch's checks, in its order */
static int check_inputs(const ct_tensor *x1, const ct_tensor *x2, double p) {
    const ct_tensor *xs[2] = {x1, x2};
    for (int i = 0; i < 2; i++)
        if (xs[i]->ndim < 2)
            return ct_error(CT_ERR_RUNTIME, "cdist only supports at least 2D tensors, X%d got: %dD", i + 1,
                            xs[i]->ndim);
    if (x1->sizes[x1->ndim - 1] != x2->sizes[x2->ndim - 1])
        return ct_error(CT_ERR_RUNTIME, "X1 and X2 must have the same number of columns. X1: %lld X2: %lld",
                        (long long)x1->sizes[x1->ndim - 1], (long long)x2->sizes[x2->ndim - 1]);
    for (int i = 0; i < 2; i++)
        if (!ct_is_floating(xs[i]->dtype))
            return ct_error(CT_ERR_RUNTIME, "cdist only supports floating-point dtypes, X%d got: %s", i + 1,
                            ct_dtype_infos[xs[i]->dtype].legacy);
    if (!(p >= 0)) return ct_error(CT_ERR_RUNTIME, "cdist only supports non-negative p values");
    return 0;
}

ct_tensor *ct_cdist(ct_tensor *x1, ct_tensor *x2, double p, ct_cdist_mode mode) {
    if (check_inputs(x1, x2, p) < 0) return NULL;
    int64_t r1 = x1->sizes[x1->ndim - 2], r2 = x2->sizes[x2->ndim - 2], m = x1->sizes[x1->ndim - 1];
    int64_t batch[CT_MAX_DIMS], B, shape[CT_MAX_DIMS];
    int nb = batch_shape(x1, x2, batch, &B);
    if (nb < 0) return NULL;
    int nd = with_batch(nb, batch, r1, r2, shape);
    bool empty = r1 == 0 || r2 == 0 || B == 0;
    if (!empty && m > 0 && p == 2 && (mode == CT_CDIST_USE_MM || (mode == CT_CDIST_AUTO && (r1 > 25 || r2 > 25))))
        return cdist_mm(x1, x2, nb, batch, B);
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r;
    if (empty) {
        r = ct_empty(nd, shape, x1->dtype, ct_device_of(x1));
    } else if (m == 0) {
        r = ct_full(nd, shape, ct_scalar_i(0), x1->dtype, ct_device_of(x1));
    } else {
        ct_tensor *d = direct(x1, x2, p, nb, batch, B);
        r = d ? ct_view(d, nd, shape) : NULL;
        ct_xdecref(d);
    }
    ct_set_grad_enabled(grad_mode);
    ct_tensor *in[2] = {x1, x2}, *save[3] = {x1, x2, r};
    ct_scalar sp = ct_scalar_f(p);
    int64_t form = CT_DIST_DIRECT;
    if (r && ct_record_op(CT_NODE_CDIST, "CdistBackward0", 2, in, r, 3, save, &sp, 1, &form, 1) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

ct_tensor *ct_cdist_backward(ct_tensor *grad, ct_tensor *x1, ct_tensor *x2, ct_tensor *dist, double p, bool wrt_x2) {
    ct_tensor *xa = wrt_x2 ? x2 : x1, *xb = wrt_x2 ? x1 : x2, *t[5] = {NULL}, *res = NULL;
    int64_t batch[CT_MAX_DIMS], B, shape[CT_MAX_DIMS];
    int nb = batch_shape(xa, xb, batch, &B);
    if (nb < 0) return NULL;
    int64_t ra = xa->sizes[xa->ndim - 2], rb = xb->sizes[xb->ndim - 2], m = xa->sizes[xa->ndim - 1];
    int nd = with_batch(nb, batch, ra, m, shape);
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    if (ra == 0 || rb == 0 || m == 0 || B == 0 || p == 0) {
        res = ct_full(nd, shape, ct_scalar_i(0), xa->dtype, ct_device_of(xa));
        goto done;
    }
    /* grad and dist as (B, ra, rb) of xa's dtype: transposed for x2 */
    int64_t s3[3] = {B, ra, rb}, o3[3] = {B, ra, m};
    ct_tensor *src[2] = {grad, dist};
    for (int i = 0; i < 2; i++) {
        ct_tensor *v = wrt_x2 ? ct_transpose(src[i], -2, -1) : ct_incref(src[i]);
        ct_tensor *c = v ? ct_to_dtype(v, xa->dtype, false) : NULL, *r = c ? ct_reshape(c, 3, s3) : NULL;
        t[i] = r ? ct_contiguous(r) : NULL;
        ct_xdecref(v);
        ct_xdecref(c);
        ct_xdecref(r);
        if (!t[i]) goto done;
    }
    if (!(t[2] = as_batched(xa, nb, batch, B, true)) || !(t[3] = as_batched(xb, nb, batch, B, true)) ||
        !(t[4] = ct_empty(3, o3, xa->dtype, ct_device_of(xa))))
        goto done;
    ct_tensor *ts[5] = {t[4], t[0], t[2], t[3], t[1]};
    if (run_kernel(CT_OP_cdist_backward, 5, ts, p) == 0) res = ct_view(t[4], nd, shape);
done:
    ct_set_grad_enabled(grad_mode);
    for (int i = 0; i < 5; i++) ct_xdecref(t[i]);
    /* a create_graph backward: the kernel's result has no derivative of its own, as in PyTorch */
    ct_tensor *in[3] = {grad, x1, x2};
    if (res && ct_record_op(CT_OP_cdist_backward, "CdistBackwardBackward0", 3, in, res, 0, NULL, NULL, 0, NULL, 0)) {
        ct_decref(res);
        return NULL;
    }
    return res;
}

ct_tensor *ct_dist(ct_tensor *a, ct_tensor *b, double p) {
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *d = ct_binary(CT_OP_sub, a, b, NULL, NULL), *r = NULL;
    if (d && !ct_is_floating(d->dtype))
        ct_error(CT_ERR_RUNTIME, "norm(): input dtype should be either floating point or complex. Got %s instead.",
                 ct_dtype_infos[d->dtype].legacy);
    else if (d && ct_numel(d) == 0 && (p < 0 || p == INFINITY))   /* a min or max of nothing */
        ct_error(CT_ERR_RUNTIME, "linalg.vector_norm cannot compute the %g norm on an empty tensor because the "
                 "operation does not have an identity", p);
    else if (d)
        r = ct_norm(d, p, 0, NULL, false);
    ct_set_grad_enabled(grad_mode);
    ct_xdecref(d);
    ct_tensor *in[2] = {a, b}, *save[3] = {a, b, r};
    ct_scalar sp = ct_scalar_f(p);
    int64_t form = CT_DIST_NORM;
    if (r && ct_record_op(CT_NODE_CDIST, "DistBackward0", 2, in, r, 3, save, &sp, 1, &form, 1) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}
