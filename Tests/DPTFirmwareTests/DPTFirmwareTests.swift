import Testing
import I2OFormats
import IOPModel
@testable import DPTFirmware

/// The controller of fixtures/default.yaml: a 3200S with a RAID-1 (b0t0, b0t1) and a spare on bus 1.
func dptDefaultController() -> DPTController {
    DPTController(firmware: "370F", buses: [DPTBus(), DPTBus()], disks: [
        DPTDisk(vendor: "SEAGATE", product: "ST336753LW", revision: "0006", serial: "3HX1A2B3", blocks: 35003 * 2048, bus: 0, id: 0),
        DPTDisk(vendor: "SEAGATE", product: "ST336753LW", revision: "0006", serial: "3HX1C4D5", blocks: 35003 * 2048, bus: 0, id: 1),
        DPTDisk(vendor: "SEAGATE", product: "ST336753LW", revision: "0006", serial: "3HX1E6F7", blocks: 35003 * 2048, bus: 1, id: 0),
    ], arrays: [DPTArray(level: 1, members: [0, 1])])
}

/// Sends frames as raidutils' eata2i2o does (docs/dpt-protocol.md §Frames).
struct DPTHost {
    var iop: IOP
    let memory = BusMemory()

    /// - Parameter firmware: whether the IOP has the DPT firmware module (else it only shows `c`'s devices).
    init(_ c: DPTController = dptDefaultController(), firmware: Bool = true) {
        iop = IOP(IOPDescription(unit: 0, status: StatusBlock(), hrt: c.derivedHRT(), bootDevice: c.derivedBootDevice,
                                 devices: c.derivedDevices(), firmware: firmware ? c : nil))
    }

    struct SCBResult {
        var reply: MessageFrame
        var data: [UInt8]
        var sense: [UInt8]
    }

    /// PRIVATE_SCSI_SCB_EXECUTE with a data element of `count` bytes and, when `autoSense`, a
    /// 20-byte sense element.
    mutating func scb(_ tid: TID, _ cdb: [UInt8], interpret: Bool = true, physical: Bool = false, count: Int = 255,
                      autoSense: Bool = true, dataOut: [UInt8]? = nil) throws -> SCBResult {
        let data = dataOut.map { memory.map($0) } ?? memory.map(zeroes: count)
        let byteCount = dataOut?.count ?? count
        let sense = memory.map(zeroes: 20)
        var cdb16 = cdb; while cdb16.count < 16 { cdb16.append(0) }
        let scbFlags: UInt32 = dataOut != nil ? 0xA0A0 : (byteCount == 0 ? 0x20A0 : 0x60A0)
        var flags: UInt32 = 0x50 | (dataOut != nil ? 0x04 : 0)
        if !autoSense { flags |= 0x80 }
        var payload: [UInt32] = [0x001B_0081,
                                 UInt32(tid.rawValue) | (interpret ? 1 << 16 : 0) | (physical ? 1 << 17 : 0),
                                 UInt32(cdb.count) | scbFlags << 16]
        payload += (0..<4).map { cdb16.readLE32(at: $0 * 4) }
        payload += [UInt32(byteCount), flags << 24 | UInt32(byteCount), UInt32(data)]
        if autoSense { payload += [0xD000_0014, UInt32(sense)] }
        let frame = MessageFrame(function: .privateMessage, target: tid, transactionContext: 0x1234, sglOffset: 12, payload: payload)
        let posted = iop.post(frame, memory: memory)
        let reply = try #require(posted)
        return SCBResult(reply: reply, data: memory.buffer(at: data) ?? [], sense: memory.buffer(at: sense) ?? [])
    }

    /// DPT flash region size (0x0100) / read (0x0101).
    mutating func flash(_ xfn: UInt32, region: UInt32, offset: UInt32 = 0, count: UInt32 = 0, buffer: Int = 4)
        throws -> (MessageFrame, [UInt8])
    {
        let out = memory.map(zeroes: buffer)
        let frame = MessageFrame(function: .privateMessage, target: 0, sglOffset: 8,
                                 payload: [0x001B_0000 | xfn, region, offset, count, 0xD000_0000 | UInt32(buffer), UInt32(out)])
        let posted = iop.post(frame, memory: memory)
        let reply = try #require(posted)
        return (reply, memory.buffer(at: out) ?? [])
    }

