#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Posix
import Synchronization
import SystemPackage

/// The control channel's server: a Unix stream socket; each connection sends request lines
/// (JSON objects) and gets one answer line per request. One thread per connection.
///
/// The socket is private to the user who started the daemon: created mode 0600; a missing
/// parent directory is created 0700.
public final class ControlServer: Sendable {
    public let path: String
    let listener: UnixListener
    let handler: ControlHandler
    let stopped = Atomic<Bool>(false)
    /// Longest request line accepted.
    public static let maxLine = 1 << 20

    public init(path: String, handler: ControlHandler) throws(ControlError) {
        self.path = path
        self.handler = handler
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, access(dir, F_OK) != 0, mkdir(dir, 0o700) != 0 {
            throw ControlError(SystemError("cannot create", path: dir).description)
        }
        do { listener = try UnixListener(path: path, mode: .ownerReadWrite, backlog: 16) } catch {
            throw ControlError(error.description)
        }
    }

    /// Starts accepting on its own thread.
    public func start() {
        DetachedThread.start(name: "control-accept") { [self] in acceptLoop() }
    }

    /// Stops accepting and removes the socket.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        listener.shutdown()
        listener.close()
        listener.removeSocketFile()
    }

    func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            guard let c = try? listener.accept() else { return }
            DetachedThread.start(name: "control-conn") { [self] in serve(c) }
        }
    }

    func serve(_ fd: FileDescriptor) {
        defer { fd.closeIgnoringErrors() }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let n = try? fd.receive(into: &chunk, at: 0), n > 0 else { return }
            buffer.append(contentsOf: chunk[0..<n])
            while let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard (try? fd.sendAll(Array((handler.handle(line: line) + "\n").utf8))) != nil else { return }
            }
            if buffer.count > Self.maxLine {
                try? fd.sendAll(Array("{\"ok\":false,\"error\":\"request line too long\"}\n".utf8))
                return
            }
        }
    }
}

/// The client side: one request, one answer.
public enum ControlClient {
    /// Sends `request` (a JSON object's text) to the daemon at `path` and returns its answer line.
    public static func send(_ request: String, to path: String) throws(ControlError) -> String {
        let fd: FileDescriptor
        do { fd = try UnixSocketAddress(path).connect() } catch {
            throw ControlError("\(SystemError("cannot connect to", path: path, errno: error)) (is `i2osim serve --control \(path)` running?)")
        }
        defer { fd.closeIgnoringErrors() }
        guard (try? fd.sendAll(Array((request + "\n").utf8))) != nil else { throw ControlError("the daemon closed the connection") }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !answer.contains(0x0A) {
            guard let n = try? fd.receive(into: &chunk, at: 0), n > 0 else {
                throw ControlError("the daemon closed the connection without an answer")
            }
            answer.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: answer.prefix { $0 != 0x0A }, as: UTF8.self)
    }
}
