/* torch.return_types: the named tuples (values, indices) and the like that max, sort, qr,
 * histogram, ... return, printed as PyTorch prints them, one field per line:
 *   torch.return_types.max(
 *   values=tensor([5., 3.]),
 *   indices=tensor([1, 0])) */
#include "ct_python.h"
#include <structmember.h>   /* PyMemberDef: the field names (in Python.h itself from 3.12) */

static PyObject *return_type_repr(PyObject *self) {
    PyTypeObject *type = Py_TYPE(self);
    Py_ssize_t n = PyTuple_GET_SIZE(self);
    PyObject *out = PyUnicode_FromFormat("%s(", type->tp_name);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *r = PyObject_Repr(PyTuple_GET_ITEM(self, i));
        if (!r) {
            Py_CLEAR(out);
            break;
        }
        PyUnicode_AppendAndDel(&out, PyUnicode_FromFormat("\n%s=%U%s", type->tp_members[i].name, r, i + 1 < n ? "," : ""));
        Py_DECREF(r);
    }
    if (out) PyUnicode_AppendAndDel(&out, PyUnicode_FromString(")"));
    return out;
}

PyTypeObject *ct_return_type_new(PyStructSequence_Desc *desc) {
    PyTypeObject *type = PyStructSequence_NewType(desc);
    if (type) {
        type->tp_repr = return_type_repr;
        PyType_Modified(type);
    }
    return type;
}
