import CaloData
import CaloFlows
import CaloPipeline
import CaloTensor
import Glibc

/// Times the whole generation pipeline as CaloFlow II reports it: E_inc draws, Flow I sampling,
/// student sampling, inverse preprocessing and writing the HDF5 file (overlapped with the next
/// batch, as `caloflow generate` does), in batches, for models of
/// the given shape with random weights (speed does not depend on the weights' values).
public enum GenerationBenchmark {
    public struct Result: Sendable {
        public var plan: ShowerBatchPlan
        public var events: Int { plan.count }
        public var batch: Int { plan.batchSize }
        public var seconds: Double
        public var showersPerSecond: Double { Double(events) / seconds }
        /// Seconds the writer thread spent compressing and writing HDF5 (overlapped with
        /// generating the next batch, so mostly hidden inside `seconds`).
        public var writeSeconds: Double
        /// Process CPU seconds (all threads) over `seconds`: cpuSeconds / seconds is the number of
        /// cores kept busy.
        public var cpuSeconds: Double = 0
    }

    /// - Parameters:
    ///   - flowI, student: architectures (the paper's by default).
    ///   - geometry: the showers' geometry (CaloGAN by default; another one writes the flat layout).
    ///   - energiesGeV: the incident energies drawn (uniform over it; for dataset 1 the powers of two).
    ///   - directory: where the temporary output file goes (removed afterwards).
    public static func run(flowI: FlowArchitecture = .paperFlowI, student: FlowArchitecture = .paperStudent,
                           geometry: CalorimeterGeometry = .calogan, plan: ShowerBatchPlan, directory: String = "/tmp",
                           seed: UInt64 = 1) throws -> Result {
        let generator = try self.generator(flowI: flowI, student: student, geometry: geometry, seed: seed)
        let path = "\(directory)/caloflow-bench-\(getpid()).h5"
        let writer = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata(generator: "caloflow bench"),
                                          format: geometry.isCaloGAN ? .calogan : .flat, geometry: geometry, replaceExisting: true)
        defer { writer.abort(); unlink(path) }
        let cpu0 = FlowBenchmark.processCPUSeconds()
        let timing = try generator.stream(plan: plan, seed: seed, energies: { range in
            var rng = Xoshiro256(seed: seed, stream: (1 << 40) | UInt64(range.lowerBound))
            return (0..<range.count).map { _ in energy(geometry, &rng) }
        }) { stream in
            try ShowerStreamWriter.write(plan: stream.plan, into: writer) { range, _ in try stream.next(expecting: range) }
        }
        return Result(plan: plan, seconds: timing.totalSeconds, writeSeconds: timing.writeSeconds,
                      cpuSeconds: FlowBenchmark.processCPUSeconds() - cpu0)
    }

    /// Batch-1 latency: `showers` calls of `ShowerGenerator.generate` with one incident energy
    /// each (Flow I, student, inverse preprocessing; no file), after one warm-up call.
    /// - Returns: the median and the mean milliseconds per call.
    public static func batchOneLatency(flowI: FlowArchitecture = .paperFlowI, student: FlowArchitecture = .paperStudent,
                                       geometry: CalorimeterGeometry = .calogan, showers: Int, seed: UInt64 = 1) throws
        -> (medianMilliseconds: Double, meanMilliseconds: Double) {
        let generator = try self.generator(flowI: flowI, student: student, geometry: geometry, seed: seed)
        var rng = Xoshiro256(seed: seed, stream: 1 << 41)
        _ = try generator.generate(incidentGeV: [energy(geometry, &rng)], seed: seed, firstShower: 0)
        var times = [Double]()
        for i in 0..<max(1, showers) {
            let e = energy(geometry, &rng)
            let t0 = monotonicSeconds()
            _ = try generator.generate(incidentGeV: [e], seed: seed, firstShower: i + 1)
            times.append(1000 * (monotonicSeconds() - t0))
        }
        let sorted = times.sorted()
        return (sorted[sorted.count / 2], times.reduce(0, +) / Double(times.count))
    }

    /// One incident energy (GeV): uniform 1-100 GeV for CaloGAN; log-uniform 1-1000 GeV for a
    /// geometry modelled layer by layer (datasets 2 and 3, `LayerFlowLayout`); otherwise (dataset
    /// 1) one of the 15 discrete energies 256 MeV x 2^k (k = 0...14), each equally likely.
    static func energy(_ geometry: CalorimeterGeometry, _ rng: inout Xoshiro256) -> Float {
        if geometry.isCaloGAN { return Float(rng.uniform(1, 100)) }
        if LayerFlowLayout.uses(geometry) { return min(1000, Float(pow(10, rng.uniform(0, 3)))) }
        let k = min(14, Int(rng.uniform(0, 15)))
        return Float(0.256 * Double(1 << k))
    }

    /// A generator of Flow I and a student of the given shapes with random weights drawn from `seed`
    /// (e+ over 1-100 GeV for CaloGAN, 1-1000 GeV for datasets 2 and 3, 0.256-4194 GeV for dataset 1,
    /// default preprocessing):
    /// what the pipeline measurement runs.
    public static func generator(flowI: FlowArchitecture = .paperFlowI, student: FlowArchitecture = .paperStudent,
                                 geometry: CalorimeterGeometry = .calogan, seed: UInt64 = 1) throws -> ShowerGenerator {
        var rng = Xoshiro256(seed: seed)
        let f1 = try CaloFlowModels.flowI(flowI, geometry: geometry, rng: &rng)
        let f2 = try CaloFlowModels.flowII(kind: .iaf, student, geometry: geometry, name: "student", rng: &rng)
        // As a training file stores them (float32 GeV), so the dataset's own energies lie inside.
        let range = geometry.isCaloGAN ? (1.0, 100.0)
            : LayerFlowLayout.uses(geometry) ? (1.0, 1000.0) : (Double(Float(0.256)), Double(Float(4194.304)))
        let data = TrainingDataSummary(file: "(benchmark)", particle: geometry.isCaloGAN ? "eplus" : "unknown", events: 0, trainingEvents: 0,
                                       validationEvents: 0, minimumEnergyGeV: range.0, maximumEnergyGeV: range.1, splitSeed: seed)
        return try ShowerGenerator(
            flowI: f1, flowIInfo: FlowModelInfo(stage: .flow1, kind: .maf, architecture: flowI, preprocessing: Preprocessing(),
                                                trainingData: data, geometry: geometry),
            flowII: f2, flowIIInfo: FlowModelInfo(stage: .student, kind: .iaf, architecture: student, preprocessing: Preprocessing(),
                                                  trainingData: data, geometry: geometry))
    }
}
