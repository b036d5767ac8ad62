// MARK: - Text drawing with the built-in bitmap font

/// Horizontal anchor of a text run relative to the given x.
public enum TextAnchor: Sendable { case start, middle, end }

extension RGBImage {
    /// Draws one line of `text` with `BitmapFont` at integer `scale` (≥ 1).
    ///
    /// `y` is the top of the capitals (descenders extend `2·scale` pixels below `y + 7·scale`);
    /// `anchor` places `x` at the start, middle or end of the run.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 2,
                                  color: RGBColor = .black, anchor: TextAnchor = .start) {
        let s = max(1, scale)
        let w = BitmapFont.width(text, scale: s)
        var penX = anchor == .start ? x : (anchor == .middle ? x - w / 2 : x - w)
        for ch in text {
            let bits = BitmapFont.bits(ch)
            for r in 0..<BitmapFont.glyphHeight {
                for c in 0..<BitmapFont.glyphWidth where (bits >> UInt64(5 * r + 4 - c)) & 1 == 1 {
                    fillRect(x: penX + c * s, y: y + r * s, width: s, height: s, color)
                }
            }
            penX += BitmapFont.advance * s
        }
    }

    /// Draws `text` rotated 90° counter-clockwise (reading bottom to top), as for a y-axis label.
    ///
    /// `x` is the left edge of the rotated run (the capitals' tops face left); `y` is the anchor
    /// point along the vertical run (`.middle` centres the text on `y`).
    public mutating func drawTextVertical(_ text: String, x: Int, y: Int, scale: Int = 2,
                                          color: RGBColor = .black, anchor: TextAnchor = .middle) {
        let s = max(1, scale)
        let w = BitmapFont.width(text, scale: s)
        // The run starts at the bottom and goes up.
        var penY = anchor == .start ? y : (anchor == .middle ? y + w / 2 : y + w)
        for ch in text {
            let bits = BitmapFont.bits(ch)
            for r in 0..<BitmapFont.glyphHeight {
                for c in 0..<BitmapFont.glyphWidth where (bits >> UInt64(5 * r + 4 - c)) & 1 == 1 {
                    // Font column c runs upwards, font row r runs rightwards.
                    fillRect(x: x + r * s, y: penY - (c + 1) * s, width: s, height: s, color)
                }
            }
            penY -= BitmapFont.advance * s
        }
    }
}
