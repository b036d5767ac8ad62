import CaloCLI
import Foundation
import Testing

/// `caloflow bench --quick --json`: the command runs in-process, prints its table and writes
/// a JSON file with every documented key. Timings are never asserted, only that each rate is
/// a positive finite number.
@Suite struct BenchCommandTests {
    @Test func quickRunWritesJSONWithEveryKey() throws {
        let path = NSTemporaryDirectory() + "caloflow-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = Invocation(["bench", "--quick", "--threads", "1", "--json", path], commands: [BenchCommand.self])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("teacher training step"))
        #expect(run.stdout.contains("student sampling"))
        #expect(run.stdout.contains("ds1-photons (5 layers, 368 voxels") && run.stdout.contains("ds1-pions (7 layers, 533 voxels"))
        #expect(run.stdout.contains("ds2 (45 layers of 144 voxels") && run.stdout.contains("ds3 (45 layers of 900 voxels"))

        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let positive = ["teacher_train_showers_per_s", "student_sample_showers_per_s", "teacher_sample_showers_per_s",
                        "teacher_log_prob_showers_per_s", "gemm_gflops", "gemm_peak_fraction", "peak_gflops",
                        "teacher_train_seconds", "student_sample_seconds", "teacher_sample_seconds",
                        "teacher_log_prob_seconds", "teacher_train_useful_gflops", "teacher_train_peak_fraction",
                        "student_sample_per_worker_showers_per_s", "spline_inverse_ns_per_element",
                        "spline_forward_ns_per_element", "spline_inverse_elementwise_ns_per_element",
                        "generate_ds1_photons_batch10000_showers_per_s", "generate_ds1_photons_batch1_median_ms",
                        "generate_ds1_pions_batch10000_ms_per_shower", "generate_ds1_pions_batch1_mean_ms",
                        "generate_ds1_pions_engine_batch1_median_ms", "generate_ds2_batch10000_ms_per_shower",
                        "generate_ds2_batch10000_cores_busy", "generate_ds3_batch10000_showers_per_s"]
        for key in positive {
            let value = try #require(object[key] as? Double, "missing or non-numeric \(key)")
            #expect(value.isFinite && value > 0, "\(key) = \(value)")
        }
        #expect(object["threads"] as? Int == 1)
        #expect((object["batch"] as? Int ?? 0) > 0)
        for key in ["blas_core", "cpu_model", "started", "finished"] {
            #expect(!((object[key] as? String) ?? "").isEmpty, "missing \(key)")
        }
        // The peak names the vector instruction set it was measured with.
        let isa = try #require(object["peak_isa"] as? String)
        #expect(["avx2", "avx512f"].contains(isa), "peak_isa = \(isa)")
        #expect(object["peak_vector_bits"] as? Int == (isa == "avx512f" ? 512 : 256))
        #expect(run.stdout.contains(isa == "avx512f" ? "AVX-512F, 512-bit" : "AVX2+FMA, 256-bit"))
    }

    @Test func rejectsNonsenseOptions() {
        let run = Invocation(["bench", "--batch", "0"], commands: [BenchCommand.self])
        #expect(run.code == 2)
        #expect(run.stderr.contains("--batch"))
    }
}
