#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A failed system call, as a person reads it: what was being done, the path it was done to (if
/// any) and the `errno` it gave.
///
/// Its description is "operation path: strerror", either of the first two left out when empty:
/// `cannot bind /tmp/i2o.sock: Permission denied`, `socket: Too many open files`,
/// `/dev/i2o/ctl: No such file or directory`.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// What was being done ("cannot bind", "socket", "setgid(100)"); may be empty.
    public var operation: String
    /// The file the call was about, if any.
    public var path: String?
    /// The error the call gave.
    public var errno: Errno

    /// An error with `errno` given.
    public init(_ operation: String = "", path: String? = nil, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// An error with the calling thread's current `errno`: make it right after the call that failed.
    public init(_ operation: String = "", path: String? = nil) {
        self.init(operation, path: path, errno: .last)
    }

    /// "operation path: strerror". The corresponding C function is `strerror`.
    public var description: String {
        let what = [operation, path ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        return what.isEmpty ? errno.description : "\(what): \(errno.description)"
    }
}

extension Errno {
    /// The calling thread's `errno`: read it right after the call that failed. (Not `current`:
    /// swift-system keeps that name for itself.)
    ///
    /// The corresponding C variable is `errno`.
    @inlinable
    public static var last: Errno { Errno(rawValue: Glibc.errno) }
}

extension Errno {
    /// Runs `call` (a system call returning −1 and setting `errno` on failure) and gives its
    /// result; a call interrupted by a signal (EINTR) is made again when `retry` says so. The one
    /// home of the EINTR loop.
    @inlinable
    public static func retryingOnInterrupt<R: SignedInteger>(_ retry: Bool = true, _ call: () -> R) throws(Errno) -> R {
        while true {
            let r = call()
            if r >= 0 { return r }
            let e = Errno.last
            if e != .interrupted || !retry { throw e }
        }
    }
}

