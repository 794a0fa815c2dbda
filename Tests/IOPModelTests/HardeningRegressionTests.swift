import I2OFormats
import Testing
@testable import IOPModel

/// Regressions found by Tests/hardening (hostile lengths: what one client can make the IOP hold).
struct HardeningRegressionTests {
    /// Fragment 1 of ever new SwIDs used to start an assembly each, every one reserving its
    /// SwSize: unbounded memory. Now at most `moduleLimit` (3 here) assemblies are under way,
    /// each no bigger than the store's capacity (40000 here).
    @Test func downloadsUnderWayAreBoundedByTheStore() throws {
        var h = Host()
        let image = [UInt8](repeating: 7, count: 20_000)   // 3 fragments
        for id: UInt32 in 10...12 { #expect(h.download(image, current: 1, total: 3, id: id)?.reqStatus == .success) }
        #expect(h.iop.downloads.count == 3)
        let r13 = h.download(image, current: 1, total: 3, id: 13)
        let refused = try #require(r13)
        #expect(refused.reqStatus == .errorNoDataTransfer)
        #expect(refused.detailedStatus == .insufficientResourceHard)
        #expect(h.iop.downloads.count == 3)
        // Restarting one of them needs no new slot.
        #expect(h.download(image, current: 1, total: 3, id: 11)?.reqStatus == .success)
        // A module bigger than the whole store is refused at fragment 1, not at the last.
        let huge = [UInt8](repeating: 1, count: 40_001)
        let r11 = h.download(huge, current: 1, total: 5, id: 11)
        let tooBig = try #require(r11)
        #expect(tooBig.detailedStatus == .insufficientResourceHard)
        #expect(h.iop.downloads[SoftwareKey(swType: 1, swID: 11)]?.swSize == 20_000)   // unchanged
    }
}

/// ROW_ADD used to grow a table without bound; now a table holds at most 64 KiB of rows and
/// the ROW_ADD that would pass that fails with TABLE_ERROR, changing nothing.
struct TableLimitTests {
    @Test func rowAddStopsAt64KiBOfRows() throws {
        var h = Host()
        let vol = TestMachine.volumeTID
        var key: UInt16 = 0x100
        var refused: ResultBlock?
        for _ in 0..<400 where refused == nil {
            var values: [UInt8] = []
            for _ in 0..<40 {
                values += [UInt8(truncatingIfNeeded: key), UInt8(key >> 8), 1, 0, 0, 0x10, 0, 0]
                key += 1
            }
            let r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, values: values, rowCount: 40)], set: true)
            if let b = r.result.blocks.first, b.status != .success { refused = b }
        }
        let block = try #require(refused)
        #expect(block.status == .tableError)
        // 8-byte rows: 8192 fit; the refused operation (all-or-nothing) added none of its 40.
        let rows = h.iop.devices[vol]?.groups[0x8010]?.rows.count ?? 0
        #expect(rows <= 8192 && rows > 8192 - 40)
        #expect(rows == 3 + 40 * ((8192 - 3) / 40))
    }
}
