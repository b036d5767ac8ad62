import CHDF5

// MARK: - Element types

/// The element type of a stored dataset or attribute, as HDF5 describes it.
public enum HDF5ElementType: Equatable, Hashable, Sendable, CustomStringConvertible {
    case float(bits: Int)
    case signedInteger(bits: Int)
    case unsignedInteger(bits: Int)
    case string
    case other(String)

    public static let float32 = HDF5ElementType.float(bits: 32)
    public static let float64 = HDF5ElementType.float(bits: 64)
    public static let int64 = HDF5ElementType.signedInteger(bits: 64)
    public static let uint64 = HDF5ElementType.unsignedInteger(bits: 64)

    /// numpy-style name: float32, float64, int64, uint8, string, ...
    public var description: String {
        switch self {
        case .float(let b): return "float\(b)"
        case .signedInteger(let b): return "int\(b)"
        case .unsignedInteger(let b): return "uint\(b)"
        case .string: return "string"
        case .other(let s): return s
        }
    }

    /// Little-endian IEEE/standard file type for creating datasets; nil for types we do not create.
    var fileType: hid_t? {
        switch self {
        case .float(32): return caloH5T_IEEE_F32LE()
        case .float(64): return caloH5T_IEEE_F64LE()
        case .signedInteger(64): return caloH5T_STD_I64LE()
        case .unsignedInteger(64): return caloH5T_STD_U64LE()
        default: return nil
        }
    }

    /// Classifies an HDF5 datatype handle.
    init(typeID t: hid_t) {
        let bits = Int(H5Tget_size(t)) * 8
        switch H5Tget_class(t) {
        case H5T_FLOAT: self = .float(bits: bits)
        case H5T_INTEGER: self = H5Tget_sign(t) == H5T_SGN_NONE ? .unsignedInteger(bits: bits) : .signedInteger(bits: bits)
        case H5T_STRING: self = .string
        case H5T_ENUM: self = .other("enum")
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("vlen")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_BITFIELD: self = .other("bitfield")
        default: self = .other("unknown")
        }
    }
}

/// Swift element types that map to a native HDF5 memory type. HDF5 converts between the stored
/// and the memory type on read and write (e.g. float64 on disk read into `[Float]`).
public protocol HDF5Element: Sendable {
    /// The native HDF5 memory type of `Self`.
    static var hdf5MemoryType: hid_t { get }
    /// The type a dataset created for `Self` stores.
    static var hdf5ElementType: HDF5ElementType { get }
}

extension Float: HDF5Element {
    public static var hdf5MemoryType: hid_t { caloH5T_NATIVE_FLOAT() }
    public static var hdf5ElementType: HDF5ElementType { .float32 }
}
extension Double: HDF5Element {
    public static var hdf5MemoryType: hid_t { caloH5T_NATIVE_DOUBLE() }
    public static var hdf5ElementType: HDF5ElementType { .float64 }
}
extension Int64: HDF5Element {
    public static var hdf5MemoryType: hid_t { caloH5T_NATIVE_INT64() }
    public static var hdf5ElementType: HDF5ElementType { .int64 }
}
extension UInt64: HDF5Element {
    public static var hdf5MemoryType: hid_t { caloH5T_NATIVE_UINT64() }
    public static var hdf5ElementType: HDF5ElementType { .uint64 }
}

// MARK: - Dataset creation and description

/// Storage options for a new dataset.
public struct HDF5DatasetOptions: Sendable, Equatable {
    /// Chunk shape (same rank as the dataset). nil with chunking needed (gzip or extensible)
    /// picks whole rows, about 256 KiB per chunk.
    public var chunkShape: [Int]?
    /// gzip (deflate) level 0-9; nil for no compression. Implies chunking.
    public var gzipLevel: Int?
    /// Byte-shuffle filter before gzip (better compression of floats). Only used with gzip.
    public var shuffle: Bool
    /// First dimension unlimited, so rows can be appended. Implies chunking.
    public var extensible: Bool

    public init(chunkShape: [Int]? = nil, gzipLevel: Int? = nil, shuffle: Bool = true, extensible: Bool = false) {
        self.chunkShape = chunkShape
        self.gzipLevel = gzipLevel
        self.shuffle = shuffle
        self.extensible = extensible
    }

    /// Contiguous, uncompressed, fixed size.
    public static let contiguous = HDF5DatasetOptions()

    /// Chunked, gzip (with the byte shuffle unless `shuffle` is false), extensible along the
    /// first axis: the streaming layout.
    public static func streaming(gzipLevel: Int = 4, shuffle: Bool = true, chunkRows: Int? = nil,
                                 rowShape: [Int]) -> HDF5DatasetOptions {
        HDF5DatasetOptions(chunkShape: chunkRows.map { [$0] + rowShape }, gzipLevel: gzipLevel, shuffle: shuffle, extensible: true)
    }

    var needsChunking: Bool { chunkShape != nil || gzipLevel != nil || extensible }
}

/// What a dataset is: shape, element type and storage.
public struct HDF5DatasetInfo: Sendable, Equatable {
    /// Current dimensions (first axis = rows/events).
    public var shape: [Int]
    /// Maximum dimensions; nil entries are unlimited.
    public var maxShape: [Int?]
    /// Stored element type.
    public var elementType: HDF5ElementType
    /// Chunk shape, nil for contiguous or compact storage.
    public var chunkShape: [Int]?
    /// gzip level if the deflate filter is applied.
    public var gzipLevel: Int?
    /// Whether the shuffle filter is applied.
    public var shuffle: Bool
    /// Names of all filters in pipeline order (e.g. ["shuffle", "deflate"]).
    public var filters: [String]

    /// Number of rows (first dimension; 1 for a scalar dataset).
    public var rowCount: Int { shape.first ?? 1 }
    /// Elements per row (product of the trailing dimensions).
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }
    /// Total number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// e.g. "chunked (512, 3, 96), shuffle + gzip 4" or "contiguous".
    public var storageDescription: String {
        guard let c = chunkShape else { return "contiguous" }
        let chunk = "chunked " + CaloDataError.shape(c)
        if filters.isEmpty { return chunk }
        let f = filters.map { $0 == "deflate" ? "gzip \(gzipLevel ?? 0)" : $0 }
        return chunk + ", " + f.joined(separator: " + ")
    }
}

// MARK: - Attributes

/// The attribute values this layer reads and writes. Strings are written as variable-length
/// UTF-8 (what h5py writes for `str`); fixed-length strings are read too. Integer attributes of
/// any width read as `.int64`, floating ones as `.double`; arrays become the array cases.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case double(Double)
    case int64(Int64)
    case doubles([Double])
    case int64s([Int64])
    case strings([String])

    /// The value as text (arrays as `[a, b]`), for metadata tables.
    public var description: String {
        switch self {
        case .string(let s): return s
        case .double(let d): return String(d)
        case .int64(let i): return String(i)
        case .doubles(let a): return "[" + a.map { String($0) }.joined(separator: ", ") + "]"
        case .int64s(let a): return "[" + a.map { String($0) }.joined(separator: ", ") + "]"
        case .strings(let a): return "[" + a.joined(separator: ", ") + "]"
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int64(let i): return Double(i)
        default: return nil
        }
    }
    public var int64Value: Int64? { if case .int64(let i) = self { return i }; return nil }
}
