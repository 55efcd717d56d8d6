/* Reductions and matrix products for Python. */
#include "ct_python.h"
#include "ctorch/ct_autograd.h"

#include <math.h>

static PyTypeObject *max_type, *min_type;   /* torch.return_types.max / min */

PyObject *ct_values_indices(PyTypeObject *type, ct_tensor *v, ct_tensor *i) {
    PyObject *r = PyStructSequence_New(type);
    PyObject *pv = r ? ct_wrap(v) : NULL, *pi = pv ? ct_wrap(i) : NULL;
    if (!pi) {
        Py_XDECREF(r);
        Py_XDECREF(pv);
        return NULL;
    }
    PyStructSequence_SET_ITEM(r, 0, pv);
    PyStructSequence_SET_ITEM(r, 1, pi);
    return r;
}

/* sum/mean/prod(dim=None, keepdim=False, *, dtype=None) */
static PyObject *reduce_call(const char *fname, ct_reduce_kind kind, PyObject *self, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "keepdim", "dtype", NULL};
    PyObject *a[3];
    int64_t dims[CT_MAX_DIMS];
    int nd;
    bool keepdim;
    ct_dtype dt;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 || ct_arg_dims(fname, a[0], dims, &nd) < 0 ||
        ct_arg_bool(fname, "keepdim", a[1], false, &keepdim) < 0 || ct_arg_dtype(a[2], &dt) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self), *r;
    CT_NOGIL(ct_numel(t), r = ct_reduce(kind, t, nd, dims, keepdim, dt));
    return ct_wrap(r);
}

#define CT_REDUCE_METHOD(name, kind)                                                                        \
    static PyObject *m_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {     \
        return reduce_call(#name, kind, self, args, nargs, kw);                                             \
    }                                                                                                       \
    static PyObject *f_##name(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {      \
        return ct_call_as_method(#name, m_##name, args, nargs, kw);                                         \
    }
CT_REDUCE_METHOD(sum, CT_RED_SUM)
CT_REDUCE_METHOD(mean, CT_RED_MEAN)
CT_REDUCE_METHOD(amax, CT_RED_AMAX)
CT_REDUCE_METHOD(amin, CT_RED_AMIN)

/* prod(dim=None, keepdim=False, *, dtype=None): dim is a single int */
static PyObject *m_prod(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    return reduce_call("prod", CT_RED_PROD, self, args, nargs, kw);
}
static PyObject *f_prod(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    return ct_call_as_method("prod", m_prod, args, nargs, kw);
}

static PyObject *all_any(const char *fname, ct_reduce_kind kind, PyObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "keepdim", NULL};
    PyObject *a[2];
    int64_t dims[CT_MAX_DIMS];
    int nd;
    bool keepdim;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 || ct_arg_dims(fname, a[0], dims, &nd) < 0 ||
        ct_arg_bool(fname, "keepdim", a[1], false, &keepdim) < 0)
        return NULL;
    return ct_wrap(ct_reduce(kind, ct_unwrap(self), nd, dims, keepdim, CT_UNDEFINED));
}
static PyObject *m_all(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return all_any("all", CT_RED_ALL, s, a, n, k); }
static PyObject *m_any(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return all_any("any", CT_RED_ANY, s, a, n, k); }
static PyObject *f_all(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("all", m_all, a, n, k); }
static PyObject *f_any(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("any", m_any, a, n, k); }

/* max()/min(): everything; max(dim, keepdim): (values, indices); max(other): maximum */
static PyObject *max_min(const char *fname, bool is_max, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames) {
    static const char *const names[] = {"dim", "keepdim", NULL};
    PyObject *a[2];
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (a[0] && ct_is_tensor(a[0])) {
        return ct_wrap(ct_binary(is_max ? CT_OP_maximum : CT_OP_minimum, t, ct_unwrap(a[0]), NULL, NULL));
    }
    if (!a[0]) {
        if (a[1]) return PyErr_Format(PyExc_TypeError, "%s() received an invalid combination of arguments", fname);
        if (ct_numel(t) == 0)
            return PyErr_Format(PyExc_RuntimeError, "%s(): Expected reduction dim to be specified for input.numel() "
                                "== 0. Specify the reduction dim with the 'dim' argument.", fname);
        ct_tensor *r = ct_reduce(is_max ? CT_RED_AMAX : CT_RED_AMIN, t, 0, NULL, false, CT_UNDEFINED);
        if (r && r->grad_fn) r->grad_fn->name = is_max ? "MaxBackward1" : "MinBackward1";
        return ct_wrap(r);
    }
    int64_t dim;
    bool keepdim;
    if (ct_arg_int(fname, "dim", a[0], &dim) < 0 || ct_arg_bool(fname, "keepdim", a[1], false, &keepdim) < 0)
        return NULL;
    ct_tensor *v, *i;
    if (ct_max_min_dim(t, dim, keepdim, is_max, &v, &i) < 0) return ct_raise();
    return ct_values_indices(is_max ? max_type : min_type, v, i);
}
static PyObject *m_max(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return max_min("max", true, s, a, n, k); }
static PyObject *m_min(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return max_min("min", false, s, a, n, k); }
static PyObject *f_max(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("max", m_max, a, n, k); }
static PyObject *f_min(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("min", m_min, a, n, k); }

