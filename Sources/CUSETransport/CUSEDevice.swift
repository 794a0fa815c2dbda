import CFuse
import Glibc
import I2OFormats
import I2OABI
import I2ODevice
import Posix
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

/// One character device served through CUSE (`/dev/<name>`), answering from a `ControlNode`.
///
/// A thin adapter: every libfuse callback turns into one node call; an ioctl's calls go through
/// `CUSEIoctls`, the retry protocol without libfuse. The per-open state that only a transport has —
/// the poll handle to notify and `read`s parked until an event — is a `CUSEOpenFile` that
/// `fuse_file_info.fh` points at; everything else is the node's.
public final class CUSEDevice: Sendable {
    public let name: String
    /// What the node serves (the engine, a trace replay, a pass-through to a real node).
    public let node: any ControlNode
    private struct State {
        /// The open files by the engine's id, for the engine's wake-ups (calls use `fh`).
        var files: [OpenFileID: CUSEOpenFile] = [:]
        var session: FuseHandle?
    }
    private let state = Mutex(State())
    private let ioctls: CUSEIoctls
    /// `I2OSIM_CUSE_STATS=FILE` (benchmarks): count daemon calls per ioctl; each released file
    /// appends `calls=N ioctls=M` to FILE.
    private let statsPath = getenv("I2OSIM_CUSE_STATS").map { String(cString: $0) }
    private let onReady: @Sendable (String) -> Void

    /// - Parameters:
    ///   - name: the node below /dev, e.g. `i2o/ctl` or `i2octl`.
    ///   - onReady: called once with the node's path when it exists.
    ///   - log: one line per failed request.
    public init(name: String, node: BoundNode<RetryRoundMemory>, onReady: @escaping @Sendable (String) -> Void,
                log: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.node = node.node
        self.onReady = onReady
        let path = "/dev/" + name
        ioctls = CUSEIoctls(node: node, counting: statsPath != nil, failed: { log("\(path): \($0)") },
                            debug: getenv("I2OSIM_CUSE_DEBUG") != nil ? log : nil)
    }

