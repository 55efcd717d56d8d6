/* The op profiler: kernel calls recorded by ct_dispatch while it is on (core/profiler.c). */
#ifndef CT_PROFILER_H
#define CT_PROFILER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct ct_kernel_args;

typedef struct {
    int op;              /* ct_op_id */
    double start_us, dur_us;
    char shapes[128];    /* operand shapes when recorded, else "" */
} ct_prof_event;

extern atomic_bool ct_profiling;
double ct_profiler_now_us(void);
void ct_profiler_start(bool record_shapes);
/* stops and hands over the events (the caller frees *out); their count */
size_t ct_profiler_stop(ct_prof_event **out);
void ct_profiler_record(const struct ct_kernel_args *args, double start_us, double end_us);

#endif
