import CaloData
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
    /// sure OpenBLAS runs its tuned kernels (may re-execute the process once).
    public static func main() -> Never {
        OpenBLASCoreSelection.reexecIfNeeded(coreName: BLASRuntime.coreName)
        TemporaryFiles.installSignalHandlers()
        let code = program.run(Array(CommandLine.arguments.dropFirst()), console: .standard())
        exit(code)
    }
}

#if canImport(Glibc)
import Glibc
#endif
