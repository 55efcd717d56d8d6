/* Elementwise ops for Python: operators, methods (and their in-place `_`
 * forms) and module functions, generated from ops/elementwise.def; a few ops
 * with their own signatures (add/sub alpha, div rounding_mode, round,
 * clamp, lerp, pow, where) are written out. */
#include "ct_python.h"
#include "ctorch/ct_autograd.h"

/* run a core elementwise call on Python operands; out: a tensor object or NULL */
static PyObject *finish(ct_tensor *r, PyObject *out) {
    if (!r) return ct_raise();
    if (out) {
        ct_decref(r);   /* the same tensor as out */
        Py_INCREF(out);
        return out;
    }
    return ct_wrap(r);
}

static int parse_out(PyObject *o, PyObject **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    if (!ct_is_tensor(o)) {
        PyErr_Format(PyExc_TypeError, "argument 'out' must be Tensor, not %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = o;
    return 0;
}

static PyObject *unary_call(const char *fname, int op, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"out", NULL};
    PyObject *a[1], *out;
    if (ct_parse(fname, args, nargs, kwnames, names, 0, a) < 0 || parse_out(a[0], &out) < 0) return NULL;
    if (inplace) out = self;
    ct_tensor *r, *t = ct_unwrap(self), *o = out ? ct_unwrap(out) : NULL;
    CT_NOGIL(ct_numel(t), r = ct_unary(op, t, NULL, o));
    return finish(r, out);
}

/* other given as a tensor or a Python number */
static PyObject *binary_tensors(const char *fname, int op, ct_tensor *a, PyObject *other, const ct_scalar *params,
                                PyObject *out) {
    ct_tensor *b = ct_operand(other);
    if (!b) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s(): argument 'other' (position 1) must be Tensor, not %s", fname,
                         Py_TYPE(other)->tp_name);
        return NULL;
    }
    ct_tensor *r, *o = out ? ct_unwrap(out) : NULL;
    CT_NOGIL(ct_numel(a) + ct_numel(b), r = ct_binary(op, a, b, params, o));
    ct_decref(b);
    return finish(r, out);
}

/* alpha of add/sub: integral tensors take no floating alpha, bools no non-bool one */
static int parse_alpha(ct_tensor *a, PyObject *other, PyObject *o, ct_scalar *alpha) {
    *alpha = ct_scalar_i(1);
    if (!o) return 0;
    ct_dtype kind;
    if (ct_arg_scalar("add", "alpha", o, alpha, &kind) < 0) return -1;
    bool integral = ct_is_integral(a->dtype, true) &&
                    (!ct_is_tensor(other) || ct_is_integral(ct_unwrap(other)->dtype, true)) && !PyFloat_Check(other);
    if (integral && kind == CT_FLOAT64) {
        PyErr_SetString(PyExc_RuntimeError, "For integral input tensors, argument alpha must not be a floating point "
                                            "number.");
        return -1;
    }
    return 0;
}

static PyObject *binary_call(const char *fname, int op, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"other", "alpha", "out", NULL};
    PyObject *a[3], *out;
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0 || parse_out(a[2], &out) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"other\"", fname);
    if (a[1] && op != CT_OP_add && op != CT_OP_sub)
        return PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument 'alpha'", fname);
    ct_scalar alpha;
    if (parse_alpha(ct_unwrap(self), a[0], a[1], &alpha) < 0) return NULL;
    if (inplace) out = self;
    return binary_tensors(fname, op, ct_unwrap(self), a[0], &alpha, out);
}

