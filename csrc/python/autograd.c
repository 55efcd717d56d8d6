/* Autograd for Python: a tensor's requires_grad / grad / grad_fn, backward(),
 * the grad-mode switch, and graph nodes as Python objects. */
#include "ct_python.h"
#include "ctorch/ct_autograd.h"

/* ---- graph nodes as Python objects (t.grad_fn) ---- */
typedef struct {
    PyObject_HEAD
    ct_node *node;
} CTNode;

static PyTypeObject CTNodeType;
static PyObject *node_classes;   /* name -> subclass of _Node named after the node */

static PyTypeObject *node_class(const char *name) {
    PyObject *cls = PyDict_GetItemString(node_classes, name);   /* borrowed */
    if (cls) return (PyTypeObject *)cls;
    cls = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O){s:s}", name, (PyObject *)&CTNodeType, "__module__",
                                "ctorch.autograd");
    if (!cls || PyDict_SetItemString(node_classes, name, cls) < 0) {
        Py_XDECREF(cls);
        return NULL;
    }
    Py_DECREF(cls);   /* the dict keeps it */
    return (PyTypeObject *)cls;
}

static PyObject *node_wrap(ct_node *n) {
    if (!n) Py_RETURN_NONE;
    PyTypeObject *cls = node_class(n->name);
    CTNode *o = cls ? (CTNode *)cls->tp_alloc(cls, 0) : NULL;
    if (!o) return NULL;
    ct_node_incref(n);
    o->node = n;
    return (PyObject *)o;
}

static void node_dealloc(PyObject *self) {
    ct_node_decref(((CTNode *)self)->node);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *node_repr(PyObject *self) {
    return PyUnicode_FromFormat("<%s object at %p>", ((CTNode *)self)->node->name, (void *)self);
}

static PyObject *node_name(PyObject *self, PyObject *unused) { return PyUnicode_FromString(((CTNode *)self)->node->name); }

static PyObject *node_next_functions(PyObject *self, void *unused) {
    ct_node *n = ((CTNode *)self)->node;
    PyObject *t = PyTuple_New(n->nnext);
    for (int i = 0; t && i < n->nnext; i++) {
        PyObject *item = Py_BuildValue("(Ni)", node_wrap(n->next[i].node), n->next[i].input_nr);
        if (!item) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, item);
    }
    return t;
}

static PyObject *node_variable(PyObject *self, void *unused) {
    ct_node *n = ((CTNode *)self)->node;
    if (!n->leaf) return PyErr_Format(PyExc_AttributeError, "'%s' object has no attribute 'variable'", n->name);
    return ct_wrap(ct_incref(n->leaf));
}

static PyObject *node_richcompare(PyObject *a, PyObject *b, int op) {
    if (!PyObject_TypeCheck(b, &CTNodeType) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((CTNode *)a)->node == ((CTNode *)b)->node;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t node_hash(PyObject *self) { return (Py_hash_t)(((size_t)((CTNode *)self)->node) >> 4); }

static PyMethodDef node_methods[] = {{"name", node_name, METH_NOARGS, NULL}, {NULL}};
static PyGetSetDef node_getset[] = {
    {"next_functions", node_next_functions, NULL, NULL, NULL},
    {"variable", node_variable, NULL, NULL, NULL},
    {NULL},
};

static PyTypeObject CTNodeType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ctorch._C._Node",
    .tp_basicsize = sizeof(CTNode),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_dealloc = node_dealloc,
    .tp_repr = node_repr,
    .tp_methods = node_methods,
    .tp_getset = node_getset,
    .tp_richcompare = node_richcompare,
    .tp_hash = node_hash,
};

/* ---- tensor attributes ---- */
PyObject *ct_get_requires_grad(PyObject *self, void *c) { return PyBool_FromLong(ct_requires_grad(ct_unwrap(self))); }

/* from_method: requires_grad_(True) on a non-leaf is a no-op; the attribute setter refuses */
static int set_flag(ct_tensor *t, bool on, bool from_method) {
    if (t->grad_fn && on && from_method) return 0;
    if (t->grad_fn) {
        PyErr_SetString(PyExc_RuntimeError, on ? "you can only change requires_grad flags of leaf variables."
                                              : "you can only change requires_grad flags of leaf variables. If you want "
                                                "to use a computed variable in a subgraph that doesn't require "
                                                "differentiation use var_no_grad = var.detach().");
        return -1;
    }
    if (on && !ct_is_floating(t->dtype)) {
        PyErr_SetString(PyExc_RuntimeError, "only Tensors of floating point dtype can require gradients");
        return -1;
    }
    t->requires_grad = on;
    return 0;
}

int ct_set_requires_grad(PyObject *self, PyObject *value, void *c) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "can't delete requires_grad");
        return -1;
    }
    int on = PyObject_IsTrue(value);
    return on < 0 ? -1 : set_flag(ct_unwrap(self), on, false);
}

