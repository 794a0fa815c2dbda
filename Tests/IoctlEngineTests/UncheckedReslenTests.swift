import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

/// docs/kernels.md §Personalities, "unchecked `*reslen`": the kernels write the length with a
/// `put_user` whose result they ignore (HRTGET, LCTGET, PARMGET/PARMSET, 2.4's HTML), so a `*reslen`
/// that can be read but not written changes nothing but that write: the same result, the same
/// buffer. The engine reserves it as an unchecked range and stores it with `storeUnchecked`;
/// `documented` reserves and stores it like any output (→ EFAULT).
@Suite struct UncheckedReslenTests {
    /// The kernel personalities with a caller ABI that gets these ioctls natively.
    static let kernels: [(PersonalityName, CallerABI)] = [
        (.linux2618, .lp64), (.linux2618i386, .lp64), (.linux2618i386, .ilp32), (.linux24, .lp64), (.linux24, .ilp32),
    ]

    /// One request of `kind`: a 4096-byte `resbuf` of 0xEE and `*reslen` = `capacity`, read-only when
    /// `readOnly`; `make(resbuf, reslen)` is the struct. The result, `*reslen` after, `resbuf` after,
    /// and whether `*reslen` was reserved as an unchecked range (true) or as a checked one (false).
    static func request(_ h: inout Harness, _ kind: IoctlCommand.Kind, capacity: UInt32, readOnly: Bool,
                        _ make: (inout Harness, UInt64, UInt64) -> [UInt8]) -> (IoctlResult, UInt32?, [UInt8], unchecked: Bool?) {
        let res = h.mem.place([UInt8](repeating: 0xEE, count: 4096)), len = h.mem.placeU32(capacity)
        if readOnly { h.mem.readOnly.append(.u32(len)) }
        let r = h.call(kind, make(&h, res, len))
        let unchecked: Bool? = h.mem.uncheckedReserved.contains(.u32(len)) ? true : h.mem.reserved.contains(.u32(len)) ? false : nil
        return (r, h.mem.u32(len), h.mem.read(res, 4096) ?? [], unchecked)
    }

    /// The requests the kernels answer with an unchecked `*reslen`: name, ioctl, `*reslen`, struct.
    typealias Case = (name: String, kind: IoctlCommand.Kind, capacity: UInt32, make: (inout Harness, UInt64, UInt64) -> [UInt8])
    static func cases(_ abi: CallerABI, html: Bool) -> [Case] {
        let table = { (_: inout Harness, res: UInt64, len: UInt64) in IoctlStructs.HrtLct(iop: 0, resbuf: res, reslen: len).encoded(abi) }
        let params = { (ops: [UInt8]) in
            { (h: inout Harness, res: UInt64, len: UInt64) in
                IoctlStructs.PsetGet(iop: 0, tid: UInt32(TestMachine.disk.rawValue), opbuf: h.mem.place(ops), oplen: UInt32(ops.count),
                                     resbuf: res, reslen: len).encoded(abi)
            }
        }
        var all: [Case] = [
            ("HRTGET", .hrtGet, 4096, table), ("HRTGET short", .hrtGet, 10, table),
            ("LCTGET", .lctGet, 4096, table), ("LCTGET short", .lctGet, 4, table),
            ("PARMGET", .parmGet, 1024, params(Ops.getVendor)), ("PARMGET short", .parmGet, 8, params(Ops.getVendor)),
            ("PARMSET", .parmSet, 1024, params(Ops.setCacheMode(0x42))),
        ]
        if html {
            let page = { (_: inout Harness, res: UInt64, len: UInt64) in
                IoctlStructs.HTML(iop: 0, tid: UInt32(TestMachine.disk.rawValue), page: 2, resbuf: res, reslen: len,
                                  qbuf: 0, qlen: 0).encoded(abi)
            }
            all += [("HTML", .html, 1024, page), ("HTML short", .html, 4, page)]
        }
        return all
    }

    /// A read-only `*reslen` gives what a writable one gives — the result and every byte of `resbuf`
    /// — and keeps its value: only the write of the length is lost.
    @Test(arguments: Self.kernels)
    func kernelsIgnoreTheFault(_ personality: PersonalityName, _ abi: CallerABI) {
        for c in Self.cases(abi, html: personality == .linux24) {
            var h = Harness(abi, personality: personality)
            let (want, wantLength, wantBuffer, _) = Self.request(&h, c.kind, capacity: c.capacity, readOnly: false, c.make)
            var g = Harness(abi, personality: personality)
            let (got, length, buffer, unchecked) = Self.request(&g, c.kind, capacity: c.capacity, readOnly: true, c.make)
            #expect(got == want, "\(c.name): \(got), with a writable *reslen \(want)")
            #expect(buffer == wantBuffer, "\(c.name): resbuf as with a writable *reslen")
            #expect(length == c.capacity, "\(c.name): *reslen unchanged (a writable one got \(wantLength.map(String.init) ?? "-"))")
            #expect(unchecked == true, "\(c.name): *reslen reserved as an unchecked range")
            #expect(g.mem.unreservedStores == 0, "\(c.name)")
            if c.kind == .parmSet {
                #expect(g.iop0.parameterGroup(0x8000, of: TestMachine.disk)?.rows.first?.first == 0x42, "the set was carried out")
            }
        }
    }

    /// The cases above where the kernels do copy something, so the test is not vacuous.
    @Test func theKernelsCopyWithAReadOnlyReslen() {
        var h = Harness(.lp64, personality: .linux24)
        let (r, length, buffer, _) = Self.request(&h, .hrtGet, capacity: 10, readOnly: true, Self.cases(.lp64, html: true)[1].make)
        #expect(r == .error(.ENOBUFS) && length == 10)
        #expect(Array(buffer.prefix(10)) == Array(documentedTable(.hrtGet).prefix(10)) && buffer[10] == 0xEE)
        var g = Harness(.lp64, personality: .linux24)
        let (p, plength, list, _) = Self.request(&g, .parmGet, capacity: 1024, readOnly: true, Self.cases(.lp64, html: true)[4].make)
        #expect(p == .success && plength == 1024 && Array(list.prefix(16)) == ParamsTests.vendorResult && list[16] == 0xEE)
    }

    /// `documented`: `*reslen` is an ordinary output — reserved checked, and a store that faults is EFAULT.
    @Test(arguments: CallerABI.allCases)
    func documentedRefuses(_ abi: CallerABI) {
        for c in Self.cases(abi, html: true) {
            var h = Harness(abi)
            let (r, length, _, unchecked) = Self.request(&h, c.kind, capacity: c.capacity, readOnly: true, c.make)
            #expect(r == .error(.EFAULT), "\(c.name)")
            #expect(length == c.capacity, "\(c.name)")
            #expect(unchecked == false, "\(c.name): *reslen reserved as a checked range")
        }
    }

    /// An unreadable `*reslen` still fails every personality with EFAULT (`get_user` is checked).
    @Test(arguments: Self.kernels)
    func unreadableReslenIsStillEFAULT(_ personality: PersonalityName, _ abi: CallerABI) {
        for c in Self.cases(abi, html: personality == .linux24) {
            var h = Harness(abi, personality: personality)
            let res = h.mem.place(zeroes: 4096)
            #expect(h.call(c.kind, c.make(&h, res, FakeUserMemory.unmapped)) == .error(.EFAULT), "\(c.name)")
        }
    }
}
