/* Matrix products: shape checks, batching and broadcasting, then one batched
 * gemm kernel (BLAS for float32/float64 on the CPU). */
#include <string.h>

#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

/* PyTorch names scalar types by their C++ names in these messages */
static const char *cpp_name(ct_dtype d) {
    static const char *const names[CT_NUM_DTYPES] = {"bool", "unsigned char", "signed char", "short int", "int",
                                                      "long int", "c10::Half", "c10::BFloat16", "float", "double"};
    return names[d];
}

/* a matrix (last two dims) BLAS can read: unit stride in one dim, a leading
 * dimension at least the other's size */
static bool blas_ok(const ct_tensor *t) {
    int64_t r = t->sizes[t->ndim - 2], c = t->sizes[t->ndim - 1];
    int64_t s0 = t->strides[t->ndim - 2], s1 = t->strides[t->ndim - 1];
    bool row = (s1 == 1 || c <= 1) && (s0 >= (c > 1 ? c : 1) || r <= 1);
    bool col = (s0 == 1 || r <= 1) && (s1 >= (r > 1 ? r : 1) || c <= 1);
    return (row || col) && s0 < (1LL << 31) && s1 < (1LL << 31);
}

static ct_tensor *prepare(ct_tensor *t, ct_dtype cd) {
    ct_tensor *c = ct_to_dtype(t, cd, false);
    if (!c || !ct_is_floating(cd) || blas_ok(c)) return c;
    ct_tensor *r = ct_contiguous(c);
    ct_decref(c);
    return r;
}

/* out(B,M,N) = beta * init + alpha * a(B,M,K) @ b(B,K,N); init may be NULL */
static ct_tensor *gemm3(ct_tensor *a, ct_tensor *b, ct_tensor *init, ct_scalar beta, ct_scalar alpha) {
    ct_dtype dt = a->dtype;
    if (dt == CT_BOOL)
        return ct_error_dtype("addmm_impl", dt), NULL;
    ct_dtype cd = dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? CT_FLOAT32 : dt;
    int64_t shape[3] = {a->sizes[0], a->sizes[1], b->sizes[2]};
    if (a->sizes[1] >= (1LL << 31) || b->sizes[2] >= (1LL << 31) || a->sizes[2] >= (1LL << 31))
        return ct_error_null(CT_ERR_RUNTIME, "matmul: dimensions larger than 2^31 are not supported");
    ct_tensor *ac = prepare(a, cd), *bc = ac ? prepare(b, cd) : NULL;
    ct_tensor *out = bc ? ct_empty(3, shape, cd, ct_device_of(a)) : NULL, *res = NULL;
    int rc = out ? 0 : -1;
    if (rc == 0 && init) rc = ct_copy_(out, init);
    if (rc == 0 && !init) beta = ct_scalar_i(0);
    if (rc == 0 && a->sizes[2] == 0 && !init) rc = ct_fill_(out, ct_scalar_i(0));
    if (rc == 0 && !(a->sizes[2] == 0 && init)) {
        ct_tensor *ts[3] = {out, ac, bc};
        ct_scalar sc[2] = {beta, alpha};
        ct_kernel_args args = {.op = CT_OP_gemm, .tensors = ts, .ntensors = 3, .scalars = sc, .nscalars = 2};
        if (ct_numel(out) > 0 && a->sizes[2] > 0) rc = ct_dispatch(ct_device_of(a), &args);
        else if (ct_numel(out) > 0 && init && beta.d != 1) {
            /* k == 0: out = beta * init */
            ct_tensor *s = ct_scalar_tensor(beta, cd, true), *m = s ? ct_binary(CT_OP_mul, out, s, NULL, out) : NULL;
            rc = m ? 0 : -1;
            ct_xdecref(s);
            ct_xdecref(m);
        }
    }
    if (rc == 0) res = ct_to_dtype(out, dt, false);
    ct_xdecref(ac);
    ct_xdecref(bc);
    ct_xdecref(out);
    return res;
}

static int same_dtype(const char *what, const ct_tensor *a, const ct_tensor *b) {
    if (a->dtype != b->dtype)
        return ct_error(CT_ERR_RUNTIME, "expected %s to have the same dtype, but got: %s != %s", what,
                        cpp_name(a->dtype), cpp_name(b->dtype));
    return 0;
}

