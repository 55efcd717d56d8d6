/* ctorch._C_cuda: the CUDA backend as a separate extension module.
 *
 * On import it takes the core's registration API from the capsule
 * ctorch._C._core_api (NumPy's import_array pattern), registers the CUDA
 * backend through it, and exposes a few device queries. It imports cleanly
 * on a machine without a GPU (device_count() is then 0). Only this module
 * links cudart; it calls nothing of ctorch._C directly. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "cuda/ct_cuda.h"

static PyObject *core_module;   /* ctorch._C, kept alive with its capsule */

/* a device index argument: an int (not a bool) in [0, CT_CUDA_MAX_DEVICES) */
static int arg_index(const char *fname, PyObject *o, int *out) {
    if (PyBool_Check(o) || !PyIndex_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument 'device' must be int, not %s", fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i) return -1;
    long v = PyLong_AsLong(i);
    Py_DECREF(i);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 0 || v >= CT_CUDA_MAX_DEVICES) {
        PyErr_Format(PyExc_RuntimeError, "Invalid device argument %ld: did you call init?", v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* an index of a device that exists (PyTorch's assertValidDevice) */
static int arg_device(const char *fname, PyObject *o, int *out) {
    if (arg_index(fname, o, out) < 0) return -1;
    int count = ct_cuda_device_count();
    if (*out >= count) {
        PyErr_Format(PyExc_RuntimeError, "Invalid device argument %d: did you call init?%s", *out,
                     count == 0 ? " (no CUDA device is available)" : "");
        return -1;
    }
    return 0;
}

static PyObject *raise_cuda(void) {
    const char *msg = ct_cuda_last_error();
    PyErr_SetString(PyExc_RuntimeError, msg && msg[0] ? msg : "CUDA error");
    return NULL;
}

static PyObject *py_device_count(PyObject *m, PyObject *unused) {
    return PyLong_FromLong(ct_cuda_device_count());
}

static PyObject *py_get_device_name(PyObject *m, PyObject *arg) {
    int idx;
    if (arg_index("get_device_name", arg, &idx) < 0) return NULL;
    char name[256];
    if (ct_cuda_device_name(idx, name, (int)sizeof name) < 0) return raise_cuda();
    return PyUnicode_FromString(name);
}

static PyObject *py_synchronize(PyObject *m, PyObject *arg) {
    int idx, rc;
    if (arg_device("synchronize", arg, &idx) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    rc = ct_cuda_synchronize(idx);
    Py_END_ALLOW_THREADS
    if (rc < 0) return raise_cuda();
    Py_RETURN_NONE;
}

static PyObject *py_runtime_version(PyObject *m, PyObject *unused) {
    int v = ct_cuda_runtime_version();
    if (v < 0) return raise_cuda();
    return PyLong_FromLong(v);
}

static PyObject *py_memory_allocated(PyObject *m, PyObject *arg) {
    int idx;
    if (arg_device("memory_allocated", arg, &idx) < 0) return NULL;
    return PyLong_FromLongLong(ct_cuda_memory_allocated(idx));
}

static PyObject *py_max_memory_allocated(PyObject *m, PyObject *arg) {
    int idx;
    if (arg_device("max_memory_allocated", arg, &idx) < 0) return NULL;
    return PyLong_FromLongLong(ct_cuda_max_memory_allocated(idx));
}

static PyObject *py_reset_peak_memory_stats(PyObject *m, PyObject *arg) {
    int idx;
    if (arg_device("reset_peak_memory_stats", arg, &idx) < 0) return NULL;
    ct_cuda_reset_peak_memory_stats(idx);
    Py_RETURN_NONE;
}

static PyMethodDef cuda_functions[] = {
    {"device_count", py_device_count, METH_NOARGS,
     "device_count()\n--\n\nNumber of visible CUDA devices (0 without a driver or device)."},
    {"get_device_name", py_get_device_name, METH_O, "get_device_name(index)\n--\n\nThe device's name."},
    {"synchronize", py_synchronize, METH_O, "synchronize(index)\n--\n\nWait for all work on the device."},
    {"runtime_version", py_runtime_version, METH_NOARGS,
     "runtime_version()\n--\n\nThe CUDA runtime's version (cudaRuntimeGetVersion, e.g. 13000)."},
    {"memory_allocated", py_memory_allocated, METH_O,
     "memory_allocated(index)\n--\n\nBytes of device memory held by tensors."},
    {"max_memory_allocated", py_max_memory_allocated, METH_O,
     "max_memory_allocated(index)\n--\n\nPeak of memory_allocated since the start or the last reset."},
    {"reset_peak_memory_stats", py_reset_peak_memory_stats, METH_O,
     "reset_peak_memory_stats(index)\n--\n\nRestart the peak from the current value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cuda_module = {
    PyModuleDef_HEAD_INIT,
    "ctorch._C_cuda",
    "ctorch's CUDA backend (registers itself with ctorch._C on import when a device is present).",
    -1,
    cuda_functions,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* the core's API from the capsule ctorch._C._core_api */
static const ct_core_api *import_core_api(void) {
    if (!core_module) {
        core_module = PyImport_ImportModule("ctorch._C");
        if (!core_module) return NULL;
    }
    PyObject *cap = PyObject_GetAttrString(core_module, "_core_api");
    if (!cap) return NULL;
    const ct_core_api *api = PyCapsule_GetPointer(cap, "ctorch._C._core_api");
    Py_DECREF(cap);   /* the module keeps the capsule, and core_module the module */
    if (!api) return NULL;
    if (api->version != CT_CORE_API_VERSION) {
        PyErr_Format(PyExc_ImportError,
                     "ctorch._C_cuda was built for core API version %d, but ctorch._C provides version %d; "
                     "rebuild ctorch",
                     CT_CORE_API_VERSION, api->version);
        return NULL;
    }
    return api;
}

PyMODINIT_FUNC PyInit__C_cuda(void) {
    const ct_core_api *api = import_core_api();
    if (!api) return NULL;
    /* with no device the backend stays unregistered, so a cuda tensor request
     * reaches ctorch.cuda._lazy_init and its PyTorch-worded error */
    if (ct_cuda_device_count() > 0 && ct_cuda_backend_register(api) < 0) {
        PyErr_SetString(PyExc_ImportError, "ctorch._C_cuda: registering the CUDA backend with ctorch._C failed");
        return NULL;
    }
    PyObject *m = PyModule_Create(&cuda_module);
    if (!m) return NULL;
    if (PyModule_AddIntConstant(m, "CORE_API_VERSION", CT_CORE_API_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
