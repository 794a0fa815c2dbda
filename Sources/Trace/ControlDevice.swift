import I2OABI
import I2ODevice
import I2OFormats
import IoctlEngine
import Posix
import struct SystemPackage.FileDescriptor

#if canImport(Glibc)
import Glibc
#endif

/// The ioctls `record` uses, on some control device.
public protocol ControlDevice {
    func getIOPs() -> Result<[UInt8], Errno>
    /// HRTGET (`lct` false) or LCTGET: the table's bytes.
    func table(lct: Bool, iop: UInt32) -> Result<[UInt8], Errno>
    /// PARMGET: the result list.
    func paramsGet(iop: UInt32, tid: UInt32, operations: [UInt8]) -> Result<[UInt8], Errno>
    /// SWUL of fragment `fragment` (1-based): its bytes, the module's size and fragment count.
    func swUpload(iop: UInt32, swType: UInt8, swID: UInt32, fragment: UInt32) -> Result<(bytes: [UInt8], size: Int, fragments: Int), Errno>
    /// HTML: the page's bytes.
    func html(iop: UInt32, tid: UInt32, page: UInt32, query: [UInt8]) -> Result<[UInt8], Errno>
    /// PASSTHRU of `words` with one IOP→host SGL buffer of `bufferBytes` appended: the reply words.
    func passthru(iop: UInt32, words: [UInt32], bufferBytes: Int) -> Result<[UInt32], Errno>
}

/// A control device node opened by path; the ioctls go through the C library (so the preload
/// library sees them when it is loaded). 64-bit layouts: `record` runs as a 64-bit process.
public final class KernelControlDevice: ControlDevice {
    public let path: String
    let fd: FileDescriptor

    public init(path: String) throws(TraceError) {
        self.path = path
        do { fd = try FileDescriptor.open(path, .readWrite, options: .closeOnExec) } catch {
            throw TraceError(SystemError(path: path, errno: error).description)
        }
    }

    deinit { fd.closeIgnoringErrors() }

