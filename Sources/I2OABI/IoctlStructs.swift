import I2OFormats

/// The ioctl structs of `/dev/i2o/ctl` (docs/ioctl-abi.md), one type each, decoded from and
/// encoded to either ABI's layout. Pointers are widened to 64 bits; an i386 layout keeps their
/// low 32. Decoding never traps: a field past the end of the bytes reads as 0.
public enum IoctlStructs {
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

    /// Writes fields in declaration order with the ABI's padding: a pointer is 8 bytes aligned
    /// to 8 on x86_64, 4 on i386.
    struct Writer {
        let abi: CallerABI
        var bytes: [UInt8] = []
        init(_ abi: CallerABI) { self.abi = abi }
        mutating func u32(_ v: UInt32) { bytes.appendLE32(v) }
        mutating func u8(_ v: UInt8) { bytes.append(v) }
        mutating func pointer(_ v: UInt64) {
            if abi == .lp64 {
                while bytes.count % 8 != 0 { bytes.append(0) }
                bytes.appendLE64(v)
            } else {
                bytes.appendLE32(UInt32(truncatingIfNeeded: v))
            }
        }
        /// Pads the struct to its alignment (8 on x86_64 when it holds a pointer).
        mutating func end() { if abi == .lp64 { while bytes.count % 8 != 0 { bytes.append(0) } } }
    }

