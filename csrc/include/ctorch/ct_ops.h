/* The op table and the ops of the core (device independent: checks, result
 * shapes and dtypes, then dispatch to the tensor's backend). Every function
 * returns a new reference, or NULL with the error status set. */
#ifndef CT_OPS_H
#define CT_OPS_H

#include "ct_rng.h"
#include "ct_tensor.h"

typedef enum {
#define CT_OP(name) CT_OP_##name,
#include "../../ops/ops.def"
#undef CT_OP
    CT_NUM_OPS
} ct_op_id;

const char *ct_op_name(int op);

/* what an elementwise loop receives as ctx */
typedef struct ct_loop_ctx {
    ct_scalar s[2];
    int *flags;
} ct_loop_ctx;

/* ---- elementwise (ops/elementwise.c) ----
 * out: NULL to allocate, or the tensor to write (in place when it is an input).
 * Scalars are passed as 0-dim tensors (is_wrapped_number for Python numbers). */
ct_tensor *ct_unary(int op, ct_tensor *x, const ct_scalar *params, ct_tensor *out);
ct_tensor *ct_binary(int op, ct_tensor *a, ct_tensor *b, const ct_scalar *params, ct_tensor *out);
ct_tensor *ct_ternary(int op, ct_tensor *a, ct_tensor *b, ct_tensor *c, const ct_scalar *params,
                      ct_tensor *out);
ct_tensor *ct_where(ct_tensor *cond, ct_tensor *a, ct_tensor *b, ct_tensor *out);
ct_tensor *ct_pow_scalar(ct_tensor *x, ct_tensor *e, ct_tensor *out);   /* e: a wrapped Python number */
ct_tensor *ct_scalar_tensor(ct_scalar v, ct_dtype dtype, bool wrapped);
ct_dtype ct_result_type2(const ct_tensor *a, const ct_tensor *b);

/* ---- comparisons of whole tensors (ops/compare.c) ---- */
ct_tensor *ct_isclose(ct_tensor *a, ct_tensor *b, double rtol, double atol, bool equal_nan);
int ct_equal(ct_tensor *a, ct_tensor *b);   /* 1, 0, or -1 on error */

/* ---- copies and factories (ops/factory.c) ---- */
int ct_copy_(ct_tensor *dst, ct_tensor *src);                /* broadcasting, casting */
/* the value of a one-element tensor, copied from its device when it is not on the CPU (host code must
 * never read a device pointer) */
int ct_item(ct_tensor *t, ct_scalar *v);
ct_tensor *ct_to_dtype(ct_tensor *t, ct_dtype dtype, bool copy); /* t itself when same dtype and !copy */
ct_tensor *ct_clone(ct_tensor *t);                           /* keeps a dense layout */
int ct_fill_(ct_tensor *t, ct_scalar v);
ct_tensor *ct_full(int ndim, const int64_t *sizes, ct_scalar v, ct_dtype dtype, ct_device dev);
ct_tensor *ct_arange(double start, double end, double step, ct_dtype dtype, ct_device dev);
ct_tensor *ct_linspace(double start, double end, int64_t steps, ct_dtype dtype, ct_device dev);
ct_tensor *ct_eye(int64_t n, int64_t m, ct_dtype dtype, ct_device dev);

/* ---- reductions (ops/reduce.c) ----
 * dims: ndims entries; ndims == 0 means all dims. dtype: CT_UNDEFINED for the default. */
typedef enum {
    CT_RED_SUM, CT_RED_MEAN, CT_RED_PROD, CT_RED_AMAX, CT_RED_AMIN, CT_RED_ALL, CT_RED_ANY
} ct_reduce_kind;
ct_tensor *ct_reduce(ct_reduce_kind kind, ct_tensor *x, int ndims, const int64_t *dims,
                     bool keepdim, ct_dtype dtype);
/* max/min along one dim: values and indices (is_max: max, else min) */
int ct_max_min_dim(ct_tensor *x, int64_t dim, bool keepdim, bool is_max, ct_tensor **values,
                   ct_tensor **indices);
