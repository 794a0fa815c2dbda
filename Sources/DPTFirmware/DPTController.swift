import I2OFormats
import IOPModel

/// An Adaptec/DPT RAID controller as a person describes it: identity, cache, buses, disks and
/// arrays. Everything the firmware shows (the LCT, the HRT, the DPT groups 0x8000/0x0200, the
/// array pages, the disks' magic numbers) is derived from this one description, so the views
/// the management tools cross-check (docs/dpt-protocol.md §Consistency) cannot disagree. It is the IOP's
/// firmware module (`IOPFirmware`, in DPTPrivate.swift).
public struct DPTController: Hashable, Sendable {
    public var vendor: String
    public var model: String
    public var firmware: String
    /// NVRAM version string (MODE SENSE 0x2E bytes 104–111).
    public var nvramVersion: String
    /// Controller serial (MODE SENSE 0x2E bytes 112–126).
    public var serial: String
    /// Cache memory in bytes (LOG SENSE 0x33 parameter 4).
    public var cacheBytes: UInt32
    /// Interrupt line shown in LOG SENSE 0x33 parameter 1.
    public var irq: UInt8
    /// The chip name the bus ports show in group 0xF100 (e.g. "AIC-7899").
    public var portChip: String
    /// Sizes of flash regions 0…3 (DPT private 0x0100).
    public var flashRegionSizes: [UInt32]
    public var buses: [DPTBus]
    public var disks: [DPTDisk]
    /// The logical units (LSUs): arrays and hot spares (level 0xFE), in the order they were made.
    public var arrays: [DPTArray]
    /// What a management tool set and the firmware keeps: clock, alarm, NVRAM, event log, flash
    /// (DPTSettings.swift).
    public var settings = DPTSettings()
    /// When set, every message to this IOP fails with this ReqStatus (DetailedStatus 0), the way a
    /// dead controller behind Linux's i2o_config looks (docs/dpt-protocol.md §Errors).
    public var failEveryMessage: ReqStatus?

    public init(vendor: String = "ADAPTEC", model: String = "3200S", firmware: String = "3B0A",
                nvramVersion: String = "CADP-2", serial: String = "BA12345678", cacheBytes: UInt32 = 64 << 20,
                irq: UInt8 = 11, portChip: String = "AIC-7899",
                flashRegionSizes: [UInt32] = [0xBC000, 0x40000, 0x2000, 0x2000],
                buses: [DPTBus] = [DPTBus()], disks: [DPTDisk] = [], arrays: [DPTArray] = [],
                failEveryMessage: ReqStatus? = nil) {
        self.vendor = vendor; self.model = model; self.firmware = firmware; self.nvramVersion = nvramVersion
        self.serial = serial; self.cacheBytes = cacheBytes; self.irq = irq; self.portChip = portChip
        self.flashRegionSizes = flashRegionSizes; self.buses = buses; self.disks = disks; self.arrays = arrays
        self.failEveryMessage = failEveryMessage
    }
}

/// One SCSI channel of the controller. Its bus number is its index in `DPTController.buses`.
public struct DPTBus: Hashable, Sendable, Codable {
    /// The controller's own SCSI ID on this bus (group 0x0200 InitiatorID).
    public var initiatorID: UInt8
    public init(initiatorID: UInt8 = 7) { self.initiatorID = initiatorID }
}

/// A physical disk on one of the controller's buses.
public struct DPTDisk: Hashable, Sendable, Codable {
    /// The drive's state (PAP main status): optimal, failed (forced, or by the control channel),
    /// replaced (a new drive in a failed one's place, to be rebuilt).
    public enum Status: String, Hashable, Sendable, CaseIterable, Codable {
        case optimal, failed, replaced
    }
    public var vendor: String
    public var product: String
    public var revision: String
    public var serial: String
    /// Capacity in 512-byte blocks.
    public var blocks: UInt32
    public var bus: UInt8
    public var id: UInt8
    public var lun: UInt8
    public var status: Status
    /// Its TID (nil: 0x200 + its index; set for a drive plugged in while the card ran).
    public var tid: UInt16?
    public init(vendor: String, product: String, revision: String = "0001", serial: String = "",
                blocks: UInt32, bus: UInt8 = 0, id: UInt8, lun: UInt8 = 0, status: Status = .optimal, tid: UInt16? = nil) {
        self.vendor = vendor; self.product = product; self.revision = revision; self.serial = serial
        self.blocks = blocks; self.bus = bus; self.id = id; self.lun = lun; self.status = status; self.tid = tid
    }
    /// "b0t1d0", raidutil's notation.
    public var address: String { "b\(bus)t\(id)d\(lun)" }
}

