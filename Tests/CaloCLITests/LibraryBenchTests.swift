import CaloCLI
import Foundation
import Testing

/// `caloflow bench`'s embedding-library rows: printed and written to the JSON with every key
/// (values only checked to be positive and finite, never against a timing).
@Suite struct LibraryBenchTests {
    @Test func quickRunReportsLibraryLatency() throws {
        let path = NSTemporaryDirectory() + "caloflow-bench-library-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = Invocation(["bench", "--quick", "--threads", "1", "--pipeline-events", "0", "--simulator-events", "0",
                              "--json", path], commands: [BenchCommand.self])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("embedding library (libcaloflow)"))
        #expect(run.stdout.contains("memory read bandwidth, 2 threads"))
        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var keys = ["memory_read_gb_per_s_1thread", "memory_read_gb_per_s_2thread", "library_float16_cell_relative_median",
                    "library_float32_weight_bytes", "library_float16_weight_bytes"]
        for p in ["float32", "float16"] {
            for b in [1, 10, 100] {
                keys += ["library_\(p)_batch\(b)_1thread_ms_per_shower", "library_\(p)_batch\(b)_2thread_showers_per_s",
                         "library_\(p)_batch\(b)_two_thread_ratio"]
            }
        }
        for key in keys {
            let value = try #require(object[key] as? Double, "missing or non-numeric \(key)")
            #expect(value.isFinite && value > 0, "\(key) = \(value)")
        }
    }

    @Test func librarySecondsZeroSkipsTheRows() {
        let run = Invocation(["bench", "--quick", "--threads", "1", "--pipeline-events", "0", "--simulator-events", "0",
                              "--library-seconds", "0"], commands: [BenchCommand.self])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("embedding library"))
    }
}
