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
