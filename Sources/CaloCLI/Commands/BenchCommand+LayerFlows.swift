import CaloBenchmarks
import CaloData
import CaloPipeline
import CaloTensor

/// The dataset-2 and dataset-3 generation rows of `caloflow bench`: CaloFlow's Flow I (45 layer
/// energies) + the iCaloFlow layer-flow student (`LayerFlowLayout`: one IAF over a layer's V =
/// 144 / 900 voxels, sampled 45 times in a row) at its reference size
/// (`FlowArchitecture.layerFlowStudent(voxelsPerLayer:)`) with random weights, through
/// `ShowerGenerator.stream` at batch 10,000 as `caloflow generate` runs it (log-uniform 1-1000 GeV,
/// passes of 250 / 200 showers spread over the workers, flat HDF5 writing overlapped with the next
/// batch). At most three write batches are in memory (`GenerationStream`): 3 x 10,000 x D x 4
/// bytes, 0.8 GB for dataset 2 and 4.9 GB for dataset 3.
extension BenchCommand {
    static let dataset2Events = Option.int("ds2-events", default: 10_000, range: 0...10_000_000,
                                           help: "Dataset-2 showers (6480 voxels) for the generation row at batch 10000 (Flow I + layer-flow student of the reference size with random weights + flat HDF5 writing); 0 skips it.")
    static let dataset3Events = Option.int("ds3-events", default: 2000, range: 0...10_000_000,
                                           help: "Dataset-3 showers (40,500 voxels) for the generation row at batch 10000 (fewer than 10000 make one smaller batch whose writing cannot overlap generation); 0 skips it.")
    static let layerFlowHidden = Option.int("layer-flow-hidden", default: 0, range: 0...8192,
                                            help: "Hidden width of the dataset-2/3 layer-flow students (0: the reference size, FlowArchitecture.layerFlowStudent).")

    /// One layer-flow geometry's generation numbers.
    struct LayerFlowRow {
        var geometry: CalorimeterGeometry
        var student: FlowArchitecture
        var flowBatch: Int
        var pipeline: GenerationBenchmark.Result
    }

    /// Runs the rows for datasets 2 and 3 (`events` each; 0 skips one). quick: 2-block students
    /// of width 32 and a small Flow I.
    static func layerFlowRows(events: [(CalorimeterGeometry, Int)], hidden: Int, quick: Bool, blocks: Int,
                              log: (String) -> Void) throws -> [LayerFlowRow] {
        try events.compactMap { g, n -> LayerFlowRow? in
            guard n > 0, let layout = LayerFlowLayout(g) else { return nil }
            var student = FlowArchitecture.layerFlowStudent(voxelsPerLayer: layout.voxelsPerLayer)
            var flowI = FlowArchitecture.paperFlowI
            if hidden > 0 { student.hiddenFeatures = hidden }
            if quick {
                student.blocks = blocks
                student.hiddenFeatures = 32
                flowI = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
            }
            let flowBatch = try GenerationBenchmark.generator(flowI: flowI, student: student, geometry: g).flowBatch
            log("bench: generation \(g.name) (\(n) showers at batch 10000, layer-flow student \(student.blocks) x "
                + "\(student.hiddenLayers) x \(student.hiddenFeatures), \(layout.layers) steps of \(flowBatch) showers per pass)...")
            let pipeline = try GenerationBenchmark.run(flowI: flowI, student: student, geometry: g,
                                                       plan: ShowerBatchPlan(count: n, batchSize: 10_000))
            return LayerFlowRow(geometry: g, student: student, flowBatch: flowBatch, pipeline: pipeline)
        }
    }

    static func layerFlowTable(_ rows: [LayerFlowRow], threads: Int) -> String {
        guard !rows.isEmpty else { return "" }
        func f(_ x: Double, _ d: Int) -> String { HumanFormat.fixed(x, d) }
        var lines = ["", "CaloChallenge datasets 2 and 3, Flow I + iCaloFlow layer-flow student (IAF, random weights; the layer flow "
                     + "runs once per layer, 45 times per shower) through caloflow generate's path, \(threads) threads:"]
        for r in rows {
            let p = r.pipeline
            let v = r.geometry.layerSizes.first ?? 0
            let reference = r.student == FlowArchitecture.layerFlowStudent(voxelsPerLayer: v) ? "reference size" : "not the reference size"
            lines.append("  \(r.geometry.name) (\(r.geometry.layerCount) layers of \(v) voxels, student \(r.student.blocks) blocks, "
                         + "MADE \(r.student.hiddenLayers) x \(r.student.hiddenFeatures), \(r.student.bins)-bin RQS, \(reference)): "
                         + "batch \(p.batch): \(f(1000 * p.seconds / Double(p.events), 3)) ms per shower (\(f(p.showersPerSecond, 1)) showers/s, "
                         + "\(p.events) showers in passes of \(r.flowBatch), flat HDF5 writing included; \(f(p.cpuSeconds / p.seconds, 2)) cores busy; "
                         + "writer busy \(f(100 * p.writeSeconds / p.seconds, 1))% of the time)")
        }
        lines.append("  published iCaloFlow student (CPU unknown, float64): dataset 2 78 ms per shower at batch 10000, 3050 ms at batch 1; "
                     + "dataset 3 446 / 20200 ms; targets here: <= 10 ms (dataset 2) and <= 60 ms (dataset 3) at batch 10000 on 2 cores")
        return lines.joined(separator: "\n") + "\n"
    }

    static func layerFlowJSON(_ rows: [LayerFlowRow]) -> [(String, Double)] {
        rows.flatMap { r -> [(String, Double)] in
            let key = "generate_\(r.geometry.name.replacingOccurrences(of: "-", with: "_"))"
            return [(key + "_batch10000_ms_per_shower", 1000 * r.pipeline.seconds / Double(r.pipeline.events)),
                    (key + "_batch10000_showers_per_s", r.pipeline.showersPerSecond),
                    (key + "_batch10000_cores_busy", r.pipeline.cpuSeconds / r.pipeline.seconds),
                    (key + "_showers", Double(r.pipeline.events)),
                    (key + "_student_hidden", Double(r.student.hiddenFeatures)),
                    (key + "_student_hidden_layers", Double(r.student.hiddenLayers))]
        }
    }
}
