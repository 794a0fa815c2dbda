#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

extension FileDescriptor {
    /// Whether input is waiting on the descriptor now (POLLIN), without waiting for it.
    ///
    /// The corresponding C function is `poll` (timeout 0).
    public func hasInput() -> Bool {
        var p = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        return Glibc.poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
    }

    /// Waits, for as long as it takes, until `first` or `second` has input, has hung up or has
    /// failed; which of them did. A wait interrupted by a signal is made again.
    ///
    /// The corresponding C function is `poll` (POLLIN, no timeout).
    public static func waitForInput(_ first: FileDescriptor, _ second: FileDescriptor) throws(Errno) -> (first: Bool, second: Bool) {
        var fds = (pollfd(fd: first.rawValue, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: second.rawValue, events: Int16(POLLIN), revents: 0))
        while true {
            let rc = withUnsafeMutableBytes(of: &fds) { raw in
                Glibc.poll(raw.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, -1)
            }
            if rc >= 0 { return (fds.0.revents != 0, fds.1.revents != 0) }
            let e = Errno.last
            if e != .interrupted { throw e }
        }
    }
}
