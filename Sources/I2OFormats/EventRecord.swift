/// `struct i2o_evt_id` (12 bytes): iop, tid, evt_mask.
public struct EventID: Hashable, Sendable {
    public var iop: UInt32
    public var tid: UInt32
    public var eventMask: UInt32
    public init(iop: UInt32, tid: UInt32, eventMask: UInt32) {
        self.iop = iop; self.tid = tid; self.eventMask = eventMask
    }
    public static let byteCount = 12
    public func encoded() -> [UInt8] { [iop, tid, eventMask].littleEndianBytes }
    public static func decode(_ b: [UInt8]) throws(I2OFormatError) -> EventID {
        guard b.count >= byteCount else { throw .truncated(what: "i2o_evt_id", needed: byteCount, available: b.count) }
        return EventID(iop: b.readLE32(at: 0), tid: b.readLE32(at: 4), eventMask: b.readLE32(at: 8))
    }
}

/// `struct i2o_evt_info` (104 bytes): the id (whose evt_mask is the EventIndicator that fired),
/// 88 bytes of EventData and data_size.
public struct EventInfo: Hashable, Sendable {
    public var id: EventID
    /// The valid EventData bytes (at most 88).
    public var data: [UInt8]
    public init(id: EventID, data: [UInt8]) {
        self.id = id
        self.data = Array(data.prefix(Self.dataCapacity))
    }
    public static let dataCapacity = 88
    public static let byteCount = 104
    public func encoded() -> [UInt8] {
        var b = id.encoded()
        b.append(contentsOf: data)
        b.append(contentsOf: repeatElement(0, count: Self.dataCapacity - data.count))
        b.appendLE32(UInt32(data.count))
        return b
    }
    public static func decode(_ b: [UInt8]) throws(I2OFormatError) -> EventInfo {
        guard b.count >= byteCount else { throw .truncated(what: "i2o_evt_info", needed: byteCount, available: b.count) }
        let size = Int(b.readLE32(at: 100))
        guard size <= dataCapacity else { throw .invalid(what: "i2o_evt_info", reason: "data_size \(size) exceeds 88") }
        return EventInfo(id: try EventID.decode(b), data: Array(b[12..<12 + size]))
    }
}

/// `struct i2o_evt_get` (112 bytes): what I2OEVTGET writes.
public struct EventGet: Hashable, Sendable {
    public var info: EventInfo
    /// Events still queued after this one.
    public var pending: Int32
    /// Events dropped so far because the queue was full.
    public var lost: Int32
    public init(info: EventInfo, pending: Int32, lost: Int32) {
        self.info = info; self.pending = pending; self.lost = lost
    }
    public static let byteCount = 112
    public func encoded() -> [UInt8] {
        var b = info.encoded()
        b.appendLE32(UInt32(bitPattern: pending)); b.appendLE32(UInt32(bitPattern: lost))
        return b
    }
    public static func decode(_ b: [UInt8]) throws(I2OFormatError) -> EventGet {
        guard b.count >= byteCount else { throw .truncated(what: "i2o_evt_get", needed: byteCount, available: b.count) }
        return EventGet(info: try EventInfo.decode(b), pending: Int32(bitPattern: b.readLE32(at: 104)),
                        lost: Int32(bitPattern: b.readLE32(at: 108)))
    }
}
