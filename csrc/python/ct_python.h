/* The Python layer's shared declarations: the Tensor base type, dtype,
 * device and Size objects, argument parsing and error mapping. This
 * directory is the only code that includes Python.h. */
#ifndef CT_PYTHON_H
#define CT_PYTHON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ctorch/ct_ops.h"
#include "ctorch/ct_tensor.h"

typedef struct {
    PyObject_HEAD
    ct_tensor *t;
} CTensor;

extern PyTypeObject CTensorBaseType;   /* ctorch._C._TensorBase */
extern PyTypeObject *ct_tensor_class;  /* ctorch.Tensor (a Python subclass), set at import */
extern PyTypeObject CTDtypeType, CTDeviceType, CTSizeType;

typedef struct {
    PyObject_HEAD
    ct_dtype dtype;
} CTDtype;

typedef struct {
    PyObject_HEAD
    ct_device device;
} CTDevice;

/* ---- tensors (tensor.c) ---- */
static inline int ct_is_tensor(PyObject *o) { return PyObject_TypeCheck(o, &CTensorBaseType); }
static inline ct_tensor *ct_unwrap(PyObject *o) { return ((CTensor *)o)->t; }
/* the Python object of t (steals the reference; NULL passes through) */
PyObject *ct_wrap(ct_tensor *t);
PyObject *ct_wrap_as(PyTypeObject *type, ct_tensor *t);

/* ---- errors (errors.c): set the Python exception from the core's status ---- */
PyObject *ct_raise(void);
int ct_raise_int(void);

/* ---- dtype, device, Size (objects.c) ---- */
extern PyObject *ct_py_dtypes[CT_NUM_DTYPES];
PyObject *ct_dtype_object(ct_dtype d);   /* borrowed */
PyObject *ct_device_object(ct_device d); /* new reference */
PyObject *ct_size_new(int ndim, const int64_t *sizes);
int ct_objects_init(PyObject *module);

/* ---- argument parsing (args.c) ---- */
/* Fill out[i] (borrowed, NULL when absent) from positional and keyword
 * arguments. names: all parameter names, NULL-terminated; the first npos may
 * be positional. Raises TypeError like Python for bad calls. */
int ct_parse(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
             const char *const *names, int npos, PyObject **out);
int ct_arg_int(const char *fname, const char *name, PyObject *o, int64_t *out);
int ct_arg_bool(const char *fname, const char *name, PyObject *o, bool dflt, bool *out);
int ct_arg_double(const char *fname, const char *name, PyObject *o, double *out);
/* the position of the str o in the NULL-terminated choices (their count when it is none of them; the caller
 * raises its op's error), -1 with TypeError when o is not a str */
int ct_arg_choice(const char *fname, const char *name, PyObject *o, const char *const *choices);
int ct_arg_dtype(PyObject *o, ct_dtype *out);          /* None -> CT_UNDEFINED */
int ct_arg_device(PyObject *o, ct_device *out);        /* None -> cpu */
/* a Python number (or 0-dim tensor) as a scalar; *is_float / *is_bool say its kind */
int ct_arg_scalar(const char *fname, const char *name, PyObject *o, ct_scalar *out, ct_dtype *kind);
/* sizes from varargs (ints) or one sequence; returns ndim or -1 */
int ct_arg_sizes(const char *fname, PyObject *const *args, Py_ssize_t nargs, int64_t *sizes);
int ct_arg_int_list(const char *fname, const char *name, PyObject *o, int64_t *vals, int *n);
/* dims: None -> 0 dims (all), int, or a sequence of ints */
int ct_arg_dims(const char *fname, PyObject *o, int64_t *dims, int *n);
/* a tensor, or a Python number wrapped as a 0-dim tensor (new reference) */
ct_tensor *ct_operand(PyObject *o);
/* a tensor argument (borrowed) or TypeError */
ct_tensor *ct_arg_tensor(const char *fname, const char *name, PyObject *o);

/* ---- autograd attributes (autograd.c) ---- */
PyObject *ct_get_requires_grad(PyObject *self, void *c);
int ct_set_requires_grad(PyObject *self, PyObject *value, void *c);
PyObject *ct_get_grad(PyObject *self, void *c);
int ct_set_grad(PyObject *self, PyObject *value, void *c);
PyObject *ct_get_grad_fn(PyObject *self, void *c);
PyObject *ct_get_is_leaf(PyObject *self, void *c);
PyObject *ct_get_retains_grad(PyObject *self, void *c);
extern PyMethodDef ct_autograd_methods[], ct_autograd_functions[], ct_autograd_hook_functions[];
int ct_autograd_init(PyObject *module);

