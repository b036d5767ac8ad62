import Testing
import Dispatch
import Synchronization
import CaloData
import CaloFlows
import CaloInference
import CaloPipeline
import CaloTensor

/// The embedding library's engine: the showers of `ShowerGenerator` (what `caloflow generate`
/// runs) to float rounding, independent of batch, context and thread, and every refusal.
@Suite("InferenceContext: showers and refusals")
struct InferenceContextTests {
    static let generator = Result { try InferenceFixture.generator() }
    static let model = Result { try InferenceModel(generator: try generator.get()) }

    @Test("the showers of ShowerGenerator for the same seed, shower indices and energies")
    func equalsGenerator() throws {
        let g = try Self.generator.get(), model = try Self.model.get()
        let context = try InferenceContext(model: model, maxBatch: 16)
        let e = InferenceFixture.energiesMeV(60)
        let library = try InferenceFixture.showers(context, e, seed: 11, first: 500)
        let reference = try g.generate(incidentGeV: e.map { Float($0 / 1000) }, seed: 11, firstShower: 500, workers: 1)
        let agreement = ShowerAgreement(library, reference.voxels)
        // Random weights make the harshest spline parameters; float rounding stays near 1e-5.
        #expect(agreement.worstRelative < 1e-3, "\(agreement)")
        #expect(agreement.worstTotal < 1e-4, "\(agreement)")
        #expect(agreement.switched == 0 || agreement.largestSwitched < Float(model.preprocessing.thresholdMeV) * 1.001, "\(agreement)")
        // And the output guarantees of generate.
        #expect(library.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(!library.storage.contains { $0 > 0 && $0 < 0.01 })
    }

