/* Index ops for Python: gather, index_select, scatter(_), scatter_add(_),
 * index_add(_), index_fill(_), index_copy(_), take, masked_fill(_),
 * masked_select, nonzero (index_put_ and t[...] live in shape.c). */
#include "ct_python.h"
#include "ctorch/ct_autograd.h"

/* the Python result of an op that wrote into self (in place) or made r */
static PyObject *op_result(PyObject *self, ct_tensor *r, bool inplace) {
    if (!r) return ct_raise();
    if (inplace) {
        ct_decref(r);
        Py_INCREF(self);
        return self;
    }
    return ct_wrap(r);
}

/* dim (int) and index (tensor) of args a[0], a[1] */
static int dim_index(const char *fname, PyObject **a, int64_t *dim, ct_tensor **index) {
    if (!a[0] || !a[1]) {
        PyErr_Format(PyExc_TypeError, "%s() missing required arguments 'dim' and 'index'", fname);
        return -1;
    }
    if (ct_arg_int(fname, "dim", a[0], dim) < 0) return -1;
    *index = ct_arg_tensor(fname, "index", a[1]);
    return *index ? 0 : -1;
}

static PyObject *m_gather(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"dim", "index", "sparse_grad", NULL};
    PyObject *a[3];
    int64_t dim;
    ct_tensor *index;
    if (ct_parse("gather", args, nargs, kw, names, 2, a) < 0 || dim_index("gather", a, &dim, &index) < 0) return NULL;
    return ct_wrap(ct_gather(ct_unwrap(self), dim, index));
}

static PyObject *m_index_select(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"dim", "index", NULL};
    PyObject *a[2];
    int64_t dim;
    ct_tensor *index;
    if (ct_parse("index_select", args, nargs, kw, names, 2, a) < 0 || dim_index("index_select", a, &dim, &index) < 0)
        return NULL;
    return ct_wrap(ct_index_select(ct_unwrap(self), dim, index));
}

/* scatter(dim, index, src | value, *, reduce) and scatter_add(dim, index, src), in place or not */
static PyObject *scatter_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kw, bool accumulate, bool inplace) {
    static const char *const names[] = {"dim", "index", "src", "value", "reduce", NULL};
    PyObject *a[5];
    int64_t dim;
    ct_tensor *index;
    if (ct_parse(fname, args, nargs, kw, names, 3, a) < 0 || dim_index(fname, a, &dim, &index) < 0) return NULL;
    static const char *const reductions[] = {"add", "multiply", NULL};
    bool has_reduce = a[4] && a[4] != Py_None;
    int r = has_reduce ? ct_arg_choice(fname, "reduce", a[4], reductions) : 0;
    if (r < 0) return NULL;
    if (r == 2) return PyErr_Format(PyExc_RuntimeError, "reduce argument must be either add or multiply.");
    PyObject *v = a[2] ? a[2] : a[3];
    if (!v || (a[2] && a[3]))
        return PyErr_Format(PyExc_TypeError, "%s() received an invalid combination of arguments", fname);
    if (has_reduce && ct_is_tensor(v) &&
        PyErr_WarnEx(PyExc_UserWarning, "The reduce argument of torch.scatter with Tensor src is deprecated and will "
                     "be removed in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
                     "options.", 1) < 0)
        return NULL;
    ct_tensor *self_t = ct_unwrap(self), *src = NULL;
    bool is_value = !ct_is_tensor(v);
    if (is_value) {
        if (accumulate) return PyErr_Format(PyExc_TypeError, "%s(): argument 'src' must be Tensor", fname);
        ct_scalar s;
        ct_dtype kind;
        if (ct_arg_scalar(fname, "value", v, &s, &kind) < 0) return NULL;
        if (!(src = ct_scalar_tensor(s, kind, false))) return ct_raise();
    } else {
        src = ct_incref(ct_unwrap(v));
    }
    ct_tensor *res = has_reduce ? ct_scatter_reduce_arg(self_t, dim, index, src, is_value,
                                                        r ? CT_SCATTER_MUL : CT_SCATTER_ADD, inplace)
                                : ct_scatter(self_t, dim, index, src, is_value,
                                             accumulate ? CT_SCATTER_ADD : CT_SCATTER_SET, inplace);
    ct_decref(src);
    return op_result(self, res, inplace);
}
static PyObject *m_scatter(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_call("scatter", s, a, n, k, false, false); }
static PyObject *m_scatter_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_call("scatter_", s, a, n, k, false, true); }
static PyObject *m_scatter_add(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_call("scatter_add", s, a, n, k, true, false); }
static PyObject *m_scatter_add_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_call("scatter_add_", s, a, n, k, true, true); }

