/* Elementwise ops: result dtypes (PyTorch's promotion and each op's rule),
 * casting of odd inputs, output allocation or in-place checks, dispatch. */
#include <stdio.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

typedef enum { R_SAME, R_FLOAT, R_PRED, R_ARITH, R_DIV, R_BITWISE, R_CMP } ct_rule;

static const signed char op_rules[CT_NUM_OPS] = {
#define CT_UNARY(name, rule, dtypes, body) [CT_OP_##name] = R_##rule,
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
};

/* the name PyTorch's kernels go by in dtype errors */
static const char *kernel_name(int op) {
    if (op == CT_OP_bitwise_left_shift) return "lshift";
    if (op == CT_OP_bitwise_right_shift) return "rshift";
    return ct_op_name(op);
}

static ct_bucket bucket_of(const ct_tensor *t) {
    return t->is_wrapped_number ? CT_BUCKET_WRAPPED : t->ndim == 0 ? CT_BUCKET_ZERODIM : CT_BUCKET_DIM;
}

/* a wrapped Python float counts as the default dtype, whatever it is stored as */
static ct_dtype promotion_dtype(const ct_tensor *t) {
    if (t->is_wrapped_number && ct_is_floating(t->dtype)) return ct_get_default_dtype();
    return t->dtype;
}

static ct_dtype result_type_n(int n, ct_tensor *const *ts) {
    ct_result_state st;
    ct_result_init(&st);
    for (int i = 0; i < n; i++) ct_result_add(&st, promotion_dtype(ts[i]), bucket_of(ts[i]));
    return ct_result_finish(&st);
}

ct_dtype ct_result_type2(const ct_tensor *a, const ct_tensor *b) {
    ct_tensor *ts[2] = {(ct_tensor *)a, (ct_tensor *)b};
    return result_type_n(2, ts);
}

ct_tensor *ct_scalar_tensor(ct_scalar v, ct_dtype dtype, bool wrapped) {
    ct_tensor *t = ct_empty(0, NULL, dtype, ct_cpu());
    if (!t) return NULL;
    ct_store_scalar(ct_data(t), dtype, v);
    t->is_wrapped_number = wrapped;
    return t;
}

static const char *legacy(ct_dtype d) { return ct_dtype_infos[d].legacy; }

/* PyTorch's own words for the bool cases it rejects */
static int check_bool_ops(int op, int n, ct_tensor *const *in) {
    if (op == CT_OP_neg && in[0]->dtype == CT_BOOL)
        return ct_error(CT_ERR_RUNTIME, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                                        "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    if (op == CT_OP_sub && n == 2) {
        if (in[0]->dtype == CT_BOOL && in[1]->dtype == CT_BOOL)
            return ct_error(CT_ERR_RUNTIME, "Subtraction, the `-` operator, with two bool tensors is not supported. "
                                            "Use the `^` or `logical_xor()` operator instead.");
        if (in[0]->dtype == CT_BOOL || in[1]->dtype == CT_BOOL)
            return ct_error(CT_ERR_RUNTIME, "Subtraction, the `-` operator, with a bool tensor is not supported. If "
                                            "you are trying to invert a mask, use the `~` or `logical_not()` operator "
                                            "instead.");
    }
    return 0;
}

/* the compute dtype and the result dtype of op over inputs */
static int op_dtypes(int op, int n, ct_tensor *const *in, ct_dtype *compute, ct_dtype *result) {
    ct_rule r = (ct_rule)op_rules[op];
    ct_dtype c = (r == R_SAME || r == R_FLOAT || r == R_PRED) ? in[0]->dtype : result_type_n(n, in);
    if ((r == R_FLOAT || r == R_DIV) && !ct_is_floating(c)) c = ct_get_default_dtype();
    if (r == R_BITWISE && ct_is_floating(c))
        return ct_error_dtype(kernel_name(op), c);
    if (check_bool_ops(op, n, in) < 0) return -1;
    *compute = c;
    *result = (r == R_PRED || r == R_CMP) ? CT_BOOL : c;
    return 0;
}

/* run an elementwise kernel: inputs already in the compute dtype */
static ct_tensor *run(int op, int n, ct_tensor *const *in, const ct_scalar *params, int nparams, ct_tensor *out,
                      ct_dtype result) {
    ct_iter it;
    ct_tensor *res = out;
    if (ct_iter_elementwise(&it, ct_op_name(op), &res, result, n, in) < 0) return NULL;
    if (!out) out = res;
    else ct_incref(out);
    int flags = 0;
    ct_kernel_args args = {.op = op, .iter = &it, .scalars = params, .nscalars = nparams, .flags = &flags};
    int rc = ct_dispatch(ct_device_of(out), &args);   /* also when empty: the kernel checks the dtype */
    ct_iter_release(&it);
    if (rc == 0 && (flags & CT_FLAG_ZERO_DIV)) rc = ct_error(CT_ERR_RUNTIME, "ZeroDivisionError");
    if (rc < 0) {
        ct_decref(out);
        return NULL;
    }
    return out;
}

