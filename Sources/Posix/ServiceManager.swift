#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The service manager's readiness protocol (systemd's `Type=notify`, sd_notify(3)) without
/// libsystemd: the state ("READY=1", "STOPPING=1", "STATUS=…", one `KEY=VALUE` per line) is one
/// datagram sent to the AF_UNIX socket named by `$NOTIFY_SOCKET`. A name beginning with `@` is in
/// the abstract namespace (the `@` stands for the leading NUL); any other is a path.
public enum ServiceManager {
    /// The socket a service manager asked us to notify (`$NOTIFY_SOCKET`), or nil when there is none.
    public static var notifySocket: String? {
        guard let value = getenv("NOTIFY_SOCKET"), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// Sends `state` to `socket` (default `$NOTIFY_SOCKET`) as one datagram. Returns false when
    /// there is no socket to notify (not started by a service manager), true once sent.
    ///
    /// The corresponding C functions are `socket` (`AF_UNIX`, `SOCK_DGRAM | SOCK_CLOEXEC`) and
    /// `sendto` (`MSG_NOSIGNAL`).
    @discardableResult
    public static func notify(_ state: String, socket: String? = notifySocket) throws(SystemError) -> Bool {
        guard let socket else { return false }
        let name = Array(socket.utf8)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        // A path needs its NUL; an abstract name ("@name" -> "\0name") has none and its length is exact.
        let abstract = name.first == UInt8(ascii: "@")
        guard (socket.hasPrefix("/") || abstract), name.count > 1, name.count < capacity else {
            throw SystemError("NOTIFY_SOCKET is neither an absolute path nor an @abstract name that fits a sockaddr_un:",
                              path: socket, errno: .invalidArgument)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in name.enumerated() { raw[i] = b }
            if abstract { raw[0] = 0 }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + name.count + (abstract ? 0 : 1))
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket for NOTIFY_SOCKET") }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { m in
                    var n: Int
                    repeat { n = sendto(fd, m.baseAddress, m.count, Int32(MSG_NOSIGNAL), sa, length) } while n < 0 && errno == EINTR
                    return n
                }
            }
        }
        guard sent == message.count else { throw SystemError("cannot notify the service manager at", path: socket) }
        return true
    }
}