/* argmax/argmin over all elements (dim_given false) or one dim */
ct_tensor *ct_argmax_min(ct_tensor *x, bool dim_given, int64_t dim, bool keepdim, bool is_max);
ct_tensor *ct_cumulative(int op, ct_tensor *x, int64_t dim, ct_dtype dtype);
ct_tensor *ct_var(ct_tensor *x, int ndims, const int64_t *dims, double correction, bool keepdim,
                  bool take_sqrt);
ct_tensor *ct_norm(ct_tensor *x, double p, int ndims, const int64_t *dims, bool keepdim);
ct_tensor *ct_logsumexp(ct_tensor *x, int ndims, const int64_t *dims, bool keepdim);

/* ---- linear algebra (ops/linalg.c) ---- */
ct_tensor *ct_mm(ct_tensor *a, ct_tensor *b);
ct_tensor *ct_bmm(ct_tensor *a, ct_tensor *b);
ct_tensor *ct_matmul(ct_tensor *a, ct_tensor *b);
ct_tensor *ct_dot(ct_tensor *a, ct_tensor *b);
ct_tensor *ct_mv(ct_tensor *a, ct_tensor *v);
ct_tensor *ct_outer(ct_tensor *a, ct_tensor *b);
ct_tensor *ct_addmm(ct_tensor *input, ct_tensor *a, ct_tensor *b, ct_scalar beta, ct_scalar alpha);

/* ---- shape ops (ops/shape_ops.c): copies assembled from views ----
 * Multi-output ops (split, chunk, unbind) write n new references into outs
 * (at most max) and return their count, or -1. */
ct_tensor *ct_cat(int n, ct_tensor *const *ts, int64_t dim);
ct_tensor *ct_stack(int n, ct_tensor *const *ts, int64_t dim);
int ct_split_sizes(ct_tensor *t, int n, const int64_t *sizes, int64_t dim, ct_tensor **outs);
int ct_split(ct_tensor *t, int64_t size, int64_t dim, ct_tensor **outs, int max);
int ct_chunk(ct_tensor *t, int64_t chunks, int64_t dim, ct_tensor **outs, int max);
int ct_unbind(ct_tensor *t, int64_t dim, ct_tensor **outs, int max);
ct_tensor *ct_flip(ct_tensor *t, int ndims, const int64_t *dims);
ct_tensor *ct_roll(ct_tensor *t, int n, const int64_t *shifts, int ndims, const int64_t *dims);
ct_tensor *ct_repeat(ct_tensor *t, int n, const int64_t *reps);
ct_tensor *ct_tri(ct_tensor *t, int64_t diagonal, bool upper);   /* tril (upper false) / triu */
/* each element repeated `repeats` times along dim (has_dim false: over the flattened tensor) */
ct_tensor *ct_repeat_interleave(ct_tensor *t, int64_t repeats, bool has_dim, int64_t dim);
/* repeat_interleave with a count per element (repeats: 1-D integers, or one count for all): an index_select;
 * output_size (-1: not given) must equal the total */
ct_tensor *ct_repeat_interleave_counts(ct_tensor *t, ct_tensor *repeats, bool has_dim, int64_t dim,
                                       int64_t output_size);
/* repeat_interleave(repeats): each position i of the 1-D int32/int64 counts, repeats[i] times (their dtype) */
ct_tensor *ct_repeat_index(ct_tensor *repeats, int64_t output_size);
/* grids of n 0-d/1-d tensors (xy: the first two dims swapped), as expanded views */
int ct_meshgrid(int n, ct_tensor *const *ts, bool xy, ct_tensor **outs);

/* ---- random numbers (ops/random.c) ----
 * gen: the generator to draw from, NULL for the default generator of the
 * tensor's device. Fills work in place and follow PyTorch's argument checks. */
