/* scaled_dot_product_attention: PyTorch's checks and messages, the broadcast
 * of the batch dims, then one fused kernel (cpu/attention.c) and one autograd
 * node whose backward gives dq, dk and dv from the saved probabilities. A float
 * mask that requires grad takes PyTorch's math path instead (recorded core ops),
 * as PyTorch's CPU dispatch does. float16/bfloat16 compute in float32. */
#include <math.h>
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

static const char *const cpp_names[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short", "int",
                                                     "long int", "c10::Half", "c10::BFloat16", "float", "double"};

typedef struct {
    int nb;                           /* batch dims of the output */
    int64_t batch[CT_MAX_DIMS];
    int64_t L, S, E, Ev;
} sdpa_shape;

static int64_t batch_numel(const sdpa_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->nb; i++) n *= s->batch[i];
    return n;
}

/* the batch dims of a and b broadcast into out (PyTorch's message on a mismatch) */
static int broadcast_batch(int na, const int64_t *a, const ct_tensor *b, int64_t *out) {
    return ct_broadcast_shapes(na, a, b->ndim - 2, b->sizes, out);
}

static int check_args(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, bool is_causal) {
    if (q->ndim < 2 || k->ndim < 2 || v->ndim < 2)
        return ct_error(CT_ERR_RUNTIME, "Expected query, key, and value to all be  at least 2 dimensional, but got "
                        "query.dim: %d key.dim: %d and value.dim: %d instead.", q->ndim, k->ndim, v->ndim);
    if (q->dtype != k->dtype || q->dtype != v->dtype)
        return ct_error(CT_ERR_RUNTIME, "Expected query, key, and value to have the same dtype, but got query.dtype: "
                        "%s key.dtype: %s and value.dtype: %s instead.", cpp_names[q->dtype], cpp_names[k->dtype],
                        cpp_names[v->dtype]);
    if (!ct_is_floating(q->dtype))
        return ct_error(CT_ERR_RUNTIME, "expected scalar type Float but found %s", ct_dtype_infos[q->dtype].legacy);
    if (!mask) return 0;
    if (mask->dtype != CT_BOOL && mask->dtype != CT_FLOAT32 && mask->dtype != q->dtype)
        return ct_error(CT_ERR_RUNTIME, "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                        "attn_mask.dtype: %s and  query.dtype: %s instead.", cpp_names[mask->dtype], cpp_names[q->dtype]);
    if (is_causal)
        return ct_error(CT_ERR_RUNTIME, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                        "is_causal=True");
    int64_t d;
    return mask->ndim < 2 ? ct_wrap_dim(-2, mask->ndim, &d) : 0;
}

/* the output's batch dims and sizes; the inner sizes must agree as bmm's do */
static int infer_shape(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, sdpa_shape *s) {
    int64_t qk[CT_MAX_DIMS];
    int n = broadcast_batch(q->ndim - 2, q->sizes, k, qk);
    if (n < 0) return -1;
    s->L = q->sizes[q->ndim - 2], s->E = q->sizes[q->ndim - 1];
    s->S = k->sizes[k->ndim - 2], s->Ev = v->sizes[v->ndim - 1];
    s->nb = n;
    memcpy(s->batch, qk, sizeof(int64_t) * (size_t)n);
    int64_t bs = batch_numel(s), ek = k->sizes[k->ndim - 1], sv = v->sizes[v->ndim - 2];
    if (ek != s->E)
        return ct_error(CT_ERR_RUNTIME, "Expected size for first two dimensions of batch2 tensor to be: [%lld, %lld] "
                        "but got: [%lld, %lld].", (long long)bs, (long long)s->E, (long long)bs, (long long)ek);
    if ((s->nb = broadcast_batch(n, qk, v, s->batch)) < 0) return -1;
    if (sv != s->S)
        return ct_error(CT_ERR_RUNTIME, "Expected size for first two dimensions of batch2 tensor to be: [%lld, %lld] "
                        "but got: [%lld, %lld].", (long long)bs, (long long)s->S, (long long)bs, (long long)sv);
    if (!mask) return 0;
    int64_t scores[CT_MAX_DIMS], full[CT_MAX_DIMS];   /* the mask broadcasts to the scores, never beyond */
    memcpy(scores, s->batch, sizeof(int64_t) * (size_t)s->nb);
    scores[s->nb] = s->L, scores[s->nb + 1] = s->S;
    int nf = ct_broadcast_shapes(s->nb + 2, scores, mask->ndim, mask->sizes, full);
    if (nf < 0) return -1;
    if (nf != s->nb + 2 || memcmp(full, scores, sizeof(int64_t) * (size_t)nf)) {
        char a[256], b[256];
        return ct_error(CT_ERR_RUNTIME, "output with shape %s doesn't match the broadcast shape %s",
                        ct_shape_str(s->nb + 2, scores, a, sizeof a), ct_shape_str(nf, full, b, sizeof b));
    }
    return 0;
}

/* enable_gqa: key and value heads (dim -3) repeated to the query's, as repeat_interleave (recorded) */
static ct_tensor *repeat_heads(ct_tensor *q, ct_tensor *t) {
    int64_t hq, ht;
    if (q->ndim < 3 || t->ndim < 3) {
        int64_t d;
        return ct_wrap_dim(-3, q->ndim < 3 ? q->ndim : t->ndim, &d), NULL;
    }
    hq = q->sizes[q->ndim - 3], ht = t->sizes[t->ndim - 3];
    if (ht == 0 || hq % ht)
        return ct_error_null(CT_ERR_RUNTIME, "Number of heads in key and value must divide the number of heads in ");
    return hq == ht ? ct_incref(t) : ct_repeat_interleave(t, hq / ht, true, t->ndim - 3);
}

/* t in the compute dtype, its last dim of unit stride and rows BLAS can step over, expanded to batch + its
 * own two inner sizes (batch strides may be 0) */
static ct_tensor *kernel_operand(ct_tensor *t, ct_dtype cd, const sdpa_shape *s, int64_t r, int64_t c) {
    ct_tensor *x = ct_to_dtype(t, cd, false);
    if (!x) return NULL;
    int64_t rows = x->sizes[x->ndim - 2], cols = x->sizes[x->ndim - 1];
    int64_t rs = x->strides[x->ndim - 2], cs = x->strides[x->ndim - 1];
    if ((cs != 1 && cols > 1) || (rows > 1 && rs < (cols > 1 ? cols : 1))) {
        ct_tensor *y = ct_contiguous(x);
        ct_decref(x);
        if (!(x = y)) return NULL;
    }
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, s->batch, sizeof(int64_t) * (size_t)s->nb);
    shape[s->nb] = r, shape[s->nb + 1] = c;
    ct_tensor *e = ct_expand(x, s->nb + 2, shape);
    ct_decref(x);
    return e;
}

