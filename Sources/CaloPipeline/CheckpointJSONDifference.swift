import Foundation

/// Leaf-by-leaf comparison of two JSON texts, for "config differs" messages: each object key
/// path ("architecture.hiddenFeatures", "milestones[2]") whose value differs, with both values.
enum JSONDifference {
    struct Entry: Equatable { var key: String; var old: String; var new: String }

    static func differences(_ a: String, _ b: String) -> [Entry] {
        let left = flatten(parse(a)), right = flatten(parse(b))
        var out: [Entry] = []
        for key in Set(left.keys).union(right.keys).sorted() where left[key] != right[key] {
            out.append(Entry(key: key, old: left[key] ?? "absent", new: right[key] ?? "absent"))
        }
        return out
    }

    private static func parse(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    private static func flatten(_ value: Any?, prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        switch value {
        case let d as [String: Any]:
            for (k, v) in d { out.merge(flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k)) { a, _ in a } }
        case let a as [Any]:
            for (i, v) in a.enumerated() { out.merge(flatten(v, prefix: prefix + "[\(i)]")) { a, _ in a } }
        case nil:
            break
        default:
            let data = try? JSONSerialization.data(withJSONObject: value!, options: [.fragmentsAllowed])
            out[prefix.isEmpty ? "value" : prefix] = data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value!)"
        }
        return out
    }
}
