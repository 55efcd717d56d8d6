/* The op profiler (autograd.profiler.profile): while it is on, ct_dispatch
 * records every kernel call: op, start and duration (microseconds, monotonic
 * clock) and, when asked, the operands' shapes. Calls from several threads
 * append under a spin lock. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctorch/ct_backend.h"
#include "ctorch/ct_profiler.h"

atomic_bool ct_profiling;
static bool with_shapes;
static atomic_flag lock = ATOMIC_FLAG_INIT;
static ct_prof_event *events;
static size_t count, capacity;

double ct_profiler_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

void ct_profiler_start(bool record_shapes) {
    while (atomic_flag_test_and_set(&lock)) {
    }
    free(events);
    events = NULL;
    count = capacity = 0;
    with_shapes = record_shapes;
    atomic_flag_clear(&lock);
    atomic_store(&ct_profiling, true);
}

size_t ct_profiler_stop(ct_prof_event **out) {
    atomic_store(&ct_profiling, false);
    while (atomic_flag_test_and_set(&lock)) {
    }
    *out = events;
    size_t n = count;
    events = NULL;
    count = capacity = 0;
    atomic_flag_clear(&lock);
    return n;
}

/* "[[2, 3], [3]]": the shapes of the call's operands */
static void shapes_of(const ct_kernel_args *args, char *buf, size_t size) {
    ct_tensor *const *ts = args->iter ? args->iter->tensors : args->tensors;
    int nt = args->iter ? args->iter->ntensors : args->ntensors;
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < nt && len + 32 < size; i++) {
        if (!ts[i]) continue;
        len += (size_t)snprintf(buf + len, size - len, "%s", len > 1 ? ", " : "");
        ct_shape_str(ts[i]->ndim, ts[i]->sizes, buf + len, (int)(size - len));
        len += strlen(buf + len);
    }
    snprintf(buf + len, size - len, "]");
}

void ct_profiler_record(const ct_kernel_args *args, double start_us, double end_us) {
    ct_prof_event e = {.op = args->op, .start_us = start_us, .dur_us = end_us - start_us};
    if (with_shapes) shapes_of(args, e.shapes, sizeof e.shapes);
    while (atomic_flag_test_and_set(&lock)) {
    }
    if (count == capacity) {
        size_t cap = capacity ? 2 * capacity : 4096;
        ct_prof_event *grown = realloc(events, cap * sizeof *grown);
        if (grown) events = grown, capacity = cap;
    }
    if (count < capacity) events[count++] = e;   /* out of memory: the event is dropped, nothing else */
    atomic_flag_clear(&lock);
}
