/// What the cells store (reference-simulator.md section 4).
public enum DepositMode: String, Sendable, Codable, CaseIterable {
    /// Total Pb + LAr deposits, as in the CaloGAN data (default): no sampling fraction, no smear.
    case total
    /// Active-layer signal: EM steps scaled by ê·f_mip (≈ 0.172) with a per-step Gamma smear of
    /// variance a²·ΔE (a = 0.11, ΔE in GeV); MIP deposits scaled by f_mip (≈ 0.249); non-EM
    /// hadronic deposits scaled by ê·f_mip as well (rough: no separate h/mip ratio).
    case visible
}

/// Options of the reference simulator.
public struct SimulationOptions: Sendable, Equatable {
    /// Stored quantity; `.total` reproduces the CaloGAN convention.
    public var depositMode: DepositMode
    /// ε: every cell and overflow value is multiplied by (1 − ε) to mimic Geant4's ~1% losses
    /// (albedo, escaping photons/neutrons). Must be in [0, 1). Default 0.
    public var energyLossFraction: Double
    /// GFlash stochastic term a used by `.visible` mode (default 0.11).
    public var samplingResolution: Double

    public init(depositMode: DepositMode = .total, energyLossFraction: Double = 0, samplingResolution: Double = 0.11) {
        self.depositMode = depositMode
        self.energyLossFraction = energyLossFraction
        self.samplingResolution = samplingResolution
    }

    /// Throws `SimulationError.invalidOption` for values out of range.
    public func validate() throws {
        guard energyLossFraction.isFinite, energyLossFraction >= 0, energyLossFraction < 1 else {
            throw SimulationError.invalidOption("energy loss fraction ε must be in [0, 1), got \(energyLossFraction)")
        }
        guard samplingResolution.isFinite, samplingResolution > 0, samplingResolution < 10 else {
            throw SimulationError.invalidOption("sampling resolution must be in (0, 10), got \(samplingResolution)")
        }
    }
}

/// Errors a user can trigger through the simulator's inputs.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
    case invalidEnergy(String)
    case invalidOption(String)
    case invalidSpectrum(String)

    public var description: String {
        switch self {
        case .invalidEnergy(let m): return "invalid incident energy: \(m)"
        case .invalidOption(let m): return "invalid simulation option: \(m)"
        case .invalidSpectrum(let m): return "invalid energy spectrum: \(m)"
        }
    }
}
