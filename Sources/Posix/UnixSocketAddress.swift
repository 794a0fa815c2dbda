#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The address of an AF_UNIX socket: a path in the file system.
///
/// The corresponding C type is `sockaddr_un`.
public struct UnixSocketAddress: Sendable {
    /// The C address.
    public private(set) var storage: sockaddr_un
    /// The path it names.
    public let path: String

    /// The longest path a `sockaddr_un` holds, in bytes (it ends with a NUL).
    public static var maxPathBytes: Int { MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1 }

    /// The address of `path`; ENAMETOOLONG when it has more than `maxPathBytes` bytes.
    public init(_ path: String) throws(Errno) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= Self.maxPathBytes else { throw Errno.fileNameTooLong }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        self.storage = addr
        self.path = path
    }

    /// Calls `body` with the address as the C calls take it.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A new close-on-exec stream socket connected to this address.
    ///
    /// The corresponding C functions are `socket` (`AF_UNIX`, `SOCK_STREAM | SOCK_CLOEXEC`) and `connect`.
    public func connect() throws(Errno) -> FileDescriptor {
        let fd = try Self.streamSocket()
        guard withSockaddr({ Glibc.connect(fd.rawValue, $0, $1) }) == 0 else {
            let e = Errno.last
            fd.closeIgnoringErrors()
            throw e
        }
        return fd
    }

    /// Whether a server is listening here (a connection is accepted, then closed at once).
    public var isListening: Bool {
        guard let fd = try? connect() else { return false }
        fd.closeIgnoringErrors()
        return true
    }

    /// A new close-on-exec AF_UNIX stream socket.
    ///
    /// The corresponding C function is `socket`.
    static func streamSocket() throws(Errno) -> FileDescriptor {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno.last }
        return FileDescriptor(rawValue: fd)
    }
}
