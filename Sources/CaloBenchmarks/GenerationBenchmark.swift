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
    }

    /// - Parameters:
    ///   - flowI, student: architectures (the paper's by default).
    ///   - directory: where the temporary output file goes (removed afterwards).
    public static func run(flowI: FlowArchitecture = .paperFlowI, student: FlowArchitecture = .paperStudent,
                           plan: ShowerBatchPlan, directory: String = "/tmp", seed: UInt64 = 1) throws -> Result {
        let generator = try self.generator(flowI: flowI, student: student, seed: seed)
        let path = "\(directory)/caloflow-bench-\(getpid()).h5"
        let writer = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata(generator: "caloflow bench"), replaceExisting: true)
        defer { writer.abort(); unlink(path) }
        let timing = try generator.stream(plan: plan, seed: seed, energies: { range in
            var rng = Xoshiro256(seed: seed, stream: (1 << 40) | UInt64(range.lowerBound))
            return (0..<range.count).map { _ in Float(rng.uniform(1, 100)) }
        }) { stream in
            try ShowerStreamWriter.write(plan: stream.plan, into: writer) { range, _ in try stream.next(expecting: range) }
        }
        return Result(plan: plan, seconds: timing.totalSeconds, writeSeconds: timing.writeSeconds)
    }

    /// A generator of Flow I and a student of the given shapes with random weights drawn from `seed`
    /// (e+ over 1-100 GeV, default preprocessing): what the pipeline measurement runs.
    public static func generator(flowI: FlowArchitecture = .paperFlowI, student: FlowArchitecture = .paperStudent,
                                 seed: UInt64 = 1) throws -> ShowerGenerator {
        var rng = Xoshiro256(seed: seed)
        let f1 = try CaloFlowModels.flowI(flowI, rng: &rng)
        let f2 = try CaloFlowModels.flowII(kind: .iaf, student, name: "student", rng: &rng)
        let data = TrainingDataSummary(file: "(benchmark)", particle: "eplus", events: 0, trainingEvents: 0, validationEvents: 0,
                                       minimumEnergyGeV: 1, maximumEnergyGeV: 100, splitSeed: seed)
        return try ShowerGenerator(
            flowI: f1, flowIInfo: FlowModelInfo(stage: .flow1, kind: .maf, architecture: flowI, preprocessing: Preprocessing(), trainingData: data),
            flowII: f2, flowIIInfo: FlowModelInfo(stage: .student, kind: .iaf, architecture: student, preprocessing: Preprocessing(), trainingData: data))
    }
}
