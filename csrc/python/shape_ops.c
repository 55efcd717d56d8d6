/* Python bindings of the copying shape ops (ops/shape_ops.c) and the views
 * built on them: cat, stack, hstack, vstack, split, chunk, unbind, flip,
 * fliplr, flipud, roll, repeat, tile, tril, triu, movedim, broadcast_to,
 * unflatten, dstack, column_stack, row_stack, repeat_interleave, meshgrid. */
#include "ct_python.h"

#define MAX_LIST 4096   /* tensors in one cat/stack list, pieces of one split */

/* a tuple or list of tensors, borrowed into out; returns the count or -1 */
static int tensor_seq(const char *fname, PyObject *o, ct_tensor **out) {
    if (!o || (!PyTuple_Check(o) && !PyList_Check(o))) {
        PyErr_Format(PyExc_TypeError, "%s(): argument 'tensors' (position 1) must be tuple of Tensors, not %s", fname,
                     o ? Py_TYPE(o)->tp_name : "NoneType");
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    if (n > MAX_LIST) {
        PyErr_Format(PyExc_RuntimeError, "%s(): ctorch takes at most %d tensors", fname, MAX_LIST);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(o, i);
        if (!ct_is_tensor(e)) {
            PyErr_Format(PyExc_TypeError, "expected Tensor as element %zd in argument 0, but got %s", i,
                         Py_TYPE(e)->tp_name);
            return -1;
        }
        out[i] = ct_unwrap(e);
    }
    return (int)n;
}

/* a tuple of new references (stolen); NULL when n < 0 */
static PyObject *tuple_of(int n, ct_tensor **ts) {
    if (n < 0) return ct_raise();
    PyObject *r = PyTuple_New(n);
    for (int i = 0; i < n; i++) {
        PyObject *w = r ? ct_wrap(ts[i]) : NULL;
        if (!r) ct_decref(ts[i]);
        else if (!w) Py_CLEAR(r);
        else PyTuple_SET_ITEM(r, i, w);
    }
    return r;
}

/* ---- lists: cat, stack, hstack, vstack ---- */

/* fn(tensors, dim=0) */
static PyObject *list_op(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                         ct_tensor *(*fn)(int, ct_tensor *const *, int64_t)) {
    static const char *const names[] = {"tensors", "dim", NULL};
    PyObject *a[2];
    int64_t dim = 0;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (a[1] && ct_arg_int(fname, "dim", a[1], &dim) < 0) return NULL;
    ct_tensor **ts = PyMem_Malloc(sizeof(ct_tensor *) * MAX_LIST);
    if (!ts) return PyErr_NoMemory();
    int n = tensor_seq(fname, a[0], ts);
    PyObject *r = n < 0 ? NULL : ct_wrap(fn(n, ts, dim));
    PyMem_Free(ts);
    return r;
}
static PyObject *f_cat(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return list_op("cat", a, n, k, ct_cat); }
static PyObject *f_stack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return list_op("stack", a, n, k, ct_stack); }

/* t with at least `want` dims: (n,) -> (1, n) for want 2; 0-dim -> (1,) or (1, 1) */
static ct_tensor *at_least(ct_tensor *t, int want) {
    if (t->ndim >= want) return ct_incref(t);
    int64_t sizes[2] = {1, 1};
    if (t->ndim == 1) sizes[1] = t->sizes[0];
    return ct_reshape(t, want, sizes);
}

/* the forms each stack concatenates: hstack cats dim 1 of 1-D+ forms, vstack
 * dim 0 of 2-D forms, dstack dim 2 of 3-D forms, column_stack dim 1 of
 * inputs made columns */
static ct_tensor *at_least_1d(ct_tensor *t) { return at_least(t, 1); }
static ct_tensor *at_least_2d(ct_tensor *t) { return at_least(t, 2); }
static ct_tensor *at_least_3d(ct_tensor *t) {
    if (t->ndim >= 3) return ct_incref(t);
    int64_t sizes[3] = {1, t->ndim == 1 ? t->sizes[0] : 1, 1};
    if (t->ndim == 2) sizes[0] = t->sizes[0], sizes[1] = t->sizes[1];
    return ct_reshape(t, 3, sizes);
}
static ct_tensor *as_column(ct_tensor *t) {
    if (t->ndim > 1) return ct_incref(t);
    int64_t sizes[2] = {t->ndim ? t->sizes[0] : 1, 1};
    return ct_reshape(t, 2, sizes);
}
/* cat along dim of each input transformed by form (new references); dim 1 of
 * 1-D forms falls back to dim 0, which is hstack's rule */
