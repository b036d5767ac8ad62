import CMPI
import Glibc

/// This process's place in an MPI job started by `mpirun` (Open MPI) or `srun --mpi=pmix`:
/// detected from the launcher's environment, with Open MPI's libmpi loaded only then
/// (`include/caloflow_mpi.h` explains why through dlopen). A process started any other way never
/// touches MPI.
public final class MPIRuntime: @unchecked Sendable {
    /// The library loaded (override with CALOFLOW_MPI_LIBRARY).
    public static let defaultLibrary = "libmpi.so.40"

    public let rank: Int
    public let size: Int
    /// The host name MPI reports.
    public let host: String
    /// Processes of the job on this host (from the launcher; 1 when it does not say).
    public let localSize: Int
    /// The collective operations over all processes.
    public let group: MPIProcessGroup
    private var finalized = false

    /// The launcher that started this process as an MPI rank, from its environment: Open MPI's
    /// mpirun (OMPI_COMM_WORLD_SIZE) or a PMIx launcher such as `srun --mpi=pmix` (PMIX_RANK);
    /// nil for a process started otherwise, or when CALOFLOW_MPI=0.
    public static func launcher(environment: [String: String]) -> String? {
        if environment["CALOFLOW_MPI"] == "0" { return nil }
        if environment["OMPI_COMM_WORLD_SIZE"] != nil { return "mpirun" }
        if environment["PMIX_RANK"] != nil { return environment["SLURM_JOB_ID"] != nil ? "srun" : "a PMIx launcher" }
        return nil
    }

    /// Loads libmpi and initialises MPI when this process was started by an MPI launcher;
    /// nil otherwise.
    /// - Throws: `MPIError.unavailable` when the library cannot be loaded, `MPIError.call` when
    ///   MPI_Init fails.
    public static func startIfLaunched(environment: [String: String]) throws -> MPIRuntime? {
        guard let launcher = launcher(environment: environment) else { return nil }
        let library = environment["CALOFLOW_MPI_LIBRARY"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultLibrary
        var message = [CChar](repeating: 0, count: 1024)
        guard cf_mpi_load(library, &message, message.count) == 0 else {
            throw MPIError.unavailable(launcher: launcher, library: library, detail: cText(message))
        }
        var rank: Int32 = 0, size: Int32 = 1
        let rc = cf_mpi_init(&rank, &size)
        guard rc == 0 else { throw MPIError.call(operation: "MPI_Init", code: rc, message: MPIProcessGroup.errorText(rc)) }
        var name = [CChar](repeating: 0, count: 1024)
        _ = cf_mpi_processor_name(&name, name.count)
        let timeout = environment["CALOFLOW_MPI_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
            ?? MPIProcessGroup.defaultTimeout
        let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE", "MPI_LOCALNRANKS"]
            .lazy.compactMap { environment[$0].flatMap { Int($0.split(separator: "(").first ?? "") } }.first ?? 1
        return MPIRuntime(rank: Int(rank), size: Int(size), host: cText(name), localSize: max(1, local),
                          timeout: timeout)
    }

    private init(rank: Int, size: Int, host: String, localSize: Int, timeout: Double) {
        self.rank = rank
        self.size = size
        self.host = host
        self.localSize = localSize
        group = MPIProcessGroup(rank: rank, size: size, timeout: timeout)
    }

    /// MPI_Finalize (idempotent). Every process calls it at a normal end.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = cf_mpi_finalize()
    }

    /// Ends every process of the job with `code` (MPI_Abort): what a process does after an
    /// error the others cannot know of, so that none of them waits for it.
    public func abort(code: Int32) -> Never {
        cf_mpi_abort(code)
        _exit(code)
    }
}

/// The text of a NUL-terminated C buffer.
func cText(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
