// The calling thread's handling of subnormal floats.
//
// Subnormal (denormal) numbers, below 1.2e-38 in float, take a slow microcode path on x86 CPUs
// (an operation that reads or produces one needs a microcode assist). Adam's
// first moments of weights whose gradient has become zero decay by 0.9 per step through that
// range, so a training run slows down as they accumulate. Flushing them to zero (x86: the MXCSR
// bits FTZ, which writes 0 for a subnormal result, and DAZ, which reads a subnormal input as 0;
// AArch64: the FPCR bit FZ) changes only values below 1.2e-38 and removes the slow path.
//
// The mode belongs to a thread, and a new thread starts with the mode of the thread that created
// it. It governs SSE/AVX and NEON arithmetic, not the x87 unit (long double).
#ifndef CALOFLOW_FLOATING_POINT_H
#define CALOFLOW_FLOATING_POINT_H

/// 1 if the calling thread flushes subnormal results and inputs to zero, 0 if it computes them
/// as IEEE 754 says, -1 if this CPU architecture is not one the function knows.
int caloFlushesSubnormals(void);

/// Sets the calling thread's mode (nonzero: flush subnormals to zero; 0: IEEE 754 subnormals) and
/// returns the previous one as `caloFlushesSubnormals` does; -1 (and no change) on an unknown
/// architecture.
int caloSetFlushSubnormals(int flush);

#endif
