import CPreloadProtocol
import I2OFormats

// The preload protocol, version 3 (docs/preload-protocol.md). Its numbers are defined once, in
// Sources/CPreload/preload-protocol.h, which the library includes and Swift imports (CPreloadProtocol).
//
// Frame: u32 LE length N (the bytes that follow, 4 ≤ N ≤ maxFrame), u32 LE type, N−4 bytes of body.

/// The protocol's constants and frame codec.
public enum PreloadProtocol {
    public static let version: UInt32 = I2OSIM_PROTOCOL_VERSION
    /// The largest frame (type + body) either side accepts; a bigger length closes the connection.
    public static let maxFrame = Int(I2OSIM_MAX_FRAME)

    /// Message types.
    public enum MessageType: RawRepresentable, Hashable, Sendable, CaseIterable {
        // client → daemon
        case hello, open, attach, ioctl, data, read, write, poll, watch, async
        // daemon → client
        case helloOK, opened, need, store, result, readData, pollStatus, ready, error, asyncState, storeUnchecked

        public init?(rawValue: UInt32) {
            switch rawValue {
            case MSG_HELLO: self = .hello
            case MSG_OPEN: self = .open
            case MSG_ATTACH: self = .attach
            case MSG_IOCTL: self = .ioctl
            case MSG_DATA: self = .data
            case MSG_READ: self = .read
            case MSG_WRITE: self = .write
            case MSG_POLL: self = .poll
            case MSG_WATCH: self = .watch
            case MSG_ASYNC: self = .async
            case MSG_HELLO_OK: self = .helloOK
            case MSG_OPENED: self = .opened
            case MSG_NEED: self = .need
            case MSG_STORE: self = .store
            case MSG_RESULT: self = .result
            case MSG_READ_DATA: self = .readData
            case MSG_POLL_STATUS: self = .pollStatus
            case MSG_READY: self = .ready
            case MSG_ERROR: self = .error
            case MSG_ASYNC_STATE: self = .asyncState
            case MSG_STORE_UNCHECKED: self = .storeUnchecked
            default: return nil
            }
        }

        public var rawValue: UInt32 {
            switch self {
            case .hello: MSG_HELLO
            case .open: MSG_OPEN
            case .attach: MSG_ATTACH
            case .ioctl: MSG_IOCTL
            case .data: MSG_DATA
            case .read: MSG_READ
            case .write: MSG_WRITE
            case .poll: MSG_POLL
            case .watch: MSG_WATCH
            case .async: MSG_ASYNC
            case .helloOK: MSG_HELLO_OK
            case .opened: MSG_OPENED
            case .need: MSG_NEED
            case .store: MSG_STORE
            case .result: MSG_RESULT
            case .readData: MSG_READ_DATA
            case .pollStatus: MSG_POLL_STATUS
            case .ready: MSG_READY
            case .error: MSG_ERROR
            case .asyncState: MSG_ASYNC_STATE
            case .storeUnchecked: MSG_STORE_UNCHECKED
            }
        }
    }

    /// `eager flags` of an IOCTL message.
    public static let eagerReadable: UInt32 = EAGER_READABLE
    public static let eagerWritable: UInt32 = EAGER_WRITABLE
    /// With `eagerReadable`: the client did not test the range's writability (`eagerWritable` means nothing).
    public static let eagerUnprobed: UInt32 = EAGER_UNPROBED

    /// `set` bits of an ASYNC message.
    public static let asyncSetFlag: UInt32 = ASYNC_SET_FLAG
    public static let asyncByFIOASYNC: UInt32 = ASYNC_BY_FIOASYNC
    public static let asyncSetOwner: UInt32 = ASYNC_SET_OWNER
    public static let asyncSetSignal: UInt32 = ASYNC_SET_SIGNAL

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
