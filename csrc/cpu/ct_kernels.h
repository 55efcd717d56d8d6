/* The CPU backend's kernels (one per op family file). */
#ifndef CT_CPU_KERNELS_H
#define CT_CPU_KERNELS_H

#include "ctorch/ct_backend.h"

/* elementwise.c and reduce.c also come as _avx2 variants (see cpu/loops.h) */
#define CT_DECLARE_ISA(name) int name(const ct_kernel_args *args); int name##_avx2(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_elementwise)                    /* elementwise.c */
int ct_cpu_copy(const ct_kernel_args *args);          /* copy.c */
int ct_cpu_fill(const ct_kernel_args *args);
int ct_cpu_range(const ct_kernel_args *args);
int ct_cpu_eye(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_reduce)                         /* reduce.c */
CT_DECLARE_ISA(ct_cpu_arg_reduce)
CT_DECLARE_ISA(ct_cpu_scan)
bool ct_cpu_has_avx2(void);                           /* cpu_backend.c */
int ct_cpu_gemm(const ct_kernel_args *args);          /* gemm.c */
int ct_cpu_backend_register(void);                    /* cpu_backend.c */
int ct_cpu_uniform(const ct_kernel_args *args);       /* random.c; _avx2: PyTorch's AVX2 build's values */
int ct_cpu_uniform_avx2(const ct_kernel_args *args);
int ct_cpu_normal(const ct_kernel_args *args);
int ct_cpu_normal_avx2(const ct_kernel_args *args);
void ct_normal16_avx2(float *d, float mean, float std);   /* random_avx2.c */
int ct_cpu_random_fill(const ct_kernel_args *args);   /* random_ and the distributions drawn as doubles */
int ct_cpu_random_fill_avx2(const ct_kernel_args *args);
int ct_cpu_bernoulli(const ct_kernel_args *args);
int ct_cpu_randperm(const ct_kernel_args *args);
int ct_cpu_multinomial(const ct_kernel_args *args);
int ct_cpu_poisson(const ct_kernel_args *args);
int ct_cpu_standard_gamma(const ct_kernel_args *args);
int ct_cpu_gather(const ct_kernel_args *args);         /* index.c */
int ct_cpu_scatter(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_cdist)                          /* distance.c */
CT_DECLARE_ISA(ct_cpu_cdist_backward)
int ct_cpu_searchsorted(const ct_kernel_args *args);    /* counting.c */
int ct_cpu_bincount(const ct_kernel_args *args);
int ct_cpu_histogram(const ct_kernel_args *args);
int ct_cpu_aminmax(const ct_kernel_args *args);
int ct_cpu_trace(const ct_kernel_args *args);          /* diagonal.c */
void ct_blas_single_threaded(void);                   /* threads.c */
int ct_cpu_sort(const ct_kernel_args *args);          /* sort.c */
int ct_cpu_topk(const ct_kernel_args *args);
int ct_cpu_kthvalue(const ct_kernel_args *args);
int ct_cpu_unique_runs(const ct_kernel_args *args);
int ct_cpu_unique_dim(const ct_kernel_args *args);

int ct_cpu_linalg_qr(const ct_kernel_args *args);   /* lapack.c */
CT_DECLARE_ISA(ct_cpu_nll_loss)                       /* nn_loss.c */
CT_DECLARE_ISA(ct_cpu_nll_loss_backward)
CT_DECLARE_ISA(ct_cpu_cross_entropy_prob)
CT_DECLARE_ISA(ct_cpu_cross_entropy_prob_backward)
CT_DECLARE_ISA(ct_cpu_pointwise_loss)
CT_DECLARE_ISA(ct_cpu_pointwise_loss_backward)
int ct_cpu_embedding_backward(const ct_kernel_args *args);   /* nn_loss_spatial.c */
int ct_cpu_embedding_renorm(const ct_kernel_args *args);
int ct_cpu_pad(const ct_kernel_args *args);
int ct_cpu_pad_backward(const ct_kernel_args *args);
int ct_cpu_upsample(const ct_kernel_args *args);
int ct_cpu_upsample_backward(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_activation)                     /* nn_norm.c: activations, norms, softmax */
CT_DECLARE_ISA(ct_cpu_norm)                           /* (and _avx512 forms, nn_norm_avx512.c) */
CT_DECLARE_ISA(ct_cpu_softmax)
int ct_cpu_activation_avx512(const ct_kernel_args *args);
int ct_cpu_norm_avx512(const ct_kernel_args *args);
int ct_cpu_softmax_avx512(const ct_kernel_args *args);
bool ct_cpu_has_avx512(void);
int ct_cpu_vision_resize(const ct_kernel_args *args);   /* vision.c */
int ct_cpu_vision_affine(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_optim_step)                     /* optim.c: the optimizer updates */
int ct_cpu_conv2d(const ct_kernel_args *args);        /* nn_conv.c */
int ct_cpu_conv_transpose2d(const ct_kernel_args *args);
int ct_cpu_conv_weight_grad(const ct_kernel_args *args);
int ct_cpu_max_pool2d(const ct_kernel_args *args);    /* nn_pool.c */
int ct_cpu_max_pool2d_backward(const ct_kernel_args *args);
int ct_cpu_avg_pool2d(const ct_kernel_args *args);
int ct_cpu_avg_pool2d_backward(const ct_kernel_args *args);
CT_DECLARE_ISA(ct_cpu_rnn_layer)                      /* nn_rnn.c */
CT_DECLARE_ISA(ct_cpu_rnn_layer_backward)
CT_DECLARE_ISA(ct_cpu_attention)                      /* attention.c: forward and backward */

#endif
