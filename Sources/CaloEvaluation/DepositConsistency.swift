import CaloData

/// Whether two shower files hold the same kind of deposit: liquid-argon ("active") showers
/// carry about a fifth of the energy of lead + argon ("total") ones, and comparing one with the
/// other measures that factor, not the model.
public enum DepositConsistency {
    /// Largest ratio of the mean cells-over-E_inc of two samples accepted without a warning.
    public static let toleratedRatio = 1.5

    /// A warning when the files' `deposit` attributes differ or, for files that do not say
    /// (e.g. Geant4 files), when the mean of Σcells / E_inc differs by more than
    /// `toleratedRatio`; nil otherwise.
    public static func warning(reference: ShowerBatch, generated: ShowerBatch,
                               referenceDeposit: String?, generatedDeposit: String?) -> String? {
        if let r = referenceDeposit, let g = generatedDeposit, r != g {
            return "the reference file holds '\(r)' deposits and the generated file '\(g)' deposits (see 'caloflow help simulate')"
        }
        let r = meanResponse(reference), g = meanResponse(generated)
        guard r > 0, g > 0 else { return nil }
        let ratio = max(r / g, g / r)
        guard ratio > toleratedRatio else { return nil }
        func fmt(_ x: Double) -> String { String(Float(x)) }
        return "the mean energy in the cells over E_inc is \(fmt(r)) in the reference and \(fmt(g)) in the generated file "
            + "(a factor \(fmt(ratio))): one may hold liquid-argon (active) deposits and the other lead + argon (total) deposits"
    }

    /// Mean over showers of Σ cells (MeV) / (1000 · E_inc) for showers with E_inc > 0; 0 if none.
    public static func meanResponse(_ batch: ShowerBatch) -> Double {
        var sum = 0.0, n = 0
        batch.voxels.withUnsafeBufferPointer { v in
            let c = batch.voxels.cols
            for i in 0..<batch.count where batch.incidentEnergy[i] > 0 {
                var t = 0.0
                for j in 0..<c { t += Double(v[i * c + j]) }
                sum += t / (1000 * Double(batch.incidentEnergy[i]))
                n += 1
            }
        }
        return n > 0 ? sum / Double(n) : 0
    }
}
