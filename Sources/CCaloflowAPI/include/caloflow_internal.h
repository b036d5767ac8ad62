// Internal to libcaloflow (not installed): the per-thread error message behind
// caloflow_last_error(), set by the Swift implementation of the API.
#ifndef CALOFLOW_INTERNAL_H
#define CALOFLOW_INTERNAL_H

#include "caloflow.h"

/// Copies message (truncated to 1023 bytes) into the calling thread's error buffer.
void caloflow_internal_set_error(const char *message);

#endif
