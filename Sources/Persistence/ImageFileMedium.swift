import BlockStorage
import Posix
import SystemPackage

/// A disk's bytes in a sparse image file of the disk's capacity (in `--state-dir` or `--disk-dir`):
/// a 35 GB disk costs nothing until written, and only what is written takes space. `flush` is
/// `fdatasync`: after it returns the writes before it survive a crash of the daemon (and of the
/// host, as far as the file system keeps its promises).
public final class ImageFileMedium: BlockTarget {
    public let path: String
    public let blockSize: Int
    public let blockCount: UInt64
    private let fd: FileDescriptor

    /// Opens (or creates) the image at `path` for a disk of `blockCount` blocks. An existing image of
    /// another size is refused: it belongs to another disk.
    public init(path: String, blockSize: Int = 512, blockCount: UInt64) throws(BlockError) {
        self.path = path; self.blockSize = blockSize; self.blockCount = blockCount
        let bytes = Int64(blockCount) * Int64(blockSize)
        do {
            fd = try FileDescriptor.open(path, .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite])
        } catch {
            throw .host("cannot open the disk image \(path): \(error)")
        }
        do {
            let size = try fd.size()
            if size == 0 && bytes > 0 {
                try fd.resize(to: bytes)
            } else if size != bytes {
                fd.closeIgnoringErrors()
                throw BlockError.host("the disk image \(path) holds \(size) bytes, the disk \(bytes) (\(blockCount) blocks): "
                                      + "it belongs to another disk; move it away or give the disk its capacity")
            }
        } catch let e as BlockError {
            throw e
        } catch {
            fd.closeIgnoringErrors()
            throw .host("cannot size the disk image \(path): \(error)")
        }
    }

    deinit { fd.closeIgnoringErrors() }

    public func read(_ lba: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockError) {
        _ = try checkedBlocks(lba, bytes: buffer.count)
        do { try fd.readAll(at: Int64(lba) * Int64(blockSize), into: buffer) } catch { throw .host("reading \(path): \(error)") }
    }

    public func write(_ lba: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockError) {
        _ = try checkedBlocks(lba, bytes: buffer.count)
        do { try fd.writeAll(at: Int64(lba) * Int64(blockSize), buffer) } catch { throw .host("writing \(path): \(error)") }
    }

    public func flush() throws(BlockError) {
        do { try fd.syncData() } catch { throw .host("fdatasync of \(path): \(error)") }
    }

    public func writtenExtents(in range: Range<UInt64>) -> [Range<UInt64>] {
        let r = range.clamped(to: 0..<blockCount), bs = Int64(blockSize)
        return fd.dataRanges(in: Int64(r.lowerBound) * bs..<Int64(r.upperBound) * bs).map {
            UInt64($0.lowerBound / bs)..<UInt64(($0.upperBound + bs - 1) / bs)
        }
    }
}
