/* Counting and bucketing: searchsorted, bucketize, bincount, histc and
 * histogram. Checks, messages and result dtypes are PyTorch's; the work is
 * the backend's searchsorted, bincount and histogram kernels (cpu/counting.c),
 * which get contiguous operands of one dtype. */
#include <math.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* these ops walk their data on the host */
static int cpu_only(const char *op, const ct_tensor *t) {
    if (ct_device_of(t).type != CT_DEV_CPU) return ct_error(CT_ERR_NOTIMPL, "%s is not implemented for cuda", op);
    return 0;
}

/* t contiguous and of dtype d, without history (the kernels' operands) */
static ct_tensor *operand(ct_tensor *t, ct_dtype d) {
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *c = ct_to_dtype(t, d, false), *r = c ? ct_contiguous(c) : NULL;
    ct_set_grad_enabled(grad);
    ct_xdecref(c);
    return r;
}

static int run(int op, ct_tensor **tensors, int n, const int64_t *ints) {
    ct_kernel_args args = {.op = op, .tensors = tensors, .ntensors = n, .ints = ints, .nints = ints ? 1 : 0};
    return ct_dispatch(ct_device_of(tensors[0]), &args);
}

/* the smallest and largest element of a non-empty t (NaN when it holds one), in one pass */
static int extremes(ct_tensor *t, ct_scalar *lo, ct_scalar *hi) {
    int64_t two = 2;
    ct_tensor *ops[2] = {ct_empty(1, &two, t->dtype, ct_device_of(t)), operand(t, t->dtype)};
    int rc = ops[0] && ops[1] ? run(CT_OP_aminmax, ops, 2, NULL) : -1;
    if (rc == 0) {
        *lo = ct_load_scalar(ct_data(ops[0]), t->dtype);
        *hi = ct_load_scalar(ct_data(ops[0]) + ct_itemsize(t->dtype), t->dtype);
    }
    ct_xdecref(ops[0]);
    ct_xdecref(ops[1]);
    return rc;
}

/* PyTorch gives results of inputs that require grad a node whose backward
 * raises (grad_fn=<NotImplemented>) */
static ct_tensor *not_differentiable(ct_tensor *out, int op, int nin, ct_tensor *const *inputs) {
    int64_t id = op;
    if (out && ct_record_op(CT_NODE_NOT_IMPLEMENTED, "NotImplemented", nin, inputs, out, 0, NULL, NULL, 0, &id, 1) < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

/* ---- searchsorted / bucketize ---- */

static int check_sorter(const ct_tensor *bd, ct_tensor *sorter) {
    char a[256], b[256];
    if (sorter->ndim != bd->ndim || memcmp(sorter->sizes, bd->sizes, sizeof(int64_t) * (size_t)bd->ndim))
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): boundary and sorter must have the same size, but got "
                        "boundary tensor %sand got sorter tensor %s", ct_shape_str(bd->ndim, bd->sizes, a, 256),
                        ct_shape_str(sorter->ndim, sorter->sizes, b, 256));
    if (sorter->dtype != CT_INT64)
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype %s",
                        ct_dtype_infos[sorter->dtype].legacy);
    ct_scalar lo, hi;
    if (ct_numel(sorter) == 0) return 0;
    if (extremes(sorter, &lo, &hi) < 0) return -1;
    if (lo.i < 0 || hi.i >= sorter->sizes[sorter->ndim - 1])
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): sorter index out of range");
    return 0;
}

/* the leading dims of boundaries and values agree (the last may differ) */
static bool leading_dims_match(const ct_tensor *bd, const ct_tensor *v) {
    if (bd->ndim != v->ndim) return false;
    for (int d = 0; d + 1 < bd->ndim; d++)
        if (bd->sizes[d] != v->sizes[d]) return false;
    return true;
}

