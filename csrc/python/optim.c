/* Optimizer steps for Python: ctorch._C._<name>_step(params, grads, <state lists>, [steps,] <options>)
 * updates a whole parameter group in one call (ops/optim.c). Arguments are
 * described by tables: where each one goes in the ct_optim_group. */
#include "ct_python.h"   /* (Python.h before the standard headers) */

#include <stddef.h>
#include <string.h>

typedef enum { ARG_LIST, ARG_DOUBLE, ARG_BOOL } arg_kind;
typedef struct {
    const char *name;
    arg_kind kind;
    size_t offset;   /* of the field in ct_optim_group */
} arg_spec;

#define LIST(name, field) {name, ARG_LIST, offsetof(ct_optim_group, field)}
#define NUM(name, field) {name, ARG_DOUBLE, offsetof(ct_optim_group, field)}
#define FLAG(name, field) {name, ARG_BOOL, offsetof(ct_optim_group, field)}
#define MAX_ARGS 16

/* a list of tensors (None entries: NULL) into a new array of n entries; None or [] leave *out NULL (unused) */
static int tensor_list(const char *fname, const char *name, PyObject *seq, Py_ssize_t *n, ct_tensor ***out) {
    if (seq == Py_None) return 0;
    PyObject *fast = PySequence_Fast(seq, "expected a list of tensors");
    if (!fast) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    int rc = 0;
    if (*n < 0) {
        *n = len;   /* the first list (params) sets the length */
    } else if (len && len != *n) {
        PyErr_Format(PyExc_ValueError, "%s(): %s has %zd entries, params has %zd", fname, name, len, *n);
        rc = -1;
    }
    if (rc == 0 && len) {
        *out = PyMem_Calloc((size_t)(len ? len : 1), sizeof(ct_tensor *));
        if (!*out) rc = (PyErr_NoMemory(), -1);
    }
    for (Py_ssize_t i = 0; rc == 0 && i < len; i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
        if (o != Py_None && !((*out)[i] = ct_arg_tensor(fname, name, o))) rc = -1;
    }
    Py_DECREF(fast);   /* the caller's lists keep the tensors alive */
    return rc;
}

/* SGD's result: its momentum buffers as a list (the Python objects of those given, new ones for those made) */
static PyObject *buffer_list(ct_tensor *const *bufs, Py_ssize_t n) {
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *o = ct_wrap(ct_incref(bufs[i]));
        if (!o) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, o);
    }
    return out;
}

/* parse by spec into a group of `kind`, run the step, free the lists */
static PyObject *optim_call(const char *fname, ct_optim_kind kind, const arg_spec *spec, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames) {
    const char *names[MAX_ARGS + 1];
    PyObject *vals[MAX_ARGS];
    int na = 0;
    for (; spec[na].name; na++) names[na] = spec[na].name;
    names[na] = NULL;
    if (ct_parse(fname, args, nargs, kwnames, names, na, vals) < 0) return NULL;
    ct_optim_group g = {.kind = kind};
    Py_ssize_t n = -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < na; i++) {
        char *field = (char *)&g + spec[i].offset;
        if (!vals[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname, names[i]);
            rc = -1;
        } else if (spec[i].kind == ARG_LIST) {
            rc = tensor_list(fname, names[i], vals[i], &n, (ct_tensor ***)field);
        } else if (spec[i].kind == ARG_DOUBLE) {
            rc = ct_arg_double(fname, names[i], vals[i], (double *)field);
        } else {
            rc = ct_arg_bool(fname, names[i], vals[i], false, (bool *)field);
        }
    }
    PyObject *result = NULL;
    ct_tensor **given = NULL;   /* SGD's momentum buffers as passed (NULL: the step makes one) */
    if (rc == 0 && n > INT32_MAX) rc = (PyErr_SetString(PyExc_ValueError, "too many parameters"), -1);
    if (rc == 0 && kind == CT_OPTIM_SGD && g.states[0]) {
        if ((given = PyMem_Malloc(sizeof *given * (size_t)n))) memcpy(given, g.states[0], sizeof *given * (size_t)n);
        else rc = (PyErr_NoMemory(), -1);
    }
    if (rc == 0) {
        g.n = (int)n;
        int64_t numel = 0;
        for (int i = 0; i < g.n; i++) numel += g.params[i] ? ct_numel(g.params[i]) : 0;
        for (int i = 0; rc == 0 && i < g.n; i++)
            if (!g.params[i] || !g.grads || !g.grads[i])
                rc = (PyErr_Format(PyExc_TypeError, "%s(): params and grads must be tensors", fname), -1);
        if (rc == 0) CT_NOGIL(numel, rc = ct_optim_step(&g));
        if (rc == 0 && kind == CT_OPTIM_SGD && g.momentum != 0) result = buffer_list(g.states[0], n);
        else if (rc == 0) result = (Py_INCREF(Py_None), Py_None);
        else if (!PyErr_Occurred()) ct_raise();
    }
    for (Py_ssize_t i = 0; given && i < n; i++)   /* drop the step's references to the buffers it made */
        if (!given[i]) ct_xdecref(g.states[0][i]);
    PyMem_Free(given);
    ct_tensor **lists[] = {g.params, g.grads, g.states[0], g.states[1], g.states[2], g.steps, g.mu_products};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) PyMem_Free(lists[i]);
    return result;
}

