import CaloCLI

/// A particle choice like the real commands use (the test target does not import CaloData).
enum TestParticle: String, CaseIterable, Sendable {
    case eplus, gamma, piplus
}

/// A command with one option of every kind, so parser and help tests cover them all.
struct SampleCommand: Command {
    static let name = "sample"
    static let abstract = "A command used by the parser tests."
    static let discussion = "Prints its parsed values, one per line."

    static let events = Option.int("events", short: "n", default: 1000, range: 1...1_000_000,
                                   help: "Number of showers.")
    static let energy = Option.double("energy", default: 50, range: .between(1, 100),
                                      help: "Incident energy in GeV.")
    static let rate = Option.double("learning-rate", default: 1e-4, range: .positive, help: "Adam step size.")
    static let particle = Option.choice("particle", default: TestParticle.eplus, help: "Particle species.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let name_ = Option.string("name", default: "run", help: "Run name.")
    static let energies = Option.doubleList("energies", default: [], range: .between(1, 100),
                                            help: "Incident energies in GeV.")
    static let sizes = Option.intList("sizes", default: [64, 128], range: 1..., help: "Layer sizes.")
    static let limit = Option.optionalInt("limit", defaultLabel: "no limit", range: 1..., help: "Stop early.")
    static let dryRun = Option.flag("dry-run", help: "Check the options and stop.")

    static let options: [OptionSpec] = [events.spec, energy.spec, rate.spec, particle.spec, output.spec,
                                        name_.spec, energies.spec, sizes.spec, limit.spec, dryRun.spec]
        + CommonOptions.specs
    static let inputs = PositionalSpec("input", arity: .zeroOrMore, help: "Input files.")
    static let positionals = [inputs]
    static let examples = ["sample --events 10 -o out.h5"]

    let arguments: ParsedArguments
    let common: CommonOptions

    init(_ arguments: ParsedArguments) throws {
        self.arguments = arguments
        common = try CommonOptions(arguments)
    }

    func validate() throws {
        if arguments[Self.dryRun] && arguments.contains(Self.limit) {
            throw ValidationError("--dry-run and --limit cannot be used together")
        }
    }

    func run(_ context: CommandContext) throws {
        context.console.print("events=\(arguments[Self.events]) output=\(arguments[Self.output])")
    }
}

/// A command whose work fails, for the runtime-error path.
struct FailingCommand: Command {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "cannot read 'missing.h5': no such file" }
    }
    static let name = "fail"
    static let abstract = "Always fails at run time."
    static let options: [OptionSpec] = []
    init(_ arguments: ParsedArguments) throws {}
    func run(_ context: CommandContext) throws { throw Failure() }
}

/// Runs a program in-process and captures its exit code, stdout and stderr.
struct Invocation {
    let code: Int32
    let stdout: String
    let stderr: String

    init(_ arguments: [String], commands: [any Command.Type] = [SampleCommand.self, FailingCommand.self]) {
        let out = StringSink(), err = StringSink()
        let program = Program(name: "caloflow", abstract: "Test program.", commands: commands,
                              commonOptions: CommonOptions.specs, version: { "caloflow test\n" })
        code = program.run(arguments, console: Console(output: out, errorOutput: err))
        stdout = out.text
        stderr = err.text
    }

    var errorLines: [Substring] { stderr.split(separator: "\n") }
}

/// Parses `arguments` with the sample command's parser, expecting success.
func parseSample(_ arguments: [String]) throws -> ParsedArguments {
    guard case .arguments(let parsed) = try SampleCommand.parser.parse(arguments) else {
        throw ValidationError("expected arguments, got help")
    }
    return parsed
}
