import I2OFormats

// The preload protocol, version 1 (docs/preload-protocol.md). The C side's copy of these
// numbers is Sources/CPreload/preload-protocol.h.
//
// Frame: u32 LE length N (the bytes that follow, 4 ≤ N ≤ maxFrame), u32 LE type, N−4 bytes of body.

/// The protocol's constants and frame codec.
public enum PreloadProtocol {
    public static let version: UInt32 = 1
    /// The largest frame (type + body) either side accepts; a bigger length closes the connection.
    public static let maxFrame = 1 << 20

    /// Message types.
    public enum MessageType: UInt32, Sendable {
        // client → daemon
        case hello = 1, open = 2, attach = 3, ioctl = 4, data = 5, read = 6, write = 7, poll = 8, watch = 9
        // daemon → client
        case helloOK = 100, opened = 101, need = 102, store = 103, result = 104, readData = 105
        case pollStatus = 106, ready = 107, error = 108
    }

    /// `eager flags` of an IOCTL message.
    public static let eagerReadable: UInt32 = 1
    public static let eagerWritable: UInt32 = 2
    /// With `eagerReadable`: the client did not test the range's writability (`eagerWritable` means nothing).
    public static let eagerUnprobed: UInt32 = 4

    /// One encoded frame.
    public static func frame(_ type: MessageType, _ body: [UInt8] = []) -> [UInt8] {
        [UInt8](littleEndianCount: 8 + body.count) { w in
            w.frameHeader(type, bodyCount: body.count)
            w.copy(body[...])
        }
    }
}

extension LittleEndianWriter {
    /// A frame's header: the length of its type and body, then its type. The frames of the ioctl
    /// path (NEED; STOREs and RESULT) are written field by field into one array of their exact
    /// size (`[UInt8](littleEndianCount:)`): appending byte by byte cost more than the rest of the
    /// daemon's framing.
    mutating func frameHeader(_ type: PreloadProtocol.MessageType, bodyCount: Int) {
        u32(UInt32(4 + bodyCount))
        u32(type.rawValue)
    }
}

/// Why a connection was dropped: the one line the daemon logs.
public struct PreloadProtocolError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    // The protocol's fields by type, for the handshake and the rare frames (the ioctl path writes
    // through LittleEndianWriter).
    mutating func appendLE(_ v: UInt32) { appendLE32(v) }
    mutating func appendLE(_ v: UInt64) { appendLE64(v) }
    mutating func appendLE(_ v: Int32) { appendLE32(UInt32(bitPattern: v)) }
}

/// Reads little-endian fields from a message body; every read is bounds-checked.
struct BodyReader {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u32() throws(PreloadProtocolError) -> UInt32 {
        guard remaining >= 4 else { throw PreloadProtocolError("message body too short") }
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }
    mutating func u64() throws(PreloadProtocolError) -> UInt64 {
        let lo = try u32()
        let hi = try u32()
        return UInt64(lo) | UInt64(hi) << 32
    }
    mutating func take(_ n: Int) throws(PreloadProtocolError) -> [UInt8] { Array(try slice(n)) }
    /// The next `n` bytes where they lie (no copy).
    mutating func slice(_ n: Int) throws(PreloadProtocolError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw PreloadProtocolError("message body too short for \(n) bytes") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    func expectEnd(_ what: String) throws(PreloadProtocolError) {
        guard remaining == 0 else { throw PreloadProtocolError("\(what): \(remaining) unexpected trailing bytes") }
    }
}
