/* Random numbers from Python: the Generator type, the default generator and
 * its module functions (manual_seed, seed, initial_seed, get/set_rng_state),
 * the random factories and the in-place distribution methods. */
#include "ct_python.h"

/* ---- ctorch.Generator: owns a ct_generator, or borrows the default one ---- */
typedef struct {
    PyObject_HEAD
    ct_generator *g;
    bool owned;
} CTGenerator;

static PyTypeObject CTGeneratorType;
static PyObject *default_generator;   /* the Python object of the default CPU generator */

static PyObject *generator_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"device", NULL};
    PyObject *dev_obj = NULL;
    ct_device dev;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:Generator", names, &dev_obj) || ct_arg_device(dev_obj, &dev) < 0)
        return NULL;
    if (dev.type != CT_DEV_CPU)
        return PyErr_Format(PyExc_RuntimeError, "Generator: only CPU generators exist in ctorch so far (the CUDA "
                            "random kernels have not landed)");
    CTGenerator *self = (CTGenerator *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->g = ct_generator_new(dev, CT_DEFAULT_RNG_SEED);
    self->owned = true;
    if (!self->g) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void generator_dealloc(PyObject *self) {
    CTGenerator *o = (CTGenerator *)self;
    if (o->owned) ct_generator_free(o->g);
    Py_TYPE(self)->tp_free(self);
}

static ct_generator *gen_of(PyObject *self) { return ((CTGenerator *)self)->g; }

/* a seed as PyTorch takes it: an int in [-2^63, 2^64), negative ones as their two's complement */
static int seed_value(PyObject *seed, uint64_t *out) {
    if (!PyLong_Check(seed) && !PyIndex_Check(seed)) {
        PyErr_Format(PyExc_RuntimeError, "manual_seed expected a long, but got %s", Py_TYPE(seed)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(seed);
    if (!i) return -1;
    unsigned long long u = PyLong_AsUnsignedLongLong(i);
    if (u == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        long long v = PyLong_AsLongLong(i);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            Py_DECREF(i);
            PyErr_SetString(PyExc_ValueError, "Overflow when unpacking long long");
            return -1;
        }
        u = (unsigned long long)v;
    }
    Py_DECREF(i);
    *out = u;
    return 0;
}

static PyObject *g_manual_seed(PyObject *self, PyObject *seed) {
    uint64_t s;
    if (seed_value(seed, &s) < 0) return NULL;
    ct_generator_lock(gen_of(self));
    ct_generator_manual_seed(gen_of(self), s);
    ct_generator_unlock(gen_of(self));
    Py_INCREF(self);
    return self;
}

static PyObject *g_seed(PyObject *self, PyObject *unused) {
    ct_generator_lock(gen_of(self));
    uint64_t s = ct_generator_seed(gen_of(self));
    ct_generator_unlock(gen_of(self));
    return PyLong_FromUnsignedLongLong(s);
}

static PyObject *g_initial_seed(PyObject *self, PyObject *unused) {
    return PyLong_FromUnsignedLongLong(gen_of(self)->seed);
}

static PyObject *g_get_state(PyObject *self, PyObject *unused) {
    int64_t n = CT_RNG_STATE_BYTES;
    ct_tensor *t = ct_empty(1, &n, CT_UINT8, ct_cpu());
    if (!t) return ct_raise();
    ct_generator_lock(gen_of(self));
    ct_generator_get_state(gen_of(self), (uint8_t *)ct_data(t));
    ct_generator_unlock(gen_of(self));
    return ct_wrap(t);
}

static PyObject *g_set_state(PyObject *self, PyObject *state) {
    if (!ct_is_tensor(state))
        return PyErr_Format(PyExc_TypeError, "expected a torch.ByteTensor, but got %s", Py_TYPE(state)->tp_name);
    ct_tensor *t = ct_unwrap(state);
    if (t->dtype != CT_UINT8 || ct_device_of(t).type != CT_DEV_CPU)
        return PyErr_Format(PyExc_TypeError, "RNG state must be a torch.ByteTensor");
    ct_tensor *c = ct_contiguous(t);
    if (!c) return ct_raise();
    ct_generator_lock(gen_of(self));
    int rc = ct_generator_set_state(gen_of(self), (const uint8_t *)ct_data(c), ct_numel(c));
    ct_generator_unlock(gen_of(self));
    ct_decref(c);
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

static PyObject *g_device(PyObject *self, void *unused) { return ct_device_object(gen_of(self)->device); }

static PyMethodDef generator_methods[] = {
    {"manual_seed", g_manual_seed, METH_O, NULL},
    {"seed", g_seed, METH_NOARGS, NULL},
    {"initial_seed", g_initial_seed, METH_NOARGS, NULL},
    {"get_state", g_get_state, METH_NOARGS, NULL},
    {"set_state", g_set_state, METH_O, NULL},
    {NULL},
};

static PyGetSetDef generator_getset[] = {
    {"device", g_device, NULL, NULL, NULL},
    {NULL},
};

static PyTypeObject CTGeneratorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C.Generator",
    .tp_basicsize = sizeof(CTGenerator),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = generator_new,
    .tp_dealloc = generator_dealloc,
    .tp_methods = generator_methods,
    .tp_getset = generator_getset,
};

/* generator= : None for the default generator; -1 (no exception set) for anything else */
static int arg_generator(PyObject *o, ct_generator **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    if (!PyObject_TypeCheck(o, &CTGeneratorType)) return -1;
    *out = gen_of(o);
    return 0;
}

/* the generator of a method call, or PyTorch's TypeError */
static int method_generator(const char *fname, PyObject *o, ct_generator **out) {
    if (arg_generator(o, out) == 0) return 0;
    PyErr_Format(PyExc_TypeError, "%s(): argument 'generator' must be torch.Generator, not %s", fname, Py_TYPE(o)->tp_name);
    return -1;
}

/* ---- PyTorch's TypeError for a call that none of an op's signatures takes ---- */
#define FACTORY_KW                                                                                                 \
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool " \
    "pin_memory = False, bool requires_grad = False"
#define LIKE_KW                                                                                                   \
    "torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, torch.device " \
    "device = None, bool pin_memory = False, bool requires_grad = False"
static const char *const rand_sigs[] = {"tuple of ints size, *, torch.Generator generator, " FACTORY_KW,
                                        "tuple of ints size, *, " FACTORY_KW, NULL};
static const char *const randint_sigs[] = {
    "int high, tuple of ints size, *, torch.Generator generator, " FACTORY_KW, "int high, tuple of ints size, *, " FACTORY_KW,
    "int low, int high, tuple of ints size, *, torch.Generator generator, " FACTORY_KW,
    "int low, int high, tuple of ints size, *, " FACTORY_KW, NULL};
static const char *const normal_sigs[] = {
    "Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torch.Generator generator = None, " FACTORY_KW, NULL};
static const char *const bernoulli_sigs[] = {"Tensor input, *, torch.Generator generator = None, Tensor out = None",
                                             "Tensor input, float p, *, torch.Generator generator = None", NULL};
static const char *const like_sigs[] = {"Tensor input, *, torch.Generator generator, " LIKE_KW, "Tensor input, *, " LIKE_KW,
                                        NULL};
static const char *const randperm_sigs[] = {"int n, *, torch.Generator generator, " FACTORY_KW, "int n, *, " FACTORY_KW,
                                            NULL};
static const char *const randint_like_sigs[] = {
    "Tensor input, int low, int high, *, torch.Generator generator, " LIKE_KW, "Tensor input, int low, int high, *, " LIKE_KW,
    "Tensor input, Tensor high, *, torch.Generator generator, " LIKE_KW, "Tensor input, Tensor high, *, " LIKE_KW,
    "Tensor input, int high, *, torch.Generator generator, " LIKE_KW, "Tensor input, int high, *, " LIKE_KW, NULL};
static const char *const random_sigs[] = {"*, torch.Generator generator = None",
                                          "int from, int to, *, torch.Generator generator = None",
                                          "int to, *, torch.Generator generator = None", NULL};

static const char *type_name(PyObject *o) { return ct_is_tensor(o) ? "Tensor" : Py_TYPE(o)->tp_name; }

static PyObject *invalid_call(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                              const char *const *sigs) {
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s() received an invalid combination of arguments - got (", fname);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nargs + nkw && n < (int)sizeof buf; i++) {
        const char *sep = i ? ", " : "";
        if (i < nargs) n += snprintf(buf + n, sizeof buf - n, "%s%s", sep, type_name(args[i]));
        else n += snprintf(buf + n, sizeof buf - n, "%s%s=%s", sep, PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i - nargs)),
                           type_name(args[i]));
    }
    if (nargs == 0 && nkw > 0 && n < (int)sizeof buf) n += snprintf(buf + n, sizeof buf - n, ", ");   /* PyTorch's too */
    if (n < (int)sizeof buf) n += snprintf(buf + n, sizeof buf - n, "), but expected one of:\n");
    for (int i = 0; sigs[i] && n < (int)sizeof buf; i++) n += snprintf(buf + n, sizeof buf - n, " * (%s)\n", sigs[i]);
    PyErr_SetString(PyExc_TypeError, buf);
    return NULL;
}

