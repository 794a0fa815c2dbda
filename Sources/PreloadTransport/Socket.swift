#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connected stream socket carrying frames. Not shared between threads.
final class FrameSocket {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    enum ReadOutcome { case frame(PreloadProtocol.MessageType, [UInt8]), closed }

    /// Reads one frame. `.closed` on a clean EOF at a frame boundary.
    /// Bytes received ahead of the frame being read: `inbox[head..<tail]`. One `recv` usually
    /// brings a whole small frame (or several), where reading header and body exactly took two.
    /// Small, so that many open files cost little memory; a bigger frame's body is read directly.
    private var inbox = [UInt8](repeating: 0, count: 4096)
    private var head = 0, tail = 0

    func readFrame() throws(PreloadProtocolError) -> ReadOutcome {
        switch fill(8, allowEOF: true) {
        case .eof: return .closed
        case .failed(let why): throw PreloadProtocolError(why)
        case .ok: break
        }
        let (length, rawType) = inbox.withUnsafeBytes { b in
            (Int(b.loadUnaligned(fromByteOffset: head, as: UInt32.self).littleEndian),
             b.loadUnaligned(fromByteOffset: head + 4, as: UInt32.self).littleEndian)
        }
        head += 8
        guard length >= 4, length <= PreloadProtocol.maxFrame else {
            throw PreloadProtocolError("bad frame length \(length)")
        }
        guard let type = PreloadProtocol.MessageType(rawValue: rawType) else {
            throw PreloadProtocolError("unknown message type \(rawType)")
        }
        let n = length - 4
        if n <= inbox.count {
            switch fill(n, allowEOF: false) {
            case .ok: break
            case .eof: throw PreloadProtocolError("connection closed inside a frame")
            case .failed(let why): throw PreloadProtocolError(why)
            }
            let body = Array(inbox[head..<head + n])
            head += n
            return .frame(type, body)
        }
        // A big body: what is buffered, then the rest straight into it.
        var body = [UInt8](repeating: 0, count: n)
        let have = tail - head
        body.replaceSubrange(0..<have, with: inbox[head..<tail])
        head = 0; tail = 0
        switch readExact(&body, from: have) {
        case .ok: return .frame(type, body)
        case .eof: throw PreloadProtocolError("connection closed inside a frame")
        case .failed(let why): throw PreloadProtocolError(why)
        }
    }

    private enum ExactOutcome { case ok, eof, failed(String) }

    /// Makes at least `n` (≤ the inbox's size) bytes buffered. EOF before any byte of a frame
    /// is `.eof` when allowed; inside a frame it is a failure.
    private func fill(_ n: Int, allowEOF: Bool) -> ExactOutcome {
        if tail - head >= n { return .ok }
        if head + n > inbox.count {
            inbox.replaceSubrange(0..<tail - head, with: inbox[head..<tail])
            tail -= head; head = 0
        }
        while tail - head < n {
            let got = inbox.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + tail, raw.count - tail, 0) }
            switch received(got, frameStarted: tail > head, allowEOF: allowEOF) {
            case .ok: tail += got
            case .retry: continue
            case let .stop(outcome): return outcome
            }
        }
        return .ok
    }

    /// Reads `buffer[done...]` exactly.
    private func readExact(_ buffer: inout [UInt8], from done: Int) -> ExactOutcome {
        var done = done
        let count = buffer.count
        while done < count {
            let got = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + done, count - done, 0) }
            switch received(got, frameStarted: true, allowEOF: false) {
            case .ok: done += got
            case .retry: continue
            case let .stop(outcome): return outcome
            }
        }
        return .ok
    }

    private enum Received { case ok, retry, stop(ExactOutcome) }

    /// What a `recv` result means.
    private func received(_ n: Int, frameStarted: Bool, allowEOF: Bool) -> Received {
        if n == 0 {
            return .stop(!frameStarted && allowEOF ? .eof : .failed("connection closed inside a frame"))
        }
        if n < 0 {
            let e = errno
            if e == EINTR { return .retry }
            if e == ECONNRESET && !frameStarted && allowEOF { return .stop(.eof) }
            if e == EAGAIN || e == EWOULDBLOCK { return .stop(.failed("nothing received in time")) }
            return .stop(.failed("receive failed: \(String(cString: strerror(e)))"))
        }
        return .ok
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    func send(_ type: PreloadProtocol.MessageType, _ body: [UInt8] = []) -> Bool {
        send(PreloadProtocol.frame(type, body))
    }

    /// The peer's socket name (the client's autobind name: how an inherited descriptor is recognised).
    func peerName() -> [UInt8] {
        var addr = sockaddr_un()
        var len = socklen_t(MemoryLayout<sockaddr_un>.size)
        let r = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        }
        let pathOffset = MemoryLayout<sa_family_t>.size
        guard r == 0, Int(len) > pathOffset else { return [] }
        let n = min(Int(len) - pathOffset, MemoryLayout.size(ofValue: addr.sun_path))
        return withUnsafeBytes(of: &addr.sun_path) { Array($0.prefix(n)) }
    }

    func setReceiveTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// Errors of setting up the listening socket.
public struct PreloadServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

enum UnixSocket {
    static func address(_ path: String) throws(PreloadServerError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw PreloadServerError("socket path too long (\(bytes.count) bytes): \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }

    /// Whether something is listening at `path`.
    static func isLive(_ path: String) -> Bool {
        guard let addr = try? address(path) else { return false }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return false }
        defer { close(s) }
        var a = addr
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return r == 0
    }

    /// Binds and listens at `path`, then sets permissions `mode`. The process umask is left
    /// alone (changing it would race with other threads creating files): between bind and
    /// chmod the socket has the umask's permissions, which matters only for a path given by
    /// the user outside a private directory, and even then needs a group/world-writable umask.
    static func listen(at path: String, mode: mode_t) throws(PreloadServerError) -> Int32 {
        var addr = try address(path)
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw PreloadServerError("socket(): errno \(errno)") }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                close(s)
                throw PreloadServerError("\(path) exists and is not a socket")
            }
            guard !isLive(path) else {
                close(s)
                throw PreloadServerError("\(path) is in use by a running daemon")
            }
            unlink(path)   // a stale socket of a daemon that died
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindErrno = errno
        guard r == 0 else {
            close(s)
            throw PreloadServerError("cannot bind \(path): \(String(cString: strerror(bindErrno)))")
        }
        guard chmod(path, mode) == 0 else {
            let e = errno
            close(s)
            unlink(path)
            throw PreloadServerError("cannot chmod \(path): \(String(cString: strerror(e)))")
        }
        guard Glibc.listen(s, 128) == 0 else {
            close(s)
            throw PreloadServerError("listen(): errno \(errno)")
        }
        return s
    }

    /// A fresh private directory (0700) under $TMPDIR or /tmp.
    static func privateDirectory() throws(PreloadServerError) -> String {
        var base = "/tmp"
        if let t = getenv("TMPDIR"), let s = Optional(String(cString: t)), !s.isEmpty { base = s }
        var template = Array("\(base)/i2osim-XXXXXX".utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard ok else { throw PreloadServerError("mkdtemp in \(base): \(String(cString: strerror(errno)))") }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
