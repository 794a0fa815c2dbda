import I2OABI
import I2ODevice
import IoctlEngine

/// A caller address space for the benchmark: one flat byte array at `base`, no faults. It can
/// record the fetches and stores of one ioctl so that the copy baseline replays exactly the same
/// ranges and bytes through the same code.
struct FlatMemory: UserMemory {
    static let base: UInt64 = 0x10000
    var bytes: [UInt8]
    private var next = 0
    var fetches = 0
    var recording = false
    var log: [Event] = []

    enum Event { case fetch([UserRange], [UserRange]); case store([UInt8], UInt64) }

    init(size: Int = 1 << 20) { bytes = [UInt8](repeating: 0, count: size) }

    /// Places `b` at a fresh 16-byte aligned address.
    mutating func place(_ b: [UInt8]) -> UInt64 {
        let a = next
        bytes.replaceSubrange(a..<a + b.count, with: b)
        next = (a + b.count + 64 + 15) & ~15
        return Self.base + UInt64(a)
    }
    mutating func place(zeroes n: Int) -> UInt64 { place([UInt8](repeating: 0, count: n)) }
    mutating func placeU32(_ v: UInt32) -> UInt64 { var b = [UInt8](); b.appendLE(v); return place(b) }
    mutating func setU32(_ v: UInt32, at a: UInt64) {
        let o = Int(a - Self.base)
        bytes[o] = UInt8(truncatingIfNeeded: v); bytes[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[o + 2] = UInt8(truncatingIfNeeded: v >> 16); bytes[o + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }
    func u32(_ a: UInt64) -> UInt32 {
        let o = Int(a - Self.base)
        return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
    func read(_ r: UserRange) -> [UInt8]? {
        guard r.address >= Self.base else { return nil }
        let o = Int(r.address - Self.base)
        guard r.count >= 0, o + r.count <= bytes.count else { return nil }
        return Array(bytes[o..<o + r.count])
    }

    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        fetches += 1
        if recording { log.append(.fetch(reads, writes)) }
        return reads.map { read($0) }
    }

    /// The reads' bytes in one buffer, as an embedding memory would hand them over.
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges {
        if recording { return FetchedRanges(try fetch(reads: Array(reads), writes: Array(writes))) }
        fetches += 1
        // By index: iterating would copy the ranges.
        var total = 0
        for i in reads.indices { total += max(reads[i].count, 0) }
        var got = FetchedRanges(reservingCapacity: total)
        for i in reads.indices {
            let r = reads[i]
            guard r.address >= Self.base, r.count >= 0, Int(r.address - Self.base) + r.count <= bytes.count else {
                got.appendFault(); continue
            }
            let o = Int(r.address - Self.base)
            got.append(bytes[o..<o + r.count])
        }
        return got
    }

    mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        if recording { return try fetch(reads: [range], writes: []).first ?? nil }
        fetches += 1
        return read(range)
    }

    mutating func store(_ b: [UInt8], at address: UInt64) -> Bool {
        b.withUnsafeBytes { store($0, at: address) }
    }

    mutating func store(_ b: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        if recording { log.append(.store(Array(b), address)) }
        guard address >= Self.base else { return false }
        let o = Int(address - Self.base)
        guard o + b.count <= bytes.count else { return false }
        if b.isEmpty { return true }
        bytes.withUnsafeMutableBytes { dst in dst.baseAddress!.advanced(by: o).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        return true
    }

    /// The copy baseline: the same fetches and stores as the recorded ioctl, nothing else.
    mutating func replay(_ events: [Event]) {
        for e in events {
            switch e {
            case let .fetch(r, w): _ = try? fetch(reads: r, writes: w)
            case let .store(b, a): _ = store(b, at: a)
            }
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var x = v.littleEndian
        Swift.withUnsafeBytes(of: &x) { append(contentsOf: $0) }
    }
}

/// Bytes the workloads pass (the ioctl structs come from `IoctlStructs`).
enum Structs {
    /// OperationCount 1, FieldGet of every field of `group`.
    static func fieldGetAll(_ group: UInt16) -> [UInt8] {
        var b = [UInt8](); b.appendLE(UInt16(1)); b.appendLE(UInt16(0))
        b.appendLE(UInt16(0x0001)); b.appendLE(group); b.appendLE(UInt16(0xFFFF)); b.appendLE(UInt16(0)); return b
    }
}
