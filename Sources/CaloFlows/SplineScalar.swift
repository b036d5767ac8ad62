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
}

extension Float: SplineScalar {
    @inline(__always) static func splineExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func splineLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func splineSqrt(_ x: Float) -> Float { x.squareRoot() }
    /// glibc's log1pf costs about 4x logf; with u = 1 + z rounded, log(u) − ((u − 1) − z)/u
    /// corrects the rounding of u to first order, which is exact enough for z in [0, 1].
    @inline(__always) static func splineLog1p(_ z: Float) -> Float {
        let u = 1 + z
        return logf(u) - ((u - 1) - z) / u
    }
}

extension Double: SplineScalar {
    @inline(__always) static func splineExp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func splineLog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func splineSqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) static func splineLog1p(_ z: Double) -> Double { Glibc.log1p(z) }
}