/* scatter_reduce(dim, index, src, reduce, *, include_self=True), in place or not */
static PyObject *scatter_reduce_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kw, bool inplace) {
    static const char *const names[] = {"dim", "index", "src", "reduce", "include_self", NULL};
    /* PyTorch also takes "max" and "min" for amax and amin */
    static const char *const reductions[] = {"sum", "prod", "mean", "amax", "amin", "max", "min", NULL};
    PyObject *a[5];
    int64_t dim;
    ct_tensor *index, *src;
    bool include_self;
    if (ct_parse(fname, args, nargs, kw, names, 4, a) < 0 || dim_index(fname, a, &dim, &index) < 0) return NULL;
    if (!(src = ct_arg_tensor(fname, "src", a[2]))) return NULL;
    if (!a[3]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'reduce'", fname);
    int r = ct_arg_choice(fname, "reduce", a[3], reductions);
    if (r < 0 || ct_arg_bool(fname, "include_self", a[4], true, &include_self) < 0) return NULL;
    if (r == 7)
        return PyErr_Format(PyExc_RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got %s",
                            PyUnicode_AsUTF8(a[3]));
    ct_tensor *res = ct_scatter_reduce(ct_unwrap(self), dim, index, src, (ct_scatter_reduction)(r >= 5 ? r - 2 : r), include_self, inplace);
    return op_result(self, res, inplace);
}
static PyObject *m_scatter_reduce(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_reduce_call("scatter_reduce", s, a, n, k, false); }
static PyObject *m_scatter_reduce_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return scatter_reduce_call("scatter_reduce_", s, a, n, k, true); }

/* masked_scatter(mask, source), in place or not */
static PyObject *masked_scatter_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kw, bool inplace) {
    static const char *const names[] = {"mask", "source", NULL};
    PyObject *a[2];
    ct_tensor *mask, *source;
    if (ct_parse(fname, args, nargs, kw, names, 2, a) < 0 || !(mask = ct_arg_tensor(fname, "mask", a[0])) ||
        !(source = ct_arg_tensor(fname, "source", a[1])))
        return NULL;
    return op_result(self, ct_masked_scatter(ct_unwrap(self), mask, source, inplace), inplace);
}
static PyObject *m_masked_scatter(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return masked_scatter_call("masked_scatter", s, a, n, k, false); }
static PyObject *m_masked_scatter_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return masked_scatter_call("masked_scatter_", s, a, n, k, true); }

static PyObject *index_add_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kw, bool inplace) {
    static const char *const names[] = {"dim", "index", "source", "alpha", NULL};
    PyObject *a[4];
    int64_t dim;
    ct_tensor *index, *source;
    ct_scalar alpha = ct_scalar_i(1);
    ct_dtype kind;
    if (ct_parse(fname, args, nargs, kw, names, 3, a) < 0 || dim_index(fname, a, &dim, &index) < 0) return NULL;
    if (!(source = ct_arg_tensor(fname, "source", a[2]))) return NULL;
    if (a[3] && ct_arg_scalar(fname, "alpha", a[3], &alpha, &kind) < 0) return NULL;
    ct_tensor *r = ct_index_add(ct_unwrap(self), dim, index, source, alpha, inplace);
    return op_result(self, r, inplace);
}
static PyObject *m_index_add(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return index_add_call("index_add", s, a, n, k, false); }
static PyObject *m_index_add_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return index_add_call("index_add_", s, a, n, k, true); }