PyObject *ct_get_grad(PyObject *self, void *c) {
    ct_tensor *g = ct_unwrap(self)->grad;
    if (!g) Py_RETURN_NONE;
    return ct_wrap(ct_incref(g));
}

int ct_set_grad(PyObject *self, PyObject *value, void *c) {
    ct_tensor *t = ct_unwrap(self);
    if (value && value != Py_None) {
        if (!ct_is_tensor(value)) {
            PyErr_Format(PyExc_TypeError, "assigned grad expected to be a Tensor or None but got grad of type %s",
                         Py_TYPE(value)->tp_name);
            return -1;
        }
        ct_tensor *g = ct_unwrap(value);
        if (g->ndim != t->ndim || memcmp(g->sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim)) {
            PyErr_SetString(PyExc_RuntimeError, "assigned grad has data of a different size");
            return -1;
        }
        if (g->dtype != t->dtype) {
            PyErr_SetString(PyExc_RuntimeError, "assigned grad has data of a different type");
            return -1;
        }
        ct_incref(g);
        ct_xdecref(t->grad);
        t->grad = g;
        return 0;
    }
    ct_xdecref(t->grad);
    t->grad = NULL;
    return 0;
}

PyObject *ct_get_grad_fn(PyObject *self, void *c) { return node_wrap(ct_unwrap(self)->grad_fn); }
PyObject *ct_get_is_leaf(PyObject *self, void *c) { return PyBool_FromLong(ct_unwrap(self)->grad_fn == NULL); }
PyObject *ct_get_retains_grad(PyObject *self, void *c) {
    ct_tensor *t = ct_unwrap(self);
    return PyBool_FromLong(t->grad_fn && t->grad_fn->retain == t);
}

/* ---- methods ---- */
static PyObject *m_detach(PyObject *self, PyObject *unused) { return ct_wrap(ct_alias(ct_unwrap(self))); }

static PyObject *m_detach_(PyObject *self, PyObject *unused) {
    ct_tensor *t = ct_unwrap(self);
    if (t->grad_fn) {
        ct_node_decref(t->grad_fn);
        t->grad_fn = NULL;
    }
    t->requires_grad = false;
    Py_INCREF(self);
    return self;
}

static PyObject *m_requires_grad_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *const names[] = {"requires_grad", NULL};
    PyObject *a[1];
    bool on;
    if (ct_parse("requires_grad_", args, nargs, kwnames, names, 1, a) < 0 ||
        ct_arg_bool("requires_grad_", "requires_grad", a[0], true, &on) < 0 || set_flag(ct_unwrap(self), on, true) < 0)
        return NULL;
    Py_INCREF(self);
    return self;
}

static PyObject *m_retain_grad(PyObject *self, PyObject *unused) {
    ct_tensor *t = ct_unwrap(self);
    if (!ct_requires_grad(t))
        return PyErr_Format(PyExc_RuntimeError, "can't retain_grad on Tensor that has requires_grad=False");
    if (t->grad_fn) t->grad_fn->retain = t;   /* leaves keep their grad anyway */
    Py_RETURN_NONE;
}

