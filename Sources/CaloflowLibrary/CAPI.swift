import CaloData
import CaloInference
import CaloPipeline
import CCaloflowAPI
import Glibc

// The functions of caloflow.h, exported with C names. Every entry point catches every Swift
// error and maps it to a status code with a message (`caloflow_last_error`); bad input never
// reaches a trap. The C declarations and their documentation are in include/caloflow.h.

// MARK: - Status helpers

@inline(__always) func code(_ s: caloflow_status) -> Int32 { Int32(bitPattern: s.rawValue) }

/// Records `message` for `caloflow_last_error` and returns the status.
func fail(_ s: caloflow_status, _ message: String) -> Int32 {
    message.withCString { caloflow_internal_set_error($0) }
    return code(s)
}

/// The status and message of an error thrown below the API.
func fail(_ error: any Error) -> Int32 {
    guard let e = error as? InferenceError else {
        return fail(CALOFLOW_ERROR_INTERNAL, "unexpected error: \(error)")
    }
    switch e {
    case .invalidArgument(let m): return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, m)
    case .notFound(let m): return fail(CALOFLOW_ERROR_NOT_FOUND, m)
    case .badModel(let m): return fail(CALOFLOW_ERROR_BAD_MODEL, m)
    case .energy(let m): return fail(CALOFLOW_ERROR_ENERGY, m)
    case .bufferTooSmall(let m): return fail(CALOFLOW_ERROR_BUFFER_TOO_SMALL, m)
    case .latent(let m): return fail(CALOFLOW_ERROR_LATENT, m)
    case .busy(let m): return fail(CALOFLOW_ERROR_BUSY, m)
    case .outOfMemory(let m): return fail(CALOFLOW_ERROR_OUT_OF_MEMORY, m)
    }
}

func badModelHandle(_ function: String) -> Int32 {
    fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): the model handle is NULL, closed or not a caloflow_model")
}

// MARK: - Library

private nonisolated(unsafe) let versionText: UnsafeMutablePointer<CChar>? = strdup(AppVersion.current)
private nonisolated(unsafe) let kernelText: UnsafeMutablePointer<CChar>? = InferenceModel.kernelName.withCString { strdup($0) }

@_cdecl("caloflow_version")
public func cfVersion() -> UnsafePointer<CChar>? { UnsafePointer(versionText) }

@_cdecl("caloflow_kernel")
public func cfKernel() -> UnsafePointer<CChar>? { UnsafePointer(kernelText) }

// MARK: - Model

@_cdecl("caloflow_model_open")
public func cfModelOpen(_ path: UnsafePointer<CChar>?, _ precision: Int32, _ thresholdMeV: Double,
                        _ model: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let model else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_model_open: the model output pointer is NULL") }
    model.pointee = nil
    guard let path else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_model_open: the run directory is NULL") }
    let weights: WeightPrecision
    switch precision {
    case Int32(bitPattern: CALOFLOW_PRECISION_FLOAT32.rawValue): weights = .float32
    case Int32(bitPattern: CALOFLOW_PRECISION_FLOAT16.rawValue): weights = .float16
    default:
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT,
                    "caloflow_model_open: precision \(precision) is unknown; use CALOFLOW_PRECISION_FLOAT32 (0) or CALOFLOW_PRECISION_FLOAT16 (1)")
    }
    let threshold: Double?
    if thresholdMeV == CALOFLOW_MODEL_THRESHOLD {
        threshold = nil
    } else if thresholdMeV >= 0 && thresholdMeV <= 1e5 {
        threshold = thresholdMeV
    } else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT,
                    "caloflow_model_open: threshold \(thresholdMeV) MeV; use 0...100000 MeV or CALOFLOW_MODEL_THRESHOLD (-1)")
    }
    do {
        // Any geometry the pipeline trains (CaloGAN, dataset 1, binning files of up to 2048
        // voxels); a dataset-2/3 run is refused naming its geometry (InferenceModel.requireSupported).
        let m = try InferenceModel.open(runDirectory: String(cString: path), precision: weights, thresholdMeV: threshold)
        model.pointee = Handles.register(ModelHandle(m))
        return code(CALOFLOW_OK)
    } catch {
        return fail(error)
    }
}

@_cdecl("caloflow_model_close")
public func cfModelClose(_ model: OpaquePointer?) {
    Handles.removeModel(model)
}

@_cdecl("caloflow_model_latent_size")
public func cfModelLatentSize(_ model: OpaquePointer?) -> Int32 {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_latent_size"); return -1 }
    return Int32(h.model.latentSize)
}

