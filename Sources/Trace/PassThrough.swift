import I2OABI
import I2ODevice
import Foundation
import I2OFormats
import IoctlEngine
import Posix
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `i2osim run --record-from DEVICE`: a `ControlNode` that passes every request of the
/// client to a real control device node and traces it.
///
/// The daemon opens DEVICE itself (one descriptor per open file of the client) and performs
/// each ioctl on it with a mirror of the client's memory: the struct and every input buffer it
/// points to are fetched from the client (the same rounds the engine makes), copied into the
/// daemon's memory (below 4 GiB, for PASSTHRU's 32-bit SGL addresses), the pointers rewritten,
/// the real ioctl made, and the bytes the driver produced (by each ioctl's contract: *reslen
/// bytes of resbuf, the EVTGET record, the reply frame …) stored back into the client. A
/// client range that faults is mirrored by an inaccessible page, so the driver gives EFAULT as
/// it would have. 64-bit clients only (the daemon cannot make a 32-bit process's ioctls).
public final class PassThroughBackend: ControlNode, @unchecked Sendable {
    let device: String
    let tracer: (any EngineTracer)?
    /// Told when a real descriptor becomes readable (the transport wakes its pollers).
    let observer: (any NodeObserver)?
    private let lock = NSLock()
    /// Each open file's descriptor; nil when the device could not be opened for it.
    private var fds: [OpenFileID: FileDescriptor?] = [:]
    private var next: UInt64 = 1
    private var running = true

    public init(device: String, tracer: (any EngineTracer)?, observer: (any NodeObserver)?) throws(TraceError) {
        do { try FileDescriptor.open(device, .readWrite, options: .closeOnExec).closeIgnoringErrors() } catch {
            throw TraceError(SystemError(path: device, errno: error).description)
        }
        self.device = device
        self.tracer = tracer
        self.observer = observer
        DetachedThread.start(name: "passthru-poll") { [self] in pollLoop() }
    }

    public func stop() { lock.withLock { running = false } }

    /// Wakes WATCH connections when a real descriptor becomes readable (events queued).
    private func pollLoop() {
        while true {
            let (go, files) = lock.withLock { (running, fds) }
            guard go else { return }
            for (file, fd) in files where fd?.hasInput() == true { observer?.eventQueued(for: file) }
            SystemClock.sleep(microseconds: 20_000)
        }
    }

    private func fd(_ file: OpenFileID) -> FileDescriptor? { lock.withLock { fds[file] ?? nil } }

    private func queued() -> [[UInt64]] {
        lock.withLock { fds }.compactMap { file, fd in fd?.hasInput() == true ? [file.rawValue, 1] : nil }.sorted { $0[0] < $1[0] }
    }

    private func trace(_ op: String, _ file: OpenFileID, caller: Int32?, start: (Double, UInt64),
                       _ fill: (inout TraceRecord) -> Void) {
        guard let tracer else { return }
        var r = TraceRecord(time: start.0, pid: caller, file: file.rawValue, op: op)
        fill(&r)
        r.micros = Int((Self.mono() &- start.1) / 1000)
        tracer.record(r)
    }

    static func mono() -> UInt64 { SystemClock.monotonicNanoseconds() }
    static func now() -> (Double, UInt64) { (SystemClock.realtimeSeconds(), mono()) }

    // MARK: ControlNode

    public func open(by caller: Int32?) -> OpenFileID {
        let start = Self.now()
        let fd = try? FileDescriptor.open(device, .readWrite, options: [.closeOnExec, .nonBlocking])
        let id = lock.withLock { () -> OpenFileID in
            let id = OpenFileID(rawValue: next); next += 1
            fds[id] = fd
            return id
        }
        trace("open", id, caller: caller, start: start) { _ in }
        return id
    }

    public func release(_ file: OpenFileID, by caller: Int32?) {
        let start = Self.now()
        if let fd = lock.withLock({ fds.removeValue(forKey: file) }) ?? nil { fd.closeIgnoringErrors() }
        trace("release", file, caller: caller, start: start) { _ in }
    }

    public func isReadable(_ file: OpenFileID) -> Bool {
        fd(file)?.hasInput() ?? false
    }

