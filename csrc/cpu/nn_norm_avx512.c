/* nn_norm.c compiled for AVX-512 (the exp/erf-bound kernels run twice as wide as under AVX2),
 * selected at start-up when the CPU has it (ct_cpu_has_avx512) */
#include <stdlib.h>

#include "ct_kernels.h"

bool ct_cpu_has_avx512(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    if (getenv("CTORCH_NO_AVX512") || getenv("CTORCH_NO_AVX2")) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return false;
#endif
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")
#define CT_ISA_SUFFIX _avx512
#include "nn_norm.c"
#else
/* not x86: never selected, but the symbols must exist */
int ct_cpu_activation_avx512(const ct_kernel_args *args) { return ct_cpu_activation(args); }
int ct_cpu_norm_avx512(const ct_kernel_args *args) { return ct_cpu_norm(args); }
int ct_cpu_softmax_avx512(const ct_kernel_args *args) { return ct_cpu_softmax(args); }
#endif