/* the dropout factors: 0 or 1 / (1 - p), drawn with ctorch's generator */
static int draw_dropout(ct_tensor *drop, double p) {
    if (ct_bernoulli_(drop, 1 - p, NULL) < 0) return -1;
    ct_tensor *f = ct_scalar_tensor(ct_scalar_f(p < 1 ? 1 / (1 - p) : 0), CT_FLOAT64, true);
    ct_tensor *r = f ? ct_binary(CT_OP_mul, drop, f, NULL, drop) : NULL;
    ct_xdecref(f);
    ct_xdecref(r);
    return r ? 0 : -1;
}

/* the fused forward: t = {out, P, q, k, v, mask, drop}; saved = P (when recorded) and the dropout
 * factors (with dropout), stacked as [1 or 2, batch, L, S]. The operands keep their history (views of
 * the inputs): the backward records its results against them, so that differentiating those raises. */
static int fused_forward(ct_tensor **t, ct_tensor **saved, const sdpa_shape *s, ct_tensor *q, ct_tensor *k,
                         ct_tensor *v, ct_tensor *mask, double p, bool causal, double scale, bool need_grad) {
    ct_dtype cd = q->dtype == CT_FLOAT64 ? CT_FLOAT64 : CT_FLOAT32;
    ct_device dev = ct_device_of(q);
    int64_t shape[CT_MAX_DIMS + 1];
    shape[0] = need_grad + (p > 0);   /* P (for the backward), then the dropout factors */
    memcpy(shape + 1, s->batch, sizeof(int64_t) * (size_t)s->nb);
    shape[s->nb + 1] = s->L, shape[s->nb + 2] = s->S;
    if (!(t[2] = kernel_operand(q, cd, s, s->L, s->E)) || !(t[3] = kernel_operand(k, cd, s, s->S, s->E)) ||
        !(t[4] = kernel_operand(v, cd, s, s->S, s->Ev)))
        return -1;
    if (mask && !(t[5] = kernel_operand(mask, mask->dtype == CT_BOOL ? CT_BOOL : cd, s, s->L, s->S))) return -1;
    if (shape[0]) {
        if (!(*saved = ct_empty(s->nb + 3, shape, cd, dev))) return -1;
        if (need_grad && !(t[1] = ct_select(*saved, 0, 0))) return -1;
        if (p > 0 && (!(t[6] = ct_select(*saved, 0, need_grad)) || draw_dropout(t[6], p) < 0)) return -1;
    }
    shape[s->nb + 2] = s->Ev;
    if (!(t[0] = ct_empty(s->nb + 2, shape + 1, cd, dev))) return -1;
    if (batch_numel(s) * s->L == 0) return 0;
    ct_scalar sc = ct_scalar_f(scale);
    int64_t ints[1] = {causal};
    ct_kernel_args args = {.op = CT_OP_attention, .tensors = t, .ntensors = 7, .scalars = &sc, .nscalars = 1,
                           .ints = ints, .nints = 1};
    return ct_dispatch(dev, &args);
}

