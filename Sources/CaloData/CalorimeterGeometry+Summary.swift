import Foundation

extension CalorimeterGeometry {
    /// What `caloflow info` prints about a geometry: its name and title, the dataset facts, and
    /// the layers with their binning. Consecutive layers with the same segmentation share a line
    /// (datasets 2 and 3 have 45 identical layers).
    public var summaryLines: [String] { summaryLines(datasetFacts: true) }

    /// The summary, with or without the facts about the dataset the geometry comes from
    /// (particle, energy spectrum, threshold, binning file): a shower file's summary leaves them
    /// out, since the file need not be from that dataset.
    public func summaryLines(datasetFacts: Bool) -> [String] {
        var out = ["geometry: \(name) (\(title)): \(layerCount) layer\(layerCount == 1 ? "" : "s") with voxels, \(voxelCount) voxels"
                   + (hasOverflow ? " + \(overflowWidth) overflow values" : "")]
        if datasetFacts, let d = dataset {
            out.append("  dataset: \(d.name); particle \(d.particle)")
            out.append("  incident energies: \(d.energySpectrum)")
            out.append("  evaluation threshold: \(Self.energy(d.thresholdMeV))")
            if let f = d.binningFile { out.append("  binning file: \(f) (datasets/binning/)") }
        } else if bin.particle != nil || bin.pid != nil {
            out.append("  binning for: \(bin.particle ?? "?")" + (bin.pid.map { " (pid \($0))" } ?? ""))
        }
        if !emptyLayerIDs.isEmpty { out.append("  detector layers without voxels: \(Self.ranges(emptyLayerIDs))") }
        var start = 0
        while start < layers.count {
            var end = start
            while end + 1 < layers.count, layers[end + 1].segmentation == layers[start].segmentation,
                  layers[end + 1].id == layers[end].id + 1, layers[end + 1].depth == nil, layers[start].depth == nil { end += 1 }
            out.append("  " + layerLine(start...end))
            start = end + 1
        }
        return out
    }

    /// One line for layers `group` (same segmentation, consecutive ids).
    func layerLine(_ group: ClosedRange<Int>) -> String {
        let first = layers[group.lowerBound], last = layers[group.upperBound]
        let ids = first.id == last.id ? "\(first.id)" : "\(first.id)-\(last.id)"
        let indices = group.count == 1 ? "layer \(group.lowerBound)" : "layers \(group.lowerBound)-\(group.upperBound)"
        let sameNumbers = group.lowerBound == first.id && group.upperBound == last.id
        var s = indices + (sameNumbers ? "" : " (detector layer\(group.count == 1 ? "" : "s") \(ids))") + ": "
        s += group.count == 1 ? "\(first.voxelCount) voxels (\(first.voxelRange.lowerBound)-\(first.voxelRange.upperBound - 1))"
                              : "\(first.voxelCount) voxels each (\(first.firstVoxel)-\(last.voxelRange.upperBound - 1))"
        switch first.segmentation {
        case .grid(let g): s += ", \(g)"
        case .polar(let p): s += ", \(p), r edges [mm] " + p.radialEdges.map(Self.number).joined(separator: ",")
        }
        if let d = first.depth { s += ", depth \(Self.number(d.lowerBound))-\(Self.number(d.upperBound)) mm" }
        return s
    }

    /// "1 MeV", "0.5 keV", "15.15 keV".
    static func energy(_ mev: Double) -> String {
        mev >= 1 ? "\(number(mev)) MeV" : "\(number(mev * 1000)) keV"
    }

    /// Shortest plain rendering: 5, 4.65, 41.85.
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return String(format: "%.6g", x)
    }

    /// "4-11, 13-23".
    static func ranges(_ ids: [Int]) -> String {
        var parts = [String](), k = 0
        while k < ids.count {
            var j = k
            while j + 1 < ids.count, ids[j + 1] == ids[j] + 1 { j += 1 }
            parts.append(j == k ? "\(ids[k])" : "\(ids[k])-\(ids[j])")
            k = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