/// A firmware-level logical unit (LSU) over some of the disks: an array, or a hot spare
/// (level 0xFE, one member). The optional identity fields are nil for an array a fixture
/// describes plainly (then derived: TID after the disks, magic 0x2B000000 + n, address of the
/// first member, capacity from the members) and set for one a tool created, as it sent them.
public struct DPTArray: Hashable, Sendable, Codable {
    /// RAID level: 0, 1, 5, 10, or 0xFE for a hot spare.
    public var level: UInt8
    /// Indices into `DPTController.disks`, in component order.
    public var members: [Int]
    /// Stripe size in blocks (LAP component elements).
    public var stripeBlocks: UInt32
    /// The LSU's TID (nil: derived).
    public var tid: UInt16?
    /// The LSU's magic number (nil: derived).
    public var magic: UInt32?
    /// Capacity in blocks (nil: derived from the members).
    public var blocks: UInt32?
    /// Blocks used on each member (nil: derived).
    public var memberBlocks: UInt32?
    /// The LSU's address (nil: its first member's).
    public var address: DPTAddress?
    /// Write-back caching (mode page 8 byte 2 bit 0x04).
    public var writeBack: Bool
    /// Background task rate (LAP byte 17) and amount (18–19), as MODIFY set them.
    public var rate: UInt8
    public var amount: UInt16
    /// The background task running on it (build, rebuild, verify), if any.
    public var task: DPTTask?
    /// Errors the last verify found (LAP bytes 24–27).
    public var verifyErrors: UInt32

    public init(level: UInt8, members: [Int], stripeBlocks: UInt32 = 128, tid: UInt16? = nil, magic: UInt32? = nil,
                blocks: UInt32? = nil, memberBlocks: UInt32? = nil, address: DPTAddress? = nil, writeBack: Bool = false,
                rate: UInt8 = 0, amount: UInt16 = 0, task: DPTTask? = nil, verifyErrors: UInt32 = 0) {
        self.level = level; self.members = members; self.stripeBlocks = stripeBlocks; self.tid = tid; self.magic = magic
        self.blocks = blocks; self.memberBlocks = memberBlocks; self.address = address; self.writeBack = writeBack
        self.rate = rate; self.amount = amount; self.task = task; self.verifyErrors = verifyErrors
    }

    /// The RAID level of a hot spare.
    public static let hotSpare: UInt8 = 0xFE
    public var isHotSpare: Bool { level == Self.hotSpare }
}

/// A firmware-level SCSI address.
public struct DPTAddress: Hashable, Sendable, Codable {
    public var bus: UInt8, id: UInt8, lun: UInt8
    public init(bus: UInt8, id: UInt8, lun: UInt8 = 0) { self.bus = bus; self.id = id; self.lun = lun }
    /// "b0t1d0", raidutil's notation.
    public var text: String { "b\(bus)t\(id)d\(lun)" }
}

/// The array status the firmware reports (LAP #2 byte 0's main status, low nibble), derived from
/// the members and the running task (docs/dpt-protocol.md §Management): 0 Optimal, 1 Degraded,
/// 2 Reconstruct (a rebuild), 4 Dead, 0x0A Verifying, 0x0B Building — the codes the vendor's engine decodes.
public enum DPTArrayStatus: UInt8, Hashable, Sendable {
    case optimal = 0x00
    case degraded = 0x01
    case reconstruct = 0x02
    case dead = 0x04
    case verifying = 0x0A
    case building = 0x0B
    public var name: String {
        switch self {
        case .optimal: "Optimal"; case .degraded: "Degraded"; case .reconstruct: "Reconstruct"; case .dead: "Dead"
        case .verifying: "Verifying"; case .building: "Building"
        }
    }
}

extension DPTController {
    /// Blocks DPT firmware reserves at the end of every array member (for its own tables).
    public static let reservedBlocksPerMember: UInt32 = 0x1000
    /// The first TID of the bus ports, the disks, in the order of the description.
    public static let firstPortTID: UInt16 = 0x008
    public static let firstDeviceTID: UInt16 = 0x200

