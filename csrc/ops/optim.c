/* Optimizer steps: one call updates every parameter of a group. For each
 * parameter this layer checks the operands, advances its step counter,
 * computes the step's coefficients (bias corrections, step sizes: in double,
 * as PyTorch computes them in Python) and runs the backend's optim_step
 * kernel once over the parameter, its gradient and its state tensors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

#define MAX_OPERANDS (2 + CT_OPTIM_MAX_STATES)
#define MAX_COEFS 10

static const char *const kind_names[CT_OPTIM_NUM_KINDS] = {"SGD",      "Adam",   "RMSprop", "Adagrad",
                                                           "Adadelta", "Adamax", "NAdam",   "RAdam"};
static const int num_states[CT_OPTIM_NUM_KINDS] = {1, 3, 3, 1, 2, 2, 2, 2};
static const char *const state_names[CT_OPTIM_NUM_KINDS][CT_OPTIM_MAX_STATES] = {
    {"momentum_buffer"}, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, {"square_avg", "momentum_buffer", "grad_avg"},
    {"sum"}, {"square_avg", "acc_delta"}, {"exp_avg", "exp_inf"}, {"exp_avg", "exp_avg_sq"}, {"exp_avg", "exp_avg_sq"}};

/* does the group's update use its k-th state list (the optional ones follow the options) */
static bool uses_state(const ct_optim_group *g, int k) {
    switch (g->kind) {
    case CT_OPTIM_SGD: return k == 0 && g->momentum != 0;
    case CT_OPTIM_ADAM: return k < 2 || g->amsgrad;
    case CT_OPTIM_RMSPROP: return k == 0 || (k == 1 ? g->momentum > 0 : g->centered);
    default: return k < num_states[g->kind];
    }
}

/* PyTorch's error for a parameter of a dtype the update's first op rejects */
static int dtype_error(ct_optim_kind kind, ct_dtype d) {
    switch (kind) {
    case CT_OPTIM_SGD:
        return ct_error(CT_ERR_RUNTIME, "For integral input tensors, argument alpha must not be a floating point number.");
    case CT_OPTIM_RMSPROP: case CT_OPTIM_ADAGRAD: case CT_OPTIM_ADADELTA:
        return ct_error(CT_ERR_RUNTIME, "result type Float can't be cast to the desired output type %s",
                        ct_dtype_infos[d].legacy);
    default:
        return ct_error_kernel_dtype("lerp_kernel_scalar", d);
    }
}

/* t has the parameter's dtype, shape and device */
static int check_like(const ct_optim_group *g, int i, ct_tensor *t, const char *what) {
    ct_tensor *p = g->params[i];
    if (t->dtype == p->dtype && t->ndim == p->ndim && ct_device_eq(ct_device_of(t), ct_device_of(p)) &&
        !memcmp(t->sizes, p->sizes, sizeof(int64_t) * (size_t)p->ndim))
        return 0;
    char a[256], b[256];
    return ct_error(CT_ERR_RUNTIME, "%s.step(): the %s of parameter %d (%s of shape %s) does not match the parameter "
                    "(%s of shape %s)", kind_names[g->kind], what, i, ct_dtype_name(t->dtype),
                    ct_shape_str(t->ndim, t->sizes, a, 256), ct_dtype_name(p->dtype), ct_shape_str(p->ndim, p->sizes, b, 256));
}

/* a 1-element floating CPU tensor's value times mul plus add, rounded to its dtype and stored (step += 1,
 * mu_product *= mu, as PyTorch's in-place ops on it); returns the new value, or NAN with the error set */
static double update_counter(const ct_optim_group *g, ct_tensor *t, const char *what, double mul, double add) {
    if (ct_numel(t) != 1 || !ct_is_floating(t->dtype) || ct_device_of(t).type != CT_DEV_CPU) {
        ct_error(CT_ERR_RUNTIME, "%s.step(): `%s` must be a 1-element floating point CPU tensor", kind_names[g->kind], what);
        return NAN;
    }
    double m;   /* the factor as the tensor's dtype sees it */
    ct_store_scalar(&m, t->dtype, ct_scalar_f(mul));
    double v = ct_load_scalar(ct_data(t), t->dtype).d * ct_load_scalar(&m, t->dtype).d + add;
    ct_store_scalar(ct_data(t), t->dtype, ct_scalar_f(v));
    ct_bump_version(t);
    return ct_load_scalar(ct_data(t), t->dtype).d;
}

