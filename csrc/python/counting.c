/* Counting and bucketing for Python: searchsorted, bucketize, bincount,
 * histc, histogram (returning torch.return_types.histogram). */
#include "ct_python.h"

static PyTypeObject *histogram_type;   /* torch.return_types.histogram */

/* a result written into out= (its dtype checked by the op), or returned */
static PyObject *result_to(ct_tensor *r, PyObject *out) {
    factory_opts o = {.dtype = CT_UNDEFINED, .device = ct_cpu(), .requires_grad = false, .out = out};
    return factory_result(r, &o);
}

static int out_dtype(PyObject *out, ct_dtype *dt) {
    *dt = CT_UNDEFINED;
    if (!out || out == Py_None) return 0;
    if (!ct_is_tensor(out)) {
        PyErr_Format(PyExc_TypeError, "argument 'out' must be Tensor, not %s", Py_TYPE(out)->tp_name);
        return -1;
    }
    *dt = ct_unwrap(out)->dtype;
    return 0;
}

/* side: None, "left" or "right", checked against right as PyTorch does; *right becomes the side */
static int parse_side(PyObject *side, bool *right) {
    if (!side || side == Py_None) return 0;
    if (!PyUnicode_Check(side)) {
        PyErr_Format(PyExc_TypeError, "searchsorted(): argument 'side' must be str, not %s", Py_TYPE(side)->tp_name);
        return -1;
    }
    const char *s = PyUnicode_AsUTF8(side);
    if (!s) return -1;
    if (strcmp(s, "left") && strcmp(s, "right")) {
        PyErr_Format(PyExc_RuntimeError, "torch.searchsorted(): side can only be 'left' or 'right' but got %s", s);
        return -1;
    }
    if (*right && strcmp(s, "right")) {
        PyErr_Format(PyExc_RuntimeError, "torch.searchsorted(): side and right can't be set to opposites, got side of "
                     "%s while right was True", s);
        return -1;
    }
    *right = !strcmp(s, "right");
    return 0;
}

/* the values searched for: a tensor or a Python number (new reference) */
static ct_tensor *values_arg(const char *fname, PyObject *o) {
    ct_tensor *v = o ? ct_operand(o) : NULL;
    if (!v && !PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "%s(): argument 'input' must be Tensor or Number, not %s", fname,
                     o ? Py_TYPE(o)->tp_name : "None");
    return v;
}

/* searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None) */
static PyObject *f_searchsorted(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"sorted_sequence", "input", "out_int32", "right", "side", "sorter", "out",
                                        NULL};
    PyObject *a[7];
    bool out_int32, right;
    ct_dtype odt;
    if (ct_parse("searchsorted", args, nargs, kw, names, 2, a) < 0 ||
        ct_arg_bool("searchsorted", "out_int32", a[2], false, &out_int32) < 0 ||
        ct_arg_bool("searchsorted", "right", a[3], false, &right) < 0 || parse_side(a[4], &right) < 0 ||
        out_dtype(a[6], &odt) < 0)
        return NULL;
    ct_tensor *bd = ct_arg_tensor("searchsorted", "sorted_sequence", a[0]);
    ct_tensor *sorter = a[5] && a[5] != Py_None ? ct_arg_tensor("searchsorted", "sorter", a[5]) : NULL;
    if (!bd || (a[5] && a[5] != Py_None && !sorter)) return NULL;
    ct_tensor *v = values_arg("searchsorted", a[1]), *r;
    if (!v) return NULL;
    CT_NOGIL(ct_numel(v), r = ct_searchsorted(bd, v, out_int32, right, sorter, odt));
    ct_decref(v);
    return result_to(r, a[6] != Py_None ? a[6] : NULL);
}

/* bucketize(input, boundaries, *, out_int32=False, right=False, out=None) */
static PyObject *f_bucketize(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "boundaries", "out_int32", "right", "out", NULL};
    PyObject *a[5];
    bool out_int32, right;
    ct_dtype odt;
    if (ct_parse("bucketize", args, nargs, kw, names, 2, a) < 0 ||
        ct_arg_bool("bucketize", "out_int32", a[2], false, &out_int32) < 0 ||
        ct_arg_bool("bucketize", "right", a[3], false, &right) < 0 || out_dtype(a[4], &odt) < 0)
        return NULL;
    ct_tensor *bd = ct_arg_tensor("bucketize", "boundaries", a[1]);
    if (!bd) return NULL;
    ct_tensor *v = values_arg("bucketize", a[0]), *r;
    if (!v) return NULL;
    CT_NOGIL(ct_numel(v), r = ct_bucketize(v, bd, out_int32, right, odt));
    ct_decref(v);
    return result_to(r, a[4] != Py_None ? a[4] : NULL);
}

