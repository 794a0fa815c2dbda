#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

// A connected stream socket's calls. These are on every preload request's path: each is one
// system call (again only after EINTR), inlined into the caller.

extension FileDescriptor {
    /// Receives up to `buffer.count` bytes: the count received, 0 when the peer has closed.
    /// A call interrupted by a signal is made again.
    ///
    /// The corresponding C function is `recv` (no flags).
    @inlinable @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingOnInterrupt { Glibc.recv(rawValue, buffer.baseAddress, buffer.count, 0) }
    }

    /// Receives into `buffer[offset...]` (see `receive(into:)` on a raw buffer).
    ///
    /// The corresponding C function is `recv`.
    @inlinable @inline(__always)
    public func receive(into buffer: inout [UInt8], at offset: Int) throws(Errno) -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in try receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...])) }
        }.get()
    }

    /// Sends every byte of `buffer`: short sends are continued, interrupted ones made again. A
    /// peer that has gone gives EPIPE, never SIGPIPE.
    ///
    /// The corresponding C function is `send` (`MSG_NOSIGNAL`).
    @inlinable @inline(__always)
    public func sendAll(_ buffer: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < buffer.count {
            done += try Errno.retryingOnInterrupt {
                Glibc.send(rawValue, buffer.baseAddress! + done, buffer.count - done, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Sends every byte of `bytes` (see `sendAll(_:)` on a raw buffer).
    ///
    /// The corresponding C function is `send` (`MSG_NOSIGNAL`).
    @inlinable @inline(__always)
    public func sendAll(_ bytes: [UInt8]) throws(Errno) {
        try bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try sendAll(raw) } }.get()
    }

    /// Shuts both directions of the connection down: a thread blocked in `recv` or `accept` on
    /// it returns.
    ///
    /// The corresponding C function is `shutdown` (`SHUT_RDWR`).
    @inlinable
    public func shutdown() throws(Errno) {
        if Glibc.shutdown(rawValue, Int32(SHUT_RDWR)) != 0 { throw Errno.last }
    }

    /// How long a `receive` waits before it fails with EAGAIN; 0 waits for ever.
    ///
    /// The corresponding C function is `setsockopt` (`SO_RCVTIMEO`).
    @inlinable
    public func setReceiveTimeout(seconds: Int) throws(Errno) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        if setsockopt(rawValue, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            throw Errno.last
        }
    }

    /// The peer's AF_UNIX name as the kernel gives it: the bytes of `sun_path` (an autobound
    /// name starts with a NUL); empty for an unnamed peer.
    ///
    /// The corresponding C function is `getpeername`.
    public func unixPeerName() throws(Errno) -> [UInt8] {
        var addr = sockaddr_un()
        var len = socklen_t(MemoryLayout<sockaddr_un>.size)
        let r = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(rawValue, $0, &len) }
        }
        guard r == 0 else { throw Errno.last }
        let pathOffset = MemoryLayout<sa_family_t>.size
        guard Int(len) > pathOffset else { return [] }
        let n = min(Int(len) - pathOffset, MemoryLayout.size(ofValue: addr.sun_path))
        return withUnsafeBytes(of: &addr.sun_path) { Array($0.prefix(n)) }
    }
}

extension FileDescriptor {
    /// The connected AF_UNIX peer's process and effective user as they were when it connected.
    ///
    /// The corresponding C function is `getsockopt` (`SO_PEERCRED`).
    public func unixPeerCredentials() throws(Errno) -> (pid: Int32, uid: UInt32) {
        // struct ucred {pid_t pid; uid_t uid; gid_t gid;} (a GNU declaration Swift's Glibc module hides).
        var cred: (Int32, UInt32, UInt32) = (0, 0, 0)
        var len = socklen_t(MemoryLayout.size(ofValue: cred))
        guard getsockopt(rawValue, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { throw Errno.last }
        return (cred.0, cred.1)
    }
}
