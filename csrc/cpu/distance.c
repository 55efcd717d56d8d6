/* cdist kernels on contiguous float32/float64 operands (ops/distance.c
 * prepares them), OpenMP over the output:
 *   forward   out[b,i,j] = || x1[b,i,:] - x2[b,j,:] ||_p                   out (B,P,R)
 *   backward  gx[b,i,:]  = sum_j grad[b,i,j] * d out[b,i,j] / d x1[b,i,:]   gx (B,P,M)
 * with PyTorch's conventions: p = 0 counts differing coordinates (NaN
 * spreads), p = inf skips NaN differences, the gradient is 0 where a
 * distance is 0, and for p = inf every coordinate at the maximum takes the
 * full gradient. Compiled twice like elementwise.c: as is, and for AVX2 from
 * distance_avx2.c. */
#include <omp.h>
#include <string.h>
#include <tgmath.h>

#include "ct_kernels.h"
#include "loops.h"

/* partial sums per distance: independent accumulators the compiler keeps in vector registers */
#define LANES 16

typedef enum { P_ZERO, P_ONE, P_TWO, P_INF, P_BELOW_TWO, P_ABOVE_TWO } p_kind;

static p_kind kind_of(double p) {
    if (p == 0) return P_ZERO;
    if (p == 1) return P_ONE;
    if (p == 2) return P_TWO;
    if (isinf(p)) return P_INF;
    return p < 2 ? P_BELOW_TWO : P_ABOVE_TWO;
}

#define SIGN(d) (((d) > 0) - ((d) < 0))

/* forward, by kind: update of a partial result s with a difference d, combine of two partials, finish */
#define UPD_P_ZERO(s, d, p) ((s) + ((d) != (d) ? (d) : (d) != 0))   /* NaN spreads, as min(ceil(|d|), 1) */
#define UPD_P_ONE(s, d, p) ((s) + fabs(d))
#define UPD_P_TWO(s, d, p) ((s) + (d) * (d))
#define UPD_P_GEN(s, d, p) ((s) + pow(fabs(d), p))
#define CMB_SUM(s, x) ((s) + (x))
#define FIN_SAME(s, p) (s)
#define FIN_SQRT(s, p) sqrt(s)
#define FIN_ROOT(s, p) pow(s, 1 / (p))

#define CT_DEF_DIST(T, K, UPD, CMB, FIN)                                                   \
    static T dist_##K##_##T(const T *a, const T *b, int64_t m, T p) {                     \
        T acc[LANES] = {0};                                                               \
        int64_t k = 0;                                                                    \
        for (; k + LANES <= m; k += LANES)                                                \
            for (int l = 0; l < LANES; l++) acc[l] = UPD(acc[l], a[k + l] - b[k + l], p);  \
        T s = acc[0];                                                                     \
        for (int l = 1; l < LANES; l++) s = CMB(s, acc[l]);                                \
        for (; k < m; k++) s = UPD(s, a[k] - b[k], p);                                     \
        return FIN(s, p);                                                                 \
    }

/* p = inf: the max of |d| taken on its bits as the signed integer I (for
 * values >= 0 the order is the same, and integer max vectorizes); NaN
 * differences (bits above inf's) count as 0, as in PyTorch's max */
#define CT_DEF_DIST_INF(T, I)                                                              \
    static I bits_##T(T x) {                                                              \
        I u;                                                                              \
        memcpy(&u, &x, sizeof u);                                                         \
        return u;                                                                         \
    }                                                                                     \
    static T dist_P_INF_##T(const T *a, const T *b, int64_t m, T p) {                     \
        const I inf = bits_##T((T)INFINITY);                                              \
        I acc[LANES] = {0}, s;                                                            \
        int64_t k = 0;                                                                    \
        for (; k + LANES <= m; k += LANES)                                                \
            for (int l = 0; l < LANES; l++) {                                             \
                I u = bits_##T(fabs(a[k + l] - b[k + l]));                                 \
                u = u <= inf ? u : 0;                                                     \
                acc[l] = u > acc[l] ? u : acc[l];                                         \
            }                                                                             \
        s = acc[0];                                                                       \
        for (int l = 1; l < LANES; l++) s = acc[l] > s ? acc[l] : s;                      \
        for (; k < m; k++) {                                                              \
            I u = bits_##T(fabs(a[k] - b[k]));                                             \
            u = u <= inf ? u : 0;                                                         \
            s = u > s ? u : s;                                                            \
        }                                                                                 \
        T r;                                                                              \
        memcpy(&r, &s, sizeof r);                                                         \
        return r;                                                                         \
    }