    /// UtilParamsGet as raidutils sends it: a 10-byte operation list in a host→IOP element.
    mutating func paramsGet(_ tid: TID, group: UInt16, capacity: Int = 256) throws -> (MessageFrame, [UInt8]) {
        let ops: [UInt8] = [1, 0, 0, 0, 1, 0, UInt8(group & 0xFF), UInt8(group >> 8), 0xFF, 0xFF]
        let list = memory.map(ops)
        let res = memory.map(zeroes: capacity)
        let frame = MessageFrame(function: .utilParamsGet, target: tid, sglOffset: 5,
                                 payload: [0, 0x5400_000A, UInt32(list), 0xD000_0000 | UInt32(capacity), UInt32(res)])
        let posted = iop.post(frame, memory: memory)
        let reply = try #require(posted)
        return (reply, memory.buffer(at: res) ?? [])
    }
}

func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct DPTFirmwareTests {
    @Test func controllerInquiry() throws {
        var h = DPTHost()
        let r = try h.scb(0, [0x12, 0, 0, 0, 48, 0], count: 48)
        #expect(r.reply.reqStatus == .success && r.reply.detailedStatus.rawValue == 0)
        #expect(r.reply[word: 5] == 48)                                    // TransferCount
        #expect(Array(r.data.prefix(36)) == [0x03, 0x00, 0x02, 0x02, 91, 0x00, 0x00, 0x00]
                + ascii("ADAPTEC ") + ascii("3200S           ") + ascii("370F"))
        #expect(r.data[36..<48].allSatisfy { $0 == 0 })
    }

    @Test func diskInquiryAndVPD() throws {
        var h = DPTHost()
        let r = try h.scb(0x201, [0x12, 0, 0, 0, 96, 0], interpret: false, physical: true, count: 96)
        #expect(Array(r.data.prefix(36)) == [0x00, 0x00, 0x02, 0x02, 91, 0x00, 0x00, 0x32]
                + ascii("SEAGATE ") + ascii("ST336753LW      ") + ascii("0006"))
        let serial = try h.scb(0x201, [0x12, 0x01, 0x80, 0, 255, 0], interpret: false, physical: true)
        #expect(Array(serial.data.prefix(12)) == [0x00, 0x80, 0x00, 8] + ascii("3HX1C4D5"))
        let list = try h.scb(0x201, [0x12, 0x01, 0x00, 0, 255, 0], interpret: false, physical: true)
        #expect(Array(list.data.prefix(8)) == [0x00, 0x00, 0x00, 0x04, 0x00, 0x80, 0xC0, 0xC1])
        let dpt = try h.scb(0x201, [0x12, 0x01, 0xC0, 0, 255, 0], interpret: false, physical: true)
        #expect(Array(dpt.data.prefix(4)) == [0x00, 0xC0, 0x00, 0x20])
    }

    @Test func diskMagicPage() throws {
        var h = DPTHost()
        // MODE SENSE(10) page 0x32, I=1 P=1, allocation 14: 8-byte header, page 0x32 length 4, magic BE.
        let r = try h.scb(0x201, [0x5A, 0x08, 0x32, 0, 0, 0, 0, 0, 14, 0], physical: true, count: 14)
        #expect(r.reply.reqStatus == .success)
        #expect(Array(r.data.prefix(14)) == [0, 12, 0, 0, 0, 0, 0, 0, 0x32, 4, 0x1B, 0x00, 0x01, 0x00])
        let spare = try h.scb(0x202, [0x5A, 0x08, 0x32, 0, 0, 0, 0, 0, 14, 0], physical: true, count: 14)
        #expect(Array(spare.data.suffix(4)) == [0x1B, 0x01, 0x00, 0x00])
    }

    @Test func logicalArrayPage() throws {
        var h = DPTHost()
        let r = try h.scb(0x203, [0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x01, 0x00, 0], physical: true, count: 256)
        let page = Array(r.data.dropFirst(8))
        let length: [UInt8] = [0, 88]                                      // 6 + page 2 + 28 + 2 × 26
        #expect(Array(r.data.prefix(2)) == length)
        #expect(page[0] == 0x30 && page[1] == 28)                          // LAP #2 length exactly 28
        let blocks: UInt32 = 35003 * 2048 - 0x1000
        var head: [UInt8] = [0x00, 1, 0, 2, 0x2B, 0, 0, 1]
        head += be32(blocks)
        head += [2, 0, 0, 0]                                               // block size u16 512, LSU id 0, flags
        #expect(Array(page[2..<18]) == head)
        let m0 = Array(page[30..<56]), m1 = Array(page[56..<82])
        var want: [UInt8] = [0x31, 0x18, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x1B, 0, 0, 0]
        want += be32(blocks)
        want += [0, 0, 0, 0, 0, 128, 0, 0]                                 // start block 0, stripe u16 128, reserved
        #expect(m0 == want)
        #expect(m1[0] == 0x31 && m1[4] == 0 && Array(m1[6..<10]) == [0, 0, 0, 1] && Array(m1[10..<14]) == [0x1B, 0, 1, 0])
        // READ CAPACITY of the array: last LBA, 512.
        let cap = try h.scb(0x203, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], interpret: false, count: 8)
        let capWant: [UInt8] = be32(blocks - 1) + [0, 0, 2, 0]
        #expect(cap.data == capWant)
    }

    @Test func logSenseArrayListAndHardware() throws {
        var h = DPTHost()
        let fw = try h.scb(0, [0x4D, 0x00, 0x36, 0, 0, 0, 0, 0, 255, 0], physical: true)
        #expect(Array(fw.data.prefix(10)) == [0x36, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00])
        let drv = try h.scb(0, [0x4D, 0x00, 0x36, 0, 0, 0, 0, 0, 255, 0], physical: false)
        #expect(Array(drv.data.prefix(4)) == [0x36, 0x00, 0x00, 0x00])    // driver-level arrays: empty
        let hw = try h.scb(0, [0x4D, 0x00, 0x33, 0, 0, 0, 0, 0xFC, 0x00, 0], count: 0xFC00)
        #expect(Array(hw.data.prefix(4)) == [0x33, 0x00, 0x00, 84])
        // param 1: NVRAM present, IRQ 11; param 2; param 4 = 64 MiB BE
        #expect(Array(hw.data[4..<19]) == [0, 1, 0, 2, 0x40, 11, 0, 2, 0, 1, 0, 0, 4, 0, 4])
        #expect(Array(hw.data[19..<23]) == [0x04, 0x00, 0x00, 0x00])
        // param 13 once per channel
        let p = Array(hw.data)
        var channels: [UInt8] = []
        var at = 4
        while at + 4 <= 4 + 84 {
            let code = Int(p[at]) << 8 | Int(p[at + 1]), len = Int(p[at + 3])
            if code == 13 { channels.append(p[at + 4]) }
            at += 4 + len
        }
        #expect(channels == [0, 1])
    }

    @Test func nvramAndPhysicalArrayPages() throws {
        var h = DPTHost()
        let nv = try h.scb(0, [0x5A, 0x08, 0x2E, 0, 0, 0, 0, 0, 255, 0])
        #expect(Array(nv.data.prefix(10)) == [0, 136, 0, 0, 0, 0, 0, 0, 0x2E, 128])
        let body = Array(nv.data.dropFirst(10))
        #expect(Array(body[104..<110]) == ascii("CADP-2"))
        #expect(Array(body[112..<122]) == ascii("BA12345678"))
        let six = try h.scb(0, [0x1A, 0x08, 0x2E, 0, 255, 0])
        #expect(Array(six.data.prefix(6)) == [133, 0, 0, 0, 0x2E, 128])
        let pap = try h.scb(0, [0x1A, 0x08, 0x2A, 0, 255, 0])
        #expect(Array(pap.data.prefix(6)) == [254, 0, 0, 0, 0x2A, 249])
        let st = Array(pap.data.dropFirst(6))
        #expect(st[0] == 0x00 && st[1] == 0x00)                            // members
        #expect(st[32] == 0x02)                                            // b1t0: unconfigured (spare)
    }

    @Test func refusedCommandsCarrySense() throws {
        var h = DPTHost()
        let r = try h.scb(0, [0xC5, 0, 0, 0, 0, 0], count: 16)
        #expect(r.reply.reqStatus == .errorNoDataTransfer)
        #expect(r.reply.detailedStatus.rawValue == 0x0002)                 // HBA ok, CHECK CONDITION
        #expect(r.reply.messageSize.rawValue == 17)
        #expect(r.reply[word: 6] == 18)                                    // AutoSenseTransferCount
        let sense: [UInt8] = [0x70, 0, 0x05, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0]
        #expect(Array((7..<12).flatMap { le32(r.reply[word: $0]) }.prefix(18)) == sense)
        #expect(Array(r.sense.prefix(18)) == sense)
        // Magic-number probe of an absent LUN: LOGICAL UNIT NOT SUPPORTED.
        let lun = try h.scb(0, [0x5A, 0x28, 0x32, 0, 0, 0, 0, 0, 14, 0], physical: true, count: 14)
        #expect(lun.sense[2] == 0x05 && lun.sense[12] == 0x25)
        // An unknown mode page: INVALID FIELD IN CDB.
        let page = try h.scb(0x200, [0x1A, 0x08, 0x19, 0, 255, 0], physical: true)
        #expect(page.sense[2] == 0x05 && page.sense[12] == 0x24)
        // READ past the end: LBA OUT OF RANGE.
        let read = try h.scb(0x200, [0x28, 0, 0x04, 0x50, 0x00, 0x00, 0, 0, 1, 0], interpret: false, physical: true, count: 512)
        #expect(read.sense[12] == 0x21)
    }

    @Test func modeSelectAndHouseKeeping() throws {
        var h = DPTHost()
        let ok = try h.scb(0x202, [0x15, 0x11, 0, 0, 14, 0], physical: true, dataOut: [0, 0, 0, 0, 0x3E, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(ok.reply.reqStatus == .success && ok.reply[word: 5] == 14)
        let bad = try h.scb(0x202, [0x15, 0x11, 0, 0, 14, 0], physical: true, dataOut: [0, 0, 0, 0, 0x08, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(bad.reply.reqStatus == .errorNoDataTransfer && bad.sense[12] == 0x26)
        for cdb: [UInt8] in [[0x0E, 0, 0x23, 0, 0, 0], [0x0E, 0, 0x09, 0x14, 0, 0], [0x00, 0, 0, 0, 0, 0]] {
            let r = try h.scb(0, cdb, count: 0)
            #expect(r.reply.reqStatus == .success, "\(cdb)")
        }
        let tur = try h.scb(0x203, [0x00, 0, 0, 0, 0, 0], interpret: false, count: 0)
        #expect(tur.reply.reqStatus == .success)
    }

    @Test func flashRegions() throws {
        var h = DPTHost()
        var sizes: [UInt32] = []
        for region: UInt32 in 0..<4 {
            let (reply, bytes) = try h.flash(0x0100, region: region)
            #expect(reply.reqStatus == .success)
            sizes.append(bytes.readLE32(at: 0))
        }
        #expect(sizes == [0xBC000, 0x40000, 0x2000, 0x2000])
        let (reply, bytes) = try h.flash(0x0101, region: 1, offset: 0x100, count: 64, buffer: 64)
        #expect(reply.reqStatus == .success && bytes == [UInt8](repeating: 0xFF, count: 64))
        let (bad, _) = try h.flash(0x0100, region: 4)
        #expect(bad.reqStatus == .errorNoDataTransfer && bad.detailedStatus == .invalidParameter)
        let (past, _) = try h.flash(0x0101, region: 2, offset: 0x1FF0, count: 64, buffer: 64)
        #expect(past.reqStatus == .errorNoDataTransfer)
    }

    @Test func dptGroups() throws {
        var h = DPTHost()
        // 0x0200 on a port: ResultCount 1, BlockSize 8 words, InitiatorID 7 at offset 4.
        let (r0, port) = try h.paramsGet(0x009, group: 0x0200)
        #expect(r0.reqStatus == .success)
        #expect(Array(port.prefix(8)) == [1, 0, 0, 0, 8, 0, 0, 0])
        #expect(port[8] == 3 && Array(port[12..<16]) == [7, 0, 0, 0])
        // 0x8000 on the spare: bus 1 (u16 at 2), target 0 (u32 at 4), LUN in byte 9.
        let (_, spare) = try h.paramsGet(0x202, group: 0x8000)
        #expect(Array(spare[8..<24]) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let (_, array) = try h.paramsGet(0x203, group: 0x8000)
        #expect(Array(array[8..<16]) == [0, 0, 0, 0, 0, 0, 0, 0])
        let (_, ddm) = try h.paramsGet(0, group: 0xF101)
        #expect(Array(ddm[10..<23]) == ascii("ADAPTEC 3200S"))
    }

    @Test func degradedArray() throws {
        var c = dptDefaultController()
        c.disks[1].status = .failed
        #expect(c.arrayStatus(0) == .degraded)
        var h = DPTHost(c)
        let lap = try h.scb(0x203, [0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x01, 0x00, 0], physical: true, count: 256)
        let page = Array(lap.data.dropFirst(8))
        #expect(page[2] == 0x01)                                           // array degraded (main status 1)
        #expect(page[30 + 2] == 0x00 && page[56 + 2] == 0x03)              // member 1 failed
        let pap = try h.scb(0, [0x1A, 0x08, 0x2A, 0, 255, 0])
        #expect(pap.data[6 + 1] == 0x03)
        let tur = try h.scb(0x201, [0x00, 0, 0, 0, 0, 0], interpret: false, physical: true, count: 0)
        #expect(tur.reply.reqStatus == .errorNoDataTransfer && tur.sense[2] == 0x02 && tur.sense[12] == 0x04)
        // The array still reads: a mirror with one side left.
        let read = try h.scb(0x203, [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], interpret: false, count: 512)
        #expect(read.reply.reqStatus == .success)
        // Two failed mirrors: the array has failed.
        c.disks[0].status = .failed
        #expect(c.arrayStatus(0) == .dead)
    }

    @Test func controllerWhoseEveryMessageFails() throws {
        var c = dptDefaultController()
        c.failEveryMessage = .errorNoDataTransfer
        var h = DPTHost(c)
        let r = try h.scb(0, [0x12, 0, 0, 0, 48, 0], count: 48)
        #expect(r.reply[word: 4] == 0x0500_0000)
        let (f, _) = try h.flash(0x0100, region: 0)
        #expect(f.reqStatus == .errorNoDataTransfer)
        let (p, _) = try h.paramsGet(0x008, group: 0x0200)
        #expect(p.reqStatus == .errorNoDataTransfer)
        let lct = h.iop.post(MessageFrame(function: .execLctNotify, target: 0, sglOffset: 6,
                                          payload: [0xFFFF_FFFF, 0, 0xD000_000C, UInt32(h.memory.map(zeroes: 12))]), memory: h.memory)
        #expect(lct?.reqStatus == .errorNoDataTransfer)
    }

    @Test func otherOrganizationsAndIOPs() throws {
        var h = DPTHost()
        let frame = MessageFrame(function: .privateMessage, target: 0, sglOffset: 8,
                                 payload: [0x0028_0100, 0, 0, 0, 0xD000_0004, UInt32(h.memory.map(zeroes: 4))])
        #expect(h.iop.post(frame, memory: h.memory)?.detailedStatus == .unsupportedFunction)
        var plain = DPTHost(firmware: false)
        #expect(plain.iop.post(frame, memory: h.memory)?.detailedStatus == .unsupportedFunction)
        // A frame too short for an SCB execute never traps.
        let short = MessageFrame(function: .privateMessage, target: 0, payload: [0x001B_0081, 0])
        #expect(h.iop.post(short, memory: h.memory)?.detailedStatus == .messageTooSmall)
    }

    @Test func descriptionProblems() {
        var c = dptDefaultController()
        #expect(c.problems().isEmpty)
        c.disks.append(DPTDisk(vendor: "X", product: "Y", blocks: 100, bus: 3, id: 2))
        c.disks.append(DPTDisk(vendor: "X", product: "Y", blocks: 100, bus: 1, id: 7))
        c.arrays.append(DPTArray(level: 5, members: [0, 2]))
        let p = c.problems()
        #expect(p.contains { $0.contains("bus 3") })
        #expect(p.contains { $0.contains("initiator id") })
        #expect(p.contains { $0.contains("needs at least 3") })
        #expect(p.contains { $0.contains("b0t0d0 is a member of arrays[0] and arrays[1]") })
    }
}
