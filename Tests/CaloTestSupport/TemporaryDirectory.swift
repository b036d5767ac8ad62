import Foundation

/// A fresh directory under the system's temporary directory, removed with everything in it
/// when the value is released.
public final class TemporaryDirectory {
    public let path: String

    /// - Parameter prefix: start of the directory's name (a random suffix follows).
    public init(prefix: String = "caloflow-test") {
        path = (try? Self.makeUnique(prefix: prefix)) ?? NSTemporaryDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Creates a new, empty directory `<tmp>/<prefix>-XXXXXX` (mkdtemp) and returns its path;
    /// the caller removes it. For fixtures that outlive one `TemporaryDirectory`.
    public static func makeUnique(prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed for \(prefix): \(String(cString: strerror(errno)))")
        }
        return String(cString: p)
    }

    /// Path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Names in the directory, sorted.
    public var contents: [String] { Self.names(in: path) }

    /// Names in the subdirectory `sub`, sorted.
    public func contents(of sub: String) -> [String] { Self.names(in: file(sub)) }

    private static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}

/// The bytes of a file, or nil when it cannot be read.
public func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// A failure of a test's own setup, with a message for the report.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
