#if canImport(Glibc)
import Glibc
#endif
import I2OFormats
import I2OABI
import I2ODevice
import Posix
import Synchronization
import struct SystemPackage.FileDescriptor

/// The engine observer of the preload transport: wakes WATCH connections (blocked `read`s
/// and `poll`s of clients) when an event is queued, and signals the file's O_ASYNC owner where
/// the node's driver did (`AsyncNotification.swift`). Give it to `Engine(observer:)`, then to
/// `PreloadServer`. `next` receives every call too (e.g. the CUSE transport's observer).
public final class PreloadEventHub: NodeObserver, Sendable {
    private let next: (any NodeObserver)?
    private let watchers = Mutex<[UInt64: (files: Set<OpenFileID>, wake: FileDescriptor)]>([:])
    private let counter = Atomic<UInt64>(1)
    /// The open files whose events signal their owner (`arm`).
    let armed = Mutex<[OpenFileID: AsyncTarget]>([:])

    public init(forwardingTo next: (any NodeObserver)? = nil) { self.next = next }

    public func eventQueued(for file: OpenFileID) {
        let fds = watchers.withLock { w in w.values.filter { $0.files.contains(file) }.map(\.wake) }
        let one: UInt8 = 1
        for fd in fds {   // non-blocking pipe: full means already woken
            _ = withUnsafeBytes(of: one) { try? fd.writeSome($0, retryOnInterrupt: false) }
        }
        signalOwner(of: file)
        next?.eventQueued(for: file)
    }

    func register(_ files: Set<OpenFileID>, wake: FileDescriptor) -> UInt64 {
        let id = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        watchers.withLock { $0[id] = (files, wake) }
        return id
    }

    func unregister(_ id: UInt64) { _ = watchers.withLock { $0.removeValue(forKey: id) } }

    /// Number of WATCH connections waiting (for tests).
    var watcherCount: Int { watchers.withLock { $0.count } }
}

/// The daemon side of the preload transport: a Unix stream socket server. One thread per
/// connection; each device connection belongs to one engine open file (opened by OPEN,
/// shared by ATTACH, released when its last connection closes). It knows no ioctl.
public final class PreloadServer: Sendable {
    /// The socket's path (what `I2OSIM_SOCKET` must say).
    public let socketPath: String
    /// The private directory made for the socket, removed by `stop()`; nil when a path was given.
    public let privateDirectory: String?

    /// What it serves, its ioctl entry bound to `SocketMemory` where the node's type was known (through
    /// `any ControlNode` the engine's generic entry would run unspecialised: ≈ 7 k more instructions
    /// per PARMGET, every memory access a witness call).
    private let node: BoundNode<SocketMemory>
    /// Nodes served on other paths: an OPEN naming one of these paths opens a file of that node
    /// (`serve --socket --name i2octl --name dpti0`); any other OPEN, the main node.
    private let routes: [String: BoundNode<SocketMemory>]
    private let hub: PreloadEventHub
    private let log: @Sendable (String) -> Void
    /// One line per failed request, when set (`serve --socket`; `run` leaves its client's output alone).
    private let failed: (@Sendable (String) -> Void)?
    private let listener: UnixListener
    private let state = Mutex(State())

    private struct OpenFile {
        var file: OpenFileID
        /// The path its OPEN named, when that path has a node of its own (`routes`); nil: the main node.
        var route: String?
        var connections: Int
        /// O_ASYNC, its owner and signal: the open file's, shared by its connections.
        var async = AsyncState()
    }
    private struct State {
        var nextHandle: UInt64 = 1
        var files: [UInt64: OpenFile] = [:]
        var handleByPeer: [[UInt8]: UInt64] = [:]
        var connections: Set<FileDescriptor> = []
        var stopped = false
    }

