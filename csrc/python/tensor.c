/* ctorch._C._TensorBase: the C type under ctorch.Tensor. It owns one
 * reference to a ct_tensor; the ct_tensor points back (borrowed) so the same
 * Python object is returned for the same tensor. */
#include "ct_python.h"

PyTypeObject *ct_tensor_class = NULL;

PyObject *ct_wrap_as(PyTypeObject *type, ct_tensor *t) {
    if (!t) return ct_raise();
    CTensor *o = (CTensor *)type->tp_alloc(type, 0);
    if (!o) {
        ct_decref(t);
        return NULL;
    }
    o->t = t;
    if (!t->pyobj) t->pyobj = o;
    return (PyObject *)o;
}

PyObject *ct_wrap(ct_tensor *t) {
    if (!t) return ct_raise();
    if (t->pyobj) {
        PyObject *o = (PyObject *)t->pyobj;
        Py_INCREF(o);
        ct_decref(t);
        return o;
    }
    return ct_wrap_as(ct_tensor_class ? ct_tensor_class : &CTensorBaseType, t);
}

static void tensor_dealloc(PyObject *self) {
    CTensor *o = (CTensor *)self;
    if (o->t) {
        if (o->t->pyobj == self) o->t->pyobj = NULL;
        ct_decref(o->t);
        o->t = NULL;
    }
    Py_TYPE(self)->tp_free(self);
}

/* the legacy constructor: Tensor(), Tensor(*sizes), Tensor(data), Tensor(tensor) */
static PyObject *tensor_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    ct_device dev = ct_cpu();
    if (kwargs && PyDict_GET_SIZE(kwargs) > 0) {
        PyObject *d = PyDict_GetItemString(kwargs, "device");
        if (!d || PyDict_GET_SIZE(kwargs) > 1)
            return PyErr_Format(PyExc_TypeError, "new() received an invalid combination of arguments");
        if (ct_arg_device(d, &dev) < 0) return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    ct_dtype dt = ct_get_default_dtype();
    if (n == 1) {
        PyObject *a = PyTuple_GET_ITEM(args, 0);
        if (ct_is_tensor(a)) return ct_wrap_as(type, ct_alias(ct_unwrap(a)));
        if (!PyLong_Check(a) && !PyObject_TypeCheck(a, &CTSizeType) && (PySequence_Check(a) || PyObject_CheckBuffer(a)))
            return ct_wrap_as(type, ct_tensor_from_data(a, dt, dev));
    }
    int64_t sizes[CT_MAX_DIMS];
    int nd = ct_arg_sizes("Tensor", &PyTuple_GET_ITEM(args, 0), n, sizes);
    if (nd < 0) return NULL;
    if (n == 0) {
        nd = 1;
        sizes[0] = 0;
    }
    return ct_wrap_as(type, ct_empty(nd, sizes, dt, dev));
}

/* ---- attributes ---- */
static PyObject *get_shape(PyObject *self, void *c) {
    ct_tensor *t = ct_unwrap(self);
    return ct_size_new(t->ndim, t->sizes);
}
static PyObject *get_dtype(PyObject *self, void *c) {
    PyObject *d = ct_dtype_object(ct_unwrap(self)->dtype);
    Py_INCREF(d);
    return d;
}
static PyObject *get_device(PyObject *self, void *c) { return ct_device_object(ct_device_of(ct_unwrap(self))); }
static PyObject *get_ndim(PyObject *self, void *c) { return PyLong_FromLong(ct_unwrap(self)->ndim); }
static PyObject *get_is_cuda(PyObject *self, void *c) {
    return PyBool_FromLong(ct_device_of(ct_unwrap(self)).type == CT_DEV_CUDA);
}
static PyObject *get_is_cpu(PyObject *self, void *c) {
    return PyBool_FromLong(ct_device_of(ct_unwrap(self)).type == CT_DEV_CPU);
}
static PyObject *get_itemsize(PyObject *self, void *c) { return PyLong_FromLong(ct_itemsize(ct_unwrap(self)->dtype)); }
static PyObject *get_nbytes(PyObject *self, void *c) {
    ct_tensor *t = ct_unwrap(self);
    return PyLong_FromLongLong(ct_numel(t) * ct_itemsize(t->dtype));
}
static PyObject *get_T(PyObject *self, void *c) {
    ct_tensor *t = ct_unwrap(self);
    int64_t dims[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) dims[i] = t->ndim - 1 - i;
    return ct_wrap(ct_permute(t, t->ndim, dims));
}
static PyObject *get_mT(PyObject *self, void *c) {
    ct_tensor *t = ct_unwrap(self);
    if (t->ndim < 2) return PyErr_Format(PyExc_RuntimeError, "tensor.mT is only supported on matrices or batches of "
                                         "matrices. Got %d-D tensor.", t->ndim);
    return ct_wrap(ct_transpose(t, -2, -1));
}
static PyObject *get_data(PyObject *self, void *c) { return ct_wrap(ct_alias(ct_unwrap(self))); }
static int set_data(PyObject *self, PyObject *value, void *c) {
    if (!value || !ct_is_tensor(value)) {
        PyErr_SetString(PyExc_TypeError, "Tensor.data must be a Tensor");
        return -1;
    }
    /* swap the underlying tensor: the Python object keeps its identity */
    CTensor *o = (CTensor *)self;
    ct_tensor *nt = ct_alias(ct_unwrap(value));
    if (!nt) return ct_raise_int();
    /* a leaf keeps requiring grad, and keeps its .grad (w.data = ... in update rules) */
    nt->requires_grad = o->t->requires_grad;
    nt->grad = o->t->grad;
    o->t->grad = NULL;
    if (o->t->pyobj == self) o->t->pyobj = NULL;
    ct_decref(o->t);
    o->t = nt;
    nt->pyobj = self;
    return 0;
}

