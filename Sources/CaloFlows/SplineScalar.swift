import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// The few elementary functions the spline kernels need, so one generic kernel serves both the
/// Float production path and the Double reference path that the finite-difference tests use.
///
/// The kernels are generic over this protocol and specialised at compile time (whole-module
/// optimisation), so the Float path pays no witness-table cost.
protocol SplineScalar: BinaryFloatingPoint, Sendable {
    static func splineExp(_ x: Self) -> Self
    static func splineLog(_ x: Self) -> Self
    static func splineSqrt(_ x: Self) -> Self
    /// log(1 + z) for z in [0, 1], accurate to a few ulp relative (also for z below the ulp of 1).
    static func splineLog1p(_ z: Self) -> Self
    /// Writes exp(u_j − max u) for the `count` values at `u` to `e` and returns their sum
    /// (the unnormalised softmax, the hottest part of the spline).
    static func softmaxExponentials(_ u: UnsafePointer<Self>, _ e: UnsafeMutablePointer<Self>, count: Int) -> Self
}

extension SplineScalar {
    @inline(__always)
    static func scalarSoftmaxExponentials(_ u: UnsafePointer<Self>, _ e: UnsafeMutablePointer<Self>,
                                          count: Int) -> Self {
        var m = u[0]
        for j in 1..<count where u[j] > m { m = u[j] }
        var sum: Self = 0
        for j in 0..<count {
            let v = splineExp(u[j] - m)
            e[j] = v
            sum += v
        }
        return sum
    }
}

extension Float: SplineScalar {
    /// The scalar functions are lane 0 of `VectorMath`'s, which the lane kernels
    /// (`CSplineKernels`) transcribe, so `SplineKernel` (one element at a time) and
    /// `SplineLanes` (eight) agree bit for bit.
    @inline(__always) static func splineExp(_ x: Float) -> Float { VectorMath.exp(SIMD8(repeating: x))[0] }
    @inline(__always) static func splineLog(_ x: Float) -> Float { VectorMath.log(SIMD8(repeating: x))[0] }
    @inline(__always) static func splineSqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) static func splineLog1p(_ z: Float) -> Float { VectorMath.log1p(SIMD8(repeating: z))[0] }

    /// Softmax exponentials through one vector exp per eight bins; the sum in a fixed order
    /// (`exponentialSum`) that the C lane kernels follow.
    @inline(__always)
    static func softmaxExponentials(_ u: UnsafePointer<Float>, _ e: UnsafeMutablePointer<Float>,
                                    count: Int) -> Float {
        // Scalar max: the SIMD reductions compile to out-of-line calls.
        var hi = u[0]
        for j in 1..<count { hi = u[j] > hi ? u[j] : hi }
        if count == 8 {
            let v = UnsafeRawPointer(u).loadUnaligned(as: SIMD8<Float>.self)
            let x = VectorMath.exp(v - SIMD8(repeating: hi))
            UnsafeMutableRawPointer(e).storeBytes(of: x, as: SIMD8<Float>.self)
        } else {
            for j in 0..<count { e[j] = splineExp(u[j] - hi) }
        }
        return exponentialSum(e, count: count)
    }

    /// Σ e_j: pairwise for eight terms, left to right otherwise (the order the C lane kernels
    /// follow).
    @inline(__always)
    static func exponentialSum(_ e: UnsafePointer<Float>, count: Int) -> Float {
        if count == 8 {
            return ((e[0] + e[1]) + (e[2] + e[3])) + ((e[4] + e[5]) + (e[6] + e[7]))
        }
        var sum = e[0]
        for j in 1..<count { sum = sum + e[j] }
        return sum
    }
}

extension Double: SplineScalar {
    @inline(__always) static func splineExp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func splineLog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func splineSqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) static func splineLog1p(_ z: Double) -> Double { Glibc.log1p(z) }
    @inline(__always)
    static func softmaxExponentials(_ u: UnsafePointer<Double>, _ e: UnsafeMutablePointer<Double>,
                                    count: Int) -> Double {
        scalarSoftmaxExponentials(u, e, count: count)
    }
}
