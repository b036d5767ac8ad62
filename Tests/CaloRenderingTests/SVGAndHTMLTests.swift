import CaloRendering
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Parses XML and collects element names and attributes; fails on malformed input.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String]) { elements.append((name, attributes)) }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    static func parse(_ xml: String) -> XMLCollector? {
        let c = XMLCollector()
        let p = XMLParser(data: Data(xml.utf8))
        p.delegate = c
        return p.parse() ? c : nil
    }
}

@Suite("SVG plots")
struct SVGPlotTests {
    @Test("histogram plot is well-formed with both series, legend, ratio panel and escaped title")
    func histogram() throws {
        var plot = SampleFigures.histogramPair()
        plot.referenceLabel = "Geant4 <ref>"
        let svg = try plot.svg()
        let doc = try #require(XMLCollector.parse(svg))
        let series = doc.elements.filter { $0.name == "path" && ($0.attributes["class"] ?? "").contains("series") }
        #expect(series.count == 2)
        #expect(doc.text.contains("Total energy <E_tot> & \"friends\""))   // unescaped by the parser
        #expect(svg.contains("&lt;E_tot&gt; &amp; &quot;friends&quot;"))
        #expect(doc.text.contains("Geant4 <ref>") && doc.text.contains("generated"))
        #expect(doc.text.contains("separation power"))
        #expect(doc.text.contains("gen./ref."))
        #expect(doc.elements.first?.name == "svg" && doc.elements.first?.attributes["version"] == "1.1")
        #expect(doc.elements.contains { $0.name == "line" && $0.attributes["stroke-dasharray"] != nil })   // line at 1
    }

    @Test("separation power is 0 for equal shapes, 1 for disjoint ones, scale invariant")
    func separationPower() {
        #expect(HistogramPlot.separationPower([1, 2, 3], [2, 4, 6]) == 0)
        #expect(abs(HistogramPlot.separationPower([1, 0], [0, 5]) - 1) < 1e-15)
        #expect(HistogramPlot.separationPower([0, 0], [1, 1]).isNaN)
    }

    @Test("line plot draws one path per series, gaps for non-finite points, log axis decades")
    func linePlot() throws {
        var plot = SampleFigures.lossPlot()
        plot.series.append(.init(label: "lr × 10⁴", y: [1, .nan, 3, 4]))
        let doc = try #require(XMLCollector.parse(try plot.svg()))
        let paths = doc.elements.filter { $0.name == "path" && $0.attributes["class"] == "series" }
        #expect(paths.count == 3)
        #expect(paths[2].attributes["d"]!.filter { $0 == "M" }.count == 2)   // the NaN splits the line
        #expect(doc.text.contains("train") && doc.text.contains("validation") && doc.text.contains("lr × 10⁴"))
        let logPlot = LinePlot(title: "lr", xLabel: "step", yLabel: "lr", series: [.init(label: "lr", y: [1e-5, 1e-4, 1e-3])], logY: true)
        #expect(XMLCollector.parse(try logPlot.svg()) != nil)
        #expect(throws: RenderError.self) { try LinePlot(title: "x", xLabel: "", yLabel: "", series: []).svg() }
    }

    @Test("latent calibration: chi-squared density integrates to 1 and the plot is well-formed")
    func latent() throws {
        for k in [1.0, 4, 504] {
            let hi = k + 12 * (2 * k).squareRoot() + 20, n = 200_000
            var s = 0.0
            for i in 0..<n { s += HistogramCurvePlot.chiSquaredDensity((Double(i) + 0.5) * hi / Double(n), dof: k) }
            #expect(abs(s * hi / Double(n) - 1) < (k == 1 ? 5e-3 : 1e-6))
        }
        let plot = try HistogramCurvePlot.latentCalibration(squaredNorms: [500, 504, 510, 490, 530], dimension: 504)
        let doc = try #require(XMLCollector.parse(try plot.svg()))
        #expect(doc.elements.filter { $0.name == "path" && ($0.attributes["class"] ?? "").contains("series") }.count == 2)
        #expect(doc.text.contains("χ² (504 dof)"))
    }
}

@Suite("HTML report and base64")
struct HTMLReportTests {
    @Test("base64 matches the RFC 4648 test vectors and round-trips")
    func base64() throws {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, coded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == coded)
            #expect(Base64.decode(coded) == Array(plain.utf8))
        }
        var g = SampleFigures.Gauss(state: 11)
        let bytes = (0..<1001).map { _ in UInt8(g.uniform() * 256) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
        #expect(Base64.decode("Zm9") == nil && Base64.decode("Zm9v!A==") == nil)
    }

    @Test("report is self-contained: inline SVG, PNG data URIs, no external references, escaped text")
    func selfContained() throws {
        var r = HTMLReport(title: "Report <b>bold</b>", subtitle: "x & y")
        r.section("Numbers")
        r.keyValueTable([("AUC", "0.51"), ("script", "<script>alert(1)</script>")])
        r.table(header: ["a", "b"], rows: [["1", "2"]], caption: "t")
        r.section("Figures")
        let png = try PNGCodec.encode(RGBImage(width: 4, height: 3, background: .black))
        r.figureGrid([.svg(try SampleFigures.lossPlot().svg(), caption: "loss"), .png(png, caption: "img")])
        let html = r.render()
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(html.contains("Report &lt;b&gt;bold&lt;/b&gt;"))
        for pattern in ["src=\"http", "href=\"http", "src='http", "href='http", "url(http", "@import", "<link"] {
            #expect(!html.contains(pattern))
        }
        #expect(html.contains("src=\"data:image/png;base64,\(Base64.encode(png))\""))
        #expect(html.contains("<svg") && html.contains("href=\"#s1\"") && html.contains("href=\"#s2\""))
        // Every img source is a data URI.
        let srcs = html.components(separatedBy: "src=\"").dropFirst()
        #expect(srcs.allSatisfy { $0.hasPrefix("data:image/png;base64,") })
    }
}
