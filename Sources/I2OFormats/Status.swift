/// The ReqStatus byte of a reply (word 4, bits 24–31; the kernel's `I2O_REPLY_STATUS_*`).
public struct ReqStatus: NamedCode {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let names: [UInt8: String] = [
        0x00: "SUCCESS", 0x01: "ABORT_DIRTY", 0x02: "ABORT_NO_DATA_TRANSFER", 0x03: "ABORT_PARTIAL_TRANSFER",
        0x04: "ERROR_DIRTY", 0x05: "ERROR_NO_DATA_TRANSFER", 0x06: "ERROR_PARTIAL_TRANSFER",
        0x08: "PROCESS_ABORT_DIRTY", 0x09: "PROCESS_ABORT_NO_DATA_TRANSFER",
        0x0A: "PROCESS_ABORT_PARTIAL_TRANSFER", 0x0B: "TRANSACTION_ERROR", 0x80: "PROGRESS_REPORT",
    ]
    public static let hexDigits = 2

    public static let success = Self(rawValue: 0x00)
    public static let progressReport = Self(rawValue: 0x80)
    public static let transactionError = Self(rawValue: 0x0B)
    public static let abortDirty = Self(rawValue: 0x01)
    public static let abortNoDataTransfer = Self(rawValue: 0x02)
    public static let abortPartialTransfer = Self(rawValue: 0x03)
    public static let processAbortDirty = Self(rawValue: 0x08)
    public static let processAbortNoDataTransfer = Self(rawValue: 0x09)
    public static let processAbortPartialTransfer = Self(rawValue: 0x0A)
    public static let errorDirty = Self(rawValue: 0x04)
    public static let errorNoDataTransfer = Self(rawValue: 0x05)
    public static let errorPartialTransfer = Self(rawValue: 0x06)
}

/// The DetailedStatusCode of a reply (word 4, bits 0–15; the kernel's `I2O_DSC_*`).
public struct DetailedStatus: NamedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let names: [UInt16: String] = [
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
    public static let hexDigits = 4

    public static let success = Self(rawValue: 0x0000)
    public static let badKey = Self(rawValue: 0x0002)
    public static let tclError = Self(rawValue: 0x0003)
    public static let replyBufferFull = Self(rawValue: 0x0004)
    public static let noSuchPage = Self(rawValue: 0x0005)
    public static let insufficientResourceSoft = Self(rawValue: 0x0006)
    public static let insufficientResourceHard = Self(rawValue: 0x0007)
    public static let chainBufferTooLarge = Self(rawValue: 0x0009)
    public static let unsupportedFunction = Self(rawValue: 0x000A)
    public static let inappropriateFunction = Self(rawValue: 0x000D)
    public static let unknownFunction = Self(rawValue: 0x0019)
    public static let unsupportedVersion = Self(rawValue: 0x001A)
    public static let deviceLocked = Self(rawValue: 0x000B)
    public static let deviceReset = Self(rawValue: 0x000C)
    public static let deviceBusy = Self(rawValue: 0x001B)
    public static let deviceNotAvailable = Self(rawValue: 0x001C)
    public static let invalidInitiatorAddress = Self(rawValue: 0x000E)
    public static let invalidTargetAddress = Self(rawValue: 0x0013)
    public static let invalidMessageFlags = Self(rawValue: 0x000F)
    public static let invalidOffset = Self(rawValue: 0x0010)
    public static let invalidParameter = Self(rawValue: 0x0011)
    public static let invalidRequest = Self(rawValue: 0x0012)
    public static let missingParameter = Self(rawValue: 0x0016)
    public static let messageTooLarge = Self(rawValue: 0x0014)
    public static let messageTooSmall = Self(rawValue: 0x0015)
    public static let timeout = Self(rawValue: 0x0017)
    public static let unknownError = Self(rawValue: 0x0018)
}

/// The status of one parameter operation's result block (`I2O_PARAMS_STATUS_*`).
public struct BlockStatus: NamedCode {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let names: [UInt8: String] = [
        0x00: "SUCCESS", 0x01: "BAD_KEY_ABORT", 0x02: "BAD_KEY_CONTINUE", 0x03: "BUFFER_FULL",
        0x04: "BUFFER_TOO_SMALL", 0x05: "FIELD_UNREADABLE", 0x06: "FIELD_UNWRITEABLE",
        0x07: "INSUFFICIENT_FIELDS", 0x08: "INVALID_GROUP_ID", 0x09: "INVALID_OPERATION",
        0x0A: "NO_KEY_FIELD", 0x0B: "NO_SUCH_FIELD", 0x0C: "NON_DYNAMIC_GROUP", 0x0D: "OPERATION_ERROR",
        0x0E: "SCALAR_ERROR", 0x0F: "TABLE_ERROR", 0x10: "WRONG_GROUP_TYPE",
    ]
    public static let hexDigits = 2

    public static let success = Self(rawValue: 0x00)
    public static let bufferFull = Self(rawValue: 0x03)
    public static let bufferTooSmall = Self(rawValue: 0x04)
    public static let insufficientFields = Self(rawValue: 0x07)
    public static let badKeyAbort = Self(rawValue: 0x01)
    public static let badKeyContinue = Self(rawValue: 0x02)
    public static let noKeyField = Self(rawValue: 0x0A)
    public static let noSuchField = Self(rawValue: 0x0B)
    public static let fieldUnreadable = Self(rawValue: 0x05)
    public static let fieldUnwriteable = Self(rawValue: 0x06)
    public static let invalidGroupID = Self(rawValue: 0x08)
    public static let invalidOperation = Self(rawValue: 0x09)
    public static let nonDynamicGroup = Self(rawValue: 0x0C)
    public static let operationError = Self(rawValue: 0x0D)
    public static let scalarError = Self(rawValue: 0x0E)
    public static let tableError = Self(rawValue: 0x0F)
    public static let wrongGroupType = Self(rawValue: 0x10)
}
