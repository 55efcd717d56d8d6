/* nn normalization family for Python: torch.batch_norm, layer_norm, group_norm,
 * instance_norm, softmax/log_softmax (also as methods), prelu, selu/celu,
 * dropout and its feature/alpha forms; the activations without a top-level
 * PyTorch twin as ctorch._C._nn_<name> (leaky_relu, elu, gelu, silu, ...),
 * called by ctorch/nn/_functional/norm.py. */
#include "ct_python.h"

/* an optional tensor argument: NULL for None or absent, else the tensor (borrowed) */
static int opt_tensor(const char *fname, const char *name, PyObject *o, ct_tensor **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    if (!ct_is_tensor(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Tensor, not %s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = ct_unwrap(o);
    return 0;
}

/* a float argument with a default */
static int opt_double(const char *fname, const char *name, PyObject *o, double dflt, double *out) {
    *out = dflt;
    return !o || o == Py_None ? 0 : ct_arg_double(fname, name, o, out);
}

static ct_tensor *input_arg(const char *fname, PyObject *o) {
    if (!o) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'input' (pos 1)", fname);
        return NULL;
    }
    return ct_arg_tensor(fname, "input", o);
}

/* torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled) */
static PyObject *f_batch_norm(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "weight", "bias", "running_mean", "running_var", "training",
                                        "momentum", "eps", "cudnn_enabled", NULL};
    PyObject *a[9];
    ct_tensor *x, *p[4];
    bool training;
    double momentum, eps;
    if (ct_parse("batch_norm", args, nargs, kw, names, 9, a) < 0 || !(x = input_arg("batch_norm", a[0]))) return NULL;
    for (int i = 0; i < 4; i++)
        if (opt_tensor("batch_norm", names[i + 1], a[i + 1], &p[i]) < 0) return NULL;
    if (ct_arg_bool("batch_norm", "training", a[5], false, &training) < 0 ||
        opt_double("batch_norm", "momentum", a[6], 0.1, &momentum) < 0 || opt_double("batch_norm", "eps", a[7], 1e-5, &eps) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_batch_norm(x, p[0], p[1], p[2], p[3], training, momentum, eps, NULL, NULL));
    return ct_wrap(r);
}

/* torch.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled) */
static PyObject *f_instance_norm(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "weight", "bias", "running_mean", "running_var", "use_input_stats",
                                        "momentum", "eps", "cudnn_enabled", NULL};
    PyObject *a[9];
    ct_tensor *x, *p[4];
    bool use_input_stats;
    double momentum, eps;
    if (ct_parse("instance_norm", args, nargs, kw, names, 9, a) < 0 || !(x = input_arg("instance_norm", a[0])))
        return NULL;
    for (int i = 0; i < 4; i++)
        if (opt_tensor("instance_norm", names[i + 1], a[i + 1], &p[i]) < 0) return NULL;
    if (ct_arg_bool("instance_norm", "use_input_stats", a[5], true, &use_input_stats) < 0 ||
        opt_double("instance_norm", "momentum", a[6], 0.1, &momentum) < 0 ||
        opt_double("instance_norm", "eps", a[7], 1e-5, &eps) < 0)
        return NULL;
    return ct_wrap(ct_instance_norm(x, p[0], p[1], p[2], p[3], use_input_stats, momentum, eps));
}

/* torch.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True) */
static PyObject *f_layer_norm(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "normalized_shape", "weight", "bias", "eps", "cudnn_enable", NULL};
    PyObject *a[6];
    ct_tensor *x, *w, *b;
    int64_t shape[CT_MAX_DIMS];
    int n;
    double eps;
    if (ct_parse("layer_norm", args, nargs, kw, names, 6, a) < 0 || !(x = input_arg("layer_norm", a[0]))) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "layer_norm() missing required argument 'normalized_shape' (pos 2)");
    if (!PyTuple_Check(a[1]) && !PyList_Check(a[1]) && !PyObject_TypeCheck(a[1], &CTSizeType))
        return PyErr_Format(PyExc_TypeError, "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                            "ints, not %s", Py_TYPE(a[1])->tp_name);
    if (ct_arg_int_list("layer_norm", "normalized_shape", a[1], shape, &n) < 0 ||
        opt_tensor("layer_norm", "weight", a[2], &w) < 0 || opt_tensor("layer_norm", "bias", a[3], &b) < 0 ||
        opt_double("layer_norm", "eps", a[4], 1e-5, &eps) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_layer_norm(x, n, shape, w, b, eps));
    return ct_wrap(r);
}

/* torch.group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True) */
static PyObject *f_group_norm(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "num_groups", "weight", "bias", "eps", "cudnn_enabled", NULL};
    PyObject *a[6];
    ct_tensor *x, *w, *b;
    int64_t groups;
    double eps;
    if (ct_parse("group_norm", args, nargs, kw, names, 6, a) < 0 || !(x = input_arg("group_norm", a[0]))) return NULL;
    if (!a[1]) return PyErr_Format(PyExc_TypeError, "group_norm() missing required argument 'num_groups' (pos 2)");
    if (ct_arg_int("group_norm", "num_groups", a[1], &groups) < 0 || opt_tensor("group_norm", "weight", a[2], &w) < 0 ||
        opt_tensor("group_norm", "bias", a[3], &b) < 0 || opt_double("group_norm", "eps", a[4], 1e-5, &eps) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_group_norm(x, groups, w, b, eps));
    return ct_wrap(r);
}

