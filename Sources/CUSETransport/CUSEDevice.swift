import CFuse
import Glibc
import I2OFormats
import IoctlEngine
import Synchronization

/// Why `CUSEDevice.start` could not serve the node: said in words a person can act on.
public struct CUSEError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A raw libfuse handle carried across threads. libfuse's own handles are thread-safe to
/// reply to or notify from any thread, once each.
struct FuseHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// One character device served through CUSE (`/dev/<name>`), answering from an `Engine`.
///
/// A thin adapter: every libfuse callback turns into one engine call. The per-open state that
/// only a transport has — the poll handle to notify and `read`s parked until an event — lives
/// here, keyed by the engine's `OpenFileID`; everything else is the engine's.
public final class CUSEDevice: Sendable {
    public let name: String
    public let engine: Engine
    private struct FileState {
        var pollHandle: FuseHandle?
        var parkedReads: [(request: FuseHandle, capacity: Int)] = []
        /// With `I2OSIM_CUSE_STATS`: ioctl callbacks (daemon calls) and ioctls answered for good.
        var calls = 0, ioctls = 0
    }
    private struct State {
        var files: [OpenFileID: FileState] = [:]
        /// Replies whose writes were not a prefix of the out ranges (see `RetryRoundMemory.exactOutput`),
        /// keyed by (file, thread, command, argument) until the kernel's next call collects them.
        var stashed: [StashKey: (result: Int32, data: [UInt8], inSize: Int)] = [:]
        var session: FuseHandle?
    }
    private struct StashKey: Hashable { let file: UInt64, pid: Int32, command: UInt32, argument: UInt64 }
    private let state = Mutex(State())
    /// First, input-less calls answered without running the engine.
    private let firstRounds = FirstRounds()
    private let failures = Atomic<Int>(0)
    private let debug = getenv("I2OSIM_CUSE_DEBUG") != nil
    /// `I2OSIM_CUSE_STATS=FILE` (benchmarks): count daemon calls per ioctl; each released file
    /// appends `calls=N ioctls=M` to FILE.
    private let statsPath = getenv("I2OSIM_CUSE_STATS").map { String(cString: $0) }
    private let onReady: @Sendable (String) -> Void
    private let log: @Sendable (String) -> Void

    /// - Parameters:
    ///   - name: the node below /dev, e.g. `i2o/ctl` or `i2octl`.
    ///   - onReady: called once with the node's path when it exists.
    ///   - log: one line per failed request.
    public init(name: String, engine: Engine, onReady: @escaping @Sendable (String) -> Void,
                log: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.engine = engine
        self.onReady = onReady
        self.log = log
    }

    public var path: String { "/dev/" + name }

    /// Checks that CUSE can be used here and the name is free, before anything is created.
    public static func preflight(names: [String]) -> CUSEError? {
        if access("/dev/cuse", F_OK) != 0 {
            return CUSEError(description: """
                this kernel has no CUSE: /dev/cuse does not exist. Load it with `modprobe cuse` (as root) \
                where the kernel has the module, or try it in a VM with `scripts/cuse-vm -- i2osim serve`.
                """)
        }
        if access("/dev/cuse", R_OK | W_OK) != 0 {
            return CUSEError(description: "cannot open /dev/cuse: \(String(cString: strerror(errno))). Run as root (CUSE needs it).")
        }
        for n in names where access("/dev/" + n, F_OK) == 0 {
            return CUSEError(description: """
                /dev/\(n) already exists: another `i2osim serve` (or a real I2O driver) owns it. \
                Stop that one first, or choose another --name.
                """)
        }
        return nil
    }

