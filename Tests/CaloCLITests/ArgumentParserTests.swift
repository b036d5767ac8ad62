import CaloCLI
import Testing

@Suite("Argument parser: values")
struct ArgumentParserValueTests {
    @Test("defaults apply when options are absent")
    func defaults() throws {
        let p = try parseSample(["-o", "out.h5"])
        #expect(p[SampleCommand.events] == 1000)
        #expect(p[SampleCommand.energy] == 50)
        #expect(p[SampleCommand.rate] == 1e-4)
        #expect(p[SampleCommand.particle] == .eplus)
        #expect(p[SampleCommand.name_] == "run")
        #expect(p[SampleCommand.energies] == [])
        #expect(p[SampleCommand.sizes] == [64, 128])
        #expect(p[SampleCommand.limit] == nil)
        #expect(p[SampleCommand.dryRun] == false)
        #expect(p[CommonOptions.seed] == CommonOptions.defaultSeed)
        #expect(p[CommonOptions.threads] == nil)
        #expect(!p.contains(SampleCommand.events))
    }

    @Test("'--option value', '--option=value', '-x value', '-x=value' and '-xvalue' agree",
          arguments: [["--events", "42"], ["--events=42"], ["-n", "42"], ["-n=42"], ["-n42"]])
    func spellings(_ form: [String]) throws {
        let p = try parseSample(form + ["--output=o.h5"])
        #expect(p[SampleCommand.events] == 42)
        #expect(p.contains(SampleCommand.events))
        #expect(p[SampleCommand.output] == "o.h5")
    }

    @Test("integers accept underscores and exact exponents", arguments: [("20000", 20000), ("20_000", 20000),
                                                                          ("2e4", 20000), ("+7", 7)])
    func integerForms(_ raw: String, _ expected: Int) throws {
        #expect(try parseSample(["-o", "x", "--events", raw])[SampleCommand.events] == expected)
    }

    @Test("a repeated scalar option keeps the last value; a repeated list accumulates")
    func repetition() throws {
        let p = try parseSample(["-o", "a", "--events", "5", "--events", "9", "-o", "b",
                                 "--energies", "10,20", "--energies=50", "--sizes", "8"])
        #expect(p[SampleCommand.events] == 9)
        #expect(p[SampleCommand.output] == "b")
        #expect(p[SampleCommand.energies] == [10, 20, 50])
        #expect(p[SampleCommand.sizes] == [8])
    }

    @Test("enum choices map to cases")
    func choices() throws {
        for particle in TestParticle.allCases {
            #expect(try parseSample(["-o", "x", "--particle", particle.rawValue])[SampleCommand.particle] == particle)
        }
    }

    @Test("flags, optional values, seeds in hex, negative-looking values")
    func flagsAndOptionals() throws {
        let p = try parseSample(["-o", "x", "--dry-run", "--seed", "0xFF", "--limit=3", "-j", "2", "-q"])
        #expect(p[SampleCommand.dryRun])
        #expect(p[SampleCommand.limit] == 3)
        #expect(p[CommonOptions.seed] == 255)
        #expect(p[CommonOptions.threads] == 2)
        #expect(p[CommonOptions.quiet])
        #expect(try parseSample(["-o", "x", "--seed", "18446744073709551615"])[CommonOptions.seed] == .max)
    }

    @Test("positionals are collected; '--' ends options; '-' is a positional")
    func positionals() throws {
        let p = try parseSample(["a.h5", "-o", "x", "b.h5", "--", "--events", "-"])
        #expect(p.values(SampleCommand.inputs) == ["a.h5", "b.h5", "--events", "-"])
        #expect(p[SampleCommand.events] == 1000)
    }

    @Test("--help anywhere before '--' asks for help, even beside mistakes")
    func helpWins() throws {
        for args in [["--help"], ["--bogus", "-h"], ["--events", "zero", "--help"]] {
            guard case .help = try SampleCommand.parser.parse(args) else {
                Issue.record("expected help for \(args)")
                continue
            }
        }
        #expect(try parseSample(["-o", "x", "--", "--help"]).values(SampleCommand.inputs) == ["--help"])
    }
}

