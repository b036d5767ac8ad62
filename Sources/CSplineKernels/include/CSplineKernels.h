// The rational-quadratic spline maps and their backward passes on AVX2 lanes, in C with
// clang vector extensions (sixteen elements per vector, two interleaved registers) and AVX2
// intrinsics for the parameter transposes.
//
// Swift lowers SIMD8<Float> arithmetic lane by lane and leaves LLVM's SLP vectoriser to put
// the vectors back together; in the spline it does so only in part (part of the log polynomial
// stays scalar, square roots go through sqrtf calls). This
// is the same arithmetic as CaloFlows' one-element kernel, operation for operation in the same order and
// without fused multiply-adds (-ffp-contract=off), so every result is bit-identical to the
// Swift one-element kernel (SplineKernel<Float>), which the tests check.
#ifndef CALOFLOW_SPLINE_KERNELS_H
#define CALOFLOW_SPLINE_KERNELS_H

#include <stddef.h>

/// The constants of one spline (SplineKernel<Float>'s).
typedef struct {
    int bins;              ///< K, 2...16
    float bound;           ///< B: identity outside [-B, B]
    float widthStep;       ///< 2B m_w
    float heightStep;      ///< 2B m_h
    float widthScale;      ///< 2B (1 - K m_w)
    float heightScale;     ///< 2B (1 - K m_h)
    float minDerivative;   ///< m_d
} caloflow_spline_constants;

/// y = spline(x) (inverse == 0) or x = spline^-1(y) (inverse != 0) and log|dy/dx| (log|dx/dy|
/// for the inverse; 0 outside [-B, B]) for 8 * groups consecutive elements.
///
/// - inputs, outputs, logDerivatives: 8 * groups floats each.
/// - params: (3K - 1) raw parameters per element (K widths, K heights, K - 1 interior
///   derivatives), element after element.
void caloflow_spline_map_lanes(const caloflow_spline_constants *constants, int inverse,
                               const float *inputs, const float *params,
                               float *outputs, float *logDerivatives, size_t groups);

/// The fused backward pass of the map above for 8 * groups elements, recomputing it from the
/// inputs: outputGradients (dLoss/d output) and logDerivativeGradients (dLoss/d log-derivative)
/// may be NULL for zeros; inputGradients receives dLoss/d input (8 * groups floats),
/// paramGradients dLoss/d raw parameters (in the params layout).
void caloflow_spline_backward_lanes(const caloflow_spline_constants *constants, int inverse,
                                    const float *inputs, const float *params,
                                    const float *outputGradients, const float *logDerivativeGradients,
                                    float *inputGradients, float *paramGradients, size_t groups);

/// Asks for the cache line holding p (a hint: no fault if p is not mapped).
static inline void caloflow_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
