/* Shared-memory storages for ctorch.multiprocessing (ct_shm.h):
 *   _share_memory(t, strategy)   moves t's storage into shared memory, in place
 *                                ('file_descriptor' or 'file_system')
 *   _is_shared(t) -> bool
 *   _shm_handle(t) -> fd (int) or file name (str) of t's shared storage
 *   _shm_count(t, delta)         'file_system': add delta to the file's count
 *   _storage_from_shm(handle, nbytes) -> a 1-D uint8 tensor over a shared file
 *   _new_shared(nbytes, strategy) -> a 1-D uint8 tensor over a new shared file */
#include "ct_python.h"
#include "ctorch/ct_shm.h"

static const char *const strategies[] = {"file_descriptor", "file_system", NULL};

static int arg_strategy(const char *fname, PyObject *o) {
    int strategy = ct_arg_choice(fname, "strategy", o, strategies);
    if (strategy >= 0 && !strategies[strategy]) {
        PyErr_Format(PyExc_ValueError, "%s(): unknown sharing strategy", fname);
        return -1;
    }
    return strategy;
}

/* the 1-D uint8 tensor over all of s, which it takes over */
static PyObject *wrap_bytes(ct_storage *s) {
    int64_t nbytes = s->nbytes, one = 1;
    ct_tensor *t = ct_tensor_new(s, CT_UINT8, 1, &nbytes, &one, 0);
    ct_storage_decref(s);
    return t ? ct_wrap(t) : ct_raise();
}

static PyObject *f_share_memory(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    static const char *fname = "_share_memory";
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", fname, nargs);
    ct_tensor *t = ct_arg_tensor(fname, "tensor", args[0]);
    int strategy = t ? arg_strategy(fname, args[1]) : -1;
    if (strategy < 0) return NULL;
    if (ct_storage_share(t->storage, strategy == 0 ? CT_SHM_FD : CT_SHM_NAME) < 0) return ct_raise();
    Py_RETURN_NONE;
}

static PyObject *f_is_shared(PyObject *m, PyObject *arg) {
    ct_tensor *t = ct_arg_tensor("_is_shared", "tensor", arg);
    return t ? PyBool_FromLong(ct_storage_is_shared(t->storage)) : NULL;
}

static PyObject *f_shm_handle(PyObject *m, PyObject *arg) {
    ct_tensor *t = ct_arg_tensor("_shm_handle", "tensor", arg);
    if (!t) return NULL;
    if (!ct_storage_is_shared(t->storage))
        return PyErr_Format(PyExc_RuntimeError, "_shm_handle(): the storage is not in shared memory");
    const char *name = ct_storage_shm_name(t->storage);
    return name ? PyUnicode_FromString(name) : PyLong_FromLong(ct_storage_shm_fd(t->storage));
}

static PyObject *f_shm_count(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    static const char *fname = "_shm_count";
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", fname, nargs);
    ct_tensor *t = ct_arg_tensor(fname, "tensor", args[0]);
    int64_t delta;
    if (!t || ct_arg_int(fname, "delta", args[1], &delta) < 0) return NULL;
    if (ct_storage_shm_count(t->storage, (int)delta) < 0) return ct_raise();
    Py_RETURN_NONE;
}

static PyObject *f_storage_from_shm(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    static const char *fname = "_storage_from_shm";
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", fname, nargs);
    int64_t nbytes, fd = -1;
    if (ct_arg_int(fname, "nbytes", args[1], &nbytes) < 0) return NULL;
    ct_storage *s;
    if (PyUnicode_Check(args[0])) {
        const char *name = PyUnicode_AsUTF8(args[0]);
        if (!name) return NULL;
        s = ct_storage_from_shm_name(name, nbytes);
    } else {
        if (ct_arg_int(fname, "handle", args[0], &fd) < 0) return NULL;
        s = ct_storage_from_shm_fd((int)fd, nbytes);
    }
    return s ? wrap_bytes(s) : ct_raise();
}

static PyObject *f_new_shared(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    static const char *fname = "_new_shared";
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", fname, nargs);
    int64_t nbytes;
    int strategy = ct_arg_int(fname, "nbytes", args[0], &nbytes) < 0 ? -1 : arg_strategy(fname, args[1]);
    if (strategy < 0) return NULL;
    ct_storage *s = ct_storage_new_shared(nbytes, strategy == 0 ? CT_SHM_FD : CT_SHM_NAME);
    return s ? wrap_bytes(s) : ct_raise();
}

PyMethodDef ct_shm_functions[] = {
    {"_share_memory", (PyCFunction)(void (*)(void))f_share_memory, METH_FASTCALL, NULL},
    {"_is_shared", (PyCFunction)f_is_shared, METH_O, NULL},
    {"_shm_handle", (PyCFunction)f_shm_handle, METH_O, NULL},
    {"_shm_count", (PyCFunction)(void (*)(void))f_shm_count, METH_FASTCALL, NULL},
    {"_storage_from_shm", (PyCFunction)(void (*)(void))f_storage_from_shm, METH_FASTCALL, NULL},
    {"_new_shared", (PyCFunction)(void (*)(void))f_new_shared, METH_FASTCALL, NULL},
    {NULL},
};
