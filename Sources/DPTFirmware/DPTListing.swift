import I2OFormats
import IOPModel

/// What Adaptec's `raidutil -L all` would list for a DPT controller (docs/dpt-protocol.md §Model),
/// computed from the description: for `i2osim show` and for test expectations.
public struct DPTListing: Encodable, Hashable, Sendable {
    public struct Disk: Encodable, Hashable, Sendable {
        public var address: String, tid: Int, vendor: String, product: String, revision: String
        public var bus: Int, id: Int, lun: Int, megabytes: UInt32, blocks: UInt32, magic: UInt32, status: String
        /// The LSU (array or hot spare) it belongs to, by index in the controller's list.
        public var array: Int?
        /// Its PAP byte (0x00 member, 0x02 unconfigured, 0x03 failed, 0x04 replaced, 0x24 rebuilding).
        public var pap: Int
    }
    public struct Array: Encodable, Hashable, Sendable {
        public var address: String, tid: Int, raidLevel: Int, bus: Int, id: Int, lun: Int
        public var megabytes: UInt32, blocks: UInt32, magic: UInt32, status: String, members: [String]
        /// The running task (build, rebuild, verify, verify-fix), its blocks done and percent.
        public var task: String?, done: UInt32, percent: Int
        public var writeBack: Bool
    }
    public var vendor: String, model: String, firmware: String, nvram: String, serial: String
    public var cacheMegabytes: UInt32, initiatorIDs: [Int], failEveryMessage: Bool
    public var disks: [Disk], arrays: [Array]
    /// Hot spares, by address.
    public var spares: [String]
    public var alarmSounding: Bool, events: Int

    public init(_ c: DPTController) {
        vendor = c.vendor; model = c.model; firmware = c.firmware; nvram = c.nvramVersion; serial = c.serial
        cacheMegabytes = c.cacheBytes >> 20; initiatorIDs = c.buses.map { Int($0.initiatorID) }
        failEveryMessage = c.failEveryMessage != nil
        disks = c.disks.enumerated().map { i, d in
            Disk(address: d.address, tid: Int(c.diskTID(i).rawValue), vendor: d.vendor, product: d.product, revision: d.revision,
                 bus: Int(d.bus), id: Int(d.id), lun: Int(d.lun), megabytes: d.blocks / 2048, blocks: d.blocks,
                 magic: c.diskMagic(i), status: c.isReady(.disk(i)) ? "Optimal" : "Failed", array: c.array(of: i),
                 pap: Int(c.papStatus(disk: i)))
        }
        arrays = c.arrays.indices.filter { !c.arrays[$0].isHotSpare }.map { i in
            let a = c.arrayAddress(i)
            let task = c.arrays[i].task
            let blocks = UInt64(c.arrayBlocks(i))
            return Array(address: "b\(a.bus)t\(a.id)d\(a.lun)", tid: Int(c.arrayTID(i).rawValue), raidLevel: Int(c.arrays[i].level),
                         bus: Int(a.bus), id: Int(a.id), lun: Int(a.lun), megabytes: c.arrayBlocks(i) / 2048,
                         blocks: c.arrayBlocks(i), magic: c.arrayMagic(i), status: c.arrayStatus(i).name,
                         members: c.arrays[i].members.compactMap { c.disks.indices.contains($0) ? c.disks[$0].address : nil },
                         task: task?.kind.rawValue, done: task?.done ?? 0,
                         percent: blocks > 0 ? Int(UInt64(task?.done ?? 0) * 100 / blocks) : 0, writeBack: c.arrays[i].writeBack)
        }
        spares = c.arrays.filter(\.isHotSpare).compactMap { $0.members.first.flatMap { c.disks.indices.contains($0) ? c.disks[$0].address : nil } }
        alarmSounding = c.settings.alarmSounding
        events = c.settings.events.count
    }

    /// The listing as text, in raidutil's layout.
    public var text: String {
        var out = "DPT firmware: \(vendor) \(model) FW \(firmware) NVRAM \(nvram) serial \(serial), cache \(cacheMegabytes)MB, "
            + "initiator IDs \(initiatorIDs.map(String.init).joined(separator: "/"))"
            + (failEveryMessage ? ", every message fails" : "") + (alarmSounding ? ", ALARM" : "") + ", \(events) events\n"
        out += "  Physical View\n"
        for d in disks {
            let state = d.pap == 0x24 ? " (replaced, rebuilding)" : d.pap == 0x04 ? " (replaced)" : ""
            out += "    d0\(d.address)  TID \(hex(d.tid, width: 3))  \(d.vendor) \(d.product) \(d.megabytes)MB  \(d.status)\(state)  magic \(hex(d.magic, width: 8))\n"
        }
        out += "  Logical View\n"
        for a in arrays {
            let task = a.task.map { "  \($0) \(a.percent)%" } ?? ""
            out += "    d0\(a.address)  TID \(hex(a.tid, width: 3))  RAID \(a.raidLevel) \(a.megabytes)MB  \(a.status)\(task)  "
                + "members \(a.members.joined(separator: " "))\(a.writeBack ? "  write-back" : "")\n"
        }
        for s in spares { out += "    d0\(s)  hot spare\n" }
        return out
    }
}
