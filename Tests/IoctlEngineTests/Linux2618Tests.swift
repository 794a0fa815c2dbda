import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

extension Harness {
    /// A harness on a fresh test machine served with `personality`.
    init(_ abi: CallerABI, personality: PersonalityName) {
        self.init(abi, engine: Engine(machine: Machine(TestMachine.description), personality: personality))
    }

    /// SWDL/SWUL/SWDEL with the three counts in fresh cells; the result and the cells afterwards.
    mutating func sw(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, swType: UInt8 = 0x22, swID: UInt32, buf: UInt64,
                     swlen: UInt32, maxfrag: UInt32, curfrag: UInt32) -> (IoctlResult, swlen: UInt32?, maxfrag: UInt32?) {
        let l = mem.placeU32(swlen), m = mem.placeU32(maxfrag), c = mem.placeU32(curfrag)
        let r = call(kind, IoctlStructs.SwXfer(iop: iop, flags: 0, swType: swType, swID: swID, buf: buf, swlen: l, maxfrag: m, curfrag: c).encoded(abi))
        return (r, mem.u32(l), mem.u32(m))
    }

    /// HRTGET/LCTGET into a buffer of `buffer` bytes filled with 0xEE, `*reslen` = `capacity`.
    mutating func tableFilled(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, capacity: UInt32, buffer: Int = 4096)
        -> (IoctlResult, UInt32?, [UInt8]) {
        let res = mem.place([UInt8](repeating: 0xEE, count: buffer)), len = mem.placeU32(capacity)
        let r = call(kind, IoctlStructs.HrtLct(iop: iop, resbuf: res, reslen: len).encoded(abi))
        return (r, mem.u32(len), mem.read(res, buffer) ?? [])
    }
}

/// The bytes `documented` returns for HRTGET/LCTGET on the test machine (the IOP's wire format).
func documentedTable(_ kind: IoctlCommand.Kind) -> [UInt8] {
    var h = Harness(.lp64)
    let (_, len, bytes) = h.table(kind)
    return Array(bytes.prefix(Int(len ?? 0)))
}

/// `linux-2.6.18`: every row of docs/kernels.md §Ioctls for 2.6.18, through the engine.
@Suite struct Linux2618Tests {
    static let p = PersonalityName.linux2618

    @Test func nameAndTimeouts() {
        #expect(PersonalityName(rawValue: "linux-2.6.18") == .linux2618)
        let e = Engine(machine: Machine(TestMachine.description), personality: Self.p, timeoutScale: 0.5)
        #expect(e.personalityName == .linux2618)
        #expect(e.timeouts.frameGet == .milliseconds(2500))
        #expect(e.timeouts.swTransfer == .seconds(30))
        #expect(PersonalityName.linux2618.timeouts.params == .seconds(10))
    }

    // docs/kernels.md §Compat32: a 32-bit caller gets GETIOPS and PASSTHRU32 only.
    @Test func thirtyTwoBitCallersGetOnlyGETIOPSAndPASSTHRU32() {
        var h = Harness(.ilp32, personality: Self.p)
        let arg = h.mem.place(zeroes: 256)
        for c in IoctlCommand.all(.ilp32) where c.kind != .getIOPs && c.kind != .passthru32 {
            #expect(h.ioctl(c.kind, arg) == .error(.EINVAL), "\(c)")
        }
        #expect(h.ioctl(.getIOPs, arg) == .success)
        #expect(h.mem.read(arg, 3) == [1, 1, 0])
        // VALIDATE and the event ioctls are ABI-independent but refused all the same.
        #expect(h.ioctl(.validate, 0) == .error(.EINVAL))
    }

    @Test func unknownHTMLAndPassthru32NumberAreEINVALFor64Bit() throws {
        var h = Harness(.lp64, personality: Self.p)
        let arg = h.mem.place(zeroes: 256)
        #expect(h.ioctl(.html, arg) == .error(.EINVAL))
        #expect(h.ioctl(.passthru32, arg) == .error(.EINVAL))
        var mem = h.mem
        #expect(try h.engine.ioctl(h.file, command: 0x0000_6963, argument: arg, abi: .lp64, memory: &mem) == .error(.EINVAL))
    }

