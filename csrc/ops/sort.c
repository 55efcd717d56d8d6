/* Sorting ops: sort, topk, kthvalue, unique and unique_consecutive (over all
 * elements or the slices along a dim). Checks, result shapes and messages are
 * PyTorch's; the work is the backend's sort, topk, kthvalue and unique
 * kernels (cpu/sort.c). Sorted values, top-k and k-th values are
 * differentiable: their gradient goes back to the positions the indices name. */
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* run a {values, indices, self} kernel; 0-dim operands are seen as 1-D of size 1 */
static int run_values_indices(int op, ct_tensor *values, ct_tensor *indices, ct_tensor *self, const int64_t *ints,
                              int nints) {
    int64_t one = 1;
    ct_tensor *t[3] = {values, indices, self}, *v[3] = {NULL, NULL, NULL};
    int rc = -1;
    for (int i = 0; i < 3; i++) v[i] = self->ndim ? ct_incref(t[i]) : ct_view(t[i], 1, &one);
    if (v[0] && v[1] && v[2]) {
        ct_kernel_args args = {.op = op, .tensors = v, .ntensors = 3, .ints = ints, .nints = nints};
        rc = ct_numel(self) && ct_numel(values) ? ct_dispatch(ct_device_of(self), &args) : 0;
    }
    for (int i = 0; i < 3; i++) ct_xdecref(v[i]);
    return rc;
}

/* values and indices of x's shape with dim `len` long (0-dim: 0-dim), run through `op`
 * with grad mode off; layout_like: laid out like x (sort), else contiguous */
static int values_indices(int op, ct_tensor *x, int64_t dim, int64_t len, bool layout_like, const int64_t *ints,
                          int nints, ct_tensor **values, ct_tensor **indices) {
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
    if (x->ndim) shape[dim] = len;
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    *values = layout_like ? ct_empty_like(x, x->dtype) : ct_empty(x->ndim, shape, x->dtype, ct_device_of(x));
    *indices = !*values ? NULL
               : layout_like ? ct_empty_like(x, CT_INT64) : ct_empty(x->ndim, shape, CT_INT64, ct_device_of(x));
    int rc = *indices ? run_values_indices(op, *values, *indices, x, ints, nints) : -1;
    ct_set_grad_enabled(grad);
    if (rc < 0) {
        ct_xdecref(*values);
        ct_xdecref(*indices);
        *values = *indices = NULL;
    }
    return rc;
}

/* record *values as x's values at *indices (kind CT_NODE_GATHER, or CT_NODE_MAXMIN_DIM with
 * ints {dim, keepdim}); on failure both are released and set to NULL */
static int record(int kind, ct_tensor *x, const char *name, const int64_t *ints, int nints, ct_tensor **values,
                  ct_tensor **indices) {
    if (ct_record_op(kind, name, 1, &x, *values, 1, indices, NULL, 0, ints, nints) == 0) return 0;
    ct_decref(*values);
    ct_decref(*indices);
    *values = *indices = NULL;
    return -1;
}

int ct_sort(ct_tensor *x, int64_t dim, bool descending, bool stable, ct_tensor **values, ct_tensor **indices) {
    int64_t d;
    *values = *indices = NULL;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return -1;
    int64_t ints[3] = {d, descending, stable};
    if (values_indices(CT_OP_sort, x, d, 0, true, ints, 3, values, indices) < 0) return -1;
    return record(CT_NODE_GATHER, x, "SortBackward0", &d, 1, values, indices);
}

int ct_topk(ct_tensor *x, int64_t k, int64_t dim, bool largest, bool sorted, ct_tensor **values, ct_tensor **indices) {
    int64_t d;
    *values = *indices = NULL;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return -1;
    if (k < 0 || k > (x->ndim ? x->sizes[d] : 1)) return ct_error(CT_ERR_RUNTIME, "selected index k out of range");
    if (x->dtype == CT_BOOL) return ct_error(CT_ERR_RUNTIME, "topk does not support bool dtypes on CPU");
    int64_t ints[4] = {d, x->ndim ? k : 1, largest, sorted};   /* a 0-dim input is its own top element */
    if (values_indices(CT_OP_topk, x, d, k, false, ints, 4, values, indices) < 0) return -1;
    return record(CT_NODE_GATHER, x, "TopkBackward0", &d, 1, values, indices);
}

