/// "Did you mean ...?" for mistyped command and option names.
public enum Suggestion {
    /// The candidate closest to `input`, if it is close enough to be a plausible typo: within
    /// an edit distance of about a third of its length (at least 1, at most 3; a swap of two
    /// neighbouring letters counts as one edit), or a candidate that `input` is a prefix of
    /// (3+ letters). Ties go to the earlier candidate.
    public static func closest(to input: String, among candidates: [String]) -> String? {
        let a = Array(input.lowercased())
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let b = Array(candidate.lowercased())
            let d = editDistance(a, b)
            let limit = min(3, max(1, b.count / 3))
            guard d <= limit else { continue }
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        if let best { return best.name }
        if a.count >= 3 {
            let prefixed = candidates.filter { $0.lowercased().hasPrefix(input.lowercased()) }
            if prefixed.count == 1 { return prefixed[0] }
        }
        return nil
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of adjacent characters each cost 1.
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d = min(d, previous2[j - 2] + 1)
                }
                current[j] = d
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
