/// Shape of one CaloFlow flow: a stack of MADE + rational-quadratic-spline blocks with fixed
/// permutations in between (../shared/reference/caloflow-method.md sections 3-5).
///
/// JSON keys: `blocks`, `hiddenFeatures`, `hiddenLayers`, `bins`, `tailBound`, `dropout`,
/// `minBinWidth`, `minBinHeight`, `minDerivative`. Unknown keys are rejected.
public struct FlowArchitecture: Codable, Sendable, Equatable {
    /// Number of MADE-spline blocks (Flow I: 6, Flow II: 8).
    public var blocks: Int
    /// Width of every MADE hidden layer (Flow I: 64, teacher: 378, student: 504).
    public var hiddenFeatures: Int
    /// Hidden layers per MADE, counting the initial masked layer (Flow I: 3, Flow II: 2).
    public var hiddenLayers: Int
    /// Spline bins K (8).
    public var bins: Int
    /// Spline tail bound B: identity outside [-B, B] (14, just above the logit range 13.8).
    public var tailBound: Double
    /// Dropout probability inside the MADE feed-forward blocks (teacher and student: 0.05).
    public var dropout: Double
    /// Minimum bin width, height and derivative of the spline (1e-6).
    public var minBinWidth: Double
    public var minBinHeight: Double
    public var minDerivative: Double

    public init(blocks: Int, hiddenFeatures: Int, hiddenLayers: Int, bins: Int = 8, tailBound: Double = 14,
                dropout: Double = 0, minBinWidth: Double = 1e-6, minBinHeight: Double = 1e-6, minDerivative: Double = 1e-6) {
        self.blocks = blocks
        self.hiddenFeatures = hiddenFeatures
        self.hiddenLayers = hiddenLayers
        self.bins = bins
        self.tailBound = tailBound
        self.dropout = dropout
        self.minBinWidth = minBinWidth
        self.minBinHeight = minBinHeight
        self.minDerivative = minDerivative
    }

    /// CaloFlow's Flow I: 6 blocks, 3 hidden layers of 64, no dropout.
    public static let paperFlowI = FlowArchitecture(blocks: 6, hiddenFeatures: 64, hiddenLayers: 3)
    /// CaloFlow's Flow II teacher: 8 blocks, 2 hidden layers of 378, dropout 0.05.
    public static let paperTeacher = FlowArchitecture(blocks: 8, hiddenFeatures: 378, hiddenLayers: 2, dropout: 0.05)
    /// CaloFlow II's student: the teacher's skeleton with 2 hidden layers of 504.
    public static let paperStudent = FlowArchitecture(blocks: 8, hiddenFeatures: 504, hiddenLayers: 2, dropout: 0.05)

    /// The paper's teacher for D voxels: its CaloGAN proportions, hidden width round(0.75 D)
    /// (378 for 504; dataset 1: 276 for 368 photon voxels, 400 for 533 pion voxels).
    public static func paperTeacher(voxels d: Int) -> FlowArchitecture {
        var a = paperTeacher
        a.hiddenFeatures = Int((0.75 * Double(d)).rounded())
        return a
    }

    /// The paper's student for D voxels: hidden width D (504 for CaloGAN, 368 / 533 for dataset 1).
    public static func paperStudent(voxels d: Int) -> FlowArchitecture {
        var a = paperStudent
        a.hiddenFeatures = d
        return a
    }

    /// Hidden width of `layerFlowStudent(voxelsPerLayer:)`.
    public static let layerFlowStudentHiddenFeatures = 256

    /// The reference size of an iCaloFlow layer-flow student (`LayerFlowLayout`; arXiv:2305.11934)
    /// for layers of V voxels (dataset 2: 144, dataset 3: 900): IAF, 8 blocks, 8-bin RQS, hidden
    /// width 256 for every V; 3 hidden layers (initial masked layer + 2 blocks) for V <= 144 and
    /// 2 for wider layers.
    ///
    /// The paper does not state its layer flow's width, and our references do not have it. The
    /// numbers are those of the public iCaloFlow code (github.com/claudius-krause/inductive-caloflow,
    /// `run.py`): the Flow 3 student is built with `--student_hidden_size` (default 256, the same
    /// for both datasets) and nflows `num_blocks = 4 - dataset` hidden blocks (2 for dataset 2,
    /// 1 for dataset 3; `hiddenLayers` counts the initial layer too). Those are argparse defaults
    /// (the published runs may have passed others), but the published CPU times agree with one
    /// width for both datasets: 446 / 78 ms = 5.7 at batch 10,000, where the MADE work per
    /// shower at width 256 grows 5.5x from dataset 2 to 3 (the output layer, H x 23 V weights,
    /// dominates), and would grow about 10x with widths 2V = 288 and 512. Dropout as the dataset-1
    /// students (training only; sampling never applies it).
    public static func layerFlowStudent(voxelsPerLayer v: Int) -> FlowArchitecture {
        FlowArchitecture(blocks: 8, hiddenFeatures: layerFlowStudentHiddenFeatures, hiddenLayers: v <= 144 ? 3 : 2,
                         dropout: paperStudent.dropout)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case blocks, hiddenFeatures, hiddenLayers, bins, tailBound, dropout, minBinWidth, minBinHeight, minDerivative
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blocks = try c.decode(Int.self, forKey: .blocks)
        hiddenFeatures = try c.decode(Int.self, forKey: .hiddenFeatures)
        hiddenLayers = try c.decode(Int.self, forKey: .hiddenLayers)
        bins = try c.decodeIfPresent(Int.self, forKey: .bins) ?? 8
        tailBound = try c.decodeIfPresent(Double.self, forKey: .tailBound) ?? 14
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
        minBinWidth = try c.decodeIfPresent(Double.self, forKey: .minBinWidth) ?? 1e-6
        minBinHeight = try c.decodeIfPresent(Double.self, forKey: .minBinHeight) ?? 1e-6
        minDerivative = try c.decodeIfPresent(Double.self, forKey: .minDerivative) ?? 1e-6
        try require(blocks >= 1 && blocks <= 64, decoder, "blocks", "must be in 1...64, got \(blocks)")
        try require(hiddenFeatures >= 1 && hiddenFeatures <= 8192, decoder, "hiddenFeatures", "must be in 1...8192, got \(hiddenFeatures)")
        try require(hiddenLayers >= 1 && hiddenLayers <= 8, decoder, "hiddenLayers", "must be in 1...8, got \(hiddenLayers)")
        try require(bins >= 2 && bins <= 64, decoder, "bins", "must be in 2...64, got \(bins)")
        try require(tailBound > 0 && tailBound.isFinite, decoder, "tailBound", "must be positive, got \(tailBound)")
        try require(dropout >= 0 && dropout < 1, decoder, "dropout", "must be in [0, 1), got \(dropout)")
        try require(minBinWidth > 0 && Double(bins) * minBinWidth < 1, decoder, "minBinWidth", "must be positive with bins * minBinWidth < 1")
        try require(minBinHeight > 0 && Double(bins) * minBinHeight < 1, decoder, "minBinHeight", "must be positive with bins * minBinHeight < 1")
        try require(minDerivative > 0, decoder, "minDerivative", "must be positive")
    }
}
