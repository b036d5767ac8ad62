/// exp, log and log1p on eight Float lanes (AVX2), for the kernels that need them per element
/// (the spline's softmax, softplus and log-derivative).
///
/// glibc's scalar `expf`/`logf` do not vectorise from Swift; these are Cephes' single-precision polynomials (Moshier, "Methods and Programs for Mathematical
/// Functions", 1989) written with SIMD8 operations, about 1 ulp over the normal range. They use
/// no fused multiply-adds, so a lane's result does not depend on which lane or how many lanes
/// a caller uses: `VectorMath.log(SIMD8(repeating: x))[0]` is bit-identical to lane i of a
/// vector holding x at i. Callers that need scalar and vector paths to agree bit for bit rely
/// on that.
public enum VectorMath {
    public typealias Lanes = SIMD8<Float>

    /// e^x per lane. Relative error about 1 ulp for x in [−87, 88.37]; exactly 0 below −87
    /// (where the true value, < 1.7e-38, would leave the normal range); +∞ above 88.37 (a little
    /// early: e^88.72 is the largest Float, but 2^n must stay below 2^128); NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        // Adding 1.5·2^23 rounds x·log2(e) to an integer n held in the low mantissa bits.
        let magic: Float = 12_582_912
        let t = x * 1.442_695_04 + magic
        let n = t - magic
        // x − n·ln 2 in two parts (Cody-Waite), r in [−ln2/2, ln2/2].
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = 1.987_569_15e-4 * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        // 2^n from n's bits: (n + 127) << 23, with n = bits(t) − bits(1.5·2^23).
        let bits = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B3F_FF81) &<< 23
        return (p * unsafeBitCast(bits, to: Lanes.self))
            .replacing(with: 0, where: x .< -87)
            .replacing(with: .infinity, where: x .> 88.37)
    }

    /// Natural log per lane: about 1 ulp for positive normal and subnormal x (subnormals are
    /// rescaled by 2^23 first); log 0 = −∞, log ∞ = ∞, NaN for negative or NaN x; log 1 = 0 exactly.
    @inlinable @inline(__always)
    public static func log(_ x: Lanes) -> Lanes {
        let tiny = x .< Float.leastNormalMagnitude
        let xs = x.replacing(with: x * 8_388_608, where: tiny)
        let bits = unsafeBitCast(xs, to: SIMD8<UInt32>.self)
        // x = m·2^e with m in [0.5, 1) (frexp); e is kept as the bits of the float 1.5·2^23 + e.
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: Lanes.self)
        var eBits = (bits &>> 23) &+ (0x4B40_0000 - 126)
        eBits = eBits.replacing(with: eBits &- 23, where: tiny)
        // Move m to [√½, √2) − 1.
        let small = m .< 0.707_106_781
        eBits = eBits.replacing(with: eBits &- 1, where: small)
        m = m.replacing(with: m + m, where: small) - 1
        let e = unsafeBitCast(eBits, to: Lanes.self) - 12_582_912
        let z = m * m
        var y = 7.037_683_629_2e-2 * m - 1.151_461_031_0e-1
        y = y * m + 1.167_699_874_0e-1
        y = y * m - 1.242_014_084_6e-1
        y = y * m + 1.424_932_278_7e-1
        y = y * m - 1.666_805_766_5e-1
        y = y * m + 2.000_071_476_5e-1
        y = y * m - 2.499_999_399_3e-1
        y = y * m + 3.333_333_117_4e-1
        y = y * m * z
        y = y + e * -2.121_944_40e-4
        y = y - 0.5 * z
        return ((m + y) + e * 0.693_359_375)
            .replacing(with: -.infinity, where: x .== 0)
            .replacing(with: .infinity, where: x .== .infinity)
            .replacing(with: .nan, where: (x .< 0) .| (x .!= x))
    }

    /// log(1 + z) per lane for z > −1 without the cancellation of log(1 + z) for small z: with
    /// u = 1 + z rounded, log(u) − ((u − 1) − z)/u corrects the rounding of u to first order
    /// (exactly z when u rounds to 1).
    @inlinable @inline(__always)
    public static func log1p(_ z: Lanes) -> Lanes {
        let u = 1 + z
        return log(u) - ((u - 1) - z) / u
    }
}
