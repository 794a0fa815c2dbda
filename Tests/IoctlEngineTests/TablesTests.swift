import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

@Suite struct TablesTests {
    static let cases: [(CallerABI, IoctlCommand.Kind)] = CallerABI.allCases.flatMap { a in [(a, .hrtGet), (a, .lctGet)] }

    static func expected(_ h: Harness, _ kind: IoctlCommand.Kind) -> [UInt8] {
        kind == .hrtGet ? h.iop0.hrt.encoded() : h.iop0.lct.encoded()
    }

    @Test(arguments: cases)
    func success(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let want = Self.expected(h, kind)
        #expect(want.count == (kind == .hrtGet ? 8 + 2 * 16 : 12 + 3 * 36))
        let (r, len, buf) = h.table(kind)
        #expect(r == .success)
        #expect(len == UInt32(want.count))
        #expect(Array(buf.prefix(want.count)) == want)
        #expect(buf[want.count...].allSatisfy { $0 == 0 })
        #expect(h.mem.rounds == 2)
        #expect(h.mem.unreservedStores == 0)
        if kind == .lctGet {
            // Wire format: word 1 IopFlags, word 2 CurrentChangeIndicator.
            #expect(buf.readLE32(at: 4) == 0x11)
            #expect(buf.readLE32(at: 8) == 9)
            #expect(buf.readLE32(at: 0) & 0xFFFF == 30)
        } else {
            #expect(buf.readLE16(at: 0) == 2 && buf[2] == 4)
        }
    }

    @Test(arguments: cases)
    func shortReslenIsENOBUFSWithLengthAndNothingCopied(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let want = Self.expected(h, kind)
        let (r, len, buf) = h.table(kind, capacity: UInt32(want.count - 1))
        #expect(r == .error(.ENOBUFS))
        #expect(len == UInt32(want.count))
        #expect(buf.allSatisfy { $0 == 0 })
    }

    @Test(arguments: cases)
    func faults(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let res = h.mem.place(zeroes: 4096), len = h.mem.placeU32(4096)
        // NULL resbuf, unmapped resbuf, unmapped reslen, unmapped struct, short struct.
        #expect(h.call(kind, IoctlStructs.HrtLct(iop: 0, resbuf: 0, reslen: len).encoded(abi)) == .error(.EFAULT))
        #expect(h.call(kind, IoctlStructs.HrtLct(iop: 0, resbuf: FakeUserMemory.unmapped, reslen: len).encoded(abi)) == .error(.EFAULT))
        #expect(h.call(kind, IoctlStructs.HrtLct(iop: 0, resbuf: res, reslen: FakeUserMemory.unmapped).encoded(abi)) == .error(.EFAULT))
        #expect(h.ioctl(kind, FakeUserMemory.unmapped) == .error(.EFAULT))
        #expect(h.call(kind, Array(IoctlStructs.HrtLct(iop: 0, resbuf: res, reslen: len).encoded(abi).prefix(abi == .lp64 ? 20 : 8)))
                == .error(.EFAULT))
        // Kernel order: a bad reslen wins over a missing IOP; a missing IOP over nothing else.
        #expect(h.call(kind, IoctlStructs.HrtLct(iop: 7, resbuf: res, reslen: FakeUserMemory.unmapped).encoded(abi)) == .error(.EFAULT))
        #expect(h.call(kind, IoctlStructs.HrtLct(iop: 7, resbuf: 0, reslen: len).encoded(abi)) == .error(.EFAULT))
    }

    @Test(arguments: cases)
    func noIOPIsENXIO(_ abi: CallerABI, _ kind: IoctlCommand.Kind) {
        var h = Harness(abi)
        let (r, len, _) = h.table(kind, iop: 5)
        #expect(r == .error(.ENXIO))
        #expect(len == 4096)
    }

    @Test(arguments: CallerABI.allCases)
    func secondIOP(_ abi: CallerABI) {
        var h = Harness(abi)
        let (r, len, buf) = h.table(.lctGet, iop: 1)
        #expect(r == .success)
        #expect(len == UInt32(12 + 36))
        #expect(buf.readLE32(at: 12) == 9) // TID 0, entry size 9
        let (r2, len2, buf2) = h.table(.hrtGet, iop: 1)
        #expect(r2 == .success && len2 == 8 && buf2.readLE16(at: 0) == 0)
    }

    @Test(arguments: CallerABI.allCases)
    func lctFollowsHotPlug(_ abi: CallerABI) {
        var h = Harness(abi)
        let added = h.engine.withMachine { m -> Bool in
            (try? m.iops[0]!.addDevice(DeviceDescription(entry: LCTEntry(localTID: 0x020, classID: .lan)))) != nil
        }
        #expect(added)
        let (r, len, buf) = h.table(.lctGet)
        #expect(r == .success)
        #expect(len == UInt32(12 + 4 * 36))
        #expect((buf.readLE32(at: 12 + 3 * 36) >> 16) & 0xFFF == 0x020)
    }
}
