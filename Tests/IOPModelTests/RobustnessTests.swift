import I2OFormats
import Testing
import IOPModel

@Suite struct RobustnessTests {
    /// A small deterministic generator (64-bit LCG), so a failure is reproducible.
    struct LCG { var s: UInt64; mutating func next() -> UInt32 { s = s &* 6364136223846793005 &+ 1442695040888963407; return UInt32(s >> 32) } }

    @Test func randomFramesNeverTrap() {
        var h = Host()
        let buffers = (0..<4).map { _ in h.memory.map(zeroes: 9000) }
        var rng = LCG(s: 0x1205)
        let functions: [UInt8] = [0x00, 0x05, 0x06, 0x10, 0x13, 0xA0, 0xA2, 0xA8, 0xA9, 0xAB, 0xAD, 0xBB, 0x09, 0xFF]
        let tids: [UInt32] = [0, 0x008, 0x010, 0x205, 0x123]
        for _ in 0..<5000 {
            let size = Int(rng.next() % 20)
            var words = (0..<size).map { _ in rng.next() }
            if size > 1 {
                let function = functions[Int(rng.next() % UInt32(functions.count))]
                let tid = tids[Int(rng.next() % UInt32(tids.count))]
                words[1] = UInt32(function) << 24 | 0x1000 | tid
                words[0] = UInt32(size) << 16 | (rng.next() % 8) << 4 | 1
                // Sometimes point SGL-looking words at mapped buffers.
                for i in 2..<size where rng.next() % 3 == 0 {
                    words[i] = UInt32(truncatingIfNeeded: buffers[Int(rng.next() % 4)] + UInt64(rng.next() % 64))
                    if i > 2 { words[i - 1] = [0xD000_0000, 0x4C00_0000, 0x5400_0000, 0x7C02_0002][Int(rng.next() % 4)] | (rng.next() % 0x3000) }
                }
            }
            _ = h.post(MessageFrame(words: words))
        }
        // The IOP still answers properly.
        let b = try? h.fieldGet(0x205, 0xF100, .indices([0]))
        #expect(b.flatMap { $0 }.map(\.data) == [0x10, 0x10, 0x1B, 0x00])
    }

    @Test func randomOperationListsNeverTrap() throws {
        var rng = LCG(s: 0xF100)
        let groups: [UInt16] = [0xF000, 0xF100, 0xF102, 0x8000, 0x8010, 0x8020, 0x0102, 0x0005, 0x7777]
        var h = Host()
        var statuses: Set<UInt8> = []
        for n in 0..<3000 {
            var list = [UInt8]()
            let count = Int(rng.next() % 4)
            list.appendLE16(UInt16(count)); list.appendLE16(0)
            for _ in 0..<count {
                list.appendLE16(UInt16(rng.next() % 12))
                list.appendLE16(groups[Int(rng.next() % UInt32(groups.count))])
                for _ in 0..<Int(rng.next() % 12) { list.appendLE16(UInt16(rng.next() % 5 == 0 ? 0xFFFF : rng.next() % 20)) }
            }
            let tid: TID = n % 3 == 0 ? 0 : 0x205
            let (reply, bytes) = h.params(tid, list, set: rng.next() % 2 == 0, capacity: 8 + Int(rng.next() % 200))
            let r = try #require(reply)
            if r.reqStatus == .success {
                #expect(bytes.count == Int(r[word: 5]))
                let result = try ResultList.decode(bytes)
                for b in result.blocks { statuses.insert(b.status.rawValue) }
            }
        }
        // The walk reached the ordinary outcomes as well as the failures.
        #expect(statuses.isSuperset(of: [0x00, 0x01, 0x03, 0x06, 0x08, 0x09, 0x0B, 0x10]))
    }

    @Test func addressesNearTheTopOfTheBusAreUnmapped() throws {
        var h = Host()
        let f = MessageFrame(function: .execStatusGet, target: 0, payload: [0, 0, 0xFFFF_FFF0, 0xFFFF_FFFF, 88])
        let r = try h.reply(f)
        #expect(r.detailedStatus == .invalidParameter)
        #expect(h.memory.isMapped(UInt64.max - 4, count: 88) == false)
    }

    @Test func pendingNotifyFollowsAReplacedEntrysOldClass() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 8192)
        // Waits for changes of SCSI peripherals; the disk becomes one.
        #expect(h.post(Host.lctNotify(classID: 0x010, last: 5, capacity: 8192, address: buf)) == nil)
        var e = try #require(h.iop.devices[0x010]?.entry)
        e.classID = .scsiPeripheral
        try h.iop.replaceEntry(e)
        let out = h.iop.takeOutbound()
        #expect(out.count == 1)
        let full = out.first.map { $0[word: 5] }
        #expect(full == UInt32(12 + 36))   // only the volume is block storage now
        #expect(try LCT.decode(h.memory.buffer(at: buf) ?? []).entries.map(\.localTID) == [0x205])
    }
}
