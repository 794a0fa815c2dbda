import I2OABI
import I2ODevice
import Fixtures
import I2OFormats
import IOPModel
import IoctlEngine
import Simulator
import Synchronization
import Testing
@testable import Trace

/// Where a caller keeps one PASSTHRU request: the struct, the frame (its reply area right
/// after it), the operation list (host → IOP) and the result buffer (IOP → host).
struct PassthruPlaces: Sendable {
    var base: UInt64
    var structAt: UInt64
    var msg: UInt64
    var op: UInt64
    var res: UInt64
    /// InitiatorContext, TransactionContext.
    var contexts: (UInt32, UInt32)

    static let resultBytes = 1024
    static let replyCapacity: UInt32 = 32
    /// FIELD_GET of every field of group 0xF100 (docs/param-operations.md).
    static let operations: [UInt8] = [1, 0, 0, 0, 1, 0, 0x00, 0xF1, 0xFF, 0xFF, 0, 0]

    func command(_ abi: CallerABI) -> IoctlCommand { IoctlCommand(abi == .lp64 ? .passthru : .passthru32, abi: abi) }

    /// `struct i2o_cmd_passthru` (x86_64) or `struct i2o_cmd_passthru32` (i386).
    func structBytes(_ abi: CallerABI) -> [UInt8] { abi == .lp64 ? le32(0) + le32(0) + le64(msg) : le32(0) + le32(UInt32(msg)) }

    /// A UtilParamsGet to TID 0 with its two buffers: 32-bit simple elements (9 words), or the
    /// 64-bit form (attribute element, immediate data, then 3-word elements: 16 words).
    func frame(sgl64: Bool, function: UInt32 = 0x06, operationFlags: UInt32 = 0, immediate: [UInt8] = [1, 2, 3, 4, 5, 6]) -> [UInt32] {
        let header: [UInt32] = [0, function << 24 | 1 << 12, contexts.0, contexts.1, operationFlags]
        let opWord = 0x5400_0000 | UInt32(Self.operations.count), resWord = 0xD000_0000 | UInt32(Self.resultBytes)
        var sgl: [UInt32]
        if sgl64 {
            var data = immediate; data.padToWord()
            sgl = [0x7C02_0002, 4096, 0x4C00_0000 | UInt32(immediate.count)] + ((try? data.littleEndianWords(what: "data")) ?? [])
            sgl += [opWord, UInt32(truncatingIfNeeded: op), UInt32(op >> 32), resWord, UInt32(truncatingIfNeeded: res), UInt32(res >> 32)]
        } else {
            sgl = [opWord, UInt32(op), resWord, UInt32(res)]
        }
        var words = header + sgl
        words[0] = UInt32(words.count) << 16 | 0x51   // MessageSize, SGL offset 5, version 1
        return words
    }

    func memory(abi: CallerABI, frame: [UInt32]) -> FlatMemory {
        var m = FlatMemory(base: base, bytes: [UInt8](repeating: 0, count: 0x10000))
        m.put(structBytes(abi), at: structAt)
        m.put(frame.littleEndianBytes + le32(Self.replyCapacity << 16), at: msg)
        m.put(Self.operations, at: op)
        m.put([UInt8](repeating: 0xEE, count: Self.resultBytes), at: res)
        return m
    }

    func replyAt(_ frame: [UInt32]) -> UInt64 { msg + UInt64(frame.count * 4) }
}

/// The recording client.
let recordedPlaces = PassthruPlaces(base: 0x10_0000, structAt: 0x10_1000, msg: 0x10_2000, op: 0x10_3000, res: 0x10_4000,
                                    contexts: (0x1111_1111, 0x0810_2340))

/// The replaying client: other addresses for every buffer (in another order), other contexts. With
/// the 64-bit SGL form a 64-bit caller's buffers are above 4 GiB, so the high words differ too.
func replayingPlaces(_ abi: CallerABI, sgl64: Bool) -> PassthruPlaces {
    let base: UInt64 = abi == .lp64 && sgl64 ? 0x7F12_3450_0000 : 0x5A_0000
    return PassthruPlaces(base: base, structAt: base + 0x8000, msg: base + 0x2400, op: base + 0xC010, res: base + 0x3800,
                          contexts: (0x2222_2222, 0x0937_5A60))
}