/* tensors from a tensor or a sequence of tensors (None entries allowed when allow_none) */
static int tensor_list(const char *fname, PyObject *o, ct_tensor **out, int max, bool allow_none) {
    if (ct_is_tensor(o)) {
        out[0] = ct_unwrap(o);
        return 1;
    }
    PyObject *seq = PySequence_Fast(o, "expected a Tensor or a sequence of Tensors");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > max) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError, "%s: at most %d tensors at once", fname, max);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
        if (x == Py_None && allow_none) {
            out[i] = NULL;
        } else if (ct_is_tensor(x)) {
            out[i] = ct_unwrap(x);
        } else {
            Py_DECREF(seq);
            PyErr_Format(PyExc_TypeError, "%s: expected a Tensor, got %s", fname, Py_TYPE(x)->tp_name);
            return -1;
        }
    }
    Py_DECREF(seq);
    return (int)n;
}

/* default gradients: ones for 1-element outputs, else PyTorch's error */
static int check_implicit(ct_tensor *const *outs, ct_tensor **grads, int n) {
    for (int i = 0; i < n; i++) {
        if (grads[i]) continue;
        if (ct_numel(outs[i]) != 1) {
            PyErr_SetString(PyExc_RuntimeError, "grad can be implicitly created only for scalar outputs");
            return -1;
        }
    }
    return 0;
}

/* _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused, accumulate):
 * accumulate=True is Tensor.backward / autograd.backward (grads land in .grad),
 * False is autograd.grad (returns a tuple) */
static PyObject *f_run_backward(PyObject *m, PyObject *args) {
    PyObject *tensors, *grad_tensors, *inputs;
    int retain, create, allow_unused, accumulate_grads;
    if (!PyArg_ParseTuple(args, "OOppOpp:_run_backward", &tensors, &grad_tensors, &retain, &create, &inputs,
                          &allow_unused, &accumulate_grads))
        return NULL;
    ct_tensor *outs[64], *grads[64] = {NULL}, *ins[64];
    int n = tensor_list("backward", tensors, outs, 64, false), ng = 0, ni = 0;
    if (n < 0) return NULL;
    if (grad_tensors != Py_None && (ng = tensor_list("backward", grad_tensors, grads, 64, true)) < 0) return NULL;
    if (ng > 0 && ng != n)
        return PyErr_Format(PyExc_RuntimeError, "grad_tensors has %d entries but there are %d tensors", ng, n);
    if (check_implicit(outs, grads, n) < 0) return NULL;
    for (int i = 0; i < n; i++) {
        if (!grads[i]) continue;
        ct_tensor *g = grads[i], *o = outs[i];
        if (g->ndim != o->ndim || memcmp(g->sizes, o->sizes, sizeof(int64_t) * (size_t)o->ndim)) {
            char a[256], b[256];
            return PyErr_Format(PyExc_RuntimeError, "Mismatch in shape: grad_output[%d] has a shape of torch.Size(%s) "
                                "and output[%d] has a shape of torch.Size(%s).", i, ct_shape_str(g->ndim, g->sizes, a, 256),
                                i, ct_shape_str(o->ndim, o->sizes, b, 256));
        }
    }
    if (inputs != Py_None && (ni = tensor_list("backward", inputs, ins, 64, false)) < 0) return NULL;
    for (int i = 0; i < n; i++)
        if (!ct_requires_grad(outs[i]))
            return PyErr_Format(PyExc_RuntimeError, "element %d of tensors does not require grad and does not have a "
                                "grad_fn", i);
    ct_tensor *res[64] = {NULL};
    if (ct_backward(n, outs, grads, retain, create, ni, ins, res) < 0) return ct_raise();
    if (accumulate_grads) {   /* backward(inputs=...): into those tensors' .grad only */
        int rc = 0;
        for (int i = 0; i < ni; i++) {
            if (!res[i]) continue;
            ct_tensor *t = ins[i];
            if (rc == 0) {
                ct_tensor *sum = t->grad ? ct_binary(CT_OP_add, t->grad, res[i], NULL, NULL) : ct_clone(res[i]);
                if (!sum) rc = -1;
                else {
                    ct_xdecref(t->grad);
                    t->grad = sum;
                }
            }
            ct_decref(res[i]);
        }
        if (rc < 0) return ct_raise();
        Py_RETURN_NONE;
    }
    PyObject *out = PyTuple_New(ni);
    for (int i = 0; i < ni; i++) {
        if (!res[i] && !allow_unused) {
            for (int j = i; j < ni; j++) ct_xdecref(res[j]);
            Py_XDECREF(out);
            return PyErr_Format(PyExc_RuntimeError, "One of the differentiated Tensors appears to not have been used in "
                                "the graph. Set allow_unused=True if this is the desired behavior.");
        }
        PyObject *v = res[i] ? ct_wrap(res[i]) : (Py_INCREF(Py_None), Py_None);
        if (!v || !out) {
            for (int j = i + 1; j < ni; j++) ct_xdecref(res[j]);
            Py_XDECREF(v);
            Py_XDECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, v);
    }
    return out;
}

