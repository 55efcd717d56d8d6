/* Every derivative formula, one entry per op or node kind, written with
 * ctorch's own ops (so create_graph records them too). Formulas may return
 * gradients in a broadcast shape or another dtype: ct_derivative sums them
 * back to each input's shape and casts them, in one place. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctorch/ct_autograd.h"

/* constants of the formulas (LN2 and friends are not ISO C) */
#define LN2 0.693147180559945309417
#define LN10 2.30258509299404568402
#define TWO_OVER_SQRT_PI 1.12837916709551257390

/* temporaries of one formula, released together; a failed step fails the rest */
typedef struct {
    ct_tensor *t[48];
    int n;
    bool fail;
} arena;

static ct_tensor *keep(arena *a, ct_tensor *t) {
    if (!t) {
        a->fail = true;
        return NULL;
    }
    if (a->n == 48) {
        ct_decref(t);
        a->fail = true;
        ct_error(CT_ERR_RUNTIME, "autograd: formula too long");
        return NULL;
    }
    return a->t[a->n++] = t;
}
#define K(expr) keep(ar, ar->fail ? NULL : (expr))

static ct_tensor *num(arena *ar, double v) { return K(ct_scalar_tensor(ct_scalar_f(v), CT_FLOAT64, true)); }
static ct_tensor *mul(arena *ar, ct_tensor *a, ct_tensor *b) { return K(ct_binary(CT_OP_mul, a, b, NULL, NULL)); }
static ct_tensor *dv(arena *ar, ct_tensor *a, ct_tensor *b) { return K(ct_binary(CT_OP_div, a, b, NULL, NULL)); }
static ct_tensor *add(arena *ar, ct_tensor *a, ct_tensor *b) { return K(ct_binary(CT_OP_add, a, b, NULL, NULL)); }
static ct_tensor *sub(arena *ar, ct_tensor *a, ct_tensor *b) { return K(ct_binary(CT_OP_sub, a, b, NULL, NULL)); }
static ct_tensor *un(arena *ar, int op, ct_tensor *a) { return K(ct_unary(op, a, NULL, NULL)); }
static ct_tensor *muls(arena *ar, ct_tensor *a, double v) { return mul(ar, a, num(ar, v)); }
/* a + v; a wrapped number (a Python scalar saved by pow) is added in double: wrapped + wrapped would
 * promote to the default dtype, and pow's gradient needs the exponent - 1 exactly */
static ct_tensor *adds(arena *ar, ct_tensor *a, double v) {
    if (a->is_wrapped_number && ct_is_floating(a->dtype)) return num(ar, ct_load_scalar(ct_data(a), a->dtype).d + v);
    return add(ar, a, num(ar, v));
}
static ct_tensor *cmp(arena *ar, int op, ct_tensor *a, ct_tensor *b) { return K(ct_binary(op, a, b, NULL, NULL)); }
/* a bool mask as 0/1 of g's dtype, times g */
static ct_tensor *masked(arena *ar, ct_tensor *g, ct_tensor *mask) {
    return mul(ar, g, K(ar->fail ? NULL : ct_to_dtype(mask, g->dtype, false)));
}
static ct_tensor *zeros_like(arena *ar, ct_tensor *g) {
    return K(ct_full(g->ndim, g->sizes, ct_scalar_i(0), g->dtype, ct_device_of(g)));
}

/* which tensors an elementwise op saves: input 0..2, and its output */
enum { SX = CT_SAVE_X, SY = CT_SAVE_Y, SZ = CT_SAVE_Z, SOUT = CT_SAVE_OUT, NODIFF = CT_NODIFF, ZERO = CT_ZERO_GRAD };

static int save_mask(int op) {
    switch (op) {
    case CT_OP_abs: case CT_OP_square: case CT_OP_clamp: case CT_OP_clamp_min: case CT_OP_clamp_max:
    case CT_OP_log: case CT_OP_log2: case CT_OP_log10: case CT_OP_log1p: case CT_OP_sin: case CT_OP_cos:
    case CT_OP_asin: case CT_OP_acos: case CT_OP_atan: case CT_OP_sinh: case CT_OP_cosh: case CT_OP_asinh:
    case CT_OP_acosh: case CT_OP_atanh: case CT_OP_erf: case CT_OP_erfc: case CT_OP_lgamma: case CT_OP_digamma:
        return SX;
    case CT_OP_relu: case CT_OP_exp: case CT_OP_exp2: case CT_OP_expm1: case CT_OP_sqrt: case CT_OP_rsqrt:
    case CT_OP_tan: case CT_OP_tanh: case CT_OP_sigmoid: case CT_OP_reciprocal: case CT_OP_erfinv:
        return SOUT;
    case CT_OP_neg: case CT_OP_frac: case CT_OP_add: case CT_OP_sub: case CT_OP_lerp_scalar:
        return 0;
    case CT_OP_sign: case CT_OP_floor: case CT_OP_ceil: case CT_OP_round: case CT_OP_trunc:
    case CT_OP_round_decimals: case CT_OP_div_trunc: case CT_OP_floor_divide:
        return ZERO;
    case CT_OP_mul: case CT_OP_div: case CT_OP_remainder: case CT_OP_fmod: case CT_OP_maximum: case CT_OP_minimum:
    case CT_OP_fmax: case CT_OP_fmin: case CT_OP_atan2: case CT_OP_copysign: case CT_OP_xlogy:
        return SX | SY;
    case CT_OP_hypot: case CT_OP_pow:
        return SX | SY | SOUT;
    case CT_OP_addcmul: case CT_OP_addcdiv:
        return SY | SZ;
    case CT_OP_lerp:
        return SX | SY | SZ;
    default:
        return NODIFF;   /* comparisons, predicates, bitwise and logical ops, trigamma */
    }
}

int ct_elementwise_saves(int op) { return save_mask(op); }

/* the saved tensors of an elementwise node, in mask order */
typedef struct {
    ct_tensor *x, *y, *z, *out;
} saved_set;

static saved_set saved_of(const ct_node *n) {
    saved_set s = {NULL, NULL, NULL, NULL};
    int m = save_mask(n->kind), k = 0;
    if (m & SX) s.x = n->saved[k++];
    if (m & SY) s.y = n->saved[k++];
    if (m & SZ) s.z = n->saved[k++];
    if (m & SOUT) s.out = n->saved[k++];
    return s;
}

