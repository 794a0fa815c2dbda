/// The ReqStatus byte of a reply (word 4, bits 24–31; the kernel's `I2O_REPLY_STATUS_*`).
public struct ReqStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let success = ReqStatus(rawValue: 0x00)
    public static let abortDirty = ReqStatus(rawValue: 0x01)
    public static let abortNoDataTransfer = ReqStatus(rawValue: 0x02)
    public static let abortPartialTransfer = ReqStatus(rawValue: 0x03)
    public static let errorDirty = ReqStatus(rawValue: 0x04)
    public static let errorNoDataTransfer = ReqStatus(rawValue: 0x05)
    public static let errorPartialTransfer = ReqStatus(rawValue: 0x06)
    public static let processAbortDirty = ReqStatus(rawValue: 0x08)
    public static let processAbortNoDataTransfer = ReqStatus(rawValue: 0x09)
    public static let processAbortPartialTransfer = ReqStatus(rawValue: 0x0A)
    public static let transactionError = ReqStatus(rawValue: 0x0B)
    public static let progressReport = ReqStatus(rawValue: 0x80)

    static let names: [UInt8: String] = [
        0x00: "SUCCESS", 0x01: "ABORT_DIRTY", 0x02: "ABORT_NO_DATA_TRANSFER", 0x03: "ABORT_PARTIAL_TRANSFER",
        0x04: "ERROR_DIRTY", 0x05: "ERROR_NO_DATA_TRANSFER", 0x06: "ERROR_PARTIAL_TRANSFER",
        0x08: "PROCESS_ABORT_DIRTY", 0x09: "PROCESS_ABORT_NO_DATA_TRANSFER",
        0x0A: "PROCESS_ABORT_PARTIAL_TRANSFER", 0x0B: "TRANSACTION_ERROR", 0x80: "PROGRESS_REPORT",
    ]
    public var name: String? { Self.names[rawValue] }
    public init?(name: String) {
        guard let v = Self.names.first(where: { $0.value == name.uppercased() })?.key else { return nil }
        self.init(rawValue: v)
    }
    public var description: String { name ?? hex(rawValue, width: 2) }
}

/// The DetailedStatusCode of a reply (word 4, bits 0–15; the kernel's `I2O_DSC_*`).
public struct DetailedStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let success = DetailedStatus(rawValue: 0x0000)
    public static let badKey = DetailedStatus(rawValue: 0x0002)
    public static let tclError = DetailedStatus(rawValue: 0x0003)
    public static let replyBufferFull = DetailedStatus(rawValue: 0x0004)
    public static let noSuchPage = DetailedStatus(rawValue: 0x0005)
    public static let insufficientResourceSoft = DetailedStatus(rawValue: 0x0006)
    public static let insufficientResourceHard = DetailedStatus(rawValue: 0x0007)
    public static let chainBufferTooLarge = DetailedStatus(rawValue: 0x0009)
    public static let unsupportedFunction = DetailedStatus(rawValue: 0x000A)
    public static let deviceLocked = DetailedStatus(rawValue: 0x000B)
    public static let deviceReset = DetailedStatus(rawValue: 0x000C)
    public static let inappropriateFunction = DetailedStatus(rawValue: 0x000D)
    public static let invalidInitiatorAddress = DetailedStatus(rawValue: 0x000E)
    public static let invalidMessageFlags = DetailedStatus(rawValue: 0x000F)
    public static let invalidOffset = DetailedStatus(rawValue: 0x0010)
    public static let invalidParameter = DetailedStatus(rawValue: 0x0011)
    public static let invalidRequest = DetailedStatus(rawValue: 0x0012)
    public static let invalidTargetAddress = DetailedStatus(rawValue: 0x0013)
    public static let messageTooLarge = DetailedStatus(rawValue: 0x0014)
    public static let messageTooSmall = DetailedStatus(rawValue: 0x0015)
    public static let missingParameter = DetailedStatus(rawValue: 0x0016)
    public static let timeout = DetailedStatus(rawValue: 0x0017)
    public static let unknownError = DetailedStatus(rawValue: 0x0018)
    public static let unknownFunction = DetailedStatus(rawValue: 0x0019)
    public static let unsupportedVersion = DetailedStatus(rawValue: 0x001A)
    public static let deviceBusy = DetailedStatus(rawValue: 0x001B)
    public static let deviceNotAvailable = DetailedStatus(rawValue: 0x001C)

    static let names: [UInt16: String] = [
        0x0000: "SUCCESS", 0x0002: "BAD_KEY", 0x0003: "TCL_ERROR", 0x0004: "REPLY_BUFFER_FULL",
        0x0005: "NO_SUCH_PAGE", 0x0006: "INSUFFICIENT_RESOURCE_SOFT", 0x0007: "INSUFFICIENT_RESOURCE_HARD",
        0x0009: "CHAIN_BUFFER_TOO_LARGE", 0x000A: "UNSUPPORTED_FUNCTION", 0x000B: "DEVICE_LOCKED",
        0x000C: "DEVICE_RESET", 0x000D: "INAPPROPRIATE_FUNCTION", 0x000E: "INVALID_INITIATOR_ADDRESS",
        0x000F: "INVALID_MESSAGE_FLAGS", 0x0010: "INVALID_OFFSET", 0x0011: "INVALID_PARAMETER",
        0x0012: "INVALID_REQUEST", 0x0013: "INVALID_TARGET_ADDRESS", 0x0014: "MESSAGE_TOO_LARGE",
        0x0015: "MESSAGE_TOO_SMALL", 0x0016: "MISSING_PARAMETER", 0x0017: "TIMEOUT", 0x0018: "UNKNOWN_ERROR",
        0x0019: "UNKNOWN_FUNCTION", 0x001A: "UNSUPPORTED_VERSION", 0x001B: "DEVICE_BUSY",
        0x001C: "DEVICE_NOT_AVAILABLE",
    ]
    public var name: String? { Self.names[rawValue] }
    public init?(name: String) {
        guard let v = Self.names.first(where: { $0.value == name.uppercased() })?.key else { return nil }
        self.init(rawValue: v)
    }
    public var description: String { name ?? hex(rawValue, width: 4) }
}

