import Synchronization

/// The controller's cache in front of a logical drive (or a disk). Write-through: a write is
/// acknowledged once the device below has it durably (written and flushed). Write-back: a write is
/// acknowledged once it is in the cache; `flush` (BsaCacheFlush, SYNCHRONIZE CACHE) writes the
/// dirty blocks down and makes them durable — until then a crash of the daemon loses them, as a
/// card without a battery loses its cache when the power goes.
public final class WriteCache: BlockTarget {
    public enum Mode: String, Hashable, Sendable, CaseIterable { case writeThrough = "write-through", writeBack = "write-back" }

    public let backing: any BlockTarget
    private struct State {
        var mode: Mode
        var dirty = Extents()
        /// The dirty blocks' contents (emptied by each flush).
        var blocks: MemoryMedium
    }
    private let state: Mutex<State>

    public init(_ backing: any BlockTarget, mode: Mode = .writeThrough) {
        self.backing = backing
        state = Mutex(State(mode: mode, blocks: MemoryMedium(blockSize: backing.blockSize, blockCount: backing.blockCount)))
    }

    public var blockSize: Int { backing.blockSize }
    public var blockCount: UInt64 { backing.blockCount }

    /// The cache mode. Leaving write-back writes the dirty blocks down first.
    public func setMode(_ mode: Mode) throws(BlockError) {
        if mode == .writeThrough { try flush() }
        state.withLock { $0.mode = mode }
    }
    public var mode: Mode { state.withLock { $0.mode } }

    /// Blocks written but not yet flushed.
    public var dirtyBlocks: UInt64 { state.withLock { $0.dirty.blockCount } }

    // Every request runs under the cache's lock: a write and a flush of the same blocks never
    // interleave, so a flush never drops a block written while it ran.

    public func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: buffer.count)
        try state.withLock { s throws(BlockError) in
            try backing.read(lba, into: buffer)
            for r in s.dirty.clipped(to: lba..<lba + blocks) {
                let at = Int(r.lowerBound - lba) * blockSize, n = Int(r.upperBound - r.lowerBound) * blockSize
                try s.blocks.read(r.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<at + n]))
            }
        }
    }

    public func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: buffer.count)
        try state.withLock { s throws(BlockError) in
            switch s.mode {
            case .writeThrough:
                try backing.write(lba, from: buffer)
                try backing.flush()
            case .writeBack:
                try s.blocks.write(lba, from: buffer)
                s.dirty.insert(lba..<lba + blocks)
            }
        }
    }

    /// The device's own array when no dirty block lies in the range (a whole-chunk read copies nothing).
    public func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] {
        let clean = state.withLock { $0.dirty.clipped(to: lba..<lba + UInt64(max(blocks, 0))).isEmpty }
        guard clean else { return try readCopying(lba, blocks: blocks) }
        _ = try checkedBlocks(lba, bytes: blocks * blockSize)
        return try backing.read(lba, blocks: blocks)
    }

    public func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: bytes.count)
        try state.withLock { s throws(BlockError) in
            switch s.mode {
            case .writeThrough:
                try backing.write(lba, bytes)
                try backing.flush()
            case .writeBack:
                try s.blocks.write(lba, bytes)
                s.dirty.insert(lba..<lba + blocks)
            }
        }
    }

    public func flush() throws(BlockError) {
        try state.withLock { s throws(BlockError) in
            for r in s.dirty.ranges {
                try backing.write(r.lowerBound, try s.blocks.read(r.lowerBound, blocks: Int(r.upperBound - r.lowerBound)))
            }
            try backing.flush()
            s.dirty = Extents()
            s.blocks = MemoryMedium(blockSize: backing.blockSize, blockCount: backing.blockCount)
        }
    }

    public var isReady: Bool { backing.isReady }
    public func reassign(_ lba: UInt64) throws(BlockError) { try backing.reassign(lba) }

    public func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] {
        var e = Extents(backing.writtenExtents(in: range))
        for r in state.withLock({ $0.dirty.clipped(to: range) }) { e.insert(r) }
        return e.ranges
    }
}
