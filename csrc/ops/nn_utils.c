/* nn.utils over a list of tensors in one call: clip_grad_norm_ and
 * clip_grad_value_ (the per-tensor loop runs here, not in Python). */
#include <math.h>
#include <stdio.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_ops.h"

/* the p-norm of all grads together: the p-norm of their norms (PyTorch's order of operations) */
static ct_tensor *total_norm(int n, ct_tensor *const *grads, double p) {
    ct_tensor *norms[n], *total = NULL;
    int k = 0;
    for (; k < n; k++)
        if (!(norms[k] = ct_norm(grads[k], p, 0, NULL, false))) break;
    ct_tensor *stacked = k == n ? ct_stack(n, norms, 0) : NULL;
    if (stacked) total = ct_norm(stacked, p, 0, NULL, false);
    ct_xdecref(stacked);
    for (int i = 0; i < k; i++) ct_decref(norms[i]);
    return total;
}

ct_tensor *ct_clip_grad_norm_(int n, ct_tensor *const *grads, double max_norm, double norm_type,
                              bool error_if_nonfinite) {
    bool grad = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *total = total_norm(n, grads, norm_type), *coef = NULL;
    ct_scalar norm = {0, 0};
    if (total && ct_item(total, &norm) < 0) {
        ct_decref(total);
        total = NULL;
    }
    double value = norm.d;
    if (total && error_if_nonfinite && !isfinite(value)) {
        char order[32];   /* as Python prints the float: 2.0, inf */
        snprintf(order, sizeof order, isfinite(norm_type) && norm_type == floor(norm_type) ? "%.1f" : "%g", norm_type);
        ct_error(CT_ERR_RUNTIME, "The total norm of order %s for gradients from `parameters` is non-finite, so it "
                 "cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, "
                 "set `error_if_nonfinite=False`", order);
    } else if (total) {   /* coef = min(max_norm / (total + 1e-6), 1), each grad scaled by it in place */
        ct_scalar one[2] = {ct_scalar_f(1.0), ct_scalar_f(0.0)};   /* unary kernels read two parameters */
        ct_tensor *mx = ct_scalar_tensor(ct_scalar_f(max_norm), total->dtype, true);
        ct_tensor *eps = ct_scalar_tensor(ct_scalar_f(1e-6), total->dtype, true);
        ct_tensor *den = eps ? ct_binary(CT_OP_add, total, eps, NULL, NULL) : NULL;
        ct_tensor *q = mx && den ? ct_binary(CT_OP_div, mx, den, NULL, NULL) : NULL;
        coef = q ? ct_unary(CT_OP_clamp_max, q, one, NULL) : NULL;
        for (int i = 0; coef && i < n; i++) {
            ct_tensor *r = ct_binary(CT_OP_mul, grads[i], coef, NULL, grads[i]);
            if (!r) {
                ct_decref(coef);
                coef = NULL;
            }
            ct_xdecref(r);
        }
        ct_tensor *tmp[4] = {mx, eps, den, q};
        for (int i = 0; i < 4; i++) ct_xdecref(tmp[i]);
    }
    ct_set_grad_enabled(grad);
    if (!coef) {
        ct_xdecref(total);
        return NULL;
    }
    ct_decref(coef);
    return total;
}

int ct_clip_grad_value_(int n, ct_tensor *const *grads, double clip_value) {
    ct_scalar bounds[2] = {ct_scalar_f(-clip_value), ct_scalar_f(clip_value)};
    for (int i = 0; i < n; i++) {
        ct_tensor *r = ct_unary(CT_OP_clamp, grads[i], bounds, grads[i]);
        if (!r) return -1;
        ct_decref(r);
    }
    return 0;
}
