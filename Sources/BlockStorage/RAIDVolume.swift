import Synchronization

/// A logical drive over member disks by its `RAIDLayout`: reads and writes land on the members as a
/// controller would put them; with a member failed the drive still serves correct data where its
/// level has redundancy (a mirror's other copy, RAID 5's parity); a replaced member is rebuilt
/// region by region (`rebuild`), and until a region is rebuilt the drive reads it from the others.
public final class RAIDVolume: BlockTarget {
    public let layout: RAIDLayout
    private struct State {
        var members: [Disk]
        /// A member being rebuilt, and the member block below which it holds valid data.
        var rebuilding: [Int: UInt64] = [:]
        /// How far a build or verify has been carried out (member blocks); nil when none runs.
        var taskPosition: UInt64?
    }
    private let state: Mutex<State>
    public let blockSize: Int

    public init(layout: RAIDLayout, members: [Disk]) {
        precondition(members.count == layout.memberCount, "a layout of \(layout.memberCount) members given \(members.count)")
        self.layout = layout
        self.blockSize = members[0].blockSize
        state = Mutex(State(members: members))
    }

    public var blockCount: UInt64 { layout.blockCount }
    public var members: [Disk] { state.withLock { $0.members } }

    /// Whether the drive serves all its data (`optimal`), serves it with redundancy lost
    /// (`degraded`: a member failed or not yet rebuilt), or has lost data (`dead`).
    public enum Health: Hashable, Sendable { case optimal, degraded, dead }
    public var health: Health { state.withLock { health($0) } }

    private func health(_ s: State) -> Health {
        let missing = (0..<layout.memberCount).filter { s.members[$0].isFailed || s.rebuilding[$0] != nil }
        if missing.isEmpty { return .optimal }
        switch layout.level {
        case .raid0: return .dead
        case .raid1: return missing.count < layout.memberCount ? .degraded : .dead
        case .raid5: return missing.count == 1 ? .degraded : .dead
        case .raid10: return Set(missing.map { $0 / 2 }).count == missing.count ? .degraded : .dead
        }
    }

    public var isReady: Bool { health != .dead }

    /// Reassigns drive block `lba` on every member that holds it and writes it back from the
    /// others where the level has redundancy (the controller's repair of a bad block); without
    /// redundancy the block reads as zeros afterwards.
    public func reassign(_ lba: UInt64) throws(BlockError) {
        guard lba < blockCount else { throw .outOfRange(lba: lba, blocks: 1, capacity: blockCount) }
        let p = layout.place(lba, upTo: 1)
        let holders = p.members + (p.parity.map { [$0] } ?? [])
        try state.withLock { s throws(BlockError) in
            for k in holders where !s.members[k].isFailed && s.members[k].badBlocks.contains(where: { $0.contains(p.memberLBA) }) {
                try s.members[k].reassign(p.memberLBA)
                var block = [UInt8](repeating: 0, count: blockSize)
                let others = (0..<layout.memberCount).filter { $0 != k }
                // The block's contents from the other members: a mirror's copy, or RAID 5's XOR.
                let copy = p.parity == nil ? p.members.first { $0 != k && valid(s, $0, p.memberLBA, 1) } : nil
                if let copy {
                    try block.withBlockBytes { b throws(BlockError) in try s.members[copy].read(p.memberLBA, into: b) }
                } else if layout.level == .raid5, others.allSatisfy({ valid(s, $0, p.memberLBA, 1) }) {
                    try block.withBlockBytes { b throws(BlockError) in try reconstruct(s, excluding: k, p.memberLBA, into: b) }
                }
                try s.members[k].write(p.memberLBA, block)
            }
        }
    }

    // MARK: - Reads and writes

