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
