import I2OABI
import I2ODevice
import Testing
import I2OFormats
import IOPModel
@testable import IoctlEngine

@Suite struct ConcurrencyTests {
    /// Many threads setting and reading parameters through their own open files: every set
    /// raises exactly one event for the registered file, and nothing is lost or torn.
    @Test func parallelSetsAndGets() async {
        let engine = Engine(machine: Machine(TestMachine.description))
        var watcher = Harness(.lp64, engine: engine)
        #expect(watcher.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        let results = await withTaskGroup(of: [IoctlResult].self) { group in
            for t in 0..<8 {
                group.addTask {
                    var h = Harness(t % 2 == 0 ? .lp64 : .ilp32, engine: engine)
                    var out: [IoctlResult] = []
                    for i in 0..<3 {
                        out.append(h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(UInt32(t * 10 + i))).0)
                        out.append(h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor).0)
                    }
                    engine.release(h.file)
                    return out
                }
            }
            var all: [IoctlResult] = []
            for await r in group { all += r }
            return all
        }
        #expect(results.count == 48)
        #expect(results.allSatisfy { $0 == .success })
        let q = engine.queuedEvents(watcher.file)
        #expect(q?.events.count == 24)
        #expect(q?.lost == 0)
        #expect(engine.openFiles == [watcher.file])
    }

    /// Hot-plug from outside the device reaches a file registered on the executive.
    @Test func hotPlugRaisesNewLCTEntry() {
        var h = Harness(.ilp32)
        #expect(h.register(tid: 0, mask: EventIndicator.newLCTEntry.rawValue) == .success)
        let entry = LCTEntry(localTID: 0x030, classID: .lan)
        h.engine.withMachine { m in _ = try? m.iops[0]!.addDevice(DeviceDescription(entry: entry)) }
        let (r, e) = h.eventGet()
        #expect(r == .success)
        #expect(e?.info.id == EventID(iop: 0, tid: 0, eventMask: 0x100))
        #expect(e?.info.data.count == 36)
        #expect(e.map { $0.info.data.readLE32(at: 0) >> 16 } == 0x030)
    }
}
