import Faults
import Simulator
import I2OABI
import I2ODevice
import Testing
import IoctlEngine
@testable import CUSETransport

/// What the kernel's fuse_do_ioctl does with an unrestricted CUSE ioctl: call the server with
/// no data; on a retry reply copy the asked-for ranges in, call again; on the final reply copy
/// the data out into the out ranges in their order.
struct KernelSimulator {
    var memory: [UInt64: UInt8] = [:]
    var calls = 0

    mutating func map(_ bytes: [UInt8], at address: UInt64) {
        for (i, b) in bytes.enumerated() { memory[address + UInt64(i)] = b }
    }
    func bytes(_ r: UserRange) -> [UInt8]? {
        var out: [UInt8] = []
        for i in 0..<r.count { guard let b = memory[r.address + UInt64(i)] else { return nil }; out.append(b) }
        return out
    }

    /// Runs `handler` to completion; nil result = EFAULT from the kernel's own copies.
    mutating func ioctl(_ handler: (inout RetryRoundMemory) throws(NeedsRound) -> Int32) -> Int32? {
        var input: [UInt8] = []
        var outRanges: [UserRange] = []
        while calls < 16 {
            calls += 1
            var mem = RetryRoundMemory(input: input, outputCapacity: outRanges.reduce(0) { $0 + $1.count })
            do {
                let rc = try handler(&mem)
                if let data = mem.replyData() {
                    var at = 0
                    for r in outRanges where at < data.count {
                        let n = min(r.count, data.count - at)
                        guard bytes(UserRange(address: r.address, count: n)) != nil else { return nil }
                        map(Array(data[at..<at + n]), at: r.address)
                        at += n
                    }
                    return rc
                }
                // The exact-output path: ask for exactly the stored ranges, then apply them.
                let exact = mem.exactOutput
                calls += 1
                var at = 0
                for r in exact.ranges { map(Array(exact.data[at..<at + r.count]), at: r.address); at += r.count }
                return rc
            } catch {
                var fetched: [UInt8] = []
                for r in error.reads { guard let b = bytes(r) else { return nil }; fetched += b }
                input = fetched
                outRanges = error.writes
            }
        }
        Issue.record("no final reply after 16 calls")
        return nil
    }
}

/// A handler shaped like HRTGET: struct {reslen ptr, resbuf ptr}, then *reslen and resbuf.
func hrtLike(table: [UInt8]) -> (inout RetryRoundMemory) throws(NeedsRound) -> Int32 {
    return { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
        let s = try m.fetch(reads: [UserRange(address: 0x1000, count: 16)], writes: [])[0]!
        let reslen = UInt64(s.readLE64(at: 0)), resbuf = UInt64(s.readLE64(at: 8))
        let got = try m.fetch(reads: [UserRange(address: reslen, count: 4)],
                              writes: [UserRange(address: resbuf, count: table.count), UserRange(address: reslen, count: 4)])
        let capacity = Int(got[0]!.readLE32(at: 0))
        var len: [UInt8] = []; len.appendLE32(UInt32(table.count))
        _ = m.store(len, at: reslen)
        if capacity < table.count { return -105 }
        _ = m.store(table, at: resbuf)
        return 0
    }
}

/// A handler that reserves `writes` (no reads), then stores each of `stores` in turn and answers 0.
func reserving(_ writes: [UserRange], thenStoring stores: [(bytes: [UInt8], at: UInt64)]) -> (inout RetryRoundMemory) throws(NeedsRound) -> Int32 {
    return { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
        _ = try m.fetch(reads: [], writes: writes)
        for (bytes, address) in stores { _ = m.store(bytes, at: address) }
        return 0
    }
}