/// The status of one parameter operation's result block (`I2O_PARAMS_STATUS_*`).
public struct BlockStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let success = BlockStatus(rawValue: 0x00)
    public static let badKeyAbort = BlockStatus(rawValue: 0x01)
    public static let badKeyContinue = BlockStatus(rawValue: 0x02)
    public static let bufferFull = BlockStatus(rawValue: 0x03)
    public static let bufferTooSmall = BlockStatus(rawValue: 0x04)
    public static let fieldUnreadable = BlockStatus(rawValue: 0x05)
    public static let fieldUnwriteable = BlockStatus(rawValue: 0x06)
    public static let insufficientFields = BlockStatus(rawValue: 0x07)
    public static let invalidGroupID = BlockStatus(rawValue: 0x08)
    public static let invalidOperation = BlockStatus(rawValue: 0x09)
    public static let noKeyField = BlockStatus(rawValue: 0x0A)
    public static let noSuchField = BlockStatus(rawValue: 0x0B)
    public static let nonDynamicGroup = BlockStatus(rawValue: 0x0C)
    public static let operationError = BlockStatus(rawValue: 0x0D)
    public static let scalarError = BlockStatus(rawValue: 0x0E)
    public static let tableError = BlockStatus(rawValue: 0x0F)
    public static let wrongGroupType = BlockStatus(rawValue: 0x10)

    static let names: [UInt8: String] = [
        0x00: "SUCCESS", 0x01: "BAD_KEY_ABORT", 0x02: "BAD_KEY_CONTINUE", 0x03: "BUFFER_FULL",
        0x04: "BUFFER_TOO_SMALL", 0x05: "FIELD_UNREADABLE", 0x06: "FIELD_UNWRITEABLE",
        0x07: "INSUFFICIENT_FIELDS", 0x08: "INVALID_GROUP_ID", 0x09: "INVALID_OPERATION",
        0x0A: "NO_KEY_FIELD", 0x0B: "NO_SUCH_FIELD", 0x0C: "NON_DYNAMIC_GROUP", 0x0D: "OPERATION_ERROR",
        0x0E: "SCALAR_ERROR", 0x0F: "TABLE_ERROR", 0x10: "WRONG_GROUP_TYPE",
    ]
    public var name: String? { Self.names[rawValue] }
    public init?(name: String) {
        guard let v = Self.names.first(where: { $0.value == name.uppercased() })?.key else { return nil }
        self.init(rawValue: v)
    }
    public var description: String { name ?? hex(rawValue, width: 2) }
}
