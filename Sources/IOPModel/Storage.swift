import BlockStorage
import I2OFormats
import Synchronization

/// What a block storage device holds its data in, as a description says it (a fixture's
/// `storage:` key, or a vendor module's derived devices): a disk of its own, or a logical drive
/// over other devices' disks. The IOP turns it into a `BlockDevice` when it is made
/// (`IOP.init(_:media:)`); the bytes come from a `MediaProvider`.
public enum StorageDescription: Hashable, Sendable {
    case disk(DiskStorage)
    case volume(VolumeStorage)
}

/// A disk: `blocks` blocks of `blockSize` bytes in a medium named `name` (its image file's name).
public struct DiskStorage: Hashable, Sendable {
    public var name: String
    public var blocks: UInt64
    public var blockSize: Int
    public var removable: Bool
    /// A failed disk answers no I/O.
    public var failed: Bool
    /// Blocks that answer a medium error (until reassigned).
    public var badBlocks: [Range<UInt64>]
    public init(name: String, blocks: UInt64, blockSize: Int = 512, removable: Bool = false, failed: Bool = false,
                badBlocks: [Range<UInt64>] = []) {
        self.name = name; self.blocks = blocks; self.blockSize = blockSize; self.removable = removable; self.failed = failed
        self.badBlocks = badBlocks
    }
}

/// A logical drive over the disks of `members` (TIDs of devices with disk storage), laid out by
/// `RAIDLayout`, behind the controller's cache.
public struct VolumeStorage: Hashable, Sendable {
    public var level: RAIDLayout.Level
    public var members: [TID]
    public var stripeBlocks: UInt64
    public var startBlock: UInt64
    public var blocks: UInt64
    public var writeBack: Bool
    /// Members being rebuilt (a hot spare taken, a drive replaced), each with how far its rebuild
    /// has come, in drive blocks: the controller's progress, which the data follows.
    public var rebuilding: [TID: UInt64]
    /// A build or verify running over the drive, and how far it has come (drive blocks).
    public var task: VolumeTask?
    public init(level: RAIDLayout.Level, members: [TID], stripeBlocks: UInt64 = 128, startBlock: UInt64 = 0,
                blocks: UInt64, writeBack: Bool = false, rebuilding: [TID: UInt64] = [:], task: VolumeTask? = nil) {
        self.level = level; self.members = members; self.stripeBlocks = stripeBlocks; self.startBlock = startBlock
        self.blocks = blocks; self.writeBack = writeBack; self.rebuilding = rebuilding; self.task = task
    }
}

/// A background task over a logical drive's data: a build (the redundancy computed from the
/// data: parity, the mirror's copy) or a verify (with fix: repaired), `done` drive blocks so far.
public struct VolumeTask: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case build, verify, verifyFix }
    public var kind: Kind
    public var done: UInt64
    public init(kind: Kind, done: UInt64) { self.kind = kind; self.done = done }
}

/// Where disks' bytes live. The model asks for one medium per disk, by IOP and disk name; the same
/// name must give the same bytes for as long as the provider lives (and, for image files, across
/// restarts).
public protocol MediaProvider: Sendable {
    func medium(iop: IOPUnit, disk: DiskStorage) -> any BlockTarget
}

/// Disks in memory: what a machine served without a state or disk directory stores its data in.
/// The bytes live as long as the provider.
public final class MemoryMedia: MediaProvider {
    private let media = MediaTable()
    public init() {}
    public func medium(iop: IOPUnit, disk: DiskStorage) -> any BlockTarget {
        media.medium(iop: iop, name: disk.name) { MemoryMedium(blockSize: disk.blockSize, blockCount: disk.blocks) }
    }
}

/// Media by (IOP, name), made once: a provider's table.
public final class MediaTable: Sendable {
    private let table = Mutex<[String: any BlockTarget]>([:])
    public init() {}
    public func medium(iop: IOPUnit, name: String, make: () -> any BlockTarget) -> any BlockTarget {
        table.withLock { t in
            let key = "\(iop.rawValue)/\(name)"
            if let m = t[key] { return m }
            let m = make()
            t[key] = m
            return m
        }
    }
}

extension IOP {
    /// Device `d`'s description with its disk's state now (failed, bad blocks): what a snapshot keeps.
    func withCurrentStorage(_ d: DeviceDescription) -> DeviceDescription {
        guard case var .disk(s)? = d.blockStorage, let disk = blockDevices[d.tid]?.target as? Disk else { return d }
        s.failed = disk.isFailed
        s.badBlocks = disk.badBlocks
        var out = d
        out.blockStorage = .disk(s)
        return out
    }

}
