#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// How a child process ended, as `waitpid` tells it.
public enum WaitStatus: Sendable, Equatable {
    /// It exited with this code (0…255). The corresponding C macros are `WIFEXITED` and `WEXITSTATUS`.
    case exited(CInt)
    /// A signal ended it. The corresponding C macro is `WTERMSIG`.
    case signaled(CInt)

    /// The status word `waitpid` gave for a child that ended.
    public init(rawValue status: CInt) {
        self = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
    }

    /// Waits for child `pid` to end. A wait interrupted by a signal is made again.
    ///
    /// The corresponding C function is `waitpid`.
    public static func wait(for pid: pid_t) throws(Errno) -> WaitStatus {
        var status: CInt = 0
        _ = try Errno.retryingOnInterrupt { waitpid(pid, &status, 0) }
        return WaitStatus(rawValue: status)
    }
}