static ct_tensor *cat_of_forms(int n, ct_tensor *const *ts, ct_tensor *(*form)(ct_tensor *), int64_t dim) {
    ct_tensor **us = malloc(sizeof(ct_tensor *) * (size_t)(n ? n : 1));
    if (!us) return ct_error_null(CT_ERR_NOMEM, "out of memory");
    int k = 0;
    for (; k < n; k++)
        if (!(us[k] = form(ts[k]))) break;
    if (k == n && dim == 1 && us[0]->ndim == 1) dim = 0;
    ct_tensor *out = k == n ? ct_cat(n, us, dim) : NULL;
    for (int i = 0; i < k; i++) ct_decref(us[i]);
    free(us);
    return out;
}
static PyObject *forms_call(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                            ct_tensor *(*form)(ct_tensor *), int64_t dim) {
    static const char *const names[] = {"tensors", NULL};
    PyObject *a[1];
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0) return NULL;
    ct_tensor **ts = PyMem_Malloc(sizeof(ct_tensor *) * MAX_LIST);
    if (!ts) return PyErr_NoMemory();
    int n = tensor_seq(fname, a[0], ts);
    PyObject *r = NULL;
    if (n == 0) PyErr_Format(PyExc_RuntimeError, "%s expects a non-empty TensorList", fname);
    else if (n > 0) r = ct_wrap(cat_of_forms(n, ts, form, dim));
    PyMem_Free(ts);
    return r;
}
static PyObject *f_hstack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return forms_call("hstack", a, n, k, at_least_1d, 1); }
static PyObject *f_vstack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return forms_call("vstack", a, n, k, at_least_2d, 0); }
static PyObject *f_dstack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return forms_call("dstack", a, n, k, at_least_3d, 2); }
static PyObject *f_column_stack(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return forms_call("column_stack", a, n, k, as_column, 1); }

/* meshgrid(*tensors, indexing='ij'): tensors as varargs or one list */
static PyObject *f_meshgrid(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    bool xy = false;
    for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *v = args[nargs + k];
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, k), "indexing") != 0)
            return PyErr_Format(PyExc_TypeError, "meshgrid() got an unexpected keyword argument '%U'",
                                PyTuple_GET_ITEM(kwnames, k));
        if (!PyUnicode_Check(v) || (PyUnicode_CompareWithASCIIString(v, "xy") != 0 &&
                                    PyUnicode_CompareWithASCIIString(v, "ij") != 0))
            return PyErr_Format(PyExc_RuntimeError, "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                                "received: %S", v);
        xy = PyUnicode_CompareWithASCIIString(v, "xy") == 0;
    }
    ct_tensor *ts[CT_MAX_DIMS], *outs[CT_MAX_DIMS];
    int n;
    if (nargs == 1 && (PyTuple_Check(args[0]) || PyList_Check(args[0]))) {
        if (PySequence_Fast_GET_SIZE(args[0]) > CT_MAX_DIMS)
            return PyErr_Format(PyExc_RuntimeError, "meshgrid: too many tensors");
        n = tensor_seq("meshgrid", args[0], ts);
    } else {
        if (nargs > CT_MAX_DIMS) return PyErr_Format(PyExc_RuntimeError, "meshgrid: too many tensors");
        for (n = 0; n < nargs; n++)
            if (!(ts[n] = ct_arg_tensor("meshgrid", "tensors", args[n]))) return NULL;
    }
    if (n < 0) return NULL;
    return tuple_of(ct_meshgrid(n, ts, xy, outs), outs);
}

/* ---- several outputs: split, chunk, unbind ---- */

