import I2OABI
import I2ODevice
import Glibc
import Synchronization
import Testing
import Statistics
import Fixtures
import IOPModel
@testable import IoctlEngine
import Faults
import Simulator
@testable import CUSETransport

/// `CUSEIoctls` — the daemon's side of an ioctl's calls, as `CUSEDevice` runs it — driven the way
/// the kernel's fuse_do_ioctl drives a CUSE server: a call with no data, then one per retry with
/// the asked-for ranges, until the final reply is copied out.
@Suite struct CUSEIoctlsTests {
    /// What one call answered.
    final class Answer: CUSEReplier {
        enum Kind: Equatable { case retry(reads: [UserRange], writes: [UserRange]), reply(Int32, [UInt8]), fail(Int32) }
        var kind: Kind?
        func retry(_ ranges: UnsafeBufferPointer<iovec>, reads: Int) {
            #expect(kind == nil, "one answer per call")
            let r = ranges.map { UserRange(address: UInt64(UInt(bitPattern: $0.iov_base)), count: $0.iov_len) }
            kind = .retry(reads: Array(r[..<reads]), writes: Array(r[reads...]))
        }
        func reply(_ result: Int32, _ data: UnsafeRawBufferPointer) { #expect(kind == nil); kind = .reply(result, Array(data)) }
        func fail(_ errnum: Int32) { #expect(kind == nil); kind = .fail(errnum) }
    }

    /// The kernel's loop over one ioctl. Returns the result (nil: EFAULT in the kernel's own
    /// copies) and the daemon calls it took.
    static func ioctl(_ ioctls: CUSEIoctls, _ file: CUSEOpenFile, _ kernel: inout KernelSimulator, command: UInt32,
                      argument: UInt64, pid: Int32 = 7) -> (result: Int32?, calls: Int) {
        var input: [UInt8] = [], out: [UserRange] = []
        for calls in 1...16 {
            let answer = Answer()
            input.withUnsafeBytes {
                ioctls.call(file, command: command, argument: argument, abi: .lp64, pid: pid, input: $0,
                            outSize: out.reduce(0) { $0 + $1.count }, replier: answer)
            }
            switch answer.kind {
            case let .retry(reads, writes)?:
                var fetched: [UInt8] = []
                for r in reads { guard let b = kernel.bytes(r) else { return (nil, calls) }; fetched += b }
                input = fetched
                out = writes
            case let .reply(rc, data)?:
                var at = 0
                for r in out where at < data.count {
                    let n = min(r.count, data.count - at)
                    kernel.map(Array(data[at..<at + n]), at: r.address)
                    at += n
                }
                return (rc, calls)
            case let .fail(e)?: return (-e, calls)
            case nil:
                Issue.record("call \(calls) was not answered")
                return (nil, calls)
            }
        }
        Issue.record("no final reply after 16 calls")
        return (nil, 16)
    }

    static func engine() throws -> Simulator { Simulator(machine: Machine(try FixtureLoader.loadDefault()), personality: .documented) }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le64(_ v: UInt64) -> [UInt8] { le32(UInt32(truncatingIfNeeded: v)) + le32(UInt32(truncatingIfNeeded: v >> 32)) }

    /// A PARMGET of group 0xF100 (all fields) at 0x1000: struct i2o_cmd_psetget (lp64) with its
    /// operation list at 0x2000, resbuf at `resbuf` (4096 bytes) and *reslen at `reslen`.
    static func parmget(resbuf: UInt64, reslen: UInt64) -> KernelSimulator {
        var k = KernelSimulator()
        k.map(le32(0) + le32(0) + le64(0x2000) + le32(12) + le32(0) + le64(resbuf) + le64(reslen), at: 0x1000)
        k.map(le32(1) + le32(0xF100_0001) + le32(0xFFFF), at: 0x2000)   // one operation: FIELD_GET (1) of 0xF100, all fields
        k.map([UInt8](repeating: 0, count: 4096), at: resbuf)
        k.map(le32(4096), at: reslen)
        return k
    }

    /// What the engine itself answers for the same PARMGET, run on the caller's memory `k`.
    static func direct(_ engine: some ControlNode, _ k: inout KernelSimulator) throws -> Int32? {
        let file = engine.open()
        defer { engine.release(file) }
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64))
        return k.ioctl { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
            switch try engine.ioctl(file, command: parmget.number, argument: 0x1000, abi: .lp64, memory: &m) {
            case let .value(v): return v
            case let .error(e): return -e.rawValue
            }
        }
    }

    /// The statistics of one PARMGET run by a fresh engine on its own: what a request counts.
    static func onePlainParmget() throws -> IoctlStatistics {
        let e = try engine()
        var k = parmget(resbuf: 0x3000, reslen: 0x5000)
        _ = try direct(e, &k)
        return try #require(e.report.ioctls["I2OPARMGET"])
    }

