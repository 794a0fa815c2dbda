import I2OFormats
import IOPModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Receives one record per request the engine answered (open, release, ioctl, read, write).
/// Called on the requesting thread after the request, outside the engine's lock.
public protocol EngineTracer: Sendable {
    func record(_ record: TraceRecord)
}

/// Per-thread context of a request being traced.
public enum TraceContext {
    /// The calling process, when the transport knows it (set around the call).
    @TaskLocal public static var callerPID: Int32?
    /// Collects the frames posted while a traced request runs.
    @TaskLocal static var frames: FrameCollector?

    /// Runs `body` with `callerPID` set to `pid`.
    public static func withCallerPID<R, E: Error>(_ pid: Int32?, _ body: () throws(E) -> R) throws(E) -> R {
        var out: Result<R, E>?
        $callerPID.withValue(pid) { out = Result { () throws(E) -> R in try body() } }
        // `withValue` ran the closure exactly once.
        switch out {
        case let .success(r)?: return r
        case let .failure(e)?: throw e
        case nil: return try body()
        }
    }

    static func withFrames<R, E: Error>(_ c: FrameCollector, _ body: () throws(E) -> R) throws(E) -> R {
        FrameCollector.active.add(1, ordering: .relaxed)
        defer { FrameCollector.active.subtract(1, ordering: .relaxed) }
        var out: Result<R, E>?
        $frames.withValue(c) { out = Result { () throws(E) -> R in try body() } }
        switch out {
        case let .success(r)?: return r
        case let .failure(e)?: throw e
        case nil: return try body()
        }
    }

    static func now() -> (time: Double, mono: UInt64) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var m = timespec()
        clock_gettime(CLOCK_MONOTONIC, &m)
        return (Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, UInt64(m.tv_sec) * 1_000_000_000 + UInt64(m.tv_nsec))
    }

    static func micros(since start: UInt64) -> Int {
        var m = timespec()
        clock_gettime(CLOCK_MONOTONIC, &m)
        let end = UInt64(m.tv_sec) * 1_000_000_000 + UInt64(m.tv_nsec)
        return Int((end &- start) / 1000)
    }
}

/// The frames posted during one traced request.
final class FrameCollector: Sendable {
    let frames = Mutex<[TraceFrame]>([])
    let injected = Mutex<[String]>([])
    /// Traced requests running now, in any engine: while there are none, nobody collects, and
    /// posting a frame need not look for a collector (a task-local read on every request).
    static let active = Atomic<Int>(0)
    /// A fault rule fired while the traced request ran.
    static func noteFault(_ description: String) {
        guard active.load(ordering: .relaxed) > 0 else { return }
        TraceContext.frames?.injected.withLock { $0.append(description) }
    }
    func add(unit: IOPUnit, request: MessageFrame, reply: MessageFrame?) {
        frames.withLock { $0.append(TraceFrame(iop: unit.rawValue, request: request, reply: reply)) }
    }
    static func note(unit: IOPUnit, request: MessageFrame, reply: MessageFrame?) {
        guard active.load(ordering: .relaxed) > 0 else { return }
        TraceContext.frames?.add(unit: unit, request: request, reply: reply)
    }
}

/// A `UserMemory` that records every fetch round and store of the memory it wraps.
public struct TracingMemory<Base: UserMemory>: UserMemory {
    public var base: Base
    public private(set) var rounds: [TraceRound] = []
    public private(set) var stores: [TraceStore] = []

    public init(_ base: Base) { self.base = base }

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

/// Holds the engine's tracer.
final class TracerSlot: Sendable {
    let tracer = Mutex<(any EngineTracer)?>(nil)
    /// Whether `tracer` is set: every request asks, and most engines never trace.
    let isSet = Atomic<Bool>(false)
}

extension Engine {
    /// The tracer receiving a record per request; nil (the default) traces nothing.
    public var tracer: (any EngineTracer)? {
        get { tracerSlot.isSet.load(ordering: .acquiring) ? tracerSlot.tracer.withLock { $0 } : nil }
        set {
            tracerSlot.tracer.withLock { t in
                t = newValue
                tracerSlot.isSet.store(newValue != nil, ordering: .releasing)
            }
        }
    }

    /// Whether a tracer is set (cheaper than `tracer != nil`: no lock).
    public var isTracing: Bool { tracerSlot.isSet.load(ordering: .acquiring) }

