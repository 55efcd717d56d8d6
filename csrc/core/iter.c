/* The N-d iterator (ct_iter.h): broadcasting, output allocation in the
 * inputs' memory order, axis reordering by strides, coalescing of dims, and
 * running a 1-D loop over ranges of the result on one or more threads. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ctorch/ct_iter.h"

/* operand strides in bytes, right-aligned to the iteration shape (PyTorch
 * order); broadcast dims get stride 0 */
static void operand_strides(const ct_tensor *t, int ndim, const int64_t *shape, int64_t *out) {
    int64_t isz = ct_itemsize(t->dtype);
    int lead = ndim - t->ndim;
    for (int d = 0; d < ndim; d++) {
        int td = d - lead;
        out[d] = (td < 0 || t->sizes[td] != shape[d]) ? 0 : t->strides[td] * isz;
        if (td >= 0 && t->sizes[td] == 1) out[d] = 0;
    }
}

/* -1 keep order (d0 stays inner), 1 swap, 0 undecided; like TensorIterator */
static int should_swap(const int64_t (*st)[CT_MAX_DIMS], int first, int n, const int64_t *shape, int d0,
                       int d1) {
    for (int k = first; k < n; k++) {
        int64_t s0 = st[k][d0], s1 = st[k][d1];
        if (s0 == 0 || s1 == 0) continue;
        if (s0 < s1) return -1;
        if (s0 > s1) return 1;
        if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
}

/* perm[i] = the PyTorch dim iterated at position i (0 innermost) */
static void compute_perm(const int64_t (*st)[CT_MAX_DIMS], int first, int n, int ndim, const int64_t *shape,
                         int *perm) {
    for (int i = 0; i < ndim; i++) perm[i] = ndim - 1 - i;
    for (int i = 1; i < ndim; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int c = should_swap(st, first, n, shape, perm[d0], perm[d1]);
            if (c > 0) {
                int tmp = perm[d0];
                perm[d0] = perm[d1];
                perm[d1] = tmp;
                d1 = d0;
            } else if (c < 0) {
                break;
            }
        }
    }
}

/* fill it->shape/strides from PyTorch-order per-operand strides and a perm, then coalesce */
static void finish_layout(ct_iter *it, int ndim, const int64_t *shape, const int64_t (*st)[CT_MAX_DIMS],
                          const int *perm) {
    int n = 0;
    for (int i = 0; i < ndim; i++) {
        int d = perm[i];
        if (shape[d] == 1) continue;   /* size-1 dims do not move any pointer */
        it->shape[n] = shape[d];
        for (int k = 0; k < it->ntensors; k++) it->strides[n][k] = st[k][d];
        n++;
    }
    /* coalesce: merge dim i into the previous one when every operand steps evenly */
    int out = 0;
    for (int i = 1; i < n; i++) {
        bool ok = true;
        for (int k = 0; k < it->ntensors && ok; k++)
            ok = it->strides[i][k] == it->strides[out][k] * it->shape[out];
        if (ok) {
            it->shape[out] *= it->shape[i];
        } else {
            out++;
            it->shape[out] = it->shape[i];
            for (int k = 0; k < it->ntensors; k++) it->strides[out][k] = it->strides[i][k];
        }
    }
    it->ndim = n == 0 ? 0 : out + 1;
    it->numel = 1;
    for (int i = 0; i < ndim; i++) it->numel *= shape[i];
    if (it->ndim == 0) {   /* one element (or a 0-dim result): a loop of 1 */
        it->ndim = 1;
        it->shape[0] = it->numel;
        for (int k = 0; k < it->ntensors; k++) it->strides[0][k] = 0;
    }
    for (int k = 0; k < it->ntensors; k++) it->data[k] = ct_data(it->tensors[k]);
}

static bool same_shape(const ct_tensor *t, int ndim, const int64_t *shape) {
    if (t->ndim != ndim) return false;
    for (int i = 0; i < ndim; i++)
        if (t->sizes[i] != shape[i]) return false;
    return true;
}

/* where a result lives: the first operand not on the CPU (0-dim CPU tensors, Python scalars among them, join
 * tensors of any device, so `0.3 * cuda_tensor` is a CUDA result), else the CPU */
static ct_device result_device(int nin, ct_tensor *const *inputs) {
    for (int i = 0; i < nin; i++)
        if (ct_device_of(inputs[i]).type != CT_DEV_CPU) return ct_device_of(inputs[i]);
    return ct_device_of(inputs[0]);
}