static PyObject *arg_call(const char *fname, bool is_max, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames) {
    static const char *const names[] = {"dim", "keepdim", NULL};
    PyObject *a[2];
    int64_t dim = 0;
    bool keepdim;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 ||
        ct_arg_bool(fname, "keepdim", a[1], false, &keepdim) < 0)
        return NULL;
    bool given = a[0] && a[0] != Py_None;
    if (given && ct_arg_int(fname, "dim", a[0], &dim) < 0) return NULL;
    return ct_wrap(ct_argmax_min(ct_unwrap(self), given, dim, keepdim, is_max));
}
static PyObject *m_argmax(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return arg_call("argmax", true, s, a, n, k); }
static PyObject *m_argmin(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return arg_call("argmin", false, s, a, n, k); }
static PyObject *f_argmax(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("argmax", m_argmax, a, n, k); }
static PyObject *f_argmin(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("argmin", m_argmin, a, n, k); }

/* std/var(dim=None, unbiased=True, keepdim=False, *, correction=None); unbiased may come positionally */
static PyObject *var_call(const char *fname, bool take_sqrt, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames) {
    static const char *const names[] = {"dim", "unbiased", "keepdim", "correction", NULL};
    PyObject *a[4];
    if (ct_parse(fname, args, nargs, kwnames, names, 3, a) < 0) return NULL;
    if (a[0] && PyBool_Check(a[0])) {   /* std(unbiased) */
        if (a[1]) return PyErr_Format(PyExc_TypeError, "%s() received an invalid combination of arguments", fname);
        a[1] = a[0];
        a[0] = NULL;
    }
    int64_t dims[CT_MAX_DIMS];
    int nd;
    bool unbiased, keepdim;
    double correction;
    if (ct_arg_dims(fname, a[0], dims, &nd) < 0 || ct_arg_bool(fname, "unbiased", a[1], true, &unbiased) < 0 ||
        ct_arg_bool(fname, "keepdim", a[2], false, &keepdim) < 0)
        return NULL;
    correction = unbiased ? 1 : 0;
    if (a[3] && a[3] != Py_None && ct_arg_double(fname, "correction", a[3], &correction) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    int64_t count = 1;
    for (int i = 0; i < t->ndim; i++) {
        bool reduced = nd == 0;
        for (int j = 0; j < nd && !reduced; j++) reduced = dims[j] == i || dims[j] + t->ndim == i;
        if (reduced) count *= t->sizes[i];
    }
    if ((double)count - correction <= 0 &&
        PyErr_WarnFormat(PyExc_UserWarning, 1, "%s(): degrees of freedom is <= 0. Correction should be strictly less "
                         "than the reduction factor (input numel divided by output numel).", fname) < 0)
        return NULL;
    ct_tensor *r = ct_var(ct_unwrap(self), nd, dims, correction, keepdim, take_sqrt);
    if (r && r->grad_fn) r->grad_fn->name = take_sqrt ? "StdBackward0" : "VarBackward0";
    return ct_wrap(r);
}
static PyObject *m_std(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return var_call("std", true, s, a, n, k); }
static PyObject *m_var(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return var_call("var", false, s, a, n, k); }
static PyObject *f_std(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("std", m_std, a, n, k); }
static PyObject *f_var(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("var", m_var, a, n, k); }

/* norm(p='fro', dim=None, keepdim=False, dtype=None) */
static PyObject *m_norm(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"p", "dim", "keepdim", "dtype", NULL};
    PyObject *a[4];
    if (ct_parse("norm", args, nargs, kwnames, names, 4, a) < 0) return NULL;
    double p = 2;
    bool fro = !a[0] || a[0] == Py_None;
    if (a[0] && a[0] != Py_None) {
        if (PyUnicode_Check(a[0])) {
            fro = true;
            if (strcmp(PyUnicode_AsUTF8(a[0]), "fro") != 0)
                return PyErr_Format(PyExc_RuntimeError, "norm: unsupported p '%s'", PyUnicode_AsUTF8(a[0]));
        } else if (ct_arg_double("norm", "p", a[0], &p) < 0) {
            return NULL;
        }
    }
    int64_t dims[CT_MAX_DIMS];
    int nd;
    bool keepdim;
    ct_dtype dt;
    if (ct_arg_dims("norm", a[1], dims, &nd) < 0 || ct_arg_bool("norm", "keepdim", a[2], false, &keepdim) < 0 ||
        ct_arg_dtype(a[3], &dt) < 0)
        return NULL;
    if (fro && nd > 2) return PyErr_Format(PyExc_RuntimeError, "dim must be a 2-tuple. Got %d dims", nd);
    ct_tensor *x = ct_unwrap(self);
    ct_tensor *xc = dt == CT_UNDEFINED ? ct_incref(x) : ct_to_dtype(x, dt, false);
    if (!xc) return ct_raise();
    ct_tensor *r = ct_norm(xc, p, nd, dims, keepdim);
    ct_decref(xc);
    return ct_wrap(r);
}
static PyObject *f_norm(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("norm", m_norm, a, n, k); }

