/// What the cells store.
///
/// The CaloGAN Geant4 application bins a step's energy by its pre-step position. The 2017
/// version that made the published Mendeley files (DOI 10.17632/pvn3xc3wy5.1) adds every step,
/// in lead and liquid argon alike (`.total`); its later versions, like a real liquid-argon
/// calorimeter, add only the steps in the argon gaps (`.active`), about a fifth of the energy.
public enum DepositMode: String, Sendable, Codable, CaseIterable {
    /// Energy deposited in the liquid-argon gaps (default): the electromagnetic response
    /// e/mip · f_mip ≈ 0.19 with sampling fluctuations per cell (see `ActiveResponse`).
    case active
    /// Energy deposited in lead and argon together, no sampling fraction and no sampling
    /// fluctuations: ≈ 0.996 E_inc for e+ (the 2017 CaloGAN convention).
    case total

    /// One line for file attributes of the silicon-tungsten stack (datasets 2 and 3).
    public var siliconSummary: String {
        switch self {
        case .active:
            return "active: energy deposited in the silicon layers only, with sampling fluctuations (e- about 0.027 of E_inc)"
        case .total:
            return "total: energy deposited in tungsten and silicon together"
        }
    }

    /// One line for file attributes and help texts.
    public var summary: String {
        switch self {
        case .active:
            return "active: energy deposited in the liquid-argon gaps only, with sampling fluctuations (e+ about 0.19 of E_inc)"
        case .total:
            return "total: energy deposited in lead and liquid argon together (e+ about 0.996 of E_inc)"
        }
    }
}

/// Options of the reference simulator.
public struct SimulationOptions: Sendable, Equatable {
    /// Stored quantity (default `.active`).
    public var depositMode: DepositMode
    /// ε: every cell and overflow value is multiplied by (1 − ε) to mimic Geant4's ~1% losses
    /// (albedo, escaping photons/neutrons). Must be in [0, 1). Default 0.
    public var energyLossFraction: Double
    /// `.active` only: draw each cell's argon deposit around its mean (true, the physics) or
    /// store the mean itself (false: no sampling fluctuations; for studies and tests that show
    /// what the fluctuations do). Ignored in `.total` mode.
    public var samplingFluctuations: Bool

    public init(depositMode: DepositMode = .active, energyLossFraction: Double = 0, samplingFluctuations: Bool = true) {
        self.depositMode = depositMode
        self.energyLossFraction = energyLossFraction
        self.samplingFluctuations = samplingFluctuations
    }

    /// Throws `SimulationError.invalidOption` for values out of range.
    public func validate() throws {
        guard energyLossFraction.isFinite, energyLossFraction >= 0, energyLossFraction < 1 else {
            throw SimulationError.invalidOption("energy loss fraction ε must be in [0, 1), got \(energyLossFraction)")
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
