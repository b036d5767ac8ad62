import CaloData

/// The longitudinal structure of the CaloGAN stack: the exact piecewise depth → X0 and
/// depth → λ_I maps, and the step grid the shower loops walk.
///
/// Depth d (mm) = z + 240 mm is measured from the front face. Each period is absorber
/// (upstream) then active. Steps are the physical periods, split where a readout-layer
/// boundary falls inside a period: for CaloGAN 80 periods + 1 split at 437 mm = 81 steps.
/// Layer boundaries 0, 90, 437, 480 mm ↔ 0, 5.772, 28.083, 30.784 X0 ↔ 0, 0.240, 1.167, 1.281 λ_I.
///
/// A grid can also be built from a `DetectorStack` of different sections (CaloChallenge
/// dataset 1): then `stack` is set, the maps follow the sections, `medium` is the reference
/// medium of the electromagnetic showers, and steps in sections without a readout layer carry
/// `layer == readoutLayerCount` (energy there is not recorded).
public struct DepthGrid: Sendable {
    /// One longitudinal step: a depth interval inside a single readout layer.
    public struct Step: Sendable, Equatable {
        /// Depth interval in mm.
        public var depthLow: Double, depthHigh: Double
        /// The same interval in radiation lengths.
        public var x0Low: Double, x0High: Double
        /// The same interval in nuclear interaction lengths.
        public var lambdaLow: Double, lambdaHigh: Double
        /// Readout layer (0, 1 or 2 for CaloGAN); `readoutLayerCount` for a step of a stack
        /// section whose energy is not recorded.
        public var layer: Int
    }

    public let medium: SamplingMedium
    /// Number of periods (80).
    public let periodCount: Int
    /// Layer boundaries in mm (count = layers + 1), first 0, last the total depth.
    public let layerBoundaries: [Double]
    /// The steps, front to back.
    public let steps: [Step]
    /// The sections, for a grid built from a `DetectorStack`; nil for a periodic stack.
    public let stack: DetectorStack?
    /// Number of readout layers.
    public let readoutLayerCount: Int

    /// - Parameters: `layerBoundaries` in mm, increasing, from 0 to periodCount × period.
    public init(medium: SamplingMedium = .caloGAN, periodCount: Int = 80,
                layerBoundaries: [Double] = CaloGANGeometry.layerDepthBoundaries) {
        self.medium = medium
        self.periodCount = periodCount
        self.layerBoundaries = layerBoundaries
        let period = medium.absorberThickness + medium.activeThickness
        var cuts: [Double] = (0...periodCount).map { Double($0) * period }
        for b in layerBoundaries where !cuts.contains(where: { abs($0 - b) < 1e-9 }) { cuts.append(b) }
        cuts.sort()
        var s: [Step] = []
        for k in 0..<(cuts.count - 1) {
            let lo = cuts[k], hi = cuts[k + 1]
            var layer = 0
            while layer + 2 < layerBoundaries.count && lo >= layerBoundaries[layer + 1] - 1e-9 { layer += 1 }
            s.append(Step(depthLow: lo, depthHigh: hi, x0Low: 0, x0High: 0, lambdaLow: 0, lambdaHigh: 0, layer: layer))
        }
        // X0 / λ_I values from the exact piecewise map.
        var filled = s
        for i in filled.indices {
            filled[i].x0Low = DepthGrid.map(filled[i].depthLow, medium: medium, periodCount: periodCount, radiation: true)
            filled[i].x0High = DepthGrid.map(filled[i].depthHigh, medium: medium, periodCount: periodCount, radiation: true)
            filled[i].lambdaLow = DepthGrid.map(filled[i].depthLow, medium: medium, periodCount: periodCount, radiation: false)
            filled[i].lambdaHigh = DepthGrid.map(filled[i].depthHigh, medium: medium, periodCount: periodCount, radiation: false)
        }
        steps = filled
        stack = nil
        readoutLayerCount = layerBoundaries.count - 1
    }