/* an int argument; pos > 0 names its position in the message, as PyTorch does */
static int int_arg(const char *fname, const char *name, int pos, PyObject *o, int64_t *v) {
    if (ct_arg_int(fname, name, o, v) == 0) return 0;
    if (pos > 0 && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' (position %d) must be int, not %s", fname, name, pos,
                     Py_TYPE(o)->tp_name);
    }
    return -1;
}

static bool is_size(PyObject *o) { return PyTuple_Check(o) || PyList_Check(o); }

/* ---- module functions of the default generator ---- */
static PyObject *f_manual_seed(PyObject *m, PyObject *seed) {
    PyObject *i = PyNumber_Long(seed);   /* torch.manual_seed calls int(seed) first */
    if (!i) return NULL;
    PyObject *r = g_manual_seed(default_generator, i);
    Py_DECREF(i);
    return r;
}
static PyObject *f_seed(PyObject *m, PyObject *unused) { return g_seed(default_generator, NULL); }
static PyObject *f_initial_seed(PyObject *m, PyObject *unused) { return g_initial_seed(default_generator, NULL); }
static PyObject *f_get_rng_state(PyObject *m, PyObject *unused) { return g_get_state(default_generator, NULL); }
static PyObject *f_set_rng_state(PyObject *m, PyObject *state) {
    PyObject *r = g_set_state(default_generator, state);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

int ct_random_init(PyObject *module) {
    if (PyType_Ready(&CTGeneratorType) < 0) return -1;
    CTGenerator *d = PyObject_New(CTGenerator, &CTGeneratorType);
    if (!d) return -1;
    d->g = ct_default_generator(CT_DEV_CPU);
    d->owned = false;
    default_generator = (PyObject *)d;
    if (PyModule_AddObjectRef(module, "Generator", (PyObject *)&CTGeneratorType) < 0) return -1;
    return PyModule_AddObjectRef(module, "default_generator", default_generator);
}

/* ---- factories ---- */

/* where a factory draws: out= (which must have the result's shape) or a new tensor */
static ct_tensor *target(const char *fname, const factory_opts *o, int nd, const int64_t *sizes, ct_dtype dt) {
    if (!o->out) {
        ct_tensor *t = ct_empty(nd, sizes, dt, o->device);
        return t ? t : (ct_tensor *)ct_raise();
    }
    if (!ct_is_tensor(o->out)) return (ct_tensor *)PyErr_Format(PyExc_TypeError, "%s(): argument 'out' must be Tensor", fname);
    ct_tensor *t = ct_unwrap(o->out);
    if (t->ndim != nd || memcmp(t->sizes, sizes, sizeof(int64_t) * (size_t)nd))
        return (ct_tensor *)PyErr_Format(PyExc_RuntimeError, "%s(): out= with a different shape is not supported", fname);
    return ct_incref(t);
}

/* the result of a fill into t (consumed): out= itself, or the new tensor */
static PyObject *filled(ct_tensor *t, int rc, const factory_opts *o) {
    if (rc < 0) {
        ct_decref(t);
        return ct_raise();
    }
    if (o->out) {
        ct_decref(t);
        Py_INCREF(o->out);
        return o->out;
    }
    return factory_result(t, o);   /* requires_grad= */
}

/* rand / randn(*size, generator=None, out=None, dtype=None, device=None, ...) */
static PyObject *sized_random(const char *fname, bool normal, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"size", "generator", NULL};
    if (parse_factory_opts(fname, args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    ct_generator *g;
    if ((nargs == 0) == !kw[0] || arg_generator(kw[1], &g) < 0)   /* sizes as positionals or size=, once */
        return invalid_call(fname, args, nargs, kwnames, rand_sigs);
    int64_t sizes[CT_MAX_DIMS];
    int nd = kw[0] ? ct_arg_sizes(fname, kw, 1, sizes) : ct_arg_sizes(fname, args, nargs, sizes);
    if (nd < 0) return NULL;
    ct_tensor *t = target(fname, &o, nd, sizes, o.dtype == CT_UNDEFINED ? ct_get_default_dtype() : o.dtype);
    if (!t) return NULL;
    int rc;
    CT_NOGIL(ct_numel(t), rc = normal ? ct_normal_(t, 0, 1, g) : ct_uniform_(t, 0, 1, g));
    return filled(t, rc, &o);
}
static PyObject *f_rand(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sized_random("rand", false, a, n, k); }
static PyObject *f_randn(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return sized_random("randn", true, a, n, k); }

/* randint(low=0, high, size, *, generator=None, out=None, dtype=None, device=None, ...) */
static PyObject *f_randint(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[4] = {NULL, NULL, NULL, NULL};
    static const char *const extra[] = {"low", "high", "size", "generator", NULL};
    if (parse_factory_opts("randint", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    /* positionals: (high, size), or (low, high, size) when there are three or a keyword takes
       the slot after them: randint(0, 10, size=(3,)), randint(2, high=9, size=(3,)) */
    Py_ssize_t first = nargs == 3 || (nargs > 0 && nargs < 3 && kw[nargs]) ? 0 : 1;
    bool ok = nargs <= 3 && !(nargs > 0 && kw[0]);
    for (Py_ssize_t i = 0; ok && i < nargs; i++) {
        PyObject **slot = &kw[first + i];
        ok = !*slot;
        *slot = args[i];
    }
    ct_generator *g;
    ok = ok && kw[1] && kw[2] && arg_generator(kw[3], &g) == 0;
    if (ok && nargs == 3) {   /* three positionals match no signature unless all fit */
        int64_t v;
        ok = is_size(kw[2]) && ct_arg_int("randint", "low", kw[0], &v) == 0 && ct_arg_int("randint", "high", kw[1], &v) == 0;
        PyErr_Clear();
    }
    if (!ok) return invalid_call("randint", args, nargs, kwnames, randint_sigs);
    int64_t low = 0, high, sizes[CT_MAX_DIMS];
    int nd;
    if (!is_size(kw[2]))
        return PyErr_Format(PyExc_TypeError, "randint(): argument 'size' (position 2) must be tuple of ints, not %s",
                            Py_TYPE(kw[2])->tp_name);
    if ((kw[0] && int_arg("randint", "low", 0, kw[0], &low) < 0) || int_arg("randint", "high", nargs ? 1 : 0, kw[1], &high) < 0 ||
        (nd = ct_arg_sizes("randint", &kw[2], 1, sizes)) < 0)
        return NULL;
    ct_tensor *t = target("randint", &o, nd, sizes, o.dtype == CT_UNDEFINED ? CT_INT64 : o.dtype);
    if (!t) return NULL;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_random_(t, true, low, true, high, g));
    return filled(t, rc, &o);
}

/* randperm(n, *, generator=None, out=None, dtype=torch.int64, device=None, ...) */
static PyObject *f_randperm(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[2] = {NULL, NULL};
    static const char *const extra[] = {"n", "generator", NULL};
    if (parse_factory_opts("randperm", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    PyObject *n_obj = nargs ? args[0] : kw[0];
    int64_t n;
    ct_generator *g;
    if (nargs > 1 || (nargs == 1 && kw[0]) || !n_obj) return invalid_call("randperm", args, nargs, kwnames, randperm_sigs);
    if (int_arg("randperm", "n", nargs, n_obj, &n) < 0 || method_generator("randperm", kw[1], &g) < 0) return NULL;
    ct_tensor *t;
    CT_NOGIL(n, t = ct_randperm(n, o.dtype == CT_UNDEFINED ? CT_INT64 : o.dtype, o.device, g));
    return factory_result(t, &o);
}

/* normal(mean, std, *, generator, out) with a tensor mean and/or std, or
 * normal(mean: float, std: float, size, *, generator, out, dtype, device, ...) */
static PyObject *f_normal(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[4] = {NULL, NULL, NULL, NULL};
    static const char *const extra[] = {"mean", "std", "size", "generator", NULL};
    if (parse_factory_opts("normal", args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    bool ok = nargs <= 3;
    for (Py_ssize_t i = 0; ok && i < nargs; i++) {
        ok = !kw[i];
        kw[i] = args[i];
    }
    PyObject *mean = kw[0], *std = kw[1], *size = kw[2];
    ct_generator *g;
    bool tensors = ok && mean && (ct_is_tensor(mean) || (std && ct_is_tensor(std)));
    /* tensor forms take no size; the number form needs std and size */
    ok = ok && mean && arg_generator(kw[3], &g) == 0 && (tensors ? !size : std && size);
    if (!ok) return invalid_call("normal", args, nargs, kwnames, normal_sigs);
    double mv = 0, sv = 1;
    if ((!ct_is_tensor(mean) && ct_arg_double("normal", "mean", mean, &mv) < 0) ||
        (std && !ct_is_tensor(std) && ct_arg_double("normal", "std", std, &sv) < 0))
        return NULL;
    if (tensors) {
        ct_tensor *r;
        ct_tensor *mt = ct_is_tensor(mean) ? ct_unwrap(mean) : NULL, *st = std && ct_is_tensor(std) ? ct_unwrap(std) : NULL;
        CT_NOGIL(ct_numel(mt ? mt : st), r = ct_normal_tensors(mt, mv, st, sv, g));
        return factory_result(r, &o);
    }
    int64_t sizes[CT_MAX_DIMS];
    int nd = ct_arg_sizes("normal", &size, 1, sizes);
    if (nd < 0) return NULL;
    ct_tensor *t = target("normal", &o, nd, sizes, o.dtype == CT_UNDEFINED ? ct_get_default_dtype() : o.dtype);
    if (!t) return NULL;
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_normal_(t, mv, sv, g));
    return filled(t, rc, &o);
}

/* rand_like / randn_like(input, *, generator, dtype, device, ...) and
 * randint_like(input, low=0, high, *, generator, dtype, device, ...) */
typedef enum { LIKE_RAND, LIKE_RANDN, LIKE_RANDINT } like_kind;
static PyObject *like_random(const char *fname, like_kind kind, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
    factory_opts o;
    PyObject *kw[4] = {NULL, NULL, NULL, NULL};
    static const char *const extra[] = {"input", "low", "high", "generator", NULL};
    if (parse_factory_opts(fname, args + nargs, kwnames, 0, &o, kw, extra) < 0) return NULL;
    if (nargs > (kind == LIKE_RANDINT ? 3 : 1))
        return PyErr_Format(PyExc_TypeError, "%s() takes too many positional arguments", fname);
    if (nargs >= 1) kw[0] = args[0];
    if (nargs == 2) kw[2] = args[1];   /* randint_like(input, high) */
    if (nargs == 3) kw[1] = args[1], kw[2] = args[2];
    ct_tensor *x = ct_arg_tensor(fname, "input", kw[0]);
    ct_generator *g;
    if (!x) return NULL;
    if (arg_generator(kw[3], &g) < 0)
        return kind == LIKE_RANDINT ? (method_generator(fname, kw[3], &g), NULL)
                                    : invalid_call(fname, args, nargs, kwnames, like_sigs);
    int64_t low = 0, high = 0;
    if (kind == LIKE_RANDINT) {
        if (!kw[2]) return invalid_call(fname, args, nargs, kwnames, randint_like_sigs);
        if ((kw[1] && ct_arg_int(fname, "low", kw[1], &low) < 0) || ct_arg_int(fname, "high", kw[2], &high) < 0)
            return NULL;
    }
    ct_dtype dt = o.dtype == CT_UNDEFINED ? x->dtype : o.dtype;
    bool dev_given = false;
    for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); k++)
        dev_given |= PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, k), "device") == 0;
    ct_tensor *t = dev_given && !ct_device_eq(o.device, ct_device_of(x)) ? ct_empty(x->ndim, x->sizes, dt, o.device)
                                                                         : ct_empty_like(x, dt);
    if (!t) return ct_raise();
    int rc;
    CT_NOGIL(ct_numel(t), rc = kind == LIKE_RAND    ? ct_uniform_(t, 0, 1, g)
                              : kind == LIKE_RANDN ? ct_normal_(t, 0, 1, g)
                                                   : ct_random_(t, true, low, true, high, g));
    o.out = NULL;
    return filled(t, rc, &o);
}
static PyObject *f_rand_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_random("rand_like", LIKE_RAND, a, n, k); }
static PyObject *f_randn_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_random("randn_like", LIKE_RANDN, a, n, k); }
static PyObject *f_randint_like(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return like_random("randint_like", LIKE_RANDINT, a, n, k); }

