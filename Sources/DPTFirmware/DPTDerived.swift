import I2OFormats
import IOPModel

/// Schemas of the DPT private groups the management tools read (docs/dpt-protocol.md §Engine, §Model #4–#6).
public enum DPTGroups {
    /// 0x8000 on a device: its SCSI address. LunInfo is SCSI-3 LUN structure; the LUN is byte 1.
    public static let deviceInfo = ParamGroupSchema(number: 0x8000, name: "DPT Device Info", kind: .scalar, fields: [
        ParamField("DeviceType", .u8), ParamField("Flags", .u8), ParamField("Bus", .u16),
        ParamField("Target", .u32), ParamField("LunInfo", .bytes(8))])
    /// 0x8000 on TID 0: the DPT "IOP buffers" group (dpt_i2o's reading of it).
    public static let iopBuffers = ParamGroupSchema(number: 0x8000, name: "DPT IOP buffers", kind: .scalar, fields: [
        ParamField("DebugBufferOffset", .u32), ParamField("DebugBufferSize", .u32), ParamField("StringOffset", .u32)])
    /// 0x0200 on a SCSI bus port: SCSI controller information (28 bytes, InitiatorID at 4).
    public static let scsiControllerInfo = ParamGroupSchema(number: 0x0200, name: "SCSI Controller Info", kind: .scalar, fields: [
        ParamField("SCSIType", .u8), ParamField("ProtectionManagement", .u8), ParamField("Settings", .u8),
        ParamField("Reserved", .u8), ParamField("InitiatorID", .u32), ParamField("ScanLun0Only", .u64),
        ParamField("DisableDevice", .u16), ParamField("MaxOffset", .u8), ParamField("MaxDataWidth", .u8),
        ParamField("MaxSyncRate", .u64)])
}

extension DPTController {
    /// The vendor OrganizationID of DPT/Adaptec.
    public static let organizationID: UInt16 = 0x001B

    /// The product ID of the status block and the controller's name: "ADAPTEC 3200S".
    public var productName: String { vendor + " " + model }

    /// The devices of the LCT, executive first: ports (0x008 + bus), disks (0x200 + index),
    /// arrays (after the disks). Disks that are array members have the array as UserTID.
    public func derivedDevices() -> [DeviceDescription] {
        var out: [DeviceDescription] = []
        let org = Self.organizationID
        var exec = DeviceDescription(entry: LCTEntry(localTID: .executive, classID: .executive, parentTID: .none,
                                                     userTID: .executive, changeIndicator: 1, organizationID: org,
                                                     identityTag: Array("SMRTRAID".utf8)))
        exec.groups[0xF100] = Self.row(StandardGroups.deviceIdentity, [
            (3, FixedText.encode(vendor, width: 16)), (4, FixedText.encode(model, width: 16)),
            (5, FixedText.encode("SCSI RAID", width: 16)), (6, FixedText.encode(firmware, width: 8))])
        exec.groups[0xF101] = Self.row(StandardGroups.ddmIdentity, [
            (0, [0, 0]), (1, FixedText.encode(productName, width: 24)), (2, FixedText.encode(firmware, width: 8))])
        exec.groups[0x0000] = Self.row(StandardGroups.iopHardware, iopHardwareValues())
        exec.groups[0x8000] = Self.row(DPTGroups.iopBuffers, [(0, le32(0x000F_0000)), (1, le32(0x4000)), (2, le32(0x000F_4000))])
        out.append(exec)

        for (n, bus) in buses.enumerated() {
            var d = DeviceDescription(entry: LCTEntry(localTID: portTID(bus: n), classID: .busAdapter, subClass: 1,
                                                      parentTID: .executive, userTID: .none, changeIndicator: 1,
                                                      organizationID: org, identityTag: Array("CHAN\(n)".utf8)))
            d.groups[0xF100] = Self.row(StandardGroups.deviceIdentity, [
                (3, FixedText.encode(vendor, width: 16)), (4, FixedText.encode(portChip, width: 16)),
                (6, FixedText.encode("00000001", width: 8))])
            d.groups[0x0200] = Self.row(DPTGroups.scsiControllerInfo, [(0, [3]), (4, le32(UInt32(bus.initiatorID)))])
            out.append(d)
        }
        for (i, disk) in disks.enumerated() {
            let user = array(of: i).flatMap { arrays[$0].isHotSpare ? nil : arrayTID($0) } ?? .none
            let parent = Int(disk.bus) < buses.count ? portTID(bus: Int(disk.bus)) : .executive
            var d = DeviceDescription(entry: LCTEntry(localTID: diskTID(i), classID: .scsiPeripheral, subClass: 0,
                                                      parentTID: parent, userTID: user, changeIndicator: 1,
                                                      organizationID: org))
            var serial = [UInt8](repeating: 0, count: 16)
            for (k, b) in disk.serial.utf8.prefix(16).enumerated() { serial[k] = b }
            d.groups[0xF100] = Self.row(StandardGroups.deviceIdentity, [
                (3, FixedText.encode(disk.vendor, width: 16)), (4, FixedText.encode(disk.product, width: 16)),
                (6, FixedText.encode(disk.revision, width: 8)), (7, [disk.serial.isEmpty ? 0 : 2]), (8, serial)])
            d.groups[0x8000] = Self.addressRow(bus: disk.bus, id: disk.id, lun: disk.lun)
            d.blockStorage = .disk(diskStorage(i))
            out.append(d)
        }
        for i in arrays.indices where !arrays[i].isHotSpare {
            var d = DeviceDescription(entry: LCTEntry(localTID: arrayTID(i), classID: .randomBlockStorage, subClass: 0,
                                                      parentTID: .executive, userTID: .none, changeIndicator: 1,
                                                      organizationID: org, identityTag: Array("ARRAY\(i)".utf8)))
            d.groups[0xF100] = Self.row(StandardGroups.deviceIdentity, [
                (3, FixedText.encode(vendor, width: 16)), (4, FixedText.encode(arrayProduct(i), width: 16)),
                (6, FixedText.encode(firmware, width: 8))])
            let a = arrayAddress(i)
            d.groups[0x8000] = Self.addressRow(bus: a.bus, id: a.id, lun: a.lun)
            d.blockStorage = volumeStorage(i)
            out.append(d)
        }
        if let status = failEveryMessage {
            for k in out.indices {
                out[k].failures.append(KnownFailure(function: nil, group: nil, reqStatus: status, detailedStatus: .success))
            }
        }
        return out
    }

