/* The BLAS ctorch links: scipy-openblas32 (symbols prefixed scipy_, the
 * default) or a system OpenBLAS (no prefix; CT_BLAS_PREFIX empty). */
#ifndef CT_BLAS_H
#define CT_BLAS_H

#include <cblas.h>

#ifndef CT_BLAS_PREFIX
#define CT_BLAS_PREFIX
#endif
#define CT_CAT_(a, b) a##b
#define CT_CAT(a, b) CT_CAT_(a, b)
#define CT_BLAS(name) CT_CAT(CT_BLAS_PREFIX, name)

#endif