static PyObject *ternary_call(const char *fname, int op, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"tensor1", "tensor2", "value", "out", NULL};
    PyObject *a[4], *out;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 || parse_out(a[3], &out) < 0) return NULL;
    ct_tensor *t1 = a[0] ? ct_arg_tensor(fname, "tensor1", a[0]) : NULL;
    ct_tensor *t2 = t1 && a[1] ? ct_arg_tensor(fname, "tensor2", a[1]) : NULL;
    if (!t2) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "%s() missing required arguments", fname);
    ct_scalar v = ct_scalar_i(1);
    ct_dtype kind;
    if (a[2] && ct_arg_scalar(fname, "value", a[2], &v, &kind) < 0) return NULL;
    if (op == CT_OP_addcdiv && ct_is_integral(t1->dtype, true) && ct_is_integral(t2->dtype, true))
        return PyErr_Format(PyExc_RuntimeError, "Integer division with addcdiv is no longer supported, and in a future "
                            "release addcdiv will perform a true division of tensor1 and tensor2. The historic "
                            "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
                            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float "
                            "inputs. The future addcdiv behavior is just the latter implementation: (input + value * "
                            "tensor1 / tensor2), for all dtypes.");
    if (inplace) out = self;
    return finish(ct_ternary(op, ct_unwrap(self), t1, t2, &v, out ? ct_unwrap(out) : NULL), out);
}

/* generated methods m_<op>, m_<op>_ and functions f_<op> */
#define CT_GEN(kind, name)                                                                                  \
    static PyObject *m_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {    \
        return kind##_call(#name, CT_OP_##name, self, args, nargs, kw, false);                              \
    }                                                                                                       \
    static PyObject *m_##name##_(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) { \
        return kind##_call(#name "_", CT_OP_##name, self, args, nargs, kw, true);                          \
    }                                                                                                       \
    static PyObject *f_##name(PyObject *mod, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {     \
        return ct_call_as_method(#name, m_##name, args, nargs, kw);                                         \
    }
#define CT_UNARY(name, rule, dtypes, body) CT_GEN(unary, name)
#define CT_BINARY(name, rule, dtypes, body) CT_GEN(binary, name)
#define CT_TERNARY(name, rule, dtypes, body) CT_GEN(ternary, name)
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY

/* ---- ops with their own signatures ---- */

static PyObject *m_div_common(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"other", "rounding_mode", "out", NULL};
    PyObject *a[3], *out;
    if (ct_parse(fname, args, nargs, kwnames, names, 1, a) < 0 || parse_out(a[2], &out) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional arguments: \"other\"", fname);
    int op = CT_OP_div;
    if (a[1] && a[1] != Py_None) {
        const char *mode = PyUnicode_Check(a[1]) ? PyUnicode_AsUTF8(a[1]) : "";
        if (strcmp(mode, "trunc") == 0) op = CT_OP_div_trunc;
        else if (strcmp(mode, "floor") == 0) op = CT_OP_floor_divide;
        else
            return PyErr_Format(PyExc_ValueError, "div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                                "but found '%s'", mode);
    }
    if (inplace) out = self;
    return binary_tensors(fname, op, ct_unwrap(self), a[0], NULL, out);
}
static PyObject *m_div2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return m_div_common("div", s, a, n, k, false); }
static PyObject *m_div2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return m_div_common("div_", s, a, n, k, true); }
static PyObject *f_div2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("div", m_div2, a, n, k); }

static PyObject *round_common(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"decimals", "out", NULL};
    PyObject *a[2], *out;
    if (ct_parse("round", args, nargs, kwnames, names, 0, a) < 0 || parse_out(a[1], &out) < 0) return NULL;
    int64_t decimals = 0;
    if (a[0] && ct_arg_int("round", "decimals", a[0], &decimals) < 0) return NULL;
    if (inplace) out = self;
    ct_tensor *t = ct_unwrap(self);
    if (decimals != 0 && !ct_is_floating(t->dtype))
        return ct_error_dtype("round", t->dtype), ct_raise();
    ct_scalar p[2] = {ct_scalar_i(decimals), ct_scalar_i(0)};
    return finish(ct_unary(decimals ? CT_OP_round_decimals : CT_OP_round, t, p, out ? ct_unwrap(out) : NULL), out);
}
static PyObject *m_round2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return round_common(s, a, n, k, false); }
static PyObject *m_round2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return round_common(s, a, n, k, true); }
static PyObject *f_round2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("round", m_round2, a, n, k); }

