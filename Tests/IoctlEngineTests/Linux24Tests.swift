import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

/// `linux-2.4`: every row of docs/kernels.md §Ioctls for 2.4, through the engine, in both ABIs (a 2.4
/// kernel ran 32-bit tools natively).
@Suite struct Linux24Tests {
    static let p = PersonalityName.linux24

    @Test func nameAndTimeouts() {
        #expect(PersonalityName(rawValue: "linux-2.4") == .linux24)
        #expect(PersonalityName.linux24.timeouts.frameGet == .seconds(1))
        #expect(PersonalityName.linux24.timeouts.configDialog == .seconds(400))
        #expect(Timeouts.environmentScale(["I2OSIM_TIMEOUT_SCALE": "0.01"]) == 0.01)
        #expect(Timeouts.environmentScale(["I2OSIM_TIMEOUT_SCALE": "fast"]) == 1)
        #expect(Timeouts.environmentScale([:]) == 1)
        #expect(Timeouts.linux24.scaled(by: 0.01).params == .milliseconds(100))
    }

    @Test(arguments: CallerABI.allCases)
    func noPassthruEverythingElseInBothABIs(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        let arg = h.mem.place(zeroes: 256)
        #expect(h.ioctl(.passthru32, arg) == .error(.EINVAL))
        if abi == .lp64 { #expect(h.ioctl(.passthru, arg) == .error(.EINVAL)) }
        let (r, len, _) = h.table(.hrtGet)
        #expect(r == .success && len == 40)
        #expect(h.ioctl(.getIOPs, arg) == .success && h.mem.read(arg, 2) == [1, 1])
    }

    // docs/kernels.md §HRTGET (as 2.6.18) and docs/kernels.md §LCTGET (the IOP's LCT unmodified).
    @Test(arguments: CallerABI.allCases)
    func hrtCopiedOnENOBUFSAndLCTUnmodified(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        let hrt = documentedTable(.hrtGet), lct = documentedTable(.lctGet)
        let (s, slen, sbuf) = h.tableFilled(.hrtGet, capacity: 10)
        #expect(s == .error(.ENOBUFS) && slen == UInt32(hrt.count))
        #expect(Array(sbuf.prefix(10)) == Array(hrt.prefix(10)) && sbuf[10] == 0xEE)
        let (r, len, buf) = h.tableFilled(.lctGet, capacity: 4096)
        #expect(r == .success && len == UInt32(lct.count) && Array(buf.prefix(lct.count)) == lct)
        let (t, tlen, tbuf) = h.tableFilled(.lctGet, capacity: 4)
        #expect(t == .error(.ENOBUFS) && tlen == UInt32(lct.count) && tbuf.allSatisfy { $0 == 0xEE })
        #expect(h.mem.unreservedStores == 0)
    }

    // docs/kernels.md §PARMGET / §ParmIssue: real result lengths; a single failing block → EAGAIN;
    // DetailedStatus as length.
    @Test(arguments: CallerABI.allCases)
    func paramsRealLengths(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        let (r, len, list) = h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor)
        #expect(r == .success && len == 16 && list == ParamsTests.vendorResult)
        let (s, slen, slist) = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(0x42))
        #expect(s == .success && slen == 8 && slist == [1, 0, 0, 0, 1, 0, 0, 0])
        #expect(h.iop0.parameterGroup(0x8000, of: TestMachine.disk)?.rows.first?.first == 0x42)
        // One block, FIELD_UNWRITEABLE: −BlockStatus → EAGAIN; *reslen untouched.
        let (ro, rolen, _) = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setStripe, capacity: 77)
        #expect(ro == .error(.EAGAIN) && rolen == 77)
        // Unknown group, one block: EAGAIN too.
        #expect(h.params(.parmGet, tid: TestMachine.disk, ops: Encode.u16s([1, 0, 1, 0x7777, 0xFFFF, 0])).0 == .error(.EAGAIN))
        // Two blocks, one failing: the real length (4 + 3×4 + 3×4 ... as the IOP wrote it).
        let two = Encode.u16s([2, 0, 1, 0x8000, 0xFFFF, 0, 1, 0x7777, 0xFFFF, 0])
        let (m, mlen, mlist) = h.params(.parmGet, tid: TestMachine.disk, ops: two)
        #expect(m == .success)
        #expect(mlist.readLE16(at: 0) == 2 && Int(mlen) == 4 + 12 + Int(mlist.readLE16(at: 16)) * 4)
        // A TID the IOP does not know (not checked by 2.4): the IOP's DetailedStatus is the length.
        let (u, ulen, ubytes) = h.params(.parmGet, tid: 0x123, ops: Ops.getVendor)
        #expect(u == .success && ulen == UInt32(DetailedStatus.invalidTargetAddress.rawValue))
        // ... and what is copied is the ioctl's own buffer, never written (docs/kernels.md §Unwritten).
        #expect(ubytes == [UInt8](repeating: KernelLimits.unwrittenFill, count: Int(ulen)))
        // Too small: length written, ENOBUFS, nothing copied.
        let (b, blen, _) = h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor, capacity: 15)
        #expect(b == .error(.ENOBUFS) && blen == 16)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test func paramsOrderAndErrnos() {
        var h = Harness(.ilp32, personality: Self.p)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 256)
        let n = UInt32(Ops.getVendor.count)
        func run(_ iop: UInt32 = 0, tid: UInt32 = 0x010, opbuf: UInt64? = nil, oplen: UInt32? = nil, resbuf: UInt64? = nil,
                 reslen: UInt64? = nil) -> IoctlResult {
            h.call(.parmGet, IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: opbuf ?? ops, oplen: oplen ?? n, resbuf: resbuf ?? res, reslen: reslen ?? h.mem.placeU32(256)).encoded(.ilp32))
        }
        #expect(h.ioctl(.parmGet, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(3, reslen: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(3, opbuf: FakeUserMemory.unmapped) == .error(.ENXIO))
        #expect(run(oplen: 200_000) == .error(.ENOMEM))
        #expect(run(opbuf: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(resbuf: 0) == .error(.EFAULT))     // a real length to copy to NULL
        #expect(run() == .success)
    }

    // docs/kernels.md §SWDL–§VALIDATE: the positive DetailedStatus; SWDEL/VALIDATE failures ETIMEDOUT.
    @Test(arguments: CallerABI.allCases)
    func softwareAndValidate(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        let image = (0..<100).map { UInt8($0) }
        let buf = h.mem.place(image), up = h.mem.place(zeroes: 8192)
        #expect(h.sw(.swDownload, swID: 5, buf: buf, swlen: 100, maxfrag: 1, curfrag: 1).0 == .success)
        let (u, swlen, _) = h.sw(.swUpload, swID: 5, buf: up, swlen: 100, maxfrag: 1, curfrag: 1)
        #expect(u == .success && swlen == 100 && h.mem.read(up, 100) == image)
        // Absent module: the IOP's DetailedStatus (INVALID_PARAMETER, 0x11) as the value.
        let absent = Int32(DetailedStatus.invalidParameter.rawValue)
        #expect(h.sw(.swUpload, swID: 6, buf: up, swlen: 100, maxfrag: 1, curfrag: 1).0 == .value(absent))
        #expect(h.sw(.swDownload, swID: 6, buf: up, swlen: 20000, maxfrag: 3, curfrag: 2).0 == .value(absent))
        // access_ok(WRITE) refuses it for a 32-bit caller; for a 64-bit one the copy faults.
        #expect(h.sw(.swUpload, swID: 5, buf: 0xFFFF_FFF0, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swUpload, swID: 5, buf: 0, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        let (d, dlen, _) = h.sw(.swDelete, swID: 5, buf: 0, swlen: 99, maxfrag: 0, curfrag: 0)
        #expect(d == .error(.ETIMEDOUT) && dlen == 99)
        let (k, klen, _) = h.sw(.swDelete, swID: 5, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0)
        #expect(k == .success && klen == 0)
        #expect(h.ioctl(.validate, 0) == .success)
        #expect(h.ioctl(.validate, 1) == .error(.ETIMEDOUT))
        #expect(h.ioctl(.validate, 31) == .error(.ENXIO))
    }

    /// HTML into a `capacity`-byte `*reslen` and a 256-byte buffer of 0xEE.
    func html(_ h: inout Harness, iop: UInt32 = 0, tid: UInt32, page: UInt32, capacity: UInt32, query: [UInt8]? = nil,
              resbuf: UInt64? = nil) -> (IoctlResult, UInt32?, [UInt8]) {
        let res = h.mem.place([UInt8](repeating: 0xEE, count: 256)), len = h.mem.placeU32(capacity)
        let q = query.map { h.mem.place($0) } ?? 0
        let r = h.call(.html, IoctlStructs.HTML(iop: iop, tid: tid, page: page, resbuf: resbuf ?? res, reslen: len, qbuf: q, qlen: UInt32(query?.count ?? 0)).encoded(h.abi))
        return (r, h.mem.u32(len), h.mem.read(res, 256) ?? [])
    }

    // docs/kernels.md §HTML
    @Test(arguments: CallerABI.allCases)
    func htmlENOMEMAndCopyAnyway(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        let page = Array("<p>status ok</p>".utf8)
        let (r, len, buf) = html(&h, tid: 0x010, page: 2, capacity: 256)
        #expect(r == .success && len == UInt32(page.count) && Array(buf.prefix(page.count)) == page)
        #expect(buf[page.count] == 0xEE)
        let (s, slen, sbuf) = html(&h, tid: 0x010, page: 2, capacity: 5)
        #expect(s == .error(.ENOMEM) && slen == UInt32(page.count))
        #expect(Array(sbuf.prefix(5)) == Array(page.prefix(5)) && sbuf[5] == 0xEE)
        let (q, qlen, qbuf) = html(&h, tid: 0x010, page: 1, capacity: 256, query: Array("a=1".utf8))
        #expect(q == .success && Array(qbuf.prefix(Int(qlen ?? 0))) == Array("<p>query=a=1</p>".utf8))
        // No such page, or a TID 2.4 does not check: the failure is ignored and strnlen runs over the
        // unwritten reply buffer (the fill, no NUL): 65536 bytes, ENOMEM with *reslen of them copied.
        let fill = KernelLimits.unwrittenFill
        let (n, nlen, nbuf) = html(&h, tid: 0x010, page: 77, capacity: 256)
        #expect(n == .error(.ENOMEM) && nlen == 65536)
        #expect(nbuf == [UInt8](repeating: fill, count: 256))
        #expect(html(&h, tid: 0x123, page: 0, capacity: 256).0 == .error(.ENOMEM))
        let big = h.mem.place(zeroes: 65536)
        let (w, wlen, _) = html(&h, tid: 0x123, page: 0, capacity: 65536, resbuf: big)
        #expect(w == .success && wlen == 65536 && h.mem.read(big, 65536) == [UInt8](repeating: fill, count: 65536))
        #expect(html(&h, tid: 0, page: 0, capacity: 256, resbuf: 0).0 == .error(.EFAULT))
        #expect(html(&h, iop: 3, tid: 0, page: 0, capacity: 256).0 == .error(.ENXIO))
        #expect(html(&h, tid: 0, page: 0, capacity: 256, query: nil).0 == .success)
        #expect(h.mem.unreservedStores == 0)
    }

    // docs/kernels.md §EVTREG, §EVTGET: events delivered to the 32-entry ring, pending and lost counted.
    @Test(arguments: CallerABI.allCases)
    func eventsDeliveredWithPendingAndLost(_ abi: CallerABI) {
        var h = Harness(abi, personality: Self.p)
        #expect(h.eventGet().0 == .error(.ENOENT))
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        // The frame declares 4 words but carries the mask: the IOP registered it.
        #expect(h.iop0.eventRegistrations.first?.mask == .fieldModified)
        for i in 0..<34 { _ = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(UInt32(i))) }
        let (r, first) = h.eventGet()
        #expect(r == .success)
        #expect(first?.info.id == EventID(iop: 0, tid: 0x010, eventMask: EventIndicator.fieldModified.rawValue))
        #expect(first?.pending == 31 && first?.lost == 2)
        #expect(h.register(tid: 0x123, mask: 1) == .error(.ENODEV))
        #expect(h.register(iop: 8, tid: 0, mask: 1) == .error(.ENXIO))
        #expect(h.ioctl(.eventRegister, FakeUserMemory.unmapped) == .error(.EFAULT))
    }

    @Test func readIsEOFWriteIsZero() {
        var h = Harness(.lp64, personality: Self.p)
        #expect(h.register(tid: 0x010, mask: EventIndicator.fieldModified.rawValue) == .success)
        _ = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(1))
        #expect(h.engine.read(h.file, capacity: 104) == .data([]))
        #expect(h.engine.read(h.file, capacity: 3) == .data([]))
        #expect(h.engine.queuedEvents(h.file)?.events.count == 1)   // read() consumed nothing
        #expect(h.engine.write(h.file, count: 10) == .success)
        #expect(h.engine.isReadable(h.file))
    }
}
