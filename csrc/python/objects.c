/* ctorch.dtype, ctorch.device and ctorch.Size. */
#include "ct_python.h"

#include <stdio.h>

PyObject *ct_py_dtypes[CT_NUM_DTYPES];

/* ---- dtype ---- */
static PyObject *dtype_repr(PyObject *self) {
    return PyUnicode_FromFormat("torch.%s", ct_dtype_name(((CTDtype *)self)->dtype));
}

static PyObject *dtype_reduce(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(ct_dtype_name(((CTDtype *)self)->dtype));
}

static PyObject *dtype_get(PyObject *self, void *what) {
    ct_dtype d = ((CTDtype *)self)->dtype;
    switch ((intptr_t)what) {
    case 0: return PyBool_FromLong(ct_is_floating(d));
    case 1: return PyBool_FromLong(ct_dtype_infos[d].is_signed);
    case 2: return PyLong_FromLong(ct_itemsize(d));
    case 3: Py_RETURN_FALSE;  /* is_complex */
    default: return PyLong_FromLong(ct_itemsize(d) * 8);
    }
}

static PyGetSetDef dtype_getset[] = {
    {"is_floating_point", dtype_get, NULL, NULL, (void *)0},
    {"is_signed", dtype_get, NULL, NULL, (void *)1},
    {"itemsize", dtype_get, NULL, NULL, (void *)2},
    {"is_complex", dtype_get, NULL, NULL, (void *)3},
    {NULL},
};

static PyMethodDef dtype_methods[] = {
    {"__reduce__", dtype_reduce, METH_NOARGS, NULL},
    {NULL},
};

PyTypeObject CTDtypeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.dtype",
    .tp_basicsize = sizeof(CTDtype),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_repr = dtype_repr,
    .tp_getset = dtype_getset,
    .tp_methods = dtype_methods,
};

PyObject *ct_dtype_object(ct_dtype d) { return ct_py_dtypes[d]; }

/* ---- device ---- */
static const char *device_type_name(int type) { return type == CT_DEV_CUDA ? "cuda" : "cpu"; }

PyObject *ct_device_object(ct_device d) {
    static PyObject *cpu;
    if (d.type == CT_DEV_CPU && cpu) {
        Py_INCREF(cpu);
        return cpu;
    }
    CTDevice *o = PyObject_New(CTDevice, &CTDeviceType);
    if (!o) return NULL;
    o->device = d;
    if (d.type == CT_DEV_CPU) {
        cpu = (PyObject *)o;
        Py_INCREF(cpu);
    }
    return (PyObject *)o;
}

/* device index -1: none given (PyTorch's device('cuda').index is None) */
static int parse_device_string(const char *s, ct_device *out) {
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    bool letters = n > 0;
    for (size_t i = 0; i < n; i++) letters = letters && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_');
    if (n == 3 && strncmp(s, "cpu", 3) == 0) out->type = CT_DEV_CPU;
    else if (n == 4 && strncmp(s, "cuda", 4) == 0) out->type = CT_DEV_CUDA;
    else {
        if (!letters) PyErr_Format(PyExc_RuntimeError, "Invalid device string: '%s'", s);
        else PyErr_Format(PyExc_RuntimeError, "Expected one of cpu, cuda device type at start of device string: %s", s);
        return -1;
    }
    out->index = -1;
    if (colon) {
        char *end;
        long idx = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || idx < 0 || idx > 127) {
            PyErr_Format(PyExc_RuntimeError, "Invalid device string: '%s'", s);
            return -1;
        }
        out->index = (int8_t)idx;
    }
    return 0;
}