static PyObject *m_split(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"split_size", "dim", NULL};
    PyObject *a[2];
    int64_t dim = 0, size, sizes[CT_MAX_DIMS];
    if (ct_parse("split", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "split() missing required argument 'split_size'");
    if (a[1] && ct_arg_int("split", "dim", a[1], &dim) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (PyTuple_Check(a[0]) || PyList_Check(a[0])) {   /* a list of sizes */
        Py_ssize_t len = PySequence_Fast_GET_SIZE(a[0]);
        int64_t *many = len > CT_MAX_DIMS ? PyMem_Malloc(sizeof(int64_t) * (size_t)len) : sizes;
        ct_tensor **outs = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(len ? len : 1));
        PyObject *r = NULL;
        int ok = many && outs;
        for (Py_ssize_t i = 0; ok && i < len; i++)
            ok = ct_arg_int("split", "split_size", PySequence_Fast_GET_ITEM(a[0], i), &many[i]) == 0;
        if (ok) r = tuple_of(ct_split_sizes(t, (int)len, many, dim, outs), outs);
        else if (!PyErr_Occurred()) PyErr_NoMemory();
        if (many != sizes) PyMem_Free(many);
        PyMem_Free(outs);
        return r;
    }
    if (ct_arg_int("split", "split_size", a[0], &size) < 0) return NULL;
    ct_tensor **outs = PyMem_Malloc(sizeof(ct_tensor *) * MAX_LIST);
    if (!outs) return PyErr_NoMemory();
    PyObject *r = tuple_of(ct_split(t, size, dim, outs, MAX_LIST), outs);
    PyMem_Free(outs);
    return r;
}

/* chunk(chunks, dim=0) and unbind(dim=0): at most MAX_LIST pieces */
static PyObject *pieces(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const chunk_names[] = {"chunks", "dim", NULL}, *const unbind_names[] = {"dim", NULL};
    bool chunk = fname[0] == 'c';
    PyObject *a[2] = {NULL, NULL};
    int64_t v[2] = {0, 0};
    if (ct_parse(fname, args, nargs, kwnames, chunk ? chunk_names : unbind_names, chunk ? 2 : 1, a) < 0) return NULL;
    if (chunk && !a[0]) return PyErr_Format(PyExc_TypeError, "chunk() missing required argument 'chunks'");
    for (int i = 0; i < 2; i++)
        if (a[i] && ct_arg_int(fname, "dim", a[i], &v[i]) < 0) return NULL;
    ct_tensor **outs = PyMem_Malloc(sizeof(ct_tensor *) * MAX_LIST);
    if (!outs) return PyErr_NoMemory();
    ct_tensor *t = ct_unwrap(self);
    PyObject *r = tuple_of(chunk ? ct_chunk(t, v[0], v[1], outs, MAX_LIST) : ct_unbind(t, v[0], outs, MAX_LIST), outs);
    PyMem_Free(outs);
    return r;
}
static PyObject *m_chunk(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return pieces("chunk", s, a, n, k); }
static PyObject *m_unbind(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return pieces("unbind", s, a, n, k); }

/* ---- one tensor in, one out ---- */

/* dims from varargs ints (x.flip(0, 1)) or one sequence / keyword */
static int dims_arg(const char *fname, const char *name, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                    int64_t *dims) {
    if (kwnames && PyTuple_GET_SIZE(kwnames) == 1 && nargs == 0 &&
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), name) == 0)
        return ct_arg_sizes(fname, args, 1, dims);
    if (kwnames && PyTuple_GET_SIZE(kwnames)) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument", fname);
        return -1;
    }
    return ct_arg_sizes(fname, args, nargs, dims);
}

