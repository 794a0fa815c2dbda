import I2OFormats

/// One simulated IOP: a state machine that takes request message frames (with the host
/// buffers their SGLs point at) and produces the reply frames a real IOP would send.
///
/// It knows nothing of ioctls, CUSE or sockets. Replies that come later than the request
/// (UtilEventRegister's events, an ExecLctNotify waiting for a change) are queued in
/// `outbound` and taken with `takeOutbound()`, as a host drains an outbound FIFO.
public struct IOP: Sendable {
    public private(set) var unit: IOPUnit
    public internal(set) var status: StatusBlock
    public internal(set) var hrt: HRT
    public internal(set) var lctIopFlags: UInt32
    public internal(set) var lctChangeIndicator: UInt32
    public internal(set) var bootDevice: TID
    /// Devices by TID, executive (TID 0) included.
    public internal(set) var devices: [TID: DeviceDescription]
    /// LCT order of TIDs.
    public internal(set) var order: [TID]
    public internal(set) var store: SoftwareStore
    /// Replies produced after their request (events, completed LctNotify).
    public internal(set) var outbound: [MessageFrame] = []
    /// UtilEventRegister registrations, in the order they were made.
    public internal(set) var eventRegistrations: [EventRegistration] = []
    /// ExecLctNotify requests waiting for the LCT to change.
    var pendingLctNotifies: [PendingLctNotify] = []
    /// ExecSwDownload assemblies in progress, by (SwType, SwID).
    public internal(set) var downloads: [SoftwareKey: DownloadAssembly] = [:]
    /// The last query string UtilConfigDialog received, per TID.
    public internal(set) var lastConfigQuery: [TID: [UInt8]] = [:]
    /// The Adaptec/DPT firmware module's state (nil: the IOP answers no DPT private messages).
    public internal(set) var dpt: DPTController?

    public init(_ d: IOPDescription) {
        unit = d.unit
        status = d.status
        hrt = d.hrt
        lctIopFlags = d.lctIopFlags
        lctChangeIndicator = d.lctChangeIndicator
        bootDevice = d.bootDevice
        devices = Dictionary(d.devices.map { ($0.tid, $0) }, uniquingKeysWith: { a, _ in a })
        order = d.devices.map(\.tid)
        store = d.store
        dpt = d.dpt
    }

    /// The description this IOP would be re-created from now (a snapshot).
    public var snapshot: IOPDescription {
        IOPDescription(unit: unit, status: status, hrt: hrt, lctIopFlags: lctIopFlags,
                       lctChangeIndicator: lctChangeIndicator, bootDevice: bootDevice,
                       devices: order.compactMap { devices[$0] }, store: store, dpt: dpt)
    }

    /// The LCT in wire format as the IOP would write it for ExecLctNotify.
    public var lct: LCT {
        LCT(entries: order.compactMap { devices[$0]?.entry }, iopFlags: lctIopFlags,
            changeIndicator: lctChangeIndicator, bootDeviceTID: bootDevice)
    }

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
    public init(_ d: MachineDescription) {
        name = d.name
        iops = Dictionary(d.iops.map { ($0.unit, IOP($0)) }, uniquingKeysWith: { a, _ in a })
    }
    public var units: [IOPUnit] { iops.keys.sorted() }
    public var snapshot: MachineDescription { MachineDescription(name: name, iops: units.compactMap { iops[$0]?.snapshot }) }
}
