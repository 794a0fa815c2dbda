import I2OABI
import I2ODevice
import Fixtures
import I2OFormats
import IOPModel
import IoctlEngine
import Faults
import Simulator
import Testing

/// Every injected fault appears in the trace as injected.
@Suite struct InjectedFaultTraceTests {
    func hrtGet(_ e: some ControlNode, _ f: OpenFileID) throws -> IoctlResult {
        var m = FlatMemory()
        m.put(le32(0) + le32(0) + le64(0x2000) + le64(0x1800), at: 0x1000)
        m.put(le32(4096), at: 0x1800)
        return try e.ioctl(f, command: IoctlCommand(.hrtGet, abi: .lp64).number, argument: 0x1000, abi: .lp64, memory: &m)
    }

    @Test func anErrnoAtTheIoctlEntryIsTracedAsInjected() throws {
        let e = Simulator(machine: Machine(try FixtureLoader.loadDefault()))
        let c = Collector()
        e.tracer = c
        let f = e.open()
        let id = e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OHRTGET"), action: FaultAction(kind: .errno, errno: Errno.ENOMEM.rawValue),
                                      count: FaultCount(kind: .once)))
        #expect(try hrtGet(e, f) == .error(.ENOMEM))
        #expect(try hrtGet(e, f) == .success)
        let ioctls = c.records.withLock { $0 }.filter { $0.op == "ioctl" }
        #expect(ioctls.count == 2)
        #expect(ioctls[0].injected == ["entry: errno"])
        #expect(ioctls[0].errno == "ENOMEM")
        #expect(ioctls[1].injected == nil)
        _ = id
    }

    @Test func aDelayOrCorruptionAtTheEntryIsTracedAsInjected() throws {
        let e = Simulator(machine: Machine(try FixtureLoader.loadDefault()))
        let c = Collector()
        e.tracer = c
        let f = e.open()
        _ = e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OHRTGET"), action: FaultAction(kind: .corrupt),
                                 count: FaultCount(kind: .once)))
        _ = try hrtGet(e, f)
        _ = try hrtGet(e, f)
        let ioctls = c.records.withLock { $0 }.filter { $0.op == "ioctl" }
        #expect(ioctls.first?.injected == ["entry: corrupt"])
        #expect(ioctls.last?.injected == nil)
    }

    @Test func aStatusOnThePostedFrameIsTracedAsInjected() throws {
        let e = Simulator(machine: Machine(try FixtureLoader.loadDefault()))
        let c = Collector()
        e.tracer = c
        let f = e.open()
        let id = e.addFault(FaultRule(match: FaultMatch(function: I2OFunction.execHrtGet.rawValue),
                                      action: FaultAction(kind: .status, reqStatus: ReqStatus.errorNoDataTransfer.rawValue,
                                                          detailedStatus: DetailedStatus.deviceBusy.rawValue)))
        #expect(try hrtGet(e, f) == .error(.EIO))
        let rec = try #require(c.records.withLock { $0 }.last)
        #expect(rec.injected == ["rule \(id): status"])
    }
}
