import BlockStorage
import Foundation
import I2OFormats
import IOPModel

/// Disks as sparse image files in a directory (`--disk-dir DIR`, or `disks/` in `--state-dir`):
/// `iop<unit>-<disk name>.img`, each of its disk's capacity. A daemon started again on the same
/// directory finds its disks' data where it left it.
public final class ImageFileMedia: MediaProvider {
    public let directory: String
    private let table = MediaTable()

    /// Creates the directory when it is missing.
    public init(directory: String) throws(BlockError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .host("cannot create the disk directory \(directory): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw .host("the disk directory \(directory) is not writable; give the daemon's user write access or choose another --disk-dir")
        }
    }

    /// The image of a disk.
    public func path(iop: IOPUnit, disk: String) -> String { "\(directory)/iop\(iop.rawValue)-\(disk).img" }

    /// Opens every disk `description` has, so an image that cannot serve (another disk's, a
    /// directory that fills up) is reported at start, with its path, not on the first request.
    public func prepare(_ description: MachineDescription) throws(BlockError) {
        for iop in description.iops {
            for d in iop.devices {
                guard case let .disk(disk)? = d.blockStorage else { continue }
                _ = try open(iop: iop.unit, disk: disk)
            }
        }
    }

    public func medium(iop: IOPUnit, disk: DiskStorage) -> any BlockTarget {
        do { return try open(iop: iop, disk: disk) } catch {
            // A disk added later whose image cannot be opened answers every request with the reason.
            let reason = if case let .host(why) = error { why } else { error.description }
            return FailedMedium(blockSize: disk.blockSize, blockCount: disk.blocks, reason: reason)
        }
    }

    private func open(iop: IOPUnit, disk: DiskStorage) throws(BlockError) -> any BlockTarget {
        var failure: BlockError?
        let m = table.medium(iop: iop, name: disk.name) {
            do throws(BlockError) {
                return try ImageFileMedium(path: path(iop: iop, disk: disk.name), blockSize: disk.blockSize, blockCount: disk.blocks)
            } catch {
                failure = error
                let reason = if case let .host(why) = error { why } else { error.description }
                return FailedMedium(blockSize: disk.blockSize, blockCount: disk.blocks, reason: reason)
            }
        }
        if let failure { throw failure }
        if let failed = m as? FailedMedium { throw .host(failed.reason) }
        return m
    }
}

/// A medium that cannot serve: every request fails with the reason (the device answers DEVICE_FAILURE).
final class FailedMedium: BlockTarget {
    let blockSize: Int
    let blockCount: UInt64
    let reason: String
    init(blockSize: Int, blockCount: UInt64, reason: String) { self.blockSize = blockSize; self.blockCount = blockCount; self.reason = reason }
    func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) { throw .host(reason) }
    func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) { throw .host(reason) }
    func flush() throws(BlockError) { throw .host(reason) }
    func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] { [] }
}