static int searchsorted_checks(ct_tensor *bd, ct_tensor *v, bool out_int32, ct_tensor *sorter, ct_dtype out_dtype) {
    char a[256], b[256];
    if (sorter && check_sorter(bd, sorter) < 0) return -1;
    if (v->ndim == 0 && bd->ndim != 1)
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                        "dimension is 1, but we got boundaries tensor dim(%d) and input value's dim(%d) numel(%lld)",
                        bd->ndim, v->ndim, (long long)ct_numel(v));
    if (bd->ndim == 0)
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): boundaries tensor should have positive dimension, but "
                        "got 0 dimension");
    if (bd->ndim != 1 && !leading_dims_match(bd, v))
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                        "N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries "
                        "tensor %s and input value tensor %s", ct_shape_str(bd->ndim, bd->sizes, a, 256),
                        ct_shape_str(v->ndim, v->sizes, b, 256));
    if (out_dtype != CT_UNDEFINED && out_dtype != (out_int32 ? CT_INT32 : CT_INT64))
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): output tensor's dtype is wrong, it can only be "
                        "Int(int32) or Long(int64) depending on whether out_int32 flag is True, but we got output "
                        "tensor's dtype %s and out_int32 flag is %s", ct_dtype_infos[out_dtype].legacy,
                        out_int32 ? "True" : "False");
    if (out_int32 && bd->sizes[bd->ndim - 1] >= INT32_MAX)
        return ct_error(CT_ERR_RUNTIME, "torch.searchsorted(): the size of boundaries' last dimension should be less "
                        "than %d, but we got %lld", INT32_MAX, (long long)bd->sizes[bd->ndim - 1]);
    return 0;
}

