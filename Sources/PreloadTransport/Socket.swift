#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Posix
import SystemPackage

/// A connected stream socket carrying frames. Not shared between threads.
final class FrameSocket {
    let fd: FileDescriptor
    init(fd: FileDescriptor) { self.fd = fd }

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
        return receive(into: &inbox, from: &tail, to: head + n, frameStart: head, allowEOF: allowEOF)
    }

    /// Reads `buffer[done...]` exactly.
    private func readExact(_ buffer: inout [UInt8], from done: Int) -> ExactOutcome {
        var done = done
        return receive(into: &buffer, from: &done, to: buffer.count, frameStart: -1, allowEOF: false)
    }

    /// Receives into `buffer` from `position` on until `end`. EOF while nothing lies past
    /// `frameStart` (no byte of a frame yet) is `.eof` when allowed; inside a frame it is a failure.
    private func receive(into buffer: inout [UInt8], from position: inout Int, to end: Int, frameStart: Int,
                         allowEOF: Bool) -> ExactOutcome {
        while position < end {
            let frameStarted = position > frameStart
            do {
                let got = try fd.receive(into: &buffer, at: position)
                if got == 0 { return closed(frameStarted: frameStarted, allowEOF: allowEOF) }
                position += got
            } catch {
                return failed(error, frameStarted: frameStarted, allowEOF: allowEOF)
            }
        }
        return .ok
    }

    /// What the peer's closing the connection means.
    private func closed(frameStarted: Bool, allowEOF: Bool) -> ExactOutcome {
        !frameStarted && allowEOF ? .eof : .failed("connection closed inside a frame")
    }

    /// What a failed `recv` means.
    private func failed(_ e: Errno, frameStarted: Bool, allowEOF: Bool) -> ExactOutcome {
        if e == .connectionReset && !frameStarted && allowEOF { return .eof }
        if e == .resourceTemporarilyUnavailable || e == .wouldBlock { return .failed("nothing received in time") }
        return .failed(SystemError("receive failed", errno: e).description)
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        (try? fd.sendAll(bytes)) != nil
    }

    func send(_ type: PreloadProtocol.MessageType, _ body: [UInt8] = []) -> Bool {
        send(PreloadProtocol.frame(type, body))
    }

    /// The peer's socket name (the client's autobind name: how an inherited descriptor is recognised).
    func peerName() -> [UInt8] {
        (try? fd.unixPeerName()) ?? []
    }

    func setReceiveTimeout(seconds: Int) {
        try? fd.setReceiveTimeout(seconds: seconds)
    }
}

/// Errors of setting up the listening socket.
public struct PreloadServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

enum UnixSocket {
    static func address(_ path: String) throws(PreloadServerError) -> sockaddr_un {
        do { return try UnixSocketAddress(path).storage } catch {
            throw PreloadServerError("socket path too long (\(path.utf8.count) bytes): \(path)")
        }
    }

    /// Binds and listens at `path`, with permissions `mode` (see `UnixListener`).
    static func listen(at path: String, mode: mode_t) throws(PreloadServerError) -> UnixListener {
        do { return try UnixListener(path: path, mode: FilePermissions(rawValue: mode), backlog: 128) } catch {
            switch error {
            case .pathTooLong: throw PreloadServerError("socket path too long (\(path.utf8.count) bytes): \(path)")
            case let .system(e) where e.operation == "socket" || e.operation == "listen":
                throw PreloadServerError("\(e.operation)(): errno \(e.errno.rawValue)")
            default: throw PreloadServerError(error.description)
            }
        }
    }

    /// A fresh private directory (0700) under $TMPDIR or /tmp.
    static func privateDirectory() throws(PreloadServerError) -> String {
        var base = "/tmp"
        if let t = getenv("TMPDIR"), let s = Optional(String(cString: t)), !s.isEmpty { base = s }
        var template = Array("\(base)/i2osim-XXXXXX".utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard ok else { throw PreloadServerError(SystemError("mkdtemp in", path: base).description) }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
