import I2OFormats
import IOPModel

// The public surface of the ioctl engine. Transports (CUSE, the preload socket, in-process
// tests) use only this; the engine knows nothing of them.

/// Which struct layouts the caller uses: x86_64 (LP64) or i386 (ILP32) — docs/ioctl-abi.md §Layouts.
public enum CallerABI: String, Sendable, Hashable {
    case lp64, ilp32
}

/// A Linux errno value. The values are Linux's, whatever the host platform.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The corresponding C error is `ENOENT`.
    public static let ENOENT = Errno(rawValue: 2)
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
    /// The corresponding C error is `ENODEV`.
    public static let ENODEV = Errno(rawValue: 19)
    /// The corresponding C error is `EINVAL`.
    public static let EINVAL = Errno(rawValue: 22)
    /// The corresponding C error is `ENOTTY`.
    public static let ENOTTY = Errno(rawValue: 25)
    /// The corresponding C error is `ENOBUFS`.
    public static let ENOBUFS = Errno(rawValue: 105)
    /// The corresponding C error is `ETIMEDOUT`.
    public static let ETIMEDOUT = Errno(rawValue: 110)

    static let names: [Int32: String] = [
        2: "ENOENT", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 14: "EFAULT", 19: "ENODEV",
        22: "EINVAL", 25: "ENOTTY", 105: "ENOBUFS", 110: "ETIMEDOUT",
    ]
    public var description: String { Self.names[rawValue] ?? "errno \(rawValue)" }
}

/// A byte range in the calling process's memory.
public struct UserRange: Hashable, Sendable, CustomStringConvertible {
    public var address: UInt64
    public var count: Int
    public init(address: UInt64, count: Int) { self.address = address; self.count = count }
    public var description: String { "\(hex(address))+\(count)" }
}

/// Thrown by a `UserMemory` that cannot answer now: the transport must fetch these ranges
/// (reads: bring their bytes; writes: be ready to receive that many bytes) and run the
/// ioctl again. The engine changes no state before its last `fetch` succeeds.
public struct NeedsRound: Error, Sendable, Hashable {
    public var reads: [UserRange]
    public var writes: [UserRange]
    public init(reads: [UserRange], writes: [UserRange]) { self.reads = reads; self.writes = writes }
}

/// The caller's memory, seen only through ranges. Any range can fail (→ `EFAULT`).
///
/// The engine asks as early and as rarely as it can: first the ioctl's struct, then in one
/// `fetch` every buffer the struct points to, reads and writes together; then it stores results.
public protocol UserMemory {
    /// Makes `reads` readable and `writes` writable in one round.
    /// - Returns: the bytes of each read range, in order; nil for a range that faults.
    /// - Throws: `NeedsRound` when the transport must do a round trip first (CUSE retry).
    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?]
    /// Writes `bytes` at `address` (inside a range reserved by an earlier `fetch`).
    /// - Returns: false when the range faults.
    mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool
    /// `store` of bytes that are not in an array (a result length): a memory that can copy them
    /// as they are implements it (the default makes the array).
    mutating func store(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool
    /// `fetch(reads: [range], writes: [])`'s one result: a memory that can answer a single read
    /// without building the lists implements it (the default goes through `fetch(reads:writes:)`).
    mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]?
    /// `fetch(reads:writes:)` for a handful of ranges, the read bytes in one buffer
    /// (FetchedRanges.swift); the default goes through `fetch(reads:writes:)`.
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges
}

extension UserMemory {
    public mutating func store(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        store(Array(bytes), at: address)
    }
    public mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        try fetch(reads: [range], writes: []).first ?? nil
    }
}

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
    /// Nothing queued and the caller would block; a blocking caller waits for `EngineObserver.eventQueued`.
    case wouldBlock
    case error(Errno)
}
