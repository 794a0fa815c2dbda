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
    private struct Mapped { var bytes: [UInt8]; var size: Int }
    private struct State { var buffers: [UInt64: Mapped] = [:]; var nextAddress: UInt64 }
    private let state: Mutex<State>

    /// Addresses start at `base` (page aligned), leaving 0 unmapped so a NULL address is a bus error.
    public init(base: UInt64 = 0x1000) { state = Mutex(State(nextAddress: base)) }

    /// Maps a copy of `bytes` and returns its bus address.
    public func map(_ bytes: [UInt8]) -> UInt64 { map(Mapped(bytes: bytes, size: bytes.count)) }
    /// Maps `count` zero bytes and returns its bus address.
    public func map(zeroes count: Int) -> UInt64 { map(Mapped(bytes: [], size: max(count, 0))) }

    private func map(_ m: Mapped) -> UInt64 {
        state.withLock { s in
            let address = s.nextAddress
            s.buffers[address] = m
            s.nextAddress += UInt64((max(m.size, 1) + 0xFFF) & ~0xFFF)
            return address
        }
    }

    /// The whole buffer mapped at `address`, if one starts there.
    public func buffer(at address: UInt64) -> [UInt8]? {
        state.withLock { s in s.buffers[address].map { $0.bytes + [UInt8](repeating: 0, count: $0.size - $0.bytes.count) } }
    }

    private static func locate(_ buffers: [UInt64: Mapped], _ address: UInt64, _ count: Int) -> (base: UInt64, offset: Int)? {
        guard count >= 0 else { return nil }
        // Buffers are few per request: a linear search is the honest, fast choice.
        for (base, m) in buffers where address >= base {
            // Overflow-safe: offset and count each within the buffer, and together too.
            let offset = address - base, size = UInt64(m.size)
            if offset <= size && UInt64(count) <= size - offset { return (base, Int(offset)) }
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
            guard let (base, offset) = Self.locate(s.buffers, address, count), let m = s.buffers[base] else { return nil }
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
            guard let (base, offset) = Self.locate(s.buffers, address, bytes.count), s.buffers[base] != nil else { return false }
            let end = offset + bytes.count
            let stored = s.buffers[base]!.bytes.count
            if end > stored {
                // One allocation of the whole size (not zeroed) rather than growing write by write.
                if stored == 0 { s.buffers[base]!.bytes.reserveCapacity(s.buffers[base]!.size) }
                s.buffers[base]!.bytes.append(contentsOf: [UInt8](repeating: 0, count: end - stored))
            }
            s.buffers[base]!.bytes.replaceSubrange(offset..<end, with: bytes)
            return true
        }
    }
}
