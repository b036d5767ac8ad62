// The fp32 peak kernel of `caloflow bench`: chains of fused multiply-adds on the widest vectors
// the CPU has (AVX-512F, else AVX2 + FMA, chosen at run time), with enough independent
// accumulators that FMA latency never limits the rate, so only the FMA ports do.
#ifndef CALOFLOW_PEAK_KERNELS_H
#define CALOFLOW_PEAK_KERNELS_H

/// 512 when the CPU (and OS) runs AVX-512F instructions, else 256 (AVX2 + FMA, the baseline).
int caloflow_peak_widest_bits(void);

/// Floating-point operations of one iteration of the kernel on `bits`-wide vectors (256 or
/// 512): accumulators × lanes × 2 (one FMA = 2 flops).
int caloflow_peak_flops_per_iteration(int bits);

/// Runs `iterations` iterations of the kernel on `bits`-wide vectors (256, or 512 only where
/// `caloflow_peak_widest_bits()` is 512) and returns the sum of the accumulators, which the
/// caller must use so that the loop is not removed.
float caloflow_peak_fma(int bits, long iterations, float seed);

#endif
