/// How a logical drive's blocks lie on its members (docs/block-storage.md §Layouts). Every member
/// holds the drive's data from `startBlock` on, in stripe units of `stripeBlocks` blocks; a row is
/// one stripe unit on every member.
///
/// - RAID 0: unit u on member u mod n.
/// - RAID 1: every member holds every block (no striping).
/// - RAID 10: the members in mirrored pairs (0,1), (2,3)…; unit u on pair u mod n/2.
/// - RAID 5: n − 1 data units and one parity unit a row, rotating left-symmetric as Linux md
///   does by default: row r's parity on member n − 1 − (r mod n), its data units on the members
///   after it, wrapping.
public struct RAIDLayout: Hashable, Sendable {
    public enum Level: UInt8, Hashable, Sendable, CaseIterable {
        case raid0 = 0, raid1 = 1, raid5 = 5, raid10 = 10
    }

    public let level: Level
    public let memberCount: Int
    /// Blocks per stripe unit on a member.
    public let stripeBlocks: UInt64
    /// The first block of the drive's data on each member.
    public let startBlock: UInt64
    /// The drive's capacity in blocks.
    public let blockCount: UInt64

    /// A layout, or why it cannot be: too few or too many members for the level, a zero stripe, or a
    /// capacity the members (of `memberBlocks` blocks each) cannot hold.
    public init(level: Level, memberCount: Int, stripeBlocks: UInt64, startBlock: UInt64 = 0,
                blockCount: UInt64, memberBlocks: UInt64) throws(RAIDLayoutError) {
        switch level {
        case .raid0 where memberCount < 1, .raid1 where memberCount < 2, .raid5 where memberCount < 3:
            throw .members(level, memberCount)
        case .raid10 where memberCount < 4 || memberCount % 2 != 0:
            throw .members(level, memberCount)
        default: break
        }
        guard stripeBlocks > 0 else { throw .stripe }
        guard startBlock < memberBlocks else { throw .capacity(blockCount, max: 0) }
        self.level = level; self.memberCount = memberCount; self.stripeBlocks = stripeBlocks
        self.startBlock = startBlock; self.blockCount = blockCount
        let rows = (memberBlocks - startBlock) / stripeBlocks
        let max = level == .raid1 ? memberBlocks - startBlock : rows * stripeBlocks * UInt64(dataUnitsPerRow)
        guard blockCount <= max else { throw .capacity(blockCount, max: max) }
    }

    /// Data units in a row.
    public var dataUnitsPerRow: Int {
        switch level {
        case .raid0: memberCount
        case .raid1: 1
        case .raid10: memberCount / 2
        case .raid5: memberCount - 1
        }
    }

    /// How many members can fail before data is lost (RAID 10: one of each pair).
    public var redundancy: Int { level == .raid0 ? 0 : 1 }

    /// Where a run of drive blocks starting at `lba` lies: the stripe unit's row, the members that hold
    /// it (one, or the copies of a mirror), the parity member (RAID 5), the member address, and how
    /// many blocks from `lba` stay in this unit.
    public struct Place: Hashable, Sendable {
        public var row: UInt64
        public var members: [Int]
        public var parity: Int?
        public var memberLBA: UInt64
        public var blocks: UInt64
    }

    public func place(_ lba: UInt64, upTo blocks: UInt64) -> Place {
        if level == .raid1 {
            return Place(row: lba / stripeBlocks, members: Array(0..<memberCount), parity: nil,
                         memberLBA: startBlock + lba, blocks: blocks)
        }
        let unit = lba / stripeBlocks, offset = lba % stripeBlocks
        let d = UInt64(dataUnitsPerRow)
        let row = unit / d, k = Int(unit % d)
        let memberLBA = startBlock + row * stripeBlocks + offset
        let run = min(blocks, stripeBlocks - offset)
        switch level {
        case .raid0:
            return Place(row: row, members: [k], parity: nil, memberLBA: memberLBA, blocks: run)
        case .raid10:
            return Place(row: row, members: [2 * k, 2 * k + 1], parity: nil, memberLBA: memberLBA, blocks: run)
        case .raid5:
            let p = parityMember(row: row)
            return Place(row: row, members: [(p + 1 + k) % memberCount], parity: p, memberLBA: memberLBA, blocks: run)
        case .raid1:
            fatalError("handled above")
        }
    }

    /// RAID 5: the member that holds row `row`'s parity.
    public func parityMember(row: UInt64) -> Int { memberCount - 1 - Int(row % UInt64(memberCount)) }

    /// The member blocks the drive uses: from `startBlock`, a whole number of rows.
    public var memberRange: Range<UInt64> {
        if level == .raid1 { return startBlock..<startBlock + blockCount }
        let rowsUsed = (blockCount + stripeBlocks * UInt64(dataUnitsPerRow) - 1) / (stripeBlocks * UInt64(dataUnitsPerRow))
        return startBlock..<startBlock + rowsUsed * stripeBlocks
    }

    /// The member block below which every row holds only drive blocks below `driveBlock`: how far a
    /// task that has reached drive block `driveBlock` has come on the members (whole rows only).
    public func memberPosition(ofDriveBlock driveBlock: UInt64) -> UInt64 {
        if level == .raid1 { return startBlock + min(driveBlock, blockCount) }
        let rowBlocks = stripeBlocks * UInt64(dataUnitsPerRow)
        if driveBlock >= blockCount { return memberRange.upperBound }
        return startBlock + driveBlock / rowBlocks * stripeBlocks
    }

    /// The drive blocks whose data lies in member blocks `range` (any member): whole rows, clipped to
    /// the drive.
    public func driveRange(ofMemberRange range: Range<UInt64>) -> Range<UInt64> {
        let lo = max(range.lowerBound, startBlock) - startBlock, hi = max(range.upperBound, startBlock) - startBlock
        if level == .raid1 { return min(lo, blockCount)..<min(hi, blockCount) }
        let rowBlocks = stripeBlocks * UInt64(dataUnitsPerRow)
        let first = lo / stripeBlocks * rowBlocks, last = (hi + stripeBlocks - 1) / stripeBlocks * rowBlocks
        return min(first, blockCount)..<min(last, blockCount)
    }
}

public enum RAIDLayoutError: Error, Hashable, Sendable, CustomStringConvertible {
    case members(RAIDLayout.Level, Int)
    case stripe
    case capacity(UInt64, max: UInt64)

    public var description: String {
        switch self {
        case let .members(level, n):
            let need = switch level { case .raid0: "1 or more"; case .raid1: "2 or more"; case .raid5: "3 or more"; case .raid10: "an even number, 4 or more" }
            return "RAID \(level.rawValue) with \(n) member(s): it needs \(need)"
        case .stripe: return "a stripe of 0 blocks"
        case let .capacity(c, max): return "a capacity of \(c) blocks: the members hold at most \(max)"
        }
    }
}