static PyObject *device_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"type", "index", NULL};
    PyObject *spec, *index = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:device", kwlist, &spec, &index)) return NULL;
    ct_device d = {CT_DEV_CPU, -1};
    if (PyObject_TypeCheck(spec, &CTDeviceType)) {
        Py_INCREF(spec);
        return spec;
    }
    if (PyLong_Check(spec)) {   /* device(0) is cuda:0 */
        long i = PyLong_AsLong(spec);
        if (i < 0) return PyErr_Format(PyExc_RuntimeError, "Device index must not be negative");
        d.type = CT_DEV_CUDA;
        d.index = (int8_t)i;
    } else if (PyUnicode_Check(spec)) {
        if (parse_device_string(PyUnicode_AsUTF8(spec), &d) < 0) return NULL;
    } else {
        return PyErr_Format(PyExc_TypeError, "device() received an invalid combination of arguments - got (%s)",
                            Py_TYPE(spec)->tp_name);
    }
    if (index != Py_None) {
        if (d.index >= 0)
            return PyErr_Format(PyExc_RuntimeError, "type (string) must not include an index because index was "
                                                    "passed explicitly: %S", spec);
        long i = PyLong_AsLong(index);
        if (i == -1 && PyErr_Occurred()) return NULL;
        if (i < 0) return PyErr_Format(PyExc_RuntimeError, "Device index must not be negative");
        d.index = (int8_t)i;
    }
    CTDevice *o = (CTDevice *)type->tp_alloc(type, 0);
    if (o) o->device = d;
    return (PyObject *)o;
}

static PyObject *device_str(PyObject *self) {
    ct_device d = ((CTDevice *)self)->device;
    if (d.index < 0 || d.type == CT_DEV_CPU) return PyUnicode_FromString(device_type_name(d.type));
    return PyUnicode_FromFormat("%s:%d", device_type_name(d.type), d.index);
}

static PyObject *device_repr(PyObject *self) {
    ct_device d = ((CTDevice *)self)->device;
    if (d.index < 0 || d.type == CT_DEV_CPU) return PyUnicode_FromFormat("device(type='%s')", device_type_name(d.type));
    return PyUnicode_FromFormat("device(type='%s', index=%d)", device_type_name(d.type), d.index);
}

