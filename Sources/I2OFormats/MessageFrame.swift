/// MsgFlags (word 0, bits 8–15).
public struct MessageFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let staticFrame = MessageFlags(rawValue: 0x01)
    public static let contexts64 = MessageFlags(rawValue: 0x02)
    public static let multiple = MessageFlags(rawValue: 0x10)
    /// A transport failure reply.
    public static let fail = MessageFlags(rawValue: 0x20)
    public static let lastReply = MessageFlags(rawValue: 0x40)
    public static let reply = MessageFlags(rawValue: 0x80)
}

/// I2O message version (word 0, bits 0–2).
public enum MessageVersion: UInt8, Sendable {
    case v1_0 = 0, v1_5 = 1, v2_0 = 2
}

/// An I2O message frame (request or reply): a sequence of 32-bit little-endian words whose
/// header (words 0–3) is laid out as docs/i2o-formats.md §Header says.
///
/// The frame is exactly `messageSize` words long once decoded; the accessors never trap on a
/// short frame (missing words read as 0).
public struct MessageFrame: Hashable, Sendable, CustomStringConvertible {
    public var words: [UInt32]

    /// The smallest frame: the header without payload (words 0–3).
    public static let headerWords = 4

    public init(words: [UInt32]) { self.words = words }

    /// A request with the given header and payload; MessageSize is set from the word count.
    public init(
        function: I2OFunction, target: TID, initiator: TID = .host, initiatorContext: UInt32 = 0,
        transactionContext: UInt32 = 0, sglOffset: WordCount = 0, flags: MessageFlags = [],
        version: MessageVersion = .v1_5, payload: [UInt32] = []
    ) {
        self.init(function: function, target: target, initiator: initiator, initiatorContext: initiatorContext,
                  transactionContext: transactionContext, sglOffset: sglOffset, flags: flags, version: version,
                  payloadCount: payload.count) { $0.append(contentsOf: payload) }
    }

    /// A request whose `payloadCount` payload words `fill` appends (the frame's one array is
    /// made once: no payload array to copy). MessageSize is set from the words appended.
    public init(
        function: I2OFunction, target: TID, initiator: TID = .host, initiatorContext: UInt32 = 0,
        transactionContext: UInt32 = 0, sglOffset: WordCount = 0, flags: MessageFlags = [],
        version: MessageVersion = .v1_5, payloadCount: Int, fill: (inout [UInt32]) -> Void
    ) {
        var w = [UInt32](); w.reserveCapacity(4 + payloadCount)
        w.append(UInt32(flags.rawValue) << 8 | UInt32(sglOffset.rawValue & 0xF) << 4 | UInt32(version.rawValue))
        w.append(UInt32(function.rawValue) << 24 | UInt32(initiator.rawValue & 0xFFF) << 12 | UInt32(target.rawValue & 0xFFF))
        w.append(initiatorContext); w.append(transactionContext)
        fill(&w)
        w[0] |= UInt32(UInt16(truncatingIfNeeded: w.count)) << 16
        words = w
    }

    public subscript(word i: Int) -> UInt32 {
        get { i < words.count ? words[i] : 0 }
        set {
            if i >= words.count { words.append(contentsOf: repeatElement(0, count: i + 1 - words.count)) }
            words[i] = newValue
        }
    }

    public var version: MessageVersion {
        get { MessageVersion(rawValue: UInt8(self[word: 0] & 0x7)) ?? .v1_0 }
        set { self[word: 0] = self[word: 0] & ~0x7 | UInt32(newValue.rawValue) }
    }
    /// Offset of the SGL in words from the frame start (0 = none).
    public var sglOffset: WordCount {
        get { WordCount(rawValue: Int(self[word: 0] >> 4 & 0xF)) }
        set { self[word: 0] = self[word: 0] & ~0xF0 | UInt32(newValue.rawValue & 0xF) << 4 }
    }
    public var flags: MessageFlags {
        get { MessageFlags(rawValue: UInt8(truncatingIfNeeded: self[word: 0] >> 8)) }
        set { self[word: 0] = self[word: 0] & ~0xFF00 | UInt32(newValue.rawValue) << 8 }
    }
    /// MessageSize in words (word 0, bits 16–31).
    public var messageSize: WordCount {
        get { WordCount(rawValue: Int(self[word: 0] >> 16)) }
        set { self[word: 0] = self[word: 0] & 0xFFFF | UInt32(UInt16(truncatingIfNeeded: newValue.rawValue)) << 16 }
    }
    public var target: TID {
        get { TID(rawValue: UInt16(truncatingIfNeeded: self[word: 1])) }
        set { self[word: 1] = self[word: 1] & ~0xFFF | UInt32(newValue.rawValue) }
    }
    public var initiator: TID {
        get { TID(rawValue: UInt16(truncatingIfNeeded: self[word: 1] >> 12)) }
        set { self[word: 1] = self[word: 1] & ~0xFFF000 | UInt32(newValue.rawValue) << 12 }
    }
    public var function: I2OFunction {
        get { I2OFunction(rawValue: UInt8(self[word: 1] >> 24)) }
        set { self[word: 1] = self[word: 1] & 0xFFFFFF | UInt32(newValue.rawValue) << 24 }
    }
    public var initiatorContext: UInt32 {
        get { self[word: 2] }
        set { self[word: 2] = newValue }
    }
    public var transactionContext: UInt32 {
        get { self[word: 3] }
        set { self[word: 3] = newValue }
    }
    public var isReply: Bool { flags.contains(.reply) }

