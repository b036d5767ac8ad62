/// The generated samples and models named on `caloflow evaluate`'s command line:
/// `--generated [label=]file` (repeated or comma-separated) and `--model [label=]run`.
struct EvaluationInputs: Equatable {
    /// One `--generated` entry.
    struct Sample: Equatable {
        var label: String
        var path: String
        /// Whether the user gave the label (else it comes from the file name).
        var labelled: Bool
    }

    var samples: [Sample]
    /// The model of each sample (run directory or teacher checkpoint), by sample index; nil where none.
    var models: [String?]

    /// Labels: 1-40 characters from letters, digits and `. _ + -`, starting with a letter or digit
    /// (they name files of the report, so nothing else is allowed).
    static let maximumLabelLength = 40

    /// Parses the entries and matches the models to the samples.
    ///
    /// Models: none; one unlabelled entry (for every sample); one unlabelled entry per sample (in
    /// order); or `label=run` entries naming samples.
    /// - Throws: `ValidationError` for no sample, a bad or duplicate label, the same file twice,
    ///   or models that cannot be matched.
    init(generated: [String], models modelEntries: [String]) throws {
        guard !generated.isEmpty else {
            throw ValidationError("--generated: give at least one generated shower file ([label=]file; repeat the option or separate files by commas)")
        }
        samples = try generated.map { entry in
            let (label, path) = try Self.split(entry, option: "--generated")
            return Sample(label: label ?? Self.defaultLabel(path: path), path: path, labelled: label != nil)
        }
        if samples.count > 1 {
            var paths: Set<String> = []
            for s in samples where !paths.insert(s.path).inserted {
                throw ValidationError("--generated: \(s.path) is given twice")
            }
            var seen: [String: String] = [:]
            for s in samples {
                if let other = seen[s.label] {
                    let hint = s.labelled ? "" : " (labels default to the file name; name the samples, e.g. --generated teacher=\(other) --generated student=\(s.path))"
                    throw ValidationError("--generated: the label '\(s.label)' is given twice\(hint)")
                }
                seen[s.label] = s.path
            }
        }
        let entries = try modelEntries.map { try Self.split($0, option: "--model") }
        models = [String?](repeating: nil, count: samples.count)
        if entries.isEmpty { return }
        if entries.allSatisfy({ $0.label == nil }) {
            if entries.count == 1 {
                models = samples.map { _ in entries[0].path }
            } else if entries.count == samples.count {
                models = entries.map(\.path)
            } else {
                throw ValidationError("--model: \(entries.count) runs for \(samples.count) samples; give one run for all samples, "
                                      + "one per sample in the order of --generated, or label=run entries")
            }
        } else if entries.allSatisfy({ $0.label != nil }) {
            for (label, path) in entries {
                guard let k = samples.firstIndex(where: { $0.label == label! }) else {
                    throw ValidationError("--model \(label!)=\(path): no generated sample is labelled '\(label!)' (labels: "
                                          + samples.map(\.label).joined(separator: ", ") + ")")
                }
                if models[k] != nil { throw ValidationError("--model: two runs for the sample '\(label!)'") }
                models[k] = path
            }
        } else {
            throw ValidationError("--model: label either every run (label=run) or none")
        }
    }

    /// `label=path` → (label, path); `path` → (nil, path). A prefix before `=` counts as a label
    /// only when it contains no `/` (so paths with `=` in a folder name still work); it must then
    /// be a valid label. A leading `~/` of the path is expanded.
    static func split(_ entry: String, option: String) throws -> (label: String?, path: String) {
        guard let eq = entry.firstIndex(of: "="), !entry[..<eq].contains("/") else {
            return (nil, ArgumentParser.expandingTilde(entry))
        }
        let label = String(entry[..<eq]), path = String(entry[entry.index(after: eq)...])
        guard isValidLabel(label) else {
            throw ValidationError("\(option) \(entry): '\(label)' is not a valid label (1-\(maximumLabelLength) letters, digits or . _ + -, "
                                  + "starting with a letter or digit)")
        }
        guard !path.isEmpty else { throw ValidationError("\(option) \(entry): no file after '\(label)='") }
        return (label, ArgumentParser.expandingTilde(path))
    }

    static func isValidLabel(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.count <= maximumLabelLength, isAlphanumeric(first) else { return false }
        return s.unicodeScalars.allSatisfy { isAlphanumeric($0) || "._+-".unicodeScalars.contains($0) }
    }

    private static func isAlphanumeric(_ u: Unicode.Scalar) -> Bool {
        (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9")
    }

    /// The file name without folder and extension, with characters a label cannot hold replaced
    /// by `-` ("sample" when nothing is left).
    static func defaultLabel(path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        var label = String(String.UnicodeScalarView(name.unicodeScalars.map {
            isAlphanumeric($0) || "._+-".unicodeScalars.contains($0) ? $0 : "-"
        }))
        while let f = label.unicodeScalars.first, !isAlphanumeric(f) { label.removeFirst() }
        if label.count > maximumLabelLength { label = String(label.prefix(maximumLabelLength)) }
        return label.isEmpty ? "sample" : label
    }
}
