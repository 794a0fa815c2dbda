import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Posix
import Synchronization

/// Receives one record per request a node answered (open, release, ioctl, read, write).
/// Called on the requesting thread after the request (an ioctl: after each of its calls).
public protocol EngineTracer: Sendable {
    func record(_ record: TraceRecord)
}

/// Request tracing in the pipeline: the outermost interceptor, so it sees every call of every
/// request as the caller does (entry faults included), and a frame interceptor next to the model,
/// so it sees the frames the model was given. Inactive until a tracer is set.
public final class Tracing: IoctlInterceptor, FrameInterceptor {
    private let sink = Mutex<(any EngineTracer)?>(nil)
    private let isSet = Atomic<Bool>(false)
    /// Where the open files' queued events are counted (each record says them).
    private let queue = Mutex<(@Sendable () -> [[UInt64]])?>(nil)

    public init() {}

    /// The tracer receiving the records; nil traces nothing.
    public var tracer: (any EngineTracer)? {
        get { sink.withLock { $0 } }
        set {
            sink.withLock { t in
                t = newValue
                isSet.store(newValue != nil, ordering: .releasing)
            }
        }
    }

    /// Counts `engine`'s queued events in each record. The engine holds this interceptor: it is
    /// held `unowned` here (a weak reference would give the engine a side table, and every
    /// retain of it on every request would take the slow path).
    public func countQueuedEvents(of engine: Engine) {
        queue.withLock { $0 = { [unowned engine] in engine.queuedEventCounts.map { [$0.file.rawValue, UInt64($0.count)] } } }
    }

    // MARK: IoctlInterceptor

    public var isActive: Bool { isSet.load(ordering: .acquiring) }
    public var needsScope: Bool { true }
    public var seesRounds: Bool { true }

    /// One call's trace state, in the request's scope.
    private enum CallKey: RequestScopeKey { typealias Value = Call }
    private struct Call: Sendable {
        let time: Double
        let start: ContinuousClock.Instant
        var frames: [TraceFrame] = []
    }

    public func callBegins(_ request: RequestContext) {
        guard let scope = request.scope else { return }
        scope.memoryLog = MemoryLog()
        scope[CallKey.self] = Call(time: Self.wallClock(), start: .now)
    }

    public func callNeedsRound(_ request: RequestContext, _ round: NeedsRound) {
        guard let tracer, var rec = record(request) else { return }
        rec.needsRound = true
        tracer.record(rec)
    }

    public func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult {
        guard let tracer, var rec = record(request) else { return result }
        rec.setResult(result)
        tracer.record(rec)
        return result
    }

    /// The record of the call that just ended, all but its outcome.
    private func record(_ request: RequestContext) -> TraceRecord? {
        guard let scope = request.scope, let call = scope[CallKey.self] else { return nil }
        let r = request.request
        var rec = TraceRecord(time: call.time, pid: r.caller, file: r.file.rawValue, op: "ioctl")
        rec.ioctl = request.command?.name ?? "unknown"
        rec.cmd = hex(r.command, width: 8)
        rec.abi = r.abi.rawValue
        rec.arg = hex(r.argument)
        var rounds: [TraceRound] = [], stores: [TraceStore] = []
        for e in scope.memoryLog?.events ?? [] {
            switch e {
            case let .fetch(reads, writes, needsRound):
                rounds.append(TraceRound(
                    reads: reads.map { range, bytes in
                        needsRound ? TraceRange(addr: hex(range.address), count: range.count)
                            : TraceRange(addr: hex(range.address), count: range.count, bytes: bytes.map(traceHex),
                                         fault: bytes == nil ? true : nil)
                    },
                    writes: writes.map { TraceRange(addr: hex($0.address), count: $0.count) },
                    needsRound: needsRound ? true : nil))
            case let .store(address, bytes, ok):
                stores.append(TraceStore(addr: hex(address), bytes: traceHex(bytes), ok: ok))
            }
        }
        if let cmd = request.command, let first = rounds.first?.reads.first, first.address == r.argument,
           let bytes = first.bytes.flatMap(traceBytes) {
            rec.args = TraceArgs.decode(cmd, bytes)
        } else if request.kind == .validate {
            rec.args = [TraceField("iop", "\(UInt32(truncatingIfNeeded: r.argument))")]
        }
        rec.rounds = rounds
        rec.stores = stores
        rec.frames = call.frames
        let notes = scope.notes
        if !notes.isEmpty { rec.injected = notes }
        rec.micros = Self.micros(since: call.start)
        rec.queued = queued()
        return rec
    }

