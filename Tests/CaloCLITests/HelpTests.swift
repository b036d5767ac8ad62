import CaloCLI
import Testing

@Suite("Help text")
struct HelpTests {
    let help = HelpFormatter().help(for: SampleCommand.self, programName: "caloflow")

    @Test("every option is listed with its synopsis and annotation (default, range, choices)")
    func everyOption() {
        for spec in SampleCommand.options {
            #expect(help.contains(spec.synopsis), "missing \(spec.synopsis)")
            let flattened = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(flattened.contains(spec.annotation.split(separator: " ").joined(separator: " ")),
                    "missing annotation \(spec.annotation)")
        }
        #expect(help.contains("-h, --help"))
    }

    @Test("defaults, ranges and choices appear as written in the declarations")
    func annotations() {
        #expect(SampleCommand.events.spec.annotation == "(allowed: 1...1000000; default: 1000)")
        #expect(SampleCommand.energy.spec.annotation == "(allowed: 1...100; default: 50)")
        #expect(SampleCommand.rate.spec.annotation == "(allowed: > 0; default: 0.0001)")
        #expect(SampleCommand.particle.spec.annotation == "(one of: eplus, gamma, piplus; default: eplus)")
        #expect(SampleCommand.output.spec.annotation == "(required)")
        #expect(SampleCommand.sizes.spec.annotation == "(comma-separated or repeated; each in >= 1; default: 64,128)")
        #expect(SampleCommand.limit.spec.annotation == "(allowed: >= 1; default: no limit)")
        #expect(SampleCommand.dryRun.spec.annotation == "(default: off)")
        #expect(CommonOptions.seed.spec.annotation == "(default: \(CommonOptions.defaultSeed))")
        #expect(CommonOptions.threads.spec.annotation == "(allowed: 1...1024; default: all cores)")
    }

    @Test("usage line names required options and positionals; sections, discussion and examples are shown")
    func layout() {
        #expect(help.contains("USAGE: caloflow sample --output <path> [options] [<input>...]"))
        #expect(help.contains("\nOPTIONS:\n"))
        #expect(help.contains("\nCOMMON OPTIONS:\n"))
        #expect(help.contains("\nARGUMENTS:\n"))
        #expect(help.contains(SampleCommand.discussion))
        #expect(help.contains("caloflow sample --events 10 -o out.h5"))
    }

    @Test("no line is wider than 80 columns unless it is a single long word")
    func width() {
        for line in help.split(separator: "\n") where line.count > 80 {
            #expect(!line.trimmingPrefixSpaces.contains(" "), "too wide: \(line)")
        }
    }

    @Test("root help lists every command and the common options")
    func root() {
        let run = Invocation(["--help"])
        #expect(run.code == 0)
        for name in ["sample", "fail", "help"] { #expect(run.stdout.contains("  \(name) ")) }
        for spec in CommonOptions.specs { #expect(run.stdout.contains(spec.synopsis)) }
        #expect(run.stdout.contains("--version"))
    }

    @Test("'help <command>', '<command> --help' and '<command> -h' print the same text",
          arguments: [["help", "sample"], ["sample", "--help"], ["sample", "-h"]])
    func commandHelp(_ arguments: [String]) {
        let run = Invocation(arguments)
        #expect(run.code == 0)
        #expect(run.stdout == help)
        #expect(run.stderr.isEmpty)
    }
}

private extension Substring {
    var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
