import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

extension Harness {
    /// Places `frame` followed by a reply area of `replyWords` words (MessageSize preset) and runs
    /// the passthru ioctl `kind`; the result, the reply area, the message address.
    mutating func passthru(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, frame: [UInt32], replyWords: Int = 16)
        -> (IoctlResult, [UInt32], UInt64) {
        var bytes = frame.littleEndianBytes
        var reply = [UInt32](repeating: 0xCCCC_CCCC, count: replyWords)
        if replyWords > 0 { reply[0] = UInt32(replyWords) << 16 }
        bytes += reply.littleEndianBytes
        let msg = mem.place(bytes)
        let s = kind == .passthru32 ? IoctlStructs.Passthru(iop: iop, msg: UInt64(UInt32(msg))).encoded(.passthru32, .ilp32) : IoctlStructs.Passthru(iop: iop, msg: msg).encoded(.passthru, abi)
        let r = call(kind, s)
        let back = mem.read(msg + UInt64(frame.count * 4), replyWords * 4).flatMap { try? $0.littleEndianWords(what: "r") } ?? []
        return (r, back, msg)
    }
}

@Suite struct PassthruTests {
    static let cases: [(CallerABI, IoctlCommand.Kind)] = [(.lp64, .passthru), (.lp64, .passthru32), (.ilp32, .passthru32)]

    /// UtilParamsGet to `tid` as a client builds it: op list host→IOP (0x54), result IOP→host (0xD0).
    static func paramsGet(tid: UInt32, ops: UInt64, oplen: Int, res: UInt64, reslen: Int) -> [UInt32] {
        [9 << 16 | 0x51, 0x06 << 24 | 1 << 12 | tid, 0xAAAA_0001, 0xBBBB_0002, 0,
         0x5400_0000 | UInt32(oplen), UInt32(ops), 0xD000_0000 | UInt32(reslen), UInt32(res)]
    }

    @Test(arguments: cases)
    func realParamsGetFrameAndReply(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        let (r, reply, _) = h.passthru(kind, frame: Self.paramsGet(tid: 0x010, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: 64))
        #expect(r == .success)
        #expect(h.mem.rounds == 4)
        #expect(h.mem.unreservedStores == 0)
        // The IOP's real reply: 6 words, REPLY flag, ParamsGet from the host to 0x010, contexts kept, SUCCESS, 16 bytes.
        let want: [UInt32] = [0x0006_8001, 0x0600_1010, 0xAAAA_0001, 0xBBBB_0002, 0, 16]
        #expect(Array(reply.prefix(6)) == want)
        #expect(reply[6] == 0xCCCC_CCCC)
        #expect(h.mem.read(res, 16) == ParamsTests.vendorResult)
    }

    @Test(arguments: cases)
    func setThroughPassthruChangesStateAndRaisesEvents(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        let set = Ops.setCacheMode(0x55)
        let ops = h.mem.place(set), res = h.mem.place(zeroes: 64)
        var frame = Self.paramsGet(tid: 0x010, ops: ops, oplen: set.count, res: res, reslen: 64)
        frame[1] = 0x05 << 24 | 1 << 12 | 0x010
        let (r, reply, _) = h.passthru(kind, frame: frame)
        #expect(r == .success && reply[4] == 0 && reply[5] == 8)
        #expect(h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor).2[8] == 0x55)
        #expect(h.eventGet().1?.info.id.eventMask == 0x0100_0000)
    }

    @Test(arguments: cases)
    func failingReplyIsReturnedNotAnErrno(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place([UInt8](repeating: 0x77, count: 64))
        let (r, reply, _) = h.passthru(kind, frame: Self.paramsGet(tid: 0x333, ops: ops, oplen: 12, res: res, reslen: 64))
        #expect(r == .success)
        #expect(reply[4] == 0x0500_0013) // ERROR_NO_DATA_TRANSFER / INVALID_TARGET_ADDRESS
        #expect(h.mem.read(res, 4) == [0x77, 0x77, 0x77, 0x77])
        // A short reply area gets only what fits.
        let (r2, reply2, _) = h.passthru(kind, frame: Self.paramsGet(tid: 0x333, ops: ops, oplen: 12, res: res, reslen: 64),
                                         replyWords: 3)
        #expect(r2 == .success && reply2.count == 3 && reply2[2] == 0xAAAA_0001)
    }

    @Test(arguments: cases)
    func noReplyIsETIMEDOUT(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let (r, reply, _) = h.passthru(kind, frame: [4 << 16 | 0x01, 0x00 << 24 | 1 << 12, 1, 2])
        #expect(r == .error(.ETIMEDOUT))
        #expect(reply[1] == 0xCCCC_CCCC)
    }