static int unary_grad(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    saved_set s = saved_of(n);
    ct_tensor *x = s.x, *o = s.out;
    switch (n->kind) {
    case CT_OP_neg: *gi = un(ar, CT_OP_neg, g); break;
    case CT_OP_frac: *gi = g; break;
    case CT_OP_abs: *gi = mul(ar, g, un(ar, CT_OP_sign, x)); break;
    case CT_OP_square: *gi = mul(ar, g, muls(ar, x, 2)); break;
    case CT_OP_relu: *gi = masked(ar, g, cmp(ar, CT_OP_gt, o, num(ar, 0))); break;
    case CT_OP_clamp: {
        ct_tensor *lo = K(ct_scalar_tensor(n->scalars[0], CT_FLOAT64, true));
        ct_tensor *hi = K(ct_scalar_tensor(n->scalars[1], CT_FLOAT64, true));
        ct_tensor *in = K(ar->fail ? NULL : ct_binary(CT_OP_logical_and, cmp(ar, CT_OP_ge, x, lo), cmp(ar, CT_OP_le, x, hi), NULL, NULL));
        *gi = masked(ar, g, in);
        break;
    }
    case CT_OP_clamp_min: *gi = masked(ar, g, cmp(ar, CT_OP_ge, x, K(ct_scalar_tensor(n->scalars[0], CT_FLOAT64, true)))); break;
    case CT_OP_clamp_max: *gi = masked(ar, g, cmp(ar, CT_OP_le, x, K(ct_scalar_tensor(n->scalars[0], CT_FLOAT64, true)))); break;
    case CT_OP_exp: *gi = mul(ar, g, o); break;
    case CT_OP_exp2: *gi = mul(ar, g, muls(ar, o, LN2)); break;
    case CT_OP_expm1: *gi = mul(ar, g, adds(ar, o, 1)); break;
    case CT_OP_log: *gi = dv(ar, g, x); break;
    case CT_OP_log2: *gi = dv(ar, g, muls(ar, x, LN2)); break;
    case CT_OP_log10: *gi = dv(ar, g, muls(ar, x, LN10)); break;
    case CT_OP_log1p: *gi = dv(ar, g, adds(ar, x, 1)); break;
    case CT_OP_sqrt: *gi = dv(ar, g, muls(ar, o, 2)); break;
    case CT_OP_rsqrt: *gi = mul(ar, g, muls(ar, mul(ar, o, mul(ar, o, o)), -0.5)); break;
    case CT_OP_sin: *gi = mul(ar, g, un(ar, CT_OP_cos, x)); break;
    case CT_OP_cos: *gi = mul(ar, g, un(ar, CT_OP_neg, un(ar, CT_OP_sin, x))); break;
    case CT_OP_tan: *gi = mul(ar, g, adds(ar, mul(ar, o, o), 1)); break;
    case CT_OP_asin: *gi = dv(ar, g, un(ar, CT_OP_sqrt, sub(ar, num(ar, 1), mul(ar, x, x)))); break;
    case CT_OP_acos: *gi = un(ar, CT_OP_neg, dv(ar, g, un(ar, CT_OP_sqrt, sub(ar, num(ar, 1), mul(ar, x, x))))); break;
    case CT_OP_atan: *gi = dv(ar, g, adds(ar, mul(ar, x, x), 1)); break;
    case CT_OP_sinh: *gi = mul(ar, g, un(ar, CT_OP_cosh, x)); break;
    case CT_OP_cosh: *gi = mul(ar, g, un(ar, CT_OP_sinh, x)); break;
    case CT_OP_tanh: *gi = mul(ar, g, sub(ar, num(ar, 1), mul(ar, o, o))); break;
    case CT_OP_erfinv: *gi = mul(ar, g, muls(ar, un(ar, CT_OP_exp, mul(ar, o, o)), 0.886226925452758014)); break;
    case CT_OP_asinh: *gi = dv(ar, g, un(ar, CT_OP_sqrt, adds(ar, mul(ar, x, x), 1))); break;
    case CT_OP_acosh: *gi = dv(ar, g, un(ar, CT_OP_sqrt, adds(ar, mul(ar, x, x), -1))); break;
    case CT_OP_atanh: *gi = dv(ar, g, sub(ar, num(ar, 1), mul(ar, x, x))); break;
    case CT_OP_erf: *gi = mul(ar, g, muls(ar, un(ar, CT_OP_exp, un(ar, CT_OP_neg, mul(ar, x, x))), TWO_OVER_SQRT_PI)); break;
    case CT_OP_lgamma: *gi = mul(ar, g, un(ar, CT_OP_digamma, x)); break;
    case CT_OP_digamma: *gi = mul(ar, g, un(ar, CT_OP_trigamma, x)); break;
    case CT_OP_erfc: *gi = mul(ar, g, muls(ar, un(ar, CT_OP_exp, un(ar, CT_OP_neg, mul(ar, x, x))), -TWO_OVER_SQRT_PI)); break;
    case CT_OP_sigmoid: *gi = mul(ar, g, mul(ar, o, sub(ar, num(ar, 1), o))); break;
    case CT_OP_reciprocal: *gi = mul(ar, g, un(ar, CT_OP_neg, mul(ar, o, o))); break;
    default: return ct_error(CT_ERR_NOTIMPL, "the derivative of %s is not implemented", ct_op_name(n->kind));
    }
    return ar->fail ? -1 : 0;
}

