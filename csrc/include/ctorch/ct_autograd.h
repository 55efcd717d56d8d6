/* Autograd: graph nodes, recording of differentiable ops, the engine.
 *
 * A tensor produced by a differentiable op while grad mode is on points to
 * the node (grad_fn) that computes its inputs' gradients from its own; the
 * node's edges lead to the inputs' nodes (AccumulateGrad for leaves). A node
 * keeps the input tensors it saved (with their history, for create_graph);
 * a saved output is kept as an alias without history, since the output owns
 * the node (no reference cycle), and gets the node back only while a
 * create_graph backward uses it. Each saved tensor remembers the storage
 * version it was saved at. */
#ifndef CT_AUTOGRAD_H
#define CT_AUTOGRAD_H

#include "ct_ops.h"
#include "ct_tensor.h"

#define CT_NODE_MAX_INPUTS 3
#define CT_NODE_MAX_SAVED 4

/* node kinds beyond the op ids of ops.def */
enum {
    CT_NODE_ACCUMULATE = CT_NUM_OPS,   /* AccumulateGrad: adds into a leaf's .grad */
    CT_NODE_VIEW,                      /* view/reshape/flatten/squeeze...: reshape the gradient back */
    CT_NODE_PERMUTE,
    CT_NODE_EXPAND,
    CT_NODE_SLICE,                     /* narrow/select/slice/basic indexing */
    CT_NODE_UNSLICE,                   /* the backward of SLICE (zeros around a slice), for double backward */
    CT_NODE_TO,                        /* dtype conversion */
    CT_NODE_CLONE,
    CT_NODE_MEAN,
    CT_NODE_NORM2,                     /* the 2-norm: x / norm, 0 where the norm is 0 */
    CT_NODE_MAXMIN_DIM,                /* values of max/min(dim) */
    CT_NODE_MM,                        /* mm, bmm, batched matmul */
    CT_NODE_ADDMM,
    CT_NODE_CUSTOM,                    /* autograd.Function: the backward is a callback */
    CT_NODE_COPY,                      /* copy_ of a tensor into another (CopyBackwards) */
    CT_NODE_COPYSLICES,                /* a base after an in-place write into one of its views */
    CT_NODE_VIEW_OF,                   /* that view, read back from the rewritten base */
    CT_NODE_CAT,                       /* ints: {dim, size of each input along dim (-1: skipped)} */
    CT_NODE_FLIP,                      /* ints: the flipped dims */
    CT_NODE_ROLL,                      /* ints: {n, shifts[n], dims[n]} */
    CT_NODE_REPEAT,                    /* ints: the repeats (as many as the output's dims) */
    CT_NODE_TRI,                       /* ints: {diagonal, upper} */
    CT_NODE_GATHER,                    /* gather, index_select: ints {dim}; saved: the int64 index */
    CT_NODE_SCATTER,                   /* scatter (src, value), scatter_add, index_add: ints {dim, accumulate} */
    CT_NODE_SCATTER_REDUCE,            /* ints {dim, reduce, include_self}; saved: index, then count (mean) or
                                          self, src, result (prod amax amin) */
    CT_NODE_CDIST,                     /* cdist, dist: ints {form (ct_ops.h)}; saved {x1, x2, out}; scalars {p} */
    CT_NODE_NLL_LOSS,                  /* nll_loss, cross_entropy (class indices): ints {reduction, ignore_index,
                                          log_softmax}; scalars {label_smoothing}; saved {input, target, weight, lse} */
    CT_NODE_CROSS_ENTROPY_PROB,        /* ints {reduction}; scalars {label_smoothing}; saved {input, target, weight, lse} */
    CT_NODE_POINTWISE_LOSS,            /* ints {kind, reduction}; scalars {p}; saved {input, target, weight, pos_weight} */
    CT_NODE_EMBEDDING,                 /* ints {padding_idx, scale_grad_by_freq}; saved {indices (int64, flat)} */
    CT_NODE_PAD,                       /* ints as the pad kernel's (ct_pad_mode, k, pads) */
    CT_NODE_UPSAMPLE,                  /* ints {mode, align_corners, k, the scales' bits (doubles)} */
    CT_NODE_ACTIVATION,                /* nn (ops/nn_norm.c): ints {kind}; scalars {s0, s1}; saved: the input */
    CT_NODE_NATIVE_NORM,               /* batch/layer/group norm: ints as the norm kernel's; saved: x, weight,
                                          mean, invstd */
    CT_NODE_SOFTMAX,                   /* softmax, log_softmax: ints {dim, log}; saved: the output */
    CT_NODE_NN_ONCE,                   /* a fused backward's result: differentiating it again is not implemented */
    CT_NODE_DIAGONAL,                  /* diagonal, diag of a matrix: ints {offset, dim1, dim2} */
    CT_NODE_DIAG_EMBED,                /* diag_embed, diag of a vector, diagonal's backward: ints {offset, dim1, dim2} */
    CT_NODE_TRACE,
    CT_NODE_NOT_IMPLEMENTED,           /* bincount, histogram of inputs that require grad: ints {op}; backward raises */
    CT_NODE_CONV,                      /* convolutions: ints {spatial dims, transposed, sH sW pH pW dH dW groups};
                                          saved: input, weight (ops/nn_conv.c) */
    CT_NODE_MAX_POOL,                  /* max_pool2d, adaptive_max_pool2d: saved: the indices (ops/nn_pool.c) */
    CT_NODE_AVG_POOL,                  /* avg_pool2d, adaptive_avg_pool2d: ints as CT_POOL_* */
    CT_NODE_RNN,                       /* one recurrent layer (ops/nn_rnn.c): ints as the rnn_layer kernel's;
                                          saved: params, work, batch_sizes */
    CT_NODE_SDPA,                      /* scaled_dot_product_attention: ints {dropout}; scalars {scale}; saved: q, k, v
                                          (kernel operands), probabilities and dropout factors (ops/attention.c) */
};

