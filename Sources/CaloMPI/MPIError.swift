/// Failures of the MPI layer, with what the user should know: which operation, and for a
/// timeout that another process has probably died or hangs.
public enum MPIError: Error, CustomStringConvertible, Equatable {
    /// Launched by mpirun or srun, but Open MPI's library cannot be loaded.
    case unavailable(launcher: String, library: String, detail: String)
    /// An MPI call returned an error code.
    case call(operation: String, code: Int32, message: String)
    /// No answer from the other processes within the timeout.
    case timeout(operation: String, seconds: Double)

    public var description: String {
        switch self {
        case .unavailable(let launcher, let library, let detail):
            return "this process was started by \(launcher) as part of an MPI job, but Open MPI's \(library) cannot be loaded (\(detail)); "
                + "install Open MPI (Debian: apt-get install openmpi-bin libopenmpi3) or start caloflow without mpirun"
        case .call(let operation, let code, let message):
            return "MPI failed during \(operation) (error \(code): \(message)); another process of the job has probably failed"
        case .timeout(let operation, let seconds):
            return "no answer from the other processes of the MPI job for \(Int(seconds)) s during \(operation): one of them has "
                + "probably died or hangs (set CALOFLOW_MPI_TIMEOUT to wait longer)"
        }
    }
}
