/* Creating tensors from Python: tensor() from nested sequences and buffers,
 * sharing a buffer's memory (from_numpy), the factories, and conversions
 * back to Python values (item, tolist). */
#include "ct_python.h"

#include <math.h>

#include "ctorch/ct_autograd.h"

/* ---- dtypes of buffer formats (PEP 3118) ---- */
static ct_dtype dtype_of_format(const char *fmt, Py_ssize_t itemsize) {
    if (!fmt) return CT_UINT8;
    if (*fmt == '<' || *fmt == '=' || *fmt == '@' || *fmt == '|') fmt++;
    if (fmt[0] == 0 || fmt[1] != 0) return CT_UNDEFINED;
    switch (fmt[0]) {
    case '?': return CT_BOOL;
    case 'B': return CT_UINT8;
    case 'b': return CT_INT8;
    case 'h': return CT_INT16;
    case 'i': return itemsize == 4 ? CT_INT32 : CT_UNDEFINED;
    case 'l': return itemsize == 8 ? CT_INT64 : itemsize == 4 ? CT_INT32 : CT_UNDEFINED;
    case 'q': return CT_INT64;
    case 'e': return CT_FLOAT16;
    case 'f': return CT_FLOAT32;
    case 'd': return CT_FLOAT64;
    default: return CT_UNDEFINED;
    }
}

static PyObject *unsupported_format(const Py_buffer *view) {
    return PyErr_Format(PyExc_TypeError, "can't convert np.ndarray of type %s. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.",
                        view->format ? view->format : "?");
}

static const char negative_strides_msg[] =
    "At least one stride in the given numpy array is negative, and tensors with negative strides are not currently "
    "supported. (You can probably work around this by making a copy of your array  with array.copy().) ";

typedef struct {
    Py_buffer view;
} buffer_owner;

static void release_buffer(void *ctx, void *data) {
    buffer_owner *o = ctx;
    if (Py_IsInitialized()) {
        PyGILState_STATE g = PyGILState_Ensure();
        PyBuffer_Release(&o->view);
        PyGILState_Release(g);
    }
    PyMem_RawFree(o);
}

/* a tensor over the memory of a buffer exporter (shares it; keeps it alive) */
static ct_tensor *tensor_on_buffer(PyObject *obj, bool writable_required) {
    buffer_owner *o = PyMem_RawMalloc(sizeof *o);
    if (!o) return (ct_tensor *)PyErr_NoMemory();
    if (PyObject_GetBuffer(obj, &o->view, PyBUF_RECORDS) < 0) {
        if (writable_required) {
            PyMem_RawFree(o);
            return NULL;
        }
        PyErr_Clear();
        if (PyObject_GetBuffer(obj, &o->view, PyBUF_RECORDS_RO) < 0) {
            PyMem_RawFree(o);
            return NULL;
        }
    }
    Py_buffer *v = &o->view;
    ct_dtype dt = dtype_of_format(v->format, v->itemsize);
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS], span = v->itemsize;
    const char *err = NULL;
    if (dt == CT_UNDEFINED || ct_itemsize(dt) != v->itemsize) err = "format";
    else if (v->ndim > CT_MAX_DIMS) err = "ndim";
    for (int i = 0; !err && i < v->ndim; i++) {
        sizes[i] = v->shape[i];
        Py_ssize_t st = v->strides ? v->strides[i] : 0;
        if (!v->strides) {   /* C order */
            st = v->itemsize;
            for (int j = i + 1; j < v->ndim; j++) st *= v->shape[j];
        }
        if (st < 0 && sizes[i] > 1) err = "negative";
        else if (st % v->itemsize != 0) err = "misaligned";
        strides[i] = st / v->itemsize;
        if (sizes[i] == 0) span = 0;
        else if (span) span += (sizes[i] - 1) * (st < 0 ? 0 : st);
    }
    if (err) {
        if (!strcmp(err, "format")) unsupported_format(v);
        else if (!strcmp(err, "negative")) PyErr_SetString(PyExc_ValueError, negative_strides_msg);
        else if (!strcmp(err, "ndim")) PyErr_Format(PyExc_RuntimeError, "ctorch supports at most %d dimensions", CT_MAX_DIMS);
        else PyErr_SetString(PyExc_ValueError, "given numpy array strides not a multiple of the element byte size. "
                                               "Copy the numpy array to reallocate the memory.");
        PyBuffer_Release(v);
        PyMem_RawFree(o);
        return NULL;
    }
    ct_storage *s = ct_storage_wrap(v->buf, span, ct_cpu(), release_buffer, o);
    if (!s) {
        PyBuffer_Release(v);
        PyMem_RawFree(o);
        return (ct_tensor *)ct_raise();
    }
    ct_tensor *t = ct_tensor_new(s, dt, v->ndim, sizes, strides, 0);
    ct_storage_decref(s);
    if (!t) ct_raise();
    return t;
}