static PyObject *m_logsumexp(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "keepdim", NULL};
    PyObject *a[2];
    int64_t dims[CT_MAX_DIMS];
    int nd;
    bool keepdim;
    if (ct_parse("logsumexp", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "logsumexp() missing 1 required positional arguments: \"dim\"");
    if (ct_arg_dims("logsumexp", a[0], dims, &nd) < 0 || ct_arg_bool("logsumexp", "keepdim", a[1], false, &keepdim) < 0)
        return NULL;
    ct_tensor *r = ct_logsumexp(ct_unwrap(self), nd, dims, keepdim);
    if (r && r->grad_fn) r->grad_fn->name = "LogsumexpBackward0";
    return ct_wrap(r);
}
static PyObject *f_logsumexp(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("logsumexp", m_logsumexp, a, n, k); }

static PyObject *cumulative(const char *fname, int op, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"dim", "dtype", NULL};
    PyObject *a[2];
    int64_t dim;
    ct_dtype dt;
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"dim\"", fname);
    if (ct_arg_int(fname, "dim", a[0], &dim) < 0 || ct_arg_dtype(a[1], &dt) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (inplace && dt == CT_UNDEFINED) dt = t->dtype;
    ct_tensor *r = ct_cumulative(op, t, dim, dt);
    if (!r || !inplace) return ct_wrap(r);
    int rc = ct_copy_(t, r);
    ct_decref(r);
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}
static PyObject *m_cumsum(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return cumulative("cumsum", CT_OP_cumsum, s, a, n, k, false); }
static PyObject *m_cumsum_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return cumulative("cumsum_", CT_OP_cumsum, s, a, n, k, true); }
static PyObject *m_cumprod(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return cumulative("cumprod", CT_OP_cumprod, s, a, n, k, false); }
static PyObject *m_cumprod_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return cumulative("cumprod_", CT_OP_cumprod, s, a, n, k, true); }
static PyObject *f_cumsum(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("cumsum", m_cumsum, a, n, k); }
static PyObject *f_cumprod(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("cumprod", m_cumprod, a, n, k); }

