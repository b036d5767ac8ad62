import CaloTensor
import Glibc

/// How per-element losses are reduced to one number.
public enum LossReduction: String, Codable, Sendable {
    /// Mean over all elements.
    case mean
    /// Sum over all elements.
    case sum
    /// Sum over the features of each row (sample), then mean over the rows: CaloFlow's
    /// distillation ‖a − b‖² and a flow's mean negative log-likelihood (PyTorch's "batchmean").
    case batchMean
}

extension LossReduction {
    /// The factor that turns the elementwise sum into the reduced value for a `[rows, cols]` input.
    @inlinable func factor(rows: Int, cols: Int) -> Double {
        switch self {
        case .mean: return 1 / Double(max(1, rows * cols))
        case .sum: return 1
        case .batchMean: return 1 / Double(max(1, rows))
        }
    }
}

@inline(__always) private func checkSameShape(_ a: Matrix, _ b: Matrix, _ name: String) {
    precondition(a.rows == b.rows && a.cols == b.cols,
                 "\(name): shapes differ, \(a.rows)x\(a.cols) vs \(b.rows)x\(b.cols)")
}

// MARK: - Binary cross-entropy

/// Binary cross-entropy on logits, ℓ = −[t ln σ(x) + (1 − t) ln(1 − σ(x))], in the stable form
/// ℓ = max(x, 0) − x·t + ln(1 + e^(−|x|)) (finite for any finite logit; ≈ |x| at |x| = 50).
///
/// - Parameters:
///   - logits: `[batch, k]` raw scores x.
///   - targets: same shape, values in [0, 1] (labels or soft targets).
///   - factor: replaces the reduction's factor when given. A shard of a batch (data-parallel
///     training) passes 1/(elements of the whole batch): the shards' values and gradients are
///     then the parts of the batch mean, computed with the batch's factor.
/// - Returns: the reduced loss (summed in Double) and dℓ/dx = (σ(x) − t)·factor, same shape.
public func binaryCrossEntropyWithLogits(logits: Matrix, targets: Matrix, reduction: LossReduction = .mean,
                                         factor: Double? = nil) -> (value: Double, gradient: Matrix) {
    checkSameShape(logits, targets, "binaryCrossEntropyWithLogits")
    let f = factor ?? reduction.factor(rows: logits.rows, cols: logits.cols)
    var grad = Matrix(rows: logits.rows, cols: logits.cols)
    var total = 0.0
    logits.withUnsafeBufferPointer { px in
        targets.withUnsafeBufferPointer { pt in
            grad.withUnsafeMutableBufferPointer { pg in
                for k in 0..<px.count {
                    let x = Double(px[k]), t = Double(pt[k])
                    total += max(x, 0) - x * t + Glibc.log1p(Glibc.exp(-abs(x)))
                    pg[k] = Float((sigmoid(x) - t) * f)
                }
            }
        }
    }
    return (total * f, grad)
}

// MARK: - Squared error

/// Squared error Σ (p − t)², reduced by `reduction`: `.mean` is PyTorch's `MSELoss`,
/// `.batchMean` is CaloFlow's distillation term (per-sample sum, then batch mean).
///
/// - Parameters: predictions, targets: `[batch, features]`, same shape.
/// - Returns: the loss (summed in Double) and d/dp = 2 (p − t)·factor.
public func meanSquaredError(predictions: Matrix, targets: Matrix,
                             reduction: LossReduction = .mean) -> (value: Double, gradient: Matrix) {
    checkSameShape(predictions, targets, "meanSquaredError")
    let f = reduction.factor(rows: predictions.rows, cols: predictions.cols)
    let g2 = Float(2 * f)
    var grad = Matrix(rows: predictions.rows, cols: predictions.cols)
    var total = 0.0
    predictions.withUnsafeBufferPointer { pp in
        targets.withUnsafeBufferPointer { pt in
            grad.withUnsafeMutableBufferPointer { pg in
                for k in 0..<pp.count {
                    let d = pp[k] - pt[k]
                    total += Double(d) * Double(d)
                    pg[k] = g2 * d
                }
            }
        }
    }
    return (total * f, grad)
}

// MARK: - Gaussian negative log-likelihood

/// Negative log-density of a standard normal base, per row −ln N(z; 0, I_D) =
/// ½ Σ_j z_j² + (D/2) ln 2π, reduced over rows by `reduction` (default `.batchMean`: the mean
/// per-sample NLL in nats; `.mean` additionally divides by D, i.e. nats per dimension).
///
/// A flow's loss is this minus the mean log|det J|; the caller adds that term.
/// - Parameter z: `[batch, D]` latent values.
/// - Returns: the loss (summed in Double) and d/dz = z·factor.
public func gaussianNegativeLogLikelihood(_ z: Matrix,
                                          reduction: LossReduction = .batchMean) -> (value: Double, gradient: Matrix) {
    let f = reduction.factor(rows: z.rows, cols: z.cols)
    let halfLog2Pi = 0.5 * Glibc.log(2 * Double.pi)
    var grad = Matrix(rows: z.rows, cols: z.cols)
    var squares = 0.0
    let ff = Float(f)
    z.withUnsafeBufferPointer { pz in
        grad.withUnsafeMutableBufferPointer { pg in
            for k in 0..<pz.count {
                let v = pz[k]
                squares += Double(v) * Double(v)
                pg[k] = v * ff
            }
        }
    }
    let total = 0.5 * squares + halfLog2Pi * Double(z.count)
    return (total * f, grad)
}
