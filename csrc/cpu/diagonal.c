/* trace: the sum of a matrix's main diagonal, element after element in
 * PyTorch's accumulate type (double for float32, float for float16 and
 * bfloat16, int64 for integers), so float sums round as PyTorch's do. */
#include "loops.h"

#define CT_TRACE_ACC_FLOAT16 float
#define CT_TRACE_ACC_BFLOAT16 float
#define CT_TRACE_ACC_FLOAT32 double
#define CT_TRACE_ACC_FLOAT64 double

#define CT_DEF_TRACE(E, T, C, m_, ACC)                                                \
    static void trace_##E(const ct_tensor *x, char *out, ct_dtype out_dtype) {          \
        int64_t n = x->sizes[0] < x->sizes[1] ? x->sizes[0] : x->sizes[1];              \
        int64_t step = x->strides[0] + x->strides[1];                                    \
        const T *p = (const T *)ct_data(x);                                              \
        ACC s = 0;                                                                       \
        for (int64_t i = 0; i < n; i++) s += (ACC)CT_LOAD_##E(p + i * step);             \
        ct_scalar v = ct_is_floating(out_dtype) ? ct_scalar_f((double)s) : ct_scalar_i((int64_t)s); \
        ct_store_scalar(out, out_dtype, v);                                              \
    }
CT_DT_INTS_(CT_DEF_TRACE, int64_t)
CT_DEF_TRACE(FLOAT16, ct_half, float, d, CT_TRACE_ACC_FLOAT16)
CT_DEF_TRACE(BFLOAT16, ct_bf16, float, d, CT_TRACE_ACC_BFLOAT16)
CT_DEF_TRACE(FLOAT32, float, float, d, CT_TRACE_ACC_FLOAT32)
CT_DEF_TRACE(FLOAT64, double, double, d, CT_TRACE_ACC_FLOAT64)

/* tensors = {out (0-dim: int64 for integers, else the input's dtype), input (2-D, any strides)} */
int ct_cpu_trace(const ct_kernel_args *args) {
    ct_tensor *out = args->tensors[0], *x = args->tensors[1];
    switch (x->dtype) {
#define CT_TRACE_CASE(E, T, C, m_, _) \
    case CT_##E: trace_##E(x, ct_data(out), out->dtype); return 0;
        CT_DTYPES_NUM(CT_TRACE_CASE, 0)
#undef CT_TRACE_CASE
    default: return ct_error_kernel_dtype("trace", x->dtype);
    }
}
