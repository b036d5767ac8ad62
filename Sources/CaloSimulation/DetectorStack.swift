#if canImport(Glibc)
import Glibc
#endif

/// A longitudinal stack made of different sections, front to back: sampling sections (a
/// periodic absorber/active medium, e.g. lead/liquid argon or iron/scintillator) and
/// homogeneous sections (dead material such as a cryostat wall, or a thin active layer such as
/// a presampler). Each section belongs to one readout layer of the geometry, or to none: energy
/// deposited there is not recorded (the non-voxelised material of CaloChallenge dataset 1).
///
/// Depth d (mm) is measured from the front face along the particle's direction; the shower axis
/// is perpendicular to the planes (a planar approximation of cylindrical layers).
/// `DepthGrid(stack:)` turns a stack into the step grid the shower loops walk; its depth maps
/// (mm → X0, mm → λ_I) are exact, period by period, inside sampling sections (absorber upstream
/// in each period) and linear inside homogeneous sections.
public struct DetectorStack: Sendable, Equatable {
    /// One section of the stack.
    public struct Section: Sendable, Equatable {
        /// What the section is made of.
        public enum Kind: Sendable, Equatable {
            /// `periods` periods of a sampling medium (absorber upstream, then active).
            case sampling(SamplingMedium, periods: Int)
            /// `thickness` mm of one material.
            case homogeneous(Material, thickness: Double)
        }

        /// Name for people, e.g. "EM middle (EMB2)".
        public var name: String
        public var kind: Kind
        /// Index of the readout layer in the geometry's `layers` (0..<layerCount), or nil when
        /// the energy deposited here is not recorded.
        public var readoutLayer: Int?
        /// Longitudinal steps of the shower loops: a sampling section uses one step per
        /// `periodsPerStep` periods (the last step takes the rest); a homogeneous section is
        /// cut into `periodsPerStep` equal steps.
        public var periodsPerStep: Int

        public init(name: String, kind: Kind, readoutLayer: Int?, periodsPerStep: Int = 1) {
            precondition(periodsPerStep >= 1, "a section needs at least one period per step")
            self.name = name
            self.kind = kind
            self.readoutLayer = readoutLayer
            self.periodsPerStep = periodsPerStep
        }

        /// Thickness in mm.
        public var thickness: Double {
            switch kind {
            case .sampling(let m, let n): return Double(n) * (m.absorberThickness + m.activeThickness)
            case .homogeneous(_, let t): return t
            }
        }

        /// Radiation lengths (radiation true) or nuclear interaction lengths crossed from the
        /// section's front to `d` mm inside it (clamped to the section).
        public func lengths(at d: Double, radiation: Bool) -> Double {
            switch kind {
            case .sampling(let m, let n):
                return DepthGrid.map(d, medium: m, periodCount: n, radiation: radiation)
            case .homogeneous(let mat, let t):
                let x = min(max(d, 0), t)
                return x / (radiation ? mat.radiationLengthMM : mat.interactionLengthMM)
            }
        }

        /// Mean energy loss of a minimum-ionising particle per mm of this section, MeV/mm
        /// (absorber and active together; dE/dx_min · ρ).
        public var mipLossPerMM: Double {
            switch kind {
            case .sampling(let m, _):
                return (m.absorber.minimumIonization * m.absorber.density * m.absorberThickness
                        + m.active.minimumIonization * m.active.density * m.activeThickness)
                    / 10 / (m.absorberThickness + m.activeThickness)
            case .homogeneous(let mat, _):
                return mat.minimumIonization * mat.density / 10
            }
        }

        /// Landau width ξ of a MIP's loss per mm, MeV/mm: 0.1535 MeV cm²/g · ⟨Z/A⟩ · ρ.
        public var landauWidthPerMM: Double {
            switch kind {
            case .sampling(let m, _):
                let a = m.absorber, g = m.active
                return 0.1535 * (a.atomicNumber / a.atomicMass * a.density * m.absorberThickness
                                 + g.atomicNumber / g.atomicMass * g.density * m.activeThickness)
                    / 10 / (m.absorberThickness + m.activeThickness)
            case .homogeneous(let mat, _):
                return 0.1535 * mat.atomicNumber / mat.atomicMass * mat.density / 10
            }
        }

