import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

@Suite struct ParamsTests {
    static let kinds: [(CallerABI, IoctlCommand.Kind)] = CallerABI.allCases.flatMap { a in [(a, .parmGet), (a, .parmSet)] }
    static let vendorResult: [UInt8] = [1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x40, 0, 0]

    @Test(arguments: CallerABI.allCases)
    func getReturnsRealResultListAndLength(_ abi: CallerABI) {
        var h = Harness(abi)
        h.expectParams(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor, answer: Self.vendorResult)
        #expect(h.mem.rounds == 2)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test(arguments: CallerABI.allCases)
    func getOfExecutiveTID0(_ abi: CallerABI) {
        var h = Harness(abi)
        // FIELD_GET of 0x0004 Driver Store: ModuleLimit 4, ModuleCount 1, CurrentSpace 20000, FreeSpace 40000.
        var want: [UInt8] = [1, 0, 0, 0, 5, 0, 0, 0]
        for v: UInt32 in [4, 1, 20000, 40000] { want.appendLE32(v) }
        #expect(want.count == 4 + 4 + 16)
        h.expectParams(.parmGet, tid: 0, ops: Encode.u16s([1, 0, 1, 0x0004, 0xFFFF, 0]), answer: want)
    }

    @Test(arguments: kinds)
    func shortBufferIsENOBUFSWithLength(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = kind == .parmGet ? Ops.getVendor : Ops.setCacheMode(9)
        let want: UInt32 = kind == .parmGet ? 16 : 8
        let (r, len, _) = h.params(kind, tid: TestMachine.disk, ops: ops, capacity: want - 1)
        #expect(r == .error(.ENOBUFS))
        #expect(len == want)
        // Nothing copied, and a refused set changed nothing.
        let (_, _, list) = h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor)
        #expect(list == Self.vendorResult)
    }

    @Test(arguments: kinds)
    func faultsAndOrder(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place(zeroes: 256), len = h.mem.placeU32(256)
        let n = UInt32(Ops.getVendor.count)
        func run(_ iop: UInt32 = 0, tid: UInt32 = 0x010, opbuf: UInt64? = nil, oplen: UInt32? = nil, resbuf: UInt64? = nil,
                 reslen: UInt64? = nil) -> IoctlResult {
            h.call(kind, IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: opbuf ?? ops, oplen: oplen ?? n, resbuf: resbuf ?? res, reslen: reslen ?? len).encoded(abi))
        }
        #expect(h.ioctl(kind, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(reslen: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(resbuf: 0) == .error(.EFAULT))
        #expect(run(opbuf: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(opbuf: 0) == .error(.EFAULT))
        #expect(run(3) == .error(.ENXIO))
        #expect(run(tid: 0x123) == .error(.ENXIO))
        #expect(run(tid: 0x1010) == .error(.ENXIO))
        // Order: reslen before IOP, IOP before TID, TID before opbuf.
        #expect(run(3, reslen: FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(run(3, tid: 0x123) == .error(.ENXIO))
        #expect(run(tid: 0x123, opbuf: FakeUserMemory.unmapped) == .error(.ENXIO))
        // Too long for the IOP's inbound frame: (128 − 8) × 4 = 480 bytes on IOP 0, 224 on IOP 1.
        #expect(run(oplen: 484, ) == .error(.EINVAL))
        #expect(run(1, tid: 0, oplen: 228) == .error(.EINVAL))
        #expect(run(oplen: 100_000) == .error(.EINVAL))
        #expect(h.mem.unreservedStores == 0)
    }

    @Test(arguments: kinds)
    func unparsableListIsEINVAL(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        for ops in [[], [1, 0], Encode.u16s([1, 0, 1, 0x8000]), Encode.u16s([2, 0, 1, 0x8000, 0xFFFF, 0]),
                    Encode.u16s([1, 0, 6, 0x8000, 1, 0, 7])] as [[UInt8]] {
            let (r, len, _) = h.params(kind, tid: TestMachine.disk, ops: ops)
            #expect(r == .error(.EINVAL), "\(ops)")
            #expect(len == 1024)
        }
    }

    @Test(arguments: CallerABI.allCases)
    func setIsVisibleFromAnotherOpenFile(_ abi: CallerABI) {
        var h = Harness(abi)
        let other = h.engine.open()
        h.expectParams(.parmSet, tid: TestMachine.disk, ops: Ops.setCacheMode(7), answer: [1, 0, 0, 0, 1, 0, 0, 0])
        let (r2, _, got) = h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor, file: other)
        #expect(r2 == .success)
        #expect(got == [1, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0x00, 0x40, 0, 0])
    }

    @Test(arguments: CallerABI.allCases)
    func readOnlyFieldIsBlockStatusInList(_ abi: CallerABI) {
        var h = Harness(abi)
        h.expectParams(.parmSet, tid: TestMachine.disk, ops: Ops.setStripe, answer: [1, 0, 0, 0, 3, 0, 0x06, 2, 6, 0, 0x00, 0x80, 1, 0, 0, 0])
        let (_, _, got) = h.params(.parmGet, tid: TestMachine.disk, ops: Ops.getVendor)
        #expect(got == Self.vendorResult)
        // A get operation in PARMSET, an unknown group: BlockStatus too, not errno.
        let (r2, _, l2) = h.params(.parmSet, tid: TestMachine.disk, ops: Ops.getVendor)
        #expect(r2 == .success && l2.count > 6 && l2[6] == 0x09)
        let (r3, _, l3) = h.params(.parmGet, tid: TestMachine.disk, ops: Encode.u16s([1, 0, 1, 0x7777, 0xFFFF, 0]))
        #expect(r3 == .success && l3.count > 6 && l3[6] == 0x08)
    }

    @Test(arguments: CallerABI.allCases)
    func deviceFailureIsEIO(_ abi: CallerABI) {
        let d = TestMachine.description
        var desc = d
        desc.iops[0].devices[1].failures = [KnownFailure(function: .utilParamsGet, group: 0xF100,
                                                         reqStatus: .errorPartialTransfer, detailedStatus: .unknownError)]
        var h = Harness(abi, engine: Engine(machine: Machine(desc)))
        let (r, len, _) = h.params(.parmGet, tid: TestMachine.adapter, ops: Encode.u16s([1, 0, 1, 0xF100, 0xFFFF, 0]))
        #expect(r == .error(.EIO))
        #expect(len == 1024)
    }
}

extension Harness {
    /// PARMGET/PARMSET of `ops` on `tid`, expected to succeed with `want` as the result list (*reslen its length).
    mutating func expectParams(_ kind: IoctlCommand.Kind, tid: TID, ops: [UInt8], answer want: [UInt8],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let (r, len, list) = params(kind, tid: tid, ops: ops)
        #expect(r == .success, sourceLocation: sourceLocation)
        #expect(len == UInt32(want.count), sourceLocation: sourceLocation)
        #expect(list == want, sourceLocation: sourceLocation)
    }
}