static int binary_grad(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    saved_set s = saved_of(n);
    ct_tensor *a = s.x, *b = s.y, *o = s.out;
    double alpha = n->scalars[0].d;
    switch (n->kind) {
    case CT_OP_add: gi[0] = g; gi[1] = alpha == 1 ? g : muls(ar, g, alpha); break;
    case CT_OP_sub: gi[0] = g; gi[1] = muls(ar, g, -alpha); break;
    case CT_OP_mul:
        if (n->next[0].node) gi[0] = mul(ar, g, b);
        if (n->next[1].node) gi[1] = mul(ar, g, a);
        break;
    case CT_OP_div: gi[0] = dv(ar, g, b); gi[1] = un(ar, CT_OP_neg, dv(ar, mul(ar, g, a), mul(ar, b, b))); break;
    case CT_OP_remainder:
        gi[0] = g;
        gi[1] = un(ar, CT_OP_neg, mul(ar, g, K(ar->fail ? NULL : ct_binary(CT_OP_floor_divide, a, b, NULL, NULL))));
        break;
    case CT_OP_fmod:
        gi[0] = g;
        gi[1] = un(ar, CT_OP_neg, mul(ar, g, un(ar, CT_OP_trunc, dv(ar, a, b))));
        break;
    case CT_OP_pow: {
        /* d/da = b * a^(b-1); d/db = out * log(a) (0 where a == 0 and b >= 0, as PyTorch) */
        gi[0] = mul(ar, g, mul(ar, b, K(ar->fail ? NULL : ct_binary(CT_OP_pow, a, adds(ar, b, -1), NULL, NULL))));
        if (n->next[1].node) {
            ct_tensor *lg = mul(ar, o, un(ar, CT_OP_log, a));
            ct_tensor *safe = K(ar->fail ? NULL : ct_where(cmp(ar, CT_OP_eq, a, num(ar, 0)), zeros_like(ar, lg), lg, NULL));
            gi[1] = mul(ar, g, safe);
        }
        break;
    }
    case CT_OP_maximum: case CT_OP_minimum: case CT_OP_fmax: case CT_OP_fmin: {
        /* the larger (smaller) side takes the gradient; ties split it */
        bool mx = n->kind == CT_OP_maximum || n->kind == CT_OP_fmax;
        ct_tensor *half = muls(ar, g, 0.5);
        ct_tensor *eq = cmp(ar, CT_OP_eq, a, b), *win_a = cmp(ar, mx ? CT_OP_gt : CT_OP_lt, a, b);
        ct_tensor *win_b = cmp(ar, mx ? CT_OP_lt : CT_OP_gt, a, b);
        gi[0] = add(ar, masked(ar, g, win_a), masked(ar, half, eq));
        gi[1] = add(ar, masked(ar, g, win_b), masked(ar, half, eq));
        break;
    }
    case CT_OP_atan2: {
        ct_tensor *den = add(ar, mul(ar, a, a), mul(ar, b, b));
        gi[0] = mul(ar, g, dv(ar, b, den));
        gi[1] = mul(ar, g, un(ar, CT_OP_neg, dv(ar, a, den)));
        break;
    }
    case CT_OP_hypot: gi[0] = mul(ar, g, dv(ar, a, o)); gi[1] = mul(ar, g, dv(ar, b, o)); break;
    case CT_OP_xlogy: { /* a: g xlogy(a != 0, b); b: g a / b */
        ct_tensor *nz = K(ar->fail ? NULL : ct_to_dtype(cmp(ar, CT_OP_ne, a, num(ar, 0)), g->dtype, false));
        gi[0] = mul(ar, g, K(ar->fail ? NULL : ct_binary(CT_OP_xlogy, nz, b, NULL, NULL)));
        gi[1] = mul(ar, g, dv(ar, a, b));
        break;
    }
    case CT_OP_copysign: {
        ct_tensor *ratio = dv(ar, K(ar->fail ? NULL : ct_binary(CT_OP_copysign, a, b, NULL, NULL)), a);
        ct_tensor *fin = un(ar, CT_OP_isfinite, ratio);
        gi[0] = mul(ar, g, K(ar->fail ? NULL : ct_where(fin, ratio, zeros_like(ar, ratio), NULL)));
        gi[1] = zeros_like(ar, g);
        break;
    }
    case CT_OP_lerp_scalar: {
        double w = n->scalars[0].d;
        gi[0] = muls(ar, g, 1 - w);
        gi[1] = muls(ar, g, w);
        break;
    }
    default: return ct_error(CT_ERR_NOTIMPL, "the derivative of %s is not implemented", ct_op_name(n->kind));
    }
    return ar->fail ? -1 : 0;
}

static int ternary_grad(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    saved_set s = saved_of(n);
    double v = n->scalars[0].d;
    switch (n->kind) {
    case CT_OP_addcmul: gi[0] = g; gi[1] = mul(ar, g, muls(ar, s.z, v)); gi[2] = mul(ar, g, muls(ar, s.y, v)); break;
    case CT_OP_addcdiv:
        gi[0] = g;
        gi[1] = mul(ar, g, dv(ar, num(ar, v), s.z));
        gi[2] = un(ar, CT_OP_neg, mul(ar, g, dv(ar, muls(ar, s.y, v), mul(ar, s.z, s.z))));
        break;
    case CT_OP_lerp: /* a + w (b - a) */
        gi[0] = mul(ar, g, sub(ar, num(ar, 1), s.z));
        gi[1] = mul(ar, g, s.z);
        gi[2] = mul(ar, g, sub(ar, s.y, s.x));
        break;
    default: return ct_error(CT_ERR_NOTIMPL, "the derivative of %s is not implemented", ct_op_name(n->kind));
    }
    return ar->fail ? -1 : 0;
}

/* g of a reduction, with the reduced dims back (size 1): ints = {keepdim, mask bits} */
static ct_tensor *unreduce(arena *ar, const ct_node *n, ct_tensor *g) {
    if (n->ints[0]) return g;
    ct_tensor *r = g;
    const ct_shape *in = &n->in_shape[0];
    for (int d = 0; d < in->ndim; d++)
        if (n->ints[1] & ((int64_t)1 << d)) r = K(ar->fail ? NULL : ct_unsqueeze(r, d));
    return r;
}

static ct_tensor *expand_to_input(arena *ar, const ct_node *n, ct_tensor *g) {
    const ct_shape *in = &n->in_shape[0];
    return K(ar->fail ? NULL : ct_expand(g, in->ndim, in->sizes));
}

static int64_t reduced_count(const ct_node *n) {
    int64_t c = 1;
    for (int d = 0; d < n->in_shape[0].ndim; d++)
        if (n->ints[1] & ((int64_t)1 << d)) c *= n->in_shape[0].sizes[d];
    return c;
}

/* ---- scatter_reduce: ints {dim, reduce, include_self}; saved {index, counts} (mean) or
 * {index, self, src, result} (prod amax amin) ---- */
static ct_tensor *gather_at(arena *ar, ct_tensor *t, const ct_node *n) {
    return K(ct_gather(t, n->ints[0], n->saved[0]));
}
/* t with the positions the index names set to 0 (where include_self=False left self out) */
static ct_tensor *zero_at_index(arena *ar, ct_tensor *t, const ct_node *n) {
    return K(ar->fail ? NULL : ct_scatter(t, n->ints[0], n->saved[0], num(ar, 0), true, CT_SCATTER_SET, false));
}
static ct_tensor *where(arena *ar, ct_tensor *cond, ct_tensor *a, ct_tensor *b) {
    return K(ar->fail ? NULL : ct_where(cond, a, b, NULL));
}

