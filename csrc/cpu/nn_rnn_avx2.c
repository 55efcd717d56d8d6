/* nn_rnn.c compiled for AVX2 + FMA (selected at start-up, see loops.h) */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#define CT_ISA_SUFFIX _avx2
#include "nn_rnn.c"
#else
#include "ct_kernels.h"
/* not x86: never selected, but the symbols must exist */
int ct_cpu_rnn_layer_avx2(const ct_kernel_args *args) { return ct_cpu_rnn_layer(args); }
int ct_cpu_rnn_layer_backward_avx2(const ct_kernel_args *args) { return ct_cpu_rnn_layer_backward(args); }
#endif
