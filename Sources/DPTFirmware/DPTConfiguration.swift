import I2OFormats
import IOPModel

/// A page 0x30 command (LAP) as MODE SELECT(10) carries it (docs/dpt-protocol.md §Management):
/// after the 2-byte page header, 0 command, 1 RAID level, 2 LSU channel, 3 component count, 4–7
/// LSU magic, 8–11 capacity, 12–13 block size, 14 target id, 15 flags, 16 LUN, 17 rate, 18–19
/// amount; then one 26-byte element (`31 18` …) per component.
struct DPTLapCommand: Sendable {
    enum Command: UInt8, Sendable {
        case add = 0x80, delete = 0x81, modify = 0x82, abort = 0x84, build = 0x88, rebuild = 0x89
        case verify = 0x8A, verifyFix = 0x8B, assignMagic = 0x8C
    }
    struct Element: Sendable {
        var channel: UInt8, lun: UInt8, id: UInt32, magic: UInt32, capacity: UInt32, stripe: UInt16
    }
    var command: Command
    var level: UInt8
    var address: DPTAddress
    var magic: UInt32
    var capacity: UInt32
    var rate: UInt8
    var amount: UInt16
    var elements: [Element]

    /// Parses the page body (after code and length); nil when it is no valid command: an unknown
    /// command byte, a length that is not 28 + 26 × the component count, an element without its
    /// `31 18` header.
    init?(body b: [UInt8]) {
        guard b.count >= 28, let command = Command(rawValue: b[0]) else { return nil }
        let n = Int(b[3])
        // ASSIGN_MAGIC carries the array data only; every other command one element per component.
        if command == .assignMagic { guard b.count == 28 else { return nil } } else { guard b.count == 28 + 26 * n else { return nil } }
        self.command = command
        level = b[1]
        address = DPTAddress(bus: b[2], id: b[14], lun: b[16])
        magic = b.readBE32(at: 4)
        capacity = b.readBE32(at: 8)
        rate = b[17]
        amount = UInt16(b[18]) << 8 | UInt16(b[19])
        elements = []
        guard command != .assignMagic else { return }
        for k in 0..<n {
            let e = 28 + 26 * k
            guard b[e] == 0x31, b[e + 1] == 0x18 else { return nil }
            let x = e + 2
            elements.append(Element(channel: b[x + 2], lun: b[x + 3], id: b.readBE32(at: x + 4), magic: b.readBE32(at: x + 8),
                                    capacity: b.readBE32(at: x + 12), stripe: UInt16(b[x + 20]) << 8 | UInt16(b[x + 21])))
        }
    }
}

extension [UInt8] {
    func readBE32(at i: Int) -> UInt32 {
        UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }
}

extension DPTController {
    /// The most LSUs the firmware keeps (LOG SENSE 0x33 parameter 0x0E byte 0).
    public static let maxArrays = 24
    /// The most components of a RAID-0 and of a RAID-5 (parameter 0x0E bytes 1, 2).
    public static let maxComponents = 16

    /// Gives every LSU its TID, magic and address explicitly, so that adding or removing one
    /// moves no other's.
    mutating func pinIdentities() {
        let tids = arrays.indices.map { arrayTID($0) }
        let magics = arrays.indices.map { arrayMagic($0) }
        let addresses = arrays.indices.map { arrayAddress($0) }
        for i in arrays.indices {
            if !arrays[i].isHotSpare && arrays[i].tid == nil { arrays[i].tid = tids[i].rawValue }
            if arrays[i].magic == nil { arrays[i].magic = magics[i] }
            if arrays[i].address == nil { arrays[i].address = DPTAddress(bus: addresses[i].bus, id: addresses[i].id, lun: addresses[i].lun) }
        }
    }

    /// The lowest TID from 0x200 on that no disk or LSU uses.
    func freeTID() -> UInt16 {
        let used = Set(disks.indices.map { diskTID($0).rawValue } + arrays.indices.map { arrayTID($0).rawValue })
        var t = Self.firstDeviceTID
        while used.contains(t) { t += 1 }
        return t
    }

    /// The disk whose page 0x32 magic is `magic` (bit 31 ignored).
    func disk(magic: UInt32) -> Int? { disks.indices.first { diskMagic($0) == magic & 0x7FFF_FFFF } }

