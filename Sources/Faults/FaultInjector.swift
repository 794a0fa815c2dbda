import Dispatch
import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Posix
import Synchronization

/// Fault injection in the request pipeline (docs/control.md): an `IoctlInterceptor` that decides a
/// request's entry fault as it begins and carries out what the post-level rules left for its end,
/// and a `FrameInterceptor` that applies the rules that name something of a frame (an IOP, a TID,
/// a function, a parameter operation) and fails whole IOPs.
public final class FaultInjector: IoctlInterceptor, FrameInterceptor {
    private let table = Mutex(FaultTable())
    /// Whether a rule exists or an IOP is failed: every request and frame asks.
    private let armed = Atomic<Bool>(false)
    private let hangs = Mutex<[UInt64: HangGate]>([:])
    private let nextHang = Atomic<UInt64>(1)
    /// How long a `hang` waits before the ioctl gives ETIMEDOUT.
    public let hangTimeout: Duration
    /// Hears a line when a `hang` holds a request and when the hold ends (the daemon's log).
    private let log = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// - Parameter timeoutScale: multiplies the hang timeout, 60 s (Linux's config requests wait 60 s).
    public init(timeoutScale: Double = 1) {
        hangTimeout = .seconds(60) * max(0, timeoutScale.isFinite ? timeoutScale : 1)
    }

    // MARK: Rules and failed IOPs

    /// Adds a rule. - Returns: its id.
    @discardableResult
    public func add(_ rule: FaultRule) -> Int { change { $0.add(rule) } }

    /// Removes rule `id` (nil: all rules). - Returns: how many were removed.
    @discardableResult
    public func remove(_ id: Int?) -> Int {
        change { t in
            let before = t.rules.count
            t.rules.removeAll { id == nil || $0.id == id }
            return before - t.rules.count
        }
    }

    /// Fails IOP `unit` as a whole (true) or recovers it (false).
    public func setFailed(_ unit: IOPUnit, _ failed: Bool) {
        change { t in if failed { t.failedIOPs.insert(unit) } else { t.failedIOPs.remove(unit) } }
    }

    /// Forgets failed IOPs that are not in `units` (the machine was replaced).
    public func keepFailed(only units: Set<IOPUnit>) { change { $0.failedIOPs.formIntersection(units) } }

    /// The rules, the failed IOPs and the counts of faults injected, now.
    public var snapshot: FaultTable { table.withLock { $0 } }

    /// Where to say that a `hang` holds a request (a stalled client is otherwise silent).
    public func setLog(_ log: @escaping @Sendable (String) -> Void) { self.log.withLock { $0 = log } }

    /// Releases every hung request. - Returns: how many were waiting.
    @discardableResult
    public func releaseHangs() -> Int {
        let gates = hangs.withLock { Array($0.values) }
        for g in gates { g.semaphore.signal() }
        return gates.count
    }

    /// Requests waiting in a hang now.
    public var hungRequests: Int { hangs.withLock { $0.count } }

    private func change<R>(_ body: (inout FaultTable) -> R) -> R {
        table.withLock { t in
            let r = body(&t)
            armed.store(!t.rules.isEmpty || !t.failedIOPs.isEmpty, ordering: .releasing)
            return r
        }
    }

    // MARK: IoctlInterceptor

    public var isActive: Bool { armed.load(ordering: .acquiring) }
    public var needsScope: Bool { true }
    /// Entry faults are decided on a request's first call: the transport must not answer it.
    public var seesRounds: Bool { table.withLock { !$0.rules.isEmpty } }

    public func requestBegins(_ request: inout RequestContext) -> IoctlResult? {
        guard request.fileIsOpen, let scope = request.scope,
              let entry = table.withLock({ $0.atEntry(kind: request.kind, file: request.file) }) else { return nil }
        scope.note("entry: \(entry.kind.rawValue)")
        switch entry.kind {
        case .delay: Self.sleep(milliseconds: entry.milliseconds ?? 0)
        case .hang: if !waitForRelease(request) { return .error(.ETIMEDOUT) }
        case .errno: return .error(Errno(rawValue: entry.errno ?? Errno.EIO.rawValue))
        case .short: scope.storeFilter = .firstHalf
        case .corrupt: scope.storeFilter = .inverted
        default: break
        }
        return nil
    }

    public func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult {
        guard let after = request.scope?[OutcomeKey.self] else { return result }
        var result = result
        if let ms = after.delayMilliseconds { Self.sleep(milliseconds: ms) }
        if after.hang, !waitForRelease(request) { result = .error(.ETIMEDOUT) }
        if let e = after.errno { result = .error(e) }
        return result
    }

    // MARK: FrameInterceptor

