// The SCSI front end's tables: the commands and pages DPT firmware answers itself, and which
// targets answer each. `DPTController.scsi` (DPTSCSI.swift) reads them; the answers' data is
// built in DPTSCSIPages.swift.
//
// Adding a firmware page (mode, log or VPD):
// 1. a case with its page code in `DPTModePage`, `DPTLogPage` or `DPTVPDPage` (every target
//    answers the VPD pages);
// 2. its row in that enum's table: the targets that answer it (`answeredBy`; for a mode page
//    `row`, with the length of a zero-filled body, nil when built);
// 3. its body, unless zero-filled: a case in `modePageBody`, `logParameters` or `vpd`
//    (DPTSCSIPages.swift);
// 4. a test in Tests/DPTFirmwareTests.
// The tables are exhaustive switches, as are `logParameters` and `vpd`: the compiler points at
// step 2, and at step 3 for a log or VPD page. A new command is alike: a case in
// `SCSIOperation`, its row in `answeredBy`, its answer in `DPTController.answer`, a test.

/// The kinds of target a SCSI command addresses, as a set (the tables' columns).
struct DPTTargetKinds: OptionSet, Sendable {
    let rawValue: UInt8
    /// The controller itself (TID 0, Interpret).
    static let controller = DPTTargetKinds(rawValue: 1 << 0)
    /// A physical disk.
    static let disk = DPTTargetKinds(rawValue: 1 << 1)
    /// A firmware-level array.
    static let array = DPTTargetKinds(rawValue: 1 << 2)
}

/// The SCSI commands the firmware answers itself (operation code = CDB byte 0; SPC-2/SBC-2 names).
enum SCSIOperation: UInt8, Sendable {
    case testUnitReady = 0x00
    /// DPT's multi-function command (MFC: drive-size table, set RAID id, SMART status): GOOD, no data.
    case dptMultiFunction = 0x0E
    case inquiry = 0x12
    case modeSelect6 = 0x15
    /// MODE SELECT(10): the management pages (LAP commands, write cache, NVRAM).
    case modeSelect10 = 0x55
    case modeSense6 = 0x1A
    case readCapacity10 = 0x25
    case read10 = 0x28
    /// WRITE(10): accepted inside the capacity (the tools write LBA 0 and 1 of a new LSU).
    case write10 = 0x2A
    case logSense = 0x4D
    case modeSense10 = 0x5A

    /// Who answers the command: `always` even when not ready (a failed disk or array, which
    /// answers anything else NOT READY), `whenReady` only when ready. Any other target answers
    /// INVALID COMMAND OPERATION CODE.
    var answeredBy: (always: DPTTargetKinds, whenReady: DPTTargetKinds) {
        switch self {
        case .testUnitReady:              ([.controller], [.disk, .array])
        case .dptMultiFunction:           ([.controller, .array], [.disk])
        case .inquiry:                    ([.controller, .disk, .array], [])
        case .modeSelect6:                ([.controller], [.disk])
        case .modeSelect10:               ([.controller, .disk, .array], [])
        case .modeSense6, .modeSense10:   ([.controller, .disk, .array], [])
        case .readCapacity10, .read10, .write10:  ([], [.disk, .array])
        case .logSense:                   ([.controller], [.disk])
        }
    }

    /// The CDB's allocation length (the most data the host takes), for the commands that have one.
    func allocationLength(_ c: [UInt8]) -> Int? {
        switch self {
        case .inquiry: Int(c[3]) << 8 | Int(c[4])
        case .modeSense6: Int(c[4])
        case .modeSense10, .logSense: Int(c[7]) << 8 | Int(c[8])
        default: nil
        }
    }
}

