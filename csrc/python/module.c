/* ctorch._C: module set-up, configuration functions and the core API capsule. */
#include "ct_python.h"

#include "../core/ct_cpu_alloc.h"
#include "../cpu/ct_kernels.h"
#include "ctorch/ct_backend.h"

int ct_tensor_type_init(PyObject *module);
int ct_reductions_init(PyObject *module);
int ct_random_init(PyObject *module);
int ct_sorting_init(PyObject *module);
extern PyMethodDef ct_sorting_functions[];
extern PyMethodDef ct_vision_functions[];

static PyObject *f_get_default_dtype(PyObject *m, PyObject *unused) {
    PyObject *d = ct_dtype_object(ct_get_default_dtype());
    Py_INCREF(d);
    return d;
}

static PyObject *f_set_default_dtype(PyObject *m, PyObject *arg) {
    ct_dtype d;
    if (ct_arg_dtype(arg, &d) < 0) return NULL;
    if (d == CT_UNDEFINED || ct_set_default_dtype(d) < 0)
        return PyErr_Format(PyExc_TypeError, "only floating-point types are supported as the default type");
    Py_RETURN_NONE;
}

static PyObject *f_promote_types(PyObject *m, PyObject *args) {
    PyObject *a, *b;
    ct_dtype x, y;
    if (!PyArg_ParseTuple(args, "OO:promote_types", &a, &b) || ct_arg_dtype(a, &x) < 0 || ct_arg_dtype(b, &y) < 0)
        return NULL;
    if (x == CT_UNDEFINED || y == CT_UNDEFINED) return PyErr_Format(PyExc_TypeError, "promote_types(): expected dtypes");
    PyObject *r = ct_dtype_object(ct_promote_types(x, y));
    Py_INCREF(r);
    return r;
}

static PyObject *f_can_cast(PyObject *m, PyObject *args) {
    PyObject *a, *b;
    ct_dtype x, y;
    if (!PyArg_ParseTuple(args, "OO:can_cast", &a, &b) || ct_arg_dtype(a, &x) < 0 || ct_arg_dtype(b, &y) < 0)
        return NULL;
    if (x == CT_UNDEFINED || y == CT_UNDEFINED) return PyErr_Format(PyExc_TypeError, "can_cast(): expected dtypes");
    return PyBool_FromLong(ct_can_cast(x, y));
}

static PyObject *f_result_type(PyObject *m, PyObject *args) {
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO:result_type", &a, &b)) return NULL;
    ct_tensor *x = ct_operand(a), *y = x ? ct_operand(b) : NULL;
    if (!y) {
        ct_xdecref(x);
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "result_type(): expected Tensors or Numbers");
    }
    if (!ct_is_tensor(a) && !ct_is_tensor(b))   /* two numbers: both wrapped */
        x->is_wrapped_number = y->is_wrapped_number = true;
    PyObject *r = ct_dtype_object(ct_result_type2(x, y));
    ct_decref(x);
    ct_decref(y);
    Py_INCREF(r);
    return r;
}

static PyObject *f_get_num_threads(PyObject *m, PyObject *unused) { return PyLong_FromLong(ct_get_num_threads()); }

/* _live_counts() -> (storages, tensors) alive in the C core */
static PyObject *f_live_counts(PyObject *m, PyObject *unused) {
    int64_t s, t;
    ct_live_counts(&s, &t);
    return Py_BuildValue("(LL)", (long long)s, (long long)t);
}

static PyObject *f_set_num_threads(PyObject *m, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n <= 0) return PyErr_Format(PyExc_RuntimeError, "set_num_threads expects a positive integer");
    ct_set_num_threads((int)n);
    Py_RETURN_NONE;
}

static PyObject *f_set_tensor_class(PyObject *m, PyObject *cls) {
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &CTensorBaseType))
        return PyErr_Format(PyExc_TypeError, "_set_tensor_class expects a subclass of _TensorBase");
    Py_INCREF(cls);
    Py_XSETREF(ct_tensor_class, (PyTypeObject *)cls);
    Py_RETURN_NONE;
}

static PyObject *f_empty_cache(PyObject *m, PyObject *unused) {
    ct_cpu_empty_cache();
    Py_RETURN_NONE;
}