static PyObject *f_set_grad_enabled(PyObject *m, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    ct_set_grad_enabled(on);
    Py_RETURN_NONE;
}

static PyObject *f_is_grad_enabled(PyObject *m, PyObject *unused) { return PyBool_FromLong(ct_grad_enabled()); }

static PyObject *f_set_detect_anomaly(PyObject *m, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    ct_detect_anomaly = on;
    Py_RETURN_NONE;
}

static PyObject *f_is_anomaly_enabled(PyObject *m, PyObject *unused) { return PyBool_FromLong(ct_detect_anomaly); }

static PyObject *f_differentiable_ops(PyObject *m, PyObject *unused) {
    const char *names[256];
    int n = ct_differentiable_ops(names, 256);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, s);
    }
    return list;
}

PyMethodDef ct_autograd_methods[] = {
    {"detach", m_detach, METH_NOARGS, NULL},
    {"detach_", m_detach_, METH_NOARGS, NULL},
    {"requires_grad_", (PyCFunction)(void (*)(void))m_requires_grad_, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"retain_grad", m_retain_grad, METH_NOARGS, NULL},
    {NULL},
};

PyMethodDef ct_autograd_functions[] = {
    {"_run_backward", f_run_backward, METH_VARARGS, NULL},
    {"_set_grad_enabled", f_set_grad_enabled, METH_O, NULL},
    {"is_grad_enabled", f_is_grad_enabled, METH_NOARGS, NULL},
    {"_differentiable_ops", f_differentiable_ops, METH_NOARGS, NULL},
    {"_set_detect_anomaly", f_set_detect_anomaly, METH_O, NULL},
    {"is_anomaly_enabled", f_is_anomaly_enabled, METH_NOARGS, NULL},
    {NULL},
};

int ct_autograd_init(PyObject *module) {
    if (PyType_Ready(&CTNodeType) < 0 || !(node_classes = PyDict_New())) return -1;
    return PyModule_AddObjectRef(module, "_Node", (PyObject *)&CTNodeType);
}

/* ---- hooks and custom Functions: Python callables behind C callbacks ---- */
static void release_pyobject(void *ctx) {
    if (!Py_IsInitialized()) return;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_DECREF((PyObject *)ctx);
    PyGILState_Release(g);
}

/* a hook returns None (keep the gradient) or a replacement tensor */
static ct_tensor *run_py_hook(void *ctx, ct_tensor *grad) {
    PyObject *arg = ct_wrap(ct_incref(grad));
    PyObject *r = arg ? PyObject_CallOneArg((PyObject *)ctx, arg) : NULL;
    Py_XDECREF(arg);
    if (!r) return ct_error_null(CT_ERR_RUNTIME, "a gradient hook raised an exception");
    ct_tensor *out = NULL;
    if (r == Py_None) out = ct_incref(grad);
    else if (ct_is_tensor(r)) out = ct_incref(ct_unwrap(r));
    else PyErr_Format(PyExc_TypeError, "a gradient hook must return a Tensor or None, got %s", Py_TYPE(r)->tp_name);
    Py_DECREF(r);
    if (!out) ct_error(CT_ERR_TYPE, "bad hook result");
    return out;
}

