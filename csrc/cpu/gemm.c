/* out[b] = beta * out[b] + alpha * a[b] @ b[b] for batched 3-D operands
 * (batch strides may be 0). float32 and float64 go to BLAS; integer dtypes
 * run a plain C loop (BLAS has none; not a main path). The op layer hands
 * matrices whose inner strides BLAS accepts (ld >= rows, unit stride). */
#include "ct_blas.h"
#include "loops.h"

/* a matrix with sizes (rows, cols) and strides (s0, s1): its BLAS transpose and
 * leading dimension; the stride of a size-1 dim does not matter */
static void blas_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, enum CBLAS_TRANSPOSE *tr,
                        int64_t *ld) {
    int64_t min_row_ld = cols > 1 ? cols : 1, min_col_ld = rows > 1 ? rows : 1;
    if ((s1 == 1 || cols <= 1) && (s0 >= min_row_ld || rows <= 1)) {
        *tr = CblasNoTrans;
        *ld = rows <= 1 || s0 < min_row_ld ? min_row_ld : s0;
    } else {
        *tr = CblasTrans;
        *ld = cols <= 1 || s1 < min_col_ld ? min_col_ld : s1;
    }
}

#define CT_DEF_GEMM_LOOP(E, T, C, m, unused)                                                            \
    static void gemm_loop_##E(T *o, const T *a, const T *b, int64_t M, int64_t N, int64_t K,          \
                              const int64_t *so, const int64_t *sa, const int64_t *sb, C alpha, C beta) { \
        for (int64_t i = 0; i < M; i++) {                                                              \
            for (int64_t j = 0; j < N; j++) {                                                          \
                C acc = 0;                                                                             \
                for (int64_t k = 0; k < K; k++)                                                        \
                    acc += CT_LOAD_##E(a + i * sa[0] + k * sa[1]) * CT_LOAD_##E(b + k * sb[0] + j * sb[1]); \
                T *p = o + i * so[0] + j * so[1];                                                      \
                C prev = beta == 0 ? (C)0 : beta * CT_LOAD_##E(p);                                     \
                CT_STORE_##E(p, prev + alpha * acc);                                                   \
            }                                                                                          \
        }                                                                                              \
    }
CT_DTYPES_INT(CT_DEF_GEMM_LOOP, 0)

int ct_cpu_gemm(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *a = args->tensors[1], *b = args->tensors[2];
    int64_t B = out->sizes[0], M = out->sizes[1], N = out->sizes[2], K = a->sizes[2];
    ct_scalar beta = args->scalars[0], alpha = args->scalars[1];
    int64_t isz = ct_itemsize(out->dtype);
    char *po = ct_data(out), *pa = ct_data(a), *pb = ct_data(b);
    if (M == 0 || N == 0) return 0;
    switch (out->dtype) {
    case CT_FLOAT32:
    case CT_FLOAT64: {
        enum CBLAS_TRANSPOSE ta, tb;
        int64_t lda, ldb, ldc = out->strides[1];
        blas_layout(M, K, a->strides[1], a->strides[2], &ta, &lda);
        blas_layout(K, N, b->strides[1], b->strides[2], &tb, &ldb);
        if (ldc < N) ldc = N;
        for (int64_t i = 0; i < B; i++) {
            char *o = po + i * out->strides[0] * isz;
            const char *x = pa + i * a->strides[0] * isz, *y = pb + i * b->strides[0] * isz;
            if (out->dtype == CT_FLOAT32)
                CT_BLAS(cblas_sgemm)(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, (float)alpha.d,
                                     (const float *)x, (int)lda, (const float *)y, (int)ldb, (float)beta.d,
                                     (float *)o, (int)ldc);
            else
                CT_BLAS(cblas_dgemm)(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, alpha.d, (const double *)x,
                                     (int)lda, (const double *)y, (int)ldb, beta.d, (double *)o, (int)ldc);
        }
        return 0;
    }
#define CT_GEMM_CASE(E, T, C, m, unused)                                                                  \
    case CT_##E:                                                                                          \
        _Pragma("omp parallel for if (B > 1 && M * N * K > 32768)")                                      \
        for (int64_t i = 0; i < B; i++)                                                                   \
            gemm_loop_##E((T *)(po + i * out->strides[0] * isz), (const T *)(pa + i * a->strides[0] * isz), \
                          (const T *)(pb + i * b->strides[0] * isz), M, N, K, out->strides + 1, a->strides + 1, \
                          b->strides + 1, (C)alpha.m, (C)beta.m);                                          \
        return 0;
        CT_DTYPES_INT(CT_GEMM_CASE, 0)
    default:
        return ct_error_dtype("addmm_impl", out->dtype);
    }
}
