/* Diagonals: diagonal (a view: the two dims' strides summed), diag_embed and
 * diagonal's backward (zeros with a diagonal written), diag and
 * fill_diagonal_, built from views and existing ops; trace (the backend's
 * kernel, which sums in PyTorch's order). */
#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* the diagonal of dims d1 != d2 (wrapped) of t as a view without history:
 * those dims dropped, the diagonal appended last */
static ct_tensor *diagonal_view(ct_tensor *t, int64_t offset, int d1, int d2) {
    int64_t n1 = t->sizes[d1], n2 = t->sizes[d2];
    int64_t len = offset >= 0 ? (n1 < n2 - offset ? n1 : n2 - offset) : (n1 + offset < n2 ? n1 + offset : n2);
    if (len < 0) len = 0;
    int64_t start = t->offset;
    if (len > 0) start += offset >= 0 ? offset * t->strides[d2] : -offset * t->strides[d1];
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (d == d1 || d == d2) continue;
        sizes[k] = t->sizes[d];
        strides[k++] = t->strides[d];
    }
    sizes[k] = len;
    strides[k++] = t->strides[d1] + t->strides[d2];
    return ct_as_strided(t, k, sizes, strides, start);
}

/* dim1 and dim2 wrapped for ndim dims, and different */
static int diagonal_dims(int64_t dim1, int64_t dim2, int ndim, int *d1, int *d2) {
    int64_t a, b;
    if (ct_wrap_dim(dim1, ndim, &a) < 0 || ct_wrap_dim(dim2, ndim, &b) < 0) return -1;
    if (a == b)
        return ct_error(CT_ERR_RUNTIME, "diagonal dimensions cannot be identical %lld, %lld", (long long)dim1,
                        (long long)dim2);
    *d1 = (int)a;
    *d2 = (int)b;
    return 0;
}

static ct_tensor *recorded(ct_tensor *out, int kind, const char *name, ct_tensor *in, int64_t offset, int d1, int d2) {
    int64_t ints[3] = {offset, d1, d2};
    if (out && ct_record_op(kind, name, 1, &in, out, 0, NULL, NULL, 0, ints, 3) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_diagonal(ct_tensor *t, int64_t offset, int64_t dim1, int64_t dim2) {
    int d1 = 0, d2 = 0;
    if (diagonal_dims(dim1, dim2, t->ndim, &d1, &d2) < 0) return NULL;
    return recorded(diagonal_view(t, offset, d1, d2), CT_NODE_DIAGONAL, "DiagonalBackward0", t, offset, d1, d2);
}

/* zeros shaped sizes with g written on their diagonal (offset, d1, d2): diag_embed, and
 * the backward of diagonal; recorded as `name` (its backward takes the diagonal again) */
static ct_tensor *diagonal_place(ct_tensor *g, int ndim, const int64_t *sizes, int64_t offset, int d1, int d2,
                                 const char *name) {
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *z = ct_full(ndim, sizes, ct_scalar_i(0), g->dtype, ct_device_of(g));
    ct_tensor *diag = z ? diagonal_view(z, offset, d1, d2) : NULL;
    int rc = diag ? ct_copy_(diag, g) : -1;
    ct_set_grad_enabled(grad);
    ct_xdecref(diag);
    if (rc < 0) {
        ct_xdecref(z);
        return NULL;
    }
    return recorded(z, CT_NODE_DIAG_EMBED, name, g, offset, d1, d2);
}

ct_tensor *ct_diagonal_backward(ct_tensor *g, int ndim, const int64_t *sizes, int64_t offset, int64_t dim1,
                                int64_t dim2) {
    return diagonal_place(g, ndim, sizes, offset, (int)dim1, (int)dim2, "DiagonalBackwardBackward0");
}

ct_tensor *ct_diag_embed(ct_tensor *t, int64_t offset, int64_t dim1, int64_t dim2) {
    int nd = t->ndim + 1, d1 = 0, d2 = 0;
    if (nd > CT_MAX_DIMS) return ct_error_null(CT_ERR_RUNTIME, "diag_embed: too many dimensions");
    if (diagonal_dims(dim1, dim2, nd, &d1, &d2) < 0) return NULL;
    /* t's dims but the last, with the square's side at d1 and d2 */
    int64_t side = (offset < 0 ? -offset : offset) + t->sizes[t->ndim - 1], sizes[CT_MAX_DIMS];
    for (int d = 0, k = 0; d < nd; d++) sizes[d] = d == d1 || d == d2 ? side : t->sizes[k++];
    return diagonal_place(t, nd, sizes, offset, d1, d2, "DiagEmbedBackward0");
}

ct_tensor *ct_diag(ct_tensor *t, int64_t diagonal) {
    if (t->ndim == 1) return ct_diag_embed(t, diagonal, 0, 1);
    if (t->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "diag(): Supports 1D or 2D tensors. Got %dD", t->ndim);
    ct_tensor *v = diagonal_view(t, diagonal, 0, 1);
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *copy = v ? ct_clone(v) : NULL;
    ct_set_grad_enabled(grad);
    ct_xdecref(v);
    return recorded(copy, CT_NODE_DIAGONAL, "DiagonalBackward0_copy", t, diagonal, 0, 1);
}

ct_tensor *ct_trace(ct_tensor *t) {
    if (t->dtype == CT_BOOL) {
        ct_error_kernel_dtype("trace", t->dtype);
        return NULL;
    }
    if (t->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "trace: expected a matrix, but got tensor with dim %d", t->ndim);
    ct_tensor *r = ct_empty(0, NULL, ct_is_integral(t->dtype, false) ? CT_INT64 : t->dtype, ct_device_of(t));
    ct_tensor *ops[2] = {r, t};
    ct_kernel_args args = {.op = CT_OP_trace, .tensors = ops, .ntensors = 2};
    if (r && (ct_dispatch(ct_device_of(t), &args) < 0 ||
              ct_record_op(CT_NODE_TRACE, "TraceBackward0", 1, &t, r, 0, NULL, NULL, 0, NULL, 0) < 0)) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

/* fill v, a strided view of t, in place; the write joins the history of t's base (CopySlices) */
static int fill_view(ct_tensor *v, ct_scalar value) {
    if (!v) return -1;
    int rc = ct_fill_(v, value);
    if (rc == 0 && ct_grad_enabled()) rc = ct_inplace_rebase(v);
    ct_decref(v);
    return rc;
}

int ct_fill_diagonal_(ct_tensor *t, ct_scalar value, bool wrap) {
    if (t->ndim < 2) return ct_error(CT_ERR_RUNTIME, "dimensions must larger than 1");
    for (int d = 1; t->ndim > 2 && d < t->ndim; d++)
        if (t->sizes[d] != t->sizes[0]) return ct_error(CT_ERR_RUNTIME, "all dimensions of input must be of equal length");
    int64_t height = t->sizes[0], width = t->sizes[1], stride = 0;
    for (int d = 0; d < t->ndim; d++) stride += t->strides[d];
    int64_t size = height < width ? height : width;
    if (fill_view(ct_as_strided(t, 1, &size, &stride, t->offset), value) < 0) return -1;
    if (!wrap || t->ndim != 2 || height <= width + 1) return 0;
    /* tall matrices: the diagonal goes on after a skipped row, through t's memory as laid out */
    int64_t step = width + 1, rest = (ct_numel(t) + step - 1) / step - size;
    return fill_view(ct_as_strided(t, 1, &rest, &stride, t->offset + t->strides[0] * step), value);
}