/* prod: each value's gradient is g times the product of the others (zeros handled apart) */
static ct_tensor *scatter_prod_grads(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gsrc) {
    ct_tensor *self = n->saved[1], *src = n->saved[2], *res = n->saved[3], *zero = num(ar, 0), *one = num(ar, 1);
    int64_t dim = n->ints[0];
    bool include_self = n->ints[2];
    ct_tensor *masked_self = where(ar, cmp(ar, CT_OP_eq, self, zero), one, self);
    ct_tensor *others = K(ar->fail ? NULL : ct_scatter_reduce(masked_self, dim, n->saved[0], src, CT_SR_PROD,
                                                              include_self, false));
    ct_tensor *gs = dv(ar, mul(ar, g, others), masked_self);
    if (n->next[1].node) {   /* a zero alone in its group gets the product of the others */
        ct_tensor *src_zero = cmp(ar, CT_OP_eq, src, zero);
        ct_tensor *zeros_in = K(ar->fail ? NULL : ct_scatter(zeros_like(ar, self), dim, n->saved[0],
                                                             K(ar->fail ? NULL : ct_to_dtype(src_zero, self->dtype, false)),
                                                             false, CT_SCATTER_ADD, false));
        ct_tensor *single = K(ar->fail ? NULL : ct_binary(CT_OP_logical_and, src_zero,
                                                          cmp(ar, CT_OP_eq, gather_at(ar, zeros_in, n), one), NULL, NULL));
        ct_tensor *others_src = K(ar->fail ? NULL : ct_scatter_reduce(self, dim, n->saved[0], where(ar, single, one, src),
                                                                      CT_SR_PROD, include_self, false));
        *gsrc = where(ar, single, gather_at(ar, mul(ar, g, others_src), n),
                      dv(ar, gather_at(ar, mul(ar, g, res), n), where(ar, src_zero, one, src)));
    }
    return include_self ? gs : zero_at_index(ar, gs, n);
}

/* amax/amin: g shared evenly among the values equal to the result */
static ct_tensor *scatter_extreme_grads(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gsrc) {
    ct_tensor *self = n->saved[1], *src = n->saved[2], *res = n->saved[3];
    ct_tensor *self_hit = K(ar->fail ? NULL : ct_to_dtype(cmp(ar, CT_OP_eq, self, res), g->dtype, false));
    if (!n->ints[2]) self_hit = zero_at_index(ar, self_hit, n);
    ct_tensor *src_hit = K(ar->fail ? NULL : ct_to_dtype(cmp(ar, CT_OP_eq, src, gather_at(ar, res, n)), g->dtype, false));
    ct_tensor *count = K(ar->fail ? NULL : ct_scatter(self_hit, n->ints[0], n->saved[0], src_hit, false, CT_SCATTER_ADD,
                                                      false));
    ct_tensor *share = dv(ar, g, count);
    if (n->next[1].node) *gsrc = mul(ar, src_hit, gather_at(ar, share, n));
    return mul(ar, self_hit, share);
}

/* the gradients of self (returned) and src (*gsrc) */
static ct_tensor *scatter_reduce_grads(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gsrc) {
    switch ((ct_scatter_reduction)n->ints[1]) {
    case CT_SR_PROD: return scatter_prod_grads(ar, n, g, gsrc);
    case CT_SR_AMAX:
    case CT_SR_AMIN: return scatter_extreme_grads(ar, n, g, gsrc);
    case CT_SR_MEAN: g = dv(ar, g, n->saved[1]); break;
    case CT_SR_SUM: break;
    }
    if (n->next[1].node) *gsrc = gather_at(ar, g, n);
    return n->ints[2] ? g : zero_at_index(ar, g, n);
}

/* gradients a family's backward function made (new references), kept in the arena */
static int kept(arena *ar, const ct_node *n, ct_tensor **gi, int rc) {
    for (int i = 0; i < n->nnext; i++)
        if (gi[i] && !keep(ar, gi[i])) rc = -1;
    return rc < 0 ? -1 : 0;
}

/* the gradient of b in a @ b (2-D): a^T @ g, made in b's layout: for a transposed b (Linear's
 * weight.t()) as (g^T @ a)^T, so the weight's gradient arrives contiguous and is not copied */
static ct_tensor *mm_grad_b(arena *ar, ct_tensor *a, ct_tensor *b, ct_tensor *g) {
    bool transposed = b->sizes[0] > 1 && b->sizes[1] > 1 && b->strides[0] == 1 && b->strides[1] == b->sizes[0];
    if (!transposed) return K(ar->fail ? NULL : ct_mm(K(ct_transpose(a, 0, 1)), g));
    ct_tensor *gt = K(ar->fail ? NULL : ct_mm(K(ct_transpose(g, 0, 1)), a));
    return K(ar->fail ? NULL : ct_transpose(gt, 0, 1));
}

