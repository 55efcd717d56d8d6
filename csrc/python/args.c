/* Argument parsing for METH_FASTCALL | METH_KEYWORDS functions. */
#include "ct_python.h"
#include "ctorch/ct_backend.h"

int ct_parse(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             const char *const *names, int npos, PyObject **out) {
    int n = 0;
    while (names[n]) n++;
    for (int i = 0; i < n; i++) out[i] = NULL;
    if (nargs > npos) {
        PyErr_Format(PyExc_TypeError, "%s() takes %d positional argument%s but %zd were given", fname, npos,
                     npos == 1 ? "" : "s", nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) out[i] = args[i];
    if (!kwnames) return 0;
    Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nkw; k++) {
        const char *key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        if (!key) return -1;
        int i = 0;
        while (i < n && strcmp(names[i], key) != 0) i++;
        if (i == n) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fname, key);
            return -1;
        }
        if (out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname, key);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    return 0;
}

int ct_arg_int(const char *fname, const char *name, PyObject *o, int64_t *out) {
    if (PyLong_Check(o) && !PyBool_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred()) return -1;
        *out = v;
        return 0;
    }
    if (ct_is_tensor(o) || PyFloat_Check(o) || PyBool_Check(o) || !PyIndex_Check(o)) {
        /* 0-dim integer tensors count as ints, as in PyTorch */
        if (ct_is_tensor(o) && ct_unwrap(o)->ndim == 0 && ct_is_integral(ct_unwrap(o)->dtype, false)) {
            ct_scalar v;
            if (ct_item(ct_unwrap(o), &v) < 0) return ct_raise_int();
            *out = v.i;
            return 0;
        }
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be int, not %s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i) return -1;
    long long v = PyLong_AsLongLong(i);
    Py_DECREF(i);
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

int ct_arg_bool(const char *fname, const char *name, PyObject *o, bool dflt, bool *out) {
    if (!o || o == Py_None) {
        *out = dflt;
        return 0;
    }
    if (!PyBool_Check(o) && !(PyLong_Check(o))) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be bool, not %s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = PyObject_IsTrue(o);
    return 0;
}

int ct_arg_choice(const char *fname, const char *name, PyObject *o, const char *const *choices) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be str, not %s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    int i = 0;
    for (; choices[i]; i++)
        if (PyUnicode_CompareWithASCIIString(o, choices[i]) == 0) break;
    return i;
}