    /// Memory below 4 GiB (PASSTHRU's SGL addresses are 32 bits), freed with the arena.
    final class Arena {
        var maps: [(UnsafeMutableRawPointer, Int)] = []
        func allocate(_ n: Int) -> UnsafeMutableRawPointer? {
            let size = max(4096, (n + 4095) & ~4095)
            let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0)
            guard let p, p != MAP_FAILED else { return nil }
            maps.append((p, size))
            return p
        }
        func bytes(_ b: [UInt8], extra: Int = 0) -> UnsafeMutableRawPointer? {
            guard let p = allocate(b.count + extra) else { return nil }
            b.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            return p
        }
        deinit { for (p, n) in maps { munmap(p, n) } }
    }

    static func put32(_ p: UnsafeMutableRawPointer, _ off: Int, _ v: UInt32) { p.storeBytes(of: v.littleEndian, toByteOffset: off, as: UInt32.self) }
    /// Writes an encoded struct at `p`.
    static func put(_ p: UnsafeMutableRawPointer, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
    static func get32(_ p: UnsafeMutableRawPointer, _ off: Int = 0) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: off, as: UInt32.self)) }
    static func addr(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }
    static func read(_ p: UnsafeMutableRawPointer, _ n: Int) -> [UInt8] { Array(UnsafeRawBufferPointer(start: p, count: n)) }

    func call(_ kind: IoctlCommand.Kind, _ arg: UnsafeMutableRawPointer) -> Errno? {
        do { _ = try fd.ioctl(UInt(kind.number(.lp64)), arg) } catch { return Errno(rawValue: error.rawValue) }
        return nil
    }

    public func getIOPs() -> Result<[UInt8], Errno> {
        let a = Arena()
        guard let p = a.allocate(32) else { return .failure(.ENOMEM) }
        if let e = call(.getIOPs, p) { return .failure(e) }
        return .success(Self.read(p, 32))
    }

    /// A call of an ioctl that answers ENOBUFS with the length it needs in `*reslen`: tried with
    /// `size` bytes, then with what it asked for, at most `tries` times. `prepare` places the
    /// struct, the result buffer and `*reslen` (set here to `size`) in the arena; the result's bytes.
    private func growing(_ kind: IoctlCommand.Kind, from size: Int, tries: Int,
                         _ prepare: (Arena, Int) -> (arg: UnsafeMutableRawPointer, buf: UnsafeMutableRawPointer, len: UnsafeMutableRawPointer)?)
        -> Result<[UInt8], Errno> {
        var size = size
        for _ in 0..<tries {
            let a = Arena()
            guard let (s, buf, len) = prepare(a, size) else { return .failure(.ENOMEM) }
            Self.put32(len, 0, UInt32(size))
            if let e = call(kind, s) {
                if e == .ENOBUFS { size = Int(Self.get32(len)); continue }
                return .failure(e)
            }
            return .success(Self.read(buf, min(size, Int(Self.get32(len)))))
        }
        return .failure(.ENOBUFS)
    }

    public func table(lct: Bool, iop: UInt32) -> Result<[UInt8], Errno> {
        growing(lct ? .lctGet : .hrtGet, from: 4096, tries: 8) { a, size in
            guard let s = a.allocate(24), let buf = a.allocate(size), let len = a.allocate(4) else { return nil }
            Self.put(s, IoctlStructs.HrtLct(iop: iop, resbuf: Self.addr(buf), reslen: Self.addr(len)).encoded(.lp64))
            return (s, buf, len)
        }
    }

    public func paramsGet(iop: UInt32, tid: UInt32, operations: [UInt8]) -> Result<[UInt8], Errno> {
        growing(.parmGet, from: 65536, tries: 4) { a, size in
            // i2osim reserves 64 KiB at resbuf whatever *reslen says (the buffer the IOP gets).
            guard let s = a.allocate(40), let ops = a.bytes(operations), let buf = a.allocate(max(size, 65536)), let len = a.allocate(4)
            else { return nil }
            Self.put(s, IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: Self.addr(ops), oplen: UInt32(operations.count),
                                             resbuf: Self.addr(buf), reslen: Self.addr(len)).encoded(.lp64))
            return (s, buf, len)
        }
    }

    public func swUpload(iop: UInt32, swType: UInt8, swID: UInt32, fragment: UInt32) -> Result<(bytes: [UInt8], size: Int, fragments: Int), Errno> {
        let a = Arena()
        let fragmentBytes = 8192
        guard let s = a.allocate(48), let buf = a.allocate(fragmentBytes), let sw = a.allocate(12) else { return .failure(.ENOMEM) }
        Self.put(s, IoctlStructs.SwXfer(iop: iop, flags: 0, swType: swType, swID: swID, buf: Self.addr(buf), swlen: Self.addr(sw),
                                        maxfrag: Self.addr(sw) + 4, curfrag: Self.addr(sw) + 8).encoded(.lp64))
        Self.put32(sw, 0, 0); Self.put32(sw, 4, 0); Self.put32(sw, 8, fragment)
        if let e = call(.swUpload, s) { return .failure(e) }
        let size = Int(Self.get32(sw, 0)), frags = Int(Self.get32(sw, 4))
        let length = max(0, min(fragmentBytes, size - (Int(fragment) - 1) * fragmentBytes))
        return .success((Self.read(buf, length), size, frags))
    }

    public func html(iop: UInt32, tid: UInt32, page: UInt32, query: [UInt8]) -> Result<[UInt8], Errno> {
        growing(.html, from: 16384, tries: 4) { a, size in
            guard let s = a.allocate(48), let buf = a.allocate(size), let len = a.allocate(4), let q = a.bytes(query) else { return nil }
            Self.put(s, IoctlStructs.HTML(iop: iop, tid: tid, page: page, resbuf: Self.addr(buf), reslen: Self.addr(len),
                                          qbuf: query.isEmpty ? 0 : Self.addr(q), qlen: UInt32(query.count)).encoded(.lp64))
            return (s, buf, len)
        }
    }

    public func passthru(iop: UInt32, words: [UInt32], bufferBytes: Int) -> Result<[UInt32], Errno> {
        passthru(iop: iop, words: words, bufferBytes: bufferBytes, sglStart: words.count)
    }

    func passthru(iop: UInt32, words: [UInt32], bufferBytes: Int, sglStart: Int) -> Result<[UInt32], Errno> {
        let a = Arena()
        guard let data = a.allocate(bufferBytes), let s = a.allocate(16) else { return .failure(.ENOMEM) }
        var frame = words
        frame += [SGLFlags.simpleLastIn.word(count: bufferBytes), UInt32(truncatingIfNeeded: Self.addr(data))]
        // word 0: MessageSize in the high half, the SGL offset (where it starts) in bits 4-7.
        frame[0] = (frame[0] & 0x0000_FF0F) | UInt32(frame.count) << 16 | UInt32(sglStart) << 4
        var bytes: [UInt8] = []
        for w in frame { bytes.appendLE32(w) }
        var reply = [UInt8](repeating: 0, count: 128 * 4)
        reply[2] = 128   // the reply area's capacity: 128 words (MessageSize of word 0)
        guard let msg = a.bytes(bytes + reply) else { return .failure(.ENOMEM) }
        Self.put(s, IoctlStructs.Passthru(iop: iop, msg: Self.addr(msg)).encoded(.passthru, .lp64))
        if let e = call(.passthru, s) { return .failure(e) }
        let at = msg + bytes.count
        let n = min(128, Int(Self.get32(at) >> 16))
        return .success((0..<n).map { Self.get32(at, $0 * 4) })
    }
}