typedef enum { CT_RANDOM_DEFAULT, CT_RANDOM_FROM_TO, CT_RANDOM_FULL64 } ct_random_mode;
int ct_uniform_(ct_tensor *t, double from, double to, ct_generator *gen);
int ct_normal_(ct_tensor *t, double mean, double std, ct_generator *gen);
/* random_(): has_from/has_to say which bounds were given, as PyTorch's overloads */
int ct_random_(ct_tensor *t, bool has_from, int64_t from, bool has_to, int64_t to, ct_generator *gen);
int ct_bernoulli_(ct_tensor *t, double p, ct_generator *gen);
int ct_bernoulli_tensor_(ct_tensor *t, ct_tensor *p, ct_generator *gen);
int ct_exponential_(ct_tensor *t, double lambd, ct_generator *gen);
int ct_geometric_(ct_tensor *t, double p, ct_generator *gen);
int ct_log_normal_(ct_tensor *t, double mean, double std, ct_generator *gen);
int ct_cauchy_(ct_tensor *t, double median, double sigma, ct_generator *gen);
ct_tensor *ct_randperm(int64_t n, ct_dtype dtype, ct_device dev, ct_generator *gen);
ct_tensor *ct_multinomial(ct_tensor *probs, int64_t num_samples, bool replacement, ct_generator *gen);
ct_tensor *ct_poisson(ct_tensor *rates, ct_generator *gen);
/* _standard_gamma(alpha): Gamma(alpha, 1) draws; _sample_dirichlet(alpha): gammas (in float64) normalized
 * over the last dim, clamped into (tiny, 1) as PyTorch */
ct_tensor *ct_standard_gamma(ct_tensor *alpha, ct_generator *gen);
ct_tensor *ct_sample_dirichlet(ct_tensor *alpha, ct_generator *gen);
/* normal(mean, std) with a tensor mean and/or std (NULL: the double is used) */
ct_tensor *ct_normal_tensors(ct_tensor *mean, double mean_v, ct_tensor *std, double std_v, ct_generator *gen);

/* ---- indexing (ops/index.c) ----
 * index tensors: int64 or int32. scatter: src of self's dtype, or (is_value) a
 * 0-dim value, written into self or reduced into it by mode (ADD: scatter_add;
 * MUL: scatter(reduce='multiply')); inplace writes into self. */
typedef enum { CT_SCATTER_SET, CT_SCATTER_ADD, CT_SCATTER_MUL, CT_SCATTER_AMAX, CT_SCATTER_AMIN } ct_scatter_mode;
ct_tensor *ct_gather(ct_tensor *self, int64_t dim, ct_tensor *index);
ct_tensor *ct_index_select(ct_tensor *self, int64_t dim, ct_tensor *index);
ct_tensor *ct_scatter(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                      ct_scatter_mode mode, bool inplace);
/* scatter(dim, index, src | value, reduce='add' | 'multiply'): as ct_scatter, without a gradient (PyTorch's) */
ct_tensor *ct_scatter_reduce_arg(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                                 ct_scatter_mode mode, bool inplace);
/* scatter_reduce(dim, index, src, reduce, include_self): reduce one of "sum prod mean amax amin" */
typedef enum { CT_SR_SUM, CT_SR_PROD, CT_SR_MEAN, CT_SR_AMAX, CT_SR_AMIN } ct_scatter_reduction;
ct_tensor *ct_scatter_reduce(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src,
                             ct_scatter_reduction reduce, bool include_self, bool inplace);
/* the values of self with the positions of masked (bool, broadcast to self) replaced, in order, by source's */
ct_tensor *ct_masked_scatter(ct_tensor *self, ct_tensor *mask, ct_tensor *source, bool inplace);
ct_tensor *ct_index_add(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *source, ct_scalar alpha,
                        bool inplace);
/* index_fill (is_value: src a 0-dim value) and index_copy (src the source) along dim at a 1-D index */
ct_tensor *ct_index_fill_copy(ct_tensor *self, int64_t dim, ct_tensor *index, ct_tensor *src, bool is_value,
                              bool inplace);
ct_tensor *ct_take(ct_tensor *t, ct_tensor *index);
/* out's grad_fn (when out has a node of its own, not in's) renamed: composite ops show PyTorch's name */
ct_tensor *ct_rename_grad_fn(ct_tensor *out, const ct_tensor *in, const char *name);
ct_tensor *ct_nonzero(ct_tensor *t);   /* [count, ndim] int64 */
/* advanced indexing: the broadcast int64 indices into dims of sizes[], merged into one linear index */
ct_tensor *ct_index_linear(int k, ct_tensor *const *idx, const int64_t *sizes, const int *dims);
/* v[idx...] with the k int64 index tensors at dims (ascending) of v, other dims whole; and its write
 * (values broadcast to the result's shape; accumulate adds) */
