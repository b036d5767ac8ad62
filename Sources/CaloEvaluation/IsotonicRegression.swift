/// Non-decreasing least-squares fit of y on x by pool-adjacent-violators, used to calibrate
/// classifier outputs into probabilities (as sklearn's `IsotonicRegression(out_of_bounds="clip")`).
///
/// Fit: samples with equal x are first merged (weighted mean of y, summed weights); PAV then
/// pools adjacent blocks while their means decrease. Prediction interpolates linearly between
/// the fitted values at the unique x (constant inside a pooled block), and clips x outside the
/// fitted range to the end values. Fitted values are clipped to [yMin, yMax] when given.
public struct IsotonicRegression: Sendable, Equatable, Codable {
    /// Knot positions, increasing: first and last unique x of each pooled block, [knots].
    public let knotX: [Double]
    /// Fitted value at each knot, non-decreasing, [knots].
    public let knotY: [Double]

    /// Fits to samples (x, y) with optional positive weights.
    ///
    /// Throws if lengths differ, there are no samples, a value is not finite or a weight is not positive.
    public init(x: [Double], y: [Double], weights: [Double]? = nil, yMin: Double? = nil, yMax: Double? = nil) throws {
        guard x.count == y.count, weights.map({ $0.count == x.count }) ?? true else {
            throw EvaluationError("IsotonicRegression: x has \(x.count) entries, y \(y.count), weights \(weights?.count ?? x.count)")
        }
        guard !x.isEmpty else { throw EvaluationError("IsotonicRegression: no samples") }
        if let k = x.indices.first(where: { !x[$0].isFinite || !y[$0].isFinite }) {
            throw EvaluationError("IsotonicRegression: sample \(k) is not finite (x \(x[k]), y \(y[k]))")
        }
        if let w = weights, let k = w.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw EvaluationError("IsotonicRegression: weight \(k) is \(w[k]), must be positive")
        }
        if let lo = yMin, let hi = yMax, !(lo <= hi) {
            throw EvaluationError("IsotonicRegression: yMin \(lo) > yMax \(hi)")
        }

        // Merge equal x: unique sorted positions with weighted mean y.
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ux = [Double](), uy = [Double](), uw = [Double]()
        ux.reserveCapacity(x.count); uy.reserveCapacity(x.count); uw.reserveCapacity(x.count)
        for k in order {
            let w = weights?[k] ?? 1
            if let last = ux.last, last == x[k] {
                uy[uy.count - 1] += w * y[k]
                uw[uw.count - 1] += w
            } else {
                ux.append(x[k]); uy.append(w * y[k]); uw.append(w)
            }
        }
        for i in uy.indices { uy[i] /= uw[i] }

        // PAV: a stack of blocks (mean, weight, first unique index).
        var mean = [Double](), weight = [Double](), start = [Int]()
        for i in ux.indices {
            var m = uy[i], w = uw[i], s = i
            while let last = mean.last, last >= m {
                // Pooling also equal neighbours keeps one knot pair per constant stretch.
                let wl = weight.removeLast(), ml = mean.removeLast()
                s = start.removeLast()
                m = (ml * wl + m * w) / (wl + w)
                w += wl
            }
            mean.append(m); weight.append(w); start.append(s)
        }

        var kx = [Double](), ky = [Double]()
        for b in mean.indices {
            let first = start[b], last = b + 1 < start.count ? start[b + 1] - 1 : ux.count - 1
            var v = mean[b]
            if let lo = yMin { v = max(v, lo) }
            if let hi = yMax { v = min(v, hi) }
            kx.append(ux[first]); ky.append(v)
            if last > first { kx.append(ux[last]); ky.append(v) }
        }
        knotX = kx
        knotY = ky
    }

    /// Float-score convenience for calibration: x = classifier outputs, y = 0/1 labels.
    public init(scores: [Float], labels: [Float], yMin: Double? = nil, yMax: Double? = nil) throws {
        try self.init(x: scores.map { Double($0) }, y: labels.map { Double($0) }, yMin: yMin, yMax: yMax)
    }

    // MARK: - Prediction

    /// The fitted function at `x`: linear between knots, clipped to the end values outside.
    /// NaN maps to NaN.
    public func predict(_ x: Double) -> Double {
        guard !x.isNaN else { return .nan }
        let n = knotX.count
        if x <= knotX[0] { return knotY[0] }
        if x >= knotX[n - 1] { return knotY[n - 1] }
        // Largest knot index with knotX[lo] <= x.
        var lo = 0, hi = n - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if knotX[mid] <= x { lo = mid } else { hi = mid }
        }
        let t = (x - knotX[lo]) / (knotX[hi] - knotX[lo])
        return knotY[lo] + t * (knotY[hi] - knotY[lo])
    }

    /// `predict` for each value.
    public func predict(_ xs: [Double]) -> [Double] { xs.map { predict($0) } }

    /// `predict` for each Float value.
    public func predict(scores xs: [Float]) -> [Double] { xs.map { predict(Double($0)) } }
}
