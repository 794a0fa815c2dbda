import I2OFormats

/// A parameter group with its rows. Scalar groups have exactly one row.
/// Rows are packed bytes in the schema's layout, so a get is a copy, not an encoding.
public struct ParamGroup: Hashable, Sendable {
    public var schema: ParamGroupSchema
    public var rows: [[UInt8]]
    public init(schema: ParamGroupSchema, rows: [[UInt8]]) {
        self.schema = schema; self.rows = rows
    }
    /// A scalar group of all-zero fields.
    public static func zeroed(_ schema: ParamGroupSchema) -> ParamGroup {
        ParamGroup(schema: schema, rows: schema.kind == .scalar ? [[UInt8](repeating: 0, count: schema.rowWidth)] : [])
    }
}

/// A failure a device is known for: a request matching it is answered with this status
/// (e.g. the U3-1L bus port whose 0xF100 read fails with ERROR_PARTIAL_TRANSFER / UNKNOWN_ERROR).
public struct KnownFailure: Hashable, Sendable {
    /// The function it applies to; nil = every function.
    public var function: I2OFunction?
    /// For UtilParamsGet/Set: the group whose operations trigger it; nil = any group.
    public var group: UInt16?
    public var reqStatus: ReqStatus
    public var detailedStatus: DetailedStatus
    public init(function: I2OFunction?, group: UInt16?, reqStatus: ReqStatus, detailedStatus: DetailedStatus) {
        self.function = function; self.group = group; self.reqStatus = reqStatus; self.detailedStatus = detailedStatus
    }
}

/// One device (one LCT entry, or the executive at TID 0) as a fixture describes it.
public struct DeviceDescription: Hashable, Sendable {
    /// The parts, in one copy-on-write box: a device is copied out of its IOP's table on many
    /// requests, and a copy is then one retain rather than one per part. Unchecked exclusivity, as
    /// `IOP.Storage` (and for the same reasons).
    final class Storage: @unchecked Sendable {   // Sendable: never mutated while shared (see `unique`).
        @exclusivity(unchecked) var entry: LCTEntry
        @exclusivity(unchecked) var groups: [UInt16: ParamGroup]
        @exclusivity(unchecked) var htmlPages: [UInt32: [UInt8]]
        @exclusivity(unchecked) var failures: [KnownFailure]
        @exclusivity(unchecked) var blockStorage: StorageDescription?
        /// Group 0xF100 as a read gives it, derived fields included: a function of `entry` and
        /// `groups`, recomputed whenever either changes (see `IOP.deviceIdentity`).
        @exclusivity(unchecked) var identity: ParamGroup
        init(entry: LCTEntry, groups: [UInt16: ParamGroup], htmlPages: [UInt32: [UInt8]], failures: [KnownFailure],
             blockStorage: StorageDescription? = nil, identity: ParamGroup? = nil) {
            self.entry = entry; self.groups = groups; self.htmlPages = htmlPages; self.failures = failures
            self.blockStorage = blockStorage
            self.identity = identity ?? IOP.deviceIdentity(entry: entry, groups: groups)
        }
        func copy() -> Storage {
            Storage(entry: entry, groups: groups, htmlPages: htmlPages, failures: failures, blockStorage: blockStorage, identity: identity)
        }
        func refreshIdentity() { identity = IOP.deviceIdentity(entry: entry, groups: groups) }
    }
    private var storage: Storage
    private mutating func unique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The LCT entry. For TID 0 this is the executive's own entry.
    public var entry: LCTEntry {
        get { storage.entry }
        _modify { unique(); yield &storage.entry; storage.refreshIdentity() }
    }
    /// Parameter groups by number. Standard groups the model derives (0xF000, 0xF100's ClassID,
    /// 0x0004/0x0005, 0x0100–0x0102) are computed from state and need not be present.
    public var groups: [UInt16: ParamGroup] {
        get { storage.groups }
        _modify { unique(); yield &storage.groups; storage.refreshIdentity() }
    }
    /// Group 0xF100 (Device Identity) as UtilParamsGet reads it: the stored row with ClassID,
    /// OwnerTID and ParentTID from the LCT entry. Kept current, so a read builds nothing.
    public var identity: ParamGroup { storage.identity }
    /// HTML configuration pages by page number (UtilConfigDialog).
    public var htmlPages: [UInt32: [UInt8]] {
        get { storage.htmlPages }
        _modify { unique(); yield &storage.htmlPages }
    }
    public var failures: [KnownFailure] {
        get { storage.failures }
        _modify { unique(); yield &storage.failures }
    }
    /// Where the device's data lives (block storage devices that hold data; nil: none).
    public var blockStorage: StorageDescription? {
        get { storage.blockStorage }
        _modify { unique(); yield &storage.blockStorage }
    }

