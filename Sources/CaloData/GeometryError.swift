/// Failures to build, read or resolve a `CalorimeterGeometry`. Each message names the file,
/// line, element or attribute concerned.
public enum GeometryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The layers do not form a geometry (no voxels, repeated ids, bad edges, ...).
    case invalid(geometry: String, detail: String)
    /// A binning file is not well-formed XML or does not describe a binning; `line` is 1-based
    /// (0 when the problem concerns the whole file).
    case malformedBinning(source: String, line: Int, detail: String)
    /// A geometry name that is neither a known geometry nor a binning file.
    case unknownName(String, suggestion: String?)
    /// A binning file that does not exist or cannot be read.
    case unreadableFile(path: String, detail: String)
    /// A shipped binning file (datasets/binning/) that no longer matches the binning built into
    /// caloflow under the same name.
    case shippedFileDiffers(path: String, name: String)
    /// A stored geometry record (JSON in run.json, a checkpoint or a shower file) that does not
    /// decode to a valid geometry.
    case invalidRecord(source: String, detail: String)

    public var description: String {
        switch self {
        case .invalid(let g, let d):
            return (g.isEmpty ? "invalid geometry" : "geometry \(g)") + ": \(d)"
        case .malformedBinning(let s, let line, let d):
            return line > 0 ? "\(s) line \(line): \(d)" : "\(s): \(d)"
        case .unknownName(let n, let suggestion):
            return "unknown geometry '\(n)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; use one of \(CalorimeterGeometry.builtInNames.joined(separator: ", ")) or a CaloChallenge binning file (.xml)"
        case .unreadableFile(let p, let d):
            return "\(p): cannot read the binning file: \(d)"
        case .shippedFileDiffers(let p, let n):
            return "\(p) no longer describes the binning caloflow knows as '\(n)'; a geometry name must mean one binning: "
                + "restore the file (git checkout), or pass your edited file itself with --geometry \(p)"
        case .invalidRecord(let s, let d):
            return "\(s): the recorded geometry is not valid: \(d)"
        }
    }
}