/* poisson(input, generator=None) */
static PyObject *f_poisson(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"input", "generator", NULL};
    PyObject *a[2];
    ct_generator *g;
    if (ct_parse("poisson", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *x = ct_arg_tensor("poisson", "input", a[0]), *r;
    if (!x || method_generator("poisson", a[1], &g) < 0) return NULL;
    CT_NOGIL(ct_numel(x), r = ct_poisson(x, g));
    return ct_wrap(r);
}

/* _standard_gamma(input, generator=None) and _sample_dirichlet(input, generator=None) */
static PyObject *gamma_call(const char *fname, ct_tensor *(*fn)(ct_tensor *, ct_generator *), PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"input", "generator", NULL};
    PyObject *a[2];
    ct_generator *g;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0) return NULL;
    ct_tensor *x = ct_arg_tensor(fname, "input", a[0]), *r;
    if (!x || method_generator(fname, a[1], &g) < 0) return NULL;
    CT_NOGIL(ct_numel(x), r = fn(x, g));
    return ct_wrap(r);
}
static PyObject *f_standard_gamma(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return gamma_call("_standard_gamma", ct_standard_gamma, a, n, k);
}
static PyObject *f_sample_dirichlet(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return gamma_call("_sample_dirichlet", ct_sample_dirichlet, a, n, k);
}

