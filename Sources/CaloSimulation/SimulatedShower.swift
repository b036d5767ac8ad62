import CaloData

/// One simulated shower with the truth information tests and diagnostics need.
///
/// Energies in MeV except `incidentEnergy` (GeV), of the simulator's deposit mode. The (1 − ε)
/// loss factor is already applied to `voxels`, `overflow` and `lost`; `lost` holds mean
/// deposits (no sampling fluctuation).
public struct SimulatedShower: Sendable, Equatable {
    /// Incident kinetic energy, GeV (the Float-rounded value that was simulated).
    public var incidentEnergy: Double
    /// Cell energies in the geometry's flat order, MeV (CaloGAN: 504, layer_0 ‖ layer_1 ‖ layer_2).
    public var voxels: [Double]
    /// Overflow per layer, MeV: CaloGAN |x| or |y| ≥ 240 mm, both < 500 mm (written to files);
    /// a polar binning: r beyond the outer radial edge (not written: the layout has no overflow).
    public var overflow: [Double]
    /// Energy per layer that landed beyond the CaloGAN ±500 mm block (not stored), MeV.
    public var lost: [Double]
    /// Energy deposited in stack sections without a readout layer (dataset 1: dead material and
    /// non-voxelised layers; not stored), MeV; 0 for the periodic stacks.
    public var unrecorded: Double = 0
    /// Flat voxel range of each layer.
    public var layerRanges: [Range<Int>]
    /// e+: its EM shower; γ: the showers of the e+e− pair, the more energetic first (a member
    /// below 20 MeV, deposited as one spot, is not listed); π+: empty.
    public var emComponents: [EMShowerComponent]
    /// γ: conversion depth (shower start) in X0.
    public var conversionDepth: Double?
    /// γ: energy fraction x of one pair member (Bethe–Heitler), in (0, 1).
    public var pairFraction: Double?
    /// π+: depth of the first inelastic interaction in mm (≥ the stack's depth, 480 mm for
    /// CaloGAN, means a MIP-only event).
    public var interactionDepth: Double?
    /// π+: total energy lost by the MIP track (lead + argon), MeV.
    public var mipEnergy: Double
    /// π+: π0 (EM) fraction f_em of the energy after the track (nil for MIP-only events).
    public var emFraction: Double?

    /// Energy of layer `l` in the cells, MeV.
    public func layerEnergy(_ l: Int) -> Double {
        voxels[layerRanges[l]].reduce(0, +)
    }

    /// e+/γ: the primary EM shower's sampled profile (the more energetic pair member for γ).
    public var emRealization: EMShowerRealization? { emComponents.first?.realization }

    /// Cells + overflow, MeV.
    public var totalEnergy: Double { voxels.reduce(0, +) + overflow.reduce(0, +) }
}
