/* The CPU backend's table (ct_backend.h), registered by ctorch._C at import. */
#include <stdlib.h>
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

bool ct_cpu_has_avx2(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    if (getenv("CTORCH_NO_AVX2")) return false;   /* to test the baseline kernels on AVX2 machines */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

int ct_cpu_backend_register(void) {
    bool avx2 = ct_cpu_has_avx2();
    ct_kernel_fn elementwise = avx2 ? ct_cpu_elementwise_avx2 : ct_cpu_elementwise;
    ct_kernel_fn reduce = avx2 ? ct_cpu_reduce_avx2 : ct_cpu_reduce;
#define CT_UNARY(name, rule, dtypes, body) cpu_backend.kernels[CT_OP_##name] = elementwise;
#define CT_BINARY CT_UNARY
#define CT_TERNARY CT_UNARY
#include "../ops/elementwise.def"
#undef CT_UNARY
#undef CT_BINARY
#undef CT_TERNARY
    ct_kernel_fn *k = cpu_backend.kernels;
    k[CT_OP_where] = elementwise;
    k[CT_OP_copy] = ct_cpu_copy;
    k[CT_OP_fill] = ct_cpu_fill;
    k[CT_OP_arange] = ct_cpu_range;
    k[CT_OP_linspace] = ct_cpu_range;
    k[CT_OP_eye] = ct_cpu_eye;
    k[CT_OP_sum] = k[CT_OP_prod] = k[CT_OP_amax] = k[CT_OP_amin] = reduce;
    k[CT_OP_all] = k[CT_OP_any] = reduce;
    k[CT_OP_arg_reduce] = avx2 ? ct_cpu_arg_reduce_avx2 : ct_cpu_arg_reduce;
    k[CT_OP_cumsum] = k[CT_OP_cumprod] = avx2 ? ct_cpu_scan_avx2 : ct_cpu_scan;
    k[CT_OP_gemm] = ct_cpu_gemm;
    k[CT_OP_uniform] = avx2 ? ct_cpu_uniform_avx2 : ct_cpu_uniform;
    k[CT_OP_normal] = avx2 ? ct_cpu_normal_avx2 : ct_cpu_normal;
    k[CT_OP_random] = k[CT_OP_exponential] = k[CT_OP_geometric] = ct_cpu_random_fill;
    k[CT_OP_log_normal] = k[CT_OP_cauchy] = avx2 ? ct_cpu_random_fill_avx2 : ct_cpu_random_fill;
    k[CT_OP_bernoulli] = ct_cpu_bernoulli;
    k[CT_OP_randperm] = ct_cpu_randperm;
    k[CT_OP_multinomial] = ct_cpu_multinomial;
    k[CT_OP_poisson] = ct_cpu_poisson;
    k[CT_OP_standard_gamma] = ct_cpu_standard_gamma;
    k[CT_OP_gather] = ct_cpu_gather;
    k[CT_OP_scatter] = ct_cpu_scatter;
    k[CT_OP_linalg_qr] = ct_cpu_linalg_qr;
    k[CT_OP_sort] = ct_cpu_sort;
    k[CT_OP_topk] = ct_cpu_topk;
    k[CT_OP_kthvalue] = ct_cpu_kthvalue;
    k[CT_OP_unique_runs] = ct_cpu_unique_runs;
    k[CT_OP_unique_dim] = ct_cpu_unique_dim;
    k[CT_OP_cdist] = avx2 ? ct_cpu_cdist_avx2 : ct_cpu_cdist;
    k[CT_OP_cdist_backward] = avx2 ? ct_cpu_cdist_backward_avx2 : ct_cpu_cdist_backward;
    k[CT_OP_nll_loss] = avx2 ? ct_cpu_nll_loss_avx2 : ct_cpu_nll_loss;
    k[CT_OP_nll_loss_backward] = avx2 ? ct_cpu_nll_loss_backward_avx2 : ct_cpu_nll_loss_backward;
    k[CT_OP_cross_entropy_prob] = avx2 ? ct_cpu_cross_entropy_prob_avx2 : ct_cpu_cross_entropy_prob;
    k[CT_OP_cross_entropy_prob_backward] = avx2 ? ct_cpu_cross_entropy_prob_backward_avx2 : ct_cpu_cross_entropy_prob_backward;
    k[CT_OP_pointwise_loss] = avx2 ? ct_cpu_pointwise_loss_avx2 : ct_cpu_pointwise_loss;
    k[CT_OP_pointwise_loss_backward] = avx2 ? ct_cpu_pointwise_loss_backward_avx2 : ct_cpu_pointwise_loss_backward;
    k[CT_OP_embedding_backward] = ct_cpu_embedding_backward;
    k[CT_OP_embedding_renorm] = ct_cpu_embedding_renorm;
    k[CT_OP_pad] = ct_cpu_pad;
    k[CT_OP_pad_backward] = ct_cpu_pad_backward;
    k[CT_OP_upsample] = ct_cpu_upsample;
    k[CT_OP_upsample_backward] = ct_cpu_upsample_backward;
    bool avx512 = ct_cpu_has_avx512();
    k[CT_OP_activation] = k[CT_OP_activation_backward] = avx512 ? ct_cpu_activation_avx512
                                                         : avx2 ? ct_cpu_activation_avx2 : ct_cpu_activation;
    k[CT_OP_norm] = k[CT_OP_norm_backward] = avx512 ? ct_cpu_norm_avx512 : avx2 ? ct_cpu_norm_avx2 : ct_cpu_norm;
    k[CT_OP_softmax] = k[CT_OP_softmax_backward] = avx512 ? ct_cpu_softmax_avx512
                                                   : avx2 ? ct_cpu_softmax_avx2 : ct_cpu_softmax;
    k[CT_OP_searchsorted] = ct_cpu_searchsorted;
    k[CT_OP_bincount] = ct_cpu_bincount;
    k[CT_OP_histogram] = ct_cpu_histogram;
    k[CT_OP_aminmax] = ct_cpu_aminmax;
    k[CT_OP_trace] = ct_cpu_trace;
    k[CT_OP_vision_resize] = ct_cpu_vision_resize;
    k[CT_OP_vision_affine] = ct_cpu_vision_affine;
    k[CT_OP_optim_step] = avx2 ? ct_cpu_optim_step_avx2 : ct_cpu_optim_step;
    k[CT_OP_conv2d] = ct_cpu_conv2d;
    k[CT_OP_conv_transpose2d] = ct_cpu_conv_transpose2d;
    k[CT_OP_conv_weight_grad] = ct_cpu_conv_weight_grad;
    k[CT_OP_max_pool2d] = ct_cpu_max_pool2d;
    k[CT_OP_max_pool2d_backward] = ct_cpu_max_pool2d_backward;
    k[CT_OP_avg_pool2d] = ct_cpu_avg_pool2d;
    k[CT_OP_avg_pool2d_backward] = ct_cpu_avg_pool2d_backward;
    k[CT_OP_rnn_layer] = avx2 ? ct_cpu_rnn_layer_avx2 : ct_cpu_rnn_layer;
    k[CT_OP_rnn_layer_backward] = avx2 ? ct_cpu_rnn_layer_backward_avx2 : ct_cpu_rnn_layer_backward;
    k[CT_OP_attention] = k[CT_OP_attention_backward] = avx2 ? ct_cpu_attention_avx2 : ct_cpu_attention;
    ct_blas_single_threaded();
    return ct_register_backend(CT_DEV_CPU, &cpu_backend);
}
