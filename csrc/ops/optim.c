/* Optimizer steps: one call updates every parameter of a group. This layer
 * checks every operand first, then per parameter advances its step counter
 * and computes the step's coefficients (bias corrections, step sizes: in
 * double, as PyTorch computes them in Python), and runs the backend's
 * optim_step kernel once over the whole group (one pass over each parameter,
 * its gradient and its state tensors; one parallel region for all). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

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
        return ct_error(CT_ERR_RUNTIME,
                        "For integral input tensors, argument alpha must not be a floating point number.");
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
                    ct_shape_str(t->ndim, t->sizes, a, 256), ct_dtype_name(p->dtype),
                    ct_shape_str(p->ndim, p->sizes, b, 256));
}

/* a step counter (or NAdam's mu_product): a 1-element floating CPU tensor */
static int check_counter(const ct_optim_group *g, ct_tensor *t, const char *what) {
    if (ct_numel(t) == 1 && ct_is_floating(t->dtype) && ct_device_of(t).type == CT_DEV_CPU) return 0;
    return ct_error(CT_ERR_RUNTIME, "%s.step(): `%s` must be a 1-element floating point CPU tensor",
                    kind_names[g->kind], what);
}

/* a counter's value times mul plus add, rounded to its dtype and stored (step += 1, mu_product *= mu, as
 * PyTorch's in-place ops on it); returns the new value */
static double update_counter(ct_tensor *t, double mul, double add) {
    double m;   /* the factor as the tensor's dtype sees it */
    ct_store_scalar(&m, t->dtype, ct_scalar_f(mul));
    double v = ct_load_scalar(ct_data(t), t->dtype).d * ct_load_scalar(&m, t->dtype).d + add;
    ct_store_scalar(ct_data(t), t->dtype, ct_scalar_f(v));
    ct_bump_version(t);
    return ct_load_scalar(ct_data(t), t->dtype).d;
}

