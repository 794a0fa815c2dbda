import I2OABI
import I2OFormats
import Posix
import Synchronization
import struct SystemPackage.FileDescriptor

#if canImport(Glibc)
import Glibc
#endif

/// What a control device answered instead of success: the ioctl and its errno.
public struct DeviceError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var errno: Errno
    public var description: String { "\(call) failed: \(errno)" }
}

/// The web front end's only way to the machine: the ioctls of a control device node (`/dev/i2o/ctl`)
/// through the C library, 64-bit layouts — under `i2osim run` the preload library takes them, under
/// CUSE the kernel does, and a real driver would. One open file, one ioctl at a time (its event
/// registrations live on that file).
public final class DeviceClient: Sendable {
    public let path: String
    let fd: FileDescriptor
    /// Serialises the ioctls (the events' queue and registrations belong to the one open file).
    private let lock = Mutex(())

    public init(path: String) throws(SystemError) {
        self.path = path
        do { fd = try FileDescriptor.open(path, .readWrite, options: .closeOnExec) } catch {
            throw SystemError(path: path, errno: error)
        }
    }

    deinit { fd.closeIgnoringErrors() }

    /// Zeroed memory the ioctl's pointers point into, freed at the end of `body`.
    private final class Buffers {
        var blocks: [UnsafeMutableRawPointer] = []
        func allocate(_ n: Int) -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 8), alignment: 8)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: max(n, 8))
            blocks.append(p)
            return p
        }
        func bytes(_ b: [UInt8]) -> UnsafeMutableRawPointer {
            let p = allocate(b.count)
            b.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            return p
        }
        deinit { for p in blocks { p.deallocate() } }
    }

    private static func addr(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }
    private static func put(_ p: UnsafeMutableRawPointer, _ b: [UInt8]) { b.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    private static func get32(_ p: UnsafeMutableRawPointer) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) }
    private static func put32(_ p: UnsafeMutableRawPointer, _ v: UInt32) { p.storeBytes(of: v.littleEndian, as: UInt32.self) }
    private static func read(_ p: UnsafeMutableRawPointer, _ n: Int) -> [UInt8] { Array(UnsafeRawBufferPointer(start: p, count: n)) }

    /// The ioctl's errno, nil on success.
    private func ioctl(_ number: UInt, _ arg: UnsafeMutableRawPointer) -> Int32? {
        do { _ = try fd.ioctl(number, arg); return nil } catch { return error.rawValue }
    }

    private func call(_ kind: IoctlCommand.Kind, _ arg: UnsafeMutableRawPointer) -> Errno? {
        lock.withLock { _ in ioctl(UInt(kind.number(.lp64)), arg) }.map { Errno(rawValue: $0) }
    }

    /// I2OGETIOPS: the units that have an IOP.
    public func iops() throws(DeviceError) -> [UInt32] {
        let b = Buffers(), p = b.allocate(32)
        if let e = call(.getIOPs, p) { throw DeviceError(call: "I2OGETIOPS", errno: e) }
        return Self.read(p, 32).enumerated().filter { $0.element != 0 }.map { UInt32($0.offset) }
    }

    /// A call with a result buffer and its length at `*reslen`, grown and tried again on ENOBUFS.
    private func sized(_ name: String, initial: Int, _ make: (Buffers, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> (IoctlCommand.Kind, UnsafeMutableRawPointer))
        throws(DeviceError) -> [UInt8] {
        var size = initial
        for _ in 0..<4 {
            let b = Buffers(), buf = b.allocate(size), len = b.allocate(4)
            Self.put32(len, UInt32(size))
            let (kind, arg) = make(b, buf, len)
            if let e = call(kind, arg) {
                if e == .ENOBUFS, Int(Self.get32(len)) > size { size = Int(Self.get32(len)); continue }
                throw DeviceError(call: name, errno: e)
            }
            return Self.read(buf, min(size, Int(Self.get32(len))))
        }
        throw DeviceError(call: name, errno: .ENOBUFS)
    }

    /// I2OHRTGET / I2OLCTGET: the table's bytes.
    public func table(lct: Bool, iop: UInt32) throws(DeviceError) -> [UInt8] {
        try sized(lct ? "I2OLCTGET" : "I2OHRTGET", initial: 4096) { b, buf, len in
            let s = b.bytes(IoctlStructs.HrtLct(iop: iop, resbuf: Self.addr(buf), reslen: Self.addr(len)).encoded(.lp64))
            return (lct ? .lctGet : .hrtGet, s)
        }
    }

    /// I2OPARMGET (`set` false) or I2OPARMSET: the result list for an operation list.
    public func params(set: Bool, iop: UInt32, tid: UInt32, operations: [UInt8]) throws(DeviceError) -> [UInt8] {
        // The IOP is given 64 KiB whatever *reslen says (docs/contract.md), so the buffer is that large.
        try sized(set ? "I2OPARMSET" : "I2OPARMGET", initial: 65536) { b, buf, len in
            let ops = b.bytes(operations)
            let s = b.bytes(IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: Self.addr(ops), oplen: UInt32(operations.count),
                                                 resbuf: Self.addr(buf), reslen: Self.addr(len)).encoded(.lp64))
            return (set ? .parmSet : .parmGet, s)
        }
    }

    /// I2OHTML: page `page` of `tid`, with `query` when it is not empty.
    public func html(iop: UInt32, tid: UInt32, page: UInt32, query: [UInt8]) throws(DeviceError) -> [UInt8] {
        try sized("I2OHTML", initial: 65536) { b, buf, len in
            let q = b.bytes(query)
            let s = b.bytes(IoctlStructs.HTML(iop: iop, tid: tid, page: page, resbuf: Self.addr(buf), reslen: Self.addr(len),
                                              qbuf: query.isEmpty ? 0 : Self.addr(q), qlen: UInt32(query.count)).encoded(.lp64))
            return (.html, s)
        }
    }

    /// I2OEVTREG: events of `mask` from (iop, tid) queue on this open file.
    public func registerEvents(iop: UInt32, tid: UInt32, mask: UInt32) throws(DeviceError) {
        let b = Buffers(), s = b.bytes(EventID(iop: iop, tid: tid, eventMask: mask).encoded())
        if let e = call(.eventRegister, s) { throw DeviceError(call: "I2OEVTREG", errno: e) }
    }

    /// I2OEVTGET: the next queued event, nil when none is queued (ENOENT).
    public func nextEvent() throws(DeviceError) -> (info: EventInfo, lost: Int32)? {
        let b = Buffers(), p = b.allocate(EventGet.byteCount)
        if let e = call(.eventGet, p) {
            if e == .ENOENT { return nil }
            throw DeviceError(call: "I2OEVTGET", errno: e)
        }
        guard let got = try? EventGet.decode(Self.read(p, EventGet.byteCount)) else { throw DeviceError(call: "I2OEVTGET", errno: .EINVAL) }
        return (got.info, got.lost)
    }
}
