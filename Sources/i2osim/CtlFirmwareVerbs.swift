import ArgumentParser

/// `ctl drive` and `ctl clock`: a RAID controller's drives and firmware clock (docs/control.md).
struct CtlDrive: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "drive",
        abstract: "Set a drive's state on a RAID controller: failed (its array degrades, a hot spare takes over), replaced (rebuild), optimal.")
    @OptionGroup var connection: CtlConnection
    @OptionGroup var slot: CtlDriveSlot
    @Option(help: ArgumentHelp("failed, replaced, optimal, or removed (pulled: only a drive in no array or hot spare).", valueName: "STATE"),
            completion: .list(["failed", "replaced", "optimal", "removed"])) var state: String
    var keys: KeyValuePairs<String, String?> { ["iop": slot.iop, "at": slot.at, "state": state] }
}

/// Where a drive is on a RAID controller: the IOP and the drive's address (drive, insert-drive).
struct CtlDriveSlot: ParsableArguments {
    @Option(help: ArgumentHelp("The IOP's unit (default 0).", valueName: "N")) var iop: String?
    @Option(help: ArgumentHelp("The drive's address, as raidutil writes it: b<bus>t<id>d<lun>.", valueName: "ADDRESS")) var at: String
}

struct CtlMediaError: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "media-error",
        abstract: "Make blocks of a disk bad: reads and writes that touch them answer a medium error (BSA MEDIA_ERROR, SCSI 03/11) until BsaBlockReassign or media-clear.")
    @OptionGroup var connection: CtlConnection
    @Option(help: ArgumentHelp("The IOP's unit (default 0).", valueName: "N")) var iop: String?
    @Option(help: ArgumentHelp("The disk's TID (a device with disk storage; a logical drive's members are disks).", valueName: "TID"))
    var tid: String
    @Option(help: ArgumentHelp("The first bad block.", valueName: "LBA")) var lba: String
    @Option(help: ArgumentHelp("How many (default 1).", valueName: "N")) var blocks: String?
    var keys: KeyValuePairs<String, String?> { ["iop": iop, "tid": tid, "lba": lba, "blocks": blocks] }
}

struct CtlMediaClear: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "media-clear", abstract: "Remove every bad block of a disk.")
    @OptionGroup var connection: CtlConnection
    @Option(help: ArgumentHelp("The IOP's unit (default 0).", valueName: "N")) var iop: String?
    @Option(help: ArgumentHelp("The disk's TID.", valueName: "TID")) var tid: String
    var keys: KeyValuePairs<String, String?> { ["iop": iop, "tid": tid] }
}

struct CtlInsertDrive: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "insert-drive",
        abstract: "Plug a drive into a RAID controller (a new LCT entry, unconfigured).")
    @OptionGroup var connection: CtlConnection
    @OptionGroup var slot: CtlDriveSlot
    @Option(help: ArgumentHelp("INQUIRY vendor (default SEAGATE).", valueName: "TEXT")) var vendor: String?
    @Option(help: ArgumentHelp("INQUIRY product (default ST336753LW).", valueName: "TEXT")) var model: String?
    @Option(help: ArgumentHelp("Capacity in MB (default 35003).", valueName: "MB")) var capacityMb: String?
    var keys: KeyValuePairs<String, String?> { ["iop": slot.iop, "at": slot.at, "vendor": vendor, "model": model, "capacity_mb": capacityMb] }
}

struct CtlClock: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "clock",
        abstract: "Move the firmware clocks on (background tasks such as rebuilds advance), or set how fast they run.")
    @OptionGroup var connection: CtlConnection
    @Option(help: ArgumentHelp("Seconds to move every firmware clock on.", valueName: "SECONDS")) var advance: String?
    @Option(help: ArgumentHelp("The clocks' speed against the wall clock (0 stops them).", valueName: "FACTOR")) var speed: String?
    var keys: KeyValuePairs<String, String?> { ["advance": advance, "speed": speed] }
    func validate() throws {
        if advance == nil && speed == nil { throw ValidationError("give --advance SECONDS, --speed FACTOR, or both") }
    }
}
