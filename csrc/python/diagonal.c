/* Diagonals for Python: diag, diagonal, diag_embed, trace, fill_diagonal_. */
#include "ct_python.h"

/* optional int arguments a[i] into v[i] (defaults kept) */
static int ints_of(const char *fname, const char *const *names, PyObject **a, int n, int64_t *v) {
    for (int i = 0; i < n; i++)
        if (a[i] && ct_arg_int(fname, names[i], a[i], &v[i]) < 0) return -1;
    return 0;
}

/* diag(diagonal=0) */
static PyObject *m_diag(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"diagonal", NULL};
    PyObject *a[1];
    int64_t k[1] = {0};
    if (ct_parse("diag", args, nargs, kw, names, 1, a) < 0 || ints_of("diag", names, a, 1, k) < 0) return NULL;
    return ct_wrap(ct_diag(ct_unwrap(self), k[0]));
}

/* diagonal(offset=0, dim1=0, dim2=1) and diag_embed(offset=0, dim1=-2, dim2=-1) */
static PyObject *diagonal_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kw, bool embed) {
    static const char *const names[] = {"offset", "dim1", "dim2", NULL};
    PyObject *a[3];
    int64_t v[3] = {0, embed ? -2 : 0, embed ? -1 : 1};
    if (ct_parse(fname, args, nargs, kw, names, 3, a) < 0 || ints_of(fname, names, a, 3, v) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    return ct_wrap(embed ? ct_diag_embed(t, v[0], v[1], v[2]) : ct_diagonal(t, v[0], v[1], v[2]));
}
static PyObject *m_diagonal(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return diagonal_call("diagonal", s, a, n, k, false); }
static PyObject *m_diag_embed(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return diagonal_call("diag_embed", s, a, n, k, true); }

static PyObject *m_trace(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {NULL};
    PyObject *a[1];
    if (ct_parse("trace", args, nargs, kw, names, 0, a) < 0) return NULL;
    return ct_wrap(ct_trace(ct_unwrap(self)));
}

/* fill_diagonal_(fill_value, wrap=False) */
static PyObject *m_fill_diagonal_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"fill_value", "wrap", NULL};
    PyObject *a[2];
    ct_scalar v;
    ct_dtype kind;
    bool wrap;
    if (ct_parse("fill_diagonal_", args, nargs, kw, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "fill_diagonal_() missing required argument 'fill_value'");
    if (ct_arg_scalar("fill_diagonal_", "fill_value", a[0], &v, &kind) < 0 ||
        ct_arg_bool("fill_diagonal_", "wrap", a[1], false, &wrap) < 0)
        return NULL;
    if (ct_fill_diagonal_(ct_unwrap(self), v, wrap) < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

#define CT_DIAGONAL_FN(name)                                                                \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                                 \
    }
CT_DIAGONAL_FN(diag)
CT_DIAGONAL_FN(diagonal)
CT_DIAGONAL_FN(diag_embed)
CT_DIAGONAL_FN(trace)

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
PyMethodDef ct_diagonal_methods[] = {
    CT_ENTRY("diag", m_diag) CT_ENTRY("diagonal", m_diagonal) CT_ENTRY("diag_embed", m_diag_embed)
    CT_ENTRY("trace", m_trace) CT_ENTRY("fill_diagonal_", m_fill_diagonal_) {NULL},
};

PyMethodDef ct_diagonal_functions[] = {
    CT_ENTRY("diag", f_diag) CT_ENTRY("diagonal", f_diagonal) CT_ENTRY("diag_embed", f_diag_embed)
    CT_ENTRY("trace", f_trace) {NULL},
};
