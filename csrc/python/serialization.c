/* Storage access for ctorch.serialization (checkpoints in PyTorch's format):
 *   _storage_bytes(t) -> (key, u8): key names t's storage (views share it) and
 *       u8 is a 1-D uint8 tensor over the whole storage, what a record holds;
 *   _tensor_on_bytes(u8, dtype, offset, size, stride) -> a tensor of dtype over
 *       the bytes of u8 (a 1-D uint8 view, its storage shared), offset and
 *       strides in elements from u8's first byte, checked as PyTorch's set_
 *       checks a fixed-size storage: a checkpoint cannot point outside u8. */
#include "ct_python.h"

static PyObject *f_storage_bytes(PyObject *m, PyObject *arg) {
    ct_tensor *t = ct_arg_tensor("_storage_bytes", "tensor", arg);
    if (!t) return NULL;
    int64_t nbytes = t->storage->nbytes, one = 1;
    PyObject *bytes = ct_wrap(ct_tensor_new(t->storage, CT_UINT8, 1, &nbytes, &one, 0));
    if (!bytes) return PyErr_Occurred() ? NULL : ct_raise();
    PyObject *key = PyLong_FromVoidPtr(t->storage);
    if (!key) {
        Py_DECREF(bytes);
        return NULL;
    }
    return Py_BuildValue("(NN)", key, bytes);
}

/* elements a strided tensor spans from its storage's start (0 when empty), or -1 on overflow */
static int64_t storage_span(int ndim, const int64_t *sizes, const int64_t *strides, int64_t offset) {
    int64_t span = offset + 1;
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] == 0) return 0;
        int64_t step;
        if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &step) || __builtin_add_overflow(span, step, &span))
            return -1;
    }
    return span;
}

static PyObject *f_tensor_on_bytes(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    static const char *fname = "_tensor_on_bytes";
    if (nargs != 5) return PyErr_Format(PyExc_TypeError, "%s() takes 5 arguments (%zd given)", fname, nargs);
    ct_tensor *s = ct_arg_tensor(fname, "bytes", args[0]);
    ct_dtype dtype;
    int64_t offset, sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS];
    int ndim, nstrides;
    if (!s || ct_arg_dtype(args[1], &dtype) < 0 || ct_arg_int(fname, "offset", args[2], &offset) < 0 ||
        ct_arg_int_list(fname, "size", args[3], sizes, &ndim) < 0 ||
        ct_arg_int_list(fname, "stride", args[4], strides, &nstrides) < 0)
        return NULL;
    if (dtype == CT_UNDEFINED) return PyErr_Format(PyExc_TypeError, "%s(): dtype must not be None", fname);
    int64_t itemsize = ct_itemsize(dtype), nbytes = ct_numel(s);
    if (s->dtype != CT_UINT8 || s->ndim != 1 || (nbytes > 1 && s->strides[0] != 1) || s->offset % itemsize)
        return PyErr_Format(PyExc_ValueError, "%s(): expected contiguous 1-D uint8 bytes aligned to the dtype", fname);
    if (ndim != nstrides)
        return PyErr_Format(PyExc_RuntimeError, "mismatch in length of strides and shape");
    if (offset < 0) return PyErr_Format(PyExc_RuntimeError, "Tensor: invalid storage offset %lld", (long long)offset);
    char sz[256], st[256];
    ct_shape_str(ndim, sizes, sz, sizeof sz);
    ct_shape_str(ndim, strides, st, sizeof st);
    for (int i = 0; i < ndim; i++) {
        if (sizes[i] < 0)
            return PyErr_Format(PyExc_RuntimeError, "Trying to create tensor with negative dimension %lld: %s",
                                (long long)sizes[i], sz);
        if (strides[i] < 0)
            return PyErr_Format(PyExc_RuntimeError, "Storage size calculation overflowed with sizes=%s and strides=%s",
                                sz, st);
    }
    int64_t span = storage_span(ndim, sizes, strides, offset), need;
    if (span < 0 || __builtin_mul_overflow(span, itemsize, &need))
        return PyErr_Format(PyExc_RuntimeError, "Storage size calculation overflowed with sizes=%s and strides=%s",
                            sz, st);
    if (need > nbytes)
        return PyErr_Format(PyExc_RuntimeError,
                            "setStorage: sizes %s, strides %s, storage offset %lld, and itemsize %lld requiring a "
                            "storage size of %lld are out of bounds for storage of size %lld",
                            sz, st, (long long)offset, (long long)itemsize, (long long)need,
                            (long long)nbytes);
    ct_tensor *t = ct_tensor_new(s->storage, dtype, ndim, sizes, strides, s->offset / itemsize + offset);
    return t ? ct_wrap(t) : ct_raise();
}

PyMethodDef ct_serialization_functions[] = {
    {"_storage_bytes", (PyCFunction)f_storage_bytes, METH_O, NULL},
    {"_tensor_on_bytes", (PyCFunction)(void (*)(void))f_tensor_on_bytes, METH_FASTCALL, NULL},
    {NULL},
};
