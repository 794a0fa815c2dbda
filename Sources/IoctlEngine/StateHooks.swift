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
    /// Told after a state write fails (a log line).
    let log = Mutex<(@Sendable (String) -> Void)?>(nil)
    init() {}
}

struct PendingRequest: Sendable {
    var start: UInt64
    var retries: Int
    var entry: FaultAction?
    var scope: FaultScope
}

/// Gates that hung requests wait on: released all at once by `Engine.releaseHangs()`.
struct HangGates: Sendable {
    var waiting: [UInt64: DispatchSemaphoreBox] = [:]
    var next: UInt64 = 1
}

final class DispatchSemaphoreBox: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

extension Engine {
    /// The ioctls that can change what a card keeps across a power cycle.
    static let persistentKinds: Set<IoctlCommand.Kind> = [.parmSet, .swDownload, .swDelete, .validate, .passthru, .passthru32]

    /// One `ioctl(fd, command, argument)` from a caller using `abi`: the fault layer's entry,
    /// request statistics and the persistent state around the personality's handler.
    ///
    /// When a state directory is attached, a successful ioctl that may have changed persistent
    /// state (PARMSET, SWDL, SWDEL, VALIDATE, PASSTHRU) writes the state file before the result
    /// is returned; a failed write turns the result into EIO (the change is made in the IOP).
    /// - Throws: `NeedsRound` when `memory` must do a round trip first (then call again).
    public func ioctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                      memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let kind = IoctlCommand.decode(command, abi: abi)?.kind
        let now = DispatchTime.now().uptimeNanoseconds
        let known = state.withLock { $0.files[file] != nil }
        // The request's record: new on its first call, kept over retry rounds.
        let (request, first) = extras.pending.withLock { p -> (PendingRequest, Bool) in
            if let r = p[file] { return (r, false) }
            let r = PendingRequest(start: now, retries: 0, entry: nil, scope: FaultScope(kind: kind, file: file))
            p[file] = r
            return (r, true)
        }
        var entry = request.entry
        if first, known {
            entry = locked { s in s.faults.atEntry(kind: kind, file: file) }
            extras.pending.withLock { $0[file]?.entry = entry }
            if let entry { request.scope.entryNote.withLock { $0 = "entry: \(entry.kind.rawValue)" } }
            switch entry?.kind {
            case .delay?: sleepMilliseconds(entry?.milliseconds ?? 0)
            case .hang?:
                if !waitForRelease() {
                    traceEntryFault(file, command: command, argument: argument, abi: abi, .error(.ETIMEDOUT), "entry: hang")
                    return finish(file, kind: kind, .error(.ETIMEDOUT), rounds: 1)
                }
            default: break
            }
        }
        if let e = entry, e.kind == .errno {
            let result = IoctlResult.error(Errno(rawValue: e.errno ?? Errno.EIO.rawValue))
            traceEntryFault(file, command: command, argument: argument, abi: abi, result, "entry: errno")
            return finish(file, kind: kind, result, rounds: 1)
        }
        let entryData = entry?.kind == .short || entry?.kind == .corrupt ? entry?.kind : nil
        // The wrapper borrows the caller's memory: copying it would make every store copy the
        // caller's buffers (copy on write).
        let (outcome, fetches) = withUnsafeMutablePointer(to: &memory) { base in
            var wrapped = FaultingMemory(base: base, scope: request.scope, entryData: entryData)
            let outcome: Result<IoctlResult, NeedsRound> = FaultScope.$current.withValue(request.scope) {
                do throws(NeedsRound) {
                    return .success(try dispatchIoctl(file, command: command, argument: argument, abi: abi, memory: &wrapped))
                } catch {
                    return .failure(error)
                }
            }
            return (outcome, wrapped.fetches)
        }
        var result: IoctlResult
        switch outcome {
        case let .failure(round):
            extras.pending.withLock { $0[file]?.retries += 1 }
            throw round
        case let .success(r): result = r
        }
        let after = request.scope.outcome.withLock { $0 }
        if let ms = after.delayMilliseconds { sleepMilliseconds(ms) }
        if after.hang, !waitForRelease() { result = .error(.ETIMEDOUT) }
        if let e = after.errno { result = .error(e) }
        if case .value = result, let kind, Self.persistentKinds.contains(kind), !saveState() {
            result = .error(.EIO)
        }
        let retries = extras.pending.withLock { $0[file]?.retries ?? 0 }
        return finish(file, kind: kind, result, rounds: fetches + retries)
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

    private func finish(_ file: OpenFileID, kind: IoctlCommand.Kind?, _ result: IoctlResult, rounds: Int) -> IoctlResult {
        let start = extras.pending.withLock { $0.removeValue(forKey: file)?.start } ?? DispatchTime.now().uptimeNanoseconds
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
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
    var per: [String: One] = [:]
    static let window = 1024

    mutating func record(kind: IoctlCommand.Kind?, result: IoctlResult, rounds: Int, nanoseconds: UInt64) {
        let name = kind?.name ?? "unknown"
        var o = per[name] ?? One()
        o.requests += 1
        if case let .error(e) = result { o.errors += 1; o.errnos[e.description, default: 0] += 1 }
        o.rounds += rounds; o.roundsMax = max(o.roundsMax, rounds)
        if o.latencies.count < Self.window { o.latencies.append(nanoseconds) } else { o.latencies[o.next] = nanoseconds }
        o.next = (o.next + 1) % Self.window
        per[name] = o
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
