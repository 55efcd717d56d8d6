/* Views, shape queries and basic indexing for Python. */
#include "ct_python.h"
#include "ctorch/ct_autograd.h"

/* ---- queries ---- */
static PyObject *m_size(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", NULL};
    PyObject *a[1];
    if (ct_parse("size", args, nargs, kwnames, names, 1, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (!a[0] || a[0] == Py_None) return ct_size_new(t->ndim, t->sizes);
    int64_t d;
    if (ct_arg_int("size", "dim", a[0], &d) < 0 || ct_wrap_dim(d, t->ndim, &d) < 0) return PyErr_Occurred() ? NULL : ct_raise();
    return PyLong_FromLongLong(t->ndim ? t->sizes[d] : 1);
}

static PyObject *m_stride(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", NULL};
    PyObject *a[1];
    if (ct_parse("stride", args, nargs, kwnames, names, 1, a) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (!a[0] || a[0] == Py_None) {
        PyObject *r = PyTuple_New(t->ndim);
        for (int i = 0; r && i < t->ndim; i++) PyTuple_SET_ITEM(r, i, PyLong_FromLongLong(t->strides[i]));
        return r;
    }
    int64_t d;
    if (ct_arg_int("stride", "dim", a[0], &d) < 0 || ct_wrap_dim(d, t->ndim, &d) < 0) return PyErr_Occurred() ? NULL : ct_raise();
    return PyLong_FromLongLong(t->ndim ? t->strides[d] : 1);
}

static PyObject *m_dim(PyObject *self, PyObject *unused) { return PyLong_FromLong(ct_unwrap(self)->ndim); }
static PyObject *m_numel(PyObject *self, PyObject *unused) { return PyLong_FromLongLong(ct_numel(ct_unwrap(self))); }
static PyObject *m_storage_offset(PyObject *self, PyObject *unused) { return PyLong_FromLongLong(ct_unwrap(self)->offset); }
static PyObject *m_element_size(PyObject *self, PyObject *unused) { return PyLong_FromLong(ct_itemsize(ct_unwrap(self)->dtype)); }
static PyObject *m_is_floating_point(PyObject *self, PyObject *unused) { return PyBool_FromLong(ct_is_floating(ct_unwrap(self)->dtype)); }
static PyObject *m_is_complex(PyObject *self, PyObject *unused) { Py_RETURN_FALSE; }
static PyObject *m_is_contiguous(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    return PyBool_FromLong(ct_is_contiguous(ct_unwrap(self)));
}
static PyObject *m_data_ptr(PyObject *self, PyObject *unused) {
    ct_tensor *t = ct_unwrap(self);
    return PyLong_FromVoidPtr(ct_numel(t) ? ct_data(t) : NULL);
}
static PyObject *f_numel(PyObject *m, PyObject *arg) {
    if (!ct_arg_tensor("numel", "input", arg)) return NULL;
    return m_numel(arg, NULL);
}

/* ---- views ---- */
static PyObject *shape_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames, ct_tensor *(*fn)(ct_tensor *, int, const int64_t *)) {
    int64_t sizes[CT_MAX_DIMS];
    int n;
    if (kwnames && PyTuple_GET_SIZE(kwnames) == 1 && nargs == 0) {   /* view(size=...) / reshape(shape=...) */
        n = ct_arg_sizes(fname, args, 1, sizes);
    } else if (kwnames) {
        return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument", fname);
    } else {
        n = ct_arg_sizes(fname, args, nargs, sizes);
    }
    if (n < 0) return NULL;
    return ct_wrap(fn(ct_unwrap(self), n, sizes));
}
static PyObject *m_view(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    if (n == 1 && !k && (PyObject_TypeCheck(a[0], &CTDtypeType)))
        return PyErr_Format(PyExc_NotImplementedError, "view(dtype) is not supported yet");
    return shape_call("view", s, a, n, k, ct_view);
}
static PyObject *m_reshape(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return shape_call("reshape", s, a, n, k, ct_reshape); }
static PyObject *m_expand(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return shape_call("expand", s, a, n, k, ct_expand); }
static PyObject *m_permute(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return shape_call("permute", s, a, n, k, ct_permute); }
static PyObject *f_reshape(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"input", "shape", NULL};
    PyObject *a[2];
    if (ct_parse("reshape", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *t = ct_arg_tensor("reshape", "input", a[0]);
    if (!t) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "reshape() missing 1 required positional arguments: \"shape\"");
    return m_reshape(a[0], &a[1], 1, NULL);
}
static PyObject *f_permute(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"input", "dims", NULL};
    PyObject *a[2];
    if (ct_parse("permute", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!ct_arg_tensor("permute", "input", a[0])) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "permute() missing 1 required positional arguments: \"dims\"");
    return m_permute(a[0], &a[1], 1, NULL);
}

static PyObject *m_expand_as(PyObject *self, PyObject *other) {
    ct_tensor *o = ct_arg_tensor("expand_as", "other", other);
    return o ? ct_wrap(ct_expand(ct_unwrap(self), o->ndim, o->sizes)) : NULL;
}
static PyObject *m_view_as(PyObject *self, PyObject *other) {
    ct_tensor *o = ct_arg_tensor("view_as", "other", other);
    return o ? ct_wrap(ct_view(ct_unwrap(self), o->ndim, o->sizes)) : NULL;
}
static PyObject *m_reshape_as(PyObject *self, PyObject *other) {
    ct_tensor *o = ct_arg_tensor("reshape_as", "other", other);
    return o ? ct_wrap(ct_reshape(ct_unwrap(self), o->ndim, o->sizes)) : NULL;
}

/* ops with two int arguments: transpose(dim0, dim1), narrow(dim, start, length) ... */
static int int_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                    const char *const *names, int nreq, int64_t *vals) {
    PyObject *a[4];
    if (ct_parse(fname, args, nargs, kwnames, names, 4, a) < 0) return -1;
    for (int i = 0; names[i]; i++) {
        if (!a[i]) {
            if (i < nreq) {
                PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
                return -1;
            }
            continue;
        }
        if (ct_arg_int(fname, names[i], a[i], &vals[i]) < 0) return -1;
    }
    return 0;
}

