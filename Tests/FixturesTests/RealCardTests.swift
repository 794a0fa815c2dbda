import Testing
import I2OFormats
import IOPModel
@testable import Fixtures

@Suite struct RealCardTests {
    @Test func intelU31L() throws {
        let iop = try #require(try loadFixture("intel-u3-1l.yaml").iops.first)
        #expect(iop.devices.map(\.tid.rawValue) == [0, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19])
        let classes: [ClassID] = [.executive, .ddm, .ddm, .scsiPeripheral, .busAdapter, .busAdapter, .scsiPeripheral,
                                  .randomBlockStorage, .scsiPeripheral, .randomBlockStorage, .randomBlockStorage]
        #expect(iop.devices.map(\.entry.classID) == classes)
        #expect(iop.devices.allSatisfy { $0.entry.deviceFlags.letters == "PM" })
        let port = try #require(iop.devices.first { $0.tid == 11 })
        #expect(port.groups[0xF100] == nil)
        #expect(port.failures == [KnownFailure(function: .utilParamsGet, group: 0xF100,
                                               reqStatus: .errorPartialTransfer, detailedStatus: .unknownError)])
        #expect(identity(iop.devices[0])! == ("Wind River Sys.", "IxWorks", "0201"))
        #expect(identity(iop.devices[1])! == ("Intel           ", "Integrated RAID ", "2.03.6  "))
        #expect(iop.devices.first { $0.tid == 10 }?.entry.subClass == 3)
        #expect(iop.bootDevice == 18)
        #expect(iop.status.inboundFrameSize == 32)
        #expect(LCT(entries: iop.devices.map(\.entry)).entries.count == 11)
    }

    @Test func promiseL2() throws {
        let iop = try #require(try loadFixture("promise-supertrak100-l2.yaml").iops.first)
        #expect(iop.devices.map(\.tid.rawValue) == [0, 8, 9, 10, 14, 15])
        #expect(iop.devices.map(\.entry.deviceFlags.letters) == ["PM", "PM", "PM", "CPM", "PM", "CPM"])
        #expect(iop.lctIopFlags & 1 == 1)
        #expect(identity(iop.devices[5])! == ("WD", "AC31200F", "14.04E28"))
    }

    @Test func promiseL3() throws {
        let iop = try #require(try loadFixture("promise-supertrak100-l3.yaml").iops.first)
        #expect(iop.devices.map(\.tid.rawValue) == [0, 8, 9, 10, 12, 13, 14, 15, 16, 17])
        let disks = iop.devices.filter { identity($0)?.product == "IBM-DTLA-307060" }
        #expect(disks.count == 6)
        #expect(disks.allSatisfy { $0.entry.deviceFlags.letters == "CPM" && identity($0)?.revision == "TX8OA50C" })
        #expect(identity(iop.devices[0])?.vendor == "")
        #expect(iop.lctIopFlags & 1 == 1)
    }

    @Test func adaptec3210S() throws {
        let iop = try #require(try loadFixture("adaptec-3210s.yaml").iops.first)
        // What dpt_i2o printed: the unclaimed entries.
        let unclaimed = iop.devices.filter { $0.entry.userTID == .none }
        #expect(unclaimed.map(\.tid.rawValue) == [0x008, 0x009, 0x206, 0x20C])
        #expect(unclaimed.compactMap { identity($0)?.product } == ["AIC-7899", "AIC-7899", "SCA HSBP M15", "RAID-5"])
        let hidden = iop.devices.filter { $0.entry.classID == .scsiPeripheral && $0.entry.userTID != .none }
        #expect(hidden.count == 6)
        #expect(hidden.allSatisfy { $0.groups[0x8000]?.schema.fields.map(\.name) == ["ScsiType", "Flags", "Bus", "ScsiID", "Lun"] })
        let h = try #require(iop.hrt.entries.first)
        #expect(HRT(entries: [h]).encoded()[8..<24] == [0x12, 0, 0, 0, 0x00, 0xF0, 0x01, 0x04, 0, 22, 1, 0, 0x05, 0x90, 0xCF, 0x00])
    }

    @Test func twoIOPs() throws {
        let m = try loadFixture("two-iops.yaml")
        #expect(m.iops.map(\.unit.rawValue) == [0, 1])
        let u1 = m.iops[1]
        #expect(u1.hrt.entries.first?.busInfo == [0, 1, 1, 0, 0x5A, 0x10, 0x76, 0x02])
        #expect(u1.devices[0].entry.deviceFlags.rawValue == 0x30)
        #expect(u1.devices[0].entry.identityTag == Array("SX6000".utf8) + [0, 0])
        #expect(String(decoding: u1.devices[0].htmlPages[0] ?? [], as: UTF8.self).hasPrefix("<html><body><h1>SuperTrak SX6000"))
        #expect(u1.store.modules.first?.bytes == [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0])
        #expect(u1.store.modules.first?.experimental == true)
        #expect(u1.store.capacity == 65536)
        #expect(u1.devices.first { $0.tid == 10 }?.entry.deviceFlags.letters == "CPM")
    }
}