static PyObject *m_flip(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    int64_t dims[CT_MAX_DIMS];
    int n = dims_arg("flip", "dims", args, nargs, kwnames, dims);
    return n < 0 ? NULL : ct_wrap(ct_flip(ct_unwrap(self), n, dims));
}
static PyObject *m_repeat(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    int64_t reps[CT_MAX_DIMS];
    int n = dims_arg("repeat", "repeats", args, nargs, kwnames, reps);
    return n < 0 ? NULL : ct_wrap(ct_repeat(ct_unwrap(self), n, reps));
}
static PyObject *m_tile(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    int64_t reps[CT_MAX_DIMS], padded[CT_MAX_DIMS];
    int n = dims_arg("tile", "dims", args, nargs, kwnames, reps);
    if (n < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    int lead = t->ndim > n ? t->ndim - n : 0;   /* fewer reps than dims: ones in front */
    for (int i = 0; i < lead + n; i++) padded[i] = i < lead ? 1 : reps[i - lead];
    return ct_wrap(ct_repeat(t, lead + n, padded));
}
/* fliplr / flipud: one fixed dim, with a minimum rank */
static PyObject *flip_one(PyObject *self, int dim) {
    ct_tensor *t = ct_unwrap(self);
    if (t->ndim < dim + 1)
        return PyErr_Format(PyExc_RuntimeError, "Input must be >= %d-d.", dim + 1);
    int64_t d = dim;
    return ct_wrap(ct_flip(t, 1, &d));
}
static PyObject *m_fliplr(PyObject *self, PyObject *unused) { return flip_one(self, 1); }
static PyObject *m_flipud(PyObject *self, PyObject *unused) { return flip_one(self, 0); }

static PyObject *m_roll(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"shifts", "dims", NULL};
    PyObject *a[2];
    int64_t shifts[CT_MAX_DIMS], dims[CT_MAX_DIMS];
    int ns, nd = 0;
    if (ct_parse("roll", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "roll() missing required argument 'shifts'");
    if (ct_arg_int_list("roll", "shifts", a[0], shifts, &ns) < 0 || ct_arg_dims("roll", a[1], dims, &nd) < 0)
        return NULL;
    return ct_wrap(ct_roll(ct_unwrap(self), ns, shifts, nd, dims));
}

static PyObject *tri_call(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames, bool upper) {
    static const char *const names[] = {"diagonal", NULL};
    PyObject *a[1];
    int64_t k = 0;
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0) return NULL;
    if (a[0] && ct_arg_int(fname, "diagonal", a[0], &k) < 0) return NULL;
    return ct_wrap(ct_tri(ct_unwrap(self), k, upper));
}
/* tril_ / triu_: the result copied back into self (copy_ records the history) */
static PyObject *tri_inplace(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, bool upper) {
    PyObject *r = tri_call(fname, self, args, nargs, kwnames, upper);
    if (!r) return NULL;
    int rc = ct_copy_(ct_unwrap(self), ct_unwrap(r));
    Py_DECREF(r);
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}
static PyObject *m_tril_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return tri_inplace("tril_", s, a, n, k, false); }
static PyObject *m_triu_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return tri_inplace("triu_", s, a, n, k, true); }
static PyObject *m_tril(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return tri_call("tril", s, a, n, k, false); }
static PyObject *m_triu(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return tri_call("triu", s, a, n, k, true); }

/* movedim(source, destination): a permutation (ints or sequences of ints) */
static PyObject *m_movedim(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"source", "destination", NULL};
    PyObject *a[2];
    int64_t src[CT_MAX_DIMS], dst[CT_MAX_DIMS], perm[CT_MAX_DIMS];
    int ns, nd;
    if (ct_parse("movedim", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0] || !a[1]) return PyErr_Format(PyExc_TypeError, "movedim() missing required arguments");
    if (ct_arg_int_list("movedim", "source", a[0], src, &ns) < 0 ||
        ct_arg_int_list("movedim", "destination", a[1], dst, &nd) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self);
    char b1[256], b2[256];
    if (ns != nd)
        return PyErr_Format(PyExc_RuntimeError, "movedim: Invalid source or destination dims: source (%s dims) should "
                            "contain the same number of dims as destination (%s dims)", ct_shape_str(ns, src, b1, 256),
                            ct_shape_str(nd, dst, b2, 256));
    bool used_src[CT_MAX_DIMS] = {false}, used_dst[CT_MAX_DIMS] = {false};
    for (int i = 0; i < ns; i++)
        if (ct_wrap_dim(src[i], t->ndim, &src[i]) < 0 || ct_wrap_dim(dst[i], t->ndim, &dst[i]) < 0) return ct_raise();
    for (int i = 0; i < ns; i++) {
        if (used_src[src[i]] || used_dst[dst[i]]) {
            bool in_src = used_src[src[i]];
            return PyErr_Format(PyExc_RuntimeError, "movedim: repeated dim in `%s` (%s)", in_src ? "source" : "destination",
                                in_src ? ct_shape_str(ns, src, b1, 256) : ct_shape_str(nd, dst, b2, 256));
        }
        used_src[src[i]] = used_dst[dst[i]] = true;
        perm[dst[i]] = src[i];
    }
    /* the remaining dims keep their order in the free slots */
    for (int d = 0, s = 0; d < t->ndim; d++) {
        if (used_dst[d]) continue;
        while (used_src[s]) s++;
        perm[d] = s++;
    }
    return ct_wrap(ct_permute(t, t->ndim, perm));
}