/* ---- nested sequences ---- */
typedef struct {
    int ndim;
    int64_t shape[CT_MAX_DIMS];
    ct_dtype kind;   /* bool < int64 < default float, or a buffer/tensor dtype */
} seq_info;

static bool is_scalar(PyObject *o) {
    return PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) ||
           (ct_is_tensor(o) && ct_unwrap(o)->ndim == 0) ||
           (!PySequence_Check(o) && (PyIndex_Check(o) || (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float)));
}

static ct_dtype scalar_kind(PyObject *o) {
    if (PyBool_Check(o)) return CT_BOOL;
    if (PyLong_Check(o)) return CT_INT64;
    if (ct_is_tensor(o)) return ct_unwrap(o)->dtype;
    if (PyFloat_Check(o)) return ct_get_default_dtype();
    return PyIndex_Check(o) ? CT_INT64 : ct_get_default_dtype();
}

/* the dtype of a buffer exporter (a NumPy scalar or array), or CT_UNDEFINED */
static ct_dtype buffer_dtype(PyObject *o) {
    if (PyBytes_Check(o) || PyByteArray_Check(o) || !PyObject_CheckBuffer(o) || ct_is_tensor(o)) return CT_UNDEFINED;
    Py_buffer v;
    if (PyObject_GetBuffer(o, &v, PyBUF_FORMAT | PyBUF_ND) < 0) {
        PyErr_Clear();
        return CT_UNDEFINED;
    }
    ct_dtype d = dtype_of_format(v.format, v.itemsize);
    PyBuffer_Release(&v);
    return d;
}

static int scan(PyObject *o, int depth, seq_info *info) {
    ct_dtype bd = buffer_dtype(o);
    if (bd != CT_UNDEFINED) info->kind = ct_promote_types(info->kind, bd);
    if (is_scalar(o)) {
        if (bd != CT_UNDEFINED) {
            if (depth != info->ndim) goto ragged;
            return 0;
        }
        if (depth != info->ndim) goto ragged;
        info->kind = ct_promote_types(info->kind, scalar_kind(o));
        return 0;
    }
    if (PyUnicode_Check(o) || PyBytes_Check(o) || !PySequence_Check(o)) {
        if (depth == 0 && !PyUnicode_Check(o) && !PyBytes_Check(o))
            PyErr_Format(PyExc_RuntimeError, "Could not infer dtype of %s", Py_TYPE(o)->tp_name);
        else
            PyErr_Format(PyExc_TypeError, "new(): invalid data type '%s'", Py_TYPE(o)->tp_name);
        return -1;
    }
    if (depth >= CT_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "ctorch supports at most %d dimensions", CT_MAX_DIMS);
        return -1;
    }
    PyObject *fast = PySequence_Fast(o, "not a sequence");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (depth == info->ndim) {   /* first visit of this depth fixes its length */
        info->shape[depth] = n;
        info->ndim = depth + 1;
    } else if (depth > info->ndim || info->shape[depth] != n) {
        PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %d (got %zd)",
                     (long long)info->shape[depth], depth, n);
        Py_DECREF(fast);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (scan(PySequence_Fast_GET_ITEM(fast, i), depth + 1, info) < 0) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    /* an empty sequence leaves deeper dims unset */
    return 0;
ragged:
    PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %d (got a scalar)",
                 (long long)info->shape[depth], depth);
    return -1;
}

/* PyTorch refuses Python values that overflow an integral dtype */
static int check_range(ct_dtype dt, ct_scalar v, bool is_float) {
    static const double lo[CT_NUM_DTYPES] = {0, 0, -128, -32768, -2147483648.0, -9223372036854775808.0};
    static const double hi[CT_NUM_DTYPES] = {0, 255, 127, 32767, 2147483647.0, 9223372036854775807.0};
    if (!ct_is_integral(dt, false)) return 0;
    double x = is_float ? v.d : (double)v.i;
    bool bad = is_float ? (x < lo[dt] || x > hi[dt]) : dt == CT_UINT8 ? (x > 255 || x < -255) : (x < lo[dt] || x > hi[dt]);
    if (is_float && isnan(x)) bad = false;
    if (bad) {
        PyErr_Format(PyExc_RuntimeError, "value cannot be converted to type %s without overflow", ct_dtype_name(dt));
        return -1;
    }
    return 0;
}

