import CaloData
import CaloRendering
import Foundation

/// Synthetic showers and plots shared by the tests (and written as samples for visual checks).
enum SampleFigures {
    /// A fake average shower: a Gaussian blob (sigma in mm) in each CaloGAN layer, MeV, scaled
    /// by `amplitude` and shifted by `shift` mm along y.
    static func gaussianShower(amplitude: Double = 1, shift: Double = 0, sigma: [Double] = [25, 35, 50]) -> [[Double]] {
        LayerGeometry.caloGAN.enumerated().map { l, g in
            let peak = [2000.0, 8000.0, 300.0][l] * amplitude
            var v = [Double](repeating: 0, count: g.cellCount)
            for ix in 0..<g.nx {
                let x = -g.extentX / 2 + (Double(ix) + 0.5) * g.cellSizeX
                for iy in 0..<g.ny {
                    let y = -g.extentY / 2 + (Double(iy) + 0.5) * g.cellSizeY - shift
                    v[ix * g.ny + iy] = peak * exp(-(x * x + y * y) / (2 * sigma[l] * sigma[l]))
                }
            }
            return v
        }
    }

    /// Directory for sample outputs: $CALO_RENDER_SAMPLES if set, else a fresh temporary directory.
    static func outputDirectory() throws -> String {
        if let d = ProcessInfo.processInfo.environment["CALO_RENDER_SAMPLES"], !d.isEmpty {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            return d
        }
        let d = NSTemporaryDirectory() + "calo-render-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}

extension SampleFigures {
    /// A deterministic pseudo-random stream (LCG + Box–Muller) so the samples need no RNG module.
    struct Gauss {
        var state: UInt64
        mutating func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / 9007199254740992
        }
        mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    }

    /// Histogram of log-normal "E_tot" samples: reference and a slightly shifted generated set.
    static func histogramPair(bins: Int = 40) -> HistogramPlot {
        var g = Gauss(state: 7)
        let edges = (0...bins).map { pow(10, -1 + 3 * Double($0) / Double(bins)) }
        func hist(_ mu: Double, _ n: Int) -> [Double] {
            var c = [Double](repeating: 0, count: bins)
            for _ in 0..<n {
                let v = pow(10, mu + 0.35 * g.normal())
                if let k = edges.indices.dropLast().last(where: { edges[$0] <= v }), v < edges[bins] { c[k] += 1 }
            }
            return c
        }
        return HistogramPlot(title: "Total energy <E_tot> & \"friends\"", xLabel: "E_tot [GeV]",
                             edges: edges, reference: hist(0.8, 20000), generated: hist(0.83, 20000), logX: true, logY: true)
    }

    /// A training curve: decaying train/validation loss and a cyclic learning rate.
    static func lossPlot() -> LinePlot {
        let epochs = 60
        var train: [Double] = [], val: [Double] = []
        for e in 0..<epochs {
            let t = Double(e), decay: Double = 400 * exp(-t / 12)
            train.append(decay - 1200 + 3 * sin(t))
            val.append(decay - 1180 + 0.008 * t * t)
        }
        return LinePlot(title: "Teacher loss", xLabel: "epoch", yLabel: "negative log-likelihood [nats]",
                        series: [.init(label: "train", y: train), .init(label: "validation", y: val, dashed: true)])
    }
}
