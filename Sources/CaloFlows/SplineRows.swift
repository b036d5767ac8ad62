import CaloTensor
import CSplineKernels

/// Row-parallel drivers of the spline kernels: splits [rows, features] element arrays over
/// the workers of `Parallel` (each worker handles whole rows, so results do not depend on the
/// worker count).
public enum SplineRows {
    /// Rows per worker below which a second worker does not pay for its wake-up (~0.3 ms of work).
    static let minimumRowsPerWorker = 32

    /// - Parameter elementwise: use the one-element-at-a-time kernel instead of the 8-lane one
    ///   (same results bit for bit; the benchmark's baseline).
    public static func map(_ spline: RationalQuadraticSpline, inverse: Bool,
                           _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ ld: UnsafeMutablePointer<Float>,
                           rows: Int, features d: Int, elementwise: Bool = false) {
        let m = spline.parameterCount
        let xs = UnsafeSendable(x), ps = UnsafeSendable(p), ys = UnsafeSendable(y), ls = UnsafeSendable(ld)
        Parallel.forEachChunk(rows, minChunk: minimumRowsPerWorker) { r in
            let o = r.lowerBound * d, n = r.count * d
            if elementwise {
                spline.mapElementwise(inverse: inverse, inputs: xs.value + o, params: ps.value + o * m,
                                      outputs: ys.value + o, logDerivatives: ls.value + o, count: n)
            } else if inverse {
                spline.inverse(inputs: xs.value + o, params: ps.value + o * m, outputs: ys.value + o,
                               logDerivatives: ls.value + o, count: n)
            } else {
                spline.forward(inputs: xs.value + o, params: ps.value + o * m, outputs: ys.value + o,
                               logDerivatives: ls.value + o, count: n)
            }
        }
    }

    /// Rows of a feature group gathered into one contiguous buffer per kernel call.
    static let gatherRows = 64

    /// The map for the features `columns` of every row, with parameters from a buffer holding
    /// only those features (`p` is `[rows, columns.count · M]`); `x`, `y` and `ld` are whole
    /// `[rows, d]` arrays. Used with `MADE.forwardInFeatureGroups`.
    ///
    /// The group's inputs of up to `gatherRows` rows are copied into one contiguous buffer and
    /// mapped in one kernel call, and the outputs copied back: a group of n features row by row
    /// would leave n mod 8 elements per row to the scalar kernel (dataset 2's 144 features come
    /// in groups of 9: one element in nine, at several times the cost of a lane) and pay a call
    /// per row. Every element gets the same bits through a lane as through the scalar kernel
    /// (`SplineLanes`), so the results do not depend on the gathering.
    static func map(_ spline: RationalQuadraticSpline, inverse: Bool, columns: Range<Int>,
                    _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                    _ y: UnsafeMutablePointer<Float>, _ ld: UnsafeMutablePointer<Float>,
                    rows: Int, features d: Int) {
        let m = spline.parameterCount, n = columns.count, f0 = columns.lowerBound
        let xs = UnsafeSendable(x), ps = UnsafeSendable(p), ys = UnsafeSendable(y), ls = UnsafeSendable(ld)
        // A group has about d / 16 features: a worker needs more rows than for whole rows.
        Parallel.forEachChunk(rows, minChunk: minimumRowsPerWorker * max(1, d / max(1, n))) { r in
            let chunk = min(r.count, gatherRows)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * chunk * n) { buffer in
                let gx = buffer.baseAddress!, gy = gx + chunk * n, gl = gy + chunk * n
                var lo = r.lowerBound
                while lo < r.upperBound {
                    let hi = min(r.upperBound, lo + chunk)
                    // The inputs are a strided column block of a matrix that the products since
                    // it was last read have pushed out of the caches: ask for the row after next early.
                    for row in lo..<hi {
                        let src = xs.value + row * d + f0
                        if row + 2 < hi {
                            let next = src + 2 * d
                            caloflow_prefetch(next); caloflow_prefetch(next + 16); caloflow_prefetch(next + n - 1)
                        }
                        (gx + (row - lo) * n).update(from: src, count: n)
                    }
                    let count = (hi - lo) * n, po = ps.value + lo * n * m
                    if inverse {
                        spline.inverse(inputs: gx, params: po, outputs: gy, logDerivatives: gl, count: count)
                    } else {
                        spline.forward(inputs: gx, params: po, outputs: gy, logDerivatives: gl, count: count)
                    }
                    for row in lo..<hi {
                        let o = row * d + f0, g = (row - lo) * n
                        (ys.value + o).update(from: gy + g, count: n)
                        (ls.value + o).update(from: gl + g, count: n)
                    }
                    lo = hi
                }
            }
        }
    }

    /// - Parameter elementwise: the one-element-at-a-time kernel (the benchmark's baseline).
    public static func backward(_ spline: RationalQuadraticSpline, inverse: Bool,
                                _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                                _ gy: UnsafePointer<Float>?, _ gl: UnsafePointer<Float>?,
                                _ gx: UnsafeMutablePointer<Float>, _ gp: UnsafeMutablePointer<Float>,
                                rows: Int, features d: Int, elementwise: Bool = false) {
        let m = spline.parameterCount
        let xs = UnsafeSendable(x), ps = UnsafeSendable(p), gys = UnsafeSendable(gy), gls = UnsafeSendable(gl)
        let gxs = UnsafeSendable(gx), gps = UnsafeSendable(gp)
        Parallel.forEachChunk(rows, minChunk: minimumRowsPerWorker) { r in
            let o = r.lowerBound * d, n = r.count * d
            let gyo = gys.value.map { $0 + o }, glo = gls.value.map { $0 + o }
            if elementwise {
                spline.backwardElementwise(inverse: inverse, inputs: xs.value + o, params: ps.value + o * m,
                                           outputGradients: gyo, logDerivativeGradients: glo,
                                           inputGradients: gxs.value + o, paramGradients: gps.value + o * m, count: n)
            } else if inverse {
                spline.inverseBackward(inputs: xs.value + o, params: ps.value + o * m, outputGradients: gyo,
                                       logDerivativeGradients: glo, inputGradients: gxs.value + o,
                                       paramGradients: gps.value + o * m, count: n)
            } else {
                spline.forwardBackward(inputs: xs.value + o, params: ps.value + o * m, outputGradients: gyo,
                                       logDerivativeGradients: glo, inputGradients: gxs.value + o,
                                       paramGradients: gps.value + o * m, count: n)
            }
        }
    }
}