ct_tensor *ct_index_read(ct_tensor *v, int k, const int *dims, ct_tensor *const *idx);
int ct_index_write(ct_tensor *v, int k, const int *dims, ct_tensor *const *idx, ct_tensor *values, bool accumulate);

/* ---- nn.utils over lists of gradients (ops/nn_utils.c) ---- */
/* scales every grad in place by min(max_norm / (total + 1e-6), 1); returns the total norm (0-dim) */
ct_tensor *ct_clip_grad_norm_(int n, ct_tensor *const *grads, double max_norm, double norm_type,
                              bool error_if_nonfinite);
int ct_clip_grad_value_(int n, ct_tensor *const *grads, double clip_value);   /* clamps each grad in place */

/* ---- decompositions (ops/decomp.c) ---- */
/* QR of the last two dims of a (float32/float64); mode 0 reduced, 1 complete, 2 r (q empty) */
int ct_linalg_qr(ct_tensor *a, int mode, ct_tensor **q, ct_tensor **r);
/* ---- sorting (ops/sort.c) ----
 * values and indices (int64) are new references; topk/kthvalue follow PyTorch's
 * checks. unique: over all elements (has_dim false) or of the slices along dim,
 * sorted unless consecutive (runs of equal neighbours); inverse and counts may be
 * NULL when not wanted. */
int ct_sort(ct_tensor *x, int64_t dim, bool descending, bool stable, ct_tensor **values, ct_tensor **indices);
int ct_topk(ct_tensor *x, int64_t k, int64_t dim, bool largest, bool sorted, ct_tensor **values, ct_tensor **indices);
int ct_kthvalue(ct_tensor *x, int64_t k, int64_t dim, bool keepdim, ct_tensor **values, ct_tensor **indices);
int ct_unique(ct_tensor *x, bool consecutive, bool has_dim, int64_t dim, ct_tensor **out, ct_tensor **inverse,
              ct_tensor **counts);
/* ---- losses, embedding, one_hot, pad, interpolate (ops/nn_loss.c) ----
 * reduction: 0 none, 1 mean, 2 sum (PyTorch's enum) */
typedef enum {
    CT_LOSS_MSE, CT_LOSS_SMOOTH_L1, CT_LOSS_HUBER, CT_LOSS_BCE, CT_LOSS_BCE_LOGITS, CT_LOSS_KL_DIV, CT_LOSS_SOFT_MARGIN
} ct_loss_kind;
typedef enum { CT_PAD_CONSTANT, CT_PAD_REFLECT, CT_PAD_REPLICATE, CT_PAD_CIRCULAR } ct_pad_mode;
typedef enum { CT_UPSAMPLE_NEAREST, CT_UPSAMPLE_NEAREST_EXACT, CT_UPSAMPLE_LINEAR, CT_UPSAMPLE_CUBIC } ct_upsample_mode;
/* nll_loss over input (C), (N, C) or (N, C, d1, ...) and class targets (int64 or uint8) */
ct_tensor *ct_nll_loss(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, int64_t ignore_index);
/* log_softmax + nll_loss in one kernel; a target shaped like input holds class probabilities */
ct_tensor *ct_cross_entropy(ct_tensor *input, ct_tensor *target, ct_tensor *weight, int reduction, int64_t ignore_index,
                            double label_smoothing);
/* mse smooth_l1 huber bce bce_with_logits kl_div soft_margin (p: beta, delta, or log_target as 0/1) */
ct_tensor *ct_pointwise_loss(ct_loss_kind kind, ct_tensor *input, ct_tensor *target, ct_tensor *weight,
                             ct_tensor *pos_weight, double p, int reduction);
ct_tensor *ct_l1_loss(ct_tensor *input, ct_tensor *target, int reduction);
ct_tensor *ct_cosine_similarity(ct_tensor *x1, ct_tensor *x2, int64_t dim, double eps);
ct_tensor *ct_pairwise_distance(ct_tensor *x1, ct_tensor *x2, double p, double eps, bool keepdim);
/* rows of weight (V, D) at indices (int64 or int32, any shape); padding_idx -1: none */
ct_tensor *ct_embedding(ct_tensor *weight, ct_tensor *indices, int64_t padding_idx, bool scale_grad_by_freq,
                        bool sparse);
