import CFloatingPoint

/// How a thread's arithmetic treats subnormal floats (magnitudes below
/// `Float.leastNormalMagnitude`, 1.18e-38).
///
/// On x86 an operation that reads or produces a subnormal takes a slow microcode path. Training
/// produces them: Adam's first moment of a weight whose gradient has become zero decays by
/// β1 = 0.9 per step and spends hundreds of steps in the subnormal range (measured in a pi+
/// teacher after 2,800 steps: 1.8 million of its 12.6 million first moments). The `caloflow`
/// executable therefore runs with `.flushToZero`, which affects only values below 1.2e-38 (read
/// and written as 0): in IEEE mode a resumed pi+ teacher epoch on 2 Zen 4 cores took 7-14 %
/// longer than flushed in neighbouring runs. The embedding library leaves its caller's mode as it finds it.
///
/// The mode belongs to a thread (x86 MXCSR, AArch64 FPCR) and a new thread starts with its
/// creator's. `Parallel` and `ComputeThreads` workers compute in the mode of the thread that
/// started the loop, so a result never depends on which pool thread computed which part.
public enum SubnormalMode: String, Sendable, CaseIterable {
    /// IEEE 754 gradual underflow: subnormals are computed exactly (slowly on x86).
    case ieee
    /// Subnormal results are written as 0 and subnormal inputs read as 0 (x86 FTZ and DAZ,
    /// AArch64 FZ).
    case flushToZero = "flush-to-zero"

    /// The calling thread's mode; nil on a CPU architecture the switch does not know (then the
    /// arithmetic is whatever the platform does, normally IEEE).
    public static var current: SubnormalMode? { SubnormalMode(flag: caloFlushesSubnormals()) }

    /// Sets the calling thread's mode and returns the previous one (nil, and no change, on an
    /// unknown architecture).
    @discardableResult
    public static func set(_ mode: SubnormalMode) -> SubnormalMode? {
        SubnormalMode(flag: caloSetFlushSubnormals(mode == .flushToZero ? 1 : 0))
    }

    /// The mode the C functions report: 1 flush to zero, 0 IEEE, -1 (nil) an unknown architecture.
    private init?(flag: Int32) {
        switch flag {
        case 0: self = .ieee
        case 1: self = .flushToZero
        default: return nil
        }
    }

    /// Runs `body` on the calling thread in `mode` and restores the previous mode afterwards.
    public static func with<R>(_ mode: SubnormalMode, _ body: () throws -> R) rethrows -> R {
        let previous = set(mode)
        defer { if let previous { set(previous) } }
        return try body()
    }

    /// Runs `body` in `mode` (a worker computing in its loop's mode) and puts the thread back
    /// in its own mode afterwards, so a pool thread carries no mode over to other work; nil
    /// (an unknown architecture) runs `body` as it is.
    @inline(__always)
    static func run<R>(in mode: SubnormalMode?, _ body: () throws -> R) rethrows -> R {
        guard let mode, let own = current, own != mode else { return try body() }
        set(mode)
        defer { set(own) }
        return try body()
    }
}