/* clamp(min=None, max=None): numbers use the fused kernels; tensors maximum/minimum */
static PyObject *clamp_common(const char *fname, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"min", "max", "out", NULL};
    PyObject *a[3], *out;
    if (ct_parse(fname, args, nargs, kwnames, names, 2, a) < 0 || parse_out(a[2], &out) < 0) return NULL;
    PyObject *lo = a[0] == Py_None ? NULL : a[0], *hi = a[1] == Py_None ? NULL : a[1];
    if (!lo && !hi)
        return PyErr_Format(PyExc_RuntimeError, "torch.clamp: At least one of 'min' or 'max' must not be None");
    if (inplace) out = self;
    ct_tensor *t = ct_unwrap(self), *o = out ? ct_unwrap(out) : NULL;
    if ((lo && ct_is_tensor(lo)) || (hi && ct_is_tensor(hi))) {
        ct_tensor *cur = ct_incref(t);
        PyObject *bounds[2] = {lo, hi};
        int ops[2] = {CT_OP_maximum, CT_OP_minimum};
        for (int i = 0; i < 2 && cur; i++) {
            if (!bounds[i]) continue;
            ct_tensor *b = ct_operand(bounds[i]);
            ct_tensor *n = b ? ct_binary(ops[i], cur, b, NULL, NULL) : NULL;
            ct_xdecref(b);
            ct_decref(cur);
            cur = n;
        }
        if (cur && o) {
            int rc = ct_copy_(o, cur);
            ct_decref(cur);
            cur = rc == 0 ? ct_incref(o) : NULL;
        }
        return finish(cur, out);
    }
    /* the bounds take the tensor's type: result_type(tensor, number) */
    ct_scalar s[2] = {ct_scalar_i(0), ct_scalar_i(0)};
    ct_dtype kind, res = t->dtype;
    PyObject *bounds[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        if (!bounds[i]) continue;
        if (ct_arg_scalar(fname, i ? "max" : "min", bounds[i], &s[i], &kind) < 0) return NULL;
        if (kind == CT_FLOAT64 && !ct_is_floating(res)) res = ct_get_default_dtype();
    }
    ct_tensor *src = ct_to_dtype(t, res, false);
    if (!src) return ct_raise();
    int op = lo && hi ? CT_OP_clamp : lo ? CT_OP_clamp_min : CT_OP_clamp_max;
    if (!lo) s[0] = s[1];
    ct_tensor *r = ct_unary(op, src, s, o);
    ct_decref(src);
    return finish(r, out);
}
static PyObject *m_clamp2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_common("clamp", s, a, n, k, false); }
static PyObject *m_clamp2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_common("clamp_", s, a, n, k, true); }
static PyObject *f_clamp2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("clamp", m_clamp2, a, n, k); }

static PyObject *clamp_side(const char *fname, int which, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"min", NULL}, *const names_max[] = {"max", NULL};
    PyObject *a[1];
    if (ct_parse(fname, args, nargs, kwnames, which ? names_max : names, 1, a) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument", fname);
    PyObject *argv[2] = {which ? Py_None : a[0], which ? a[0] : Py_None};
    PyObject *r = clamp_common(fname, self, argv, 2, NULL, inplace);
    ct_tensor *t = r ? ct_unwrap(r) : NULL;
    if (t && t->grad_fn && !inplace) t->grad_fn->name = which ? "ClampMaxBackward0" : "ClampMinBackward0";
    return r;
}
static PyObject *m_clamp_min2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_side("clamp_min", 0, s, a, n, k, false); }
static PyObject *m_clamp_min2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_side("clamp_min_", 0, s, a, n, k, true); }
static PyObject *m_clamp_max2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_side("clamp_max", 1, s, a, n, k, false); }
static PyObject *m_clamp_max2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return clamp_side("clamp_max_", 1, s, a, n, k, true); }
static PyObject *f_clamp_min2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("clamp_min", m_clamp_min2, a, n, k); }
static PyObject *f_clamp_max2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("clamp_max", m_clamp_max2, a, n, k); }

