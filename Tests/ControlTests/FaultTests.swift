import Faults
import Simulator
import I2OABI
import I2ODevice
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine
import Synchronization
import Testing

@Suite struct FaultTests {
    func ok(_ r: IoctlResult) -> Bool { r == .success }

    @Test func errnoOnceAtEntry() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .errno(.EIO), count: .once))
        #expect(try T.getIOPs(e, f).0 == .error(.EIO))
        let (r, bytes) = try T.getIOPs(e, f)
        #expect(r == .success)
        #expect(bytes[0] == 1)
        let rule = try #require(e.faults.snapshot.rules.first)
        #expect(rule.matched == 1 && rule.fired == 1 && rule.spent)
        #expect(e.report.faultsInjected["errno"] == 1)
        #expect(e.report.ioctls["I2OGETIOPS"]?.errnos["EIO"] == 1)
    }

    @Test func timesEveryAndProbability() throws {
        let e = try T.engine(); let f = e.open()
        let id = e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .errno(.ENODEV), count: .every(3)))
        var pattern: [Bool] = []
        for _ in 0..<7 { pattern.append(try T.getIOPs(e, f).0 == .error(.ENODEV)) }
        #expect(pattern == [false, false, true, false, false, true, false])
        e.removeFault(id)
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .errno(.EAGAIN), count: .times(2)))
        #expect(try (0..<4).map { _ in try T.getIOPs(e, f).0 == .error(.EAGAIN) } == [true, true, false, false])
        e.removeFault(nil)
        func run(seed: UInt64) throws -> [Bool] {
            let e = try T.engine(); let f = e.open()
            e.addFault(FaultRule(match: FaultMatch(), action: .errno(.EIO), count: .probability(0.5, seed: seed)))
            return try (0..<32).map { _ in try T.getIOPs(e, f).0 == .error(.EIO) }
        }
        let a = try run(seed: 7), b = try run(seed: 7)
        #expect(a == b)
        #expect(a.contains(true) && a.contains(false))
    }

    @Test func matchByFileOnly() throws {
        let e = try T.engine(); let f1 = e.open(), f2 = e.open()
        e.addFault(FaultRule(match: FaultMatch(file: f2.rawValue), action: .errno(.EIO)))
        #expect(try T.getIOPs(e, f1).0 == .success)
        #expect(try T.getIOPs(e, f2).0 == .error(.EIO))
    }

    @Test func replyStatusByTidAndGroup() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(iop: 0, tid: 0x203, group: 0xF100),
                             action: .status(.errorPartialTransfer, .unknownError), count: .always))
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .error(.EIO))
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF102)).0 == .success)   // other group
        #expect(try T.params(e, f, tid: 0x008, ops: T.fieldGet(0xF100)).0 == .success)   // other TID
    }

    @Test func errnoByFunction() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(function: I2OFunction.utilParamsGet.rawValue), action: .errno(.ENOMEM)))
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .error(.ENOMEM))
        #expect(try T.getIOPs(e, f).0 == .success)   // posts nothing
    }

    @Test func blockStatusForOneOperation() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(operation: ParamOperationCode.fieldGet.rawValue, group: 0xF102),
                             action: .blockStatus(.badKeyAbort)))
        let ops = OperationList([ParamOperation(code: .fieldGet, group: 0xF100),
                                 ParamOperation(code: .fieldGet, group: 0xF102)]).encoded()
        let (r, list) = try T.params(e, f, tid: 0x203, ops: ops)
        #expect(r == .success)
        let decoded = try ResultList.decode(list)
        #expect(decoded.blocks.count == 2)
        #expect(decoded.blocks[0].status == .success)
        #expect(decoded.blocks[1].status == .badKeyAbort)
        // ErrorInfo names the operation and group.
        #expect(Array(decoded.blocks[1].errorInfo.prefix(4)) == [0x01, 0x00, 0x02, 0xF1])
    }

    @Test func blockStatusOnSetChangesNothing() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(group: 0xF102), action: .blockStatus(.fieldUnwriteable)))
        var value = Array("X".utf8); value += [UInt8](repeating: 0, count: 63)
        let ops = OperationList([ParamOperation(code: .fieldSet, group: 0xF102, fields: .indices([0]), values: value)]).encoded()
        let (r, list) = try T.params(e, f, set: true, tid: 0x203, ops: ops)
        #expect(r == .success)
        #expect(try ResultList.decode(list).blocks.map(\.status) == [.fieldUnwriteable])
        let row = e.machine.iops[IOPUnit(rawValue: 0)]?.parameterGroup(0xF102, of: TID(rawValue: 0x203))?.rows.first ?? []
        #expect(Array(row.prefix(7)) == Array("Array 0".utf8))
    }

    @Test func failedIOPAnswersNothingUntilRecovered() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OPARMGET", iop: 0), action: .failIOP, count: .once))
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .error(.ETIMEDOUT))
        #expect(e.faults.snapshot.failedIOPs == [IOPUnit(rawValue: 0)])
        // Everything else now times out too, whatever the rule says (it is spent).
        #expect(try T.params(e, f, tid: 0x008, ops: T.fieldGet(0xF100)).0 == .error(.ETIMEDOUT))
        e.setIOPFailed(IOPUnit(rawValue: 0), false)
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .success)
    }

    @Test func delayIsObserved() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .delay(milliseconds: 120), count: .once))
        let t0 = Date()
        #expect(try T.getIOPs(e, f).0 == .success)
        #expect(Date().timeIntervalSince(t0) >= 0.11)
        #expect((e.report.ioctls["I2OGETIOPS"]?.maxus ?? 0) >= 110_000)
    }

    @Test func hangWaitsThePostWaitUntilReleased() throws {
        // Scaled up: the hung PARMGET would wait 60 s; `release` ends the wait at once. The request
        // runs on a thread of its own (the test pool's threads may all be busy with other tests).
        let e = try T.engine(timeoutScale: 6); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OPARMGET"), action: .hang, count: .once))
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<IoctlResult?>(nil)
        Thread.detachNewThread {
            let r = try? T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0
            outcome.withLock { $0 = r }
            done.signal()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while e.report.hungRequests == 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(e.report.hungRequests == 1)
        let released = ContinuousClock.now
        #expect(e.releaseHangs() == 1)
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(ContinuousClock.now - released < .seconds(10))
        #expect(outcome.withLock { $0 } == .error(.ETIMEDOUT))
        #expect(e.report.hungRequests == 0)
        // The rule is spent: the IOP answers again.
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .success)
    }

    @Test func hangAndFailedIOPWaitTheScaledPostWait() throws {
        let e = try T.engine(timeoutScale: 0.02); let f = e.open()   // PARMGET: 10 s × 0.02
        e.addFault(FaultRule(match: FaultMatch(tid: 0x203), action: .hang, count: .once))
        var t0 = ContinuousClock.now
        #expect(try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100)).0 == .error(.ETIMEDOUT))
        #expect(ContinuousClock.now - t0 >= .milliseconds(190))
        e.setIOPFailed(IOPUnit(rawValue: 0), true)
        t0 = ContinuousClock.now
        #expect(try T.params(e, f, tid: 0x008, ops: T.fieldGet(0xF100)).0 == .error(.ETIMEDOUT))
        #expect(ContinuousClock.now - t0 >= .milliseconds(190))
    }

    @Test func hangAtTheEntryOfAnIoctlThatAsksNoIOPChangesNothing() throws {
        // GETIOPS is answered by the driver alone: a hung IOP does not hold it.
        let e = try T.engine(timeoutScale: 1); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .hang, count: .once))
        let t0 = ContinuousClock.now
        #expect(try T.getIOPs(e, f).0 == .success)
        #expect(ContinuousClock.now - t0 < .seconds(5))
    }

    @Test func shortAndCorruptData() throws {
        let e = try T.engine(); let f = e.open()
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .corrupt, count: .once))
        let (r, bytes) = try T.getIOPs(e, f)
        #expect(r == .success)
        #expect(bytes[0] == 0xFE && bytes[1] == 0xFF)   // 1, 0 inverted
        e.addFault(FaultRule(match: FaultMatch(ioctl: "I2OPARMGET"), action: .short, count: .once))
        let (r2, list) = try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100))
        #expect(r2 == .success)
        // Only the first half of the result list was stored: the rest of the buffer stays zero.
        let (_, full) = try T.params(e, f, tid: 0x203, ops: T.fieldGet(0xF100))
        #expect(list.count == full.count)
        #expect(Array(list.prefix(full.count / 2)) == Array(full.prefix(full.count / 2)))
        #expect(list[(full.count / 2)...].allSatisfy { $0 == 0 })
    }

    @Test func statsCountRequestsAndRounds() throws {
        let e = try T.engine(); let f = e.open()
        for _ in 0..<5 { _ = try T.getIOPs(e, f) }
        let s = e.report
        #expect(s.ioctls["I2OGETIOPS"]?.requests == 5)
        #expect(s.ioctls["I2OGETIOPS"]?.roundsMean == 1)
        #expect(s.requests == 5 && s.errors == 0)
    }
}
