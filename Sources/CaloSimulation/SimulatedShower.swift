import CaloData

/// One simulated shower with the truth information tests and diagnostics need.
///
/// Energies in MeV except `incidentEnergy` (GeV). The (1 − ε) loss factor is already applied
/// to `voxels`, `overflow` and `lost`.
public struct SimulatedShower: Sendable, Equatable {
    /// Incident kinetic energy, GeV (the Float-rounded value that was simulated).
    public var incidentEnergy: Double
    /// 504 cell energies, CaloGAN flat order (layer_0 ‖ layer_1 ‖ layer_2), MeV.
    public var voxels: [Double]
    /// Overflow per layer (|x| or |y| ≥ 240 mm, both < 500 mm), MeV.
    public var overflow: [Double]
    /// Energy per layer that landed beyond the ±500 mm block (not stored in CaloGAN files), MeV.
    public var lost: [Double]
    /// e+/γ: the sampled longitudinal parameters of the primary EM shower.
    public var emRealization: EMShowerRealization?
    /// γ: conversion depth (shower start) in X0.
    public var conversionDepth: Double?
    /// π+: depth of the first inelastic interaction in mm (≥ 480 means a MIP-only event).
    public var interactionDepth: Double?
    /// π+: energy lost by the MIP track (before any visible-mode scaling), MeV.
    public var mipEnergy: Double
    /// π+: π0 (EM) fraction f_em of the energy after the track (nil for MIP-only events).
    public var emFraction: Double?

    /// Energy of layer `l` in the cells, MeV.
    public func layerEnergy(_ l: Int) -> Double {
        voxels[CaloGANGeometry.layerRange(l)].reduce(0, +)
    }

    /// Cells + overflow, MeV.
    public var totalEnergy: Double { voxels.reduce(0, +) + overflow.reduce(0, +) }
}