/* the kernel's coefficients and flags for parameter i, its step counters advanced (checked before) */
static void coefficients(const ct_optim_group *g, int i, double *c, int *flags) {
    double step = g->kind == CT_OPTIM_SGD ? 0 : update_counter(g->steps[i], 1, 1);
    double lr = g->lr, wd = g->weight_decay, b1 = g->beta1, b2 = g->beta2;
    *flags = (g->maximize ? CT_OPTIM_MAXIMIZE : 0) | (wd != 0 && !g->decoupled ? CT_OPTIM_L2 : 0);
    double decay = wd != 0 && g->decoupled ? 1 - lr * wd : 1;   /* AdamW-style decay: param *= decay first */
    switch (g->kind) {
    case CT_OPTIM_SGD: {
        bool first = g->momentum != 0 && g->states[0][i] == NULL;
        *flags |= (g->momentum != 0 ? CT_OPTIM_MOMENTUM : 0) | (first ? CT_OPTIM_FIRST : 0) |
                  (g->nesterov ? CT_OPTIM_NESTEROV : 0);
        double v[] = {wd, g->momentum, 1 - g->dampening, -lr};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_ADAM: {
        double bc2 = 1 - pow(b2, step);
        *flags |= g->amsgrad ? CT_OPTIM_AMSGRAD : 0;
        double v[] = {wd, decay, 1 - b1, b2, 1 - b2, pow(bc2, 0.5), g->eps, -(lr / (1 - pow(b1, step)))};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_RMSPROP: {
        *flags |= (g->momentum > 0 ? CT_OPTIM_MOMENTUM : 0) | (g->centered ? CT_OPTIM_CENTERED : 0);
        double v[] = {wd, g->alpha, 1 - g->alpha, g->eps, g->momentum, -lr};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_ADAGRAD: {
        double v[] = {wd, g->eps, -(lr / (1 + (step - 1) * g->lr_decay))};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_ADADELTA: {
        double v[] = {wd, g->alpha, 1 - g->alpha, g->eps, -lr};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_ADAMAX: {
        double v[] = {wd, 1 - b1, b2, g->eps, -(lr / (1 - pow(b1, step)))};
        memcpy(c, v, sizeof v);
        break;
    }
    case CT_OPTIM_NADAM: {   /* the momentum schedule mu_t and its running product */
        double mu = b1 * (1.0 - 0.5 * pow(0.96, step * g->momentum_decay));
        double mu_next = b1 * (1.0 - 0.5 * pow(0.96, (step + 1) * g->momentum_decay));
        double prod = update_counter(g->mu_products[i], mu, 0);
        double v[] = {wd, decay, 1 - b1, b2, 1 - b2, 1 - pow(b2, step), g->eps,
                      -lr * (1.0 - mu) / (1.0 - prod), (-lr * mu_next) / (1.0 - prod * mu_next)};
        memcpy(c, v, sizeof v);
        break;
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
        break;
    }
    default:   /* ct_optim_step checked the kind */
        break;
    }
}

/* every operand dense and laid out as the parameter: the kernel runs flat over memory */
static bool flat(ct_tensor *const *ops) {
    if (!ct_is_non_overlapping_and_dense(ops[0])) return false;
    for (int k = 1; k < CT_OPTIM_OPERANDS; k++)
        if (ops[k] && memcmp(ops[k]->strides, ops[0]->strides, sizeof(int64_t) * (size_t)ops[0]->ndim)) return false;
    return true;
}

/* the group's tensors for parameter i: param, grad, the states its options use (NULL: unused or, for
 * SGD's momentum buffer, not made yet) */
static void originals(const ct_optim_group *g, int i, ct_tensor **ops) {
    ops[0] = g->params[i], ops[1] = g->grads[i];
    for (int k = 0; k < CT_OPTIM_MAX_STATES; k++) ops[2 + k] = uses_state(g, k) ? g->states[k][i] : NULL;
}

/* every operand present and like its parameter, every counter usable: checked before anything changes */
static int validate(const ct_optim_group *g) {
    for (int i = 0; i < g->n; i++) {
        ct_tensor *ops[CT_OPTIM_OPERANDS];
        originals(g, i, ops);
        if (!ct_is_floating(ops[0]->dtype)) return dtype_error(g->kind, ops[0]->dtype);
        if (check_like(g, i, ops[1], "gradient") < 0) return -1;
        for (int k = 0; k < CT_OPTIM_MAX_STATES; k++) {
            if (!ops[2 + k] && uses_state(g, k) && g->kind != CT_OPTIM_SGD)
                return ct_error(CT_ERR_RUNTIME, "%s.step(): the %s of parameter %d is missing", kind_names[g->kind],
                                state_names[g->kind][k], i);
            if (ops[2 + k] && check_like(g, i, ops[2 + k], state_names[g->kind][k]) < 0) return -1;
        }
        if (g->kind != CT_OPTIM_SGD && check_counter(g, g->steps[i], "step") < 0) return -1;
        if (g->kind == CT_OPTIM_NADAM && check_counter(g, g->mu_products[i], "mu_product") < 0) return -1;
    }
    return 0;
}

/* parameter i's slot of the kernel call: its operands (new references: the tensors themselves, or contiguous
 * copies when their layouts differ), coefficients and flags; SGD's missing momentum buffer is made here */
static int prepare(const ct_optim_group *g, int i, ct_tensor **ops, ct_scalar *s, int64_t *flags_out) {
    double c[CT_OPTIM_MAX_COEFS] = {0};
    int flags = 0;
    coefficients(g, i, c, &flags);
    for (int k = 0; k < CT_OPTIM_MAX_COEFS; k++) s[k] = ct_scalar_f(c[k]);
    *flags_out = flags;
    if (flags & CT_OPTIM_FIRST && !(g->states[0][i] = ct_empty_like(g->grads[i], g->params[i]->dtype))) return -1;
    originals(g, i, ops);
    bool as_is = flat(ops);
    for (int k = 0; k < CT_OPTIM_OPERANDS; k++) {
        if (ops[k] && !(ops[k] = as_is ? ct_incref(ops[k]) : ct_contiguous(ops[k]))) {
            while (k--) ct_xdecref(ops[k]);
            return -1;
        }
    }
    return 0;
}

/* the kernel over parameters [i0, i1) (one device) */
static int dispatch(const ct_optim_group *g, int i0, int i1, ct_tensor **ops, ct_scalar *s, int64_t *flags) {
    int64_t ints[1 + i1 - i0];   /* {kind, flags of each parameter} */
    ints[0] = g->kind;
    memcpy(ints + 1, flags + i0, sizeof(int64_t) * (size_t)(i1 - i0));
    ct_kernel_args args = {.op = CT_OP_optim_step, .tensors = ops + i0 * CT_OPTIM_OPERANDS,
                           .ntensors = (i1 - i0) * CT_OPTIM_OPERANDS, .scalars = s + i0 * CT_OPTIM_MAX_COEFS,
                           .nscalars = (i1 - i0) * CT_OPTIM_MAX_COEFS, .ints = ints, .nints = 1 + i1 - i0};
    return ct_dispatch(ct_device_of(g->params[i0]), &args);
}

/* after the kernel: copies written back to the tensors (all but the gradient), versions bumped, references
 * dropped (rc < 0: only dropped) */
static int finish(const ct_optim_group *g, int nready, ct_tensor **ops, int rc) {
    for (int i = 0; i < nready; i++) {
        ct_tensor *orig[CT_OPTIM_OPERANDS], **op = ops + i * CT_OPTIM_OPERANDS;
        originals(g, i, orig);
        for (int k = 0; k < CT_OPTIM_OPERANDS; k++) {
            if (rc == 0 && k != 1 && op[k]) {
                if (op[k] != orig[k]) rc = ct_copy_(orig[k], op[k]);
                ct_bump_version(orig[k]);
            }
            ct_xdecref(op[k]);
        }
    }
    return rc;
}

int ct_optim_step(const ct_optim_group *g) {
    if ((int)g->kind < 0 || g->kind >= CT_OPTIM_NUM_KINDS)
        return ct_error(CT_ERR_VALUE, "unknown optimizer kind %d", (int)g->kind);
    if (g->n == 0) return 0;
    for (int k = 0; k < CT_OPTIM_MAX_STATES; k++)
        if (uses_state(g, k) && !g->states[k])
            return ct_error(CT_ERR_RUNTIME, "%s.step(): the %s list is missing", kind_names[g->kind],
                            state_names[g->kind][k]);
    if (g->kind != CT_OPTIM_SGD && (!g->steps || (g->kind == CT_OPTIM_NADAM && !g->mu_products)))
        return ct_error(CT_ERR_RUNTIME, "%s.step(): the step counters are missing", kind_names[g->kind]);
    if (validate(g) < 0) return -1;
    ct_tensor **ops = calloc((size_t)g->n * CT_OPTIM_OPERANDS, sizeof *ops);
    ct_scalar *s = malloc(sizeof *s * (size_t)g->n * CT_OPTIM_MAX_COEFS);
    int64_t *flags = malloc(sizeof *flags * (size_t)g->n);
    int rc = ops && s && flags ? 0 : ct_error(CT_ERR_NOMEM, "out of memory");
    bool grad_mode = ct_grad_enabled();   /* the step (and its copies) records no graph */
    ct_set_grad_enabled(false);
    int nready = 0;   /* parameters whose slots hold references */
    while (rc == 0 && nready < g->n) {
        rc = prepare(g, nready, ops + nready * CT_OPTIM_OPERANDS, s + nready * CT_OPTIM_MAX_COEFS, flags + nready);
        nready += rc == 0;
    }
    for (int i0 = 0, i1; rc == 0 && i0 < g->n; i0 = i1) {   /* runs of parameters on one device */
        for (i1 = i0 + 1; i1 < g->n && ct_device_eq(ct_device_of(g->params[i1]), ct_device_of(g->params[i0])); i1++) {}
        rc = dispatch(g, i0, i1, ops, s, flags);
    }
    rc = ops ? finish(g, nready, ops, rc) : rc;
    ct_set_grad_enabled(grad_mode);
    free(ops);
    free(s);
    free(flags);
    return rc;
}