    /// Serves `node`, its ioctl entry bound here where the node's type is known.
    @inlinable
    public convenience init(name: String, node: some ControlNode, onReady: @escaping @Sendable (String) -> Void,
                            log: @escaping @Sendable (String) -> Void) {
        self.init(name: name, node: BoundNode<RetryRoundMemory>(node), onReady: onReady, log: log)
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
            return CUSEError(description: "\(SystemError("cannot open", path: "/dev/cuse")). Run as root (CUSE needs it).")
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
        guard name.utf8.count <= Int(I2OSIM_CUSE_NAME_MAX) else {
            throw CUSEError(description: "the node name \(path) is \(name.utf8.count) bytes; CUSE takes at most \(I2OSIM_CUSE_NAME_MAX) below /dev")
        }
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
        let session = i2osim_cuse_setup("i2osim", name, &ops, me.toOpaque())
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
            let why = SystemError("the CUSE session for \(path) ended", errno: .init(rawValue: abs(rc)))
            throw CUSEError(description: "\(why) — the kernel refused the device (is the name in use?)")
        }
    }

    /// Runs the device on a thread of its own; `onExit` is called when its session ends
    /// (nil after `stop()`, the error otherwise).
    public func start(onExit: @escaping @Sendable (CUSEError?) -> Void) {
        DetachedThread.start {
            do throws(CUSEError) { try self.run(); onExit(nil) } catch { onExit(error) }
        }
    }

    /// Ends the session; the kernel removes the node when the session's file closes.
    public func stop() {
        if let s = state.withLock({ $0.session }) { fuse_session_exit(s.raw) }
    }

    /// Requests that failed so far (for stats and tests).
    public var failedRequests: Int { ioctls.failedRequests }

    // MARK: Callbacks (called by libfuse on its threads)

    fileprivate func initDone() {
        let path = self.path
        let ready = onReady
        // The kernel adds the node after it has our init reply: wait for it to appear, on a
        // thread of its own (a libfuse callback must not block on this wait).
        DetachedThread.start {
            for _ in 0..<500 where access(path, F_OK) != 0 { usleep(10_000) }
            ready(path)
        }
    }

    fileprivate func open(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = CUSEOpenFile(node.open(by: Self.caller(req)))
        state.withLock { $0.files[file.id] = file }
        // Retained until release; the kernel sends no call on a file after its release.
        fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(file).toOpaque()))
        fi.pointee.direct_io = 1
        fi.pointee.nonseekable = 1
        fuse_reply_open(req, fi)
    }

    /// The open file `fi` names (set up by `open`).
    private func openFile(_ fi: UnsafeMutablePointer<fuse_file_info>) -> CUSEOpenFile {
        Unmanaged<CUSEOpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeUnretainedValue()
    }

    fileprivate func release(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = Unmanaged<CUSEOpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeRetainedValue()
        state.withLock { _ = $0.files.removeValue(forKey: file.id) }
        if let statsPath { appendStats(statsPath, "calls=\(file.callCount) ioctls=\(file.ioctlCount)\n") }
        let w = file.waiting.withLock { w in defer { w = .init() }; return w }
        if let ph = w.pollHandle { fuse_pollhandle_destroy(ph.raw) }
        for r in w.parkedReads { fuse_reply_err(r.request.raw, EBADF) }
        ioctls.forget(file.id)
        node.release(file.id, by: Self.caller(req))
        fuse_reply_err(req, 0)
    }

    fileprivate func read(_ req: OpaquePointer, _ size: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let of = openFile(fi), file = of.id
        switch node.read(file, capacity: size, by: Self.caller(req)) {
        case let .data(bytes):
            bytes.withUnsafeBytes { _ = fuse_reply_buf(req, $0.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) }
        case let .error(e):
            fail(req, e.rawValue, "read(\(size)) on \(file)")
        case .wouldBlock:
            if fi.pointee.flags & O_NONBLOCK != 0 { fuse_reply_err(req, EAGAIN); return }
            // Park it; an event completes it. Re-check after parking so none is missed.
            of.waiting.withLock { $0.parkedReads.append((FuseHandle(raw: req), size)) }
            if node.isReadable(file) { eventQueued(for: file) }
        }
    }

    fileprivate func write(_ req: OpaquePointer, _ size: Int, _ fi: UnsafeMutablePointer<fuse_file_info>) {
        let file = openFile(fi).id
        switch node.write(file, count: size, by: Self.caller(req)) {
        case let .value(n): fuse_reply_write(req, Int(n))
        case let .error(e): fail(req, e.rawValue, "write(\(size)) on \(file)")
        }
    }

    /// `poll()`: the node's mask (`pollEvents`). A node without a `poll` method answers the kernel's
    /// default mask, which never changes, so no wake-up is kept for it. The other half of "no `poll`
    /// method", epoll's EPERM, cannot be had here: a CUSE file always has one (docs/decisions.md).
    fileprivate func poll(_ req: OpaquePointer, _ fi: UnsafeMutablePointer<fuse_file_info>, _ ph: OpaquePointer?) {
        let of = openFile(fi), file = of.id
        if node.fileOperations.poll == .none {
            if let ph { fuse_pollhandle_destroy(ph) }
            fuse_reply_poll(req, node.pollEvents(file).rawValue)
            return
        }
        if let ph {
            let old = of.waiting.withLock { w -> FuseHandle? in
                defer { w.pollHandle = FuseHandle(raw: ph) }
                return w.pollHandle
            }
            if let old { fuse_pollhandle_destroy(old.raw) }
        }
        fuse_reply_poll(req, node.pollEvents(file).rawValue)
    }

    fileprivate func ioctl(_ req: OpaquePointer, _ cmd: Int32, _ arg: UnsafeMutableRawPointer?,
                           _ fi: UnsafeMutablePointer<fuse_file_info>, _ flags: UInt32,
                           _ inBuf: UnsafeRawPointer?, _ inSize: Int, _ outSize: Int) {
        let abi: CallerABI = flags & i2osim_fuse_ioctl_32bit() != 0 ? .ilp32 : .lp64
        ioctls.call(openFile(fi), command: UInt32(bitPattern: cmd), argument: UInt64(UInt(bitPattern: arg)), abi: abi,
                    pid: Self.caller(req) ?? 0,
                    input: UnsafeRawBufferPointer(start: inSize > 0 ? inBuf : nil, count: inBuf != nil ? inSize : 0),
                    outSize: outSize, replier: FuseReplier(req: req))
    }

    /// The process making request `req`, as the kernel says.
    private static func caller(_ req: OpaquePointer) -> Int32? { fuse_req_ctx(req)?.pointee.pid }

    private func appendStats(_ path: String, _ line: String) {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func fail(_ req: OpaquePointer, _ errnum: Int32, _ what: String) {
        ioctls.logFailure(what, errnum)
        fuse_reply_err(req, errnum)
    }

    /// An event was queued for `file`: wake its poller and complete a parked read.
    public func eventQueued(for file: OpenFileID) {
        guard let of = state.withLock({ $0.files[file] }) else { return }
        let (ph, parked) = of.waiting.withLock { w -> (FuseHandle?, (request: FuseHandle, capacity: Int)?) in
            defer { w.pollHandle = nil }
            return (w.pollHandle, w.parkedReads.isEmpty ? nil : w.parkedReads.removeFirst())
        }
        if let ph { fuse_lowlevel_notify_poll(ph.raw); fuse_pollhandle_destroy(ph.raw) }
        guard let parked else { return }
        switch node.read(file, capacity: parked.capacity) {
        case let .data(bytes):
            bytes.withUnsafeBytes { _ = fuse_reply_buf(parked.request.raw, $0.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) }
        case let .error(e):
            fuse_reply_err(parked.request.raw, e.rawValue)
        case .wouldBlock:
            // Another reader took it; park again.
            of.waiting.withLock { $0.parkedReads.insert(parked, at: 0) }
        }
    }

    /// Whether this device has `file` open (files are engine-wide; several devices share one engine).
    public func owns(_ file: OpenFileID) -> Bool { state.withLock { $0.files[file] != nil } }
}

/// Routes the engine's wake-ups to the device that has the file open.
public final class CUSEWakeups: NodeObserver {
    private let devices = Mutex<[CUSEDevice]>([])
    public init() {}
    public func attach(_ d: CUSEDevice) { devices.withLock { $0.append(d) } }
    public func eventQueued(for file: OpenFileID) {
        for d in devices.withLock({ $0 }) where d.owns(file) { d.eventQueued(for: file) }
    }
}

/// Answers through libfuse (each request once). Public for the benchmark's FUSE-file analogue.
public struct FuseReplier: CUSEReplier {
    let req: OpaquePointer
    public init(req: OpaquePointer) { self.req = req }
    public func retry(_ ranges: UnsafeBufferPointer<iovec>, reads: Int) {
        let base = ranges.baseAddress
        _ = fuse_reply_ioctl_retry(req, base, reads, base.map { $0 + reads }, ranges.count - reads)
    }
    public func reply(_ result: Int32, _ data: UnsafeRawBufferPointer) {
        _ = fuse_reply_ioctl(req, result, data.baseAddress, data.count)
    }
    public func fail(_ errnum: Int32) { _ = fuse_reply_err(req, errnum) }
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