int ct_kthvalue(ct_tensor *x, int64_t k, int64_t dim, bool keepdim, ct_tensor **values, ct_tensor **indices) {
    int64_t d;
    *values = *indices = NULL;
    if (ct_wrap_dim(dim, x->ndim, &d) < 0) return -1;
    int64_t size = x->ndim ? x->sizes[d] : 1;
    if (size == 0)
        return ct_error(CT_ERR_INDEX, "kthvalue(): Expected reduction dim %lld to have non-zero size.", (long long)d);
    if (k < 1 || k > size)
        return ct_error(CT_ERR_RUNTIME, "kthvalue(): selected number k out of range for dimension %lld", (long long)d);
    if (x->dtype == CT_BOOL && x->ndim) return ct_error_dtype("kthvalue", x->dtype);   /* a 0-dim input is copied */
    int64_t ints[2] = {d, k};
    if (values_indices(CT_OP_kthvalue, x, d, 1, false, ints, 2, values, indices) < 0) return -1;
    if (!keepdim && x->ndim) {
        ct_tensor *v = ct_squeeze(*values, 1, &d), *i = v ? ct_squeeze(*indices, 1, &d) : NULL;
        ct_decref(*values);
        ct_decref(*indices);
        *values = v, *indices = i;
        if (!i) {
            ct_xdecref(v);
            *values = NULL;
            return -1;
        }
    }
    if (!x->ndim) return record(CT_NODE_GATHER, x, "KthvalueBackward0", &d, 1, values, indices);
    int64_t ints_node[2] = {d, keepdim};   /* one position per row: the node of max/min(dim) */
    return record(CT_NODE_MAXMIN_DIM, x, "KthvalueBackward0", ints_node, 2, values, indices);
}

/* ---- unique ---- */

/* the first n elements of a 1-D t, as a tensor of their own (t itself when whole) */
static ct_tensor *first_n(ct_tensor *t, int64_t n) {
    if (n == t->sizes[0]) return t;
    ct_tensor *v = ct_narrow(t, 0, 0, n), *c = v ? ct_clone(v) : NULL;
    ct_xdecref(v);
    ct_decref(t);
    return c;
}

static int64_t read_count(ct_tensor *ng) {
    int64_t n = *(int64_t *)ct_data(ng);
    ct_decref(ng);
    return n;
}

typedef struct {
    ct_tensor *out, *inverse, *counts;
} unique_result;

static void unique_result_clear(unique_result *r) {
    ct_xdecref(r->out);
    ct_xdecref(r->inverse);
    ct_xdecref(r->counts);
    r->out = r->inverse = r->counts = NULL;
}

/* over all elements: sorted (unless consecutive) with PyTorch's default sort, then runs;
 * inverse and counts only when wanted */
static int unique_flat(ct_tensor *x, bool consecutive, bool want_inverse, bool want_counts, unique_result *r) {
    int64_t n = ct_numel(x), one = 1;
    ct_device dev = ct_device_of(x);
    ct_tensor *flat = ct_reshape(x, 1, &n), *sorted = NULL, *perm = NULL, *ng = NULL;
    if (!flat) return -1;
    if (consecutive) sorted = ct_contiguous(flat);
    else if (ct_sort(flat, 0, false, false, &sorted, &perm) < 0) sorted = NULL;
    bool ok = sorted && (r->out = ct_empty(1, &n, x->dtype, dev)) &&
              (!want_inverse || (r->inverse = ct_empty(1, &n, CT_INT64, dev))) &&
              (!want_counts || (r->counts = ct_empty(1, &n, CT_INT64, dev))) && (ng = ct_empty(1, &one, CT_INT64, dev));
    int rc = -1;
    if (ok) {
        ct_tensor *t[6] = {r->out, r->inverse, r->counts, ng, sorted, perm};
        ct_kernel_args args = {.op = CT_OP_unique_runs, .tensors = t, .ntensors = 6};
        rc = ct_dispatch(dev, &args);
    }
    ct_decref(flat);
    ct_xdecref(sorted);
    ct_xdecref(perm);
    if (rc < 0) {
        ct_xdecref(ng);
        return -1;
    }
    int64_t groups = read_count(ng);
    r->out = first_n(r->out, groups);
    if (want_counts) r->counts = first_n(r->counts, groups);
    if (want_inverse) {
        ct_tensor *inv = ct_reshape(r->inverse, x->ndim, x->sizes);
        ct_decref(r->inverse);
        r->inverse = inv;
    }
    return r->out && (!want_counts || r->counts) && (!want_inverse || r->inverse) ? 0 : -1;
}

