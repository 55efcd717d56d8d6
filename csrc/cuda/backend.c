/* The CUDA backend's table (ct_backend.h) on the CUDA runtime API.
 *
 * This file is part of ctorch._C_cuda, a separate extension module: it reaches
 * the core only through the ct_core_api it is handed at registration (the
 * capsule ctorch._C._core_api), never by calling core symbols directly.
 *
 * Memory goes straight to cudaMalloc/cudaFree for now; the counters follow
 * PyTorch's memory_allocated (each block rounded up to 512 bytes). No kernels
 * yet: every op raises NotImplementedError through the core's dispatch. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "ct_cuda.h"

static const ct_core_api *core_api;

static _Thread_local char last_error[512];

/* set the error: this thread's message here, and the core's status */
static void fail(ct_status code, const char *fmt, ...) CT_PRINTF(2, 3);
static void fail(ct_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    if (core_api && core_api->error) core_api->error(code, "%s", last_error);
}

/* report a CUDA error and clear it (non-sticky errors only clear) */
static int fail_cuda(cudaError_t e, const char *what) {
    cudaGetLastError();
    fail(CT_ERR_RUNTIME, "CUDA error: %s (%s)", cudaGetErrorString(e), what);
    return -1;
}

const char *ct_cuda_last_error(void) { return last_error; }

/* ---- device guard: make idx current, put the previous device back after ---- */
static cudaError_t guard_enter(int idx, int *prev) {
    cudaError_t e = cudaGetDevice(prev);
    if (e != cudaSuccess) return e;
    return *prev == idx ? cudaSuccess : cudaSetDevice(idx);
}

static void guard_exit(int idx, int prev) {
    if (prev != idx) cudaSetDevice(prev);
}

/* ---- memory counters ---- */
static int64_t allocated[CT_CUDA_MAX_DEVICES];
static int64_t peak[CT_CUDA_MAX_DEVICES];

#define MIN_BLOCK 512

