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
    private struct State { var buffers: [UInt64: [UInt8]] = [:]; var nextAddress: UInt64 }
    private let state: Mutex<State>

    /// Addresses start at `base` (page aligned), leaving 0 unmapped so a NULL address is a bus error.
    public init(base: UInt64 = 0x1000) { state = Mutex(State(nextAddress: base)) }

    /// Maps a copy of `bytes` and returns its bus address.
    public func map(_ bytes: [UInt8]) -> UInt64 {
        state.withLock { s in
            let address = s.nextAddress
            s.buffers[address] = bytes
            s.nextAddress += UInt64((max(bytes.count, 1) + 0xFFF) & ~0xFFF)
            return address
        }
    }
    /// Maps `count` zero bytes and returns its bus address.
    public func map(zeroes count: Int) -> UInt64 { map([UInt8](repeating: 0, count: count)) }

    /// The whole buffer mapped at `address`, if one starts there.
    public func buffer(at address: UInt64) -> [UInt8]? { state.withLock { $0.buffers[address] } }

    private static func locate(_ buffers: [UInt64: [UInt8]], _ address: UInt64, _ count: Int) -> (base: UInt64, offset: Int)? {
        guard count >= 0 else { return nil }
        // Buffers are few per request: a linear search is the honest, fast choice.
        for (base, bytes) in buffers where address >= base {
            // Overflow-safe: offset and count each within the buffer, and together too.
            let offset = address - base, size = UInt64(bytes.count)
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
            guard let (base, offset) = Self.locate(s.buffers, address, count) else { return nil }
            return Array(s.buffers[base]![offset..<offset + count])
        }
    }
    /// Writes `bytes` at `address`; false when the range is not mapped.
    @discardableResult
    public func write(_ bytes: [UInt8], at address: UInt64) -> Bool {
        state.withLock { s in
            guard let (base, offset) = Self.locate(s.buffers, address, bytes.count) else { return false }
            s.buffers[base]!.replaceSubrange(offset..<offset + bytes.count, with: bytes)
            return true
        }
    }
}
