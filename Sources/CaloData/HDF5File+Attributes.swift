import CHDF5
import Glibc

/// Attributes on the root group, groups and datasets (`object` is "/" for the file itself).
extension HDF5File {
    // MARK: - Write

    /// Sets attribute `name` on `object`, replacing an existing one. Strings are stored as scalar
    /// variable-length UTF-8 (h5py reads them as `str`), numbers as scalar float64/int64, arrays
    /// as 1-D datasets of the same types.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on object: String = "/") throws {
        try checkWritable(object)
        let obj = Self.normalized(object)
        guard exists(obj) else { throw CaloDataError.objectNotFound(path: path, object: obj) }
        if H5Aexists_by_name(fileID, obj, name, hid_t(H5P_DEFAULT)) > 0,
           H5Adelete_by_name(fileID, obj, name, hid_t(H5P_DEFAULT)) < 0 {
            throw hdf5Error(obj, "replacing attribute '\(name)'")
        }
        let what = "writing attribute '\(name)'"
        switch value {
        case .string(let s):
            try writeStrings([s], scalar: true, name, obj, what)
        case .strings(let a):
            try writeStrings(a, scalar: false, name, obj, what)
        case .double(let d):
            try writeNumbers([d], scalar: true, type: caloH5T_IEEE_F64LE(), name, obj, what)
        case .int64(let i):
            try writeNumbers([i], scalar: true, type: caloH5T_STD_I64LE(), name, obj, what)
        case .doubles(let a):
            try writeNumbers(a, scalar: false, type: caloH5T_IEEE_F64LE(), name, obj, what)
        case .int64s(let a):
            try writeNumbers(a, scalar: false, type: caloH5T_STD_I64LE(), name, obj, what)
        }
    }

    // MARK: - Read

    /// Whether `object` carries attribute `name`.
    public func hasAttribute(_ name: String, on object: String = "/") throws -> Bool {
        try checkOpen(object)
        let obj = Self.normalized(object)
        guard exists(obj) else { throw CaloDataError.objectNotFound(path: path, object: obj) }
        return H5Aexists_by_name(fileID, obj, name, hid_t(H5P_DEFAULT)) > 0
    }

    /// Names of all attributes of `object`, sorted.
    public func attributeNames(of object: String = "/") throws -> [String] {
        try checkOpen(object)
        let obj = Self.normalized(object)
        guard exists(obj) else { throw CaloDataError.objectNotFound(path: path, object: obj) }
        final class Names { var list: [String] = [] }
        let names = Names()
        let op: H5A_operator2_t = { _, attrName, _, data in
            guard let attrName, let data else { return 0 }
            Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: attrName))
            return 0
        }
        var index: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5Aiterate_by_name(fileID, obj, H5_INDEX_NAME, H5_ITER_INC, &index, op,
                               Unmanaged.passUnretained(names).toOpaque(), hid_t(H5P_DEFAULT))
        }
        if status < 0 { throw hdf5Error(obj, "listing attributes") }
        return names.list.sorted()
    }

    /// The value of attribute `name` of `object`. Reads variable- and fixed-length strings
    /// (ASCII or UTF-8), integers of any width (as Int64) and floats (as Double), scalar or 1-D.
    public func attribute(_ name: String, of object: String = "/") throws -> HDF5AttributeValue {
        guard try hasAttribute(name, on: object) else {
            throw CaloDataError.attributeNotFound(path: path, object: Self.normalized(object), name: name)
        }
        let obj = Self.normalized(object)
        let what = "reading attribute '\(name)'"
        let a = H5Aopen_by_name(fileID, obj, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        if a < 0 { throw hdf5Error(obj, what) }
        defer { H5Aclose(a) }
        let space = H5Aget_space(a), fileType = H5Aget_type(a)
        defer { H5Sclose(space); H5Tclose(fileType) }
        if space < 0 || fileType < 0 { throw hdf5Error(obj, what) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        let scalar = H5Sget_simple_extent_ndims(space) == 0
        let type = HDF5ElementType(typeID: fileType)
        switch type {
        case .string:
            let s = try readStrings(a, fileType, space, n, obj, what)
            return scalar ? .string(s.first ?? "") : .strings(s)
        case .float:
            var v = [Double](repeating: 0, count: n)
            if n > 0 && H5Aread(a, caloH5T_NATIVE_DOUBLE(), &v) < 0 { throw hdf5Error(obj, what) }
            return scalar ? .double(v.first ?? 0) : .doubles(v)
        case .signedInteger, .unsignedInteger:
            var v = [Int64](repeating: 0, count: n)
            if n > 0 && H5Aread(a, caloH5T_NATIVE_INT64(), &v) < 0 { throw hdf5Error(obj, what) }
            return scalar ? .int64(v.first ?? 0) : .int64s(v)
        case .other:
            throw CaloDataError.unsupportedType(path: path, object: "\(obj) attribute '\(name)'", found: type.description,
                                                expected: "string, integer or float")
        }
    }

    /// All readable attributes of `object` as text (arrays as `[a, b]`); unreadable types are skipped.
    public func attributesAsStrings(of object: String = "/") throws -> [String: String] {
        var out: [String: String] = [:]
        for n in try attributeNames(of: object) {
            if let v = try? attribute(n, of: object) { out[n] = v.description }
        }
        return out
    }

    // MARK: - Internals

    private func attributeSpace(count: Int, scalar: Bool) -> hid_t {
        if scalar { return H5Screate(H5S_SCALAR) }
        var d = [hsize_t(count)]
        return H5Screate_simple(1, &d, nil)
    }

    private func writeNumbers<T>(_ values: [T], scalar: Bool, type: hid_t, _ name: String, _ obj: String, _ what: String) throws
    where T: HDF5Element {
        let space = attributeSpace(count: values.count, scalar: scalar)
        defer { H5Sclose(space) }
        let a = H5Acreate_by_name(fileID, obj, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        if a < 0 { throw hdf5Error(obj, what) }
        defer { H5Aclose(a) }
        if values.isEmpty { return }
        let status = values.withUnsafeBufferPointer { H5Awrite(a, T.hdf5MemoryType, $0.baseAddress) }
        if status < 0 { throw hdf5Error(obj, what) }
    }

    /// A variable-length UTF-8 string type (caller closes).
    private func variableStringType(cset: H5T_cset_t = H5T_CSET_UTF8) -> hid_t {
        let t = H5Tcopy(caloH5T_C_S1())
        H5Tset_size(t, caloH5T_VARIABLE())
        H5Tset_cset(t, cset)
        return t
    }

    private func writeStrings(_ values: [String], scalar: Bool, _ name: String, _ obj: String, _ what: String) throws {
        let type = variableStringType()
        defer { H5Tclose(type) }
        let space = attributeSpace(count: values.count, scalar: scalar)
        defer { H5Sclose(space) }
        let a = H5Acreate_by_name(fileID, obj, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        if a < 0 { throw hdf5Error(obj, what) }
        defer { H5Aclose(a) }
        if values.isEmpty { return }
        let cStrings = values.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
        if H5Awrite(a, type, &pointers) < 0 { throw hdf5Error(obj, what) }
    }

    private func readStrings(_ a: hid_t, _ fileType: hid_t, _ space: hid_t, _ n: Int, _ obj: String, _ what: String) throws -> [String] {
        if n == 0 { return [] }
        let cset = H5Tget_cset(fileType)
        if H5Tis_variable_str(fileType) > 0 {
            let memType = variableStringType(cset: cset)
            defer { H5Tclose(memType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            if H5Aread(a, memType, &pointers) < 0 { throw hdf5Error(obj, what) }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            H5Dvlen_reclaim(memType, space, hid_t(H5P_DEFAULT), &pointers)
            return strings
        }
        let size = Int(H5Tget_size(fileType))
        let memType = H5Tcopy(caloH5T_C_S1())
        defer { H5Tclose(memType) }
        H5Tset_size(memType, size)
        H5Tset_cset(memType, cset)
        H5Tset_strpad(memType, H5Tget_strpad(fileType))
        var bytes = [UInt8](repeating: 0, count: n * size)
        if H5Aread(a, memType, &bytes) < 0 { throw hdf5Error(obj, what) }
        let padWithSpaces = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        return (0..<n).map { i in
            var s = bytes[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }
            if padWithSpaces { while s.last == 0x20 { s = s.dropLast() } }
            return String(decoding: s, as: UTF8.self)
        }
    }
}