static int check_devices(int op, int n, ct_tensor *const *in) {
    for (int i = 1; i < n; i++) {
        ct_device a = ct_device_of(in[0]), b = ct_device_of(in[i]);
        /* 0-dim CPU tensors (scalars) may join tensors of any device */
        if (!ct_device_eq(a, b) && !(in[i]->ndim == 0 && b.type == CT_DEV_CPU) &&
            !(in[0]->ndim == 0 && a.type == CT_DEV_CPU))
            return ct_error(CT_ERR_RUNTIME,
                            "Expected all tensors to be on the same device, but found at least two devices, "
                            "%s and %s! (when checking argument for %s)",
                            a.type == CT_DEV_CUDA ? "cuda:0" : "cpu", b.type == CT_DEV_CUDA ? "cuda:0" : "cpu",
                            ct_op_name(op));
    }
    return 0;
}

/* Autograd for an elementwise op: the node and what it saves are set up
 * before the kernel runs (an in-place op overwrites its input), the output
 * is saved and attached after. */
static int record_begin(int op, int n, ct_tensor *const *inputs, ct_tensor *out, ct_dtype result, ct_node **node) {
    int saves = ct_elementwise_saves(op);
    *node = NULL;
    if (out && ct_inplace_check(out) < 0) return -1;
    if ((saves & CT_NODIFF) || !ct_is_floating(result) || !ct_record_needed(n, inputs)) return 0;
    bool inplace = false;
    for (int i = 0; i < n; i++) inplace = inplace || inputs[i] == out;
    if (out && !inplace)
        return ct_error(CT_ERR_RUNTIME, "%s(): functions with out=... arguments don't support automatic "
                        "differentiation, but one of the arguments requires grad.", ct_op_name(op));
    const char *name = ct_op_backward_name(op);
    if (op == CT_OP_pow)   /* tensor ** number, number ** tensor, tensor ** tensor */
        name = inputs[1]->is_wrapped_number ? "PowBackward0" : inputs[0]->is_wrapped_number ? "PowBackward2"
                                                                                         : "PowBackward1";
    if (op == CT_OP_sub && inputs[0]->is_wrapped_number) name = "RsubBackward1";
    if (!(*node = ct_record_begin(op, name, n, inputs))) return -1;
    for (int i = 0; i < n; i++) {
        if (!(saves & (1 << i))) continue;
        /* mul needs each input only for the other's gradient (as PyTorch, which then allows
         * writing in place into an input whose partner needs no gradient) */
        bool needed = op != CT_OP_mul || ct_requires_grad(inputs[1 - i]);
        /* an in-place op overwrites this input: the formula gets a copy of the old value */
        ct_tensor *keep = !needed ? NULL : inputs[i] == out ? ct_clone(inputs[i]) : ct_incref(inputs[i]);
        int rc = !needed ? ct_record_save(*node, NULL, false) : keep ? ct_record_save(*node, keep, false) : -1;
        ct_xdecref(keep);
        if (rc < 0) {
            ct_node_decref(*node);
            *node = NULL;
            return -1;
        }
    }
    return 0;
}

static ct_tensor *record_finish(int op, ct_node *node, ct_tensor *res, const ct_scalar *params, int nparams) {
    if ((ct_elementwise_saves(op) & CT_SAVE_OUT) && ct_record_save(node, res, true) < 0) {
        ct_node_decref(node);
        ct_decref(res);
        return NULL;
    }
    for (int i = 0; i < nparams && i < 2; i++) node->scalars[i] = params[i];
    ct_record_finish(node, res);
    return res;
}