/* a 2-D or 3-D view as 3-D (batch 1 for matrices) */
static ct_tensor *as3(ct_tensor *t) {
    return t->ndim == 3 ? ct_incref(t) : ct_unsqueeze(t, 0);
}

/* drop the leading batch dim of a (1, M, N) result */
static ct_tensor *drop_batch(ct_tensor *r) {
    if (!r) return NULL;
    ct_tensor *v = ct_select(r, 0, 0);
    ct_decref(r);
    return v;
}

/* run a product with grad mode off, then record it as one node over a, b */
static ct_tensor *record_product(ct_tensor *r, int kind, const char *name, int nin, ct_tensor *const *inputs,
                                 ct_tensor *a, ct_tensor *b, const ct_scalar *scalars) {
    ct_tensor *save[2] = {a, b};
    if (r && ct_is_floating(r->dtype) &&
        ct_record_op(kind, name, nin, inputs, r, 2, save, scalars, scalars ? 2 : 0, NULL, 0) < 0) {
        ct_decref(r);
        return NULL;
    }
    return r;
}

/* a @ b computed by values() with grad mode off, recorded as one MM node */
static ct_tensor *recorded_mm(ct_tensor *(*values)(ct_tensor *, ct_tensor *), ct_tensor *a, ct_tensor *b,
                              const char *name) {
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = values(a, b);
    ct_set_grad_enabled(grad_mode);
    ct_tensor *in[2] = {a, b};
    return record_product(r, CT_NODE_MM, name, 2, in, a, b, NULL);
}

static ct_tensor *mm_values(ct_tensor *a, ct_tensor *b);

ct_tensor *ct_mm(ct_tensor *a, ct_tensor *b) { return recorded_mm(mm_values, a, b, "MmBackward0"); }

static ct_tensor *mm_values(ct_tensor *a, ct_tensor *b) {
    if (a->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "self must be a matrix");
    if (b->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "mat2 must be a matrix");
    if (a->sizes[1] != b->sizes[0])
        return ct_error_null(CT_ERR_RUNTIME, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                             (long long)a->sizes[0], (long long)a->sizes[1], (long long)b->sizes[0],
                             (long long)b->sizes[1]);
    if (same_dtype("mat1 and mat2", a, b) < 0) return NULL;
    ct_tensor *a3 = as3(a), *b3 = a3 ? as3(b) : NULL;
    ct_tensor *r = b3 ? gemm3(a3, b3, NULL, ct_scalar_i(0), ct_scalar_i(1)) : NULL;
    ct_xdecref(a3);
    ct_xdecref(b3);
    return drop_batch(r);
}

static ct_tensor *bmm_values(ct_tensor *a, ct_tensor *b);

ct_tensor *ct_bmm(ct_tensor *a, ct_tensor *b) { return recorded_mm(bmm_values, a, b, "BmmBackward0"); }

static ct_tensor *bmm_values(ct_tensor *a, ct_tensor *b) {
    if (a->ndim != 3) return ct_error_null(CT_ERR_RUNTIME, "batch1 must be a 3D tensor");
    if (b->ndim != 3) return ct_error_null(CT_ERR_RUNTIME, "batch2 must be a 3D tensor");
    if (a->sizes[0] != b->sizes[0] || a->sizes[2] != b->sizes[1])
        return ct_error_null(CT_ERR_RUNTIME, "Expected size for first two dimensions of batch2 tensor to be: [%lld, "
                             "%lld] but got: [%lld, %lld].", (long long)a->sizes[0], (long long)a->sizes[2],
                             (long long)b->sizes[0], (long long)b->sizes[1]);
    if (same_dtype("batch1 and batch2", a, b) < 0) return NULL;
    return gemm3(a, b, NULL, ct_scalar_i(0), ct_scalar_i(1));
}

