import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

extension Harness {
    /// SWDL/SWUL/SWDEL with fresh *swlen, *maxfrag, *curfrag cells; returns the result and the cells' values after.
    mutating func sw(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, flags: UInt8 = 0x01, type: UInt8 = 0x01,
                     id: UInt32 = 0x001B_0042, buf: UInt64, swlen: UInt32, maxfrag: UInt32, curfrag: UInt32)
        -> (IoctlResult, swlen: UInt32?, maxfrag: UInt32?) {
        let l = mem.placeU32(swlen), m = mem.placeU32(maxfrag), c = mem.placeU32(curfrag)
        let r = call(kind, IoctlStructs.SwXfer(iop: iop, flags: flags, swType: type, swID: id, buf: buf, swlen: l, maxfrag: m, curfrag: c).encoded(abi))
        return (r, mem.u32(l), mem.u32(m))
    }

    /// Downloads `module` fragment by fragment; the results.
    mutating func download(_ module: [UInt8], flags: UInt8 = 0x03, type: UInt8 = 0x01, id: UInt32 = 0x001B_0042,
                           order: [Int]? = nil) -> [IoctlResult] {
        let total = max(1, (module.count + 8191) / 8192)
        return (order ?? Array(1...total)).map { i in
            let frag = Array(module[(i - 1) * 8192..<min(module.count, i * 8192)])
            let b = mem.place(frag)
            return sw(.swDownload, flags: flags, type: type, id: id, buf: b, swlen: UInt32(module.count),
                      maxfrag: UInt32(total), curfrag: UInt32(i)).0
        }
    }

    func module(type: UInt8 = 0x01, id: UInt32 = 0x001B_0042) -> SoftwareModule? {
        iop0.store.module(SoftwareKey(swType: type, swID: id))
    }
}

@Suite struct SoftwareTests {
    static let image: [UInt8] = (0..<20000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }

