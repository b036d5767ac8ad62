/// Builds the help screens: usage line, discussion, every option with its default and
/// allowed range, positional arguments and examples. Plain text, wrapped to a fixed width so
/// the output is the same in a terminal, a pipe and a test.
public struct HelpFormatter: Sendable {
    public var width: Int = 80
    /// Column where option descriptions start.
    public var descriptionColumn: Int = 28

    public init(width: Int = 80, descriptionColumn: Int = 28) {
        self.width = width
        self.descriptionColumn = descriptionColumn
    }

    // MARK: - Screens

    /// `caloflow <command> --help`.
    public func help(for command: any Command.Type, programName: String) -> String {
        var usage = "\(programName) \(command.name)"
        for spec in command.options where spec.presence == .required {
            usage += " \(spec.displayName) <\(spec.valueName)>"
        }
        usage += " [options]"
        for positional in command.positionals { usage += " \(positional.usage)" }

        var text = "\(programName) \(command.name): \(command.abstract)\n\n"
        text += wrap("USAGE: " + usage, indent: 7) + "\n"
        if !command.discussion.isEmpty {
            text += "\n" + command.discussion.split(separator: "\n", omittingEmptySubsequences: false)
                .map { wrap(String($0), indent: 0) }.joined(separator: "\n") + "\n"
        }
        if !command.positionals.isEmpty {
            text += "\nARGUMENTS:\n"
            for positional in command.positionals {
                text += entry("  " + positional.usage, positional.help)
            }
        }
        let helpSpec = OptionSpec(long: "help", short: "h", kind: .flag, help: "Show this help.",
                                  presence: .defaulted("off"))
        var sections: [String] = []
        for spec in command.options where !sections.contains(spec.section) { sections.append(spec.section) }
        if sections.isEmpty { sections = ["OPTIONS"] }
        for section in sections {
            text += "\n\(section):\n"
            for spec in command.options where spec.section == section {
                text += entry("  " + spec.synopsis, spec.help + " " + spec.annotation)
            }
            if section == sections.last { text += entry("  " + helpSpec.synopsis, helpSpec.help) }
        }
        if !command.examples.isEmpty {
            text += "\nEXAMPLES:\n"
            for example in command.examples { text += wrap("  \(programName) \(example)", indent: 4) + "\n" }
        }
        return text
    }

    /// `caloflow --help`: the command table and root options.
    public func rootHelp(programName: String, abstract: String, discussion: String,
                         commands: [any Command.Type], commonOptions: [OptionSpec]) -> String {
        var text = "\(programName): \(abstract)\n\n"
        text += "USAGE: \(programName) <command> [options]\n"
        if !discussion.isEmpty { text += "\n" + wrap(discussion, indent: 0) + "\n" }
        text += "\nCOMMANDS:\n"
        for command in commands { text += entry("  " + command.name, command.abstract) }
        text += entry("  help", "Show help for a command (caloflow help <command>).")
        if !commonOptions.isEmpty {
            text += "\nCOMMON OPTIONS (accepted by commands that simulate, train or generate):\n"
            for spec in commonOptions { text += entry("  " + spec.synopsis, spec.help + " " + spec.annotation) }
        }
        text += "\nOPTIONS:\n"
        text += entry("  -h, --help", "Show this help.")
        text += entry("      --version", "Print the version, build configuration and OpenBLAS kernel.")
        text += "\n" + wrap("Run '\(programName) help <command>' or '\(programName) <command> --help' "
                            + "for a command's options.", indent: 0) + "\n"
        return text
    }

    // MARK: - Layout

    /// A two-column entry: the left text, then the description wrapped at `descriptionColumn`
    /// (on the next line when the left text is too wide).
    func entry(_ left: String, _ description: String) -> String {
        let pad = String(repeating: " ", count: descriptionColumn)
        if left.count + 2 <= descriptionColumn {
            let first = left + String(repeating: " ", count: descriptionColumn - left.count)
            return first + String(wrap(pad + description, indent: descriptionColumn).dropFirst(descriptionColumn)) + "\n"
        }
        return left + "\n" + wrap(pad + description, indent: descriptionColumn) + "\n"
    }

    /// Greedy word wrap to `width`; continuation lines are indented by `indent` spaces.
    /// Leading spaces of the text are kept; words longer than a line are not broken.
    func wrap(_ text: String, indent: Int) -> String {
        let leading = text.prefix { $0 == " " }
        var lines: [String] = []
        var line = String(leading)
        var lineHasWord = false
        for word in text.dropFirst(leading.count).split(separator: " ") {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent) + word
            } else {
                line += (lineHasWord ? " " : "") + word
            }
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
