// SCSI as a disk behind an IOP answers it (docs/block-storage.md §SCSI): fixed-format sense data
// and the addressing fields of the data commands. All multi-byte SCSI fields are big-endian.

/// Fixed-format sense data (18 bytes, response code 0x70): key, ASC, ASCQ, and — for a medium
/// error — the failing LBA in the information field (VALID set).
public struct SCSISense: Hashable, Sendable {
    public var key: UInt8
    public var asc: UInt8
    public var ascq: UInt8
    public var information: UInt32?
    public init(key: UInt8, asc: UInt8, ascq: UInt8 = 0, information: UInt32? = nil) {
        self.key = key; self.asc = asc; self.ascq = ascq; self.information = information
    }
    public var bytes: [UInt8] {
        let info = information ?? 0
        return [information == nil ? 0x70 : 0xF0, 0, key,
                UInt8(info >> 24), UInt8(truncatingIfNeeded: info >> 16), UInt8(truncatingIfNeeded: info >> 8), UInt8(truncatingIfNeeded: info),
                0x0A, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0]
    }
    public static let noSense = SCSISense(key: 0x00, asc: 0x00)
    /// NOT READY / LOGICAL UNIT NOT READY.
    public static let notReady = SCSISense(key: 0x02, asc: 0x04)
    /// NOT READY / MEDIUM NOT PRESENT.
    public static let mediumNotPresent = SCSISense(key: 0x02, asc: 0x3A)
    /// MEDIUM ERROR / UNRECOVERED READ ERROR at `lba`.
    public static func readError(_ lba: UInt64) -> SCSISense { SCSISense(key: 0x03, asc: 0x11, information: UInt32(truncatingIfNeeded: lba)) }
    /// MEDIUM ERROR / WRITE ERROR at `lba`.
    public static func writeError(_ lba: UInt64) -> SCSISense { SCSISense(key: 0x03, asc: 0x0C, information: UInt32(truncatingIfNeeded: lba)) }
    /// HARDWARE ERROR / INTERNAL TARGET FAILURE (the host's storage failed).
    public static let hardwareError = SCSISense(key: 0x04, asc: 0x44)
    /// ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
    public static let invalidOpcode = SCSISense(key: 0x05, asc: 0x20)
    /// ILLEGAL REQUEST / LOGICAL BLOCK ADDRESS OUT OF RANGE.
    public static let lbaOutOfRange = SCSISense(key: 0x05, asc: 0x21)
    /// ILLEGAL REQUEST / INVALID FIELD IN CDB.
    public static let invalidField = SCSISense(key: 0x05, asc: 0x24)
    /// ILLEGAL REQUEST / LOGICAL UNIT NOT SUPPORTED.
    public static let lunNotSupported = SCSISense(key: 0x05, asc: 0x25)
    /// ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST.
    public static let invalidParameterList = SCSISense(key: 0x05, asc: 0x26)
    /// ILLEGAL REQUEST / PARAMETER LIST LENGTH ERROR.
    public static let parameterListLength = SCSISense(key: 0x05, asc: 0x1A)
}

/// The LBA and block count of a READ, WRITE or VERIFY CDB (6, 10 or 16 bytes), or nil for another
/// command or a CDB too short for its opcode.
public struct SCSIBlockRange: Hashable, Sendable {
    public var lba: UInt64
    public var blocks: UInt32
    public init(lba: UInt64, blocks: UInt32) { self.lba = lba; self.blocks = blocks }

    public init?(cdb c: [UInt8]) {
        func be(_ at: Int, _ n: Int) -> UInt64 { c[at..<at + n].reduce(0) { $0 << 8 | UInt64($1) } }
        guard let op = c.first else { return nil }
        switch op {
        case 0x08, 0x0A:   // READ(6), WRITE(6): 21-bit LBA; a length of 0 means 256 blocks
            guard c.count >= 6 else { return nil }
            lba = be(1, 3) & 0x1F_FFFF
            blocks = c[4] == 0 ? 256 : UInt32(c[4])
        case 0x28, 0x2A, 0x2F:   // READ(10), WRITE(10), VERIFY(10)
            guard c.count >= 10 else { return nil }
            lba = be(2, 4); blocks = UInt32(be(7, 2))
        case 0x88, 0x8A, 0x8F:   // READ(16), WRITE(16), VERIFY(16)
            guard c.count >= 16 else { return nil }
            lba = be(2, 8); blocks = UInt32(be(10, 4))
        default:
            return nil
        }
    }
}
