import I2OFormats

/// The parameter groups the I2O specification defines, with their field layouts
/// (docs/i2o-formats.md §Groups). A fixture fills these by field name; groups a fixture defines itself
/// (such as a vendor's private group 0x8000) carry their own schema.
public enum StandardGroups {
    private static func s(_ n: String, _ t: ParamFieldType, _ w: Bool = false) -> ParamField { ParamField(n, t, writable: w) }

    // Utility groups — every device.
    public static let descriptors = ParamGroupSchema(number: 0xF000, name: "Params Descriptor", kind: .table, fields: [
        s("GroupNumber", .u16), s("FieldCount", .u16), s("RowCount", .u16), s("Properties", .u8), s("reserved", .u8)])
    public static let physicalDeviceTable = ParamGroupSchema(number: 0xF001, name: "Physical Device Table", kind: .table,
        fields: [s("AdapterID", .u32)])
    public static let claimedTable = ParamGroupSchema(number: 0xF002, name: "Claimed Table", kind: .table,
        fields: [s("ClaimedTID", .u16)])
    public static let userTable = ParamGroupSchema(number: 0xF003, name: "User Table", kind: .table, fields: [
        s("Instance", .u16), s("UserTID", .u16), s("ClaimType", .u8), s("reserved1", .u8), s("reserved2", .u16)])
    public static let privateMessageExtensions = ParamGroupSchema(number: 0xF005, name: "Private Message Extensions",
        kind: .table, fields: [s("ExtInstance", .u16), s("OrganizationID", .u16), s("XFunctionCode", .u16)])
    public static let authorizedUserTable = ParamGroupSchema(number: 0xF006, name: "Authorized User Table", kind: .table,
        fields: [s("AlternateTID", .u16)])
    public static let deviceIdentity = ParamGroupSchema(number: 0xF100, name: "Device Identity", kind: .scalar, fields: [
        s("ClassID", .u32), s("OwnerTID", .u16), s("ParentTID", .u16), s("VendorInfo", .string(16)),
        s("ProductInfo", .string(16)), s("Description", .string(16)), s("ProductRevLevel", .string(8)),
        s("SNFormat", .u8), s("SerialNumber", .bytes(16))])
    public static let ddmIdentity = ParamGroupSchema(number: 0xF101, name: "DDM Identity", kind: .scalar, fields: [
        s("DdmTID", .u16), s("ModuleName", .string(24)), s("ModuleRevLevel", .string(8)), s("SNFormat", .u8),
        s("SerialNumber", .bytes(12))])
    public static let userInformation = ParamGroupSchema(number: 0xF102, name: "User Information", kind: .scalar, fields: [
        s("DeviceName", .string(64), true), s("ServiceName", .string(64), true),
        s("PhysicalLocation", .string(64), true), s("InstanceNumber", .u32)])
    public static let sglOperatingLimits = ParamGroupSchema(number: 0xF103, name: "SGL Operating Limits", kind: .scalar,
        fields: [s("SglChainSize", .u32), s("SglChainSizeMax", .u32), s("SglChainSizeTarget", .u32),
                 s("SglFragCount", .u16), s("SglFragCountMax", .u16), s("SglFragCountTarget", .u16)])

