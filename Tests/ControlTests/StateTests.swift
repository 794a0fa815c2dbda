import I2OABI
import I2ODevice
import Fixtures
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine
import Faults
import Persistence
import Simulator
import EngineTestSupport
import Testing

@Suite struct StateTests {
    @Test func parameterSetIsWrittenAndLoadedBack() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let base = try T.defaultMachine()
        do {
            let state = try StateDirectory(path: dir, baseline: base)
            #expect(try state.load() == nil)
            let engine = Simulator(machine: Machine(base))
            engine.attachState(state)
            var value = Array("Kept".utf8); value += [UInt8](repeating: 0, count: 60)
            #expect(engine.setParameter(unit: IOPUnit(rawValue: 0), tid: TID(rawValue: 0x203), group: 0xF102, field: 0, value: value) == nil)
            #expect(state.writeCount == 1)
        }
        // A new daemon (the lock is released with the first StateDirectory).
        let again = try StateDirectory(path: dir, baseline: base)
        let loaded = try #require(try again.load())
        var d = base
        #expect(loaded.apply(to: &d).isEmpty)
        let machine = Machine(d)
        let row = try #require(machine.iops[IOPUnit(rawValue: 0)]?.parameterGroup(0xF102, of: TID(rawValue: 0x203))?.rows.first)
        #expect(Array(row.prefix(5)) == [0x4B, 0x65, 0x70, 0x74, 0])   // "Kept\0"
    }

    @Test func onlyPermanentModulesAreKeptWithTheirValidation() throws {
        var d = try T.defaultMachine()
        d.iops[0].store.modules = [
            SoftwareModule(swType: 0x22, swID: 1, bytes: [1, 2, 3], permanent: true, experimental: true, name: "p"),
            SoftwareModule(swType: 0x22, swID: 2, bytes: [4], permanent: false),
        ]
        let s = PersistentState(machine: Machine(d), baseline: try T.defaultMachine())
        #expect(s.iops.count == 1)
        #expect(s.iops[0].modules.map(\.swID) == [1])
        #expect(s.iops[0].modules[0].experimental)
        #expect(s.iops[0].modules[0].module?.bytes == [1, 2, 3])
        // Loading replaces the fixture's permanent modules (a deleted one stays deleted).
        var fresh = try T.defaultMachine()
        #expect(!fresh.iops[0].store.modules.isEmpty)
        _ = s.apply(to: &fresh)
        #expect(fresh.iops[0].store.modules.map(\.swID) == [1])
    }

    @Test func secondDaemonIsRefused() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let base = try T.defaultMachine()
        let first = try StateDirectory(path: dir, baseline: base)
        #expect(throws: StateError.locked(dir)) { try StateDirectory(path: dir, baseline: base) }
        _ = first
    }

    @Test func damagedFileIsNamedAndMovedAsideNotDeleted() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let base = try T.defaultMachine()
        try Data("{\"version\": 1, \"iops\": [".utf8).write(to: URL(fileURLWithPath: dir + "/state.json"))
        let state = try StateDirectory(path: dir, baseline: base)
        do {
            _ = try state.load()
            Issue.record("a damaged file loaded")
        } catch {
            guard case let .damaged(path, why) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == dir + "/state.json")
            #expect(why.contains("not valid JSON"))
        }
        let moved = try #require(try state.moveAside())
        #expect(moved.hasPrefix(dir + "/state.json.damaged-"))
        #expect(FileManager.default.contents(atPath: moved) == Data("{\"version\": 1, \"iops\": [".utf8))
        #expect(try state.load() == nil)
    }

    @Test func wrongVersionIsDamaged() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        try Data("{\"version\": 9, \"iops\": []}".utf8).write(to: URL(fileURLWithPath: dir + "/state.json"))
        let state = try StateDirectory(path: dir, baseline: try T.defaultMachine())
        #expect(throws: StateError.self) { _ = try state.load() }
    }

    @Test func parmsetIoctlWritesBeforeReturning() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let (engine, state) = try T.simulatorKeepingState(in: dir)
        let f = engine.open()
        var value = Array("Volume".utf8); value += [UInt8](repeating: 0, count: 58)
        let ops = OperationList([ParamOperation(code: .fieldSet, group: 0xF102, fields: .indices([0]), values: value)]).encoded()
        let (r, _) = try T.params(engine, f, set: true, tid: 0x203, ops: ops)
        #expect(r == .success)
        // The file holds the value now (no later call needed).
        let text = String(decoding: FileManager.default.contents(atPath: dir + "/state.json") ?? Data(), as: UTF8.self)
        #expect(text.contains("566f6c756d65"))   // "Volume" in hex
        // A PARMGET changes nothing: no new write.
        let writes = state.writeCount
        _ = try T.params(engine, f, tid: 0x203, ops: T.fieldGet(0xF102))
        #expect(state.writeCount == writes)
    }
}

@Suite struct DPTIStateTests {
    /// A change made through dpt_i2o's I2OUSRCMD is written to the state directory, as PASSTHRU's.
    @Test func userCommandChangesAreWritten() throws {
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let (simulator, state) = try T.simulatorKeepingState(in: dir)
        let node = try #require(simulator.dptiNode(unit: 0))
        var mem = FakeUserMemory()
        // UtilParamsSet of 0xF102 field 0 ("Kept") on TID 0x203: operation list host→IOP, result IOP→host.
        var ops: [UInt8] = [1, 0, 0, 0, 6, 0, 0x02, 0xF1, 1, 0, 0, 0]
        ops += Array("Kept".utf8) + [UInt8](repeating: 0, count: 60)
        let opsAt = mem.place(ops), res = mem.place(zeroes: 64)
        let frame: [UInt32] = [9 << 16 | 0x51, 0x05 << 24 | 1 << 12 | 0x203, 0, 0, 0,
                               0x5400_0000 | UInt32(ops.count), UInt32(opsAt), 0xD000_0040, UInt32(res)]
        let msg = mem.place(frame.littleEndianBytes + [UInt32](arrayLiteral: 17 << 16).littleEndianBytes + [UInt8](repeating: 0, count: 64))
        let file = node.open()
        var result = IoctlResult.error(.EAGAIN)
        for _ in 0..<8 {
            do { result = try node.ioctl(IoctlRequest(file: file, command: DPTIoctl.userCommand.number(.ilp32), argument: msg, abi: .ilp32), memory: &mem); break }
            catch { continue }
        }
        #expect(result == .success)
        #expect(mem.u32(msg + 36 + 16) == 0, "ReqStatus SUCCESS")
        #expect(state.writeCount == 1)
    }
}
