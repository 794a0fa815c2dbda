/// Which struct layouts the caller uses: x86_64 (LP64) or i386 (ILP32) — docs/ioctl-abi.md.
/// A 32-bit process on a 64-bit kernel passes the i386 layouts.
public enum CallerABI: String, Sendable, Hashable, CaseIterable {
    case lp64, ilp32

    /// Bytes of a user pointer.
    public var pointerSize: Int { self == .lp64 ? 8 : 4 }
}