static PyObject *lerp_common(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"end", "weight", "out", NULL};
    PyObject *a[3], *out;
    if (ct_parse("lerp", args, nargs, kwnames, names, 2, a) < 0 || parse_out(a[2], &out) < 0) return NULL;
    ct_tensor *end = a[0] ? ct_arg_tensor("lerp", "end", a[0]) : NULL;
    if (!end || !a[1]) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "lerp() missing arguments");
    if (inplace) out = self;
    ct_tensor *o = out ? ct_unwrap(out) : NULL, *t = ct_unwrap(self);
    static const char *const cpp[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short", "int", "long",
                                                   "c10::Half", "c10::BFloat16", "float", "double"};
    if (end->dtype != t->dtype)
        return PyErr_Format(PyExc_RuntimeError, "expected dtype %s for `end` but got dtype %s", cpp[t->dtype],
                            cpp[end->dtype]);
    if (ct_is_tensor(a[1]) && ct_unwrap(a[1])->dtype != t->dtype)
        return PyErr_Format(PyExc_RuntimeError, "expected dtype %s for `weight` but got dtype %s", cpp[t->dtype],
                            cpp[ct_unwrap(a[1])->dtype]);
    if (ct_is_tensor(a[1]))
        return finish(ct_ternary(CT_OP_lerp, ct_unwrap(self), end, ct_unwrap(a[1]), NULL, o), out);
    ct_scalar w;
    ct_dtype kind;
    if (ct_arg_scalar("lerp", "weight", a[1], &w, &kind) < 0) return NULL;
    return finish(ct_binary(CT_OP_lerp_scalar, ct_unwrap(self), end, &w, o), out);
}
static PyObject *m_lerp2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return lerp_common(s, a, n, k, false); }
static PyObject *m_lerp2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return lerp_common(s, a, n, k, true); }
static PyObject *f_lerp2(PyObject *m, PyObject *const *a, Py_ssize_t n, PyObject *k) { return ct_call_as_method("lerp", m_lerp2, a, n, k); }

/* pow: tensor ** number, number ** tensor, tensor ** tensor */
static PyObject *pow_values(PyObject *base, PyObject *exp, PyObject *out) {
    ct_tensor *b = ct_operand(base), *e = b ? ct_operand(exp) : NULL;
    if (!e) {
        ct_xdecref(b);
        if (!PyErr_Occurred()) Py_RETURN_NOTIMPLEMENTED;
        return NULL;
    }
    PyObject *r = NULL;
    if (e->is_wrapped_number && !ct_is_floating(e->dtype) && ct_is_integral(b->dtype, false) &&
        ct_load_scalar(ct_data(e), e->dtype).i < 0)
        PyErr_SetString(PyExc_RuntimeError, "Integers to negative integer powers are not allowed.");
    else if (e->is_wrapped_number)
        r = finish(ct_pow_scalar(b, e, out ? ct_unwrap(out) : NULL), out);
    else
        r = finish(ct_binary(CT_OP_pow, b, e, NULL, out ? ct_unwrap(out) : NULL), out);
    ct_decref(b);
    ct_decref(e);
    return r;
}
static PyObject *pow_common(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, bool inplace) {
    static const char *const names[] = {"exponent", "out", NULL};
    PyObject *a[2], *out;
    if (ct_parse("pow", args, nargs, kwnames, names, 1, a) < 0 || parse_out(a[1], &out) < 0) return NULL;
    if (!a[0]) return PyErr_Format(PyExc_TypeError, "pow() missing 1 required positional argument: \"exponent\"");
    return pow_values(self, a[0], inplace ? self : out);
}
static PyObject *m_pow2(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return pow_common(s, a, n, k, false); }
static PyObject *m_pow2_(PyObject *s, PyObject *const *a, Py_ssize_t n, PyObject *k) { return pow_common(s, a, n, k, true); }
static PyObject *f_pow2(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"input", "exponent", "out", NULL};
    PyObject *a[3], *out;
    if (ct_parse("pow", args, nargs, kw, names, 2, a) < 0 || parse_out(a[2], &out) < 0) return NULL;
    if (!a[0] || !a[1]) return PyErr_Format(PyExc_TypeError, "pow() missing required arguments");
    if (!ct_is_tensor(a[0]) && !ct_is_tensor(a[1]))
        return PyErr_Format(PyExc_TypeError, "pow() received an invalid combination of arguments");
    return pow_values(a[0], a[1], out);
}

