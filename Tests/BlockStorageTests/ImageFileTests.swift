import Foundation
import Testing
import BlockStorage
import Persistence

@Suite struct ImageFileMediumTests {
    func scratch() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("i2osim-img-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aLargeDiskIsSparseAndHoldsWhatIsWritten() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/disk0.img"
        let blocks: UInt64 = 70_000_000                      // 35 GB
        let m = try ImageFileMedium(path: path, blockCount: blocks)
        try m.write(40_000_000, pattern(40_000_000, blocks: 16))
        try m.flush()
        #expect(try m.read(40_000_000, blocks: 16) == pattern(40_000_000, blocks: 16))
        #expect(try m.read(0, blocks: 2).allSatisfy { $0 == 0 })
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.size] as? Int64 ?? 0) == Int64(blocks) * 512)
        var st = stat()
        stat(path, &st)
        #expect(st.st_blocks * 512 < 10 << 20, "the image takes only what was written (\(st.st_blocks * 512) bytes)")
        let extents = m.writtenExtents(in: 0..<blocks)
        #expect(extents.count == 1 && extents[0].contains(40_000_000) && extents[0].count < 10_000)
        // A second open sees the data (what a restart does).
        let again = try ImageFileMedium(path: path, blockCount: blocks)
        #expect(try again.read(40_000_000, blocks: 16) == pattern(40_000_000, blocks: 16))
    }

    @Test func anImageOfAnotherSizeIsRefusedWithWhatToDo() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ImageFileMedium(path: dir + "/d.img", blockCount: 100)
        #expect {
            _ = try ImageFileMedium(path: dir + "/d.img", blockCount: 200)
        } throws: { e in
            "\(e)".contains("belongs to another disk") && "\(e)".contains("51200 bytes")
        }
        #expect(throws: BlockError.self) { _ = try ImageFileMedium(path: dir + "/missing/dir/d.img", blockCount: 1) }
    }

    @Test func aRAIDVolumeOverImageFilesSurvivesReopening() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = try RAIDLayout(level: .raid5, memberCount: 3, stripeBlocks: 128, blockCount: 2048, memberBlocks: 4096)
        func open() throws -> RAIDVolume {
            RAIDVolume(layout: layout, members: try (0..<3).map { Disk(medium: try ImageFileMedium(path: dir + "/m\($0).img", blockCount: 4096)) })
        }
        let data = pattern(100, blocks: 300)
        do {
            let v = try open()
            try v.write(100, data)
            try v.flush()
        }
        let v = try open()
        v.members[2].isFailed = true
        #expect(try v.read(100, blocks: 300) == data)
    }
}
