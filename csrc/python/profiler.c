/* The op profiler for Python: _profiler_start(record_shapes), _profiler_stop() -> [(op name, start us,
 * duration us, shapes str)], _profiler_now() (the same clock, for record_function ranges). */
#include "ct_python.h"
#include "ctorch/ct_profiler.h"

static PyObject *f_profiler_start(PyObject *m, PyObject *arg) {
    int shapes = PyObject_IsTrue(arg);
    if (shapes < 0) return NULL;
    ct_profiler_start(shapes);
    Py_RETURN_NONE;
}

static PyObject *f_profiler_stop(PyObject *m, PyObject *noargs) {
    ct_prof_event *ev;
    size_t n = ct_profiler_stop(&ev);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *item = Py_BuildValue("(sdds)", ct_op_name(ev[i].op), ev[i].start_us, ev[i].dur_us, ev[i].shapes);
        if (!item) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    free(ev);
    return list;
}

static PyObject *f_profiler_now(PyObject *m, PyObject *noargs) { return PyFloat_FromDouble(ct_profiler_now_us()); }

PyMethodDef ct_profiler_functions[] = {
    {"_profiler_start", (PyCFunction)f_profiler_start, METH_O, NULL},
    {"_profiler_stop", (PyCFunction)f_profiler_stop, METH_NOARGS, NULL},
    {"_profiler_now", (PyCFunction)f_profiler_now, METH_NOARGS, NULL},
    {NULL},
};
