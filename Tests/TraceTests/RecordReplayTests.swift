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

/// A `ControlDevice` over an in-process engine (64-bit layouts, buffers in a FlatMemory).
final class EngineControlDevice: ControlDevice {
    let engine: any ControlNode
    let file: OpenFileID
    var m = FlatMemory(base: 0x10000, bytes: [UInt8](repeating: 0, count: 0x40000))
    init(_ engine: any ControlNode) { self.engine = engine; file = engine.open() }

    func ioctl(_ kind: IoctlCommand.Kind, _ structBytes: [UInt8]) -> Errno? {
        m.put(structBytes, at: 0x10000)
        do {
            switch try engine.ioctl(file, command: kind.number(.lp64), argument: 0x10000, abi: .lp64, memory: &m) {
            case .value: return nil
            case let .error(e): return e
            }
        } catch { return .EFAULT }
    }
    func u32(_ a: UInt64) -> UInt32 { m.read(a, 4).map { $0.readLE32(at: 0) } ?? 0 }

    func getIOPs() -> Result<[UInt8], Errno> {
        if let e = ioctl(.getIOPs, [UInt8](repeating: 0, count: 32)) { return .failure(e) }
        return .success(m.read(0x10000, 32) ?? [])
    }
    func table(lct: Bool, iop: UInt32) -> Result<[UInt8], Errno> {
        m.put(le32(0x8000), at: 0x10100)
        if let e = ioctl(lct ? .lctGet : .hrtGet, le32(iop) + le32(0) + le64(0x20000) + le64(0x10100)) { return .failure(e) }
        return .success(m.read(0x20000, Int(u32(0x10100))) ?? [])
    }
    func paramsGet(iop: UInt32, tid: UInt32, operations: [UInt8]) -> Result<[UInt8], Errno> {
        m.put(operations, at: 0x10200)
        m.put(le32(0x10000), at: 0x10100)
        if let e = ioctl(.parmGet, le32(iop) + le32(tid) + le64(0x10200) + le32(UInt32(operations.count)) + le32(0)
                         + le64(0x20000) + le64(0x10100)) { return .failure(e) }
        return .success(m.read(0x20000, Int(u32(0x10100))) ?? [])
    }
    func swUpload(iop: UInt32, swType: UInt8, swID: UInt32, fragment: UInt32) -> Result<(bytes: [UInt8], size: Int, fragments: Int), Errno> {
        m.put(le32(0) + le32(0) + le32(fragment), at: 0x10100)
        if let e = ioctl(.swUpload, le32(iop) + [0, swType, 0, 0] + le32(swID) + le32(0) + le64(0x20000) + le64(0x10100)
                         + le64(0x10104) + le64(0x10108)) { return .failure(e) }
        let size = Int(u32(0x10100)), frags = Int(u32(0x10104))
        let n = max(0, min(8192, size - (Int(fragment) - 1) * 8192))
        return .success((m.read(0x20000, n) ?? [], size, frags))
    }
    func html(iop: UInt32, tid: UInt32, page: UInt32, query: [UInt8]) -> Result<[UInt8], Errno> {
        m.put(query, at: 0x10200)
        m.put(le32(0x10000), at: 0x10100)
        if let e = ioctl(.html, le32(iop) + le32(tid) + le32(page) + le32(0) + le64(0x20000) + le64(0x10100) + le64(0x10200)
                         + le32(UInt32(query.count)) + le32(0)) { return .failure(e) }
        return .success(m.read(0x20000, Int(u32(0x10100))) ?? [])
    }
    func passthru(iop: UInt32, words: [UInt32], bufferBytes: Int) -> Result<[UInt32], Errno> { .failure(.EIO) }
}

@Suite struct RecordTests {
    @Test func linksFollowTheFixturesHrefForm() {
        let page = #"<a href="1">a</a> <a href="2?volume=205">b</a> <a href="http://x/3">no</a> <a href='14'>c</a>"#
        #expect(FixtureRecorder.links(in: page) == [1, 2, 14])
    }

