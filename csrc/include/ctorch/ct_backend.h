/* Pluggable backends: a table of function pointers per device type. The CPU
 * backend registers itself in ctorch._C; the CUDA backend lives in the
 * separate extension ctorch._C_cuda and registers through ct_core_api. */
#ifndef CT_BACKEND_H
#define CT_BACKEND_H

#include "ct_iter.h"
#include "ct_ops.h"

typedef struct ct_kernel_args {
    int op;                       /* ct_op_id */
    ct_iter *iter;                /* elementwise ops and reductions */
    ct_tensor *const *tensors;    /* other ops: operands, outputs first */
    int ntensors;
    const ct_scalar *scalars;     /* op parameters (alpha, min, max, ...) */
    int nscalars;
    const int64_t *ints;          /* integer parameters (dims, flags) */
    int nints;
    int *flags;                   /* kernels report domain errors here (CT_FLAG_*) */
    ct_generator *gen;            /* random ops: the generator to draw from (locked by the op layer) */
} ct_kernel_args;

#define CT_FLAG_ZERO_DIV 1        /* integer division by zero */

typedef int (*ct_kernel_fn)(const ct_kernel_args *args);

typedef struct ct_backend {
    const char *name;
    void *(*alloc)(int64_t nbytes, int device_index);
    void (*free)(void *ptr, int64_t nbytes, int device_index);
    /* nbytes between any two devices this backend can reach (one side may be the CPU) */
    int (*copy)(void *dst, ct_device dst_dev, const void *src, ct_device src_dev, int64_t nbytes);
    int (*synchronize)(int device_index);
    int (*device_count)(void);
    ct_kernel_fn kernels[CT_NUM_OPS];
} ct_backend;

int ct_register_backend(ct_device_type type, const ct_backend *backend);
const ct_backend *ct_get_backend(ct_device_type type);
/* run op on the backend of `device`; NotImplementedError when it has no kernel */
int ct_dispatch(ct_device device, const ct_kernel_args *args);

/* What ctorch._C hands to other extensions (ctorch._C_cuda) in the capsule
 * "ctorch._C._core_api" (the NumPy import_array pattern). */
#define CT_CORE_API_VERSION 1
typedef struct ct_core_api {
    int version;
    int (*register_backend)(ct_device_type, const ct_backend *);
    ct_status (*error)(ct_status code, const char *fmt, ...);
    const char *(*op_name)(int op);
} ct_core_api;

#endif
