/* CPU kernels that write values: copy with casting, fill, arange, linspace, eye. */
#include <string.h>

#include "loops.h"

/* float -> integer goes through int64 so out-of-range values wrap as in PyTorch
 * instead of hitting C's undefined conversion; bool is x != 0 */
#define CT_TO_INT(x) _Generic((x), float: (int64_t)(x), double: (int64_t)(x), default: (x))
#define CT_CONVERT_BOOL(x) (x)
#define CT_CONVERT_UINT8(x) CT_TO_INT(x)
#define CT_CONVERT_INT8(x) CT_TO_INT(x)
#define CT_CONVERT_INT16(x) CT_TO_INT(x)
#define CT_CONVERT_INT32(x) CT_TO_INT(x)
#define CT_CONVERT_INT64(x) CT_TO_INT(x)
#define CT_CONVERT_FLOAT16(x) (x)
#define CT_CONVERT_BFLOAT16(x) (x)
#define CT_CONVERT_FLOAT32(x) (x)
#define CT_CONVERT_FLOAT64(x) (x)

/* loop_cast_<DST>_<SRC> for every pair; same-dtype contiguous runs are memcpy */
#define CT_DEF_CAST(SE, ST, SC, sm, DE, DT, DC, dm)                                                   \
    static void loop_cast_##DE##_##SE(char **data, const int64_t *st, int64_t n, void *ctx) {       \
        (void)ctx;                                                                                    \
        if (CT_##DE == CT_##SE && st[0] == sizeof(DT) && st[1] == sizeof(DT)) {                     \
            memcpy(data[0], data[1], (size_t)n * sizeof(DT));                                         \
        } else if (st[0] == sizeof(DT) && st[1] == sizeof(ST)) {                                     \
            DT *o = (DT *)data[0];                                                                    \
            const ST *in = (const ST *)data[1];                                                       \
            for (int64_t i = 0; i < n; i++) CT_STORE_##DE(o + i, CT_CONVERT_##DE(CT_LOAD_##SE(in + i))); \
        } else {                                                                                      \
            for (int64_t i = 0; i < n; i++)                                                           \
                CT_STORE_##DE(CT_AT(DT, data[0], i, st[0]),                                           \
                              CT_CONVERT_##DE(CT_LOAD_##SE(CT_AT(const ST, data[1], i, st[1]))));     \
        }                                                                                             \
    }
#define CT_DEF_CASTS_TO(DE, DT, DC, dm, unused) CT_DTYPES_ALL2(CT_DEF_CAST, DE, DT, DC, dm)
CT_DTYPES_ALL(CT_DEF_CASTS_TO, 0)

#define CT_CAST_ENTRY(SE, ST, SC, sm, DE) [CT_##SE] = loop_cast_##DE##_##SE,
#define CT_CAST_ROW(DE, DT, DC, dm, unused) [CT_##DE] = {CT_DTYPES_ALL2(CT_CAST_ENTRY, DE)},
static const ct_loop_fn cast_loops[CT_NUM_DTYPES][CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_CAST_ROW, 0)};

/* A 2-D copy whose source runs along the other dim (a transpose): walking
 * either side row by row misses the cache on the other, so copy square tiles. */
#define TILE 32
static bool transposed_2d(const ct_iter *it, int64_t isz) {
    return it->ndim == 2 && it->strides[0][0] == isz && it->strides[1][1] == isz && it->strides[0][1] != isz &&
           it->shape[0] >= TILE && it->shape[1] >= TILE;
}

static void copy_tiles(const ct_iter *it, int64_t isz) {
    int64_t n0 = it->shape[0], n1 = it->shape[1];
    int64_t so0 = it->strides[0][0], so1 = it->strides[1][0], si0 = it->strides[0][1], si1 = it->strides[1][1];
    int64_t tiles1 = (n1 + TILE - 1) / TILE, ntiles = tiles1 * ((n0 + TILE - 1) / TILE);
#pragma omp parallel for if (n0 * n1 >= CT_GRAIN && ct_get_num_threads() > 1) num_threads(ct_get_num_threads())
    for (int64_t t = 0; t < ntiles; t++) {
        int64_t b0 = (t / tiles1) * TILE, b1 = (t % tiles1) * TILE;
        int64_t e0 = b0 + TILE < n0 ? b0 + TILE : n0, e1 = b1 + TILE < n1 ? b1 + TILE : n1;
        for (int64_t i1 = b1; i1 < e1; i1++) {
            char *o = it->data[0] + i1 * so1;
            const char *s = it->data[1] + i1 * si1;
            switch (isz) {
            case 8: for (int64_t i0 = b0; i0 < e0; i0++) *(uint64_t *)(o + i0 * so0) = *(const uint64_t *)(s + i0 * si0); break;
            case 4: for (int64_t i0 = b0; i0 < e0; i0++) *(uint32_t *)(o + i0 * so0) = *(const uint32_t *)(s + i0 * si0); break;
            case 2: for (int64_t i0 = b0; i0 < e0; i0++) *(uint16_t *)(o + i0 * so0) = *(const uint16_t *)(s + i0 * si0); break;
            default: for (int64_t i0 = b0; i0 < e0; i0++) o[i0 * so0] = s[i0 * si0]; break;
            }
        }
    }
}

