import CaloData
import CaloMPI
import CaloTensor

/// Entry point of the `caloflow` executable: the command table and start-up.
public enum CaloflowCLI {
    /// Every available command, in help order. A command joins the table when it works;
    /// each lives in one file under Commands/.
    public static var commands: [any Command.Type] {
        [
            SimulateCommand.self,
            InfoCommand.self,
            ConvertCommand.self,
            TrainTeacherCommand.self,
            DistillCommand.self,
            GenerateCommand.self,
            MergeCommand.self,
            EvaluateCommand.self,
            StudyRecordCommand.self,
            StudyPlotCommand.self,
            BenchCommand.self,
            VersionCommand.self,
        ]
    }

    /// The root program over the command table.
    public static var program: Program {
        Program(name: "caloflow",
                abstract: "CaloFlow-style fast calorimeter simulation for the CaloGAN geometry.",
                discussion: "Simulate showers, train a teacher normalizing flow and distill a fast "
                    + "student from it, generate showers and evaluate them against a reference.",
                commands: commands,
                commonOptions: CommonOptions.specs,
                version: BuildInfo.versionText)
    }

    /// Runs the program with the process's arguments and exits with its code. First makes
    /// sure OpenBLAS runs its tuned kernels (may re-execute the process once), and joins the MPI
    /// job when mpirun or srun started the process (`ParallelJob`).
    public static func main() -> Never {
        OpenBLASCoreSelection.reexecIfNeeded(coreName: BLASRuntime.coreName)
        TemporaryFiles.installSignalHandlers()
        let arguments = Array(CommandLine.arguments.dropFirst())
        var console = Console.standard()
        let environment = processEnvironment()
        // Before any worker thread exists, so that every thread starts in this mode.
        do {
            SubnormalMode.set(try subnormalMode(environment: environment))
        } catch {
            console.printError("error: \(error)")
            exit(ExitCode.usage.rawValue)
        }
        do {
            ParallelJob.runtime = try MPIRuntime.startIfLaunched(environment: environment)
        } catch {
            console.printError("error: \(error)")
            exit(ExitCode.failure.rawValue)
        }
        guard let mpi = ParallelJob.runtime, mpi.size > 1 else {
            let code = program.run(arguments, console: console)
            ParallelJob.runtime?.finalize()
            exit(code)
        }
        // One of several processes: rank 0 speaks for the job; the others print only warnings
        // and errors, each line naming the rank.
        if mpi.rank > 0 {
            console = Console(output: DiscardingSink(),
                              errorOutput: PrefixedSink(console.errorOutput, prefix: ParallelJob.label + ": "))
        }
        let command = arguments.first { !$0.hasPrefix("-") }
        if let command, !ParallelJob.commands.contains(command), commands.contains(where: { $0.name == command }) {
            if mpi.rank == 0 {
                console.printError("error: '\(command)' does not run as several processes (this job has \(mpi.size)); run it "
                                   + "without mpirun. Under MPI: " + ParallelJob.commands.sorted().joined(separator: ", "))
            }
            mpi.finalize()
            exit(ExitCode.usage.rawValue)
        }
        let code = program.run(arguments, console: console)
        // A failure the other processes cannot know of must not leave them waiting: end the job.
        if code == ExitCode.success.rawValue || code == ExitCode.usage.rawValue || ParallelJob.endedTogether {
            mpi.finalize()
            exit(code)
        }
        mpi.abort(code: code)
    }

    /// The subnormal-float mode of the whole process: flush to zero (fast on x86; only values
    /// below 1.2e-38 are affected), or IEEE 754 with `CALOFLOW_SUBNORMALS=ieee`.
    static func subnormalMode(environment: [String: String]) throws -> SubnormalMode {
        guard let text = environment["CALOFLOW_SUBNORMALS"], !text.isEmpty else { return .flushToZero }
        guard let mode = SubnormalMode(rawValue: text.lowercased()) else {
            throw ValidationError("CALOFLOW_SUBNORMALS must be 'flush-to-zero' (the default) or 'ieee', got '\(text)'")
        }
        return mode
    }

    /// The process environment as a dictionary.
    static func processEnvironment() -> [String: String] {
        var out = [String: String]()
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
