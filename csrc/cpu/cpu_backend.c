/* The CPU backend's table (ct_backend.h), registered by ctorch._C at import. */
#include <string.h>

#include "../core/ct_cpu_alloc.h"
#include "ct_kernels.h"

static void *cpu_alloc(int64_t nbytes, int device_index) {
    (void)device_index;
    return ct_cpu_alloc(nbytes);
}

static void cpu_free(void *p, int64_t nbytes, int device_index) {
    (void)device_index;
    ct_cpu_free(p, nbytes);
}

static int cpu_copy(void *dst, ct_device dd, const void *src, ct_device sd, int64_t nbytes) {
    (void)dd;
    (void)sd;
    memcpy(dst, src, (size_t)nbytes);
    return 0;
}

static int cpu_synchronize(int device_index) {
    (void)device_index;
    return 0;
}

static int cpu_device_count(void) { return 1; }

static ct_backend cpu_backend = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .copy = cpu_copy,
    .synchronize = cpu_synchronize,
    .device_count = cpu_device_count,
};

int ct_cpu_backend_register(void) {
#define CT_UNARY(name, rule, dtypes, body) cpu_backend.kernels[CT_OP_##name] = ct_cpu_elementwise;
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
    ct_kernel_fn *k = cpu_backend.kernels;
    k[CT_OP_where] = ct_cpu_elementwise;
    k[CT_OP_copy] = ct_cpu_copy;
    k[CT_OP_fill] = ct_cpu_fill;
    k[CT_OP_arange] = ct_cpu_range;
    k[CT_OP_linspace] = ct_cpu_range;
    k[CT_OP_eye] = ct_cpu_eye;
    k[CT_OP_sum] = k[CT_OP_prod] = k[CT_OP_amax] = k[CT_OP_amin] = ct_cpu_reduce;
    k[CT_OP_all] = k[CT_OP_any] = ct_cpu_reduce;
    k[CT_OP_arg_reduce] = ct_cpu_arg_reduce;
    k[CT_OP_cumsum] = k[CT_OP_cumprod] = ct_cpu_scan;
    k[CT_OP_gemm] = ct_cpu_gemm;
    ct_blas_single_threaded();
    return ct_register_backend(CT_DEV_CPU, &cpu_backend);
}