        /// The medium whose constants an electromagnetic shower starting here uses: the
        /// sampling medium, or a homogeneous material seen as a medium of itself.
        public var medium: SamplingMedium {
            switch kind {
            case .sampling(let m, _): return m
            case .homogeneous(let mat, let t):
                return SamplingMedium(absorber: mat, active: mat, absorberThickness: t / 2, activeThickness: t / 2)
            }
        }
    }

    public let sections: [Section]
    /// Depth of each section's front face, mm, and the total depth at the end (count + 1).
    public let boundaries: [Double]
    /// Radiation lengths at the section boundaries.
    public let boundariesX0: [Double]
    /// Nuclear interaction lengths at the section boundaries.
    public let boundariesLambda: [Double]
    /// Number of readout layers (1 + the largest readout layer index).
    public let readoutLayerCount: Int

    /// - Precondition: at least one section; readout layers 0..<n all used, in depth order.
    public init(sections: [Section]) {
        precondition(!sections.isEmpty, "a stack needs a section")
        self.sections = sections
        var b = [0.0], bx = [0.0], bl = [0.0]
        for s in sections {
            b.append(b[b.count - 1] + s.thickness)
            bx.append(bx[bx.count - 1] + s.lengths(at: s.thickness, radiation: true))
            bl.append(bl[bl.count - 1] + s.lengths(at: s.thickness, radiation: false))
        }
        boundaries = b
        boundariesX0 = bx
        boundariesLambda = bl
        let layers = sections.compactMap(\.readoutLayer)
        readoutLayerCount = (layers.max() ?? -1) + 1
        precondition(zip(layers, layers.dropFirst()).allSatisfy { $0 <= $1 }
                     && Set(layers).count == readoutLayerCount,
                     "readout layers must cover 0..<n in depth order")
    }

    /// Total depth, mm.
    public var totalDepth: Double { boundaries[boundaries.count - 1] }

    /// Index of the section containing depth `d` mm (clamped to the stack).
    public func sectionIndex(atDepth d: Double) -> Int {
        var k = 0
        while k + 1 < sections.count && d >= boundaries[k + 1] { k += 1 }
        return k
    }

    /// Radiation lengths (radiation true) or interaction lengths from the front face to `d` mm.
    public func lengths(atDepth d: Double, radiation: Bool) -> Double {
        let k = sectionIndex(atDepth: d)
        let base = radiation ? boundariesX0[k] : boundariesLambda[k]
        return base + sections[k].lengths(at: d - boundaries[k], radiation: radiation)
    }

    /// The depth (mm) at which `s` nuclear interaction lengths have been crossed; beyond the
    /// stack, its depth plus the rest in the last section's interaction length.
    public func depth(atInteractionLengths s: Double) -> Double {
        let last = boundariesLambda[boundariesLambda.count - 1]
        if s >= last {
            return totalDepth + (s - last) * sections[sections.count - 1].medium.interactionLength
        }
        if s <= 0 { return 0 }
        var k = 0
        while boundariesLambda[k + 1] <= s { k += 1 }
        // Bisection inside section k (the map is monotone and continuous).
        var lo = boundaries[k], hi = boundaries[k + 1]
        for _ in 0..<60 {
            let mid = 0.5 * (lo + hi)
            if lengths(atDepth: mid, radiation: false) < s { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Index of the section containing X0 depth `t` (clamped to the stack).
    public func sectionIndex(atX0 t: Double) -> Int {
        var k = 0
        while k + 1 < sections.count && t >= boundariesX0[k + 1] { k += 1 }
        return k
    }
}