int ct_cpu_copy(const ct_kernel_args *args) {
    const ct_iter *it = args->iter;
    ct_dtype dt = it->tensors[0]->dtype, st = it->tensors[1]->dtype;
    if (dt == st && transposed_2d(it, ct_itemsize(dt))) {
        copy_tiles(it, ct_itemsize(dt));
        return 0;
    }
    ct_iter_run(it, cast_loops[dt][st], NULL);
    return 0;
}

/* fill: the value arrives converted to the compute type */
#define CT_DEF_FILL(E, T, C, m, unused)                                                      \
    static void loop_fill_##E(char **data, const int64_t *st, int64_t n, void *ctx) {       \
        T v;                                                                                 \
        ct_store_scalar(&v, CT_##E, *(const ct_scalar *)ctx);                                \
        if (st[0] == sizeof(T)) {                                                            \
            T *o = (T *)data[0];                                                             \
            for (int64_t i = 0; i < n; i++) o[i] = v;                                        \
        } else {                                                                             \
            for (int64_t i = 0; i < n; i++) *CT_AT(T, data[0], i, st[0]) = v;                \
        }                                                                                    \
    }
CT_DTYPES_ALL(CT_DEF_FILL, 0)
static const ct_loop_fn fill_loops[CT_NUM_DTYPES] = {CT_DTYPES_ALL(CT_LOOP_ENTRY, fill)};

int ct_cpu_fill(const ct_kernel_args *args) {
    ct_scalar v = args->scalars[0];
    ct_iter_run(args->iter, fill_loops[args->iter->tensors[0]->dtype], &v);
    return 0;
}

/* arange / linspace write a contiguous 1-D tensor: out[i] = f(i), computed in double
 * (int64 for integral arange, so large integers stay exact) */
#define CT_DEF_RANGE(E, T, C, m, unused)                                                          \
    static void range_##E(T *o, int64_t n, const ct_scalar *s, bool is_linspace) {              \
        if (is_linspace) {                                                                        \
            /* PyTorch fills the two halves from each end so the endpoints are exact */           \
            double start = s[0].d, end = s[1].d, step = n > 1 ? (end - start) / (double)(n - 1) : 0; \
            int64_t half = n > 1 ? n / 2 : 1;                                                     \
            _Pragma("omp parallel for if (n > 65536)")                                            \
            for (int64_t i = 0; i < n; i++) {                                                     \
                double v = i < half ? start + step * (double)i : end - step * (double)(n - 1 - i); \
                CT_STORE_##E(o + i, CT_CONVERT_##E(v));                                           \
            }                                                                                     \
        } else if (!ct_is_floating(CT_##E)) {                                                     \
            int64_t start = s[0].i, step = s[1].i;                                                \
            _Pragma("omp parallel for if (n > 65536)")                                            \
            for (int64_t i = 0; i < n; i++) CT_STORE_##E(o + i, start + step * i);                \
        } else {                                                                                  \
            double start = s[0].d, step = s[1].d;                                                 \
            _Pragma("omp parallel for if (n > 65536)")                                            \
            for (int64_t i = 0; i < n; i++) CT_STORE_##E(o + i, CT_CONVERT_##E(start + step * (double)i)); \
        }                                                                                         \
    }
CT_DTYPES_ALL(CT_DEF_RANGE, 0)

int ct_cpu_range(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0];
    int64_t n = ct_numel(out);
    bool lin = args->op == CT_OP_linspace;
    switch (out->dtype) {
#define CT_RANGE_CASE(E, T, C, m, unused) \
    case CT_##E: range_##E((T *)ct_data(out), n, args->scalars, lin); break;
        CT_DTYPES_ALL(CT_RANGE_CASE, 0)
    default: break;
    }
    return 0;
}

/* eye: zero-filled by the op layer, then ones on the diagonal */
int ct_cpu_eye(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0];
    int64_t n = out->sizes[0], m = out->sizes[1], k = n < m ? n : m, isz = ct_itemsize(out->dtype);
    ct_scalar one = ct_scalar_i(1);
    char *p = ct_data(out);
    int64_t step[1] = {(out->strides[0] + out->strides[1]) * isz};
    char *ptrs[1] = {p};
    fill_loops[out->dtype](ptrs, step, k, &one);
    return 0;
}