static const arg_spec sgd_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("momentum_buffers", states[0]), NUM("lr", lr),
    NUM("momentum", momentum), NUM("dampening", dampening), NUM("weight_decay", weight_decay),
    FLAG("nesterov", nesterov), FLAG("maximize", maximize), {NULL}};
static const arg_spec adam_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("exp_avgs", states[0]), LIST("exp_avg_sqs", states[1]),
    LIST("max_exp_avg_sqs", states[2]), LIST("steps", steps), NUM("lr", lr), NUM("beta1", beta1),
    NUM("beta2", beta2), NUM("eps", eps), NUM("weight_decay", weight_decay), FLAG("amsgrad", amsgrad),
    FLAG("maximize", maximize), FLAG("decoupled", decoupled), {NULL}};
static const arg_spec rmsprop_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("square_avgs", states[0]),
    LIST("momentum_buffers", states[1]), LIST("grad_avgs", states[2]), LIST("steps", steps), NUM("lr", lr),
    NUM("alpha", alpha), NUM("eps", eps), NUM("weight_decay", weight_decay), NUM("momentum", momentum),
    FLAG("centered", centered), FLAG("maximize", maximize), {NULL}};
static const arg_spec adagrad_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("state_sums", states[0]), LIST("steps", steps),
    NUM("lr", lr), NUM("weight_decay", weight_decay), NUM("lr_decay", lr_decay), NUM("eps", eps),
    FLAG("maximize", maximize), {NULL}};
static const arg_spec adadelta_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("square_avgs", states[0]), LIST("acc_deltas", states[1]),
    LIST("steps", steps), NUM("lr", lr), NUM("rho", alpha), NUM("eps", eps), NUM("weight_decay", weight_decay),
    FLAG("maximize", maximize), {NULL}};
static const arg_spec adamax_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("exp_avgs", states[0]), LIST("exp_infs", states[1]),
    LIST("steps", steps), NUM("lr", lr), NUM("beta1", beta1), NUM("beta2", beta2), NUM("eps", eps),
    NUM("weight_decay", weight_decay), FLAG("maximize", maximize), {NULL}};
static const arg_spec nadam_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("exp_avgs", states[0]), LIST("exp_avg_sqs", states[1]),
    LIST("mu_products", mu_products), LIST("steps", steps), NUM("lr", lr), NUM("beta1", beta1),
    NUM("beta2", beta2), NUM("eps", eps), NUM("weight_decay", weight_decay),
    NUM("momentum_decay", momentum_decay), FLAG("decoupled", decoupled), FLAG("maximize", maximize), {NULL}};
static const arg_spec radam_args[] = {
    LIST("params", params), LIST("grads", grads), LIST("exp_avgs", states[0]), LIST("exp_avg_sqs", states[1]),
    LIST("steps", steps), NUM("lr", lr), NUM("beta1", beta1), NUM("beta2", beta2), NUM("eps", eps),
    NUM("weight_decay", weight_decay), FLAG("decoupled", decoupled), FLAG("maximize", maximize), {NULL}};

#define CT_OPTIM_FN(name, KIND)                                                                     \
    static PyObject *f_##name(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) { \
        return optim_call("_" #name "_step", CT_OPTIM_##KIND, name##_args, args, nargs, kw);        \
    }
CT_OPTIM_FN(sgd, SGD)
CT_OPTIM_FN(adam, ADAM)
CT_OPTIM_FN(rmsprop, RMSPROP)
CT_OPTIM_FN(adagrad, ADAGRAD)
CT_OPTIM_FN(adadelta, ADADELTA)
CT_OPTIM_FN(adamax, ADAMAX)
CT_OPTIM_FN(nadam, NADAM)
CT_OPTIM_FN(radam, RADAM)

PyMethodDef ct_optim_functions[] = {
    {"_sgd_step", CT_FASTCALL(f_sgd), NULL},
    {"_adam_step", CT_FASTCALL(f_adam), NULL},
    {"_rmsprop_step", CT_FASTCALL(f_rmsprop), NULL},
    {"_adagrad_step", CT_FASTCALL(f_adagrad), NULL},
    {"_adadelta_step", CT_FASTCALL(f_adadelta), NULL},
    {"_adamax_step", CT_FASTCALL(f_adamax), NULL},
    {"_nadam_step", CT_FASTCALL(f_nadam), NULL},
    {"_radam_step", CT_FASTCALL(f_radam), NULL},
    {NULL},
};