int ct_embedding_renorm_(ct_tensor *weight, ct_tensor *indices, double max_norm, double norm_type);
ct_tensor *ct_one_hot(ct_tensor *t, int64_t num_classes);
/* pad: npad values (left, right) from the last dim backwards; value used when has_value (constant: 0 otherwise) */
ct_tensor *ct_pad(ct_tensor *input, int npad, const int64_t *pad, ct_pad_mode mode, double value, bool has_value);
/* interpolate the k spatial dims of input (N, C, ...) to out_size; scales[j] <= 0: not given */
ct_tensor *ct_upsample(ct_tensor *input, ct_upsample_mode mode, int k, const int64_t *out_size, const double *scales,
                       bool align_corners);
/* the gradients of the family's autograd nodes (ct_autograd.h), new references in grads (NULL: none) */
struct ct_node;
int ct_nn_loss_backward(const struct ct_node *n, ct_tensor *grad, ct_tensor **grads);

/* ---- contractions (ops/einsum.c) and distances (ops/distance.c) ---- */
ct_tensor *ct_einsum(const char *equation, int n, ct_tensor *const *operands);
/* dims_a of a contracted with dims_b of b (na must equal nb) */
ct_tensor *ct_tensordot(ct_tensor *a, ct_tensor *b, int na, const int64_t *dims_a, int nb, const int64_t *dims_b);
/* compute_mode: 'use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist', 'donot_use_mm_for_euclid_dist' */
typedef enum { CT_CDIST_AUTO, CT_CDIST_USE_MM, CT_CDIST_NO_MM } ct_cdist_mode;
ct_tensor *ct_cdist(ct_tensor *x1, ct_tensor *x2, double p, ct_cdist_mode mode);
ct_tensor *ct_dist(ct_tensor *a, ct_tensor *b, double p);
/* the forms CT_NODE_CDIST records (its ints[0]): cdist's direct kernel, its matrix-product form, dist */
enum { CT_DIST_DIRECT, CT_DIST_EUCLID, CT_DIST_NORM };
/* the direct form's gradient for x1 (wrt_x2: for x2), from the output's gradient */
ct_tensor *ct_cdist_backward(ct_tensor *grad, ct_tensor *x1, ct_tensor *x2, ct_tensor *dist, double p, bool wrt_x2);
/* ---- torchvision's tensor resampling (ops/vision.c) ----
 * img (..., H, W) float32/float64 -> (..., oh, ow); the planes are the leading dims */
typedef enum { CT_RESAMPLE_NEAREST, CT_RESAMPLE_NEAREST_EXACT, CT_RESAMPLE_BILINEAR, CT_RESAMPLE_BICUBIC } ct_resample_mode;
#define CT_VISION_MAX_FILL 64   /* per-channel fill values of an affine warp */
/* interpolate(align_corners=False) as torchvision's resize calls it */
ct_tensor *ct_vision_resize(ct_tensor *img, int64_t oh, int64_t ow, ct_resample_mode mode, bool antialias);
/* grid_sample of the affine grid of theta (2x3, torchvision's inverse matrix) at (oh, ow); nfill
 * values (0: zeros outside, 1: one for all channels, C: one per channel of dim -3) fill the outside */
ct_tensor *ct_vision_affine(ct_tensor *img, const double *theta, int64_t oh, int64_t ow, bool bilinear, int nfill,
                            const double *fill);

/* ---- nn normalization, activations, softmax, dropout (ops/nn_norm.c) ---- */
typedef enum {
#define CT_ACT(NAME, kernel, grad_fn, grad_fn_inplace, fwd, bwd) CT_ACT_##NAME,
#include "../../ops/nn_act.def"
#undef CT_ACT
    CT_NUM_ACTS
} ct_activation;
const char *ct_activation_kernel_name(ct_activation kind);   /* PyTorch's kernel name, for dtype errors */
/* kind over x with its parameters (ops/nn_act.def); inplace writes into x */
ct_tensor *ct_activation_op(ct_activation kind, ct_tensor *x, double s0, double s1, bool inplace);
/* the norm kernel's mode bits: statistics of the batch (else running_mean/var), update the running ones */
enum { CT_NORM_BATCH_STATS = 1, CT_NORM_UPDATE_RUNNING = 2 };
/* batch_norm: weight, bias, running_mean, running_var may be NULL; save_mean/save_invstd (may be NULL)
 * get the statistics used (float32 for float16/bfloat16 inputs) */
