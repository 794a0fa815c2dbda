import I2OFormats

/// A vendor's firmware module on an IOP: the part of a real IOP's firmware that the I2O
/// specification leaves to the vendor. On a real card it answers the private messages
/// (function 0xFF) of the vendor's own management tools, and it presents the vendor's devices,
/// with parameter groups of its own, in the LCT and the HRT the executive reports.
///
/// The generic IOP hands a module only what it claims: a private message whose OrganizationID
/// is the module's. The devices, parameter groups, HRT and boot device a module presents are
/// derived when the IOP is described (a fixture loader calls `derivedDevices()` …); the IOP then
/// holds them as it holds any device's, so UtilParamsGet never asks the module.
///
/// A module is state the IOP owns: a message (`handlePrivateMessage`), the passing of time
/// (`timePassed`) or the control channel may change it. When the answer says the configuration
/// changed, the IOP derives its devices, HRT and boot device again, puts the differences in its
/// LCT (one change-indicator step for the whole change), and raises the events a real IOP raises
/// for them (NEW_LCT_ENTRY, MODIFIED_LCT) — `IOP.firmwareConfigurationChanged(from:)`.
///
/// Adaptec/DPT's module (target DPTFirmware) is one implementation.
public protocol IOPFirmware: Hashable, Sendable {
    /// The vendor's I2O OrganizationID: the status block's, the LCT entries', and the one a
    /// private message names in word 4 bits 16–31.
    static var organizationID: UInt16 { get }

    /// The status block's ProductID.
    var productName: String { get }

    /// The devices the module presents, executive (TID 0) first: LCT entries with their
    /// parameter groups, vendor groups included.
    func derivedDevices() -> [DeviceDescription]

    /// The HRT the module presents.
    func derivedHRT() -> HRT

    /// The LCT's BootDeviceTID (`TID.none` for none).
    var derivedBootDevice: TID { get }

    /// Answers a private message (function 0xFF) of this module's OrganizationID.
    /// - Parameters:
    ///   - xFunctionCode: word 4 bits 0–15.
    ///   - request: the whole frame (at least 5 words); its SGL names host buffers in `memory`.
    /// - Returns: the reply frame, or nil when there is none now.
    /// - Throws: a `RequestFault` the IOP turns into a failing reply: UNSUPPORTED_FUNCTION for an
    ///   XFunctionCode the module does not know.
    func privateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame,
                        memory: BusMemory) throws(RequestFault) -> MessageFrame?

    /// Answers a private message that may change the module (the IOP keeps the changed module).
    /// The default answers through `privateMessage` and changes nothing.
    mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame,
                                       memory: BusMemory) throws(RequestFault) -> FirmwareAnswer
    /// As `handlePrivateMessage`, with the devices' data (a vendor's own SCSI path reading and
    /// writing the disks and logical drives the block storage class sees). The default ignores
    /// the data.
    mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame, memory: BusMemory,
                                       data: [TID: BlockDevice]) throws(RequestFault) -> FirmwareAnswer
    /// What the module shows of device `tid` in the IOP's configuration dialog (UtilConfigDialog's
    /// `{dialog}`), besides its parameter groups: tables with a title, a header row and rows (a
    /// RAID controller's arrays, their status and tasks). The default shows nothing.
    func dialogTables(for tid: TID) -> [FirmwareTable]
    /// A verify of logical drive `tid`'s data found `inconsistentBlocks` more blocks whose
    /// redundancy disagreed (what the firmware reports as verify errors). The default ignores it.
    mutating func dataVerified(_ tid: TID, inconsistentBlocks: UInt64)

    /// `milliseconds` of the module's clock went by: its background tasks move on.
    /// - Returns: whether the configuration the IOP derives from the module changed.
    mutating func timePassed(milliseconds: UInt64) -> Bool

    /// A command for the module from the control channel or a fault rule, as words (e.g. a RAID
    /// controller's `drive b0t1d0 failed`): the module changes as its firmware would.
    /// - Returns: nil when carried out, else what is wrong. The default takes no commands.
    mutating func controlCommand(_ words: [String]) -> String?

    /// What the module keeps across a power cycle (a state directory writes it as JSON), nil
    /// when it keeps nothing.
    var persistentConfiguration: (any Encodable & Sendable)? { get }

    /// This module with the configuration `decoder` holds (what `persistentConfiguration` wrote)
    /// in place of its own.
    func restoringConfiguration(from decoder: any Decoder) throws -> any IOPFirmware

    /// Whether an ExecLctNotify answered at once writes the whole table's TableSize in the LCT
    /// header even when the buffer held fewer entries (the generic IOP counts the entries
    /// written). False unless a module says otherwise.
    var lctTableSizeCountsWholeTable: Bool { get }
}

extension IOPFirmware {
    public var lctTableSizeCountsWholeTable: Bool { false }
    public mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame,
                                              memory: BusMemory) throws(RequestFault) -> FirmwareAnswer {
        FirmwareAnswer(reply: try privateMessage(xFunctionCode, request, memory: memory))
    }
    public mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame, memory: BusMemory,
                                              data: [TID: BlockDevice]) throws(RequestFault) -> FirmwareAnswer {
        try handlePrivateMessage(xFunctionCode, request, memory: memory)
    }
    public mutating func dataVerified(_ tid: TID, inconsistentBlocks: UInt64) {}
    public func dialogTables(for tid: TID) -> [FirmwareTable] { [] }
    public mutating func timePassed(milliseconds: UInt64) -> Bool { false }
    public mutating func controlCommand(_ words: [String]) -> String? { "this IOP's firmware takes no commands" }
    public var persistentConfiguration: (any Encodable & Sendable)? { nil }
    public func restoringConfiguration(from decoder: any Decoder) throws -> any IOPFirmware { self }
}

/// A table a firmware module shows in the IOP's dialog: its title, its header and its rows.
public struct FirmwareTable: Hashable, Sendable {
    public var title: String
    public var header: [String]
    public var rows: [[String]]
    public init(title: String, header: [String], rows: [[String]]) { self.title = title; self.header = header; self.rows = rows }
}

/// A firmware module's answer to a message that may change it.
public struct FirmwareAnswer: Sendable {
    /// The reply frame (nil: none now).
    public var reply: MessageFrame?
    /// Whether the devices, HRT or boot device the module derives may have changed.
    public var configurationChanged: Bool
    /// Whether the module changed at all (a setting the IOP does not derive anything from
    /// included): the IOP keeps the changed module only then.
    public var changed: Bool
    public init(reply: MessageFrame?, configurationChanged: Bool = false, changed: Bool? = nil) {
        self.reply = reply; self.configurationChanged = configurationChanged
        self.changed = changed ?? configurationChanged
    }
}

/// A firmware module as a stored, Hashable value (IOPDescription compares and hashes it).
struct FirmwareSlot: Hashable, Sendable {
    let module: any IOPFirmware

    static func == (a: FirmwareSlot, b: FirmwareSlot) -> Bool { AnyHashable(a.module) == AnyHashable(b.module) }
    func hash(into h: inout Hasher) { module.hash(into: &h) }
}
