import CaloData
#if canImport(Glibc)
import Glibc
#endif

/// How one readout layer turns a spot at (x, y) mm (origin on the incident particle's axis) into
/// a voxel index: the simulator's voxelizer. The shower physics decides *where* energy goes (depth
/// step, x, y); this decides *which cell* holds it, for either kind of geometry:
///
/// - **Cartesian grid (CaloGAN):** cells span −halfWidth..halfWidth mm, index ⌊(x + h)/Δx⌋
///   (strict upper edge), flat id offset + ix·ny + iy; |x| or |y| ≥ h but both < 500 mm →
///   overflow[layer]; beyond → lost.
/// - **Polar (r, α) binning (CaloChallenge):** r = √(x² + y²) binned with the layer's radial
///   edges (lower edge inclusive), α = atan2(y, x) in uniform bins over [−π, π), flat id
///   offset + a·n_r + r (alpha-major, the binning files' order); r ≥ the outer edge → overflow.
///   A spot exactly on the axis (r = 0) goes to r-bin 0 of the alpha bin of α = 0.
///
/// Polar α smoothing: spot azimuths come from a table of 4096 angles, which a number of alpha
/// bins that does not divide 4096 (10, 50) would share unevenly (50 bins: 81 or 82 angles each,
/// ±0.6 % in the mean image). α is therefore jittered uniformly over one table spacing
/// (2π/4096), with the jitter taken from the low mantissa bits of x and y (uniform and
/// independent of the bin for any spot off the axis): the binned azimuth is then uniform.
struct LayerBinning: Sendable {
    let layer: Int
    let offset: Int
    /// Buffer slots of this layer's overflow and lost energy (`EventScratch`).
    let overflowIndex: Int, lostIndex: Int
    let polar: Bool
    // Grid.
    let nx: Int, ny: Int
    let dx: Double, dy: Double
    let invDx: Double, invDy: Double
    let halfWidth: Double
    // Polar.
    let radialEdges: [Double]
    let radialBins: Int
    let innerRadius: Double, outerRadius: Double
    /// 1 / the radial bin width when the bins are uniform (ds2, ds3), else 0 (search the edges).
    let invRadialWidth: Double
    let alphaBins: Int
    let alphaScale: Double

    static let blockHalfWidth = 500.0

    /// Layer `layer` of the CaloGAN grid (buffers laid out as `EventScratch()`).
    init(layer: Int) {
        self.init(layer: layer, grid: CaloGANGeometry.geometry.layers[layer].grid!,
                  offset: CaloGANGeometry.layerOffsets[layer],
                  overflowIndex: CaloGANGeometry.voxelCount + layer,
                  lostIndex: CaloGANGeometry.voxelCount + CaloGANGeometry.layerCount + layer)
    }

    /// The binnings of every layer of `geometry`, for buffers laid out as
    /// `EventScratch(voxelCount: geometry.voxelCount, layerCount: geometry.layerCount)`.
    static func all(for geometry: CalorimeterGeometry) -> [LayerBinning] {
        let n = geometry.voxelCount, nl = geometry.layerCount
        return geometry.layers.enumerated().map { l, layer in
            switch layer.segmentation {
            case .grid(let g):
                return LayerBinning(layer: l, grid: g, offset: layer.firstVoxel, overflowIndex: n + l, lostIndex: n + nl + l)
            case .polar(let p):
                return LayerBinning(layer: l, polar: p, offset: layer.firstVoxel, overflowIndex: n + l, lostIndex: n + nl + l)
            }
        }
    }

    /// A binning that puts every spot into one buffer slot (`EventScratch.unrecordedIndex`):
    /// the steps of stack sections without a readout layer.
    static func sink(layer: Int, index: Int) -> LayerBinning {
        LayerBinning(sinkLayer: layer, index: index)
    }

    private init(sinkLayer: Int, index: Int) {
        layer = sinkLayer
        offset = index
        overflowIndex = index
        lostIndex = index
        polar = true
        halfWidth = 0
        nx = 0; ny = 0; dx = 0; dy = 0; invDx = 0; invDy = 0
        radialEdges = [0, 0]
        radialBins = 1
        innerRadius = 0
        outerRadius = 0   // every r ≥ 0 goes to overflowIndex
        invRadialWidth = 0
        alphaBins = 1
        alphaScale = 0
    }