static int fill(PyObject *o, char **p, ct_dtype dt) {
    if (is_scalar(o)) {
        ct_scalar v;
        ct_dtype kind;
        if (ct_arg_scalar("tensor", "data", o, &v, &kind) < 0 || check_range(dt, v, kind == CT_FLOAT64) < 0) return -1;
        if (kind == CT_FLOAT64 && !ct_is_floating(dt) && dt != CT_BOOL) v = ct_scalar_f(trunc(v.d));
        ct_store_scalar(*p, dt, v);
        *p += ct_itemsize(dt);
        return 0;
    }
    PyObject *fast = PySequence_Fast(o, "not a sequence");
    if (!fast) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        if (fill(PySequence_Fast_GET_ITEM(fast, i), p, dt) < 0) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

/* move to another device / dtype when asked (new reference; consumes t) */
static ct_tensor *place(ct_tensor *t, ct_dtype dtype, ct_device device) {
    if (!t) return NULL;
    ct_dtype dt = dtype == CT_UNDEFINED ? t->dtype : dtype;
    if (dt == t->dtype && ct_device_eq(ct_device_of(t), device)) return t;
    ct_tensor *out = ct_empty(t->ndim, t->sizes, dt, device);
    if (out && ct_copy_(out, t) < 0) {
        ct_decref(out);
        out = NULL;
    }
    ct_decref(t);
    if (!out) ct_raise();
    return out;
}

ct_tensor *ct_tensor_from_data(PyObject *data, ct_dtype dtype, ct_device device) {
    if (ct_is_tensor(data)) {
        ct_tensor *src = ct_unwrap(data);
        ct_tensor *c = ct_empty(src->ndim, src->sizes, dtype == CT_UNDEFINED ? src->dtype : dtype, device);
        if (c && ct_copy_(c, src) < 0) {
            ct_decref(c);
            c = NULL;
        }
        if (!c) ct_raise();
        return c;
    }
    if (!PyList_Check(data) && !PyTuple_Check(data) && !PyBytes_Check(data) && PyObject_CheckBuffer(data)) {
        ct_tensor *view = tensor_on_buffer(data, false);
        if (!view) return NULL;
        ct_tensor *c = ct_empty(view->ndim, view->sizes, dtype == CT_UNDEFINED ? view->dtype : dtype, device);
        if (c && ct_copy_(c, view) < 0) {
            ct_decref(c);
            c = NULL;
        }
        ct_decref(view);
        if (!c) ct_raise();
        return c;
    }
    seq_info info = {0, {0}, CT_UNDEFINED};
    if (scan(data, 0, &info) < 0) return NULL;
    ct_dtype dt = dtype != CT_UNDEFINED ? dtype : info.kind != CT_UNDEFINED ? info.kind : ct_get_default_dtype();
    ct_tensor *t = ct_empty(info.ndim, info.shape, dt, ct_cpu());
    if (!t) return (ct_tensor *)ct_raise();
    char *p = ct_data(t);
    if (ct_numel(t) > 0 && fill(data, &p, dt) < 0) {
        ct_decref(t);
        return NULL;
    }
    return place(t, dt, device);
}

/* ---- keyword arguments shared by the factories ---- */
int parse_factory_opts(const char *fname, PyObject *const *kwvals, PyObject *kwnames, int skip, factory_opts *o,
                       PyObject **extra, const char *const *extra_names) {
    o->dtype = CT_UNDEFINED;
    o->device = ct_cpu();
    o->requires_grad = false;
    o->out = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = skip; k < nkw; k++) {
        const char *key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        PyObject *v = kwvals[k];
        int rc = 0;
        if (!strcmp(key, "dtype")) rc = ct_arg_dtype(v, &o->dtype);
        else if (!strcmp(key, "device")) rc = ct_arg_device(v, &o->device);
        else if (!strcmp(key, "requires_grad")) rc = ct_arg_bool(fname, key, v, false, &o->requires_grad);
        else if (!strcmp(key, "out")) o->out = v == Py_None ? NULL : v;
        else if (!strcmp(key, "layout") || !strcmp(key, "pin_memory") || !strcmp(key, "memory_format") ||
                 !strcmp(key, "non_blocking"))
            ;
        else {
            int i = 0;
            while (extra_names && extra_names[i] && strcmp(extra_names[i], key)) i++;
            if (!extra_names || !extra_names[i]) {
                PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fname, key);
                return -1;
            }
            extra[i] = v;
        }
        if (rc < 0) return -1;
    }
    if (o->requires_grad && o->dtype != CT_UNDEFINED && !ct_is_floating(o->dtype)) {
        PyErr_SetString(PyExc_RuntimeError, "Only Tensors of floating point and complex dtype can require gradients");
        return -1;
    }
    return 0;
}