    /// Carries out a LAP command sent to `target`. Bad input changes nothing and answers CHECK
    /// CONDITION, ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST.
    mutating func lapCommand(_ body: [UInt8], to target: DPTTarget) -> DPTSCSIResult {
        guard let cmd = DPTLapCommand(body: body) else { return .checkCondition(.invalidParameterList) }
        if cmd.command == .add { return addLSU(cmd, to: target) }
        let lsu: Int
        switch target {
        case let .array(i): lsu = i
        case let .disk(d):
            guard let i = array(of: d), arrays[i].isHotSpare else { return .checkCondition(.invalidParameterList) }
            lsu = i
        case .controller, .other: return .checkCondition(.invalidParameterList)
        }
        let name = addressText(lsu)
        switch cmd.command {
        case .add: return .checkCondition(.invalidParameterList)   // handled above
        case .delete:
            pinIdentities()
            let level = arrays[lsu].level
            arrays.remove(at: lsu)
            log(.info, .arrayDeleted, level == DPTArray.hotSpare ? "hot spare \(name) deleted" : "array \(name) deleted")
        case .modify:
            arrays[lsu].rate = cmd.rate
            arrays[lsu].amount = cmd.amount
            log(.info, .arrayModified, "array \(name) rate \(cmd.rate) amount \(cmd.amount)")
        case .abort:
            guard arrays[lsu].task != nil else { return .good([]) }
            arrays[lsu].task = nil
            log(.minor, .taskAborted, "task on array \(name) aborted")
        case .build:
            guard !arrays[lsu].isHotSpare, arrayStatus(lsu) != .dead,
                  !arrays[lsu].members.contains(where: { disks[$0].status != .optimal }) else { return .checkCondition(.invalidParameterList) }
            startTask(lsu, .build)
        case .rebuild:
            guard !arrays[lsu].isHotSpare, arrays[lsu].level != 0, arrayStatus(lsu) != .dead else {
                return .checkCondition(.invalidParameterList)
            }
            for m in arrays[lsu].members where disks[m].status == .failed { disks[m].status = .replaced }
            startTask(lsu, .rebuild)
        case .verify, .verifyFix:
            guard !arrays[lsu].isHotSpare, [.optimal, .verifying].contains(arrayStatus(lsu)) else {
                return .checkCondition(.invalidParameterList)
            }
            startTask(lsu, cmd.command == .verify ? .verify : .verifyFix)
        case .assignMagic:
            guard cmd.magic & 0x8000_0000 == 0, cmd.magic != 0,
                  !arrays.indices.contains(where: { $0 != lsu && arrayMagic($0) == cmd.magic }) else {
                return .checkCondition(.invalidParameterList)
            }
            pinIdentities()
            arrays[lsu].magic = cmd.magic
        }
        return .good([])
    }

    /// ADD: a hot spare (level 0xFE, one element) or an array (RAID 0, 1, 5) from free disks,
    /// with the capacity, stripe and magic the tool sent. Refused: another level, too few or too
    /// many components, an element naming no disk, a disk twice, a disk in another LSU or not
    /// optimal, an element asking for more blocks than its disk has, a magic or an address
    /// another LSU has, and a full table.
    mutating func addLSU(_ cmd: DPTLapCommand, to target: DPTTarget) -> DPTSCSIResult {
        guard case .disk = target else { return .checkCondition(.invalidParameterList) }
        let n = cmd.elements.count
        let countOK: Bool = switch cmd.level {
        case DPTArray.hotSpare: n == 1
        case 0: (1...Self.maxComponents).contains(n)
        case 1: n == 2
        case 5: (3...Self.maxComponents).contains(n)
        default: false
        }
        guard countOK, arrays.count < Self.maxArrays, cmd.magic & 0x8000_0000 == 0, cmd.magic != 0,
              !arrays.indices.contains(where: { arrayMagic($0) == cmd.magic }),
              cmd.level == DPTArray.hotSpare || cmd.capacity > 0 else { return .checkCondition(.invalidParameterList) }
        var members: [Int] = []
        for e in cmd.elements {
            guard let d = disk(magic: e.magic), !members.contains(d), array(of: d) == nil, disks[d].status == .optimal,
                  disks[d].bus == e.channel, UInt32(disks[d].id) == e.id, disks[d].lun == e.lun,
                  e.capacity <= disks[d].blocks else { return .checkCondition(.invalidParameterList) }
            members.append(d)
        }
        pinIdentities()
        let spare = cmd.level == DPTArray.hotSpare
        if !spare {
            guard !arrays.indices.contains(where: { !arrays[$0].isHotSpare && arrayAddress($0) == (cmd.address.bus, cmd.address.id, cmd.address.lun) })
            else { return .checkCondition(.invalidParameterList) }
        }
        let first = cmd.elements[0]
        let member = disks[members[0]]
        let array = DPTArray(level: cmd.level, members: members, stripeBlocks: UInt32(first.stripe),
                             tid: spare ? nil : freeTID(), magic: cmd.magic,
                             blocks: spare ? first.capacity : cmd.capacity, memberBlocks: first.capacity,
                             address: spare ? DPTAddress(bus: member.bus, id: member.id, lun: member.lun) : cmd.address,
                             rate: cmd.rate, amount: cmd.amount)
        arrays.append(array)
        let i = arrays.count - 1
        if spare {
            log(.info, .hotSpareCreated, "hot spare \(member.address) created")
        } else {
            log(.info, .arrayCreated, "RAID-\(cmd.level) \(cmd.address.text) created from \(members.map { disks[$0].address }.joined(separator: " "))")
            if cmd.level != 0 { startTask(i, .build) }
        }
        return .good([])
    }
}
