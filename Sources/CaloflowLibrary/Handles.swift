import CaloData
import CaloInference
import Glibc
import Synchronization

/// The object behind a `caloflow_model *`: the shared model and the C strings it hands out.
final class ModelHandle: @unchecked Sendable {
    let model: InferenceModel
    /// The model's geometry (CaloGAN, dataset 1, a binning file's).
    var geometry: CalorimeterGeometry { model.geometry }
    /// NUL-terminated copies, valid as long as the handle (nil only if the copy failed).
    let particle: UnsafeMutablePointer<CChar>?
    let description: UnsafeMutablePointer<CChar>?
    let geometryName: UnsafeMutablePointer<CChar>?

    init(_ model: InferenceModel) {
        self.model = model
        particle = model.particle.withCString { strdup($0) }
        description = model.summary.withCString { strdup($0) }
        geometryName = model.geometry.name.withCString { strdup($0) }
    }

    deinit {
        free(particle)
        free(description)
        free(geometryName)
    }
}

/// The object behind a `caloflow_context *`; it keeps its model alive.
final class ContextHandle: @unchecked Sendable {
    let context: InferenceContext
    let model: ModelHandle

    init(_ context: InferenceContext, model: ModelHandle) {
        self.context = context
        self.model = model
    }
}

/// The live handles. A pointer the C caller passes is looked up here before it is used, so a
/// NULL, closed, destroyed or wrong-kind handle is an error code instead of a crash; the lookup
/// returns a strong reference, so a handle closed by another thread stays valid until the call
/// returns. (A stale pointer can alias a newer handle at the same address, as file descriptors do.)
enum Handles {
    private static let live = Mutex<(models: [UInt: ModelHandle], contexts: [UInt: ContextHandle])>(([:], [:]))

    static func register(_ m: ModelHandle) -> OpaquePointer {
        let key = UInt(bitPattern: Unmanaged.passUnretained(m).toOpaque())
        live.withLock { $0.models[key] = m }
        return OpaquePointer(bitPattern: key)!
    }

    static func register(_ c: ContextHandle) -> OpaquePointer {
        let key = UInt(bitPattern: Unmanaged.passUnretained(c).toOpaque())
        live.withLock { $0.contexts[key] = c }
        return OpaquePointer(bitPattern: key)!
    }

    static func model(_ p: OpaquePointer?) -> ModelHandle? {
        guard let p else { return nil }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(p)))
        return live.withLock { $0.models[key] }
    }

    static func context(_ p: OpaquePointer?) -> ContextHandle? {
        guard let p else { return nil }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(p)))
        return live.withLock { $0.contexts[key] }
    }

    /// Removes a model handle; false when it was not live.
    @discardableResult
    static func removeModel(_ p: OpaquePointer?) -> Bool {
        guard let p else { return false }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(p)))
        // The handle is released outside the lock (its deinit frees memory).
        let removed = live.withLock { $0.models.removeValue(forKey: key) }
        return removed != nil
    }

    @discardableResult
    static func removeContext(_ p: OpaquePointer?) -> Bool {
        guard let p else { return false }
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(p)))
        let removed = live.withLock { $0.contexts.removeValue(forKey: key) }
        return removed != nil
    }

    /// Live handles (tests of close and destroy).
    static var counts: (models: Int, contexts: Int) { live.withLock { ($0.models.count, $0.contexts.count) } }
}