/* where(condition, input, other) and where(condition) */
static PyObject *f_where(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"condition", "input", "other", "out", NULL};
    PyObject *a[4], *out;
    if (ct_parse("where", args, nargs, kw, names, 3, a) < 0 || parse_out(a[3], &out) < 0) return NULL;
    ct_tensor *c = a[0] ? ct_arg_tensor("where", "condition", a[0]) : NULL;
    if (!c) return NULL;
    if (!a[1] && !a[2]) return ct_nonzero_py(c, true);   /* where(condition) */
    if (!a[1] || !a[2]) return PyErr_Format(PyExc_TypeError, "where() missing required argument");
    ct_tensor *x = ct_operand(a[1]), *y = x ? ct_operand(a[2]) : NULL;
    PyObject *r = NULL;
    if (y) r = finish(ct_where(c, x, y, out ? ct_unwrap(out) : NULL), out);
    else if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "where(): expected Tensor or Number arguments");
    ct_xdecref(x);
    ct_xdecref(y);
    return r;
}
static PyObject *m_where(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kw) {
    static const char *const names[] = {"condition", "other", NULL};
    PyObject *a[2];
    if (ct_parse("where", args, nargs, kw, names, 2, a) < 0) return NULL;
    if (!a[0] || !a[1]) return PyErr_Format(PyExc_TypeError, "where() missing required arguments");
    PyObject *argv[3] = {a[0], self, a[1]};
    return f_where(NULL, argv, 3, NULL);
}

/* ---- operators ---- */
static PyObject *binary_operator(int op, PyObject *a, PyObject *b, bool inplace) {
    ct_tensor *x = ct_operand(a), *y = x ? ct_operand(b) : NULL;
    if (!y) {
        ct_xdecref(x);
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NOTIMPLEMENTED;
    }
    ct_tensor *r, *o = inplace ? ct_unwrap(a) : NULL;
    CT_NOGIL(ct_numel(x) + ct_numel(y), r = ct_binary(op, x, y, NULL, o));
    ct_decref(x);
    ct_decref(y);
    return finish(r, inplace ? a : NULL);
}

#define CT_OPERATOR(slot, op)                                                                         \
    static PyObject *nb_##slot(PyObject *a, PyObject *b) { return binary_operator(op, a, b, false); } \
    static PyObject *nb_inplace_##slot(PyObject *a, PyObject *b) { return binary_operator(op, a, b, true); }
CT_OPERATOR(add, CT_OP_add)
CT_OPERATOR(subtract, CT_OP_sub)
CT_OPERATOR(multiply, CT_OP_mul)
CT_OPERATOR(true_divide, CT_OP_div)
CT_OPERATOR(floor_divide, CT_OP_floor_divide)
CT_OPERATOR(remainder, CT_OP_remainder)
CT_OPERATOR(and, CT_OP_bitwise_and)
CT_OPERATOR(or, CT_OP_bitwise_or)
CT_OPERATOR(xor, CT_OP_bitwise_xor)
CT_OPERATOR(lshift, CT_OP_bitwise_left_shift)
CT_OPERATOR(rshift, CT_OP_bitwise_right_shift)

static PyObject *nb_power(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return pow_values(a, b, NULL);
}
static PyObject *nb_inplace_power(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return pow_values(a, b, a);
}

static PyObject *nb_matmul(PyObject *a, PyObject *b) {
    if (!ct_is_tensor(a) || !ct_is_tensor(b)) Py_RETURN_NOTIMPLEMENTED;
    ct_tensor *x = ct_unwrap(a), *y = ct_unwrap(b), *r;
    CT_NOGIL(ct_numel(x) + ct_numel(y), r = ct_matmul(x, y));
    return ct_wrap(r);
}

