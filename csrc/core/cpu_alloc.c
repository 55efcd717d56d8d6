/* posix_memalign and madvise under -std=c11 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
/* CPU allocator: 64-byte aligned blocks; large blocks are cached on free so a
 * fresh result does not pay first-touch page faults again (15-20 us per 4 KiB
 * page on these machines), and are backed by transparent huge pages. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ct_cpu_alloc.h"
#include "ctorch/ct_status.h"

#define CACHE_MIN_BYTES (1 << 20)      /* blocks below this go straight to malloc */
#define HUGE_PAGE (2 << 20)
#define NUM_CLASSES 64 * 4             /* 4 size classes per power of two */
#define MAX_PER_CLASS 8

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static void *cache[NUM_CLASSES][MAX_PER_CLASS];
static int cache_count[NUM_CLASSES];
static int64_t cached_bytes;
static int64_t cache_limit = (int64_t)1 << 30;   /* CTORCH_CPU_CACHE_MB overrides */
static int limit_read;

/* size class: round up to 2^e * (1 + k/4); returns the rounded size */
static int size_class(int64_t n, int64_t *rounded) {
    int e = 63 - __builtin_clzll((unsigned long long)n);
    int64_t base = (int64_t)1 << e, quarter = base / 4;
    int k = (int)((n - base + quarter - 1) / quarter);   /* 0..4 */
    if (k == 4) { e++; k = 0; base <<= 1; quarter = base / 4; }
    *rounded = base + k * quarter;
    return e * 4 + k;
}

static void read_limit(void) {
    const char *env = getenv("CTORCH_CPU_CACHE_MB");
    if (env) cache_limit = (int64_t)atoll(env) << 20;
    limit_read = 1;
}

void *ct_cpu_alloc(int64_t nbytes) {
    if (nbytes < 0) return ct_error_null(CT_ERR_RUNTIME, "Trying to allocate a negative number of bytes");
    if (nbytes == 0) nbytes = 1;
    void *p = NULL;
    if (nbytes < CACHE_MIN_BYTES) {
        if (posix_memalign(&p, 64, (size_t)((nbytes + 63) & ~(int64_t)63)) != 0) p = NULL;
    } else {
        int64_t rounded;
        int c = size_class(nbytes, &rounded);
        pthread_mutex_lock(&cache_lock);
        if (cache_count[c] > 0) {
            p = cache[c][--cache_count[c]];
            cached_bytes -= rounded;
        }
        pthread_mutex_unlock(&cache_lock);
        if (!p) {
            if (posix_memalign(&p, HUGE_PAGE, (size_t)rounded) != 0) p = NULL;
#ifdef MADV_HUGEPAGE
            else madvise(p, (size_t)rounded, MADV_HUGEPAGE);
#endif
        }
    }
    if (!p)
        return ct_error_null(CT_ERR_NOMEM,
                             "DefaultCPUAllocator: can't allocate memory: you tried to allocate %lld "
                             "bytes. Error code 12 (Cannot allocate memory)",
                             (long long)nbytes);
    return p;
}

void ct_cpu_free(void *p, int64_t nbytes) {
    if (!p) return;
    if (nbytes >= CACHE_MIN_BYTES) {
        int64_t rounded;
        int c = size_class(nbytes, &rounded);
        pthread_mutex_lock(&cache_lock);
        if (!limit_read) read_limit();
        if (cache_count[c] < MAX_PER_CLASS && cached_bytes + rounded <= cache_limit) {
            cache[c][cache_count[c]++] = p;
            cached_bytes += rounded;
            p = NULL;
        }
        pthread_mutex_unlock(&cache_lock);
    }
    free(p);
}

void ct_cpu_empty_cache(void) {
    pthread_mutex_lock(&cache_lock);
    for (int c = 0; c < NUM_CLASSES; c++) {
        while (cache_count[c] > 0) free(cache[c][--cache_count[c]]);
    }
    cached_bytes = 0;
    pthread_mutex_unlock(&cache_lock);
}
