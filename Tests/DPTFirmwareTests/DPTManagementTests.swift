import Foundation
import Testing
import I2OFormats
import IOPModel
@testable import DPTFirmware

/// The machine raidutil's configuration commands were captured against: the RAID-1 over b0t0 and
/// b0t1 (TID 0x206) and four free disks b0t2, b1t0, b1t1, b1t2 (TIDs 0x202–0x205).
func dptSixDiskController() -> DPTController {
    let at: [(UInt8, UInt8)] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    return DPTController(firmware: "370F", buses: [DPTBus(), DPTBus()], disks: at.map {
        DPTDisk(vendor: "SEAGATE", product: "ST336753LW", revision: "0006", blocks: 35003 * 2048, bus: $0.0, id: $0.1)
    }, arrays: [DPTArray(level: 1, members: [0, 1])])
}

func bytes(_ hex: String) -> [UInt8] {
    let u = Array(hex.utf8.filter { $0 != 0x20 })
    return stride(from: 0, to: u.count - 1, by: 2).map { UInt8(String(decoding: u[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// The data-out buffers raidutil sends (MODE SELECT(10) of page 0x30 unless said otherwise).
enum RaidutilFrames {
    /// `-h d1b0t0`: a hot spare on b1t0, to TID 0x203.
    static let hotSpare = bytes("0000000000000000303680fe0101598b68660445d78002000000000000000000000000000000311800140100000000001b0100000445d7800000000000800000")
    /// `-l 1 -g d0b0t2d0,d0b1t0d0`: a RAID-1 on b0t2 and b1t0, to TID 0x202.
    static let raid1 = bytes("000000000000000030508001000257cd97390445d78002000230000000000000000000000000311800140000000000021b0002000445d7800000000000800000311800140100000000001b0100000445d7800000000000800000")
    /// `-l 0 -z 32k`: a RAID-0 on b0t2 and b1t0, to TID 0x202.
    static let raid0 = bytes("000000000000000030508000000202315b1e088ba00002000200000000000000000000000000311800140000000000021b0002000445d0000000000000400000311800140100000000001b0100000445d0000000000000400000")
    /// `-l 5 -s 1000`: a RAID-5 on b0t2, b1t0, b1t1, to TID 0x202.
    static let raid5 = bytes("0000000000000000306a8005000360fa4be4001f400002000200000000000000000000000000311800140000000000021b000200000fa0000000000000800000311800140100000000001b010000000fa0000000000000800000311800140100000000011b010100000fa0000000000000800000")
    /// `-a verify`, `-a stop`, `-r fast` on the RAID-1 at TID 0x206.
    static let verify = bytes("000000000000000030508b0100022b0000010445c80000000000000000000000000000000000311800140000000000001b000000000000000000000000000000311800140000000000011b000100000000000000000000000000")
    static let stop = bytes("00000000000000003050840100022b0000010445c80000000000000000000000000000000000311800140000000000001b000000000000000000000000000000311800140000000000011b000100000000000000000000000000")
    static let fast = bytes("00000000000000003050820100022b0000010445c80000000000005a40000000000000000000311800140000000000001b000000000000000000000000000000311800140000000000011b000100000000000000000000000000")
    /// `-f fail d0b0t1d0`: MODE SELECT(6) of the PAP to TID 0.
    static let failB0T1 = [0, 0, 0, 0, 0x2A, 0xF0, 0x00, 0x83] + [UInt8](repeating: 0, count: 238)
    /// `-w on`: MODE SELECT(10) of page 8 to the array (the tool's buffer is 262 bytes).
    static let writeBackOn = bytes("00000000000000000812040000000000000000000000000000000000") + [UInt8](repeating: 0xCC, count: 234)
    /// `-A disable`: the NVRAM image with byte 0x31 bit 0x02 and its checksum.
    static let nvramAlarmDisabled = bytes("00000000000000002e800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000434144502d32000042413132333435363738000000000060")
    /// `-e soft`: MODE SELECT(6) of page 0x2F (the clock) to TID 0.
    static let clock = bytes("000000002f0600006b163818")
}

extension DPTHost {
    /// MODE SELECT(10) with the tool's data, I = P = 1.
    mutating func select10(_ tid: TID, _ data: [UInt8], physical: Bool = true) throws -> SCBResult {
        try scb(tid, [0x55, 0x11, 0, 0, 0, 0, 0, UInt8(data.count >> 8), UInt8(data.count & 0xFF), 0], physical: physical, dataOut: data)
    }
    mutating func select6(_ data: [UInt8]) throws -> SCBResult {
        try scb(0, [0x15, 0x11, 0, 0, UInt8(data.count), 0], physical: true, dataOut: data)
    }
    /// LAP #2 of a TID: the page from its code on.
    mutating func lap(_ tid: TID) throws -> [UInt8] {
        Array(try scb(tid, [0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x01, 0x00, 0], physical: true, count: 256).data.dropFirst(8))
    }
    /// LOG SENSE 0x36 (P = 1): the array list's parameter data.
    mutating func arrayList() throws -> [UInt8] {
        let r = try scb(0, [0x4D, 0x00, 0x36, 0, 0, 0, 0, 0, 255, 0], physical: true)
        let n = Int(r.data[2]) << 8 | Int(r.data[3])
        return n >= 4 ? Array(r.data[8..<(4 + n)]) : []
    }
    mutating func pap() throws -> [UInt8] { Array(try scb(0, [0x1A, 0x08, 0x2A, 0, 255, 0]).data.dropFirst(6)) }
    var dpt: DPTController { iop.firmware as! DPTController }
    mutating func registerEvents() {
        _ = iop.post(MessageFrame(function: .utilEventRegister, target: 0, initiatorContext: 7, transactionContext: 9,
                                  payload: [0xFFFF_FFFF]), memory: memory)
    }
    mutating func advance(seconds: UInt64) { iop.advanceFirmwareClock(milliseconds: seconds * 1000) }
}

func isCheckCondition(_ r: DPTHost.SCBResult) -> Bool {
    r.reply.reqStatus == .errorNoDataTransfer && r.sense[2] == 0x05 && r.sense[12] == 0x26
}

@Suite struct DPTManagementTests {
    @Test func createRaid1FromTheToolsFrame() throws {
        var h = DPTHost(dptSixDiskController())
        h.registerEvents()
        let before = h.iop.lctChangeIndicator
        let r = try h.select10(0x202, RaidutilFrames.raid1)
        #expect(r.reply.reqStatus == .success)
        // A new LCT entry, the members' UserTID pointing at it, one change-indicator step, NEW_LCT_ENTRY.
        #expect(h.iop.lctChangeIndicator == before + 1)
        let entry = try #require(h.iop.devices[0x207]?.entry)
        #expect(entry.classID == .randomBlockStorage && entry.changeIndicator == before + 1)
        #expect(h.iop.devices[0x202]?.entry.userTID == 0x207 && h.iop.devices[0x203]?.entry.userTID == 0x207)
        #expect(h.iop.devices[0x204]?.entry.userTID == TID.none)
        let events = h.iop.takeOutbound()
        #expect(events.contains { $0[word: 4] == EventIndicator.newLCTEntry.rawValue })
        #expect(events.contains { $0[word: 4] == EventIndicator.modifiedLCT.rawValue })
        // LOG 0x36 lists both arrays; the LAP echoes what the tool sent; building.
        #expect(try h.arrayList() == [0x00, 0x00, 0x00, 0x20])
        let lap = try h.lap(0x207)
        #expect(lap[2] == 0x0B && lap[3] == 1 && Array(lap[4..<6]) == [0, 2])
        #expect(Array(lap[6..<14]) == [0x57, 0xCD, 0x97, 0x39, 0x04, 0x45, 0xD7, 0x80])
        #expect(lap[16] == 2 && Array(lap[30 + 22..<30 + 26]) == [0, 0x80, 0, 0])   // id 2, stripe 128
        #expect(Array(lap[30 + 14..<30 + 18]) == [0x04, 0x45, 0xD7, 0x80])                     // element capacity
        let cap = try h.scb(0x207, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], interpret: false, count: 8)
        #expect(cap.data == be32(0x0445_D780 - 1) + [0, 0, 2, 0])
        let inq = try h.scb(0x207, [0x12, 0, 0, 0, 36, 0], interpret: false, count: 36)
        #expect(Array(inq.data[16..<22]) == ascii("RAID-1"))
        #expect(try h.pap()[2] == 0x00 && h.pap()[32] == 0x00)                                // members
        // The build advances with the clock and finishes.
        h.advance(seconds: 60)
        let done = try h.lap(0x207).readBE32(at: 22)
        #expect(done == 60 * 50 * 1000)
        h.advance(seconds: 3600)
        #expect(try h.lap(0x207)[2] == 0x00)
        #expect(h.dpt.settings.events.map(\.code) == [.arrayCreated, .arrayBuilt])
    }

    @Test func raid0AndRaid5AndHotSpare() throws {
        var h = DPTHost(dptSixDiskController())
        #expect(try h.select10(0x202, RaidutilFrames.raid5).reply.reqStatus == .success)
        var lap = try h.lap(0x207)
        #expect(lap[3] == 5 && lap[5] == 3 && Array(lap[10..<14]) == [0, 0x1F, 0x40, 0])
        #expect(try h.select10(0x205, RaidutilFrames.hotSpare.replacing(at: 8 + 2 + 28 + 2 + 8, with: [0x1B, 0x01, 0x02, 0x00])
            .replacing(at: 8 + 2 + 28 + 2 + 2, with: [1, 0, 0, 0, 0, 2])).reply.reqStatus == .success)
        #expect(try h.arrayList() == [0x00, 0x00, 0x00, 0x20, 0x01, 0x20])
        lap = try h.lap(0x205)                                              // the spare answers at its disk
        #expect(lap[3] == 0xFE && lap[5] == 1 && Array(lap[6..<10]) == [0x59, 0x8B, 0x68, 0x66])
        #expect(h.iop.devices.count == 1 + 2 + 6 + 2)                       // no LCT entry for a spare
        // RAID-0 from the two disks the RAID-5 does not use: b1t2 and … none left: refused.
        #expect(isCheckCondition(try h.select10(0x202, RaidutilFrames.raid0)))
        var fresh = DPTHost(dptSixDiskController())
        #expect(try fresh.select10(0x202, RaidutilFrames.raid0).reply.reqStatus == .success)
        #expect(try fresh.lap(0x207)[2] == 0x00 && fresh.lap(0x207)[3] == 0)   // RAID-0: optimal at once
    }

    @Test func badInputChangesNothing() throws {
        var h = DPTHost(dptSixDiskController())
        let before = h.dpt
        let f = RaidutilFrames.raid1
        let element0Magic = 8 + 2 + 28 + 2 + 8
        let cases: [[UInt8]] = [
            f.replacing(at: element0Magic, with: [0x1B, 0x07, 0x07, 0x00]),    // a disk that does not exist
            f.replacing(at: element0Magic, with: [0x1B, 0x00, 0x00, 0x00]),    // a RAID-1 member already
            f.replacing(at: 8 + 2 + 1, with: [3]),                              // RAID-3: not supported
            f.replacing(at: 8 + 2 + 3, with: [3]),                              // 3 components, 2 elements
            Array(f.prefix(60)),                                                // short
            f.replacing(at: 9, with: [0x51]),                                   // page length wrong
            f.replacing(at: 8 + 2 + 28, with: [0x32]),                          // element without 31 18
            f.replacing(at: 8 + 2 + 4, with: [0x2B, 0, 0, 1]),                  // the existing array's magic
            f.replacing(at: 8 + 2 + 4, with: [0x80, 0, 0, 1]),                  // magic with bit 31
            f.replacing(at: 8 + 2 + 28 + 2 + 12, with: [0x05, 0, 0, 0]),        // more blocks than the disk has
            f.replacing(at: 8 + 2 + 28 + 26 + 2 + 8, with: [0x1B, 0, 2, 0]),    // the same disk twice
            [0x00, 0x00],
        ]
        for (k, data) in cases.enumerated() {
            #expect(isCheckCondition(try h.select10(0x202, data)), "case \(k)")
        }
        #expect(isCheckCondition(try h.select10(0x206, f)))                 // ADD to an array's TID
        #expect(isCheckCondition(try h.select6([0, 0, 0, 0, 0x2A, 0xF0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x83] + [UInt8](repeating: 0, count: 229))))
        #expect(isCheckCondition(try h.select10(0, RaidutilFrames.nvramAlarmDisabled.replacing(at: 137, with: [0x61]))))
        #expect(isCheckCondition(try h.select6(Array(RaidutilFrames.clock.prefix(10)))))
        #expect(h.dpt == before)
        #expect(h.iop.devices[0x207] == nil)
    }

    @Test func deleteModifyVerifyAbort() throws {
        var h = DPTHost(dptSixDiskController())
        #expect(try h.select10(0x206, RaidutilFrames.fast).reply.reqStatus == .success)
        var lap = try h.lap(0x206)
        #expect(lap[19] == 0x5A && Array(lap[20..<22]) == [0x40, 0x00])
        #expect(try h.select10(0x206, RaidutilFrames.verify).reply.reqStatus == .success)
        h.advance(seconds: 10)
        lap = try h.lap(0x206)
        #expect(lap[2] == 0x0A && lap.readBE32(at: 22) == 10 * 90 * 1000)
        #expect(try h.select10(0x206, RaidutilFrames.stop).reply.reqStatus == .success)
        #expect(try h.lap(0x206)[2] == 0x00)
        h.registerEvents()
        let delete = RaidutilFrames.stop.replacing(at: 10, with: [0x81])
        #expect(try h.select10(0x206, delete).reply.reqStatus == .success)
        #expect(h.iop.devices[0x206] == nil && h.iop.devices[0x200]?.entry.userTID == TID.none)
        #expect(try h.arrayList().isEmpty)
        #expect(try h.pap()[0] == 0x02 && h.pap()[1] == 0x02)
        #expect(h.iop.takeOutbound().contains { $0[word: 4] == EventIndicator.modifiedLCT.rawValue })
        #expect(h.iop.bootDevice == TID.none)
    }

    @Test func failedMemberDegradesAndTheHotSpareRebuilds() throws {
        var h = DPTHost(dptSixDiskController())
        let spare = RaidutilFrames.hotSpare                                  // b1t0, TID 0x203
        #expect(try h.select10(0x203, spare).reply.reqStatus == .success)
        #expect(try h.select6(RaidutilFrames.failB0T1).reply.reqStatus == .success)
        // The spare took b0t1's place; the rebuild runs (Reconstruct), the alarm sounds.
        #expect(h.dpt.arrays[0].members == [0, 3])
        var lap = try h.lap(0x206)
        #expect(lap[2] == 0x02 && lap.readBE32(at: 22) == 0)
        #expect(try h.pap()[1] == 0x03 && h.pap()[32] == 0x24)
        #expect(try h.arrayList() == [0x00, 0x00])                           // the spare is used up
        let tur = try h.scb(0x201, [0, 0, 0, 0, 0, 0], interpret: false, physical: true, count: 0)
        #expect(tur.sense[2] == 0x02)
        let hw = try h.scb(0, [0x4D, 0x00, 0x33, 0, 0, 0, 0, 0x01, 0x00, 0], count: 256)
        let p9 = try #require(hw.data.firstRange(of: [0x00, 0x09, 0x00, 0x04]))
        #expect(hw.data[p9.lowerBound + 4] & 0x04 != 0 && hw.data[p9.lowerBound + 7] == 0x40)
        h.advance(seconds: 100)
        lap = try h.lap(0x206)
        #expect(lap.readBE32(at: 22) == 100 * 50 * 1000)
        #expect(h.iop.devices[0x203]?.entry.userTID == 0x206 && h.iop.devices[0x201]?.entry.userTID == TID.none)
        h.advance(seconds: 3600)
        #expect(try h.lap(0x206)[2] == 0x00 && h.pap()[32] == 0x00)
        // The event log: failed, degraded, spare taken, rebuilt; LOG 0x34 (PC 1) reads it, PC 0 clears it.
        #expect(h.dpt.settings.events.map(\.code) == [.hotSpareCreated, .driveFailed, .arrayDegraded, .hotSpareTaken, .arrayRebuilt])
        let log = try h.scb(0, [0x4D, 0x00, 0x74, 0, 0, 0, 0, 0x04, 0x00, 0], count: 1024)
        #expect(log.data[4] >> 4 == 1 && log.data[7] >= 4)
        #expect(log.data.firstRange(of: Array("drive b0t1d0 failed".utf8)) != nil)
        #expect(try h.scb(0, [0x4D, 0x00, 0x34, 0, 0, 0, 0, 0x00, 0xFF, 0]).data.prefix(4) == [0x34, 0, 0, 0])
        #expect(h.dpt.settings.events.isEmpty)
        #expect(try h.scb(0, [0x4D, 0x00, 0x78, 0, 0, 0, 0, 0x00, 0xFF, 0]).data.prefix(4) == [0x38, 0, 0, 0])   // board log
    }

    @Test func buildAssignMagicAndDeletingAHotSpare() throws {
        var h = DPTHost(dptSixDiskController())
        _ = try h.select10(0x202, RaidutilFrames.raid1)
        h.advance(seconds: 7200)
        #expect(try h.lap(0x207)[2] == 0x00)
        // BUILD restarts the build (as `-C load` sends it after ADD).
        let build = RaidutilFrames.stop.replacing(at: 10, with: [0x88])
        #expect(try h.select10(0x207, build).reply.reqStatus == .success)
        #expect(try h.lap(0x207)[2] == 0x0B)
        // ASSIGN_MAGIC: 28 bytes of array data, no elements.
        var assign = [UInt8](repeating: 0, count: 8) + [0x30, 28, 0x8C, 1, 0, 2, 0x12, 0x34, 0x56, 0x78]
        assign += [UInt8](repeating: 0, count: 8 + 2 + 28 - assign.count)
        #expect(try h.select10(0x207, assign).reply.reqStatus == .success)
        #expect(Array(try h.lap(0x207)[6..<10]) == [0x12, 0x34, 0x56, 0x78])
        // WRITE(10) of LBA 0 and 1 of the new LSU: accepted (the tools ignore a failure anyway).
        let write = try h.scb(0x207, [0x2A, 0, 0, 0, 0, 0, 0, 0, 2, 0], interpret: false, dataOut: [UInt8](repeating: 0, count: 1024))
        #expect(write.reply.reqStatus == .success)
        // A hot spare is deleted at its disk's TID (`-H`), which must be a spare.
        _ = try h.select10(0x205, RaidutilFrames.hotSpare.replacing(at: 8 + 2 + 28 + 2 + 8, with: [0x1B, 0x01, 0x02, 0x00])
            .replacing(at: 8 + 2 + 28 + 2 + 2, with: [1, 0, 0, 0, 0, 2]))
        #expect(try h.arrayList().count == 6)
        #expect(isCheckCondition(try h.select10(0x204, RaidutilFrames.stop.replacing(at: 10, with: [0x81]))))
        var delete = try h.lap(0x205)
        delete = [UInt8](repeating: 0, count: 8) + [0x30, 54] + delete[2..<56]
        delete[10] = 0x81
        #expect(try h.select10(0x205, delete).reply.reqStatus == .success)
        #expect(try h.arrayList().count == 4 && h.pap()[34] == 0x02)
    }

    @Test func raid0DiesAndForceOptimalRevives() throws {
        var c = dptSixDiskController()
        c.arrays[0].level = 0
        var h = DPTHost(c)
        #expect(try h.select6(RaidutilFrames.failB0T1).reply.reqStatus == .success)
        #expect(try h.lap(0x206)[2] == 0x04)
        let read = try h.scb(0x206, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], interpret: false, count: 512)
        #expect(read.sense[2] == 0x02)
        var optimal = RaidutilFrames.failB0T1
        optimal[7] = 0x80
        #expect(try h.select6(optimal).reply.reqStatus == .success)
        #expect(try h.lap(0x206)[2] == 0x00)
        // A RAID-1 member failed, then replaced: the rebuild runs onto it.
        var m = DPTHost(dptSixDiskController())
        _ = try m.select6(RaidutilFrames.failB0T1)
        #expect(try m.lap(0x206)[2] == 0x01)
        var replaced = RaidutilFrames.failB0T1
        replaced[7] = 0xA4
        _ = try m.select6(replaced)
        #expect(try m.lap(0x206)[2] == 0x02 && m.pap()[1] == 0x24)
        // REBUILD (0x89, the RAID-5 path) on a degraded array: the failed member is rebuilt.
        var r = DPTHost(dptSixDiskController())
        _ = try r.select6(RaidutilFrames.failB0T1)
        #expect(try r.select10(0x206, RaidutilFrames.stop.replacing(at: 10, with: [0x89])).reply.reqStatus == .success)
        #expect(try r.lap(0x206)[2] == 0x02 && r.pap()[1] == 0x24)
        r.advance(seconds: 7200)
        #expect(try r.lap(0x206)[2] == 0x00 && r.pap()[1] == 0x00)
        // REBUILD of a RAID-0 is refused.
        var z = dptSixDiskController()
        z.arrays[0].level = 0
        var zh = DPTHost(z)
        #expect(isCheckCondition(try zh.select10(0x206, RaidutilFrames.stop.replacing(at: 10, with: [0x89]))))
    }

    @Test func settingsPages() throws {
        var h = DPTHost(dptSixDiskController())
        #expect(try h.select10(0x206, RaidutilFrames.writeBackOn, physical: false).reply.reqStatus == .success)
        let cache = try h.scb(0x206, [0x1A, 0, 0x08, 0, 255, 0], interpret: true)
        #expect(Array(cache.data[4..<7]) == [0x08, 0x12, 0x04])
        // NVRAM: the factory image (PC = 2) has a valid checksum; the stored one reads back.
        let factory = try h.scb(0, [0x1A, 0x08, 0xAE, 0, 255, 0])
        #expect(Array(factory.data[4..<6]) == [0x2E, 0x80] && factory.data[6..<134].reduce(UInt8(0), &+) == 0)
        #expect(try h.select10(0, RaidutilFrames.nvramAlarmDisabled, physical: false).reply.reqStatus == .success)
        let nv = try h.scb(0, [0x5A, 0x08, 0x2E, 0, 0, 0, 0, 0, 255, 0])
        #expect(Array(nv.data[10..<138]) == Array(RaidutilFrames.nvramAlarmDisabled[10...]))
        #expect(!h.dpt.alarmEnabled)
        #expect(try h.scb(0, [0x1A, 0x08, 0xAE, 0, 255, 0]).data == factory.data)
        // The clock.
        #expect(try h.select6(RaidutilFrames.clock).reply.reqStatus == .success)
        #expect(h.dpt.settings.clockSet == 0x6B16_3818)
        h.advance(seconds: 5)
        #expect(h.dpt.settings.now == 0x6B16_3818 + 5)
        // The alarm's MFC, and the array limits (parameter 0x0E, 22 bytes).
        _ = try h.scb(0, [0x0E, 0x00, 0x06, 0, 0, 0], count: 0)
        #expect(h.dpt.settings.alarmSounding)
        #expect(h.dpt.arrayLimits().count == 22)
        let hw = try h.scb(0, [0x4D, 0x00, 0x33, 0, 0, 0, 0, 0x01, 0x00, 0], count: 256)
        #expect(hw.data.firstRange(of: [0x00, 0x0E, 0x00, 22, 24, 16, 16, 0, 0, 16, 0x04, 0, 0, 0x80]) != nil)
    }

    @Test func flashWriteReadBackAndCRC() throws {
        var h = DPTHost(dptSixDiskController())
        let data = (0..<0x2000).map { UInt8($0 & 0xFF) }
        let buffer = h.memory.map(data)
        let write = MessageFrame(function: .privateMessage, target: 0, sglOffset: 8,
                                 payload: [0x001B_0102, 2, 0, 0x2000, 0xD400_2000, UInt32(buffer)])
        #expect(h.iop.post(write, memory: h.memory)?.reqStatus == .success)
        let (r, back) = try h.flash(0x0101, region: 2, offset: 0x200, count: 0x200, buffer: 0x200)
        #expect(r.reqStatus == .success && back == Array(data[0x200..<0x400]))
        let (_, blank) = try h.flash(0x0101, region: 3, offset: 0, count: 16, buffer: 16)
        #expect(blank == [UInt8](repeating: 0xFF, count: 16))
        let outside = MessageFrame(function: .privateMessage, target: 0, sglOffset: 8,
                                   payload: [0x001B_0102, 2, 0x1000, 0x2000, 0xD400_2000, UInt32(buffer)])
        #expect(h.iop.post(outside, memory: h.memory)?.reqStatus == .errorNoDataTransfer)
        let crc = h.iop.post(MessageFrame(function: .privateMessage, target: 0, payload: [0x001B_0103]), memory: h.memory)
        #expect(crc?.reqStatus == .success && crc?[word: 5] == h.dpt.flashCRC())
    }

    /// Every frame of the tool with random bytes changed, cut or grown, to every kind of target:
    /// a refused command changes nothing, an accepted one leaves the controller consistent.
    @Test func mutatedFramesNeverBreakTheController() throws {
        var rng = SplitMix(seed: 0xD9_7F1A)
        let frames = [RaidutilFrames.raid1, RaidutilFrames.raid0, RaidutilFrames.raid5, RaidutilFrames.hotSpare, RaidutilFrames.verify,
                      RaidutilFrames.stop, RaidutilFrames.fast, RaidutilFrames.writeBackOn, RaidutilFrames.nvramAlarmDisabled]
        var c = dptSixDiskController()
        var accepted = 0
        for round in 0..<3000 {
            var data = frames[Int(rng.next() % UInt64(frames.count))]
            for _ in 0..<Int(rng.next() % 4) { data[Int(rng.next() % UInt64(data.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 8 == 0 { data = Array(data.prefix(Int(rng.next() % UInt64(data.count)))) }
            let targets: [DPTTarget] = [.controller, .disk(Int(rng.next() % 6)), .array(Int(rng.next() % UInt64(max(c.arrays.count, 1))))]
            let target = targets[Int(rng.next() % 3)]
            let before = c
            let six = rng.next() % 4 == 0
            let cdb: [UInt8] = six ? [0x15, 0x11, 0, 0, UInt8(truncatingIfNeeded: data.count), 0]
                : [0x55, 0x11, 0, 0, 0, 0, 0, UInt8(data.count >> 8), UInt8(data.count & 0xFF), 0]
            if case .checkCondition = c.execute(cdb, to: target, dataOut: data) {
                #expect(c == before, "round \(round)")
            } else { accepted += 1 }
            #expect(c.problems().isEmpty, "round \(round): \(c.problems())")
            let tids = c.derivedDevices().map(\.tid)
            #expect(Set(tids).count == tids.count, "round \(round)")
            if round % 100 == 0 { _ = c.timePassed(milliseconds: 600_000) }
        }
        #expect(accepted > 0)
    }

    @Test func configurationRoundTripsThroughJSON() throws {
        var h = DPTHost(dptSixDiskController())
        _ = try h.select10(0x202, RaidutilFrames.raid1)
        _ = try h.select10(0x204, RaidutilFrames.hotSpare.replacing(at: 8 + 2 + 28 + 2 + 8, with: [0x1B, 0x01, 0x01, 0x00])
            .replacing(at: 8 + 2 + 28 + 2 + 2, with: [1, 0, 0, 0, 0, 1]))
        h.advance(seconds: 30)
        let data = try JSONEncoder().encode(h.dpt.configuration)
        let restored = try JSONDecoder().decode(DPTConfiguration.self, from: data)
        #expect(restored.arrays == h.dpt.arrays && restored.disks == h.dpt.disks)
        #expect(restored.settings.events == h.dpt.settings.events)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    func replacing(at i: Int, with b: [UInt8]) -> [UInt8] {
        var c = self
        for (k, x) in b.enumerated() { c[i + k] = x }
        return c
    }
}