/* softmax / log_softmax(dim, dtype=None) as methods; the module functions take input first */
static PyObject *softmax_call(const char *fname, bool log, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kw) {
    static const char *const names[] = {"dim", "dtype", NULL};
    PyObject *a[2];
    int64_t dim;
    ct_dtype dtype;
    if (ct_parse(fname, args, nargs, kw, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'dim' (pos 1)", fname);
    if (ct_arg_int(fname, "dim", a[0], &dim) < 0 || ct_arg_dtype(a[1], &dtype) < 0) return NULL;
    ct_tensor *r, *x = ct_unwrap(self);
    CT_NOGIL(ct_numel(x), r = ct_softmax(x, dim, dtype, log));
    return ct_wrap(r);
}
static PyObject *m_softmax(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return softmax_call("softmax", false, s, a, n, k); }
static PyObject *m_log_softmax(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return softmax_call("log_softmax", true, s, a, n, k); }
static PyObject *f_softmax(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("softmax", m_softmax, a, n, k); }
static PyObject *f_log_softmax(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("log_softmax", m_log_softmax, a, n, k); }

static PyObject *m_prelu(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"weight", NULL};
    PyObject *a[1];
    if (ct_parse("prelu", args, nargs, kw, names, 1, a) < 0) return NULL;
    ct_tensor *w = ct_arg_tensor("prelu", "weight", a[0]);
    return w ? ct_wrap(ct_prelu(ct_unwrap(self), w)) : NULL;
}
static PyObject *f_prelu(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("prelu", m_prelu, a, n, k); }

/* _nn_glu(input, dim=-1) */
static PyObject *f_glu(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "dim", NULL};
    PyObject *a[2];
    ct_tensor *x;
    int64_t dim = -1;
    if (ct_parse("glu", args, nargs, kw, names, 2, a) < 0 || !(x = input_arg("glu", a[0]))) return NULL;
    if (a[1] && ct_arg_int("glu", "dim", a[1], &dim) < 0) return NULL;
    return ct_wrap(ct_glu(x, dim));
}

/* ---- dropout(input, p, train) and its in-place, feature and alpha forms ---- */
static PyObject *dropout_call(const char *fname, bool feature, bool alpha, bool inplace, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "p", "train", NULL};
    PyObject *a[3];
    ct_tensor *x;
    double p;
    bool train;
    if (ct_parse(fname, args, nargs, kw, names, 3, a) < 0 || !(x = input_arg(fname, a[0]))) return NULL;
    if (!a[1] || !a[2]) return PyErr_Format(PyExc_TypeError, "%s() missing required arguments 'p' and 'train'", fname);
    if (ct_arg_double(fname, "p", a[1], &p) < 0 || ct_arg_bool(fname, "train", a[2], false, &train) < 0) return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_dropout(x, p, train, feature, alpha, inplace));
    if (r == x) {   /* the input itself (nothing dropped, or in place): the same Python object */
        ct_decref(r);
        Py_INCREF(a[0]);
        return a[0];
    }
    return ct_wrap(r);
}
#define CT_DROPOUT(name, feature, alpha)                                                                      \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {                 \
        return dropout_call(#name, feature, alpha, false, a, n, k);                                          \
    }                                                                                                        \
    static PyObject *f_##name##_(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {              \
        return dropout_call(#name "_", feature, alpha, true, a, n, k);                                       \
    }
CT_DROPOUT(dropout, false, false)
CT_DROPOUT(feature_dropout, true, false)
CT_DROPOUT(alpha_dropout, false, true)
CT_DROPOUT(feature_alpha_dropout, true, true)

/* ---- activations: (input, p0=d0, p1=d1), and an in-place form ---- */
typedef struct {
    const char *name;
    ct_activation kind;
    const char *p0, *p1;   /* parameter names (NULL: none) */
    double d0, d1;         /* their defaults */
} act_spec;

static PyObject *act_call(const act_spec *s, bool inplace, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    const char *names[4] = {"input", s->p0, s->p1, NULL};
    if (!s->p0) names[1] = NULL;
    PyObject *a[3];
    ct_tensor *x;
    double p[2] = {s->d0, s->d1};
    int npos = 1 + (s->p0 != NULL) + (s->p1 != NULL);
    if (ct_parse(s->name, args, nargs, kw, names, npos, a) < 0 || !(x = input_arg(s->name, a[0]))) return NULL;
    for (int i = 1; i < npos; i++)
        if (opt_double(s->name, names[i], a[i], p[i - 1], &p[i - 1]) < 0) return NULL;
    if (s->kind == CT_ACT_HARDTANH && p[0] > p[1])
        return PyErr_Format(PyExc_ValueError, "min_val cannot be greater than max_val");
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_activation_op(s->kind, x, p[0], p[1], inplace));
    if (r && inplace) {
        ct_decref(r);
        Py_INCREF(a[0]);
        return a[0];
    }
    return ct_wrap(r);
}