/* the result of a factory; out= receives the values when given */
PyObject *factory_result(ct_tensor *t, const factory_opts *o) {
    if (!t) return ct_raise();
    if (o->requires_grad) {
        if (!ct_is_floating(t->dtype)) {
            ct_decref(t);
            return PyErr_Format(PyExc_RuntimeError, "Only Tensors of floating point and complex dtype can require "
                                "gradients");
        }
        t->requires_grad = true;
    }
    if (o->out) {
        if (!ct_is_tensor(o->out)) {
            ct_decref(t);
            return PyErr_Format(PyExc_TypeError, "argument 'out' must be Tensor");
        }
        ct_tensor *dst = ct_unwrap(o->out);
        int rc = dst->ndim == t->ndim && !memcmp(dst->sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim)
                     ? ct_copy_(dst, t)
                     : ct_error(CT_ERR_RUNTIME, "out= with a different shape is not supported");
        ct_decref(t);
        if (rc < 0) return ct_raise();
        Py_INCREF(o->out);
        return o->out;
    }
    return ct_wrap(t);
}

/* zeros/ones/empty(*size, dtype=None, device=None, ...) */
static PyObject *sized_factory(const char *fname, int fillv, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    factory_opts o;
    PyObject *size_kw[1] = {NULL};
    static const char *const extra[] = {"size", NULL};
    if (parse_factory_opts(fname, args + nargs, kwnames, 0, &o, size_kw, extra) < 0) return NULL;
    int64_t sizes[CT_MAX_DIMS];
    int nd = size_kw[0] ? ct_arg_sizes(fname, size_kw, 1, sizes) : ct_arg_sizes(fname, args, nargs, sizes);
    if (nd < 0) return NULL;
    ct_dtype dt = o.dtype == CT_UNDEFINED ? ct_get_default_dtype() : o.dtype;
    ct_tensor *t = fillv < 0 ? ct_empty(nd, sizes, dt, o.device) : ct_full(nd, sizes, ct_scalar_i(fillv), dt, o.device);
    return factory_result(t, &o);
}
static PyObject *f_zeros(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sized_factory("zeros", 0, a, n, k); }
static PyObject *f_ones(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sized_factory("ones", 1, a, n, k); }
static PyObject *f_empty(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sized_factory("empty", -1, a, n, k); }

static ct_dtype kind_to_dtype(ct_dtype kind) { return kind == CT_FLOAT64 ? ct_get_default_dtype() : kind; }