/* ---- methods (and the functions that share them) ---- */

/* bernoulli of x: p a number, or (p NULL / None) x's values as the probabilities */
static PyObject *bernoulli_of(PyObject *x_obj, PyObject *p_obj, PyObject *gen, PyObject *out, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames) {
    ct_generator *g;
    double p = 0;
    bool scalar_p = p_obj && p_obj != Py_None;
    if (scalar_p && ct_is_tensor(p_obj) && ct_unwrap(p_obj)->ndim > 0)   /* p is a float (or a 0-dim tensor) */
        return invalid_call("bernoulli", args, nargs, kwnames, bernoulli_sigs);
    if (method_generator("bernoulli", gen, &g) < 0 || (scalar_p && ct_arg_double("bernoulli", "p", p_obj, &p) < 0))
        return NULL;
    /* the result is contiguous, so draws go in row-major order (PyTorch's LEGACY_CONTIGUOUS) */
    ct_tensor *x = ct_unwrap(x_obj), *r = ct_empty(x->ndim, x->sizes, x->dtype, ct_device_of(x));
    if (!r) return ct_raise();
    int rc;
    CT_NOGIL(ct_numel(r), rc = scalar_p ? ct_bernoulli_(r, p, g) : ct_bernoulli_tensor_(r, x, g));
    if (rc < 0) {
        ct_decref(r);
        return ct_raise();
    }
    factory_opts o = {.out = out == Py_None ? NULL : out};
    return factory_result(r, &o);
}