/* ---- matrix products ---- */
#define CT_PRODUCT(name, argname, fn)                                                                        \
    static PyObject *m_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) { \
        static const char *const names[] = {argname, NULL};                                                  \
        PyObject *a[1];                                                                                      \
        if (ct_parse(#name, args, nargs, kwnames, names, 1, a) < 0) return NULL;                             \
        ct_tensor *o = ct_arg_tensor(#name, argname, a[0]), *r, *t = ct_unwrap(self);                        \
        if (!o) return NULL;                                                                                 \
        CT_NOGIL(ct_numel(t) + ct_numel(o), r = fn(t, o));                                                   \
        return ct_wrap(r);                                                                                   \
    }                                                                                                        \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {                 \
        return ct_call_as_method(#name, m_##name, a, n, k);                                                  \
    }
CT_PRODUCT(mm, "mat2", ct_mm)
CT_PRODUCT(bmm, "mat2", ct_bmm)
CT_PRODUCT(matmul, "other", ct_matmul)
CT_PRODUCT(dot, "tensor", ct_dot)
CT_PRODUCT(mv, "vec", ct_mv)
CT_PRODUCT(outer, "vec2", ct_outer)

static PyObject *m_addmm(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"mat1", "mat2", "beta", "alpha", NULL};
    PyObject *a[4];
    if (ct_parse("addmm", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *m1 = ct_arg_tensor("addmm", "mat1", a[0]), *m2 = m1 ? ct_arg_tensor("addmm", "mat2", a[1]) : NULL;
    if (!m2) return NULL;
    ct_scalar beta = ct_scalar_i(1), alpha = ct_scalar_i(1);
    ct_dtype kind;
    if ((a[2] && ct_arg_scalar("addmm", "beta", a[2], &beta, &kind) < 0) ||
        (a[3] && ct_arg_scalar("addmm", "alpha", a[3], &alpha, &kind) < 0))
        return NULL;
    return ct_wrap(ct_addmm(ct_unwrap(self), m1, m2, beta, alpha));
}
static PyObject *m_addmm_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    PyObject *r = m_addmm(self, args, nargs, kwnames);
    if (!r) return NULL;
    int rc = ct_copy_(ct_unwrap(self), ct_unwrap(r));
    Py_DECREF(r);
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

/* isclose/allclose(other, rtol=1e-05, atol=1e-08, equal_nan=False) */
static PyObject *close_call(const char *fname, bool all, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    static const char *const names[] = {"other", "rtol", "atol", "equal_nan", NULL};
    PyObject *a[4];
    double rtol = 1e-05, atol = 1e-08;
    bool equal_nan;
    if (ct_parse(fname, args, nargs, kwnames, names, 4, a) < 0) return NULL;
    ct_tensor *o = ct_arg_tensor(fname, "other", a[0]);
    if (!o || (a[1] && ct_arg_double(fname, "rtol", a[1], &rtol) < 0) ||
        (a[2] && ct_arg_double(fname, "atol", a[2], &atol) < 0) ||
        ct_arg_bool(fname, "equal_nan", a[3], false, &equal_nan) < 0)
        return NULL;
    ct_tensor *c = ct_isclose(ct_unwrap(self), o, rtol, atol, equal_nan);
    if (!c || !all) return ct_wrap(c);
    ct_tensor *every = ct_reduce(CT_RED_ALL, c, 0, NULL, false, CT_UNDEFINED);
    ct_decref(c);
    if (!every) return ct_raise();
    ct_scalar v;
    int rc = ct_item(every, &v);
    ct_decref(every);
    return rc < 0 ? ct_raise() : PyBool_FromLong(v.i != 0);
}
static PyObject *m_isclose(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return close_call("isclose", false, s, a, n, k); }
static PyObject *m_allclose(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return close_call("allclose", true, s, a, n, k); }
static PyObject *f_isclose(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("isclose", m_isclose, a, n, k); }
static PyObject *f_allclose(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("allclose", m_allclose, a, n, k); }

static PyObject *m_equal(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"other", NULL};
    PyObject *a[1];
    if (ct_parse("equal", args, nargs, kwnames, names, 1, a) < 0) return NULL;
    ct_tensor *o = ct_arg_tensor("equal", "other", a[0]);
    if (!o) return NULL;
    int r = ct_equal(ct_unwrap(self), o);
    return r < 0 ? ct_raise() : PyBool_FromLong(r);
}
static PyObject *f_equal(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("equal", m_equal, a, n, k); }

static PyObject *f_addmm(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("addmm", m_addmm, a, n, k); }

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_BOTH(name) CT_ENTRY(#name, m_##name)
#define CT_FN(name) CT_ENTRY(#name, f_##name)
#define CT_REDUCTIONS(X) X(sum) X(mean) X(prod) X(amax) X(amin) X(all) X(any) X(max) X(min) X(argmax) X(argmin) \
    X(std) X(var) X(norm) X(logsumexp) X(cumsum) X(cumprod) X(mm) X(bmm) X(matmul) X(dot) X(mv) X(outer) X(addmm) \
    X(isclose) X(allclose) X(equal)

PyMethodDef ct_reduce_methods[] = {
    CT_REDUCTIONS(CT_BOTH) CT_ENTRY("cumsum_", m_cumsum_) CT_ENTRY("cumprod_", m_cumprod_) CT_ENTRY("inner", m_dot) CT_ENTRY("addmm_", m_addmm_)
    CT_ENTRY("ger", m_outer) {NULL},
};
PyMethodDef ct_reduce_functions[] = {CT_REDUCTIONS(CT_FN) CT_ENTRY("ger", f_outer) {NULL}};

int ct_reductions_init(PyObject *module) {
    static PyStructSequence_Field fields[] = {{"values", NULL}, {"indices", NULL}, {NULL, NULL}};
    static PyStructSequence_Desc max_desc = {"torch.return_types.max", NULL, fields, 2};
    static PyStructSequence_Desc min_desc = {"torch.return_types.min", NULL, fields, 2};
    max_type = ct_return_type_new(&max_desc);
    min_type = ct_return_type_new(&min_desc);
    if (!max_type || !min_type) return -1;
    if (PyModule_AddObjectRef(module, "_return_max", (PyObject *)max_type) < 0 ||
        PyModule_AddObjectRef(module, "_return_min", (PyObject *)min_type) < 0)
        return -1;
    return 0;
}