/* the zero-size rules of PyTorch's unique(dim=); 1: done (an empty result), 0: go on */
static int unique_dim_empty(ct_tensor *x, int64_t d, unique_result *r) {
    int zeros = 0;
    for (int i = 0; i < x->ndim; i++) zeros += x->sizes[i] == 0;
    if (x->sizes[d] == 0 && zeros > 1)
        return ct_error(CT_ERR_RUNTIME, "Number of zero sized dimensions is more than one, so unique cannot be "
                        "applied ");
    if (x->sizes[d] != 0 && zeros > 0)
        return ct_error(CT_ERR_RUNTIME, "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                        "applied");
    if (zeros == 0) return 0;
    int64_t zero = 0;
    r->out = ct_empty(x->ndim, x->sizes, x->dtype, ct_device_of(x));
    r->inverse = ct_empty(1, &zero, CT_INT64, ct_device_of(x));
    r->counts = ct_empty(1, &zero, CT_INT64, ct_device_of(x));
    return r->out && r->inverse && r->counts ? 1 : -1;
}

/* dims of x with d moved to the front, and its inverse */
static void front_perm(int ndim, int64_t d, int64_t *to_front, int64_t *back) {
    to_front[0] = d;
    for (int i = 0, k = 1; i < ndim; i++)
        if (i != d) to_front[k++] = i;
    for (int i = 0; i < ndim; i++) back[to_front[i]] = i;
}

/* the distinct slices along dim d: rows of x moved to [size(d), rest], grouped by the kernel */
static int unique_slices(ct_tensor *x, int64_t d, bool consecutive, unique_result *r) {
    int done = unique_dim_empty(x, d, r);
    if (done != 0) return done < 0 ? -1 : 0;
    int64_t n = x->sizes[d], to_front[CT_MAX_DIMS], back[CT_MAX_DIMS], shape[2] = {n, ct_numel(x) / n}, one = 1;
    ct_device dev = ct_device_of(x);
    front_perm(x->ndim, d, to_front, back);
    ct_tensor *moved = ct_permute(x, x->ndim, to_front), *mc = moved ? ct_contiguous(moved) : NULL;
    ct_tensor *rows = mc ? ct_view(mc, 2, shape) : NULL, *heads = rows ? ct_empty(1, &n, CT_INT64, dev) : NULL;
    r->inverse = heads ? ct_empty(1, &n, CT_INT64, dev) : NULL;
    r->counts = r->inverse ? ct_empty(1, &n, CT_INT64, dev) : NULL;
    ct_tensor *ng = r->counts ? ct_empty(1, &one, CT_INT64, dev) : NULL;
    int rc = -1;
    if (ng) {
        ct_tensor *t[5] = {heads, r->inverse, r->counts, ng, rows};
        int64_t ints[1] = {consecutive};
        ct_kernel_args args = {.op = CT_OP_unique_dim, .tensors = t, .ntensors = 5, .ints = ints, .nints = 1};
        rc = ct_dispatch(dev, &args);
    }
    if (rc == 0) {
        int64_t groups = read_count(ng);
        ng = NULL;
        heads = first_n(heads, groups);
        r->counts = first_n(r->counts, groups);
        ct_tensor *sel = heads ? ct_index_select(mc, 0, heads) : NULL;
        r->out = sel ? ct_permute(sel, x->ndim, back) : NULL;
        ct_xdecref(sel);
        rc = r->out && r->counts ? 0 : -1;
    }
    ct_xdecref(ng);
    ct_xdecref(heads);
    ct_xdecref(rows);
    ct_xdecref(mc);
    ct_xdecref(moved);
    return rc;
}

int ct_unique(ct_tensor *x, bool consecutive, bool has_dim, int64_t dim, ct_tensor **out, ct_tensor **inverse,
              ct_tensor **counts) {
    unique_result r = {NULL, NULL, NULL};
    int64_t d = 0;
    *out = NULL;
    if (inverse) *inverse = NULL;
    if (counts) *counts = NULL;
    if (has_dim && x->ndim == 0)
        return ct_error(CT_ERR_INDEX, "Dimension specified as %lld but tensor has no dimensions", (long long)dim);
    if (has_dim && ct_wrap_dim(dim, x->ndim, &d) < 0) return -1;
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    bool slices = has_dim && !(consecutive && x->ndim == 1);   /* unique_consecutive along the only dim: flat */
    int rc = slices ? unique_slices(x, d, consecutive, &r)
                    : unique_flat(x, consecutive, inverse != NULL, counts != NULL, &r);
    ct_set_grad_enabled(grad);
    if (rc < 0) {
        unique_result_clear(&r);
        return -1;
    }
    *out = r.out;
    if (inverse) *inverse = r.inverse;
    else ct_xdecref(r.inverse);
    if (counts) *counts = r.counts;
    else ct_xdecref(r.counts);
    return 0;
}
