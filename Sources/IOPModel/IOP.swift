import I2OFormats

/// One simulated IOP: a state machine that takes request message frames (with the host
/// buffers their SGLs point at) and produces the reply frames a real IOP would send.
///
/// It knows nothing of ioctls, CUSE or sockets. Replies that come later than the request
/// (UtilEventRegister's events, an ExecLctNotify waiting for a change) are queued in
/// `outbound` and taken with `takeOutbound()`, as a host drains an outbound FIFO.
public struct IOP: Sendable {
    public private(set) var unit: IOPUnit
    public internal(set) var lctIopFlags: UInt32
    public internal(set) var lctChangeIndicator: UInt32
    public internal(set) var bootDevice: TID

    /// The parts that hold references, in one copy-on-write box: copying an IOP (every request
    /// the engine looks at, every `attempt`) is then one retain, not one per table.
    /// Its fields skip the run-time exclusivity check (`@exclusivity(unchecked)`): they are reached
    /// only through the accessors below, one at a time, and changed only while the box is this
    /// IOP's alone. The checks cost a twentieth of a parameter request.
    final class Storage: @unchecked Sendable {   // Sendable: never mutated while shared (see `unique`).
        @exclusivity(unchecked) var status: StatusBlock
        @exclusivity(unchecked) var hrt: HRT
        @exclusivity(unchecked) var devices: [TID: DeviceDescription]
        @exclusivity(unchecked) var order: [TID]
        @exclusivity(unchecked) var store: SoftwareStore
        @exclusivity(unchecked) var outbound: [MessageFrame]
        @exclusivity(unchecked) var eventRegistrations: [EventRegistration]
        @exclusivity(unchecked) var pendingLctNotifies: [PendingLctNotify]
        @exclusivity(unchecked) var downloads: [SoftwareKey: DownloadAssembly]
        @exclusivity(unchecked) var lastConfigQuery: [TID: [UInt8]]
        @exclusivity(unchecked) var firmware: (any IOPFirmware)?

        init(status: StatusBlock, hrt: HRT, devices: [TID: DeviceDescription], order: [TID], store: SoftwareStore,
             outbound: [MessageFrame] = [], eventRegistrations: [EventRegistration] = [],
             pendingLctNotifies: [PendingLctNotify] = [], downloads: [SoftwareKey: DownloadAssembly] = [:],
             lastConfigQuery: [TID: [UInt8]] = [:], firmware: (any IOPFirmware)?) {
            self.status = status; self.hrt = hrt; self.devices = devices; self.order = order; self.store = store
            self.outbound = outbound; self.eventRegistrations = eventRegistrations
            self.pendingLctNotifies = pendingLctNotifies; self.downloads = downloads
            self.lastConfigQuery = lastConfigQuery; self.firmware = firmware
        }
        func copy() -> Storage {
            Storage(status: status, hrt: hrt, devices: devices, order: order, store: store, outbound: outbound,
                    eventRegistrations: eventRegistrations, pendingLctNotifies: pendingLctNotifies, downloads: downloads,
                    lastConfigQuery: lastConfigQuery, firmware: firmware)
        }
    }
    private var storage: Storage

    /// The data of the block storage devices, by TID (`BlockStorageClass.swift`). References: every
    /// copy of the IOP reaches the same disks.
    public internal(set) var blockDevices: [TID: BlockDevice] = [:]
    /// Where the disks' bytes live.
    public let media: any MediaProvider

    /// Makes the box this IOP's own before a change.
    private mutating func unique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public internal(set) var status: StatusBlock {
        get { storage.status }
        _modify { unique(); yield &storage.status }
    }
    /// The status block's InboundFrameSize, read without copying the block (requests size their
    /// frames by it).
    public var inboundFrameSize: WordCount { storage.status.inboundFrameSize }
    public internal(set) var hrt: HRT {
        get { storage.hrt }
        _modify { unique(); yield &storage.hrt }
    }
    /// Devices by TID, executive (TID 0) included.
    public internal(set) var devices: [TID: DeviceDescription] {
        get { storage.devices }
        _modify { unique(); yield &storage.devices }
    }
    /// LCT order of TIDs.
    public internal(set) var order: [TID] {
        get { storage.order }
        _modify { unique(); yield &storage.order }
    }
    public internal(set) var store: SoftwareStore {
        get { storage.store }
        _modify { unique(); yield &storage.store }
    }
    /// Replies produced after their request (events, completed LctNotify).
    public internal(set) var outbound: [MessageFrame] {
        get { storage.outbound }
        _modify { unique(); yield &storage.outbound }
    }
    /// UtilEventRegister registrations, in the order they were made.
    public internal(set) var eventRegistrations: [EventRegistration] {
        get { storage.eventRegistrations }
        _modify { unique(); yield &storage.eventRegistrations }
    }
    /// ExecLctNotify requests waiting for the LCT to change.
    var pendingLctNotifies: [PendingLctNotify] {
        get { storage.pendingLctNotifies }
        _modify { unique(); yield &storage.pendingLctNotifies }
    }
    /// ExecSwDownload assemblies in progress, by (SwType, SwID).
    public internal(set) var downloads: [SoftwareKey: DownloadAssembly] {
        get { storage.downloads }
        _modify { unique(); yield &storage.downloads }
    }
    /// The last query string UtilConfigDialog received, per TID.
    public internal(set) var lastConfigQuery: [TID: [UInt8]] {
        get { storage.lastConfigQuery }
        _modify { unique(); yield &storage.lastConfigQuery }
    }
    /// The vendor firmware module (nil: the IOP answers no private messages). Set it through
    /// `updateFirmware`, which puts a configuration change in the LCT.
    public internal(set) var firmware: (any IOPFirmware)? {
        get { storage.firmware }
        _modify { unique(); yield &storage.firmware }
    }

