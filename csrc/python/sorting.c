/* Sorting for Python: sort, argsort, msort, topk, kthvalue, unique and
 * unique_consecutive (functions and Tensor methods), and the named tuples
 * torch.return_types.sort / topk / kthvalue. */
#include "ct_python.h"

static PyTypeObject *sort_type, *topk_type, *kthvalue_type;

/* sort/argsort(dim=-1, descending=False) and sort/argsort(*, stable, dim=-1, descending=False):
 * PyTorch's two overloads (given stable, dim and descending are keywords; argsort's stable a bool) */
static PyObject *sort_call(const char *fname, bool want_values, PyObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "descending", "stable", NULL};
    PyObject *a[3];
    int64_t dim = -1;
    bool descending, stable;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (a[2] && (nargs > 0 || (!want_values && a[2] == Py_None)))
        return PyErr_Format(PyExc_TypeError, "%s() received an invalid combination of arguments - expected one of: "
                            "(*, bool stable, int dim = -1, bool descending = False) or (int dim = -1, bool "
                            "descending = False)", fname);
    if ((a[0] && ct_arg_int(fname, "dim", a[0], &dim) < 0) ||
        ct_arg_bool(fname, "descending", a[1], false, &descending) < 0 ||
        ct_arg_bool(fname, "stable", a[2], false, &stable) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self), *v, *i;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_sort(t, dim, descending, stable, &v, &i));
    if (rc < 0) return ct_raise();
    if (want_values) return ct_values_indices(sort_type, v, i);
    ct_decref(v);
    return ct_wrap(i);
}
static PyObject *m_sort(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sort_call("sort", true, s, a, n, k); }
static PyObject *m_argsort(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sort_call("argsort", false, s, a, n, k); }

/* msort(): the values of a sort along dim 0 */
static PyObject *m_msort(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {NULL};
    if (ct_parse("msort", args, nargs, kwnames, names, 0, NULL) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self), *v, *i;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_sort(t, 0, false, false, &v, &i));
    if (rc < 0) return ct_raise();
    ct_decref(i);
    return ct_wrap(v);
}

/* topk(k, dim=-1, largest=True, sorted=True) */
static PyObject *m_topk(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"k", "dim", "largest", "sorted", NULL};
    PyObject *a[4];
    int64_t k, dim = -1;
    bool largest, sorted;
    if (ct_parse("topk", args, nargs, kwnames, names, 4, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "topk() missing 1 required positional arguments: \"k\"");
    if (ct_arg_int("topk", "k", a[0], &k) < 0 || (a[1] && ct_arg_int("topk", "dim", a[1], &dim) < 0) ||
        ct_arg_bool("topk", "largest", a[2], true, &largest) < 0 || ct_arg_bool("topk", "sorted", a[3], true, &sorted) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self), *v, *i;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_topk(t, k, dim, largest, sorted, &v, &i));
    return rc < 0 ? ct_raise() : ct_values_indices(topk_type, v, i);
}

/* kthvalue(k, dim=-1, keepdim=False) */
static PyObject *m_kthvalue(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"k", "dim", "keepdim", NULL};
    PyObject *a[3];
    int64_t k, dim = -1;
    bool keepdim;
    if (ct_parse("kthvalue", args, nargs, kwnames, names, 3, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "kthvalue() missing 1 required positional arguments: \"k\"");
    if (ct_arg_int("kthvalue", "k", a[0], &k) < 0 || (a[1] && ct_arg_int("kthvalue", "dim", a[1], &dim) < 0) ||
        ct_arg_bool("kthvalue", "keepdim", a[2], false, &keepdim) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self), *v, *i;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_kthvalue(t, k, dim, keepdim, &v, &i));
    return rc < 0 ? ct_raise() : ct_values_indices(kthvalue_type, v, i);
}

