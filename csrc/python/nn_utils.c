/* nn.utils for Python: _clip_grad_norm_(grads, max_norm, norm_type, error_if_nonfinite) and
 * _clip_grad_value_(grads, clip_value) over a list of gradient tensors, one C call each. */
#include "ct_python.h"

/* the tensors of a list or tuple (borrowed), or -1 with TypeError */
static int tensor_list(const char *fname, PyObject *seq, ct_tensor ***out) {
    PyObject *fast = PySequence_Fast(seq, "expected a list of tensors");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    *out = PyMem_Malloc(sizeof(ct_tensor *) * (size_t)(n ? n : 1));
    for (Py_ssize_t i = 0; *out && i < n; i++)
        if (!((*out)[i] = ct_arg_tensor(fname, "tensors", PySequence_Fast_GET_ITEM(fast, i)))) {
            PyMem_Free(*out);
            *out = NULL;
        }
    Py_DECREF(fast);   /* the caller's list keeps the tensors alive */
    if (!*out) return PyErr_Occurred() ? -1 : (PyErr_NoMemory(), -1);
    return (int)n;
}

static PyObject *f_clip_grad_norm(PyObject *m, PyObject *args) {
    PyObject *seq;
    double max_norm, norm_type;
    int error_if_nonfinite;
    if (!PyArg_ParseTuple(args, "Oddp:_clip_grad_norm_", &seq, &max_norm, &norm_type, &error_if_nonfinite))
        return NULL;
    ct_tensor **grads;
    int n = tensor_list("clip_grad_norm_", seq, &grads);
    if (n < 0) return NULL;
    int64_t numel = 0;
    for (int i = 0; i < n; i++) numel += ct_numel(grads[i]);
    ct_tensor *total;
    CT_NOGIL(numel, total = ct_clip_grad_norm_(n, grads, max_norm, norm_type, error_if_nonfinite));
    PyMem_Free(grads);
    return ct_wrap(total);
}

static PyObject *f_clip_grad_value(PyObject *m, PyObject *args) {
    PyObject *seq;
    double clip_value;
    if (!PyArg_ParseTuple(args, "Od:_clip_grad_value_", &seq, &clip_value)) return NULL;
    ct_tensor **grads;
    int n = tensor_list("clip_grad_value_", seq, &grads);
    if (n < 0) return NULL;
    int rc = ct_clip_grad_value_(n, grads, clip_value);
    PyMem_Free(grads);
    if (rc < 0) return ct_raise();
    Py_RETURN_NONE;
}

PyMethodDef ct_nn_utils_functions[] = {
    {"_clip_grad_norm_", (PyCFunction)f_clip_grad_norm, METH_VARARGS, NULL},
    {"_clip_grad_value_", (PyCFunction)f_clip_grad_value, METH_VARARGS, NULL},
    {NULL},
};
