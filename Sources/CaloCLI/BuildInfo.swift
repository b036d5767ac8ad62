import CaloPipeline
import CaloTensor

/// Version and build facts printed by `caloflow --version` and recorded in run metadata.
public enum BuildInfo {
    /// The app version (semantic versioning).
    public static let version = AppVersion.current

    /// `debug` or `release` (SwiftPM defines `DEBUG` in debug builds).
    public static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// The Swift compiler that built the binary, to the minor version.
    public static var compiler: String {
        #if compiler(>=6.4)
        return "Swift 6.4 or later"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.1)
        return "Swift 6.1"
        #else
        return "Swift 6.0"
        #endif
    }

    /// What a run directory records of the process that trained it (run.json, each invocation's
    /// `extra`): the OpenBLAS kernel and the subnormal-float mode.
    static var runFacts: [String: String] {
        ["openblas_core": BLASRuntime.coreName, "subnormals": SubnormalMode.current?.rawValue ?? "platform default"]
    }

    /// The process's subnormal-float mode as `--version` prints it.
    static var subnormalText: String {
        switch SubnormalMode.current {
        case .flushToZero?: return "flushed to zero (CALOFLOW_SUBNORMALS=ieee for IEEE 754)"
        case .ieee?: return "IEEE 754 (CALOFLOW_SUBNORMALS=ieee)"
        case nil: return "the platform's default"
        }
    }

    /// The full `--version` text.
    public static func versionText() -> String {
        let flags = CPUFeatures.current()
        let simd = ["avx512f", "avx2", "fma", "avx"].filter(flags.contains)
        return """
        caloflow \(version)
        build: \(configuration) (\(compiler))
        OpenBLAS core: \(OpenBLASCoreSelection.describe(coreName: BLASRuntime.coreName))
        CPU: \(CommonOptions.onlineCores) cores, \(simd.isEmpty ? "no AVX" : simd.joined(separator: " "))
        subnormal floats: \(subnormalText)

        """
    }
}
