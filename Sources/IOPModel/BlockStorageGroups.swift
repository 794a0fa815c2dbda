import BlockStorage
import I2OFormats

/// The block storage class's parameter groups on a RANDOM_BLOCK_STORAGE device that holds data,
/// computed from the data on every read (docs/block-storage.md §Parameter groups):
///
/// | group | fields |
/// |---|---|
/// | 0x0000 Device Information | DeviceType 0 (direct access), NumberOfPaths 1, PowerState (the last BsaPowerMgt), BlockSize, DeviceCapacity (bytes), DeviceCapabilitySupport (caching 0x01, removable media 0x08, RAID 0x400), DeviceState (caching 0x01 when write-back, powered on 0x02, ready 0x04, media loaded 0x08, RAID 0x400) |
/// | 0x0003 Cache Control | TotalCacheSize, ReadCacheSize, WriteCacheSize 0; **WritePolicy** (writable: 1 write-back, 2 write-through); ReadPolicy 1; ErrorCorrection 0 |
/// | 0x0004 Media Information | Capacity (bytes), BlockSize |
///
/// A UtilParamsSet of WritePolicy switches the device's cache (leaving write-back flushes first);
/// the device's storage description follows, so a snapshot keeps the mode.
public enum BlockStorageGroups {
    private static func f(_ n: String, _ t: ParamFieldType, _ w: Bool = false) -> ParamField { ParamField(n, t, writable: w) }
    public static let deviceInfo = ParamGroupSchema(number: 0x0000, name: "BSA Device Information", kind: .scalar, fields: [
        f("DeviceType", .u8), f("NumberOfPaths", .u8), f("PowerState", .u16), f("BlockSize", .u32), f("DeviceCapacity", .u64),
        f("DeviceCapabilitySupport", .u32), f("DeviceState", .u32)])
    public static let cacheControl = ParamGroupSchema(number: 0x0003, name: "BSA Cache Control", kind: .scalar, fields: [
        f("TotalCacheSize", .u32), f("ReadCacheSize", .u32), f("WriteCacheSize", .u32), f("WritePolicy", .u8, true),
        f("ReadPolicy", .u8), f("ErrorCorrection", .u8), f("reserved", .u8)])
    public static let mediaInfo = ParamGroupSchema(number: 0x0004, name: "BSA Media Information", kind: .scalar, fields: [
        f("Capacity", .u64), f("BlockSize", .u32)])
    public static let all = [deviceInfo, cacheControl, mediaInfo]

    static let writeBackPolicy: UInt8 = 0x01, writeThroughPolicy: UInt8 = 0x02
}

extension IOP {
    /// Whether group `number` of device `tid` is one `BlockStorageGroups` computes.
    func isBlockStorageGroup(_ number: UInt16, of d: DeviceDescription) -> Bool {
        number <= 0x0004 && d.tid != .executive && d.entry.classID == .randomBlockStorage && blockDevices[d.tid] != nil
            && BlockStorageGroups.all.contains { $0.number == number }
    }

    /// Gives a block storage device its groups (so requests find their schemas).
    mutating func addBlockStorageGroups(_ tid: TID) {
        guard let d = devices[tid], d.entry.classID == .randomBlockStorage else { return }
        for s in BlockStorageGroups.all where d.groups[s.number] == nil {
            devices[tid]?.groups[s.number] = ParamGroup.zeroed(s)
        }
    }

    /// The group's values now.
    func blockStorageGroup(_ number: UInt16, schema: ParamGroupSchema, of d: DeviceDescription) -> ParamGroup {
        guard let device = blockDevices[d.tid] else { return ParamGroup.zeroed(schema) }
        let t = device.target, bytes = t.blockCount * UInt64(t.blockSize)
        let cache = t as? WriteCache, raid = cache?.backing is RAIDVolume
        var g = ParamGroup.zeroed(schema)
        func put(_ v: UInt64, _ name: String) { Self.put(v, name, in: &g.rows[0], schema: schema) }
        switch number {
        case 0x0000:
            put(0, "DeviceType"); put(1, "NumberOfPaths"); put(UInt64(device.power), "PowerState")
            put(UInt64(t.blockSize), "BlockSize"); put(bytes, "DeviceCapacity")
            put((cache != nil ? 0x01 : 0) | (device.removable ? 0x08 : 0) | (raid ? 0x400 : 0), "DeviceCapabilitySupport")
            put((cache?.mode == .writeBack ? 0x01 : 0) | (device.power < 0x20 ? 0x02 : 0) | (t.isReady ? 0x04 : 0)
                | (device.isMounted ? 0x08 : 0) | (raid ? 0x400 : 0), "DeviceState")
        case 0x0003:
            put(UInt64(cache?.mode == .writeBack ? BlockStorageGroups.writeBackPolicy : BlockStorageGroups.writeThroughPolicy), "WritePolicy")
            put(1, "ReadPolicy")
        default:
            put(bytes, "Capacity"); put(UInt64(t.blockSize), "BlockSize")
        }
        return g
    }

    /// After a UtilParamsSet of Cache Control: the cache takes the WritePolicy set (1 write-back,
    /// anything else write-through), and the storage description remembers it.
    mutating func applyBlockStorageSettings(_ g: ParamGroup, of tid: TID) {
        guard g.schema.number == 0x0003, let cache = blockDevices[tid]?.target as? WriteCache,
              let i = g.schema.field(named: "WritePolicy"), let row = g.rows.first else { return }
        let writeBack = Self.get(i, row, g.schema) == UInt64(BlockStorageGroups.writeBackPolicy)
        try? cache.setMode(writeBack ? .writeBack : .writeThrough)
        if case var .volume(v)? = devices[tid]?.blockStorage {
            v.writeBack = cache.mode == .writeBack
            devices[tid]?.blockStorage = .volume(v)
        }
    }
}
