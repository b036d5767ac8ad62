// See include/CPeakKernels.h. Compiled for the x86-64-v3 baseline; the AVX-512 kernel is a
// separate function compiled for avx512f and only called where the CPU has it.
#include "CPeakKernels.h"

#include <immintrin.h>

// Independent accumulators per kernel. FMA latency is 4-5 cycles on current x86 cores with
// two FMA ports, so at least 10 chains are needed to keep both busy; 12 of 16 ymm registers
// (AVX2) and 24 of 32 zmm registers (AVX-512) leave room for the two operands.
enum { AVX2_CHAINS = 12, AVX512_CHAINS = 24 };

int caloflow_peak_widest_bits(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 512 : 256;
}

int caloflow_peak_flops_per_iteration(int bits) {
    return bits == 512 ? AVX512_CHAINS * 16 * 2 : AVX2_CHAINS * 8 * 2;
}

__attribute__((noinline))
static float fma_avx2(long iterations, float seed) {
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f + seed);
    __m256 c[AVX2_CHAINS];
    for (int i = 0; i < AVX2_CHAINS; i++) c[i] = _mm256_set1_ps((float)i * 1e-3f);
    for (long n = 0; n < iterations; n++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < AVX2_CHAINS; i++) c[i] = _mm256_fmadd_ps(c[i], m, a);
    }
    __m256 s = c[0];
    for (int i = 1; i < AVX2_CHAINS; i++) s = _mm256_add_ps(s, c[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    float t = 0;
    for (int i = 0; i < 8; i++) t += out[i];
    return t;
}

__attribute__((noinline, target("avx512f")))
static float fma_avx512(long iterations, float seed) {
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f + seed);
    __m512 c[AVX512_CHAINS];
    for (int i = 0; i < AVX512_CHAINS; i++) c[i] = _mm512_set1_ps((float)i * 1e-3f);
    for (long n = 0; n < iterations; n++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < AVX512_CHAINS; i++) c[i] = _mm512_fmadd_ps(c[i], m, a);
    }
    __m512 s = c[0];
    for (int i = 1; i < AVX512_CHAINS; i++) s = _mm512_add_ps(s, c[i]);
    return _mm512_reduce_add_ps(s);
}

float caloflow_peak_fma(int bits, long iterations, float seed) {
    if (bits == 512 && caloflow_peak_widest_bits() == 512) return fma_avx512(iterations, seed);
    return fma_avx2(iterations, seed);
}
