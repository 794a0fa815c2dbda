import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

extension Harness {
    /// HTML with a `capacity`-byte buffer and an optional query; the result, *reslen, the page bytes.
    mutating func html(iop: UInt32 = 0, tid: UInt32 = 0x010, page: UInt32, query: [UInt8]? = nil, capacity: UInt32 = 1024,
                       resbuf: UInt64? = nil, qbuf: UInt64? = nil) -> (IoctlResult, UInt32?, [UInt8]) {
        let res = resbuf ?? mem.place(zeroes: Int(capacity)), len = mem.placeU32(capacity)
        let q = qbuf ?? (query.map { mem.place($0) } ?? 0)
        let r = call(.html, IoctlStructs.HTML(iop: iop, tid: tid, page: page, resbuf: res, reslen: len, qbuf: q, qlen: UInt32(query?.count ?? 0)).encoded(abi))
        let n = mem.u32(len) ?? 0
        return (r, mem.u32(len), mem.read(res, Int(min(n, capacity))) ?? [])
    }
}

@Suite struct HTMLTests {
    @Test(arguments: CallerABI.allCases)
    func pageWithAndWithoutQuery(_ abi: CallerABI) {
        var h = Harness(abi)
        let (r, len, page) = h.html(page: 1, query: Array("a=1&b=2".utf8))
        #expect(r == .success)
        #expect(page == Array("<p>query=a=1&b=2</p>".utf8))
        #expect(len == UInt32(page.count))
        #expect(h.mem.rounds == 2)
        #expect(h.mem.unreservedStores == 0)
        #expect(h.iop0.lastConfigQuery[TestMachine.disk] == Array("a=1&b=2".utf8))
        let (r2, len2, page2) = h.html(page: 1)
        #expect(r2 == .success)
        #expect(page2 == Array("<p>query=</p>".utf8) && len2 == 13)
        let (r3, _, page3) = h.html(tid: 0, page: 0)
        #expect(r3 == .success && page3 == Array("<html>exec</html>".utf8))
    }

    @Test(arguments: CallerABI.allCases)
    func shortBufferIsENOBUFS(_ abi: CallerABI) {
        var h = Harness(abi)
        let (r, len, page) = h.html(page: 2, capacity: 10)
        #expect(r == .error(.ENOBUFS))
        #expect(len == 16)
        #expect(page == [UInt8](repeating: 0, count: 10))
        let (r2, len2, page2) = h.html(page: 2, capacity: 16)
        #expect(r2 == .success && len2 == 16 && page2 == Array("<p>status ok</p>".utf8))
    }

    @Test(arguments: CallerABI.allCases)
    func failures(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.html(page: 9).0 == .error(.EIO))
        #expect(h.html(tid: 0x008, page: 1).0 == .error(.EIO))
        #expect(h.html(iop: 3, page: 1).0 == .error(.ENXIO))
        #expect(h.html(tid: 0x222, page: 1).0 == .error(.ENXIO))
        #expect(h.html(page: 1, resbuf: 0).0 == .error(.EFAULT))
        #expect(h.html(page: 1, resbuf: FakeUserMemory.unmapped).0 == .error(.EFAULT))
        #expect(h.html(page: 1, query: [1, 2, 3], qbuf: FakeUserMemory.unmapped).0 == .error(.EFAULT))
        #expect(h.html(page: 1, query: [1, 2, 3], qbuf: 0).0 == .error(.EFAULT))
        #expect(h.ioctl(.html, FakeUserMemory.unmapped) == .error(.EFAULT))
        let res = h.mem.place(zeroes: 64)
        #expect(h.call(.html, IoctlStructs.HTML(iop: 0, tid: 0x010, page: 1, resbuf: res, reslen: FakeUserMemory.unmapped, qbuf: 0, qlen: 0).encoded(abi)) == .error(.EFAULT))
        #expect(h.call(.html, IoctlStructs.HTML(iop: 0, tid: 0x010, page: 1, resbuf: res, reslen: h.mem.placeU32(64), qbuf: res, qlen: 70_000).encoded(abi)) == .error(.EINVAL))
        #expect(h.iop0.lastConfigQuery[TestMachine.disk] == nil)
    }
}