ct_tensor *ct_searchsorted(ct_tensor *bd, ct_tensor *v, bool out_int32, bool right, ct_tensor *sorter,
                           ct_dtype out_dtype) {
    if (cpu_only("searchsorted", bd) < 0 || searchsorted_checks(bd, v, out_int32, sorter, out_dtype) < 0) return NULL;
    ct_tensor *out = ct_empty(v->ndim, v->sizes, out_int32 ? CT_INT32 : CT_INT64, ct_device_of(bd));
    if (!out || ct_numel(v) == 0) return out;
    /* compared in their common dtype; float16 and bfloat16 widen to float32 exactly */
    ct_dtype common = ct_result_type2(bd, v);
    if (common == CT_FLOAT16 || common == CT_BFLOAT16) common = CT_FLOAT32;
    if (common == CT_BOOL) {
        ct_decref(out);
        ct_error_dtype("searchsorted_out", common);
        return NULL;
    }
    ct_tensor *ops[4] = {out, operand(bd, common), operand(v, common), sorter ? operand(sorter, CT_INT64) : NULL};
    int64_t flag = right;
    int rc = ops[1] && ops[2] && (!sorter || ops[3]) ? run(CT_OP_searchsorted, ops, 4, &flag) : -1;
    for (int i = 1; i < 4; i++) ct_xdecref(ops[i]);
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

ct_tensor *ct_bucketize(ct_tensor *v, ct_tensor *boundaries, bool out_int32, bool right, ct_dtype out_dtype) {
    if (boundaries->ndim != 1)
        return ct_error_null(CT_ERR_RUNTIME, "boundaries tensor must be 1 dimension, but got dim(%d)", boundaries->ndim);
    return ct_searchsorted(boundaries, v, out_int32, right, NULL, out_dtype);
}

/* ---- bincount ---- */

ct_tensor *ct_bincount(ct_tensor *x, ct_tensor *weights, int64_t minlength) {
    if (cpu_only("bincount", x) < 0) return NULL;
    if (!ct_is_integral(x->dtype, false)) {
        ct_error_dtype("bincount", x->dtype);
        return NULL;
    }
    if (minlength < 0) return ct_error_null(CT_ERR_RUNTIME, "minlength should be >= 0");
    if (x->ndim == 1 && x->sizes[0] == 0) return ct_full(1, &minlength, ct_scalar_i(0), CT_INT64, ct_device_of(x));
    const char *msg = "bincount only supports 1-d non-negative integral inputs.";
    if (x->ndim != 1) return ct_error_null(CT_ERR_RUNTIME, "%s", msg);
    ct_scalar lo, hi;
    if (extremes(x, &lo, &hi) < 0) return NULL;
    if (lo.i < 0) return ct_error_null(CT_ERR_RUNTIME, "%s", msg);
    if (weights && (weights->ndim != 1 || weights->sizes[0] != x->sizes[0]))
        return ct_error_null(CT_ERR_RUNTIME, "weights should be 1-d and have the same length as input");
    if (hi.i == INT64_MAX)
        return ct_error_null(CT_ERR_RUNTIME, "maximum value of input overflowed, it should be < %lld but got %lld",
                             (long long)INT64_MAX, (long long)hi.i);
    int64_t nbins = hi.i + 1 > minlength ? hi.i + 1 : minlength;
    ct_dtype dt = !weights ? CT_INT64 : weights->dtype == CT_FLOAT32 ? CT_FLOAT32 : CT_FLOAT64;
    ct_tensor *ops[3] = {ct_full(1, &nbins, ct_scalar_i(0), dt, ct_device_of(x)), operand(x, x->dtype),
                         weights ? operand(weights, dt) : NULL};
    int rc = ops[0] && ops[1] && (!weights || ops[2]) ? run(CT_OP_bincount, ops, 3, NULL) : -1;
    ct_xdecref(ops[1]);
    ct_xdecref(ops[2]);
    if (rc < 0) {
        ct_xdecref(ops[0]);
        return NULL;
    }
    return not_differentiable(ops[0], CT_OP_bincount, 1, &weights);
}

/* ---- histc / histogram ---- */

/* hist [bins] of x over edges with the kernel's bin search alg (x, edges and weight of one dtype) */
static ct_tensor *hist_counts(ct_tensor *x, ct_tensor *edges, ct_tensor *weight, ct_hist_search alg) {
    int64_t bins = ct_numel(edges) - 1, ints = alg;
    ct_tensor *ops[4] = {ct_empty(1, &bins, x->dtype, ct_device_of(x)), operand(x, x->dtype), edges,
                         weight ? operand(weight, x->dtype) : NULL};
    int rc = ops[0] && ops[1] && (!weight || ops[3]) ? run(CT_OP_histogram, ops, 4, &ints) : -1;
    ct_xdecref(ops[1]);
    ct_xdecref(ops[3]);
    if (rc < 0) {
        ct_xdecref(ops[0]);
        return NULL;
    }
    return ops[0];
}

static int check_bins(int64_t bins) {
    if (bins <= 0)
        return ct_error(CT_ERR_RUNTIME, "torch.histogram(): bins must be > 0, but got %lld for dimension 0",
                        (long long)bins);
    return 0;
}

/* the edges linspace(left, right, bins + 1) in x's dtype (which linspace must support) */
static ct_tensor *linear_edges(ct_tensor *x, double left, double right, int64_t bins) {
    if (x->dtype == CT_BOOL) {
        ct_error_kernel_dtype("linspace_cpu", x->dtype);
        return NULL;
    }
    return ct_linspace(left, right, bins + 1, x->dtype, ct_device_of(x));
}

ct_tensor *ct_histc(ct_tensor *x, int64_t bins, double min, double max) {
    if (cpu_only("histc", x) < 0 || check_bins(bins) < 0) return NULL;
    double left = min, right = max;
    ct_scalar lo, hi;
    if (left == right && ct_numel(x) > 0) {
        if (extremes(x, &lo, &hi) < 0) return NULL;
        left = lo.d;
        right = hi.d;
    }
    if (left == right) {
        left -= 1;
        right += 1;
    }
    if (!isfinite(left) || !isfinite(right))
        return ct_error_null(CT_ERR_RUNTIME, "torch.histc: range of [%g, %g] is not finite", left, right);
    if (!(left < right)) return ct_error_null(CT_ERR_RUNTIME, "torch.histc: max must be larger than min");
    ct_tensor *edges = linear_edges(x, left, right, bins);
    ct_tensor *hist = edges ? hist_counts(x, edges, NULL, CT_HIST_LINEAR) : NULL;
    ct_xdecref(edges);
    return hist;
}

/* the C++ names PyTorch's histogram messages give dtypes */
static const char *cpp_name(ct_dtype d) {
    static const char *const names[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short int", "int",
                                                     "long int", "c10::Half", "c10::BFloat16", "float", "double"};
    return names[d];
}

static int check_weight(const ct_tensor *x, const ct_tensor *w) {
    if (!w) return 0;
    if (w->dtype != x->dtype)
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                        "tensor should have the same dtype, but got input(%s), and weight(%s)", cpp_name(x->dtype),
                        cpp_name(w->dtype));
    int64_t n = ct_numel(x), m = ct_numel(w);
    if (m != n)
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: if weight tensor is provided it should have the same shape "
                        "as the input tensor excluding its innermost dimension, but got input with shape [%lld, 1] and "
                        "weight with shape [%lld]", (long long)n, (long long)m);
    return 0;
}