/* the kernel's coefficients and flags for parameter i (its step counters advanced); count or -1 */
static int coefficients(const ct_optim_group *g, int i, double *c, int *flags) {
    double step = 0, lr = g->lr, wd = g->weight_decay, b1 = g->beta1, b2 = g->beta2;
    if (g->kind != CT_OPTIM_SGD && isnan(step = update_counter(g, g->steps[i], "step", 1, 1))) return -1;
    *flags = (g->maximize ? CT_OPTIM_MAXIMIZE : 0) | (wd != 0 && !g->decoupled ? CT_OPTIM_L2 : 0);
    double decay = wd != 0 && g->decoupled ? 1 - lr * wd : 1;   /* AdamW-style decay: param *= decay first */
    switch (g->kind) {
    case CT_OPTIM_SGD: {
        bool first = g->momentum != 0 && g->states[0][i] == NULL;
        *flags |= (g->momentum != 0 ? CT_OPTIM_MOMENTUM : 0) | (first ? CT_OPTIM_FIRST : 0) |
                  (g->nesterov ? CT_OPTIM_NESTEROV : 0);
        double v[] = {wd, g->momentum, 1 - g->dampening, -lr};
        memcpy(c, v, sizeof v);
        return 4;
    }
    case CT_OPTIM_ADAM: {
        double bc2 = 1 - pow(b2, step);
        *flags |= g->amsgrad ? CT_OPTIM_AMSGRAD : 0;
        double v[] = {wd, decay, 1 - b1, b2, 1 - b2, pow(bc2, 0.5), g->eps, -(lr / (1 - pow(b1, step)))};
        memcpy(c, v, sizeof v);
        return 8;
    }
    case CT_OPTIM_RMSPROP: {
        *flags |= (g->momentum > 0 ? CT_OPTIM_MOMENTUM : 0) | (g->centered ? CT_OPTIM_CENTERED : 0);
        double v[] = {wd, g->alpha, 1 - g->alpha, g->eps, g->momentum, -lr};
        memcpy(c, v, sizeof v);
        return 6;
    }
    case CT_OPTIM_ADAGRAD: {
        double v[] = {wd, g->eps, -(lr / (1 + (step - 1) * g->lr_decay))};
        memcpy(c, v, sizeof v);
        return 3;
    }
    case CT_OPTIM_ADADELTA: {
        double v[] = {wd, g->alpha, 1 - g->alpha, g->eps, -lr};
        memcpy(c, v, sizeof v);
        return 5;
    }
    case CT_OPTIM_ADAMAX: {
        double v[] = {wd, 1 - b1, b2, g->eps, -(lr / (1 - pow(b1, step)))};
        memcpy(c, v, sizeof v);
        return 5;
    }
    case CT_OPTIM_NADAM: {   /* the momentum schedule mu_t and its running product */
        double mu = b1 * (1.0 - 0.5 * pow(0.96, step * g->momentum_decay));
        double mu_next = b1 * (1.0 - 0.5 * pow(0.96, (step + 1) * g->momentum_decay));
        double prod = update_counter(g, g->mu_products[i], "mu_product", mu, 0);
        if (isnan(prod)) return -1;
        double v[] = {wd, decay, 1 - b1, b2, 1 - b2, 1 - pow(b2, step), g->eps,
                      -lr * (1.0 - mu) / (1.0 - prod), (-lr * mu_next) / (1.0 - prod * mu_next)};
        memcpy(c, v, sizeof v);
        return 9;
    }
    case CT_OPTIM_RADAM: {   /* rectified when the variance's length rho_t exceeds 5 */
        double bc2 = 1 - pow(b2, step), rho_inf = 2 / (1 - b2) - 1;
        double rho_t = rho_inf - 2 * step * pow(b2, step) / bc2, rect = 0;
        if (rho_t > 5.0) {
            *flags |= CT_OPTIM_RECTIFY;
            rect = pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5);
        }
        double v[] = {wd, decay, 1 - b1, b2, 1 - b2, 1 - pow(b1, step), lr, pow(bc2, 0.5), g->eps, rect};
        memcpy(c, v, sizeof v);
        return 10;
    }
    default:
        return -1;   /* ct_optim_step checked the kind */
    }
}