    init(layer: Int, grid g: CalorimeterGeometry.CartesianGrid, offset: Int, overflowIndex: Int, lostIndex: Int) {
        precondition(g.halfWidthX == g.halfWidthY, "the simulator's grid binning needs a square readout window")
        self.layer = layer
        self.offset = offset
        self.overflowIndex = overflowIndex
        self.lostIndex = lostIndex
        polar = false
        halfWidth = g.halfWidthX
        nx = g.nx
        ny = g.ny
        dx = g.cellSizeX
        dy = g.cellSizeY
        invDx = 1 / dx
        invDy = 1 / dy
        radialEdges = []
        radialBins = 0
        innerRadius = 0
        outerRadius = 0
        invRadialWidth = 0
        alphaBins = 0
        alphaScale = 0
    }

    init(layer: Int, polar p: CalorimeterGeometry.PolarBinning, offset: Int, overflowIndex: Int, lostIndex: Int) {
        self.layer = layer
        self.offset = offset
        self.overflowIndex = overflowIndex
        self.lostIndex = lostIndex
        polar = true
        halfWidth = 0
        nx = 0; ny = 0; dx = 0; dy = 0; invDx = 0; invDy = 0
        radialEdges = p.radialEdges
        radialBins = p.radialBins
        innerRadius = p.radialEdges[0]
        outerRadius = p.outerRadius
        let widths = (0..<p.radialBins).map { p.radialEdges[$0 + 1] - p.radialEdges[$0] }
        let uniform = p.radialEdges[0] == 0 && widths.allSatisfy { abs($0 - widths[0]) <= 1e-9 * widths[0] }
        invRadialWidth = uniform ? 1 / widths[0] : 0
        alphaBins = p.alphaBins
        alphaScale = Double(p.alphaBins) / (2 * Double.pi)
    }

    /// ⌊v / width⌋ for v ∈ [0, count·width), exactly: a multiply by the reciprocal, then a
    /// correction for the last-bit error so that v exactly on an edge goes to the upper bin.
    @inline(__always)
    static func bin(_ v: Double, width: Double, inverse: Double, count: Int) -> Int {
        var i = Int(v * inverse)
        if Double(i) * width > v { i -= 1 } else if Double(i + 1) * width <= v { i += 1 }
        return min(max(i, 0), count - 1)
    }

    /// Adds `e` MeV at (x, y) mm.
    @inline(__always)
    func deposit(_ cells: UnsafeMutablePointer<Double>, x: Double, y: Double, e: Double) {
        if polar { depositPolar(cells, x: x, y: y, e: e); return }
        let h = halfWidth
        if abs(x) < h && abs(y) < h {
            let ix = Self.bin(x + h, width: dx, inverse: invDx, count: nx)
            let iy = Self.bin(y + h, width: dy, inverse: invDy, count: ny)
            cells[offset + ix * ny + iy] += e
        } else if abs(x) < Self.blockHalfWidth && abs(y) < Self.blockHalfWidth {
            cells[overflowIndex] += e
        } else {
            cells[lostIndex] += e
        }
    }

    @inline(__always)
    func depositPolar(_ cells: UnsafeMutablePointer<Double>, x: Double, y: Double, e: Double) {
        let r = (x * x + y * y).squareRoot()
        if r >= outerRadius || r < innerRadius { cells[overflowIndex] += e; return }
        var ir: Int
        if invRadialWidth > 0 {
            ir = min(Int(r * invRadialWidth), radialBins - 1)
            if radialEdges[ir] > r { ir -= 1 } else if radialEdges[ir + 1] <= r { ir += 1 }
        } else {
            ir = 0
            while radialEdges[ir + 1] <= r { ir += 1 }
        }
        var ia = 0
        if alphaBins > 1 && r > 0 {
            let jitterBits = (x.bitPattern ^ (y.bitPattern >> 5)) & 0xFFFF
            let jitter = (Double(jitterBits) * 0x1.0p-16 - 0.5) * (2 * Double.pi / Double(AngleTable.count))
            var a = atan2(y, x) + jitter + Double.pi
            if a < 0 { a += 2 * Double.pi } else if a >= 2 * Double.pi { a -= 2 * Double.pi }
            ia = min(Int(a * alphaScale), alphaBins - 1)
        } else if alphaBins > 1 {
            ia = alphaBins / 2   // α = 0 lies at the lower edge of bin n/2 (bins start at −π)
        }
        cells[offset + ia * radialBins + ir] += e
    }
}