    // MARK: Replies (single-transaction reply: word 4 = ReqStatus << 24 | DetailedStatus)

    /// The reply a device gives to `request`: same function, addresses and contexts, the REPLY
    /// flag, word 4 carrying the status, then `payload`.
    public static func reply(
        to request: MessageFrame, status: ReqStatus = .success, detail: DetailedStatus = .success,
        payload: [UInt32] = []
    ) -> MessageFrame {
        // Built in one allocation: replies are the model's hot path.
        var w = [UInt32](); w.reserveCapacity(5 + payload.count)
        let size = UInt32(UInt16(truncatingIfNeeded: 5 + payload.count))
        w.append(size << 16 | UInt32(MessageFlags.reply.rawValue) << 8 | UInt32(request.version.rawValue))
        w.append(UInt32(request.function.rawValue) << 24 | UInt32(request.initiator.rawValue & 0xFFF) << 12
                 | UInt32(request.target.rawValue & 0xFFF))
        w.append(request.initiatorContext); w.append(request.transactionContext)
        w.append(UInt32(status.rawValue) << 24 | UInt32(detail.rawValue))
        w.append(contentsOf: payload)
        return MessageFrame(words: w)
    }
    /// A successful reply whose one payload word (word 5) is `word` — the TransferCount most
    /// replies carry. (No array for the payload: replies are the model's hot path.)
    public static func reply(to request: MessageFrame, word: UInt32) -> MessageFrame {
        var w = [UInt32](); w.reserveCapacity(6)
        w.append(6 << 16 | UInt32(MessageFlags.reply.rawValue) << 8 | UInt32(request.version.rawValue))
        w.append(UInt32(request.function.rawValue) << 24 | UInt32(request.initiator.rawValue & 0xFFF) << 12
                 | UInt32(request.target.rawValue & 0xFFF))
        w.append(request.initiatorContext); w.append(request.transactionContext)
        w.append(0)
        w.append(word)
        return MessageFrame(words: w)
    }
    public var reqStatus: ReqStatus { ReqStatus(rawValue: UInt8(self[word: 4] >> 24)) }
    public var detailedStatus: DetailedStatus { DetailedStatus(rawValue: UInt16(truncatingIfNeeded: self[word: 4])) }

    // MARK: Bytes

    public func encoded() -> [UInt8] { words.littleEndianBytes }

    /// Decodes a frame from `bytes`, which must hold at least the MessageSize its word 0 declares.
    /// Extra bytes after the frame are ignored (as an IOP ignores the rest of an inbound frame).
    public static func decode(_ bytes: [UInt8]) throws(I2OFormatError) -> MessageFrame {
        guard bytes.count >= 4 else { throw .truncated(what: "message frame", needed: 4, available: bytes.count) }
        let size = Int(bytes.readLE32(at: 0) >> 16)
        guard size >= 3 else {
            throw .invalid(what: "message frame", reason: "MessageSize \(size) words is smaller than the 3-word minimum header")
        }
        guard bytes.count >= size * 4 else {
            throw .truncated(what: "message frame of \(size) words", needed: size * 4, available: bytes.count)
        }
        let frame = MessageFrame(words: try Array(bytes[0..<size * 4]).littleEndianWords(what: "message frame"))
        if frame.sglOffset.rawValue != 0 && frame.sglOffset.rawValue >= size {
            throw .invalid(what: "message frame", reason: "SGL offset \(frame.sglOffset.rawValue) is not inside the \(size)-word frame")
        }
        return frame
    }

    public var description: String {
        "\(function)(\(isReply ? "reply " : "")target \(target), \(messageSize.rawValue) words)"
    }
}
