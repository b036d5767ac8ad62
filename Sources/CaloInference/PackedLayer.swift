import CInferenceKernels
import CaloTensor

/// Storage of the packed weights: float32, or IEEE binary16 (half the bytes a batch-1 shower
/// streams from memory, at about 3 significant digits per weight; opt-in).
public enum WeightPrecision: String, Sendable, CaseIterable {
    case float32, float16

    var kernelCode: Int32 { self == .float32 ? Int32(CIK_FP32) : Int32(CIK_FP16) }
    var bytesPerWeight: Int { self == .float32 ? 4 : 2 }
}

/// One masked linear layer `y = W x + b` in the prefix-packed layout of `CInferenceKernels.h`:
/// only the connections of the MADE mask are stored (plus padding to tiles of 4 rows × 8
/// columns), so the products never read the zero blocks.
///
/// Built from a weight `[outputs, inputs]` (PyTorch layout), an order of the output rows and of
/// the input columns, and per packed row the length of the prefix of packed columns it reads.
/// Weights outside those prefixes must be exactly zero (MADE's masked entries); a checkpoint
/// where they are not is refused rather than silently truncated.
final class PackedLayer: @unchecked Sendable {
    /// Output units.
    let rows: Int
    /// Tiles of four rows.
    let tiles: Int
    /// The longest padded tile length: inputs must hold this many readable, finite values per row.
    let inputSpan: Int
    let precision: WeightPrecision
    /// Bytes of packed weights (what one pass at batch 1 reads).
    let weightBytes: Int
    /// Multiply-adds per shower that the mask asks for (the packed tiles add some padding).
    let connections: Int

    private let offsets: AlignedBuffer<Int64>
    private let lengths: AlignedBuffer<Int32>
    private let weights: AlignedBuffer<UInt8>
    private let bias: AlignedBuffer<Float>
    private let descriptor: AlignedBuffer<cik_layer>

    /// - Parameters:
    ///   - weight: `[outputs, inputs]`.
    ///   - bias: `outputs` values (original row order).
    ///   - rowOrder: the original output row of each packed row.
    ///   - columnOrder: the original input column of each packed column.
    ///   - prefix: per packed row, how many leading packed columns it reads.
    ///   - name: for error messages.
    init(weight: Matrix, bias biasValues: [Float], rowOrder: [Int], columnOrder: [Int], prefix: [Int],
         precision: WeightPrecision, name: String) throws {
        let outputs = weight.rows, inputs = weight.cols
        guard rowOrder.count == outputs, biasValues.count == outputs, prefix.count == outputs,
              columnOrder.count == inputs, prefix.allSatisfy({ $0 >= 0 && $0 <= inputs }) else {
            throw InferenceError.badModel("\(name): a \(outputs)x\(inputs) weight does not fit its layout")
        }
        rows = outputs
        tiles = (outputs + 3) / 4
        self.precision = precision
        offsets = try AlignedBuffer(count: tiles)
        lengths = try AlignedBuffer(count: tiles)
        var total = 0, span = 0
        for t in 0..<tiles {
            var longest = 0
            for r in (4 * t)..<min(outputs, 4 * t + 4) { longest = max(longest, prefix[r]) }
            let length = paddedToEight(longest)
            offsets.pointer[t] = Int64(total)
            lengths.pointer[t] = Int32(length)
            total += 4 * length
            span = max(span, length)
        }
        inputSpan = span
        connections = prefix.reduce(0, +)

        // Gather the tiles in float32, checking that nothing outside the prefixes is lost.
        let packed = try AlignedBuffer<Float>(count: total)
        let tileOffsets = offsets.pointer
        try weight.withUnsafeBufferPointer { w in
            for (packedRow, row) in rowOrder.enumerated() {
                let source = w.baseAddress! + row * inputs
                let t = packedRow / 4, lane = packedRow % 4, base = Int(tileOffsets[t])
                for (k, column) in columnOrder.enumerated() {
                    let v = source[column]
                    if k < prefix[packedRow] {
                        packed.pointer[base + (k / 8) * 32 + lane * 8 + k % 8] = v
                    } else if v != 0 {
                        throw InferenceError.badModel("\(name): weight (\(row), \(column)) = \(v) lies outside the MADE mask "
                                                      + "(masked weights must be exactly 0; the checkpoint is not a caloflow MADE)")
                    }
                }
            }
        }
        weightBytes = total * precision.bytesPerWeight
        // On huge pages: a batch-1 pass streams every weight once (see AlignedBuffer).
        weights = try AlignedBuffer(count: weightBytes, hugePages: true)
        switch precision {
        case .float32:
            UnsafeMutableRawPointer(weights.pointer).copyMemory(from: packed.pointer, byteCount: weightBytes)
        case .float16:
            let overflow = weights.pointer.withMemoryRebound(to: UInt16.self, capacity: total) {
                cik_convert_to_fp16(packed.pointer, $0, total)
            }
            guard overflow == 0 else {
                throw InferenceError.invalidArgument("\(name): \(overflow) weights exceed the float16 range (65504); use float32")
            }
        }
        bias = try AlignedBuffer(count: outputs)
        for (packedRow, row) in rowOrder.enumerated() { bias.pointer[packedRow] = biasValues[row] }
        descriptor = try AlignedBuffer(count: 1)
        descriptor.pointer.pointee = cik_layer(rows: Int32(outputs), tiles: Int32(tiles), precision: precision.kernelCode,
                                               reserved: 0, tileOffset: offsets.pointer, tileLength: lengths.pointer,
                                               weights: UnsafeRawPointer(weights.pointer), bias: bias.pointer)
    }

    /// Rows `4 · tiles.lowerBound ..< min(rows, 4 · tiles.upperBound)` of `y = act(W x + b + add)`
    /// for `batch` showers; row r lands at column `r − 4 · tiles.lowerBound` of `y`.
    @inline(__always)
    func forward(tiles range: Range<Int>, x: UnsafePointer<Float>, ldx: Int, batch: Int,
                 add: UnsafePointer<Float>? = nil, ldadd: Int = 0,
                 y: UnsafeMutablePointer<Float>, ldy: Int, relu: Bool) {
        cik_layer_forward(descriptor.pointer, Int32(range.lowerBound), Int32(range.upperBound), x, ldx, batch,
                          add, ldadd, y, ldy, relu ? 1 : 0)
    }

    /// All rows.
    @inline(__always)
    func forward(x: UnsafePointer<Float>, ldx: Int, batch: Int, add: UnsafePointer<Float>? = nil, ldadd: Int = 0,
                 y: UnsafeMutablePointer<Float>, ldy: Int, relu: Bool) {
        forward(tiles: 0..<tiles, x: x, ldx: ldx, batch: batch, add: add, ldadd: ldadd, y: y, ldy: ldy, relu: relu)
    }
}