/* index_fill(dim, index, value) and index_copy(dim, index, source), in place or not */
static PyObject *fill_copy_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kw, bool is_value, bool inplace) {
    static const char *const fill_names[] = {"dim", "index", "value", NULL};
    static const char *const copy_names[] = {"dim", "index", "source", NULL};
    PyObject *a[3];
    int64_t dim;
    ct_tensor *index, *src;
    if (ct_parse(fname, args, nargs, kw, is_value ? fill_names : copy_names, 3, a) < 0 ||
        dim_index(fname, a, &dim, &index) < 0)
        return NULL;
    if (!a[2]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, is_value ? "value" : "source");
    if (is_value) {
        if (!(src = ct_operand(a[2]))) return PyErr_Occurred() ? NULL : ct_raise();
    } else {
        if (!ct_arg_tensor(fname, "source", a[2])) return NULL;
        src = ct_incref(ct_unwrap(a[2]));
    }
    ct_tensor *r = ct_index_fill_copy(ct_unwrap(self), dim, index, src, is_value, inplace);
    ct_decref(src);
    return op_result(self, r, inplace);
}
static PyObject *m_index_fill(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return fill_copy_call("index_fill", s, a, n, k, true, false); }
static PyObject *m_index_fill_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return fill_copy_call("index_fill_", s, a, n, k, true, true); }
static PyObject *m_index_copy(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return fill_copy_call("index_copy", s, a, n, k, false, false); }
static PyObject *m_index_copy_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return fill_copy_call("index_copy_", s, a, n, k, false, true); }

static PyObject *m_take(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"index", NULL};
    PyObject *a[1];
    if (ct_parse("take", args, nargs, kw, names, 1, a) < 0) return NULL;
    ct_tensor *index = ct_arg_tensor("take", "index", a[0]);
    return index ? ct_wrap(ct_take(ct_unwrap(self), index)) : NULL;
}

/* masked_fill(mask, value): where(mask, value, self), the value cast to self's dtype */
static PyObject *masked_fill_call(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, bool inplace) {
    static const char *const names[] = {"mask", "value", NULL};
    const char *fname = inplace ? "masked_fill_" : "masked_fill";
    PyObject *a[2];
    if (ct_parse(fname, args, nargs, kw, names, 2, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self), *mask = ct_arg_tensor(fname, "mask", a[0]);
    if (!mask) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'value'", fname);
    if (mask->dtype != CT_BOOL)
        return PyErr_Format(PyExc_RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype %s",
                            ct_dtype_name(mask->dtype));
    if (ct_is_tensor(a[1]) && ct_unwrap(a[1])->ndim != 0)
        return PyErr_Format(PyExc_RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got "
                            "tensor with %d dimension(s).", ct_unwrap(a[1])->ndim);
    ct_tensor *v = ct_operand(a[1]);
    ct_tensor *vc = v ? ct_to_dtype(v, t->dtype, false) : NULL;
    ct_xdecref(v);
    if (!vc) return PyErr_Occurred() ? NULL : ct_raise();
    ct_tensor *r = ct_rename_grad_fn(ct_where(mask, vc, t, inplace ? t : NULL), mask, "MaskedFillBackward0");
    ct_decref(vc);
    return op_result(self, r, inplace);
}
static PyObject *m_masked_fill(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return masked_fill_call(s, a, n, k, false); }
static PyObject *m_masked_fill_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return masked_fill_call(s, a, n, k, true); }

/* masked_select(mask): the elements where the (broadcast) mask is true, 1-D */
static PyObject *m_masked_select(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"mask", NULL};
    PyObject *a[1];
    if (ct_parse("masked_select", args, nargs, kw, names, 1, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self), *mask = ct_arg_tensor("masked_select", "mask", a[0]);
    if (!mask) return NULL;
    if (mask->dtype != CT_BOOL)
        return PyErr_Format(PyExc_RuntimeError, "masked_select: expected BoolTensor for mask");
    int64_t shape[CT_MAX_DIMS], all = -1;
    int nd = ct_broadcast_shapes(t->ndim, t->sizes, mask->ndim, mask->sizes, shape);
    if (nd < 0) {
        char x[256], y[256];
        return PyErr_Format(PyExc_RuntimeError, "masked_select(): shapes %s and %s cannot be broadcast",
                            ct_shape_str(t->ndim, t->sizes, x, 256), ct_shape_str(mask->ndim, mask->sizes, y, 256));
    }
    ct_tensor *te = ct_expand(t, nd, shape), *tf = te ? ct_reshape(te, 1, &all) : NULL;
    ct_tensor *me = tf ? ct_expand(mask, nd, shape) : NULL, *mf = me ? ct_reshape(me, 1, &all) : NULL;
    ct_tensor *nz = mf ? ct_nonzero(mf) : NULL, *pos = nz ? ct_reshape(nz, 1, &all) : NULL;
    ct_tensor *r = ct_rename_grad_fn(pos ? ct_index_select(tf, 0, pos) : NULL, t, "MaskedSelectBackward0");
    ct_tensor *tmp[6] = {te, tf, me, mf, nz, pos};
    for (int i = 0; i < 6; i++) ct_xdecref(tmp[i]);
    return ct_wrap(r);
}