    public func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
                     next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        let decision: Decision = table.withLock { t in
            if !t.failedIOPs.isEmpty, t.failedIOPs.contains(unit) {
                return frame.function == .execStatusGet ? .failedStatus : .replaced(nil)
            }
            guard !t.rules.isEmpty, let request else { return .pass }
            return Self.decide(&t, frame, unit: unit, iop: iop, request: request)
        }
        switch decision {
        case .pass: return next(frame)
        case let .replaced(reply): return reply
        case let .blockStatus(index, status, operation, operations):
            return Self.postWithBlockStatus(frame, index: index, status: status, operation: operation, operations: operations,
                                            memory: memory, next: next)
        case .failedStatus:
            let reply = next(frame)
            Self.patchFailedStatus(frame, memory: memory)
            return reply
        }
    }

    private enum Decision {
        case pass
        case replaced(MessageFrame?)
        case blockStatus(index: Int, status: BlockStatus, operation: ParamOperation, operations: [ParamOperation])
        /// A failed IOP's ExecStatusGet: answered by the model, its status block then says FAILED.
        case failedStatus
    }

    /// The first rule that matches `frame` and fires, and what it does.
    private static func decide(_ t: inout FaultTable, _ frame: MessageFrame, unit: IOPUnit, iop: IOP?,
                               request: RequestScope) -> Decision {
        let operations = paramOperations(of: frame, iop: iop)
        for i in t.rules.indices {
            let r = t.rules[i]
            let m = r.match
            guard m.needsFrame || !r.action.atEntry, FaultTable.matches(m, kind: request.kind, file: request.file) else { continue }
            if let v = m.iop, v != unit.rawValue { continue }
            if let v = m.tid, v != frame.target.rawValue { continue }
            if let v = m.function, v != frame.function.rawValue { continue }
            var opIndex: Int?
            if m.operation != nil || m.group != nil || r.action.kind == .blockStatus {
                opIndex = operations?.firstIndex { op in
                    (m.operation.map { $0 == op.code.rawValue } ?? true) && (m.group.map { $0 == op.group } ?? true)
                }
                if opIndex == nil { continue }
            }
            guard t.rules[i].decide() else { continue }
            t.note(r.action.kind)
            request.note("rule \(r.id): \(r.action.kind.rawValue)")
            let a = r.action
            switch a.kind {
            case .errno:
                request.updateOutcome { $0.errno = Errno(rawValue: a.errno ?? Errno.EIO.rawValue) }
                return .replaced(MessageFrame.reply(to: frame, status: .errorNoDataTransfer, detail: .success))
            case .status:
                return .replaced(MessageFrame.reply(to: frame, status: ReqStatus(rawValue: a.reqStatus ?? 0),
                                                    detail: DetailedStatus(rawValue: a.detailedStatus ?? 0)))
            case .blockStatus:
                guard let k = opIndex, let ops = operations else { return .pass }
                return .blockStatus(index: k, status: BlockStatus(rawValue: a.blockStatus ?? 0), operation: ops[k], operations: ops)
            case .delay:
                request.updateOutcome { $0.delayMilliseconds = a.milliseconds ?? 0 }
                return .pass
            case .hang:
                request.updateOutcome { $0.hang = true }
                return .pass
            case .short:
                request.storeFilter = .firstHalf
                return .pass
            case .corrupt:
                request.storeFilter = .inverted
                return .pass
            case .failIOP:
                t.failedIOPs.insert(unit)
                return .replaced(nil)
            }
        }
        return .pass
    }

    // MARK: Waiting

    private static func sleep(milliseconds ms: Int) {
        guard ms > 0 else { return }
        SystemClock.sleep(microseconds: UInt32(min(ms, 3_600_000)) * 1000)
    }

    /// Waits until `releaseHangs()` or the hang timeout, saying so in the log. - Returns: true when released.
    private func waitForRelease(_ request: RequestContext) -> Bool {
        let gate = HangGate()
        let id = nextHang.wrappingAdd(1, ordering: .relaxed).oldValue
        hangs.withLock { $0[id] = gate }
        let (s, atto) = hangTimeout.components
        let seconds = Double(s) + Double(atto) / 1e18
        let what = "\(request.kind?.name ?? "ioctl \(hex(request.request.command, width: 8))") on \(request.file)"
            + (request.request.caller.map { " by pid \($0)" } ?? "")
        let log = self.log.withLock { $0 }
        log?("hang fault: holding \(what) until released (`i2osim ctl SOCKET release`) or \(Self.format(seconds)) s pass")
        let released = gate.semaphore.wait(timeout: .now() + seconds) == .success
        hangs.withLock { _ = $0.removeValue(forKey: id) }
        log?(released ? "hang fault: \(what) released" : "hang fault: \(what) timed out after \(Self.format(seconds)) s: ETIMEDOUT")
        return released
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String((seconds * 100).rounded() / 100)
    }
}

/// A gate a hung request waits on.
private final class HangGate: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

/// Effects a post-level rule leaves for the end of the ioctl.
struct FaultOutcome: Sendable {
    var errno: Errno?
    var delayMilliseconds: Int?
    var hang = false
}

/// What post-level rules left for the end of a request, in its scope.
enum OutcomeKey: RequestScopeKey { typealias Value = FaultOutcome }

extension RequestScope {
    func updateOutcome(_ body: (inout FaultOutcome) -> Void) {
        var v = self[OutcomeKey.self] ?? FaultOutcome()
        body(&v)
        self[OutcomeKey.self] = v
    }
}
