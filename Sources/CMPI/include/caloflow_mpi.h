/*
 * caloflow_mpi.h: the few MPI operations caloflow's data-parallel training
 * uses, reached through dlopen of Open MPI's libmpi at run time.
 *
 * Why dlopen: the one `caloflow` executable must run without MPI installed (the two README
 * commands, a laptop, a single core); only a process started by mpirun or srun loads libmpi.
 * The declarations below follow Open MPI's ABI (libmpi.so.40: Open MPI 3.x to 5.x): handles are
 * pointers to its predefined objects (ompi_mpi_comm_world, ompi_mpi_float, ...), found with
 * dlsym. The MPI tests (Tests/CaloCLITests/MPITests.swift) run them under mpirun.
 *
 * Every function returns 0 (MPI_SUCCESS) or an MPI error code; the communicator is
 * MPI_COMM_WORLD with MPI_ERRORS_RETURN, so failures come back as codes instead of aborting.
 * Call them from one thread at a time (MPI_THREAD_SERIALIZED).
 */
#ifndef CALOFLOW_MPI_H
#define CALOFLOW_MPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An outstanding non-blocking operation (an MPI_Request). */
typedef void *cf_mpi_request;

/* Loads `library` (e.g. "libmpi.so.40") with RTLD_GLOBAL (Open MPI's components need its
 * symbols) and resolves every function and handle used here. Returns 0, or -1 with a message
 * in `error` (dlerror's, or the missing symbol). Idempotent. */
int cf_mpi_load(const char *library, char *error, size_t error_length);

/* MPI_Init_thread(MPI_THREAD_SERIALIZED), MPI_ERRORS_RETURN on MPI_COMM_WORLD, rank and size. */
int cf_mpi_init(int *rank, int *size);
int cf_mpi_finalize(void);
/* MPI_Abort(MPI_COMM_WORLD, code): ends every process of the job. */
void cf_mpi_abort(int code);
/* The host name MPI reports for this process. */
int cf_mpi_processor_name(char *name, size_t length);
/* MPI_Error_string. */
void cf_mpi_error_string(int code, char *text, size_t length);

/* Non-blocking operations on MPI_COMM_WORLD; complete them with cf_mpi_test. */
int cf_mpi_iallreduce_sum_double(const double *send, double *receive, int count, cf_mpi_request *request);
int cf_mpi_isend_float(const float *buffer, int count, int destination, int tag, cf_mpi_request *request);
int cf_mpi_irecv_float(float *buffer, int count, int source, int tag, cf_mpi_request *request);
int cf_mpi_ibcast_float(float *buffer, int count, int root, cf_mpi_request *request);
int cf_mpi_ibcast_bytes(void *buffer, int count, int root, cf_mpi_request *request);
int cf_mpi_ibarrier(cf_mpi_request *request);
/* MPI_Test: *done = 1 once the request has completed (it is then freed). */
int cf_mpi_test(cf_mpi_request *request, int *done);

#ifdef __cplusplus
}
#endif
#endif
