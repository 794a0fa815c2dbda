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
///
/// A failed IOP, and one that a `hang` rule makes hang, do not answer the frames they are sent;
/// the engine then makes the caller wait its personality's post-wait (`PostWaiter`, here, so
/// that `ctl release` can end the waits at once) and takes the kernel's no-reply path.
public final class FaultInjector: IoctlInterceptor, FrameInterceptor, PostWaiter {
    private let table = Mutex(FaultTable())
    /// Whether a rule exists or an IOP is failed: every request and frame asks.
    private let armed = Atomic<Bool>(false)
    private let hangs = Mutex<[UInt64: HangGate]>([:])
    private let nextHang = Atomic<UInt64>(1)
    /// Hears a line when a request starts waiting for a reply that does not come and when the wait
    /// ends (the daemon's log): a stalled client is otherwise silent.
    private let log = Mutex<(@Sendable (String) -> Void)?>(nil)
    /// Carries out a `firmware` action's command on an IOP (the simulator's: the IOP's module).
    private let firmwareCommands = Mutex<(@Sendable (IOPUnit, [String]) -> String?)?>(nil)

    public init() {}

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

    /// Who carries out `firmware` actions: given the IOP and the command's words, nil when done,
    /// else what is wrong (logged).
    public func setFirmwareCommands(_ handler: @escaping @Sendable (IOPUnit, [String]) -> String?) {
        firmwareCommands.withLock { $0 = handler }
    }

    /// Where to say that a request waits for a reply that does not come (a hung or failed IOP).
    public func setLog(_ log: @escaping @Sendable (String) -> Void) { self.log.withLock { $0 = log } }

    /// Ends the post-wait of every request waiting for a reply now (their timeout comes at once).
    /// - Returns: how many were waiting.
    @discardableResult
    public func releaseHangs() -> Int {
        let gates = hangs.withLock { Array($0.values) }
        for g in gates { g.semaphore.signal() }
        return gates.count
    }

    /// Requests waiting for a reply that does not come, now.
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
        case .hang: scope[HungKey.self] = true
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
        if let e = after.errno { result = .error(e) }
        if !after.firmware.isEmpty, let handler = firmwareCommands.withLock({ $0 }) {
            let log = self.log.withLock { $0 }
            for (unit, command) in after.firmware {
                let problem = handler(unit, command.split(separator: " ").map(String.init))
                log?("fault rule on IOP \(unit.rawValue): firmware \"\(command)\"" + (problem.map { ": \($0)" } ?? ""))
            }
        }
        return result
    }

    // MARK: FrameInterceptor

    public func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
                     next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        let decision: Decision = table.withLock { t in
            if !t.failedIOPs.isEmpty, t.failedIOPs.contains(unit) {
                return frame.function == .execStatusGet ? .failedStatus : .replaced(nil)
            }
            if request?[HungKey.self] == true { return .replaced(nil) }
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
                request[HungKey.self] = true
                return .replaced(nil)
            case .short:
                request.storeFilter = .firstHalf
                return .pass
            case .corrupt:
                request.storeFilter = .inverted
                return .pass
            case .failIOP:
                t.failedIOPs.insert(unit)
                return .replaced(nil)
            case .firmware:
                request.updateOutcome { $0.firmware.append((unit, a.command ?? "")) }
                return .pass
            }
        }
        return .pass
    }

    // MARK: Waiting

    private static func sleep(milliseconds ms: Int) {
        guard ms > 0 else { return }
        SystemClock.sleep(microseconds: UInt32(min(ms, 3_600_000)) * 1000)
    }

    // MARK: PostWaiter

    /// Waits until `releaseHangs()` or `timeout`, saying so in the log.
    public func waitForReply(upTo timeout: Duration) {
        let gate = HangGate()
        let id = nextHang.wrappingAdd(1, ordering: .relaxed).oldValue
        hangs.withLock { $0[id] = gate }
        let (s, atto) = timeout.components
        let seconds = Double(s) + Double(atto) / 1e18
        let log = self.log.withLock { $0 }
        log?("no reply from the IOP (hung or failed): a request waits its post-wait, \(Self.format(seconds)) s, "
             + "unless released (`i2osim ctl SOCKET release`)")
        let released = gate.semaphore.wait(timeout: .now() + seconds) == .success
        hangs.withLock { _ = $0.removeValue(forKey: id) }
        log?(released ? "no reply from the IOP: a waiting request released"
             : "no reply from the IOP: a request timed out after \(Self.format(seconds)) s")
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
    /// `firmware` actions' commands, by IOP, in the order they fired.
    var firmware: [(IOPUnit, String)] = []
}

/// Set when a `hang` rule matched the request: its IOP answers none of its frames.
enum HungKey: RequestScopeKey { typealias Value = Bool }

/// What post-level rules left for the end of a request, in its scope.
enum OutcomeKey: RequestScopeKey { typealias Value = FaultOutcome }

extension RequestScope {
    func updateOutcome(_ body: (inout FaultOutcome) -> Void) {
        var v = self[OutcomeKey.self] ?? FaultOutcome()
        body(&v)
        self[OutcomeKey.self] = v
    }
}
