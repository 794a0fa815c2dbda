import I2OFormats

/// A vendor's firmware module on an IOP: the part of a real IOP's firmware that the I2O
/// specification leaves to the vendor. On a real card it answers the private messages
/// (function 0xFF) of the vendor's own management tools, and it presents the vendor's devices,
/// with parameter groups of its own, in the LCT and the HRT the executive reports.
///
/// The generic IOP hands a module only what it claims: a private message whose OrganizationID
/// is the module's. The devices, parameter groups, HRT and boot device a module presents are
/// derived once, when the IOP is described (a fixture loader calls `derivedDevices()` …); the
/// IOP then holds them as it holds any device's, so UtilParamsGet never asks the module.
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

    /// Whether an ExecLctNotify answered at once writes the whole table's TableSize in the LCT
    /// header even when the buffer held fewer entries (the generic IOP counts the entries
    /// written). False unless a module says otherwise.
    var lctTableSizeCountsWholeTable: Bool { get }
}

extension IOPFirmware {
    public var lctTableSizeCountsWholeTable: Bool { false }
}

/// A firmware module as a stored, Hashable value (IOPDescription compares and hashes it).
struct FirmwareSlot: Hashable, Sendable {
    let module: any IOPFirmware

    static func == (a: FirmwareSlot, b: FirmwareSlot) -> Bool { AnyHashable(a.module) == AnyHashable(b.module) }
    func hash(into h: inout Hasher) { module.hash(into: &h) }
}
