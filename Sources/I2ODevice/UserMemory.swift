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

/// The caller's memory, seen only through ranges. Any range can fail (→ `EFAULT`) — except an
/// *unchecked* write, whose fault the node ignores, as a kernel ignores a `put_user` it does not test.
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
    /// `fetch(_:_:)` with *unchecked* write reservations besides: ranges the node will write with
    /// `storeUnchecked` and whose fault must not end the call (a kernel's `put_user` whose result
    /// it ignores). A memory that can tell them apart never refuses the call for one; the default
    /// reserves them as ordinary writes (a memory that cannot give the call its result after a
    /// failed write — CUSE — fails it as it would for any write).
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges, unchecked: UserRanges) throws(NeedsRound) -> FetchedRanges
    /// Writes `bytes` at `address`, inside a range reserved `unchecked`: a fault there does not fail
    /// the call (the default is `store`).
    /// - Returns: false when the write is known to have faulted (the node carries on all the same).
    mutating func storeUnchecked(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool
    /// This memory as a value that stays valid after the call it came with, for a node that keeps
    /// a request's memory across the transport's calls (the replayer). A memory is otherwise only
    /// valid during its call: one may borrow the transport's buffers (CUSE's request as libfuse
    /// received it). The default is the memory itself; a borrowing one copies what it borrows.
    func kept() -> Self
}

extension UserMemory {
    public func kept() -> Self { self }
    public mutating func store(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        store(Array(bytes), at: address)
    }
    public mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        try fetch(reads: [range], writes: []).first ?? nil
    }
    /// Unchecked reservations reserved as ordinary writes, after them.
    public mutating func fetch(_ reads: UserRanges, _ writes: UserRanges, unchecked: UserRanges) throws(NeedsRound) -> FetchedRanges {
        try fetch(reads, unchecked.isEmpty ? writes : writes + unchecked)
    }
    public mutating func storeUnchecked(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        store(bytes, at: address)
    }
}