@_cdecl("caloflow_model_energy_range")
public func cfModelEnergyRange(_ model: OpaquePointer?, _ minMeV: UnsafeMutablePointer<Double>?,
                               _ maxMeV: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let h = Handles.model(model) else { return badModelHandle("caloflow_model_energy_range") }
    guard let minMeV, let maxMeV else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_model_energy_range: an output pointer is NULL")
    }
    minMeV.pointee = h.model.energyRangeGeV.lowerBound * 1000
    maxMeV.pointee = h.model.energyRangeGeV.upperBound * 1000
    return code(CALOFLOW_OK)
}

@_cdecl("caloflow_model_threshold")
public func cfModelThreshold(_ model: OpaquePointer?) -> Double {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_threshold"); return -1 }
    return h.model.preprocessing.thresholdMeV
}

@_cdecl("caloflow_model_particle")
public func cfModelParticle(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_particle"); return nil }
    return UnsafePointer(h.particle)
}

@_cdecl("caloflow_model_describe")
public func cfModelDescribe(_ model: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let h = Handles.model(model) else { _ = badModelHandle("caloflow_model_describe"); return nil }
    return UnsafePointer(h.description)
}

// MARK: - Context

@_cdecl("caloflow_context_create")
public func cfContextCreate(_ model: OpaquePointer?, _ maxBatch: Int32, _ context: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let context else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_context_create: the context output pointer is NULL") }
    context.pointee = nil
    guard let h = Handles.model(model) else { return badModelHandle("caloflow_context_create") }
    do {
        let c = try InferenceContext(model: h.model, maxBatch: Int(maxBatch))
        context.pointee = Handles.register(ContextHandle(c, model: h))
        return code(CALOFLOW_OK)
    } catch {
        return fail(error)
    }
}

@_cdecl("caloflow_context_destroy")
public func cfContextDestroy(_ context: OpaquePointer?) {
    Handles.removeContext(context)
}

// MARK: - Generation

/// The checks every generate call shares; nil when the call may go on.
private func checkGenerate(_ function: String, _ h: ContextHandle?, _ energies: UnsafePointer<Double>?, _ count: Int,
                           _ cells: UnsafeMutablePointer<Float>?, _ capacity: Int) -> Int32? {
    guard h != nil else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): the context handle is NULL, destroyed or not a caloflow_context")
    }
    guard count >= 0 else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): count \(UInt(bitPattern: count)) is too large") }
    guard capacity >= 0 else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): capacity \(UInt(bitPattern: capacity)) is too large") }
    if count > 0 && energies == nil { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): incident_energy_mev is NULL") }
    if count > 0 && cells == nil { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "\(function): cells_mev is NULL") }
    return nil
}

@_cdecl("caloflow_generate")
public func cfGenerate(_ context: OpaquePointer?, _ energies: UnsafePointer<Double>?, _ count: Int, _ seed: UInt64,
                       _ firstShower: UInt64, _ cells: UnsafeMutablePointer<Float>?, _ capacity: Int) -> Int32 {
    let h = Handles.context(context)
    if let failed = checkGenerate("caloflow_generate", h, energies, count, cells, capacity) { return failed }
    guard count > 0, let h, let energies, let cells else { return code(CALOFLOW_OK) }
    do {
        try h.context.generate(incidentEnergiesMeV: energies, count: count, seed: seed, firstShower: firstShower,
                               output: cells, capacity: capacity)
        return code(CALOFLOW_OK)
    } catch {
        return fail(error)
    }
}

@_cdecl("caloflow_generate_from_latent")
public func cfGenerateFromLatent(_ context: OpaquePointer?, _ energies: UnsafePointer<Double>?, _ count: Int,
                                 _ latent: UnsafePointer<Float>?, _ latentCapacity: Int,
                                 _ cells: UnsafeMutablePointer<Float>?, _ capacity: Int) -> Int32 {
    let h = Handles.context(context)
    if let failed = checkGenerate("caloflow_generate_from_latent", h, energies, count, cells, capacity) { return failed }
    guard count > 0, let h, let energies, let cells else { return code(CALOFLOW_OK) }
    guard let latent else { return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_generate_from_latent: latent is NULL") }
    guard latentCapacity >= 0 else {
        return fail(CALOFLOW_ERROR_INVALID_ARGUMENT, "caloflow_generate_from_latent: latent_capacity is too large")
    }
    do {
        try h.context.generate(incidentEnergiesMeV: energies, count: count, latent: latent, latentCount: latentCapacity,
                               output: cells, capacity: capacity)
        return code(CALOFLOW_OK)
    } catch {
        return fail(error)
    }
}
