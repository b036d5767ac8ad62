import Glibc
import CaloPipeline
import CaloTensor

/// Runs `body` while holding a process-wide lock shared by every test that trains a flow, runs a
/// command, or touches `TrainingSignals`. The stop flag, the BLAS thread count and the
/// `Parallel` worker count are process globals: a stop requested by one test must not interrupt
/// another test's training, and a bit-exact comparison needs the same thread settings throughout.
/// While held: 2 BLAS threads and 2 workers, and a cleared stop flag.
///
/// The lock is an flock(2) on a per-process file: separate open file descriptions exclude each
/// other even inside one process.
public func withTrainingLock<T>(_ body: () throws -> T) throws -> T {
    _ = removeTrainingLockAtExit
    let fd = open(trainingLockPath, O_RDWR | O_CREAT, 0o600)
    guard fd >= 0 else { throw TestFailure("cannot open the training test lock \(trainingLockPath)") }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 { guard errno == EINTR else { throw TestFailure("flock failed") } }
    defer { flock(fd, LOCK_UN) }
    TrainingSignals.reset()
    defer { TrainingSignals.reset() }
    // Two threads, and no other test may change the thread settings while the body runs.
    return try ComputeThreads.with(blas: 2, workers: 2, body)
}

/// The lock file of this process (removed when the process exits).
let trainingLockPath = "/tmp/caloflow-training-tests-\(getpid()).lock"
private let removeTrainingLockAtExit: Void = { atexit { unlink(trainingLockPath) } }()
