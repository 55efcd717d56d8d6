/* One thread count for OpenMP loops and BLAS (get/set_num_threads). */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ct_blas.h"
#include "ctorch/ct_iter.h"

static int num_threads = 0;   /* 0: not read yet */

int ct_get_num_threads(void) {
    if (num_threads == 0) {
#ifdef _OPENMP
        num_threads = omp_get_max_threads();
#else
        num_threads = 1;
#endif
    }
    return num_threads;
}

void ct_set_num_threads(int n) {
    if (n < 1) n = 1;
    num_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

/* BLAS stays single-threaded: large products are split over OpenMP threads
 * (cpu/gemm.c), so there is one pool of threads, never two competing */
void ct_blas_single_threaded(void) { CT_BLAS(openblas_set_num_threads)(1); }