    /// Creates the node and serves it on libfuse's worker threads until `stop()` or a fatal
    /// session error. Blocks the calling thread.
    public func run() throws(CUSEError) {
        let devinfo = "DEVNAME=" + name
        var ci = cuse_info()
        ci.flags = i2osim_cuse_unrestricted_ioctl()
        var ops = cuse_lowlevel_ops()
        ops.`init` = cuseInit
        ops.init_done = cuseInitDone
        ops.open = cuseOpen
        ops.release = cuseRelease
        ops.read = cuseRead
        ops.write = cuseWrite
        ops.ioctl = cuseIoctl
        ops.poll = cusePoll
        let me = Unmanaged.passRetained(self)
        defer { me.release() }
        var multithreaded: Int32 = 0
        let args = ["i2osim", "-f"]
        var cargs = args.map { strdup($0) }
        defer { cargs.forEach { free($0) } }
        let session: OpaquePointer? = devinfo.withCString { dev -> OpaquePointer? in
            var devp: UnsafePointer<CChar>? = dev
            return withUnsafeMutablePointer(to: &devp) { devpp in
                devpp.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: 1) { p in
                    ci.dev_info_argc = 1
                    ci.dev_info_argv = p
                    return cargs.withUnsafeMutableBufferPointer { argv in
                        cuse_lowlevel_setup(Int32(argv.count), argv.baseAddress, &ci, &ops, &multithreaded, me.toOpaque())
                    }
                }
            }
        }
        guard let session else {
            throw CUSEError(description: "libfuse could not set up the CUSE session for \(path) (see its message above)")
        }
        // Signals are the owner's business (the CLI waits for them); libfuse's own handlers would
        // end only the last session set up.
        fuse_remove_signal_handlers(session)
        state.withLock { $0.session = FuseHandle(raw: session) }
        let rc = i2osim_session_loop_mt(session)
        state.withLock { $0.session = nil }
        cuse_lowlevel_teardown(session)
        if rc != 0 && rc != -EINTR {
            throw CUSEError(description: "the CUSE session for \(path) ended: \(String(cString: strerror(abs(rc)))) — the kernel refused the device (is the name in use?)")
        }
    }

    /// Runs the device on a thread of its own; `onExit` is called when its session ends
    /// (nil after `stop()`, the error otherwise).
    public func start(onExit: @escaping @Sendable (CUSEError?) -> Void) {
        Thread_start {
            do throws(CUSEError) { try self.run(); onExit(nil) } catch { onExit(error) }
        }
    }

    /// Ends the session; the kernel removes the node when the session's file closes.
    public func stop() {
        if let s = state.withLock({ $0.session }) { fuse_session_exit(s.raw) }
    }

    /// Requests that failed so far (for stats and tests).
    public var failedRequests: Int { failures.load(ordering: .relaxed) }

    // MARK: Callbacks (called by libfuse on its threads)

    fileprivate func initDone() {
        let path = self.path
        let ready = onReady
        // The kernel adds the node after it has our init reply: wait for it to appear.
        let waiter = Thread_start {
            for _ in 0..<500 where access(path, F_OK) != 0 { usleep(10_000) }
            ready(path)
        }
        _ = waiter
    }

    fileprivate func open(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = engine.open()
        state.withLock { $0.files[file] = FileState() }
        fi.pointee.fh = file.rawValue
        fi.pointee.direct_io = 1
        fi.pointee.nonseekable = 1
        fuse_reply_open(req, fi)
    }

    fileprivate func release(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFileID(rawValue: fi.pointee.fh)
        let st = state.withLock { $0.files.removeValue(forKey: file) }
        if let statsPath, let st { appendStats(statsPath, "calls=\(st.calls) ioctls=\(st.ioctls)\n") }
        if let ph = st?.pollHandle { fuse_pollhandle_destroy(ph.raw) }
        for r in st?.parkedReads ?? [] { fuse_reply_err(r.request.raw, EBADF) }
        engine.release(file)
        fuse_reply_err(req, 0)
    }

    fileprivate func read(_ req: OpaquePointer, _ size: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFileID(rawValue: fi.pointee.fh)
        switch engine.read(file, capacity: size) {
        case let .data(bytes):
            bytes.withUnsafeBytes { _ = fuse_reply_buf(req, $0.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) }
        case let .error(e):
            fail(req, e.rawValue, "read(\(size)) on \(file)")
        case .wouldBlock:
            if fi.pointee.flags & O_NONBLOCK != 0 { fuse_reply_err(req, EAGAIN); return }
            // Park it; an event completes it. Re-check after parking so none is missed.
            state.withLock { $0.files[file]?.parkedReads.append((FuseHandle(raw: req), size)) }
            if engine.isReadable(file) { eventQueued(for: file) }
        }
    }

    fileprivate func write(_ req: OpaquePointer, _ size: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = OpenFileID(rawValue: fi.pointee.fh)
        switch engine.write(file, count: size) {
        case let .value(n): fuse_reply_write(req, Int(n))
        case let .error(e): fail(req, e.rawValue, "write(\(size)) on \(file)")
        }
    }

    fileprivate func poll(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>, _ ph: OpaquePointer?) {
        let file = OpenFileID(rawValue: fi.pointee.fh)
        if let ph {
            let old = state.withLock { s -> FuseHandle? in
                let o = s.files[file]?.pollHandle
                s.files[file]?.pollHandle = FuseHandle(raw: ph)
                return o
            }
            if let old { fuse_pollhandle_destroy(old.raw) }
        }
        fuse_reply_poll(req, engine.isReadable(file) ? UInt32(POLLIN | POLLRDNORM) : 0)
    }

    fileprivate func ioctl(_ req: OpaquePointer, _ cmd: Int32, _ arg: UnsafeMutableRawPointer?,
                           _ fi: UnsafeMutablePointer<fuse_file_info>, _ flags: UInt32,
                           _ inBuf: UnsafeRawPointer?, _ inSize: Int, _ outSize: Int) {
        let file = OpenFileID(rawValue: fi.pointee.fh)
        let command = UInt32(bitPattern: cmd)
        let argument = UInt64(UInt(bitPattern: arg))
        let abi: CallerABI = flags & i2osim_fuse_ioctl_32bit() != 0 ? .ilp32 : .lp64
        let pid = fuse_req_ctx(req)?.pointee.pid ?? 0
        let key = StashKey(file: file.rawValue, pid: pid, command: command, argument: argument)
        var finalReply = true
        defer { if statsPath != nil { countCall(file, final: finalReply) } }

        // The second half of a reply whose writes were not a prefix of the out ranges.
        if let s = state.withLock({ $0.stashed.isEmpty ? nil : $0.stashed.removeValue(forKey: key) }), s.inSize == inSize,
           s.data.count == outSize {
            s.data.withUnsafeBytes { _ = fuse_reply_ioctl(req, s.result, $0.baseAddress, s.data.count) }
            return
        }
        // The first call brings nothing: its round follows from the command (learned below).
        let first = inSize == 0 && outSize == 0
        if first, let round = firstRounds.answer(engine, file, command: command, argument: argument, abi: abi) {
            finalReply = false
            replyRetry(req, reads: round.reads, writes: round.writes)
            return
        }
        let input = inSize > 0 && inBuf != nil ? Array(UnsafeRawBufferPointer(start: inBuf, count: inSize)) : []
        var memory = RetryRoundMemory(input: input, outputCapacity: outSize)
        let result: IoctlResult
        do {
            // The caller's pid is bound only for a tracer (the binding costs an allocation per call).
            if !engine.isTracing {
                result = try engine.ioctl(file, command: command, argument: argument, abi: abi, memory: &memory)
            } else {
                result = try TraceContext.withCallerPID(pid) { () throws(NeedsRound) in
                    try engine.ioctl(file, command: command, argument: argument, abi: abi, memory: &memory)
                }
            }
        } catch {
            finalReply = false
            if first { firstRounds.learn(engine, file, command: command, argument: argument, abi: abi, round: error) }
            replyRetry(req, reads: error.reads, writes: error.writes)
            return
        }
        // An error may come with data (ENOBUFS writes the needed length to *reslen): the kernel
        // copies the data out and then returns the negative result.
        let rc: Int32
        switch result {
        case let .value(v): rc = v
        case let .error(e):
            rc = -e.rawValue
            logFailure("ioctl \(IoctlCommand.decode(command, abi: abi)?.description ?? hex(command, width: 8)) on \(file)", e.rawValue)
            if memory.stores.isEmpty { fuse_reply_err(req, e.rawValue); return }
        }
        if let data = memory.replyData() {
            data.withUnsafeBytes { _ = fuse_reply_ioctl(req, rc, $0.baseAddress, data.count) }
        } else {
            // Ask for exactly the stored ranges. Linux (6.1) mis-sends the next request when a
            // retry that had input asks for none (it keeps reading the arguments from the input
            // pages), so keep the first input range, which is known to be readable.
            let exact = memory.exactOutput
            let keep = Array(memory.reads.prefix(1))
            state.withLock { $0.stashed[key] = (rc, exact.data, keep.first?.count ?? 0) }
            finalReply = false
            replyRetry(req, reads: keep, writes: exact.ranges)
        }
    }

    private func countCall(_ file: OpenFileID, final: Bool) {
        state.withLock { s in
            s.files[file]?.calls += 1
            if final { s.files[file]?.ioctls += 1 }
        }
    }

    private func appendStats(_ path: String, _ line: String) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func replyRetry(_ req: OpaquePointer, reads: [UserRange], writes: [UserRange]) {
        if debug { log("  retry: in \(reads) out \(writes)") }
        // The iovecs live on the stack for the call (a handful of ranges).
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: reads.count + writes.count) { v in
            func vec(_ r: UserRange) -> iovec {
                iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: r.address)), iov_len: r.count)
            }
            for i in reads.indices { v[i] = vec(reads[i]) }
            for i in writes.indices { v[reads.count + i] = vec(writes[i]) }
            let base = v.baseAddress
            _ = fuse_reply_ioctl_retry(req, base, reads.count, base.map { $0 + reads.count }, writes.count)
        }
    }

    private func fail(_ req: OpaquePointer, _ errnum: Int32, _ what: String) {
        logFailure(what, errnum)
        fuse_reply_err(req, errnum)
    }

    private func logFailure(_ what: String, _ errnum: Int32) {
        failures.add(1, ordering: .relaxed)
        log("\(path): \(what) failed: \(Errno(rawValue: errnum))")
    }

    /// An event was queued for `file`: wake its poller and complete a parked read.
    public func eventQueued(for file: OpenFileID) {
        let (ph, parked) = state.withLock { s -> (FuseHandle?, (request: FuseHandle, capacity: Int)?) in
            let ph = s.files[file]?.pollHandle
            s.files[file]?.pollHandle = nil
            let r = s.files[file]?.parkedReads.isEmpty == false ? s.files[file]?.parkedReads.removeFirst() : nil
            return (ph, r)
        }
        if let ph { fuse_lowlevel_notify_poll(ph.raw); fuse_pollhandle_destroy(ph.raw) }
        guard let parked else { return }
        switch engine.read(file, capacity: parked.capacity) {
        case let .data(bytes):
            bytes.withUnsafeBytes { _ = fuse_reply_buf(parked.request.raw, $0.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) }
        case let .error(e):
            fuse_reply_err(parked.request.raw, e.rawValue)
        case .wouldBlock:
            // Another reader took it; park again.
            state.withLock { $0.files[file]?.parkedReads.insert(parked, at: 0) }
        }
    }

    /// Whether this device has `file` open (files are engine-wide; several devices share one engine).
    public func owns(_ file: OpenFileID) -> Bool { state.withLock { $0.files[file] != nil } }
}

