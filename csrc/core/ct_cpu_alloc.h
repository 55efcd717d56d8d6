/* The CPU allocator (core/cpu_alloc.c). */
#ifndef CT_CPU_ALLOC_H
#define CT_CPU_ALLOC_H
#include <stdint.h>
void *ct_cpu_alloc(int64_t nbytes);   /* NULL with the error set on failure */
void ct_cpu_free(void *p, int64_t nbytes);
void ct_cpu_empty_cache(void);
#endif