    @Test(arguments: cases)
    func malformedFramesAreEINVAL(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        let good = Self.paramsGet(tid: 0x010, ops: ops, oplen: 12, res: res, reslen: 64)
        // Larger than the IOP's InboundFrameSize (128 words on IOP 0, 64 on IOP 1).
        var big = good + [UInt32](repeating: 0, count: 191); big[0] = 200 << 16 | 0x01
        #expect(h.passthru(kind, frame: big).0 == .error(.EINVAL))
        var mid = good + [UInt32](repeating: 0, count: 61); mid[0] = 70 << 16 | 0x01
        #expect(h.passthru(kind, iop: 1, frame: mid).0 == .error(.EINVAL))
        mid[1] = 0 // UtilNOP: fits IOP 0, no reply
        #expect(h.passthru(kind, frame: mid).0 == .error(.ETIMEDOUT))
        // A non-simple element (immediate data).
        var imm = good; imm[5] = 0x4C00_000C
        #expect(h.passthru(kind, frame: imm).0 == .error(.EINVAL))
        // An SGL overrunning the frame; an SGL offset outside it.
        var over = good; over[0] = 9 << 16 | 0x41
        #expect(h.passthru(kind, frame: over).0 == .error(.EINVAL))
        var outside = good; outside[0] = 9 << 16 | 0xA1
        #expect(h.passthru(kind, frame: outside).0 == .error(.EINVAL))
        // 31 elements.
        var many: [UInt32] = [UInt32(5 + 62) << 16 | 0x51, 0x06 << 24 | 1 << 12 | 0x010, 0, 0, 0]
        for _ in 0..<31 { many += [0x5000_0004, UInt32(res)] }
        #expect(h.passthru(kind, frame: many).0 == .error(.EINVAL))
        // Under the 3-word minimum.
        #expect(h.passthru(kind, frame: [2 << 16, 0]).0 == .error(.EINVAL))
    }

    @Test(arguments: cases)
    func faultsAndNoIOP(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        #expect(h.ioctl(kind, FakeUserMemory.unmapped) == .error(.EFAULT))
        let s = kind == .passthru32 ? IoctlStructs.Passthru(iop: 0, msg: UInt64(UInt32(FakeUserMemory.unmapped))).encoded(.passthru32, .ilp32)
            : IoctlStructs.Passthru(iop: 0, msg: FakeUserMemory.unmapped).encoded(.passthru, abi)
        #expect(h.call(kind, s) == .error(.EFAULT))
        #expect(h.passthru(kind, iop: 6, frame: Self.paramsGet(tid: 0x010, ops: ops, oplen: 12, res: res, reslen: 64)).0
                == .error(.ENXIO))
        // A host→IOP buffer that faults.
        #expect(h.passthru(kind, frame: Self.paramsGet(tid: 0x010, ops: FakeUserMemory.unmapped, oplen: 12, res: res,
                                                       reslen: 64)).0 == .error(.EFAULT))
        // An IOP→host buffer that faults on the copy back.
        #expect(h.passthru(kind, frame: Self.paramsGet(tid: 0x010, ops: ops, oplen: 12, res: FakeUserMemory.unmapped,
                                                       reslen: 64)).0 == .error(.EFAULT))
        // The frame's declared size runs past the caller's buffer (no room for the reply word).
        let tail = h.mem.place([3 << 16 | 0x01, 0, 0].littleEndianBytes)
        let s2 = kind == .passthru32 ? IoctlStructs.Passthru(iop: 0, msg: UInt64(UInt32(tail))).encoded(.passthru32, .ilp32) : IoctlStructs.Passthru(iop: 0, msg: tail).encoded(.passthru, abi)
        #expect(h.call(kind, s2) == .error(.EFAULT))
    }
}

@Suite struct RestartTests {
    /// A UserMemory that throws NeedsRound on the second fetch: the re-run gives the same result
    /// and the state changes once.
    @Test(arguments: CallerABI.allCases)
    func needsRoundOnSecondFetchIsRestartable(_ abi: CallerABI) {
        var h = Harness(abi)
        let other = h.engine.open()
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue, file: other) == .success)
        let ops = h.mem.place(Ops.setCacheMode(42)), res = h.mem.place(zeroes: 64), len = h.mem.placeU32(64)
        let s = h.mem.place(IoctlStructs.PsetGet(iop: 0, tid: 0x010, opbuf: ops, oplen: 16, resbuf: res, reslen: len).encoded(abi))
        h.mem.rounds = 0
        h.mem.needsRoundAt = 2
        var thrown = 0
        var result: IoctlResult?
        for _ in 0..<3 where result == nil {
            do {
                result = try h.engine.ioctl(h.file, command: IoctlCommand(.parmSet, abi: abi).number, argument: s, abi: abi,
                                            memory: &h.mem)
            } catch {
                thrown += 1
                #expect(error.reads.contains(UserRange(address: ops, count: 16)))
                #expect(error.writes.contains(UserRange(address: len, count: 4)))
                #expect(h.engine.queuedEvents(other)?.events.isEmpty == true)
            }
        }
        #expect(thrown == 1)
        #expect(result == .success)
        #expect(h.mem.u32(len) == 8)
        #expect(h.engine.queuedEvents(other)?.events.count == 1)

        // SWDEL: removed once; a second run would be EIO.
        let l = h.mem.placeU32(0)
        let d = h.mem.place(IoctlStructs.SwXfer(iop: 0, flags: 0, swType: 0x22, swID: 0x001B_0001, buf: 0, swlen: l, maxfrag: 0, curfrag: 0).encoded(abi))
        h.mem.needsRoundAt = 2
        h.mem.rounds = 0
        let number = IoctlCommand(.swDelete, abi: abi).number
        #expect(throws: NeedsRound.self) { try h.engine.ioctl(h.file, command: number, argument: d, abi: abi, memory: &h.mem) }
        #expect(h.iop0.store.modules.count == 1)
        let again = try? h.engine.ioctl(h.file, command: number, argument: d, abi: abi, memory: &h.mem)
        #expect(again == .success)
        #expect(h.mem.u32(l) == 20000)
        #expect(h.iop0.store.modules.isEmpty)
    }
}
