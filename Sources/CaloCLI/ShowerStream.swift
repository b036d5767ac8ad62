import CaloData

/// Writes `count` showers produced batch by batch into `writer`: batch k covers showers
/// `range` and is made by `make(range, k)`. Progress advances per batch; the file appears under
/// its name only when complete (`finish`), and any error removes the temporary file (`abort`).
/// Memory stays at one batch whatever `count` is.
func streamShowers(count: Int, batch: Int, into writer: ShowerFileWriter, progress: ProgressLine,
                   make: (_ range: Range<Int>, _ batchIndex: Int) throws -> ShowerBatch) throws {
    var done = 0, batchIndex = 0
    do {
        while done < count {
            let range = done..<min(count, done + batch)
            try writer.append(try make(range, batchIndex))
            done = range.upperBound
            batchIndex += 1
            progress.update(done)
        }
        try writer.finish()
    } catch {
        writer.abort()
        throw error
    }
    progress.finish()
}