int ct_arg_double(const char *fname, const char *name, PyObject *o, double *out) {
    if (ct_is_tensor(o) && ct_unwrap(o)->ndim == 0) {
        ct_scalar v;
        if (ct_item(ct_unwrap(o), &v) < 0) return ct_raise_int();
        *out = v.d;
        return 0;
    }
    if (!PyFloat_Check(o) && !PyLong_Check(o) && !PyIndex_Check(o) &&
        !(Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Number, not %s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

int ct_arg_dtype(PyObject *o, ct_dtype *out) {
    if (!o || o == Py_None) {
        *out = CT_UNDEFINED;
        return 0;
    }
    if (PyObject_TypeCheck(o, &CTDtypeType)) {
        *out = ((CTDtype *)o)->dtype;
        return 0;
    }
    /* Python types stand for dtypes, as in PyTorch */
    if (o == (PyObject *)&PyFloat_Type) { *out = CT_FLOAT64; return 0; }
    if (o == (PyObject *)&PyLong_Type) { *out = CT_INT64; return 0; }
    if (o == (PyObject *)&PyBool_Type) { *out = CT_BOOL; return 0; }
    PyErr_Format(PyExc_TypeError, "dtype must be ctorch.dtype, not %s", Py_TYPE(o)->tp_name);
    return -1;
}

/* a CUDA device loads the CUDA backend on first use (ctorch.cuda._lazy_init) */
static int ensure_backend(ct_device d) {
    if (d.type != CT_DEV_CUDA || ct_get_backend(CT_DEV_CUDA)) return 0;
    PyObject *cuda = PyImport_ImportModule("ctorch.cuda");
    PyObject *r = cuda ? PyObject_CallMethod(cuda, "_lazy_init", NULL) : NULL;
    Py_XDECREF(cuda);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

int ct_arg_device(PyObject *o, ct_device *out) {
    *out = ct_cpu();
    if (!o || o == Py_None) return 0;
    if (PyObject_TypeCheck(o, &CTDeviceType)) {
        *out = ((CTDevice *)o)->device;
    } else {
        PyObject *d = PyObject_CallOneArg((PyObject *)&CTDeviceType, o);
        if (!d) return -1;
        *out = ((CTDevice *)d)->device;
        Py_DECREF(d);
    }
    if (out->index < 0) out->index = 0;   /* 'cuda' means the current device, cuda:0 */
    return ensure_backend(*out);
}

int ct_arg_scalar(const char *fname, const char *name, PyObject *o, ct_scalar *out, ct_dtype *kind) {
    if (PyBool_Check(o)) {
        *out = ct_scalar_i(o == Py_True);
        *kind = CT_BOOL;
        return 0;
    }
    if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            /* too large for int64: keep it as a float, as PyTorch's wrapped numbers do */
            *out = ct_scalar_f(PyLong_AsDouble(o));
            if (PyErr_Occurred()) return -1;
            *kind = CT_FLOAT64;
            return 0;
        }
        if (v == -1 && PyErr_Occurred()) return -1;
        *out = ct_scalar_i(v);
        *kind = CT_INT64;
        return 0;
    }
    if (PyFloat_Check(o)) {
        *out = ct_scalar_f(PyFloat_AS_DOUBLE(o));
        *kind = CT_FLOAT64;
        return 0;
    }
    if (ct_is_tensor(o)) {
        ct_tensor *t = ct_unwrap(o);
        if (ct_numel(t) != 1) {
            PyErr_Format(PyExc_RuntimeError, "a Tensor with %lld elements cannot be converted to Scalar",
                         (long long)ct_numel(t));
            return -1;
        }
        if (ct_item(t, out) < 0) return ct_raise_int();
        *kind = ct_is_floating(t->dtype) ? CT_FLOAT64 : t->dtype == CT_BOOL ? CT_BOOL : CT_INT64;
        return 0;
    }
    /* NumPy scalars and other numbers */
    if (PyIndex_Check(o)) {
        PyObject *i = PyNumber_Index(o);
        if (!i) return -1;
        int rc = ct_arg_scalar(fname, name, i, out, kind);
        Py_DECREF(i);
        return rc;
    }
    if (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float) {
        double v = PyFloat_AsDouble(o);
        if (v == -1.0 && PyErr_Occurred()) return -1;
        *out = ct_scalar_f(v);
        *kind = CT_FLOAT64;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Number, not %s", fname, name, Py_TYPE(o)->tp_name);
    return -1;
}

int ct_arg_int_list(const char *fname, const char *name, PyObject *o, int64_t *vals, int *n) {
    if (PyLong_Check(o) || (ct_is_tensor(o) && ct_unwrap(o)->ndim == 0)) {
        *n = 1;
        return ct_arg_int(fname, name, o, vals);
    }
    if (!PyTuple_Check(o) && !PyList_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be tuple of ints, not %s", fname, name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(o);
    if (len > CT_MAX_DIMS) {
        PyErr_Format(PyExc_RuntimeError, "%s(): ctorch supports at most %d dimensions", fname, CT_MAX_DIMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (ct_arg_int(fname, name, PySequence_Fast_GET_ITEM(o, i), &vals[i]) < 0) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be tuple of ints, but found element of type "
                             "%s at pos %zd", fname, name, Py_TYPE(PySequence_Fast_GET_ITEM(o, i))->tp_name, i);
            }
            return -1;
        }
    *n = (int)len;
    return 0;
}

int ct_arg_sizes(const char *fname, PyObject *const *args, Py_ssize_t nargs, int64_t *sizes) {
    int n = 0;
    if (nargs == 1 && (PyTuple_Check(args[0]) || PyList_Check(args[0]))) {
        if (ct_arg_int_list(fname, "size", args[0], sizes, &n) < 0) return -1;
        return n;
    }
    if (nargs > CT_MAX_DIMS) {
        PyErr_Format(PyExc_RuntimeError, "%s(): ctorch supports at most %d dimensions", fname, CT_MAX_DIMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (ct_arg_int(fname, "size", args[i], &sizes[i]) < 0) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError, "%s(): argument 'size' must be tuple of ints, but found element of "
                             "type %s at pos %zd", fname, Py_TYPE(args[i])->tp_name, i);
            }
            return -1;
        }
    }
    return (int)nargs;
}

int ct_arg_dims(const char *fname, PyObject *o, int64_t *dims, int *n) {
    *n = 0;
    if (!o || o == Py_None) return 0;
    if (ct_arg_int_list(fname, "dim", o, dims, n) < 0) return -1;
    return 0;
}

ct_tensor *ct_operand(PyObject *o) {
    if (ct_is_tensor(o)) return ct_incref(ct_unwrap(o));
    ct_scalar v;
    ct_dtype kind;
    if (!PyBool_Check(o) && !PyLong_Check(o) && !PyFloat_Check(o) && !PyIndex_Check(o) &&
        !(Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float))
        return NULL;   /* no exception: the caller decides (NotImplemented or TypeError) */
    if (ct_arg_scalar("operand", "other", o, &v, &kind) < 0) return NULL;
    ct_tensor *t = ct_scalar_tensor(v, kind, true);
    if (!t) ct_raise();
    return t;
}

ct_tensor *ct_arg_tensor(const char *fname, const char *name, PyObject *o) {
    if (o && ct_is_tensor(o)) return ct_unwrap(o);
    PyErr_Format(PyExc_TypeError, "%s(): argument '%s' (position 1) must be Tensor, not %s", fname, name,
                 o ? Py_TYPE(o)->tp_name : "None");
    return NULL;
}

PyObject *ct_call_as_method(const char *fname, ct_fastcall impl, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    if (nargs >= 1) {
        if (!ct_arg_tensor(fname, "input", args[0])) return NULL;
        return impl(args[0], args + 1, nargs - 1, kwnames);
    }
    /* the tensor given as input=: move it out of the keywords */
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, k), "input") != 0) continue;
        PyObject *self = args[k];
        if (!ct_arg_tensor(fname, "input", self)) return NULL;
        PyObject *rest[64];
        PyObject *names = PyTuple_New(nkw - 1);
        if (!names || nkw > 64) {
            Py_XDECREF(names);
            return PyErr_Format(PyExc_TypeError, "%s(): too many arguments", fname);
        }
        for (Py_ssize_t j = 0, m = 0; j < nkw; j++) {
            if (j == k) continue;
            rest[m] = args[j];
            Py_INCREF(PyTuple_GET_ITEM(kwnames, j));
            PyTuple_SET_ITEM(names, m, PyTuple_GET_ITEM(kwnames, j));
            m++;
        }
        PyObject *r = impl(self, rest, 0, nkw > 1 ? names : NULL);
        Py_DECREF(names);
        return r;
    }
    return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: \"input\"", fname);
}
