#if canImport(Glibc)
import Glibc
#endif

/// Works around OpenBLAS builds that do not recognise a CPU and fall back to generic SSE
/// kernels ("Prescott" and the like), several times slower for the flows' products.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` when the library loads, before `main`, so the fix is to
/// start again: when the variable is unset and the detected core is generic, the app sets it
/// from the CPU flags (AVX-512F: `SkylakeX`; AVX2 and FMA: `Haswell`) and re-executes itself
/// once with the same arguments. A user's own `OPENBLAS_CORETYPE` is always respected.
public enum OpenBLASCoreSelection {
    public static let variable = "OPENBLAS_CORETYPE"
    /// Set (to the chosen core) on the re-executed process: guards against loops and lets
    /// `--version` say who chose the core.
    public static let marker = "CALOFLOW_OPENBLAS_REEXEC"

    /// What to do at start-up.
    public enum Decision: Equatable, Sendable {
        /// Keep running as is.
        case keep(Reason)
        /// Set `OPENBLAS_CORETYPE` to this core and re-execute.
        case reexec(coreType: String)
    }

    public enum Reason: Equatable, Sendable {
        /// The user set `OPENBLAS_CORETYPE`.
        case userSetting
        /// This process is already the re-executed one.
        case alreadyReexecuted
        /// OpenBLAS recognised the CPU (e.g. "Haswell", "Zen", "SkylakeX").
        case coreRecognized
        /// The core is generic but the CPU offers nothing better (no AVX2+FMA).
        case noBetterKernel
    }

    // MARK: - Decision (pure)

    /// The start-up decision, as a function of OpenBLAS's detected core name, the environment
    /// and the CPU flags (see `CPUFeatures`).
    public static func decide(coreName: String, environment: [String: String], cpuFlags: Set<String>) -> Decision {
        if let value = environment[variable], !value.isEmpty { return .keep(.userSetting) }
        if environment[marker] != nil { return .keep(.alreadyReexecuted) }
        guard isGeneric(coreName) else { return .keep(.coreRecognized) }
        guard let core = preferredCoreType(cpuFlags: cpuFlags) else { return .keep(.noBetterKernel) }
        return .reexec(coreType: core)
    }

    /// Core names OpenBLAS uses for pre-AVX2 kernels; on an AVX2 machine they mean the CPU
    /// was not recognised.
    public static func isGeneric(_ coreName: String) -> Bool {
        let generic: Set<String> = ["", "unknown", "generic", "prescott", "core2", "penryn", "dunnington",
                                    "nehalem", "atom", "katmai", "coppermine", "northwood", "banias",
                                    "sandybridge", "barcelona", "opteron", "opteron_sse3", "athlon"]
        return generic.contains(coreName.lowercased())
    }

    /// The OpenBLAS core type matching the CPU flags, or nil when generic kernels are right.
    public static func preferredCoreType(cpuFlags: Set<String>) -> String? {
        if cpuFlags.contains("avx512f") { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    // MARK: - Process start-up

    /// Applies the decision to this process: on `.reexec` sets the variables and replaces the
    /// process with a fresh copy of the same binary (`/proc/self/exe`, same argv). Returns
    /// only when no re-exec is needed or it failed (then with a warning on stderr).
    public static func reexecIfNeeded(coreName: String) {
        let environment = [variable, marker].reduce(into: [String: String]()) { env, name in
            if let value = getenv(name) { env[name] = String(cString: value) }
        }
        let decision = decide(coreName: coreName, environment: environment, cpuFlags: CPUFeatures.current())
        guard case .reexec(let core) = decision else { return }
        setenv(variable, core, 1)
        setenv(marker, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        unsetenv(variable)
        unsetenv(marker)
        FileDescriptorSink(descriptor: 2).write(
            "warning: OpenBLAS uses generic '\(coreName)' kernels and restarting with "
            + "\(variable)=\(core) failed (\(reason)); set \(variable)=\(core) yourself for full speed\n")
    }

    /// One line for `--version`/`bench`: the core and who chose it.
    public static func describe(coreName: String) -> String {
        let setting = getenv(variable).map { String(cString: $0) }
        let chosenBy = getenv(marker).map { String(cString: $0) }
        if let setting, !setting.isEmpty {
            if chosenBy == setting { return "\(coreName) (\(variable)=\(setting) chosen by caloflow from the CPU flags)" }
            return "\(coreName) (from \(variable)=\(setting))"
        }
        if isGeneric(coreName), let better = preferredCoreType(cpuFlags: CPUFeatures.current()) {
            return "\(coreName) (generic kernels; set \(variable)=\(better) for full speed)"
        }
        return "\(coreName) (detected by OpenBLAS)"
    }
}
