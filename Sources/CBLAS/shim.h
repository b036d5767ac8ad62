// OpenBLAS's CBLAS interface (Debian libopenblas-dev: /usr/include/x86_64-linux-gnu/cblas.h),
// which also declares openblas_set_num_threads and openblas_get_corename.
#ifndef CALOFLOW_CBLAS_SHIM_H
#define CALOFLOW_CBLAS_SHIM_H
#include <cblas.h>
#include <stddef.h>

// LAPACK's symmetric eigensolver, which libopenblas also exports (nm -D shows dsyev_). Fortran
// convention: every argument by reference, the hidden lengths of the two character arguments last.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
#endif
