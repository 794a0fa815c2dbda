import I2OFormats
import IOPModel

/// The SCSI commands that change the controller (docs/dpt-protocol.md §Management): MODE SELECT
/// of the PAP (force a drive's state), the clock, the reserved-block boundary, the LAP (array
/// commands), the caching page and the NVRAM; the alarm's MFC sub-codes. Bad input changes
/// nothing and answers CHECK CONDITION, ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST.
extension DPTController {
    /// PAP command codes (the byte at a drive's index, bit 7 set = change).
    public enum PAPCommand: UInt8, Sendable {
        case forceOptimal = 0x00, failed = 0x03, warning = 0x05, replaced = 0x24
    }

    /// The page a MODE SELECT parameter list carries: (code, body cut to the page's own
    /// length), nil when the list is shorter than its header, block descriptors or page say.
    static func selectedPage(_ data: [UInt8], ten: Bool) -> (code: UInt8, body: [UInt8])? {
        let header = ten ? 8 : 4
        guard data.count >= header else { return nil }
        let descriptors = ten ? Int(data[6]) << 8 | Int(data[7]) : Int(data[3])
        let at = header + descriptors
        guard data.count >= at + 2 else { return nil }
        let length = Int(data[at + 1])
        guard data.count >= at + 2 + length else { return nil }
        return (data[at] & 0x3F, Array(data[(at + 2)..<(at + 2 + length)]))
    }

    /// MODE SELECT(6): page 0x3E (accepted), and to the controller page 0x2A (PAP: force drive
    /// states) and page 0x2F (set the clock: 2 reserved bytes, then the Unix time, u32).
    mutating func modeSelect6(_ data: [UInt8], to target: DPTTarget) -> DPTSCSIResult {
        guard let (code, body) = Self.selectedPage(data, ten: false) else { return .checkCondition(.invalidParameterList) }
        switch (code, target) {
        case (DPTModePage.reservedBlocks.rawValue, _):
            return .good([])
        case (DPTModePage.physicalArray.rawValue, .controller):
            return papSelect(body)
        case (DPTModePage.clock.rawValue, .controller):
            guard body.count == 6 else { return .checkCondition(.invalidParameterList) }
            settings.clockSet = body.readBE32(at: 2)
            settings.elapsedMilliseconds = 0
            return .good([])
        default:
            return .checkCondition(.invalidParameterList)
        }
    }

    /// MODE SELECT(10): page 0x30 (a LAP command) to a disk (ADD, or a command on its hot spare)
    /// or an array; page 8 (write-back) to an array; page 0x2E (the NVRAM image, 128 bytes whose
    /// sum is 0 mod 256) to the controller.
    mutating func modeSelect10(_ data: [UInt8], to target: DPTTarget) -> DPTSCSIResult {
        guard let (code, body) = Self.selectedPage(data, ten: true) else { return .checkCondition(.invalidParameterList) }
        switch (code, target) {
        case (DPTModePage.logicalArray.rawValue, .disk), (DPTModePage.logicalArray.rawValue, .array):
            return lapCommand(body, to: target)
        case let (DPTModePage.caching.rawValue, .array(i)):
            guard body.count >= 1 else { return .checkCondition(.invalidParameterList) }
            arrays[i].writeBack = body[0] & 0x04 != 0
            return .good([])
        case (DPTModePage.nvram.rawValue, .controller):
            guard body.count == 128, body.reduce(UInt8(0), &+) == 0 else { return .checkCondition(.invalidParameterList) }
            let wasEnabled = alarmEnabled
            settings.nvram = body
            log(.info, .nvramStored, "NVRAM stored")
            if wasEnabled != alarmEnabled {
                log(.info, .alarmChanged, alarmEnabled ? "alarm enabled" : "alarm disabled")
                if !alarmEnabled { settings.alarmSounding = false }
            }
            return .good([])
        case (DPTModePage.reservedBlocks.rawValue, _):
            return .good([])
        default:
            return .checkCondition(.invalidParameterList)
        }
    }

    /// The PAP select: every byte with bit 7 set is a command for the drive at that index. Every
    /// command is checked before any is carried out: an index with no drive, or an unknown
    /// command, refuses the whole page.
    mutating func papSelect(_ body: [UInt8]) -> DPTSCSIResult {
        var changes: [(Int, PAPCommand)] = []
        for (k, byte) in body.enumerated() where byte & 0x80 != 0 {
            guard let command = PAPCommand(rawValue: byte & 0x7F),
                  let d = disks.indices.first(where: { Self.papIndex(bus: disks[$0].bus, id: disks[$0].id) == k }) else {
                return .checkCondition(.invalidParameterList)
            }
            changes.append((d, command))
        }
        for (d, command) in changes {
            switch command {
            case .forceOptimal: setDriveState(d, .optimal)
            case .failed: setDriveState(d, .failed)
            case .replaced: setDriveState(d, .replaced)
            case .warning: log(.minor, .driveOptimal, "drive \(disks[d].address) warning")
            }
        }
        return .good([])
    }

    /// DPT's multi-function command (MFC): to the controller, sub-code (CDB byte 2) 0x06 sounds
    /// the alarm and 0x01 silences it; every other sub-code succeeds with no data.
    mutating func multiFunction(_ c: [UInt8], to kind: DPTTargetKinds) -> DPTSCSIResult {
        guard kind == .controller else { return .good([]) }
        switch c[2] {
        case 0x06: settings.alarmSounding = true
        case 0x01: settings.alarmSounding = false
        default: break
        }
        return .good([])
    }
}
