import BlockStorage
import Fixtures
import I2OFormats
import IOPModel
import Testing
@testable import DPTFirmware

/// The controller's arrays hold data (docs/block-storage.md §The controller and the data): a
/// RAID 5 of three 64 MB drives and a hot spare.
private let fixture = """
machine: data
iops:
  - unit: 0
    status: {inbound_frame_size: 128}
    dpt:
      controller: {model: 3200S, firmware: 3B0A}
      buses: [{initiator_id: 7}]
      disks:
        - {vendor: SEAGATE, model: ST336753LW, capacity_mb: 64, at: b0t0d0}
        - {vendor: SEAGATE, model: ST336753LW, capacity_mb: 64, at: b0t1d0}
        - {vendor: SEAGATE, model: ST336753LW, capacity_mb: 64, at: b0t2d0}
        - {vendor: SEAGATE, model: ST336753LW, capacity_mb: 64, at: b0t3d0}
      arrays:
        - {raid: 5, members: [b0t0d0, b0t1d0, b0t2d0]}
        - {raid: spare, members: [b0t3d0]}
"""

private struct DataHost {
    var iop: IOP
    let memory = BusMemory()
    let lsu: TID
    init() throws {
        iop = IOP(try #require(try FixtureLoader.load(text: fixture).iops.first))
        lsu = try #require(iop.lct.entries.first { $0.classID == .randomBlockStorage }?.localTID)
    }
    var volume: RAIDVolume { (iop.blockDevices[lsu]!.target as! WriteCache).backing as! RAIDVolume }

    static func pattern(_ n: Int, _ seed: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 / 512 * 31 + $0 % 509 + seed) } }

    mutating func bsa(_ write: Bool, at byte: UInt64, _ data: [UInt8]) -> (status: ReqStatus, bytes: [UInt8]) {
        let buffer = write ? memory.map(data) : memory.map(zeroes: data.count)
        let sgl = (write ? SGLFlags.simpleLastOut : .simpleLastIn).word(count: data.count)
        let f = MessageFrame(function: write ? .bsaBlockWrite : .bsaBlockRead, target: lsu, sglOffset: 8,
                             payload: BsaTransfer(byteCount: UInt32(data.count), byteAddress: byte).words + [sgl, UInt32(buffer)])
        let r = iop.post(f, memory: memory)!
        return (r.reqStatus, memory.buffer(at: buffer) ?? [])
    }

    /// Advances the firmware's clock in steps until `done` holds (at most `limit` steps).
    mutating func run(until done: (DataHost) -> Bool, step: UInt64 = 500, limit: Int = 100) -> Bool {
        for _ in 0..<limit where !done(self) { _ = iop.advanceFirmwareClock(milliseconds: step) }
        return done(self)
    }
}

@Suite struct DPTDataTests {
    @Test func theArrayHoldsDataThroughAFailureTheSpareAndItsRebuild() throws {
        var h = try DataHost()
        let a = DataHost.pattern(1 << 20, 1), b = DataHost.pattern(65536, 2)
        #expect(h.bsa(true, at: 0, a).status == .success)
        #expect(h.bsa(true, at: 40 << 20, b).status == .success)
        #expect(h.iop.firmwareCommand(["drive", "b0t1d0", "failed"]) == nil)
        // The hot spare took the failed drive's place; until rebuilt, reads come from the others.
        #expect(h.volume.members.contains { $0.isFailed } == false, "the failed drive left the array")
        #expect(h.volume.rebuildPosition(member: 1) != nil, "the spare is being rebuilt")
        #expect(h.bsa(false, at: 0, a).bytes == a)
        // Part-way: the controller's progress moved the data's rebuild position too.
        _ = h.iop.advanceFirmwareClock(milliseconds: 1000)
        let middle = try #require(h.volume.rebuildPosition(member: 1))
        #expect(middle > h.volume.layout.memberRange.lowerBound)
        #expect(h.run { $0.volume.rebuildPosition(member: 1) == nil }, "the rebuild finished with the controller's task")
        let c = try #require(h.iop.firmware as? DPTController)
        #expect(c.arrays.allSatisfy { $0.task == nil } && c.arrayStatus(0) == .optimal)
        // The rebuilt spare carries the data: fail another original member, everything still reads.
        #expect(h.iop.firmwareCommand(["drive", "b0t0d0", "failed"]) == nil)
        #expect(h.volume.health == .degraded)
        #expect(h.bsa(false, at: 0, a).bytes == a)
        #expect(h.bsa(false, at: 40 << 20, b).bytes == b)
        // A second failure kills a RAID 5: the data no longer answers.
        #expect(h.iop.firmwareCommand(["drive", "b0t2d0", "failed"]) == nil)
        #expect(h.bsa(false, at: 0, [UInt8](repeating: 0, count: 512)).status == .errorNoDataTransfer)
    }

