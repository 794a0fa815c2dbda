// The random block storage class (BSA): its request fields and its replies (docs/block-storage.md
// §Messages). Function codes are `I2OFunction.bsa…`.

/// A block storage reply's DetailedStatusCode (word 4, bits 0–15; `I2O_BSA_DSC_*`). The numbers
/// overlap the executive's DetailedStatus (0x0002 is BAD_KEY there, ACCESS_ERROR here), so they
/// have a type of their own.
public struct BsaStatus: NamedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let names: [UInt16: String] = [
        0x00: "SUCCESS", 0x01: "MEDIA_ERROR", 0x02: "ACCESS_ERROR", 0x03: "DEVICE_FAILURE", 0x04: "DEVICE_NOT_READY",
        0x05: "MEDIA_NOT_PRESENT", 0x06: "MEDIA_LOCKED", 0x07: "MEDIA_FAILURE", 0x08: "PROTOCOL_FAILURE",
        0x09: "BUS_FAILURE", 0x0A: "ACCESS_VIOLATION", 0x0B: "WRITE_PROTECTED", 0x0C: "DEVICE_RESET",
        0x0D: "VOLUME_CHANGED", 0x0E: "TIMEOUT",
    ]
    public static let hexDigits = 4

    public static let success = Self(rawValue: 0x00)
    public static let mediaError = Self(rawValue: 0x01)
    public static let accessError = Self(rawValue: 0x02)
    public static let deviceFailure = Self(rawValue: 0x03)
    public static let deviceNotReady = Self(rawValue: 0x04)
    public static let mediaNotPresent = Self(rawValue: 0x05)
    public static let mediaLocked = Self(rawValue: 0x06)
    public static let mediaFailure = Self(rawValue: 0x07)
    public static let protocolFailure = Self(rawValue: 0x08)
    public static let accessViolation = Self(rawValue: 0x0A)
    public static let writeProtected = Self(rawValue: 0x0B)
    public static let deviceReset = Self(rawValue: 0x0C)

    /// The same code as a reply's DetailedStatus word.
    public var detailed: DetailedStatus { DetailedStatus(rawValue: rawValue) }
}

/// The transfer fields of BsaBlockRead, BsaBlockWrite, BsaBlockWriteVerify, BsaMediaVerify and
/// BsaBlockReassign (words 4–7): control flags, time multiplier, byte count, 64-bit byte address.
/// Linux's i2o_block sends these with the SGL at word 8.
public struct BsaTransfer: Hashable, Sendable {
    /// ControlFlags (word 4 bits 0–15): for a read 0x0008 prefetch…, for a write 0x0008 write-through,
    /// 0x0010 write-to (write-back); 0x0080 asks for progress reports.
    public var controlFlags: UInt16
    public var timeMultiplier: UInt8
    public var byteCount: UInt32
    public var byteAddress: UInt64

    public init(controlFlags: UInt16 = 0, timeMultiplier: UInt8 = 0, byteCount: UInt32, byteAddress: UInt64) {
        self.controlFlags = controlFlags; self.timeMultiplier = timeMultiplier
        self.byteCount = byteCount; self.byteAddress = byteAddress
    }

    /// The fields of `frame`, which must carry words 4–7.
    public init(_ frame: MessageFrame) throws(I2OFormatError) {
        guard frame.words.count >= 8, frame.messageSize.rawValue >= 8 else {
            throw .truncated(what: "block storage request", needed: 32, available: Int(frame.messageSize.rawValue) * 4)
        }
        let w4 = frame[word: 4]
        controlFlags = UInt16(truncatingIfNeeded: w4)
        timeMultiplier = UInt8(truncatingIfNeeded: w4 >> 16)
        byteCount = frame[word: 5]
        byteAddress = UInt64(frame[word: 6]) | UInt64(frame[word: 7]) << 32
    }

    /// Words 4–7.
    public var words: [UInt32] {
        [UInt32(controlFlags) | UInt32(timeMultiplier) << 16, byteCount,
         UInt32(truncatingIfNeeded: byteAddress), UInt32(truncatingIfNeeded: byteAddress >> 32)]
    }
}

extension MessageFrame {
    /// A block storage reply: word 4 = ReqStatus | RetryCount 0 | the BSA DetailedStatus, word 5 =
    /// TransferCount (bytes moved); an error reply that names where it failed adds the 64-bit
    /// LogicalByteAddress (words 6–7).
    public static func bsaReply(to request: MessageFrame, status: ReqStatus = .success, detail: BsaStatus = .success,
                                transferred: UInt32, failedAt: UInt64? = nil) -> MessageFrame {
        // The common answer, success with its count, in one allocation (replies are the hot path).
        if status == .success && detail == .success && failedAt == nil { return reply(to: request, word: transferred) }
        var payload = [transferred]
        if let at = failedAt { payload += [UInt32(truncatingIfNeeded: at), UInt32(truncatingIfNeeded: at >> 32)] }
        return reply(to: request, status: status, detail: detail.detailed, payload: payload)
    }
}