static ct_tensor *elementwise(int op, int n, ct_tensor *const *inputs, const ct_scalar *params, int nparams,
                              ct_tensor *out) {
    ct_dtype compute, result;
    if (check_devices(op, n, inputs) < 0 || op_dtypes(op, n, inputs, &compute, &result) < 0) return NULL;
    if (out && !ct_can_cast(result, out->dtype))
        return ct_error_null(CT_ERR_RUNTIME, "result type %s can't be cast to the desired output type %s",
                             legacy(result), legacy(out->dtype));
    ct_node *node;
    if (record_begin(op, n, inputs, out, result, &node) < 0) return NULL;
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);   /* the casts and the kernel below are not recorded: node is */
    ct_tensor *cast[3];
    int ok = 1;
    for (int i = 0; i < n; i++) {
        cast[i] = ok ? ct_to_dtype(inputs[i], compute, false) : NULL;
        if (!cast[i]) ok = 0;
    }
    ct_tensor *res = NULL;
    if (ok) {
        if (out && out->dtype != result) {
            /* compute in the result dtype, then cast into out */
            ct_tensor *tmp = run(op, n, cast, params, nparams, NULL, result);
            if (tmp && ct_copy_(out, tmp) == 0) res = ct_incref(out);
            ct_xdecref(tmp);
        } else {
            res = run(op, n, cast, params, nparams, out, result);
        }
        if (res && out) ct_bump_version(out);
    }
    for (int i = 0; i < n; i++) ct_xdecref(cast[i]);
    ct_set_grad_enabled(grad_mode);
    if (node) {
        if (!res) {
            ct_node_decref(node);
            return NULL;
        }
        if (!(res = record_finish(op, node, res, params, nparams))) return NULL;
        if (out && ct_inplace_rebase(out) < 0) {   /* written through a view: the base's history too */
            ct_decref(res);
            return NULL;
        }
    }
    return res;
}

ct_tensor *ct_unary(int op, ct_tensor *x, const ct_scalar *params, ct_tensor *out) {
    return elementwise(op, 1, &x, params, params ? 2 : 0, out);
}

ct_tensor *ct_binary(int op, ct_tensor *a, ct_tensor *b, const ct_scalar *params, ct_tensor *out) {
    ct_tensor *in[2] = {a, b};
    ct_scalar one[1] = {ct_scalar_i(1)};   /* alpha of add/sub */
    return elementwise(op, 2, in, params ? params : one, 1, out);
}

ct_tensor *ct_ternary(int op, ct_tensor *a, ct_tensor *b, ct_tensor *c, const ct_scalar *params, ct_tensor *out) {
    ct_tensor *in[3] = {a, b, c};
    ct_scalar one[1] = {ct_scalar_i(1)};
    return elementwise(op, 3, in, params ? params : one, 1, out);
}

/* x ** e for a Python number e: common exponents take cheaper kernels
 * (x * x for 2, sqrt for 0.5, ...) with the dtype pow would give */
ct_tensor *ct_pow_scalar(ct_tensor *x, ct_tensor *e, ct_tensor *out) {
    double v = ct_load_scalar(ct_data(e), e->dtype).d;
    ct_dtype rt = ct_result_type2(x, e);
    bool fast = (v == 2 || v == 1) || (ct_is_floating(rt) && (v == 0.5 || v == -0.5 || v == -1));
    if (ct_record_needed(1, &x)) fast = false;   /* recorded as pow (PowBackward0), as PyTorch does */
    if (!fast) return ct_binary(CT_OP_pow, x, e, NULL, out);
    ct_tensor *xc = ct_to_dtype(x, rt, false);
    if (!xc) return NULL;
    ct_tensor *r;
    if (v == 2) r = ct_binary(CT_OP_mul, xc, xc, NULL, out);
    else if (v == 1) r = out ? (ct_copy_(out, xc) == 0 ? ct_incref(out) : NULL) : ct_clone(xc);
    else r = ct_unary(v == 0.5 ? CT_OP_sqrt : v == -0.5 ? CT_OP_rsqrt : CT_OP_reciprocal, xc, NULL, out);
    ct_decref(xc);
    return r;
}

ct_tensor *ct_where(ct_tensor *cond, ct_tensor *a, ct_tensor *b, ct_tensor *out) {
    ct_tensor *vals[2] = {a, b};
    ct_dtype dt = result_type_n(2, vals);
    ct_tensor *in[3] = {NULL, NULL, NULL};
    ct_tensor *res = NULL;
    if (cond->dtype != CT_BOOL && cond->dtype != CT_UINT8)
        return ct_error_null(CT_ERR_RUNTIME, "where expected condition to be a boolean tensor, but got a tensor with "
                                             "dtype %s", legacy(cond->dtype));
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);   /* recorded below as one node */
    if ((in[0] = ct_to_dtype(cond, CT_BOOL, false)) && (in[1] = ct_to_dtype(a, dt, false)) &&
        (in[2] = ct_to_dtype(b, dt, false)))
        res = run(CT_OP_where, 3, in, NULL, 0, out, dt);
    ct_set_grad_enabled(grad_mode);
    ct_tensor *orig[3] = {cond, a, b};
    if (res && ct_is_floating(dt) &&
        ct_record_op(CT_OP_where, "WhereBackward0", 3, orig, res, 1, &in[0], NULL, 0, NULL, 0) < 0) {
        ct_decref(res);
        res = NULL;
    }
    for (int i = 0; i < 3; i++) ct_xdecref(in[i]);
    return res;
}
