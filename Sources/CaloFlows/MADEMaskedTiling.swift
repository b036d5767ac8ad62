import CaloTensor

/// Block-sparse plan for the products of one MADE masked linear layer
/// `Y[B, out] = X[B, in] · Wᵀ` with `W` stored `[out, in]` (PyTorch layout) and a degree mask.
///
/// A degree mask is block-triangular when the units are ordered by degree: output units of
/// low degree need only the inputs of lower degree. The plan splits the output units into row
/// groups, gives each group the input columns it actually needs (contiguous runs; runs separated
/// by at most `mergeGap` columns are joined, so interleaved degrees such as 1, 2, 1, 2 still give
/// one tile), and joins vertically adjacent tiles with equal columns. Each tile is then one sgemm;
/// all-zero blocks are never touched.
///
/// Correctness relies on masked-out weights being exactly 0 (MADE applies the mask once at
/// initialisation, optimizers keep `Parameter.mask` entries at 0): tiles include some masked
/// entries near the block diagonal, which then contribute nothing to `Y` or `dX`. The weight
/// gradient of those entries is reset to 0 after each accumulation (`zeroRuns`).
public struct MADEMaskedTiling: Sendable {
    /// One dense sub-block of the weight: output units `rows`, input units `columns`.
    public struct Tile: Sendable, Equatable {
        public var rows: Range<Int>
        public var columns: Range<Int>
    }

    /// Output units (rows of the weight).
    public let outputs: Int
    /// Input units (columns of the weight).
    public let inputs: Int
    /// Disjoint tiles covering every connection of the mask.
    public let tiles: [Tile]
    /// The row groups the plan was cut into, in order (they partition `0..<outputs`); every
    /// tile lies within a run of whole groups.
    public let rowGroups: [Range<Int>]
    /// Number of connections (ones of the mask): the useful multiply-adds per batch row.
    public let connections: Int
    /// Masked-out entries inside tiles as flattened (row, start, end) column runs.
    let zeroRuns: [Int32]

    /// Multiply-adds per batch row actually performed by the tiles (≥ `connections`).
    public var tiledEntries: Int { tiles.reduce(0) { $0 + $1.rows.count * $1.columns.count } }

    /// - Parameters:
    ///   - outDegrees, inDegrees: MADE degrees of the output and input units.
    ///   - strict: `true` for the output layer (`>`), `false` for hidden layers (`≥`).
    ///   - rowGroupSize: output units per row group (a multiple of the output multiplier for
    ///     the final layer, so a group holds whole features).
    ///   - mergeGap: input runs separated by at most this many columns are joined into one tile.
    public init(outDegrees: [Int], inDegrees: [Int], strict: Bool, rowGroupSize: Int, mergeGap: Int = 32) {
        outputs = outDegrees.count
        inputs = inDegrees.count
        @inline(__always) func connected(_ o: Int, _ i: Int) -> Bool { strict ? o > i : o >= i }

        // MARK: - Row groups and their needed column runs
        var raw = [Tile]()
        var groups = [Range<Int>]()
        var r0 = 0
        let group = max(1, rowGroupSize)
        while r0 < outputs {
            let r1 = min(outputs, r0 + group)
            groups.append(r0..<r1)
            let maxDegree = outDegrees[r0..<r1].max()!
            var runs = [Range<Int>]()
            var i = 0
            while i < inputs {
                if connected(maxDegree, inDegrees[i]) {
                    let start = i
                    while i < inputs && connected(maxDegree, inDegrees[i]) { i += 1 }
                    if let last = runs.last, start - last.upperBound <= mergeGap {
                        runs[runs.count - 1] = last.lowerBound..<i
                    } else {
                        runs.append(start..<i)
                    }
                } else {
                    i += 1
                }
            }
            for run in runs { raw.append(Tile(rows: r0..<r1, columns: run)) }
            r0 = r1
        }

        // MARK: - Join vertically adjacent tiles with equal columns
        var joined = [Tile]()
        for t in raw {
            if let k = joined.firstIndex(where: { $0.columns == t.columns && $0.rows.upperBound == t.rows.lowerBound }) {
                joined[k].rows = joined[k].rows.lowerBound..<t.rows.upperBound
            } else {
                joined.append(t)
            }
        }
        tiles = joined
        rowGroups = groups

        // MARK: - Masked entries inside tiles, and the connection count
        var zr = [Int32]()
        for t in joined {
            for r in t.rows {
                var c = t.columns.lowerBound
                while c < t.columns.upperBound {
                    if !connected(outDegrees[r], inDegrees[c]) {
                        let start = c
                        while c < t.columns.upperBound && !connected(outDegrees[r], inDegrees[c]) { c += 1 }
                        zr.append(Int32(r)); zr.append(Int32(start)); zr.append(Int32(c))
                    } else {
                        c += 1
                    }
                }
            }
        }
        zeroRuns = zr
        // Inputs per degree, then a prefix sum: inputs with degree ≤ d.
        let top = max(outDegrees.max() ?? 0, inDegrees.max() ?? 0) + 1
        var atMost = [Int](repeating: 0, count: top + 1)
        for i in inDegrees where i >= 0 { atMost[min(i, top)] += 1 }
        for k in 1..<atMost.count { atMost[k] += atMost[k - 1] }
        var count = 0
        for o in outDegrees {
            let limit = strict ? o - 1 : o
            if limit >= 0 { count += atMost[min(limit, top)] }
        }
        connections = count
    }

