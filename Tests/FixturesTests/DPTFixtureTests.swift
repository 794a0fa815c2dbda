import DPTFirmware
import Testing
import I2OFormats
import IOPModel
@testable import Fixtures

@Suite struct DPTFixtureTests {
    @Test func twoArraysAreDerived() throws {
        let m = try loadFixture("adaptec-2-arrays.yaml")
        let iop = try #require(m.iops.first)
        let c = try #require(iop.dpt)
        #expect(iop.status.organizationID == 0x001B && iop.status.productID == "ADAPTEC 3210S")
        #expect(iop.devices.map(\.tid.rawValue) == [0x000, 0x008, 0x009, 0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206])
        #expect(iop.devices.filter { $0.entry.userTID == 0x205 }.map(\.tid.rawValue) == [0x200, 0x201, 0x202])
        #expect(iop.devices.filter { $0.entry.userTID == 0x206 }.map(\.tid.rawValue) == [0x203, 0x204])
        #expect(c.arrayBlocks(0) == 2 * (35003 * 2048 - 0x1000) && c.arrayStatus(0) == .optimal)
        #expect(iop.hrt.entries.map(\.adapterID) == [0x0000_0008, 0x0001_0009])
        // The RAID-1's 0x8000 address is its first member's, b1t0d0.
        #expect(iop.devices.first { $0.tid == 0x206 }?.groups[0x8000]?.rows.first?.prefix(8) == [0, 0, 1, 0, 0, 0, 0, 0])
    }

    @Test func inconsistentDescriptionsAreRefused() {
        let text = """
        machine: bad
        iops:
          - unit: 0
            dpt:
              controller: {model: 3200S}
              disks:
                - {vendor: A, model: B, capacity_mb: 100, at: b0t7d0}
                - {vendor: A, model: B, capacity_mb: 100, at: b0t1d0, status: broken}
              arrays:
                - {raid: 1, members: [b0t1d0, b0t9d0]}
        """
        do {
            _ = try FixtureLoader.load(text: text)
            Issue.record("an inconsistent dpt: section loaded")
        } catch {
            let all = error.diagnostics.map(\.message).joined(separator: "\n")
            #expect(all.contains("no disk at 'b0t9d0'"))
            #expect(all.contains("unknown disk status 'broken'"))
            #expect(all.contains("the controller's own initiator id"))
            #expect(error.diagnostics.contains { $0.line == 10 })
        }
    }
}
