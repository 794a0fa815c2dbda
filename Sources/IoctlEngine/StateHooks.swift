import Dispatch
import Foundation
import I2OFormats
import IOPModel
import Synchronization

/// What the engine keeps beside its machine: the state directory it writes acknowledged
/// changes to, request statistics, and the gates of hung requests.
public final class EngineExtras: Sendable {
    let stateDirectory = Mutex<StateDirectory?>(nil)
    let stats = Mutex<StatsCollector>(StatsCollector())
    let hangs = Mutex<HangGates>(HangGates())
    /// Requests in progress per open file: their start and the entry fault decided for them
    /// (kept across the NeedsRound retries of one request).
    let pending = Mutex<[OpenFileID: PendingRequest]>([:])
    /// How many requests `pending` holds: when none, a request need not look there.
    let pendingCount = Atomic<Int>(0)
    /// Told after a state write fails (a log line).
    let log = Mutex<(@Sendable (String) -> Void)?>(nil)
    init() {}
}

struct PendingRequest: Sendable {
    var start: UInt64
    var retries: Int
    var entry: FaultAction?
    /// The fault layer's view of the request; nil when no fault rule existed as it began.
    var scope: FaultScope?
}

/// Gates that hung requests wait on: released all at once by `Engine.releaseHangs()`.
struct HangGates: Sendable {
    var waiting: [UInt64: DispatchSemaphoreBox] = [:]
    var next: UInt64 = 1
}

/// CLOCK_MONOTONIC in nanoseconds (the request timer; cheaper than `DispatchTime.now()`).
func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}

final class DispatchSemaphoreBox: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

