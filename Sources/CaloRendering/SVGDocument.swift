import Foundation

// MARK: - XML escaping

/// Escapes `&`, `<`, `>`, `"` and `'` for XML/HTML text and attribute values, and drops
/// control characters XML 1.0 forbids (so user labels can never break the document).
public func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            if u.value < 0x20 && u != "\n" && u != "\t" && u != "\r" { continue }
            out.unicodeScalars.append(u)
        }
    }
    return out
}

// MARK: - SVGDocument

/// A minimal SVG 1.1 writer: elements are appended as text and `render()` wraps them in a
/// standalone `<svg>` root (usable as a file or inline in HTML). Coordinates are user units
/// (= CSS pixels), origin top-left. All text goes through `xmlEscape`.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    private var body: [String] = []
    private var defs: [String] = []

    /// Font stack for all text (generic fallbacks so it renders offline everywhere).
    public static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    public init(width: Double, height: Double) { self.width = width; self.height = height }

    /// Short decimal for coordinates ("12.5", "3").
    public static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    // MARK: - Elements

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String = "none",
                              stroke: String? = nil, strokeWidth: Double = 1, fillOpacity: Double = 1) {
        var a = "<rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\" fill=\"\(fill)\""
        if fillOpacity < 1 { a += " fill-opacity=\"\(Self.num(fillOpacity))\"" }
        if let s = stroke { a += " stroke=\"\(s)\" stroke-width=\"\(Self.num(strokeWidth))\"" }
        body.append(a + "/>")
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#000",
                              width: Double = 1, dash: String? = nil) {
        var a = "<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\""
        if let d = dash { a += " stroke-dasharray=\"\(d)\"" }
        body.append(a + "/>")
    }

    /// A `<path>` with data `d`; `cssClass` lets tests and stylesheets find series.
    public mutating func path(_ d: String, stroke: String = "none", width: Double = 1, fill: String = "none",
                              fillOpacity: Double = 1, dash: String? = nil, clipID: String? = nil, cssClass: String? = nil) {
        var a = "<path d=\"\(d)\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\" stroke-linejoin=\"round\""
        if fillOpacity < 1 { a += " fill-opacity=\"\(Self.num(fillOpacity))\"" }
        if let d = dash { a += " stroke-dasharray=\"\(d)\"" }
        if let c = clipID { a += " clip-path=\"url(#\(c))\"" }
        if let c = cssClass { a += " class=\"\(xmlEscape(c))\"" }
        body.append(a + "/>")
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String) {
        body.append("<circle cx=\"\(Self.num(cx))\" cy=\"\(Self.num(cy))\" r=\"\(Self.num(r))\" fill=\"\(fill)\"/>")
    }

    /// Text at (x, y) (y = baseline); `rotate` in degrees about (x, y).
    public mutating func text(_ s: String, x: Double, y: Double, size: Double = 13, anchor: String = "start",
                              weight: String? = nil, rotate: Double? = nil, fill: String = "#000") {
        body.append(textElement([(s, false)], x: x, y: y, size: size, anchor: anchor, weight: weight, rotate: rotate, fill: fill))
    }

    /// Text made of runs, each either normal or superscript (for "10⁻²"-style tick labels).
    public mutating func richText(_ runs: [(String, superscript: Bool)], x: Double, y: Double, size: Double = 13,
                                  anchor: String = "start") {
        body.append(textElement(runs, x: x, y: y, size: size, anchor: anchor, weight: nil, rotate: nil, fill: "#000"))
    }

    /// Defines a rectangular clip path `id` for later `clipID:` references.
    public mutating func clipRect(id: String, x: Double, y: Double, width: Double, height: Double) {
        defs.append("<clipPath id=\"\(xmlEscape(id))\"><rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\"/></clipPath>")
    }

    /// Appends already well-formed SVG markup (callers must escape text themselves).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// The complete SVG document (no XML declaration, so it can be inlined in HTML as is).
    public func render() -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\" viewBox=\"0 0 \(Self.num(width)) \(Self.num(height))\" font-family=\"\(Self.fontFamily)\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\" fill=\"#fff\"/>\n"
        if !defs.isEmpty { s += "<defs>\(defs.joined())</defs>\n" }
        s += body.joined(separator: "\n")
        return s + "\n</svg>\n"
    }

    private func textElement(_ runs: [(String, superscript: Bool)], x: Double, y: Double, size: Double, anchor: String,
                             weight: String?, rotate: Double?, fill: String) -> String {
        var a = "<text x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" font-size=\"\(Self.num(size))\" text-anchor=\"\(anchor)\""
        if fill != "#000" { a += " fill=\"\(fill)\"" }
        if let w = weight { a += " font-weight=\"\(w)\"" }
        if let r = rotate { a += " transform=\"rotate(\(Self.num(r)) \(Self.num(x)) \(Self.num(y)))\"" }
        a += ">"
        for (t, sup) in runs {
            // dy rather than baseline-shift: it is honoured by every SVG renderer.
            a += sup ? "<tspan dy=\"\(Self.num(-0.4 * size))\" font-size=\"\(Self.num(0.75 * size))\">\(xmlEscape(t))</tspan>"
                     : xmlEscape(t)
        }
        return a + "</text>"
    }
}