    public func observe(_ operation: NodeOperation) {
        guard let tracer else { return }
        let time = Self.wallClock()
        var rec: TraceRecord
        switch operation {
        case let .open(file, caller, start):
            rec = TraceRecord(time: time - Self.seconds(since: start), pid: caller, file: file.rawValue, op: "open")
            rec.micros = Self.micros(since: start)
        case let .release(file, caller, start):
            rec = TraceRecord(time: time - Self.seconds(since: start), pid: caller, file: file.rawValue, op: "release")
            rec.micros = Self.micros(since: start)
        case let .read(file, capacity, result, caller, start):
            rec = TraceRecord(time: time - Self.seconds(since: start), pid: caller, file: file.rawValue, op: "read")
            rec.traceRead(capacity: capacity, result)
            rec.micros = Self.micros(since: start)
            rec.queued = queued()
        case let .write(file, count, result, caller, start):
            rec = TraceRecord(time: time - Self.seconds(since: start), pid: caller, file: file.rawValue, op: "write")
            rec.count = count
            rec.setResult(result)
            rec.micros = Self.micros(since: start)
            rec.queued = queued()
        }
        tracer.record(rec)
    }

    // MARK: FrameInterceptor

    public func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
                     next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        let reply = next(frame)
        if let request, var call = request[CallKey.self] {
            call.frames.append(TraceFrame(iop: unit.rawValue, request: frame, reply: reply))
            request[CallKey.self] = call
        }
        return reply
    }

    // MARK: Clocks

    private func queued() -> [[UInt64]] { queue.withLock { $0 }?() ?? [] }

    /// Seconds since the Unix epoch.
    static func wallClock() -> Double { SystemClock.realtimeSeconds() }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now).components
        return Double(d.seconds) + Double(d.attoseconds) / 1e18
    }

    static func micros(since start: ContinuousClock.Instant) -> Int {
        let d = start.duration(to: .now).components
        return Int(d.seconds) * 1_000_000 + Int(d.attoseconds / 1_000_000_000_000)
    }
}

/// A `UserMemory` that records every fetch round and store of the memory it wraps (for nodes
/// that trace themselves, such as the pass-through).
public struct TracingMemory<Base: UserMemory>: UserMemory {
    public var base: Base
    public private(set) var rounds: [TraceRound] = []
    public private(set) var stores: [TraceStore] = []

    public init(_ base: Base) { self.base = base }

    public func kept() -> Self {
        var m = self
        m.base = base.kept()
        return m
    }

    public mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        let w = writes.map { TraceRange(addr: hex($0.address), count: $0.count) }
        do {
            let got = try base.fetch(reads: reads, writes: writes)
            var r: [TraceRange] = []
            for (i, range) in reads.enumerated() {
                let b = i < got.count ? got[i] : nil
                r.append(TraceRange(addr: hex(range.address), count: range.count, bytes: b.map(traceHex),
                                    fault: b == nil ? true : nil))
            }
            rounds.append(TraceRound(reads: r, writes: w))
            return got
        } catch {
            rounds.append(TraceRound(reads: reads.map { TraceRange(addr: hex($0.address), count: $0.count) }, writes: w,
                                     needsRound: true))
            throw error
        }
    }

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        let ok = base.store(bytes, at: address)
        stores.append(TraceStore(addr: hex(address), bytes: traceHex(bytes), ok: ok))
        return ok
    }
}

extension TraceRecord {
    mutating func traceRead(capacity: Int, _ r: ReadResult) {
        count = capacity
        switch r {
        case let .data(d): data = traceHex(d); result = Int32(d.count)
        case .wouldBlock: result = -1; errno = Errno.EAGAIN.description; errnoValue = Errno.EAGAIN.rawValue
        case let .error(e): setResult(.error(e))
        }
    }

    /// The read's outcome as a `ReadResult` (EAGAIN = would block), nil when not a read.
    public var readResult: ReadResult? {
        guard op == "read" else { return nil }
        if let errnoValue, result == -1 {
            return errnoValue == Errno.EAGAIN.rawValue ? .wouldBlock : .error(Errno(rawValue: errnoValue))
        }
        return .data(data.flatMap(traceBytes) ?? [])
    }
}