extension Engine {
    /// One `ioctl(fd, command, argument)` from a caller using `abi`: the fault layer's entry,
    /// request statistics and the persistent state around the personality's handler.
    ///
    /// When a state directory is attached, a successful ioctl that may have changed persistent
    /// state (PARMSET, SWDL, SWDEL, VALIDATE, PASSTHRU) writes the state file before the result
    /// is returned; a failed write turns the result into EIO (the change is made in the IOP).
    /// - Throws: `NeedsRound` when `memory` must do a round trip first (then call again).
    @inlinable
    public func ioctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                      memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        // The fault layer's wrapper is made here, in the caller's code, where its type is known:
        // made inside the engine it would cost a run-time type lookup per ioctl. It borrows the
        // caller's memory: copying it would make every store copy the caller's buffers.
        try withUnsafeMutablePointer(to: &memory) { base throws(NeedsRound) in
            var wrapped = FaultingMemory(base: base)
            return try ioctl(file, command: command, argument: argument, abi: abi, wrapped: &wrapped)
        }
    }

    @usableFromInline
    func ioctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
               wrapped: inout some FaultWrapper) throws(NeedsRound) -> IoctlResult {
        let decoded = IoctlCommand.decode(command, abi: abi)
        let kind = decoded?.kind
        let (known, hasRules) = state.withLock { ($0.files[file] != nil, !$0.faults.rules.isEmpty) }
        // The request's record: kept over retry rounds (stored only when a round is needed).
        var request: PendingRequest
        let first: Bool
        if extras.pendingCount.load(ordering: .acquiring) > 0, let r = extras.pending.withLock({ $0[file] }) {
            request = r; first = false
        } else {
            // Without fault rules there is nothing for the fault layer to see: no scope.
            request = PendingRequest(start: monotonicNanoseconds(), retries: 0, entry: nil,
                                     scope: hasRules ? FaultScope(kind: kind, file: file) : nil)
            first = true
        }
        if first, known, hasRules {
            request.entry = locked { s in s.faults.atEntry(kind: kind, file: file) }
            if let entry = request.entry { request.scope?.entryNote.withLock { $0 = "entry: \(entry.kind.rawValue)" } }
            switch request.entry?.kind {
            case .delay?: sleepMilliseconds(request.entry?.milliseconds ?? 0)
            case .hang?:
                if !waitForRelease() {
                    traceEntryFault(file, command: command, argument: argument, abi: abi, .error(.ETIMEDOUT), "entry: hang")
                    return finish(file, kind: kind, .error(.ETIMEDOUT), rounds: 1, start: request.start)
                }
            default: break
            }
        }
        let entry = request.entry
        if let e = entry, e.kind == .errno {
            let result = IoctlResult.error(Errno(rawValue: e.errno ?? Errno.EIO.rawValue))
            traceEntryFault(file, command: command, argument: argument, abi: abi, result, "entry: errno")
            return finish(file, kind: kind, result, rounds: 1, start: request.start)
        }
        wrapped.entryData = entry?.kind == .short || entry?.kind == .corrupt ? entry?.kind : nil
        let scope = request.scope
        wrapped.scope = scope
        func run() -> Result<IoctlResult, NeedsRound> {
            do throws(NeedsRound) {
                return .success(try dispatchIoctl(file, command: command, argument: argument, abi: abi, known: known, decoded: decoded,
                                                  memory: &wrapped))
            } catch {
                return .failure(error)
            }
        }
        let outcome = scope.map { FaultScope.$current.withValue($0) { run() } } ?? run()
        let fetches = wrapped.fetches
        var result: IoctlResult
        switch outcome {
        case let .failure(round):
            request.retries += 1
            extras.pending.withLock { p in
                if p.updateValue(request, forKey: file) == nil { extras.pendingCount.add(1, ordering: .releasing) }
            }
            throw round
        case let .success(r): result = r
        }
        if let after = scope?.outcome.withLock({ $0 }) {
            if let ms = after.delayMilliseconds { sleepMilliseconds(ms) }
            if after.hang, !waitForRelease() { result = .error(.ETIMEDOUT) }
            if let e = after.errno { result = .error(e) }
        }
        if case .value = result, kind?.isPersistent == true, !saveState() {
            result = .error(.EIO)
        }
        return finish(file, kind: kind, result, rounds: fetches + request.retries, start: request.start)
    }

    /// Whether the first, input-less call of an ioctl on `file` may be answered by its transport
    /// without running the engine: the file is open, no fault rule is set (entry faults act on a
    /// request's first call) and no tracer records its rounds. Such a call can only ask for the
    /// ioctl's struct, so its retry round follows from the command; a transport that learned it
    /// from an earlier run answers it and calls `noteFirstRound`.
    public func firstRoundMayBeSkipped(_ file: OpenFileID) -> Bool {
        !isTracing && state.withLock { $0.files[file] != nil && $0.faults.rules.isEmpty }
    }

    /// Records the retry round of a first call its transport answered without running the engine,
    /// as the engine records a round it asked for (the request's start and its retries), so the
    /// following calls and the statistics see the same request. Returns false — nothing recorded,
    /// the engine must run the call — when `firstRoundMayBeSkipped` does not hold.
    public func noteFirstRound(_ file: OpenFileID) -> Bool {
        guard firstRoundMayBeSkipped(file) else { return false }
        let now = monotonicNanoseconds()
        // A first call starts a request: a record left from one the kernel ended itself (a retry's
        // range that faulted never reaches the daemon again) is replaced.
        extras.pending.withLock { p in
            if p.updateValue(PendingRequest(start: now, retries: 1, entry: nil, scope: nil), forKey: file) == nil {
                extras.pendingCount.add(1, ordering: .releasing)
            }
        }
        return true
    }

    /// A new request begins on `file`: the record of an unfinished one is dropped, so the new one
    /// starts its own (its start, its rounds, its entry fault). The engine cannot tell a new
    /// request from the next round of an unfinished one; its transport can, and must say so when a
    /// request may have ended without the engine — the kernel fails a CUSE retry whose range
    /// faults and never calls the daemon again; a transport may give a request up.
    public func beginRequest(_ file: OpenFileID) {
        dropPendingRequest(file)
    }

    /// Forgets `file`'s unfinished request, if any (cheap when there is none).
    func dropPendingRequest(_ file: OpenFileID) {
        guard extras.pendingCount.load(ordering: .acquiring) > 0 else { return }
        extras.pending.withLock { p in
            if p.removeValue(forKey: file) != nil { extras.pendingCount.subtract(1, ordering: .releasing) }
        }
    }

    /// A request answered by a fault at the ioctl entry never reaches the handler (nor its
    /// tracing): it gets a trace record of its own, marked as injected.
    private func traceEntryFault(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                                 _ result: IoctlResult, _ what: String) {
        guard let tracer else { return }
        var rec = TraceRecord(time: TraceContext.now().time, pid: TraceContext.callerPID, file: file.rawValue, op: "ioctl")
        rec.ioctl = IoctlCommand.decode(command, abi: abi)?.name ?? "unknown"
        rec.cmd = hex(command, width: 8)
        rec.abi = abi.rawValue
        rec.arg = hex(argument)
        rec.setResult(result)
        rec.injected = [what]
        tracer.record(rec)
    }

    private func finish(_ file: OpenFileID, kind: IoctlCommand.Kind?, _ result: IoctlResult, rounds: Int, start: UInt64) -> IoctlResult {
        dropPendingRequest(file)
        let elapsed = monotonicNanoseconds() &- start
        extras.stats.withLock { $0.record(kind: kind, result: result, rounds: rounds, nanoseconds: elapsed) }
        return result
    }

    private func sleepMilliseconds(_ ms: Int) {
        guard ms > 0 else { return }
        usleep(UInt32(min(ms, 3_600_000)) * 1000)
    }

    /// Waits until `releaseHangs()` or the hang timeout. - Returns: true when released.
    private func waitForRelease() -> Bool {
        let box = DispatchSemaphoreBox()
        let id = extras.hangs.withLock { h in
            let id = h.next; h.next += 1; h.waiting[id] = box; return id
        }
        let released = box.semaphore.wait(timeout: .now() + FaultTimeouts.hang) == .success
        extras.hangs.withLock { _ = $0.waiting.removeValue(forKey: id) }
        return released
    }

    // MARK: Persistent state

    /// Attaches a state directory: from now on every acknowledged change of persistent state is
    /// written to it before the ioctl returns. `log` hears about failed writes.
    public func attachState(_ directory: StateDirectory, log: (@Sendable (String) -> Void)? = nil) {
        extras.stateDirectory.withLock { $0 = directory }
        extras.log.withLock { $0 = log }
    }

    /// Writes the persistent state now if a directory is attached and it changed (under the
    /// engine's lock, so writes follow the order of the changes). - Returns: false when the write failed.
    @discardableResult
    public func saveState() -> Bool {
        guard let dir = extras.stateDirectory.withLock({ $0 }) else { return true }
        let failure: StateError? = state.withLock { s in
            do throws(StateError) { try dir.save(s.machine); return nil } catch { return error }
        }
        if let failure {
            extras.log.withLock { $0 }?("i2osim: \(failure)")
            return false
        }
        return true
    }

    /// The attached state directory's write count (nil without one).
    public var stateWriteCount: Int? { extras.stateDirectory.withLock { $0?.writeCount } }

    // MARK: Faults

    /// Adds a fault rule. - Returns: its id.
    @discardableResult
    public func addFault(_ rule: FaultRule) -> Int { state.withLock { $0.faults.add(rule) } }

    /// Removes rule `id` (nil: all rules). - Returns: how many were removed.
    @discardableResult
    public func removeFault(_ id: Int?) -> Int {
        state.withLock { s in
            let before = s.faults.rules.count
            s.faults.rules.removeAll { id == nil || $0.id == id }
            return before - s.faults.rules.count
        }
    }

    /// The fault rules and failed IOPs now.
    public var faults: FaultTable { state.withLock { $0.faults } }

    /// Fails IOP `unit` as a whole (true) or recovers it (false). - Returns: false for no such IOP.
    @discardableResult
    public func setIOPFailed(_ unit: IOPUnit, _ failed: Bool) -> Bool {
        state.withLock { s in
            guard s.machine.iops[unit] != nil else { return false }
            if failed { s.faults.failedIOPs.insert(unit) } else { s.faults.failedIOPs.remove(unit) }
            return true
        }
    }

    /// Releases every hung request. - Returns: how many were waiting.
    @discardableResult
    public func releaseHangs() -> Int {
        let boxes = extras.hangs.withLock { Array($0.waiting.values) }
        for b in boxes { b.semaphore.signal() }
        return boxes.count
    }

    // MARK: Statistics

    /// Request statistics since the engine started (or the last reset).
    public var statistics: EngineStatistics {
        let faults = self.faults
        var s = extras.stats.withLock { $0.summary() }
        s.faultsInjected = faults.injected
        s.rules = faults.rules
        s.failedIOPs = faults.failedIOPs.map(\.rawValue).sorted()
        s.stateWrites = stateWriteCount
        s.hungRequests = extras.hangs.withLock { $0.waiting.count }
        return s
    }

    public func resetStatistics() { extras.stats.withLock { $0 = StatsCollector() } }
}