    @Test func aVerifyCountsInconsistentBlocksAndAFixRepairsThem() throws {
        var h = try DataHost()
        _ = h.bsa(true, at: 0, DataHost.pattern(65536, 3))
        // Two blocks changed behind the controller's back on one member.
        try h.volume.members[1].write(h.volume.layout.startBlock + 2, DataHost.pattern(1024, 99))
        var c = try #require(h.iop.firmware as? DPTController)
        c.arrays[0].task = DPTTask(kind: .verify)
        h.iop.updateFirmware(c, configurationChanged: true)
        #expect(h.run { ($0.iop.firmware as? DPTController)?.arrays[0].task == nil })
        #expect((h.iop.firmware as? DPTController)?.arrays[0].verifyErrors == 2, "LAP bytes 24–27")
        c = try #require(h.iop.firmware as? DPTController)
        c.arrays[0].task = DPTTask(kind: .verifyFix)
        h.iop.updateFirmware(c, configurationChanged: true)
        #expect(h.run { ($0.iop.firmware as? DPTController)?.arrays[0].task == nil })
        #expect(try h.volume.verify(h.volume.layout.memberRange, fix: false) == 0, "fixed")
    }

    @Test func theSCSIPathReadsAndWritesTheSameBytes() throws {
        var h = try DataHost()
        let data = DataHost.pattern(4096, 5)
        #expect(h.bsa(true, at: 8 * 512, data).status == .success)
        // PRIVATE_SCSI_SCB_EXECUTE READ(10) of LBA 8, 8 blocks, as Linux's i2o_block sends it to a DPT LSU.
        let cdb: [UInt8] = [0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]
        let into = h.memory.map(zeroes: 4096)
        var payload: [UInt32] = [0x001B_0081, UInt32(h.lsu.rawValue), 0x60A0_000A]
        for i in stride(from: 0, to: 16, by: 4) { payload.append(UInt32(cdb[i]) | UInt32(cdb[i + 1]) << 8 | UInt32(cdb[i + 2]) << 16 | UInt32(cdb[i + 3]) << 24) }
        payload += [4096, SGLFlags.simpleLastIn.word(count: 4096), UInt32(into)]
        let f = MessageFrame(function: .privateMessage, target: h.lsu, sglOffset: 12, payload: payload)
        let r = h.iop.post(f, memory: h.memory)!
        #expect(r.reqStatus == .success && r[word: 5] == 4096)
        #expect(h.memory.buffer(at: into) == data)
    }
}

@Suite struct DPTDialogTests {
    @Test func theDialogShowsTheArraysTheirStatusAndTasks() throws {
        var h = try DataHost()
        #expect(h.iop.firmwareCommand(["drive", "b0t1d0", "failed"]) == nil)
        _ = h.iop.advanceFirmwareClock(milliseconds: 1000)
        let page = String(decoding: h.iop.dialogHTML(tid: .executive, outcomes: []), as: UTF8.self)
        #expect(page.contains("<h2>Arrays</h2>") && page.contains("RAID 5") && page.contains("Reconstruct"))
        #expect(page.contains("rebuild "), "the task with its progress")
        #expect(page.contains("b0t1d0") && page.contains("failed"))
        let lsu = String(decoding: h.iop.dialogHTML(tid: h.lsu, outcomes: []), as: UTF8.self)
        #expect(lsu.contains("<h2>Array</h2>") && lsu.contains("write-through"))
    }
}
