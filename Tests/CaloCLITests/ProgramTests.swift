import CaloCLI
import Testing

@Suite("Program: dispatch, messages and exit codes")
struct ProgramTests {
    @Test("a valid command line runs the command and exits 0")
    func success() {
        let run = Invocation(["sample", "--events=7", "-o", "x.h5"])
        #expect(run.code == 0)
        #expect(run.stdout == "events=7 output=x.h5\n")
        #expect(run.stderr.isEmpty)
    }

    @Test("usage errors print one error line naming the problem, a help hint, and exit 2",
          arguments: [
            (["simulat"], "error: unknown command 'simulat'"),
            (["sampel"], "error: unknown command 'sampel' (did you mean 'sample'?)"),
            (["sample", "-o", "x", "--evnts", "3"], "error: unknown option '--evnts' (did you mean '--events'?)"),
            (["sample", "-o", "x", "--events"], "error: option '--events' needs a value (an integer)"),
            (["sample", "-o", "x", "--events", "many"],
             "error: invalid value 'many' for '--events': expected an integer"),
            (["sample", "-o", "x", "--events", "0"],
             "error: value 0 for '--events' is out of range (allowed: 1...1000000)"),
            (["sample"], "error: missing required option '--output <path>'"),
            (["fail", "extra"], "error: unexpected argument 'extra'"),
            (["sample", "-o", "x", "-q", "-v"], "error: --quiet and --verbose cannot be used together"),
            (["sample", "-o", "x", "--dry-run", "--limit", "2"],
             "error: --dry-run and --limit cannot be used together"),
            (["--seed", "3", "sample"],
             "error: option '--seed' belongs after the command name (caloflow <command> --seed ...)"),
            (["--verison"], "error: unknown option '--verison' (did you mean '--version'?)"),
            (["help", "nope"], "error: unknown command 'nope'"),
          ])
    func usageError(_ arguments: [String], _ message: String) {
        let run = Invocation(arguments)
        #expect(run.code == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.errorLines.count == 2)
        #expect(run.errorLines.first.map(String.init) == message)
        #expect(run.errorLines.last?.hasPrefix("Run 'caloflow") == true)
        #expect(run.errorLines.last?.contains("--help") == true)
    }

    @Test("a hint names the command's own help after an option error")
    func commandHint() {
        let run = Invocation(["sample", "--bogus"])
        #expect(run.errorLines.last == "Run 'caloflow sample --help' to see the options.")
    }

    @Test("a runtime failure prints 'error: <description>' and exits 1")
    func runtimeFailure() {
        let run = Invocation(["fail"])
        #expect(run.code == 1)
        #expect(run.stderr == "error: cannot read 'missing.h5': no such file\n")
    }

    @Test("no command prints the root help on stderr and exits 2; --version prints the version")
    func rootForms() {
        let none = Invocation([])
        #expect(none.code == 2)
        #expect(none.stderr.contains("COMMANDS:"))
        let version = Invocation(["--version"])
        #expect(version.code == 0)
        #expect(version.stdout == "caloflow test\n")
    }

    @Test("the real command table: every command has a unique name and valid help")
    func realTable() {
        let names = CaloflowCLI.commands.map { $0.name }
        #expect(Set(names).count == names.count)
        #expect(names.contains("version"))
        for command in CaloflowCLI.commands {
            #expect(!command.abstract.isEmpty)
            let longs = command.options.map(\.long)
            #expect(Set(longs).count == longs.count, "duplicate option in \(command.name)")
            let shorts = command.options.compactMap(\.short)
            #expect(Set(shorts).count == shorts.count, "duplicate short option in \(command.name)")
            #expect(!shorts.contains("h"), "-h is reserved for help in \(command.name)")
        }
    }

    @Test("CommonOptions resolves threads and verbosity")
    func commonOptions() throws {
        let p = try parseSample(["-o", "x", "--threads", "3", "--verbose", "--seed", "9"])
        let common = try CommonOptions(p)
        #expect(common == CommonOptions(seed: 9, requestedThreads: 3, verbosity: .verbose))
        #expect(common.threads == 3)
        #expect(CommonOptions().threads >= 1)
    }
}