/* repeat_interleave(repeats, dim=None, *, output_size=None): repeats an int or a tensor of counts (one, or
 * one per element along dim); without repeats (torch.repeat_interleave(counts)), the index form */
static PyObject *m_repeat_interleave(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"repeats", "dim", "output_size", NULL};
    PyObject *a[3];
    int64_t reps, dim = 0, output_size = -1;
    if (ct_parse("repeat_interleave", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (a[2] && a[2] != Py_None && ct_arg_int("repeat_interleave", "output_size", a[2], &output_size) < 0) return NULL;
    if (!a[0]) return ct_wrap(ct_repeat_index(ct_unwrap(self), output_size));
    bool has_dim = a[1] && a[1] != Py_None;
    if (has_dim && ct_arg_int("repeat_interleave", "dim", a[1], &dim) < 0) return NULL;
    if (ct_is_tensor(a[0]))
        return ct_wrap(ct_repeat_interleave_counts(ct_unwrap(self), ct_unwrap(a[0]), has_dim, dim, output_size));
    if (ct_arg_int("repeat_interleave", "repeats", a[0], &reps) < 0) return NULL;
    return ct_wrap(ct_repeat_interleave(ct_unwrap(self), reps, has_dim, dim));
}

static PyObject *m_broadcast_to(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    int64_t sizes[CT_MAX_DIMS];
    int n = dims_arg("broadcast_to", "size", args, nargs, kwnames, sizes);
    return n < 0 ? NULL : ct_wrap(ct_expand(ct_unwrap(self), n, sizes));
}

/* unflatten(dim, sizes): dim replaced by sizes (one may be -1) */
static PyObject *m_unflatten(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"dim", "sizes", NULL};
    PyObject *a[2];
    int64_t dim, sizes[CT_MAX_DIMS], shape[CT_MAX_DIMS];
    int n;
    if (ct_parse("unflatten", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0] || !a[1]) return PyErr_Format(PyExc_TypeError, "unflatten() missing required arguments");
    if (ct_arg_int("unflatten", "dim", a[0], &dim) < 0 || ct_arg_int_list("unflatten", "sizes", a[1], sizes, &n) < 0)
        return NULL;
    ct_tensor *t = ct_unwrap(self);
    if (ct_wrap_dim(dim, t->ndim, &dim) < 0) return ct_raise();
    if (n == 0) return PyErr_Format(PyExc_RuntimeError, "unflatten: sizes must be non-empty");
    if (t->ndim - 1 + n > CT_MAX_DIMS) return PyErr_Format(PyExc_RuntimeError, "unflatten: too many dimensions");
    int64_t known = 1;
    int infer = -1;
    char buf[256];
    ct_shape_str(n, sizes, buf, 256);
    for (int i = 0; i < n; i++) {
        if (sizes[i] == -1 && infer >= 0)
            return PyErr_Format(PyExc_RuntimeError, "unflatten got an unexpected error:\nonly one dimension can be "
                                "inferred");
        if (sizes[i] == -1) infer = i;
        else known *= sizes[i];
    }
    if (infer >= 0 && known && t->sizes[dim] % known == 0) sizes[infer] = t->sizes[dim] / known;
    else if (infer >= 0) known = -1;   /* no size fits */
    if (infer < 0 ? known != t->sizes[dim] : known < 0)
        return PyErr_Format(PyExc_RuntimeError, "unflatten: Provided sizes %s don't multiply up to the size of dim "
                            "%lld (%lld) in the input tensor", buf, (long long)dim, (long long)t->sizes[dim]);
    int k = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (d != dim) shape[k++] = t->sizes[d];
        else for (int i = 0; i < n; i++) shape[k++] = sizes[i];
    }
    return ct_wrap(ct_view(t, k, shape));
}

