import I2OFormats
import Testing
import IOPModel

@Suite struct SoftwareStoreTests {
    /// 8192 + 8192 + 100 bytes with a pattern that differs per fragment.
    static let image: [UInt8] = (0..<(2 * 8192 + 100)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 8192) }

    @Test func downloadThreeFragmentsThenUploadGivesSameBytes() throws {
        var h = Host()
        h.register(0, mask: .ddmAvailability)
        let img = Self.image
        for cur in 1...3 {
            let r = try unwrap(h.download(img, current: cur, total: 3, flags: 0x03))
            #expect(r.reqStatus == .success)
            #expect(r.function == .execSwDownload)
            #expect(h.iop.store.module(SoftwareKey(swType: 1, swID: 0x001B_0042)) == nil || cur == 3)
        }
        #expect(h.iop.downloads.isEmpty)
        let m = try #require(h.iop.store.module(SoftwareKey(swType: 1, swID: 0x001B_0042)))
        #expect(m.bytes == img)
        #expect(m.permanent && !m.experimental)
        // DDM_AVAILABILITY on TID 0: SwID, SwType.
        let events = h.iop.takeOutbound()
        #expect(events.count == 1)
        #expect(Array(events[0].words[4...]) == [0x400, 0x001B_0042, 0x01])

        var uploaded: [UInt8] = []
        for cur in 1...3 {
            let (reply, bytes) = h.upload(current: cur)
            let r = try #require(reply)
            #expect(r.reqStatus == .success)
            #expect(r[word: 5] == UInt32(img.count))
            #expect(r[word: 6] == 3)
            uploaded += bytes.prefix(cur == 3 ? 100 : 8192)
            if cur == 3 { #expect(bytes[100...].allSatisfy { $0 == 0 }) }
        }
        #expect(uploaded == img)

        // 0x0004 and 0x0005 reflect the store.
        #expect(try h.fieldGet(0, 0x0004)?.data == [3, 0, 0, 0, 2, 0, 0, 0] + le32(UInt32(img.count + 3)) + le32(UInt32(40_000 - img.count - 3)))
        let t = try #require(try h.tableGet(0, 0x0005))
        #expect(t.rows?.count == 2)
        let row = Array(t.data[56..<112])
        #expect(row.le16(0) == 2)                 // StoredDdmIndex
        #expect(row[2] == 0x01)                   // ModuleType
        #expect(row.le16(4) == 0x001B)            // I2oVendorID
        #expect(row.le16(6) == 0x0042)            // ModuleID
        #expect(row.le32(44) == UInt32(img.count))// ModuleSize
        #expect(row.le32(52) == 0x01)             // permanent
        #expect(FixedText.decode(t.data[8..<32]) == "preloaded")
    }

    func le32(_ v: UInt32) -> [UInt8] { var b = [UInt8](); b.appendLE32(v); return b }

    @Test func downloadAcceptsHostToIOPDirectionToo() throws {
        var h = Host()
        let img = [UInt8](repeating: 0x42, count: 10)
        #expect(h.download(img, current: 1, total: 1, id: 7, sglFlags: 0xD400_0000)?.reqStatus == .success)
        #expect(h.iop.store.module(SoftwareKey(swType: 1, swID: 7))?.bytes == img)
    }

    @Test func outOfOrderFragmentIsRejectedWithoutStateChange() throws {
        var h = Host()
        let img = Self.image
        #expect(h.download(img, current: 1, total: 3)?.reqStatus == .success)
        let before = h.iop.downloads
        #expect(before.first?.value.nextFragment == 2)
        for cur in [3, 4, 0] {
            let r = try unwrap(h.download(img, current: cur, total: 3, fragment: [UInt8](repeating: 0, count: 100)))
            #expect(r.reqStatus == .errorNoDataTransfer)
            #expect(r.detailedStatus == .invalidParameter)
            #expect(h.iop.downloads == before)
        }
        // A fragment of the wrong size.
        var r = try unwrap(h.download(img, current: 2, total: 3, fragment: [UInt8](repeating: 0, count: 4096)))
        #expect(r.detailedStatus == .invalidParameter)
        // A different total or size than the assembly.
        r = try unwrap(h.download(img, current: 2, total: 4, size: 3 * 8192 + 1))
        #expect(r.detailedStatus == .invalidParameter)
        #expect(h.iop.downloads == before)
        // The assembly goes on from where it was.
        #expect(h.download(img, current: 2, total: 3)?.reqStatus == .success)
        #expect(h.download(img, current: 3, total: 3)?.reqStatus == .success)
        #expect(h.iop.store.module(SoftwareKey(swType: 1, swID: 0x001B_0042))?.bytes == img)
    }

    @Test func inconsistentSizesAreInvalid() throws {
        var h = Host()
        let img = [UInt8](repeating: 1, count: 100)
        // Total 0; current > total; SwSize too large for the fragment count; SwSize 0.
        #expect(h.download(img, current: 1, total: 0)?.detailedStatus == .invalidParameter)
        #expect(h.download(img, current: 2, total: 1)?.detailedStatus == .invalidParameter)
        #expect(h.download(img, current: 1, total: 1, size: 9000)?.detailedStatus == .invalidParameter)
        #expect(h.download([], current: 1, total: 1)?.detailedStatus == .invalidParameter)
        // A first fragment that must be 8192 bytes.
        #expect(h.download(img, current: 1, total: 2, size: 8292)?.detailedStatus == .invalidParameter)
        #expect(h.iop.downloads.isEmpty)
        #expect(h.iop.store.modules.count == 1)
        // An unmapped fragment address.
        let r = try h.reply(Host.swFrame(.execSwDownload, current: 1, total: 1, type: 1, flags: 1, size: 4, id: 9,
                                         count: 4, address: 0x0F00_0000))
        #expect(r.detailedStatus == .invalidParameter)
    }

    @Test func storeWithoutRoomRefusesTheLastFragment() throws {
        var h = Host()
        h.register(0, mask: .ddmAvailability)
        // Capacity 40000, 3 bytes used: a 5-fragment 40000-byte module does not fit.
        let big = [UInt8](repeating: 9, count: 40_000)
        for cur in 1...4 { #expect(h.download(big, current: cur, total: 5, id: 1)?.reqStatus == .success) }
        var r = try unwrap(h.download(big, current: 5, total: 5, id: 1))
        #expect(r.reqStatus == .errorNoDataTransfer)
        #expect(r.detailedStatus == .insufficientResourceHard)
        #expect(h.iop.store.modules.count == 1)
        #expect(h.iop.downloads[SoftwareKey(swType: 1, swID: 1)]?.nextFragment == 5)
        // Module limit 3: two more small modules fit, the third does not.
        #expect(h.download([1], current: 1, total: 1, id: 2)?.reqStatus == .success)
        #expect(h.download([1], current: 1, total: 1, id: 3)?.reqStatus == .success)
        r = try unwrap(h.download([1], current: 1, total: 1, id: 4))
        #expect(r.detailedStatus == .insufficientResourceHard)
        // Replacing an existing module needs no new slot.
        #expect(h.download([5, 5], current: 1, total: 1, id: 3)?.reqStatus == .success)
        #expect(h.iop.store.module(SoftwareKey(swType: 1, swID: 3))?.bytes == [5, 5])
        #expect(h.iop.store.modules.count == 3)
        #expect(h.iop.takeOutbound().count == 3)
    }

    @Test func uploadFailures() throws {
        var h = Host()
        var r = try unwrap(h.upload(current: 1, id: 0x5555).reply)
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .invalidParameter)
        r = try unwrap(h.upload(current: 2, type: 0x22, id: 0x001B_0001).reply)
        #expect(r.detailedStatus == .invalidParameter)
        let (reply, bytes) = h.upload(current: 1, type: 0x22, id: 0x001B_0001, capacity: 16)
        #expect(reply?.reqStatus == .success)
        #expect(reply?[word: 5] == 3 && reply?[word: 6] == 1)
        #expect(bytes == [1, 2, 3] + [UInt8](repeating: 0, count: 13))
    }

    @Test func removeChecksSize() throws {
        var h = Host()
        h.register(0, mask: .ddmAvailability)
        var r = try h.reply(Host.remove(type: 0x22, size: 4, id: 0x001B_0001))
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .invalidParameter)
        #expect(h.iop.store.modules.count == 1)
        r = try h.reply(Host.remove(type: 0x22, size: 3, id: 0x001B_0002))
        #expect(r.detailedStatus == .invalidParameter)
        r = try h.reply(Host.remove(type: 0x01, size: 3, id: 0x001B_0001))
        #expect(r.detailedStatus == .invalidParameter)
        #expect(h.iop.takeOutbound().isEmpty)
        r = try h.reply(Host.remove(type: 0x22, size: 0, id: 0x001B_0001))
        #expect(r.reqStatus == .success)
        #expect(r[word: 5] == 3)
        #expect(h.iop.store.modules.isEmpty)
        let events = h.iop.takeOutbound()
        #expect(events.count == 1 && Array(events[0].words[4...]) == [0x400, 0x001B_0001, 0x122])
        #expect(try h.fieldGet(0, 0x0004)?.data.prefix(12) == [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }
}
