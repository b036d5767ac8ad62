import CaloCLI
import Foundation
import Testing

/// Runs the built `caloflow` binary, which SwiftPM places next to the test bundle.
struct Executable {
    /// `.build/<triple>/<configuration>/caloflow`, found from this test process's own path.
    static var url: URL {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("caloflow")
    }

    struct Result {
        let code: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `caloflow arguments` through `/bin/sh -c 'ulimit -f <blocks>; exec caloflow ...'`, so
    /// every file it writes is limited to `blocks` 512-byte blocks (a full disk, as the program sees it).
    static func run(_ arguments: [String], fileSizeLimitBlocks blocks: Int) throws -> Result {
        try run(["-c", "ulimit -f \(blocks); exec \"$0\" \"$@\"", url.path] + arguments, executable: URL(fileURLWithPath: "/bin/sh"))
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil, executable: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable ?? url
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(code: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite("caloflow executable, end to end")
struct ExecutableTests {
    @Test("the binary is built next to the tests")
    func exists() {
        #expect(FileManager.default.isExecutableFile(atPath: Executable.url.path),
                "no caloflow binary at \(Executable.url.path): run 'swift build' first")
    }

    @Test("--help lists the commands and exits 0")
    func help() throws {
        let r = try Executable.run(["--help"])
        #expect(r.code == 0)
        #expect(r.stdout.contains("USAGE: caloflow <command> [options]"))
        for command in CaloflowCLI.commands { #expect(r.stdout.contains("  \(command.name) ")) }
        #expect(r.stderr.isEmpty)
    }

    @Test("--version prints the version, the build configuration and the OpenBLAS core")
    func version() throws {
        let r = try Executable.run(["--version"])
        #expect(r.code == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "caloflow \(BuildInfo.version)")
        #expect(lines.contains { $0.hasPrefix("build: debug") || $0.hasPrefix("build: release") })
        #expect(lines.contains { $0.hasPrefix("OpenBLAS core: ") })
        let command = try Executable.run(["version"])
        #expect(command.code == 0 && command.stdout == r.stdout)
    }

    @Test("a bad command and a bad option give one error line, a hint and exit code 2")
    func errors() throws {
        let command = try Executable.run(["vresion"])
        #expect(command.code == 2)
        #expect(command.stderr == "error: unknown command 'vresion' (did you mean 'version'?)\n"
                + "Run 'caloflow --help' to see the commands.\n")
        let option = try Executable.run(["version", "--bogus=1"])
        #expect(option.code == 2)
        #expect(option.stderr.hasPrefix("error: unknown option '--bogus'\n"))
        #expect(option.stdout.isEmpty)
    }

    @Test("without OPENBLAS_CORETYPE, an AVX2+FMA machine ends up on tuned kernels (detected or re-executed)")
    func coreSelection() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment[OpenBLASCoreSelection.marker] = nil
        let r = try Executable.run(["--version"], environment: environment)
        #expect(r.code == 0)
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("OpenBLAS core: ") } ?? ""
        let core = String(line.dropFirst("OpenBLAS core: ".count).prefix { $0 != " " })
        let flags = CPUFeatures.current()
        if OpenBLASCoreSelection.preferredCoreType(cpuFlags: flags) != nil {
            #expect(!OpenBLASCoreSelection.isGeneric(core), "still generic kernels: \(line)")
        } else {
            #expect(!core.isEmpty)
        }

        environment["OPENBLAS_CORETYPE"] = "Prescott"
        let forced = try Executable.run(["--version"], environment: environment)
        #expect(forced.stdout.contains("OpenBLAS core: Prescott (from OPENBLAS_CORETYPE=Prescott)"))
    }

    @Test("subnormal floats are flushed to zero unless CALOFLOW_SUBNORMALS=ieee; a bad value is a usage error")
    func subnormals() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CALOFLOW_SUBNORMALS"] = nil
        let byDefault = try Executable.run(["--version"], environment: environment)
        #expect(byDefault.code == 0)
        #expect(byDefault.stdout.contains("\nsubnormal floats: flushed to zero"))

        environment["CALOFLOW_SUBNORMALS"] = "ieee"
        let ieee = try Executable.run(["--version"], environment: environment)
        #expect(ieee.code == 0)
        #expect(ieee.stdout.contains("\nsubnormal floats: IEEE 754 (CALOFLOW_SUBNORMALS=ieee)"))

        environment["CALOFLOW_SUBNORMALS"] = "fast"
        let bad = try Executable.run(["--version"], environment: environment)
        #expect(bad.code == 2)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr == "error: CALOFLOW_SUBNORMALS must be 'flush-to-zero' (the default) or 'ieee', got 'fast'\n")
    }
}
