import I2OABI
import I2ODevice
import Foundation
import Fixtures
import I2OFormats
import IOPModel
import IoctlEngine
import Faults
import Simulator
import Synchronization
import Testing
@testable import Trace

/// A flat caller memory: one region at `base`.
struct FlatMemory: UserMemory {
    var base: UInt64 = 0x1000
    var bytes = [UInt8](repeating: 0, count: 0x10000)
    func read(_ a: UInt64, _ n: Int) -> [UInt8]? {
        guard a >= base, a - base + UInt64(n) <= UInt64(bytes.count) else { return nil }
        let o = Int(a - base); return Array(bytes[o..<o + n])
    }
    mutating func put(_ b: [UInt8], at a: UInt64) { let o = Int(a - base); bytes.replaceSubrange(o..<o + b.count, with: b) }
    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        reads.map { read($0.address, $0.count) }
    }
    mutating func store(_ b: [UInt8], at a: UInt64) -> Bool {
        guard read(a, b.count) != nil else { return false }
        put(b, at: a); return true
    }
}

final class Collector: EngineTracer {
    let records = Mutex<[TraceRecord]>([])
    func record(_ r: TraceRecord) { records.withLock { $0.append(r) } }
}

func le32(_ v: UInt32) -> [UInt8] { var b = [UInt8](); b.appendLE32(v); return b }
func le64(_ v: UInt64) -> [UInt8] { var b = [UInt8](); b.appendLE64(v); return b }

@Suite struct TraceHookTests {
    func engine() throws -> Simulator { Simulator(machine: Machine(try FixtureLoader.loadDefault())) }
    /// The default machine traced into a `Collector`.
    func tracedEngine() throws -> (Simulator, Collector) {
        let e = try engine()
        let c = Collector()
        e.tracer = c
        return (e, c)
    }

    @Test func hrtGetIsTracedWithArgumentsRoundsFramesAndStores() throws {
        let (e, c) = try tracedEngine()
        let f = e.open()
        var m = FlatMemory()
        // struct i2o_cmd_hrtlct at 0x1000: iop 0, resbuf 0x2000, reslen 0x1800 (= 4096)
        m.put(le32(0) + le32(0) + le64(0x2000) + le64(0x1800), at: 0x1000)
        m.put(le32(4096), at: 0x1800)
        let r = try e.ioctl(f, command: IoctlCommand(.hrtGet, abi: .lp64).number, argument: 0x1000, abi: .lp64, memory: &m)
        #expect(r == .success)
        let recs = c.records.withLock { $0 }
        #expect(recs.map(\.op) == ["open", "ioctl"])
        let rec = recs[1]
        #expect(rec.ioctl == "I2OHRTGET")
        #expect(rec.cmd == "0xC0186901")
        #expect(rec.args == [TraceField("iop", "0"), TraceField("resbuf", "0x2000"), TraceField("reslen", "0x1800")])
        #expect(rec.rounds?.first?.reads.first?.bytes == traceHex(le32(0) + le32(0) + le64(0x2000) + le64(0x1800)))
        #expect(rec.rounds?.count == 2)
        #expect(rec.frames?.count == 1)
        #expect(rec.frames?.first?.function == "ExecHrtGet")
        #expect(rec.frames?.first?.reply?[4] == "0x00000000")
        // The HRT was stored at resbuf, its length at reslen.
        let hrtStore = try #require(rec.stores?.first { $0.addr == "0x2000" })
        #expect(traceBytes(hrtStore.bytes) == m.read(0x2000, hrtStore.bytes.count / 2))
        #expect(rec.result == 0 && rec.errno == nil)
    }

    @Test func unknownIoctlIsTracedWithItsRawBytes() throws {
        let (e, c) = try tracedEngine()
        let f = e.open()
        var m = FlatMemory()
        m.put([0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4], at: 0x1000)
        // _IOW('i', 99, 8 bytes)
        let cmd: UInt32 = 1 << 30 | 8 << 16 | 0x69 << 8 | 99
        let r = try e.ioctl(f, command: cmd, argument: 0x1000, abi: .lp64, memory: &m)
        #expect(r == .error(.EINVAL))
        let rec = try #require(c.records.withLock { $0.last })
        #expect(rec.ioctl == "unknown")
        #expect(rec.cmd == "0x40086963")
        #expect(rec.rounds?.first?.reads.first?.bytes == "deadbeef01020304")
        #expect(rec.errno == "EINVAL" && rec.errnoValue == 22 && rec.result == -1)
    }

    @Test func writerWritesOneLinePerRequestThatReadsBack() throws {
        let path = NSTemporaryDirectory() + "trace-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(path) }
        let e = try engine()
        e.tracer = try TraceWriter(path: path)
        let f = e.open()
        var m = FlatMemory()
        _ = try e.ioctl(f, command: IoctlCommand(.getIOPs, abi: .lp64).number, argument: 0x1000, abi: .lp64, memory: &m)
        e.release(f)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 3)
        let recs = try TraceCoding.read(path: path)
        #expect(recs.map(\.seq) == [1, 2, 3])
        #expect(recs.map(\.op) == ["open", "ioctl", "release"])
        #expect(recs[1].stores?.first?.bytes == traceHex(m.read(0x1000, 32) ?? []))
        #expect(traceBytes(recs[1].stores?.first?.bytes ?? "")?[0] == 1)   // IOP 0 present
    }
}
