/// Something that serves blocks by address: a disk's medium, a disk, a RAID volume, a write
/// cache in front of either. Addresses and counts are in blocks of `blockSize` bytes; buffers
/// are in bytes and hold a whole number of blocks.
///
/// Implementations are classes that lock their own state: the IOP model calls them under its
/// own lock, and the tests call them from several tasks.
public protocol BlockTarget: AnyObject, Sendable {
    /// Bytes per block (512 for every disk the fixtures describe).
    var blockSize: Int { get }
    /// Capacity in blocks.
    var blockCount: UInt64 { get }
    /// Fills `buffer` (`buffer.count / blockSize` blocks) from block `lba` on.
    func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError)
    /// Writes `buffer` (`buffer.count / blockSize` blocks) from block `lba` on.
    func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError)
    /// Makes every write acknowledged so far durable (what BsaCacheFlush and SYNCHRONIZE CACHE ask).
    func flush() throws(BlockError)
    /// The ranges of blocks within `range` that may hold something other than zeros (a superset is
    /// allowed; never less): what a rebuild or a verify has to visit. A 35 GB disk written in three
    /// places answers three small ranges.
    func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>]
    /// `blocks` blocks from `lba` in a new array (a medium may hand over its own storage, unshared
    /// until either side writes: a 64 KiB read of a whole chunk copies nothing).
    func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8]
    /// Writes `bytes` (a whole number of blocks); a medium may keep the array itself.
    func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError)
    /// Whether the device answers I/O at all (a failed disk, a dead array: no).
    var isReady: Bool { get }
    /// Reassigns block `lba` to a spare block (BsaBlockReassign): a bad block answers again. What it
    /// then reads depends on the device: zeros on a disk, the data rebuilt from redundancy on a
    /// logical drive that has it.
    func reassign(_ lba: UInt64) throws(BlockError)
}

/// Why a block request failed: what a BSA reply's DetailedStatus or a SCSI sense key reports.
public enum BlockError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The request reaches past the end (or its buffer is not a whole number of blocks).
    case outOfRange(lba: UInt64, blocks: UInt64, capacity: UInt64)
    /// The device does not answer: a failed or missing disk, or an array that lost too many members.
    case notReady
    /// A bad block: the first unreadable (unwritable) address.
    case mediumError(lba: UInt64)
    /// The host's storage failed (a disk image file): what failed, with the host's error.
    case host(String)

    public var description: String {
        switch self {
        case let .outOfRange(lba, blocks, capacity):
            "blocks \(lba)..<\(lba &+ blocks) are outside the device's \(capacity) blocks"
        case .notReady: "the device is not ready (failed, missing, or its array has lost too many members)"
        case let .mediumError(lba): "medium error at block \(lba)"
        case let .host(why): "host storage: \(why)"
        }
    }
}

extension BlockTarget {
    public var isReady: Bool { true }
    public func reassign(_ lba: UInt64) throws(BlockError) {
        guard lba < blockCount else { throw .outOfRange(lba: lba, blocks: 1, capacity: blockCount) }
    }

    /// The block count of a buffer, or `outOfRange` when the request does not fit the device.
    @inlinable
    public func checkedBlocks(_ lba: UInt64, bytes: Int) throws(BlockError) -> UInt64 {
        let blocks = UInt64(bytes / blockSize)
        guard bytes % blockSize == 0, lba <= blockCount, blocks <= blockCount - lba else {
            throw .outOfRange(lba: lba, blocks: UInt64((bytes + blockSize - 1) / blockSize), capacity: blockCount)
        }
        return blocks
    }

    /// Reads `blocks` blocks into a new array (the default: `readCopying`).
    public func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] { try readCopying(lba, blocks: blocks) }

    /// Writes `bytes` (a whole number of blocks; the default: `writeCopying`).
    public func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) { try writeCopying(lba, bytes) }

    /// `blocks` blocks read through `read(_:into:)` into a new array: for a target whose own
    /// `read(_:blocks:)` can hand over an array only in some cases.
    public func readCopying(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: blocks * blockSize)
        try out.withBlockBytes { b throws(BlockError) in try read(lba, into: b) }
        return out
    }

    /// `bytes` written through `write(_:from:)`: for a target whose own `write(_:_:)` can keep the
    /// array only in some cases.
    public func writeCopying(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) {
        try bytes.withUnsafeBytes { b in Result { () throws(BlockError) in try write(lba, from: b) } }.get()
    }
}

extension [UInt8] {
    /// `withUnsafeMutableBytes` for a body that throws `BlockError` (the standard one rethrows `any Error`).
    @inline(__always)
    public mutating func withBlockBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(BlockError) -> R) throws(BlockError) -> R {
        try withUnsafeMutableBytes { b in Result { () throws(BlockError) in try body(b) } }.get()
    }
}
