import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

@Suite struct DPTIUserCommandTests {
    static let abis = CallerABI.allCases

    /// UtilParamsGet to `tid` as raidutil builds it: op list host→IOP (0x54), result IOP→host (0xD0).
    static func paramsGet(tid: UInt32, ops: UInt64, oplen: Int, res: UInt64, reslen: Int) -> [UInt32] {
        [9 << 16 | 0x51, 0x06 << 24 | 1 << 12 | tid, 0xAAAA_0001, 0xBBBB_0002, 0,
         0x5400_0000 | UInt32(oplen), UInt32(ops), 0xD000_0000 | UInt32(reslen), UInt32(res)]
    }

    func paramsGet(_ h: inout DPTIHarness, reslen: Int = 64) -> ([UInt32], UInt64) {
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place([UInt8](repeating: 0xEE, count: reslen))
        return (Self.paramsGet(tid: 0x010, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: reslen), res)
    }

    @Test(arguments: abis)
    func paramsGetThroughTheDriversPassThrough(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let (frame, res) = paramsGet(&h)
        let (r, reply) = h.userCommand(frame)
        #expect(r == .success)
        // The IOP's reply, zero-filled to REPLY_FRAME_SIZE (17 words), the caller's contexts put back;
        // the reply area past 17 words is untouched.
        let want: [UInt32] = [0x0006_8001, 0x0600_1010, 0xAAAA_0001, 0xBBBB_0002, 0, 16] + [UInt32](repeating: 0, count: 11)
        #expect(Array(reply.prefix(17)) == want)
        #expect(Array(reply[17...]) == [0xCCCC_CCCC, 0xCCCC_CCCC, 0xCCCC_CCCC])
        #expect(h.mem.read(res, 16) == ParamsTests.vendorResult)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test(arguments: abis)
    func theCallersReplySizeBoundsTheCopy(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let (frame, _) = paramsGet(&h)
        let (r, reply) = h.userCommand(frame, replyWords: 20, replySize: 4)
        #expect(r == .success)
        #expect(Array(reply.prefix(4)) == [0x0006_8001, 0x0600_1010, 0xAAAA_0001, 0xBBBB_0002])
        #expect(reply[4] == 0xCCCC_CCCC)
        let (r0, none) = h.userCommand(frame, replyWords: 2, replySize: 0)
        #expect(r0 == .success && none == [0, 0xCCCC_CCCC], "MessageSize 0: no reply copied")
    }

    @Test(arguments: abis)
    func aFaultingReplyWordIsIgnored(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let (frame, res) = paramsGet(&h)
        // The frame ends a mapped region: the reply area's word 0 faults, which get_user's caller ignores.
        let msg = h.mem.place(frame.littleEndianBytes)
        #expect(h.ioctl(.userCommand, msg) == .success)
        #expect(h.mem.read(res, 16) == ParamsTests.vendorResult)
    }

    @Test(arguments: abis)
    func frameErrors(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        #expect(h.ioctl(.userCommand, FakeUserMemory.unmapped) == .error(.EFAULT))
        // MessageSize above MAX_MESSAGE_SIZE (128 words): EFAULT, as the driver says it.
        #expect(h.userCommand([129 << 16 | 0x01] + [UInt32](repeating: 0, count: 128)).0 == .error(.EFAULT))
        // MessageSize beyond the mapped bytes.
        #expect(h.ioctl(.userCommand, h.mem.place([0x01, 0x00, 0x20, 0x00])) == .error(.EFAULT))
    }

    @Test(arguments: abis)
    func sglErrorsInTheDriversOrder(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let res = h.mem.place(zeroes: 64)
        // A non-simple element (no 0x10000000 bit) → EINVAL.
        var frame = Self.paramsGet(tid: 0x010, ops: res, oplen: 12, res: res, reslen: 64)
        frame[5] = 0x0400_000C
        #expect(h.userCommand(frame).0 == .error(.EINVAL))
        // A host→IOP buffer that faults → EFAULT, before a later non-simple element's EINVAL.
        frame = Self.paramsGet(tid: 0x010, ops: FakeUserMemory.unmapped, oplen: 12, res: res, reslen: 64)
        frame[7] = 0x4000_0040
        #expect(h.userCommand(frame).0 == .error(.EFAULT))
        // An SGL offset past the frame: the count wraps, more than sg_tablesize → EINVAL.
        frame = [4 << 16 | 0xF0 | 0x01, 0x06 << 24 | 1 << 12 | 0x010, 0, 0]
        #expect(h.userCommand(frame).0 == .error(.EINVAL))
    }

    @Test(arguments: abis)
    func sgTableSizeFollowsTheInboundFrame(_ abi: CallerABI) {
        // IOP 1's frames are 64 words: (256 − 48) / 8 = 26 elements.
        #expect(DPTILimits.sgTableSize(inboundFrameWords: 64) == 26)
        #expect(DPTILimits.sgTableSize(inboundFrameWords: 128) == 56)
        #expect(DPTILimits.sgTableSize(inboundFrameWords: 8) == 56)
        var h = DPTIHarness(abi, unit: 1)
        let zeroElement: [UInt32] = [0x1000_0000, 0]
        let frame: [UInt32] = [UInt32(5 + 54) << 16 | 0x50 | 0x01, 0x06 << 24 | 1 << 12, 0, 0, 0]
            + Array([[UInt32]](repeating: zeroElement, count: 27).joined())
        #expect(h.userCommand(frame).0 == .error(.EINVAL))
    }

    @Test(arguments: abis)
    func unsupportedFunctionIsEOPNOTSUPPAndOtherFailuresAreNot(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        // A private function the IOP's executive does not know: ReqStatus ERROR_NO_DATA_TRANSFER, UNSUPPORTED_FUNCTION.
        let (r, reply) = h.userCommand([4 << 16 | 0x01, 0xFE << 24 | 1 << 12, 0x1111, 0x2222])
        #expect(r == .error(.EOPNOTSUPP))
        #expect(reply[0] == 20 << 16, "nothing copied")
        // A ParamsGet to a TID that does not exist fails in the reply, not as an errno.
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        let (r2, reply2) = h.userCommand(Self.paramsGet(tid: 0x0777, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: 64))
        #expect(r2 == .success)
        #expect(reply2[4] >> 24 != 0)
    }

    @Test(arguments: abis)
    func anUnansweredFrameTimesOut(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        // UtilNOP: the IOP sends no reply.
        #expect(h.userCommand([3 << 16 | 0x01, 0x00 << 24 | 1 << 12, 0]).0 == .error(.ETIMEDOUT))
    }

    @Test(arguments: [PersonalityName.documented, .linux2618i386], abis)
    func aFrameOver32WordsWithAnSGLFailsTheKernelsCopyBack(_ personality: PersonalityName, _ abi: CallerABI) {
        var h = DPTIHarness(abi, personality: personality)
        let (base, res) = paramsGet(&h)
        // The ParamsGet with empty simple elements after it, to 33 words.
        var frame = base + Array([[UInt32]](repeating: [0x1000_0000, 0], count: 12).joined())
        frame[0] = UInt32(frame.count) << 16 | 0x51
        #expect(frame.count == 33)
        let (r, reply) = h.userCommand(frame)
        if personality == .documented {
            #expect(r == .success && reply[1] == 0x0600_1010)
            #expect(h.mem.read(res, 16) == ParamsTests.vendorResult)
        } else {
            #expect(r == .error(.EINVAL))
            #expect(reply[1] == 0xCCCC_CCCC, "the reply is not copied")
        }
    }
}
