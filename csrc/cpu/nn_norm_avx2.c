/* nn_norm.c compiled for AVX2 + FMA (selected at start-up, see loops.h) */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#define CT_ISA_SUFFIX _avx2
#include "nn_norm.c"
#else
#include "ct_kernels.h"
/* not x86: never selected, but the symbols must exist */
int ct_cpu_activation_avx2(const ct_kernel_args *args) { return ct_cpu_activation(args); }
int ct_cpu_norm_avx2(const ct_kernel_args *args) { return ct_cpu_norm(args); }
int ct_cpu_softmax_avx2(const ct_kernel_args *args) { return ct_cpu_softmax(args); }
#endif