/* Tensor.bernoulli(p=None, *, generator=None) and torch.bernoulli(input, p=None, *, generator=None, out=None) */
static PyObject *m_bernoulli(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"p", "generator", NULL};
    PyObject *a[2];
    if (ct_parse("bernoulli", args, nargs, kwnames, names, 1, a) < 0) return NULL;
    return bernoulli_of(self, a[0], a[1], NULL, args, nargs, kwnames);
}
static PyObject *f_bernoulli(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"input", "p", "generator", "out", NULL};
    PyObject *a[4];
    if (ct_parse("bernoulli", args, nargs, kwnames, names, 2, a) < 0 || !ct_arg_tensor("bernoulli", "input", a[0]))
        return NULL;
    return bernoulli_of(a[0], a[1], a[2], a[3], args, nargs, kwnames);
}

/* multinomial(num_samples, replacement=False, *, generator=None, out=None) */
static PyObject *m_multinomial(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"num_samples", "replacement", "generator", "out", NULL};
    PyObject *a[4];
    int64_t n;
    bool repl;
    ct_generator *g;
    if (ct_parse("multinomial", args, nargs, kwnames, names, 2, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "multinomial() missing required argument 'num_samples'");
    if (ct_arg_int("multinomial", "num_samples", a[0], &n) < 0 ||
        ct_arg_bool("multinomial", "replacement", a[1], false, &repl) < 0 || method_generator("multinomial", a[2], &g) < 0)
        return NULL;
    ct_tensor *r;
    CT_NOGIL(ct_numel(ct_unwrap(self)), r = ct_multinomial(ct_unwrap(self), n, repl, g));
    factory_opts o = {.out = a[3] == Py_None ? NULL : a[3]};
    return factory_result(r, &o);
}