static int node_grad(arena *ar, const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    const ct_shape *in = &n->in_shape[0];
    switch (n->kind) {
    case CT_OP_where: {
        ct_tensor *z = zeros_like(ar, g);
        gi[1] = K(ar->fail ? NULL : ct_where(n->saved[0], g, z, NULL));
        gi[2] = K(ar->fail ? NULL : ct_where(n->saved[0], z, g, NULL));
        break;
    }
    case CT_OP_sum: gi[0] = expand_to_input(ar, n, unreduce(ar, n, g)); break;
    case CT_NODE_MEAN:
        gi[0] = expand_to_input(ar, n, muls(ar, unreduce(ar, n, g), 1.0 / (double)reduced_count(n)));
        break;
    case CT_NODE_NORM2: { /* g * x / norm, and 0 where the norm is 0 */
        ct_tensor *nk = unreduce(ar, n, n->saved[1]);
        ct_tensor *q = dv(ar, n->saved[0], nk);
        ct_tensor *safe = K(ar->fail ? NULL : ct_where(cmp(ar, CT_OP_eq, nk, num(ar, 0)), zeros_like(ar, q), q, NULL));
        gi[0] = mul(ar, expand_to_input(ar, n, unreduce(ar, n, g)), safe);
        break;
    }
    case CT_OP_prod: { /* the product of the others: out / x without zeros; with one zero, the zero's
                        * share is the product of the rest; with two or more, none */
        ct_tensor *x = n->saved[0], *gk = expand_to_input(ar, n, unreduce(ar, n, g));
        int64_t dims[CT_MAX_DIMS];
        int nd = 0;
        for (int d = 0; d < in->ndim; d++)
            if (n->ints[1] & ((int64_t)1 << d)) dims[nd++] = d;
        ct_tensor *iz = cmp(ar, CT_OP_eq, x, num(ar, 0)), *zero = zeros_like(ar, x);
        ct_tensor *x1 = K(ar->fail ? NULL : ct_where(iz, K(ct_full(x->ndim, x->sizes, ct_scalar_i(1), x->dtype,
                                                                   ct_device_of(x))), x, NULL));
        ct_tensor *rest = K(ar->fail ? NULL : ct_reduce(CT_RED_PROD, x1, nd, dims, true, CT_UNDEFINED));
        ct_tensor *cnt = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, K(ct_to_dtype(iz, x->dtype, false)), nd, dims, true,
                                                       CT_UNDEFINED));
        ct_tensor *at_zero = K(ar->fail ? NULL : ct_where(cmp(ar, CT_OP_eq, cnt, num(ar, 1)), mul(ar, gk, rest), zero, NULL));
        ct_tensor *elsewhere = K(ar->fail ? NULL : ct_where(cmp(ar, CT_OP_eq, cnt, num(ar, 0)),
                                                            dv(ar, mul(ar, gk, unreduce(ar, n, n->saved[1])), x1), zero, NULL));
        gi[0] = K(ar->fail ? NULL : ct_where(iz, at_zero, elsewhere, NULL));
        break;
    }
    case CT_OP_amax: case CT_OP_amin: { /* shared evenly among the extremes */
        ct_tensor *mask = cmp(ar, CT_OP_eq, n->saved[0], unreduce(ar, n, n->saved[1]));
        ct_tensor *fm = K(ar->fail ? NULL : ct_to_dtype(mask, g->dtype, false));
        int64_t dims[CT_MAX_DIMS];
        int nd = 0;
        for (int d = 0; d < in->ndim; d++)
            if (n->ints[1] & ((int64_t)1 << d)) dims[nd++] = d;
        ct_tensor *cnt = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, fm, nd, dims, true, CT_UNDEFINED));
        gi[0] = mul(ar, fm, dv(ar, unreduce(ar, n, g), cnt));
        break;
    }
    case CT_NODE_MAXMIN_DIM: { /* ints: {dim, keepdim}; saved: indices */
        int64_t dim = n->ints[0], len = in->sizes[dim];
        ct_tensor *gk = n->ints[1] ? g : K(ar->fail ? NULL : ct_unsqueeze(g, dim));
        ct_tensor *ik = n->ints[1] ? n->saved[0] : K(ar->fail ? NULL : ct_unsqueeze(n->saved[0], dim));
        int64_t shape[CT_MAX_DIMS];
        for (int d = 0; d < in->ndim; d++) shape[d] = d == dim ? len : 1;
        ct_tensor *pos = K(ar->fail ? NULL : ct_arange(0, (double)len, 1, CT_INT64, ct_device_of(g)));
        ct_tensor *posv = K(ar->fail ? NULL : ct_view(pos, in->ndim, shape));
        gi[0] = masked(ar, expand_to_input(ar, n, gk), cmp(ar, CT_OP_eq, posv, ik));
        break;
    }
    case CT_OP_cumprod: { /* reversed cumulative sum of g * out, over x (inputs without zeros) */
        int64_t dim = n->ints[0];
        ct_tensor *go = mul(ar, g, n->saved[1]);
        ct_tensor *total = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, go, 1, &dim, true, CT_UNDEFINED));
        ct_tensor *cs = K(ar->fail ? NULL : ct_cumulative(CT_OP_cumsum, go, dim, CT_UNDEFINED));
        gi[0] = dv(ar, add(ar, sub(ar, total, cs), go), n->saved[0]);
        break;
    }
    case CT_OP_cumsum: { /* reversed cumulative sum of g: total - cumsum(g) + g */
        int64_t dim = n->ints[0];
        ct_tensor *total = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, g, 1, &dim, true, CT_UNDEFINED));
        ct_tensor *cs = K(ar->fail ? NULL : ct_cumulative(CT_OP_cumsum, g, dim, CT_UNDEFINED));
        gi[0] = add(ar, sub(ar, total, cs), g);
        break;
    }
    case CT_NODE_VIEW: gi[0] = K(ar->fail ? NULL : ct_reshape(g, in->ndim, in->sizes)); break;
    case CT_NODE_PERMUTE: {
        int64_t inv[CT_MAX_DIMS];
        for (int d = 0; d < n->nints; d++) inv[n->ints[d]] = d;
        gi[0] = K(ar->fail ? NULL : ct_permute(g, n->nints, inv));
        break;
    }
    case CT_NODE_EXPAND: case CT_NODE_TO: case CT_NODE_CLONE: gi[0] = g; break;
    case CT_NODE_SLICE: { /* ints: {select?, dim, start or index, stop, step}: g placed into zeros */
        bool grad_mode = ct_grad_enabled();
        ct_set_grad_enabled(false);
        ct_tensor *z = K(ar->fail ? NULL : ct_full(in->ndim, in->sizes, ct_scalar_i(0), g->dtype, ct_device_of(g)));
        ct_tensor *part = n->ints[0] ? K(ar->fail ? NULL : ct_select(z, n->ints[1], n->ints[2]))
                                     : K(ar->fail ? NULL : ct_slice(z, n->ints[1], n->ints[2], n->ints[3], n->ints[4]));
        if (!ar->fail && ct_copy_(part, g) < 0) ar->fail = true;
        ct_set_grad_enabled(grad_mode);
        /* recorded so a create_graph backward differentiates it: its own backward slices again */
        if (!ar->fail && ct_record_op(CT_NODE_UNSLICE, "SliceBackwardBackward0", 1, &g, z, 0, NULL, NULL, 0, n->ints,
                                      n->nints) < 0)
            ar->fail = true;
        gi[0] = z;
        break;
    }
    case CT_NODE_UNSLICE:
        gi[0] = n->ints[0] ? K(ar->fail ? NULL : ct_select(g, n->ints[1], n->ints[2]))
                           : K(ar->fail ? NULL : ct_slice(g, n->ints[1], n->ints[2], n->ints[3], n->ints[4]));
        break;
    case CT_NODE_COPY: /* dst.copy_(src): the old dst gets nothing, src all of it */
        gi[0] = zeros_like(ar, g);
        gi[1] = g;
        break;
    case CT_NODE_COPYSLICES: { /* the base outside the view: g with the view zeroed; inside: the view of g */
        const ct_view_geometry *geo = n->geometry;
        ct_tensor *gb = K(ar->fail ? NULL : ct_empty_strided(geo->base_ndim, in->sizes, geo->base_strides, g->dtype,
                                                              ct_device_of(g)));
        if (!ar->fail && ct_copy_(gb, g) < 0) ar->fail = true;
        ct_tensor *region = K(ar->fail ? NULL : ct_as_strided(gb, geo->ndim, geo->sizes, geo->strides,
                                                             gb->offset + geo->offset));
        if (n->next[1].node) gi[1] = K(ar->fail ? NULL : ct_clone(region));
        if (!ar->fail && ct_fill_(region, ct_scalar_i(0)) < 0) ar->fail = true;
        gi[0] = gb;
        break;
    }
    case CT_NODE_VIEW_OF: { /* the view's gradient placed in zeros shaped like the base */
        const ct_view_geometry *geo = n->geometry;
        ct_tensor *z = K(ar->fail ? NULL : ct_empty_strided(geo->base_ndim, in->sizes, geo->base_strides, g->dtype,
                                                             ct_device_of(g)));
        if (!ar->fail && ct_fill_(z, ct_scalar_i(0)) < 0) ar->fail = true;
        ct_tensor *region = K(ar->fail ? NULL : ct_as_strided(z, geo->ndim, geo->sizes, geo->strides,
                                                             z->offset + geo->offset));
        if (!ar->fail && ct_copy_(region, g) < 0) ar->fail = true;
        gi[0] = z;
        break;
    }
    case CT_NODE_MM: { /* a @ b (2-D or batched 3-D): g @ b^T, a^T @ g */
        ct_tensor *a = n->saved[0], *b = n->saved[1];
        if (n->next[0].node) gi[0] = K(ar->fail ? NULL : ct_matmul(g, K(ct_transpose(b, -2, -1))));
        if (n->next[1].node)
            gi[1] = a->ndim == 2 && b->ndim == 2 ? mm_grad_b(ar, a, b, g)
                                                 : K(ar->fail ? NULL : ct_matmul(K(ct_transpose(a, -2, -1)), g));
        break;
    }
    case CT_NODE_ADDMM: { /* beta * input + alpha * a @ b */
        ct_tensor *a = n->saved[0], *b = n->saved[1];
        double beta = n->scalars[0].d, alpha = n->scalars[1].d;
        gi[0] = beta == 1 ? g : muls(ar, g, beta);
        if (n->next[1].node) {
            ct_tensor *ga = K(ar->fail ? NULL : ct_mm(g, K(ct_transpose(b, 0, 1))));
            gi[1] = alpha == 1 ? ga : muls(ar, ga, alpha);
        }
        if (n->next[2].node) {
            ct_tensor *gb = mm_grad_b(ar, a, b, g);
            gi[2] = alpha == 1 ? gb : muls(ar, gb, alpha);
        }
        break;
    }
    case CT_NODE_CAT: { /* ints: {dim, sizes along dim (-1: a skipped empty input)}: slices of g */
        int64_t at = 0;
        for (int i = 0; i < n->nnext; i++) {
            int64_t len = n->ints[1 + i];
            if (!n->next[i].node) {
                at += len < 0 ? 0 : len;
                continue;
            }
            gi[i] = len < 0 ? K(ct_full(1, n->in_shape[i].sizes, ct_scalar_i(0), g->dtype, ct_device_of(g)))
                            : K(ar->fail ? NULL : ct_narrow(g, n->ints[0], at, len));
            at += len < 0 ? 0 : len;
        }
        break;
    }
    case CT_NODE_FLIP: gi[0] = K(ar->fail ? NULL : ct_flip(g, n->nints, n->ints)); break;
    case CT_NODE_ROLL: { /* roll back: the shifts negated */
        int nd = (int)n->ints[0], ns = nd ? nd : 1;
        int64_t back[CT_MAX_DIMS];
        for (int i = 0; i < ns; i++) back[i] = -n->ints[1 + i];
        gi[0] = K(ar->fail ? NULL : ct_roll(g, ns, back, nd, n->ints + 1 + ns));
        break;
    }
    case CT_NODE_REPEAT: { /* g as (r0, s0, r1, s1, ...) summed over the r's */
        int64_t blk[CT_MAX_DIMS], dims[CT_MAX_DIMS];
        int lead = n->nints - in->ndim;
        for (int i = 0; i < n->nints; i++) {
            blk[2 * i] = n->ints[i];
            blk[2 * i + 1] = i < lead ? 1 : in->sizes[i - lead];
            dims[i] = 2 * i;
        }
        ct_tensor *b = K(ar->fail ? NULL : ct_reshape(g, 2 * n->nints, blk));
        gi[0] = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, b, n->nints, dims, false, CT_UNDEFINED));
        break;
    }
    case CT_NODE_TRI: gi[0] = K(ar->fail ? NULL : ct_tri(g, n->ints[0], n->ints[1] != 0)); break;
    case CT_NODE_GATHER: { /* g added into zeros at the gathered positions */
        ct_tensor *z = K(ar->fail ? NULL : ct_full(in->ndim, in->sizes, ct_scalar_i(0), g->dtype, ct_device_of(g)));
        gi[0] = K(ar->fail ? NULL : ct_scatter(z, n->ints[0], n->saved[0], g, false, CT_SCATTER_ADD, false));
        break;
    }
    case CT_NODE_SCATTER: { /* self: g, with the overwritten positions zeroed; src: g gathered */
        if (n->ints[1] < 0) return ct_error(CT_ERR_RUNTIME, "derivative for aten::scatter is not implemented");
        gi[0] = n->ints[1] == CT_SCATTER_ADD ? g : K(ar->fail ? NULL : ct_scatter(g, n->ints[0], n->saved[0], num(ar, 0),
                                                                                  true, CT_SCATTER_SET, false));
        if (n->next[1].node) gi[1] = K(ar->fail ? NULL : ct_gather(g, n->ints[0], n->saved[0]));
        break;
    }
    case CT_NODE_SCATTER_REDUCE: gi[0] = scatter_reduce_grads(ar, n, g, &gi[1]); break;
    case CT_NODE_CDIST: { /* saved {x1, x2, out}; ints {form}; scalars {p} (ops/distance.c) */
        ct_tensor *x1 = n->saved[0], *x2 = n->saved[1], *o = n->saved[2], *zero = num(ar, 0);
        double p = n->scalars[0].d;
        int64_t last = -1;
        if (n->ints[0] == CT_DIST_DIRECT) { /* cdist: the kernel's formula */
            if (n->next[0].node) gi[0] = K(ar->fail ? NULL : ct_cdist_backward(g, x1, x2, o, p, false));
            if (n->next[1].node) gi[1] = K(ar->fail ? NULL : ct_cdist_backward(g, x1, x2, o, p, true));
        } else if (n->ints[0] == CT_DIST_EUCLID) { /* its matrix form: r = g / out (0 where out is 0), batched */
            ct_tensor *q = dv(ar, g, o), *z = zeros_like(ar, q), *at0 = cmp(ar, CT_OP_eq, o, zero);
            ct_tensor *r = K(ar->fail ? NULL : ct_where(at0, z, q, NULL));
            ct_tensor *rt = K(ar->fail ? NULL : ct_transpose(r, -2, -1));
            ct_tensor *rs = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, r, 1, &last, true, CT_UNDEFINED));
            ct_tensor *rts = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, rt, 1, &last, true, CT_UNDEFINED));
            gi[0] = sub(ar, mul(ar, x1, rs), K(ar->fail ? NULL : ct_matmul(r, x2)));
            gi[1] = sub(ar, mul(ar, x2, rts), K(ar->fail ? NULL : ct_matmul(rt, x1)));
        } else if (p != 0) { /* dist: the p-norm's gradient at d = x1 - x2, as PyTorch's norm_backward */
            ct_tensor *d = sub(ar, x1, x2), *ad = un(ar, CT_OP_abs, d), *sg = un(ar, CT_OP_sign, d), *gd;
            if (isinf(p)) { /* shared by the coordinates at the extreme */
                ct_tensor *at = cmp(ar, CT_OP_eq, ad, o), *nan = un(ar, CT_OP_isnan, ad);
                ct_tensor *m = K(ar->fail ? NULL : ct_to_dtype(cmp(ar, CT_OP_logical_or, at, nan), g->dtype, false));
                ct_tensor *cnt = K(ar->fail ? NULL : ct_reduce(CT_RED_SUM, m, 0, NULL, false, CT_UNDEFINED));
                gd = mul(ar, sg, mul(ar, dv(ar, g, cnt), m));
            } else { /* pd = |d|^(p-1) (p < 2) or |d|^(p-2); po = out^(1-p) (p < 1) or out^(p-1) */
                ct_tensor *e1 = num(ar, p < 2 ? p - 1 : p - 2), *e2 = num(ar, p < 1 ? 1 - p : p - 1);
                ct_tensor *pd = K(ar->fail ? NULL : ct_binary(CT_OP_pow, ad, e1, NULL, NULL));
                ct_tensor *po = K(ar->fail ? NULL : ct_binary(CT_OP_pow, o, e2, NULL, NULL));
                if (p < 1) { /* sgn(d) pd (0 where d is 0) g po */
                    ct_tensor *d0 = cmp(ar, CT_OP_eq, d, zero), *z = zeros_like(ar, pd);
                    gd = mul(ar, mul(ar, mul(ar, sg, K(ar->fail ? NULL : ct_where(d0, z, pd, NULL))), g), po);
                } else { /* sgn(d) pd (p < 2) or d pd, times g / po (0 where out is 0) */
                    ct_tensor *q = dv(ar, g, po), *o0 = cmp(ar, CT_OP_eq, o, zero), *z = zeros_like(ar, q);
                    gd = mul(ar, mul(ar, p < 2 ? sg : d, pd), K(ar->fail ? NULL : ct_where(o0, z, q, NULL)));
                }
            }
            gi[0] = gd;
            gi[1] = un(ar, CT_OP_neg, gd);
        }
        break;
    }
    case CT_NODE_NLL_LOSS: case CT_NODE_CROSS_ENTROPY_PROB: case CT_NODE_POINTWISE_LOSS: case CT_NODE_EMBEDDING:
    case CT_NODE_PAD: case CT_NODE_UPSAMPLE: return kept(ar, n, gi, ct_nn_loss_backward(n, g, gi));
    case CT_NODE_ACTIVATION: case CT_NODE_NATIVE_NORM: case CT_NODE_SOFTMAX:
        return kept(ar, n, gi, ct_nn_norm_backward(n, g, gi));
    case CT_NODE_DIAGONAL: /* g written on the diagonal of zeros */
        gi[0] = K(ar->fail ? NULL : ct_diagonal_backward(g, in->ndim, in->sizes, n->ints[0], n->ints[1], n->ints[2]));
        break;
    case CT_NODE_DIAG_EMBED: gi[0] = K(ar->fail ? NULL : ct_diagonal(g, n->ints[0], n->ints[1], n->ints[2])); break;
    case CT_NODE_TRACE: { /* g on the main diagonal */
        int64_t len = in->sizes[0] < in->sizes[1] ? in->sizes[0] : in->sizes[1];
        ct_tensor *e = K(ar->fail ? NULL : ct_expand(g, 1, &len));
        gi[0] = K(ar->fail ? NULL : ct_diagonal_backward(e, 2, in->sizes, 0, 0, 1));
        break;
    }
    case CT_NODE_NOT_IMPLEMENTED:
        return ct_error(CT_ERR_RUNTIME, "derivative for aten::%s is not implemented", ct_op_name((int)n->ints[0]));
    case CT_NODE_CONV: case CT_NODE_MAX_POOL: case CT_NODE_AVG_POOL:
        return kept(ar, n, gi, ct_nn_conv_backward(n, g, gi));
    case CT_NODE_RNN: return kept(ar, n, gi, ct_rnn_backward(n, g, gi));
    case CT_NODE_SDPA: return kept(ar, n, gi, ct_attention_backward(n, g, gi));
    default:
        return ct_error(CT_ERR_NOTIMPL, "the derivative of %s is not implemented", n->name);
    }
    return ar->fail ? -1 : 0;
}

