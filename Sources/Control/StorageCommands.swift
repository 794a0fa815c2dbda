import BlockStorage
import Foundation
import I2OFormats
import IOPModel

/// The control channel's commands for the devices' data (docs/control.md §Media errors): bad
/// blocks on a disk, and their removal.
extension ControlHandler {
    static let storageCommands = ["media-error", "media-clear"]
    static let storageKeys: [String: [String]] = [
        "media-error": ["iop", "tid", "lba", "blocks"], "media-clear": ["iop", "tid"],
    ]

    func storageCommand(_ r: Request) throws -> (Any, String) {
        let unit = IOPUnit(rawValue: try r.u32("iop", default: 0))
        let tid = TID(rawValue: try r.u16("tid"))
        let clear = r.command == "media-clear"
        let lba = clear ? 0 : try r.u64("lba")
        let blocks = clear ? 0 : try r.u64("blocks", default: 1)
        let outcome = engine.withMachine { m -> Result<(Disk, [Range<UInt64>]), ControlError> in
            guard let iop = m.iops[unit] else { return .failure(ControlError("no IOP \(unit.rawValue)", key: "iop")) }
            guard let device = iop.blockDevices[tid] else {
                let disks = iop.blockDevices.filter { $0.value.target is Disk }.keys.sorted().map(\.description)
                return .failure(ControlError("TID \(tid) of IOP \(unit.rawValue) holds no data; disks: "
                                             + (disks.isEmpty ? "none" : disks.joined(separator: ", ")), key: "tid"))
            }
            guard let disk = device.target as? Disk else {
                var members = ""
                if case let .volume(v)? = iop.devices[tid]?.blockStorage { members = v.members.map(\.description).joined(separator: ", ") }
                return .failure(ControlError("TID \(tid) is a logical drive: bad blocks are a disk's; name one of its disks (\(members))",
                                             key: "tid"))
            }
            if clear { disk.clearBadBlocks(); return .success((disk, [])) }
            guard blocks > 0, lba < disk.blockCount, blocks <= disk.blockCount - lba else {
                return .failure(ControlError("blocks \(lba)..<\(lba &+ blocks) are not on TID \(tid)'s \(disk.blockCount) blocks", key: "lba"))
            }
            disk.injectMediaError(lba..<lba + blocks)
            return .success((disk, disk.badBlocks))
        }
        let (_, bad) = try outcome.get()
        let ranges = bad.map { ["lba": Int($0.lowerBound), "blocks": Int($0.count)] }
        let text = clear ? "no bad blocks on IOP \(unit.rawValue) TID \(tid)"
            : "bad blocks on IOP \(unit.rawValue) TID \(tid): " + bad.map { "\($0.lowerBound)+\($0.count)" }.joined(separator: ", ")
        return (["badBlocks": ranges], text)
    }
}