@Suite struct PassthruReplayTests {
    /// A PASSTHRU answered by the engine and traced.
    func engineRecord(_ abi: CallerABI) throws -> (records: [TraceRecord], result: [UInt8], reply: [UInt8]) {
        let e = Simulator(machine: Machine(try FixtureLoader.loadDefault()))
        let c = Collector()
        e.tracer = c
        let f = e.open()
        let p = recordedPlaces, frame = p.frame(sgl64: false)
        var m = p.memory(abi: abi, frame: frame)
        let r = try e.ioctl(f, command: p.command(abi).number, argument: p.structAt, abi: abi, memory: &m)
        #expect(r == .success)
        let word0 = try #require(m.read(p.replyAt(frame), 4))
        let reply = try #require(m.read(p.replyAt(frame), Int(word0.readLE32(at: 0) >> 16) * 4))
        #expect(reply.readLE32(at: 8) == p.contexts.0 && reply.readLE32(at: 12) == p.contexts.1 && reply.readLE32(at: 16) == 0)
        let result = try #require(m.read(p.res, PassthruPlaces.resultBytes))
        #expect(result.readLE16(at: 0) == 1)   // ResultCount
        return (c.records.withLock { $0 }, result, reply)
    }

    /// The record `run --record-from` writes of a card that takes `frame` (the engine refuses the
    /// 64-bit form and immediate data): the engine's four rounds — the struct; word 0; the frame
    /// and the reply area's word 0; the operation list read, the result and the reply area
    /// reserved — then the result and the reply frame (echoing the contexts) stored.
    func cardRecord(_ abi: CallerABI, frame: [UInt32], result: [UInt8], reply: [UInt8]) -> TraceRecord {
        let p = recordedPlaces, cmd = p.command(abi), s = p.structBytes(abi)
        func read(_ a: UInt64, _ b: [UInt8]) -> TraceRange { TraceRange(addr: hex(a), count: b.count, bytes: traceHex(b)) }
        var r = TraceRecord(time: 0, pid: nil, file: 1, op: "ioctl")
        r.ioctl = cmd.name; r.cmd = hex(cmd.number, width: 8); r.abi = abi.rawValue; r.arg = hex(p.structAt)
        r.args = TraceArgs.decode(cmd, s)
        let bytes = frame.littleEndianBytes, capacity = Int(PassthruPlaces.replyCapacity) * 4
        r.rounds = [
            TraceRound(reads: [read(p.structAt, s)], writes: []),
            TraceRound(reads: [read(p.msg, Array(bytes.prefix(4)))], writes: []),
            TraceRound(reads: [read(p.msg, bytes), read(p.replyAt(frame), le32(PassthruPlaces.replyCapacity << 16))], writes: []),
            TraceRound(reads: [read(p.op, PassthruPlaces.operations)],
                       writes: [TraceRange(addr: hex(p.res), count: result.count), TraceRange(addr: hex(p.replyAt(frame)), count: capacity)]),
        ]
        r.stores = [TraceStore(addr: hex(p.res), bytes: traceHex(result), ok: true),
                    TraceStore(addr: hex(p.replyAt(frame)), bytes: traceHex(reply), ok: true)]
        r.setResult(.success)
        return r
    }

    /// Replays `records` to the client at `p` sending `frame`.
    func replay(_ records: [TraceRecord], _ abi: CallerABI, _ mode: ReplayMode, _ p: PassthruPlaces, frame: [UInt32])
        throws -> (result: IoctlResult, memory: FlatMemory, divergence: Divergence?) {
        let diverged = Mutex<Divergence?>(nil)
        let backend = ReplayBackend(records: records, mode: mode) { d, _ in diverged.withLock { $0 = d } }
        var m = p.memory(abi: abi, frame: frame)
        let r = try backend.ioctl(backend.open(), command: p.command(abi).number, argument: p.structAt, abi: abi, memory: &m)
        return (r, m, diverged.withLock { $0 })
    }

    /// The reply the replaying client must get: the recorded one, with its own contexts.
    func expectedReply(_ recorded: [UInt8], _ p: PassthruPlaces) -> [UInt8] {
        var b = recorded
        b.writeLE32(p.contexts.0, at: 8)
        b.writeLE32(p.contexts.1, at: 12)
        return b
    }

