/* Convolution and pooling for Python: torch.conv1d conv2d conv_transpose1d
 * conv_transpose2d convolution max_pool1d max_pool2d max_pool1d_with_indices
 * avg_pool1d adaptive_avg_pool1d adaptive_max_pool1d, and as
 * ctorch._C._nn_<name> the ones PyTorch keeps in torch._C._nn
 * (max_pool2d_with_indices avg_pool2d adaptive_avg_pool2d
 * adaptive_max_pool2d). Argument names and defaults are PyTorch's. */
#include "ct_python.h"

/* an int-list argument: absent (every value dflt), an int (repeated rep times, as PyTorch's
 * IntArrayRef[rep] does; rep 0: kept as one value) or a sequence of ints */
static int int_list(const char *f, const char *name, PyObject *o, int rep, int64_t dflt, ct_int_list *out) {
    int n = rep ? rep : 1;
    if (!o) {
        for (int i = 0; i < n; i++) out->v[i] = dflt;
        out->n = n;
        return 0;
    }
    bool scalar = !PyTuple_Check(o) && !PyList_Check(o) && (PyIndex_Check(o) || ct_is_tensor(o));   /* NumPy ints too */
    if (scalar ? ct_arg_int(f, name, o, out->v) < 0 : ct_arg_int_list(f, name, o, out->v, &out->n) < 0) return -1;
    for (int i = 1; scalar && i < n; i++) out->v[i] = out->v[0];
    if (scalar) out->n = n;
    return 0;
}

/* a pooling's stride: None or absent gives none (the kernel size is used) */
static int stride_list(const char *f, PyObject *o, int rep, ct_int_list *out) {
    if (!o || o == Py_None) {
        out->n = 0;
        return 0;
    }
    return int_list(f, "stride", o, rep, 1, out);
}

static int arg_groups(const char *f, PyObject *o, int64_t *groups) {
    *groups = 1;
    return o ? ct_arg_int(f, "groups", o, groups) : 0;
}

/* input, weight and bias (None or absent: NULL) of a convolution */
static int conv_tensors(const char *f, PyObject **a, ct_tensor **x, ct_tensor **w, ct_tensor **b) {
    if (!a[0] || !a[1]) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", f, a[0] ? "weight" : "input");
        return -1;
    }
    if (!(*x = ct_arg_tensor(f, "input", a[0])) || !(*w = ct_arg_tensor(f, "weight", a[1]))) return -1;
    *b = NULL;
    if (a[2] && a[2] != Py_None && !(*b = ct_arg_tensor(f, "bias", a[2]))) return -1;
    return 0;
}

static PyObject *run_conv(ct_tensor *x, ct_tensor *w, ct_tensor *b, const ct_conv_opts *o) {
    ct_tensor *r;
    CT_NOGIL(ct_numel(x) * (w->ndim > 2 ? w->sizes[0] : 1), r = ct_convolution(x, w, b, o));
    return r ? ct_wrap(r) : ct_raise();
}

/* conv1d / conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1); padding may be
 * 'same' or 'valid' */
static PyObject *conv_call(const char *f, int spatial, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "dilation", "groups", NULL};
    PyObject *a[7];
    ct_tensor *x, *w, *b;
    ct_conv_opts o = {.name = f, .spatial = spatial, .output_padding = {.v = {0}, .n = 1}};
    if (ct_parse(f, args, nargs, kw, names, 7, a) < 0 || conv_tensors(f, a, &x, &w, &b) < 0 ||
        int_list(f, "stride", a[3], spatial, 1, &o.stride) < 0 ||
        int_list(f, "dilation", a[5], spatial, 1, &o.dilation) < 0 || arg_groups(f, a[6], &o.groups) < 0)
        return NULL;
    if (a[4] && PyUnicode_Check(a[4])) {
        static const char *const modes[] = {"same", "valid", NULL};
        int m = ct_arg_choice(f, "padding", a[4], modes);
        if (m == 2) return PyErr_Format(PyExc_RuntimeError, "Invalid padding string: '%U'", a[4]);
        o.padding_mode = m == 0 ? CT_CONV_PAD_SAME : CT_CONV_PAD_VALID;
    } else if (int_list(f, "padding", a[4], spatial, 0, &o.padding) < 0) {
        return NULL;
    }
    return run_conv(x, w, b, &o);
}

