import CaloRendering
import Foundation
import Testing

@Suite("PNG codec")
struct PNGCodecTests {
    @Test("written PNG reads back with identical pixels and size", arguments: [(1, 1), (7, 3), (128, 65)])
    func roundTrip(size: (Int, Int)) throws {
        var g = SampleFigures.Gauss(state: UInt64(size.0 * 1000 + size.1))
        let bytes = (0..<(size.0 * size.1 * 3)).map { _ in UInt8(g.uniform() * 256) }
        let img = try RGBImage(width: size.0, height: size.1, pixels: bytes)
        let dir = try SampleFigures.outputDirectory()
        let path = dir + "/roundtrip_\(size.0)x\(size.1).png"
        try PNGCodec.write(img, to: path)
        let back = try PNGCodec.read(path: path)
        #expect(back.width == size.0 && back.height == size.1)
        #expect(back.pixels == bytes)
        // No temporary file left next to the result.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        // In-memory bytes carry the PNG signature.
        #expect(Array(try PNGCodec.encode(img).prefix(8)) == [137, 80, 78, 71, 13, 10, 26, 10])
    }

    @Test("bad inputs throw instead of crashing")
    func errors() throws {
        #expect(throws: RenderError.self) { try PNGCodec.encode(RGBImage(width: 0, height: 5)) }
        #expect(throws: RenderError.self) { try PNGCodec.read(path: "/nonexistent/dir/x.png") }
        #expect(throws: RenderError.self) { try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]) }
        #expect(throws: RenderError.self) { try PNGCodec.write(RGBImage(width: 2, height: 2), to: "/nonexistent/dir/x.png") }
    }
}

@Suite("Colour maps and scales")
struct ColorScaleTests {
    @Test("sequential map is strictly monotone in luminance; diverging map is neutral in the middle")
    func monotone() {
        // Strictly increasing at 64 levels; at 256 levels only 8-bit rounding of one channel may
        // flicker, by far less than one grey level (1/255 of luminance ≈ 0.004).
        let coarse = (0...63).map { ColorMap.sequential.color(at: Double($0) / 63).luminance }
        for (a, b) in zip(coarse, coarse.dropFirst()) { #expect(b > a) }
        let fine = (0...255).map { ColorMap.sequential.color(at: Double($0) / 255).luminance }
        for (a, b) in zip(fine, fine.dropFirst()) { #expect(b > a - 1e-3) }
        #expect(fine.last! - fine.first! > 0.7)
        let mid = ColorMap.diverging.color(at: 0.5)
        #expect(mid.r == mid.g && mid.g == mid.b && mid.r > 230)
        // Both ends of the diverging map are darker than its centre.
        #expect(ColorMap.diverging.lowest.luminance < mid.luminance && ColorMap.diverging.highest.luminance < mid.luminance)
    }

    @Test("log scale puts decades at equal steps and clamps outside the range")
    func logScale() throws {
        let s = try LogColorScale(min: 1e-2, max: 1e4)
        for k in -2...4 {
            let t = try #require(s.position(pow(10, Double(k))))
            #expect(abs(t - Double(k + 2) / 6) < 1e-12)
        }
        #expect(s.color(1e-2) == ColorMap.sequential.lowest)
        #expect(s.color(1e4) == ColorMap.sequential.highest)
        #expect(s.color(1e-5) == ColorMap.sequential.lowest)
        #expect(s.color(0) == ColorMap.sequential.lowest)
        #expect(s.color(.nan) == ColorMap.sequential.lowest)
        #expect(s.color(1e9) == ColorMap.sequential.highest)
        let e = try LogColorScale(min: 1, max: 10, emptyColor: .white)
        #expect(e.color(0) == .white && e.color(-1) == .white && e.color(0.5) == ColorMap.sequential.lowest)
        #expect(s.ticks == [1e-2, 1e-1, 1, 10, 100, 1000, 1e4])
        #expect(throws: RenderError.self) { try LogColorScale(min: 0, max: 1) }
        #expect(throws: RenderError.self) { try LogColorScale(min: 5, max: 5) }
    }

    @Test("ratio scale is symmetric in log around 1")
    func ratioScale() throws {
        let s = try RatioColorScale(range: 2)
        #expect(s.position(1) == 0.5)
        #expect(s.position(2) == 1 && s.position(0.5) == 0)
        let a = try #require(s.position(1.3)), b = try #require(s.position(1 / 1.3))
        #expect(abs(a + b - 1) < 1e-12)
        #expect(s.color(0) == s.emptyColor && s.color(.nan) == s.emptyColor)
        #expect(s.color(.infinity) == ColorMap.diverging.highest)
    }
}

@Suite("Nice ticks")
struct NiceTicksTests {
    @Test("linear ticks use 1-2-5 steps and stay inside the range",
          arguments: [(0.0, 1.0), (-240.0, 240.0), (0.4, 2.0), (-1200.0, -790.0), (3e-5, 7e-5), (0.0, 95.0)])
    func linear(range: (Double, Double)) {
        let t = NiceTicks.linear(min: range.0, max: range.1)
        #expect(t.count >= 3 && t.count <= 11)
        let step = t[1] - t[0]
        let mant = step / pow(10, floor(log10(step) + 1e-12))
        #expect([1.0, 2.0, 5.0].contains { abs(mant - $0) < 1e-6 })
        for (a, b) in zip(t, t.dropFirst()) { #expect(abs((b - a) - step) < step * 1e-9) }
        #expect(t.first! >= range.0 - step * 1e-9 && t.last! <= range.1 + step * 1e-9)
        // Ticks are exact multiples of the step.
        for v in t { #expect(abs(v / step - (v / step).rounded()) < 1e-6) }
        for v in t { #expect(NiceTicks.label(v, step: step) != "-0") }
    }

    @Test("log ticks are decades, with 2 and 5 multiples for short ranges, thinned for long ones")
    func logarithmic() {
        #expect(NiceTicks.logarithmic(min: 1e-2, max: 1e3) == [1e-2, 1e-1, 1, 10, 100, 1000])
        #expect(NiceTicks.logarithmic(min: 1, max: 50) == [1, 2, 5, 10, 20, 50])
        #expect(NiceTicks.logarithmic(min: 0.5, max: 2) == [0.5, 1, 2])
        let wide = NiceTicks.logarithmic(min: 1e-10, max: 1e10)
        #expect(wide.count <= 9 && wide.count >= 5)
        #expect(wide.allSatisfy { NiceTicks.decadeExponent($0) != nil })
        #expect(NiceTicks.logarithmic(min: 0, max: 10).isEmpty)
        #expect(NiceTicks.label(0.30000000000000004, step: 0.1) == "0.3")
        #expect(NiceTicks.logLabel(1e-5) == "1e-5" && NiceTicks.logLabel(0.01) == "0.01" && NiceTicks.logLabel(1000) == "1000")
    }
}