static PyObject *f_multinomial(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return ct_call_as_method("multinomial", m_multinomial, a, n, k);
}

/* self, or NULL with the core's error raised */
static PyObject *inplace_result(PyObject *self, int rc) {
    if (rc < 0) return ct_raise();
    Py_INCREF(self);
    return self;
}

/* the in-place distributions with two number parameters (defaults d0, d1) and a generator */
typedef int (*fill2_fn)(ct_tensor *, double, double, ct_generator *);
static PyObject *fill_method(const char *fname, const char *n0, double d0, const char *n1, double d1, fill2_fn fn,
                             PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    const char *const names[] = {n0, n1, "generator", NULL};
    PyObject *a[3];
    ct_generator *g;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 || method_generator(fname, a[2], &g) < 0 ||
        (a[0] && ct_arg_double(fname, n0, a[0], &d0) < 0) || (a[1] && ct_arg_double(fname, n1, a[1], &d1) < 0))
        return NULL;
    ct_tensor *t = ct_unwrap(self);
    int rc;
    CT_NOGIL(ct_numel(t), rc = fn(t, d0, d1, g));
    return inplace_result(self, rc);
}

static PyObject *m_uniform_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return fill_method("uniform_", "from", 0, "to", 1, ct_uniform_, s, a, n, k);
}
static PyObject *m_normal_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return fill_method("normal_", "mean", 0, "std", 1, ct_normal_, s, a, n, k);
}
static PyObject *m_log_normal_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return fill_method("log_normal_", "mean", 1, "std", 2, ct_log_normal_, s, a, n, k);
}
static PyObject *m_cauchy_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return fill_method("cauchy_", "median", 0, "sigma", 1, ct_cauchy_, s, a, n, k);
}
/* the in-place distributions with one number parameter (dflt NULL: required) and a generator */
typedef int (*fill1_fn)(ct_tensor *, double, ct_generator *);
static PyObject *fill1_method(const char *fname, const char *name, const double *dflt, fill1_fn fn, PyObject *self,
                              PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    const char *const names[] = {name, "generator", NULL};
    PyObject *a[2];
    ct_generator *g;
    double v = dflt ? *dflt : 0;
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0 || method_generator(fname, a[1], &g) < 0) return NULL;
    if (!a[0] && !dflt) return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"%s\"", fname, name);
    if (a[0] && ct_arg_double(fname, name, a[0], &v) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    int rc;
    CT_NOGIL(ct_numel(t), rc = fn(t, v, g));
    return inplace_result(self, rc);
}

