import Synchronization

/// A disk's bytes in memory, sparse: blocks never written cost nothing and read as zeros. What a
/// machine served without `--state-dir` or `--disk-dir` stores its data in. `flush` has nothing to
/// make durable: the data lives as long as the daemon.
public final class MemoryMedium: BlockTarget {
    public let blockSize: Int
    public let blockCount: UInt64
    /// Blocks per chunk: memory is taken 64 KiB at a time (with 512-byte blocks).
    static let chunkBlocks: UInt64 = 128
    private let chunks = Mutex<[UInt64: [UInt8]]>([:])

    public init(blockSize: Int = 512, blockCount: UInt64) {
        precondition(blockSize > 0 && blockSize.nonzeroBitCount == 1, "block size must be a power of two")
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    public func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) {
        try read(lba, into: buffer, zeroing: true)
    }

    /// `zeroing` false: `buffer` is zero already, so blocks never written are left as they are.
    private func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer, zeroing: Bool) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: buffer.count)
        chunks.withLock { chunks in
            forEachChunk(lba, blocks) { key, first, count, at in
                let dst = UnsafeMutableRawBufferPointer(rebasing: buffer[at..<at + count * blockSize])
                if let chunk = chunks[key] {
                    chunk.withUnsafeBytes { src in
                        dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[first * blockSize..<(first + count) * blockSize]))
                    }
                } else if zeroing {
                    dst.initializeMemory(as: UInt8.self, repeating: 0)
                }
            }
        }
    }

    public func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) {
        let blocks = try checkedBlocks(lba, bytes: buffer.count)
        let chunkBytes = Int(Self.chunkBlocks) * blockSize
        chunks.withLock { chunks in
            forEachChunk(lba, blocks) { key, first, count, at in
                chunks[key, default: [UInt8](repeating: 0, count: chunkBytes)].withUnsafeMutableBytes { dst in
                    UnsafeMutableRawBufferPointer(rebasing: dst[first * blockSize..<(first + count) * blockSize])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[at..<at + count * blockSize]))
                }
            }
        }
    }

    /// A read of exactly one whole chunk hands over the chunk's array (shared until written).
    public func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] {
        if lba % Self.chunkBlocks == 0, UInt64(blocks) == Self.chunkBlocks, lba + UInt64(blocks) <= blockCount,
           let chunk = chunks.withLock({ $0[lba / Self.chunkBlocks] }) {
            return chunk
        }
        var out = [UInt8](repeating: 0, count: blocks * blockSize)
        try out.withBlockBytes { b throws(BlockError) in try read(lba, into: b, zeroing: false) }
        return out
    }

    /// A write of exactly one whole chunk keeps the array itself as the chunk.
    public func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) {
        if lba % Self.chunkBlocks == 0, bytes.count == Int(Self.chunkBlocks) * blockSize, lba + Self.chunkBlocks <= blockCount {
            chunks.withLock { $0[lba / Self.chunkBlocks] = bytes }
            return
        }
        try writeCopying(lba, bytes)
    }

    public func flush() throws(BlockError) {}

    public func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] {
        let keys = chunks.withLock { Array($0.keys) }.sorted()
        let extents = Extents(keys.map { $0 * Self.chunkBlocks..<($0 + 1) * Self.chunkBlocks })
        return extents.clipped(to: range.clamped(to: 0..<blockCount))
    }

    /// Calls `body` for each chunk the blocks `lba..<lba+blocks` touch: the chunk's key, the first
    /// block within it, the block count within it, and the byte offset in the caller's buffer.
    @inline(__always)
    private func forEachChunk(_ lba: UInt64, _ blocks: UInt64, _ body: (UInt64, Int, Int, Int) -> Void) {
        var at = lba, offset = 0
        let end = lba + blocks
        while at < end {
            let key = at / Self.chunkBlocks, first = at % Self.chunkBlocks
            let count = min(Self.chunkBlocks - first, end - at)
            body(key, Int(first), Int(count), offset)
            at += count; offset += Int(count) * blockSize
        }
    }
}
