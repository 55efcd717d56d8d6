/* Python bindings of the contractions and distances (ops/einsum.c,
 * ops/distance.c): einsum, tensordot, cdist, dist and Tensor.dist. The
 * argument forms PyTorch's Python layer accepts (einsum's operand list and
 * sublists, tensordot's dims as an int, a pair of lists or a tensor) are
 * turned into the C entries' arguments here. */
#include "ct_python.h"

/* ---- einsum(equation, *operands), einsum(equation, [operands]), einsum(op, sublist, ..., [sublist_out]) ---- */

/* a sublist's labels appended at eq + *len: 0..25 as A-Z, 26..51 as a-z, Ellipsis as "..." */
static int append_sublist(PyObject *l, char *eq, size_t *len) {
    PyObject *seq = PySequence_Fast(l, "einsum(): a subscripts list must be a list or tuple");
    if (!seq) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq, i);
        if (o == Py_Ellipsis) {
            memcpy(eq + *len, "...", 3);
            *len += 3;
            continue;
        }
        int64_t v;
        if (ct_arg_int("einsum", "subscript", o, &v) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        if (v < 0 || v >= 52) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError,
                            "einsum(): subscript in subscript list is not within the valid range [0, 52)");
            return -1;
        }
        eq[(*len)++] = (char)(v < 26 ? 'A' + v : 'a' + v - 26);
    }
    Py_DECREF(seq);
    return 0;
}

/* the equation of the interleaved form (operands at even positions); a PyMem buffer */
static char *sublist_equation(PyObject *const *args, Py_ssize_t nargs) {
    size_t cap = 8, len = 0;
    for (Py_ssize_t i = 1; i < nargs; i += 2) {
        Py_ssize_t n = PyObject_Length(args[i]);
        if (n < 0) return NULL;
        cap += 3 * (size_t)n + 3;
    }
    if (nargs % 2 == 1) {   /* an output sublist */
        Py_ssize_t n = PyObject_Length(args[nargs - 1]);
        if (n < 0) return NULL;
        cap += 3 * (size_t)n;
    }
    char *eq = PyMem_Malloc(cap);
    if (!eq) return (char *)PyErr_NoMemory();
    for (Py_ssize_t i = 1; i < nargs; i += 2) {
        if (i > 1) eq[len++] = ',';
        if (append_sublist(args[i], eq, &len) < 0) goto fail;
    }
    if (nargs % 2 == 1) {
        memcpy(eq + len, "->", 2);
        len += 2;
        if (append_sublist(args[nargs - 1], eq, &len) < 0) goto fail;
    }
    eq[len] = '\0';
    return eq;
fail:
    PyMem_Free(eq);
    return NULL;
}

static PyObject *f_einsum(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    if (kwnames && PyTuple_GET_SIZE(kwnames) > 0)
        return PyErr_Format(PyExc_TypeError, "einsum() got an unexpected keyword argument '%U'",
                            PyTuple_GET_ITEM(kwnames, 0));
    if (nargs < 2)
        return PyErr_Format(PyExc_ValueError, "einsum(): must specify the equation string and at least one operand, "
                            "or at least one operand and its subscripts list");
    PyObject *const *ops = args + 1;
    Py_ssize_t nops = nargs - 1, step = 1;
    char *owned = NULL;
    const char *eq;
    if (ct_is_tensor(args[0])) {
        if (!(eq = owned = sublist_equation(args, nargs))) return NULL;
        ops = args;
        nops = nargs / 2;
        step = 2;
    } else {
        if (!PyUnicode_Check(args[0]))
            return PyErr_Format(PyExc_TypeError, "einsum(): argument 'equation' (position 1) must be str, not %s",
                                Py_TYPE(args[0])->tp_name);
        if (!(eq = PyUnicode_AsUTF8(args[0]))) return NULL;
        if (nargs == 2 && (PyList_Check(args[1]) || PyTuple_Check(args[1]))) {   /* the operands as one list */
            ops = PySequence_Fast_ITEMS(args[1]);
            nops = PySequence_Fast_GET_SIZE(args[1]);
        }
    }
    /* the operands held while the GIL is released (another thread may empty a list) */
    ct_tensor **ts = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(nops ? nops : 1));
    PyObject *res = NULL;
    int64_t numel = 0;
    Py_ssize_t held = 0;
    if (!ts) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < nops; held++) {
        PyObject *o = ops[held * step];
        if (!ct_is_tensor(o)) {
            PyErr_Format(PyExc_TypeError, "expected Tensor as element %zd in argument 1, but got %s", held,
                         Py_TYPE(o)->tp_name);
            goto done;
        }
        ts[held] = ct_incref(ct_unwrap(o));
        numel += ct_numel(ts[held]);
    }
    ct_tensor *r;
    CT_NOGIL(numel, r = ct_einsum(eq, (int)nops, ts));
    res = ct_wrap(r);