    /// The IOP a description gives; its block storage devices hold their data in `media`'s disks.
    public init(_ d: IOPDescription, media: any MediaProvider = MemoryMedia()) {
        unit = d.unit
        lctIopFlags = d.lctIopFlags
        lctChangeIndicator = d.lctChangeIndicator
        bootDevice = d.bootDevice
        storage = Storage(status: d.status, hrt: d.hrt,
                          devices: Dictionary(d.devices.map { ($0.tid, $0) }, uniquingKeysWith: { a, _ in a }),
                          order: d.devices.map(\.tid), store: d.store, firmware: d.firmware)
        self.media = media
        syncStorage()
        for tid in blockDevices.keys { addBlockStorageGroups(tid) }
    }

    /// The description this IOP would be re-created from now (a snapshot).
    public var snapshot: IOPDescription {
        IOPDescription(unit: unit, status: status, hrt: hrt, lctIopFlags: lctIopFlags,
                       lctChangeIndicator: lctChangeIndicator, bootDevice: bootDevice,
                       devices: order.compactMap { devices[$0].map(withCurrentStorage) }, store: store, firmware: firmware)
    }

    /// Gives device `tid` its data: block storage requests to it are answered from `device`.
    public mutating func attach(_ device: BlockDevice, to tid: TID) { blockDevices[tid] = device }

    /// The LCT in wire format as the IOP would write it for ExecLctNotify.
    public var lct: LCT {
        LCT(entries: order.compactMap { devices[$0]?.entry }, iopFlags: lctIopFlags,
            changeIndicator: lctChangeIndicator, bootDeviceTID: bootDevice)
    }

    /// The LCT's length in bytes (`lct.byteCount` without building the table).
    public var lctByteCount: Int { (LCT.headerWords + order.count * LCTEntry.words) * 4 }

    /// How many ExecLctNotify requests are waiting for an LCT change.
    public var pendingLctNotifyCount: Int { pendingLctNotifies.count }

    /// Takes the replies queued since the last call.
    public mutating func takeOutbound() -> [MessageFrame] {
        // Nearly always empty: then nothing is copied or allocated.
        guard !outbound.isEmpty else { return [] }
        defer { outbound.removeAll(keepingCapacity: true) }
        return outbound
    }
}

/// A machine: IOPs by unit.
public struct Machine: Sendable {
    public var iops: [IOPUnit: IOP]
    public let name: String
    /// Where the disks' bytes live; a machine re-created from a description (a hot-plug, a restore)
    /// keeps it, so its disks keep their data.
    public let media: any MediaProvider
    public init(_ d: MachineDescription, media: any MediaProvider = MemoryMedia()) {
        name = d.name
        self.media = media
        iops = Dictionary(d.iops.map { ($0.unit, IOP($0, media: media)) }, uniquingKeysWith: { a, _ in a })
    }
    public var units: [IOPUnit] { iops.keys.sorted() }
    /// Whether IOP `unit` exists — without copying it out (`iops[unit] != nil` copies the whole
    /// IOP, a retain and a release of each of its parts, on every request).
    public func hasIOP(_ unit: IOPUnit) -> Bool { iops.index(forKey: unit) != nil }
    /// `body` of IOP `unit` in place (borrowed, not copied); nil when there is no such IOP.
    public func withIOP<R>(_ unit: IOPUnit, _ body: (IOP) -> R) -> R? {
        iops.index(forKey: unit).map { body(iops.values[$0]) }
    }
    /// `milliseconds` of every IOP's firmware clock go by (`IOP.advanceFirmwareClock`).
    /// - Returns: whether any module's tasks changed anything.
    @discardableResult
    public mutating func advanceFirmwareClocks(milliseconds: UInt64) -> Bool {
        var changed = false
        for unit in units where iops[unit]?.firmware != nil {
            if iops[unit]?.advanceFirmwareClock(milliseconds: milliseconds) == true { changed = true }
        }
        return changed
    }
    public var snapshot: MachineDescription { MachineDescription(name: name, iops: units.compactMap { iops[$0]?.snapshot }) }
}
