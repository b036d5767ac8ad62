#if canImport(Glibc)
import Glibc
#endif

/// Instruction-set flags of the CPU as the Linux kernel reports them in /proc/cpuinfo.
public enum CPUFeatures {
    /// The flags of the first processor listed in a /proc/cpuinfo text (the `flags` line on
    /// x86); empty when there is none (other architectures, containers hiding /proc).
    public static func flags(fromCPUInfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingSpaces == "flags" else { continue }
            return Set(parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
        }
        return []
    }

    /// The flags of this machine (empty if /proc/cpuinfo cannot be read).
    public static func current() -> Set<String> {
        flags(fromCPUInfo: readSmallFile("/proc/cpuinfo") ?? "")
    }

    /// The whole content of a small text file, or nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return self.drop(while: isSpace).reversed().drop(while: isSpace).reversed().reduce(into: "") { $0.append($1) }
    }
}
