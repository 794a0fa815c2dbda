import DPTFirmware
import Fixtures
import Foundation
import I2OFormats
import IOPModel
import Persistence
import Simulator
import Testing
@testable import Control

/// A RAID controller's configuration as the state directory, snapshots and the control channel
/// keep and change it (the default machine: RAID-1 b0t0+b0t1 at TID 0x203, b1t0 free at 0x202).
@Suite struct DPTStateTests {
    /// `-h d1b0t0`: raidutil's hot spare on b1t0, MODE SELECT(10) of page 0x30 to the disk's TID.
    static let hotSpare: [UInt8] = {
        let hex = "0000000000000000303680fe0101598b68660445d78002000000000000000000000000000000311800140100000000001b0100000445d7800000000000800000"
        let u = Array(hex.utf8)
        return stride(from: 0, to: u.count, by: 2).map { UInt8(String(decoding: u[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }()

    /// Posts a MODE SELECT(10) SCB with `data` to `tid` of IOP 0.
    static func select10(_ s: Simulator, _ tid: UInt16, _ data: [UInt8]) -> ReqStatus? {
        s.engine.withMachine { m -> ReqStatus? in
            let memory = BusMemory()
            let buffer = memory.map(data)
            var cdb = [UInt8](repeating: 0, count: 16)
            cdb[0] = 0x55; cdb[1] = 0x11; cdb[8] = UInt8(data.count)
            let words = (0..<4).map { cdb.readLE32(at: $0 * 4) }
            let frame = MessageFrame(function: .privateMessage, target: TID(rawValue: tid), sglOffset: 12,
                                     payload: [0x001B_0081, UInt32(tid) | 3 << 16, 10 | 0xA0A0 << 16] + words
                                         + [UInt32(data.count), 0xD400_0000 | UInt32(data.count), UInt32(buffer)])
            return m.iops[IOPUnit(rawValue: 0)]?.post(frame, memory: memory)?.reqStatus
        }
    }

    static func controller(_ s: Simulator) -> DPTController? {
        s.engine.machine.iops[IOPUnit(rawValue: 0)]?.firmware as? DPTController
    }

    /// A file registered for LCT events hears what a management command changed: the new
    /// drive's entry, then the failed member's and the spare's changed UserTIDs.
    @Test func registeredFilesHearTheFirmwaresLCTChanges() throws {
        let s = try T.engine()
        let f = s.open()
        #expect(try T.register(s, f, tid: 0, mask: 0x300) == .success)   // NEW_LCT_ENTRY | MODIFIED_LCT
        let h = ControlHandler(simulator: s, loadFixture: { _ in .failure(ControlError("none")) })
        #expect(h.handle(line: #"{"command": "insert-drive", "at": "b1t1d0"}"#).contains("\"ok\":true"))
        #expect(Self.select10(s, 0x202, Self.hotSpare) == .success)
        #expect(h.handle(line: #"{"command": "drive", "at": "b0t1d0", "state": "failed"}"#).contains("\"ok\":true"))
        let events = try #require(s.queuedEvents(f)?.events)
        try #require(events.map(\.id.eventMask) == [0x100, 0x200, 0x200])
        #expect(events[0].data.readLE16(at: 2) & 0xFFF == 0x204)                      // the new drive's TID
        let changed = Set(events.dropFirst().map { $0.data.readLE16(at: 2) & 0xFFF })
        #expect(changed == [0x201, 0x202])                                             // failed member, spare
    }

    /// A fault rule's `firmware` action: the drive fails when a matching frame goes by (here the
    /// UtilEventRegister a client's EVTREG posts), once.
    @Test func aFaultRuleFailsADrive() throws {
        let s = try T.engine()
        let h = ControlHandler(simulator: s, loadFixture: { _ in .failure(ControlError("none")) })
        let missing = h.handle(line: #"{"command": "fault-add", "function": "0x13", "action": "firmware"}"#)
        #expect(missing.contains("firmware action needs a command"), "\(missing)")
        let added = h.handle(line: #"{"command": "fault-add", "function": "0x13", "action": "firmware", "firmware": "drive b0t1d0 failed", "count": "once"}"#)
        #expect(added.contains("\"ok\":true"), "\(added)")
        #expect(h.handle(line: #"{"command": "fault-list"}"#).contains(#"firmware \"drive b0t1d0 failed\""#))
        #expect(Self.controller(s)?.disks[1].status == .optimal)
        let f = s.open()
        #expect(try T.register(s, f, tid: 0, mask: 0x300) == .success)                // the frame goes through
        #expect(Self.controller(s)?.disks[1].status == .failed)
        #expect(Self.controller(s)?.arrayStatus(0) == .degraded)
        #expect(s.engine.machine.iops[IOPUnit(rawValue: 0)]?.devices[TID(rawValue: 0x203)] != nil)
    }

    @Test func configurationSurvivesARestartAndASnapshot() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let base = try T.defaultMachine()
        var saved: DPTController?
        var savedUsers: [[UInt16]] = []
        do {
            let state = try StateDirectory(path: dir, baseline: base)
            let s = Simulator(machine: Machine(base))
            s.attachState(state)
            #expect(Self.select10(s, 0x202, Self.hotSpare) == .success)
            #expect(s.persistence.save())
            let h = ControlHandler(simulator: s, loadFixture: { _ in .failure(ControlError("none")) })
            // Failing a member: the spare takes over and rebuilds; the clock moves it on.
            let failed = h.handle(line: #"{"command": "drive", "at": "b0t1d0", "state": "failed"}"#)
            #expect(failed.contains("\"ok\":true"), "\(failed)")
            #expect(Self.controller(s)?.arrays.first?.task?.kind == .rebuild)
            let clock = h.handle(line: #"{"command": "clock", "advance": "60"}"#)
            #expect(clock.contains("\"ok\":true"), "\(clock)")
            let done = Self.controller(s)?.arrays.first?.task?.done
            #expect(done == UInt32(60 * 50 * 1000), "\(String(describing: done))")
            saved = Self.controller(s)
            let entries = s.engine.machine.iops[IOPUnit(rawValue: 0)]?.lct.entries ?? []
            savedUsers = entries.map { [$0.localTID.rawValue, $0.userTID.rawValue] }.sorted { $0[0] < $1[0] }
            #expect(entries.first { $0.localTID == TID(rawValue: 0x202) }?.userTID == TID(rawValue: 0x203))
            // The snapshot loads back to the same controller and LCT.
            let text = SnapshotWriter.yaml(s.engine.machine.snapshot)
            let loaded = try FixtureLoader.load(text: text)
            #expect(loaded.iops[0].dpt?.arrays.map(\.members) == saved?.arrays.map(\.members))
            #expect(loaded.iops[0].dpt?.disks == saved?.disks)
            #expect(loaded.iops[0].dpt?.settings.events == saved?.settings.events)
            #expect(loaded.iops[0].devices.map(\.entry.userTID) == s.engine.machine.snapshot.iops[0].devices.map(\.entry.userTID))
            #expect(text.contains("task: rebuild"), "\(text)")
            // Bad input to the control channel.
            #expect(h.handle(line: #"{"command": "drive", "at": "b7t7d0", "state": "failed"}"#).contains("no drive at"))
            #expect(h.handle(line: #"{"command": "drive", "at": "b0t0d0", "state": "melted"}"#).contains("unknown drive state"))
            #expect(h.handle(line: #"{"command": "clock"}"#).contains("advance=SECONDS"))
            // Hot-plug: the failed drive (out of its array since the spare took over) is pulled, a
            // new one plugged in at a new TID; a member cannot be pulled.
            #expect(h.handle(line: #"{"command": "drive", "at": "b0t0d0", "state": "removed"}"#).contains("belongs to the LSU"))
            let before = s.engine.machine.iops[IOPUnit(rawValue: 0)]?.lctChangeIndicator ?? 0
            #expect(h.handle(line: #"{"command": "drive", "at": "b0t1d0", "state": "removed"}"#).contains("\"ok\":true"))
            #expect(s.engine.machine.iops[IOPUnit(rawValue: 0)]?.devices[TID(rawValue: 0x201)] == nil)
            #expect(h.handle(line: #"{"command": "insert-drive", "at": "b0t1d0", "capacity_mb": "36000"}"#).contains("\"ok\":true"))
            #expect(h.handle(line: #"{"command": "insert-drive", "at": "b0t1d0"}"#).contains("already at"))
            #expect(h.handle(line: #"{"command": "insert-drive", "at": "b0t7d0"}"#).contains("no drive address"))
            let iop = try #require(s.engine.machine.iops[IOPUnit(rawValue: 0)])
            #expect(iop.lctChangeIndicator == before + 2)
            #expect(iop.devices[TID(rawValue: 0x201)]?.entry.classID == .scsiPeripheral)   // the lowest free TID
            #expect(iop.devices[TID(rawValue: 0x203)]?.entry.classID == .randomBlockStorage)
            #expect(Self.controller(s)?.problems().isEmpty == true)
            saved = Self.controller(s)
            savedUsers = iop.lct.entries.map { [$0.localTID.rawValue, $0.userTID.rawValue] }.sorted { $0[0] < $1[0] }
        }
        // A new daemon on the same directory sees the same controller.
        let again = try StateDirectory(path: dir, baseline: base)
        let loaded = try #require(try again.load())
        var d = base
        #expect(loaded.apply(to: &d).isEmpty)
        let c = try #require(d.iops[0].dpt)
        #expect(c.arrays == saved?.arrays && c.disks == saved?.disks)
        #expect(c.settings.events == saved?.settings.events)
        #expect(Machine(d).iops[IOPUnit(rawValue: 0)]?.lct.entries.map { [$0.localTID.rawValue, $0.userTID.rawValue] }.sorted { $0[0] < $1[0] } == savedUsers)
    }
}
