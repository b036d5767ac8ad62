import CaloData

/// Writes the showers of `plan`, produced batch by batch, into `writer` (batch k covers the
/// showers `plan.range(ofBatch: k)` and is made by `make(range, k)`), compressing and writing each batch while the next
/// one is made (`ShowerStreamWriter`). Progress advances as batches reach the file; the file
/// appears under its name only when complete, and any error removes the temporary file.
/// Memory stays at a few batches whatever `count` is (two here, plus what `make` holds: a
/// `GenerationStream` works on at most two more).
func streamShowers(plan: ShowerBatchPlan, into writer: ShowerFileWriter, progress: ProgressLine,
                   make: (_ range: Range<Int>, _ batchIndex: Int) throws -> ShowerBatch) throws {
    try ShowerStreamWriter.write(plan: plan, into: writer, written: { progress.update($0) }, make: make)
    progress.finish()
}