    /// Bus-adapter port TID of bus `n`.
    public func portTID(bus n: Int) -> TID { TID(rawValue: Self.firstPortTID + UInt16(n)) }
    /// TID of disk `i`.
    public func diskTID(_ i: Int) -> TID {
        guard disks.indices.contains(i) else { return .none }
        return TID(rawValue: disks[i].tid ?? Self.firstDeviceTID + UInt16(i))
    }
    /// TID of LSU `i`: the one it was given, else the next after the disks (counting only the
    /// arrays before it); a hot spare has no LCT entry of its own and answers at its disk's TID.
    public func arrayTID(_ i: Int) -> TID {
        guard arrays.indices.contains(i) else { return .none }
        let a = arrays[i]
        if let t = a.tid { return TID(rawValue: t) }
        if a.isHotSpare { return a.members.first.map(diskTID) ?? .none }
        let before = arrays[..<i].filter { !$0.isHotSpare }.count
        return TID(rawValue: Self.firstDeviceTID + UInt16(disks.count + before))
    }

    /// The disk's "magic number" (MODE SENSE page 0x32; LAP member elements): unique, bit 31 clear.
    public func diskMagic(_ i: Int) -> UInt32 {
        guard disks.indices.contains(i) else { return 0 }
        let d = disks[i]
        return 0x1B00_0000 | UInt32(d.bus) << 16 | UInt32(d.id) << 8 | UInt32(d.lun)
    }
    /// The array's magic number (LAP #2 "LSU magic"): the one the tool chose, else derived.
    public func arrayMagic(_ i: Int) -> UInt32 {
        guard arrays.indices.contains(i) else { return 0 }
        return arrays[i].magic ?? 0x2B00_0000 | UInt32(i + 1)
    }

    /// The LSU a disk belongs to (an array, or a hot spare), if any.
    public func array(of disk: Int) -> Int? { arrays.firstIndex { $0.members.contains(disk) } }

    /// Capacity of array `i` in blocks: what the tool asked for, else usable member capacity
    /// times the data members.
    public func arrayBlocks(_ i: Int) -> UInt32 {
        guard arrays.indices.contains(i) else { return 0 }
        let a = arrays[i]
        if let b = a.blocks { return b }
        let sizes = a.members.compactMap { disks.indices.contains($0) ? disks[$0].blocks : nil }
        guard let smallest = sizes.min() else { return 0 }
        let usable = UInt64(smallest > Self.reservedBlocksPerMember ? smallest - Self.reservedBlocksPerMember : 0)
        let n = UInt64(sizes.count)
        let data: UInt64
        switch a.level {
        case 0: data = n
        case 1: data = 1
        case 5: data = n > 1 ? n - 1 : 1
        case 10: data = max(n / 2, 1)
        default: data = 1
        }
        return UInt32(truncatingIfNeeded: min(usable * data, UInt64(UInt32.max)))
    }

    /// How many failed members array `i` survives.
    func tolerance(level: UInt8, members: Int) -> Int {
        switch level {
        case 1: return members - 1
        case 5, 10: return 1
        default: return 0
        }
    }

    /// The array's status: its task's (Building, Reconstruct, Verifying) while one runs, else
    /// from its members (a failed or replaced one degrades it; more than it tolerates kills it).
    public func arrayStatus(_ i: Int) -> DPTArrayStatus {
        guard arrays.indices.contains(i) else { return .dead }
        let a = arrays[i]
        let failed = a.members.filter { !disks.indices.contains($0) || disks[$0].status == .failed }.count
        let replaced = a.members.filter { disks.indices.contains($0) && disks[$0].status == .replaced }.count
        if failed + replaced > tolerance(level: a.level, members: a.members.count) && !a.isHotSpare { return .dead }
        if a.isHotSpare { return failed > 0 ? .dead : .optimal }
        if let t = a.task {
            switch t.kind {
            case .build: return .building
            case .rebuild: return .reconstruct
            case .verify, .verifyFix: if failed + replaced == 0 { return .verifying }
            }
        }
        return failed + replaced == 0 ? .optimal : .degraded
    }

