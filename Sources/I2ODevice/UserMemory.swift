import I2OABI
import I2OFormats

// The caller's memory as a node sees it: ranges to fetch and to store into. A transport
// implements `UserMemory` over its way of reaching the calling process (CUSE retry rounds,
// the preload socket, a test's byte array).

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