    // Executive groups — TID 0.
    public static let iopHardware = ParamGroupSchema(number: 0x0000, name: "IOP Hardware", kind: .scalar, fields: [
        s("I2oVendorID", .u16), s("ProductID", .u16), s("ProcessorMemory", .u32), s("PermMemory", .u32),
        s("HWCapabilities", .u32), s("ProcessorType", .u8), s("ProcessorVersion", .u8)])
    public static let iopMessageInterface = ParamGroupSchema(number: 0x0001, name: "IOP Message Interface", kind: .scalar,
        fields: [s("InboundFrameSize", .u32), s("InboundSizeTarget", .u32), s("InboundMax", .u32),
                 s("InboundTarget", .u32), s("InboundPoolCount", .u32), s("InboundCurrentFree", .u32),
                 s("InboundCurrentPost", .u32), s("StaticCount", .u16), s("StaticInstanceCount", .u16),
                 s("StaticLimit", .u16), s("StaticInstanceLimit", .u16), s("OutboundFrameSize", .u32),
                 s("OutboundMax", .u32), s("OutboundMaxTarget", .u32), s("OutboundCurrentFree", .u32),
                 s("OutboundCurrentPost", .u32), s("InitCode", .u8)])
    public static let executingEnvironment = ParamGroupSchema(number: 0x0002, name: "Executing Environment", kind: .scalar,
        fields: [s("MemTotal", .u32), s("MemFree", .u32), s("PageSize", .u32), s("EventQMax", .u32),
                 s("EventQCurrent", .u32), s("DDMLoadMax", .u32)])
    public static let executingDDMList = ParamGroupSchema(number: 0x0003, name: "Executing DDM List", kind: .table, fields: [
        s("DdmTID", .u16), s("ModuleType", .u8), s("reserved", .u8), s("I2oVendorID", .u16), s("ModuleID", .u16),
        s("ModuleName", .string(24)), s("ModuleVersion", .u32), s("DataSize", .u32), s("CodeSize", .u32)])
    public static let driverStore = ParamGroupSchema(number: 0x0004, name: "Driver Store", kind: .scalar, fields: [
        s("ModuleLimit", .u32), s("ModuleCount", .u32), s("CurrentSpace", .u32), s("FreeSpace", .u32)])
    public static let driverStoreTable = ParamGroupSchema(number: 0x0005, name: "Driver Store Table", kind: .table, fields: [
        s("StoredDdmIndex", .u16), s("ModuleType", .u8), s("reserved", .u8), s("I2oVendorID", .u16),
        s("ModuleID", .u16), s("ModuleName", .string(24)), s("ModuleVersion", .u32), s("DateDay", .u16),
        s("DateMonth", .u16), s("DateYear", .u32), s("ModuleSize", .u32), s("MpbSize", .u32), s("ModuleFlags", .u32)])
    public static let iopBusAttributes = ParamGroupSchema(number: 0x0006, name: "IOP Bus Attributes", kind: .table, fields: [
        s("BusID", .u32), s("BusType", .u8), s("MaxAdapters", .u8), s("AdapterCount", .u8), s("BusAttributes", .u8)])
    public static let iopSWAttributes = ParamGroupSchema(number: 0x0007, name: "IOP SW Attributes", kind: .scalar, fields: [
        s("I2oVendorID", .u16), s("ProductID", .u16), s("CodeSize", .u32), s("SWCapabilities", .u32)])
    public static let hardwareResourceTable = ParamGroupSchema(number: 0x0100, name: "Hardware Resource Table", kind: .table,
        fields: [s("AdapterID", .u32), s("StateInfo", .u16), s("BusNumber", .u8), s("BusType", .u8),
                 s("PhysicalLocation", .u64), s("MemorySpace", .u32), s("IoSpace", .u32)])
    public static let lctScalar = ParamGroupSchema(number: 0x0101, name: "LCT Scalar", kind: .scalar, fields: [
        s("BootDevice", .u16), s("IopFlags", .u32), s("CurrentChangeIndicator", .u32)])
    public static let lctTable = ParamGroupSchema(number: 0x0102, name: "LCT Table", kind: .table, fields: [
        s("LocalTID", .u16), s("UserTID", .u16), s("ParentTID", .u16), s("DdmTID", .u16), s("ChangeIndicator", .u32),
        s("DeviceFlags", .u32), s("ClassID", .u32), s("SubClass", .u32), s("IdentityTag", .bytes(8)),
        s("EventCapabilities", .u32), s("BiosInfo", .u8)])

    /// Groups every device has.
    public static let utility: [ParamGroupSchema] = [
        descriptors, physicalDeviceTable, claimedTable, userTable, privateMessageExtensions, authorizedUserTable,
        deviceIdentity, ddmIdentity, userInformation, sglOperatingLimits,
    ]
    /// Groups only the executive (TID 0) has.
    public static let executive: [ParamGroupSchema] = [
        iopHardware, iopMessageInterface, executingEnvironment, executingDDMList, driverStore, driverStoreTable,
        iopBusAttributes, iopSWAttributes, hardwareResourceTable, lctScalar, lctTable,
    ]

    /// The standard schema for `group` on a device that is (or is not) the executive.
    public static func schema(for group: UInt16, executive isExecutive: Bool) -> ParamGroupSchema? {
        if let g = utility.first(where: { $0.number == group }) { return g }
        if isExecutive, let g = executive.first(where: { $0.number == group }) { return g }
        return nil
    }
}
