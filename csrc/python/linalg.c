/* torch.linalg for Python: linalg_qr(A, mode='reduced') and the legacy qr(input, some=True),
 * returning torch.return_types.linalg_qr / qr named tuples (Q, R). */
#include "ct_python.h"

/* the named tuple type torch.return_types.<name> with fields Q, R, made on first use */
static PyTypeObject *qr_type(bool legacy) {
    static PyTypeObject *types[2];
    static PyStructSequence_Field fields[] = {{"Q", NULL}, {"R", NULL}, {NULL, NULL}};
    static PyStructSequence_Desc descs[2] = {{"torch.return_types.linalg_qr", NULL, fields, 2},
                                             {"torch.return_types.qr", NULL, fields, 2}};
    if (!types[legacy]) types[legacy] = ct_return_type_new(&descs[legacy]);
    return types[legacy];
}

static PyObject *qr_result(ct_tensor *a, int mode, bool legacy) {
    ct_tensor *q, *r;
    PyTypeObject *type = qr_type(legacy);
    if (!type) return NULL;
    if (ct_linalg_qr(a, mode, &q, &r) < 0) return ct_raise();
    PyObject *res = PyStructSequence_New(type), *wq = ct_wrap(q), *wr = ct_wrap(r);
    if (!res || !wq || !wr) {
        Py_XDECREF(res);
        Py_XDECREF(wq);
        Py_XDECREF(wr);
        return NULL;
    }
    PyStructSequence_SET_ITEM(res, 0, wq);
    PyStructSequence_SET_ITEM(res, 1, wr);
    return res;
}

static PyObject *f_linalg_qr(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"A", "mode", NULL};
    static const char *const modes[] = {"reduced", "complete", "r", NULL};
    PyObject *a[2];
    if (ct_parse("linalg_qr", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *t = ct_arg_tensor("linalg_qr", "A", a[0]);
    int mode = a[1] ? ct_arg_choice("linalg_qr", "mode", a[1], modes) : 0;
    if (!t || mode < 0) return NULL;
    if (mode == 3)
        return PyErr_Format(PyExc_RuntimeError, "qr received unrecognized mode '%s' but expected one of 'reduced' "
                            "(default), 'r', or 'complete'", PyUnicode_AsUTF8(a[1]));
    return qr_result(t, mode, false);
}

/* qr(input, some=True): some=False is the complete mode */
static PyObject *m_qr(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"some", NULL};
    PyObject *a[1];
    bool some;
    if (ct_parse("qr", args, nargs, kwnames, names, 1, a) < 0 || ct_arg_bool("qr", "some", a[0], true, &some) < 0)
        return NULL;
    return qr_result(ct_unwrap(self), some ? 0 : 1, true);
}

static PyObject *f_qr(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return ct_call_as_method("qr", m_qr, a, n, k);
}

PyMethodDef ct_linalg_functions[] = {
    {"linalg_qr", CT_FASTCALL(f_linalg_qr), NULL},
    {"qr", CT_FASTCALL(f_qr), NULL},
    {NULL},
};
PyMethodDef ct_linalg_methods[] = {
    {"qr", CT_FASTCALL(m_qr), NULL},
    {NULL},
};