    /// The firmware-level (bus, id, lun) of array `i`: the one the tool gave, else its first member's.
    public func arrayAddress(_ i: Int) -> (bus: UInt8, id: UInt8, lun: UInt8) {
        guard arrays.indices.contains(i) else { return (0, 0, 0) }
        if let a = arrays[i].address { return (a.bus, a.id, a.lun) }
        guard let first = arrays[i].members.first, disks.indices.contains(first) else { return (0, 0, 0) }
        let d = disks[first]
        return (d.bus, d.id, d.lun)
    }

    /// The product string an array shows ("RAID-1", "RAID-5" …; "HOT-SPARE").
    public func arrayProduct(_ i: Int) -> String {
        guard arrays.indices.contains(i) else { return "RAID" }
        return arrays[i].isHotSpare ? "HOT-SPARE" : "RAID-\(arrays[i].level)"
    }

    /// The PAP (MODE SENSE page 0x2A) status byte of a physical address: 0x00 optimal member of
    /// an LSU, 0x02 unconfigured, 0x03 failed, 0x04 replaced, 0x24 replaced and being rebuilt.
    public func papStatus(disk i: Int) -> UInt8 {
        guard disks.indices.contains(i) else { return 0 }
        switch disks[i].status {
        case .failed: return 0x03
        case .replaced:
            if let a = array(of: i), arrays[a].task?.kind == .rebuild { return 0x24 }
            return 0x04
        case .optimal: return array(of: i) == nil ? 0x02 : 0x00
        }
    }

    /// PAP index of an address (docs/dpt-protocol.md §Model #18).
    public static func papIndex(bus: UInt8, id: UInt8) -> Int {
        Int(id & 0x1F) | Int(id & 0x60) << 1 | Int(bus) << 5
    }

    /// Problems that make the description inconsistent (empty when it is usable).
    public func problems() -> [String] {
        var out: [String] = []
        var seen: [String: Int] = [:]
        for (i, d) in disks.enumerated() {
            if Int(d.bus) >= buses.count { out.append("disks[\(i)] is on bus \(d.bus), but the controller has \(buses.count) bus(es)") }
            if d.id > 0x7F { out.append("disks[\(i)] has SCSI id \(d.id); ids go up to 127") }
            if d.lun > 7 { out.append("disks[\(i)] has LUN \(d.lun); LUNs go up to 7") }
            if Int(d.bus) < buses.count, d.id == buses[Int(d.bus)].initiatorID {
                out.append("disks[\(i)] uses id \(d.id), the controller's own initiator id on bus \(d.bus)")
            }
            if let first = seen[d.address] { out.append("disks[\(i)] and disks[\(first)] are both at \(d.address)") }
            else { seen[d.address] = i }
        }
        var owner: [Int: Int] = [:]
        for (i, a) in arrays.enumerated() {
            if ![0, 1, 5, 10, DPTArray.hotSpare].contains(a.level) { out.append("arrays[\(i)] has RAID level \(a.level); use 0, 1, 5 or 10") }
            let minimum = a.isHotSpare ? 1 : a.level == 5 ? 3 : (a.level == 10 ? 4 : 2)
            if a.members.count < minimum { out.append("arrays[\(i)] (RAID-\(a.level)) needs at least \(minimum) members, has \(a.members.count)") }
            for m in a.members {
                if !disks.indices.contains(m) { out.append("arrays[\(i)] names disk \(m), which does not exist"); continue }
                if let o = owner[m] { out.append("disk \(disks[m].address) is a member of arrays[\(o)] and arrays[\(i)]") }
                else { owner[m] = i }
            }
        }
        if flashRegionSizes.count != 4 { out.append("flash needs 4 region sizes, has \(flashRegionSizes.count)") }
        if disks.count + arrays.count > 0xDFF { out.append("too many devices for TIDs 0x200–0xFFE") }
        var tids: [TID: String] = [:]
        for i in disks.indices {
            if let other = tids[diskTID(i)] { out.append("disk \(disks[i].address) and \(other) both have TID \(diskTID(i))") }
            tids[diskTID(i)] = "disk " + disks[i].address
        }
        for i in arrays.indices where !arrays[i].isHotSpare {
            if let other = tids[arrayTID(i)] { out.append("arrays[\(i)] and \(other) both have TID \(arrayTID(i))") }
            tids[arrayTID(i)] = "arrays[\(i)]"
        }
        return out
    }
}

extension IOPDescription {
    /// The IOP's firmware module when it is DPT's (an IOP described with a `dpt:` section).
    public var dpt: DPTController? { firmware as? DPTController }
}