static PyObject *f_full(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"size", "fill_value", NULL};
    if (parse_factory_opts("full", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    PyObject *size = nargs > 0 ? args[0] : kw[0], *value = nargs > 1 ? args[1] : kw[1];
    if (nargs > 2 || !size || !value)
        return PyErr_Format(PyExc_TypeError, "full() received an invalid combination of arguments");
    int64_t sizes[CT_MAX_DIMS];
    int nd = ct_arg_sizes("full", &size, 1, sizes);
    ct_scalar v;
    ct_dtype kind;
    if (nd < 0 || ct_arg_scalar("full", "fill_value", value, &v, &kind) < 0) return NULL;
    ct_dtype dt = o.dtype != CT_UNDEFINED ? o.dtype : kind_to_dtype(kind);
    return factory_result(ct_full(nd, sizes, v, dt, o.device), &o);
}

static PyObject *f_tensor(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[1] = {NULL};
    static const char *const extra[] = {"data", NULL};
    if (parse_factory_opts("tensor", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    PyObject *data = nargs > 0 ? args[0] : kw[0];
    if (nargs > 1 || !data) return PyErr_Format(PyExc_TypeError, "tensor() takes 1 positional argument but %zd were given", nargs);
    return factory_result(ct_tensor_from_data(data, o.dtype, o.device), &o);
}

/* as_tensor(data, dtype=None, device=None): no copy when it can share */
static PyObject *f_as_tensor(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"data", "dtype", "device", NULL};
    PyObject *a[3];
    ct_dtype dt;
    ct_device dev;
    if (ct_parse("as_tensor", args, nargs, kwnames, names, 3, a) < 0 || ct_arg_dtype(a[1], &dt) < 0 ||
        ct_arg_device(a[2], &dev) < 0)
        return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "as_tensor() missing 1 required positional argument: \"data\"");
    ct_tensor *t = NULL;
    if (ct_is_tensor(a[0])) {
        t = ct_incref(ct_unwrap(a[0]));
        if ((dt == CT_UNDEFINED || dt == t->dtype) && (!a[2] || ct_device_eq(dev, ct_device_of(t)))) {
            Py_INCREF(a[0]);
            ct_decref(t);
            return a[0];
        }
    } else if (!PyList_Check(a[0]) && !PyTuple_Check(a[0]) && !PyBytes_Check(a[0]) && PyObject_CheckBuffer(a[0])) {
        t = tensor_on_buffer(a[0], false);
        if (!t) return NULL;
    }
    if (t) {
        if (!a[2]) dev = ct_device_of(t);
        return ct_wrap(place(t, dt, dev));
    }
    return ct_wrap(ct_tensor_from_data(a[0], dt, dev));
}

/* _from_buffer(obj): a tensor sharing obj's memory (from_numpy checks the type) */
static PyObject *f_from_buffer(PyObject *m, PyObject *obj) {
    ct_tensor *t = tensor_on_buffer(obj, false);
    return t ? ct_wrap(t) : NULL;
}

/* a number argument of arange/linspace: its value and whether it is floating */
static int range_number(const char *fname, const char *name, PyObject *o, double *v, bool *is_float) {
    ct_scalar s;
    ct_dtype kind;
    if (ct_arg_scalar(fname, name, o, &s, &kind) < 0) return -1;
    *v = s.d;
    if (kind == CT_FLOAT64) *is_float = true;
    return 0;
}

static PyObject *f_arange(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[3] = {NULL, NULL, NULL};
    static const char *const extra[] = {"start", "end", "step", NULL};
    if (parse_factory_opts("arange", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    if (nargs > 3) return PyErr_Format(PyExc_TypeError, "arange() received an invalid combination of arguments");
    PyObject *start = NULL, *end = NULL, *step = kw[2];
    if (nargs == 1) end = args[0];
    else if (nargs >= 2) start = args[0], end = args[1];
    if (nargs == 3) step = args[2];
    if (kw[0]) start = kw[0];
    if (kw[1]) end = kw[1];
    if (!end) return PyErr_Format(PyExc_TypeError, "arange() missing required argument 'end'");
    double vs = 0, ve = 0, vst = 1;
    bool is_float = false;
    if ((start && range_number("arange", "start", start, &vs, &is_float) < 0) ||
        range_number("arange", "end", end, &ve, &is_float) < 0 ||
        (step && range_number("arange", "step", step, &vst, &is_float) < 0))
        return NULL;
    ct_dtype dt = o.dtype != CT_UNDEFINED ? o.dtype : is_float ? ct_get_default_dtype() : CT_INT64;
    return factory_result(ct_arange(vs, ve, vst, dt, o.device), &o);
}

static PyObject *f_linspace(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[3] = {NULL, NULL, NULL};
    static const char *const extra[] = {"start", "end", "steps", NULL};
    if (parse_factory_opts("linspace", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    if (nargs > 3) return PyErr_Format(PyExc_TypeError, "linspace() received an invalid combination of arguments");
    for (Py_ssize_t i = 0; i < nargs; i++) kw[i] = args[i];
    if (!kw[0] || !kw[1] || !kw[2])
        return PyErr_Format(PyExc_TypeError, "linspace() missing required arguments (start, end, steps)");
    double s, e;
    int64_t steps;
    bool is_float = false;
    if (range_number("linspace", "start", kw[0], &s, &is_float) < 0 ||
        range_number("linspace", "end", kw[1], &e, &is_float) < 0 || ct_arg_int("linspace", "steps", kw[2], &steps) < 0)
        return NULL;
    ct_dtype dt = o.dtype != CT_UNDEFINED ? o.dtype : ct_get_default_dtype();
    return factory_result(ct_linspace(s, e, steps, dt, o.device), &o);
}

static PyObject *f_eye(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"n", "m", NULL};
    if (parse_factory_opts("eye", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    if (nargs > 2) return PyErr_Format(PyExc_TypeError, "eye() received an invalid combination of arguments");
    for (Py_ssize_t i = 0; i < nargs; i++) kw[i] = args[i];
    int64_t n, mm;
    if (!kw[0]) return PyErr_Format(PyExc_TypeError, "eye() missing required argument 'n'");
    if (ct_arg_int("eye", "n", kw[0], &n) < 0) return NULL;
    mm = n;
    if (kw[1] && kw[1] != Py_None && ct_arg_int("eye", "m", kw[1], &mm) < 0) return NULL;
    ct_dtype dt = o.dtype != CT_UNDEFINED ? o.dtype : ct_get_default_dtype();
    return factory_result(ct_eye(n, mm, dt, o.device), &o);
}

/* zeros_like / ones_like / empty_like / full_like(input, [fill_value], dtype=None, ...) */
static PyObject *like_factory(const char *fname, int fillv, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"input", "fill_value", NULL};
    if (parse_factory_opts(fname, args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    for (Py_ssize_t i = 0; i < nargs && i < 2; i++) kw[i] = args[i];
    bool needs_value = fillv == 2;
    if (nargs > (needs_value ? 2 : 1)) return PyErr_Format(PyExc_TypeError, "%s() takes too many arguments", fname);
    ct_tensor *t = ct_arg_tensor(fname, "input", kw[0]);
    if (!t) return NULL;
    ct_scalar v = ct_scalar_i(fillv);
    ct_dtype kind;
    if (needs_value) {
        if (!kw[1]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'fill_value'", fname);
        if (ct_arg_scalar(fname, "fill_value", kw[1], &v, &kind) < 0) return NULL;
    }
    ct_dtype dt = o.dtype == CT_UNDEFINED ? t->dtype : o.dtype;
    bool dev_given = false;
    for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); k++)
        dev_given |= PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, k), "device") == 0;
    ct_tensor *r = dev_given && !ct_device_eq(o.device, ct_device_of(t)) ? ct_empty(t->ndim, t->sizes, dt, o.device)
                                                                         : ct_empty_like(t, dt);
    if (r && fillv >= 0 && ct_fill_(r, v) < 0) {
        ct_decref(r);
        r = NULL;
    }
    return factory_result(r, &o);
}
static PyObject *f_zeros_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_factory("zeros_like", 0, a, n, k); }
static PyObject *f_ones_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_factory("ones_like", 1, a, n, k); }
static PyObject *f_empty_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_factory("empty_like", -1, a, n, k); }
static PyObject *f_full_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_factory("full_like", 2, a, n, k); }