    // MARK: - Products (raw row-major buffers; `batch` rows)

    /// `y += x · Wᵀ` over the tiles (`y` is usually pre-filled with the bias).
    public func forward(batch: Int, x: UnsafePointer<Float>, ldx: Int, weight: UnsafePointer<Float>,
                        y: UnsafeMutablePointer<Float>, ldy: Int) {
        for t in tiles {
            BLAS.sgemm(transB: true, m: batch, n: t.rows.count, k: t.columns.count,
                       a: x + t.columns.lowerBound, lda: ldx,
                       b: weight + t.rows.lowerBound * inputs + t.columns.lowerBound, ldb: inputs,
                       beta: 1, c: y + t.rows.lowerBound, ldc: ldy)
        }
    }

    /// `y += x · Wᵀ` restricted to the output units `rows`: `y` points at the column of unit
    /// `rows.lowerBound`, so a caller can fill a buffer that holds only those units.
    ///
    /// Each output element is accumulated over the same tile columns as in `forward`, but a tile
    /// cut by `rows` becomes a narrower product, which OpenBLAS may round differently.
    public func forward(rows: Range<Int>, batch: Int, x: UnsafePointer<Float>, ldx: Int, weight: UnsafePointer<Float>,
                        y: UnsafeMutablePointer<Float>, ldy: Int) {
        for t in tiles {
            let lo = max(t.rows.lowerBound, rows.lowerBound), hi = min(t.rows.upperBound, rows.upperBound)
            guard lo < hi else { continue }
            BLAS.sgemm(transB: true, m: batch, n: hi - lo, k: t.columns.count,
                       a: x + t.columns.lowerBound, lda: ldx,
                       b: weight + lo * inputs + t.columns.lowerBound, ldb: inputs,
                       beta: 1, c: y + (lo - rows.lowerBound), ldc: ldy)
        }
    }

    /// `dx += dy · W` over the tiles.
    public func backwardInput(batch: Int, dy: UnsafePointer<Float>, lddy: Int, weight: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>, lddx: Int) {
        for t in tiles {
            BLAS.sgemm(m: batch, n: t.columns.count, k: t.rows.count,
                       a: dy + t.rows.lowerBound, lda: lddy,
                       b: weight + t.rows.lowerBound * inputs + t.columns.lowerBound, ldb: inputs,
                       beta: 1, c: dx + t.columns.lowerBound, ldc: lddx)
        }
    }

    /// `gradient += dyᵀ · x` over the tiles, then masked-out entries reset to exactly 0.
    public func backwardWeight(batch: Int, dy: UnsafePointer<Float>, lddy: Int, x: UnsafePointer<Float>, ldx: Int,
                               gradient: UnsafeMutablePointer<Float>) {
        for t in tiles {
            BLAS.sgemm(transA: true, m: t.rows.count, n: t.columns.count, k: batch,
                       a: dy + t.rows.lowerBound, lda: lddy,
                       b: x + t.columns.lowerBound, ldb: ldx,
                       beta: 1, c: gradient + t.rows.lowerBound * inputs + t.columns.lowerBound, ldc: inputs)
        }
        zeroRuns.withUnsafeBufferPointer { z in
            var k = 0
            while k < z.count {
                let base = Int(z[k]) * inputs
                for c in Int(z[k + 1])..<Int(z[k + 2]) { gradient[base + c] = 0 }
                k += 3
            }
        }
    }
}