/// A `ControlDevice` that logs every call and its result (hex), one line each: `record --dump`
/// (two machines that give the same dump answer record's ioctls alike).
public final class DumpingControlDevice: ControlDevice {
    let base: any ControlDevice
    public private(set) var lines: [String] = []
    public init(_ base: any ControlDevice) { self.base = base }

    func log<T>(_ what: String, _ r: Result<T, Errno>, _ show: (T) -> String) -> Result<T, Errno> {
        switch r {
        case let .success(v): lines.append("\(what) = \(show(v))")
        case let .failure(e): lines.append("\(what) = \(e)")
        }
        return r
    }

    public func getIOPs() -> Result<[UInt8], Errno> { log("GETIOPS", base.getIOPs(), traceHex) }
    public func table(lct: Bool, iop: UInt32) -> Result<[UInt8], Errno> {
        log("\(lct ? "LCTGET" : "HRTGET") iop \(iop)", base.table(lct: lct, iop: iop), traceHex)
    }
    public func paramsGet(iop: UInt32, tid: UInt32, operations: [UInt8]) -> Result<[UInt8], Errno> {
        log("PARMGET iop \(iop) tid \(tid) ops \(traceHex(operations))", base.paramsGet(iop: iop, tid: tid, operations: operations), traceHex)
    }
    public func swUpload(iop: UInt32, swType: UInt8, swID: UInt32, fragment: UInt32) -> Result<(bytes: [UInt8], size: Int, fragments: Int), Errno> {
        log("SWUL iop \(iop) type \(swType) id \(swID) frag \(fragment)", base.swUpload(iop: iop, swType: swType, swID: swID, fragment: fragment)) {
            "size \($0.size) frags \($0.fragments) \(traceHex($0.bytes))"
        }
    }
    public func html(iop: UInt32, tid: UInt32, page: UInt32, query: [UInt8]) -> Result<[UInt8], Errno> {
        log("HTML iop \(iop) tid \(tid) page \(page)", base.html(iop: iop, tid: tid, page: page, query: query), traceHex)
    }
    public func passthru(iop: UInt32, words: [UInt32], bufferBytes: Int) -> Result<[UInt32], Errno> {
        log("PASSTHRU iop \(iop)", base.passthru(iop: iop, words: words, bufferBytes: bufferBytes)) { $0.map { hex($0) }.joined(separator: " ") }
    }
    func passthruOps(iop: UInt32, words: [UInt32], operations: [UInt8]) -> Result<[UInt32], Errno> {
        log("PASSTHRU iop \(iop) ops \(traceHex(operations))", base.passthruWithOps(iop: iop, words: words, operations: operations)) {
            $0.map { hex($0) }.joined(separator: " ")
        }
    }
}