    // docs/kernels.md §GETIOPS
    @Test func getIOPs() {
        var h = Harness(.lp64, personality: Self.p)
        let arg = h.mem.place(zeroes: 32)
        #expect(h.ioctl(.getIOPs, arg) == .success)
        #expect(h.mem.read(arg, 32) == [1, 1] + [UInt8](repeating: 0, count: 30))
        #expect(h.ioctl(.getIOPs, FakeUserMemory.unmapped) == .error(.EFAULT))
    }

    // docs/kernels.md §HRTGET: the table is copied even with ENOBUFS — here up to *reslen bytes.
    @Test func hrtCopiedEvenOnENOBUFS() {
        var h = Harness(.lp64, personality: Self.p)
        let hrt = documentedTable(.hrtGet)
        #expect(hrt.count == 8 + 2 * 16)
        let (r, len, buf) = h.tableFilled(.hrtGet, capacity: 4096)
        // The driver's buffer was 8 bytes short: its last 8 bytes were never written (the fill pattern).
        #expect(r == .success && len == UInt32(hrt.count))
        #expect(Array(buf.prefix(hrt.count - 8)) == Array(hrt.prefix(hrt.count - 8)))
        #expect(Array(buf[(hrt.count - 8)..<hrt.count]) == [UInt8](repeating: KernelLimits.unwrittenFill, count: 8))
        let (s, slen, sbuf) = h.tableFilled(.hrtGet, capacity: 12)
        #expect(s == .error(.ENOBUFS))
        #expect(slen == UInt32(hrt.count))
        #expect(Array(sbuf.prefix(12)) == Array(hrt.prefix(12)))
        #expect(sbuf[12] == 0xEE)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test func hrtOrderOfChecks() {
        var h = Harness(.lp64, personality: Self.p)
        let len = h.mem.placeU32(4096), res = h.mem.place(zeroes: 64)
        #expect(h.ioctl(.hrtGet, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(h.call(.hrtGet, IoctlStructs.HrtLct(iop: 0, resbuf: res, reslen: FakeUserMemory.unmapped).encoded(.lp64)) == .error(.EFAULT))
        #expect(h.call(.hrtGet, IoctlStructs.HrtLct(iop: 7, resbuf: 0, reslen: len).encoded(.lp64)) == .error(.EFAULT))
        #expect(h.call(.hrtGet, IoctlStructs.HrtLct(iop: 7, resbuf: res, reslen: len).encoded(.lp64)) == .error(.ENXIO))
    }

    // docs/kernels.md §LCTGET: header words 1 and 2 swapped; ENOBUFS copies nothing.
    @Test func lctHeaderWordsSwapped() {
        var h = Harness(.lp64, personality: Self.p)
        let wire = documentedTable(.lctGet)
        #expect(wire.readLE32(at: 4) == 0x11 && wire.readLE32(at: 8) == 9)
        let (r, len, buf) = h.tableFilled(.lctGet, capacity: 4096)
        #expect(r == .success && len == UInt32(wire.count))
        #expect(buf.readLE32(at: 4) == 9)      // CurrentChangeIndicator at byte 4
        #expect(buf.readLE32(at: 8) == 0x11)   // IopFlags at byte 8
        #expect(Array(buf[0..<4]) == Array(wire[0..<4]))
        #expect(Array(buf[12..<wire.count]) == Array(wire[12...]))
        let (s, slen, sbuf) = h.tableFilled(.lctGet, capacity: UInt32(wire.count - 1))
        #expect(s == .error(.ENOBUFS) && slen == UInt32(wire.count))
        #expect(sbuf.allSatisfy { $0 == 0xEE })
    }