/// Routes the engine's wake-ups to the device that has the file open.
public final class CUSEWakeups: EngineObserver {
    private let devices = Mutex<[CUSEDevice]>([])
    public init() {}
    public func attach(_ d: CUSEDevice) { devices.withLock { $0.append(d) } }
    public func eventQueued(for file: OpenFileID) {
        for d in devices.withLock({ $0 }) where d.owns(file) { d.eventQueued(for: file) }
    }
}

// MARK: - C entry points: nonisolated, find their device through libfuse's userdata.

private func device(_ req: OpaquePointer?) -> CUSEDevice? {
    guard let req, let ud = fuse_req_userdata(req) else { return nil }
    return Unmanaged<CUSEDevice>.fromOpaque(ud).takeUnretainedValue()
}

private let cuseInit: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_conn_info>?) -> Void = { _, conn in
    if let conn { i2osim_disable_splice(conn) }
}
private let cuseInitDone: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ud in
    guard let ud else { return }
    Unmanaged<CUSEDevice>.fromOpaque(ud).takeUnretainedValue().initDone()
}
private let cuseOpen: @convention(c) (OpaquePointer?, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, fi in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.open(req, fi)
}
private let cuseRelease: @convention(c) (OpaquePointer?, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, fi in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.release(req, fi)
}
private let cuseRead: @convention(c) (OpaquePointer?, Int, off_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, size, _, fi in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.read(req, size, fi)
}
private let cuseWrite: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, off_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, _, size, _, fi in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.write(req, size, fi)
}
private let cusePoll: @convention(c) (OpaquePointer?, UnsafeMutablePointer<fuse_file_info>?, OpaquePointer?) -> Void = { req, fi, ph in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.poll(req, fi, ph)
}
private let cuseIoctl: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_file_info>?, UInt32,
                                       UnsafeRawPointer?, Int, Int) -> Void = { req, cmd, arg, fi, flags, inBuf, inSize, outSize in
    guard let req, let fi, let d = device(req) else { fuse_reply_err(req, EIO); return }
    d.ioctl(req, cmd, arg, fi, flags, inBuf, inSize, outSize)
}

/// Starts a detached thread running `body` (libfuse's callbacks must not block on this wait).
@discardableResult
func Thread_start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    var tid = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = pthread_create(&tid, nil, { p in
        let b = Unmanaged<Box>.fromOpaque(p!).takeRetainedValue()
        b.body()
        return nil
    }, box)
    if rc != 0 { Unmanaged<Box>.fromOpaque(box).release(); return nil }
    pthread_detach(tid)
    return tid
}
