import CaloTensor

/// MADE connectivity (Germain et al. 2015, arXiv:1502.03509) with nflows v0.14's sequential
/// (non-random) degree assignment.
///
/// Degrees are 1-based positions in the autoregressive order:
/// - input `i` (0-based column) has degree `i + 1`;
/// - hidden unit `j` of every hidden layer has degree `(j mod max(1, D−1)) + min(1, D−1)`,
///   i.e. 1, 2, …, D−1, 1, 2, … (all 0 when D = 1: such units see no input);
/// - the `M` outputs of feature `i` (laid out consecutively at `[i·M, (i+1)·M)`) have degree `i + 1`.
///
/// A hidden unit connects to a unit of the previous layer when `degree_out ≥ degree_in`; an
/// output connects to a last-layer hidden unit when `degree_out > degree_in` (strict), so output
/// block `i` depends on inputs `0..<i` only. With H < D−1 hidden units the degrees stop at H and
/// inputs `H..<D` (degrees H+1…D) reach no output at all; the flow's permutations mix them.
public enum MADEDegrees {
    /// Degrees of the `features` inputs: 1…D.
    public static func input(features: Int) -> [Int] { (0..<features).map { $0 + 1 } }

    /// Degrees of the `hidden` units of any hidden layer, for `features` inputs.
    public static func hidden(features: Int, hidden: Int) -> [Int] {
        let period = max(1, features - 1), offset = min(1, features - 1)
        return (0..<hidden).map { ($0 % period) + offset }
    }

    /// Degrees of the `features · multiplier` outputs: feature `i`'s degree `i + 1`, repeated
    /// `multiplier` times consecutively.
    public static func output(features: Int, multiplier: Int) -> [Int] {
        var d = [Int](); d.reserveCapacity(features * multiplier)
        for i in 0..<features { for _ in 0..<multiplier { d.append(i + 1) } }
        return d
    }

    /// The 0/1 mask `[outputs, inputs]` (PyTorch weight layout) of a masked linear layer:
    /// entry `(o, i)` is 1 when `outDegrees[o] ≥ inDegrees[i]` (`>` when `strict`).
    public static func mask(outDegrees: [Int], inDegrees: [Int], strict: Bool) -> Matrix {
        var m = Matrix(rows: outDegrees.count, cols: inDegrees.count)
        let n = inDegrees.count
        m.withUnsafeMutableBufferPointer { p in
            inDegrees.withUnsafeBufferPointer { ind in
                for o in 0..<outDegrees.count {
                    let dOut = outDegrees[o], row = p.baseAddress! + o * n
                    if strict {
                        for i in 0..<n where dOut > ind[i] { row[i] = 1 }
                    } else {
                        for i in 0..<n where dOut >= ind[i] { row[i] = 1 }
                    }
                }
            }
        }
        return m
    }
}
