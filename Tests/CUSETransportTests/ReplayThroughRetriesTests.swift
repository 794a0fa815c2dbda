import Faults
import Fixtures
import I2OABI
import I2ODevice
import IOPModel
import Simulator
import Synchronization
import Testing
import Trace
@testable import CUSETransport

/// A trace replayed through CUSE's retry protocol (`serve --replay` through CUSE): the node asks
/// for each round as the engine does, and the same recorded request answers every call of it.
@Suite struct ReplayThroughRetriesTests {
    final class Collector: EngineTracer {
        let records = Mutex<[TraceRecord]>([])
        func record(_ record: TraceRecord) {
            var r = record
            r.transport = "cuse"   // as `serve --trace` through CUSE writes them
            records.withLock { $0.append(r) }
        }
    }

    typealias T = CUSEIoctlsTests

    /// A PARMGET of 0xF100 with everything at `base` + offsets (addresses a process would have).
    static func parmget(at base: UInt64) -> KernelSimulator {
        var k = KernelSimulator()
        k.map(T.le32(0) + T.le32(0) + T.le64(base + 0x1000) + T.le32(12) + T.le32(0) + T.le64(base + 0x2000) + T.le64(base + 0x4000),
              at: base)
        k.map(T.le32(1) + T.le32(0xF100_0001) + T.le32(0xFFFF), at: base + 0x1000)
        k.map([UInt8](repeating: 0, count: 4096), at: base + 0x2000)
        k.map(T.le32(4096), at: base + 0x4000)
        return k
    }

    static func run(_ node: some ControlNode, _ k: inout KernelSimulator, at base: UInt64) throws -> Int32? {
        let file = node.open()
        defer { node.release(file) }
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64))
        return k.ioctl { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
            let request = IoctlRequest(file: file, command: parmget.number, argument: base, abi: .lp64, retriesRounds: true)
            switch try node.ioctl(request, memory: &m) {
            case let .value(v): return v
            case let .error(e): return -e.rawValue
            }
        }
    }

    @Test(arguments: ReplayMode.allCases)
    func aParmgetRecordedThroughTheRetriesReplaysThroughThemElsewhere(mode: ReplayMode) throws {
        let simulator = try CUSEIoctlsTests.engine()
        let collector = Collector()
        simulator.tracer = collector
        let (a, b): (UInt64, UInt64) = (0x7F00_0010_0000, 0x7E00_0230_0000)
        var recorded = Self.parmget(at: a)
        #expect(try Self.run(simulator, &recorded, at: a) == 0)
        let records = collector.records.withLock { $0 }
        #expect(records.contains { $0.needsRound == true }, "the recording has the retried attempts")

        let departures = Mutex<[String]>([])
        let replay = ReplayBackend(records: records, mode: mode) { d, _ in departures.withLock { $0.append(d.description) } }
        var client = Self.parmget(at: b)
        #expect(try Self.run(replay, &client, at: b) == 0)
        #expect(departures.withLock { $0 }.isEmpty, "\(departures.withLock { $0 })")
        let n = Int(recorded.bytes(UserRange(address: a + 0x4000, count: 4))?.readLE32(at: 0) ?? 0)
        #expect(n > 0 && client.bytes(UserRange(address: b + 0x4000, count: 4)) == recorded.bytes(UserRange(address: a + 0x4000, count: 4)))
        #expect(client.bytes(UserRange(address: b + 0x2000, count: n)) == recorded.bytes(UserRange(address: a + 0x2000, count: n)))
        #expect(replay.unconsumed() == nil, "every recorded request was made")
    }
}

/// The C suite's bad-pointer checks recorded through CUSE: the kernel fails a retry whose ranges
/// fault (EFAULT; the daemon never sees the request again) or the copy-out of the reply. Replayed
/// through CUSE, each such request matches the recorded one whose kernel failed alike, and the
/// requests after it go on from there.
@Suite struct AbandonedRequestReplayTests {
    typealias T = CUSEIoctlsTests
    static let parmget = IoctlCommand(.parmGet, abi: .lp64).number

    /// One PARMGET of the suite's: where its struct and pointers are, relative to `base`.
    enum Step: CaseIterable {
        case good, badOpbuf, badResbuf, badReslen, badArgument, opbufAt1, argumentAt1, goodAgain
    }

    /// The process's memory at `base`: the operation list, a result buffer of 4 KiB (`*reslen`
    /// says 64 KiB, as the suite's: a reservation the kernel does not read in), `*reslen`.
    static func memory(at base: UInt64) -> KernelSimulator {
        var k = KernelSimulator()
        k.map(T.le32(1) + T.le32(0xF100_0001) + T.le32(0xFFFF), at: base + 0x1000)
        k.map([UInt8](repeating: 0, count: 4096), at: base + 0x2000)
        return k
    }

    /// Lays out `step` in `k` (the struct at `base`; `base + 0x9000` is unmapped) and returns its argument.
    static func prepare(_ step: Step, _ k: inout KernelSimulator, at base: UInt64) -> UInt64 {
        let unmapped = base + 0x9000
        var (opbuf, resbuf, reslen, argument) = (base + 0x1000, base + 0x2000, base + 0x4000, base)
        switch step {
        case .good, .goodAgain: break
        case .badOpbuf: opbuf = unmapped
        case .badResbuf: resbuf = unmapped
        case .badReslen: reslen = unmapped
        case .badArgument: argument = unmapped
        case .opbufAt1: opbuf = 1
        case .argumentAt1: argument = 1
        }
        k.map(T.le32(0) + T.le32(0) + T.le64(opbuf) + T.le32(12) + T.le32(0) + T.le64(resbuf) + T.le64(reslen), at: base)
        k.map(T.le32(65536), at: base + 0x4000)
        return argument
    }

