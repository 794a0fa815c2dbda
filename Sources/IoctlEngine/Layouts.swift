import I2OFormats

/// The ioctl structs of docs/ioctl-abi.md §Layouts decoded per ABI. Pointers are widened to 64 bits.
enum Layouts {
    /// Reads fields at per-ABI offsets from a struct's bytes (already fetched whole).
    struct Reader {
        let bytes: [UInt8]
        let abi: CallerABI
        func u32(_ lp64: Int, _ ilp32: Int) -> UInt32 {
            let o = abi == .lp64 ? lp64 : ilp32
            return o + 4 <= bytes.count ? bytes.readLE32(at: o) : 0
        }
        func u8(_ offset: Int) -> UInt8 { offset < bytes.count ? bytes[offset] : 0 }
        func pointer(_ lp64: Int, _ ilp32: Int) -> UInt64 {
            if abi == .lp64 { return lp64 + 8 <= bytes.count ? bytes.readLE64(at: lp64) : 0 }
            return ilp32 + 4 <= bytes.count ? UInt64(bytes.readLE32(at: ilp32)) : 0
        }
    }

    /// `struct i2o_cmd_hrtlct`.
    struct HrtLct: Equatable {
        var iop: UInt32, resbuf: UInt64, reslen: UInt64
        init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); resbuf = r.pointer(8, 4); reslen = r.pointer(16, 8)
        }
    }

    /// `struct i2o_cmd_psetget`.
    struct PsetGet: Equatable {
        var iop: UInt32, tid: UInt32, opbuf: UInt64, oplen: UInt32, resbuf: UInt64, reslen: UInt64
        init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); tid = r.u32(4, 4); opbuf = r.pointer(8, 8); oplen = r.u32(16, 12)
            resbuf = r.pointer(24, 16); reslen = r.pointer(32, 20)
        }
    }

    /// `struct i2o_sw_xfer`.
    struct SwXfer: Equatable {
        var iop: UInt32, flags: UInt8, swType: UInt8, swID: UInt32
        var buf: UInt64, swlen: UInt64, maxfrag: UInt64, curfrag: UInt64
        init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); flags = r.u8(4); swType = r.u8(5); swID = r.u32(8, 8)
            buf = r.pointer(16, 12); swlen = r.pointer(24, 16); maxfrag = r.pointer(32, 20); curfrag = r.pointer(40, 24)
        }
    }

    /// `struct i2o_html`.
    struct HTML: Equatable {
        var iop: UInt32, tid: UInt32, page: UInt32, resbuf: UInt64, reslen: UInt64, qbuf: UInt64, qlen: UInt32
        init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); tid = r.u32(4, 4); page = r.u32(8, 8); resbuf = r.pointer(16, 12)
            reslen = r.pointer(24, 16); qbuf = r.pointer(32, 20); qlen = r.u32(40, 24)
        }
    }

    /// `struct i2o_cmd_passthru` (native pointer) or `struct i2o_cmd_passthru32` (u32 msg).
    struct Passthru: Equatable {
        var iop: UInt32, msg: UInt64
        init(_ b: [UInt8], kind: IoctlCommand.Kind, abi: CallerABI) {
            let r = Reader(bytes: b, abi: kind == .passthru32 ? .ilp32 : abi)
            iop = r.u32(0, 0); msg = r.pointer(8, 4)
        }
    }
}