extension Array where Element == UInt8 {
    func readLE64(at o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[o + $1]) << (8 * UInt64($1)) } }
    func readLE32(at o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[o + $1]) << (8 * UInt32($1)) } }
    mutating func appendLE32(_ v: UInt32) { for i in 0..<4 { append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func appendLE64(_ v: UInt64) { for i in 0..<8 { append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
}

@Suite struct RetryRoundTests {
    func kernel(capacity: UInt32) -> KernelSimulator {
        var k = KernelSimulator()
        var s: [UInt8] = []; s.appendLE64(0x2000); s.appendLE64(0x3000)
        k.map(s, at: 0x1000)
        var c: [UInt8] = []; c.appendLE32(capacity)
        k.map(c, at: 0x2000)
        k.map([UInt8](repeating: 0xEE, count: 64), at: 0x3000)
        return k
    }

    @Test func pointerCarryingIoctlTakesThreeCalls() {
        var k = kernel(capacity: 64)
        let table: [UInt8] = Array(1...24)
        #expect(k.ioctl(hrtLike(table: table)) == 0)
        #expect(k.calls == 3)
        #expect(k.bytes(UserRange(address: 0x3000, count: 24)) == table)
        #expect(k.bytes(UserRange(address: 0x3000 + 24, count: 1)) == [0xEE])   // nothing beyond the table
        #expect(k.bytes(UserRange(address: 0x2000, count: 4)) == [24, 0, 0, 0])
    }

    @Test func shortBufferWritesTheLengthOnlyAndLeavesTheBufferAlone() {
        var k = kernel(capacity: 8)
        #expect(k.ioctl(hrtLike(table: Array(1...24))) == -105)
        #expect(k.calls == 3)
        #expect(k.bytes(UserRange(address: 0x2000, count: 4)) == [24, 0, 0, 0])
        #expect(k.bytes(UserRange(address: 0x3000, count: 64)) == [UInt8](repeating: 0xEE, count: 64))
    }

    @Test func faultingStructIsTheKernelsEFAULT() {
        var k = KernelSimulator()
        #expect(k.ioctl(hrtLike(table: [1])) == nil)
        #expect(k.calls == 1)
    }

    @Test func outRangesAreGivenSmallestFirst() {
        var order = [UserRange(address: 1, count: 100), UserRange(address: 2, count: 4), UserRange(address: 3, count: 4)]
        RetryRoundMemory.sortForOutput(&order)
        #expect(order.map(\.address) == [2, 3, 1])
    }

    @Test func writesThatAreNotAPrefixGoThroughExactOutput() {
        // Two reservations too big to probe; the engine writes the bigger one but not the smaller
        // one before it: not a prefix of the out ranges, and no caller bytes to fill the gap with.
        var k = KernelSimulator()
        k.map([UInt8](repeating: 0xEE, count: 5000), at: 0x10000)
        k.map([UInt8](repeating: 0xEE, count: 6000), at: 0x20000)
        let rc = k.ioctl(reserving([UserRange(address: 0x10000, count: 5000), UserRange(address: 0x20000, count: 6000)],
                                   thenStoring: [(bytes: [9, 9, 9, 9, 9, 9, 9, 9], at: 0x20000)]))
        #expect(rc == 0)
        #expect(k.calls == 3)
        #expect(k.bytes(UserRange(address: 0x20000, count: 9)) == [9, 9, 9, 9, 9, 9, 9, 9, 0xEE])
        #expect(k.bytes(UserRange(address: 0x10000, count: 5000)) == [UInt8](repeating: 0xEE, count: 5000))   // untouched
        let m = RetryRoundMemory(input: [], outputCapacity: 0)
        #expect(m.replyData() == [])
    }

    @Test func anUnwrittenSmallRangeBeforeAWrittenOneIsRefilledWithTheCallersBytes() {
        var k = kernel(capacity: 64)
        let rc = k.ioctl(reserving([UserRange(address: 0x2000, count: 4), UserRange(address: 0x3000, count: 8)],
                                   thenStoring: [(bytes: [9, 9, 9, 9, 9, 9, 9, 9], at: 0x3000)]))
        #expect(rc == 0)
        #expect(k.calls == 2)
        #expect(k.bytes(UserRange(address: 0x3000, count: 8)) == [9, 9, 9, 9, 9, 9, 9, 9])
        #expect(k.bytes(UserRange(address: 0x2000, count: 4)) == [64, 0, 0, 0])   // the caller's own bytes
    }

    @Test func aReservationReachingOverTheLengthCellStaysOneReply() {
        // PARMGET: `*reslen` lies right after a 1 KiB `resbuf`, inside the 64 KiB reservation of
        // `resbuf`. The length and a short result are still a prefix: 3 calls, not 4.
        var k = KernelSimulator()
        k.map([UInt8](repeating: 0xEE, count: 0x404), at: 0x2000)
        let rc = k.ioctl(reserving([UserRange(address: 0x2400, count: 4), UserRange(address: 0x2000, count: 65536)],
                                   thenStoring: [(bytes: [92, 0, 0, 0], at: 0x2400), (bytes: [UInt8](repeating: 7, count: 92), at: 0x2000)]))
        #expect(rc == 0)
        #expect(k.calls == 2)
        #expect(k.bytes(UserRange(address: 0x2400, count: 4)) == [92, 0, 0, 0])
        #expect(k.bytes(UserRange(address: 0x2000, count: 92)) == [UInt8](repeating: 7, count: 92))
        // A written prefix that would overwrite another range's bytes still goes through exact output.
        var m = RetryRoundMemory(input: [0, 0, 0, 0], outputCapacity: 65540)
        #expect((try? m.fetch(reads: [], writes: [UserRange(address: 0x2400, count: 4), UserRange(address: 0x2000, count: 65536)])) != nil)
        _ = m.store([0, 5, 0, 0], at: 0x2400)
        _ = m.store([UInt8](repeating: 7, count: 0x500), at: 0x2000)
        #expect(m.replyData() == nil)
        #expect(m.exactOutput.ranges == [UserRange(address: 0x2400, count: 4), UserRange(address: 0x2000, count: 0x500)])
    }

    /// The reply's data is the same whether it is built on the stack (small) or in an array: the
    /// probed `*reslen`'s own bytes under the store, then the buffer, stores laid over each other.
    @Test(arguments: [1, 92, RetryRoundMemory.stackReplyLimit - 4, RetryRoundMemory.stackReplyLimit, 3000])
    func replyDataOfAnySize(length: Int) throws {
        var m = RetryRoundMemory(input: [9, 9, 9, 9], outputCapacity: 4 + 8192)
        _ = try m.fetch(reads: [], writes: [UserRange(address: 0x9000, count: 8192), UserRange(address: 0x8000, count: 4)])
        let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        _ = m.store([UInt8(length & 0xFF)], at: 0x8000)   // the low byte only: the caller's other three stay
        _ = m.store(body, at: 0x9000)
        _ = m.store([0xEE], at: 0x9000)                   // over the first byte
        #expect(m.replyData() == [UInt8(length & 0xFF), 9, 9, 9] + [0xEE] + body.dropFirst())
        #expect(m.withReplyData { $0.count } == 4 + length)
    }

    /// The transport's memory borrows the kernel's input for the call; `kept()` owns a copy, so a
    /// node that keeps a request's memory past the call (the replayer) reads what the call brought
    /// even after libfuse reuses its buffer.
    @Test func aKeptMemoryOwnsTheInputItBorrowed() throws {
        var buffer: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0]
        var kept: RetryRoundMemory?
        buffer.withUnsafeMutableBytes { raw in
            var m = RetryRoundMemory(borrowing: UnsafeRawBufferPointer(raw), outputCapacity: 0)
            #expect((try? m.fetch(UserRange(address: 0x100, count: 4))) == [1, 0, 0, 0])
            kept = m.kept()
            raw.storeBytes(of: UInt32(9).littleEndian, toByteOffset: 4, as: UInt32.self)   // the buffer is reused
            #expect((try? m.fetch(UserRange(address: 0x200, count: 4))) == [9, 0, 0, 0])     // the borrowing one sees it
        }
        var k = try #require(kept)
        #expect(try k.fetch(UserRange(address: 0x200, count: 4)) == [2, 0, 0, 0])
        #expect(k.reads == [UserRange(address: 0x100, count: 4), UserRange(address: 0x200, count: 4)])
    }

    /// The list-free fetches answer and throw exactly as `fetch(reads:writes:)` does.
    @Test func listFreeFetchesMatchTheArrayFetch() throws {
        let input: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xEE, 0xEE, 0xEE, 0xEE]
        let struct0 = UserRange(address: 0x100, count: 4)
        let reads = [UserRange(address: 0x200, count: 4), UserRange(address: 0x300, count: 4)]
        let writes = [UserRange(address: 0x400, count: 4), UserRange(address: 0x500, count: 8192)]
        var a = RetryRoundMemory(input: input, outputCapacity: 8196)
        var b = RetryRoundMemory(input: input, outputCapacity: 8196)
        let s1 = try a.fetch(reads: [struct0], writes: []).first ?? nil
        let s2 = try b.fetch(struct0)
        #expect(s1 == s2 && s2 == [1, 0, 0, 0])
        let g1 = try a.fetch(reads: reads, writes: writes)
        let g2 = try b.fetch(UserRanges(reads), UserRanges(writes))
        #expect(g1.count == 2 && g2.count == 2)
        for i in 0..<2 { #expect(g1[i] == g2.bytes(i)) }
        #expect(g2.u32(0) == 2 && g2.u32(1) == 3)
        #expect(a.reads == b.reads && a.writes == b.writes)
        // Input that runs out: both throw the same round.
        var c = RetryRoundMemory(input: Array(input.prefix(8)), outputCapacity: 0)
        var d = RetryRoundMemory(input: Array(input.prefix(8)), outputCapacity: 0)
        _ = try c.fetch(struct0); _ = try d.fetch(struct0)
        var e1: NeedsRound?, e2: NeedsRound?
        do { _ = try c.fetch(reads: reads, writes: writes) } catch { e1 = error }
        do { _ = try d.fetch(UserRanges(reads), UserRanges(writes)) } catch { e2 = error }
        #expect(e1 != nil && e1 == e2)
        #expect(e1?.reads == [struct0] + reads + [writes[0]])   // the small write is probed
        #expect(e1?.writes == writes)
    }

    @Test func aBadSmallOutRangeFailsBeforeTheEngineActs() {
        // Like EVTGET with an unwritable i2o_evt_get: the engine would take an event on its final run.
        var k = KernelSimulator()
        var actions = 0
        let rc = k.ioctl { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
            _ = try m.fetch(reads: [], writes: [UserRange(address: 0x9000, count: 112)])
            actions += 1
            _ = m.store([UInt8](repeating: 1, count: 112), at: 0x9000)
            return 0
        }
        #expect(rc == nil)        // EFAULT from the kernel's copy-in of the probe
        #expect(actions == 0)     // the engine never reached its action
        #expect(k.calls == 1)
    }

    @Test func aPartlyWrittenSmallRangeKeepsTheCallersBytesAndNeedsNoExtraCall() {
        // Like PASSTHRU: a 64-byte reply area of which the reply fills 24 bytes, then a result buffer.
        var k = KernelSimulator()
        k.map([UInt8](repeating: 0xAB, count: 64), at: 0x5000)
        k.map([UInt8](repeating: 0xCD, count: 256), at: 0x6000)
        let rc = k.ioctl(reserving([UserRange(address: 0x5000, count: 64), UserRange(address: 0x6000, count: 256)],
                                   thenStoring: [(bytes: [UInt8](repeating: 1, count: 24), at: 0x5000),
                                                 (bytes: [UInt8](repeating: 2, count: 256), at: 0x6000)]))
        #expect(rc == 0)
        #expect(k.calls == 2)
        #expect(k.bytes(UserRange(address: 0x5000, count: 24)) == [UInt8](repeating: 1, count: 24))
        #expect(k.bytes(UserRange(address: 0x5000 + 24, count: 40)) == [UInt8](repeating: 0xAB, count: 40))
        #expect(k.bytes(UserRange(address: 0x6000, count: 256)) == [UInt8](repeating: 2, count: 256))
    }

    @Test func noFetchMeansOneCall() {
        var k = KernelSimulator()
        #expect(k.ioctl { _ in 0 } == 0)
        #expect(k.calls == 1)
    }
}