/* nonzero(*, as_tuple=False): [count, ndim] positions, or one tensor per dim */
PyObject *ct_nonzero_py(ct_tensor *t, bool as_tuple) {
    ct_tensor *nz = ct_nonzero(t);
    if (!nz || !as_tuple) return ct_wrap(nz);
    int n = t->ndim ? t->ndim : 1;
    PyObject *r = PyTuple_New(n);
    for (int d = 0; r && d < n; d++) {
        PyObject *col = ct_wrap(t->ndim ? ct_select(nz, 1, d) : ct_reshape(nz, 1, (int64_t[]){-1}));
        if (!col) {
            Py_CLEAR(r);
            break;
        }
        PyTuple_SET_ITEM(r, d, col);
    }
    ct_decref(nz);
    return r;
}

static PyObject *m_nonzero(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"as_tuple", NULL};
    PyObject *a[1];
    bool as_tuple;
    if (ct_parse("nonzero", args, nargs, kw, names, 0, a) < 0 || ct_arg_bool("nonzero", "as_tuple", a[0], false, &as_tuple) < 0)
        return NULL;
    return ct_nonzero_py(ct_unwrap(self), as_tuple);
}

#define CT_INDEX_FN(name)                                                                  \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                                \
    }
CT_INDEX_FN(gather)
CT_INDEX_FN(index_select)
CT_INDEX_FN(scatter)
CT_INDEX_FN(scatter_add)
CT_INDEX_FN(index_add)
CT_INDEX_FN(masked_fill)
CT_INDEX_FN(masked_select)
CT_INDEX_FN(nonzero)
CT_INDEX_FN(index_fill)
CT_INDEX_FN(index_copy)
CT_INDEX_FN(take)
CT_INDEX_FN(scatter_reduce)
CT_INDEX_FN(masked_scatter)

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
PyMethodDef ct_index_methods[] = {
    CT_ENTRY("gather", m_gather) CT_ENTRY("index_select", m_index_select) CT_ENTRY("scatter", m_scatter)
    CT_ENTRY("scatter_", m_scatter_) CT_ENTRY("scatter_add", m_scatter_add) CT_ENTRY("scatter_add_", m_scatter_add_)
    CT_ENTRY("index_add", m_index_add) CT_ENTRY("index_add_", m_index_add_) CT_ENTRY("masked_fill", m_masked_fill)
    CT_ENTRY("masked_fill_", m_masked_fill_) CT_ENTRY("masked_select", m_masked_select)
    CT_ENTRY("nonzero", m_nonzero) CT_ENTRY("index_fill", m_index_fill) CT_ENTRY("index_fill_", m_index_fill_)
    CT_ENTRY("index_copy", m_index_copy) CT_ENTRY("index_copy_", m_index_copy_) CT_ENTRY("take", m_take)
    CT_ENTRY("scatter_reduce", m_scatter_reduce) CT_ENTRY("scatter_reduce_", m_scatter_reduce_)
    CT_ENTRY("masked_scatter", m_masked_scatter) CT_ENTRY("masked_scatter_", m_masked_scatter_)
    {NULL},
};

PyMethodDef ct_index_functions[] = {
    CT_ENTRY("gather", f_gather) CT_ENTRY("index_select", f_index_select) CT_ENTRY("scatter", f_scatter)
    CT_ENTRY("scatter_add", f_scatter_add) CT_ENTRY("index_add", f_index_add) CT_ENTRY("masked_fill", f_masked_fill)
    CT_ENTRY("masked_select", f_masked_select) CT_ENTRY("nonzero", f_nonzero) CT_ENTRY("index_fill", f_index_fill)
    CT_ENTRY("index_copy", f_index_copy) CT_ENTRY("take", f_take) CT_ENTRY("scatter_reduce", f_scatter_reduce)
    CT_ENTRY("masked_scatter", f_masked_scatter)
    {NULL},
};