    public init(entry: LCTEntry, groups: [UInt16: ParamGroup] = [:], htmlPages: [UInt32: [UInt8]] = [:],
                failures: [KnownFailure] = [], blockStorage: StorageDescription? = nil) {
        storage = Storage(entry: entry, groups: groups, htmlPages: htmlPages, failures: failures, blockStorage: blockStorage)
    }
    public var tid: TID { entry.localTID }

    public static func == (a: DeviceDescription, b: DeviceDescription) -> Bool {
        a.storage === b.storage
            || (a.entry == b.entry && a.groups == b.groups && a.htmlPages == b.htmlPages && a.failures == b.failures
                && a.blockStorage == b.blockStorage)
    }
    public func hash(into h: inout Hasher) {
        h.combine(entry); h.combine(groups); h.combine(htmlPages); h.combine(failures); h.combine(blockStorage)
    }
}

/// A module in an IOP's software store, keyed by (SwType, SwID).
public struct SoftwareModule: Hashable, Sendable {
    public var swType: UInt8
    public var swID: UInt32
    public var bytes: [UInt8]
    /// DownloadFlags bit 0: kept in permanent store (survives a power cycle) vs. loaded to memory.
    public var permanent: Bool
    /// DownloadFlags bit 1 clear: experimental until ExecConfigValidate makes it valid.
    public var experimental: Bool
    /// Name shown in the driver store table (0x0005).
    public var name: String
    public init(swType: UInt8, swID: UInt32, bytes: [UInt8], permanent: Bool = true, experimental: Bool = false,
                name: String = "") {
        self.swType = swType; self.swID = swID; self.bytes = bytes; self.permanent = permanent
        self.experimental = experimental; self.name = name
    }
}

/// The software store: modules and the room for them.
public struct SoftwareStore: Hashable, Sendable {
    /// Total bytes the store can hold.
    public var capacity: Int
    /// The most modules it can hold.
    public var moduleLimit: Int
    public var modules: [SoftwareModule]
    public init(capacity: Int = 1 << 20, moduleLimit: Int = 16, modules: [SoftwareModule] = []) {
        self.capacity = capacity; self.moduleLimit = moduleLimit; self.modules = modules
    }
    public var usedSpace: Int { modules.reduce(0) { $0 + $1.bytes.count } }
}

/// One IOP as a fixture describes it.
public struct IOPDescription: Hashable, Sendable {
    public var unit: IOPUnit
    public var status: StatusBlock
    public var hrt: HRT
    /// LCT header values (IopFlags, CurrentChangeIndicator, BootDeviceTID); entries come from `devices`.
    public var lctIopFlags: UInt32
    public var lctChangeIndicator: UInt32
    public var bootDevice: TID
    /// The devices, executive (TID 0) included; the LCT lists the others in this order.
    public var devices: [DeviceDescription]
    public var store: SoftwareStore
    /// The vendor firmware module, for IOPs described with one (nil: the IOP answers no private messages).
    public var firmware: (any IOPFirmware)? {
        get { firmwareSlot?.module }
        set { firmwareSlot = newValue.map(FirmwareSlot.init) }
    }
    private var firmwareSlot: FirmwareSlot?

    public init(unit: IOPUnit, status: StatusBlock, hrt: HRT, lctIopFlags: UInt32 = 0, lctChangeIndicator: UInt32 = 1,
                bootDevice: TID = .none, devices: [DeviceDescription], store: SoftwareStore = SoftwareStore(),
                firmware: (any IOPFirmware)? = nil) {
        self.unit = unit; self.status = status; self.hrt = hrt; self.lctIopFlags = lctIopFlags
        self.lctChangeIndicator = lctChangeIndicator; self.bootDevice = bootDevice; self.devices = devices
        self.store = store; self.firmwareSlot = firmware.map(FirmwareSlot.init)
    }
}

/// A whole machine: its IOPs.
public struct MachineDescription: Hashable, Sendable {
    public var name: String
    public var iops: [IOPDescription]
    public init(name: String, iops: [IOPDescription]) { self.name = name; self.iops = iops }
}