static PyObject *m_transpose(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim0", "dim1", NULL};
    int64_t v[2];
    if (int_args("transpose", args, nargs, kwnames, names, 2, v) < 0) return NULL;
    return ct_wrap(ct_transpose(ct_unwrap(self), v[0], v[1]));
}
static PyObject *m_swapaxes(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return m_transpose(s, a, n, k); }

static PyObject *m_t(PyObject *self, PyObject *unused) {
    ct_tensor *t = ct_unwrap(self);
    if (t->ndim > 2)
        return PyErr_Format(PyExc_RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is %dD", t->ndim);
    ct_tensor *r = t->ndim < 2 ? ct_reshape(t, t->ndim, t->sizes) : ct_transpose(t, 0, 1);
    if (r && r->grad_fn && r->grad_fn != t->grad_fn) r->grad_fn->name = "TBackward0";
    return ct_wrap(r);
}
static PyObject *m_t_(PyObject *self, PyObject *unused) { return m_t(self, NULL); }

static PyObject *m_narrow(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "start", "length", NULL};
    int64_t v[3];
    if (int_args("narrow", args, nargs, kwnames, names, 3, v) < 0) return NULL;
    return ct_wrap(ct_narrow(ct_unwrap(self), v[0], v[1], v[2]));
}
static PyObject *m_select(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "index", NULL};
    int64_t v[2];
    if (int_args("select", args, nargs, kwnames, names, 2, v) < 0) return NULL;
    return ct_wrap(ct_select(ct_unwrap(self), v[0], v[1]));
}
static PyObject *m_unsqueeze(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", NULL};
    int64_t v[1];
    if (int_args("unsqueeze", args, nargs, kwnames, names, 1, v) < 0) return NULL;
    return ct_wrap(ct_unsqueeze(ct_unwrap(self), v[0]));
}
static PyObject *m_flatten(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"start_dim", "end_dim", NULL};
    int64_t v[2] = {0, -1};
    if (int_args("flatten", args, nargs, kwnames, names, 0, v) < 0) return NULL;
    return ct_wrap(ct_flatten(ct_unwrap(self), v[0], v[1]));
}
static PyObject *m_ravel(PyObject *self, PyObject *unused) {
    int64_t n = -1;
    return ct_wrap(ct_reshape(ct_unwrap(self), 1, &n));
}
static PyObject *m_squeeze(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", NULL};
    PyObject *a[1];
    int64_t dims[CT_MAX_DIMS];
    int nd;
    if (ct_parse("squeeze", args, nargs, kwnames, names, 1, a) < 0) return NULL;
    if (!a[0] || a[0] == Py_None) return ct_wrap(ct_squeeze(ct_unwrap(self), -1, NULL));
    if (ct_arg_dims("squeeze", a[0], dims, &nd) < 0) return NULL;
    return ct_wrap(ct_squeeze(ct_unwrap(self), nd, dims));
}
static PyObject *m_contiguous(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    ct_tensor *t = ct_unwrap(self);
    if (ct_is_contiguous(t)) {
        Py_INCREF(self);
        return self;
    }
    return ct_wrap(ct_contiguous(t));
}

