/* The N-d iterator: one 1-D strided loop runs over any broadcast, strided,
 * reordered and coalesced set of operands (outputs first). */
#ifndef CT_ITER_H
#define CT_ITER_H

#include "ct_tensor.h"

#define CT_ITER_MAX 4          /* operands */
#define CT_GRAIN 32768         /* elements below which a loop stays on one thread */

/* a kernel: n elements; data[k] and strides[k] (bytes) per operand, outputs first */
typedef void (*ct_loop_fn)(char **data, const int64_t *strides, int64_t n, void *ctx);

typedef struct ct_iter {
    int ntensors;
    int ndim;                                 /* after coalescing */
    int64_t shape[CT_MAX_DIMS];               /* dim 0 is the innermost */
    int64_t strides[CT_MAX_DIMS][CT_ITER_MAX];/* bytes, [dim][operand] */
    char *data[CT_ITER_MAX];
    int64_t numel;
    ct_tensor *tensors[CT_ITER_MAX];          /* owned references */
} ct_iter;

/* Elementwise set-up. `*out` NULL: allocate it (dtype out_dtype) with the
 * broadcast shape, laid out like the inputs; else it must have that shape.
 * `op` names the op in error messages. */
int ct_iter_elementwise(ct_iter *it, const char *op, ct_tensor **out, ct_dtype out_dtype,
                        int nin, ct_tensor *const *inputs);
/* Reduction set-up: `out` has the input's ndim with 1 on reduced dims; it is
 * iterated with stride 0 there, so loops see strides[0] == 0 on reduced runs. */
int ct_iter_reduction(ct_iter *it, ct_tensor *out, ct_tensor *in);
void ct_iter_release(ct_iter *it);

/* run loop over [begin, end) of the linear iteration space on this thread */
void ct_iter_run_range(const ct_iter *it, ct_loop_fn loop, void *ctx, int64_t begin, int64_t end);
/* run over everything, on several threads above the grain size */
void ct_iter_run(const ct_iter *it, ct_loop_fn loop, void *ctx);

/* threads shared by OpenMP loops and BLAS */
int ct_get_num_threads(void);
void ct_set_num_threads(int n);

#endif
