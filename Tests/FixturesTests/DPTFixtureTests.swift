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
        let text = dptMachine("bad", """
              disks:
                - {vendor: A, model: B, capacity_mb: 100, at: b0t7d0}
                - {vendor: A, model: B, capacity_mb: 100, at: b0t1d0, status: broken}
              arrays:
                - {raid: 1, members: [b0t1d0, b0t9d0]}
        """)
        if let error = refusal(text, "an inconsistent dpt: section loaded") {
            let all = error.diagnostics.map(\.message).joined(separator: "\n")
            #expect(all.contains("no disk at 'b0t9d0'"))
            #expect(all.contains("unknown disk status 'broken'"))
            #expect(all.contains("the controller's own initiator id"))
            #expect(error.diagnostics.contains { $0.line == 10 })
        }
    }

    @Test func managedStateLoadsAndBadStateIsRefused() throws {
        let good = dptMachine("managed", """
              buses: [{initiator_id: 7}, {initiator_id: 7}]
              disks:
                - {vendor: A, model: B, capacity_mb: 100, at: b0t0d0}
                - {vendor: A, model: B, capacity_mb: 100, at: b0t1d0, status: replaced}
                - {vendor: A, model: B, capacity_mb: 100, at: b1t0d0, tid: 0x210}
              arrays:
                - {raid: 1, members: [b0t0d0, b0t1d0], tid: 0x220, magic: 0x1234, blocks: 1000, at: b0t0d0,
                   write_back: true, rate: 90, amount: 128, task: rebuild, done: 500}
                - {raid: spare, members: [b1t0d0]}
              settings: {clock: 1700000000, alarm_sounding: true,
                         events: [{severity: 4, code: 0x001, time: 1700000001, message: "drive b0t1d0 failed"}],
                         flash: [{region: 2, offset: 0x10, hex: "01 02"}]}
        """)
        let m = try FixtureLoader.load(text: good)
        let iop = try #require(m.iops.first)
        let c = try #require(iop.dpt)
        #expect(c.arrays[0].tid == 0x220 && c.arrays[0].magic == 0x1234 && c.arrays[0].task == DPTTask(kind: .rebuild, done: 500))
        #expect(c.arrays[1].isHotSpare && c.disks[2].tid == 0x210 && c.disks[1].status == .replaced)
        #expect(c.settings.alarmSounding && c.settings.events.count == 1 && c.settings.flash.first?.bytes == [1, 2])
        #expect(iop.devices.map(\.tid.rawValue) == [0x000, 0x008, 0x009, 0x200, 0x201, 0x210, 0x220])
        #expect(c.arrayStatus(0) == .reconstruct && c.papStatus(disk: 1) == 0x24)
        let bad = dptMachine("bad", """
              disks:
                - {vendor: A, model: B, capacity_mb: 100, at: b0t0d0, tid: 0x201}
                - {vendor: A, model: B, capacity_mb: 100, at: b0t1d0}
              arrays:
                - {raid: 1, members: [b0t0d0, b0t1d0], task: melt, magic: 0x80000000}
                - {raid: 0, members: [b0t0d0], done: 3}
              settings: {nvram: {hex: "01 02"}, events: [{severity: 9, code: 0x777}]}
        """)
        if let error = refusal(bad, "a bad managed state loaded") {
            let all = error.diagnostics.map(\.message).joined(separator: "\n")
            #expect(all.contains("unknown task 'melt'"), "\(all)")
            #expect(all.contains("out of range for a magic number"), "\(all)")
            #expect(all.contains("done without a task"), "\(all)")
            #expect(all.contains("an NVRAM image is 128 bytes"), "\(all)")
            #expect(all.contains("out of range for a severity"), "\(all)")
            #expect(all.contains("unknown event code"), "\(all)")
            #expect(all.contains("both have TID"), "\(all)")
        }
    }
}

/// A machine of one IOP whose DPT firmware is a 3200S; `body` goes on with its `dpt:` section
/// (indented six spaces: `disks:`, `arrays:`…).
private func dptMachine(_ name: String, _ body: String) -> String {
    "machine: \(name)\niops:\n  - unit: 0\n    dpt:\n      controller: {model: 3200S}\n" + body
}

/// The loader's refusal of `text`; nil, with an issue recorded (`loaded`), when it loads.
private func refusal(_ text: String, _ loaded: Comment, sourceLocation: SourceLocation = #_sourceLocation) -> FixtureError? {
    do {
        _ = try FixtureLoader.load(text: text)
        Issue.record(loaded, sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
