import CaloTensor

/// Options every simulating, training or generating command shares: `--seed`, `--threads`,
/// `--quiet` and `--verbose`. Add `CommonOptions.specs` to a command's `options` and build
/// the struct in the command's `init`:
/// ```
/// static let options: [OptionSpec] = [events.spec, output.spec] + CommonOptions.specs
/// init(_ arguments: ParsedArguments) throws { common = try CommonOptions(arguments) }
/// ```
public struct CommonOptions: Sendable, Equatable {
    /// The documented default seed; every run records the seed it used.
    public static let defaultSeed: UInt64 = 1234

    public static let seed = Option.uint64(
        "seed", default: defaultSeed,
        help: "Random seed; the same seed and thread count give the same result.", section: section)
    public static let threads = Option.optionalInt(
        "threads", short: "j", defaultLabel: "all cores", range: 1...1024,
        help: "Worker threads for BLAS products and parallel loops.", section: section)
    public static let quiet = Option.flag(
        "quiet", short: "q", help: "Print only warnings and errors.", section: section)
    public static let verbose = Option.flag(
        "verbose", short: "v", help: "Print extra detail.", section: section)

    /// The specs to append to a command's option list.
    public static let specs: [OptionSpec] = [seed.spec, threads.spec, quiet.spec, verbose.spec]
    static let section = "COMMON OPTIONS"

    public var seed: UInt64
    /// Threads requested, or nil for all cores.
    public var requestedThreads: Int?
    public var verbosity: Verbosity

    /// - Throws: `ValidationError` when `--quiet` and `--verbose` are both given.
    public init(_ arguments: ParsedArguments) throws {
        seed = arguments[Self.seed]
        requestedThreads = arguments[Self.threads]
        let quiet = arguments[Self.quiet], verbose = arguments[Self.verbose]
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
        verbosity = quiet ? .quiet : verbose ? .verbose : .normal
    }

    public init(seed: UInt64 = defaultSeed, requestedThreads: Int? = nil, verbosity: Verbosity = .normal) {
        self.seed = seed
        self.requestedThreads = requestedThreads
        self.verbosity = verbosity
    }

    /// The thread count to use: the request, or every online core (shared evenly by the
    /// processes of an MPI job on one host).
    public var threads: Int { requestedThreads ?? ParallelJob.defaultThreads(onlineCores: Self.onlineCores) }

    /// Gives the threads to both OpenBLAS and `Parallel` loops. Commands that split the cores
    /// differently (one BLAS thread plus a worker of their own) set those knobs themselves.
    public func applyThreadSettings() {
        ComputeThreads.set(blas: threads, workers: threads)
    }

    /// A logger to the console at this verbosity (add a log file with `Logger.openLogFile`).
    /// Processes of an MPI job other than rank 0 print warnings and errors only.
    public func makeLogger(_ console: Console) -> Logger {
        Logger(console: console, verbosity: ParallelJob.isLeader ? verbosity : .quiet)
    }

    static var onlineCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

#if canImport(Glibc)
import Glibc
#endif
