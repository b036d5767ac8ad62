import CaloTensor

/// Where the gradients of a fixed list of parameters live in one flat Float buffer, and which of
/// their entries can ever be non-zero.
///
/// Parameter i occupies `offsets[i] ..< offsets[i] + parameters[i].count`, row-major like its
/// value. Entries where the parameter's `mask` is 0 (MADE connectivity) are structurally zero:
/// no backward pass leaves anything there, so sums, copies and messages skip them. The rest, the
/// *live* entries, form `liveRuns`: maximal runs of consecutive flat indices in increasing order.
/// Their concatenation is the *packed* form of a gradient (`liveCount` floats), the one flat
/// message data-parallel training exchanges per step.
public struct GradientLayout: Sendable {
    /// Number of parameters.
    public let parameterCount: Int
    /// Entries of each parameter.
    public let counts: [Int]
    /// Start of each parameter in the flat buffer.
    public let offsets: [Int]
    /// All entries, masked ones included.
    public let count: Int
    /// Live entries (mask 1, or no mask) as flat runs, increasing and non-adjacent.
    public let liveRuns: [Range<Int>]
    /// Start of each live run in the packed form (prefix sums of the run lengths).
    public let packedStarts: [Int]
    /// Number of live entries (the length of the packed form).
    public let liveCount: Int
    /// Live runs of each parameter, as indices into `liveRuns`.
    public let runsOfParameter: [Range<Int>]

    /// Every live entry as pieces of at most 2^16 entries, in order, and the piece boundaries
    /// of chunks of about 2^18 entries (`chunkBounds[c] ..< chunkBounds[c + 1]`): the units of
    /// parallel loops over a gradient.
    public let pieces: [Piece]
    public let chunkBounds: [Int]

    private let indexOf: [ObjectIdentifier: Int]

    /// - Parameter parameters: each parameter once; masks, when present, hold only 0 and 1.
    public init(_ parameters: [Parameter]) {
        parameterCount = parameters.count
        counts = parameters.map(\.count)
        var offsets = [Int](), runs = [Range<Int>](), perParameter = [Range<Int>]()
        var index = [ObjectIdentifier: Int]()
        var at = 0
        for (i, p) in parameters.enumerated() {
            precondition(index[ObjectIdentifier(p)] == nil, "parameter \(p.name) is listed twice")
            index[ObjectIdentifier(p)] = i
            offsets.append(at)
            let first = runs.count
            if let mask = p.mask {
                mask.withUnsafeBufferPointer { m in
                    var k = 0
                    while k < m.count {
                        guard m[k] != 0 else { k += 1; continue }
                        let start = k
                        while k < m.count && m[k] != 0 { k += 1 }
                        runs.append((at + start)..<(at + k))
                    }
                }
            } else if p.count > 0 {
                runs.append(at..<(at + p.count))
            }
            perParameter.append(first..<runs.count)
            at += p.count
        }
        self.offsets = offsets
        count = at
        liveRuns = runs
        runsOfParameter = perParameter
        var starts = [Int](), live = 0
        starts.reserveCapacity(runs.count)
        for r in runs { starts.append(live); live += r.count }
        packedStarts = starts
        liveCount = live
        indexOf = index
        pieces = Self.cut(runs: runs, starts: starts, packed: 0..<live, maxPiece: 1 << 16)
        var bounds = [0], sum = 0
        for (k, piece) in pieces.enumerated() {
            sum += piece.count
            if sum >= 1 << 18 { bounds.append(k + 1); sum = 0 }
        }
        if bounds.last != pieces.count { bounds.append(pieces.count) }
        chunkBounds = bounds
    }

    /// The index of `parameter` in the layout, or nil when it is not one of its parameters.
    public func index(of parameter: Parameter) -> Int? { indexOf[ObjectIdentifier(parameter)] }

    // MARK: - Work split

    /// A piece of the live entries: flat indices `flat ..< flat + count`, packed from `packed`.
    public struct Piece: Sendable, Equatable {
        public var flat: Int
        public var packed: Int
        public var count: Int
    }

    /// The live entries whose packed index lies in `range`, as pieces of at most `maxPiece`
    /// entries each, in packed order.
    public func pieces(packed range: Range<Int>, maxPiece: Int = 1 << 16) -> [Piece] {
        Self.cut(runs: liveRuns, starts: packedStarts, packed: range, maxPiece: maxPiece)
    }

    private static func cut(runs liveRuns: [Range<Int>], starts packedStarts: [Int], packed range: Range<Int>,
                            maxPiece: Int) -> [Piece] {
        guard !range.isEmpty, !liveRuns.isEmpty else { return [] }
        // The last run starting at or before range.lowerBound.
        var lo = 0, hi = packedStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if packedStarts[mid] <= range.lowerBound { lo = mid } else { hi = mid - 1 }
        }
        var out = [Piece]()
        var run = lo
        var p = range.lowerBound
        while p < range.upperBound && run < liveRuns.count {
            let runStart = packedStarts[run], runEnd = runStart + liveRuns[run].count
            if p >= runEnd { run += 1; continue }
            let end = min(runEnd, range.upperBound, p + max(1, maxPiece))
            out.append(Piece(flat: liveRuns[run].lowerBound + (p - runStart), packed: p, count: end - p))
            p = end
        }
        return out
    }
}