    /// The grid of a stack of sections; `medium` is the reference medium of electromagnetic
    /// showers (`periodCount` and `layerBoundaries` are not meaningful for such a grid: they
    /// are 0 and [0, total depth]).
    public init(stack: DetectorStack, medium: SamplingMedium) {
        self.medium = medium
        self.stack = stack
        periodCount = 0
        layerBoundaries = [0, stack.totalDepth]
        readoutLayerCount = stack.readoutLayerCount
        var s: [Step] = []
        for (i, section) in stack.sections.enumerated() {
            let start = stack.boundaries[i]
            var cuts: [Double]
            switch section.kind {
            case .sampling(let m, let n):
                let period = m.absorberThickness + m.activeThickness
                cuts = stride(from: 0, to: n, by: section.periodsPerStep).map { Double($0) * period } + [Double(n) * period]
            case .homogeneous(_, let t):
                cuts = (0...section.periodsPerStep).map { t * Double($0) / Double(section.periodsPerStep) }
            }
            let layer = section.readoutLayer ?? stack.readoutLayerCount
            for k in 0..<(cuts.count - 1) {
                let lo = cuts[k], hi = cuts[k + 1]
                s.append(Step(depthLow: start + lo, depthHigh: start + hi,
                              x0Low: stack.boundariesX0[i] + section.lengths(at: lo, radiation: true),
                              x0High: stack.boundariesX0[i] + section.lengths(at: hi, radiation: true),
                              lambdaLow: stack.boundariesLambda[i] + section.lengths(at: lo, radiation: false),
                              lambdaHigh: stack.boundariesLambda[i] + section.lengths(at: hi, radiation: false),
                              layer: layer))
            }
        }
        steps = s
    }

    /// The CaloGAN grid (80 periods of 2 mm Pb + 4 mm LAr, layers split at 90 and 437 mm).
    public static let caloGAN = DepthGrid()

    // MARK: - Depth maps

    /// Total depth in mm (480).
    public var totalDepth: Double {
        if let stack { return stack.totalDepth }
        return Double(periodCount) * (medium.absorberThickness + medium.activeThickness)
    }

    /// Radiation lengths traversed from the front face to depth `d` mm (exact Pb/LAr map;
    /// clamped to [0, total depth]).
    public func radiationLengths(atDepth d: Double) -> Double {
        if let stack { return stack.lengths(atDepth: d, radiation: true) }
        return DepthGrid.map(d, medium: medium, periodCount: periodCount, radiation: true)
    }

    /// Nuclear interaction lengths traversed from the front face to depth `d` mm.
    public func interactionLengths(atDepth d: Double) -> Double {
        if let stack { return stack.lengths(atDepth: d, radiation: false) }
        return DepthGrid.map(d, medium: medium, periodCount: periodCount, radiation: false)
    }

    /// The electromagnetic medium of a shower starting at X0 depth `t`: for a stack, the
    /// medium of the first sampling section at or behind `t` (a shower that starts in dead
    /// material or a thin presampler develops mostly in the calorimeter behind it), `medium`
    /// if there is none; for a periodic grid always `medium`.
    public func emMedium(atX0 t: Double) -> SamplingMedium {
        guard let stack else { return medium }
        for section in stack.sections[stack.sectionIndex(atX0: t)...] {
            if case .sampling(let m, _) = section.kind { return m }
        }
        return medium
    }

    /// Layer boundaries in X0 (0, 5.772, 28.083, 30.784 for CaloGAN).
    public var layerBoundariesX0: [Double] { layerBoundaries.map { radiationLengths(atDepth: $0) } }

    /// Index of the step containing X0 depth `t`, or nil if `t` is outside the stack.
    public func stepIndex(atX0 t: Double) -> Int? {
        guard t >= 0, let last = steps.last, t < last.x0High else { return nil }
        var lo = 0, hi = steps.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if steps[mid].x0Low <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    static func map(_ depth: Double, medium: SamplingMedium, periodCount: Int, radiation: Bool) -> Double {
        let a = medium.absorberThickness, g = medium.activeThickness, period = a + g
        let la = radiation ? medium.absorber.radiationLengthMM : medium.absorber.interactionLengthMM
        let lg = radiation ? medium.active.radiationLengthMM : medium.active.interactionLengthMM
        let d = min(max(depth, 0), Double(periodCount) * period)
        var k = (d / period).rounded(.down)
        if k >= Double(periodCount) { k = Double(periodCount) - 1 }
        let r = d - k * period
        let perPeriod = a / la + g / lg
        let inPeriod = r <= a ? r / la : a / la + (r - a) / lg
        return k * perPeriod + inPeriod
    }
}
