#if canImport(Glibc)
import Glibc
#endif
import CPosix
import SystemPackage

/// A listening AF_UNIX stream socket bound to a path: the daemon's side of the control channel
/// and of the preload transport.
///
/// The socket file is made with exactly the permissions asked for, and never more on the way:
/// the socket is given them (`fchmod`) before `bind`, which creates the file with the socket's
/// permissions less the umask, and the file is given them again (`chmod`) after. The process
/// umask is left alone (changing it would race with other threads creating files).
public struct UnixListener: Sendable {
    /// The listening socket (close-on-exec).
    public let descriptor: FileDescriptor
    /// Where it listens.
    public let address: UnixSocketAddress

    /// The socket file's path.
    public var path: String { address.path }

    /// Why a listener could not be made.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The path has more than `UnixSocketAddress.maxPathBytes` bytes.
        case pathTooLong(String)
        /// Something other than a socket is at the path; it is left alone.
        case notASocket(String)
        /// A server is listening at the path.
        case inUse(String)
        /// A call failed: `socket`, `cannot bind PATH`, `cannot chmod PATH` or `listen`.
        case system(SystemError)

        public var description: String {
            switch self {
            case let .pathTooLong(path):
                "the socket path \(path) is too long (at most \(UnixSocketAddress.maxPathBytes) bytes)"
            case let .notASocket(path): "\(path) exists and is not a socket"
            case let .inUse(path): "\(path) is in use by a running daemon"
            case let .system(error): error.description
            }
        }
    }

    /// Binds a new socket at `path` with permissions `mode` and listens, with `backlog`
    /// connections waiting at most. A socket file nobody listens on (left by a daemon that
    /// died) is replaced; a live one, or a file of another kind, is refused.
    ///
    /// The corresponding C functions are `socket`, `fchmod`, `bind`, `chmod` and `listen`.
    public init(path: String, mode: FilePermissions, backlog: Int32) throws(Failure) {
        let address: UnixSocketAddress
        do { address = try UnixSocketAddress(path) } catch { throw .pathTooLong(path) }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
            guard !address.isListening else { throw .inUse(path) }
            unlink(path)   // a stale socket of a daemon that died
        }
        let fd: FileDescriptor
        do { fd = try UnixSocketAddress.streamSocket() } catch { throw .system(SystemError("socket", errno: error)) }
        _ = fchmod(fd.rawValue, mode.rawValue)   // where the kernel refuses, the chmod below still sets the mode
        guard address.withSockaddr({ bind(fd.rawValue, $0, $1) }) == 0 else {
            let e = SystemError("cannot bind", path: path)
            fd.closeIgnoringErrors()
            throw .system(e)
        }
        guard chmod(path, mode.rawValue) == 0 else {
            let e = SystemError("cannot chmod", path: path)
            fd.closeIgnoringErrors()
            unlink(path)
            throw .system(e)
        }
        guard Glibc.listen(fd.rawValue, backlog) == 0 else {
            let e = SystemError("listen")
            fd.closeIgnoringErrors()
            throw .system(e)
        }
        self.descriptor = fd
        self.address = address
    }

    /// Waits for the next connection: a new descriptor, close-on-exec from the start (a command
    /// started meanwhile never inherits it). A call interrupted by a signal, or whose connection
    /// was aborted before it was taken, is made again; after `shutdown()` it fails (EINVAL).
    ///
    /// The corresponding C function is `accept4` (`SOCK_CLOEXEC`).
    public func accept() throws(Errno) -> FileDescriptor {
        while true {
            let fd = accept4(descriptor.rawValue, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 { return FileDescriptor(rawValue: fd) }
            let e = Errno.last
            if e != .interrupted && e != .connectionAbort { throw e }
        }
    }

    /// Stops accepting: a thread waiting in `accept()` returns with an error.
    ///
    /// The corresponding C function is `shutdown`.
    public func shutdown() {
        try? descriptor.shutdown()
    }

    /// Closes the listening socket.
    ///
    /// The corresponding C function is `close`.
    public func close() {
        descriptor.closeIgnoringErrors()
    }

    /// Removes the socket file.
    ///
    /// The corresponding C function is `unlink`.
    public func removeSocketFile() {
        unlink(path)
    }
}