static PyObject *m_exponential_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    static const double one = 1;
    return fill1_method("exponential_", "lambd", &one, ct_exponential_, s, a, n, k);
}
static PyObject *m_geometric_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) {
    return fill1_method("geometric_", "p", NULL, ct_geometric_, s, a, n, k);
}

/* random_(), random_(to), random_(from, to), random_(from=, to=None), *, generator */
static PyObject *m_random_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"from", "to", "generator", NULL};
    PyObject *a[3];
    ct_generator *g;
    if (ct_parse("random_", args, nargs, kwnames, names, 2, a) < 0 || method_generator("random_", a[2], &g) < 0) return NULL;
    if (nargs == 1 && !a[1]) {   /* random_(to) */
        a[1] = a[0];
        a[0] = NULL;
    } else if (a[0] && !a[1]) {   /* from= without to matches no signature */
        return invalid_call("random_", args, nargs, kwnames, random_sigs);
    }
    int64_t from = 0, to = 0;
    bool has_from = a[0] != NULL, has_to = a[1] && a[1] != Py_None;
    if ((has_from && ct_arg_int("random_", "from", a[0], &from) < 0) || (has_to && ct_arg_int("random_", "to", a[1], &to) < 0)) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return NULL;
        PyErr_Clear();
        return invalid_call("random_", args, nargs, kwnames, random_sigs);
    }
    ct_tensor *t = ct_unwrap(self);
    int rc;
    CT_NOGIL(ct_numel(t), rc = ct_random_(t, has_from, from, has_to, to, g));
    return inplace_result(self, rc);
}