    /// The kernel's loop over one ioctl, with its faults: a retry whose read ranges (probes
    /// included) fault, and a reply copied out into an unmapped range, end it with EFAULT (nil).
    static func call(_ ioctls: CUSEIoctls, _ file: CUSEOpenFile, _ k: inout KernelSimulator, argument: UInt64) -> Int32? {
        var input: [UInt8] = [], out: [UserRange] = []
        for _ in 1...16 {
            let answer = T.Answer()
            input.withUnsafeBytes {
                ioctls.call(file, command: parmget, argument: argument, abi: .lp64, pid: 7, input: $0,
                            outSize: out.reduce(0) { $0 + $1.count }, replier: answer)
            }
            switch answer.kind {
            case let .retry(reads, writes)?:
                var fetched: [UInt8] = []
                for r in reads { guard let b = k.bytes(r) else { return nil }; fetched += b }
                (input, out) = (fetched, writes)
            case let .reply(rc, data)?:
                var at = 0
                for r in out where at < data.count {
                    let n = min(r.count, data.count - at)
                    guard k.bytes(UserRange(address: r.address, count: n)) != nil else { return nil }
                    k.map(Array(data[at..<at + n]), at: r.address)
                    at += n
                }
                return rc
            case let .fail(e)?: return -e
            case nil: return nil
            }
        }
        Issue.record("no final reply after 16 calls")
        return nil
    }

    /// Runs `steps` on one open file of `node` through CUSE, the process's memory at `base`.
    static func run(_ node: some ControlNode, _ steps: [Step], at base: UInt64, changed: Step? = nil) -> [Int32?] {
        let ioctls = CUSEIoctls(node: node, counting: false, failed: { _ in })
        let file = CUSEOpenFile(node.open())
        defer { node.release(file.id) }
        var k = memory(at: base)
        return steps.map { step in
            let argument = prepare(step == changed ? .good : step, &k, at: base)
            return call(ioctls, file, &k, argument: argument)
        }
    }

    static func record(_ steps: [Step] = Step.allCases) throws -> (records: [TraceRecord], results: [Int32?]) {
        let simulator = try T.engine()
        let collector = ReplayThroughRetriesTests.Collector()
        simulator.tracer = collector
        let results = run(simulator, steps, at: 0x7F00_0010_0000)
        return (collector.records.withLock { $0 }, results)
    }

    @Test(arguments: ReplayMode.allCases)
    func requestsTheKernelFailedReplayAsTheKernelFailsThemAgain(mode: ReplayMode) throws {
        let (records, recorded) = try Self.record()
        #expect(recorded == [0, nil, nil, nil, nil, nil, nil, 0], "the recording: EFAULT for every bad pointer")
        #expect(records.filter { $0.needsRound == true && $0.rounds?.last?.needsRound == true }.count >= 5)
        let departures = Mutex<[String]>([])
        let replay = ReplayBackend(records: records, mode: mode) { d, _ in departures.withLock { $0.append(d.description) } }
        let replayed = Self.run(replay, Step.allCases, at: 0x7E00_0230_0000)
        #expect(replayed == recorded)
        #expect(departures.withLock { $0 }.isEmpty, "\(departures.withLock { $0 })")
        #expect(replay.unconsumed() == nil, "every recorded request was made, the abandoned ones included")
    }

    @Test(arguments: ReplayMode.allCases)
    func aBadPointerTheRecordingDidNotHaveIsADeparture(mode: ReplayMode) throws {
        let (records, _) = try Self.record([.good, .goodAgain])
        let departures = Mutex<[String]>([])
        let replay = ReplayBackend(records: records, mode: mode) { d, _ in departures.withLock { $0.append(d.description) } }
        // The first request's opbuf faults now: the kernel fails the retry the recording's made.
        let replayed = Self.run(replay, [.badOpbuf, .good], at: 0x7E00_0230_0000)
        #expect(replayed == [nil, -Errno.EIO.rawValue], "the kernel's EFAULT, then EIO after the departure")
        let d = try #require(departures.withLock { $0 }.first, "\(String(describing: replay.unconsumed()))")
        #expect(d.contains("the kernel failed the retry with EFAULT") && d.contains("opbuf"), "\(d)")
    }

    @Test func aRangeTheRecordingsKernelRefusedButThisOneAcceptsIsADeparture() throws {
        let (records, _) = try Self.record()
        let departures = Mutex<[String]>([])
        let replay = ReplayBackend(records: records, mode: .strict) { d, _ in departures.withLock { $0.append(d.description) } }
        // The second request's opbuf is good now: the kernel makes the retry the recording's failed.
        let replayed = Self.run(replay, [.good, .badOpbuf], at: 0x7E00_0230_0000, changed: .badOpbuf)
        #expect(replayed == [0, -Errno.EIO.rawValue])
        let d = try #require(departures.withLock { $0 }.first)
        #expect(d.contains("the recording's client refused these ranges; this client accepted them"), "\(d)")
    }
}
