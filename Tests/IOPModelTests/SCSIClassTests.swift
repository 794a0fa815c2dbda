import BlockStorage
import I2OFormats
import Testing
@testable import IOPModel

/// The test IOP with a SCSI disk at TID 0x020 holding data (4,096 blocks), and the RAID volume
/// 0x205 a mirror of it and a second disk.
private struct SCSIHost {
    var iop: IOP
    let memory = BusMemory()
    static let scsiTID: TID = 0x020
    init(writeBack: Bool = false) {
        var d = TestMachine.description
        let identity = ParamGroup(schema: StandardGroups.deviceIdentity,
                                  rows: [TestMachine.identityRow(vendor: "SEAGATE", product: "ST336753LW", description: "", rev: "0006")])
        d.devices.append(DeviceDescription(entry: LCTEntry(localTID: Self.scsiTID, classID: .scsiPeripheral, parentTID: TestMachine.adapterTID),
                                           groups: [0xF100: identity], blockStorage: .disk(DiskStorage(name: "d0", blocks: 4096))))
        iop = IOP(d)
    }
    var disk: Disk { (iop.blockDevices[Self.scsiTID]!.target as! Disk) }

    /// ScsiScbExec: the CDB, the direction, ByteCount, one buffer (data out, or room for data in).
    mutating func exec(_ cdb: [UInt8], out: [UInt8]? = nil, count: Int = 0, sense: Bool = true) -> (reply: MessageFrame, data: [UInt8]) {
        var c = cdb; while c.count < 16 { c.append(0) }
        let flags: UInt32 = (out != nil ? 0x8000 : count > 0 ? 0x4000 : 0) | (sense ? 0x0020 : 0)
        let buffer = out.map { memory.map($0) } ?? memory.map(zeroes: max(count, 1))
        var payload = [UInt32(cdb.count) | flags << 16]
        for i in stride(from: 0, to: 16, by: 4) { payload.append(UInt32(c[i]) | UInt32(c[i + 1]) << 8 | UInt32(c[i + 2]) << 16 | UInt32(c[i + 3]) << 24) }
        payload += [UInt32(out?.count ?? count), (out != nil ? SGLFlags.simpleLastOut : .simpleLastIn).word(count: out?.count ?? max(count, 1)), UInt32(buffer)]
        let frame = MessageFrame(function: .scsiScbExec, target: Self.scsiTID, sglOffset: 10, payload: payload)
        let reply = iop.post(frame, memory: memory)!
        return (reply, Array((memory.buffer(at: buffer) ?? []).prefix(Int(reply[word: 5]))))
    }
}

private func senseOf(_ r: MessageFrame) -> (key: UInt8, asc: UInt8, info: UInt32) {
    let b = (7..<Int(r.messageSize.rawValue)).flatMap { withUnsafeBytes(of: r[word: $0].littleEndian, Array.init) }
    guard b.count >= 14 else { return (0xFF, 0xFF, 0) }
    return (b[2] & 0x0F, b[12], UInt32(b[3]) << 24 | UInt32(b[4]) << 16 | UInt32(b[5]) << 8 | UInt32(b[6]))
}

@Suite struct SCSIClassTests {
    @Test func inquiryAndCapacityDescribeTheDisk() throws {
        var h = SCSIHost()
        let inq = h.exec([0x12, 0, 0, 0, 36, 0], count: 36)
        #expect(inq.reply.reqStatus == .success && inq.data.count == 36)
        #expect(String(decoding: inq.data[8..<16], as: UTF8.self) == "SEAGATE ")
        #expect(String(decoding: inq.data[16..<32], as: UTF8.self) == "ST336753LW      ")
        let cap = h.exec([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], count: 8)
        #expect(cap.data == [0, 0, 0x0F, 0xFF, 0, 0, 0x02, 0x00], "last LBA 4095, 512-byte blocks")
        let cap16 = h.exec([0x9E, 0x10] + [UInt8](repeating: 0, count: 8) + [0, 0, 0, 32, 0, 0], count: 32)
        #expect(Array(cap16.data[0..<12]) == [0, 0, 0, 0, 0, 0, 0x0F, 0xFF, 0, 0, 0x02, 0x00])
    }

    @Test func writeThenReadIn6_10And16ByteForms() throws {
        var h = SCSIHost()
        let data = (0..<2048).map { UInt8(truncatingIfNeeded: $0 * 13) }
        #expect(h.exec([0x2A, 0, 0, 0, 0, 10, 0, 0, 4, 0], out: data).reply.reqStatus == .success)
        #expect(h.exec([0x28, 0, 0, 0, 0, 10, 0, 0, 4, 0], count: 2048).data == data)
        #expect(h.exec([0x08, 0, 0, 10, 4, 0], count: 2048).data == data)
        #expect(h.exec([0x88, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0], count: 2048).data == data)
        #expect(try h.disk.read(10, blocks: 4) == data, "the bytes the block storage class sees")
        #expect(h.exec([0x35] + [UInt8](repeating: 0, count: 9)).reply.reqStatus == .success, "SYNCHRONIZE CACHE")
    }

    @Test func errorsAnswerCheckConditionWithSense() throws {
        var h = SCSIHost()
        let past = h.exec([0x28, 0, 0, 0, 0x0F, 0xFF, 0, 0, 2, 0], count: 1024)
        #expect(past.reply.detailedStatus.rawValue & 0xFF == 0x02 && past.reply.reqStatus == .errorNoDataTransfer)
        #expect(senseOf(past.reply).key == 0x05 && senseOf(past.reply).asc == 0x21, "LBA out of range")
        #expect(senseOf(h.exec([0xC7, 0, 0, 0, 0, 0]).reply).asc == 0x20, "an unknown opcode")
        _ = h.exec([0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0], out: [UInt8](repeating: 0xAB, count: 4096))
        h.disk.injectMediaError(5..<6)
        let bad = h.exec([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0], count: 4096)
        #expect(bad.reply.reqStatus == .errorPartialTransfer && bad.reply[word: 5] == 2560)
        #expect(senseOf(bad.reply) == (0x03, 0x11, 5), "medium error at LBA 5")
        #expect(bad.data == [UInt8](repeating: 0xAB, count: 2560), "the five blocks before it arrive")
        h.disk.isFailed = true
        #expect(senseOf(h.exec([0x00, 0, 0, 0, 0, 0]).reply).key == 0x02, "a failed disk is NOT READY")
        #expect(h.exec([0x12, 0, 0, 0, 36, 0], count: 36).reply.reqStatus == .success, "INQUIRY still answers")
    }

    @Test func senseStaysOutOfTheReplyWhenNotAsked() throws {
        var h = SCSIHost()
        let r = h.exec([0xC7, 0, 0, 0, 0, 0], sense: false)
        #expect(r.reply.detailedStatus.rawValue & 0xFF == 0x02 && r.reply[word: 6] == 0 && r.reply.messageSize.rawValue == 7)
    }

    @Test func modeSenseCachingShowsTheCacheMode() throws {
        var h = SCSIHost()
        let page = h.exec([0x1A, 0, 0x08, 0, 64, 0], count: 64)
        #expect(page.data.count == 24 && page.data[4] == 0x08 && page.data[6] & 0x04 == 0, "a plain disk: write-through")
        #expect(senseOf(h.exec([0x1A, 0, 0x19, 0, 64, 0], count: 64).reply).asc == 0x24, "an unknown page")
    }
}
