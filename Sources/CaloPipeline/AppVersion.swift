/// caloflow's version (semantic versioning): printed by `caloflow --version`, recorded in run
/// metadata and returned by the embedding library's `caloflow_version()`.
public enum AppVersion {
    public static let current = "0.1.0"
}