/* where a view lies in its base (CT_NODE_COPYSLICES, CT_NODE_VIEW_OF) */
typedef struct {
    int ndim, base_ndim;
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS], offset;   /* the view, offset relative to the base */
    int64_t base_strides[CT_MAX_DIMS];
} ct_view_geometry;

typedef struct ct_node ct_node;

/* A gradient hook (Tensor.register_hook), kept by the Python layer's callbacks:
 * fn returns the gradient to use (a new reference: grad itself, or another),
 * or NULL with the error set. */
typedef struct ct_hook {
    ct_tensor *(*fn)(void *ctx, ct_tensor *grad);
    void *ctx;
    void (*release)(void *ctx);
    int64_t id;
    struct ct_hook *next;
} ct_hook;

/* An autograd.Function's backward, supplied by the Python layer: grads_out
 * gets a new reference (or NULL: no gradient) per input edge. */
typedef int (*ct_custom_backward_fn)(void *ctx, ct_tensor *grad, int n, ct_tensor **grads_out);

typedef struct {
    ct_node *node;   /* NULL: that input needs no gradient */
    int input_nr;
} ct_edge;

typedef struct {
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    ct_dtype dtype;
} ct_shape;

struct ct_node {
    int64_t refcount;
    int kind;                          /* ct_op_id or CT_NODE_* */
    const char *name;                  /* PyTorch's name: "AddBackward0" */
    int64_t seq;                       /* creation order: later nodes run first */
    int nnext;
    ct_edge next[CT_NODE_MAX_INPUTS];
    ct_shape in_shape[CT_NODE_MAX_INPUTS];   /* shapes and dtypes of the inputs */
    int nsaved;
    ct_tensor *saved[CT_NODE_MAX_SAVED];
    int64_t saved_version[CT_NODE_MAX_SAVED];
    const char *saved_owner[CT_NODE_MAX_SAVED];   /* for the in-place error: the op that made it */
    bool saved_is_output[CT_NODE_MAX_SAVED];
    ct_scalar scalars[2];
    int64_t ints[CT_MAX_DIMS + 2];
    int nints;
    bool released;                     /* saved tensors freed by a backward without retain_graph */
    ct_tensor *leaf;                   /* AccumulateGrad: the leaf (owned) */
    ct_tensor *retain;                 /* a non-leaf output that retains its grad (borrowed; cleared when freed) */
    ct_hook *hooks;                    /* hooks on the gradient of this node's output (non-leaf tensors) */
    ct_view_geometry *geometry;        /* CT_NODE_COPYSLICES, CT_NODE_VIEW_OF (owned) */
    ct_custom_backward_fn custom_fn;   /* CT_NODE_CUSTOM */
    void *custom_ctx;
    void (*custom_release)(void *ctx);
};

