/* attention.c compiled for AVX2 + FMA (selected at start-up, see loops.h) */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#define CT_ISA_SUFFIX _avx2
#include "attention.c"
#else
#include "ct_kernels.h"
/* not x86: never selected, but the symbol must exist */
int ct_cpu_attention_avx2(const ct_kernel_args *args) { return ct_cpu_attention(args); }
#endif
