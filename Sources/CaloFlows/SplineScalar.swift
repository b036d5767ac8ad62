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
    /// Writes exp(u_j − max u) for 8 raw values to `e` and returns their sum (the K = 8
    /// softmax of the spline, the kernels' hottest loop).
    static func splineExponentials8(_ u: UnsafePointer<Self>, _ e: UnsafeMutablePointer<Self>) -> Self
}

extension SplineScalar {
    /// Scalar reference: the same as `SplineKernel.exponentials` for K = 8.
    @inline(__always) static func splineExponentials8(_ u: UnsafePointer<Self>, _ e: UnsafeMutablePointer<Self>) -> Self {
        var m = u[0]
        for j in 1..<8 where u[j] > m { m = u[j] }
        var sum: Self = 0
        for j in 0..<8 {
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

    /// One AVX vector of 8 exponentials instead of 8 calls to `expf` (the softmax of every
    /// element costs 16 of them). Max and clamp stay scalar: the generic SIMD `max()` and
    /// `pointwiseMax` compile to out-of-line calls. NaN inputs give NaN, as with `expf`.
    @inline(__always) static func splineExponentials8(_ u: UnsafePointer<Float>, _ e: UnsafeMutablePointer<Float>) -> Float {
        var m = u[0]
        for j in 1..<8 where u[j] > m { m = u[j] }
        var x = SIMD8<Float>()
        for j in 0..<8 { x[j] = Swift.max(u[j] - m, -87) }
        let v = FastExp.exp(x)
        UnsafeMutableRawPointer(e).storeBytes(of: v, as: SIMD8<Float>.self)
        return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
    }
}

/// exp on 8 Float lanes for arguments in [−87, 0] (the caller clamps: smaller ones would
/// wrap the exponent bits): Cody–Waite reduction x = n ln 2 + r, |r| ≤ ln2/2, Cephes' degree-6 minimax polynomial
/// for e^r (about 1 ulp), and 2^n built in the exponent bits. Only vector adds, multiplies
/// and integer shifts (no calls, no Int/Float conversions).
enum FastExp {
    @inline(__always) static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let shifter = V(repeating: 12_582_912)                 // 1.5·2^23: adding it rounds to an integer
        let t = x * V(repeating: 1.442_695_04) + shifter        // n + shifter, n = round(x / ln 2)
        let n = t - shifter
        var r = x - n * V(repeating: 0.693_359_375)
        r = r - n * V(repeating: -2.121_944_4e-4)
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + V(repeating: 1.398_199_95e-3)
        p = p * r + V(repeating: 8.333_451_9e-3)
        p = p * r + V(repeating: 4.166_579_59e-2)
        p = p * r + V(repeating: 1.666_666_55e-1)
        p = p * r + V(repeating: 5.000_000_12e-1)
        let er = (p * (r * r) + r) + V(repeating: 1)
        // 2^n: the low bits of t hold n (offset by the shifter's pattern 0x4B400000).
        let tb = unsafeBitCast(t, to: SIMD8<UInt32>.self)
        let scale = (tb &- SIMD8(repeating: 0x4B40_0000) &+ SIMD8(repeating: 127)) &<< SIMD8(repeating: 23)
        return er * unsafeBitCast(scale, to: V.self)
    }
}

extension Double: SplineScalar {
    @inline(__always) static func splineExp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func splineLog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func splineSqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) static func splineLog1p(_ z: Double) -> Double { Glibc.log1p(z) }
}
