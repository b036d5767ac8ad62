import CaloData

/// One high-level observable over a set of showers: its values, unit and suggested histogram bins.
public struct ShowerFeature: Sendable, Equatable {
    /// Stable identifier, safe in file names, e.g. "E_1", "phi_width_2", "eta_centroid_diff_0_1".
    public let name: String
    /// Axis label for plots, e.g. "E_1", "σ_φ,2", "⟨η⟩_0 − ⟨η⟩_1".
    public let label: String
    /// Unit of `values`: "GeV", "MeV", "mm" or "" (dimensionless).
    public let unit: String
    /// Suggested bins (CaloFlow plotting ranges where the method gives them).
    public let binning: Binning
    /// One value per shower, [N].
    public var values: [Double]

    public init(name: String, label: String, unit: String, binning: Binning, values: [Double]) {
        self.name = name
        self.label = label
        self.unit = unit
        self.binning = binning
        self.values = values
    }

    /// Histogram of `values` on `binning`.
    public func histogram() -> Histogram { Histogram(values, binning: binning) }
}

/// The catalogue of high-level features in storage order: name, label, unit, bins.
/// Slot numbers below index into it; HighLevelFeatures writes them in one pass.
enum FeatureSlot {
    static let layerEnergy = 0          // +l, GeV
    static let totalEnergy = 3          // GeV
    static let totalOverIncident = 4
    static let fraction = 5             // +l
    static let sparsity = 8             // +l
    static let energyRatio = 11         // +l
    static let brightest = 14           // +5l + (n-1)
    static let etaCentroid = 29         // +l, mm
    static let phiCentroid = 32         // +l, mm
    static let etaWidth = 35            // +l, mm
    static let phiWidth = 38            // +l, mm
    static let lateralDepth = 41        // MeV
    static let showerDepth = 42
    static let showerDepthWidth = 43
    static let maxDepth = 44
    static let etaCentroidDiff = 45     // pairs (0,1), (0,2), (1,2)
    static let phiCentroidDiff = 48
    static let count = 51

    static let pairs = [(0, 1), (0, 2), (1, 2)]

    /// Features compared on bins fitted to the data (`FeatureComparison.dataRangedBinning`):
    /// their scale is set by what the cells hold (active or total deposits), or by the particle:
    /// the last layer's share f_2 stays below 0.008 for e+ and photons but reaches several
    /// per cent for pi+, whose showers the fixed bins would put mostly in the overflow.
    static let dataRanged: Set<String> = ["E_tot", "E_tot_over_E_inc", "f_2"]

    struct Entry { let name: String; let label: String; let unit: String; let binning: Binning }

    /// The catalogue, in slot order.
    static let catalogue: [Entry] = {
        func lin(_ a: Double, _ b: Double, _ n: Int = 50) -> Binning { Binning(unchecked: .linear, a, b, n) }
        func log(_ a: Double, _ b: Double, _ n: Int = 50) -> Binning { Binning(unchecked: .log, a, b, n) }
        // Occupancies are k/n for the layer sizes n (288, 144, 72; each divides the first): bins
        // 4/n₀ wide with edges between grid points put the same number of possible values in
        // every bin and none on an edge.
        let n0 = Double(CaloGANGeometry.layerSizes[0])
        let occupancy = Binning(unchecked: .linear, -0.5 / n0, (n0 + 3.5) / n0, Int(n0 + 4) / 4)
        let layerE = [log(1e-2, 1e2), log(1e-1, 1e3), log(1e-2, 1e2)]
        let frac = [lin(0, 0.4), lin(0, 1), lin(0, 0.008)]
        let phiW = [log(1, 1000), log(1, 100), log(1, 1000)]
        var c = [Entry]()
        for l in 0..<3 { c.append(Entry(name: "E_\(l)", label: "E_\(l)", unit: "GeV", binning: layerE[l])) }
        c.append(Entry(name: "E_tot", label: "E_tot", unit: "GeV", binning: lin(0, 120)))
        c.append(Entry(name: "E_tot_over_E_inc", label: "E_tot / E_inc", unit: "", binning: lin(0, 1.2, 60)))
        for l in 0..<3 { c.append(Entry(name: "f_\(l)", label: "E_\(l) / E_tot", unit: "", binning: frac[l])) }
        for l in 0..<3 { c.append(Entry(name: "sparsity_\(l)", label: "sparsity_\(l)", unit: "", binning: occupancy)) }
        for l in 0..<3 { c.append(Entry(name: "E_ratio_\(l)", label: "E_ratio,\(l)", unit: "", binning: lin(0, 1))) }
        for l in 0..<3 {
            for n in 1...5 {
                c.append(Entry(name: "brightest_\(n)_layer_\(l)", label: "E_(\(n)) / E_\(l)", unit: "", binning: lin(0, 1)))
            }
        }
        for l in 0..<3 { c.append(Entry(name: "eta_centroid_\(l)", label: "⟨η⟩_\(l)", unit: "mm", binning: lin(-120, 120, 60))) }
        for l in 0..<3 { c.append(Entry(name: "phi_centroid_\(l)", label: "⟨φ⟩_\(l)", unit: "mm", binning: lin(-120, 120, 60))) }
        for l in 0..<3 { c.append(Entry(name: "eta_width_\(l)", label: "σ_η,\(l)", unit: "mm", binning: log(1, 1000))) }
        for l in 0..<3 { c.append(Entry(name: "phi_width_\(l)", label: "σ_φ,\(l)", unit: "mm", binning: phiW[l])) }
        c.append(Entry(name: "lateral_depth", label: "l_d = E_1 + 2 E_2", unit: "MeV", binning: log(10, 1e5)))
        c.append(Entry(name: "shower_depth", label: "s_d = l_d / E_tot", unit: "", binning: lin(0.4, 2)))
        c.append(Entry(name: "shower_depth_width", label: "σ_sd", unit: "", binning: lin(0, 0.9)))
        c.append(Entry(name: "max_depth", label: "max depth d", unit: "", binning: lin(-0.5, 2.5, 3)))
        for (i, j) in pairs {
            c.append(Entry(name: "eta_centroid_diff_\(i)_\(j)", label: "⟨η⟩_\(i) − ⟨η⟩_\(j)", unit: "mm", binning: lin(-120, 120)))
        }
        for (i, j) in pairs {
            c.append(Entry(name: "phi_centroid_diff_\(i)_\(j)", label: "⟨φ⟩_\(i) − ⟨φ⟩_\(j)", unit: "mm", binning: lin(-120, 120)))
        }
        precondition(c.count == count, "feature catalogue out of step with its slots")
        return c
    }()
}
