import Glibc

/// SplitMix64 (Steele, Lea, Flood 2014): the seeding generator that expands one 64-bit seed
/// into the state of `Xoshiro256`, and a reasonable tiny generator on its own.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman & Vigna 2018): the generator behind every random number in caloflow.
///
/// Streams: `Xoshiro256(seed: s, stream: i)` gives an independent generator for work item `i`
/// (an event, a batch, a worker's chunk), so results depend only on the seed and the item index,
/// never on the thread count or scheduling. The full state is four words (`state`) and can be
/// saved in a checkpoint and restored exactly.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    /// A generator for `seed`, optionally for sub-stream `stream` of that seed.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(seed: seed)
        let base = mixer.next()
        var sm = SplitMix64(seed: base ^ (stream &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7))
        state = (sm.next(), sm.next(), sm.next(), sm.next())
        if state == (0, 0, 0, 0) { state.0 = 1 }
    }

    /// Restores a generator from a saved state (see `stateWords`).
    public init(stateWords w: [UInt64]) {
        precondition(w.count == 4, "Xoshiro256 state has 4 words")
        state = (w[0], w[1], w[2], w[3])
    }

    /// The four state words, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inlinable public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inlinable func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A derived generator for sub-stream `index`, leaving this one unchanged.
    public func split(_ index: UInt64) -> Xoshiro256 {
        Xoshiro256(seed: state.0 ^ rotl(state.2, 17) ^ 0x5851_F42D_4C95_7F2D, stream: index)
    }

    // MARK: - Distributions

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in (0, 1): never exactly 0, safe for logarithms.
    @inlinable public mutating func uniformOpen() -> Double { (Double(next() >> 11) + 0.5) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    @inlinable public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Uniform Float in [0, 1) with 24 random bits.
    @inlinable public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Standard normal N(0, 1) by the Box–Muller transform (one value per call).
    @inlinable public mutating func normal() -> Double {
        let u1 = uniformOpen(), u2 = uniform()
        return (-2 * Glibc.log(u1)).squareRoot() * Glibc.cos(2 * Double.pi * u2)
    }

    /// Exponential with the given mean.
    @inlinable public mutating func exponential(mean: Double) -> Double { -mean * Glibc.log(uniformOpen()) }

    /// Gamma(shape k, scale 1) by Marsaglia & Tsang (2000); shape < 1 via the boost
    /// Gamma(k) = Gamma(k + 1) * U^(1/k).
    public mutating func gamma(shape k: Double) -> Double {
        precondition(k > 0, "gamma shape must be positive, got \(k)")
        if k < 1 {
            let g = gamma(shape: k + 1)
            return g * Glibc.pow(uniformOpen(), 1 / k)
        }
        let d = k - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = uniformOpen()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Glibc.log(u) < 0.5 * x * x + d * (1 - v + Glibc.log(v)) { return d * v }
        }
    }

    /// Beta(a, b) as G1 / (G1 + G2).
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let g1 = gamma(shape: a), g2 = gamma(shape: b)
        return g1 / (g1 + g2)
    }

    /// Fills `buffer` with standard normal Float values (Box–Muller, both values used).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        var i = 0
        let n = buffer.count
        while i < n {
            let u1 = uniformOpen(), u2 = uniform()
            let r = (-2 * Glibc.log(u1)).squareRoot()
            let a = 2 * Double.pi * u2
            buffer[i] = mean + std * Float(r * Glibc.cos(a))
            if i + 1 < n { buffer[i + 1] = mean + std * Float(r * Glibc.sin(a)) }
            i += 2
        }
    }

    /// Fills `buffer` with uniform Float values in [lo, hi).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, _ lo: Float = 0, _ hi: Float = 1) {
        for i in 0..<buffer.count { buffer[i] = lo + (hi - lo) * uniformFloat() }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }
}

extension Matrix {
    /// A matrix of standard normal samples drawn from `rng`.
    public static func randomNormal(_ rows: Int, _ cols: Int, std: Float = 1, rng: inout Xoshiro256) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0, std: std) }
        return m
    }

    /// A matrix of uniform samples in [lo, hi) drawn from `rng`.
    public static func randomUniform(_ rows: Int, _ cols: Int, _ lo: Float, _ hi: Float, rng: inout Xoshiro256) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillUniform($0, lo, hi) }
        return m
    }
}