static PyObject *f_has_backend(PyObject *m, PyObject *name) {
    const char *s = PyUnicode_AsUTF8(name);
    if (!s) return NULL;
    return PyBool_FromLong(ct_get_backend(strcmp(s, "cuda") == 0 ? CT_DEV_CUDA : CT_DEV_CPU) != NULL);
}

static PyMethodDef config_functions[] = {
    {"get_default_dtype", f_get_default_dtype, METH_NOARGS, NULL},
    {"set_default_dtype", f_set_default_dtype, METH_O, NULL},
    {"promote_types", f_promote_types, METH_VARARGS, NULL},
    {"can_cast", f_can_cast, METH_VARARGS, NULL},
    {"result_type", f_result_type, METH_VARARGS, NULL},
    {"get_num_threads", f_get_num_threads, METH_NOARGS, NULL},
    {"set_num_threads", f_set_num_threads, METH_O, NULL},
    {"_live_counts", f_live_counts, METH_NOARGS, NULL},
    {"_set_tensor_class", f_set_tensor_class, METH_O, NULL},
    {"_cpu_empty_cache", f_empty_cache, METH_NOARGS, NULL},
    {"_has_backend", f_has_backend, METH_O, NULL},
    {NULL},
};

static ct_status api_error(ct_status code, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ct_error(code, "%s", buf);
}

static const ct_core_api core_api = {
    .version = CT_CORE_API_VERSION,
    .register_backend = ct_register_backend,
    .error = api_error,
    .op_name = ct_op_name,
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, .m_name = "ctorch._C", .m_doc = "ctorch's C core", .m_size = -1};

PyMODINIT_FUNC PyInit__C(void) {
    extern PyMethodDef ct_dlpack_functions[];
    extern PyMethodDef ct_nn_loss_functions[];
    extern PyMethodDef ct_nn_norm_functions[];
    extern PyMethodDef ct_nn_rnn_functions[];
    extern PyMethodDef ct_attention_functions[];
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    /* module functions: later tables do not override earlier names */
    PyMethodDef *tables[] = {ct_math_functions, ct_reduce_functions, ct_shape_functions, ct_shape_ops_functions,
                             ct_index_functions, ct_einsum_functions, ct_create_functions,
                             ct_dlpack_functions, ct_autograd_functions, ct_autograd_hook_functions,
                             ct_random_functions, config_functions,
                             ct_nn_utils_functions,
                             ct_linalg_functions,
                             ct_sorting_functions,
                             ct_serialization_functions,
                             ct_nn_loss_functions,
                             ct_nn_norm_functions,
                             ct_counting_functions,
                             ct_diagonal_functions,
                             ct_profiler_functions,
                             ct_vision_functions,
                             ct_optim_functions,
                             ct_nn_conv_functions,
                             ct_crc32c_functions,
                             ct_nn_rnn_functions,
                             ct_shm_functions,
                             ct_attention_functions};
    PyObject *modname = PyModule_GetNameObject(m);
    for (size_t i = 0; modname && i < sizeof tables / sizeof *tables; i++) {
        for (PyMethodDef *d = tables[i]; d->ml_name; d++) {
            if (ct_is_internal_name(d->ml_name) || PyObject_HasAttrString(m, d->ml_name)) continue;
            PyObject *f = PyCFunction_NewEx(d, NULL, modname);
            if (!f || PyModule_AddObject(m, d->ml_name, f) < 0) {
                Py_XDECREF(modname);
                goto fail;
            }
        }
    }
    Py_XDECREF(modname);
    if (ct_cpu_backend_register() < 0 || ct_objects_init(m) < 0 || ct_tensor_type_init(m) < 0 ||
        ct_reductions_init(m) < 0 || ct_autograd_init(m) < 0 ||
        ct_random_init(m) < 0 ||
        ct_sorting_init(m) < 0 || ct_counting_init(m) < 0)
        goto fail;
    PyObject *capsule = PyCapsule_New((void *)&core_api, "ctorch._C._core_api", NULL);
    if (!capsule || PyModule_AddObject(m, "_core_api", capsule) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
