/* The CUDA backend of ctorch._C_cuda (cuda/backend.c): its registration with
 * the core and small queries for the Python module (python/cuda_module.c).
 * No Python or CUDA headers here. */
#ifndef CT_CUDA_H
#define CT_CUDA_H

#include <stdint.h>

#include "ctorch/ct_backend.h"

/* device indices the memory counters track (ct_device.index is an int8_t) */
#define CT_CUDA_MAX_DEVICES 128

/* keep `api` (it must outlive the backend) and register the CUDA backend
 * through it; 0 or negative (the core's error is set by api->register_backend) */
int ct_cuda_backend_register(const ct_core_api *api);

/* number of visible devices; 0 when there is no driver or device */
int ct_cuda_device_count(void);
/* the device's name into buf (NUL-terminated); 0, or negative with
 * ct_cuda_last_error() set */
int ct_cuda_device_name(int idx, char *buf, int len);
/* cudaRuntimeGetVersion (e.g. 13000 for 13.0); negative on error */
int ct_cuda_runtime_version(void);
/* wait for all work on the device; 0, or negative with ct_cuda_last_error() set */
int ct_cuda_synchronize(int idx);

/* bytes of device memory held by tensors now / at most since the last reset,
 * as PyTorch counts them (each block rounded up to 512 bytes); 0 for an
 * index outside [0, CT_CUDA_MAX_DEVICES) */
int64_t ct_cuda_memory_allocated(int idx);
int64_t ct_cuda_max_memory_allocated(int idx);
/* the peak restarts from the current value */
void ct_cuda_reset_peak_memory_stats(int idx);

/* the message of this thread's last failed ct_cuda_* call ("" when none) */
const char *ct_cuda_last_error(void);

#endif