#define CT_VIEW_FN(name)                                                                  \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                               \
    }
CT_VIEW_FN(transpose)
CT_VIEW_FN(swapaxes)
CT_VIEW_FN(narrow)
CT_VIEW_FN(select)
CT_VIEW_FN(unsqueeze)
CT_VIEW_FN(flatten)
CT_VIEW_FN(squeeze)
static PyObject *f_t(PyObject *m, PyObject *arg) { return ct_arg_tensor("t", "input", arg) ? m_t(arg, NULL) : NULL; }
static PyObject *f_ravel(PyObject *m, PyObject *arg) { return ct_arg_tensor("ravel", "input", arg) ? m_ravel(arg, NULL) : NULL; }

/* ---- indexing: ints, slices, None, Ellipsis (views); then advanced indices
 * (integer tensors and lists, bool masks) gathered over the view ---- */
typedef struct {
    int n;
    PyObject *items[CT_MAX_DIMS * 2];
    int k;                              /* advanced indices found: dims of the view and int64 indices */
    int dims[CT_MAX_DIMS];
    ct_tensor *idx[CT_MAX_DIMS];
} index_list;

static void index_list_clear(index_list *idx) {
    for (int j = 0; j < idx->k; j++) ct_decref(idx->idx[j]);
    idx->k = 0;
}

static bool is_basic_item(PyObject *o) {
    return o == Py_None || o == Py_Ellipsis || PySlice_Check(o) ||
           (PyLong_Check(o) && !PyBool_Check(o)) ||
           (ct_is_tensor(o) && ct_unwrap(o)->ndim == 0 && ct_is_integral(ct_unwrap(o)->dtype, false)) ||
           (!ct_is_tensor(o) && !PyBool_Check(o) && PyIndex_Check(o) && !PySequence_Check(o));
}

/* an advanced item as a tensor (new reference): tensors as they are, sequences converted */
static ct_tensor *advanced_tensor(PyObject *o) {
    if (ct_is_tensor(o)) return ct_incref(ct_unwrap(o));
    if (PyBool_Check(o)) return ct_scalar_tensor(ct_scalar_i(o == Py_True), CT_BOOL, false);
    if (PySequence_Check(o) && PySequence_Size(o) == 0) {
        int64_t zero = 0;
        return ct_empty(1, &zero, CT_INT64, ct_cpu());
    }
    return ct_tensor_from_data(o, CT_UNDEFINED, ct_cpu());
}

/* dims an item consumes of the indexed tensor (bool masks: their ndim; bools: none) */
static int consumes(PyObject *o) {
    if (o == Py_None || o == Py_Ellipsis || PyBool_Check(o)) return 0;
    if (ct_is_tensor(o)) {
        ct_tensor *t = ct_unwrap(o);
        return (t->dtype == CT_BOOL || t->dtype == CT_UINT8) ? t->ndim : 1;
    }
    return 1;
}

