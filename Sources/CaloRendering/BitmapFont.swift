// MARK: - BitmapFont

/// A built-in 5×9 bitmap font (5 columns, 7 rows above the baseline plus 2 descender rows) for
/// labels in PNG figures, so no font library is needed.
///
/// Covers printable ASCII plus the symbols calorimeter plots use: η φ χ σ μ ² ± × Δ ⟨ ⟩ · − ≤ ≥ °.
/// Characters without a glyph are drawn as `?`. Glyphs are drawn at an integer `scale`
/// (2 or 3 for readable figures): a glyph then occupies `5·scale × 9·scale` pixels and advances
/// `6·scale` pixels.
public enum BitmapFont {
    /// Glyph width in font pixels.
    public static let glyphWidth = 5
    /// Glyph height in font pixels, including the two descender rows.
    public static let glyphHeight = 9
    /// Horizontal advance per character in font pixels (glyph plus one column of spacing).
    public static let advance = 6

    /// Width in pixels of `text` drawn at `scale` (no trailing spacing column).
    public static func width(_ text: String, scale: Int) -> Int {
        let n = text.count
        return n == 0 ? 0 : (n * advance - 1) * scale
    }

    /// Height in pixels of one line of text at `scale` (capitals plus descenders).
    public static func height(scale: Int) -> Int { glyphHeight * scale }


    /// The packed bits of `character` (the `?` glyph when missing); test bit `5·row + 4 − column`.
    public static func bits(_ character: Character) -> UInt64 { glyphs[character] ?? glyphs["?"]! }

    /// Whether the font has a glyph for `character` (others render as `?`).
    public static func hasGlyph(_ character: Character) -> Bool { glyphs[character] != nil }

    // MARK: - Glyph table
    /// Nine rows of five bits per glyph packed into a UInt64, row 0 (top) in the lowest 5 bits,
    /// bit 4 of a row = leftmost column. Drawn for this project as hand-made 5×9 pixel art.
    private static let glyphs: [Character: UInt64] = [
        " ": 0x000000000000,
        "!": 0x000100421084,
        "\"": 0x00000000014A,
        "#": 0x000295F57D4A,
        "$": 0x00013C5751E4,
        "%": 0x0000E6820B38,
        "&": 0x00036554524C,
        "'": 0x000000000084,
        "(": 0x000088842082,
        ")": 0x000208210888,
        "*": 0x000009575480,
        "+": 0x0000084F9080,
        ",": 0x004118000000,
        "-": 0x0000000F8000,
        ".": 0x000318000000,
        "/": 0x000020820820,
        "0": 0x0003A39ACE2E,
        "1": 0x000388421184,
        "2": 0x0007D041062E,
        "3": 0x0003A211105F,
        "4": 0x000085F928C2,
        "5": 0x0003A210FA1F,
        "6": 0x0003A31F4106,
        "7": 0x00021082083F,
        "8": 0x0003A317462E,
        "9": 0x00030417C62E,
        ":": 0x000018C03180,
        ";": 0x000208C03180,
        "<": 0x000088882082,
        "=": 0x000001F07C00,
        ">": 0x000208208888,
        "?": 0x00010041062E,
        "@": 0x0003A17ADE2E,
        "A": 0x0004631FC62E,
        "B": 0x0007A31F463E,
        "C": 0x0003A308422E,
        "D": 0x00072518C65C,
        "E": 0x0007E10F421F,
        "F": 0x0004210F421F,
        "G": 0x0003E31BC22E,
        "H": 0x0004631FC631,
        "I": 0x00038842108E,
        "J": 0x000324210847,
        "K": 0x0004654C5251,
        "L": 0x0007E1084210,
        "M": 0x0004631AD771,
        "N": 0x0004633AE631,
        "O": 0x0003A318C62E,
        "P": 0x0004210F463E,
        "Q": 0x00036558C62E,
        "R": 0x0004654F463E,
        "S": 0x00078217420F,
        "T": 0x00010842109F,
        "U": 0x0003A318C631,
        "V": 0x00011518C631,
        "W": 0x0002AB5AC631,
        "X": 0x000462A22A31,
        "Y": 0x000108422A31,
        "Z": 0x0007E082083F,
        "[": 0x00039084210E,
        "\\": 0x000002222200,
        "]": 0x00038421084E,
        "^": 0x000000004544,
        "_": 0x00F800000000,
        "`": 0x000000000088,
        "a": 0x0003E2F0B800,
        "b": 0x0007A31CDA10,
        "c": 0x0003A3083800,
        "d": 0x0003E319B421,
        "e": 0x0003A1F8B800,
        "f": 0x0002108E2126,
        "g": 0x0E0BE318BC00,
        "h": 0x0004631CDA10,
        "i": 0x000388423004,
        "j": 0x0C9084211802,
        "k": 0x0004A98A4A10,
        "l": 0x00038842108C,
        "m": 0x00056B5AE800,
        "n": 0x0004631CD800,
        "o": 0x0003A318B800,
        "p": 0x1087A318F800,
        "q": 0x010BE318BC00,
        "r": 0x0004210CD800,
        "s": 0x000782E83C00,
        "t": 0x000192847108,
        "u": 0x00036718C400,
        "v": 0x00011518C400,
        "w": 0x0002AB58C400,
        "x": 0x000454454400,
        "y": 0x0E0BE318C400,
        "z": 0x0007D0417C00,
        "{": 0x0000C8441083,
        "|": 0x000108421084,
        "}": 0x000608411098,
        "~": 0x0000002AA000,
        "η": 0x010C631CD800,
        "φ": 0x0423AB5AB880,
        "χ": 0x008A88454400,
        "σ": 0x0003A3193C00,
        "μ": 0x10876718C400,
        "²": 0x00000007104C,
        "±": 0x0007C84F9080,
        "×": 0x000454454400,
        "Δ": 0x0007E2A51080,
        "⟨": 0x000084441042,
        "⟩": 0x000210411108,
        "·": 0x000000020000,
        "−": 0x0000000F8000,
        "≤": 0x0003C0222082,
        "≥": 0x000780820888,
        "°": 0x00000000324C,
    ]
}
