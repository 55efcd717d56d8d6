/* Map the core's status to the exception PyTorch raises for the same case. */
#include "ct_python.h"

PyObject *ct_raise(void) {
    if (PyErr_Occurred()) return NULL;   /* a Python-level error is already set */
    PyObject *exc;
    switch (ct_last_error()) {
    case CT_ERR_INDEX: exc = PyExc_IndexError; break;
    case CT_ERR_VALUE: exc = PyExc_ValueError; break;
    case CT_ERR_TYPE: exc = PyExc_TypeError; break;
    case CT_ERR_NOTIMPL: exc = PyExc_NotImplementedError; break;
    default: exc = PyExc_RuntimeError; break;
    }
    const char *msg = ct_last_error_message();
    PyErr_SetString(exc, msg[0] ? msg : "ctorch: unknown error");
    ct_clear_error();
    return NULL;
}

int ct_raise_int(void) {
    ct_raise();
    return -1;
}
