import DPTFirmware
import Foundation
import Testing
import I2OFormats
import IOPModel
@testable import Fixtures

/// The fixtures/ directory of the package, found from this file's path.
let fixturesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures")

func fixturePath(_ name: String) -> String { fixturesDirectory.appendingPathComponent(name).path }

func loadFixture(_ name: String) throws -> MachineDescription {
    do { return try FixtureLoader.load(path: fixturePath(name)) } catch {
        Issue.record("\(name) did not load:\n\(error.description)")
        throw error
    }
}

func identity(_ d: DeviceDescription) -> (vendor: String, product: String, revision: String)? {
    guard let g = d.groups[0xF100], let row = g.rows.first else { return nil }
    return (FixedText.decode(row[8..<24]), FixedText.decode(row[24..<40]), FixedText.decode(row[56..<64]))
}

@Suite struct FixtureFilesTests {
    @Test func everyFixtureLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 6)
        for name in names {
            let m = try loadFixture(name)
            #expect(!m.iops.isEmpty, "\(name)")
            for iop in m.iops { #expect(iop.devices.first?.tid == .executive, "\(name) unit \(iop.unit)") }
        }
    }

    @Test func embeddedDefaultIsDefaultYaml() throws {
        let onDisk = try String(contentsOfFile: fixturePath("default.yaml"), encoding: .utf8)
        #expect(FixtureLoader.embeddedDefaultText == onDisk, "run scripts/embed-default after editing fixtures/default.yaml")
        let m = try FixtureLoader.loadDefault()
        #expect(m == (try loadFixture("default.yaml")))
    }

    @Test func defaultMachine() throws {
        let m = try FixtureLoader.loadDefault()
        #expect(m.iops.count == 1)
        let iop = try #require(m.iops.first)
        #expect(iop.status.productID == "ADAPTEC 3200S")
        #expect(iop.status.organizationID == 0x001B)
        #expect(iop.status.inboundFrameSize == 128)
        #expect(iop.status.iopState == IOPState.operational.rawValue)
        // The dpt: section derives one HRT entry per channel: AdapterID = bus << 16 | port TID.
        #expect(iop.hrt.entries.map(\.adapterID) == [0x0000_0008, 0x0001_0009])
        let h = try #require(iop.hrt.entries.first)
        #expect(h.busType == HRTBusType.pci.rawValue && h.pciVendorID == 0x1044 && h.pciDeviceID == 0xA501)
        // Derived: ports 0x008/0x009, disks 0x200-0x202, the RAID-1 at 0x203; then the written DDM.
        #expect(iop.devices.map(\.tid.rawValue) == [0x000, 0x008, 0x009, 0x200, 0x201, 0x202, 0x203, 0x010])
        #expect(iop.dpt?.arrays.count == 1)
        let vol = try #require(iop.devices.first { $0.tid == 0x203 })
        #expect(vol.entry.classID == .randomBlockStorage && vol.entry.userTID == .none)
        #expect(identity(vol)! == ("ADAPTEC", "RAID-1", "370F"))
        #expect(vol.groups[0xF102] != nil)
        for disk in iop.devices where disk.tid == 0x200 || disk.tid == 0x201 {
            #expect(disk.entry.userTID == 0x203)
            #expect(disk.groups[0x8000]?.schema.rowWidth == 16)
        }
        #expect(iop.devices.first { $0.tid == 0x202 }?.entry.userTID == TID.none)   // the spare
        // bus u16 at 2, target u32 at 4, LUN in LunInfo byte 1 (byte 9)
        #expect(iop.devices.first { $0.tid == 0x201 }?.groups[0x8000]?.rows == [[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
        #expect(iop.devices.first { $0.tid == 0x202 }?.groups[0x8000]?.rows == [[0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
        let exec = try #require(iop.devices.first)
        #expect(identity(exec)?.vendor == "ADAPTEC")
        #expect(exec.htmlPages.keys.sorted() == [0, 1, 2, 3])
        #expect(String(decoding: exec.htmlPages[2] ?? [], as: UTF8.self).contains("{query}"))
        #expect(String(decoding: exec.htmlPages[0] ?? [], as: UTF8.self).contains("href=\"1\""))
        #expect(iop.store.modules.count == 1)
        #expect(iop.store.modules.first?.bytes.count == 65536)
        #expect(Array(iop.store.modules.first?.bytes.prefix(5) ?? []) == [0x7F, 0x44, 0x44, 0x4D, 0x7F])
        #expect(iop.store.capacity == 1 << 20)
        #expect(iop.bootDevice == 0x203)
        #expect(iop.status.expectedLCTSize == UInt32((3 + 9 * 8) * 4))
    }
}
