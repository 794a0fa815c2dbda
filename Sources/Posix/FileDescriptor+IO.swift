#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

// Opening, reading and writing with typed errors (no existential on the way). A call interrupted
// by a signal (EINTR) is made again, unless the caller asks for one try only.

extension FileDescriptor {
    /// Opens `path` exactly as given (no `FilePath` normalisation), retried on EINTR.
    ///
    /// The corresponding C function is `open`.
    @inlinable
    public static func open(
        _ path: String, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions = []
    ) throws(Errno) -> FileDescriptor {
        let flags = mode.rawValue | options.rawValue
        return FileDescriptor(rawValue: try Errno.retryingOnInterrupt { path.withCString { Glibc.open($0, flags, permissions.rawValue) } })
    }

    /// Reads up to `buffer.count` bytes: the count read, 0 at the end of the file. With
    /// `retryOnInterrupt`, a read interrupted by a signal is made again.
    ///
    /// The corresponding C function is `read`.
    @inlinable
    public func readSome(into buffer: UnsafeMutableRawBufferPointer, retryOnInterrupt: Bool = true) throws(Errno) -> Int {
        try Errno.retryingOnInterrupt(retryOnInterrupt) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes up to `buffer.count` bytes once: the count written. With `retryOnInterrupt`, a
    /// write interrupted by a signal is made again.
    ///
    /// The corresponding C function is `write`.
    @inlinable
    public func writeSome(_ buffer: UnsafeRawBufferPointer, retryOnInterrupt: Bool = true) throws(Errno) -> Int {
        try Errno.retryingOnInterrupt(retryOnInterrupt) { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes every byte of `buffer`: short writes are continued, interrupted ones made again.
    ///
    /// The corresponding C function is `write`.
    @inlinable
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < buffer.count {
            done += try writeSome(UnsafeRawBufferPointer(rebasing: buffer[done...]))
        }
    }

    /// Writes every byte of `bytes` (see `writeAll(_:)` on a buffer).
    ///
    /// The corresponding C function is `write`.
    @inlinable
    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        try bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try writeAll(raw) } }.get()
    }

    /// Closes the descriptor, ignoring any error: for a descriptor that is being given up (the
    /// kernel has released it whatever `close` returns).
    ///
    /// The corresponding C function is `close`.
    @inlinable
    public func closeIgnoringErrors() {
        _ = Glibc.close(rawValue)
    }
}