done:
    for (Py_ssize_t i = 0; i < held; i++) ct_decref(ts[i]);
    PyMem_Free(ts);
    PyMem_Free(owned);
    return res;
}

/* ---- tensordot(a, b, dims=2, out=None) ---- */

/* one of the two dims lists: a list or tuple of ints */
static int dims_list(PyObject *o, const char *name, int pos, int64_t *dims, int *n) {
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "tensordot(): argument '%s' (position %d) must be tuple of ints, not %s", name,
                     pos, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(o);
    if (len > CT_MAX_DIMS) {
        PyErr_Format(PyExc_RuntimeError, "tensordot(): ctorch contracts at most %d dims", CT_MAX_DIMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(o, i);
        if (ct_arg_int("tensordot", name, e, &dims[i]) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "tensordot(): argument '%s' (position %d) must be tuple of ints, but found "
                         "element of type %s at pos %zd", name, pos, Py_TYPE(e)->tp_name, i);
            return -1;
        }
    }
    *n = (int)len;
    return 0;
}

/* dims as a pair of lists (a tuple, list, or a tensor's tolist()) */
static int dims_pair(PyObject *o, int64_t *da, int *na, int64_t *db, int *nb) {
    Py_ssize_t len = PySequence_Fast_GET_SIZE(o);
    if (len != 2) {
        if (len > 2) PyErr_SetString(PyExc_ValueError, "too many values to unpack (expected 2)");
        else PyErr_Format(PyExc_ValueError, "not enough values to unpack (expected 2, got %zd)", len);
        return -1;
    }
    if (dims_list(PySequence_Fast_GET_ITEM(o, 0), "dims_self", 3, da, na) < 0) return -1;
    return dims_list(PySequence_Fast_GET_ITEM(o, 1), "dims_other", 4, db, nb);
}

/* the last n dims of a against the first n of b */
static int dims_count(PyObject *dims, int64_t n, int64_t *da, int *na, int64_t *db, int *nb) {
    if (n < 0) {
        PyErr_Format(PyExc_RuntimeError, "tensordot expects dims >= 0, but got dims=%S", dims);
        return -1;
    }
    *na = *nb = (int)n;
    for (int64_t i = 0; i < n; i++) {
        da[i] = i - n;
        db[i] = i;
    }
    return 0;
}