/* every operand dense and laid out as the parameter: the kernel runs flat over memory */
static bool flat(ct_tensor *const *ops, int n) {
    if (!ct_is_non_overlapping_and_dense(ops[0])) return false;
    for (int k = 1; k < n; k++)
        if (ops[k] && memcmp(ops[k]->strides, ops[0]->strides, sizeof(int64_t) * (size_t)ops[0]->ndim)) return false;
    return true;
}

/* the kernel over contiguous copies of the operands; written ones (all but the grad) are copied back */
static int run_on_copies(ct_kernel_args *args, ct_tensor *const *ops, int n) {
    ct_tensor *tmp[MAX_OPERANDS] = {0};
    int rc = 0, k = 0;
    for (; k < n && rc == 0; k++)
        if (ops[k] && !(tmp[k] = ct_contiguous(ops[k]))) rc = -1;
    if (rc == 0) {
        args->tensors = tmp;
        rc = ct_dispatch(ct_device_of(ops[0]), args);
    }
    for (int j = 0; j < n; j++) {
        if (rc == 0 && j != 1 && tmp[j] && tmp[j] != ops[j]) rc = ct_copy_(ops[j], tmp[j]);
        ct_xdecref(tmp[j]);
    }
    return rc;
}

/* parameter i's update: checks, counters and coefficients, then the kernel */
static int step_one(const ct_optim_group *g, int i) {
    ct_tensor *p = g->params[i], *ops[MAX_OPERANDS] = {p, g->grads[i]};
    int n = 2 + num_states[g->kind];
    if (!ct_is_floating(p->dtype)) return dtype_error(g->kind, p->dtype);
    if (check_like(g, i, ops[1], "gradient") < 0) return -1;
    for (int k = 2; k < n; k++) {
        ops[k] = uses_state(g, k - 2) ? g->states[k - 2][i] : NULL;
        if (ops[k] && check_like(g, i, ops[k], state_names[g->kind][k - 2]) < 0) return -1;
    }
    double c[MAX_COEFS];
    int flags = 0, nc = coefficients(g, i, c, &flags);
    if (nc < 0) return -1;
    if (flags & CT_OPTIM_FIRST && !(ops[2] = g->states[0][i] = ct_empty_like(ops[1], p->dtype))) return -1;
    ct_scalar s[MAX_COEFS];
    for (int k = 0; k < nc; k++) s[k] = ct_scalar_f(c[k]);
    int64_t ints[2] = {g->kind, flags};
    ct_kernel_args args = {.op = CT_OP_optim_step, .tensors = ops, .ntensors = n, .scalars = s, .nscalars = nc,
                           .ints = ints, .nints = 2};
    int rc = flat(ops, n) ? ct_dispatch(ct_device_of(p), &args) : run_on_copies(&args, ops, n);
    for (int k = 0; rc == 0 && k < n; k++)
        if (k != 1 && ops[k]) ct_bump_version(ops[k]);
    return rc;
}

int ct_optim_step(const ct_optim_group *g) {
    if ((int)g->kind < 0 || g->kind >= CT_OPTIM_NUM_KINDS)
        return ct_error(CT_ERR_VALUE, "unknown optimizer kind %d", (int)g->kind);
    for (int k = 0; k < CT_OPTIM_MAX_STATES; k++)   /* only SGD's momentum buffers may be missing (created) */
        for (int i = 0; uses_state(g, k) && i < g->n; i++)
            if (!g->states[k] || (!g->states[k][i] && g->kind != CT_OPTIM_SGD))
                return ct_error(CT_ERR_RUNTIME, "%s.step(): the %s of parameter %d is missing", kind_names[g->kind],
                                state_names[g->kind][k], i);
    if (g->n > 0 && g->kind != CT_OPTIM_SGD && (!g->steps || (g->kind == CT_OPTIM_NADAM && !g->mu_products)))
        return ct_error(CT_ERR_RUNTIME, "%s.step(): the step counters are missing", kind_names[g->kind]);
    bool grad_mode = ct_grad_enabled();   /* the step (and its copies) records no graph */
    ct_set_grad_enabled(false);
    int rc = 0;
    for (int i = 0; rc == 0 && i < g->n; i++) rc = step_one(g, i);
    ct_set_grad_enabled(grad_mode);
    return rc;
}
