/* Matrix decompositions: linalg.qr (checks, shapes and modes here; the
 * factorization is the backend's kernel, LAPACK on the CPU). */
#include "ctorch/ct_autograd.h"
#include "ctorch/ct_backend.h"
#include "ctorch/ct_ops.h"

int ct_linalg_qr(ct_tensor *a, int mode, ct_tensor **q, ct_tensor **r) {
    *q = *r = NULL;
    if (a->ndim < 2) return ct_error(CT_ERR_RUNTIME, "linalg.qr: The input tensor A must have at least 2 dimensions.");
    if (!ct_is_floating(a->dtype))
        return ct_error(CT_ERR_RUNTIME, "linalg.qr: Expected a floating point or complex tensor as input. Got %s",
                        ct_dtype_infos[a->dtype].legacy);
    if (a->dtype == CT_FLOAT16 || a->dtype == CT_BFLOAT16) return ct_error_kernel_dtype("geqrf_cpu", a->dtype);
    if (ct_grad_enabled() && ct_requires_grad(a))   /* no formula yet: refuse rather than drop the gradient */
        return ct_error(CT_ERR_NOTIMPL, "the derivative of linalg.qr is not implemented in ctorch; call it under "
                        "no_grad() or on a detached tensor");
    int nd = a->ndim;
    int64_t m = a->sizes[nd - 2], n = a->sizes[nd - 1], k = m < n ? m : n;
    int64_t qs[CT_MAX_DIMS], rs[CT_MAX_DIMS], zero = 0;
    for (int d = 0; d < nd; d++) qs[d] = rs[d] = a->sizes[d];
    qs[nd - 1] = mode == 1 ? m : k;
    rs[nd - 2] = mode == 1 ? m : k;
    ct_tensor *c = ct_contiguous(a);
    *q = c ? (mode == 2 ? ct_empty(1, &zero, a->dtype, ct_device_of(a)) : ct_empty(nd, qs, a->dtype, ct_device_of(a)))
           : NULL;
    *r = *q ? ct_empty(nd, rs, a->dtype, ct_device_of(a)) : NULL;
    int rc = -1;
    if (*r) {
        ct_tensor *v[3] = {c, *q, *r};
        int64_t ints[1] = {mode};
        ct_kernel_args args = {.op = CT_OP_linalg_qr, .tensors = v, .ntensors = 3, .ints = ints, .nints = 1};
        rc = ct_dispatch(ct_device_of(a), &args);
    }
    ct_xdecref(c);
    if (rc < 0) {
        ct_xdecref(*q);
        ct_xdecref(*r);
        *q = *r = NULL;
    }
    return rc;
}
