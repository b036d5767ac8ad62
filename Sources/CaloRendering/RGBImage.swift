import Foundation

// MARK: - RGBColor

/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)
    public static let lightGray = RGBColor(220, 220, 220)

    /// Relative luminance in 0...1 (ITU-R BT.709 weights on linearised sRGB), used to check that
    /// a sequential colour map is perceptually ordered.
    public var luminance: Double {
        func lin(_ c: UInt8) -> Double {
            let v = Double(c) / 255
            return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// `#rrggbb` for SVG and CSS.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for c in [r, g, b] { s.append(digits[Int(c >> 4)]); s.append(digits[Int(c & 15)]) }
        return s
    }

    public var description: String { hex }
}

// MARK: - RGBImage

/// An 8-bit RGB raster, row-major from the top-left corner, 3 bytes per pixel (`pixels.count ==
/// width * height * 3`). Drawing outside the image is clipped silently, so layout code can be
/// simple; nothing here allocates per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// A `width × height` image filled with `background` (white by default).
    /// Non-positive sizes give an empty image.
    public init(width: Int, height: Int, background: RGBColor = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        let n = self.width * self.height
        if background.r == background.g && background.g == background.b {
            pixels = [UInt8](repeating: background.r, count: n * 3)
        } else {
            pixels = [UInt8](unsafeUninitializedCapacity: n * 3) { buf, count in
                var i = 0
                while i < n * 3 { buf[i] = background.r; buf[i + 1] = background.g; buf[i + 2] = background.b; i += 3 }
                count = n * 3
            }
        }
    }

    /// An image over existing RGB bytes; throws if `pixels.count != width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else {
            throw RenderError.invalidInput("RGBImage \(width)x\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }

    // MARK: - Pixels

    /// The colour at (`x`, `y`); `nil` outside the image.
    public func pixel(x: Int, y: Int) -> RGBColor? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let i = (y * width + x) * 3
        return RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets one pixel; ignored outside the image.
    public mutating func setPixel(x: Int, y: Int, _ c: RGBColor) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    // MARK: - Shapes

    /// Fills the rectangle with top-left (`x`, `y`) and size `w × h`, clipped to the image.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ c: RGBColor) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let W = width
        pixels.withUnsafeMutableBufferPointer { p in
            for yy in y0..<y1 {
                var i = (yy * W + x0) * 3
                for _ in x0..<x1 { p[i] = c.r; p[i + 1] = c.g; p[i + 2] = c.b; i += 3 }
            }
        }
    }

    /// Outlines a rectangle with lines `thickness` pixels wide drawn inside its bounds.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, _ c: RGBColor, thickness t: Int = 1) {
        fillRect(x: x, y: y, width: w, height: t, c)
        fillRect(x: x, y: y + h - t, width: w, height: t, c)
        fillRect(x: x, y: y, width: t, height: h, c)
        fillRect(x: x + w - t, y: y, width: t, height: h, c)
    }

    /// Copies `image` with its top-left corner at (`x`, `y`), clipped.
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        let x0 = max(0, x), x1 = min(width, x + image.width)
        guard x0 < x1 else { return }
        let W = width, H = height
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for yy in max(0, -y)..<min(image.height, H - y) {
                    let s = (yy * image.width + (x0 - x)) * 3, d = ((y + yy) * W + x0) * 3
                    // Whole clipped row at once.
                    UnsafeMutableRawPointer(dst.baseAddress! + d).copyMemory(from: src.baseAddress! + s, byteCount: (x1 - x0) * 3)
                }
            }
        }
    }
}
