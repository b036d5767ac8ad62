// HDF5 exposes its type and property-list identifiers as macros that expand to
// `(H5open(), H5T_NATIVE_FLOAT_g)`; Swift cannot import those, so each one gets a
// static inline accessor here. No .c file is needed.
#ifndef CALOFLOW_CHDF5_SHIM_H
#define CALOFLOW_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t caloH5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t caloH5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t caloH5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t caloH5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t caloH5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t caloH5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t caloH5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t caloH5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t caloH5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t caloH5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t caloH5T_C_S1(void) { return H5T_C_S1; }
static inline unsigned caloH5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned caloH5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned caloH5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned caloH5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline hid_t caloH5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t caloH5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t caloH5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t caloH5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t caloH5S_ALL(void) { return H5S_ALL; }
static inline hsize_t caloH5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline hid_t caloH5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
/// `H5T_VARIABLE` is `((size_t)(-1))`, which Swift cannot import as a `size_t` constant.
static inline size_t caloH5T_VARIABLE(void) { return H5T_VARIABLE; }

/// Silence HDF5's automatic error-stack printing; callers turn failures into Swift errors.
///
/// Also tells HDF5 not to register its exit-time cleanup (`H5dont_atexit`, effective when
/// called before the library's first use, and harmless afterwards): when a write fails for lack
/// of space, HDF5 1.10 cannot close the file (H5Fclose fails, the id stays valid) and its cleanup
/// at exit (H5_term_library -> H5F__close_cb) then dereferences a null pointer. Every file the
/// app writes is closed explicitly, so nothing is lost by skipping that cleanup.
static inline void caloH5SilenceErrors(void) {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

#endif
