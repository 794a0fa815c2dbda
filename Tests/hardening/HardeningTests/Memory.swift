import I2OABI
import I2ODevice
import I2OFormats
import IoctlEngine

/// The ioctl structs in both layouts (docs/ioctl-abi.md §Layouts).
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
