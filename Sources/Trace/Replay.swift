import I2OABI
import I2ODevice
import Foundation
import I2OFormats
import IoctlEngine

/// How replay matches the client's requests with the recorded ones (docs/trace-format.md).
public enum ReplayMode: String, Sendable, CaseIterable {
    /// Per open file, the same requests in the same order. A new open file is bound, at its
    /// first request, to the earliest recorded open file not yet bound whose first request
    /// matches; the order between different open files is not checked (threads and processes
    /// interleave freely).
    case strict
    /// Each request is matched with the earliest unused recorded request with the same ioctl
    /// number whose content (IOP, TID, operation: every byte read from the caller, pointers
    /// aside) is the same, whatever the order and the open file.
    case keyed
}

/// Where the client left the recording.
public struct Divergence: Sendable, CustomStringConvertible {
    public var expected: String
    public var received: String
    public var difference: String
    public var description: String {
        "replay: the client departed from the recording\n  expected: \(expected)\n  received: \(received)\n  difference: \(difference)"
    }
}

/// A `ControlNode` that answers from a trace instead of a machine (`i2osim replay`).
public final class ReplayBackend: ControlNode, @unchecked Sendable {
    public let mode: ReplayMode
    private let lock = NSLock()
    private var records: [TraceRecord]
    /// Recorded requests (ioctl/read/write) per recorded file, in order; indices into `records`.
    private var streams: [UInt64: [Int]] = [:]
    private var position: [UInt64: Int] = [:]
    private var openOrder: [UInt64] = []
    private var binding: [OpenFileID: UInt64] = [:]
    private var bound: Set<UInt64> = []
    private var used: Set<Int> = []
    private var nextFile: UInt64 = 1
    private var queued: [UInt64: UInt64] = [:]
    private var divergence: Divergence?
    /// Text the client passes differently from the recording (recorded → client), given back in its place.
    private var substitutions: [([UInt8], [UInt8])] = []
    /// Requests whose last call asked the transport for a retry round (CUSE), by caller and open
    /// file. The kernel may fail that retry itself (a range faults: the client gets EFAULT) and
    /// never call again: that shows only when the caller's next request on the file comes, or
    /// the file is released, or the replay ends.
    private var pending: [PendingKey: Pending] = [:]
    private let onDivergence: @Sendable (Divergence, _ caller: Int32?) -> Void

    /// - Parameter onDivergence: told of the first departure from the recording, with the calling
    ///   process when the transport knows it.
    public init(records: [TraceRecord], mode: ReplayMode, onDivergence: @escaping @Sendable (Divergence, _ caller: Int32?) -> Void) {
        self.mode = mode
        self.onDivergence = onDivergence
        self.records = records
        // CUSE: an attempt that asked for a retry round and was retried (the file's next record
        // repeats it) is not a request of its own.
        var retried = Set<Int>()
        var lastOfFile: [UInt64: Int] = [:]
        for (i, r) in records.enumerated() where ["ioctl", "read", "write"].contains(r.op) {
            if let p = lastOfFile[r.file], records[p].transport == "cuse", records[p].needsRound == true,
               records[p].cmd == r.cmd, records[p].arg == r.arg, records[p].pid == r.pid,
               Self.gotPast(records[p], r) {
                retried.insert(p)
            }
            lastOfFile[r.file] = i
        }
        for (i, r) in records.enumerated() where !retried.contains(i) {
            switch r.op {
            case "open": openOrder.append(r.file)
            case "ioctl", "read", "write":
                if streams[r.file] == nil, !openOrder.contains(r.file) { openOrder.append(r.file) }
                streams[r.file, default: []].append(i)
            default: break
            }
        }
    }

    /// Whether `r` fetched, successfully, the round at which `p` stopped for a retry (so `r` is
    /// the retried attempt of the same request, not the next request).
    static func gotPast(_ p: TraceRecord, _ r: TraceRecord) -> Bool {
        guard let pr = p.rounds, let last = pr.last, let rr = r.rounds, rr.count >= pr.count else { return false }
        let same = rr[pr.count - 1]
        func key(_ x: [TraceRange]) -> [String] { x.map { "\($0.addr)+\($0.count)" } }
        return same.needsRound != true && key(same.reads) == key(last.reads) && key(same.writes) == key(last.writes)
    }

    /// The first divergence, if any.
    public var firstDivergence: Divergence? { lock.withLock { divergence } }