/* hooks: add to a list (returns the id), remove by id, run in order, free all */
int64_t ct_hook_add(ct_hook **list, ct_tensor *(*fn)(void *, ct_tensor *), void *ctx, void (*release)(void *));
void ct_hook_remove(ct_hook **list, int64_t id);
ct_tensor *ct_hooks_run(ct_hook *list, ct_tensor *grad);   /* new reference, or NULL */
void ct_hooks_free(ct_hook **list);

/* ---- grad mode (thread-local) ---- */
bool ct_grad_enabled(void);
void ct_set_grad_enabled(bool on);

/* ---- nodes ---- */
void ct_node_incref(ct_node *n);
void ct_node_decref(ct_node *n);
bool ct_requires_grad(const ct_tensor *t);   /* a leaf asking for it, or made by recorded ops */

/* whether an op over inputs (any may be NULL) is recorded: grad mode is on
 * and some input requires grad */
bool ct_record_needed(int nin, ct_tensor *const *inputs);
/* start recording kind over inputs (when ct_record_needed); NULL on error */
ct_node *ct_record_begin(int kind, const char *name, int nin, ct_tensor *const *inputs);
/* save a tensor for the backward formula; is_output: t is the op's result */
int ct_record_save(ct_node *n, ct_tensor *t, bool is_output);
/* attach the node to the op's result (takes over the node reference) */
void ct_record_finish(ct_node *n, ct_tensor *result);
/* record an op ct_ops already computed, in one call: entries of save equal
 * to result are saved as the output */
int ct_record_op(int kind, const char *name, int nin, ct_tensor *const *inputs, ct_tensor *result, int nsave,
                 ct_tensor *const *save, const ct_scalar *scalars, int nscalars, const int64_t *ints, int nints);
/* an in-place op wrote into t: checks (leaf requiring grad) before, history after */
int ct_inplace_check(ct_tensor *t);
/* after an in-place write into t: when t is a view with history, its base's
 * history becomes CopySlices(base's old history, t's new node) */
int ct_inplace_rebase(ct_tensor *t);
const char *ct_op_backward_name(int op);

/* ---- the engine ---- */
/* anomaly mode: a backward that produces NaN names its node (set_detect_anomaly) */
extern bool ct_detect_anomaly;
/* gradients of roots (with grad_roots, NULL meaning ones) reach the leaves'
 * .grad; or, when ninputs > 0, are returned for inputs instead (autograd.grad;
 * out[i] NULL when an input is unreachable) */
int ct_backward(int nroots, ct_tensor *const *roots, ct_tensor *const *grad_roots, bool retain_graph,
                bool create_graph, int ninputs, ct_tensor *const *inputs, ct_tensor **out);

/* the derivative of one node (autograd/derivatives.c): grads for its inputs */
int ct_derivative(ct_node *n, ct_tensor *grad, ct_tensor **grads_out);
/* which of its inputs (bits 1, 2, 4) and output (8) an elementwise op saves;
 * 16: not differentiable; 32: zero gradient */
int ct_elementwise_saves(int op);
/* names (as Python calls them) of the ops with a derivative formula */
int ct_differentiable_ops(const char **names, int max);
enum { CT_SAVE_X = 1, CT_SAVE_Y = 2, CT_SAVE_Z = 4, CT_SAVE_OUT = 8, CT_NODIFF = 16, CT_ZERO_GRAD = 32 };

#endif
