import I2OFormats

/// A Linux errno value, as an ioctl of the node returns it. The values are Linux's (x86), whatever
/// the host platform; a host's own errors are `SystemPackage.Errno`.
public struct Errno: NamedCode, Error {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let EPERM = Self(rawValue: 1), ENOENT = Self(rawValue: 2), EINTR = Self(rawValue: 4)
    public static let EIO = Self(rawValue: 5), ENXIO = Self(rawValue: 6), EBADF = Self(rawValue: 9)
    public static let EAGAIN = Self(rawValue: 11), ENOMEM = Self(rawValue: 12), EFAULT = Self(rawValue: 14)
    public static let EBUSY = Self(rawValue: 16), ENODEV = Self(rawValue: 19), EINVAL = Self(rawValue: 22)
    public static let ENOTTY = Self(rawValue: 25), ENOSPC = Self(rawValue: 28), EPIPE = Self(rawValue: 32)
    public static let EOPNOTSUPP = Self(rawValue: 95), ENOBUFS = Self(rawValue: 105), ETIMEDOUT = Self(rawValue: 110)

    /// Every errno with a name here: what fault rules and traces accept.
    public static let names: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 4: "EINTR", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM",
        14: "EFAULT", 16: "EBUSY", 19: "ENODEV", 22: "EINVAL", 25: "ENOTTY", 28: "ENOSPC", 32: "EPIPE",
        95: "EOPNOTSUPP", 105: "ENOBUFS", 110: "ETIMEDOUT",
    ]
    public static let hexDigits = 0

    /// Its name (`EINVAL`), or `errno N` for a value without one here.
    public var description: String { name ?? "errno \(rawValue)" }
}