    /// Recorded requests the client never made (call when it has ended). A request whose retry
    /// round was never called again ended there (the kernel failed it) and is settled first.
    public func unconsumed() -> Divergence? {
        lock.withLock {
            let unsettled = pending.values.sorted { $0.candidate < $1.candidate }
            pending = [:]
            for p in unsettled where divergence == nil { settle(p, caller: nil, notify: false) }
            if let divergence { return divergence }
            let inStreams = Set(streams.values.joined())
            let left = records.indices.filter { inStreams.contains($0) && !used.contains($0) }
            guard let first = left.first else { return nil }
            let d = Divergence(expected: Self.describe(records[first]), received: "nothing: the client ended",
                               difference: "\(left.count) recorded request(s) were not made")
            divergence = d
            return d
        }
    }

    // MARK: ControlNode

    public func open(by caller: Int32?) -> OpenFileID {
        lock.withLock {
            let id = OpenFileID(rawValue: nextFile)
            nextFile += 1
            return id
        }
    }

    public func release(_ file: OpenFileID, by caller: Int32?) {
        lock.withLock {
            for (key, p) in pending where p.file == file {
                pending[key] = nil
                if divergence == nil { settle(p, caller: caller) }
            }
            _ = binding.removeValue(forKey: file)
        }
    }

    public func isReadable(_ file: OpenFileID) -> Bool {
        lock.withLock {
            guard let rf = binding[file] else { return false }
            return (queued[rf] ?? 0) > 0
        }
    }

    public func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult {
        lock.lock(); defer { lock.unlock() }
        guard let i = replayed("write", count: count, on: file, by: caller) else { return .error(.EIO) }
        return records[i].ioctlResult ?? .error(.EIO)
    }

    public func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult {
        lock.lock(); defer { lock.unlock() }
        guard let i = replayed("read", count: capacity, on: file, by: caller) else { return .error(.EIO) }
        return records[i].readResult ?? .error(.EIO)
    }

    /// The recorded `op` ("read" or "write") of `count` bytes on `file` that comes next, consumed;
    /// nil after a divergence (this one reported when there is none such). Under the lock.
    private func replayed(_ op: String, count: Int, on file: OpenFileID, by caller: Int32?) -> Int? {
        settlePending(PendingKey(caller, file), caller: caller)
        if divergence != nil { return nil }
        let candidates = candidateIndices(file) { $0.op == op }
        guard let i = candidates.first(where: { records[$0].count == count }) else {
            diverge(expected: candidates.first, received: "\(op)(\(count)) on \(file)", difference: "no recorded \(op)(\(count)) here", caller: caller)
            return nil
        }
        consume(i, file: file)
        return i
    }