ct_tensor *ct_batch_norm(ct_tensor *x, ct_tensor *weight, ct_tensor *bias, ct_tensor *running_mean,
                         ct_tensor *running_var, bool training, double momentum, double eps, ct_tensor **save_mean,
                         ct_tensor **save_invstd);
ct_tensor *ct_layer_norm(ct_tensor *x, int nshape, const int64_t *shape, ct_tensor *weight, ct_tensor *bias, double eps);
ct_tensor *ct_group_norm(ct_tensor *x, int64_t groups, ct_tensor *weight, ct_tensor *bias, double eps);
ct_tensor *ct_instance_norm(ct_tensor *x, ct_tensor *weight, ct_tensor *bias, ct_tensor *running_mean,
                            ct_tensor *running_var, bool use_input_stats, double momentum, double eps);
/* softmax / log_softmax along dim, computed in dtype (CT_UNDEFINED: x's) */
ct_tensor *ct_softmax(ct_tensor *x, int64_t dim, ct_dtype dtype, bool log);
ct_tensor *ct_prelu(ct_tensor *x, ct_tensor *weight);
ct_tensor *ct_glu(ct_tensor *x, int64_t dim);
/* dropout (feature: whole channels, as dropout1d/2d/3d; alpha: alpha_dropout); x itself when it does nothing */
ct_tensor *ct_dropout(ct_tensor *x, double p, bool train, bool feature, bool alpha, bool inplace);
/* the gradients of this family's autograd nodes (autograd/derivatives.c): new references in gi */
struct ct_node;
int ct_nn_norm_backward(const struct ct_node *n, ct_tensor *g, ct_tensor **gi);
/* ---- counting and bucketing (ops/counting.c) ----
 * out_dtype: the dtype of an out= tensor to check (CT_UNDEFINED: none). Values may be a
 * wrapped Python number. */
ct_tensor *ct_searchsorted(ct_tensor *sorted_sequence, ct_tensor *values, bool out_int32, bool right,
                           ct_tensor *sorter, ct_dtype out_dtype);
ct_tensor *ct_bucketize(ct_tensor *values, ct_tensor *boundaries, bool out_int32, bool right, ct_dtype out_dtype);
ct_tensor *ct_bincount(ct_tensor *input, ct_tensor *weights, int64_t minlength);
ct_tensor *ct_histc(ct_tensor *input, int64_t bins, double min, double max);
/* how the histogram kernel finds a bin (its ints[0]): PyTorch's linear guess (histc), that guess
 * checked against the neighbouring edges (histogram with bins=int), a search over all edges */
typedef enum { CT_HIST_LINEAR, CT_HIST_LOCAL, CT_HIST_BINARY } ct_hist_search;
/* bins equal-width bins over range (NULL: the data's extremes), or the edges bin_tensor */
int ct_histogram(ct_tensor *input, int64_t bins, ct_tensor *bin_tensor, const double *range, ct_tensor *weight,
                 bool density, ct_tensor **hist, ct_tensor **bin_edges);

/* ---- diagonals (ops/diagonal.c) ---- */
ct_tensor *ct_diagonal(ct_tensor *t, int64_t offset, int64_t dim1, int64_t dim2);   /* a view */
ct_tensor *ct_diag_embed(ct_tensor *t, int64_t offset, int64_t dim1, int64_t dim2);
/* zeros shaped sizes with g on their diagonal (dims wrapped): diagonal's gradient */
ct_tensor *ct_diagonal_backward(ct_tensor *g, int ndim, const int64_t *sizes, int64_t offset, int64_t dim1,
                                int64_t dim2);
