import CaloMPI
import CaloNN
#if canImport(Glibc)
import Glibc
#endif

/// The MPI job this process is a rank of, if any: set once at start-up (`CaloflowCLI.main`)
/// from the launcher's environment. Commands read it to split their work; without mpirun it is
/// a job of one process and nothing changes.
enum ParallelJob {
    /// The MPI runtime when this process was started by mpirun or srun.
    nonisolated(unsafe) static var runtime: MPIRuntime?
    /// Set by a command whose failure every rank shares at the same point (an interrupted
    /// training, a non-finite loss): the ranks then finalize MPI together instead of aborting.
    nonisolated(unsafe) static var endedTogether = false

    /// The commands that know how to run as several processes (the others are refused under
    /// mpirun rather than run once per process).
    static let commands: Set<String> = ["train-teacher", "distill", "bench", "generate"]

    static var rank: Int { runtime?.rank ?? 0 }
    static var size: Int { runtime?.size ?? 1 }
    static var isLeader: Bool { rank == 0 }
    /// The collective operations, or nil for a single process.
    static var group: ProcessGroup? { size > 1 ? runtime?.group : nil }

    /// Threads a process uses unless told otherwise: the online cores shared evenly by the
    /// job's processes on this host.
    static func defaultThreads(onlineCores: Int) -> Int { max(1, onlineCores / max(1, runtime?.localSize ?? 1)) }

    /// "rank 1 of 4 (host, pid 1234)" for messages of processes other than rank 0.
    static var label: String {
        guard let runtime else { return "" }
        return "rank \(runtime.rank) of \(runtime.size) (\(runtime.host), pid \(getpid()))"
    }
}

/// Writes each line with a prefix (the rank of a process other than rank 0).
final class PrefixedSink: TextSink {
    let base: TextSink
    let prefix: String
    private var atLineStart = true

    init(_ base: TextSink, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    func write(_ text: String) {
        var out = ""
        for ch in text {
            if atLineStart { out += prefix }
            out.append(ch)
            atLineStart = ch == "\n"
        }
        base.write(out)
    }
}

/// Swallows everything (the results on stdout of ranks other than 0, which rank 0 reports).
final class DiscardingSink: TextSink {
    func write(_ text: String) {}
}