    public func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let (file, command, argument, abi, caller) = (request.file, request.command, request.argument, request.abi, request.caller)
        lock.lock(); defer { lock.unlock() }
        let key = PendingKey(caller, file)
        if let p = pending.removeValue(forKey: key), request.begins || !p.continued(by: request) {
            // The caller's previous request on this file asked for a retry round and was never
            // called again: the kernel failed it (EFAULT).
            settle(p, caller: caller)
        }
        if divergence != nil { return .error(.EIO) }
        let cmdHex = hex(command, width: 8)
        let candidates = candidateIndices(file) { $0.op == "ioctl" }
        var firstMismatch: (Int, String)?
        var received = "\(IoctlCommand.decode(command, abi: abi)?.name ?? "unknown")[\(cmdHex) \(abi.rawValue)](\(hex(argument)))"
        // Through retries each candidate runs on the call's memory as it came (a copy): what one
        // that departs fetched is not asked of the kernel for the next.
        let asCalled = memory
        for i in candidates {
            let rec = records[i]
            guard rec.cmd == cmdHex, rec.abi == abi.rawValue else {
                if firstMismatch == nil { firstMismatch = (i, "ioctl \(rec.ioctl ?? "?") \(rec.cmd ?? "?") \(rec.abi ?? "") expected") }
                continue
            }
            var matcher = RequestMatcher(record: rec, argument: argument, abi: abi, command: command)
            matcher.substitutions = substitutions
            matcher.retriesRounds = request.retriesRounds
            let verdict: RequestMatcher.Verdict
            if request.retriesRounds {
                var trial = asCalled
                verdict = matcher.run(&trial)
                if case .mismatch = verdict {} else { memory = trial }
            } else {
                verdict = matcher.run(&memory)
            }
            switch verdict {
            case let .matched(result):
                substitutions = matcher.substitutions
                consume(i, file: file)
                switch result {
                case let .value(r): return r
                case let .needsRound(e): throw e
                }
            case let .mismatch(why, structArgs):
                if let structArgs { received = structArgs }
                if firstMismatch == nil { firstMismatch = (i, why) }
            case let .retry(round):
                // Not consumed: the transport's next call of this request comes back to the
                // recording, unless the kernel fails the round (settled at the caller's next request).
                pending[key] = Pending(file: file, request: request, memory: asCalled.kept(), candidate: i)
                throw round
            }
        }
        diverge(expected: firstMismatch?.0 ?? candidates.first, received: received,
                difference: firstMismatch?.1 ?? "no recorded request left to match", caller: caller)
        return .error(.EIO)
    }

    // MARK: matching

    /// The recorded requests that may answer the next request of `file`.
    private func candidateIndices(_ file: OpenFileID, _ ok: (TraceRecord) -> Bool) -> [Int] {
        switch mode {
        case .keyed:
            return streams.values.joined().sorted().filter { !used.contains($0) && ok(records[$0]) }
        case .strict:
            if let rf = binding[file] {
                guard let p = streams[rf], let n = position[rf], n < p.count else { return [] }
                return [p[n]]
            }
            // Unbound: the first request of every unbound recorded file, earliest opened first.
            return openOrder.compactMap { rf in
                guard !bound.contains(rf), let p = streams[rf], (position[rf] ?? 0) == 0, let first = p.first else { return nil }
                return first
            }
        }
    }

    private func consume(_ i: Int, file: OpenFileID) {
        used.insert(i)
        let rf = records[i].file
        if mode == .strict, binding[file] == nil {
            binding[file] = rf
            bound.insert(rf)
        } else if mode == .keyed, binding[file] == nil, !bound.contains(rf) {
            binding[file] = rf
            bound.insert(rf)
        }
        position[rf, default: 0] += 1
        if let q = records[i].queued {
            queued = [:]
            for pair in q where pair.count == 2 { queued[pair[0]] = pair[1] }
        }
    }

    private func diverge(expected: Int?, received: String, difference: String, caller: Int32?, notify: Bool = true) {
        guard divergence == nil else { return }
        let d = Divergence(expected: expected.map { Self.describe(records[$0]) } ?? "nothing (the recording has no request here)",
                           received: received, difference: difference)
        divergence = d
        if notify { onDivergence(d, caller) }
    }

    // MARK: requests the kernel ended

    /// Whose a pending request is: the caller's (through CUSE a thread, whose requests come one
    /// after another) on one open file.
    private struct PendingKey: Hashable {
        let caller: Int32?
        let file: OpenFileID
        init(_ caller: Int32?, _ file: OpenFileID) { self.caller = caller; self.file = file }
    }

    /// A request whose last call asked for a retry round: the call's memory as it came, kept past
    /// the call (to run the recording's candidates on again), and the record that asked for the round.
    private struct Pending {
        let file: OpenFileID
        let request: IoctlRequest
        let memory: any UserMemory
        let candidate: Int
        /// Whether `next` is the same request's next call (the kernel made the retry).
        func continued(by next: IoctlRequest) -> Bool {
            next.file == file && next.command == request.command && next.argument == request.argument && next.abi == request.abi
        }
    }

    private func settlePending(_ key: PendingKey, caller: Int32?) {
        if divergence == nil, let p = pending.removeValue(forKey: key) { settle(p, caller: caller) }
    }

    /// The kernel failed the retry `p` asked for: the client got EFAULT and the request is over.
    /// It matches the recorded request, among the file's candidates, whose own kernel failed the
    /// same round (the recording's client passed a bad pointer there too): that one is consumed.
    /// Else the client departed: a range the recording's client gave faults now.
    private func settle(_ p: Pending, caller: Int32?, notify: Bool = true) {
        let r = p.request
        let cmdHex = hex(r.command, width: 8)
        var received = "\(IoctlCommand.decode(r.command, abi: r.abi)?.name ?? "unknown")[\(cmdHex) \(r.abi.rawValue)](\(hex(r.argument)))"
        var mismatches: [(Int, String)] = []
        for i in candidateIndices(p.file, { $0.op == "ioctl" }) {
            let rec = records[i]
            guard rec.cmd == cmdHex, rec.abi == r.abi.rawValue else { continue }
            var matcher = RequestMatcher(record: rec, argument: r.argument, abi: r.abi, command: r.command)
            matcher.substitutions = substitutions
            matcher.retriesRounds = true
            matcher.kernelFailedRetry = true
            var memory = p.memory
            switch matcher.run(&memory) {
            case .matched:
                substitutions = matcher.substitutions
                consume(i, file: p.file)
                return
            case let .mismatch(why, structArgs):
                if let structArgs { received = structArgs }
                mismatches.append((i, why))
            case .retry:
                continue
            }
        }
        let why = mismatches.first { $0.0 == p.candidate } ?? mismatches.first
        diverge(expected: why?.0 ?? p.candidate, received: received + " → -1 EFAULT (the kernel failed its retry)",
                difference: why?.1 ?? "the kernel failed a retry with EFAULT; no recorded request ended so", caller: caller, notify: notify)
    }

    static func describe(_ r: TraceRecord) -> String {
        TraceShow.line(r, start: r.time)
    }
}
