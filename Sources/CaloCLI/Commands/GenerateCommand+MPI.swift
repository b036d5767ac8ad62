import CaloData
import CaloNN
import CaloPipeline
import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

extension GenerateCommand {
    /// `generate` as rank r of an MPI job of K processes: the run is cut into K blocks
    /// (`GenerationPartition`), rank r writes block r to a part file next to the output
    /// (`<output>.part-<job>-<r>-of-<K>`, `job` a token rank 0 draws), and after a barrier rank 0
    /// merges the parts in order into the output (`ShowerFileMerge`: streaming, atomic) and
    /// removes them. The output holds the showers of one process with the same seed and options.
    ///
    /// Failures: a rank whose generation or write fails reports its error and ends the job
    /// (`CaloflowCLI.main` aborts MPI for a failed command), so the others do not generate on
    /// for nothing; the launcher then sends them SIGTERM, whose handler removes their temporary
    /// and part files (`TemporaryFiles`). Rank 0 removes every part after the merge, also when
    /// it fails. Ranks other than 0 return after the barrier; the job's status is rank 0's.
    func runAsRank(of group: ProcessGroup, _ setup: Setup, logger: Logger) throws {
        let rank = group.rank, size = group.size
        // One token per job, so that parts of two jobs never meet.
        var token: UInt64 = rank == 0 ? (UInt64(UInt32(truncatingIfNeeded: getpid())) << 32) ^ UInt64(time(nil)) ^ UInt64(monotonicSeconds() * 1e9) : 0
        try withUnsafeMutableBytes(of: &token) { try group.broadcast($0.baseAddress!, count: 8, root: 0) }
        let job = String(token, radix: 16)
        let partPaths = (0..<size).map { "\(outputPath).part-\(job)-\($0)-of-\(size)" }
        let part = ShowerFilePart(index: rank, count: size, showers: setup.partition.range(ofPart: rank), runShowers: count)
        var metadata = setup.metadata
        for (k, v) in part.attributes { metadata.extra[k] = v }
        metadata.extra[ShowerFilePart.attributePrefix + "mpi_job"] = job

        // This rank's part: a finished file that stays a temporary of the job until merged.
        try write(part.showers, of: setup, metadata: metadata, to: partPaths[rank], replaceExisting: false, logger: logger,
                  label: "rank \(rank) of \(size)")
        let slot = TemporaryFiles.register(partPaths[rank])
        defer { TemporaryFiles.unregister(slot) }
        try group.barrier()
        guard rank == 0 else { return }

        let slots = partPaths.dropFirst().map { TemporaryFiles.register($0) }
        defer {
            for p in partPaths { unlink(p) }
            slots.forEach { TemporaryFiles.unregister($0) }
        }
        for (r, p) in partPaths.enumerated() where !FileSystem.exists(p) {
            throw ValidationError("rank \(r) wrote its part \(p), but rank 0 cannot see it: under MPI the output's directory must be "
                                  + "on a file system every process shares")
        }
        let progress = ProgressLine(label: "merge \(size) parts", total: count, unit: "showers", logger: logger)
        let start = monotonicSeconds()
        try ShowerFileMerge.merge(parts: partPaths, into: outputPath, gzipLevel: compression, replaceExisting: overwrite,
                                  progress: { progress.update($0) })
        progress.finish()
        logger.info("joined the \(size) processes' parts into \(outputPath) (\(count) showers, "
                    + "\(HumanFormat.fixed(monotonicSeconds() - start, 1)) s)")
    }
}
