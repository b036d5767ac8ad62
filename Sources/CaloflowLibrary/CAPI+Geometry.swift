import CaloData
import CCaloflowAPI
import Glibc

// The geometry queries of caloflow.h: cells, layers and cell positions of the model's showers,
// for every geometry the library opens (CaloGAN's Cartesian grids, CaloChallenge dataset 1's
// polar (r, alpha) binnings, a binning file's). Documentation in include/caloflow.h.

/// The model and layer of a per-layer query, or the failed status.
private func layerOf(_ function: String, _ model: OpaquePointer?, _ layer: Int32) -> Result<(ModelHandle, Int), StatusError> {
    guard let h = Handles.model(model) else { return .failure(StatusError(badModelHandle(function))) }
    let count = h.geometry.layerCount
    guard layer >= 0 && Int(layer) < count else {
        return .failure(StatusError(fail(CALOFLOW_ERROR_INVALID_ARGUMENT,
                                         "\(function): layer \(layer) does not exist (0...\(count - 1), geometry \(h.geometry.name))")))
    }
    return .success((h, Int(layer)))
}

/// A status already recorded with its message.
struct StatusError: Error {
    let status: Int32
    init(_ status: Int32) { self.status = status }
}

@_cdecl("caloflow_model_cell_count")
public func cfModelCellCount(_ model: OpaquePointer?) -> Int32 {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_cell_count"); return -1 }
    return Int32(h.geometry.voxelCount)
}

@_cdecl("caloflow_model_layer_count")
public func cfModelLayerCount(_ model: OpaquePointer?) -> Int32 {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_layer_count"); return -1 }
    return Int32(h.geometry.layerCount)
}

@_cdecl("caloflow_model_geometry")
public func cfModelGeometry(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_geometry"); return nil }
    return UnsafePointer(h.geometryName)
}

@_cdecl("caloflow_model_layer_cell_count")
public func cfModelLayerCellCount(_ model: OpaquePointer?, _ layer: Int32) -> Int32 {
    switch layerOf("caloflow_model_layer_cell_count", model, layer) {
    case .failure: return -1
    case .success(let (h, l)): return Int32(h.geometry.layers[l].voxelCount)
    }
}

@_cdecl("caloflow_model_layer_id")
public func cfModelLayerID(_ model: OpaquePointer?, _ layer: Int32) -> Int32 {
    switch layerOf("caloflow_model_layer_id", model, layer) {
    case .failure: return -1
    case .success(let (h, l)): return Int32(h.geometry.layers[l].id)
    }
}

@_cdecl("caloflow_model_layer_segmentation")
public func cfModelLayerSegmentation(_ model: OpaquePointer?, _ layer: Int32) -> Int32 {
    switch layerOf("caloflow_model_layer_segmentation", model, layer) {
    case .failure: return -1
    case .success(let (h, l)):
        let kind = h.geometry.layers[l].polar == nil ? CALOFLOW_SEGMENTATION_GRID : CALOFLOW_SEGMENTATION_POLAR
        return Int32(bitPattern: kind.rawValue)
    }
}

@_cdecl("caloflow_model_layer")
public func cfModelLayer(_ model: OpaquePointer?, _ layer: Int32, _ firstCell: UnsafeMutablePointer<Int32>?,
                         _ nx: UnsafeMutablePointer<Int32>?, _ ny: UnsafeMutablePointer<Int32>?,
                         _ sizeX: UnsafeMutablePointer<Double>?, _ sizeY: UnsafeMutablePointer<Double>?,
                         _ depthBegin: UnsafeMutablePointer<Double>?, _ depthEnd: UnsafeMutablePointer<Double>?) -> Int32 {
    let (h, l): (ModelHandle, Int)
    switch layerOf("caloflow_model_layer", model, layer) {
    case .failure(let e): return e.status
    case .success(let v): (h, l) = v
    }
    let info = h.geometry.layers[l]
    firstCell?.pointee = Int32(info.firstVoxel)
    switch info.segmentation {
    case .grid(let g):
        nx?.pointee = Int32(g.nx)
        ny?.pointee = Int32(g.ny)
        sizeX?.pointee = g.cellSizeX
        sizeY?.pointee = g.cellSizeY
    case .polar(let p):
        // cell = first_cell + alpha bin * radial bins + radial bin: the grid formula with
        // nx = alpha bins, ny = radial bins. The bins have no single size.
        nx?.pointee = Int32(p.alphaBins)
        ny?.pointee = Int32(p.radialBins)
        sizeX?.pointee = 0
        sizeY?.pointee = 0
    }
    depthBegin?.pointee = info.depth?.lowerBound ?? .nan
    depthEnd?.pointee = info.depth?.upperBound ?? .nan
    return code(CALOFLOW_OK)
}

@_cdecl("caloflow_model_layer_radial_edges")
public func cfModelLayerRadialEdges(_ model: OpaquePointer?, _ layer: Int32, _ edges: UnsafeMutablePointer<Double>?,
                                    _ capacity: Int, _ edgeCount: UnsafeMutablePointer<Int>?) -> Int32 {
    let function = "caloflow_model_layer_radial_edges"
    let (h, l): (ModelHandle, Int)
    switch layerOf(function, model, layer) {
    case .failure(let e): return e.status
    case .success(let v): (h, l) = v
    }
    guard let p = h.geometry.layers[l].polar else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT,
                    "\(function): layer \(layer) of the geometry \(h.geometry.name) is a Cartesian grid, not a polar binning (see caloflow_model_layer)")
    }
    let n = p.radialEdges.count
    edgeCount?.pointee = n
    guard capacity >= 0 else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): capacity \(UInt(bitPattern: capacity)) is too large") }
    guard let edges else {
        if capacity == 0 { return code(CALOFLOW_OK) }  // a size query
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): edges_mm is NULL")
    }
    guard capacity >= n else {
        return fail(CALOFLOW_ERROR_BUFFER_TOO_SMALL, "\(function): layer \(layer) has \(n) radial edges; capacity \(capacity)")
    }
    for (k, e) in p.radialEdges.enumerated() { edges[k] = e }
    return code(CALOFLOW_OK)
}

@_cdecl("caloflow_model_cell_center")
public func cfModelCellCenter(_ model: OpaquePointer?, _ cell: Int32, _ layer: UnsafeMutablePointer<Int32>?,
                              _ x: UnsafeMutablePointer<Double>?, _ y: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let h = Handles.model(model) else { return badModelHandle("caloflow_model_cell_center") }
    let g = h.geometry
    guard cell >= 0 && Int(cell) < g.voxelCount else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_model_cell_center: cell \(cell) does not exist (0...\(g.voxelCount - 1))")
    }
    let c = Int(cell)
    let centre = g.cellCentre(ofVoxel: c)
    layer?.pointee = Int32(g.layerIndex(ofVoxel: c))
    x?.pointee = centre.x
    y?.pointee = centre.y
    return code(CALOFLOW_OK)
}
