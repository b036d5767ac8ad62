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
    @inline(__always) static func splineExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func splineLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func splineSqrt(_ x: Float) -> Float { x.squareRoot() }
    /// glibc's log1pf costs about 4x logf; with u = 1 + z rounded, log(u) − ((u − 1) − z)/u
    /// corrects the rounding of u to first order, which is exact enough for z in [0, 1].
    @inline(__always) static func splineLog1p(_ z: Float) -> Float {
        let u = 1 + z
        return logf(u) - ((u - 1) - z) / u
    }

    /// Eight bins (the CaloFlow setting) go through one AVX2 vector exp; other counts are scalar.
    @inline(__always)
    static func softmaxExponentials(_ u: UnsafePointer<Float>, _ e: UnsafeMutablePointer<Float>,
                                    count: Int) -> Float {
        guard count == 8 else { return scalarSoftmaxExponentials(u, e, count: count) }
        // Scalar max/min: the SIMD reductions and pointwiseMax compile to out-of-line calls.
        var hi = u[0], lo = u[0]
        for j in 1..<8 {
            hi = u[j] > hi ? u[j] : hi
            lo = u[j] < lo ? u[j] : lo
        }
        // Beyond 87 the smallest exponentials underflow: rare, so take the scalar path.
        guard hi - lo < 87 else { return scalarSoftmaxExponentials(u, e, count: count) }
        let v = UnsafeRawPointer(u).loadUnaligned(as: SIMD8<Float>.self)
        let x = vectorExp(v - SIMD8(repeating: hi))
        UnsafeMutableRawPointer(e).storeBytes(of: x, as: SIMD8<Float>.self)
        return ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]))
    }

    /// exp for x in [−87, 0] (Cephes expf reduction and polynomial, about 1 ulp; no range
    /// check, the caller guarantees the interval).
    @inline(__always)
    static func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Adding 1.5·2^23 rounds x·log2(e) to an integer n held in the low mantissa bits.
        let magic: Float = 12_582_912
        let t = x * 1.442_695_04 + magic
        let n = t - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = 1.987_569_15e-4 * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        // 2^n from n's bits: (n + 127) << 23, with n = bits(t) − bits(1.5·2^23).
        let bits = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B3F_FF81) &<< 23
        return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
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