ct_tensor *ct_diag(ct_tensor *t, int64_t diagonal);
ct_tensor *ct_trace(ct_tensor *t);
int ct_fill_diagonal_(ct_tensor *t, ct_scalar value, bool wrap);
/* ---- optimizer steps over a parameter group (ops/optim.c) ----
 * One call updates every parameter of a group with PyTorch's torch.optim
 * rule (the single-tensor, foreach=False order of operations). states[k][i]
 * is the k-th state tensor of parameter i, in the kind's order:
 *   SGD: momentum_buffer (a NULL list: no momentum; NULL entries are created,
 *        new references the caller then owns)
 *   ADAM: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad)
 *   RMSPROP: square_avg, momentum_buffer (momentum > 0), grad_avg (centered)
 *   ADAGRAD: sum     ADADELTA: square_avg, acc_delta     ADAMAX: exp_avg, exp_inf
 *   NADAM, RADAM: exp_avg, exp_avg_sq
 * steps (all but SGD) are 1-element CPU tensors, advanced by one; NADAM's
 * mu_products likewise multiplied by the step's momentum coefficient. */
typedef enum {
    CT_OPTIM_SGD, CT_OPTIM_ADAM, CT_OPTIM_RMSPROP, CT_OPTIM_ADAGRAD, CT_OPTIM_ADADELTA, CT_OPTIM_ADAMAX,
    CT_OPTIM_NADAM, CT_OPTIM_RADAM, CT_OPTIM_NUM_KINDS
} ct_optim_kind;
#define CT_OPTIM_MAX_STATES 3
typedef struct {
    ct_optim_kind kind;
    int n;                                        /* parameters (those with a gradient) */
    ct_tensor **params, **grads;
    ct_tensor **states[CT_OPTIM_MAX_STATES];      /* NULL: a list the options leave unused */
    ct_tensor **steps, **mu_products;
    double lr, weight_decay, eps, beta1, beta2, momentum, dampening;
    double alpha;                                 /* RMSprop's alpha, Adadelta's rho */
    double lr_decay, momentum_decay;
    bool maximize, nesterov, amsgrad, decoupled, centered;
} ct_optim_group;
int ct_optim_step(const ct_optim_group *g);
/* The optim_step kernel runs a group's parameters (of one device) in one call:
 * per parameter CT_OPTIM_OPERANDS tensors {param, grad, states...} (NULL where
 * unused; all dense and laid out alike), CT_OPTIM_MAX_COEFS coefficients
 * (their order per kind: cpu/optim.c) and, in ints = {kind, flags...}, its
 * flags: */
#define CT_OPTIM_OPERANDS (2 + CT_OPTIM_MAX_STATES)
#define CT_OPTIM_MAX_COEFS 10
enum {
    CT_OPTIM_MAXIMIZE = 1, CT_OPTIM_L2 = 2, CT_OPTIM_MOMENTUM = 4, CT_OPTIM_FIRST = 8, CT_OPTIM_NESTEROV = 16,
    CT_OPTIM_AMSGRAD = 32, CT_OPTIM_CENTERED = 64, CT_OPTIM_RECTIFY = 128
};

/* ---- convolution and pooling (ops/nn_conv.c, ops/nn_pool.c) ----
 * Parameter lists arrive as given (n values; one value stands for every
 * dim) and are checked there with PyTorch's messages. 1-d ops run as 2-d
 * ones over a height of 1. */
typedef struct {
    int64_t v[CT_MAX_DIMS];
    int n;
} ct_int_list;
typedef enum { CT_CONV_PAD_EXPLICIT, CT_CONV_PAD_SAME, CT_CONV_PAD_VALID } ct_conv_padding;
typedef struct {
    const char *name;              /* "conv2d"...: takes unbatched input too; NULL: torch.convolution */
    int spatial;                   /* the named op's spatial dims */
    ct_int_list stride, padding, dilation, output_padding;
    ct_conv_padding padding_mode;
    bool transposed;
    int64_t groups;
} ct_conv_opts;
ct_tensor *ct_convolution(ct_tensor *input, ct_tensor *weight, ct_tensor *bias, const ct_conv_opts *o);
/* the gradients of a convolution or pooling node (autograd/derivatives.c): new references in gi */
struct ct_node;
int ct_nn_conv_backward(const struct ct_node *n, ct_tensor *g, ct_tensor **gi);
int ct_pool_backward(const struct ct_node *n, ct_tensor *g, ct_tensor **gi);

