/* out[b] = beta * out[b] + alpha * a[b] @ b[b] for batched 3-D operands
 * (batch strides may be 0). float32 and float64 go to BLAS; integer dtypes
 * run a plain C loop (BLAS has none; not a main path). The op layer hands
 * matrices whose inner strides BLAS accepts (ld >= rows, unit stride). */
#include <omp.h>

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

/* One threading runtime: BLAS runs single-threaded (ct_cpu_backend_register)
 * and large products are split over OpenMP threads here, by batch, rows or
 * columns, so BLAS worker threads never compete with OpenMP's for the cores. */
typedef struct {
    enum CBLAS_TRANSPOSE ta, tb;
    int64_t M, N, K, lda, ldb, ldc;
    double alpha, beta;
    bool f32;
} gemm_plan;

/* c[i * inc] = 0 for i < n: BLAS gemv scales y by beta = 0, and 0 * NaN in a
 * fresh output would stay NaN */
static void zero_strided(char *c, int64_t n, int64_t inc, bool f32) {
    for (int64_t i = 0; i < n; i++) {
        if (f32) ((float *)c)[i * inc] = 0;
        else ((double *)c)[i * inc] = 0;
    }
}

/* the vector cases of one block, where gemm's packing costs more than the
 * product (a dot of 1M elements through sgemm ran 8x slower than sdot):
 * m == n == 1 as a dot, n == 1 or m == 1 as one gemv; false when it is a
 * real matrix product */
static bool gemm_block_vector(const gemm_plan *p, const char *ab, const char *bb, char *cb, int m, int n, int k) {
    if (m != 1 && n != 1) return false;
    /* element strides of a's rows and b's columns along k */
    int inc_a = p->ta == CblasNoTrans ? 1 : (int)p->lda, inc_b = p->tb == CblasNoTrans ? (int)p->ldb : 1;
    if (m == 1 && n == 1) {
        double d = p->f32 ? (double)CT_BLAS(cblas_sdot)(k, (const float *)ab, inc_a, (const float *)bb, inc_b)
                          : CT_BLAS(cblas_ddot)(k, (const double *)ab, inc_a, (const double *)bb, inc_b);
        if (p->f32) { float *o = (float *)cb; *o = (float)(p->alpha * d + (p->beta == 0 ? 0 : p->beta * *o)); }
        else { double *o = (double *)cb; *o = p->alpha * d + (p->beta == 0 ? 0 : p->beta * *o); }
        return true;
    }
    /* n == 1: y(m) = A(m x k) x; m == 1: y(n) = B(k x n)^T a. The stored matrix
     * is row-major with its leading dimension; trans says how it is read. */
    bool col = n == 1;
    const char *mat = col ? ab : bb, *vec = col ? bb : ab;
    enum CBLAS_TRANSPOSE stored = col ? p->ta : p->tb;
    int ld = (int)(col ? p->lda : p->ldb), incx = col ? inc_b : inc_a, incy = col ? (int)p->ldc : 1;
    int len = col ? m : n;
    /* rows and columns of the matrix as stored, and whether gemv reads it transposed */
    int rows = (stored == CblasNoTrans) == col ? len : k, cols = (stored == CblasNoTrans) == col ? k : len;
    enum CBLAS_TRANSPOSE tr = (stored == CblasNoTrans) == col ? CblasNoTrans : CblasTrans;
    if (p->beta == 0) zero_strided(cb, len, incy, p->f32);
    if (p->f32)
        CT_BLAS(cblas_sgemv)(CblasRowMajor, tr, rows, cols, (float)p->alpha, (const float *)mat, ld,
                             (const float *)vec, incx, (float)p->beta, (float *)cb, incy);
    else
        CT_BLAS(cblas_dgemv)(CblasRowMajor, tr, rows, cols, p->alpha, (const double *)mat, ld, (const double *)vec,
                             incx, p->beta, (double *)cb, incy);
    return true;
}

