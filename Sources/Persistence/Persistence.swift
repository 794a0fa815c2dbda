import I2OABI
import I2ODevice
import IOPModel
import IoctlEngine
import Synchronization

/// The state directory in the request pipeline: once a directory is attached, every ioctl that
/// succeeded and may have changed what a card keeps across a power cycle (PARMSET, SWDL, SWDEL,
/// VALIDATE, PASSTHRU) has the state written before its result is returned; a failed write turns
/// the result into EIO (the change was made in the IOP).
public final class Persistence: IoctlInterceptor {
    private struct Attachment: Sendable {
        let directory: StateDirectory
        /// Unowned: the engine holds this interceptor (and a weak reference would put every
        /// retain of the engine on the slow path).
        unowned let engine: Engine
        let log: (@Sendable (String) -> Void)?
    }
    private let attachment = Mutex<Attachment?>(nil)
    private let attached = Atomic<Bool>(false)

    public init() {}

    /// Attaches `directory`: from now on acknowledged changes of `engine`'s machine are written to
    /// it. `log` hears about failed writes.
    public func attach(_ directory: StateDirectory, to engine: Engine, log: (@Sendable (String) -> Void)? = nil) {
        attachment.withLock { $0 = Attachment(directory: directory, engine: engine, log: log) }
        attached.store(true, ordering: .releasing)
    }

    public var isActive: Bool { attached.load(ordering: .acquiring) }

    public func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult {
        guard case .value = result, request.kind?.isPersistent == true, !save() else { return result }
        return .error(.EIO)
    }

    /// Writes the state now if a directory is attached and the state changed (under the engine's
    /// lock, so writes follow the order of the changes). - Returns: false when the write failed.
    @discardableResult
    public func save() -> Bool {
        guard let a = attachment.withLock({ $0 }) else { return true }
        let engine = a.engine
        let failure: StateError? = engine.withMachine { m in
            do throws(StateError) { try a.directory.save(m); return nil } catch { return error }
        }
        if let failure {
            a.log?("i2osim: \(failure)")
            return false
        }
        return true
    }

    /// The attached directory's write count (nil without one).
    public var writeCount: Int? { attachment.withLock { $0?.directory.writeCount } }
}

extension IoctlCommand.Kind {
    /// The ioctls that can change what a card keeps across a power cycle.
    public var isPersistent: Bool {
        switch self {
        case .parmSet, .swDownload, .swDelete, .validate, .passthru, .passthru32: true
        default: false
        }
    }
}