static int split_index(PyObject *key, index_list *idx) {
    idx->k = 0;
    if (PyTuple_Check(key)) {
        idx->n = (int)PyTuple_GET_SIZE(key);
        if (idx->n > CT_MAX_DIMS * 2) {
            PyErr_SetString(PyExc_IndexError, "too many indices for tensor");
            return -1;
        }
        for (int i = 0; i < idx->n; i++) idx->items[i] = PyTuple_GET_ITEM(key, i);
    } else {
        idx->n = 1;
        idx->items[0] = key;
    }
    for (int i = 0; i < idx->n; i++) {
        PyObject *o = idx->items[i];
        if (is_basic_item(o) || ct_is_tensor(o) || PyList_Check(o) || PyTuple_Check(o) || PyBool_Check(o)) continue;
        PyErr_Format(PyExc_IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     "Variables are valid indices (got %s)", Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}

/* t.select(dim, v) for an index; errors name the dim of the indexed tensor */
static ct_tensor *select_index(ct_tensor *t, int dim, int orig_dim, int64_t v) {
    int64_t n = t->sizes[dim];
    if (v < -n || v >= n) {
        PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for dimension %d with size %lld", (long long)v,
                     orig_dim, (long long)n);
        return NULL;
    }
    ct_tensor *r = ct_select(t, dim, v);
    if (!r) ct_raise();
    return r;
}

static int add_advanced(index_list *idx, int dim, ct_tensor *t) {
    if (idx->k >= CT_MAX_DIMS) {
        ct_decref(t);
        PyErr_SetString(PyExc_IndexError, "too many indices for tensor");
        return -1;
    }
    idx->dims[idx->k] = dim;
    idx->idx[idx->k++] = t;
    return 0;
}

/* record an advanced item at dim of *cur; returns the dims of *cur it covers, or -1 */
static int advanced_item(index_list *idx, ct_tensor **cur, int dim, int orig, PyObject *o) {
    ct_tensor *t = advanced_tensor(o);
    if (!t) return PyErr_Occurred() ? -1 : ct_raise_int();
    if (t->dtype == CT_BOOL || t->dtype == CT_UINT8) {
        if (t->ndim == 0) {   /* a bool scalar: a new dim of size 1, taken whole or not at all */
            ct_scalar taken;
            int rc = ct_item(t, &taken);
            ct_decref(t);
            if (rc < 0) return ct_raise_int();
            int64_t n = taken.i != 0;
            ct_tensor *u = ct_unsqueeze(*cur, dim), *r = u ? ct_arange(0, (double)n, 1, CT_INT64, ct_cpu()) : NULL;
            ct_decref(*cur);
            *cur = u;
            if (!r) return ct_raise_int();
            return add_advanced(idx, dim, r) < 0 ? -1 : 1;
        }
        for (int d = 0; d < t->ndim; d++)
            if (dim + d >= (*cur)->ndim || t->sizes[d] != (*cur)->sizes[dim + d]) {
                char a[256], b[256];
                PyErr_Format(PyExc_IndexError, "The shape of the mask %s at index %d does not match the shape of the "
                             "indexed tensor %s at index %d", ct_shape_str(t->ndim, t->sizes, a, 256), d,
                             ct_shape_str((*cur)->ndim, (*cur)->sizes, b, 256), orig + d);
                ct_decref(t);
                return -1;
            }
        ct_tensor *nz = ct_nonzero(t);
        int m = t->ndim;
        ct_decref(t);
        if (!nz) return ct_raise_int();
        for (int j = 0; j < m; j++) {
            ct_tensor *col = ct_select(nz, 1, j);
            if (!col || add_advanced(idx, dim + j, col) < 0) {
                ct_decref(nz);
                return col ? -1 : ct_raise_int();
            }
        }
        ct_decref(nz);
        return m;
    }
    if (!ct_is_integral(t->dtype, false)) {
        ct_decref(t);
        PyErr_SetString(PyExc_IndexError, "tensors used as indices must be long, int, byte or bool tensors");
        return -1;
    }
    ct_tensor *l = ct_to_dtype(t, CT_INT64, false);
    ct_decref(t);
    if (!l) return ct_raise_int();
    return add_advanced(idx, dim, l) < 0 ? -1 : 1;
}

/* apply basic indexing (a new reference to the view); advanced items are
 * collected in idx (dims of the view), to be gathered or scattered over it */
static ct_tensor *apply_index(ct_tensor *t, PyObject *key, index_list *idx) {
    if (split_index(key, idx) < 0) return NULL;
    int consumed = 0, ellipsis = -1;
    for (int i = 0; i < idx->n; i++) {
        PyObject *o = idx->items[i];
        if (o == Py_Ellipsis) {
            if (ellipsis >= 0) {
                PyErr_SetString(PyExc_IndexError, "an index can only have a single ellipsis ('...')");
                return NULL;
            }
            ellipsis = i;
        }
        consumed += consumes(o);
    }
    if (consumed > t->ndim) {
        PyErr_Format(PyExc_IndexError, "too many indices for tensor of dimension %d", t->ndim);
        return NULL;
    }
    ct_tensor *cur = ct_incref(t);
    int dim = 0, orig = 0;   /* dim of cur, and of t, that the next item indexes */
    for (int i = 0; i < idx->n && cur; i++) {
        PyObject *o = idx->items[i];
        ct_tensor *next = NULL;
        if (o == Py_Ellipsis) {
            dim += t->ndim - consumed;
            orig += t->ndim - consumed;
            continue;
        } else if (o == Py_None) {
            next = ct_unsqueeze(cur, dim);
            dim++;
        } else if (PySlice_Check(o)) {
            Py_ssize_t start, stop, step;
            if (PySlice_Unpack(o, &start, &stop, &step) < 0) goto fail;
            if (step <= 0) {
                PyErr_SetString(PyExc_ValueError, "step must be greater than zero");
                goto fail;
            }
            next = ct_slice(cur, dim, start, stop, step);
            dim++;
            orig++;
        } else if (!is_basic_item(o)) {
            int m = advanced_item(idx, &cur, dim, orig, o);
            if (m < 0) goto fail;
            dim += m;
            orig += consumes(o);
            continue;
        } else {
            int64_t v;
            if (ct_arg_int("index", "index", o, &v) < 0) goto fail;
            if (cur->ndim == 0) {
                PyErr_SetString(PyExc_IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                                  "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
                goto fail;
            }
            next = select_index(cur, dim, orig, v);
            orig++;
            ct_decref(cur);
            cur = next;
            continue;
        }
        ct_decref(cur);
        cur = next;
        if (!cur) ct_raise();
    }
    if (cur && cur == t && !idx->k) {   /* t[...] and t[()] still give a new view */
        ct_decref(cur);
        cur = ct_alias(t);
        if (!cur) ct_raise();
    }
    if (!cur) index_list_clear(idx);
    return cur;
fail:
    ct_xdecref(cur);
    index_list_clear(idx);
    return NULL;
}

static PyObject *tensor_getitem(PyObject *self, PyObject *key) {
    ct_tensor *t = ct_unwrap(self);
    if (PyLong_CheckExact(key)) {   /* the common t[i] */
        int64_t i = PyLong_AsLongLong(key);
        if (i == -1 && PyErr_Occurred()) return NULL;
        if (t->ndim == 0)
            return PyErr_Format(PyExc_IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        ct_tensor *r = select_index(t, 0, 0, i);
        return r ? ct_wrap(r) : NULL;
    }
    index_list idx;
    ct_tensor *r = apply_index(t, key, &idx);
    if (r && idx.k) {
        ct_tensor *g = ct_index_read(r, idx.k, idx.dims, idx.idx);
        index_list_clear(&idx);
        ct_decref(r);
        return g ? ct_wrap(g) : ct_raise();
    }
    return r ? ct_wrap(r) : NULL;
}

/* the value of an assignment as a tensor (new reference): tensors, numbers, nested lists */
static ct_tensor *setitem_value(PyObject *value, ct_tensor *like) {
    if (ct_is_tensor(value)) return ct_incref(ct_unwrap(value));
    ct_scalar v;
    ct_dtype kind;
    if (ct_arg_scalar("__setitem__", "value", value, &v, &kind) == 0) {
        ct_tensor *s = ct_scalar_tensor(v, like->dtype, false);
        return s ? s : (ct_raise(), NULL);
    }
    if (!PyErr_ExceptionMatches(PyExc_TypeError) || !PySequence_Check(value)) return NULL;
    PyErr_Clear();
    ct_tensor *s = ct_tensor_from_data(value, like->dtype, ct_device_of(like));
    return s ? s : (PyErr_Occurred() ? NULL : (ct_raise(), NULL));
}

static int tensor_setitem(PyObject *self, PyObject *key, PyObject *value) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "Tensor does not support item deletion");
        return -1;
    }
    index_list idx;
    ct_tensor *view = apply_index(ct_unwrap(self), key, &idx);
    if (!view) return -1;
    ct_tensor *src = setitem_value(value, view);
    int rc = -1;
    if (src && idx.k) {
        rc = ct_index_write(view, idx.k, idx.dims, idx.idx, src, false);
    } else if (src && ct_is_tensor(value)) {
        /* the value broadcasts to the indexed shape (PyTorch's expand message on mismatch) */
        ct_tensor *e = ct_expand(src, view->ndim, view->sizes);
        rc = e ? ct_copy_(view, e) : -1;
        ct_xdecref(e);
    } else if (src && src->ndim == 0) {
        ct_scalar v;
        ct_dtype kind;
        rc = ct_arg_scalar("__setitem__", "value", value, &v, &kind) < 0 ? -1 : ct_fill_(view, v);
    } else if (src) {
        rc = ct_copy_(view, src);
    }
    index_list_clear(&idx);
    ct_decref(view);
    ct_xdecref(src);
    if (rc < 0) return PyErr_Occurred() ? -1 : ct_raise_int();
    return 0;
}