/* PyTorch's dims forms: an int, a pair of lists, a tensor (one count, or two rows) */
static int parse_dims(PyObject *dims, const ct_tensor *a, const ct_tensor *b, int64_t *da, int *na, int64_t *db,
                      int *nb) {
    if (PyLong_Check(dims)) {
        long long v = PyLong_AsLongLong(dims);
        if (v == -1 && PyErr_Occurred()) return -1;
        int most = a->ndim < b->ndim ? a->ndim : b->ndim;
        if (v > most) {
            PyErr_Format(PyExc_RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=%S", dims);
            return -1;
        }
        return dims_count(dims, v, da, na, db, nb);
    }
    if (PyTuple_Check(dims) || PyList_Check(dims)) return dims_pair(dims, da, na, db, nb);
    if (ct_is_tensor(dims)) {
        ct_tensor *t = ct_unwrap(dims);
        if (ct_numel(t) > 1) {
            if (t->sizes[0] != 2) {
                PyErr_Format(PyExc_AssertionError, "dims tensor must have size 2 in first dimension, got %lld",
                             (long long)t->sizes[0]);
                return -1;
            }
            PyObject *rows = PyObject_CallMethod(dims, "tolist", NULL);
            int rc = rows ? dims_pair(rows, da, na, db, nb) : -1;
            Py_XDECREF(rows);
            return rc;
        }
        PyObject *item = PyObject_CallMethod(dims, "item", NULL), *v = item ? PyNumber_Long(item) : NULL;
        long long n = v ? PyLong_AsLongLong(v) : -1;
        Py_XDECREF(item);
        Py_XDECREF(v);
        if (!v || (n == -1 && PyErr_Occurred())) return -1;
        return dims_count(dims, n, da, na, db, nb);
    }
    PyErr_Format(PyExc_RuntimeError, "tensordot expects dims to be int or tuple[list[int], list[int]] or "
                 "list[list[int]] containing two lists, but got dims=%S", dims);
    return -1;
}

static PyObject *f_tensordot(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"a", "b", "dims", "out", NULL};
    PyObject *a[4];
    int64_t da[CT_MAX_DIMS], db[CT_MAX_DIMS];
    int na, nb;
    if (ct_parse("tensordot", args, nargs, kwnames, names, 3, a) < 0) return NULL;
    ct_tensor *x = ct_arg_tensor("tensordot", "a", a[0]), *y = x ? ct_arg_tensor("tensordot", "b", a[1]) : NULL;
    if (!y) return NULL;
    PyObject *two = a[2] ? NULL : PyLong_FromLong(2), *dims = a[2] ? a[2] : two;
    int rc = dims ? parse_dims(dims, x, y, da, &na, db, &nb) : -1;
    Py_XDECREF(two);
    if (rc < 0) return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x) + ct_numel(y), r = ct_tensordot(x, y, na, da, nb, db));
    if (!r || !a[3] || a[3] == Py_None) return ct_wrap(r);
    if (!ct_is_tensor(a[3])) {
        ct_decref(r);
        return PyErr_Format(PyExc_TypeError, "tensordot(): argument 'out' must be Tensor, not %s",
                            Py_TYPE(a[3])->tp_name);
    }
    ct_dtype od = ct_unwrap(a[3])->dtype;
    if (od != r->dtype) {
        PyErr_Format(PyExc_RuntimeError, "tensordot: Expected the output tensor to have dtype %s, but got an output "
                     "tensor with dtype %s", ct_dtype_infos[r->dtype].legacy, ct_dtype_infos[od].legacy);
        ct_decref(r);
        return NULL;
    }
    factory_opts o = {.dtype = od, .device = ct_device_of(r), .requires_grad = false, .out = a[3]};
    return factory_result(r, &o);
}

/* ---- cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary') ---- */

static PyObject *f_cdist(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"x1", "x2", "p", "compute_mode", NULL};
    static const char *const modes[] = {"use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                        "donot_use_mm_for_euclid_dist"};
    PyObject *a[4];
    double p = 2.0;
    int mode = CT_CDIST_AUTO;
    if (ct_parse("cdist", args, nargs, kwnames, names, 4, a) < 0) return NULL;
    ct_tensor *x1 = ct_arg_tensor("cdist", "x1", a[0]), *x2 = x1 ? ct_arg_tensor("cdist", "x2", a[1]) : NULL;
    if (!x2 || (a[2] && ct_arg_double("cdist", "p", a[2], &p) < 0)) return NULL;
    if (a[3]) {
        const char *s = PyUnicode_Check(a[3]) ? PyUnicode_AsUTF8(a[3]) : NULL;
        for (mode = 0; s && mode < 3 && strcmp(s, modes[mode]) != 0; mode++) {}
        if (!s || mode == 3) return PyErr_Format(PyExc_ValueError, "%S is not a valid value for compute_mode", a[3]);
    }
    ct_tensor *r;
    CT_NOGIL(ct_numel(x1) + ct_numel(x2), r = ct_cdist(x1, x2, p, (ct_cdist_mode)mode));
    return ct_wrap(r);
}

/* ---- dist(input, other, p=2) ---- */

static PyObject *m_dist(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"other", "p", NULL};
    PyObject *a[2];
    double p = 2.0;
    if (ct_parse("dist", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *o = ct_arg_tensor("dist", "other", a[0]);
    if (!o || (a[1] && ct_arg_double("dist", "p", a[1], &p) < 0)) return NULL;
    ct_tensor *r, *t = ct_unwrap(self);
    CT_NOGIL(ct_numel(t) + ct_numel(o), r = ct_dist(t, o, p));
    return ct_wrap(r);
}
static PyObject *f_dist(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return ct_call_as_method("dist", m_dist, a, n, k);
}

PyMethodDef ct_einsum_methods[] = {{"dist", CT_FASTCALL(m_dist), NULL}, {NULL}};

PyMethodDef ct_einsum_functions[] = {
    {"einsum", CT_FASTCALL(f_einsum), NULL},
    {"tensordot", CT_FASTCALL(f_tensordot), NULL},
    {"cdist", CT_FASTCALL(f_cdist), NULL},
    {"dist", CT_FASTCALL(f_dist), NULL},
    {NULL},
};