/* the n = B*P*R outputs split evenly over the threads, each walking its rows */
#define CT_DEF_CDIST(T, K)                                                                         \
    static void cdist_##K##_##T(T *out, const T *x1, const T *x2, int64_t P, int64_t R, int64_t M, \
                                int64_t n, T p) {                                                 \
        _Pragma("omp parallel if (n > 1 && n * M > CT_GRAIN)")                                    \
        {                                                                                         \
            int t = omp_get_thread_num(), nt = omp_get_num_threads();                             \
            int64_t lo = n * t / nt, hi = n * (t + 1) / nt, r = lo / R, j = lo % R;               \
            const T *a = x1 + r * M, *xb = x2 + r / P * R * M;                                    \
            for (int64_t q = lo; q < hi; q++) {                                                   \
                out[q] = dist_##K##_##T(a, xb + j * M, M, p);                                      \
                if (++j == R) {                                                                   \
                    j = 0;                                                                        \
                    a += M;                                                                       \
                    xb = x2 + ++r / P * R * M;                                                    \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

#define CT_DEF_DIST_ALL(T, I)                                                              \
    CT_DEF_DIST(T, P_ZERO, UPD_P_ZERO, CMB_SUM, FIN_SAME)                                  \
    CT_DEF_DIST(T, P_ONE, UPD_P_ONE, CMB_SUM, FIN_SAME)                                    \
    CT_DEF_DIST(T, P_TWO, UPD_P_TWO, CMB_SUM, FIN_SQRT)                                    \
    CT_DEF_DIST(T, P_GEN, UPD_P_GEN, CMB_SUM, FIN_ROOT)                                    \
    CT_DEF_DIST_INF(T, I)                                                                  \
    CT_DEF_CDIST(T, P_ZERO) CT_DEF_CDIST(T, P_ONE) CT_DEF_CDIST(T, P_TWO) CT_DEF_CDIST(T, P_GEN) CT_DEF_CDIST(T, P_INF)
CT_DEF_DIST_ALL(float, int32_t)
CT_DEF_DIST_ALL(double, int64_t)

/* backward, by kind: a coefficient per pair (from its grad g and distance s;
 * 0 skips the pair) and the term per coordinate difference d */
#define COEF_P_ONE(g, s, p) (g)
#define COEF_P_TWO(g, s, p) ((s) == 0 ? 0 : (g) / (s))
#define COEF_P_INF(g, s, p) (g)
#define COEF_P_GEN(g, s, p) ((s) == 0 ? 0 : (g) / pow(s, (p) - 1))
#define TERM_P_ONE(c, d, s, p) ((c) * SIGN(d))
#define TERM_P_TWO(c, d, s, p) ((c) * (d))
#define TERM_P_INF(c, d, s, p) ((c) * SIGN(d) * (fabs(d) == (s)))
#define TERM_P_BELOW_TWO(c, d, s, p) ((d) == 0 && (p) < 1 ? 0 : (c) * SIGN(d) * pow(fabs(d), (p) - 1))
#define TERM_P_ABOVE_TWO(c, d, s, p) ((c) * (d) * pow(fabs(d), (p) - 2))

#define CT_DEF_GRAD(T, K, COEF, TERM)                                                                   \
    static void grad_##K##_##T(T *gx, const T *g, const T *x1, const T *x2, const T *dist, int64_t P,    \
                               int64_t R, int64_t M, int64_t rows, T p) {                               \
        _Pragma("omp parallel for if (rows > 1 && rows * R * M > CT_GRAIN) schedule(static)")           \
        for (int64_t r = 0; r < rows; r++) {                                                            \
            const T *a = x1 + r * M, *xb = x2 + r / P * R * M, *gr = g + r * R, *sr = dist + r * R;      \
            T *o = gx + r * M;                                                                          \
            (void)sr; /* p = 1 needs no distances */                                                    \
            for (int64_t k = 0; k < M; k++) o[k] = 0;                                                   \
            for (int64_t j = 0; j < R; j++) {                                                           \
                T c = COEF(gr[j], sr[j], p);                                                            \
                if (c == 0) continue;                                                                   \
                const T *b = xb + j * M;                                                                \
                for (int64_t k = 0; k < M; k++) o[k] += TERM(c, a[k] - b[k], sr[j], p);                 \
            }                                                                                           \
        }                                                                                               \
    }

#define CT_DEF_GRAD_ALL(T)                                          \
    CT_DEF_GRAD(T, P_ONE, COEF_P_ONE, TERM_P_ONE)                   \
    CT_DEF_GRAD(T, P_TWO, COEF_P_TWO, TERM_P_TWO)                   \
    CT_DEF_GRAD(T, P_INF, COEF_P_INF, TERM_P_INF)                   \
    CT_DEF_GRAD(T, P_BELOW_TWO, COEF_P_GEN, TERM_P_BELOW_TWO)       \
    CT_DEF_GRAD(T, P_ABOVE_TWO, COEF_P_GEN, TERM_P_ABOVE_TWO)
CT_DEF_GRAD_ALL(float)
CT_DEF_GRAD_ALL(double)

#define CT_CDIST_CALL(K, T) \
    cdist_##K##_##T((T *)ct_data(out), (const T *)ct_data(x1), (const T *)ct_data(x2), P, R, M, n, (T)p)
#define CT_CDIST_SWITCH(T)                                          \
    switch (kind_of(p)) {                                           \
    case P_ZERO: CT_CDIST_CALL(P_ZERO, T); break;                   \
    case P_ONE: CT_CDIST_CALL(P_ONE, T); break;                     \
    case P_TWO: CT_CDIST_CALL(P_TWO, T); break;                     \
    case P_INF: CT_CDIST_CALL(P_INF, T); break;                     \
    default: CT_CDIST_CALL(P_GEN, T); break;                        \
    }

/* tensors: {out (B,P,R), x1 (B,P,M), x2 (B,R,M)}; scalars: {p} */
int CT_ISA(ct_cpu_cdist)(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *x1 = args->tensors[1], *x2 = args->tensors[2];
    double p = args->scalars[0].d;
    int64_t P = x1->sizes[1], M = x1->sizes[2], R = x2->sizes[1], n = ct_numel(out);
    if (n == 0) return 0;
    if (out->dtype == CT_FLOAT32) CT_CDIST_SWITCH(float)
    else if (out->dtype == CT_FLOAT64) CT_CDIST_SWITCH(double)
    else return ct_error_kernel_dtype("cdist", out->dtype);
    return 0;
}

#define CT_GRAD_CASE(K, T)                                                                                    \
    case K:                                                                                                   \
        grad_##K##_##T((T *)ct_data(gx), (const T *)ct_data(g), (const T *)ct_data(x1), (const T *)ct_data(x2), \
                       (const T *)ct_data(dist), P, R, M, rows, (T)p);                                        \
        break;
#define CT_GRAD_SWITCH(T)                                                                                  \
    switch (kind_of(p)) {                                                                                  \
    case P_ZERO: for (int64_t i = 0; i < rows * M; i++) ((T *)ct_data(gx))[i] = 0; break;                  \
        CT_GRAD_CASE(P_ONE, T) CT_GRAD_CASE(P_TWO, T) CT_GRAD_CASE(P_INF, T) CT_GRAD_CASE(P_BELOW_TWO, T)  \
        CT_GRAD_CASE(P_ABOVE_TWO, T)                                                                       \
    }

/* tensors: {gx (B,P,M), grad (B,P,R), x1 (B,P,M), x2 (B,R,M), dist (B,P,R)}; scalars: {p} */
int CT_ISA(ct_cpu_cdist_backward)(const ct_kernel_args *args) {
    ct_tensor *gx = args->tensors[0], *g = args->tensors[1], *x1 = args->tensors[2], *x2 = args->tensors[3];
    ct_tensor *dist = args->tensors[4];
    double p = args->scalars[0].d;
    int64_t P = x1->sizes[1], M = x1->sizes[2], R = x2->sizes[1], rows = x1->sizes[0] * P;
    if (ct_numel(gx) == 0) return 0;
    if (gx->dtype == CT_FLOAT32) CT_GRAD_SWITCH(float)
    else if (gx->dtype == CT_FLOAT64) CT_GRAD_SWITCH(double)
    else return ct_error_kernel_dtype("_cdist_backward", gx->dtype);
    return 0;
}
