import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import Synchronization

// The request pipeline (docs/architecture.md): a transport calls `Engine.ioctl`; the engine's entry
// decodes the command and finds the request's record; the `IoctlInterceptor`s see the request begin
// and end around the personality's handler; every frame the handler posts passes the
// `FrameInterceptor`s on its way to the model. The chain is given to `Engine.init` in one place
// (`Simulator`); nothing reaches into a request but through the context passed here.

/// One concern around every ioctl (statistics, persistence, faults, tracing), in the style of a
/// channel handler: it sees a request's first call before the handler runs, and its outcome after.
/// The first interceptor of the chain is the outermost: its `requestBegins` runs first and its
/// `requestEnds` last. An interceptor whose `isActive` is false is skipped for that request.
public protocol IoctlInterceptor: AnyObject, Sendable {
    /// Whether it has anything to do now (asked once per request: keep it an atomic load).
    var isActive: Bool { get }
    /// Whether the request needs a `RequestScope` for it (frame or memory effects, notes).
    var needsScope: Bool { get }
    /// Whether it must see every call of a request (its rounds), so a transport may not answer a
    /// first call itself (`ControlNode.mayAnswerFirstRound`).
    var seesRounds: Bool { get }
    /// Every call of a request (its first, and each after a round trip), before anything else.
    func callBegins(_ request: RequestContext)
    /// A call that ended in a round trip (`NeedsRound`): the request goes on at its next call.
    func callNeedsRound(_ request: RequestContext, _ round: NeedsRound)
    /// A request's first call, before the handler. A result answers the request here: neither the
    /// handler nor the interceptors after this one run, but `requestEnds` of those before it does.
    func requestBegins(_ request: inout RequestContext) -> IoctlResult?
    /// The request's outcome (the handler's, or an inner interceptor's); returns what the caller gets.
    func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult
    /// The other operations of the node (open, release, read, write), after they ran.
    func observe(_ operation: NodeOperation)
}

extension IoctlInterceptor {
    public var needsScope: Bool { false }
    public var seesRounds: Bool { false }
    public func callBegins(_ request: RequestContext) {}
    public func callNeedsRound(_ request: RequestContext, _ round: NeedsRound) {}
    public func requestBegins(_ request: inout RequestContext) -> IoctlResult? { nil }
    public func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult { result }
    public func observe(_ operation: NodeOperation) {}
}

/// One concern on the model's post path (frame faults, frame capture): every frame the engine
/// posts to an IOP on behalf of an ioctl passes it, under the engine's lock.
public protocol FrameInterceptor: AnyObject, Sendable {
    /// Whether it has anything to do now.
    var isActive: Bool { get }
    /// Posts `frame` to IOP `unit` through `next` (the rest of the chain and the model), or answers
    /// it without posting. `iop` is the IOP as it is now (nil: no such IOP); `memory` the request's
    /// bus window; `request` nil for frames no ioctl posted (a `close` cancelling registrations).
    func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
              next: (MessageFrame) -> MessageFrame?) -> MessageFrame?
}

/// A node operation other than an ioctl, as an interceptor observes it.
public enum NodeOperation: Sendable {
    case open(OpenFileID, caller: Int32?, start: ContinuousClock.Instant)
    case release(OpenFileID, caller: Int32?, start: ContinuousClock.Instant)
    case read(OpenFileID, capacity: Int, ReadResult, caller: Int32?, start: ContinuousClock.Instant)
    case write(OpenFileID, count: Int, IoctlResult, caller: Int32?, start: ContinuousClock.Instant)
}

/// What the pipeline knows of one request, passed to each interceptor. Kept across a request's
/// `NeedsRound` retries.
public struct RequestContext: Sendable {
    public let request: IoctlRequest
    /// The decoded command; nil for a number this ABI does not know.
    public let command: IoctlCommand?
    /// Whether the file was open when the request began.
    public let fileIsOpen: Bool
    /// When it began, in monotonic nanoseconds: set by the interceptor that times requests
    /// (`Statistics`), 0 when none does. The engine itself reads no clock on this path.
    public var timestamp: UInt64 = 0
    /// Rounds so far: transport retries before this call, plus fetches of the final pass.
    public internal(set) var rounds: Int
    /// The shared part, when an interceptor asked for one.
    public let scope: RequestScope?
    /// The interceptors active as it began (only they see it end).
    let active: ActiveInterceptors
    /// Whether the interceptors saw it begin.
    var begun = false