int ct_iter_elementwise(ct_iter *it, const char *op, ct_tensor **out, ct_dtype out_dtype, int nin,
                        ct_tensor *const *inputs) {
    int64_t shape[CT_MAX_DIMS];
    /* a given output takes part in broadcasting as "tensor a", then must have the result's shape */
    const ct_tensor *first = *out ? *out : inputs[0];
    int ndim = first->ndim;
    memcpy(shape, first->sizes, sizeof(int64_t) * (size_t)ndim);
    for (int i = *out ? 0 : 1; i < nin; i++) {
        int64_t tmp[CT_MAX_DIMS];
        ndim = ct_broadcast_shapes(ndim, shape, inputs[i]->ndim, inputs[i]->sizes, tmp);
        if (ndim < 0) return -1;
        memcpy(shape, tmp, sizeof(int64_t) * (size_t)ndim);
    }
    it->ntensors = nin + 1;
    for (int i = 0; i < nin; i++) it->tensors[i + 1] = ct_incref(inputs[i]);
    it->tensors[0] = NULL;

    /* fast path: everything contiguous with the full shape */
    bool contiguous = true;
    for (int i = 0; i < nin && contiguous; i++)
        contiguous = same_shape(inputs[i], ndim, shape) && ct_is_contiguous(inputs[i]);
    if (*out) {
        for (int d = 0; d < (*out)->ndim; d++) {
            if ((*out)->strides[d] == 0 && (*out)->sizes[d] > 1) {
                ct_iter_release(it);
                return ct_error(CT_ERR_RUNTIME, "unsupported operation: more than one element of the written-to tensor "
                                "refers to a single memory location. Please clone() the tensor before performing the "
                                "operation.");
            }
        }
        if (!same_shape(*out, ndim, shape)) {
            char a[256], b[256];
            ct_iter_release(it);
            return ct_error(CT_ERR_RUNTIME, "output with shape %s doesn't match the broadcast shape %s",
                            ct_shape_str((*out)->ndim, (*out)->sizes, a, 256), ct_shape_str(ndim, shape, b, 256));
        }
        contiguous = contiguous && ct_is_contiguous(*out);
    }
    if (contiguous) {
        if (!*out && !(*out = ct_empty(ndim, shape, out_dtype, result_device(nin, inputs)))) {
            ct_iter_release(it);
            return -1;
        }
        it->tensors[0] = ct_incref(*out);
        it->numel = ct_numel(*out);
        it->ndim = 1;
        it->shape[0] = it->numel;
        for (int k = 0; k < it->ntensors; k++) {
            it->strides[0][k] = it->tensors[k]->ndim == 0 || it->numel == 1 ? 0 : ct_itemsize(it->tensors[k]->dtype);
            it->data[k] = ct_data(it->tensors[k]);
        }
        return 0;
    }

    int64_t st[CT_ITER_MAX][CT_MAX_DIMS];
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nin; i++) operand_strides(inputs[i], ndim, shape, st[i + 1]);
    if (*out) {
        operand_strides(*out, ndim, shape, st[0]);
        compute_perm(st, 0, it->ntensors, ndim, shape, perm);
    } else {
        compute_perm(st, 1, it->ntensors, ndim, shape, perm);
        int64_t strides[CT_MAX_DIMS], acc = 1;
        for (int i = 0; i < ndim; i++) {
            strides[perm[i]] = acc;
            acc *= shape[perm[i]] > 1 ? shape[perm[i]] : 1;
        }
        *out = ct_empty_strided(ndim, shape, strides, out_dtype, result_device(nin, inputs));
        if (!*out) {
            ct_iter_release(it);
            return -1;
        }
        operand_strides(*out, ndim, shape, st[0]);
    }
    (void)op;
    it->tensors[0] = ct_incref(*out);
    finish_layout(it, ndim, shape, (const int64_t(*)[CT_MAX_DIMS])st, perm);
    return 0;
}

int ct_iter_reduction(ct_iter *it, ct_tensor *out, ct_tensor *in) {
    int64_t st[CT_ITER_MAX][CT_MAX_DIMS];
    int perm[CT_MAX_DIMS];
    it->ntensors = 2;
    it->tensors[0] = ct_incref(out);
    it->tensors[1] = ct_incref(in);
    operand_strides(out, in->ndim, in->sizes, st[0]);
    operand_strides(in, in->ndim, in->sizes, st[1]);
    compute_perm(st, 1, 2, in->ndim, in->sizes, perm);   /* the input's memory order */
    finish_layout(it, in->ndim, in->sizes, (const int64_t(*)[CT_MAX_DIMS])st, perm);
    return 0;
}

void ct_iter_release(ct_iter *it) {
    for (int k = 0; k < it->ntensors; k++) ct_xdecref(it->tensors[k]);
    it->ntensors = 0;
}

void ct_iter_run_range(const ct_iter *it, ct_loop_fn loop, void *ctx, int64_t begin, int64_t end) {
    int nt = it->ntensors;
    if (begin >= end) return;   /* also keeps empty dims out of the index arithmetic */
    if (it->ndim == 1) {
        char *ptrs[CT_ITER_MAX];
        for (int k = 0; k < nt; k++) ptrs[k] = it->data[k] + begin * it->strides[0][k];
        loop(ptrs, it->strides[0], end - begin, ctx);
        return;
    }
    int64_t idx[CT_MAX_DIMS], rem = begin;
    for (int d = 0; d < it->ndim; d++) {
        idx[d] = rem % it->shape[d];
        rem /= it->shape[d];
    }
    int64_t pos = begin;
    while (pos < end) {
        char *ptrs[CT_ITER_MAX];
        for (int k = 0; k < nt; k++) {
            char *p = it->data[k];
            for (int d = 0; d < it->ndim; d++) p += idx[d] * it->strides[d][k];
            ptrs[k] = p;
        }
        int64_t n = it->shape[0] - idx[0];
        if (n > end - pos) n = end - pos;
        loop(ptrs, it->strides[0], n, ctx);
        pos += n;
        idx[0] = 0;
        for (int d = 1; d < it->ndim; d++) {
            if (++idx[d] < it->shape[d]) break;
            idx[d] = 0;
        }
    }
}

void ct_iter_run(const ct_iter *it, ct_loop_fn loop, void *ctx) {
    int64_t n = it->numel;
    if (n == 0) return;
#ifdef _OPENMP
    int nthreads = ct_get_num_threads();
    if (n >= CT_GRAIN && nthreads > 1) {
        int64_t chunks = n / (CT_GRAIN / 2);
        if (chunks > nthreads) chunks = nthreads;
#pragma omp parallel num_threads((int)chunks)
        {
            int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
            int64_t per = (n + nt - 1) / nt;
            per = (per + 63) & ~(int64_t)63;   /* whole cache lines per thread */
            int64_t b = t * per, e = b + per < n ? b + per : n;
            if (b < e) ct_iter_run_range(it, loop, ctx, b, e);
        }
        return;
    }
#endif
    ct_iter_run_range(it, loop, ctx, 0, n);
}