/* PyTorch's math path, for a float mask that requires grad: softmax(q k^T scale + mask), dropout, @ v.
 * Rows with nothing left (all -inf) give 0, and their scores are replaced by 0 before the softmax so that
 * its gradient there is 0, not NaN. */
static ct_tensor *math_path(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, double p, double scale) {
    ct_tensor *t[9] = {NULL}, *c[3] = {NULL}, *out = NULL;
    int64_t last = -1;
    bool ok = (c[0] = ct_scalar_tensor(ct_scalar_f(scale), CT_FLOAT64, true)) &&
              (c[1] = ct_scalar_tensor(ct_scalar_f(0), CT_FLOAT64, true)) &&
              (c[2] = ct_scalar_tensor(ct_scalar_f(-INFINITY), CT_FLOAT64, true)) &&
              (t[0] = ct_transpose(k, k->ndim - 2, k->ndim - 1)) && (t[1] = ct_matmul(q, t[0])) &&
              (t[2] = ct_binary(CT_OP_mul, t[1], c[0], NULL, NULL)) &&
              (t[3] = ct_binary(CT_OP_add, t[2], mask, NULL, NULL)) &&
              (t[4] = ct_reduce(CT_RED_AMAX, t[3], 1, &last, true, CT_UNDEFINED)) &&
              (t[5] = ct_binary(CT_OP_eq, t[4], c[2], NULL, NULL)) && (t[6] = ct_where(t[5], c[1], t[3], NULL)) &&
              (t[7] = ct_softmax(t[6], -1, CT_UNDEFINED, false)) && (t[8] = ct_where(t[5], c[1], t[7], NULL));
    if (ok) {
        ct_tensor *d = ct_dropout(t[8], p, p > 0, false, false, false);
        out = d ? ct_matmul(d, v) : NULL;
        ct_xdecref(d);
    }
    for (int i = 0; i < 9; i++) ct_xdecref(t[i]);
    for (int i = 0; i < 3; i++) ct_xdecref(c[i]);
    return out;
}