    public func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult {
        let start = Self.now()
        var buf = [UInt8](repeating: 0, count: max(0, min(capacity, 1 << 20)))
        let n = buf.withUnsafeMutableBytes { raw in onDescriptor(file) { fd throws(SystemPackage.Errno) in try fd.readSome(into: raw, retryOnInterrupt: false) } }
        let r: ReadResult
        switch n {
        case let .success(n): r = .data(Array(buf.prefix(n)))
        case let .failure(e): r = e == .resourceTemporarilyUnavailable ? .wouldBlock : .error(Errno(rawValue: e.rawValue))
        }
        trace("read", file, caller: caller, start: start) { rec in
            rec.traceRead(capacity: capacity, r)
            rec.queued = queued()
        }
        return r
    }

    /// `body` on the real node's descriptor of `file` (EBADF when it has none), as a `Result`.
    private func onDescriptor(_ file: OpenFileID, _ body: (FileDescriptor) throws(SystemPackage.Errno) -> Int)
        -> Result<Int, SystemPackage.Errno> {
        Result { () throws(SystemPackage.Errno) in
            guard let fd = fd(file) else { throw .badFileDescriptor }
            return try body(fd)
        }
    }

    public func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult {
        let start = Self.now()
        let buf = [UInt8](repeating: 0, count: max(0, min(count, 1 << 20)))
        let n = buf.withUnsafeBytes { raw in onDescriptor(file) { fd throws(SystemPackage.Errno) in try fd.writeSome(raw, retryOnInterrupt: false) } }
        let r: IoctlResult
        switch n {
        case let .success(n): r = .value(Int32(n))
        case let .failure(e): r = .error(Errno(rawValue: e.rawValue))
        }
        trace("write", file, caller: caller, start: start) { rec in
            rec.count = count
            switch r {
            case let .value(v): rec.result = v
            case let .error(e): rec.result = -1; rec.errno = e.description; rec.errnoValue = e.rawValue
            }
            rec.queued = queued()
        }
        return r
    }