/* index_put(_)(indices, values, accumulate=False): self[indices] = values, or += with accumulate */
static PyObject *index_put_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kw, bool inplace) {
    static const char *const names[] = {"indices", "values", "accumulate", NULL};
    PyObject *a[3];
    bool accumulate;
    if (ct_parse(fname, args, nargs, kw, names, 3, a) < 0 || ct_arg_bool(fname, "accumulate", a[2], false, &accumulate) < 0)
        return NULL;
    if (!a[0] || !(PyTuple_Check(a[0]) || PyList_Check(a[0])))
        return PyErr_Format(PyExc_TypeError, "%s(): argument 'indices' must be tuple of Tensors", fname);
    ct_tensor *values = ct_arg_tensor(fname, "values", a[1]);
    if (!values) return NULL;
    PyObject *key = PySequence_Tuple(a[0]);
    if (!key) return NULL;
    ct_tensor *t = ct_unwrap(self), *target = inplace ? ct_incref(t) : ct_clone(t);
    index_list idx;
    ct_tensor *view = target ? apply_index(target, key, &idx) : NULL;
    Py_DECREF(key);
    int rc = -1;
    if (view && idx.k) rc = ct_index_write(view, idx.k, idx.dims, idx.idx, values, accumulate);
    else if (view) rc = ct_copy_(view, values);
    if (view) index_list_clear(&idx);
    ct_xdecref(view);
    if (rc < 0) {
        ct_xdecref(target);
        return PyErr_Occurred() ? NULL : ct_raise();
    }
    if (!inplace) return ct_wrap(target);
    ct_decref(target);
    Py_INCREF(self);
    return self;
}
static PyObject *m_index_put_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return index_put_call("index_put_", s, a, n, k, true); }
static PyObject *m_index_put(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return index_put_call("index_put", s, a, n, k, false); }

