import Testing
@testable import BlockStorage

/// A recognisable pattern: block b's bytes derive from b and `seed`.
func pattern(_ lba: UInt64, blocks: Int, seed: UInt8 = 1, blockSize: Int = 512) -> [UInt8] {
    (0..<blocks * blockSize).map { i in UInt8(truncatingIfNeeded: (lba &+ UInt64(i / blockSize)) &* 31 &+ UInt64(i % 251) &+ UInt64(seed)) }
}

@Suite struct ExtentsTests {
    @Test func insertMergesTouchingAndOverlappingRanges() {
        var e = Extents()
        e.insert(10..<20); e.insert(30..<40); e.insert(20..<25); e.insert(0..<5)
        #expect(e.ranges == [0..<5, 10..<25, 30..<40])
        e.insert(4..<31)
        #expect(e.ranges == [0..<40])
        #expect(e.blockCount == 40)
    }

    @Test func clippedAnswersOnlyTheWindow() {
        let e = Extents([0..<10, 20..<30, 40..<50])
        #expect(e.clipped(to: 5..<45) == [5..<10, 20..<30, 40..<45])
        #expect(e.clipped(to: 10..<20).isEmpty)
        #expect(e.overlaps(29..<31) && !e.overlaps(30..<40))
    }
}

@Suite struct MemoryMediumTests {
    @Test func writesReadBackAcrossChunksAndUnwrittenBlocksAreZero() throws {
        let m = MemoryMedium(blockCount: 1000)
        let data = pattern(120, blocks: 20)          // crosses the chunk boundary at 128
        try m.write(120, data)
        #expect(try m.read(120, blocks: 20) == data)
        #expect(try m.read(0, blocks: 4) == [UInt8](repeating: 0, count: 2048))
        #expect(try m.read(118, blocks: 4) == [UInt8](repeating: 0, count: 1024) + data.prefix(1024))
    }

    @Test func sparse_writtenExtentsCoverOnlyWrittenChunks() throws {
        let m = MemoryMedium(blockCount: 70_000_000)   // a 35 GB disk: nothing allocated
        #expect(m.writtenExtents(in: 0..<m.blockCount).isEmpty)
        try m.write(1_000_000, pattern(0, blocks: 1))
        let e = m.writtenExtents(in: 0..<m.blockCount)
        #expect(e.count == 1 && e[0].contains(1_000_000) && e[0].count <= 128)
    }

    @Test func outOfRangeAndPartialBlocksAreRefused() throws {
        let m = MemoryMedium(blockCount: 10)
        #expect(throws: BlockError.outOfRange(lba: 9, blocks: 2, capacity: 10)) { try m.write(9, pattern(9, blocks: 2)) }
        #expect(throws: BlockError.self) { try m.write(0, [1, 2, 3]) }
        #expect(throws: BlockError.outOfRange(lba: UInt64.max, blocks: 1, capacity: 10)) { _ = try m.read(UInt64.max, blocks: 1) }
        #expect(try m.read(0, blocks: 10).allSatisfy { $0 == 0 }, "a refused write changes nothing")
    }
}

@Suite struct DiskTests {
    @Test func aFailedDiskAnswersNothing() throws {
        let d = Disk(medium: MemoryMedium(blockCount: 100))
        try d.write(0, pattern(0, blocks: 1))
        d.isFailed = true
        #expect(throws: BlockError.notReady) { _ = try d.read(0, blocks: 1) }
        #expect(throws: BlockError.notReady) { try d.write(0, pattern(0, blocks: 1)) }
        d.isFailed = false
        #expect(try d.read(0, blocks: 1) == pattern(0, blocks: 1))
    }

    @Test func badBlocksFailUntilReassignedThenReadZeros() throws {
        let d = Disk(medium: MemoryMedium(blockCount: 100))
        try d.write(10, pattern(10, blocks: 10))
        d.injectMediaError(14..<16)
        #expect(throws: BlockError.mediumError(lba: 14)) { _ = try d.read(10, blocks: 10) }
        #expect(throws: BlockError.mediumError(lba: 15)) { try d.write(15, pattern(15, blocks: 1)) }
        #expect(try d.read(10, blocks: 4) == pattern(10, blocks: 4), "blocks beside the bad ones still answer")
        try d.reassign(14)
        #expect(d.badBlocks == [15..<16])
        #expect(try d.read(14, blocks: 1) == [UInt8](repeating: 0, count: 512))
    }
}

@Suite struct WriteCacheTests {
    @Test func writeBackHoldsDataUntilFlush() throws {
        let below = MemoryMedium(blockCount: 100)
        let c = WriteCache(below, mode: .writeBack)
        try c.write(5, pattern(5, blocks: 3))
        #expect(try c.read(4, blocks: 5) == [UInt8](repeating: 0, count: 512) + pattern(5, blocks: 3) + [UInt8](repeating: 0, count: 512))
        #expect(try below.read(5, blocks: 3).allSatisfy { $0 == 0 }, "not yet below the cache")
        #expect(c.dirtyBlocks == 3)
        try c.flush()
        #expect(try below.read(5, blocks: 3) == pattern(5, blocks: 3))
        #expect(c.dirtyBlocks == 0)
    }

    @Test func writeThroughWritesBelowAtOnceAndLeavingWriteBackFlushes() throws {
        let below = MemoryMedium(blockCount: 100)
        let c = WriteCache(below, mode: .writeBack)
        try c.write(1, pattern(1, blocks: 1))
        try c.setMode(.writeThrough)
        #expect(try below.read(1, blocks: 1) == pattern(1, blocks: 1))
        try c.write(2, pattern(2, blocks: 1, seed: 9))
        #expect(try below.read(2, blocks: 1) == pattern(2, blocks: 1, seed: 9))
    }
}