@Suite("Argument parser: errors")
struct ArgumentParserErrorTests {
    static let cases: [([String], UsageError)] = [
        (["--evnts", "3"], .unknownOption("--evnts", suggestion: "--events")),
        (["--sed", "3"], .unknownOption("--sed", suggestion: "--seed")),
        (["-events", "3"], .unknownOption("-events", suggestion: "--events")),
        (["--zzz"], .unknownOption("--zzz", suggestion: nil)),
        (["--events"], .missingValue(option: "--events", expected: "an integer")),
        (["--events", "--dry-run"], .missingValue(option: "--events", expected: "an integer")),
        (["--events", "ten"], .invalidValue(option: "--events", value: "ten", expected: "an integer")),
        (["--events", "1.5"], .invalidValue(option: "--events", value: "1.5", expected: "an integer")),
        (["--energy", "nan"], .invalidValue(option: "--energy", value: "nan", expected: "a finite number")),
        (["--seed", "-1"], .invalidValue(option: "--seed", value: "-1", expected: "a non-negative integer")),
        (["--events", "0"], .outOfRange(option: "--events", value: "0", allowed: "1...1000000")),
        (["--events", "-5"], .outOfRange(option: "--events", value: "-5", allowed: "1...1000000")),
        (["--energy", "150"], .outOfRange(option: "--energy", value: "150", allowed: "1...100")),
        (["--learning-rate", "0"], .outOfRange(option: "--learning-rate", value: "0", allowed: "> 0")),
        (["--energies", "10,200"], .outOfRange(option: "--energies", value: "200", allowed: "1...100")),
        (["--energies", "10,,20"], .invalidValue(option: "--energies", value: "10,,20",
                                                 expected: "a comma-separated list of numbers")),
        (["--particle", "electron"], .invalidChoice(option: "--particle", value: "electron",
                                                    choices: ["eplus", "gamma", "piplus"], suggestion: nil)),
        (["--particle", "gama"], .invalidChoice(option: "--particle", value: "gama",
                                                choices: ["eplus", "gamma", "piplus"], suggestion: "gamma")),
        (["--dry-run=yes"], .flagWithValue(option: "--dry-run")),
        (["--threads", "0"], .outOfRange(option: "--threads", value: "0", allowed: "1...1024")),
    ]

    @Test("each mistake gives its usage error", arguments: cases)
    func usageErrors(_ arguments: [String], _ expected: UsageError) {
        #expect(throws: expected) { try parseSample(["-o", "x"] + arguments) }
    }

    @Test("a missing required option is named with its value placeholder")
    func missingRequired() {
        #expect(throws: UsageError.missingRequired(option: "--output <path>")) { try parseSample([]) }
    }

    @Test("an unexpected positional is reported")
    func unexpectedPositional() {
        let parser = ArgumentParser(options: SampleCommand.options, positionals: [PositionalSpec("file", help: "")])
        #expect(throws: UsageError.unexpectedArgument("b.h5")) { try parser.parse(["a.h5", "-o", "x", "b.h5"]) }
        #expect(throws: UsageError.missingArgument("<file>")) { try parser.parse(["-o", "x"]) }
    }

    @Test("messages name the option and the problem on one line")
    func messages() {
        #expect(UsageError.outOfRange(option: "--events", value: "0", allowed: "1...10").description
                == "value 0 for '--events' is out of range (allowed: 1...10)")
        #expect(UsageError.unknownOption("--evnts", suggestion: "--events").description
                == "unknown option '--evnts' (did you mean '--events'?)")
        #expect(UsageError.missingValue(option: "--events", expected: "an integer").description
                == "option '--events' needs a value (an integer)")
        for (_, error) in Self.cases { #expect(!error.description.contains("\n")) }
    }
}

@Suite("Suggestions")
struct SuggestionTests {
    @Test("edit distance counts insertions, deletions, substitutions and adjacent swaps as one")
    func distance() {
        func d(_ a: String, _ b: String) -> Int { Suggestion.editDistance(Array(a), Array(b)) }
        #expect(d("", "abc") == 3)
        #expect(d("kitten", "sitting") == 3)
        #expect(d("events", "evnets") == 1)
        #expect(d("seed", "seed") == 0)
        #expect(d("abc", "xyz") == 3)
        #expect(d("simulate", "simulat") == d("simulat", "simulate"))
    }

    @Test("close names are suggested, far ones are not, unique prefixes are")
    func closest() {
        let commands = ["simulate", "info", "train-teacher", "distill", "generate", "evaluate", "bench"]
        #expect(Suggestion.closest(to: "simulat", among: commands) == "simulate")
        #expect(Suggestion.closest(to: "trian-teacher", among: commands) == "train-teacher")
        #expect(Suggestion.closest(to: "gen", among: commands) == "generate")
        #expect(Suggestion.closest(to: "Info", among: commands) == "info")
        #expect(Suggestion.closest(to: "plot", among: commands) == nil)
        #expect(Suggestion.closest(to: "x", among: commands) == nil)
    }
}
