import I2OABI
import I2ODevice
import I2OFormats

// The records of a request trace (docs/trace-format.md): one per request the engine answered,
// written as one JSON line each by `Trace.TraceWriter`. Every number that is an address, an
// ioctl number or a frame word is a hex string ("0x…"), byte strings are plain lowercase hex.

/// One byte range of the caller's memory touched in a fetch round.
public struct TraceRange: Codable, Sendable, Hashable {
    /// The address, hex.
    public var addr: String
    public var count: Int
    /// For a read range: the bytes the caller's memory gave (hex), nil when the range faulted.
    /// Absent for write reservations.
    public var bytes: String?
    /// True when the range faulted (read: no bytes).
    public var fault: Bool?

    public init(addr: String, count: Int, bytes: String? = nil, fault: Bool? = nil) {
        self.addr = addr; self.count = count; self.bytes = bytes; self.fault = fault
    }
    public var address: UInt64 { traceParseHex(addr) ?? 0 }
}

/// One `UserMemory.fetch`: the ranges read and the ranges reserved for writing.
public struct TraceRound: Codable, Sendable, Hashable {
    public var reads: [TraceRange]
    public var writes: [TraceRange]
    /// True when the memory could not answer now (`NeedsRound`): for CUSE a retry follows, for
    /// the preload transport the ioctl ends with EFAULT (a refused write reservation).
    public var needsRound: Bool?
    public init(reads: [TraceRange], writes: [TraceRange], needsRound: Bool? = nil) {
        self.reads = reads; self.writes = writes; self.needsRound = needsRound
    }
}

/// One `UserMemory.store`.
public struct TraceStore: Codable, Sendable, Hashable {
    public var addr: String
    public var bytes: String
    /// False when the store faulted.
    public var ok: Bool
    public init(addr: String, bytes: String, ok: Bool) { self.addr = addr; self.bytes = bytes; self.ok = ok }
    public var address: UInt64 { traceParseHex(addr) ?? 0 }
}

/// One frame posted to an IOP and its reply (nil: no reply now).
public struct TraceFrame: Codable, Sendable, Hashable {
    public var iop: UInt32
    public var function: String
    public var request: [String]
    public var reply: [String]?
    public init(iop: UInt32, request: MessageFrame, reply: MessageFrame?) {
        self.iop = iop
        function = "\(request.function)"
        self.request = request.words.map { hex($0, width: 8) }
        self.reply = reply?.words.map { hex($0, width: 8) }
    }
}

/// One decoded struct field of an ioctl's argument (in struct order).
public struct TraceField: Codable, Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

/// One request: `open`, `release`, `ioctl`, `read` or `write` on the device.
public struct TraceRecord: Codable, Sendable, Hashable {
    /// Sequence number in the trace, from 1.
    public var seq: Int
    /// Seconds since the Unix epoch when the request arrived.
    public var time: Double
    /// The calling process when the transport knows it.
    public var pid: Int32?
    /// The engine's open-file id.
    public var file: UInt64
    /// open, release, ioctl, read, write.
    public var op: String
    /// The ioctl's macro name, or "unknown".
    public var ioctl: String?
    /// The ioctl number, hex.
    public var cmd: String?
    /// lp64 or ilp32.
    public var abi: String?
    /// The ioctl argument (a pointer, or VALIDATE's value), hex.
    public var arg: String?
    /// The argument struct, decoded by field.
    public var args: [TraceField]?
    public var rounds: [TraceRound]?
    public var stores: [TraceStore]?
    public var frames: [TraceFrame]?
    /// read: the capacity asked for; write: the byte count.
    public var count: Int?
    /// read: the bytes given (hex).
    public var data: String?
    /// The value returned (−1 with an errno); nil when the request ended in `needsRound`,
    /// or for open/release, and for a read that would block.
    public var result: Int32?
    /// The errno's name (EIO…), or EAGAIN for a read that would block.
    public var errno: String?
    public var errnoValue: Int32?
    /// True when the request stopped at a fetch the memory could not answer (see `TraceRound`).
    public var needsRound: Bool?
    /// Faults injected into this request (fault rules that fired), as "rule N: action".
    public var injected: [String]?
    /// After the request: the open files with events queued, as [file, count] pairs (lets a
    /// replay answer poll() as the recording's device did).
    public var queued: [[UInt64]]?
    /// "cuse" when written by the CUSE transport: a `needsRound` request there is either retried
    /// (the next record of the file repeats it) or failed by the kernel with EFAULT.
    public var transport: String?
    /// Time taken, microseconds.
    public var micros: Int

    public init(seq: Int = 0, time: Double, pid: Int32?, file: UInt64, op: String, micros: Int = 0) {
        self.seq = seq; self.time = time; self.pid = pid; self.file = file; self.op = op; self.micros = micros
    }

    /// The outcome as an `IoctlResult`, nil when none was given.
    public var ioctlResult: IoctlResult? {
        if let errnoValue, result == -1 { return .error(Errno(rawValue: errnoValue)) }
        if let result { return .value(result) }
        return nil
    }

    mutating func setResult(_ r: IoctlResult) {
        switch r {
        case let .value(v): result = v; errno = nil; errnoValue = nil
        case let .error(e): result = -1; errno = e.description; errnoValue = e.rawValue
        }
    }
}

/// Lowercase hex of bytes (no separators).
public func traceHex(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes of a plain hex string; nil when it is not one.
public func traceBytes(_ s: String) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    func nib(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
    var out = [UInt8](); out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let h = nib(u[i]), let l = nib(u[i + 1]) else { return nil }
        out.append(h << 4 | l)
        i += 2
    }
    return out
}

/// The value of "0x…" (or decimal) text.
public func traceParseHex(_ s: String) -> UInt64? {
    if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
    return UInt64(s)
}
