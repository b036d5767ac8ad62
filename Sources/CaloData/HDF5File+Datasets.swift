import CHDF5

/// Datasets of any rank. Row operations work along the first axis: a "row" is one index of the
/// first dimension with all trailing dimensions (one event of an (N, 3, 96) dataset is a row of
/// 288 elements). Memory buffers are row-major; `rowStride`/`columnOffset` let a row land inside
/// a wider memory row (e.g. layer_0 into columns 0..<288 of a [N, 504] voxel matrix) without a copy.
extension HDF5File {
    // MARK: - Create and describe

    /// Creates dataset `dataset` (parents created as needed) of `type` and `shape`.
    /// Supported types: float32, float64, int64, uint64. Throws if the object already exists.
    public func createDataset(_ dataset: String, type: HDF5ElementType, shape: [Int],
                              options: HDF5DatasetOptions = .contiguous) throws {
        try checkWritable(dataset)
        let name = Self.normalized(dataset)
        guard let fileType = type.fileType else {
            throw CaloDataError.unsupportedType(path: path, object: name, found: type.description,
                                                expected: "float32, float64, int64 or uint64 for a new dataset")
        }
        if exists(name) { throw CaloDataError.invalidRequest(path: path, object: name, detail: "a dataset or group of that name already exists") }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "negative dimension in shape \(shape)")
        }
        if options.needsChunking && shape.isEmpty {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "a scalar dataset cannot be chunked, compressed or extended")
        }
        var dims = shape.map { hsize_t($0) }
        var maxDims = dims
        if options.extensible { maxDims[0] = caloH5S_UNLIMITED() }
        let space = H5Screate_simple(Int32(dims.count), &dims, &maxDims)
        if space < 0 { throw hdf5Error(name, "creating the dataspace") }
        defer { H5Sclose(space) }

        let dcpl = H5Pcreate(caloH5P_DATASET_CREATE())
        defer { H5Pclose(dcpl) }
        if options.needsChunking {
            var chunk = try chunkShape(for: name, type: type, shape: shape, options: options).map { hsize_t($0) }
            if H5Pset_chunk(dcpl, Int32(chunk.count), &chunk) < 0 { throw hdf5Error(name, "setting the chunk shape \(chunk)") }
            if let level = options.gzipLevel {
                guard (0...9).contains(level) else {
                    throw CaloDataError.invalidRequest(path: path, object: name, detail: "gzip level \(level) is outside 0...9")
                }
                if options.shuffle && H5Pset_shuffle(dcpl) < 0 { throw hdf5Error(name, "enabling the shuffle filter") }
                if H5Pset_deflate(dcpl, UInt32(level)) < 0 { throw hdf5Error(name, "enabling gzip compression") }
            }
        }
        let lcpl = H5Pcreate(caloH5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let d = H5Dcreate2(fileID, name, fileType, space, lcpl, dcpl, hid_t(H5P_DEFAULT))
        if d < 0 { throw hdf5Error(name, "creating the dataset") }
        datasetHandles[name] = d
    }

    /// Creates a contiguous dataset of `shape` holding `values` (row-major).
    public func createDataset<T: HDF5Element>(_ dataset: String, values: [T], shape: [Int],
                                              options: HDF5DatasetOptions = .contiguous) throws {
        try createDataset(dataset, type: T.hdf5ElementType, shape: shape, options: options)
        try write(dataset, values)
    }

    /// Shape, element type, chunking and filters of `dataset`.
    public func datasetInfo(_ dataset: String) throws -> HDF5DatasetInfo {
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        let (dims, maxDims) = try dimensions(d, name)
        let t = H5Dget_type(d)
        if t < 0 { throw hdf5Error(name, "reading the element type") }
        let type = HDF5ElementType(typeID: t)
        H5Tclose(t)
        let dcpl = H5Dget_create_plist(d)
        if dcpl < 0 { throw hdf5Error(name, "reading the creation properties") }
        defer { H5Pclose(dcpl) }
        var chunk: [Int]? = nil
        var filters: [String] = [], level: Int? = nil, shuffle = false
        if H5Pget_layout(dcpl) == H5D_CHUNKED {
            var c = [hsize_t](repeating: 0, count: max(dims.count, 1))
            let rank = H5Pget_chunk(dcpl, Int32(c.count), &c)
            if rank > 0 { chunk = c.prefix(Int(rank)).map { Int($0) } }
            for i in 0..<max(0, H5Pget_nfilters(dcpl)) {
                var flags: UInt32 = 0, nValues = 8, config: UInt32 = 0
                var values = [UInt32](repeating: 0, count: 8)
                var fname = [CChar](repeating: 0, count: 64)
                let id = H5Pget_filter2(dcpl, UInt32(i), &flags, &nValues, &values, 64, &fname, &config)
                switch id {
                case H5Z_FILTER_DEFLATE: filters.append("deflate"); level = nValues > 0 ? Int(values[0]) : nil
                case H5Z_FILTER_SHUFFLE: filters.append("shuffle"); shuffle = true
                default:
                    let n = Self.string(fromNullTerminated: fname)
                    filters.append(n.isEmpty ? "filter \(id)" : n)
                }
            }
        }
        return HDF5DatasetInfo(shape: dims, maxShape: maxDims, elementType: type, chunkShape: chunk,
                               gzipLevel: level, shuffle: shuffle, filters: filters)
    }

    // MARK: - Whole-dataset access

    /// All elements of `dataset` in row-major order, converted to `T` by HDF5.
    public func read<T: HDF5Element>(_ dataset: String, as: T.Type = T.self) throws -> [T] {
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        let (dims, _) = try dimensions(d, name)
        try checkNumeric(d, name)
        let n = dims.reduce(1, *)
        if n == 0 { return [] }
        return try [T](unsafeUninitializedCapacity: n) { buf, count in
            if H5Dread(d, T.hdf5MemoryType, caloH5S_ALL(), caloH5S_ALL(), hid_t(H5P_DEFAULT), buf.baseAddress) < 0 {
                throw hdf5Error(name, "reading the dataset")
            }
            count = n
        }
    }

    /// Rows `rows` (first axis) of `dataset` as a flat row-major array.
    public func read<T: HDF5Element>(_ dataset: String, rows: Range<Int>, as: T.Type = T.self) throws -> [T] {
        let name = Self.normalized(dataset)
        let info = try datasetInfo(name)
        let n = rows.count * info.rowSize
        return try [T](unsafeUninitializedCapacity: n) { buf, count in
            try readRows(name, rows, into: buf)
            count = n
        }
    }

    /// Replaces the whole content of `dataset`; `values.count` must equal its element count.
    public func write<T: HDF5Element>(_ dataset: String, _ values: [T]) throws {
        try checkWritable(dataset)
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        let (dims, _) = try dimensions(d, name)
        let n = dims.reduce(1, *)
        guard values.count == n else {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "writing \(values.count) values into a dataset of shape \(dims) (\(n) elements)")
        }
        if n == 0 { return }
        let status = values.withUnsafeBufferPointer {
            H5Dwrite(d, T.hdf5MemoryType, caloH5S_ALL(), caloH5S_ALL(), hid_t(H5P_DEFAULT), $0.baseAddress)
        }
        if status < 0 { throw hdf5Error(name, "writing the dataset") }
    }

    // MARK: - Row access (hyperslabs along the first axis)

    /// Reads rows `rows` into `buffer`: row i goes to `buffer[i * rowStride + columnOffset ..< + rowSize]`.
    /// `rowStride` defaults to the dataset's row size; `buffer` must hold `rows.count * rowStride` elements.
    public func readRows<T: HDF5Element>(_ dataset: String, _ rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>,
                                         rowStride: Int? = nil, columnOffset: Int = 0) throws {
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        try checkNumeric(d, name)
        let (dims, _) = try dimensions(d, name)
        let stride = try checkRowAccess(name, dims: dims, rows: rows, limit: dims.first ?? 0,
                                        capacity: buffer.count, rowStride: rowStride, columnOffset: columnOffset)
        if rows.isEmpty { return }
        let (fspace, mspace) = try selections(d, name, dims: dims, firstRow: rows.lowerBound, rowCount: rows.count,
                                              stride: stride, columnOffset: columnOffset)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        if H5Dread(d, T.hdf5MemoryType, mspace, fspace, hid_t(H5P_DEFAULT), buffer.baseAddress) < 0 {
            throw hdf5Error(name, "reading rows \(rows.lowerBound)..<\(rows.upperBound)")
        }
    }

    /// Writes `rowCount` rows from `buffer` (same memory layout as `readRows`) at rows
    /// `row ..< row + rowCount`, which must lie inside the current shape.
    public func writeRows<T: HDF5Element>(_ dataset: String, at row: Int, from buffer: UnsafeBufferPointer<T>, rowCount: Int,
                                          rowStride: Int? = nil, columnOffset: Int = 0) throws {
        try checkWritable(dataset)
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        let (dims, _) = try dimensions(d, name)
        let rows = row..<(row + max(rowCount, 0))
        let stride = try checkRowAccess(name, dims: dims, rows: rows, limit: dims.first ?? 0,
                                        capacity: buffer.count, rowStride: rowStride, columnOffset: columnOffset)
        if rows.isEmpty { return }
        let (fspace, mspace) = try selections(d, name, dims: dims, firstRow: row, rowCount: rowCount,
                                              stride: stride, columnOffset: columnOffset)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        if H5Dwrite(d, T.hdf5MemoryType, mspace, fspace, hid_t(H5P_DEFAULT), buffer.baseAddress) < 0 {
            throw hdf5Error(name, "writing rows \(rows.lowerBound)..<\(rows.upperBound)")
        }
    }

    /// Array form of `writeRows`: `values.count / rowSize` rows at `row`.
    public func writeRows<T: HDF5Element>(_ dataset: String, at row: Int, _ values: [T]) throws {
        let rowSize = try datasetInfo(dataset).rowSize
        try values.withUnsafeBufferPointer {
            try writeRows(dataset, at: row, from: $0, rowCount: try wholeRows(dataset, values.count, rowSize))
        }
    }

    /// Extends an extensible dataset by `rowCount` rows and writes them from `buffer`.
    public func appendRows<T: HDF5Element>(_ dataset: String, from buffer: UnsafeBufferPointer<T>, rowCount: Int,
                                           rowStride: Int? = nil, columnOffset: Int = 0) throws {
        try checkWritable(dataset)
        let name = Self.normalized(dataset)
        let d = try openDataset(name)
        let (dims, maxDims) = try dimensions(d, name)
        guard !dims.isEmpty, maxDims[0] == nil else {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "cannot append: the dataset's first dimension is not extensible (shape \(dims))")
        }
        if rowCount <= 0 { return }
        var newDims = dims.map { hsize_t($0) }
        newDims[0] += hsize_t(rowCount)
        if H5Dset_extent(d, &newDims) < 0 { throw hdf5Error(name, "extending to \(newDims[0]) rows") }
        try writeRows(name, at: dims[0], from: buffer, rowCount: rowCount, rowStride: rowStride, columnOffset: columnOffset)
    }

    /// Array form of `appendRows`.
    public func append<T: HDF5Element>(_ dataset: String, _ values: [T]) throws {
        let rowSize = try datasetInfo(dataset).rowSize
        try values.withUnsafeBufferPointer {
            try appendRows(dataset, from: $0, rowCount: try wholeRows(dataset, values.count, rowSize))
        }
    }

    // MARK: - Internals

    /// The cached handle of an open dataset, opening it on first use.
    func openDataset(_ name: String) throws -> hid_t {
        try checkOpen(name)
        if let d = datasetHandles[name] { return d }
        let k = try kind(of: name)
        if k != .dataset { throw CaloDataError.wrongObjectKind(path: path, object: name, expected: "dataset", found: k.rawValue) }
        let d = H5Dopen2(fileID, name, hid_t(H5P_DEFAULT))
        if d < 0 { throw hdf5Error(name, "opening the dataset") }
        datasetHandles[name] = d
        return d
    }

    /// Current and maximum dimensions (nil = unlimited).
    func dimensions(_ d: hid_t, _ name: String) throws -> ([Int], [Int?]) {
        let s = H5Dget_space(d)
        if s < 0 { throw hdf5Error(name, "reading the dataspace") }
        defer { H5Sclose(s) }
        let rank = Int(H5Sget_simple_extent_ndims(s))
        if rank < 0 { throw hdf5Error(name, "reading the rank") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1)), maxDims = dims
        H5Sget_simple_extent_dims(s, &dims, &maxDims)
        let unlimited = caloH5S_UNLIMITED()
        return (dims.prefix(rank).map { Int($0) }, maxDims.prefix(rank).map { $0 == unlimited ? nil : Int($0) })
    }

    private func checkNumeric(_ d: hid_t, _ name: String) throws {
        let t = H5Dget_type(d)
        defer { H5Tclose(t) }
        let type = HDF5ElementType(typeID: t)
        switch type {
        case .float, .signedInteger, .unsignedInteger: return
        default: throw CaloDataError.unsupportedType(path: path, object: name, found: type.description, expected: "a numeric type")
        }
    }

    private func wholeRows(_ name: String, _ count: Int, _ rowSize: Int) throws -> Int {
        guard rowSize > 0, count % rowSize == 0 else {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "\(count) values are not a whole number of rows of \(rowSize)")
        }
        return count / rowSize
    }

    /// Validates a row request and returns the memory row stride.
    private func checkRowAccess(_ name: String, dims: [Int], rows: Range<Int>, limit: Int, capacity: Int,
                                rowStride: Int?, columnOffset: Int) throws -> Int {
        guard !dims.isEmpty else {
            throw CaloDataError.invalidRequest(path: path, object: name, detail: "row access to a scalar dataset")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= limit else {
            throw CaloDataError.invalidRequest(path: path, object: name,
                                               detail: "rows \(rows.lowerBound)..<\(rows.upperBound) requested, the dataset has \(limit)")
        }
        let rowSize = dims.dropFirst().reduce(1, *)
        let stride = rowStride ?? rowSize
        guard columnOffset >= 0, columnOffset + rowSize <= stride, capacity >= rows.count * stride else {
            throw CaloDataError.invalidRequest(path: path, object: name,
                detail: "memory layout does not fit: \(rows.count) rows of \(rowSize) at column \(columnOffset), stride \(stride), buffer of \(capacity)")
        }
        return stride
    }

    /// File selection (rows of the dataset) and memory selection (rows inside a strided buffer).
    private func selections(_ d: hid_t, _ name: String, dims: [Int], firstRow: Int, rowCount: Int,
                            stride: Int, columnOffset: Int) throws -> (hid_t, hid_t) {
        let fspace = H5Dget_space(d)
        if fspace < 0 { throw hdf5Error(name, "reading the dataspace") }
        var start = [hsize_t](repeating: 0, count: dims.count)
        var count = dims.map { hsize_t($0) }
        start[0] = hsize_t(firstRow)
        count[0] = hsize_t(rowCount)
        if H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nil, &count, nil) < 0 {
            H5Sclose(fspace)
            throw hdf5Error(name, "selecting rows")
        }
        let rowSize = dims.dropFirst().reduce(1, *)
        let mspace: hid_t
        if stride == rowSize {
            // The memory space has the file selection's shape: HDF5 then copies whole runs of
            // each chunk; a flat (rowCount * rowSize) memory space of another rank makes it
            // iterate the selections span by span (most of the reading time for wide rows).
            var m = [hsize_t(rowCount)] + dims.dropFirst().map { hsize_t($0) }
            mspace = H5Screate_simple(Int32(m.count), &m, nil)
        } else {
            var m = [hsize_t(rowCount), hsize_t(stride)]
            mspace = H5Screate_simple(2, &m, nil)
            var s = [hsize_t(0), hsize_t(columnOffset)], c = [hsize_t(rowCount), hsize_t(rowSize)]
            if mspace >= 0 { H5Sselect_hyperslab(mspace, H5S_SELECT_SET, &s, nil, &c, nil) }
        }
        if mspace < 0 { H5Sclose(fspace); throw hdf5Error(name, "creating the memory dataspace") }
        return (fspace, mspace)
    }

    /// Chunk shape from the options, or whole rows of about 256 KiB.
    private func chunkShape(for name: String, type: HDF5ElementType, shape: [Int], options: HDF5DatasetOptions) throws -> [Int] {
        if let c = options.chunkShape {
            let fits = c.count == shape.count && c.allSatisfy { $0 > 0 }
                && zip(c, shape).enumerated().allSatisfy { i, p in (i == 0 && options.extensible) || p.0 <= max(p.1, 1) }
            guard fits else {
                throw CaloDataError.invalidRequest(path: path, object: name, detail: "chunk shape \(c) does not fit dataset shape \(shape)")
            }
            return c
        }
        let bytes: Int
        if case .float(let b) = type { bytes = b / 8 } else { bytes = 8 }
        let trailing = shape.dropFirst().map { max($0, 1) }
        let rowBytes = max(1, trailing.reduce(1, *) * bytes)
        var rows = max(1, 262_144 / rowBytes)
        if !options.extensible { rows = min(rows, max(shape[0], 1)) }
        return [rows] + trailing
    }
}