    @Test func parmgetTakesThreeCallsAndItsFirstIsAnsweredFromTheSecondIoctlOn() throws {
        let engine = try Self.engine()
        let ioctls = CUSEIoctls(node: engine, counting: true, failed: { Issue.record("failed: \($0)") })
        let file = CUSEOpenFile(engine.open())
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64)).number
        var d = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        #expect(try Self.direct(try Self.engine(), &d) == 0)
        let n = d.bytes(UserRange(address: 0x5000, count: 4)).map { Int($0.readLE32(at: 0)) } ?? 0
        let expected = d.bytes(UserRange(address: 0x3000, count: n))
        #expect(n > 64 && expected?.prefix(8) == [1, 0, 0, 0, UInt8(n / 4 - 1), 0, 0, 0], "one result block, status 0")
        for round in 1...3 {
            var k = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
            let r = Self.ioctl(ioctls, file, &k, command: parmget, argument: 0x1000)
            #expect(r.result == 0 && r.calls == 3, "ioctl \(round)")
            #expect(k.bytes(UserRange(address: 0x5000, count: 4)) == d.bytes(UserRange(address: 0x5000, count: 4)))
            #expect(k.bytes(UserRange(address: 0x3000, count: n)) == expected, "ioctl \(round): the engine's own result")
        }
        #expect(file.callCount == 9 && file.ioctlCount == 3)
        // The engine counted every round, the ones answered from FirstRounds included.
        let stats = try #require(engine.report.ioctls["I2OPARMGET"])
        let plain = try Self.onePlainParmget()
        #expect(stats.requests == 3 && stats.roundsMax == plain.roundsMax && stats.roundsMean == plain.roundsMean, "\(stats) vs \(plain)")
        #expect(ioctls.failedRequests == 0)
    }

    /// A request the kernel ends itself — a range of its retry faults, so the daemon is not called
    /// again — leaves nothing behind: the next ioctl's statistics are its own.
    @Test func aRequestTheKernelEndedLeavesNoRecord() throws {
        let engine = try Self.engine()
        let ioctls = CUSEIoctls(node: engine, counting: false, failed: { _ in })
        let file = CUSEOpenFile(engine.open())
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64)).number
        var good = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        #expect(Self.ioctl(ioctls, file, &good, command: parmget, argument: 0x1000) == (0, 3))   // learns the first round
        var faulting = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        faulting.memory = faulting.memory.filter { $0.key < 0x2000 || $0.key >= 0x2100 }   // the operation list unmapped
        #expect(Self.ioctl(ioctls, file, &faulting, command: parmget, argument: 0x1000) == (nil, 2))
        for _ in 0..<2 {
            var k = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
            #expect(Self.ioctl(ioctls, file, &k, command: parmget, argument: 0x1000) == (0, 3))
        }
        let stats = try #require(engine.report.ioctls["I2OPARMGET"])
        let plain = try Self.onePlainParmget()
        #expect(stats.requests == 3 && stats.roundsMax == plain.roundsMax && stats.roundsMean == plain.roundsMean,
                "\(stats) vs one PARMGET alone: \(plain)")
        // A file released after such a request takes its record with it.
        let other = CUSEOpenFile(engine.open())
        var f2 = faulting
        #expect(Self.ioctl(ioctls, other, &f2, command: parmget, argument: 0x1000) == (nil, 2))
        #expect(engine.engine.requests.has(other.id), "the kernel-ended request left a record")
        engine.release(other.id)
        #expect(!engine.engine.requests.has(other.id) && engine.engine.requests.isEmpty)
    }

    /// The same when the engine runs every first call (a fault rule is set): the next ioctl is a
    /// request of its own, and an entry fault meant for it acts on its first call.
    @Test func aRequestTheKernelEndedDoesNotSwallowTheNextOnesEntryFault() throws {
        let engine = try Self.engine()
        let ioctls = CUSEIoctls(node: engine, counting: true, failed: { _ in })
        let file = CUSEOpenFile(engine.open())
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64)).number
        engine.addFault(FaultRule(match: FaultMatch(ioctl: "I2OGETIOPS"), action: .errno(.EIO)))   // first calls run the engine
        var faulting = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        faulting.memory = faulting.memory.filter { $0.key < 0x2000 || $0.key >= 0x2100 }   // the operation list unmapped
        #expect(Self.ioctl(ioctls, file, &faulting, command: parmget, argument: 0x1000) == (nil, 2))
        engine.addFault(FaultRule(match: FaultMatch(ioctl: "I2OPARMGET"), action: .errno(.ENODEV), count: .once))
        var k = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        #expect(Self.ioctl(ioctls, file, &k, command: parmget, argument: 0x1000) == (-ENODEV, 1), "the entry fault, on the first call")
        var again = Self.parmget(resbuf: 0x3000, reslen: 0x5000)
        #expect(Self.ioctl(ioctls, file, &again, command: parmget, argument: 0x1000) == (0, 3))
        let stats = try #require(engine.report.ioctls["I2OPARMGET"])
        let plain = try Self.onePlainParmget()
        #expect(stats.requests == 2 && stats.roundsMax == plain.roundsMax, "\(stats) vs one PARMGET alone: \(plain)")
    }

    /// *reslen inside the part of resbuf's reservation the result fills: the written bytes are no
    /// prefix of the out ranges, so the reply goes out through the exact ranges and an answer
    /// stashed for the kernel's next call.
    @Test func aReplyThatIsNoPrefixIsStashedForTheNextCall() throws {
        let engine = try Self.engine()
        let ioctls = CUSEIoctls(node: engine, counting: true, failed: { Issue.record("failed: \($0)") })
        let file = CUSEOpenFile(engine.open())
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64)).number
        let region = UserRange(address: 0x3000, count: 512)
        var d = Self.parmget(resbuf: 0x3000, reslen: 0x3010)
        let direct = try Self.direct(try Self.engine(), &d)
        #expect(direct == 0)
        var k = Self.parmget(resbuf: 0x3000, reslen: 0x3010)
        let r = Self.ioctl(ioctls, file, &k, command: parmget, argument: 0x1000)
        #expect(r.result == 0 && r.calls == 4)
        #expect(k.bytes(region) == d.bytes(region) && k.bytes(region) != Self.parmget(resbuf: 0x3000, reslen: 0x3010).bytes(region),
                "the caller's memory as the engine alone leaves it")
        #expect(file.callCount == 4 && file.ioctlCount == 1)
        // The stash was collected: the next ioctl of the same shape takes 4 calls again.
        var k2 = Self.parmget(resbuf: 0x3000, reslen: 0x3010)
        #expect(Self.ioctl(ioctls, file, &k2, command: parmget, argument: 0x1000) == (0, 4))
    }

    @Test func aStashedReplyGoesOnlyToTheSameRequest() throws {
        let engine = try Self.engine()
        let ioctls = CUSEIoctls(node: engine, counting: false, failed: { _ in })
        let a = CUSEOpenFile(engine.open()), b = CUSEOpenFile(engine.open())
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64)).number
        // Run file a's PARMGET up to its exact-ranges retry, then leave the stash there.
        let k = Self.parmget(resbuf: 0x3000, reslen: 0x3010)
        var input: [UInt8] = [], out: [UserRange] = [], stashedRetry = false
        for _ in 1...3 {
            let answer = Answer()
            input.withUnsafeBytes { ioctls.call(a, command: parmget, argument: 0x1000, abi: .lp64, pid: 7, input: $0, outSize: out.reduce(0) { $0 + $1.count }, replier: answer) }
            guard case let .retry(reads, writes)? = answer.kind else { break }
            input = reads.flatMap { k.bytes($0) ?? [] }
            out = writes
            stashedRetry = writes.count == 2 && writes.allSatisfy { $0.count <= 4096 } && input.count == 40
        }
        #expect(stashedRetry, "the third call asked for the exact ranges")
        // The same call shape on another file, or from another process, runs the engine: no stash.
        for (file, pid) in [(b, Int32(7)), (a, Int32(8))] {
            let answer = Answer()
            input.withUnsafeBytes { ioctls.call(file, command: parmget, argument: 0x1000, abi: .lp64, pid: pid, input: $0, outSize: out.reduce(0) { $0 + $1.count }, replier: answer) }
            guard case .retry? = answer.kind else { Issue.record("file \(file.id) pid \(pid) got \(String(describing: answer.kind))"); continue }
        }
        // Releasing file a forgets its stash.
        ioctls.forget(a.id)
        let answer = Answer()
        input.withUnsafeBytes { ioctls.call(a, command: parmget, argument: 0x1000, abi: .lp64, pid: 7, input: $0, outSize: out.reduce(0) { $0 + $1.count }, replier: answer) }
        if case .reply? = answer.kind { Issue.record("a released file's stash answered") }
    }

    @Test func failuresAreCountedAndNamed() throws {
        let engine = try Self.engine()
        let lines = LockedLines()
        let ioctls = CUSEIoctls(node: engine, counting: true, failed: { lines.append($0) })
        let file = CUSEOpenFile(engine.open())
        var k = KernelSimulator()
        let r = Self.ioctl(ioctls, file, &k, command: 0x6900_7777, argument: 0x1000)
        #expect(r.result.map { $0 < 0 } == true && r.calls == 1)
        #expect(ioctls.failedRequests == 1 && file.callCount == 1 && file.ioctlCount == 1)
        #expect(lines.all.count == 1 && lines.all[0].contains("0x69007777") && lines.all[0].contains("failed"), "\(lines.all)")
    }
}

final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ s: String) { lines.withLock { $0.append(s) } }
    var all: [String] { lines.withLock { $0 } }
}