static int64_t round_size(int64_t n) { return n < MIN_BLOCK ? MIN_BLOCK : (n + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK; }

static bool valid_index(int idx) { return idx >= 0 && idx < CT_CUDA_MAX_DEVICES; }

static void count_alloc(int idx, int64_t n) {
    int64_t now = __atomic_add_fetch(&allocated[idx], n, __ATOMIC_RELAXED);
    int64_t p = __atomic_load_n(&peak[idx], __ATOMIC_RELAXED);
    while (now > p && !__atomic_compare_exchange_n(&peak[idx], &p, now, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

int64_t ct_cuda_memory_allocated(int idx) {
    return valid_index(idx) ? __atomic_load_n(&allocated[idx], __ATOMIC_RELAXED) : 0;
}

int64_t ct_cuda_max_memory_allocated(int idx) {
    return valid_index(idx) ? __atomic_load_n(&peak[idx], __ATOMIC_RELAXED) : 0;
}

void ct_cuda_reset_peak_memory_stats(int idx) {
    if (valid_index(idx))
        __atomic_store_n(&peak[idx], __atomic_load_n(&allocated[idx], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* PyTorch's format_size */
static const char *format_size(int64_t n, char *buf, size_t len) {
    if (n < 1024) snprintf(buf, len, "%lld bytes", (long long)n);
    else if (n < 1048576) snprintf(buf, len, "%.2f KiB", n / 1024.0);
    else if (n < 1073741824) snprintf(buf, len, "%.2f MiB", n / 1048576.0);
    else snprintf(buf, len, "%.2f GiB", n / 1073741824.0);
    return buf;
}

static void fail_oom(int64_t nbytes, int idx) {
    size_t free_b = 0, total_b = 0;
    char want[32], tot[32], fr[32], ours[32];
    format_size(nbytes, want, sizeof want);
    format_size(ct_cuda_memory_allocated(idx), ours, sizeof ours);
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
        fail(CT_ERR_NOMEM,
             "CUDA out of memory. Tried to allocate %s. GPU %d has a total capacity of %s of which %s is free. "
             "Of the allocated memory %s is allocated by ctorch.",
             want, idx, format_size((int64_t)total_b, tot, sizeof tot), format_size((int64_t)free_b, fr, sizeof fr),
             ours);
    } else {
        cudaGetLastError();
        fail(CT_ERR_NOMEM, "CUDA out of memory. Tried to allocate %s. GPU %d: %s is allocated by ctorch.", want, idx,
             ours);
    }
}

/* ---- the table ---- */
static void *cuda_alloc(int64_t nbytes, int idx) {
    if (nbytes < 0) {
        fail(CT_ERR_RUNTIME, "Trying to allocate a negative number of bytes (%lld)", (long long)nbytes);
        return NULL;
    }
    if (!valid_index(idx)) {
        fail(CT_ERR_RUNTIME, "Invalid device argument %d: CUDA device index out of range", idx);
        return NULL;
    }
    if (nbytes > INT64_MAX - MIN_BLOCK) {
        fail_oom(nbytes, idx);
        return NULL;
    }
    int64_t size = round_size(nbytes);   /* never 0, so a result is never NULL */
    int prev;
    cudaError_t e = guard_enter(idx, &prev);
    if (e != cudaSuccess) {
        fail_cuda(e, "selecting the device to allocate on");
        return NULL;
    }
    void *p = NULL;
    e = cudaMalloc(&p, (size_t)size);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        fail_oom(nbytes, idx);   /* cudaMemGetInfo on device idx, still current */
        p = NULL;
    } else if (e != cudaSuccess) {
        fail_cuda(e, "cudaMalloc");
        p = NULL;
    }
    guard_exit(idx, prev);
    if (p) count_alloc(idx, size);
    return p;
}

static void cuda_free(void *p, int64_t nbytes, int idx) {
    if (!p) return;
    int prev = idx;
    bool guarded = guard_enter(idx, &prev) == cudaSuccess;
    /* errors here (the driver already shut down at exit) cannot be reported */
    if (cudaFree(p) != cudaSuccess) cudaGetLastError();
    if (guarded) guard_exit(idx, prev);
    else cudaGetLastError();
    if (valid_index(idx)) __atomic_sub_fetch(&allocated[idx], round_size(nbytes < 0 ? 0 : nbytes), __ATOMIC_RELAXED);
}

static int cuda_copy(void *dst, ct_device dd, const void *src, ct_device sd, int64_t nbytes) {
    if (nbytes <= 0) return 0;
    size_t n = (size_t)nbytes;
    bool dcuda = dd.type == CT_DEV_CUDA, scuda = sd.type == CT_DEV_CUDA;
    if (!dcuda && !scuda) {
        memcpy(dst, src, n);
        return 0;
    }
    if (dcuda && scuda && dd.index != sd.index) {
        cudaError_t e = cudaMemcpyPeer(dst, dd.index, src, sd.index, n);
        return e == cudaSuccess ? 0 : fail_cuda(e, "cudaMemcpyPeer");
    }
    int idx = dcuda ? dd.index : sd.index, prev;
    enum cudaMemcpyKind kind = dcuda && scuda ? cudaMemcpyDeviceToDevice
                               : dcuda        ? cudaMemcpyHostToDevice
                                              : cudaMemcpyDeviceToHost;
    cudaError_t e = guard_enter(idx, &prev);
    if (e != cudaSuccess) return fail_cuda(e, "selecting the device to copy on");
    e = cudaMemcpy(dst, src, n, kind);
    guard_exit(idx, prev);
    return e == cudaSuccess ? 0 : fail_cuda(e, "cudaMemcpy");
}

static int cuda_synchronize(int idx) {
    int prev;
    cudaError_t e = guard_enter(idx, &prev);
    if (e != cudaSuccess) return fail_cuda(e, "selecting the device to synchronize");
    e = cudaDeviceSynchronize();
    guard_exit(idx, prev);
    return e == cudaSuccess ? 0 : fail_cuda(e, "cudaDeviceSynchronize");
}

static int cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();   /* no driver or no device: not an error for ctorch */
        return 0;
    }
    return n < 0 ? 0 : (n > CT_CUDA_MAX_DEVICES ? CT_CUDA_MAX_DEVICES : n);
}

static ct_backend cuda_backend = {
    .name = "cuda",
    .alloc = cuda_alloc,
    .free = cuda_free,
    .copy = cuda_copy,
    .synchronize = cuda_synchronize,
    .device_count = cuda_device_count,
    /* .kernels: all NULL until the CUDA kernels land */
};

int ct_cuda_backend_register(const ct_core_api *api) {
    if (!api || !api->register_backend) return -1;
    core_api = api;
    return api->register_backend(CT_DEV_CUDA, &cuda_backend);
}

/* ---- queries for the Python module ---- */
int ct_cuda_device_count(void) { return cuda_device_count(); }

int ct_cuda_synchronize(int idx) { return cuda_synchronize(idx); }

int ct_cuda_device_name(int idx, char *buf, int len) {
    if (len > 0) buf[0] = 0;
    int count = cuda_device_count();
    if (idx < 0 || idx >= count) {
        fail(CT_ERR_RUNTIME, "Invalid device argument %d: there %s %d CUDA device%s", idx, count == 1 ? "is" : "are",
             count, count == 1 ? "" : "s");
        return -1;
    }
    struct cudaDeviceProp prop;
    cudaError_t e = cudaGetDeviceProperties(&prop, idx);
    if (e != cudaSuccess) return fail_cuda(e, "cudaGetDeviceProperties");
    if (len > 0) snprintf(buf, (size_t)len, "%s", prop.name);
    return 0;
}

int ct_cuda_runtime_version(void) {
    int v = 0;
    cudaError_t e = cudaRuntimeGetVersion(&v);
    return e == cudaSuccess ? v : fail_cuda(e, "cudaRuntimeGetVersion");
}