    @Test("a shower does not depend on the batch, the pass size or the other showers of the call")
    func batchIndependent() throws {
        let model = try Self.model.get()
        let e = InferenceFixture.energiesMeV(23)
        let big = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 64), e, seed: 3, first: 10)
        for maxBatch in [1, 2, 3, 5, 7] {
            let c = try InferenceContext(model: model, maxBatch: maxBatch)
            #expect(try InferenceFixture.showers(c, e, seed: 3, first: 10) == big, "passes of \(maxBatch)")
        }
        // Shower 17 alone is shower 17 of the call.
        let one = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 4), [e[7]], seed: 3, first: 17)
        #expect(one == big.rows(7..<8))
    }

    @Test("caller-supplied latent codes drawn like generate's give the seeded showers")
    func latentEqualsSeed() throws {
        let model = try Self.model.get()
        let context = try InferenceContext(model: model, maxBatch: 8)
        let e = InferenceFixture.energiesMeV(9)
        let seeded = try InferenceFixture.showers(context, e, seed: 21, first: 4)
        let (z1, z2) = ShowerLatents.matrices(seed: 21, firstShower: 4, count: 9, flowIFeatures: 3, flowIIFeatures: 504)
        var latent = [Float]()
        for r in 0..<9 { latent += z1.row(r) + z2.row(r) }
        #expect(latent.count == 9 * model.latentSize)
        var out = Matrix(rows: 9, cols: 504)
        try e.withUnsafeBufferPointer { ep in
            try latent.withUnsafeBufferPointer { lp in
                try out.withUnsafeMutableBufferPointer { o in
                    try context.generate(incidentEnergiesMeV: ep.baseAddress!, count: 9, latent: lp.baseAddress!, latentCount: lp.count,
                                         output: o.baseAddress!, capacity: o.count)
                }
            }
        }
        #expect(out == seeded)
    }

    @Test("threads sharing one model, one context each, give the sequential showers")
    func concurrentEqualsSequential() throws {
        let model = try Self.model.get()
        let threads = 4, perThread = 12
        let e = InferenceFixture.energiesMeV(threads * perThread)
        let sequential = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 5), e, seed: 8, first: 0)
        let results = Mutex<[Int: Matrix]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            do {
                let context = try InferenceContext(model: model, maxBatch: 1 + t)
                var parts = [Matrix]()
                // Several calls per thread, one shower or several at a time.
                for k in stride(from: 0, to: perThread, by: 3) {
                    let lo = t * perThread + k
                    parts.append(try InferenceFixture.showers(context, Array(e[lo..<(lo + 3)]), seed: 8, first: UInt64(lo)))
                }
                let m = Matrix.vstack(parts)
                results.withLock { $0[t] = m }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let got = results.withLock { $0 }
        for t in 0..<threads {
            #expect(got[t] == sequential.rows((t * perThread)..<((t + 1) * perThread)), "thread \(t)")
        }
    }

    // MARK: - Refusals

    static func expectRefusal(_ context: InferenceContext, energies: [Double], capacity: Int? = nil,
                              _ matches: (InferenceError) -> Bool) {
        var out = [Float](repeating: -7, count: max(1, capacity ?? energies.count * 504))
        do {
            try energies.withUnsafeBufferPointer { e in
                try out.withUnsafeMutableBufferPointer { o in
                    try context.generate(incidentEnergiesMeV: e.baseAddress!,
                                         count: e.count, seed: 1, firstShower: 0,
                                         output: o.baseAddress!, capacity: capacity ?? o.count)
                }
            }
            Issue.record("no error for energies \(energies), capacity \(String(describing: capacity))")
        } catch let error as InferenceError {
            #expect(matches(error), "\(error)")
            #expect(!error.description.isEmpty)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(out.allSatisfy { $0 == -7 }, "nothing is written on error")
    }

    @Test("bad incident energies are refused with a message, and nothing is written",
          arguments: [Double.nan, 0, -20_000, .infinity, -.infinity, 500, 100_500, 1e12])
    func badEnergies(_ bad: Double) throws {
        let context = try InferenceContext(model: try Self.model.get(), maxBatch: 4)
        Self.expectRefusal(context, energies: [20_000, bad, 30_000]) {
            if case .energy(let m) = $0 { return m.contains("incident energy 1") } else { return false }
        }
    }

    @Test("a small output buffer is refused")
    func smallBuffer() throws {
        let context = try InferenceContext(model: try Self.model.get(), maxBatch: 4)
        Self.expectRefusal(context, energies: [20_000, 30_000], capacity: 1007) {
            if case .bufferTooSmall = $0 { return true } else { return false }
        }
    }

    @Test("latent codes: a short buffer and a non-finite value are refused")
    func badLatent() throws {
        let model = try Self.model.get()
        let context = try InferenceContext(model: model, maxBatch: 4)
        var out = [Float](repeating: 0, count: 2 * 504)
        let e: [Double] = [20_000, 30_000]
        var latent = [Float](repeating: 0.5, count: 2 * model.latentSize)
        func run(_ count: Int) throws {
            try e.withUnsafeBufferPointer { ep in
                try latent.withUnsafeBufferPointer { lp in
                    try out.withUnsafeMutableBufferPointer { o in
                        try context.generate(incidentEnergiesMeV: ep.baseAddress!, count: 2, latent: lp.baseAddress!, latentCount: count,
                                             output: o.baseAddress!, capacity: o.count)
                    }
                }
            }
        }
        try run(latent.count)
        #expect(throws: InferenceError.self) { try run(latent.count - 1) }
        latent[model.latentSize + 7] = .nan
        do { try run(latent.count); Issue.record("NaN latent accepted") } catch let e as InferenceError {
            guard case .latent(let m) = e else { Issue.record("\(e)"); return }
            #expect(m.contains("shower 1"))
        }
    }

    @Test("a context in use by another thread answers busy")
    func busy() throws {
        let context = try InferenceContext(model: try Self.model.get(), maxBatch: 2)
        try context.withContextHeld {
            Self.expectRefusal(context, energies: [20_000]) { if case .busy = $0 { return true } else { return false } }
        }
        // Released again.
        _ = try InferenceFixture.showers(context, [20_000], seed: 1, first: 0)
    }

    @Test("bad context sizes, thresholds and shower indices are refused")
    func badSettings() throws {
        let model = try Self.model.get()
        for b in [0, -1, InferenceContext.batchLimit + 1] {
            #expect(throws: InferenceError.self) { try InferenceContext(model: model, maxBatch: b) }
        }
        let g = try Self.generator.get()
        for t in [-0.5, .nan, .infinity, 2e5] {
            #expect(throws: InferenceError.self) { try InferenceModel(generator: g, thresholdMeV: t) }
        }
        let context = try InferenceContext(model: model, maxBatch: 1)
        var out = [Float](repeating: 0, count: 504)
        let e = [20_000.0]
        #expect(throws: InferenceError.self) {
            try e.withUnsafeBufferPointer { ep in
                try out.withUnsafeMutableBufferPointer { o in
                    try context.generate(incidentEnergiesMeV: ep.baseAddress!, count: 1, seed: 1, firstShower: ShowerLatents.indexLimit,
                                         output: o.baseAddress!, capacity: o.count)
                }
            }
        }
    }

    @Test("the teacher cannot be embedded: the library samples the student")
    func teacherRefused() throws {
        let g = try Self.generator.get()
        var rng = Xoshiro256(seed: 4)
        let a = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
        let teacher = try CaloFlowModels.flowII(kind: .maf, a, name: "teacher", rng: &rng)
        var info = g.flowIIInfo
        info.stage = .teacher
        info.kind = .maf
        let t = try ShowerGenerator(flowI: g.flowI, flowIInfo: g.flowIInfo, flowII: teacher, flowIIInfo: info)
        #expect(throws: InferenceError.self) { try InferenceModel(generator: t) }
    }

    @Test("a threshold override zeroes the cells below it")
    func threshold() throws {
        let model = try InferenceModel(generator: try Self.generator.get(), thresholdMeV: 5)
        let s = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 4), InferenceFixture.energiesMeV(8), seed: 2, first: 0)
        #expect(!s.storage.contains { $0 > 0 && $0 < 5 })
        #expect(s.storage.contains { $0 >= 5 })
    }
}

import CInferenceKernels

/// The AVX-512 kernels (passes of 2-8 showers) and the AVX2 ones give the same bits, so a shower
/// does not depend on the machine's vector width either.
@Suite("Inference kernels")
struct InferenceKernelTests {
    @Test("AVX2-only and AVX-512 kernels give bit-identical showers")
    func kernelsAgree() throws {
        let model = try InferenceModel(generator: try InferenceFixture.generator(hidden: 40))
        let e = InferenceFixture.energiesMeV(37)
        defer { _ = cik_select_kernels(1) }
        _ = cik_select_kernels(0)
        let narrow = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 37), e, seed: 4, first: 0)
        let wide = cik_select_kernels(1)
        let other = try InferenceFixture.showers(try InferenceContext(model: model, maxBatch: 37), e, seed: 4, first: 0)
        #expect(narrow == other, wide == 1 ? "AVX-512 differs from AVX2" : "no AVX-512 on this CPU: AVX2 twice")
        // float16 weights too.
        let half = try InferenceModel(generator: try InferenceFixture.generator(hidden: 40), precision: .float16)
        _ = cik_select_kernels(0)
        let a = try InferenceFixture.showers(try InferenceContext(model: half, maxBatch: 37), e, seed: 4, first: 0)
        _ = cik_select_kernels(1)
        let b = try InferenceFixture.showers(try InferenceContext(model: half, maxBatch: 37), e, seed: 4, first: 0)
        #expect(a == b)
    }
}
