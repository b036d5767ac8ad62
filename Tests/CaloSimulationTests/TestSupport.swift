import CaloData
import CaloSimulation
import Foundation

/// Sample statistics in Double.
struct Stats {
    let n: Double, mean: Double, sd: Double, kurtosis: Double

    init(_ x: [Double]) {
        n = Double(x.count)
        let m = x.reduce(0, +) / n
        mean = m
        let m2 = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
        let m4 = x.reduce(0) { $0 + pow($1 - m, 4) } / n
        sd = (m2 * n / (n - 1)).squareRoot()
        kurtosis = m2 > 0 ? m4 / (m2 * m2) : 3
    }

    /// Standard error of the mean.
    var se: Double { sd / n.squareRoot() }
    /// Large-sample standard error of the standard deviation, s·√((κ − 1)/(4n)).
    var seOfSD: Double { sd * ((kurtosis - 1) / (4 * n)).squareRoot() }

    /// Pearson correlation of two samples.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let sa = Stats(a), sb = Stats(b)
        var c = 0.0
        for i in a.indices { c += (a[i] - sa.mean) * (b[i] - sb.mean) }
        return c / (sa.n - 1) / (sa.sd * sb.sd)
    }
}

/// E[f(z1, z2)] for independent standard normals by the trapezoidal rule on [−7, 7]² with step
/// 0.35 (spectrally accurate for smooth integrands against the Gaussian weight).
func gaussianExpectation(_ f: (Double, Double) -> [Double]) -> [Double] {
    let h = 0.35, k = 20
    var acc: [Double] = []
    for i in -k...k {
        let z1 = Double(i) * h, w1 = exp(-0.5 * z1 * z1)
        for j in -k...k {
            let z2 = Double(j) * h, w = w1 * exp(-0.5 * z2 * z2) * h * h / (2 * Double.pi)
            let v = f(z1, z2)
            if acc.isEmpty { acc = [Double](repeating: 0, count: v.count) }
            for q in v.indices { acc[q] += w * v[q] }
        }
    }
    return acc
}

/// Energy per layer of a shower including overflow and the part lost beyond ±500 mm, MeV.
func layerTotals(_ s: SimulatedShower) -> [Double] {
    (0..<3).map { s.layerEnergy($0) + s.overflow[$0] + s.lost[$0] }
}

/// Sum of cell energies of layer `l` over cells with (ix, iy) satisfying `select`, MeV.
func cellSum(_ s: SimulatedShower, layer l: Int, _ select: (Int, Int) -> Bool) -> Double {
    let off = CaloGANGeometry.layerOffsets[l], ny = CaloGANGeometry.ny[l]
    var total = 0.0
    for ix in 0..<CaloGANGeometry.nx[l] { for iy in 0..<ny where select(ix, iy) { total += s.voxels[off + ix * ny + iy] } }
    return total
}
