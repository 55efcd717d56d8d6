/* LAPACK-backed kernels (the BLAS library ships LAPACK): QR. Matrices are
 * copied into column-major scratch, as LAPACK wants, one per thread. */
#include <stdlib.h>
#include <string.h>

#include "ct_blas.h"
#include "ct_kernels.h"

#define CT_LAPACK_QR_DECL(T, p)                                                                                   \
    void CT_BLAS(p##geqrf_)(const int *m, const int *n, T *a, const int *lda, T *tau, T *work, const int *lwork, \
                            int *info);                                                                           \
    void CT_BLAS(p##orgqr_)(const int *m, const int *n, const int *k, T *a, const int *lda, const T *tau, T *work, \
                            const int *lwork, int *info);
CT_LAPACK_QR_DECL(float, s)
CT_LAPACK_QR_DECL(double, d)

/* QR of each m x n matrix of a (contiguous, batch first) into q (m x qc) and r (rr x n);
 * mode 2 ('r') leaves q alone. Returns the first nonzero LAPACK info. */
#define CT_QR_BODY(T, p)                                                                                          \
    int64_t m = a->sizes[a->ndim - 2], n = a->sizes[a->ndim - 1], k = m < n ? m : n, batch = ct_numel(a) / (m * n); \
    int64_t qc = mode == 1 ? m : k, rr = mode == 1 ? m : k, cols = qc > n ? qc : n;                               \
    int im = (int)m, in = (int)n, ik = (int)k, iqc = (int)qc, bad = 0;                                            \
    _Pragma("omp parallel for if (batch > 1 && m * n * batch > 4096) reduction(| : bad)")                        \
    for (int64_t b = 0; b < batch; b++) {                                                                         \
        const T *A = (const T *)ct_data(a) + b * m * n;                                                           \
        T *buf = malloc(sizeof(T) * (size_t)(m * cols + k + 1)), *tau = buf + m * cols, wq;                       \
        int info = 0, lwork = -1;                                                                                 \
        if (!buf) {                                                                                               \
            bad |= 1;                                                                                             \
            continue;                                                                                             \
        }                                                                                                         \
        for (int64_t i = 0; i < m; i++)                                                                           \
            for (int64_t j = 0; j < n; j++) buf[i + j * m] = A[i * n + j];                                        \
        CT_BLAS(p##geqrf_)(&im, &in, buf, &im, tau, &wq, &lwork, &info);                                          \
        int lw = (int)wq > 1 ? (int)wq : 1;                                                                       \
        T *work = malloc(sizeof(T) * (size_t)(lw + (int64_t)m * 64));                                             \
        if (!work) {                                                                                              \
            free(buf);                                                                                            \
            bad |= 1;                                                                                             \
            continue;                                                                                             \
        }                                                                                                         \
        int lwmax = lw + im * 64;                                                                                 \
        CT_BLAS(p##geqrf_)(&im, &in, buf, &im, tau, work, &lwmax, &info);                                         \
        T *R = (T *)ct_data(r) + b * rr * n;                                                                      \
        for (int64_t i = 0; i < rr; i++)                                                                          \
            for (int64_t j = 0; j < n; j++) R[i * n + j] = i <= j ? buf[i + j * m] : (T)0;                        \
        if (mode != 2 && info == 0) {                                                                             \
            CT_BLAS(p##orgqr_)(&im, &iqc, &ik, buf, &im, tau, work, &lwmax, &info);                               \
            T *Q = (T *)ct_data(q) + b * m * qc;                                                                  \
            for (int64_t i = 0; i < m; i++)                                                                       \
                for (int64_t j = 0; j < qc; j++) Q[i * qc + j] = buf[i + j * m];                                  \
        }                                                                                                         \
        bad |= info != 0;                                                                                         \
        free(work);                                                                                               \
        free(buf);                                                                                                \
    }                                                                                                             \
    if (bad) return ct_error(CT_ERR_RUNTIME, "linalg.qr: LAPACK failed (out of memory or a bad argument)");

/* tensors = {a (contiguous float32/float64, [..., m, n]), q, r}; ints = {mode: 0 reduced, 1 complete, 2 r} */
int ct_cpu_linalg_qr(const ct_kernel_args *args) {
    ct_tensor *a = args->tensors[0], *q = args->tensors[1], *r = args->tensors[2];
    int mode = (int)args->ints[0];
    if (ct_numel(a) == 0) return 0;
    if (a->dtype == CT_FLOAT32) {
        CT_QR_BODY(float, s)
    } else {
        CT_QR_BODY(double, d)
    }
    return 0;
}