/* the integer parameters of the pooling kernels (ct_kernel_args.ints); DIVISOR 0: none */
enum { CT_POOL_ADAPTIVE, CT_POOL_KH, CT_POOL_KW, CT_POOL_SH, CT_POOL_SW, CT_POOL_PH, CT_POOL_PW, CT_POOL_DH, CT_POOL_DW,
       CT_POOL_INCLUDE_PAD, CT_POOL_DIVISOR, CT_POOL_NINTS };
typedef struct {
    ct_int_list kernel, stride, padding, dilation;   /* stride.n == 0: the kernel size */
    bool ceil_mode, count_include_pad;
    bool has_divisor;
    int64_t divisor;
} ct_pool_opts;
/* indices: NULL, or receives the int64 positions (h * W + w) of the maxima */
ct_tensor *ct_max_pool2d(ct_tensor *input, const ct_pool_opts *o, ct_tensor **indices);
ct_tensor *ct_max_pool1d(ct_tensor *input, const ct_pool_opts *o, ct_tensor **indices);
ct_tensor *ct_avg_pool2d(ct_tensor *input, const ct_pool_opts *o);
ct_tensor *ct_avg_pool1d(ct_tensor *input, const ct_pool_opts *o);
ct_tensor *ct_adaptive_avg_pool2d(ct_tensor *input, const ct_int_list *output_size);
ct_tensor *ct_adaptive_avg_pool1d(ct_tensor *input, const ct_int_list *output_size);
ct_tensor *ct_adaptive_max_pool2d(ct_tensor *input, const ct_int_list *output_size, ct_tensor **indices);
ct_tensor *ct_adaptive_max_pool1d(ct_tensor *input, const ct_int_list *output_size, ct_tensor **indices);

/* ---- recurrent layers (ops/nn_rnn.c, cpu/nn_rnn.c) ---- */
typedef enum { CT_RNN_TANH, CT_RNN_RELU, CT_RNN_LSTM, CT_RNN_GRU } ct_rnn_mode;
static inline int ct_rnn_gates(int mode) { return mode == CT_RNN_LSTM ? 4 : mode == CT_RNN_GRU ? 3 : 1; }
/* the values a layer saves per row for its backward (cpu/nn_rnn_impl.h lays them out) */
static inline int64_t ct_rnn_work_width(int mode, int64_t H, int64_t R) {
    return mode == CT_RNN_LSTM ? 7 * H + R : mode == CT_RNN_GRU ? 5 * H : 2 * H;
}
/* one layer and direction over a packed sequence: xw (N, G*H) the input projection (with b_ih) of the rows
 * of each step (batch_sizes[t] rows at step t, non-increasing), w_hh (G*H, R), b_hh (G*H) or NULL, w_hr (R, H)
 * (LSTM with proj_size) or NULL, h0 (B, R), c0 (B, H) (LSTM only). outs: output (N, R), h_n (B, R), c_n (B, H)
 * (LSTM; else NULL), views of one result recorded as one node over {xw, W_hh | b_hh | W_hr, h0 | c0} */
int ct_rnn_layer(ct_rnn_mode mode, ct_tensor *xw, ct_tensor *batch_sizes, ct_tensor *w_hh, ct_tensor *b_hh,
                 ct_tensor *w_hr, ct_tensor *h0, ct_tensor *c0, bool reverse, ct_tensor **outs);
/* the gradients of a layer's node (autograd/derivatives.c): new references in gi */
int ct_rnn_backward(const struct ct_node *n, ct_tensor *g, ct_tensor **gi);
/* ---- attention (ops/attention.c) ---- */
/* scaled_dot_product_attention: mask bool (True takes part) or additive float, or NULL; scale used when has_scale */
ct_tensor *ct_scaled_dot_product_attention(ct_tensor *q, ct_tensor *k, ct_tensor *v, ct_tensor *mask, double dropout_p,
                                           bool is_causal, bool has_scale, double scale, bool enable_gqa);
int ct_attention_backward(const struct ct_node *n, ct_tensor *g, ct_tensor **gi);

#endif
