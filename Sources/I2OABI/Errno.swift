/// A Linux errno value, as an ioctl of the node returns it. The values are Linux's (x86), whatever
/// the host platform; a host's own errors are `SystemPackage.Errno`.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Error {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The corresponding C error is `EPERM`.
    public static let EPERM = Errno(rawValue: 1)
    /// The corresponding C error is `ENOENT`.
    public static let ENOENT = Errno(rawValue: 2)
    /// The corresponding C error is `EINTR`.
    public static let EINTR = Errno(rawValue: 4)
    /// The corresponding C error is `EIO`.
    public static let EIO = Errno(rawValue: 5)
    /// The corresponding C error is `ENXIO`.
    public static let ENXIO = Errno(rawValue: 6)
    /// The corresponding C error is `EBADF`.
    public static let EBADF = Errno(rawValue: 9)
    /// The corresponding C error is `EAGAIN`.
    public static let EAGAIN = Errno(rawValue: 11)
    /// The corresponding C error is `ENOMEM`.
    public static let ENOMEM = Errno(rawValue: 12)
    /// The corresponding C error is `EFAULT`.
    public static let EFAULT = Errno(rawValue: 14)
    /// The corresponding C error is `EBUSY`.
    public static let EBUSY = Errno(rawValue: 16)
    /// The corresponding C error is `ENODEV`.
    public static let ENODEV = Errno(rawValue: 19)
    /// The corresponding C error is `EINVAL`.
    public static let EINVAL = Errno(rawValue: 22)
    /// The corresponding C error is `ENOTTY`.
    public static let ENOTTY = Errno(rawValue: 25)
    /// The corresponding C error is `ENOSPC`.
    public static let ENOSPC = Errno(rawValue: 28)
    /// The corresponding C error is `EPIPE`.
    public static let EPIPE = Errno(rawValue: 32)
    /// The corresponding C error is `ENOBUFS`.
    public static let ENOBUFS = Errno(rawValue: 105)
    /// The corresponding C error is `EOPNOTSUPP`.
    public static let EOPNOTSUPP = Errno(rawValue: 95)
    /// The corresponding C error is `ETIMEDOUT`.
    public static let ETIMEDOUT = Errno(rawValue: 110)

    /// Every errno with a name here, by name (`ENODEV`): what fault rules and traces accept.
    public static let byName: [String: Errno] = [
        "EPERM": .EPERM, "ENOENT": .ENOENT, "EINTR": .EINTR, "EIO": .EIO, "ENXIO": .ENXIO, "EBADF": .EBADF,
        "EAGAIN": .EAGAIN, "ENOMEM": .ENOMEM, "EFAULT": .EFAULT, "EBUSY": .EBUSY, "ENODEV": .ENODEV,
        "EINVAL": .EINVAL, "ENOTTY": .ENOTTY, "ENOSPC": .ENOSPC, "EPIPE": .EPIPE, "ENOBUFS": .ENOBUFS,
        "EOPNOTSUPP": .EOPNOTSUPP, "ETIMEDOUT": .ETIMEDOUT,
    ]
    private static let names: [Int32: String] = Dictionary(uniqueKeysWithValues: byName.map { ($0.value.rawValue, $0.key) })

    /// Its name (`EINVAL`), or `errno N` for a value without one here.
    public var description: String { Self.names[rawValue] ?? "errno \(rawValue)" }
}