/* F.gelu's approximate='none' | 'tanh' */
static PyObject *f_gelu(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "approximate", NULL}, *const modes[] = {"none", "tanh", NULL};
    PyObject *a[2];
    ct_tensor *x;
    if (ct_parse("gelu", args, nargs, kw, names, 2, a) < 0 || !(x = input_arg("gelu", a[0]))) return NULL;
    int mode = a[1] ? ct_arg_choice("gelu", "approximate", a[1], modes) : 0;
    if (mode < 0) return NULL;
    if (mode == 2) return PyErr_Format(PyExc_RuntimeError, "approximate argument must be either none or tanh.");
    ct_tensor *r;
    CT_NOGIL(ct_numel(x), r = ct_activation_op(mode ? CT_ACT_GELU_TANH : CT_ACT_GELU, x, 0, 0, false));
    return ct_wrap(r);
}

#define NO_PARAMS NULL, NULL, 0, 0
static const act_spec acts[] = {
    {"leaky_relu", CT_ACT_LEAKY_RELU, "negative_slope", NULL, 0.01, 0},
    {"elu", CT_ACT_ELU, "alpha", NULL, 1, 0},
    {"selu", CT_ACT_SELU, NO_PARAMS},
    {"celu", CT_ACT_CELU, "alpha", NULL, 1, 0},
    {"silu", CT_ACT_SILU, NO_PARAMS},
    {"mish", CT_ACT_MISH, NO_PARAMS},
    {"hardswish", CT_ACT_HARDSWISH, NO_PARAMS},
    {"hardsigmoid", CT_ACT_HARDSIGMOID, NO_PARAMS},
    {"hardtanh", CT_ACT_HARDTANH, "min_val", "max_val", -1, 1},
    {"softplus", CT_ACT_SOFTPLUS, "beta", "threshold", 1, 20},
    {"log_sigmoid", CT_ACT_LOGSIGMOID, NO_PARAMS},
};
#define CT_ACT_FN1(i, name)                                                                                   \
    static PyObject *f_##name(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {                 \
        return act_call(&acts[i], false, a, n, k);                                                           \
    }
#define CT_ACT_FN(i, name)                                                                                    \
    CT_ACT_FN1(i, name)                                                                                      \
    static PyObject *f_##name##_(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {              \
        return act_call(&acts[i], true, a, n, k);                                                            \
    }
CT_ACT_FN(0, leaky_relu)
CT_ACT_FN(1, elu)
CT_ACT_FN(2, selu)
CT_ACT_FN(3, celu)
CT_ACT_FN(4, silu)
CT_ACT_FN(5, mish)
CT_ACT_FN(6, hardswish)
CT_ACT_FN(7, hardsigmoid)
CT_ACT_FN(8, hardtanh)
CT_ACT_FN(9, softplus)
CT_ACT_FN1(10, log_sigmoid)

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_NN_ENTRIES(name) CT_ENTRY("_nn_" #name, f_##name) CT_ENTRY("_nn_" #name "_", f_##name##_)

PyMethodDef ct_nn_norm_methods[] = {
    CT_ENTRY("softmax", m_softmax) CT_ENTRY("log_softmax", m_log_softmax) CT_ENTRY("prelu", m_prelu)
    {NULL},
};

PyMethodDef ct_nn_norm_functions[] = {
    CT_ENTRY("batch_norm", f_batch_norm) CT_ENTRY("instance_norm", f_instance_norm)
    CT_ENTRY("layer_norm", f_layer_norm) CT_ENTRY("group_norm", f_group_norm)
    CT_ENTRY("softmax", f_softmax) CT_ENTRY("log_softmax", f_log_softmax) CT_ENTRY("prelu", f_prelu)
    CT_ENTRY("selu", f_selu) CT_ENTRY("selu_", f_selu_) CT_ENTRY("celu", f_celu) CT_ENTRY("celu_", f_celu_)
    CT_ENTRY("dropout", f_dropout) CT_ENTRY("dropout_", f_dropout_)
    CT_ENTRY("feature_dropout", f_feature_dropout) CT_ENTRY("feature_dropout_", f_feature_dropout_)
    CT_ENTRY("alpha_dropout", f_alpha_dropout) CT_ENTRY("alpha_dropout_", f_alpha_dropout_)
    CT_ENTRY("feature_alpha_dropout", f_feature_alpha_dropout)
    CT_ENTRY("feature_alpha_dropout_", f_feature_alpha_dropout_)
    CT_NN_ENTRIES(leaky_relu) CT_NN_ENTRIES(elu) CT_NN_ENTRIES(silu) CT_NN_ENTRIES(mish)
    CT_NN_ENTRIES(hardswish) CT_NN_ENTRIES(hardsigmoid) CT_NN_ENTRIES(hardtanh) CT_NN_ENTRIES(softplus)
    CT_ENTRY("_nn_log_sigmoid", f_log_sigmoid) CT_ENTRY("_nn_gelu", f_gelu) CT_ENTRY("_nn_glu", f_glu)
    {NULL},
};
