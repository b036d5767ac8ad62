/// The root of a command-line program: dispatches `name <command> ...` to the command table,
/// handles `--help`, `help <command>` and `--version`, and turns errors into messages and
/// exit codes (0 success, 1 runtime failure, 2 usage error).
public struct Program {
    public var name: String
    public var abstract: String
    public var discussion: String
    public var commands: [any Command.Type]
    /// Options listed in the root help as shared by commands (e.g. `CommonOptions.specs`).
    public var commonOptions: [OptionSpec]
    /// Text printed by `--version`.
    public var version: () -> String
    public var formatter = HelpFormatter()

    public init(name: String, abstract: String, discussion: String = "", commands: [any Command.Type],
                commonOptions: [OptionSpec] = [], version: @escaping () -> String) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.commands = commands
        self.commonOptions = commonOptions
        self.version = version
    }

    // MARK: - Running

    /// Runs the program on `arguments` (without the program name) and returns the exit code.
    public func run(_ arguments: [String], console: Console) -> Int32 {
        do {
            return try dispatch(arguments, console: console).rawValue
        } catch let error as UsageError {
            return reportUsage(error, command: nil, console: console).rawValue
        } catch {
            console.clearStatus()
            console.printError("error: \(Self.describe(error))")
            return ExitCode.failure.rawValue
        }
    }

    private func dispatch(_ arguments: [String], console: Console) throws -> ExitCode {
        guard let first = arguments.first else {
            console.errorOutput.write(rootHelp())
            return .usage
        }
        switch first {
        case "-h", "--help":
            console.output.write(rootHelp())
            return .success
        case "--version":
            console.output.write(version())
            return .success
        case "help":
            guard arguments.count > 1 else {
                console.output.write(rootHelp())
                return .success
            }
            let command = try lookUp(arguments[1])
            if arguments.count > 2 { throw UsageError.unexpectedArgument(arguments[2]) }
            console.output.write(formatter.help(for: command, programName: name))
            return .success
        default:
            if ArgumentParser.looksLikeOption(first) {
                let optionName = String(first.prefix { $0 != "=" })
                if commonOptions.contains(where: { "--\($0.long)" == optionName }) {
                    throw UsageError.optionBeforeCommand(optionName)
                }
                throw UsageError.unknownOption(optionName, suggestion: Suggestion.closest(
                    to: String(optionName.drop { $0 == "-" }), among: ["help", "version"]).map { "--" + $0 })
            }
            return run(try lookUp(first), Array(arguments.dropFirst()), console: console)
        }
    }

    private func run(_ command: any Command.Type, _ arguments: [String], console: Console) -> ExitCode {
        let instance: any Command
        do {
            switch try command.parser.parse(arguments) {
            case .help:
                console.output.write(formatter.help(for: command, programName: name))
                return .success
            case .arguments(let parsed):
                instance = try command.init(parsed)
                try instance.validate()
            }
        } catch let error as UsageError {
            return reportUsage(error, command: command, console: console)
        } catch {
            return reportUsage(.invalid(Self.describe(error)), command: command, console: console)
        }
        do {
            try instance.run(CommandContext(programName: name, console: console))
            return .success
        } catch {
            console.clearStatus()
            console.printError("error: \(Self.describe(error))")
            return .failure
        }
    }

    private func lookUp(_ commandName: String) throws -> any Command.Type {
        if let command = commands.first(where: { $0.name == commandName }) { return command }
        let suggestion = Suggestion.closest(to: commandName, among: commands.map { $0.name } + ["help"])
        throw UsageError.unknownCommand(commandName, suggestion: suggestion)
    }

    // MARK: - Messages

    public func rootHelp() -> String {
        formatter.rootHelp(programName: name, abstract: abstract, discussion: discussion,
                           commands: commands, commonOptions: commonOptions)
    }

    /// One `error:` line and one hint line on stderr; returns the usage exit code.
    private func reportUsage(_ error: UsageError, command: (any Command.Type)?, console: Console) -> ExitCode {
        console.printError("error: \(error.description)")
        let helpCommand = command.map { "\(name) \($0.name) --help" } ?? "\(name) --help"
        console.printError("Run '\(helpCommand)' to see the \(command == nil ? "commands" : "options").")
        return .usage
    }

    /// The message of an error: its `description` when it has one (String(describing:) uses it).
    static func describe(_ error: any Error) -> String { String(describing: error) }
}
