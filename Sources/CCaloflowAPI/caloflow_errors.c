// The parts of the C API that need C: the thread-local error message and the status names.
#include "caloflow_internal.h"
#include <string.h>

static _Thread_local char last_error[1024];

void caloflow_internal_set_error(const char *message) {
    if (!message) message = "";
    strncpy(last_error, message, sizeof last_error - 1);
    last_error[sizeof last_error - 1] = 0;
}

const char *caloflow_last_error(void) { return last_error; }

int caloflow_abi_version(void) { return CALOFLOW_ABI_VERSION; }

const char *caloflow_status_name(int status) {
    switch (status) {
    case CALOFLOW_OK: return "CALOFLOW_OK";
    case CALOFLOW_ERROR_INVALID_ARGUMENT: return "CALOFLOW_ERROR_INVALID_ARGUMENT";
    case CALOFLOW_ERROR_NOT_FOUND: return "CALOFLOW_ERROR_NOT_FOUND";
    case CALOFLOW_ERROR_BAD_MODEL: return "CALOFLOW_ERROR_BAD_MODEL";
    case CALOFLOW_ERROR_ENERGY: return "CALOFLOW_ERROR_ENERGY";
    case CALOFLOW_ERROR_BUFFER_TOO_SMALL: return "CALOFLOW_ERROR_BUFFER_TOO_SMALL";
    case CALOFLOW_ERROR_LATENT: return "CALOFLOW_ERROR_LATENT";
    case CALOFLOW_ERROR_BUSY: return "CALOFLOW_ERROR_BUSY";
    case CALOFLOW_ERROR_OUT_OF_MEMORY: return "CALOFLOW_ERROR_OUT_OF_MEMORY";
    case CALOFLOW_ERROR_INTERNAL: return "CALOFLOW_ERROR_INTERNAL";
    default: return "CALOFLOW_UNKNOWN_STATUS";
    }
}