static int check_bin_tensor(const ct_tensor *x, const ct_tensor *b) {
    if (b->dtype != x->dtype)
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                        "but got input with dtype %s and bins for dimension 0 with dtype %s", cpp_name(x->dtype),
                        cpp_name(b->dtype));
    if (b->ndim != 1)
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: bins tensor should have one dimension, but got %d "
                        "dimensions in the bins tensor for dimension 0", b->ndim);
    if (ct_numel(b) == 0)
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: bins tensor should have at least 1 element, but got 0 "
                        "elements in the bins tensor for dimension 0");
    return 0;
}

/* the outer edges of histogram(bins=int): range, else the data's extremes (0 and 1 without data) */
static int outer_edges(ct_tensor *x, const double *range, double *left, double *right) {
    *left = 0;
    *right = 1;
    ct_scalar lo, hi;
    if (range) {
        *left = range[0];
        *right = range[1];
    } else if (ct_numel(x) > 0) {
        if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) return ct_error_kernel_dtype("histogramdd", x->dtype);
        if (extremes(x, &lo, &hi) < 0) return -1;
        *left = lo.d;
        *right = hi.d;
    }
    if (!isfinite(*left) || !isfinite(*right))
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: dimension 0's range [%g, %g] is not finite", *left, *right);
    if (!(*left <= *right))
        return ct_error(CT_ERR_RUNTIME, "torch.histogramdd: min should not exceed max, but got min %g max %g for "
                        "dimension 0", *left, *right);
    if (*left == *right) {
        *left -= 0.5;
        *right += 0.5;
    }
    return 0;
}

/* density: hist / sum(hist) / the bins' widths */
static ct_tensor *density_of(ct_tensor *hist, ct_tensor *edges) {
    int64_t n = ct_numel(edges);
    ct_tensor *total = ct_reduce(CT_RED_SUM, hist, 0, NULL, false, CT_UNDEFINED);
    ct_tensor *hi = total ? ct_slice(edges, 0, 1, n, 1) : NULL, *lo = hi ? ct_slice(edges, 0, 0, n - 1, 1) : NULL;
    ct_tensor *width = lo ? ct_binary(CT_OP_sub, hi, lo, NULL, NULL) : NULL;
    ct_tensor *share = width ? ct_binary(CT_OP_div, hist, total, NULL, NULL) : NULL;
    ct_tensor *r = share ? ct_binary(CT_OP_div, share, width, NULL, NULL) : NULL;
    ct_tensor *tmp[5] = {total, hi, lo, width, share};
    for (int i = 0; i < 5; i++) ct_xdecref(tmp[i]);
    return r;
}

int ct_histogram(ct_tensor *x, int64_t bins, ct_tensor *bin_tensor, const double *range, ct_tensor *weight,
                 bool density, ct_tensor **hist_out, ct_tensor **edges_out) {
    *hist_out = *edges_out = NULL;
    if (cpu_only("histogram", x) < 0) return -1;
    double left, right;
    ct_tensor *edges = NULL;
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    if (bin_tensor) {
        if (check_bin_tensor(x, bin_tensor) == 0 && check_weight(x, weight) == 0 &&
            check_bins(ct_numel(bin_tensor) - 1) == 0)
            edges = ct_clone(bin_tensor);
    } else if (check_bins(bins) == 0 && outer_edges(x, range, &left, &right) == 0) {
        edges = linear_edges(x, left, right, bins);
        if (edges && check_weight(x, weight) < 0) {
            ct_decref(edges);
            edges = NULL;
        }
    }
    ct_tensor *hist = edges ? hist_counts(x, edges, weight, bin_tensor ? CT_HIST_BINARY : CT_HIST_LOCAL) : NULL;
    if (hist && density) {
        ct_tensor *d = density_of(hist, edges);
        ct_decref(hist);
        hist = d;
    }
    ct_set_grad_enabled(grad);
    if (!hist) {
        ct_xdecref(edges);
        return -1;
    }
    ct_tensor *inputs[3] = {x, weight, bin_tensor};
    *hist_out = not_differentiable(hist, CT_OP_histogram, 3, inputs);
    *edges_out = not_differentiable(edges, CT_OP_histogram, 3, inputs);
    if (*hist_out && *edges_out) return 0;
    ct_xdecref(*hist_out);
    ct_xdecref(*edges_out);
    *hist_out = *edges_out = NULL;
    return -1;
}