static PyObject *device_richcompare(PyObject *a, PyObject *b, int op) {
    if (!PyObject_TypeCheck(a, &CTDeviceType) || !PyObject_TypeCheck(b, &CTDeviceType) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    ct_device x = ((CTDevice *)a)->device, y = ((CTDevice *)b)->device;
    bool eq = x.type == y.type && (x.type == CT_DEV_CPU || x.index == y.index);
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t device_hash(PyObject *self) {
    ct_device d = ((CTDevice *)self)->device;
    return (Py_hash_t)(d.type * 1000 + (d.type == CT_DEV_CPU ? 0 : d.index) + 7);
}

static PyObject *device_get(PyObject *self, void *what) {
    ct_device d = ((CTDevice *)self)->device;
    if (what) return PyUnicode_FromString(device_type_name(d.type));
    if (d.index < 0 || d.type == CT_DEV_CPU) Py_RETURN_NONE;
    return PyLong_FromLong(d.index);
}

static PyObject *device_reduce(PyObject *self, PyObject *unused) {
    PyObject *s = device_str(self);
    return s ? Py_BuildValue("(O(N))", (PyObject *)&CTDeviceType, s) : NULL;
}

static PyGetSetDef device_getset[] = {
    {"type", device_get, NULL, NULL, (void *)1},
    {"index", device_get, NULL, NULL, NULL},
    {NULL},
};

static PyMethodDef device_methods[] = {
    {"__reduce__", device_reduce, METH_NOARGS, NULL},
    {NULL},
};

PyTypeObject CTDeviceType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.device",
    .tp_basicsize = sizeof(CTDevice),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = device_new,
    .tp_str = device_str,
    .tp_repr = device_repr,
    .tp_richcompare = device_richcompare,
    .tp_hash = device_hash,
    .tp_getset = device_getset,
    .tp_methods = device_methods,
};

/* ---- Size: a tuple subclass ---- */
PyObject *ct_size_new(int ndim, const int64_t *sizes) {
    PyObject *t = CTSizeType.tp_alloc(&CTSizeType, ndim);
    if (!t) return NULL;
    for (int i = 0; i < ndim; i++) {
        PyObject *v = PyLong_FromLongLong(sizes[i]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

static PyObject *size_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *seq = NULL;
    if (!PyArg_ParseTuple(args, "|O:Size", &seq)) return NULL;
    PyObject *tup = seq ? PySequence_Tuple(seq) : PyTuple_New(0);
    if (!tup) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(tup);
    PyObject *s = type->tp_alloc(type, n);
    for (Py_ssize_t i = 0; s && i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(tup, i);
        PyObject *v = PyNumber_Index(item);
        if (!v) {
            PyErr_Format(PyExc_TypeError, "torch.Size() takes an iterable of 'int' (item %zd is '%s')", i,
                         Py_TYPE(item)->tp_name);
            Py_CLEAR(s);
            break;
        }
        PyTuple_SET_ITEM(s, i, v);
    }
    Py_DECREF(tup);
    return s;
}

static PyObject *size_repr(PyObject *self) {
    PyObject *list = PySequence_List(self);
    if (!list) return NULL;
    PyObject *r = PyUnicode_FromFormat("torch.Size(%R)", list);
    Py_DECREF(list);
    return r;
}

static PyObject *size_numel(PyObject *self, PyObject *unused) {
    long long n = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self); i++) n *= PyLong_AsLongLong(PyTuple_GET_ITEM(self, i));
    return PyLong_FromLongLong(n);
}

static PyObject *size_as(PyObject *r) {
    /* results of slicing and concatenation stay Sizes */
    if (!r || !PyTuple_Check(r) || PyObject_TypeCheck(r, &CTSizeType)) return r;
    PyObject *s = CTSizeType.tp_alloc(&CTSizeType, PyTuple_GET_SIZE(r));
    for (Py_ssize_t i = 0; s && i < PyTuple_GET_SIZE(r); i++) {
        Py_INCREF(PyTuple_GET_ITEM(r, i));
        PyTuple_SET_ITEM(s, i, PyTuple_GET_ITEM(r, i));
    }
    Py_DECREF(r);
    return s;
}

static PyObject *size_subscript(PyObject *self, PyObject *key) {
    return size_as(PyTuple_Type.tp_as_mapping->mp_subscript(self, key));
}

static PyObject *size_add(PyObject *a, PyObject *b) {
    if (!PyTuple_Check(a) || !PyTuple_Check(b)) Py_RETURN_NOTIMPLEMENTED;
    return size_as(PyTuple_Type.tp_as_sequence->sq_concat(a, b));
}

static PyObject *size_reduce(PyObject *self, PyObject *unused) {
    PyObject *tup = PySequence_Tuple(self);
    return tup ? Py_BuildValue("(O(N))", (PyObject *)&CTSizeType, tup) : NULL;
}

static PyMethodDef size_methods[] = {
    {"numel", size_numel, METH_NOARGS, NULL},
    {"__reduce__", size_reduce, METH_NOARGS, NULL},
    {NULL},
};

static PyMappingMethods size_as_mapping;
static PyNumberMethods size_as_number = {.nb_add = size_add};

PyTypeObject CTSizeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch.Size",
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_TUPLE_SUBCLASS,
    .tp_new = size_new,
    .tp_repr = size_repr,
    .tp_methods = size_methods,
    .tp_as_mapping = &size_as_mapping,
    .tp_as_number = &size_as_number,
};

int ct_objects_init(PyObject *module) {
    CTSizeType.tp_base = &PyTuple_Type;
    size_as_mapping = *PyTuple_Type.tp_as_mapping;
    size_as_mapping.mp_subscript = size_subscript;
    if (PyType_Ready(&CTDtypeType) < 0 || PyType_Ready(&CTDeviceType) < 0 || PyType_Ready(&CTSizeType) < 0)
        return -1;
    for (int d = 0; d < CT_NUM_DTYPES; d++) {
        CTDtype *o = PyObject_New(CTDtype, &CTDtypeType);
        if (!o) return -1;
        o->dtype = (ct_dtype)d;
        ct_py_dtypes[d] = (PyObject *)o;
        if (PyModule_AddObjectRef(module, ct_dtype_name((ct_dtype)d), (PyObject *)o) < 0) return -1;
    }
    if (PyModule_AddObjectRef(module, "dtype", (PyObject *)&CTDtypeType) < 0 ||
        PyModule_AddObjectRef(module, "device", (PyObject *)&CTDeviceType) < 0 ||
        PyModule_AddObjectRef(module, "Size", (PyObject *)&CTSizeType) < 0)
        return -1;
    return 0;
}