    @Test(arguments: CallerABI.allCases)
    func downloadInFragmentsThenUploadRoundTrip(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.download(Self.image) == [.success, .success, .success])
        #expect(h.mem.rounds == 3)
        #expect(h.module()?.bytes == Self.image)
        #expect(h.module()?.experimental == false)
        var back: [UInt8] = []
        for i in 1...3 {
            let b = h.mem.place(zeroes: 8192)
            let (r, swlen, maxfrag) = h.sw(.swUpload, buf: b, swlen: 0, maxfrag: 0, curfrag: UInt32(i))
            #expect(r == .success)
            #expect(swlen == 20000)
            #expect(maxfrag == 3)
            #expect(h.mem.rounds == 2)
            #expect(h.mem.unreservedStores == 0)
            back += h.mem.read(b, i < 3 ? 8192 : 20000 - 16384) ?? []
        }
        #expect(back == Self.image)
    }

    @Test(arguments: CallerABI.allCases)
    func uploadOfShortLastFragmentFitsAnExactBuffer(_ abi: CallerABI) {
        var h = Harness(abi)
        let b = h.mem.place(zeroes: 20000 - 16384)
        let (r, swlen, maxfrag) = h.sw(.swUpload, type: 0x22, id: 0x001B_0001, buf: b, swlen: 0, maxfrag: 0, curfrag: 3)
        #expect(r == .success && swlen == 20000 && maxfrag == 3)
        #expect(h.mem.read(b, 3616) == Array(TestMachine.stored.bytes[16384...]))
    }

    @Test(arguments: CallerABI.allCases)
    func outOfOrderIsEIOAndChangesNothing(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.download(Self.image, order: [2]) == [.error(.EIO)])
        #expect(h.download(Self.image, order: [1, 3]) == [.success, .error(.EIO)])
        #expect(h.module() == nil)
        // curfrag 0 or beyond maxfrag: the IOP refuses.
        let b = h.mem.place(zeroes: 8192)
        #expect(h.sw(.swDownload, buf: b, swlen: 20000, maxfrag: 3, curfrag: 0).0 == .error(.EIO))
        #expect(h.sw(.swDownload, buf: b, swlen: 20000, maxfrag: 3, curfrag: 4).0 == .error(.EIO))
    }

    @Test(arguments: CallerABI.allCases)
    func storeFullIsEIO(_ abi: CallerABI) {
        var h = Harness(abi)
        let big = [UInt8](repeating: 0x5A, count: 45_000) // 20000 stored + 45000 > 60000
        #expect(h.download(big) == [.success, .success, .success, .success, .success, .error(.EIO)])
        #expect(h.module() == nil)
        #expect(h.iop0.store.modules.count == 1)
    }

    @Test(arguments: CallerABI.allCases)
    func sizesTheTypesCannotExpressAreEINVAL(_ abi: CallerABI) {
        var h = Harness(abi)
        let b = h.mem.place(zeroes: 8192)
        #expect(h.sw(.swDownload, buf: b, swlen: 300 * 8192, maxfrag: 300, curfrag: 1).0 == .error(.EINVAL))
        #expect(h.sw(.swDownload, buf: b, swlen: 8192, maxfrag: 1, curfrag: 256).0 == .error(.EINVAL))
        // Last fragment larger than 8192, or negative.
        #expect(h.sw(.swDownload, buf: b, swlen: 20000, maxfrag: 2, curfrag: 2).0 == .error(.EINVAL))
        #expect(h.sw(.swDownload, buf: b, swlen: 100, maxfrag: 2, curfrag: 2).0 == .error(.EINVAL))
        #expect(h.sw(.swUpload, buf: b, swlen: 0, maxfrag: 256, curfrag: 1).0 == .error(.EINVAL))
        #expect(h.mem.rounds == 2)
    }

    @Test(arguments: CallerABI.allCases)
    func softwareFaultsAndNoIOP(_ abi: CallerABI) {
        var h = Harness(abi)
        let b = h.mem.place(zeroes: 8192), short = h.mem.place(zeroes: 100)
        #expect(h.sw(.swDownload, buf: 0, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swDownload, buf: short, swlen: 8192 * 2, maxfrag: 2, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swDownload, iop: 4, buf: b, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.ENXIO))
        #expect(h.sw(.swDownload, iop: 4, buf: 0, swlen: 100, maxfrag: 1, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swUpload, buf: 0, swlen: 0, maxfrag: 0, curfrag: 1).0 == .error(.EFAULT))
        #expect(h.sw(.swUpload, iop: 4, buf: b, swlen: 0, maxfrag: 0, curfrag: 1).0 == .error(.ENXIO))
        #expect(h.sw(.swDelete, iop: 4, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0).0 == .error(.ENXIO))
        for kind in [IoctlCommand.Kind.swDownload, .swUpload, .swDelete] {
            #expect(h.ioctl(kind, FakeUserMemory.unmapped) == .error(.EFAULT))
            let s = IoctlStructs.SwXfer(iop: 0, flags: 0, swType: 0x22, swID: 0x001B_0001, buf: b, swlen: FakeUserMemory.unmapped, maxfrag: FakeUserMemory.unmapped, curfrag: FakeUserMemory.unmapped).encoded(abi)
            #expect(h.call(kind, s) == .error(.EFAULT))
        }
        // Upload into an unwritable buffer.
        let (r, _, _) = h.sw(.swUpload, type: 0x22, id: 0x001B_0001, buf: FakeUserMemory.unmapped, swlen: 0, maxfrag: 0, curfrag: 1)
        #expect(r == .error(.EFAULT))
    }

    @Test(arguments: CallerABI.allCases)
    func uploadOfNoModuleIsEIO(_ abi: CallerABI) {
        var h = Harness(abi)
        let b = h.mem.place(zeroes: 8192)
        let (r, swlen, maxfrag) = h.sw(.swUpload, type: 0x01, id: 0x999, buf: b, swlen: 5, maxfrag: 6, curfrag: 1)
        #expect(r == .error(.EIO))
        #expect(swlen == 5 && maxfrag == 6)
    }

    @Test(arguments: CallerABI.allCases)
    func deleteChecksSizeAndWritesItBack(_ abi: CallerABI) {
        var h = Harness(abi)
        let (r1, l1, _) = h.sw(.swDelete, type: 0x22, id: 0x001B_0001, buf: 0, swlen: 19999, maxfrag: 0, curfrag: 0)
        #expect(r1 == .error(.EIO))
        #expect(l1 == 19999)
        #expect(h.module(type: 0x22, id: 0x001B_0001) != nil)
        let (r2, l2, _) = h.sw(.swDelete, type: 0x22, id: 0x001B_0001, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0)
        #expect(r2 == .success)
        #expect(l2 == 20000)
        #expect(h.mem.rounds == 2)
        #expect(h.module(type: 0x22, id: 0x001B_0001) == nil)
        let (r3, _, _) = h.sw(.swDelete, type: 0x22, id: 0x001B_0001, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0)
        #expect(r3 == .error(.EIO))
        // With the exact size.
        #expect(h.download(Self.image) == [.success, .success, .success])
        let (r4, l4, _) = h.sw(.swDelete, buf: 0, swlen: 20000, maxfrag: 0, curfrag: 0)
        #expect(r4 == .success && l4 == 20000)
    }

    @Test(arguments: CallerABI.allCases)
    func validateMakesExperimentalModulesValid(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.download(Array(Self.image.prefix(5000)), flags: 0x00) == [.success])
        #expect(h.module()?.experimental == true)
        #expect(h.ioctl(.validate, 0) == .success)
        #expect(h.mem.rounds == 0)
        #expect(h.module()?.experimental == false)
        #expect(h.ioctl(.validate, 1) == .success)
        #expect(h.ioctl(.validate, 2) == .error(.ENXIO))
        #expect(h.ioctl(.validate, 0xFFFF_FFFF) == .error(.ENXIO))
    }
}
