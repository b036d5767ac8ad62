#if canImport(Glibc)
import Glibc
#endif

/// Time sources for progress and logs; injectable so tests control time.
public enum Clock {
    /// Seconds on a monotonic clock (unaffected by wall-clock changes); only differences matter.
    public static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Seconds since the Unix epoch.
    public static func epochSeconds() -> Int {
        Int(time(nil))
    }

    /// `2025-01-31T12:34:56Z` for an epoch time, in UTC.
    public static func iso8601(_ epochSeconds: Int) -> String {
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
