import I2OFormats
import Synchronization

/// Host memory as an IOP sees it across the bus: buffers at bus addresses, which the SGL
/// elements of a request point at. The host (the ioctl engine, a test) maps buffers before it
/// posts a frame and reads the IOP's writes back afterwards, exactly as DMA works.
///
/// An address range that is not inside one mapped buffer is a bus error: `read` gives nil,
/// `write` gives false, and the IOP answers the request with a failing reply.
///
/// A reference type: a request whose reply comes later (ExecLctNotify waiting for a change)
/// keeps the memory it was posted with, as a real IOP keeps the host's bus addresses.
public final class BusMemory: Sendable {
    /// A mapped buffer of `size` bytes; only its first `bytes.count` are stored, the rest are
    /// zero (a 64 KiB result reservation costs nothing until the IOP writes into it).
    private struct Mapped { var base: UInt64; var bytes: [UInt8]; var size: Int }
    /// Buffers are few per request (two or three): a list searched linearly is the honest, fast choice.
    private struct State { var buffers: [Mapped] = []; var nextAddress: UInt64 }
    private let state: Mutex<State>

    /// Addresses start at `base` (page aligned), leaving 0 unmapped so a NULL address is a bus error.
    public init(base: UInt64 = 0x1000) { state = Mutex(State(nextAddress: base)) }

    /// Maps a copy of `bytes` and returns its bus address.
    public func map(_ bytes: [UInt8]) -> UInt64 { map(bytes: bytes, size: bytes.count) }
    /// Maps `count` zero bytes and returns its bus address.
    public func map(zeroes count: Int) -> UInt64 { map(bytes: [], size: max(count, 0)) }

    private func map(bytes: [UInt8], size: Int) -> UInt64 {
        state.withLock { s in
            let address = s.nextAddress
            if s.buffers.isEmpty { s.buffers.reserveCapacity(4) }
            s.buffers.append(Mapped(base: address, bytes: bytes, size: size))
            s.nextAddress += UInt64((max(size, 1) + 0xFFF) & ~0xFFF)
            return address
        }
    }

    /// The whole buffer mapped at `address`, if one starts there.
    public func buffer(at address: UInt64) -> [UInt8]? {
        state.withLock { s in
            s.buffers.first { $0.base == address }.map { $0.bytes + [UInt8](repeating: 0, count: $0.size - $0.bytes.count) }
        }
    }

    /// The buffer holding `count` bytes at `address`, and the offset there.
    private static func locate(_ buffers: [Mapped], _ address: UInt64, _ count: Int) -> (index: Int, offset: Int)? {
        guard count >= 0 else { return nil }
        for (i, m) in buffers.enumerated() where address >= m.base {
            // Overflow-safe: offset and count each within the buffer, and together too.
            let offset = address - m.base, size = UInt64(m.size)
            if offset <= size && UInt64(count) <= size - offset { return (i, Int(offset)) }
        }
        return nil
    }
    /// Whether `count` bytes at `address` lie inside one mapped buffer (no copy is made).
    public func isMapped(_ address: UInt64, count: Int) -> Bool {
        state.withLock { Self.locate($0.buffers, address, count) != nil }
    }
    /// `count` bytes at `address`, or nil when the range is not mapped.
    public func read(_ address: UInt64, count: Int) -> [UInt8]? {
        state.withLock { s in
            guard let (i, offset) = Self.locate(s.buffers, address, count) else { return nil }
            let m = s.buffers[i]
            let stored = m.bytes.count
            if offset + count <= stored { return Array(m.bytes[offset..<offset + count]) }
            // Past what was written the buffer is zero: one zeroed allocation, then one copy
            // (appending a lazy `repeatElement` goes element by element: far too slow for 64 KiB).
            var out = [UInt8](repeating: 0, count: count)
            if offset < stored { out.replaceSubrange(0..<stored - offset, with: m.bytes[offset..<stored]) }
            return out
        }
    }
    /// Writes `bytes` at `address`; false when the range is not mapped.
    @discardableResult
    public func write(_ bytes: [UInt8], at address: UInt64) -> Bool {
        state.withLock { s in
            guard let (i, offset) = Self.locate(s.buffers, address, bytes.count) else { return false }
            let end = offset + bytes.count
            let stored = s.buffers[i].bytes.count
            if offset == stored {
                // Writing on from what is stored (the usual case: a result from its start).
                s.buffers[i].bytes.append(contentsOf: bytes)
                return true
            }
            if end > stored {
                // Zeroes up to `end` in one allocation, rather than growing element by element.
                s.buffers[i].bytes.append(contentsOf: [UInt8](repeating: 0, count: end - stored))
            }
            s.buffers[i].bytes.replaceSubrange(offset..<end, with: bytes)
            return true
        }
    }
}
