/// A small, strict XML reader for configuration files such as the CaloChallenge binning files:
/// elements with attributes, self-closing tags, comments, processing instructions (the XML
/// declaration) and whitespace between elements. Text content, CDATA and DOCTYPE declarations
/// are refused. Every element remembers its line, so messages can point at it.
///
/// Not a general XML parser: it exists so that reading a binning needs no library beyond the
/// Swift standard library (the toolchain's FoundationXML would add libxml2 to the executable and
/// to the embedding library).
struct XMLElementTree {
    /// One element: name, attributes in document order, children, 1-based line of its start tag.
    struct Element {
        var name: String
        var attributes: [(name: String, value: String)]
        var children: [Element]
        var line: Int

        /// The value of attribute `name`, if present.
        func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
    }

    /// A syntax error at a 1-based line.
    struct SyntaxError: Error {
        var line: Int
        var message: String
    }

    /// The document's root element.
    let root: Element

    /// Parses `text`. - Throws: `SyntaxError` naming the line of the first problem.
    init(parsing text: String) throws {
        var reader = Reader(bytes: Array(text.utf8))
        root = try reader.document()
    }

    // MARK: - Reader

    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        var line = 1

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }   // UTF-8 byte-order mark
        }

        mutating func document() throws -> Element {
            try misc()
            guard i < bytes.count else { throw SyntaxError(line: line, message: "the file holds no XML element") }
            guard peek("<") else { throw SyntaxError(line: line, message: "unexpected text \(excerpt()) before the first element") }
            let root = try element()
            try misc()
            if i < bytes.count {
                throw SyntaxError(line: line, message: "unexpected content \(excerpt()) after the end of the root element <\(root.name)>")
            }
            return root
        }

        /// Whitespace, comments and processing instructions.
        mutating func misc() throws {
            while true {
                skipWhitespace()
                if peek("<?") { try skip(past: "?>", what: "processing instruction") }
                else if peek("<!--") { try skip(past: "-->", what: "comment") }
                else if peek("<!DOCTYPE") || peek("<!doctype") {
                    throw SyntaxError(line: line, message: "DOCTYPE declarations are not supported")
                } else { return }
            }
        }

        mutating func element() throws -> Element {
            let startLine = line
            i += 1   // "<"
            let name = try xmlName(what: "element name")
            var attributes: [(name: String, value: String)] = []
            while true {
                let hadSpace = skipWhitespace()
                guard i < bytes.count else { throw SyntaxError(line: startLine, message: "the start tag <\(name)> is not closed") }
                if peek("/>") {
                    i += 2
                    return Element(name: name, attributes: attributes, children: [], line: startLine)
                }
                if peek(">") { i += 1; break }
                guard hadSpace else { throw SyntaxError(line: line, message: "<\(name)>: expected a space, '>' or '/>' at \(excerpt())") }
                let attributeName = try xmlName(what: "attribute name in <\(name)>")
                skipWhitespace()
                guard peek("=") else { throw SyntaxError(line: line, message: "<\(name)>: attribute \(attributeName) has no '=' and value") }
                i += 1
                skipWhitespace()
                let value = try quoted(element: name, attribute: attributeName)
                if attributes.contains(where: { $0.name == attributeName }) {
                    throw SyntaxError(line: line, message: "<\(name)>: attribute \(attributeName) is given twice")
                }
                attributes.append((attributeName, value))
            }
            var children: [Element] = []
            while true {
                try misc()
                guard i < bytes.count else { throw SyntaxError(line: startLine, message: "<\(name)> is never closed (no </\(name)>)") }
                if peek("</") {
                    i += 2
                    let closing = try xmlName(what: "end tag name")
                    skipWhitespace()
                    guard peek(">") else { throw SyntaxError(line: line, message: "the end tag </\(closing)> is not closed with '>'") }
                    i += 1
                    guard closing == name else {
                        throw SyntaxError(line: line, message: "</\(closing)> closes <\(name)> (opened on line \(startLine))")
                    }
                    return Element(name: name, attributes: attributes, children: children, line: startLine)
                }
                if peek("<![CDATA[") { throw SyntaxError(line: line, message: "<\(name)>: CDATA sections are not supported") }
                guard peek("<") else {
                    throw SyntaxError(line: line, message: "<\(name)>: unexpected text \(excerpt()); only elements are expected here")
                }
                children.append(try element())
            }
        }

        mutating func quoted(element: String, attribute: String) throws -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                throw SyntaxError(line: line, message: "<\(element)>: the value of attribute \(attribute) must be in quotes")
            }
            let quote = bytes[i], startLine = line
            i += 1
            var out = [UInt8]()
            while i < bytes.count, bytes[i] != quote {
                let b = bytes[i]
                if b == UInt8(ascii: "<") {
                    throw SyntaxError(line: line, message: "<\(element)>: attribute \(attribute) contains '<'")
                }
                if b == UInt8(ascii: "&") {
                    out.append(contentsOf: try entity(element: element, attribute: attribute))
                    continue
                }
                if b == UInt8(ascii: "\n") { line += 1 }
                out.append(b)
                i += 1
            }
            guard i < bytes.count else {
                throw SyntaxError(line: startLine, message: "<\(element)>: the value of attribute \(attribute) is not closed")
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }

        /// One entity or character reference, `&...;`, as UTF-8.
        mutating func entity(element: String, attribute: String) throws -> [UInt8] {
            guard let end = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw SyntaxError(line: line, message: "<\(element)>: attribute \(attribute) has an '&' that starts no entity")
            }
            let body = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
            i = end + 1
            switch body {
            case "amp": return Array("&".utf8)
            case "lt": return Array("<".utf8)
            case "gt": return Array(">".utf8)
            case "quot": return Array("\"".utf8)
            case "apos": return Array("'".utf8)
            default:
                var code: UInt32?
                if body.hasPrefix("#x") { code = UInt32(body.dropFirst(2), radix: 16) }
                else if body.hasPrefix("#") { code = UInt32(body.dropFirst()) }
                guard let c = code, let scalar = Unicode.Scalar(c) else {
                    throw SyntaxError(line: line, message: "<\(element)>: attribute \(attribute) has an unknown entity &\(body);")
                }
                return Array(String(Character(scalar)).utf8)
            }
        }

        mutating func xmlName(what: String) throws -> String {
            let start = i
            while i < bytes.count {
                let b = bytes[i]
                let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b >= 0x80
                let other = (b >= 48 && b <= 57) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
                if letter || (other && i > start) { i += 1 } else { break }
            }
            guard i > start else { throw SyntaxError(line: line, message: "expected an \(what) at \(excerpt())") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        @discardableResult
        mutating func skipWhitespace() -> Bool {
            let start = i
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\n"): line += 1; i += 1
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
                default: return i > start
                }
            }
            return i > start
        }

        mutating func skip(past terminator: String, what: String) throws {
            let t = Array(terminator.utf8), startLine = line
            while i < bytes.count {
                if bytes[i...].starts(with: t) { i += t.count; return }
                if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                i += 1
            }
            throw SyntaxError(line: startLine, message: "a \(what) is not closed with '\(terminator)'")
        }

        func peek(_ s: String) -> Bool { bytes[i...].starts(with: s.utf8) }

        /// Up to 20 characters from the current position, quoted, for messages.
        func excerpt() -> String {
            guard i < bytes.count else { return "(end of file)" }
            let line = bytes[i...].prefix(20).prefix { $0 != UInt8(ascii: "\n") }
            return "'" + String(decoding: line, as: UTF8.self) + "'"
        }
    }
}