/* the output alone, or a tuple with the inverse and/or the counts, as PyTorch returns them */
static PyObject *unique_result(ct_tensor *out, ct_tensor *inverse, ct_tensor *counts) {
    if (!inverse && !counts) return ct_wrap(out);
    ct_tensor *parts[3] = {out, inverse, counts};
    PyObject *r = PyTuple_New(1 + (inverse != NULL) + (counts != NULL));
    for (int j = 0, k = 0; j < 3; j++) {
        if (!parts[j]) continue;
        PyObject *o = ct_wrap(parts[j]);
        if (r && o) {
            PyTuple_SET_ITEM(r, k++, o);
        } else {
            Py_XDECREF(o);
            Py_CLEAR(r);
        }
    }
    return r;
}

/* unique(sorted=True, return_inverse=False, return_counts=False, dim=None) and
 * unique_consecutive(return_inverse=False, return_counts=False, dim=None); the CPU
 * result is sorted whatever `sorted` says, as in PyTorch */
static PyObject *unique_call(const char *fname, bool consecutive, PyObject *self, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const all_names[] = {"sorted", "return_inverse", "return_counts", "dim", NULL};
    const char *const *names = consecutive ? all_names + 1 : all_names;
    int nnames = consecutive ? 3 : 4;
    PyObject *a[4];
    bool sorted, want_inverse, want_counts;
    int64_t dim = 0;
    if (ct_parse(fname, args, nargs, kwnames, names, nnames, a) < 0) return NULL;
    int at = consecutive ? 0 : 1;   /* where return_inverse sits */
    if ((!consecutive && ct_arg_bool(fname, "sorted", a[0], true, &sorted) < 0) ||
        ct_arg_bool(fname, "return_inverse", a[at], false, &want_inverse) < 0 ||
        ct_arg_bool(fname, "return_counts", a[at + 1], false, &want_counts) < 0)
        return NULL;
    bool has_dim = a[at + 2] && a[at + 2] != Py_None;
    if (has_dim && ct_arg_int(fname, "dim", a[at + 2], &dim) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self), *out, *inverse = NULL, *counts = NULL;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_unique(t, consecutive, has_dim, dim, &out, want_inverse ? &inverse : NULL,
                                        want_counts ? &counts : NULL));
    return rc < 0 ? ct_raise() : unique_result(out, inverse, counts);
}
static PyObject *m_unique(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return unique_call("unique", false, s, a, n, k); }
static PyObject *m_unique_consecutive(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return unique_call("unique_consecutive", true, s, a, n, k);
}

#define CT_SORTING(X) X(sort) X(argsort) X(msort) X(topk) X(kthvalue) X(unique) X(unique_consecutive)
#define CT_SORT_FN(name)                                                                   \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                                 \
    }
CT_SORTING(CT_SORT_FN)
#undef CT_SORT_FN

#define CT_METHOD_ENTRY(name) {#name, CT_FASTCALL(m_##name), NULL},
#define CT_FUNCTION_ENTRY(name) {#name, CT_FASTCALL(f_##name), NULL},
PyMethodDef ct_sorting_methods[] = {CT_SORTING(CT_METHOD_ENTRY){NULL}};
PyMethodDef ct_sorting_functions[] = {CT_SORTING(CT_FUNCTION_ENTRY){NULL}};

/* the named tuples, as ctorch._C._return_sort / _return_topk / _return_kthvalue */
int ct_sorting_init(PyObject *module) {
    static PyStructSequence_Field fields[] = {{"values", NULL}, {"indices", NULL}, {NULL, NULL}};
    static PyStructSequence_Desc descs[3] = {{"torch.return_types.sort", NULL, fields, 2},
                                             {"torch.return_types.topk", NULL, fields, 2},
                                             {"torch.return_types.kthvalue", NULL, fields, 2}};
    static const char *const attrs[3] = {"_return_sort", "_return_topk", "_return_kthvalue"};
    PyTypeObject **types[3] = {&sort_type, &topk_type, &kthvalue_type};
    for (int j = 0; j < 3; j++) {
        *types[j] = ct_return_type_new(&descs[j]);
        if (!*types[j] || PyModule_AddObjectRef(module, attrs[j], (PyObject *)*types[j]) < 0) return -1;
    }
    return 0;
}