    public func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let (file, command, argument, abi, caller) = (request.file, request.command, request.argument, request.abi, request.caller)
        let start = Self.now()
        var traced = TracingMemory(memory)
        defer { memory = traced.base }
        let cmd = IoctlCommand.decode(command, abi: abi)
        var thrown: NeedsRound?
        var result: IoctlResult = .error(.EINVAL)
        do {
            result = try perform(fd(file), command: command, cmd: cmd, argument: argument, abi: abi,
                                 probesInputs: request.retriesRounds, memory: &traced)
        } catch {
            thrown = error
        }
        trace("ioctl", file, caller: caller, start: start) { rec in
            rec.ioctl = cmd?.name ?? "unknown"
            rec.cmd = hex(command, width: 8)
            rec.abi = abi.rawValue
            rec.arg = hex(argument)
            if let cmd, let b = traced.rounds.first?.reads.first?.bytes.flatMap(traceBytes) { rec.args = TraceArgs.decode(cmd, b) }
            rec.rounds = traced.rounds
            rec.stores = traced.stores
            rec.frames = []
            if thrown != nil { rec.needsRound = true } else {
                switch result {
                case let .value(v): rec.result = v
                case let .error(e): rec.result = -1; rec.errno = e.description; rec.errnoValue = e.rawValue
                }
            }
            rec.queued = queued()
        }
        if let thrown { throw thrown }
        return result
    }

    // MARK: the mirror

    /// A client range mirrored in the daemon's memory.
    struct Region {
        var client: UInt64
        var count: Int
        var local: UInt64
        var original: [UInt8]?
    }

    /// - Parameter probesInputs: the client's transport fails a whole call when one of its ranges
    ///   faults (CUSE): an input buffer (PARMGET/PARMSET's `opbuf`, HTML's `qbuf`) is then fetched
    ///   only once the driver has shown it reads it — the request is first made with the buffer on
    ///   an inaccessible page, and only an EFAULT from it (the driver reached the buffer, changing
    ///   nothing) makes the daemon fetch it and make the request for real. So the driver's own
    ///   checks before the copy (IOP, TID, sizes) answer as they would for the client itself.
    func perform<M: UserMemory>(_ fd: FileDescriptor?, command: UInt32, cmd: IoctlCommand?, argument: UInt64, abi: CallerABI,
                                probesInputs: Bool = false, memory: inout M) throws(NeedsRound) -> IoctlResult {
        guard let fd else { return .error(.ENODEV) }
        guard let cmd else {
            // Unknown ioctl: the raw bytes are traced, and the real driver gets a copy of them
            // (its number as it is).
            let size = Int(command >> 16 & 0x3FFF)
            guard size > 0, argument > 0xFFFF else { return Self.call(fd, command, argument) }
            var bytes: [UInt8]? = [UInt8](repeating: 0, count: size)
            if command >> 30 & 1 != 0 {
                bytes = try memory.fetch(reads: [UserRange(address: argument, count: min(size, 4096))], writes: []).first ?? nil
            }
            let copy = KernelControlDevice.Arena()
            guard let b = bytes, let p = copy.bytes(b, extra: size) else { return Self.call(fd, command, Self.faultPage) }
            return Self.call(fd, command, KernelControlDevice.addr(p))
        }
        guard abi == .lp64 else { return .error(.EINVAL) }   // documented: 64-bit clients only
        let arena = KernelControlDevice.Arena()
        func local(_ bytes: [UInt8]?, _ count: Int) -> UInt64 {
            guard let bytes, let p = arena.bytes(bytes, extra: max(0, count - bytes.count)) else { return Self.faultPage }
            return KernelControlDevice.addr(p)
        }
        if cmd.kind == .validate { return Self.call(fd, command, argument) }
        let size = cmd.structSize
        // Round 1: the struct (EVTGET/GETIOPS: output only).
        let outputOnly = cmd.kind == .eventGet || cmd.kind == .getIOPs
        let structRange = UserRange(address: argument, count: size)
        let got1 = try memory.fetch(reads: outputOnly ? [] : [structRange], writes: outputOnly ? [structRange] : [])
        let raw: [UInt8]
        if outputOnly { raw = [UInt8](repeating: 0, count: size) } else {
            guard let b = got1.first ?? nil else { return Self.call(fd, command, Self.faultPage) }
            raw = b
        }
        var s = raw
        func ptr(_ o: Int) -> UInt64 { s.readLE64(at: o) }
        func setPtr(_ o: Int, _ v: UInt64) { var b = [UInt8](); b.appendLE64(v); s.replaceSubrange(o..<o + 8, with: b) }
        func u32(_ b: [UInt8]?) -> UInt32? { b.flatMap { $0.count >= 4 ? $0.readLE32(at: 0) : nil } }

        // (client range, read it?, store back: how many bytes after the call)
        var inOut: [(at: Int, range: UserRange)] = []   // u32 in/out fields, diff-stored
        var outputs: [(range: UserRange, local: UInt64, length: () -> Int)] = []
        var structLocal = UInt64(0)
        let result: IoctlResult
        switch cmd.kind {
        case .getIOPs, .eventGet:
            let p = local([], size)
            structLocal = p
            result = Self.call(fd, command, p)
            if case .value = result {
                _ = memory.store(KernelControlDevice.read(UnsafeMutableRawPointer(bitPattern: UInt(p))!, size), at: argument)
            }
            return result
        case .eventRegister:
            return Self.call(fd, command, local(raw, size))
        case .hrtGet, .lctGet, .parmGet, .parmSet, .html:
            let isParams = cmd.kind == .parmGet || cmd.kind == .parmSet
            let isHTML = cmd.kind == .html
            let (resO, lenO) = isParams ? (24, 32) : isHTML ? (16, 24) : (8, 16)
            let resbuf = ptr(resO), reslen = ptr(lenO)
            var reads = [UserRange.init(address: reslen, count: 4)]
            var inputO: (ptr: Int, len: Int)?
            if isParams { inputO = (8, Int(s.readLE32(at: 16))) }
            if isHTML { inputO = (32, Int(s.readLE32(at: 40))) }
            var input: (ptr: Int, range: UserRange)?
            if let i = inputO, i.len > 0, i.len <= 1 << 20 { input = (i.ptr, UserRange(address: ptr(i.ptr), count: i.len)) }
            let probe = probesInputs && input != nil
            if let input, !probe { reads.append(input.range) }
            // Round 2a: *reslen and (unless probed) the input buffer.
            let got = try memory.fetch(reads: reads, writes: [UserRange(address: reslen, count: 4)])
            let capacity = Int(min(u32(got.first ?? nil) ?? 0, 1 << 20))
            let lenLocal = local(got.first ?? nil, 4)
            setPtr(lenO, lenLocal)
            inOut.append((0, UserRange(address: reslen, count: 4)))
            if let input { setPtr(input.ptr, probe ? Self.faultPage : local(got[1], input.range.count)) }
            if resbuf != 0 {
                // Round 2b: the result buffer, as a write reservation of *reslen bytes.
                _ = try memory.fetch(reads: [], writes: capacity > 0 ? [UserRange(address: resbuf, count: capacity)] : [])
                let l = local([], max(capacity, 65536))   // i2osim reserves 64 KiB for UtilParamsGet results
                setPtr(resO, l)
                outputs.append((UserRange(address: resbuf, count: capacity), l,
                                { Int(KernelControlDevice.get32(UnsafeMutableRawPointer(bitPattern: UInt(lenLocal))!)) }))
            }
            structLocal = local(s, size)
            var answer = Self.call(fd, command, structLocal)
            if probe, let input, answer == .error(.EFAULT) {
                // The driver reached the input buffer (and changed nothing): now it is fetched.
                let g = try memory.fetch(reads: [input.range], writes: [])
                setPtr(input.ptr, local(g.first ?? nil, input.range.count))
                structLocal = local(s, size)
                answer = Self.call(fd, command, structLocal)
            }
            return finish(answer, inOut: [(lenLocal, UserRange(address: reslen, count: 4), got.first ?? nil)], outputs: outputs,
                          memory: &memory)
        case .swDownload, .swUpload, .swDelete:
            let buf = ptr(16)
            let fields = [ptr(24), ptr(32), ptr(40)]   // swlen, maxfrag, curfrag
            let used = cmd.kind == .swDelete ? Array(fields.prefix(1)) : fields
            let got = try memory.fetch(reads: used.map { UserRange(address: $0, count: 4) }, writes: used.map { UserRange(address: $0, count: 4) })
            var mirrors: [(UInt64, UserRange, [UInt8]?)] = []
            for (i, a) in used.enumerated() {
                let l = local(got[i], 4)
                setPtr(24 + 8 * i, l)
                mirrors.append((l, UserRange(address: a, count: 4), got[i]))
            }
            if cmd.kind != .swDelete, buf != 0 {
                let swlen = Int(u32(got[0]) ?? 0), maxfrag = Int(u32(got[1]) ?? 0), curfrag = Int(u32(got[2]) ?? 0)
                if cmd.kind == .swDownload {
                    let n = curfrag == maxfrag ? swlen - (maxfrag - 1) * 8192 : 8192
                    let count = max(0, min(8192, n))
                    let g = try memory.fetch(reads: [UserRange(address: buf, count: count)], writes: [])
                    setPtr(16, local(g.first ?? nil, count))
                } else {
                    _ = try memory.fetch(reads: [], writes: [UserRange(address: buf, count: 8192)])
                    let l = local([], 8192)
                    setPtr(16, l)
                    let swlenLocal = mirrors[0].0
                    outputs.append((UserRange(address: buf, count: 8192), l, {
                        let size = Int(KernelControlDevice.get32(UnsafeMutableRawPointer(bitPattern: UInt(swlenLocal))!))
                        return max(0, min(8192, size - (curfrag - 1) * 8192))
                    }))
                }
            }
            structLocal = local(s, size)
            result = Self.call(fd, command, structLocal)
            return finish(result, inOut: mirrors, outputs: outputs, memory: &memory)
        case .passthru, .passthru32:
            let msg = ptr(8)
            guard let w0 = u32(try memory.fetch(reads: [UserRange(address: msg, count: 4)], writes: []).first ?? nil) else {
                setPtr(8, Self.faultPage)
                return Self.call(fd, command, local(s, size))
            }
            let words = Int(w0 >> 16)
            guard words >= 3, words <= 256 else { setPtr(8, local(got1.first ?? nil, 0) == Self.faultPage ? Self.faultPage : local([UInt8](w0Bytes(w0)), 4)); return Self.call(fd, command, local(s, size)) }
            let replyAt = msg &+ UInt64(words * 4)
            let got = try memory.fetch(reads: [UserRange(address: msg, count: words * 4), UserRange(address: replyAt, count: 4)], writes: [])
            guard var frame = got[0], let rw0 = got[1] else { setPtr(8, Self.faultPage); return Self.call(fd, command, local(s, size)) }
            let replyWords = min(128, Int(rw0.readLE32(at: 0) >> 16))
            // The SGL: simple elements to the end of the frame; IOP→host buffers are outputs.
            let offset = Int(w0 >> 4 & 0xF)
            var reads: [UserRange] = [], writes: [UserRange] = [UserRange(address: replyAt, count: replyWords * 4)]
            var elements: [(index: Int, range: UserRange, toIOP: Bool)] = []
            if offset > 0 {
                var at = offset
                while (at + 2) * 4 <= frame.count, elements.count < 30 {
                    let flags = frame.readLE32(at: at * 4) >> 24, count = Int(frame.readLE32(at: at * 4) & 0xFF_FFFF)
                    let r = UserRange(address: UInt64(frame.readLE32(at: (at + 1) * 4)), count: min(count, 1 << 20))
                    if flags & 0x30 == 0x10 {
                        let toIOP = flags & 0x04 != 0
                        elements.append((at + 1, r, toIOP))
                        if toIOP { reads.append(r) } else { writes.append(r) }
                    }
                    at += 2
                }
            }
            let g = try memory.fetch(reads: reads, writes: writes)
            var ri = 0
            for e in elements {
                let l: UInt64
                if e.toIOP { l = local(g[ri], e.range.count); ri += 1 } else {
                    l = local([], e.range.count)
                    outputs.append((e.range, l, { e.range.count }))
                }
                var w = [UInt8](); w.appendLE32(UInt32(truncatingIfNeeded: l))
                frame.replaceSubrange(e.index * 4..<e.index * 4 + 4, with: w)
            }
            let m = local(frame + rw0, words * 4 + 128 * 4)
            setPtr(8, m)
            let replyLocal = m + UInt64(words * 4)
            outputs.insert((UserRange(address: replyAt, count: replyWords * 4), replyLocal, {
                min(replyWords, Int(KernelControlDevice.get32(UnsafeMutableRawPointer(bitPattern: UInt(replyLocal))!) >> 16)) * 4
            }), at: 0)
            structLocal = local(s, size)
            result = Self.call(fd, command, structLocal)
            return finish(result, inOut: [], outputs: outputs, memory: &memory)
        case .validate:
            return Self.call(fd, command, argument)
        }
    }

    func w0Bytes(_ w: UInt32) -> [UInt8] { var b = [UInt8](); b.appendLE32(w); return b }

    /// Stores what the driver produced: changed in/out words (whatever the result), the output
    /// buffers on success.
    func finish<M: UserMemory>(_ result: IoctlResult, inOut: [(UInt64, UserRange, [UInt8]?)],
                               outputs: [(range: UserRange, local: UInt64, length: () -> Int)], memory: inout M) -> IoctlResult {
        for (l, r, original) in inOut where l != Self.faultPage {
            let now = KernelControlDevice.read(UnsafeMutableRawPointer(bitPattern: UInt(l))!, r.count)
            if now != original { _ = memory.store(now, at: r.address) }
        }
        guard case .value = result else { return result }
        for o in outputs where o.local != Self.faultPage {
            let n = max(0, min(o.range.count, o.length()))
            if n > 0 { _ = memory.store(KernelControlDevice.read(UnsafeMutableRawPointer(bitPattern: UInt(o.local))!, n), at: o.range.address) }
        }
        return result
    }

    /// An inaccessible page: a client range that faults is mirrored by it.
    static let faultPage: UInt64 = {
        let p = mmap(nil, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0)
        guard let p, p != MAP_FAILED else { return 0x10 }
        return UInt64(UInt(bitPattern: p))
    }()

    static func call(_ fd: FileDescriptor, _ command: UInt32, _ argument: UInt64) -> IoctlResult {
        do {
            if let p = UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: argument)), argument > 0xFFFF {
                return .value(try fd.ioctl(UInt(command), p))
            }
            return .value(try fd.ioctl(UInt(command), value: CInt(truncatingIfNeeded: argument)))
        } catch {
            return .error(Errno(rawValue: error.rawValue))
        }
    }
}
