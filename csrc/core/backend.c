/* Backend registry and dispatch (ct_backend.h). */
#include "ctorch/ct_backend.h"
#include "ctorch/ct_profiler.h"

static const ct_backend *backends[CT_NUM_DEVICE_TYPES];

static const char *const op_names[CT_NUM_OPS] = {
#define CT_OP(name) #name,
#include "../ops/ops.def"
#undef CT_OP
};

const char *ct_op_name(int op) { return op >= 0 && op < CT_NUM_OPS ? op_names[op] : "?"; }

int ct_register_backend(ct_device_type type, const ct_backend *backend) {
    if ((int)type < 0 || type >= CT_NUM_DEVICE_TYPES) return ct_error(CT_ERR_VALUE, "unknown device type %d", (int)type);
    backends[type] = backend;
    return 0;
}

const ct_backend *ct_get_backend(ct_device_type type) {
    return (int)type >= 0 && type < CT_NUM_DEVICE_TYPES ? backends[type] : NULL;
}

int ct_dispatch(ct_device device, const ct_kernel_args *args) {
    const ct_backend *be = ct_get_backend((ct_device_type)device.type);
    const char *dev = device.type == CT_DEV_CUDA ? "cuda" : "cpu";
    if (!be) return ct_error(CT_ERR_RUNTIME, "%s: device type %s is not available", ct_op_name(args->op), dev);
    ct_kernel_fn fn = be->kernels[args->op];
    if (!fn) return ct_error(CT_ERR_NOTIMPL, "%s is not implemented for %s", ct_op_name(args->op), dev);
    /* a CPU kernel reads its operands' memory: a device pointer among them would crash the process */
    int n = args->iter ? args->iter->ntensors : args->ntensors;
    ct_tensor *const *ts = args->iter ? args->iter->tensors : args->tensors;
    for (int i = 0; device.type == CT_DEV_CPU && i < n; i++)
        if (ts[i] && ct_device_of(ts[i]).type != CT_DEV_CPU)
            return ct_error(CT_ERR_RUNTIME, "Expected all tensors to be on the same device, but found at least two "
                            "devices, cpu and cuda:0! (when checking argument for %s)", ct_op_name(args->op));
    if (!atomic_load_explicit(&ct_profiling, memory_order_relaxed)) return fn(args);
    double start = ct_profiler_now_us();
    int rc = fn(args);
    ct_profiler_record(args, start, ct_profiler_now_us());
    return rc;
}
