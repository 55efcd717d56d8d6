/* Whole-tensor comparisons composed of elementwise ops: isclose, equal. */
#include "ctorch/ct_ops.h"

/* |a - b| <= atol + rtol * |b|, or a == b (infinities), or both nan when equal_nan */
ct_tensor *ct_isclose(ct_tensor *a, ct_tensor *b, double rtol, double atol, bool equal_nan) {
    if (a->dtype != b->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "%s did not match %s", ct_dtype_infos[a->dtype].legacy,
                             ct_dtype_infos[b->dtype].legacy);
    ct_tensor *eq = ct_binary(CT_OP_eq, a, b, NULL, NULL);
    if (!eq || !ct_is_floating(a->dtype)) return eq;
    ct_scalar tol[2] = {ct_scalar_f(rtol), ct_scalar_f(atol)};
    ct_tensor *diff = ct_binary(CT_OP_sub, a, b, NULL, NULL);
    ct_tensor *adiff = diff ? ct_unary(CT_OP_abs, diff, NULL, NULL) : NULL;
    ct_tensor *ab = adiff ? ct_unary(CT_OP_abs, b, NULL, NULL) : NULL;
    ct_tensor *rt = ab ? ct_scalar_tensor(tol[0], CT_FLOAT64, true) : NULL;
    ct_tensor *at = rt ? ct_scalar_tensor(tol[1], CT_FLOAT64, true) : NULL;
    ct_tensor *bound = at ? ct_ternary(CT_OP_addcmul, at, ab, rt, NULL, NULL) : NULL;   /* atol + rtol*|b| */
    ct_tensor *le = bound ? ct_binary(CT_OP_le, adiff, bound, NULL, NULL) : NULL;
    ct_tensor *fin = le ? ct_unary(CT_OP_isfinite, adiff, NULL, NULL) : NULL;   /* inf - inf is not close */
    ct_tensor *close = fin ? ct_binary(CT_OP_logical_and, le, fin, NULL, NULL) : NULL;
    ct_tensor *res = close ? ct_binary(CT_OP_logical_or, close, eq, NULL, NULL) : NULL;
    if (res && equal_nan) {
        ct_tensor *na = ct_unary(CT_OP_isnan, a, NULL, NULL), *nb = na ? ct_unary(CT_OP_isnan, b, NULL, NULL) : NULL;
        ct_tensor *both = nb ? ct_binary(CT_OP_logical_and, na, nb, NULL, NULL) : NULL;
        ct_tensor *r2 = both ? ct_binary(CT_OP_logical_or, res, both, NULL, NULL) : NULL;
        ct_xdecref(na);
        ct_xdecref(nb);
        ct_xdecref(both);
        ct_decref(res);
        res = r2;
    }
    ct_tensor *tmp[] = {eq, diff, adiff, ab, rt, at, bound, le, fin, close};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) ct_xdecref(tmp[i]);
    return res;
}

int ct_equal(ct_tensor *a, ct_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->sizes[i] != b->sizes[i]) return 0;
    ct_tensor *eq = ct_binary(CT_OP_eq, a, b, NULL, NULL);
    ct_tensor *all = eq ? ct_reduce(CT_RED_ALL, eq, 0, NULL, false, CT_UNDEFINED) : NULL;
    ct_scalar v;
    int r = all && ct_item(all, &v) == 0 ? v.i != 0 : -1;
    ct_xdecref(eq);
    ct_xdecref(all);
    return r;
}