/* ---- keyword arguments of the factories (create.c) ----
 * parse_factory_opts reads dtype, device, requires_grad, out (and ignores layout,
 * pin_memory, memory_format, non_blocking) from the keywords; other keywords
 * go to extra[i] by extra_names[i], or raise TypeError. factory_result copies
 * t into out= when given, else wraps it. */
typedef struct {
    ct_dtype dtype;
    ct_device device;
    bool requires_grad;
    PyObject *out;
} factory_opts;
int parse_factory_opts(const char *fname, PyObject *const *kwvals, PyObject *kwnames, int skip, factory_opts *o,
                       PyObject **extra, const char *const *extra_names);
PyObject *factory_result(ct_tensor *t, const factory_opts *o);

/* ---- method tables assembled by tensor.c and module.c ---- */
extern PyMethodDef ct_math_methods[], ct_math_functions[];
extern PyMethodDef ct_reduce_methods[], ct_reduce_functions[];
extern PyMethodDef ct_shape_methods[], ct_shape_functions[];
extern PyMethodDef ct_shape_ops_methods[], ct_shape_ops_functions[];
extern PyMethodDef ct_index_methods[], ct_index_functions[];
extern PyMethodDef ct_einsum_methods[], ct_einsum_functions[];   /* einsum.c: einsum, tensordot, cdist, dist */
PyObject *ct_nonzero_py(ct_tensor *t, bool as_tuple);   /* indexing.c */
/* a torch.return_types named-tuple type, printed as PyTorch prints them (return_types.c) */
PyTypeObject *ct_return_type_new(PyStructSequence_Desc *desc);
/* a (values, indices) named tuple of `type` (steals both references) (reductions.c) */
PyObject *ct_values_indices(PyTypeObject *type, ct_tensor *v, ct_tensor *i);
extern PyMethodDef ct_counting_methods[], ct_counting_functions[];   /* counting.c */
int ct_counting_init(PyObject *module);
extern PyMethodDef ct_diagonal_methods[], ct_diagonal_functions[];   /* diagonal.c */
extern PyMethodDef ct_create_functions[], ct_create_methods[];
extern PyMethodDef ct_random_functions[], ct_random_methods[];
extern PyMethodDef ct_nn_utils_functions[];
extern PyMethodDef ct_profiler_functions[];
extern PyMethodDef ct_linalg_functions[], ct_linalg_methods[];
extern PyMethodDef ct_serialization_functions[];
extern PyMethodDef ct_optim_functions[];   /* optim.c */
extern PyMethodDef ct_nn_conv_functions[];   /* nn_conv.c */
extern PyMethodDef ct_crc32c_functions[];   /* crc32c.c */
extern PyMethodDef ct_shm_functions[];   /* shm.c */
extern PyNumberMethods ct_tensor_as_number;
extern PyMappingMethods ct_tensor_as_mapping;
extern PySequenceMethods ct_tensor_as_sequence;
extern PyBufferProcs ct_tensor_as_buffer;
PyObject *ct_tensor_richcompare(PyObject *a, PyObject *b, int op);
/* tensor data from nested sequences / buffers (create.c) */
ct_tensor *ct_tensor_from_data(PyObject *data, ct_dtype dtype, ct_device device);

/* module functions share the methods' code: call a method implementation
 * with the first argument (or input=) as self */
typedef PyObject *(*ct_fastcall)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);
PyObject *ct_call_as_method(const char *fname, ct_fastcall impl, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames);

/* generated kernels with no Python name of their own (their public forms have other signatures) */
static inline int ct_is_internal_name(const char *name) {
    static const char *const internal[] = {"round_decimals", "round_decimals_", "div_trunc", "div_trunc_",
                                           "lerp_scalar", "lerp_scalar_", "trigamma", "trigamma_", NULL};
    for (int i = 0; internal[i]; i++)
        if (!strcmp(internal[i], name)) return 1;
    return 0;
}

#define CT_FASTCALL(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

/* Run a core call without the GIL when the work is large, so other Python
 * threads run meanwhile. Safe: the core never touches Python objects (a
 * NumPy-backed storage's release takes the GIL itself). */
#define CT_NOGIL_NUMEL 65536
#define CT_NOGIL(numel, stmt)                  \
    do {                                       \
        if ((numel) >= CT_NOGIL_NUMEL) {       \
            Py_BEGIN_ALLOW_THREADS stmt;       \
            Py_END_ALLOW_THREADS               \
        } else {                               \
            stmt;                              \
        }                                      \
    } while (0)

#endif