/* rows [r0, r1) and columns [c0, c1) of one product */
static void gemm_block(const gemm_plan *p, const char *a, const char *b, char *c, int64_t r0, int64_t r1, int64_t c0,
                       int64_t c1) {
    int64_t isz = p->f32 ? 4 : 8;
    const char *ab = a + r0 * (p->ta == CblasNoTrans ? p->lda : 1) * isz;
    const char *bb = b + c0 * (p->tb == CblasNoTrans ? 1 : p->ldb) * isz;
    char *cb = c + (r0 * p->ldc + c0) * isz;
    int m = (int)(r1 - r0), n = (int)(c1 - c0), k = (int)p->K;
    if (gemm_block_vector(p, ab, bb, cb, m, n, k)) return;
    if (p->f32)
        CT_BLAS(cblas_sgemm)(CblasRowMajor, p->ta, p->tb, m, n, k, (float)p->alpha, (const float *)ab, (int)p->lda,
                             (const float *)bb, (int)p->ldb, (float)p->beta, (float *)cb, (int)p->ldc);
    else
        CT_BLAS(cblas_dgemm)(CblasRowMajor, p->ta, p->tb, m, n, k, p->alpha, (const double *)ab, (int)p->lda,
                             (const double *)bb, (int)p->ldb, p->beta, (double *)cb, (int)p->ldc);
}

static void blas_gemm(ct_tensor *out, ct_tensor *a, ct_tensor *b, ct_scalar alpha, ct_scalar beta) {
    gemm_plan p = {.M = out->sizes[1], .N = out->sizes[2], .K = a->sizes[2], .alpha = alpha.d, .beta = beta.d,
                   .f32 = out->dtype == CT_FLOAT32, .ldc = out->strides[1]};
    blas_layout(p.M, p.K, a->strides[1], a->strides[2], &p.ta, &p.lda);
    blas_layout(p.K, p.N, b->strides[1], b->strides[2], &p.tb, &p.ldb);
    if (p.ldc < p.N) p.ldc = p.N;
    int64_t B = out->sizes[0], isz = ct_itemsize(out->dtype);
    char *po = ct_data(out), *pa = ct_data(a), *pb = ct_data(b);
    int64_t sa = a->strides[0] * isz, sb = b->strides[0] * isz, so = out->strides[0] * isz;
    int nt = ct_get_num_threads();
    double flops = 2.0 * (double)B * (double)p.M * (double)p.N * (double)p.K;
    if (nt < 2 || flops < 4e6) {
        for (int64_t i = 0; i < B; i++) gemm_block(&p, pa + i * sa, pb + i * sb, po + i * so, 0, p.M, 0, p.N);
        return;
    }
    if (B >= nt) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t i = 0; i < B; i++) gemm_block(&p, pa + i * sa, pb + i * sb, po + i * so, 0, p.M, 0, p.N);
        return;
    }
    /* a few large products: split the longer of rows and columns */
    bool by_rows = p.M >= p.N;
    int64_t extent = by_rows ? p.M : p.N;
    for (int64_t i = 0; i < B; i++) {
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num(), n = omp_get_num_threads();
            int64_t lo = extent * t / n, hi = extent * (t + 1) / n;
            if (lo < hi) {
                if (by_rows) gemm_block(&p, pa + i * sa, pb + i * sb, po + i * so, lo, hi, 0, p.N);
                else gemm_block(&p, pa + i * sa, pb + i * sb, po + i * so, 0, p.M, lo, hi);
            }
        }
    }
}

int ct_cpu_gemm(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *a = args->tensors[1], *b = args->tensors[2];
    int64_t B = out->sizes[0], M = out->sizes[1], N = out->sizes[2], K = a->sizes[2];
    ct_scalar beta = args->scalars[0], alpha = args->scalars[1];
    int64_t isz = ct_itemsize(out->dtype);
    char *po = ct_data(out), *pa = ct_data(a), *pb = ct_data(b);
    if (M == 0 || N == 0) return 0;
    switch (out->dtype) {
    case CT_FLOAT32:
    case CT_FLOAT64:
        blas_gemm(out, a, b, alpha, beta);
        return 0;
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