PyMappingMethods ct_tensor_as_mapping = {
    .mp_length = NULL,
    .mp_subscript = tensor_getitem,
    .mp_ass_subscript = tensor_setitem,
};

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_NOARGS(name, fn) {name, (PyCFunction)(fn), METH_NOARGS, NULL},
#define CT_ONEARG(name, fn) {name, (PyCFunction)(fn), METH_O, NULL},

PyMethodDef ct_shape_methods[] = {
    CT_ENTRY("size", m_size) CT_ENTRY("stride", m_stride) CT_NOARGS("dim", m_dim) CT_NOARGS("ndimension", m_dim)
    CT_NOARGS("numel", m_numel) CT_NOARGS("nelement", m_numel) CT_NOARGS("storage_offset", m_storage_offset)
    CT_NOARGS("element_size", m_element_size) CT_NOARGS("is_floating_point", m_is_floating_point)
    CT_NOARGS("is_complex", m_is_complex) CT_ENTRY("is_contiguous", m_is_contiguous)
    CT_NOARGS("data_ptr", m_data_ptr)
    CT_ENTRY("view", m_view) CT_ENTRY("reshape", m_reshape) CT_ENTRY("expand", m_expand)
    CT_ENTRY("permute", m_permute) CT_ONEARG("expand_as", m_expand_as) CT_ONEARG("view_as", m_view_as)
    CT_ONEARG("reshape_as", m_reshape_as) CT_ENTRY("transpose", m_transpose) CT_ENTRY("swapaxes", m_swapaxes)
    CT_NOARGS("t", m_t) CT_NOARGS("t_", m_t_) CT_ENTRY("narrow", m_narrow) CT_ENTRY("select", m_select)
    CT_ENTRY("unsqueeze", m_unsqueeze) CT_ENTRY("flatten", m_flatten) CT_NOARGS("ravel", m_ravel)
    CT_ENTRY("squeeze", m_squeeze) CT_ENTRY("contiguous", m_contiguous)
    CT_ENTRY("index_put_", m_index_put_) CT_ENTRY("index_put", m_index_put)
    {NULL},
};

PyMethodDef ct_shape_functions[] = {
    CT_ONEARG("numel", f_numel) CT_ENTRY("reshape", f_reshape) CT_ENTRY("permute", f_permute)
    CT_ENTRY("transpose", f_transpose) CT_ENTRY("swapaxes", f_swapaxes) CT_ENTRY("narrow", f_narrow)
    CT_ENTRY("select", f_select) CT_ENTRY("unsqueeze", f_unsqueeze) CT_ENTRY("flatten", f_flatten)
    CT_ENTRY("squeeze", f_squeeze) CT_ONEARG("t", f_t) CT_ONEARG("ravel", f_ravel)
    {NULL},
};