static PyGetSetDef tensor_getset[] = {
    {"shape", get_shape, NULL, NULL, NULL},
    {"dtype", get_dtype, NULL, NULL, NULL},
    {"device", get_device, NULL, NULL, NULL},
    {"ndim", get_ndim, NULL, NULL, NULL},
    {"is_cuda", get_is_cuda, NULL, NULL, NULL},
    {"is_cpu", get_is_cpu, NULL, NULL, NULL},
    {"itemsize", get_itemsize, NULL, NULL, NULL},
    {"nbytes", get_nbytes, NULL, NULL, NULL},
    {"T", get_T, NULL, NULL, NULL},
    {"mT", get_mT, NULL, NULL, NULL},
    {"data", get_data, set_data, NULL, NULL},
    {"requires_grad", ct_get_requires_grad, ct_set_requires_grad, NULL, NULL},
    {"grad", ct_get_grad, ct_set_grad, NULL, NULL},
    {"grad_fn", ct_get_grad_fn, NULL, NULL, NULL},
    {"is_leaf", ct_get_is_leaf, NULL, NULL, NULL},
    {"retains_grad", ct_get_retains_grad, NULL, NULL, NULL},
    {NULL},
};

static Py_hash_t tensor_hash(PyObject *self) {
    /* tensors hash by identity, as in PyTorch */
    size_t y = (size_t)self;
    return (Py_hash_t)((y >> 4) | (y << (8 * sizeof(void *) - 4)));
}

static Py_ssize_t tensor_length(PyObject *self) {
    ct_tensor *t = ct_unwrap(self);
    if (t->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
        return -1;
    }
    return (Py_ssize_t)t->sizes[0];
}

static PyObject *tensor_item_at(PyObject *self, Py_ssize_t i) {
    ct_tensor *t = ct_unwrap(self);
    if (t->ndim == 0) return PyErr_Format(PyExc_TypeError, "iteration over a 0-d tensor");
    return ct_wrap(ct_select(t, 0, i));
}

PySequenceMethods ct_tensor_as_sequence = {
    .sq_length = tensor_length,
    .sq_item = tensor_item_at,
};

static PyObject *tensor_iter(PyObject *self) {
    if (ct_unwrap(self)->ndim == 0) return PyErr_Format(PyExc_TypeError, "iteration over a 0-d tensor");
    return PySeqIter_New(self);
}

static PyMethodDef *all_methods;

/* the methods of every op family, in one table */
static int collect_methods(void) {
    extern PyMethodDef ct_dlpack_methods[];
    extern PyMethodDef ct_nn_norm_methods[];
    extern PyMethodDef ct_sorting_methods[];
    PyMethodDef *tables[] = {ct_math_methods, ct_reduce_methods, ct_shape_methods, ct_shape_ops_methods,
                             ct_index_methods, ct_create_methods,
                             ct_dlpack_methods, ct_autograd_methods, ct_random_methods,
                             ct_linalg_methods,
                             ct_sorting_methods,
                             ct_einsum_methods,
                             ct_nn_norm_methods,
                             ct_counting_methods,
                             ct_diagonal_methods,
                             };
    size_t n = 0;
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        for (PyMethodDef *m = tables[i]; m->ml_name; m++) n++;
    all_methods = PyMem_Calloc(n + 1, sizeof(PyMethodDef));
    if (!all_methods) return -1;
    /* the first entry of a name wins: hand-written forms come before generated ones */
    size_t k = 0;
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        for (PyMethodDef *m = tables[i]; m->ml_name; m++) {
            bool seen = ct_is_internal_name(m->ml_name);
            for (size_t j = 0; j < k && !seen; j++) seen = !strcmp(all_methods[j].ml_name, m->ml_name);
            if (!seen) all_methods[k++] = *m;
        }
    return 0;
}

PyTypeObject CTensorBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._TensorBase",
    .tp_basicsize = sizeof(CTensor),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = tensor_new,
    .tp_dealloc = tensor_dealloc,
    .tp_getset = tensor_getset,
    .tp_hash = tensor_hash,
    .tp_iter = tensor_iter,
    .tp_richcompare = ct_tensor_richcompare,
    .tp_as_number = &ct_tensor_as_number,
    .tp_as_mapping = &ct_tensor_as_mapping,
    .tp_as_sequence = &ct_tensor_as_sequence,
    .tp_as_buffer = &ct_tensor_as_buffer,
};

int ct_tensor_type_init(PyObject *module) {
    if (collect_methods() < 0) return -1;
    CTensorBaseType.tp_methods = all_methods;
    if (PyType_Ready(&CTensorBaseType) < 0) return -1;
    return PyModule_AddObjectRef(module, "_TensorBase", (PyObject *)&CTensorBaseType);
}
