import Synchronization

/// A physical disk as its controller sees it: a medium, whether the disk answers at all, and its
/// bad blocks. A failed disk answers nothing (`notReady`); a bad block answers a medium error on
/// read and write until it is reassigned (BsaBlockReassign), after which it reads as zeros.
public final class Disk: BlockTarget {
    public let medium: any BlockTarget
    private struct State { var failed = false; var bad = Extents() }
    private let state = Mutex(State())

    public init(medium: any BlockTarget) { self.medium = medium }

    public var blockSize: Int { medium.blockSize }
    public var blockCount: UInt64 { medium.blockCount }

    /// Whether the disk has failed: it answers no I/O.
    public var isFailed: Bool {
        get { state.withLock { $0.failed } }
        set { state.withLock { $0.failed = newValue } }
    }

    /// The bad blocks (injected media errors).
    public var badBlocks: [Range<UInt64>] { state.withLock { $0.bad.ranges } }

    /// Makes blocks `range` bad: reads and writes that touch them fail with a medium error.
    public func injectMediaError(_ range: Range<UInt64>) {
        state.withLock { $0.bad.insert(range.clamped(to: 0..<medium.blockCount)) }
    }

    /// Removes every bad block (their contents are as they were before they went bad).
    public func clearBadBlocks() { state.withLock { $0.bad = Extents() } }

    /// Reassigns a bad block to a spare one (BsaBlockReassign, SCSI REASSIGN BLOCKS): the block
    /// answers again, and reads as zeros — what it held is lost, as on a real disk.
    public func reassign(_ lba: UInt64) throws(BlockError) {
        guard lba < medium.blockCount else { throw .outOfRange(lba: lba, blocks: 1, capacity: medium.blockCount) }
        let wasBad = state.withLock { s -> Bool in
            guard s.bad.overlaps(lba..<lba + 1) else { return false }
            s.bad = Extents(s.bad.ranges.flatMap { r -> [Range<UInt64>] in
                guard r.contains(lba) else { return [r] }
                return [r.lowerBound..<lba, lba + 1..<r.upperBound].filter { !$0.isEmpty }
            })
            return true
        }
        if wasBad { try medium.write(lba, [UInt8](repeating: 0, count: medium.blockSize)) }
    }

    public func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) {
        try check(lba, bytes: buffer.count)
        try medium.read(lba, into: buffer)
    }

    public func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) {
        try check(lba, bytes: buffer.count)
        try medium.write(lba, from: buffer)
    }

    public func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] {
        try check(lba, bytes: blocks * blockSize)
        return try medium.read(lba, blocks: blocks)
    }

    public func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) {
        try check(lba, bytes: bytes.count)
        try medium.write(lba, bytes)
    }

    public func flush() throws(BlockError) {
        if isFailed { throw .notReady }
        try medium.flush()
    }

    public func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] { medium.writtenExtents(in: range) }
    public var isReady: Bool { !isFailed }

    private func check(_ lba: UInt64, bytes: Int) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: bytes)
        let (failed, bad) = state.withLock { ($0.failed, $0.bad.clipped(to: lba..<lba + blocks).first) }
        if failed { throw .notReady }
        if let bad { throw .mediumError(lba: bad.lowerBound) }
    }
}
