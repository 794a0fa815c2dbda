#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The control channel's server: a Unix stream socket; each connection sends request lines
/// (JSON objects) and gets one answer line per request. One thread per connection.
///
/// The socket is private to the user who started the daemon: created mode 0600; a missing
/// parent directory is created 0700.
public final class ControlServer: Sendable {
    public let path: String
    let listenFD: Int32
    let handler: ControlHandler
    let stopped = Atomic<Bool>(false)
    /// Longest request line accepted.
    public static let maxLine = 1 << 20

    public init(path: String, handler: ControlHandler) throws(ControlError) {
        self.path = path
        self.handler = handler
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, access(dir, F_OK) != 0, mkdir(dir, 0o700) != 0 {
            throw ControlError("cannot create \(dir): \(String(cString: strerror(errno)))")
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw ControlError("the socket path \(path) is too long (at most \(MemoryLayout.size(ofValue: addr.sun_path) - 1) bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("socket: \(String(cString: strerror(errno)))") }
        // A stale socket (nobody listening) is replaced; a live one is refused.
        if Self.isLive(path) {
            close(fd)
            throw ControlError("\(path) is in use by a running daemon")
        }
        unlink(path)
        let old = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0 else {
            let why = String(cString: strerror(errno)); close(fd)
            throw ControlError("cannot bind \(path): \(why)")
        }
        chmod(path, 0o600)
        guard listen(fd, 16) == 0 else {
            let why = String(cString: strerror(errno)); close(fd)
            throw ControlError("listen: \(why)")
        }
        listenFD = fd
    }

    static func isLive(_ path: String) -> Bool {
        let fd = ControlClient.connectSocket(path)
        if fd >= 0 { close(fd); return true }
        return false
    }

    /// Starts accepting on its own thread.
    public func start() {
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    /// Stops accepting and removes the socket.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        unlink(path)
    }

    func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
            while let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard ControlClient.sendAll(fd, Array((handler.handle(line: line) + "\n").utf8)) else { return }
            }
            if buffer.count > Self.maxLine {
                _ = ControlClient.sendAll(fd, Array("{\"ok\":false,\"error\":\"request line too long\"}\n".utf8))
                return
            }
        }
    }
}

/// The client side: one request, one answer.
public enum ControlClient {
    /// Sends `request` (a JSON object's text) to the daemon at `path` and returns its answer line.
    public static func send(_ request: String, to path: String) throws(ControlError) -> String {
        let fd = connectSocket(path)
        guard fd >= 0 else {
            throw ControlError("cannot connect to \(path): \(String(cString: strerror(errno))) (is `i2osim serve --control \(path)` running?)")
        }
        defer { close(fd) }
        guard sendAll(fd, Array((request + "\n").utf8)) else { throw ControlError("the daemon closed the connection") }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !answer.contains(0x0A) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw ControlError("the daemon closed the connection without an answer") }
            answer.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: answer.prefix { $0 != 0x0A }, as: UTF8.self)
    }

    static func connectSocket(_ path: String) -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { errno = ENAMETOOLONG; return -1 }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { let e = errno; close(fd); errno = e; return -1 }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }
}