/* bernoulli_(p=0.5, *, generator): p a number or a tensor of probabilities */
static PyObject *m_bernoulli_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"p", "generator", NULL};
    PyObject *a[2];
    ct_generator *g;
    double p = 0.5;
    if (ct_parse("bernoulli_", args, nargs, kwnames, names, 1, a) < 0 || method_generator("bernoulli_", a[1], &g) < 0)
        return NULL;
    bool tensor_p = a[0] && ct_is_tensor(a[0]);   /* a 0-dim p too: PyTorch's tensor overload */
    if (a[0] && !tensor_p && ct_arg_double("bernoulli_", "p", a[0], &p) < 0) return NULL;
    ct_tensor *t = ct_unwrap(self);
    int rc;
    CT_NOGIL(ct_numel(t), rc = tensor_p ? ct_bernoulli_tensor_(t, ct_unwrap(a[0]), g) : ct_bernoulli_(t, p, g));
    return inplace_result(self, rc);
}

#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_O(name, fn) {name, (PyCFunction)(fn), METH_O, NULL},
#define CT_NOARGS(name, fn) {name, (PyCFunction)(fn), METH_NOARGS, NULL},

PyMethodDef ct_random_functions[] = {
    CT_O("manual_seed", f_manual_seed) CT_NOARGS("seed", f_seed) CT_NOARGS("initial_seed", f_initial_seed)
    CT_NOARGS("get_rng_state", f_get_rng_state) CT_O("set_rng_state", f_set_rng_state)
    CT_ENTRY("rand", f_rand) CT_ENTRY("randn", f_randn) CT_ENTRY("randint", f_randint) CT_ENTRY("randperm", f_randperm)
    CT_ENTRY("normal", f_normal) CT_ENTRY("rand_like", f_rand_like) CT_ENTRY("randn_like", f_randn_like)
    CT_ENTRY("randint_like", f_randint_like) CT_ENTRY("poisson", f_poisson) CT_ENTRY("bernoulli", f_bernoulli)
    CT_ENTRY("multinomial", f_multinomial) CT_ENTRY("_standard_gamma", f_standard_gamma)
    CT_ENTRY("_sample_dirichlet", f_sample_dirichlet)
    {NULL},
};

PyMethodDef ct_random_methods[] = {
    CT_ENTRY("uniform_", m_uniform_) CT_ENTRY("normal_", m_normal_) CT_ENTRY("random_", m_random_)
    CT_ENTRY("bernoulli_", m_bernoulli_) CT_ENTRY("exponential_", m_exponential_) CT_ENTRY("geometric_", m_geometric_)
    CT_ENTRY("log_normal_", m_log_normal_) CT_ENTRY("cauchy_", m_cauchy_) CT_ENTRY("bernoulli", m_bernoulli)
    CT_ENTRY("multinomial", m_multinomial)
    {NULL},
};