/* a gradient summed over the dims its input was broadcast along, in the input's dtype */
static ct_tensor *to_input_shape(ct_tensor *g, const ct_shape *s) {
    int lead = g->ndim - s->ndim;
    int64_t dims[CT_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (s->sizes[d - lead] == 1 && g->sizes[d] != 1)) dims[nd++] = d;
    ct_tensor *r = ct_incref(g);
    if (nd > 0) {
        ct_tensor *sum = ct_reduce(CT_RED_SUM, r, nd, dims, true, CT_UNDEFINED);
        ct_decref(r);
        if (!sum) return NULL;
        r = ct_reshape(sum, s->ndim, s->sizes);
        ct_decref(sum);
        if (!r) return NULL;
    } else if (lead < 0 || r->ndim != s->ndim) {
        ct_tensor *v = ct_reshape(r, s->ndim, s->sizes);
        ct_decref(r);
        if (!v) return NULL;
        r = v;
    }
    if (r->dtype != s->dtype && ct_is_floating(s->dtype)) {
        ct_tensor *c = ct_to_dtype(r, s->dtype, false);
        ct_decref(r);
        r = c;
    }
    return r;
}

static int check_saved(const ct_node *n) {
    for (int i = 0; i < n->nsaved; i++) {
        const ct_tensor *t = n->saved[i];
        if (t && t->storage->version != n->saved_version[i]) {
            char shape[256];
            return ct_error(CT_ERR_RUNTIME, "one of the variables needed for gradient computation has been modified by "
                            "an inplace operation: [torch.%sTensor %s], which is output 0 of %s, is at version %lld; "
                            "expected version %lld instead. Hint: enable anomaly detection to find the operation that "
                            "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).",
                            ct_dtype_infos[t->dtype].legacy, ct_shape_str(t->ndim, t->sizes, shape, 256),
                            n->saved_owner[i] ? n->saved_owner[i] : n->name, (long long)t->storage->version,
                            (long long)n->saved_version[i]);
        }
    }
    return 0;
}

