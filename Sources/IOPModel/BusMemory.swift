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
    /// Buffers are few per request (two or three): the first two live inline (a request maps
    /// them without an allocation), any more in a list; all searched linearly.
    private struct State {
        var first: Mapped?, second: Mapped?
        var more: [Mapped] = []
        var nextAddress: UInt64
        let base: UInt64
        var count: Int { (first == nil ? 0 : 1) + (second == nil ? 0 : 1) + more.count }
        /// Buffer `i` (0 ..< count).
        subscript(i: Int) -> Mapped { i == 0 ? first! : i == 1 ? second! : more[i - 2] }
        /// Changes buffer `i` in place (no second reference to its bytes, so no copy of them).
        mutating func update(_ i: Int, _ body: (inout Mapped) -> Void) {
            if i == 0 { body(&first!) } else if i == 1 { body(&second!) } else { body(&more[i - 2]) }
        }
        /// The buffer holding `count` bytes at `address`, and the offset there.
        func locate(_ address: UInt64, _ count: Int) -> (index: Int, offset: Int)? {
            guard count >= 0 else { return nil }
            for i in 0..<self.count {
                let m = self[i]
                guard address >= m.base else { continue }
                // Overflow-safe: offset and count each within the buffer, and together too.
                let offset = address - m.base, size = UInt64(m.size)
                if offset <= size && UInt64(count) <= size - offset { return (i, Int(offset)) }
            }
            return nil
        }
        mutating func append(_ m: Mapped) {
            if first == nil { first = m } else if second == nil { second = m } else { more.append(m) }
        }
    }
    private let state: Mutex<State>

    /// Addresses start at `base` (page aligned), leaving 0 unmapped so a NULL address is a bus error.
    public init(base: UInt64 = 0x1000) { state = Mutex(State(nextAddress: base, base: base)) }

    /// Unmaps every buffer: the window is as new (a host reusing it for its next request).
    public func unmapAll() {
        state.withLock { s in
            let base = s.base
            s = State(nextAddress: base, base: base)
        }
    }

    /// Maps a copy of `bytes` and returns its bus address.
    public func map(_ bytes: [UInt8]) -> UInt64 { map(bytes: bytes, size: bytes.count) }
    /// Maps `count` zero bytes and returns its bus address.
    public func map(zeroes count: Int) -> UInt64 { map(bytes: [], size: max(count, 0)) }

    private func map(bytes: [UInt8], size: Int) -> UInt64 {
        state.withLock { s in
            let address = s.nextAddress
            s.append(Mapped(base: address, bytes: bytes, size: size))
            s.nextAddress += UInt64((max(size, 1) + 0xFFF) & ~0xFFF)
            return address
        }
    }

    /// The whole buffer mapped at `address`, if one starts there.
    public func buffer(at address: UInt64) -> [UInt8]? {
        state.withLock { s in
            guard let i = (0..<s.count).first(where: { s[$0].base == address }) else { return nil }
            let m = s[i]
            return m.bytes + [UInt8](repeating: 0, count: m.size - m.bytes.count)
        }
    }

    /// Whether `count` bytes at `address` lie inside one mapped buffer (no copy is made).
    public func isMapped(_ address: UInt64, count: Int) -> Bool {
        state.withLock { $0.locate(address, count) != nil }
    }
    /// `count` bytes at `address`, or nil when the range is not mapped.
    public func read(_ address: UInt64, count: Int) -> [UInt8]? {
        state.withLock { s in
            guard let (i, offset) = s.locate(address, count) else { return nil }
            let m = s[i]
            let stored = m.bytes.count
            // Exactly what was written (a result read back whole): the bytes themselves, no copy.
            if offset == 0 && count == stored { return m.bytes }
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
            guard let (i, offset) = s.locate(address, bytes.count) else { return false }
            let end = offset + bytes.count
            s.update(i) { m in
                let stored = m.bytes.count
                if stored == 0 && offset == 0 {
                    // The first write at the start (a result list): keep the bytes themselves.
                    m.bytes = bytes
                } else if offset == stored {
                    // Writing on from what is stored.
                    m.bytes.append(contentsOf: bytes)
                } else {
                    if end > stored {
                        // Zeroes up to `end` in one allocation, rather than growing element by element.
                        m.bytes.append(contentsOf: [UInt8](repeating: 0, count: end - stored))
                    }
                    m.bytes.replaceSubrange(offset..<end, with: bytes)
                }
            }
            return true
        }
    }
}