    // docs/kernels.md §PARMGET: success writes 0 to *reslen and copies nothing; the request was carried out.
    @Test func paramsSuccessCopiesNothing() {
        let abi = CallerABI.lp64
        var h = Harness(abi, personality: Self.p)
        let opbuf = h.mem.place(Ops.getVendor), res = h.mem.place([UInt8](repeating: 0xEE, count: 64)), len = h.mem.placeU32(64)
        let r = h.call(.parmGet, IoctlStructs.PsetGet(iop: 0, tid: 0x010, opbuf: opbuf, oplen: UInt32(Ops.getVendor.count), resbuf: res, reslen: len).encoded(abi))
        #expect(r == .success)
        #expect(h.mem.u32(len) == 0)
        #expect(h.mem.read(res, 64)?.allSatisfy { $0 == 0xEE } == true)
        let (s, slen, _) = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(0x77))
        #expect(s == .success && slen == 0)
        #expect(h.iop0.parameterGroup(0x8000, of: TestMachine.disk)?.rows.first?.first == 0x77)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test func paramsOrderAndErrnos() {
        var h = Harness(.lp64, personality: Self.p)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 256), len = h.mem.placeU32(256)
        let n = UInt32(Ops.getVendor.count)
        func run(_ iop: UInt32 = 0, tid: UInt32 = 0x010, opbuf: UInt64? = nil, oplen: UInt32? = nil, resbuf: UInt64? = nil,
                 reslen: UInt64? = nil) -> IoctlResult {
            h.call(.parmGet, IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: opbuf ?? ops, oplen: oplen ?? n, resbuf: resbuf ?? res, reslen: reslen ?? len).encoded(.lp64))
        }
        #expect(h.ioctl(.parmGet, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(3, reslen: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(3, tid: 0x123) == .error(.ENXIO))
        #expect(run(tid: 0x123, opbuf: FakeUserMemory.unmapped) == .error(.ENXIO))   // TID (ENXIO, not ENODEV)
        #expect(run(oplen: 200_000) == .error(.ENOMEM))
        #expect(run(opbuf: FakeUserMemory.unmapped) == .error(.EFAULT))
        // No NULL/bad resbuf check: nothing is copied on success.
        #expect(run(resbuf: 0) == .success)
        #expect(run(resbuf: FakeUserMemory.unmapped) == .success)
        // *reslen is now 0 (the successes above wrote it). An operation list that does not parse
        // goes to the IOP, which fails the request: ReqStatus 5 is the length, above 0 → ENOBUFS.
        #expect(run(oplen: 2) == .error(.ENOBUFS))
        #expect(h.mem.u32(len) == 5)
    }

    @Test func paramsIOPFailureIsReqStatusAsLength() {
        var h = Harness(.lp64, personality: Self.p)
        // 600 bytes of operation list overrun IOP 0's 128-word frame: the IOP fails the cut frame.
        var ops = Encode.u16s([1, 0, 1, 0x8000, 0xFFFF, 0]); ops += [UInt8](repeating: 0, count: 588)
        let (r, len, bytes) = h.params(.parmGet, tid: TestMachine.disk, ops: ops, capacity: 64)
        #expect(r == .success)
        #expect(len == UInt32(ReqStatus.errorNoDataTransfer.rawValue))
        #expect(bytes == [UInt8](repeating: 0, count: Int(len)))
        let (s, slen, _) = h.params(.parmGet, tid: TestMachine.disk, ops: ops, capacity: 4)
        #expect(s == .error(.ENOBUFS) && slen == 5)
    }

    // docs/kernels.md §SWDL, §SWUL: one fragment per call, the positive ReqStatus as the value.
    @Test func downloadUploadAndPositiveReqStatus() {
        var h = Harness(.lp64, personality: Self.p)
        let image = (0..<10000).map { UInt8(truncatingIfNeeded: $0 * 3) }
        let f1 = h.mem.place(Array(image[0..<8192])), f2 = h.mem.place(Array(image[8192...]))
        #expect(h.sw(.swDownload, swID: 0x77, buf: f1, swlen: 10000, maxfrag: 2, curfrag: 1).0 == .success)
        #expect(h.sw(.swDownload, swID: 0x77, buf: f2, swlen: 10000, maxfrag: 2, curfrag: 2).0 == .success)
        let up = h.mem.place([UInt8](repeating: 0xEE, count: 8192))
        let (u, swlen, maxfrag) = h.sw(.swUpload, swID: 0x77, buf: up, swlen: 10000, maxfrag: 2, curfrag: 2)
        #expect(u == .success)
        #expect(h.mem.read(up, 1808) == Array(image[8192...]))
        #expect(h.mem.read(up + 1808, 1) == [0xEE])
        #expect(swlen == 10000 && maxfrag == 2)   // inputs only
        // Out of order: the IOP refuses, the ioctl returns ERROR_NO_DATA_TRANSFER (5) as its value.
        #expect(h.sw(.swDownload, swID: 0x78, buf: f2, swlen: 10000, maxfrag: 2, curfrag: 2).0 == .value(5))
        #expect(h.sw(.swUpload, swID: 0x78, buf: up, swlen: 10000, maxfrag: 2, curfrag: 1).0 == .value(5))
        // maxfrag 300 is 44 to the kernel: 44 fragments cannot make 10000 bytes, the IOP refuses.
        #expect(h.sw(.swDownload, swID: 0x79, buf: f1, swlen: 10000, maxfrag: 300, curfrag: 1).0 == .value(5))
        // maxfrag = curfrag = 300 (44): 10000 − 43·8192 wraps to ~4 GiB, inside a 64-bit
        // address space, too big for a DMA buffer.
        #expect(h.sw(.swDownload, swID: 0x79, buf: f1, swlen: 10000, maxfrag: 300, curfrag: 300).0 == .error(.ENOMEM))
    }

    @Test func downloadChecksAndUncheckedCopy() {
        var h = Harness(.lp64, personality: Self.p)
        let buf = h.mem.place(zeroes: 100)
        #expect(h.sw(.swDownload, swID: 1, buf: 0, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swDownload, swID: 1, buf: 0x7FFF_FFFF_F000 - 50, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        // swlen < (maxfrag−1)·8192 wraps to ~4 GiB: beyond the end of the address space from here.
        #expect(h.sw(.swDownload, swID: 1, buf: 0x7FFF_F000_0000, swlen: 100, maxfrag: 2, curfrag: 2).0 == .error(.EFAULT))
        #expect(h.sw(.swDownload, iop: 9, swID: 1, buf: buf, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.ENXIO))
        #expect(h.sw(.swDownload, swID: 1, buf: buf, swlen: 5_000_000, maxfrag: 1, curfrag: 1).0 == .error(.ENOMEM))
        let l = h.mem.placeU32(100), m = h.mem.placeU32(1)
        #expect(h.call(.swDownload, IoctlStructs.SwXfer(iop: 0, flags: 0, swType: 0x22, swID: 1, buf: buf, swlen: l, maxfrag: m, curfrag: FakeUserMemory.unmapped).encoded(.lp64)) == .error(.EFAULT))
        // An unreadable buffer that passes access_ok: the kernel ignored the copy's failure; no
        // transport can read past a fault, so it is EFAULT here, and nothing reaches the IOP.
        #expect(h.sw(.swDownload, swID: 2, buf: FakeUserMemory.unmapped, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.iop0.store.module(SoftwareKey(swType: 0x22, swID: 2)) == nil)
        #expect(h.sw(.swUpload, swID: 0x001B_0001, buf: 0, swlen: 20000, maxfrag: 3, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swUpload, swID: 0x001B_0001, buf: FakeUserMemory.unmapped, swlen: 20000, maxfrag: 3, curfrag: 1).0
            == .error(.EFAULT))
    }

    // docs/kernels.md §SWDEL: every failure → ETIMEDOUT, *swlen never written back.
    @Test func deleteFailuresAreETIMEDOUT() {
        var h = Harness(.lp64, personality: Self.p)
        let key = SoftwareKey(swType: 0x22, swID: 0x001B_0001)
        #expect(h.sw(.swDelete, swID: 0x001B_0001, buf: 0, swlen: 19999, maxfrag: 0, curfrag: 0).0 == .error(.ETIMEDOUT))
        #expect(h.iop0.store.module(key) != nil)
        let (r, swlen, _) = h.sw(.swDelete, swID: 0x001B_0001, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0)
        #expect(r == .success && swlen == 0)
        #expect(h.iop0.store.module(key) == nil)
        #expect(h.sw(.swDelete, swID: 0x001B_0001, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0).0 == .error(.ETIMEDOUT))
        #expect(h.sw(.swDelete, iop: 4, swID: 1, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0).0 == .error(.ENXIO))
    }

    // docs/kernels.md §VALIDATE: the frame targets TID = unit: right for unit 0, an IOP error
    // (→ ETIMEDOUT) for unit 1.
    @Test func validateTargetsTheUnitNumber() {
        var h = Harness(.lp64, personality: Self.p)
        #expect(h.ioctl(.validate, 0) == .success)
        #expect(h.ioctl(.validate, 1) == .error(.ETIMEDOUT))
        #expect(h.ioctl(.validate, 5) == .error(.ENXIO))
    }

    // docs/kernels.md §EVTREG, §EVTGET: EVTREG posts a 4-word frame (no mask reaches the IOP);
    // nothing is ever queued.
    @Test func eventsNeverArrive() {
        var h = Harness(.lp64, personality: Self.p)
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        #expect(h.iop0.eventRegistrations.isEmpty)
        #expect(h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(3)).0 == .success)
        #expect(h.eventGet().0 == .error(.ENOENT))
        #expect(h.engine.queuedEvents(h.file)?.events.isEmpty == true)
        #expect(h.register(tid: 0x123, mask: 1) == .error(.ENODEV))
        #expect(h.register(iop: 6, tid: 0, mask: 1) == .error(.ENXIO))
        #expect(h.ioctl(.eventRegister, FakeUserMemory.unmapped) == .error(.EFAULT))
    }

    @Test func readWriteEINVALPollReadable() {
        let h = Harness(.lp64, personality: Self.p)
        #expect(h.engine.read(h.file, capacity: 104) == .error(.EINVAL))
        #expect(h.engine.write(h.file, count: 1) == .error(.EINVAL))
        #expect(h.engine.isReadable(h.file))
    }

    // docs/kernels.md §PASSTHRU
    static let ptCases: [(CallerABI, IoctlCommand.Kind)] = [(.lp64, .passthru), (.ilp32, .passthru32)]

    @Test(arguments: ptCases)
    func passthruReplyIsZeroFilledExceptContexts(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi, personality: Self.p)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        let frame = PassthruTests.paramsGet(tid: 0x010, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: 64)
        let (r, reply, _) = h.passthru(kind, frame: frame)
        #expect(r == .success)
        #expect(reply == [0, 0, 0xAAAA_0001, 0xBBBB_0002] + [UInt32](repeating: 0, count: 12))
        #expect(h.mem.read(res, 16) == ParamsTests.vendorResult)
        #expect(h.mem.unreservedStores == 0)
    }

    // docs/kernels.md §PASSTHRU: the element loop's failures still reach `sg_list_cleanup`, which
    // writes the R-byte reply area (zeros, the caller's contexts) — except PASSTHRU32's non-simple element.
    @Test(arguments: ptCases)
    func elementFailuresStillWriteTheReplyArea(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi, personality: Self.p)
        let res = h.mem.place(zeroes: 64)
        let wiped: [UInt32] = [0, 0, 0xAAAA_0001, 0xBBBB_0002, 0, 0]
        let untouched: [UInt32] = [6 << 16] + [UInt32](repeating: 0xCCCC_CCCC, count: 5)
        // A non-simple element: EINVAL; native PASSTHRU wipes the reply area, PASSTHRU32 leaves it.
        var nonSimple = PassthruTests.paramsGet(tid: 0x010, ops: res, oplen: 8, res: res, reslen: 64)
        nonSimple[7] = 0x0000_0040
        let (r1, reply1, _) = h.passthru(kind, frame: nonSimple, replyWords: 6)
        #expect(r1 == .error(.EINVAL))
        #expect(reply1 == (kind == .passthru ? wiped : untouched))
        // A bounce buffer above kmalloc's limit: ENOMEM, the reply area wiped in both.
        var huge = nonSimple; huge[7] = 0xD000_0000 | UInt32(KernelLimits.kmallocBytes + 4)
        let (r2, reply2, _) = h.passthru(kind, frame: huge, replyWords: 6)
        #expect(r2 == .error(.ENOMEM))
        #expect(reply2 == wiped)
        // A host→IOP buffer that faults: EFAULT, the reply area wiped in both.
        var faulting = nonSimple; faulting[5] = 0x5400_0008; faulting[6] = UInt32(truncatingIfNeeded: FakeUserMemory.unmapped)
        faulting[7] = 0xD000_0040
        let (r3, reply3, _) = h.passthru(kind, frame: faulting, replyWords: 6)
        #expect(r3 == .error(.EFAULT))
        #expect(reply3 == wiped)
    }

    // docs/kernels.md §PASSTHRU: the contexts come from user_msg + 2 even when the frame is shorter.
    @Test(arguments: ptCases)
    func contextsAreReadFromTheCallerEvenPastAShortFrame(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi, personality: Self.p)
        // A 3-word UtilNOP: word 3 of user_msg is the reply area's word 0 (its MessageSize, 6 << 16).
        let (r, reply, _) = h.passthru(kind, frame: [3 << 16 | 1, 0x00 << 24 | 1 << 12, 0x1234_5678], replyWords: 6)
        #expect(r == .error(.ETIMEDOUT))
        #expect(reply == [0, 0, 0x1234_5678, 6 << 16, 0x9200_0000, 0])
    }

    @Test(arguments: ptCases)
    func passthruFailuresAndStatusWord(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi, personality: Self.p)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 64)
        // A TID the IOP does not know: ReqStatus 5 as the value, word 4 = 5 << 24.
        let bad = PassthruTests.paramsGet(tid: 0x123, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: 64)
        let (r, reply, _) = h.passthru(kind, frame: bad, replyWords: 8)
        #expect(r == .value(5))
        #expect(reply == [0, 0, 0xAAAA_0001, 0xBBBB_0002, 0x0500_0000, 0, 0, 0])
        // UtilNOP is never answered: ETIMEDOUT, word 4 = (−110) << 24.
        let nop: [UInt32] = [4 << 16 | 1, 0x00 << 24 | 1 << 12, 7, 8]
        let (t, treply, _) = h.passthru(kind, frame: nop, replyWords: 6)
        #expect(t == .error(.ETIMEDOUT))
        #expect(treply == [0, 0, 7, 8, 0x9200_0000, 0])
        // A frame longer than the IOP's inbound frame: EFAULT (not EINVAL).
        var big = [UInt32](repeating: 0, count: 130); big[0] = 130 << 16 | 1
        #expect(h.passthru(kind, frame: big).0 == .error(.EFAULT))
        // An element without the simple-address bit: EINVAL; 31 elements: EINVAL.
        var nonSimple = bad; nonSimple[1] = 0x06 << 24 | 1 << 12 | 0x010; nonSimple[7] = 0x0000_0040
        #expect(h.passthru(kind, frame: nonSimple).0 == .error(.EINVAL))
        var many: [UInt32] = [UInt32(5 + 62) << 16 | 0x51, 0x06 << 24 | 1 << 12 | 0x010, 0, 0, 0]
        for _ in 0..<31 { many += [0x1000_0004, UInt32(res)] }
        #expect(h.passthru(kind, frame: many).0 == .error(.EINVAL))
        // A chain element carries the 0x10000000 bit: taken as simple, the IOP refuses the SGL.
        var chain = bad; chain[1] = 0x06 << 24 | 1 << 12 | 0x010; chain[7] = 0xB000_0040
        #expect(h.passthru(kind, frame: chain).0 == .value(5))
        // SGL offset beyond the frame: EFAULT. No IOP: ENXIO.
        var off = bad; off[0] = 5 << 16 | 0x51
        #expect(h.passthru(kind, frame: Array(off.prefix(5))).0 == .error(.EFAULT))
        #expect(h.passthru(kind, iop: 9, frame: bad).0 == .error(.ENXIO))
    }
}