/* _register_hook(tensor, fn) -> hook id; the hook sees the tensor's gradient */
static PyObject *f_register_hook(PyObject *m, PyObject *args) {
    PyObject *self, *fn;
    if (!PyArg_ParseTuple(args, "OO:_register_hook", &self, &fn)) return NULL;
    ct_tensor *t = ct_arg_tensor("register_hook", "self", self);
    if (!t) return NULL;
    if (!ct_requires_grad(t))
        return PyErr_Format(PyExc_RuntimeError, "cannot register a hook on a tensor that doesn't require gradient");
    Py_INCREF(fn);
    int64_t id = ct_hook_add(t->grad_fn ? &t->grad_fn->hooks : &t->hooks, run_py_hook, fn, release_pyobject);
    if (id < 0) {
        Py_DECREF(fn);
        return ct_raise();
    }
    return PyLong_FromLongLong(id);
}

static PyObject *f_remove_hook(PyObject *m, PyObject *args) {
    PyObject *self;
    long long id;
    if (!PyArg_ParseTuple(args, "OL:_remove_hook", &self, &id)) return NULL;
    ct_tensor *t = ct_arg_tensor("remove", "self", self);
    if (!t) return NULL;
    ct_hook_remove(&t->hooks, id);
    if (t->grad_fn) ct_hook_remove(&t->grad_fn->hooks, id);
    Py_RETURN_NONE;
}

/* a Function's backward: ctx is the Python callable taking the output's
 * gradient and returning one gradient (or None) per tensor input */
static int run_py_backward(void *ctx, ct_tensor *grad, int n, ct_tensor **grads_out) {
    PyObject *arg = ct_wrap(ct_incref(grad));
    PyObject *r = arg ? PyObject_CallOneArg((PyObject *)ctx, arg) : NULL;
    Py_XDECREF(arg);
    if (!r) return ct_error(CT_ERR_RUNTIME, "autograd.Function backward raised an exception");
    PyObject *seq = PyTuple_Check(r) ? (Py_INCREF(r), r) : PyTuple_Pack(1, r);
    Py_DECREF(r);
    if (!seq) return -1;
    if (PyTuple_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_RuntimeError, "function backward returned an incorrect number of gradients (expected %d, "
                     "got %zd)", n, PyTuple_GET_SIZE(seq));
        Py_DECREF(seq);
        return ct_error(CT_ERR_RUNTIME, "bad Function backward");
    }
    for (int i = 0; i < n; i++) {
        PyObject *g = PyTuple_GET_ITEM(seq, i);
        grads_out[i] = ct_is_tensor(g) ? ct_incref(ct_unwrap(g)) : NULL;
    }
    Py_DECREF(seq);
    return 0;
}

/* _record_function(output, inputs, backward, name): output gets a node whose
 * gradient comes from backward(grad) -> one gradient per input */
static PyObject *f_record_function(PyObject *m, PyObject *args) {
    PyObject *out, *inputs, *fn;
    const char *name;
    if (!PyArg_ParseTuple(args, "OOOs:_record_function", &out, &inputs, &fn, &name)) return NULL;
    ct_tensor *o = ct_arg_tensor("_record_function", "output", out), *ins[CT_NODE_MAX_INPUTS];
    if (!o) return NULL;
    int n = tensor_list("_record_function", inputs, ins, CT_NODE_MAX_INPUTS, true);
    if (n < 0) return NULL;
    if (!ct_record_needed(n, ins)) Py_RETURN_NONE;
    static char names[64][64];   /* node names must outlive the nodes: interned per Function class */
    static int nnames;
    const char *kept = NULL;
    for (int i = 0; i < nnames && !kept; i++)
        if (!strcmp(names[i], name)) kept = names[i];
    if (!kept && nnames < 64) {
        snprintf(names[nnames], 64, "%s", name);
        kept = names[nnames++];
    }
    ct_node *node = ct_record_begin(CT_NODE_CUSTOM, kept ? kept : "FunctionBackward", n, ins);
    if (!node) return ct_raise();
    Py_INCREF(fn);
    node->custom_fn = run_py_backward;
    node->custom_ctx = fn;
    node->custom_release = release_pyobject;
    ct_record_finish(node, o);
    Py_RETURN_NONE;
}

PyMethodDef ct_autograd_hook_functions[] = {
    {"_register_hook", f_register_hook, METH_VARARGS, NULL},
    {"_remove_hook", f_remove_hook, METH_VARARGS, NULL},
    {"_record_function", f_record_function, METH_VARARGS, NULL},
    {NULL},
};