    public func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) {
        try forEachPlace(lba, bytes: buffer.count) { s, p, bytes throws(BlockError) in
            try read(s, p, UnsafeMutableRawBufferPointer(rebasing: buffer[bytes]))
        }
    }

    public func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) {
        try forEachPlace(lba, bytes: buffer.count) { s, p, bytes throws(BlockError) in
            try write(s, p, UnsafeRawBufferPointer(rebasing: buffer[bytes]))
        }
    }

    // Whole arrays: a request that lies in one stripe unit of a level without parity (a mirror's
    // every request, RAID 0's and 10's within a unit) goes to the members as the array it is, so
    // a medium that keeps whole chunks copies nothing and a mirror's copies share one array.

    /// The place of a request that lies in one stripe unit without parity; nil for any other.
    private func singlePlace(_ lba: UInt64, bytes: Int) throws(BlockError) -> RAIDLayout.Place? {
        let blocks = try checkedBlocks(lba, bytes: bytes)
        let p = layout.place(lba, upTo: blocks)
        return p.parity == nil && p.blocks == blocks ? p : nil
    }

    public func read(_ lba: UInt64, blocks: Int) throws(BlockError) -> [UInt8] {
        guard let p = try singlePlace(lba, bytes: blocks * blockSize) else { return try readCopying(lba, blocks: blocks) }
        return try state.withLock { s throws(BlockError) -> [UInt8] in
            guard health(s) != .dead else { throw .notReady }
            var last = BlockError.notReady
            for k in p.members where valid(s, k, p.memberLBA, p.blocks) {
                do throws(BlockError) { return try s.members[k].read(p.memberLBA, blocks: blocks) } catch { last = error }
            }
            throw last
        }
    }

    public func write(_ lba: UInt64, _ bytes: [UInt8]) throws(BlockError) {
        guard let p = try singlePlace(lba, bytes: bytes.count) else { return try writeCopying(lba, bytes) }
        try state.withLock { s throws(BlockError) in
            guard health(s) != .dead else { throw .notReady }
            try writeCopies(s, p) { m throws(BlockError) in try m.write(p.memberLBA, bytes) }
        }
    }

    /// Calls `body` under the lock for each stripe unit a request of `bytes` bytes from `lba`
    /// touches: the unit's place and the request's bytes that lie in it.
    private func forEachPlace(_ lba: UInt64, bytes: Int,
                              _ body: (State, RAIDLayout.Place, Range<Int>) throws(BlockError) -> Void) throws(BlockError) {
        var left = try checkedBlocks(lba, bytes: bytes), at = lba, offset = 0
        try state.withLock { s throws(BlockError) in
            // A dead drive is offline as a whole, as the controller reports it: even the regions a
            // partial rebuild had reached are not served.
            guard health(s) != .dead else { throw .notReady }
            while left > 0 {
                let p = layout.place(at, upTo: left), n = Int(p.blocks) * blockSize
                try body(s, p, offset..<offset + n)
                at += p.blocks; left -= p.blocks; offset += n
            }
        }
    }

    public func flush() throws(BlockError) {
        try state.withLock { s throws(BlockError) in
            for m in s.members where !m.isFailed { try m.flush() }
        }
    }

    public func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] {
        var e = Extents()
        for m in members {
            for r in m.writtenExtents(in: layout.memberRange) { e.insert(layout.driveRange(ofMemberRange: r)) }
        }
        return e.clipped(to: range)
    }

    /// Whether member `k` holds valid data at member blocks `lba..<lba+blocks`.
    private func valid(_ s: State, _ k: Int, _ lba: UInt64, _ blocks: UInt64) -> Bool {
        !s.members[k].isFailed && (s.rebuilding[k].map { lba + blocks <= $0 } ?? true)
    }

    private func read(_ s: State, _ p: RAIDLayout.Place, _ out: UnsafeMutableRawBufferPointer) throws(BlockError) {
        var last = BlockError.notReady
        for k in p.members where valid(s, k, p.memberLBA, p.blocks) {
            do { try s.members[k].read(p.memberLBA, into: out); return } catch { last = error }
        }
        // RAID 5: the data unit from the row's other units and its parity.
        guard layout.level == .raid5 else { throw last }
        try reconstruct(s, excluding: p.members[0], p.memberLBA, into: out)
    }

    /// XORs the units of every member but `excluded` at `lba` into `out`.
    private func reconstruct(_ s: State, excluding excluded: Int, _ lba: UInt64,
                             into out: UnsafeMutableRawBufferPointer) throws(BlockError) {
        out.initializeMemory(as: UInt8.self, repeating: 0)
        let blocks = UInt64(out.count / blockSize)
        var unit = [UInt8](repeating: 0, count: out.count)
        for k in 0..<layout.memberCount where k != excluded {
            guard valid(s, k, lba, blocks) else { throw .notReady }
            try unit.withBlockBytes { u throws(BlockError) in
                try s.members[k].read(lba, into: u)
                xor(into: out, UnsafeRawBufferPointer(u))
            }
        }
    }

    /// RAID 0, 1, 10: `body` writes to every copy that answers; a rebuilding one too, so it stays current.
    private func writeCopies(_ s: State, _ p: RAIDLayout.Place, _ body: (Disk) throws(BlockError) -> Void) throws(BlockError) {
        var wrote = false
        for k in p.members where !s.members[k].isFailed {
            try body(s.members[k])
            wrote = true
        }
        if !wrote { throw .notReady }
    }

    private func write(_ s: State, _ p: RAIDLayout.Place, _ data: UnsafeRawBufferPointer) throws(BlockError) {
        guard let parity = p.parity else {
            try writeCopies(s, p) { m throws(BlockError) in try m.write(p.memberLBA, from: data) }
            return
        }
        let k = p.members[0], lba = p.memberLBA
        var newParity = [UInt8](data)
        try newParity.withBlockBytes { np throws(BlockError) in
            if valid(s, k, lba, p.blocks) && valid(s, parity, lba, p.blocks) {
                // Read-modify-write: parity ^= old data ^ new data.
                var old = [UInt8](repeating: 0, count: data.count)
                try old.withBlockBytes { o throws(BlockError) in
                    try s.members[k].read(lba, into: o)
                    xor(into: np, UnsafeRawBufferPointer(o))
                    try s.members[parity].read(lba, into: o)
                    xor(into: np, UnsafeRawBufferPointer(o))
                }
            } else {
                // The data or the parity member is missing: parity from the new data and the other data units.
                var unit = [UInt8](repeating: 0, count: data.count)
                for j in 0..<layout.memberCount where j != k && j != parity {
                    guard valid(s, j, lba, p.blocks) else { throw .notReady }
                    try unit.withBlockBytes { u throws(BlockError) in
                        try s.members[j].read(lba, into: u)
                        xor(into: np, UnsafeRawBufferPointer(u))
                    }
                }
            }
            if !s.members[k].isFailed { try s.members[k].write(lba, from: data) }
            if !s.members[parity].isFailed { try s.members[parity].write(lba, from: UnsafeRawBufferPointer(np)) }
        }
    }

    // MARK: - Replacing and rebuilding a member

    /// Puts `disk` in member `k`'s place (a hot spare taken, a drive replaced) and starts its rebuild:
    /// until `rebuild` has reached a region, the drive reads that region from the other members.
    public func replace(member k: Int, with disk: Disk) {
        state.withLock { s in
            s.members[k] = disk
            s.rebuilding[k] = layout.memberRange.lowerBound
        }
    }

    /// Marks member `k` as current without copying anything (a member forced optimal).
    public func forceValid(member k: Int) { state.withLock { _ = $0.rebuilding.removeValue(forKey: k) } }

    /// Member `k`'s rebuild position (the member block below which it is valid), nil when not rebuilding.
    public func rebuildPosition(member k: Int) -> UInt64? { state.withLock { $0.rebuilding[k] } }

    /// The member blocks some member that answers has written, in order: where a rebuild, a build
    /// or a verify has work to do (sparse: a drive written in three places is rebuilt in three places).
    public func writtenRegions() -> [Range<UInt64>] {
        var e = Extents()
        for m in members where !m.isFailed { for r in m.writtenExtents(in: layout.memberRange) { e.insert(r) } }
        return e.ranges
    }

    /// Rebuilds member blocks `range` of member `k` from the others, then marks the member valid up
    /// to `validUpTo` (the start of the plan's next region, or the end). Throws `notReady` when the
    /// others cannot give the data (RAID 0, or a second member missing).
    public func rebuild(member k: Int, _ range: Range<UInt64>, validUpTo: UInt64) throws(BlockError) {
        try state.withLock { s throws(BlockError) in
            var buf = [UInt8](repeating: 0, count: Int(range.upperBound - range.lowerBound) * blockSize)
            try buf.withBlockBytes { b throws(BlockError) in
                switch layout.level {
                case .raid0: throw .notReady
                case .raid5: try reconstruct(s, excluding: k, range.lowerBound, into: b)
                case .raid1, .raid10:
                    let copies = layout.level == .raid1 ? Array(0..<layout.memberCount) : [k ^ 1]
                    guard let from = copies.first(where: { $0 != k && valid(s, $0, range.lowerBound, UInt64(b.count / blockSize)) })
                    else { throw .notReady }
                    try s.members[from].read(range.lowerBound, into: b)
                }
                try s.members[k].write(range.lowerBound, from: UnsafeRawBufferPointer(b))
            }
            if validUpTo >= layout.memberRange.upperBound { s.rebuilding[k] = nil } else { s.rebuilding[k] = validUpTo }
        }
    }

    /// Rebuilds member `k` up to member block `upTo`: the regions some member has written between
    /// its rebuild position and there, in steps of at most 2,048 blocks; then the member is valid
    /// up to `upTo` (at the end of the drive: rebuilt).
    public func rebuild(member k: Int, upTo: UInt64) throws(BlockError) {
        guard let from = rebuildPosition(member: k), upTo > from else { return }
        for region in Extents(writtenRegions()).clipped(to: from..<upTo) {
            var at = region.lowerBound
            while at < region.upperBound {
                let end = min(region.upperBound, at + 2048)
                try rebuild(member: k, at..<end, validUpTo: end)
                at = end
            }
        }
        state.withLock { s in
            if upTo >= layout.memberRange.upperBound { s.rebuilding[k] = nil } else { s.rebuilding[k] = upTo }
        }
    }

    /// How far the running build or verify has been carried out (member blocks), nil when none.
    public var taskPosition: UInt64? {
        get { state.withLock { $0.taskPosition } }
        set { state.withLock { $0.taskPosition = newValue } }
    }

    // MARK: - Verify

    /// Checks member blocks `range` for consistency — a mirror's copies equal, RAID 5's units XOR to
    /// zero — and answers the count of inconsistent blocks; with `fix`, rewrites them (the first
    /// copy wins; RAID 5's parity is recomputed). RAID 0 has nothing to compare: its blocks are read.
    public func verify(_ range: Range<UInt64>, fix: Bool) throws(BlockError) -> UInt64 {
        try state.withLock { s throws(BlockError) in
            var bad: UInt64 = 0
            var at = range.lowerBound
            while at < range.upperBound {
                // Row by row: a RAID 5 row has one parity member.
                let rowEnd = min(range.upperBound, (at - layout.startBlock) / layout.stripeBlocks * layout.stripeBlocks
                                 + layout.startBlock + layout.stripeBlocks)
                bad += try verifyRow(s, at..<rowEnd, fix: fix)
                at = rowEnd
            }
            return bad
        }
    }

    private func verifyRow(_ s: State, _ r: Range<UInt64>, fix: Bool) throws(BlockError) -> UInt64 {
        let n = Int(r.upperBound - r.lowerBound) * blockSize
        let units = try (0..<layout.memberCount).map { k throws(BlockError) in
            guard valid(s, k, r.lowerBound, r.upperBound - r.lowerBound) else { throw BlockError.notReady }
            return try s.members[k].read(r.lowerBound, blocks: n / blockSize)
        }
        var bad: UInt64 = 0
        switch layout.level {
        case .raid0: return 0
        case .raid1, .raid10:
            let groups = layout.level == .raid1 ? [Array(0..<layout.memberCount)] : stride(from: 0, to: layout.memberCount, by: 2).map { [$0, $0 + 1] }
            for g in groups {
                for b in 0..<n / blockSize {
                    let block = b * blockSize..<(b + 1) * blockSize
                    guard g.dropFirst().contains(where: { units[$0][block] != units[g[0]][block] }) else { continue }
                    bad += 1
                    if fix { for k in g.dropFirst() { try s.members[k].write(r.lowerBound + UInt64(b), Array(units[g[0]][block])) } }
                }
            }
        case .raid5:
            let row = (r.lowerBound - layout.startBlock) / layout.stripeBlocks, parity = layout.parityMember(row: row)
            for b in 0..<n / blockSize {
                let block = b * blockSize..<(b + 1) * blockSize
                var x = [UInt8](repeating: 0, count: blockSize)
                for u in units { for i in 0..<blockSize { x[i] ^= u[block.lowerBound + i] } }
                guard x.contains(where: { $0 != 0 }) else { continue }
                bad += 1
                if fix {
                    var p = units[parity][block].map { $0 }
                    for i in 0..<blockSize { p[i] ^= x[i] }
                    try s.members[parity].write(r.lowerBound + UInt64(b), p)
                }
            }
        }
        return bad
    }
}

/// `out ^= other`, a word at a time.
@inline(__always)
func xor(into out: UnsafeMutableRawBufferPointer, _ other: UnsafeRawBufferPointer) {
    let words = out.count / 8
    for i in 0..<words {
        let v = out.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) ^ other.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
        out.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self)
    }
    for i in words * 8..<out.count { out[i] ^= other[i] }
}
