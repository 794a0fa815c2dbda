import BlockStorage
import I2OFormats

/// The devices' data following their storage descriptions while the IOP runs: a vendor module
/// changes a description (an array created or deleted, a member failed, a hot spare taken, a
/// rebuild or verify that advanced with its clock) and the data does what a real controller's
/// would — docs/block-storage.md §The controller and the data.
extension IOP {
    /// Brings every device's data in line with its storage description: disks made or marked
    /// failed, logical drives made, members replaced (their rebuild starts), rebuilds, builds and
    /// verifies carried out as far as the description says they have come. Data of a device that
    /// lost its storage is dropped (its disks keep their bytes).
    mutating func syncStorage() {
        var disks: [TID: Disk] = [:]
        for tid in order {
            guard case let .disk(s)? = devices[tid]?.blockStorage else { continue }
            let medium = media.medium(iop: unit, disk: s)
            if let current = blockDevices[tid]?.target as? Disk, current.medium === medium {
                if current.isFailed != s.failed { current.isFailed = s.failed }
                disks[tid] = current
            } else {
                let disk = Disk(medium: medium)
                disk.isFailed = s.failed
                for r in s.badBlocks { disk.injectMediaError(r) }
                attach(BlockDevice(disk, removable: s.removable), to: tid)
                disks[tid] = disk
            }
        }
        var verified: [(TID, UInt64)] = []
        for tid in order {
            guard case let .volume(v)? = devices[tid]?.blockStorage else { continue }
            let members = v.members.compactMap { disks[$0] }
            guard members.count == v.members.count, !members.isEmpty,
                  let layout = try? RAIDLayout(level: v.level, memberCount: members.count, stripeBlocks: v.stripeBlocks,
                                               startBlock: v.startBlock, blockCount: v.blocks,
                                               memberBlocks: members.map(\.blockCount).min() ?? 0)
            else { blockDevices[tid] = nil; continue }
            let volume: RAIDVolume, cache: WriteCache
            if let c = blockDevices[tid]?.target as? WriteCache, let current = c.backing as? RAIDVolume, current.layout == layout {
                volume = current; cache = c
                for (k, disk) in members.enumerated() where volume.members[k] !== disk { volume.replace(member: k, with: disk) }
            } else {
                volume = RAIDVolume(layout: layout, members: members)
                cache = WriteCache(volume, mode: v.writeBack ? .writeBack : .writeThrough)
                attach(BlockDevice(cache), to: tid)
                addBlockStorageGroups(tid)
            }
            if (cache.mode == .writeBack) != v.writeBack { try? cache.setMode(v.writeBack ? .writeBack : .writeThrough) }
            // A rebuild goes as far as the controller's progress; one the controller ended goes to the end.
            for (k, memberTID) in v.members.enumerated() where volume.rebuildPosition(member: k) != nil {
                let upTo = v.rebuilding[memberTID].map { layout.memberPosition(ofDriveBlock: $0) } ?? layout.memberRange.upperBound
                try? volume.rebuild(member: k, upTo: upTo)
            }
            // A build or verify: the rows the controller's progress has passed since the last time.
            if let task = v.task {
                let from = volume.taskPosition ?? layout.memberRange.lowerBound
                let upTo = layout.memberPosition(ofDriveBlock: task.done)
                if upTo > from {
                    let fix = task.kind != .verify
                    var bad: UInt64 = 0
                    for region in Extents(volume.writtenRegions()).clipped(to: from..<upTo) {
                        bad += (try? volume.verify(region, fix: fix)) ?? 0
                    }
                    volume.taskPosition = upTo
                    if task.kind != .build && bad > 0 { verified.append((tid, bad)) }
                }
            } else {
                volume.taskPosition = nil
            }
        }
        for tid in Array(blockDevices.keys) where devices[tid]?.blockStorage == nil { blockDevices[tid] = nil }
        if !verified.isEmpty, var module = firmware {
            for (tid, n) in verified { module.dataVerified(tid, inconsistentBlocks: n) }
            firmware = module
        }
    }
}