/* conv_transpose1d / 2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) */
static PyObject *conv_transpose_call(const char *f, int spatial, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kw) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "output_padding", "groups",
                                        "dilation", NULL};
    PyObject *a[8];
    ct_tensor *x, *w, *b;
    ct_conv_opts o = {.name = f, .spatial = spatial, .transposed = true};
    if (ct_parse(f, args, nargs, kw, names, 8, a) < 0 || conv_tensors(f, a, &x, &w, &b) < 0 ||
        int_list(f, "stride", a[3], spatial, 1, &o.stride) < 0 ||
        int_list(f, "padding", a[4], spatial, 0, &o.padding) < 0 ||
        int_list(f, "output_padding", a[5], spatial, 0, &o.output_padding) < 0 ||
        arg_groups(f, a[6], &o.groups) < 0 || int_list(f, "dilation", a[7], spatial, 1, &o.dilation) < 0)
        return NULL;
    return run_conv(x, w, b, &o);
}

static PyObject *f_conv1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return conv_call("conv1d", 1, args, n, kw);
}
static PyObject *f_conv2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return conv_call("conv2d", 2, args, n, kw);
}
static PyObject *f_conv_transpose1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return conv_transpose_call("conv_transpose1d", 1, args, n, kw);
}
static PyObject *f_conv_transpose2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return conv_transpose_call("conv_transpose2d", 2, args, n, kw);
}

/* convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups): all required */
static PyObject *f_convolution(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "weight", "bias", "stride", "padding", "dilation", "transposed",
                                        "output_padding", "groups", NULL};
    const char *f = "convolution";
    PyObject *a[9];
    ct_tensor *x, *w, *b;
    ct_conv_opts o = {0};
    if (ct_parse(f, args, nargs, kw, names, 9, a) < 0) return NULL;
    for (int i = 0; i < 9; i++)
        if (!a[i]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", f, names[i]);
    if (conv_tensors(f, a, &x, &w, &b) < 0 || int_list(f, "stride", a[3], 0, 1, &o.stride) < 0 ||
        int_list(f, "padding", a[4], 0, 0, &o.padding) < 0 || int_list(f, "dilation", a[5], 0, 1, &o.dilation) < 0 ||
        ct_arg_bool(f, "transposed", a[6], false, &o.transposed) < 0 ||
        int_list(f, "output_padding", a[7], 0, 0, &o.output_padding) < 0 || arg_groups(f, a[8], &o.groups) < 0)
        return NULL;
    return run_conv(x, w, b, &o);
}

/* the result of a pooling with indices: the tuple (values, indices) */
static PyObject *pair(ct_tensor *out, ct_tensor *ind) {
    if (!out) return ct_raise();
    return Py_BuildValue("(NN)", ct_wrap(out), ct_wrap(ind));
}

/* max_pool1d / 2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False), with or
 * without indices */
static PyObject *max_pool_call(const char *f, int spatial, bool with_indices, PyObject *const *args,
                               Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", NULL};
    PyObject *a[6];
    ct_pool_opts o = {0};
    if (ct_parse(f, args, nargs, kw, names, 6, a) < 0) return NULL;
    if (!a[0] || !a[1])
        return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"%s\"", f,
                            a[0] ? "kernel_size" : "input");
    ct_tensor *x = ct_arg_tensor(f, "input", a[0]), *out, *ind = NULL;
    if (!x || int_list(f, "kernel_size", a[1], spatial, 0, &o.kernel) < 0 || stride_list(f, a[2], spatial, &o.stride) < 0 ||
        int_list(f, "padding", a[3], spatial, 0, &o.padding) < 0 ||
        int_list(f, "dilation", a[4], spatial, 1, &o.dilation) < 0 ||
        ct_arg_bool(f, "ceil_mode", a[5], false, &o.ceil_mode) < 0)
        return NULL;
    ct_tensor **pi = with_indices ? &ind : NULL;
    CT_NOGIL(ct_numel(x), out = spatial == 1 ? ct_max_pool1d(x, &o, pi) : ct_max_pool2d(x, &o, pi));
    if (with_indices) return pair(out, ind);
    return out ? ct_wrap(out) : ct_raise();
}

static PyObject *f_max_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return max_pool_call("max_pool1d", 1, false, args, n, kw);
}
static PyObject *f_max_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return max_pool_call("max_pool2d", 2, false, args, n, kw);
}
static PyObject *f_max_pool1d_with_indices(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return max_pool_call("max_pool1d_with_indices", 1, true, args, n, kw);
}
static PyObject *f_max_pool2d_with_indices(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return max_pool_call("max_pool2d_with_indices", 2, true, args, n, kw);
}

/* avg_pool1d / 2d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True
 * [, divisor_override=None]) */
