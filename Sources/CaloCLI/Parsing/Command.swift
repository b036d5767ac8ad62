/// One `caloflow` subcommand, e.g. `simulate` or `train-teacher`.
///
/// A command declares its name, help texts and options once (as static `Option` constants
/// listed in `options`), builds itself from the parsed arguments, checks combinations in
/// `validate()` and does its work in `run(_:)`:
/// ```
/// struct Info: Command {
///     static let name = "info"
///     static let abstract = "Summarise a shower file."
///     static let file = PositionalSpec("file", help: "CaloGAN HDF5 file.")
///     static let options: [OptionSpec] = CommonOptions.specs
///     static let positionals = [file]
///     let path: String
///     init(_ arguments: ParsedArguments) throws { path = arguments.value(Self.file) ?? "" }
///     func run(_ context: CommandContext) throws { ... }
/// }
/// ```
/// Errors thrown by `init` or `validate()` are usage errors (exit 2); errors thrown by `run`
/// are runtime failures (exit 1). Their description is printed after `error: `.
public protocol Command {
    /// The word after `caloflow`, kebab-case.
    static var name: String { get }
    /// One line for the command list.
    static var abstract: String { get }
    /// Paragraphs for `caloflow help <command>`; may be empty.
    static var discussion: String { get }
    /// Every option, in help order (`--help` is added by the parser).
    static var options: [OptionSpec] { get }
    /// Positional arguments in order; only the last may repeat.
    static var positionals: [PositionalSpec] { get }
    /// Example command lines shown at the end of help, without the leading `caloflow`.
    static var examples: [String] { get }

    init(_ arguments: ParsedArguments) throws
    func validate() throws
    func run(_ context: CommandContext) throws
}

// MARK: - Default implementations

extension Command {
    public static var discussion: String { "" }
    public static var positionals: [PositionalSpec] { [] }
    public static var examples: [String] { [] }
    public func validate() throws {}

    /// The parser for this command's declared options and positionals.
    public static var parser: ArgumentParser { ArgumentParser(options: options, positionals: positionals) }
}

/// What a running command can use from its surroundings: the program name (for messages)
/// and the console (stdout/stderr, terminal detection). Commands print through the console,
/// never with `print`, so tests can capture their output and progress lines stay tidy.
public struct CommandContext {
    public let programName: String
    public let console: Console

    public init(programName: String, console: Console) {
        self.programName = programName
        self.console = console
    }
}