static PyObject *nb_negative(PyObject *a) { return ct_wrap(ct_unary(CT_OP_neg, ct_unwrap(a), NULL, NULL)); }
static PyObject *nb_positive(PyObject *a) {
    Py_INCREF(a);
    return a;
}
static PyObject *nb_absolute(PyObject *a) { return ct_wrap(ct_unary(CT_OP_abs, ct_unwrap(a), NULL, NULL)); }
static PyObject *nb_invert(PyObject *a) {
    ct_tensor *t = ct_unwrap(a);
    if (ct_is_floating(t->dtype))
        return PyErr_Format(PyExc_TypeError, "~ (operator.invert) is only implemented on integer and Boolean-type "
                                             "tensors");
    return ct_wrap(ct_unary(CT_OP_bitwise_not, t, NULL, NULL));
}

/* one element as a Python number (for bool(), int(), float()) */
static int single_value(PyObject *a, const char *what, ct_scalar *v) {
    ct_tensor *t = ct_unwrap(a);
    int64_t n = ct_numel(t);
    if (n != 1) {
        bool is_bool = what[0] == 'B';   /* bool() raises RuntimeError, int()/float() ValueError */
        if (n == 0 && is_bool) PyErr_Format(PyExc_RuntimeError, "Boolean value of Tensor with no values is ambiguous");
        else PyErr_Format(is_bool ? PyExc_RuntimeError : PyExc_ValueError, "%s", what);
        return -1;
    }
    return ct_item(t, v) < 0 ? ct_raise_int() : 0;
}
static int nb_bool(PyObject *a) {
    ct_scalar v;
    if (single_value(a, "Boolean value of Tensor with more than one value is ambiguous", &v) < 0) return -1;
    return ct_is_floating(ct_unwrap(a)->dtype) ? v.d != 0 : v.i != 0;
}
static PyObject *nb_int(PyObject *a) {
    ct_scalar v;
    if (single_value(a, "only one element tensors can be converted to Python scalars", &v) < 0) return NULL;
    if (ct_is_floating(ct_unwrap(a)->dtype)) return PyLong_FromDouble(v.d);
    return PyLong_FromLongLong(v.i);
}
static PyObject *nb_float(PyObject *a) {
    ct_scalar v;
    if (single_value(a, "only one element tensors can be converted to Python scalars", &v) < 0) return NULL;
    return PyFloat_FromDouble(v.d);
}
static PyObject *nb_index(PyObject *a) {
    ct_tensor *t = ct_unwrap(a);
    if (!ct_is_integral(t->dtype, true) || ct_numel(t) != 1)
        return PyErr_Format(PyExc_TypeError, "only integer tensors of a single element can be converted to an index");
    ct_scalar v;
    return ct_item(t, &v) < 0 ? ct_raise() : PyLong_FromLongLong(v.i);
}

PyNumberMethods ct_tensor_as_number = {
    .nb_add = nb_add, .nb_subtract = nb_subtract, .nb_multiply = nb_multiply,
    .nb_true_divide = nb_true_divide, .nb_floor_divide = nb_floor_divide, .nb_remainder = nb_remainder,
    .nb_power = nb_power, .nb_matrix_multiply = nb_matmul, .nb_negative = nb_negative,
    .nb_positive = nb_positive, .nb_absolute = nb_absolute, .nb_invert = nb_invert, .nb_and = nb_and,
    .nb_or = nb_or, .nb_xor = nb_xor, .nb_lshift = nb_lshift, .nb_rshift = nb_rshift, .nb_bool = nb_bool,
    .nb_int = nb_int, .nb_float = nb_float, .nb_index = nb_index,
    .nb_inplace_add = nb_inplace_add, .nb_inplace_subtract = nb_inplace_subtract,
    .nb_inplace_multiply = nb_inplace_multiply, .nb_inplace_true_divide = nb_inplace_true_divide,
    .nb_inplace_floor_divide = nb_inplace_floor_divide, .nb_inplace_remainder = nb_inplace_remainder,
    .nb_inplace_power = nb_inplace_power, .nb_inplace_and = nb_inplace_and, .nb_inplace_or = nb_inplace_or,
    .nb_inplace_xor = nb_inplace_xor, .nb_inplace_lshift = nb_inplace_lshift,
    .nb_inplace_rshift = nb_inplace_rshift,
};