    init(request: IoctlRequest, command: IoctlCommand?, fileIsOpen: Bool, rounds: Int, scope: RequestScope?,
         active: ActiveInterceptors) {
        self.request = request; self.command = command; self.fileIsOpen = fileIsOpen
        self.rounds = rounds; self.scope = scope; self.active = active
    }

    public var file: OpenFileID { request.file }
    public var kind: IoctlCommand.Kind? { command?.kind }
}

/// Which interceptors of the chain are active for a request: a bit each.
struct ActiveInterceptors: Sendable {
    static let capacity = 16
    private var bits: UInt16 = 0
    subscript(i: Int) -> Bool {
        get { bits & (1 << i) != 0 }
        set { if newValue { bits |= 1 << i } else { bits &= ~(1 << i) } }
    }
}

/// The part of a request that interceptors change while it runs (the memory it stores into, the
/// frames it posts): made only when an active interceptor `needsScope`. One request uses it at a
/// time (its calls follow each other), hence the unchecked `Sendable`; a lock guards it all the same.
public final class RequestScope: @unchecked Sendable {
    public let kind: IoctlCommand.Kind?
    public let file: OpenFileID
    private let lock = Mutex<Void>(())
    private var _storeFilter: StoreFilter?
    private var _notes: [String] = []
    private var _log: MemoryLog?
    private var _values: [ObjectIdentifier: any Sendable] = [:]

    init(kind: IoctlCommand.Kind?, file: OpenFileID) { self.kind = kind; self.file = file }

    /// How the bytes the request stores into the caller's memory are changed (a data fault).
    public var storeFilter: StoreFilter? {
        get { lock.withLock { _ in _storeFilter } }
        set { lock.withLock { _ in _storeFilter = newValue } }
    }
    /// What interceptors did to the request, in order ("entry: delay", "rule 2: status").
    public var notes: [String] { lock.withLock { _ in _notes } }
    public func note(_ text: String) { lock.withLock { _ in _notes.append(text) } }
    /// When set, the request's fetches and stores are recorded here.
    public var memoryLog: MemoryLog? {
        get { lock.withLock { _ in _log } }
        set { lock.withLock { _ in _log = newValue } }
    }
    /// An interceptor's own per-request value, under its key type.
    public subscript<Key: RequestScopeKey>(key: Key.Type) -> Key.Value? {
        get { lock.withLock { _ in _values[ObjectIdentifier(key)] as? Key.Value } }
        set { lock.withLock { _ in _values[ObjectIdentifier(key)] = newValue } }
    }
}

/// Names a value an interceptor keeps in a `RequestScope`.
public protocol RequestScopeKey {
    associatedtype Value: Sendable
}

/// A change to the bytes a request stores into the caller's memory.
public enum StoreFilter: Sendable {
    /// Only the first half of every store.
    case firstHalf
    /// Every byte inverted.
    case inverted

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .firstHalf: Array(bytes.prefix(bytes.count / 2))
        case .inverted: bytes.map { ~$0 }
        }
    }
}

/// The fetches and stores of one request, as its memory saw them.
public final class MemoryLog: @unchecked Sendable {
    public enum Event: Sendable {
        /// One fetch round: each read range with its bytes (nil: it faulted), the write reservations,
        /// and whether the memory asked for a round trip instead (`NeedsRound`).
        case fetch(reads: [(UserRange, [UInt8]?)], writes: [UserRange], needsRound: Bool)
        /// One store: the bytes the request stored (before any `StoreFilter`) and whether it succeeded.
        case store(address: UInt64, bytes: [UInt8], ok: Bool)
    }
    private let lock = Mutex<[Event]>([])
    public init() {}
    public var events: [Event] { lock.withLock { $0 } }
    func append(_ e: Event) { lock.withLock { $0.append(e) } }
}

/// The interceptors of an engine, in order (outermost first).
struct Interceptors: Sendable {
    let ioctl: [any IoctlInterceptor]
    let frame: [any FrameInterceptor]

    /// Whether any frame interceptor is active now (else a frame goes straight to the model).
    var framesActive: Bool {
        for f in frame where f.isActive { return true }
        return false
    }

    /// Posts `frame` through the active frame interceptors, then `model`.
    func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
              from index: Int = 0, model: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        var i = index
        while i < self.frame.count, !self.frame[i].isActive { i += 1 }
        guard i < self.frame.count else { return model(frame) }
        return self.frame[i].post(frame, to: unit, iop: iop, memory: memory, request: request) { f in
            post(f, to: unit, iop: iop, memory: memory, request: request, from: i + 1, model: model)
        }
    }
}
