/* Open MPI through dlopen: see include/caloflow_mpi.h. */
#include "caloflow_mpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Open MPI's handle types are pointers to its objects; only their addresses are used here. */
typedef void *MPI_Comm;
typedef void *MPI_Datatype;
typedef void *MPI_Op;
typedef void *MPI_Request;
typedef void *MPI_Errhandler;
typedef struct MPI_Status MPI_Status;   /* only ever MPI_STATUS_IGNORE, a null pointer in Open MPI */

enum { MPI_THREAD_SERIALIZED_LEVEL = 2 };

static struct {
    int loaded;
    void *library;
    int (*Init_thread)(int *, char ***, int, int *);
    int (*Initialized)(int *);
    int (*Finalized)(int *);
    int (*Finalize)(void);
    int (*Abort)(MPI_Comm, int);
    int (*Comm_rank)(MPI_Comm, int *);
    int (*Comm_size)(MPI_Comm, int *);
    int (*Comm_set_errhandler)(MPI_Comm, MPI_Errhandler);
    int (*Get_processor_name)(char *, int *);
    int (*Error_string)(int, char *, int *);
    int (*Iallreduce)(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request *);
    int (*Isend)(const void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *);
    int (*Irecv)(void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *);
    int (*Ibcast)(void *, int, MPI_Datatype, int, MPI_Comm, MPI_Request *);
    int (*Ibarrier)(MPI_Comm, MPI_Request *);
    int (*Test)(MPI_Request *, int *, MPI_Status *);
    MPI_Comm comm_world;
    MPI_Datatype type_float, type_double, type_byte;
    MPI_Op op_sum;
    MPI_Errhandler errors_return;
} mpi;

static int resolve(void **slot, const char *name, char *error, size_t length) {
    *slot = dlsym(mpi.library, name);
    if (*slot == NULL) {
        snprintf(error, length, "%s has no symbol %s (not Open MPI 3 or later?)", "libmpi", name);
        return -1;
    }
    return 0;
}

int cf_mpi_load(const char *library, char *error, size_t error_length) {
    if (mpi.loaded) return 0;
    mpi.library = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (mpi.library == NULL) {
        const char *why = dlerror();
        snprintf(error, error_length, "%s", why ? why : "dlopen failed");
        return -1;
    }
    struct { void **slot; const char *name; } symbols[] = {
        {(void **)&mpi.Init_thread, "MPI_Init_thread"},
        {(void **)&mpi.Initialized, "MPI_Initialized"},
        {(void **)&mpi.Finalized, "MPI_Finalized"},
        {(void **)&mpi.Finalize, "MPI_Finalize"},
        {(void **)&mpi.Abort, "MPI_Abort"},
        {(void **)&mpi.Comm_rank, "MPI_Comm_rank"},
        {(void **)&mpi.Comm_size, "MPI_Comm_size"},
        {(void **)&mpi.Comm_set_errhandler, "MPI_Comm_set_errhandler"},
        {(void **)&mpi.Get_processor_name, "MPI_Get_processor_name"},
        {(void **)&mpi.Error_string, "MPI_Error_string"},
        {(void **)&mpi.Iallreduce, "MPI_Iallreduce"},
        {(void **)&mpi.Isend, "MPI_Isend"},
        {(void **)&mpi.Irecv, "MPI_Irecv"},
        {(void **)&mpi.Ibcast, "MPI_Ibcast"},
        {(void **)&mpi.Ibarrier, "MPI_Ibarrier"},
        {(void **)&mpi.Test, "MPI_Test"},
        /* Predefined handles: MPI_COMM_WORLD is &ompi_mpi_comm_world, and so on. */
        {&mpi.comm_world, "ompi_mpi_comm_world"},
        {&mpi.type_float, "ompi_mpi_float"},
        {&mpi.type_double, "ompi_mpi_double"},
        {&mpi.type_byte, "ompi_mpi_byte"},
        {&mpi.op_sum, "ompi_mpi_op_sum"},
        {&mpi.errors_return, "ompi_mpi_errors_return"},
    };
    for (size_t k = 0; k < sizeof symbols / sizeof symbols[0]; k++) {
        if (resolve(symbols[k].slot, symbols[k].name, error, error_length) != 0) return -1;
    }
    mpi.loaded = 1;
    return 0;
}

int cf_mpi_init(int *rank, int *size) {
    int initialized = 0, provided = 0, rc;
    if ((rc = mpi.Initialized(&initialized)) != 0) return rc;
    if (!initialized && (rc = mpi.Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED_LEVEL, &provided)) != 0) return rc;
    if ((rc = mpi.Comm_set_errhandler(mpi.comm_world, mpi.errors_return)) != 0) return rc;
    if ((rc = mpi.Comm_rank(mpi.comm_world, rank)) != 0) return rc;
    return mpi.Comm_size(mpi.comm_world, size);
}

int cf_mpi_finalize(void) {
    int finalized = 0;
    if (!mpi.loaded) return 0;
    mpi.Finalized(&finalized);
    return finalized ? 0 : mpi.Finalize();
}

void cf_mpi_abort(int code) {
    if (mpi.loaded) mpi.Abort(mpi.comm_world, code);
}

int cf_mpi_processor_name(char *name, size_t length) {
    char buffer[1024];
    int n = 0, rc = mpi.Get_processor_name(buffer, &n);
    if (rc == 0) snprintf(name, length, "%.*s", n, buffer);
    return rc;
}

void cf_mpi_error_string(int code, char *text, size_t length) {
    char buffer[1024];
    int n = 0;
    if (mpi.loaded && mpi.Error_string(code, buffer, &n) == 0) {
        snprintf(text, length, "%.*s", n, buffer);
    } else {
        snprintf(text, length, "MPI error %d", code);
    }
}

int cf_mpi_iallreduce_sum_double(const double *send, double *receive, int count, cf_mpi_request *request) {
    return mpi.Iallreduce(send, receive, count, mpi.type_double, mpi.op_sum, mpi.comm_world, request);
}

int cf_mpi_isend_float(const float *buffer, int count, int destination, int tag, cf_mpi_request *request) {
    return mpi.Isend(buffer, count, mpi.type_float, destination, tag, mpi.comm_world, request);
}

int cf_mpi_irecv_float(float *buffer, int count, int source, int tag, cf_mpi_request *request) {
    return mpi.Irecv(buffer, count, mpi.type_float, source, tag, mpi.comm_world, request);
}

int cf_mpi_ibcast_float(float *buffer, int count, int root, cf_mpi_request *request) {
    return mpi.Ibcast(buffer, count, mpi.type_float, root, mpi.comm_world, request);
}

int cf_mpi_ibcast_bytes(void *buffer, int count, int root, cf_mpi_request *request) {
    return mpi.Ibcast(buffer, count, mpi.type_byte, root, mpi.comm_world, request);
}

int cf_mpi_ibarrier(cf_mpi_request *request) {
    return mpi.Ibarrier(mpi.comm_world, request);
}

int cf_mpi_test(cf_mpi_request *request, int *done) {
    return mpi.Test(request, done, NULL);
}