    @Test func recordedDefaultMachineLoadsAndAnswersAlike() throws {
        let original = try FixtureLoader.loadDefault()
        let device = EngineControlDevice(Engine(machine: Machine(original)))
        let iops = try FixtureRecorder(device: device, progress: { _ in }).record()
        let yaml = FixtureWriter.yaml(machine: "copy", source: "test", iops: iops)
        let copy = try FixtureLoader.load(text: yaml, name: "copy.yaml")
        let a = Machine(original), b = Machine(copy)
        let ia = try #require(a.iops[0]), ib = try #require(b.iops[0])
        #expect(ib.hrt.encoded() == ia.hrt.encoded())
        #expect(ib.lct.encoded() == ia.lct.encoded())
        // Every group of every device gives the same rows (vendor groups with learnt schemas).
        for tid in ia.order {
            for g in ia.groupNumbers(of: tid) ?? [] {
                #expect(ib.parameterGroup(g, of: tid)?.rows == ia.parameterGroup(g, of: tid)?.rows, "TID \(tid) group \(hex(g))")
            }
        }
        #expect(ib.store.modules.map(\.bytes) == ia.store.modules.map(\.bytes))
        #expect(yaml.contains(#"2: "<html><body><h1>Volume details</h1>\n<p>You asked for: {query}</p>"#))
        // Recording the copy gives the same text.
        let again = try FixtureRecorder(device: EngineControlDevice(Engine(machine: b)), progress: { _ in }).record()
        #expect(FixtureWriter.yaml(machine: "copy", source: "test", iops: again) == yaml)
    }
}

@Suite struct ReplayTests {
    /// Traces an HRTGET made at one place, replays it to a caller using other addresses.
    @Test func replayTranslatesPointersAndReportsTheFirstDivergence() throws {
        let machine = Machine(try FixtureLoader.loadDefault())
        let hrtLength = try #require(machine.iops[0]).hrt.byteCount
        let e = Simulator(machine: machine)
        let c = Collector()
        e.tracer = c
        let f = e.open()
        var m = FlatMemory(base: 0x100000, bytes: [UInt8](repeating: 0, count: 0x10000))
        m.put(le32(0) + le32(0) + le64(0x102000) + le64(0x101800), at: 0x101000)
        m.put(le32(4096), at: 0x101800)
        _ = try e.ioctl(f, command: IoctlCommand(.hrtGet, abi: .lp64).number, argument: 0x101000, abi: .lp64, memory: &m)
        let hrt = try #require(m.read(0x102000, hrtLength))
        #expect(m.read(0x101800, 4) == le32(UInt32(hrtLength)))
        let records = c.records.withLock { $0 }

        let diverged = Mutex<[Divergence]>([])
        let replay = ReplayBackend(records: records, mode: .strict) { d, _ in diverged.withLock { $0.append(d) } }
        let rf = replay.open()
        var other = FlatMemory(base: 0x50000, bytes: [UInt8](repeating: 0, count: 0x10000))
        other.put(le32(0) + le32(0) + le64(0x58000) + le64(0x57000), at: 0x51000)
        other.put(le32(4096), at: 0x57000)
        let r = try replay.ioctl(rf, command: IoctlCommand(.hrtGet, abi: .lp64).number, argument: 0x51000, abi: .lp64, memory: &other)
        #expect(r == .success)
        #expect(other.read(0x58000, hrtLength) == hrt)
        #expect(other.read(0x57000, 4) == le32(UInt32(hrtLength)))
        #expect(replay.unconsumed() == nil)

        // A second client asks for IOP 1: the first divergence, with the struct field named.
        let replay2 = ReplayBackend(records: records, mode: .strict) { d, _ in diverged.withLock { $0.append(d) } }
        let rf2 = replay2.open()
        other.put(le32(1), at: 0x51000)
        let r2 = try replay2.ioctl(rf2, command: IoctlCommand(.hrtGet, abi: .lp64).number, argument: 0x51000, abi: .lp64, memory: &other)
        #expect(r2 == .error(.EIO))
        let d = try #require(diverged.withLock { $0.first })
        #expect(d.expected.contains("I2OHRTGET") && d.expected.contains("iop=0"))
        #expect(d.received.contains("iop=1"))
        #expect(d.difference == "the I2OHRTGET struct: byte 0: 0x01, recorded 0x00 — iop=1 (recorded 0)")
    }

    @Test func textPayloadIsEchoed() {
        var m = RequestMatcher(record: TraceRecord(time: 0, pid: nil, file: 1, op: "ioctl"), argument: 0, abi: .lp64, command: 0)
        let rec = Array("name 12881\0\0".utf8), cli = Array("name 4242\0\0\0".utf8)
        #expect(m.compare(rec, cli, isStruct: false, isFrame: false, cmd: nil) == nil)
        #expect(m.substituted(Array("x name 12881\0 y".utf8)) == Array("x name 4242\0\0 y".utf8))
        // Binary differences are not text.
        #expect(m.compare([1, 0, 0, 0], [2, 0, 0, 0], isStruct: false, isFrame: false, cmd: nil) == "byte 0: 0x02, recorded 0x01")
    }
}