    /// One HRT entry per bus: AdapterID = bus << 16 | port TID, PCI, the SmartRAID V PCI IDs.
    public func derivedHRT() -> HRT {
        HRT(entries: buses.indices.map { n in
            HRTEntry(adapterID: UInt32(n) << 16 | UInt32(portTID(bus: n).rawValue), controllingTID: .executive,
                     adapterState: 0xF, busNumber: UInt8(truncatingIfNeeded: n), busType: HRTBusType.pci.rawValue,
                     busInfo: HRTEntry.pciInfo(function: 0, device: UInt8(truncatingIfNeeded: 22 + n), bus: 1,
                                               vendorID: 0x1044, deviceID: 0xA501))
        }, changeIndicator: 1)
    }

    /// The boot device: the first array (not a hot spare), else none.
    public var derivedBootDevice: TID { arrays.indices.first { !arrays[$0].isHotSpare }.map(arrayTID) ?? .none }

    private func iopHardwareValues() -> [(Int, [UInt8])] {
        let schema = StandardGroups.iopHardware
        var values: [(Int, [UInt8])] = []
        if let f = schema.field(named: "I2oVendorID") { values.append((f, [0x1B, 0x00])) }
        if let f = schema.field(named: "ProductID") { values.append((f, [0x01, 0xA5])) }
        if let f = schema.field(named: "ProcessorMemory") { values.append((f, le32(cacheBytes))) }
        if let f = schema.field(named: "PermMemory") { values.append((f, le32(flashRegionSizes.reduce(0, &+)))) }
        return values
    }

    static func addressRow(bus: UInt8, id: UInt8, lun: UInt8) -> ParamGroup {
        row(DPTGroups.deviceInfo, [(2, [bus, 0]), (3, le32(UInt32(id))), (4, [0, lun, 0, 0, 0, 0, 0, 0])])
    }

    /// A scalar row with the given fields set (bytes truncated or zero-padded to the field width).
    static func row(_ schema: ParamGroupSchema, _ values: [(Int, [UInt8])]) -> ParamGroup {
        var row = [UInt8](repeating: 0, count: schema.rowWidth)
        let offsets = schema.offsets
        for (f, bytes) in values where schema.fields.indices.contains(f) {
            let w = schema.fields[f].type.width
            for (k, b) in bytes.prefix(w).enumerated() { row[offsets[f] + k] = b }
        }
        return ParamGroup(schema: schema, rows: [row])
    }
}

func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