int ct_derivative(ct_node *n, ct_tensor *grad, ct_tensor **grads_out) {
    if (check_saved(n) < 0) return -1;
    arena ar = {.n = 0, .fail = false};
    /* a create_graph backward differentiates through saved outputs too: they
     * get this node as history while the formula runs */
    ct_tensor *kept_output[CT_NODE_MAX_SAVED] = {NULL};
    for (int k = 0; k < n->nsaved && ct_grad_enabled(); k++) {
        if (!n->saved_is_output[k] || !n->saved[k]) continue;
        ct_tensor *a = keep(&ar, ct_alias(n->saved[k]));
        if (!a) break;
        ct_node_incref(n);
        a->grad_fn = n;
        kept_output[k] = n->saved[k];
        n->saved[k] = a;
    }
    ct_tensor *gi[CT_NODE_MAX_INPUTS] = {NULL};
    int rc;
    int m = n->kind < CT_NUM_OPS ? save_mask(n->kind) : 0;
    if (n->kind == CT_NODE_CUSTOM) {
        rc = n->custom_fn(n->custom_ctx, grad, n->nnext, gi);
        for (int i = 0; i < n->nnext; i++)   /* the arena takes the callback's references */
            if (gi[i] && !keep(&ar, gi[i])) rc = -1;
    } else if (ar.fail) {
        rc = -1;
    } else if (n->kind < CT_NUM_OPS && (m & ZERO)) {
        for (int i = 0; i < n->nnext; i++) gi[i] = zeros_like(&ar, grad);
        rc = ar.fail ? -1 : 0;
    } else if (n->kind == CT_OP_where || n->kind >= CT_NUM_OPS || n->kind == CT_OP_sum || n->kind == CT_OP_prod ||
               n->kind == CT_OP_amax || n->kind == CT_OP_amin || n->kind == CT_OP_cumsum || n->kind == CT_OP_cumprod) {
        rc = node_grad(&ar, n, grad, gi);
    } else if (n->nnext == 1) {
        rc = unary_grad(&ar, n, grad, gi);
    } else if (n->nnext == 2) {
        rc = binary_grad(&ar, n, grad, gi);
    } else {
        rc = ternary_grad(&ar, n, grad, gi);
    }
    for (int i = 0; i < n->nnext && rc == 0; i++) {
        if (!gi[i] || !n->next[i].node) continue;
        grads_out[i] = to_input_shape(gi[i], &n->in_shape[i]);
        if (!grads_out[i]) rc = -1;
    }
    for (int k = 0; k < n->nsaved; k++)
        if (kept_output[k]) n->saved[k] = kept_output[k];
    for (int i = 0; i < ar.n; i++) ct_decref(ar.t[i]);
    if (rc < 0)
        for (int i = 0; i < n->nnext; i++) {
            ct_xdecref(grads_out[i]);
            grads_out[i] = NULL;
        }
    return rc;
}

