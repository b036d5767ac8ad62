// OpenBLAS's CBLAS interface (Debian libopenblas-dev: /usr/include/x86_64-linux-gnu/cblas.h),
// which also declares openblas_set_num_threads and openblas_get_corename.
#ifndef CALOFLOW_CBLAS_SHIM_H
#define CALOFLOW_CBLAS_SHIM_H
#include <cblas.h>
#endif