static ct_tensor *sdpa(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, double p, bool causal,
                       double scale) {
    sdpa_shape s;
    if (infer_shape(q, k, v, mask, &s) < 0) return NULL;
    if (mask && ct_is_floating(mask->dtype) && ct_requires_grad(mask) && ct_grad_enabled())
        return math_path(q, k, v, mask, p, scale);
    ct_tensor *in[3] = {q, k, v}, *t[7] = {NULL}, *saved = NULL, *res = NULL;
    bool need_grad = ct_record_needed(3, in);
    if (fused_forward(t, &saved, &s, q, k, v, mask, p, causal, scale, need_grad) == 0)
        res = ct_to_dtype(t[0], q->dtype, false);
    ct_tensor *save[4] = {t[2], t[3], t[4], saved};
    ct_scalar sc = ct_scalar_f(scale);
    int64_t ints[1] = {p > 0};
    if (res && need_grad &&
        ct_record_op(CT_NODE_SDPA, "ScaledDotProductFlashAttentionForCpuBackward0", 3, in, res, 4, save, &sc, 1,
                     ints, 1) < 0) {
        ct_decref(res);
        res = NULL;
    }
    for (int i = 0; i < 7; i++) ct_xdecref(t[i]);
    ct_xdecref(saved);
    return res;
}

ct_tensor *ct_scaled_dot_product_attention(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, double p,
                                           bool is_causal, bool has_scale, double scale, bool enable_gqa) {
    if (check_args(q, k, v, mask, is_causal) < 0) return NULL;
    if (!has_scale) scale = 1 / sqrt((double)q->sizes[q->ndim - 1]);
    if (!enable_gqa) return sdpa(q, k, v, mask, p, is_causal, scale);
    ct_tensor *kr = repeat_heads(q, k), *vr = kr ? repeat_heads(q, v) : NULL;
    ct_tensor *r = vr ? sdpa(q, kr, vr, mask, p, is_causal, scale) : NULL;
    ct_xdecref(kr);
    ct_xdecref(vr);
    return r;
}

/* ---- backward: dq, dk, dv over the full batch (ct_derivative sums them to each input's shape) ---- */

int ct_attention_backward(const ct_node *n, ct_tensor *g, ct_tensor **gi) {
    ct_tensor *q = n->saved[0], *k = n->saved[1], *v = n->saved[2], *saved = n->saved[3];
    ct_dtype cd = q->dtype;
    ct_device dev = ct_device_of(q);
    int nb = q->ndim - 2;
    int64_t shape[CT_MAX_DIMS];
    memcpy(shape, q->sizes, sizeof(int64_t) * (size_t)nb);
    ct_tensor *t[9] = {NULL}, *gc = NULL;
    int rc = -1;
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *g2 = ct_to_dtype(g, cd, false);
    gc = g2 ? ct_contiguous(g2) : NULL;
    ct_xdecref(g2);
    shape[nb] = q->sizes[nb], shape[nb + 1] = q->sizes[nb + 1];
    bool ok = gc && (t[0] = ct_empty(nb + 2, shape, cd, dev));
    shape[nb] = k->sizes[nb];
    ok = ok && (t[1] = ct_empty(nb + 2, shape, cd, dev));
    shape[nb + 1] = v->sizes[nb + 1];
    ok = ok && (t[2] = ct_empty(nb + 2, shape, cd, dev)) && (t[7] = ct_select(saved, 0, 0));
    ok = ok && (!n->ints[0] || (t[8] = ct_select(saved, 0, 1)));
    if (ok) {
        t[3] = gc, t[4] = q, t[5] = k, t[6] = v;
        ct_kernel_args args = {.op = CT_OP_attention_backward, .tensors = t, .ntensors = 9, .scalars = n->scalars,
                               .nscalars = 1};
        rc = ct_numel(t[0]) + ct_numel(t[1]) + ct_numel(t[2]) == 0 ? 0 : ct_dispatch(dev, &args);
    }
    ct_set_grad_enabled(grad_mode);
    ct_xdecref(gc);
    ct_xdecref(t[7]);
    ct_xdecref(t[8]);
    ct_tensor *ins[2] = {g, q};
    for (int i = 0; i < 3; i++) {   /* differentiating these again is not implemented */
        gi[i] = t[i];
        if (rc < 0 || (gi[i] && ct_record_op(CT_NODE_NN_ONCE, "ScaledDotProductFlashAttentionForCpuBackward0", 2, ins,
                                             gi[i], 0, NULL, NULL, 0, NULL, 0) < 0))
            rc = -1;
    }
    if (rc < 0)
        for (int i = 0; i < 3; i++) {
            ct_xdecref(gi[i]);
            gi[i] = NULL;
        }
    return rc;
}
