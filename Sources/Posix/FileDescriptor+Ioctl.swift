#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

extension FileDescriptor {
    /// Makes the ioctl `request` with a pointer argument: its non-negative result. A call
    /// interrupted by a signal is made again.
    ///
    /// The corresponding C function is `ioctl`.
    @inlinable
    public func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer) throws(Errno) -> CInt {
        try Errno.retryingOnInterrupt { Glibc.ioctl(rawValue, request, argument) }
    }

    /// Makes the ioctl `request` with an integer argument (see the pointer form).
    ///
    /// The corresponding C function is `ioctl`.
    @inlinable
    public func ioctl(_ request: UInt, value argument: CInt) throws(Errno) -> CInt {
        try Errno.retryingOnInterrupt { Glibc.ioctl(rawValue, request, argument) }
    }
}