    @Test(arguments: [CallerABI.lp64, .ilp32], ReplayMode.allCases)
    func simpleSGLIsRelocatedAndTheContextsAreTheClients(abi: CallerABI, mode: ReplayMode) throws {
        let (records, result, reply) = try engineRecord(abi)
        let p = replayingPlaces(abi, sgl64: false), frame = p.frame(sgl64: false)
        let (r, m, d) = try replay(records, abi, mode, p, frame: frame)
        #expect(d == nil, "\(d?.description ?? "")")
        #expect(r == .success)
        #expect(m.read(p.res, result.count).map(traceHex) == traceHex(result))
        #expect(m.read(p.replyAt(frame), reply.count).map(traceHex) == traceHex(expectedReply(reply, p)))
    }

    @Test(arguments: [CallerABI.lp64, .ilp32], ReplayMode.allCases)
    func sixtyFourBitSGLIsRelocatedPastImmediateData(abi: CallerABI, mode: ReplayMode) throws {
        // The engine's result and reply (echoing the recorded contexts), as a card would give them.
        let (_, result, reply) = try engineRecord(abi)
        let record = cardRecord(abi, frame: recordedPlaces.frame(sgl64: true), result: result, reply: reply)
        let p = replayingPlaces(abi, sgl64: true), frame = p.frame(sgl64: true)
        let (r, m, d) = try replay([record], abi, mode, p, frame: frame)
        #expect(d == nil, "\(d?.description ?? "")")
        #expect(r == .success)
        #expect(m.read(p.res, result.count).map(traceHex) == traceHex(result))
        #expect(m.read(p.replyAt(frame), reply.count).map(traceHex) == traceHex(expectedReply(reply, p)))

        // Immediate data is bytes, not an address: one changed byte (word 8) is a departure.
        let changed = try replay([record], abi, mode, p, frame: p.frame(sgl64: true, immediate: [9, 2, 3, 4, 5, 6]))
        #expect(changed.result == .error(.EIO))
        #expect(changed.divergence?.difference == "round 3 read 0 (msg): byte 32: 0x09, recorded 0x01")
    }

    @Test(arguments: [CallerABI.lp64, .ilp32], ReplayMode.allCases)
    func anotherByteOfTheFrameIsADeparture(abi: CallerABI, mode: ReplayMode) throws {
        let (records, _, _) = try engineRecord(abi)
        let p = replayingPlaces(abi, sgl64: false)
        // The function code (byte 7: UtilParamsSet instead of UtilParamsGet).
        let function = try replay(records, abi, mode, p, frame: p.frame(sgl64: false, function: 0x05))
        #expect(function.result == .error(.EIO))
        let d = try #require(function.divergence)
        #expect(d.difference == "round 3 read 0 (msg): byte 7: 0x05, recorded 0x06")
        #expect(d.expected.contains(p.command(abi).name) && d.received.contains(p.command(abi).name))
        // A payload word (OperationFlags, word 4).
        let payload = try replay(records, abi, mode, p, frame: p.frame(sgl64: false, operationFlags: 1))
        #expect(payload.divergence?.difference == "round 3 read 0 (msg): byte 16: 0x01, recorded 0x00")
        // Nothing was stored into the departing client's buffers.
        #expect(payload.memory.read(p.res, 4) == [0xEE, 0xEE, 0xEE, 0xEE])
    }

    @Test func frameFieldsFollowBothSGLForms() {
        let p = recordedPlaces
        let simple = PassthruFrameFields(frame: p.frame(sgl64: false).littleEndianBytes)
        #expect(simple.contexts == 8..<16)
        #expect(simple.addresses.map { $0.offset } == [24, 32] && simple.addresses.map { $0.width } == [4, 4])
        // Attribute element at words 5–6, immediate data at 7–9, then 3-word elements at 10 and 13.
        let wide = PassthruFrameFields(frame: p.frame(sgl64: true).littleEndianBytes)
        #expect(wide.addresses.map { $0.offset } == [44, 56] && wide.addresses.map { $0.width } == [8, 8])
        // No SGL (offset 0): only the contexts; a 3-word frame has no TransactionContext.
        #expect(PassthruFrameFields(frame: le32(4 << 16) + le32(0) + le32(1) + le32(2)).addresses.isEmpty)
        #expect(PassthruFrameFields(frame: le32(3 << 16) + le32(0) + le32(1)).contexts == 8..<12)
    }
}