/// Statistics of one ioctl.
public struct IoctlStatistics: Codable, Hashable, Sendable {
    public var requests = 0
    public var errors = 0
    /// Errors by errno name.
    public var errnos: [String: Int] = [:]
    /// Fetch rounds per request (UserMemory.fetch calls of the final pass plus transport retries).
    public var roundsMean = 0.0
    public var roundsMax = 0
    /// Latency percentiles over the last 1024 requests, microseconds.
    public var p50us = 0.0, p90us = 0.0, p99us = 0.0, maxus = 0.0
}

/// Everything `i2osim ctl SOCKET stats` shows.
public struct EngineStatistics: Codable, Hashable, Sendable {
    public var ioctls: [String: IoctlStatistics] = [:]
    public var requests = 0
    public var errors = 0
    public var faultsInjected: [String: Int] = [:]
    public var rules: [FaultRule] = []
    public var failedIOPs: [UInt32] = []
    public var stateWrites: Int?
    public var hungRequests = 0
}

struct StatsCollector: Sendable {
    struct One: Sendable {
        var requests = 0, errors = 0, rounds = 0, roundsMax = 0
        var errnos: [String: Int] = [:]
        var latencies: [UInt64] = []
        var next = 0
    }
    /// By `Kind.statsSlot`; the last slot is for unknown numbers. Updated in place: a copy of
    /// `One` out and back would copy its latency window on every request.
    var slots = [One](repeating: One(), count: IoctlCommand.Kind.allCases.count + 1)
    static let window = 1024