/* ---- methods: new_* (dtype and device of self by default) ---- */
static PyObject *new_factory(const char *fname, int fillv, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"size", "fill_value", NULL};
    if (parse_factory_opts(fname, args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    bool dev_given = false;
    for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); k++)
        dev_given |= PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, k), "device") == 0;
    if (!dev_given) o.device = ct_device_of(t);
    ct_dtype dt = o.dtype == CT_UNDEFINED ? t->dtype : o.dtype;
    int64_t sizes[CT_MAX_DIMS];
    int nd;
    ct_scalar v = ct_scalar_i(fillv);
    if (fillv == 2) {   /* new_full(size, fill_value) */
        PyObject *size = nargs > 0 ? args[0] : kw[0], *value = nargs > 1 ? args[1] : kw[1];
        ct_dtype kind;
        if (!size || !value) return PyErr_Format(PyExc_TypeError, "new_full() missing required arguments");
        if ((nd = ct_arg_sizes(fname, &size, 1, sizes)) < 0 || ct_arg_scalar(fname, "fill_value", value, &v, &kind) < 0)
            return NULL;
    } else {
        nd = kw[0] ? ct_arg_sizes(fname, kw, 1, sizes) : ct_arg_sizes(fname, args, nargs, sizes);
        if (nd < 0) return NULL;
    }
    return factory_result(fillv < 0 ? ct_empty(nd, sizes, dt, o.device) : ct_full(nd, sizes, v, dt, o.device), &o);
}
static PyObject *m_new_zeros(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return new_factory("new_zeros", 0, s, a, n, k); }
static PyObject *m_new_ones(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return new_factory("new_ones", 1, s, a, n, k); }
static PyObject *m_new_empty(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return new_factory("new_empty", -1, s, a, n, k); }
static PyObject *m_new_full(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return new_factory("new_full", 2, s, a, n, k); }
static PyObject *m_new_tensor(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    if (nargs != 1) return PyErr_Format(PyExc_TypeError, "new_tensor() takes 1 positional argument");
    if (parse_factory_opts("new_tensor", args + nargs, kwnames, 0, &o, NULL, NULL) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    return ct_wrap(ct_tensor_from_data(args[0], o.dtype == CT_UNDEFINED ? t->dtype : o.dtype, ct_device_of(t)));
}

/* ---- conversions ---- */
static PyObject *convert(PyObject *self, ct_dtype dt) {
    ct_tensor *t = ct_unwrap(self), *r;
    if (t->dtype == dt) {
        Py_INCREF(self);
        return self;
    }
    CT_NOGIL(ct_numel(t), r = ct_to_dtype(t, dt, false));
    return ct_wrap(r);
}
#define CT_CONVERT(name, E)                                                                               \
    static PyObject *m_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) { \
        return convert(self, CT_##E);                                                                     \
    }
CT_CONVERT(float, FLOAT32)
CT_CONVERT(double, FLOAT64)
CT_CONVERT(half, FLOAT16)
CT_CONVERT(bfloat16, BFLOAT16)
CT_CONVERT(long, INT64)
CT_CONVERT(int, INT32)
CT_CONVERT(short, INT16)
CT_CONVERT(char, INT8)
CT_CONVERT(byte, UINT8)
CT_CONVERT(bool, BOOL)

/* to(dtype, non_blocking, copy) / to(device, dtype=None, non_blocking, copy) / to(other, non_blocking, copy) /
 * to(dtype=, device=, copy=, non_blocking=); positional bools are non_blocking, then copy */
static PyObject *m_to(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"a", "b", "c", "d", "dtype", "device", "copy", "non_blocking", "memory_format",
                                        NULL};
    PyObject *a[9];
    if (ct_parse("to", args, nargs, kwnames, names, 4, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    ct_dtype dt = CT_UNDEFINED;
    ct_device dev = ct_device_of(t);
    bool copy;
    int bools = 0;
    for (int i = 0; i < 4; i++) {
        PyObject *x = a[i];
        if (!x || x == Py_None) continue;
        if (PyBool_Check(x)) {   /* non_blocking (no effect here), then copy */
            if (bools++ == 1 && !a[6]) a[6] = x;
        } else if (PyObject_TypeCheck(x, &CTDtypeType)) {
            dt = ((CTDtype *)x)->dtype;
        } else if (ct_is_tensor(x)) {
            dt = ct_unwrap(x)->dtype;
            dev = ct_device_of(ct_unwrap(x));
        } else if (ct_arg_device(x, &dev) < 0) {
            return NULL;
        }
    }
    if ((a[4] && ct_arg_dtype(a[4], &dt) < 0) || (a[5] && a[5] != Py_None && ct_arg_device(a[5], &dev) < 0) ||
        ct_arg_bool("to", "copy", a[6], false, &copy) < 0)
        return NULL;
    if (dt == CT_UNDEFINED) dt = t->dtype;
    if (!copy && dt == t->dtype && ct_device_eq(dev, ct_device_of(t))) {
        Py_INCREF(self);
        return self;
    }
    if (ct_device_eq(dev, ct_device_of(t))) return ct_wrap(ct_to_dtype(t, dt, copy));   /* recorded for autograd */
    ct_tensor *r = ct_empty(t->ndim, t->sizes, dt, dev);
    if (r && ct_copy_(r, t) < 0) {
        ct_decref(r);
        r = NULL;
    }
    return ct_wrap(r);
}

static PyObject *m_clone(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    ct_tensor *t = ct_unwrap(self), *r;
    CT_NOGIL(ct_numel(t), r = ct_clone(t));
    return ct_wrap(r);
}

static PyObject *f_clone(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return ct_call_as_method("clone", m_clone, a, n, k);
}

static PyObject *m_copy_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"src", "non_blocking", NULL};
    PyObject *a[2];
    if (ct_parse("copy_", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *src = ct_arg_tensor("copy_", "src", a[0]), *dst = ct_unwrap(self);
    if (!src) return NULL;

    int rc;
    CT_NOGIL(ct_numel(dst), rc = ct_copy_(dst, src));
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

static PyObject *m_fill_(PyObject *self, PyObject *value) {
    ct_scalar v;
    ct_dtype kind;
    if (ct_is_tensor(value) && ct_unwrap(value)->ndim != 0)
        return PyErr_Format(PyExc_RuntimeError, "fill_ only supports 0-dimension value tensor but got tensor with %d "
                            "dimensions.", ct_unwrap(value)->ndim);
    if (ct_arg_scalar("fill_", "value", value, &v, &kind) < 0) return NULL;
    if (ct_fill_(ct_unwrap(self), v) < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

static PyObject *m_zero_(PyObject *self, PyObject *unused) {
    if (ct_fill_(ct_unwrap(self), ct_scalar_i(0)) < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

/* ---- back to Python values ---- */
static PyObject *py_value(const char *p, ct_dtype dt) {
    ct_scalar v = ct_load_scalar(p, dt);
    if (dt == CT_BOOL) return PyBool_FromLong(v.i != 0);
    if (ct_is_floating(dt)) return PyFloat_FromDouble(v.d);
    return PyLong_FromLongLong(v.i);
}

/* a CPU copy when the tensor lives on another device (new reference) */
static ct_tensor *on_cpu(ct_tensor *t) {
    if (ct_device_of(t).type == CT_DEV_CPU) return ct_incref(t);
    ct_tensor *c = ct_empty(t->ndim, t->sizes, t->dtype, ct_cpu());
    if (c && ct_copy_(c, t) < 0) {
        ct_decref(c);
        c = NULL;
    }
    return c;
}

static PyObject *m_item(PyObject *self, PyObject *unused) {
    ct_tensor *t = ct_unwrap(self);
    int64_t n = ct_numel(t);
    if (n != 1) return PyErr_Format(PyExc_RuntimeError, "a Tensor with %lld elements cannot be converted to Scalar", (long long)n);
    ct_tensor *c = on_cpu(t);
    if (!c) return ct_raise();
    PyObject *r = py_value(ct_data(c), c->dtype);
    ct_decref(c);
    return r;
}

static PyObject *tolist_rec(const ct_tensor *t, const char *p, int d) {
    if (d == t->ndim) return py_value(p, t->dtype);
    PyObject *list = PyList_New(t->sizes[d]);
    int64_t step = t->strides[d] * ct_itemsize(t->dtype);
    for (int64_t i = 0; list && i < t->sizes[d]; i++) {
        PyObject *v = tolist_rec(t, p + i * step, d + 1);
        if (!v) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

static PyObject *m_tolist(PyObject *self, PyObject *unused) {
    ct_tensor *c = on_cpu(ct_unwrap(self));
    if (!c) return ct_raise();
    PyObject *r = tolist_rec(c, ct_data(c), 0);
    ct_decref(c);
    return r;
}

/* _make_subclass(cls, data): an instance of cls sharing data's memory (nn.Parameter) */
static PyObject *f_make_subclass(PyObject *m, PyObject *args) {
    PyObject *cls, *data;
    if (!PyArg_ParseTuple(args, "OO:_make_subclass", &cls, &data)) return NULL;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &CTensorBaseType))
        return PyErr_Format(PyExc_TypeError, "_make_subclass: cls must be a Tensor subclass");
    ct_tensor *t = ct_arg_tensor("_make_subclass", "data", data);
    return t ? ct_wrap_as((PyTypeObject *)cls, ct_alias(t)) : NULL;
}

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_NOARGS(name, fn) {name, (PyCFunction)(fn), METH_NOARGS, NULL},

PyMethodDef ct_create_functions[] = {
    CT_ENTRY("zeros", f_zeros) CT_ENTRY("ones", f_ones) CT_ENTRY("empty", f_empty) CT_ENTRY("full", f_full)
    CT_ENTRY("tensor", f_tensor) CT_ENTRY("as_tensor", f_as_tensor) CT_ENTRY("arange", f_arange)
    CT_ENTRY("linspace", f_linspace) CT_ENTRY("eye", f_eye) CT_ENTRY("zeros_like", f_zeros_like)
    CT_ENTRY("ones_like", f_ones_like) CT_ENTRY("empty_like", f_empty_like) CT_ENTRY("full_like", f_full_like)
    {"clone", (PyCFunction)(void (*)(void))f_clone, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_from_buffer", (PyCFunction)f_from_buffer, METH_O, NULL},
    {"_make_subclass", (PyCFunction)f_make_subclass, METH_VARARGS, NULL},
    {NULL},
};

PyMethodDef ct_create_methods[] = {
    CT_ENTRY("new_zeros", m_new_zeros) CT_ENTRY("new_ones", m_new_ones) CT_ENTRY("new_empty", m_new_empty)
    CT_ENTRY("new_full", m_new_full) CT_ENTRY("new_tensor", m_new_tensor)
    CT_ENTRY("float", m_float) CT_ENTRY("double", m_double) CT_ENTRY("half", m_half) CT_ENTRY("bfloat16", m_bfloat16)
    CT_ENTRY("long", m_long) CT_ENTRY("int", m_int) CT_ENTRY("short", m_short) CT_ENTRY("char", m_char)
    CT_ENTRY("byte", m_byte) CT_ENTRY("bool", m_bool) CT_ENTRY("to", m_to) CT_ENTRY("clone", m_clone)
    CT_ENTRY("copy_", m_copy_) {"fill_", (PyCFunction)m_fill_, METH_O, NULL}, CT_NOARGS("zero_", m_zero_)
    CT_NOARGS("item", m_item) CT_NOARGS("tolist", m_tolist)
    {NULL},
};
