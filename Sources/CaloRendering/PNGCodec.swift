import CPNG
import Foundation

// MARK: - PNGCodec

/// PNG encoding and decoding of `RGBImage` through libpng's simplified API (`png_image`),
/// 8-bit RGB, no alpha.
public enum PNGCodec {
    /// The PNG file bytes of `image` (encoded in memory, e.g. for a base64 data URI).
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw RenderError.invalidInput("cannot encode an empty \(image.width)x\(image.height) image as PNG")
        }
        var png = makeHeader(width: image.width, height: image.height)
        let stride = Int32(image.width * 3)
        var size = 0
        // First call with a nil buffer asks libpng for the required size.
        let ok1 = image.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&png, nil, &size, 0, px.baseAddress, stride, nil)
        }
        guard ok1 != 0, size > 0 else { throw RenderError.png(message(&png)) }
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, px.baseAddress, stride, nil)
            }
        }
        guard ok2 != 0 else { throw RenderError.png(message(&png)) }
        png_image_free(&png)
        return Array(out.prefix(size))
    }

    /// Writes `image` as a PNG file at `path` atomically: a temporary file in the same directory,
    /// then a rename, so readers never see a half-written figure.
    public static func write(_ image: RGBImage, to path: String) throws {
        try AtomicFile.write(try encode(image), to: path)
    }

    /// Reads a PNG file (any colour type libpng can convert) as 8-bit RGB; transparency is
    /// composited onto white.
    public static func read(path: String) throws -> RGBImage {
        var png = png_image()
        png.version = UInt32(caloPNGImageVersion())
        guard png_image_begin_read_from_file(&png, path) != 0 else {
            let m = message(&png); png_image_free(&png)
            throw RenderError.png("cannot read \(path): \(m)")
        }
        png.format = caloPNGFormatRGB()
        let w = Int(png.width), h = Int(png.height)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var background = png_color(red: 255, green: 255, blue: 255)
        let ok = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&png, &background, dst.baseAddress, Int32(w * 3), nil)
        }
        guard ok != 0 else {
            let m = message(&png); png_image_free(&png)
            throw RenderError.png("cannot decode \(path): \(m)")
        }
        png_image_free(&png)
        return try RGBImage(width: w, height: h, pixels: pixels)
    }

    // MARK: - Helpers

    private static func makeHeader(width: Int, height: Int) -> png_image {
        var png = png_image()
        png.version = UInt32(caloPNGImageVersion())
        png.width = UInt32(width)
        png.height = UInt32(height)
        png.format = caloPNGFormatRGB()
        return png
    }

    /// libpng's error text (a fixed C char array inside `png_image`).
    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown libpng error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}

// MARK: - AtomicFile

/// Writes files via a temporary sibling and `rename(2)` (atomic on POSIX file systems).
public enum AtomicFile {
    /// Writes `bytes` to `path`, replacing any existing file only once the new one is complete.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard let f = fopen(tmp, "wb") else {
            throw RenderError.io("cannot create \(tmp): \(String(cString: strerror(errno)))")
        }
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
        let closed = fclose(f)
        guard n == bytes.count, closed == 0 else {
            unlink(tmp)
            throw RenderError.io("cannot write \(path) (\(n) of \(bytes.count) bytes)")
        }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno)); unlink(tmp)
            throw RenderError.io("cannot rename \(tmp) to \(path): \(e)")
        }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