/* the ops with a derivative here, by their Python names (exported so the
 * tests can check every one of them against finite differences) */
int ct_differentiable_ops(const char **names, int max) {
    static const char *const structural[] = {
        "where", "sum", "mean", "prod", "amax", "amin", "max_dim", "min_dim", "cumsum", "cumprod", "norm", "view", "reshape",
        "unsqueeze", "squeeze", "flatten", "permute", "transpose", "t", "expand", "narrow", "select", "slice",
        "to", "clone", "contiguous", "mm", "bmm", "matmul", "addmm", "cat", "stack", "split", "chunk", "unbind", "flip",
        "roll", "repeat", "tril", "triu",
        "gather", "index_select", "scatter", "scatter_add", "index_add", "scatter_reduce", "masked_scatter",
        "sort", "msort", "topk", "kthvalue",
        "einsum", "tensordot", "cdist", "dist",
        "cross_entropy", "nll_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
        "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss", "embedding", "pad", "interpolate",
        "batch_norm", "layer_norm", "group_norm", "softmax", "log_softmax", "prelu", "glu", "leaky_relu", "elu", "selu",
        "celu", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "softplus", "logsigmoid",
        "diagonal", "diag", "diag_embed", "trace",
        "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
        "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
        "rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
        "scaled_dot_product_attention", NULL};
    int n = 0;
    for (int op = 0; op < CT_NUM_OPS && n < max; op++) {
        int m = save_mask(op);
        if (!(m & NODIFF) && op != CT_OP_sum && op != CT_OP_prod && op != CT_OP_amax && op != CT_OP_amin &&
            op != CT_OP_where && op != CT_OP_cumsum && op != CT_OP_cumprod)
            names[n++] = ct_op_name(op);
    }
    for (int i = 0; structural[i] && n < max; i++) names[n++] = structural[i];
    return n;
}