ct_tensor *ct_dot(ct_tensor *a, ct_tensor *b) {
    if (a->ndim != 1 || b->ndim != 1)
        return ct_error_null(CT_ERR_RUNTIME, "1D tensors expected, but got %dD and %dD tensors", a->ndim, b->ndim);
    if (a->sizes[0] != b->sizes[0])
        return ct_error_null(CT_ERR_RUNTIME, "inconsistent tensor size, expected tensor [%lld] and src [%lld] to have "
                             "the same number of elements, but got %lld and %lld elements respectively",
                             (long long)a->sizes[0], (long long)b->sizes[0], (long long)a->sizes[0],
                             (long long)b->sizes[0]);
    if (a->dtype != b->dtype)
        return ct_error_null(CT_ERR_RUNTIME, "dot : expected both vectors to have same dtype, but found %s and %s",
                             ct_dtype_infos[a->dtype].legacy, ct_dtype_infos[b->dtype].legacy);
    /* (1, k) @ (k, 1) through mm, then a 0-dim view: each step recorded for autograd */
    ct_tensor *a2 = ct_unsqueeze(a, 0), *b2 = a2 ? ct_unsqueeze(b, 1) : NULL;
    ct_tensor *r = b2 ? ct_mm(a2, b2) : NULL, *res = r ? ct_view(r, 0, NULL) : NULL;
    if (res && res->grad_fn) res->grad_fn->name = "DotBackward0";
    ct_xdecref(a2);
    ct_xdecref(b2);
    ct_xdecref(r);
    return res;
}

ct_tensor *ct_mv(ct_tensor *m, ct_tensor *v) {
    if (m->ndim != 2 || v->ndim != 1)
        return ct_error_null(CT_ERR_RUNTIME, "vector + matrix @ vector expected, got %d, %d", m->ndim, v->ndim);
    if (m->sizes[1] != v->sizes[0])
        return ct_error_null(CT_ERR_RUNTIME, "size mismatch, got input (%lld), mat (%lldx%lld), vec (%lld)",
                             (long long)m->sizes[0], (long long)m->sizes[0], (long long)m->sizes[1],
                             (long long)v->sizes[0]);
    if (same_dtype("mat and vec", m, v) < 0) return NULL;
    ct_tensor *v2 = ct_unsqueeze(v, 1), *r = v2 ? ct_mm(m, v2) : NULL, *res = NULL;
    if (r) res = ct_squeeze(r, 1, (int64_t[]){1});
    if (res && res->grad_fn) res->grad_fn->name = "MvBackward0";
    ct_xdecref(v2);
    ct_xdecref(r);
    return res;
}

ct_tensor *ct_outer(ct_tensor *a, ct_tensor *b) {
    if (a->ndim != 1)
        return ct_error_null(CT_ERR_RUNTIME, "outer: Expected 1-D argument self, but got %d-D", a->ndim);
    if (b->ndim != 1)
        return ct_error_null(CT_ERR_RUNTIME, "outer: Expected 1-D argument vec2, but got %d-D", b->ndim);
    ct_tensor *a2 = ct_unsqueeze(a, 1), *r = a2 ? ct_binary(CT_OP_mul, a2, b, NULL, NULL) : NULL;
    ct_xdecref(a2);
    return r;
}

static ct_tensor *addmm_values(ct_tensor *input, ct_tensor *a, ct_tensor *b, ct_scalar beta, ct_scalar alpha);

ct_tensor *ct_addmm(ct_tensor *input, ct_tensor *a, ct_tensor *b, ct_scalar beta, ct_scalar alpha) {
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);
    ct_tensor *r = addmm_values(input, a, b, beta, alpha);
    ct_set_grad_enabled(grad_mode);
    ct_tensor *in[3] = {input, a, b};
    ct_scalar sc[2] = {beta, alpha};
    return record_product(r, CT_NODE_ADDMM, "AddmmBackward0", 3, in, a, b, sc);
}

static ct_tensor *addmm_values(ct_tensor *input, ct_tensor *a, ct_tensor *b, ct_scalar beta, ct_scalar alpha) {
    if (a->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "mat1 must be a matrix, got %d-D tensor", a->ndim);
    if (b->ndim != 2) return ct_error_null(CT_ERR_RUNTIME, "mat2 must be a matrix, got %d-D tensor", b->ndim);
    if (a->sizes[1] != b->sizes[0])
        return ct_error_null(CT_ERR_RUNTIME, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                             (long long)a->sizes[0], (long long)a->sizes[1], (long long)b->sizes[0],
                             (long long)b->sizes[1]);
    if (same_dtype("mat1 and mat2", a, b) < 0 || same_dtype("self and mat2", input, b) < 0) return NULL;
    int64_t shape[3] = {1, a->sizes[0], b->sizes[1]};
    ct_tensor *init = ct_expand(input, 3, shape);
    if (!init) return NULL;
    ct_tensor *a3 = as3(a), *b3 = a3 ? as3(b) : NULL;
    ct_tensor *r = b3 ? gemm3(a3, b3, init, beta, alpha) : NULL;
    ct_decref(init);
    ct_xdecref(a3);
    ct_xdecref(b3);
    return drop_batch(r);
}