/// The MODE SENSE pages the firmware answers (page code = CDB byte 2 bits 0–5).
enum DPTModePage: UInt8, Sendable {
    /// SBC format device.
    case formatDevice = 0x03
    /// SBC caching.
    case caching = 0x08
    /// DPT event log control.
    case eventLogControl = 0x22
    /// DPT physical array page (PAP): a status byte per SCSI address.
    case physicalArray = 0x2A
    /// DPT NVRAM image.
    case nvram = 0x2E
    /// DPT real-time clock (MODE SELECT only: the Unix time).
    case clock = 0x2F
    /// DPT logical array page (LAP #2): an array and its members.
    case logicalArray = 0x30
    /// DPT magic number of a disk.
    case magicNumber = 0x32
    /// DPT array name.
    case arrayName = 0x3C
    /// DPT, meaning unknown.
    case unknown3D = 0x3D
    /// DPT reserved-block boundary (MODE SELECT writes it).
    case reservedBlocks = 0x3E

    /// The page's row: who answers it (others: ILLEGAL REQUEST / INVALID FIELD IN CDB), and the
    /// length of its body when that is all zeros (nil: built by `modePageBody`).
    var row: (answeredBy: DPTTargetKinds, zeroFilled: Int?) {
        switch self {
        case .formatDevice:     ([.controller, .disk], 0x16)
        case .caching:          ([.controller, .disk, .array], nil)
        case .eventLogControl:  ([.controller], 0x0E)
        case .physicalArray:    ([.controller], nil)
        case .nvram:            ([.controller], nil)
        case .clock:            ([.controller], 0x06)
        case .logicalArray:     ([.array, .disk], nil)
        case .magicNumber:      ([.disk], nil)
        case .arrayName:        ([.controller, .array], 0x20)
        case .unknown3D:        ([.controller, .array], 0x10)
        case .reservedBlocks:   ([.controller, .disk], 0x08)
        }
    }

    /// The page's length byte when it differs from the body's length (LAP #2 says 28; its
    /// member elements follow at page + 2 + 28).
    var pageLength: Int? { self == .logicalArray ? 28 : nil }
}

/// The LOG SENSE pages the firmware answers (page code = CDB byte 2 bits 0–5).
enum DPTLogPage: UInt8, Sendable {
    /// DPT hardware configuration.
    case hardwareConfiguration = 0x33
    /// DPT event log (PC = 0 clears it).
    case eventLog = 0x34
    /// DPT logical device list (the firmware-level arrays).
    case logicalDeviceList = 0x36
    /// DPT board event log (`raidutil -e board`): kept empty.
    case boardLog = 0x38

    /// Who answers the page (others: ILLEGAL REQUEST / INVALID FIELD IN CDB); its parameters
    /// are built by `logParameters`.
    var answeredBy: DPTTargetKinds {
        switch self {
        case .hardwareConfiguration:  [.controller, .disk]
        case .logicalDeviceList, .eventLog, .boardLog:  [.controller]
        }
    }
}

/// The INQUIRY vital product data pages every target answers (CDB byte 2 with EVPD set), in the
/// order page 0x00 lists them.
enum DPTVPDPage: UInt8, CaseIterable, Sendable {
    /// The list of VPD pages.
    case supportedPages = 0x00
    /// The unit serial number.
    case unitSerialNumber = 0x80
    /// DPT, zero-filled.
    case dptC0 = 0xC0
    /// DPT EATA ReadConfig, zero-filled.
    case eataReadConfig = 0xC1
}

/// Standard INQUIRY data fields.
enum Inquiry {
    /// Byte 0: peripheral device type (qualifier 0).
    static let directAccess: UInt8 = 0x00
    static let processor: UInt8 = 0x03
    /// Byte 0: qualifier 3, type 0x1F: no device at this LUN.
    static let noLUN: UInt8 = 0x7F
    /// Byte 7 flags: 16-bit wide bus, synchronous transfer, command queuing.
    static let wbus16: UInt8 = 0x20
    static let sync: UInt8 = 0x10
    static let cmdQue: UInt8 = 0x02
}