    /// Listens at `socketPath` (mode `mode`), or, when nil, at `sock` in a fresh private
    /// directory (0700, under $TMPDIR or /tmp). Call `start()` to accept connections.
    /// `failed` hears one line per failed request (`/tmp/s: ioctl I2OPARMGET on file#3 by pid 42 failed: ENODEV`).
    @inlinable
    public convenience init(node: some ControlNode, hub: PreloadEventHub, socketPath: String? = nil, mode: mode_t = 0o600,
                            routes: [String: any ControlNode] = [:],
                            log: @escaping @Sendable (String) -> Void = PreloadServer.logToStandardError,
                            failed: (@Sendable (String) -> Void)? = nil) throws(PreloadServerError) {
        try self.init(bound: BoundNode<SocketMemory>(node), hub: hub, socketPath: socketPath, mode: mode,
                      routes: routes.mapValues { BoundNode<SocketMemory>($0) }, log: log, failed: failed)
    }

    /// (`failed` comes last: a trailing closure is the `log`.)
    /// `routes`: nodes served on other paths (an OPEN names the path it opens; its node's open files
    /// must not share ids with the main node's, which the hub tells apart by id).
    public init(bound node: BoundNode<SocketMemory>, hub: PreloadEventHub, socketPath: String? = nil, mode: mode_t = 0o600,
                routes: [String: BoundNode<SocketMemory>] = [:],
                log: @escaping @Sendable (String) -> Void = PreloadServer.logToStandardError,
                failed: (@Sendable (String) -> Void)? = nil) throws(PreloadServerError) {
        signal(SIGPIPE, SIG_IGN)
        self.node = node
        self.routes = routes
        self.hub = hub
        self.log = log
        self.failed = failed
        if let socketPath {
            var absolute = socketPath
            if !socketPath.hasPrefix("/") {
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
                if getcwd(&buf, buf.count) != nil {
                    absolute = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } + "/" + socketPath
                }
            }
            self.socketPath = absolute
            self.privateDirectory = nil
        } else {
            let dir = try UnixSocket.privateDirectory()
            self.socketPath = dir + "/sock"
            self.privateDirectory = dir
        }
        do {
            self.listener = try UnixSocket.listen(at: self.socketPath, mode: mode)
        } catch {
            if let dir = privateDirectory { rmdir(dir) }
            throw error
        }
    }

    /// One line on standard error, written at once.
    public static let logToStandardError: @Sendable (String) -> Void = { line in
        try? FileDescriptor.standardError.writeAll(Array("i2osim: \(line)\n".utf8))
    }

    /// Starts the accept loop on its own thread.
    public func start() {
        DetachedThread.start(name: "preload-accept") { [self] in acceptLoop() }
    }

    /// Stops accepting, disconnects every client, removes the socket (and the private directory).
    public func stop() {
        let conns = state.withLock { s -> Set<FileDescriptor> in
            guard !s.stopped else { return [] }
            s.stopped = true
            return s.connections
        }
        listener.shutdown()
        for fd in conns { try? fd.shutdown() }
        listener.removeSocketFile()
        if let dir = privateDirectory { rmdir(dir) }
    }

    /// Number of open files the server holds (for tests and status).
    public var openFileCount: Int { state.withLock { $0.files.count } }
    /// Number of client connections (device and watch) being served.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    private func acceptLoop() {
        while true {
            let fd: FileDescriptor
            do { fd = try listener.accept() } catch {
                if state.withLock({ $0.stopped }) { return }
                if error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem || error == .noBufferSpace
                    || error == .noMemory {
                    log("preload: accept: errno \(error.rawValue); retrying")
                    SystemClock.sleep(microseconds: 100_000)
                    continue
                }
                return
            }
            let accepted = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.connections.insert(fd)
                return true
            }
            guard accepted else { fd.closeIgnoringErrors(); return }
            DetachedThread.start(name: "preload-conn") { [self] in serve(fd) }
        }
    }

    // MARK: - one connection

    private func serve(_ fd: FileDescriptor) {
        let socket = FrameSocket(fd: fd)
        var attached: UInt64? = nil
        var pid: UInt32 = 0
        // The client's autobind name: how a process that inherited its descriptor finds this file.
        let peer = socket.peerName()
        do {
            socket.setReceiveTimeout(seconds: 10)   // HELLO must come promptly
            guard case let .frame(type, body) = try socket.readFrame() else { return finish(fd, attached, peer: peer) }
            guard type == .hello else { throw PreloadProtocolError("first message is \(type), not HELLO") }
            var r = BodyReader(body)
            let version = try r.u32()
            let abiCode = try r.u32()
            pid = try r.u32()
            guard version == PreloadProtocol.version else {
                _ = socket.send(.error, errnoBody(71))   // EPROTO
                throw PreloadProtocolError("protocol version \(version) is not \(PreloadProtocol.version)")
            }
            guard let abi: CallerABI = abiCode == 0 ? .lp64 : abiCode == 1 ? .ilp32 : nil else {
                throw PreloadProtocolError("unknown ABI \(abiCode)")
            }
            var ok: [UInt8] = []
            ok.appendLE(PreloadProtocol.version)
            ok.appendLE(UInt32(PreloadProtocol.maxFrame))
            guard socket.send(.helloOK, ok) else { return finish(fd, attached, peer: peer) }

            guard case let .frame(type2, body2) = try socket.readFrame() else { return finish(fd, attached, peer: peer) }
            socket.setReceiveTimeout(seconds: 0)
            switch type2 {
            case .open:
                var r2 = BodyReader(body2)
                _ = try r2.u32()   // open flags: the engine has no use for them
                // The path opened (a library of version 3 sends it; an older one does not).
                var route: String?
                if r2.remaining >= 4 {
                    let n = Int(try r2.u32())
                    guard n <= 4096 else { throw PreloadProtocolError("OPEN path of \(n) bytes") }
                    let path = String(decoding: try r2.take(n), as: UTF8.self)
                    if routes[path] != nil { route = path }
                }
                let file = self.node(route).node.open(by: Int32(bitPattern: pid))
                let handle = state.withLock { s -> UInt64 in
                    let h = s.nextHandle
                    s.nextHandle += 1
                    s.files[h] = OpenFile(file: file, route: route, connections: 1)
                    if !peer.isEmpty { s.handleByPeer[peer] = h }
                    return h
                }
                attached = handle
                var b: [UInt8] = []
                b.appendLE(handle)
                guard socket.send(.opened, b) else { return finish(fd, attached, peer: peer) }
            case .attach:
                var r2 = BodyReader(body2)
                let byHandle = try r2.u64()
                let nameLength = Int(try r2.u32())
                guard nameLength <= 108 else { throw PreloadProtocolError("ATTACH name of \(nameLength) bytes") }
                let name = try r2.take(nameLength)
                try r2.expectEnd("ATTACH")
                let handle = state.withLock { s -> UInt64? in
                    let h = nameLength > 0 ? s.handleByPeer[name] : byHandle
                    guard let h, var f = s.files[h] else { return nil }
                    f.connections += 1
                    s.files[h] = f
                    if !peer.isEmpty { s.handleByPeer[peer] = h }
                    return h
                }
                guard let handle else {
                    _ = socket.send(.error, errnoBody(Errno.EBADF.rawValue))
                    return finish(fd, attached, peer: peer)
                }
                attached = handle
                var b: [UInt8] = []
                b.appendLE(handle)
                guard socket.send(.opened, b) else { return finish(fd, attached, peer: peer) }
            case .watch:
                try watch(socket, body2)
                return finish(fd, attached, peer: peer)
            default:
                throw PreloadProtocolError("expected OPEN, ATTACH or WATCH, got \(type2)")
            }
            guard let handle = attached, let (file, route) = state.withLock({ s in s.files[handle].map { ($0.file, $0.route) } }) else {
                return finish(fd, attached, peer: peer)
            }
            // Whose F_SETOWN this connection makes (the kernel's sigio_perm): the user it connected as.
            let user = (try? fd.unixPeerCredentials().uid) ?? UInt32.max
            try deviceLoop(socket, node: node(route), handle: handle, file: file, abi: abi, caller: Int32(bitPattern: pid), user: user)
        } catch {
            log("preload: connection of pid \(pid) closed: \(error)")
        }
        finish(fd, attached, peer: peer)
    }

    private func errnoBody(_ e: Int32) -> [UInt8] {
        var b: [UInt8] = []
        b.appendLE(e)
        return b
    }

    private func finish(_ fd: FileDescriptor, _ attached: UInt64?, peer: [UInt8] = [], caller: Int32? = nil) {
        let toRelease = state.withLock { s -> OpenFile? in
            s.connections.remove(fd)
            if !peer.isEmpty, s.handleByPeer[peer] == attached { s.handleByPeer.removeValue(forKey: peer) }
            guard let h = attached, var f = s.files[h] else { return nil }
            f.connections -= 1
            if f.connections > 0 { s.files[h] = f; return nil }
            s.files.removeValue(forKey: h)
            return f
        }
        fd.closeIgnoringErrors()
        if let f = toRelease {
            hub.arm(f.file, nil)
            node(f.route).node.release(f.file, by: caller)
        }
    }

    /// The node serving `route` (nil: the main node).
    private func node(_ route: String?) -> BoundNode<SocketMemory> { route.flatMap { routes[$0] } ?? node }

    private func deviceLoop(_ socket: FrameSocket, node: BoundNode<SocketMemory>, handle: UInt64, file: OpenFileID, abi: CallerABI,
                            caller: Int32, user: UInt32) throws(PreloadProtocolError) {
        let backend = node.node
        while true {
            guard case let .frame(type, body) = try socket.readFrame() else { return }
            var r = BodyReader(body)
            switch type {
            case .ioctl:
                let command = try r.u32()
                _ = try r.u32()
                let argument = try r.u64()
                let eagerAddress = try r.u64()
                let eagerLength = Int(try r.u32())
                let eagerFlags = try r.u32()
                let readable = eagerFlags & PreloadProtocol.eagerReadable != 0
                let bytes = readable ? try r.slice(eagerLength) : []
                try r.expectEnd("IOCTL")
                var memory = SocketMemory(socket: socket, eagerAddress: eagerAddress, eagerLength: eagerLength,
                                          eagerFlags: eagerFlags, eagerBytes: bytes)
                var result: IoctlResult
                do {
                    // Every IOCTL frame is a new request; the file's previous one may have been given
                    // up below (an unwritable reservation) in the middle of its rounds.
                    let request = IoctlRequest(file: file, command: command, argument: argument, abi: abi, caller: caller,
                                               begins: true)
                    result = try node.ioctl(request, memory: &memory)
                } catch {
                    guard memory.writeFault, memory.failure == nil else {
                        throw memory.failure ?? PreloadProtocolError("the engine asked for a retry round (not used by this transport)")
                    }
                    result = .error(.EFAULT)
                }
                if let failed, case let .error(e) = result {
                    let name = IoctlCommand.decode(command, abi: abi)?.description ?? DPTIoctl.decode(command, abi: abi)?.name
                        ?? "0x" + String(command, radix: 16)
                    failed("\(socketPath): ioctl \(name) on \(file) by pid \(caller) failed: \(e)")
                }
                // The STORE frames and the RESULT go out in one send: one write, one wake-up of the
                // client (the frames are the protocol's; only their batching changed).
                let stores = memory.writeFault ? [] : memory.stores
                var total = 16
                for s in stores {
                    let chunks = max(1, (s.bytes.count + PreloadProtocol.maxFrame - 17) / (PreloadProtocol.maxFrame - 16))
                    total += 16 * chunks + s.bytes.count
                }
                let out = [UInt8](littleEndianCount: total) { w in
                    for s in stores {
                        var offset = 0
                        repeat {   // chunks that fit a frame
                            let n = min(s.bytes.count - offset, PreloadProtocol.maxFrame - 16)
                            w.frameHeader(s.unchecked ? .storeUnchecked : .store, bodyCount: 8 + n)
                            w.u64(s.address + UInt64(offset))
                            w.copy(s.bytes[offset..<offset + n])
                            offset += n
                        } while offset < s.bytes.count
                    }
                    w.frameHeader(.result, bodyCount: 8)
                    switch result {
                    case let .value(v): w.u32(UInt32(bitPattern: v)); w.u32(0)
                    case let .error(e): w.u32(UInt32(bitPattern: -1)); w.u32(UInt32(bitPattern: e.rawValue))
                    }
                }
                guard socket.send(out) else { return }
            case .read:
                let capacity = min(Int(try r.u32()), PreloadProtocol.maxFrame - 16)
                try r.expectEnd("READ")
                var b: [UInt8] = []
                switch backend.read(file, capacity: capacity, by: caller) {
                case let .data(d):
                    b.appendLE(Int32(0))
                    b.append(contentsOf: d.prefix(capacity))
                case .wouldBlock: b.appendLE(Errno.EAGAIN.rawValue)
                case let .error(e): b.appendLE(e.rawValue)
                }
                guard socket.send(.readData, b) else { return }
            case .write:
                let count = Int(try r.u32())
                try r.expectEnd("WRITE")
                var b: [UInt8] = []
                switch backend.write(file, count: count, by: caller) {
                case let .value(v): b.appendLE(v); b.appendLE(Int32(0))
                case let .error(e): b.appendLE(Int32(-1)); b.appendLE(e.rawValue)
                }
                guard socket.send(.result, b) else { return }
            case .poll:
                try r.expectEnd("POLL")
                var b: [UInt8] = []
                b.appendLE(backend.pollEvents(file).rawValue)
                guard socket.send(.pollStatus, b) else { return }
            case .async:
                let set = try r.u32()
                let on = try r.u32() != 0
                let owner = Int32(bitPattern: try r.u32())
                let signal = Int32(bitPattern: try r.u32())
                try r.expectEnd("ASYNC")
                guard socket.send(.asyncState, changeAsync(handle: handle, file: file, set: set, on: on, owner: owner,
                                                           signal: signal, user: user)) else { return }
            default:
                throw PreloadProtocolError("unexpected \(type) on a device connection")
            }
        }
    }

    /// An ASYNC message: changes the open file's O_ASYNC state as the kernel would for the node's
    /// `fasync` method, arms or disarms its signal, and answers the state (ASYNC_STATE).
    private func changeAsync(handle: UInt64, file: OpenFileID, set: UInt32, on: Bool, owner: Int32,
                             signal: Int32, user: UInt32) -> [UInt8] {
        let fasync = node(state.withLock { $0.files[handle]?.route }).node.fileOperations.fasync
        // Under the state lock, so two connections of one file change it one after the other and
        // the hub is armed with the state that won.
        let (refused, now) = state.withLock { s -> (Errno?, AsyncState) in
            guard var f = s.files[handle] else { return (.EBADF, AsyncState()) }
            let refused = f.async.apply(set: set, on: on, owner: owner, signal: signal, by: user, fasync: fasync)
            s.files[handle] = f
            if refused == nil { hub.arm(file, f.async.target(fasync)) }
            return (refused, f.async)
        }
        var b: [UInt8] = []
        b.appendLE(refused?.rawValue ?? 0)
        b.appendLE(UInt32(now.on ? 1 : 0))
        b.appendLE(now.owner)
        b.appendLE(now.signal)
        return b
    }

    /// A WATCH connection: READY as soon as one of the files is readable, then done. Ends
    /// early when the client closes it (its poll returned for another reason).
    private func watch(_ socket: FrameSocket, _ body: [UInt8]) throws(PreloadProtocolError) {
        var r = BodyReader(body)
        let n = Int(try r.u32())
        guard n <= 65536 else { throw PreloadProtocolError("WATCH of \(n) handles") }
        var handles: [UInt64] = []
        for _ in 0..<n { handles.append(try r.u64()) }
        try r.expectEnd("WATCH")
        let open = state.withLock { s in handles.compactMap { s.files[$0] } }
        let files = Set(open.map(\.file))
        if files.count < Set(handles).count {   // a handle already closed: let the client look again
            _ = socket.send(.ready)
            return
        }
        guard let wake = try? FileDescriptor.pipe(options: [.closeOnExec, .nonBlocking]) else {
            _ = socket.send(.ready)
            return
        }
        defer { wake.readEnd.closeIgnoringErrors(); wake.writeEnd.closeIgnoringErrors() }
        let id = hub.register(files, wake: wake.writeEnd)
        defer { hub.unregister(id) }
        while true {
            if open.contains(where: { node($0.route).node.isReadable($0.file) }) {
                _ = socket.send(.ready)
                return
            }
            guard let ready = try? FileDescriptor.waitForInput(socket.fd, wake.readEnd) else { return }
            if ready.first { return }   // the client closed its watch (or sent junk)
            var drain = [UInt8](repeating: 0, count: 64)
            drain.withUnsafeMutableBytes { buffer in
                while let n = try? wake.readEnd.readSome(into: buffer, retryOnInterrupt: false), n > 0 {}
            }
        }
    }
}