/* matmul of N-d operands: broadcast batch dims, fold them into one, gemm */
ct_tensor *ct_matmul(ct_tensor *a, ct_tensor *b) {
    if (a->ndim == 0 || b->ndim == 0)
        return ct_error_null(CT_ERR_RUNTIME, "both arguments to matmul need to be at least 1D, but they are %dD and %dD",
                             a->ndim, b->ndim);
    if (a->ndim == 1 && b->ndim == 1) return ct_dot(a, b);
    if (a->ndim == 2 && b->ndim == 2) return ct_mm(a, b);
    if (a->ndim == 2 && b->ndim == 1) return ct_mv(a, b);
    if (same_dtype("both arguments to matmul", a, b) < 0) return NULL;
    bool va = a->ndim == 1, vb = b->ndim == 1;
    ct_tensor *A = va ? ct_unsqueeze(a, 0) : ct_incref(a);
    ct_tensor *B = vb ? ct_unsqueeze(b, 1) : ct_incref(b);
    ct_tensor *res = NULL, *Ae = NULL, *Be = NULL, *A3 = NULL, *B3 = NULL, *r = NULL;
    if (!A || !B) goto done;
    int64_t n = A->sizes[A->ndim - 2], k = A->sizes[A->ndim - 1], k2 = B->sizes[B->ndim - 2], p = B->sizes[B->ndim - 1];
    if (k != k2) {
        ct_error(CT_ERR_RUNTIME, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                 (long long)(ct_numel(A) / (k ? k : 1)), (long long)k, (long long)k2, (long long)p);
        goto done;
    }
    int64_t batch[CT_MAX_DIMS], full[CT_MAX_DIMS];
    int nb = ct_broadcast_shapes(A->ndim - 2, A->sizes, B->ndim - 2, B->sizes, batch);
    if (nb < 0 || nb + 2 > CT_MAX_DIMS) goto done;
    int64_t nbatch = 1;
    for (int i = 0; i < nb; i++) nbatch *= batch[i];
    memcpy(full, batch, sizeof(int64_t) * (size_t)nb);
    bool grad_mode = ct_grad_enabled();
    ct_set_grad_enabled(false);   /* recorded below as one product of A and B */
    full[nb] = n;
    full[nb + 1] = k;
    Ae = ct_expand(A, nb + 2, full);
    full[nb] = k;
    full[nb + 1] = p;
    Be = Ae ? ct_expand(B, nb + 2, full) : NULL;
    int64_t s3a[3] = {nbatch, n, k}, s3b[3] = {nbatch, k, p};
    if (Be && (A3 = ct_reshape(Ae, 3, s3a)) && (B3 = ct_reshape(Be, 3, s3b))) {
        ct_tensor *flat = gemm3(A3, B3, NULL, ct_scalar_i(0), ct_scalar_i(1));
        int64_t shape[CT_MAX_DIMS];
        memcpy(shape, batch, sizeof(int64_t) * (size_t)nb);
        shape[nb] = n;
        shape[nb + 1] = p;
        r = flat ? ct_view(flat, nb + 2, shape) : NULL;
        ct_xdecref(flat);
    }
    ct_set_grad_enabled(grad_mode);
    ct_tensor *ab[2] = {A, B};
    if (!(r = record_product(r, CT_NODE_MM, "BmmBackward0", 2, ab, A, B, NULL))) goto done;
    /* result (batch..., n, p) without the dims a 1-D operand did not have */
    int64_t out[CT_MAX_DIMS];
    int no = nb;
    memcpy(out, batch, sizeof(int64_t) * (size_t)nb);
    if (!va) out[no++] = n;
    if (!vb) out[no++] = p;
    res = ct_view(r, no, out);
done:;
    ct_tensor *tmp[] = {A, B, Ae, Be, A3, B3, r};
    for (int i = 0; i < 7; i++) ct_xdecref(tmp[i]);
    return res;
}
