/* The buffer protocol: np.asarray(t) and memoryview(t) share the tensor's
 * memory (docs/interop-formats.md section 3). */
#include "ct_python.h"

static const char *buffer_format(ct_dtype d) {
    switch (d) {
    case CT_BOOL: return "?";
    case CT_UINT8: return "B";
    case CT_INT8: return "b";
    case CT_INT16: return "h";
    case CT_INT32: return "i";
    case CT_INT64: return "l";
    case CT_FLOAT16: return "e";
    case CT_FLOAT32: return "f";
    case CT_FLOAT64: return "d";
    default: return NULL;   /* bfloat16 has no buffer format */
    }
}

static int tensor_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    ct_tensor *t = ct_unwrap(self);
    const char *fmt = buffer_format(t->dtype);
    if (!fmt) {
        PyErr_Format(PyExc_BufferError, "Got unsupported ScalarType %s", ct_dtype_infos[t->dtype].legacy);
        return -1;
    }
    if (ct_device_of(t).type != CT_DEV_CPU) {
        PyErr_SetString(PyExc_BufferError, "can't export the memory of a cuda tensor; use Tensor.cpu() first");
        return -1;
    }
    bool contiguous = ct_is_contiguous(t);
    if ((flags & PyBUF_STRIDES) != PyBUF_STRIDES && !contiguous) {
        PyErr_SetString(PyExc_BufferError, "tensor is not C-contiguous");
        return -1;
    }
    if ((flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS || ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS && !contiguous) ||
        ((flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS && !contiguous)) {
        if (!(contiguous && (flags & PyBUF_F_CONTIGUOUS) != PyBUF_F_CONTIGUOUS) && !(t->ndim <= 1 && contiguous)) {
            PyErr_SetString(PyExc_BufferError, "tensor is not contiguous in the requested order");
            return -1;
        }
    }
    Py_ssize_t *shape = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)(t->ndim ? t->ndim : 1));
    if (!shape) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *strides = shape + (t->ndim ? t->ndim : 1);
    int64_t isz = ct_itemsize(t->dtype);
    for (int i = 0; i < t->ndim; i++) {
        shape[i] = (Py_ssize_t)t->sizes[i];
        strides[i] = (Py_ssize_t)(t->strides[i] * isz);
    }
    view->buf = ct_data(t);
    view->obj = self;
    Py_INCREF(self);
    view->len = (Py_ssize_t)(ct_numel(t) * isz);
    view->itemsize = (Py_ssize_t)isz;
    view->readonly = 0;
    view->ndim = t->ndim;
    view->format = (flags & PyBUF_FORMAT) ? (char *)fmt : NULL;
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? shape : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? strides : NULL;
    view->suboffsets = NULL;
    view->internal = shape;
    return 0;
}

static void tensor_releasebuffer(PyObject *self, Py_buffer *view) { PyMem_Free(view->internal); }

PyBufferProcs ct_tensor_as_buffer = {
    .bf_getbuffer = tensor_getbuffer,
    .bf_releasebuffer = tensor_releasebuffer,
};
