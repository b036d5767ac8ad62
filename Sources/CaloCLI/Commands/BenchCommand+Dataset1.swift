import CaloBenchmarks
import CaloData
import CaloInference
import CaloPipeline
import CaloTensor

/// The dataset-1 generation rows of `caloflow bench`: Flow I + student of the CaloChallenge
/// dataset-1 geometries (photons: 5 layers, 368 voxels; pions: 7 layers, 533 voxels) with
/// random weights at the paper's sizes (`FlowArchitecture.paperStudent(voxels:)`), through
/// `ShowerGenerator` (the path `caloflow generate` runs): the full pipeline at batch 10,000 (flat
/// HDF5 writing included) and the batch-1 latency; and the batch-1 latency of the packed
/// inference engine (`InferenceContext`, the Swift side of libcaloflow, one thread, float32).
extension BenchCommand {
    static let dataset1Events = Option.int("ds1-events", default: 20_000, range: 0...10_000_000,
                                           help: "Showers per dataset-1 geometry (photons, pions) for the generation rows at batch 10000 (Flow I + paper-size student with random weights + flat HDF5 writing), and a tenth as many batch-1 calls (at most 200); 0 skips them.")

    /// One dataset-1 geometry's generation numbers.
    struct Dataset1Row {
        var geometry: CalorimeterGeometry
        var student: FlowArchitecture
        var pipeline: GenerationBenchmark.Result
        var batchOneMedianMilliseconds: Double
        var batchOneMeanMilliseconds: Double
        var batchOneCalls: Int
        var engineBatchOneMedianMilliseconds: Double
    }

    /// Runs the rows (quick: 2-block students of width 64 and few showers).
    static func dataset1Rows(events: Int, quick: Bool, blocks: Int, log: (String) -> Void) throws -> [Dataset1Row] {
        guard events > 0 else { return [] }
        return try [CalorimeterGeometry.ds1Photons, .ds1Pions].map { g in
            var student = FlowArchitecture.paperStudent(voxels: g.voxelCount)
            var flowI = FlowArchitecture.paperFlowI
            if quick {
                student.blocks = blocks
                student.hiddenFeatures = 64
                flowI = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
            }
            log("bench: generation \(g.name) (\(events) showers at batch 10000, student 8 x 2 x \(student.hiddenFeatures))...")
            let pipeline = try GenerationBenchmark.run(flowI: flowI, student: student, geometry: g,
                                                       plan: ShowerBatchPlan(count: events, batchSize: 10_000))
            let calls = min(200, max(3, events / 10))
            log("bench: generation \(g.name) batch 1 (\(calls) calls)...")
            let latency = try GenerationBenchmark.batchOneLatency(flowI: flowI, student: student, geometry: g, showers: calls)
            log("bench: inference engine \(g.name) batch 1 (\(calls * 2) calls, 1 thread)...")
            let engine = try engineBatchOne(flowI: flowI, student: student, geometry: g, calls: calls * 2)
            return Dataset1Row(geometry: g, student: student, pipeline: pipeline, batchOneMedianMilliseconds: latency.medianMilliseconds,
                               batchOneMeanMilliseconds: latency.meanMilliseconds, batchOneCalls: calls,
                               engineBatchOneMedianMilliseconds: engine)
        }
    }

    /// Median milliseconds of `calls` one-shower calls of the packed engine (after 3 warm-up calls).
    static func engineBatchOne(flowI: FlowArchitecture, student: FlowArchitecture, geometry g: CalorimeterGeometry, calls: Int) throws -> Double {
        let model = try InferenceModel(generator: try GenerationBenchmark.generator(flowI: flowI, student: student, geometry: g))
        let context = try InferenceContext(model: model, maxBatch: 1)
        var output = [Float](repeating: 0, count: g.voxelCount)
        var rng = Xoshiro256(seed: 7)
        var times = [Double]()
        for i in 0..<(calls + 3) {
            var e = 256.0 * Double(1 << min(14, Int(rng.uniform(0, 15))))
            let t0 = monotonicSeconds()
            try output.withUnsafeMutableBufferPointer { o in
                try context.generate(incidentEnergiesMeV: &e, count: 1, seed: 1, firstShower: UInt64(i), output: o.baseAddress!, capacity: o.count)
            }
            if i >= 3 { times.append(1000 * (monotonicSeconds() - t0)) }
        }
        return times.sorted()[times.count / 2]
    }

    static func dataset1Table(_ rows: [Dataset1Row], threads: Int) -> String {
        guard !rows.isEmpty else { return "" }
        func f(_ x: Double, _ d: Int) -> String { HumanFormat.fixed(x, d) }
        var lines = ["", "CaloChallenge dataset 1, Flow I + student (IAF, \(rows[0].student.blocks) blocks, random weights) through caloflow generate's path, \(threads) threads:"]
        for r in rows {
            let p = r.pipeline
            lines.append("  \(r.geometry.name) (\(r.geometry.layerCount) layers, \(r.geometry.voxelCount) voxels, student MADE 2 x \(r.student.hiddenFeatures)): "
                         + "batch \(p.batch): \(f(1000 * p.seconds / Double(p.events), 3)) ms per shower (\(f(p.showersPerSecond, 0)) showers/s, "
                         + "\(p.events) showers, flat HDF5 writing included); batch 1: \(f(r.batchOneMedianMilliseconds, 3)) ms median, "
                         + "\(f(r.batchOneMeanMilliseconds, 3)) ms mean over \(r.batchOneCalls) calls; packed inference engine, batch 1, 1 thread: "
                         + "\(f(r.engineBatchOneMedianMilliseconds, 3)) ms median")
        }
        lines.append("  published CaloFlow student on dataset 1 (CPU unknown): photons 6.1 ms per shower at batch 10000, 576 ms at batch 1; "
                     + "pions 10.2 / 620 ms; targets here: <= 1 ms at batch 10000, < 5 ms at batch 1")
        return lines.joined(separator: "\n") + "\n"
    }

    static func dataset1JSON(_ rows: [Dataset1Row]) -> [(String, Double)] {
        rows.flatMap { r -> [(String, Double)] in
            let key = "generate_\(r.geometry.name.replacingOccurrences(of: "-", with: "_"))"
            return [(key + "_batch10000_ms_per_shower", 1000 * r.pipeline.seconds / Double(r.pipeline.events)),
                    (key + "_batch10000_showers_per_s", r.pipeline.showersPerSecond),
                    (key + "_batch1_median_ms", r.batchOneMedianMilliseconds),
                    (key + "_batch1_mean_ms", r.batchOneMeanMilliseconds),
                    (key + "_engine_batch1_median_ms", r.engineBatchOneMedianMilliseconds)]
        }
    }
}
