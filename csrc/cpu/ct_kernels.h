/* The CPU backend's kernels (one per op family file). */
#ifndef CT_CPU_KERNELS_H
#define CT_CPU_KERNELS_H

#include "ctorch/ct_backend.h"

int ct_cpu_elementwise(const ct_kernel_args *args);   /* elementwise.c */
int ct_cpu_copy(const ct_kernel_args *args);          /* copy.c */
int ct_cpu_fill(const ct_kernel_args *args);
int ct_cpu_range(const ct_kernel_args *args);
int ct_cpu_eye(const ct_kernel_args *args);
int ct_cpu_reduce(const ct_kernel_args *args);        /* reduce.c */
int ct_cpu_arg_reduce(const ct_kernel_args *args);
int ct_cpu_scan(const ct_kernel_args *args);
int ct_cpu_gemm(const ct_kernel_args *args);          /* gemm.c */
int ct_cpu_backend_register(void);                    /* cpu_backend.c */
void ct_blas_single_threaded(void);                   /* threads.c */

#endif
