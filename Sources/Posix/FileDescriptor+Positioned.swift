#if canImport(Glibc)
import Glibc
#endif
import CPosix
import SystemPackage

// Positioned I/O on regular files (disk images): whole transfers at an offset, durability, size,
// and where a sparse file holds data.

extension FileDescriptor {
    /// Reads exactly `buffer.count` bytes at `offset`; bytes past the end of the file read as zeros.
    ///
    /// The corresponding C function is `pread`.
    public func readAll(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) {
        var done = 0
        while done < buffer.count {
            let n = try Errno.retryingOnInterrupt {
                Glibc.pread(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            if n == 0 {
                UnsafeMutableRawBufferPointer(rebasing: buffer[done...]).initializeMemory(as: UInt8.self, repeating: 0)
                return
            }
            done += n
        }
    }

    /// Writes every byte of `buffer` at `offset`.
    ///
    /// The corresponding C function is `pwrite`.
    public func writeAll(at offset: Int64, _ buffer: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < buffer.count {
            done += try Errno.retryingOnInterrupt {
                Glibc.pwrite(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            }
        }
    }

    /// Makes the file's data durable (written to the device below the file system).
    ///
    /// The corresponding C function is `fdatasync`.
    public func syncData() throws(Errno) {
        _ = try Errno.retryingOnInterrupt { Glibc.fdatasync(rawValue) }
    }

    /// Sets the file's size (a larger size adds a hole: no space is taken).
    ///
    /// The corresponding C function is `ftruncate`.
    public func resize(to size: Int64) throws(Errno) {
        _ = try Errno.retryingOnInterrupt { Glibc.ftruncate(rawValue, off_t(size)) }
    }

    /// The file's size in bytes.
    ///
    /// The corresponding C function is `fstat`.
    public func size() throws(Errno) -> Int64 {
        var st = Glibc.stat()
        _ = try Errno.retryingOnInterrupt { Glibc.fstat(rawValue, &st) }
        return Int64(st.st_size)
    }

    /// The byte ranges of `range` where the file holds data (not holes), as the file system reports
    /// them; a file system that cannot tell reports the whole range.
    ///
    /// The corresponding C function is `lseek` with `SEEK_DATA` and `SEEK_HOLE`.
    public func dataRanges(in range: Range<Int64>) -> [Range<Int64>] {
        var out: [Range<Int64>] = []
        var at = range.lowerBound
        while at < range.upperBound {
            let data = Glibc.lseek(rawValue, off_t(at), Int32(CPOSIX_SEEK_DATA))
            if data < 0 { if Glibc.errno == ENXIO { break }; return [range] }
            if Int64(data) >= range.upperBound { break }
            let hole = Glibc.lseek(rawValue, data, Int32(CPOSIX_SEEK_HOLE))
            if hole < 0 { return [range] }
            out.append(Int64(data)..<min(Int64(hole), range.upperBound))
            at = Int64(hole)
        }
        return out
    }
}