    /// `struct i2o_cmd_hrtlct` (I2OHRTGET, I2OLCTGET): 24 bytes on x86_64, 12 on i386.
    public struct HrtLct: Equatable, Sendable {
        public var iop: UInt32, resbuf: UInt64, reslen: UInt64
        public init(iop: UInt32, resbuf: UInt64, reslen: UInt64) { self.iop = iop; self.resbuf = resbuf; self.reslen = reslen }
        public init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); resbuf = r.pointer(8, 4); reslen = r.pointer(16, 8)
        }
        public func encoded(_ abi: CallerABI) -> [UInt8] {
            var w = Writer(abi); w.u32(iop); w.pointer(resbuf); w.pointer(reslen); w.end(); return w.bytes
        }
    }

    /// `struct i2o_cmd_psetget` (I2OPARMGET, I2OPARMSET): 40 bytes on x86_64, 24 on i386.
    public struct PsetGet: Equatable, Sendable {
        public var iop: UInt32, tid: UInt32, opbuf: UInt64, oplen: UInt32, resbuf: UInt64, reslen: UInt64
        public init(iop: UInt32, tid: UInt32, opbuf: UInt64, oplen: UInt32, resbuf: UInt64, reslen: UInt64) {
            self.iop = iop; self.tid = tid; self.opbuf = opbuf; self.oplen = oplen; self.resbuf = resbuf; self.reslen = reslen
        }
        public init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); tid = r.u32(4, 4); opbuf = r.pointer(8, 8); oplen = r.u32(16, 12)
            resbuf = r.pointer(24, 16); reslen = r.pointer(32, 20)
        }
        public func encoded(_ abi: CallerABI) -> [UInt8] {
            var w = Writer(abi)
            w.u32(iop); w.u32(tid); w.pointer(opbuf); w.u32(oplen); w.pointer(resbuf); w.pointer(reslen); w.end()
            return w.bytes
        }
    }

    /// `struct i2o_sw_xfer` (I2OSWDL, I2OSWUL, I2OSWDEL): 48 bytes on x86_64, 28 on i386.
    public struct SwXfer: Equatable, Sendable {
        public var iop: UInt32, flags: UInt8, swType: UInt8, swID: UInt32
        public var buf: UInt64, swlen: UInt64, maxfrag: UInt64, curfrag: UInt64
        public init(iop: UInt32, flags: UInt8, swType: UInt8, swID: UInt32, buf: UInt64, swlen: UInt64, maxfrag: UInt64,
                    curfrag: UInt64) {
            self.iop = iop; self.flags = flags; self.swType = swType; self.swID = swID
            self.buf = buf; self.swlen = swlen; self.maxfrag = maxfrag; self.curfrag = curfrag
        }
        public init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); flags = r.u8(4); swType = r.u8(5); swID = r.u32(8, 8)
            buf = r.pointer(16, 12); swlen = r.pointer(24, 16); maxfrag = r.pointer(32, 20); curfrag = r.pointer(40, 24)
        }
        public func encoded(_ abi: CallerABI) -> [UInt8] {
            var w = Writer(abi)
            w.u32(iop); w.u8(flags); w.u8(swType); w.u8(0); w.u8(0); w.u32(swID)
            w.pointer(buf); w.pointer(swlen); w.pointer(maxfrag); w.pointer(curfrag); w.end()
            return w.bytes
        }
    }

    /// `struct i2o_html` (I2OHTML): 48 bytes on x86_64, 28 on i386.
    public struct HTML: Equatable, Sendable {
        public var iop: UInt32, tid: UInt32, page: UInt32, resbuf: UInt64, reslen: UInt64, qbuf: UInt64, qlen: UInt32
        public init(iop: UInt32, tid: UInt32, page: UInt32, resbuf: UInt64, reslen: UInt64, qbuf: UInt64, qlen: UInt32) {
            self.iop = iop; self.tid = tid; self.page = page; self.resbuf = resbuf; self.reslen = reslen
            self.qbuf = qbuf; self.qlen = qlen
        }
        public init(_ b: [UInt8], abi: CallerABI) {
            let r = Reader(bytes: b, abi: abi)
            iop = r.u32(0, 0); tid = r.u32(4, 4); page = r.u32(8, 8); resbuf = r.pointer(16, 12)
            reslen = r.pointer(24, 16); qbuf = r.pointer(32, 20); qlen = r.u32(40, 24)
        }
        public func encoded(_ abi: CallerABI) -> [UInt8] {
            var w = Writer(abi)
            w.u32(iop); w.u32(tid); w.u32(page); w.pointer(resbuf); w.pointer(reslen); w.pointer(qbuf); w.u32(qlen); w.end()
            return w.bytes
        }
    }

    /// `struct i2o_cmd_passthru` (native pointer: 16 bytes on x86_64, 8 on i386) or
    /// `struct i2o_cmd_passthru32` (a u32 `msg` in both: 8 bytes).
    public struct Passthru: Equatable, Sendable {
        public var iop: UInt32, msg: UInt64
        public init(iop: UInt32, msg: UInt64) { self.iop = iop; self.msg = msg }
        public init(_ b: [UInt8], kind: IoctlCommand.Kind, abi: CallerABI) {
            let r = Reader(bytes: b, abi: kind == .passthru32 ? .ilp32 : abi)
            iop = r.u32(0, 0); msg = r.pointer(8, 4)
        }
        public func encoded(_ kind: IoctlCommand.Kind, _ abi: CallerABI) -> [UInt8] {
            var w = Writer(kind == .passthru32 ? .ilp32 : abi); w.u32(iop); w.pointer(msg); w.end(); return w.bytes
        }
    }

    /// `struct i2o_evt_id` (I2OEVTREG): 12 bytes in both ABIs.
    public struct EventRegistration: Equatable, Sendable {
        public var iop: UInt32, tid: UInt32, eventMask: UInt32
        public init(iop: UInt32, tid: UInt32, eventMask: UInt32) { self.iop = iop; self.tid = tid; self.eventMask = eventMask }
        public init(_ b: [UInt8]) {
            let r = Reader(bytes: b, abi: .ilp32)
            iop = r.u32(0, 0); tid = r.u32(4, 4); eventMask = r.u32(8, 8)
        }
        public var encoded: [UInt8] { var w = Writer(.ilp32); w.u32(iop); w.u32(tid); w.u32(eventMask); return w.bytes }
    }

    /// The byte offsets of the pointer fields of `kind`'s struct for `abi`, and their width: what
    /// a trace relocates when a client's buffers move (docs/trace-format.md).
    public static func pointerOffsets(_ kind: IoctlCommand.Kind, _ abi: CallerABI) -> (offsets: [Int], width: Int) {
        let lp = abi == .lp64
        switch kind {
        case .hrtGet, .lctGet: return (lp ? [8, 16] : [4, 8], abi.pointerSize)
        case .parmGet, .parmSet: return (lp ? [8, 24, 32] : [8, 16, 20], abi.pointerSize)
        case .swDownload, .swUpload, .swDelete: return (lp ? [16, 24, 32, 40] : [12, 16, 20, 24], abi.pointerSize)
        case .html: return (lp ? [16, 24, 32] : [12, 16, 20], abi.pointerSize)
        case .passthru: return (lp ? [8] : [4], abi.pointerSize)
        case .passthru32: return ([4], 4)
        default: return ([], abi.pointerSize)
        }
    }
}
