import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import Synchronization
import I2OFormats
import IOPModel
@testable import IoctlEngine

final class RecordingObserver: NodeObserver {
    let files = Mutex<[OpenFileID]>([])
    func eventQueued(for file: OpenFileID) { files.withLock { $0.append(file) } }
}

@Suite struct EventsTests {
    @Test(arguments: CallerABI.allCases)
    func registerFailures(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.register(tid: 0x123, mask: 1) == .error(.ENODEV))
        #expect(h.register(iop: 9, tid: 0, mask: 1) == .error(.ENXIO))
        #expect(h.register(iop: 9, tid: 0x123, mask: 1) == .error(.ENXIO))
        #expect(h.ioctl(.eventRegister, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(h.register(tid: 0, mask: 0x400) == .success)
        #expect(h.mem.rounds == 1)
        #expect(h.iop0.eventRegistrations.count == 1)
        #expect(h.iop0.eventRegistrations.first?.transactionContext == UInt32(h.file.rawValue))
    }

    @Test(arguments: CallerABI.allCases)
    func eventsGoToTheRegisteredFileOnly(_ abi: CallerABI) {
        let observer = RecordingObserver()
        var h = Harness(abi, engine: Engine(machine: Machine(TestMachine.description), observer: observer))
        let other = h.engine.open()
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        #expect(h.register(tid: 0x008, mask: EventIndicator.fieldModified.rawValue, file: other) == .success)
        #expect(!h.engine.isReadable(h.file))
        // The set comes from the other file; the event belongs to the registered one.
        let (r, _, _) = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(3), file: other)
        #expect(r == .success)
        #expect(h.engine.isReadable(h.file))
        #expect(!h.engine.isReadable(other))
        #expect(observer.files.withLock { $0 } == [h.file])
        let (r2, e) = h.eventGet()
        #expect(r2 == .success)
        #expect(h.mem.rounds == 1)
        #expect(e?.info.id == EventID(iop: 0, tid: 0x010, eventMask: 0x0100_0000))
        #expect(e?.info.data == [0x00, 0x80, 0x00, 0x00])
        #expect(e?.pending == 0 && e?.lost == 0)
        #expect(h.eventGet(file: other).0 == .error(.ENOENT))
        #expect(h.eventGet().0 == .error(.ENOENT))
        // Mask 0 cancels.
        #expect(h.register(tid: 0x010, mask: 0) == .success)
        _ = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(4))
        #expect(h.eventGet().0 == .error(.ENOENT))
    }

    @Test(arguments: CallerABI.allCases)
    func queueOverflowCountsLost(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.register(tid: 0, mask: EventIndicator.vendorEvent.rawValue) == .success)
        h.engine.withMachine { m in
            for i in 0..<35 { m.iops[0]!.raiseEvent(tid: 0, indicator: .vendorEvent, data: [UInt8(i), 0, 0, 0]) }
        }
        let (r, e) = h.eventGet()
        #expect(r == .success)
        #expect(e?.info.data == [3, 0, 0, 0])
        #expect(e?.pending == 31)
        #expect(e?.lost == 3)
        // The EVTGET record is 112 bytes, data_size 4.
        #expect(h.engine.queuedEvents(h.file)?.events.count == 31)
        for i in 4..<35 {
            let (ri, ei) = h.eventGet()
            #expect(ri == .success && ei?.info.data.first == UInt8(i) && ei?.pending == Int32(34 - i) && ei?.lost == 3)
        }
        #expect(h.eventGet().0 == .error(.ENOENT))
        #expect(h.mem.rounds == 0)
        // Lost never resets.
        h.engine.withMachine { m in m.iops[0]!.raiseEvent(tid: 0, indicator: .vendorEvent, data: []) }
        #expect(h.eventGet().1?.lost == 3)
    }

    @Test(arguments: CallerABI.allCases)
    func eventGetFaultKeepsTheEvent(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.register(tid: 0, mask: 0x400) == .success)
        h.engine.withMachine { m in m.iops[0]!.raiseEvent(tid: 0, indicator: .ddmAvailability, data: [9]) }
        #expect(h.ioctl(.eventGet, FakeUserMemory.unmapped) == .error(.EFAULT))
        // A failing request changes no state: the event is still there.
        #expect(h.engine.queuedEvents(h.file)?.events.count == 1)
        let (r, e) = h.eventGet()
        #expect(r == .success && e?.info.data == [9, 0, 0, 0] && e?.pending == 0)
    }

    @Test func readRecordsAndErrors() {
        let h = Harness(.lp64)
        #expect(h.engine.read(h.file, capacity: 1000) == .wouldBlock)
        var hh = h
        #expect(hh.register(tid: 0, mask: 0x400) == .success)
        h.engine.withMachine { m in
            for i in 0..<3 { m.iops[0]!.raiseEvent(tid: 0, indicator: .ddmAvailability, data: [UInt8(i), 1, 2, 3]) }
        }
        #expect(h.engine.read(h.file, capacity: 103) == .error(.EINVAL))
        guard case let .data(bytes) = h.engine.read(h.file, capacity: 250) else { Issue.record("no data"); return }
        #expect(bytes.count == 208)
        let first = try? EventInfo.decode(Array(bytes[0..<104]))
        #expect(first?.id == EventID(iop: 0, tid: 0, eventMask: 0x400))
        #expect(first?.data == [0, 1, 2, 3])
        #expect(bytes.readLE32(at: 100) == 4)
        #expect(bytes[104 + 12] == 1)
        #expect(h.engine.isReadable(h.file))
        guard case let .data(rest) = h.engine.read(h.file, capacity: 104) else { Issue.record("no data"); return }
        #expect(rest.count == 104 && rest[12] == 2)
        #expect(!h.engine.isReadable(h.file))
        #expect(h.engine.read(h.file, capacity: 104) == .wouldBlock)
        #expect(h.engine.write(h.file, count: 10) == .error(.EINVAL))
    }

    @Test func releaseCancelsRegistrations() {
        var h = Harness(.ilp32)
        #expect(h.register(tid: 0, mask: 0x400) == .success)
        #expect(h.register(tid: 0x010, mask: 0x0100_0000) == .success)
        #expect(h.register(iop: 1, tid: 0, mask: 0x400) == .success)
        #expect(h.iop0.eventRegistrations.count == 2)
        h.engine.release(h.file)
        #expect(h.iop0.eventRegistrations.isEmpty)
        #expect(h.engine.machine.iops[1]!.eventRegistrations.isEmpty)
        #expect(h.engine.openFiles.isEmpty)
        #expect(h.ioctl(.getIOPs, h.mem.place(zeroes: 32)) == .error(.EBADF))
    }
}
