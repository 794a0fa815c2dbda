import BlockStorage
import I2OFormats
import IOPModel

// A device's `storage:` key (docs/fixture-format.md §Storage): a disk of its own, or a logical
// drive over other devices' disks.
//
//   storage: {disk: ide0, blocks: 2500000}                       # block_size 512, removable, failed
//   storage: {raid: 1, members: [10, 15], blocks: 2400000}       # stripe 128, start 0, cache write-through

extension Interpreter {
    static let diskKeys = ["disk", "blocks", "block_size", "removable", "failed", "bad_blocks"]
    static let volumeKeys = ["raid", "members", "blocks", "stripe", "start", "cache"]

    func storage(_ node: FixtureNode, _ path: String) -> StorageDescription? {
        guard case let .mapping(m) = node else {
            r.error(node, path, "expected a mapping with disk: or raid:", hint: "e.g. storage: {disk: ide0, blocks: 2500000}")
            return nil
        }
        if m["raid"] != nil { return volume(node, path) }
        guard let o = r.object(node, path, keys: Self.diskKeys, required: ["disk", "blocks"],
                               examples: ["disk": "ide0", "blocks": "2500000"]) else { return nil }
        var d = DiskStorage(name: "", blocks: 0)
        if let v = o["disk"], let name = r.text(v, o.sub("disk"), what: "a disk name") {
            if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
                r.error(v, o.sub("disk"), "disk name '\(name)' cannot name a file", hint: "use letters, digits, - and _ (it names the disk's image file)")
            }
            d.name = name
        }
        if let v = o["blocks"], let x = r.integer(v, o.sub("blocks"), in: 1...(Int128(1) << 40), what: "a block count (1…2^40)") { d.blocks = UInt64(x) }
        if let v = o["block_size"], let x = r.integer(v, o.sub("block_size"), in: 512...65536, what: "a block size (512…65536)") {
            if x.nonzeroBitCount != 1 { r.error(v, o.sub("block_size"), "block size \(x) is not a power of two", hint: "512, 1024, 2048 or 4096") }
            d.blockSize = Int(x)
        }
        if let v = o["removable"], let b = r.bool(v, o.sub("removable")) { d.removable = b }
        if let v = o["failed"], let b = r.bool(v, o.sub("failed")) { d.failed = b }
        if let v = o["bad_blocks"], let list = r.list(v, o.sub("bad_blocks"), of: "bad block ranges ([LBA, COUNT])") {
            for (i, item) in list.enumerated() {
                let p = o.sub("bad_blocks") + "[\(i)]"
                guard let pair = r.list(item, p, of: "[LBA, COUNT]"), pair.count == 2,
                      let lba = r.integer(pair[0], p + "[0]", in: 0...(Int128(1) << 40), what: "an LBA"),
                      let count = r.integer(pair[1], p + "[1]", in: 1...(Int128(1) << 32), what: "a block count") else {
                    r.error(item, p, "expected [LBA, COUNT]", hint: "e.g. bad_blocks: [[1000, 8]]")
                    continue
                }
                guard UInt64(lba) < d.blocks || d.blocks == 0 else {
                    r.error(pair[0], p + "[0]", "LBA \(lba) is past the disk's \(d.blocks) blocks")
                    continue
                }
                d.badBlocks.append(UInt64(lba)..<UInt64(lba) + UInt64(count))
            }
        }
        return .disk(d)
    }

    private func volume(_ node: FixtureNode, _ path: String) -> StorageDescription? {
        guard let o = r.object(node, path, keys: Self.volumeKeys, required: ["raid", "members", "blocks"],
                               examples: ["raid": "1", "members": "[0x200, 0x201]", "blocks": "2400000"]) else { return nil }
        var v = VolumeStorage(level: .raid1, members: [], blocks: 0)
        if let n = o["raid"], let x = r.integer(n, o.sub("raid"), in: 0...255, what: "a RAID level") {
            if let level = RAIDLayout.Level(rawValue: UInt8(x)) { v.level = level } else {
                r.error(n, o.sub("raid"), "RAID level \(x) is not one the model lays out", hint: "0, 1, 5 or 10")
            }
        }
        if let n = o["members"], let list = r.list(n, o.sub("members"), of: "member TIDs") {
            v.members = list.enumerated().compactMap { r.tid($1, o.sub("members") + "[\($0)]", allowNone: false) }
        }
        if let n = o["blocks"], let x = r.integer(n, o.sub("blocks"), in: 1...(Int128(1) << 42), what: "a block count") { v.blocks = UInt64(x) }
        if let n = o["stripe"], let x = r.integer(n, o.sub("stripe"), in: 1...(1 << 20), what: "a stripe in blocks (1…2^20)") { v.stripeBlocks = UInt64(x) }
        if let n = o["start"], let x = r.integer(n, o.sub("start"), in: 0...(Int128(1) << 40), what: "a start block") { v.startBlock = UInt64(x) }
        if let n = o["cache"], let s = r.text(n, o.sub("cache"), what: "a cache mode") {
            guard let mode = WriteCache.Mode(rawValue: s) else {
                r.error(n, o.sub("cache"), "unknown cache mode '\(s)'", hint: "write-through or write-back")
                return .volume(v)
            }
            v.writeBack = mode == .writeBack
        }
        return .volume(v)
    }

    /// Checks the IOP's storage as a whole: disk names unique, members that are disks of this IOP,
    /// layouts the members can hold.
    func checkStorage(_ devices: [DeviceDescription], nodes: [TID: FixtureNode], _ path: String) {
        var names: [String: TID] = [:], disks: [TID: DiskStorage] = [:]
        for d in devices {
            guard case let .disk(s)? = d.blockStorage else { continue }
            if let other = names[s.name] {
                r.error(nodes[d.tid], path, "disk name '\(s.name)' of device \(d.tid) is also device \(other)'s",
                        hint: "each disk needs its own name: it names the disk's image file")
            }
            names[s.name] = d.tid; disks[d.tid] = s
        }
        for d in devices {
            guard case let .volume(v)? = d.blockStorage else { continue }
            let missing = v.members.filter { disks[$0] == nil }
            if !missing.isEmpty {
                r.error(nodes[d.tid], path, "device \(d.tid)'s members \(missing.map(\.description).joined(separator: ", ")) have no disk storage",
                        hint: "give each member `storage: {disk: NAME, blocks: N}`")
                continue
            }
            if Set(v.members).count != v.members.count {
                r.error(nodes[d.tid], path, "device \(d.tid) names a member twice", hint: "each member disk once")
                continue
            }
            let memberBlocks = v.members.compactMap { disks[$0]?.blocks }.min() ?? 0
            do {
                _ = try RAIDLayout(level: v.level, memberCount: v.members.count, stripeBlocks: v.stripeBlocks,
                                   startBlock: v.startBlock, blockCount: v.blocks, memberBlocks: memberBlocks)
            } catch {
                r.error(nodes[d.tid], path, "device \(d.tid)'s storage: \(error)", hint: "fewer blocks, more members, or larger disks")
            }
        }
    }
}