/* bincount(weights=None, minlength=0) */
static PyObject *m_bincount(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"weights", "minlength", NULL};
    PyObject *a[2];
    int64_t minlength = 0;
    if (ct_parse("bincount", args, nargs, kw, names, 2, a) < 0 ||
        (a[1] && ct_arg_int("bincount", "minlength", a[1], &minlength) < 0))
        return NULL;
    ct_tensor *w = a[0] && a[0] != Py_None ? ct_arg_tensor("bincount", "weights", a[0]) : NULL, *x = ct_unwrap(self), *r;
    if (a[0] && a[0] != Py_None && !w) return NULL;
    CT_NOGIL(ct_numel(x), r = ct_bincount(x, w, minlength));
    return ct_wrap(r);
}

/* histc(bins=100, min=0, max=0, *, out=None) */
static PyObject *m_histc(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"bins", "min", "max", "out", NULL};
    PyObject *a[4];
    int64_t bins = 100;
    double lo = 0, hi = 0;
    if (ct_parse("histc", args, nargs, kw, names, 3, a) < 0 || (a[0] && ct_arg_int("histc", "bins", a[0], &bins) < 0) ||
        (a[1] && ct_arg_double("histc", "min", a[1], &lo) < 0) || (a[2] && ct_arg_double("histc", "max", a[2], &hi) < 0))
        return NULL;
    ct_tensor *x = ct_unwrap(self), *r;
    CT_NOGIL(ct_numel(x), r = ct_histc(x, bins, lo, hi));
    return result_to(r, a[3] != Py_None ? a[3] : NULL);
}

/* range=(min, max): two numbers; *n says how many were given */
static int parse_range(PyObject *o, double *range, int *n) {
    PyObject *seq = PySequence_Fast(o, "histogram(): argument 'range' must be tuple of floats");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    *n = (int)len;
    for (Py_ssize_t i = 0; i < len && i < 2; i++) {
        if (ct_arg_double("histogram", "range", PySequence_Fast_GET_ITEM(seq, i), &range[i]) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    if (len != 2) {
        PyErr_Format(PyExc_RuntimeError, "torch.histogramdd: for a 1-dimensional histogram range should have 2 "
                     "elements, but got %zd", len);
        return -1;
    }
    return 0;
}

/* histogram(bins, *, range=None, weight=None, density=False): (hist, bin_edges) */
static PyObject *m_histogram(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"bins", "range", "weight", "density", NULL};
    PyObject *a[4];
    int64_t bins = 0;
    double range[2];
    int nrange = 0;
    bool density;
    if (ct_parse("histogram", args, nargs, kw, names, 1, a) < 0 ||
        ct_arg_bool("histogram", "density", a[3], false, &density) < 0)
        return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "histogram() missing required argument 'bins'");
    ct_tensor *edges = ct_is_tensor(a[0]) ? ct_unwrap(a[0]) : NULL;
    ct_tensor *w = a[2] && a[2] != Py_None ? ct_arg_tensor("histogram", "weight", a[2]) : NULL;
    if ((!edges && ct_arg_int("histogram", "bins", a[0], &bins) < 0) || (a[2] && a[2] != Py_None && !w) ||
        (a[1] && a[1] != Py_None && parse_range(a[1], range, &nrange) < 0))
        return NULL;
    ct_tensor *hist, *bin_edges, *x = ct_unwrap(self);
    int rc;
    CT_NOGIL(ct_numel(x), rc = ct_histogram(x, bins, edges, nrange ? range : NULL, w, density, &hist, &bin_edges));
    if (rc < 0) return ct_raise();
    PyObject *h = ct_wrap(hist), *e = ct_wrap(bin_edges);   /* each takes its tensor, even on failure */
    PyObject *r = h && e ? PyStructSequence_New(histogram_type) : NULL;
    if (!r) {
        Py_XDECREF(h);
        Py_XDECREF(e);
        return NULL;
    }
    PyStructSequence_SET_ITEM(r, 0, h);
    PyStructSequence_SET_ITEM(r, 1, e);
    return r;
}

#define CT_COUNTING_FN(name)                                                                \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                                 \
    }
CT_COUNTING_FN(bincount)
CT_COUNTING_FN(histc)
CT_COUNTING_FN(histogram)

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
PyMethodDef ct_counting_methods[] = {
    CT_ENTRY("bincount", m_bincount) CT_ENTRY("histc", m_histc) CT_ENTRY("histogram", m_histogram) {NULL},
};

PyMethodDef ct_counting_functions[] = {
    CT_ENTRY("searchsorted", f_searchsorted) CT_ENTRY("bucketize", f_bucketize) CT_ENTRY("bincount", f_bincount)
    CT_ENTRY("histc", f_histc) CT_ENTRY("histogram", f_histogram) {NULL},
};

int ct_counting_init(PyObject *module) {
    static PyStructSequence_Field fields[] = {{"hist", NULL}, {"bin_edges", NULL}, {NULL, NULL}};
    static PyStructSequence_Desc desc = {"torch.return_types.histogram", NULL, fields, 2};
    histogram_type = ct_return_type_new(&desc);
    if (!histogram_type) return -1;
    return PyModule_AddObjectRef(module, "_return_histogram", (PyObject *)histogram_type);
}