    /// `ioctl` with the record made when a tracer is set.
    func tracedIoctl(_ tracer: any EngineTracer, _ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                     memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let start = TraceContext.now()
        var rec = TraceRecord(time: start.time, pid: TraceContext.callerPID, file: file.rawValue, op: "ioctl")
        let cmd = IoctlCommand.decode(command, abi: abi)
        rec.ioctl = cmd?.name ?? "unknown"
        rec.cmd = hex(command, width: 8)
        rec.abi = abi.rawValue
        rec.arg = hex(argument)
        var traced = TracingMemory(memory)
        let collector = FrameCollector()
        defer { memory = traced.base }
        var thrown: NeedsRound?
        do {
            let result: IoctlResult = try TraceContext.withFrames(collector) { () throws(NeedsRound) -> IoctlResult in
                if cmd == nil, state.withLock({ $0.files[file] != nil }) {
                    // Unknown ioctl: its raw argument bytes are traced (_IOC_SIZE of them when the
                    // number says the caller passes data), then the engine refuses it as always.
                    let size = Int(command >> 16 & 0x3FFF)
                    if command >> 30 & 1 != 0, size > 0 {
                        _ = try traced.fetch(reads: [UserRange(address: argument, count: min(size, 4096))], writes: [])
                    }
                }
                return try dispatch(file, command: command, argument: argument, abi: abi, memory: &traced)
            }
            rec.setResult(result)
        } catch {
            rec.needsRound = true
            thrown = error
        }
        if let cmd, let first = traced.rounds.first?.reads.first, first.address == argument,
           let bytes = first.bytes.flatMap(traceBytes) {
            rec.args = TraceArgs.decode(cmd, bytes)
        } else if cmd?.kind == .validate {
            rec.args = [TraceField("iop", "\(UInt32(truncatingIfNeeded: argument))")]
        }
        rec.rounds = traced.rounds
        rec.stores = traced.stores
        rec.frames = collector.frames.withLock { $0 }
        let entryNote = FaultScope.current?.entryNote.withLock { $0 }
        let injected = (entryNote.map { [$0] } ?? []) + collector.injected.withLock { $0 }
        if !injected.isEmpty { rec.injected = injected }
        rec.micros = TraceContext.micros(since: start.mono)
        rec.queued = queuedCounts()
        tracer.record(rec)
        if let thrown { throw thrown }
        return rec.ioctlResult ?? .error(.EIO)
    }

    func traceSimple(_ op: String, file: OpenFileID, start: (time: Double, mono: UInt64),
                     _ fill: (inout TraceRecord) -> Void) {
        guard let tracer else { return }
        var rec = TraceRecord(time: start.time, pid: TraceContext.callerPID, file: file.rawValue, op: op)
        fill(&rec)
        rec.micros = TraceContext.micros(since: start.mono)
        if op == "read" || op == "write" { rec.queued = queuedCounts() }
        tracer.record(rec)
    }
}

extension Engine {
    /// Open files with events queued: [file, count] pairs, by file.
    func queuedCounts() -> [[UInt64]] {
        state.withLock { s in
            s.files.filter { !$0.value.queue.isEmpty }.map { [$0.key.rawValue, UInt64($0.value.queue.count)] }
                .sorted { $0[0] < $1[0] }
        }
    }
}

/// Decodes an ioctl's argument struct by field.
public enum TraceArgs {
    /// Byte offsets of the pointer fields of `cmd`'s struct, and the pointer width.
    public static func pointerFields(_ cmd: IoctlCommand) -> (offsets: [Int], width: Int) {
        let lp = cmd.abi == .lp64
        switch cmd.kind {
        case .hrtGet, .lctGet: return (lp ? [8, 16] : [4, 8], cmd.abi.pointerSize)
        case .parmGet, .parmSet: return (lp ? [8, 24, 32] : [8, 16, 20], cmd.abi.pointerSize)
        case .swDownload, .swUpload, .swDelete: return (lp ? [16, 24, 32, 40] : [12, 16, 20, 24], cmd.abi.pointerSize)
        case .html: return (lp ? [16, 24, 32] : [12, 16, 20], cmd.abi.pointerSize)
        case .passthru: return (lp ? [8] : [4], cmd.abi.pointerSize)
        case .passthru32: return ([4], 4)
        default: return ([], cmd.abi.pointerSize)
        }
    }

    public static func decode(_ cmd: IoctlCommand, _ b: [UInt8]) -> [TraceField] {
        let abi = cmd.abi
        switch cmd.kind {
        case .getIOPs:
            return [TraceField("iops", traceHex(b))]
        case .hrtGet, .lctGet:
            let s = Layouts.HrtLct(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen))]
        case .parmGet, .parmSet:
            let s = Layouts.PsetGet(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("tid", hex(s.tid)), TraceField("opbuf", hex(s.opbuf)),
                    TraceField("oplen", "\(s.oplen)"), TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen))]
        case .swDownload, .swUpload, .swDelete:
            let s = Layouts.SwXfer(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("flags", hex(s.flags)), TraceField("sw_type", hex(s.swType)),
                    TraceField("sw_id", hex(s.swID)), TraceField("buf", hex(s.buf)), TraceField("swlen", hex(s.swlen)),
                    TraceField("maxfrag", hex(s.maxfrag)), TraceField("curfrag", hex(s.curfrag))]
        case .html:
            let s = Layouts.HTML(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("tid", hex(s.tid)), TraceField("page", "\(s.page)"),
                    TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen)), TraceField("qbuf", hex(s.qbuf)),
                    TraceField("qlen", "\(s.qlen)")]
        case .eventRegister:
            guard b.count >= 12 else { return [] }
            return [TraceField("iop", "\(b.readLE32(at: 0))"), TraceField("tid", hex(b.readLE32(at: 4))),
                    TraceField("evt_mask", hex(b.readLE32(at: 8), width: 8))]
        case .eventGet, .validate:
            return []
        case .passthru, .passthru32:
            let s = Layouts.Passthru(b, kind: cmd.kind, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("msg", hex(s.msg))]
        }
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
