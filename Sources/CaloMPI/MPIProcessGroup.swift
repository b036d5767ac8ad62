import CMPI
import CaloNN
import CaloTensor
import Glibc

/// `ProcessGroup` over MPI_COMM_WORLD. Every operation is non-blocking underneath and waited
/// for with a deadline (`timeout`): a process that died is normally reported by the launcher,
/// which then ends the job, but one that hangs, or a launcher that does not notice, turns into
/// `MPIError.timeout` here instead of a wait without end.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    /// Seconds an operation may wait for the other processes (CALOFLOW_MPI_TIMEOUT).
    public static let defaultTimeout = 600.0
    /// Floats per message of the ordered sum's pipeline (1 MiB).
    public static let chunk = 1 << 18

    public let rank: Int
    public let size: Int
    public let timeout: Double

    init(rank: Int, size: Int, timeout: Double) {
        self.rank = rank
        self.size = size
        self.timeout = timeout
    }

    public func sum(_ values: inout [Double]) throws {
        guard size > 1, !values.isEmpty else { return }
        let send = values
        var request: cf_mpi_request? = nil
        try values.withUnsafeMutableBufferPointer { out in
            try send.withUnsafeBufferPointer { input in
                try check(cf_mpi_iallreduce_sum_double(input.baseAddress, out.baseAddress, Int32(out.count), &request), "a sum over the processes")
                try wait(&request, "a sum over the processes")
            }
        }
    }

    public func orderedSum(count: Int, step: (Range<Int>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void,
                           result: UnsafeMutablePointer<Float>) throws {
        guard size > 1 else { step(0..<count, nil, result); return }
        guard count <= Int(Int32.max) else {
            throw MPIError.call(operation: "the gradient sum", code: -1, message: "\(count) floats exceed one MPI message")
        }
        let what = "the gradient sum"
        let chunk = Self.chunk, chunks = (count + chunk - 1) / chunk
        func range(_ c: Int) -> Range<Int> { (c * chunk)..<min(count, (c + 1) * chunk) }
        let last = size - 1
        let width = min(chunk, max(1, count))
        let incoming = [UnsafeMutablePointer<Float>.allocate(capacity: width), .allocate(capacity: width)]
        let outgoing = [UnsafeMutablePointer<Float>.allocate(capacity: width), .allocate(capacity: width)]
        defer { for p in incoming + outgoing { p.deallocate() } }
        var receives: [cf_mpi_request?] = [nil, nil], sends: [cf_mpi_request?] = [nil, nil]
        func receive(_ c: Int) throws {
            let b = c % 2
            try check(cf_mpi_irecv_float(incoming[b], Int32(range(c).count), Int32(rank - 1), 0, &receives[b]), what)
        }
        if rank > 0 {
            for c in 0..<min(2, chunks) { try receive(c) }
        }
        for c in 0..<chunks {
            let b = c % 2, r = range(c)
            if rank > 0 { try wait(&receives[b], what) }
            if rank < last { try wait(&sends[b], what) }
            let target = rank == last ? result + r.lowerBound : outgoing[b]
            step(r, rank > 0 ? UnsafePointer(incoming[b]) : nil, target)
            if rank > 0 && c + 2 < chunks { try receive(c + 2) }
            if rank < last { try check(cf_mpi_isend_float(outgoing[b], Int32(r.count), Int32(rank + 1), 0, &sends[b]), what) }
        }
        for b in 0..<2 { try wait(&sends[b], what) }
        var request: cf_mpi_request? = nil
        try check(cf_mpi_ibcast_float(result, Int32(count), Int32(last), &request), what)
        try wait(&request, what)
    }

    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws {
        guard size > 1, count > 0 else { return }
        var request: cf_mpi_request? = nil
        try check(cf_mpi_ibcast_bytes(bytes, Int32(count), Int32(root), &request), "a broadcast")
        try wait(&request, "a broadcast")
    }

    public func barrier() throws {
        guard size > 1 else { return }
        var request: cf_mpi_request? = nil
        try check(cf_mpi_ibarrier(&request), "a barrier")
        try wait(&request, "a barrier")
    }

    // MARK: - Waiting

    /// Waits for `request` (nil: nothing outstanding) until the deadline. Polls MPI, which drives
    /// its progress: busily for the first 2 ms (a pipelined message is usually that close), then
    /// every 20 µs, and every millisecond after 0.1 s (a process waiting for rank 0 to write a
    /// checkpoint need not keep a core busy).
    private func wait(_ request: inout cf_mpi_request?, _ what: String) throws {
        guard request != nil else { return }
        let start = monotonicSeconds()
        var polls = 0
        while true {
            var done: Int32 = 0
            try check(cf_mpi_test(&request, &done), what)
            if done != 0 { request = nil; return }
            polls += 1
            guard polls % 16 == 0 else { continue }
            let waited = monotonicSeconds() - start
            if waited > timeout { throw MPIError.timeout(operation: what, seconds: timeout) }
            if waited > 0.1 { usleep(1000) } else if waited > 0.002 { usleep(20) } else { sched_yield() }
        }
    }

    private func check(_ code: Int32, _ what: String) throws {
        guard code == 0 else { throw MPIError.call(operation: what, code: code, message: Self.errorText(code)) }
    }

    static func errorText(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 512)
        cf_mpi_error_string(code, &text, text.count)
        return cText(text)
    }
}
