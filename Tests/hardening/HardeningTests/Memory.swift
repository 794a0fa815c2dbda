import I2OFormats
import IoctlEngine

/// A sparse caller address space for the hardening tests: mapped regions with unmapped gaps
/// between them; every other address faults. Counts stores outside reserved write ranges.
struct SparseMemory: UserMemory {
    var regions: [UInt64: [UInt8]] = [:]
    var reserved: [UserRange] = []
    var unreservedStores = 0
    var nextAddress: UInt64 = 0x10000
    static let unmapped: UInt64 = 0xDEAD_0000

    mutating func place(_ bytes: [UInt8]) -> UInt64 {
        let a = nextAddress
        regions[a] = bytes
        nextAddress += UInt64((bytes.count + 0xFFF) & ~0xFFF) + 0x1000
        return a
    }
    mutating func place(zeroes n: Int) -> UInt64 { place([UInt8](repeating: 0, count: n)) }
    mutating func placeU32(_ v: UInt32) -> UInt64 { var b = [UInt8](); b.appendLE32(v); return place(b) }

    private func locate(_ address: UInt64, _ count: Int) -> (UInt64, Int)? {
        guard count >= 0 else { return nil }
        for (base, bytes) in regions where address >= base {
            let off = address - base
            if off <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - off { return (base, Int(off)) }
        }
        return nil
    }
    func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        guard let (base, off) = locate(address, count) else { return nil }
        return Array(regions[base]![off..<off + count])
    }
    func u32(_ address: UInt64) -> UInt32? { read(address, 4)?.readLE32(at: 0) }

    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        reserved += writes
        return reads.map { $0.count == 0 ? [] : read($0.address, $0.count) }
    }
    mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        if !reserved.contains(where: { address >= $0.address && address + UInt64(bytes.count) <= $0.address + UInt64($0.count) }) {
            unreservedStores += 1
        }
        guard let (base, off) = locate(address, bytes.count) else { return false }
        regions[base]!.replaceSubrange(off..<off + bytes.count, with: bytes)
        return true
    }
}

/// The ioctl structs in both layouts (`i2o-reference.md` §3).
enum Layout {
    static func u32(_ v: UInt32) -> [UInt8] { var b = [UInt8](); b.appendLE32(v); return b }
    static func ptr(_ v: UInt64, _ abi: CallerABI) -> [UInt8] {
        var b = [UInt8](); if abi == .lp64 { b.appendLE64(v) } else { b.appendLE32(UInt32(truncatingIfNeeded: v)) }; return b
    }
    static func pad(_ abi: CallerABI) -> [UInt8] { abi == .lp64 ? u32(0) : [] }

    static func hrtlct(iop: UInt32, resbuf: UInt64, reslen: UInt64, _ abi: CallerABI) -> [UInt8] {
        u32(iop) + pad(abi) + ptr(resbuf, abi) + ptr(reslen, abi)
    }
    static func psetget(iop: UInt32, tid: UInt32, opbuf: UInt64, oplen: UInt32, resbuf: UInt64, reslen: UInt64,
                        _ abi: CallerABI) -> [UInt8] {
        u32(iop) + u32(tid) + ptr(opbuf, abi) + u32(oplen) + pad(abi) + ptr(resbuf, abi) + ptr(reslen, abi)
    }
    static func swxfer(iop: UInt32, swType: UInt8, swID: UInt32, buf: UInt64, swlen: UInt64, maxfrag: UInt64,
                       curfrag: UInt64, _ abi: CallerABI) -> [UInt8] {
        u32(iop) + [0, swType, 0, 0] + u32(swID) + pad(abi) + ptr(buf, abi) + ptr(swlen, abi) + ptr(maxfrag, abi)
            + ptr(curfrag, abi)
    }
    static func html(iop: UInt32, tid: UInt32, page: UInt32, resbuf: UInt64, reslen: UInt64, qbuf: UInt64, qlen: UInt32,
                     _ abi: CallerABI) -> [UInt8] {
        u32(iop) + u32(tid) + u32(page) + pad(abi) + ptr(resbuf, abi) + ptr(reslen, abi) + ptr(qbuf, abi) + u32(qlen)
            + pad(abi)
    }
    static func evtid(iop: UInt32, tid: UInt32, mask: UInt32) -> [UInt8] { u32(iop) + u32(tid) + u32(mask) }
    static func passthru(iop: UInt32, msg: UInt64, _ abi: CallerABI) -> [UInt8] {
        abi == .lp64 ? u32(iop) + pad(abi) + ptr(msg, abi) : u32(iop) + u32(UInt32(truncatingIfNeeded: msg))
    }
}
