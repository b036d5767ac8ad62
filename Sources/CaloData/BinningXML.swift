/// Reads the CaloChallenge binning files (code/binning_dataset_*.xml of the challenge's
/// repository) into a `CalorimeterGeometry`:
///
///     <Bins>
///       <Bin pid="22" name="photon" ...>
///         <Layer id="0" r_edges="0,5,10,30,50,100,200,400,600" n_bin_alpha="1"/>
///         <Layer id="4" r_edges="0" n_bin_alpha="1"/>          (a layer without voxels)
///         ...
///       </Bin>
///     </Bins>
///
/// One `<Bin>` per file. Each `<Layer>` needs `id` (detector layer number, ascending),
/// `r_edges` (comma-separated radial edges in mm, strictly ascending; `"0"` alone marks a
/// layer without voxels) and `n_bin_alpha` (angular bins over [-pi, pi), at least 1); other
/// attributes on `<Layer>` are refused, so a misspelt one cannot go unnoticed. `<Bin>` keeps
/// `pid` and `name` as the particle and any other attributes as text. Voxels are numbered as
/// the reference code numbers them: layer by layer in file order, inside a layer alpha-major
/// then radius.
public enum BinningXML {
    /// The attributes a `<Layer>` may have.
    static let layerAttributes = ["id", "r_edges", "n_bin_alpha"]

    /// Parses `text`; `source` names the file in messages. The geometry gets `name` and `title`.
    ///
    /// - Throws: `GeometryError.malformedBinning` with the line and the element or attribute at
    ///   fault: malformed XML, wrong element names, missing or unknown attributes, values that
    ///   are not numbers, edges that do not ascend, repeated or descending layer ids, no voxels.
    public static func parse(_ text: String, source: String, name: String, title: String? = nil,
                             dataset: CalorimeterGeometry.DatasetInfo? = nil) throws -> CalorimeterGeometry {
        func fail(_ line: Int, _ detail: String) -> GeometryError { .malformedBinning(source: source, line: line, detail: detail) }
        let tree: XMLElementTree
        do { tree = try XMLElementTree(parsing: text) } catch let e as XMLElementTree.SyntaxError {
            throw fail(e.line, "not well-formed XML: \(e.message)")
        }
        let root = tree.root
        guard root.name == "Bins" else {
            throw fail(root.line, "the root element is <\(root.name)>; a binning file starts with <Bins>")
        }
        if let a = root.attributes.first { throw fail(root.line, "<Bins> takes no attributes, found \(a.name)") }
        if let other = root.children.first(where: { $0.name != "Bin" }) {
            throw fail(other.line, "<Bins> may only hold <Bin> elements, found <\(other.name)>")
        }
        guard root.children.count == 1, let bin = root.children.first else {
            throw fail(root.children.count > 1 ? root.children[1].line : root.line,
                       "<Bins> holds \(root.children.count) <Bin> elements; caloflow reads one binning (one particle) per file")
        }
        let label = try binLabel(bin, fail)
        var layers = [CalorimeterGeometry.Layer](), empty = [Int]()
        var lastID: (id: Int, line: Int)?
        for element in bin.children {
            guard element.name == "Layer" else {
                throw fail(element.line, "<Bin> may only hold <Layer> elements, found <\(element.name)>")
            }
            let (id, segmentation) = try layer(element, fail)
            if let last = lastID, id <= last.id {
                throw fail(element.line, id == last.id ? "<Layer id=\"\(id)\"> repeats the layer id of line \(last.line)"
                                                       : "<Layer id=\"\(id)\"> follows layer \(last.id) (line \(last.line)); layers must be listed by ascending id")
            }
            lastID = (id, element.line)
            if let s = segmentation { layers.append(.init(id: id, segmentation: .polar(s))) } else { empty.append(id) }
        }
        guard !layers.isEmpty else {
            throw fail(bin.line, bin.children.isEmpty ? "<Bin> holds no <Layer>" : "no layer has voxels (every r_edges is \"0\")")
        }
        do {
            return try CalorimeterGeometry(name: name, title: title ?? defaultTitle(label, source: source), layers: layers,
                                           emptyLayerIDs: empty, hasOverflow: false, bin: label, dataset: dataset)
        } catch let e as GeometryError {
            throw fail(0, e.description)
        }
    }

    // MARK: - Elements

    private static func binLabel(_ bin: XMLElementTree.Element, _ fail: (Int, String) -> GeometryError) throws -> CalorimeterGeometry.BinLabel {
        var label = CalorimeterGeometry.BinLabel()
        for (name, value) in bin.attributes {
            switch name {
            case "pid":
                guard let pid = Int(value.trimmed) else { throw fail(bin.line, "<Bin> attribute pid: '\(value)' is not an integer (a PDG particle id)") }
                label.pid = pid
            case "name": label.particle = value
            default: label.attributes[name] = value
            }
        }
        return label
    }

    /// The layer's id and its binning (nil for `r_edges="0"`).
    private static func layer(_ e: XMLElementTree.Element, _ fail: (Int, String) -> GeometryError) throws -> (Int, CalorimeterGeometry.PolarBinning?) {
        let tag = e.attribute("id").map { "<Layer id=\"\($0)\">" } ?? "<Layer>"
        if let unknown = e.attributes.first(where: { !layerAttributes.contains($0.name) }) {
            throw fail(e.line, "\(tag): unknown attribute \(unknown.name); a layer has \(layerAttributes.joined(separator: ", "))")
        }
        if let child = e.children.first { throw fail(child.line, "\(tag) may not hold elements, found <\(child.name)>") }
        func required(_ name: String) throws -> String {
            guard let v = e.attribute(name) else { throw fail(e.line, "\(tag): attribute \(name) is missing") }
            return v
        }
        let idText = try required("id")
        guard let id = Int(idText.trimmed), id >= 0 else {
            throw fail(e.line, "\(tag): attribute id: '\(idText)' is not a non-negative integer")
        }
        let alphaText = try required("n_bin_alpha")
        guard let alphaBins = Int(alphaText.trimmed), alphaBins >= 1 else {
            throw fail(e.line, "\(tag): attribute n_bin_alpha: '\(alphaText)' is not a positive integer")
        }
        let edgesText = try required("r_edges")
        var edges = [Double]()
        for (k, item) in edgesText.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let s = String(item).trimmed
            guard !s.isEmpty else { throw fail(e.line, "\(tag): attribute r_edges: entry \(k + 1) of '\(edgesText)' is empty") }
            guard let x = Double(s), x.isFinite else {
                throw fail(e.line, "\(tag): attribute r_edges: entry \(k + 1), '\(s)', is not a number (radial edges in mm)")
            }
            edges.append(x)
        }
        if edges == [0] { return (id, nil) }
        do {
            return (id, try CalorimeterGeometry.PolarBinning(radialEdges: edges, alphaBins: alphaBins))
        } catch let error as GeometryError {
            guard case .invalid(_, let detail) = error else { throw error }
            throw fail(e.line, "\(tag): attribute r_edges: \(detail)")
        }
    }

    private static func defaultTitle(_ label: CalorimeterGeometry.BinLabel, source: String) -> String {
        let file = source.split(separator: "/").last.map(String.init) ?? source
        return "binning " + file + (label.particle.map { " (\($0))" } ?? "")
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    var trimmed: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
