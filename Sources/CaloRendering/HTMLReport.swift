import Foundation

// MARK: - HTMLReport

/// Builds one self-contained HTML page: inline CSS, SVG figures inline, PNG figures embedded
/// as `data:image/png;base64` URIs; no scripts and no external resources, so the file can be
/// mailed or opened offline. All text passes through `xmlEscape`.
public struct HTMLReport: Sendable {
    /// A figure of a grid: inline SVG markup or PNG bytes, with a caption.
    public enum Figure: Sendable {
        case svg(String, caption: String)
        case png([UInt8], caption: String)

        /// A figure from an image (encoded with libpng).
        public static func image(_ image: RGBImage, caption: String) throws -> Figure {
            .png(try PNGCodec.encode(image), caption: caption)
        }
    }

    public var title: String
    private var header: [String] = []
    private var parts: [String] = []
    private var sectionCount = 0

    /// A report titled `title`, with an optional subtitle line (e.g. run name and date).
    public init(title: String, subtitle: String? = nil) {
        self.title = title
        header.append("<h1>\(xmlEscape(title))</h1>")
        if let s = subtitle { header.append("<p class=\"subtitle\">\(xmlEscape(s))</p>") }
    }

    // MARK: - Content

    /// Starts a new section with heading `heading` (listed in the table of contents).
    public mutating func section(_ heading: String) {
        sectionCount += 1
        parts.append("<h2 id=\"s\(sectionCount)\">\(xmlEscape(heading))</h2>")
    }

    /// A paragraph of plain text.
    public mutating func paragraph(_ text: String) { parts.append("<p>\(xmlEscape(text))</p>") }

    /// Two-column table of named values.
    public mutating func keyValueTable(_ rows: [(key: String, value: String)], caption: String? = nil) {
        table(header: [], rows: rows.map { [$0.key, $0.value] }, caption: caption, keyColumn: true)
    }

    /// A table with a header row; numeric-looking cells are right-aligned.
    public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        table(header: header, rows: rows, caption: caption, keyColumn: false)
    }

    /// Figures in a responsive grid (as many columns as fit `columnWidth` pixels).
    public mutating func figureGrid(_ figures: [Figure], columnWidth: Int = 560) {
        var s = "<div class=\"grid\" style=\"grid-template-columns: repeat(auto-fill, minmax(\(columnWidth)px, 1fr));\">"
        for f in figures {
            switch f {
            case .svg(let markup, let caption):
                s += "<figure>\(Self.stripXMLDeclaration(markup))<figcaption>\(xmlEscape(caption))</figcaption></figure>"
            case .png(let bytes, let caption):
                s += "<figure><img alt=\"\(xmlEscape(caption))\" src=\"data:image/png;base64,\(Base64.encode(bytes))\"/><figcaption>\(xmlEscape(caption))</figcaption></figure>"
            }
        }
        parts.append(s + "</div>")
    }

    // MARK: - Output

    /// The complete HTML5 document.
    public func render() -> String {
        var toc = ""
        var k = 0
        for p in parts where p.hasPrefix("<h2 id=") {
            k += 1
            let text = p.drop { $0 != ">" }.dropFirst().prefix { $0 != "<" }
            toc += "<li><a href=\"#s\(k)\">\(text)</a></li>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(xmlEscape(title))</title>
        <style>\(Self.css)</style>
        </head>
        <body>
        \(header.joined(separator: "\n"))
        \(toc.isEmpty ? "" : "<nav><ol>\(toc)</ol></nav>")
        \(parts.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    /// Writes the page to `path` atomically (temporary file + rename).
    public func write(to path: String) throws { try AtomicFile.write(text: render(), to: path) }

    // MARK: - Helpers

    private mutating func table(header: [String], rows: [[String]], caption: String?, keyColumn: Bool) {
        var s = "<table\(keyColumn ? " class=\"kv\"" : "")>"
        if let c = caption { s += "<caption>\(xmlEscape(c))</caption>" }
        if !header.isEmpty { s += "<thead><tr>" + header.map { "<th>\(xmlEscape($0))</th>" }.joined() + "</tr></thead>" }
        s += "<tbody>"
        for r in rows {
            s += "<tr>" + r.enumerated().map { i, cell in
                let tag = keyColumn && i == 0 ? "th" : "td"
                let num = Double(cell.trimmingCharacters(in: .whitespaces)) != nil ? " class=\"num\"" : ""
                return "<\(tag)\(num)>\(xmlEscape(cell))</\(tag)>"
            }.joined() + "</tr>"
        }
        parts.append(s + "</tbody></table>")
    }

    private static func stripXMLDeclaration(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...])
    }

    private static let css = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1400px;padding:0 1.5em;color:#222;line-height:1.45}
    h1{margin-bottom:.2em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2em}
    .subtitle{color:#666;margin-top:0}nav ol{columns:2;background:#f5f7fa;padding:.8em 2.5em;border-radius:6px}
    table{border-collapse:collapse;margin:1em 0;font-size:.95em}caption{text-align:left;font-weight:bold;padding-bottom:.3em}
    th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left}thead th{background:#eef2f7}
    table.kv th{background:#f5f7fa;font-weight:normal}td.num{text-align:right;font-variant-numeric:tabular-nums}
    .grid{display:grid;gap:1.2em;align-items:start}figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:.5em;background:#fff}
    figure svg,figure img{max-width:100%;height:auto;display:block;margin:0 auto}
    figcaption{font-size:.9em;color:#444;margin-top:.4em;text-align:center}
    """
}