/* module functions: the methods with the tensor first (or input=) */
#define CT_AS_FN(name)                                                                    \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { \
        return ct_call_as_method(#name, m_##name, a, n, k);                               \
    }
/* torch.split(tensor, split_size_or_sections, dim=0): the method under other argument names */
static PyObject *f_split(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"tensor", "split_size_or_sections", "dim", NULL};
    PyObject *a[3];
    if (ct_parse("split", args, nargs, kwnames, names, 3, a) < 0) return NULL;
    if (!ct_arg_tensor("split", "tensor", a[0])) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "split() missing required argument 'split_size_or_sections'");
    return m_split(a[0], a + 1, a[2] ? 2 : 1, NULL);
}
CT_AS_FN(chunk)
CT_AS_FN(unbind)
CT_AS_FN(flip)
CT_AS_FN(roll)
CT_AS_FN(tile)
CT_AS_FN(tril)
CT_AS_FN(triu)
CT_AS_FN(movedim)
CT_AS_FN(broadcast_to)
CT_AS_FN(repeat_interleave)
CT_AS_FN(unflatten)
static PyObject *f_fliplr(PyObject *m, PyObject *arg) { return ct_arg_tensor("fliplr", "input", arg) ? m_fliplr(arg, NULL) : NULL; }
static PyObject *f_flipud(PyObject *m, PyObject *arg) { return ct_arg_tensor("flipud", "input", arg) ? m_flipud(arg, NULL) : NULL; }

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_NOARGS(name, fn) {name, (PyCFunction)(fn), METH_NOARGS, NULL},
#define CT_ONEARG(name, fn) {name, (PyCFunction)(fn), METH_O, NULL},

PyMethodDef ct_shape_ops_methods[] = {
    CT_ENTRY("split", m_split) CT_ENTRY("chunk", m_chunk) CT_ENTRY("unbind", m_unbind) CT_ENTRY("flip", m_flip)
    CT_NOARGS("fliplr", m_fliplr) CT_NOARGS("flipud", m_flipud) CT_ENTRY("roll", m_roll)
    CT_ENTRY("repeat", m_repeat) CT_ENTRY("tile", m_tile) CT_ENTRY("tril", m_tril) CT_ENTRY("triu", m_triu)
    CT_ENTRY("tril_", m_tril_) CT_ENTRY("triu_", m_triu_) CT_ENTRY("movedim", m_movedim) CT_ENTRY("moveaxis", m_movedim) CT_ENTRY("broadcast_to", m_broadcast_to)
    CT_ENTRY("unflatten", m_unflatten) CT_ENTRY("repeat_interleave", m_repeat_interleave)
    {NULL},
};

PyMethodDef ct_shape_ops_functions[] = {
    CT_ENTRY("cat", f_cat) CT_ENTRY("concat", f_cat) CT_ENTRY("concatenate", f_cat) CT_ENTRY("stack", f_stack)
    CT_ENTRY("hstack", f_hstack) CT_ENTRY("vstack", f_vstack) CT_ENTRY("split", f_split) CT_ENTRY("chunk", f_chunk)
    CT_ENTRY("unbind", f_unbind) CT_ENTRY("flip", f_flip) CT_ONEARG("fliplr", f_fliplr) CT_ONEARG("flipud", f_flipud)
    CT_ENTRY("roll", f_roll) CT_ENTRY("tile", f_tile) CT_ENTRY("tril", f_tril) CT_ENTRY("triu", f_triu)
    CT_ENTRY("movedim", f_movedim) CT_ENTRY("moveaxis", f_movedim) CT_ENTRY("broadcast_to", f_broadcast_to)
    CT_ENTRY("unflatten", f_unflatten) CT_ENTRY("repeat_interleave", f_repeat_interleave)
    CT_ENTRY("dstack", f_dstack) CT_ENTRY("column_stack", f_column_stack) CT_ENTRY("row_stack", f_vstack)
    CT_ENTRY("meshgrid", f_meshgrid)
    {NULL},
};