static PyObject *avg_pool_call(const char *f, int spatial, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                        "divisor_override", NULL};
    PyObject *a[7];
    ct_pool_opts o = {0};
    int npos = spatial == 1 ? 6 : 7;
    if (ct_parse(f, args, nargs, kw, names, npos, a) < 0) return NULL;
    if (spatial == 1 && a[6]) return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument "
                                                  "'divisor_override'", f);
    if (!a[0] || !a[1])
        return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"%s\"", f,
                            a[0] ? "kernel_size" : "input");
    ct_tensor *x = ct_arg_tensor(f, "input", a[0]), *out;
    if (!x || int_list(f, "kernel_size", a[1], spatial, 0, &o.kernel) < 0 || stride_list(f, a[2], spatial, &o.stride) < 0 ||
        int_list(f, "padding", a[3], spatial, 0, &o.padding) < 0 ||
        ct_arg_bool(f, "ceil_mode", a[4], false, &o.ceil_mode) < 0 ||
        ct_arg_bool(f, "count_include_pad", a[5], true, &o.count_include_pad) < 0)
        return NULL;
    o.has_divisor = a[6] && a[6] != Py_None;
    if (o.has_divisor && ct_arg_int(f, "divisor_override", a[6], &o.divisor) < 0) return NULL;
    CT_NOGIL(ct_numel(x), out = spatial == 1 ? ct_avg_pool1d(x, &o) : ct_avg_pool2d(x, &o));
    return out ? ct_wrap(out) : ct_raise();
}

static PyObject *f_avg_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return avg_pool_call("avg_pool1d", 1, args, n, kw);
}
static PyObject *f_avg_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return avg_pool_call("avg_pool2d", 2, args, n, kw);
}

/* adaptive_{avg,max}_pool{1,2}d(input, output_size); the max forms return (values, indices) */
static PyObject *adaptive_call(const char *f, int spatial, bool is_max, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kw) {
    static const char *const names[] = {"input", "output_size", NULL};
    PyObject *a[2];
    ct_int_list size;
    if (ct_parse(f, args, nargs, kw, names, 2, a) < 0) return NULL;
    if (!a[0] || !a[1])
        return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"%s\"", f,
                            a[0] ? "output_size" : "input");
    ct_tensor *x = ct_arg_tensor(f, "input", a[0]), *out, *ind = NULL;
    if (!x || int_list(f, "output_size", a[1], spatial, 0, &size) < 0) return NULL;
    if (is_max) {
        CT_NOGIL(ct_numel(x), out = spatial == 1 ? ct_adaptive_max_pool1d(x, &size, &ind)
                                                 : ct_adaptive_max_pool2d(x, &size, &ind));
        return pair(out, ind);
    }
    CT_NOGIL(ct_numel(x), out = spatial == 1 ? ct_adaptive_avg_pool1d(x, &size) : ct_adaptive_avg_pool2d(x, &size));
    return out ? ct_wrap(out) : ct_raise();
}

static PyObject *f_adaptive_avg_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return adaptive_call("adaptive_avg_pool1d", 1, false, args, n, kw);
}
static PyObject *f_adaptive_avg_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return adaptive_call("adaptive_avg_pool2d", 2, false, args, n, kw);
}
static PyObject *f_adaptive_max_pool1d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return adaptive_call("adaptive_max_pool1d", 1, true, args, n, kw);
}
static PyObject *f_adaptive_max_pool2d(PyObject *m, PyObject *const *args, Py_ssize_t n, PyObject *kw) {
    return adaptive_call("adaptive_max_pool2d", 2, true, args, n, kw);
}

PyMethodDef ct_nn_conv_functions[] = {
    {"conv1d", CT_FASTCALL(f_conv1d), NULL},
    {"conv2d", CT_FASTCALL(f_conv2d), NULL},
    {"conv_transpose1d", CT_FASTCALL(f_conv_transpose1d), NULL},
    {"conv_transpose2d", CT_FASTCALL(f_conv_transpose2d), NULL},
    {"convolution", CT_FASTCALL(f_convolution), NULL},
    {"max_pool1d", CT_FASTCALL(f_max_pool1d), NULL},
    {"max_pool2d", CT_FASTCALL(f_max_pool2d), NULL},
    {"max_pool1d_with_indices", CT_FASTCALL(f_max_pool1d_with_indices), NULL},
    {"avg_pool1d", CT_FASTCALL(f_avg_pool1d), NULL},
    {"adaptive_avg_pool1d", CT_FASTCALL(f_adaptive_avg_pool1d), NULL},
    {"adaptive_max_pool1d", CT_FASTCALL(f_adaptive_max_pool1d), NULL},
    {"_nn_max_pool2d_with_indices", CT_FASTCALL(f_max_pool2d_with_indices), NULL},
    {"_nn_avg_pool2d", CT_FASTCALL(f_avg_pool2d), NULL},
    {"_nn_adaptive_avg_pool2d", CT_FASTCALL(f_adaptive_avg_pool2d), NULL},
    {"_nn_adaptive_max_pool2d", CT_FASTCALL(f_adaptive_max_pool2d), NULL},
    {NULL},
};
