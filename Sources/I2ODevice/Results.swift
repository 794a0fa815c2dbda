import I2OABI
import I2OFormats

/// Identifies one open file of the device (one `open()`), with its event queue and registrations.
public struct OpenFileID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "file#\(rawValue)" }
    /// Open files are looked up on every request: the cheap hash of `I2OFormats` (ids are ours, sequential).
    public func _rawHashValue(seed: Int) -> Int { i2oFastHash(rawValue, seed: seed) }
}

/// What an ioctl returns to the caller: 0 (or, for kernel personalities, a positive value) or an errno.
public enum IoctlResult: Hashable, Sendable, CustomStringConvertible {
    case value(Int32)
    case error(Errno)
    public static let success = IoctlResult.value(0)
    public var description: String {
        switch self {
        case let .value(v): "\(v)"
        case let .error(e): "-1 \(e)"
        }
    }
}

/// What `read()` on the node gives.
public enum ReadResult: Hashable, Sendable {
    /// Whole `i2o_evt_info` records (or, for linux-2.4, 0 bytes = EOF).
    case data([UInt8])
    /// Nothing queued and the caller would block; a blocking caller waits for `NodeObserver.eventQueued`.
    case wouldBlock
    case error(Errno)
}