    mutating func record(kind: IoctlCommand.Kind?, result: IoctlResult, rounds: Int, nanoseconds: UInt64) {
        let i = kind?.statsSlot ?? slots.count - 1
        slots[i].requests += 1
        if case let .error(e) = result { slots[i].errors += 1; slots[i].errnos[e.description, default: 0] += 1 }
        slots[i].rounds += rounds; slots[i].roundsMax = max(slots[i].roundsMax, rounds)
        if slots[i].latencies.count < Self.window {
            if slots[i].latencies.isEmpty { slots[i].latencies.reserveCapacity(Self.window) }
            slots[i].latencies.append(nanoseconds)
        } else {
            slots[i].latencies[slots[i].next] = nanoseconds
        }
        slots[i].next = (slots[i].next + 1) % Self.window
    }

    /// The slots with their ioctl names.
    var per: [(String, One)] {
        zip(IoctlCommand.Kind.allCases.map(\.name) + ["unknown"], slots).filter { $0.1.requests > 0 }
    }

    func summary() -> EngineStatistics {
        var s = EngineStatistics()
        for (name, o) in per {
            let sorted = o.latencies.sorted()
            func pct(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                let i = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
                return Double(sorted[i]) / 1000
            }
            s.ioctls[name] = IoctlStatistics(requests: o.requests, errors: o.errors, errnos: o.errnos,
                                             roundsMean: o.requests > 0 ? Double(o.rounds) / Double(o.requests) : 0,
                                             roundsMax: o.roundsMax, p50us: pct(0.5), p90us: pct(0.9), p99us: pct(0.99),
                                             maxus: pct(1))
            s.requests += o.requests
            s.errors += o.errors
        }
        return s
    }
}

extension IoctlCommand.Kind {
    /// Its place in `StatsCollector.slots` (the order of `allCases`).
    var statsSlot: Int {
        switch self {
        case .getIOPs: 0; case .hrtGet: 1; case .lctGet: 2; case .parmSet: 3; case .parmGet: 4; case .swDownload: 5
        case .swUpload: 6; case .swDelete: 7; case .validate: 8; case .html: 9; case .eventRegister: 10
        case .eventGet: 11; case .passthru: 12; case .passthru32: 13
        }
    }
}

extension IoctlCommand.Kind {
    /// The ioctls that can change what a card keeps across a power cycle.
    var isPersistent: Bool {
        switch self {
        case .parmSet, .swDownload, .swDelete, .validate, .passthru, .passthru32: true
        default: false
        }
    }
}