PyObject *ct_tensor_richcompare(PyObject *a, PyObject *b, int cmp) {
    static const int ops[] = {[Py_LT] = CT_OP_lt, [Py_LE] = CT_OP_le, [Py_EQ] = CT_OP_eq,
                              [Py_NE] = CT_OP_ne, [Py_GT] = CT_OP_gt, [Py_GE] = CT_OP_ge};
    return binary_operator(ops[cmp], a, b, false);
}

/* ---- tables: hand-written entries first; internal kernels are not exported ---- */
#define CT_ENTRY(name, fn) {name, CT_FASTCALL(fn), NULL},
#define CT_METHOD_ENTRIES(name) CT_ENTRY(#name, m_##name) CT_ENTRY(#name "_", m_##name##_)

PyMethodDef ct_math_methods[] = {
    CT_ENTRY("div", m_div2) CT_ENTRY("div_", m_div2_) CT_ENTRY("divide", m_div2) CT_ENTRY("true_divide", m_div2)
    CT_ENTRY("round", m_round2) CT_ENTRY("round_", m_round2_)
    CT_ENTRY("clamp", m_clamp2) CT_ENTRY("clamp_", m_clamp2_) CT_ENTRY("clip", m_clamp2) CT_ENTRY("clip_", m_clamp2_)
    CT_ENTRY("clamp_min", m_clamp_min2) CT_ENTRY("clamp_min_", m_clamp_min2_)
    CT_ENTRY("clamp_max", m_clamp_max2) CT_ENTRY("clamp_max_", m_clamp_max2_)
    CT_ENTRY("lerp", m_lerp2) CT_ENTRY("lerp_", m_lerp2_)
    CT_ENTRY("pow", m_pow2) CT_ENTRY("pow_", m_pow2_) CT_ENTRY("where", m_where)
    CT_ENTRY("subtract", m_sub) CT_ENTRY("multiply", m_mul) CT_ENTRY("absolute", m_abs) CT_ENTRY("negative", m_neg)
    CT_ENTRY("greater", m_gt) CT_ENTRY("greater_equal", m_ge) CT_ENTRY("less", m_lt) CT_ENTRY("less_equal", m_le)
    CT_ENTRY("not_equal", m_ne)
#define CT_UNARY(name, rule, dtypes, body) CT_METHOD_ENTRIES(name)
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
    {NULL},
};

PyMethodDef ct_math_functions[] = {
    CT_ENTRY("div", f_div2) CT_ENTRY("divide", f_div2) CT_ENTRY("true_divide", f_div2)
    CT_ENTRY("round", f_round2) CT_ENTRY("clamp", f_clamp2) CT_ENTRY("clip", f_clamp2)
    CT_ENTRY("clamp_min", f_clamp_min2) CT_ENTRY("clamp_max", f_clamp_max2)
    CT_ENTRY("lerp", f_lerp2) CT_ENTRY("pow", f_pow2) CT_ENTRY("where", f_where)
    CT_ENTRY("subtract", f_sub) CT_ENTRY("multiply", f_mul) CT_ENTRY("absolute", f_abs) CT_ENTRY("negative", f_neg)
    CT_ENTRY("greater", f_gt) CT_ENTRY("greater_equal", f_ge) CT_ENTRY("less", f_lt) CT_ENTRY("less_equal", f_le)
    CT_ENTRY("not_equal", f_ne)
#define CT_UNARY(name, rule, dtypes, body) CT_ENTRY(#name, f_##name)
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
    {NULL},
};
