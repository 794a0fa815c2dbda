import I2OABI
import I2ODevice
import I2OFormats
import IoctlEngine

/// A sparse caller address space for the tests that drive the engine: regions mapped at fresh
/// addresses with an unmapped gap after each; every other address faults, and so does any range
/// overlapping one marked `faulting` — or, for stores only, one marked `readOnly` (a page that can
/// be read but not written). Counts fetch rounds, can throw `NeedsRound` once, and counts stores
/// outside the write ranges reserved by earlier fetches (an unchecked store: outside the
/// unchecked ones). Like CUSE it grants every reservation; a store that faults returns false.
public struct FakeUserMemory: UserMemory {
    public var regions: [UInt64: [UInt8]] = [:]
    public var faulting: [UserRange] = []
    /// Fetch calls made (each is a round).
    public var rounds = 0
    /// Throw `NeedsRound` on this fetch (1-based, counted from `rounds`) once.
    public var needsRoundAt: Int?
    /// Write ranges reserved so far.
    public var reserved: [UserRange] = []
    /// Unchecked write ranges reserved so far (`fetch(_:_:unchecked:)`).
    public var uncheckedReserved: [UserRange] = []
    /// Ranges that can be read but not written: a store overlapping one fails.
    public var readOnly: [UserRange] = []
    /// Stores outside every reserved range (must stay 0).
    public var unreservedStores = 0
    public var nextAddress: UInt64 = 0x10000
    /// An address where nothing is mapped.
    public static let unmapped: UInt64 = 0xDEAD_0000

    public init() {}

    /// Maps `bytes` at a fresh address (with an unmapped gap after it) and returns the address.
    public mutating func place(_ bytes: [UInt8]) -> UInt64 {
        let a = nextAddress
        regions[a] = bytes
        nextAddress += UInt64((bytes.count + 0xFFF) & ~0xFFF) + 0x1000
        return a
    }
    public mutating func place(zeroes n: Int) -> UInt64 { place([UInt8](repeating: 0, count: n)) }
    public mutating func placeU32(_ v: UInt32) -> UInt64 { var b = [UInt8](); b.appendLE32(v); return place(b) }

    /// The region and offset holding [address, address + count), nil where any of it is unmapped
    /// or faulting (no overflow on hostile addresses or counts).
    private func locate(_ address: UInt64, _ count: Int, writing: Bool = false) -> (UInt64, Int)? {
        guard count >= 0 else { return nil }
        let overlaps = { (r: UserRange) in r.address < address + UInt64(count) && address < r.address + UInt64(r.count) }
        for (base, bytes) in regions where address >= base {
            let off = address - base
            guard off <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - off else { continue }
            if faulting.contains(where: overlaps) || (writing && readOnly.contains(where: overlaps)) { return nil }
            return (base, Int(off))
        }
        return nil
    }

    public func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        guard let (base, off) = locate(address, count) else { return nil }
        return Array(regions[base]![off..<off + count])
    }
    public func u32(_ address: UInt64) -> UInt32? { read(address, 4)?.readLE32(at: 0) }

    public mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        rounds += 1
        if let n = needsRoundAt, n == rounds {
            needsRoundAt = nil
            rounds = 0
            throw NeedsRound(reads: reads, writes: writes)
        }
        reserved += writes
        return reads.map { $0.count == 0 ? [] : read($0.address, $0.count) }
    }

    public mutating func fetch(_ reads: UserRanges, _ writes: UserRanges, unchecked: UserRanges) throws(NeedsRound) -> FetchedRanges {
        let got = try fetch(reads, writes)
        uncheckedReserved += unchecked
        return got
    }

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        if !Self.covers(reserved, address, bytes.count) { unreservedStores += 1 }
        return write(bytes, at: address)
    }

    public mutating func storeUnchecked(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        if !Self.covers(uncheckedReserved, address, bytes.count) { unreservedStores += 1 }
        return write(Array(bytes), at: address)
    }

    private static func covers(_ ranges: [UserRange], _ address: UInt64, _ count: Int) -> Bool {
        ranges.contains { address >= $0.address && address + UInt64(count) <= $0.address + UInt64($0.count) }
    }

    private mutating func write(_ bytes: [UInt8], at address: UInt64) -> Bool {
        guard let (base, off) = locate(address, bytes.count, writing: true) else { return false }
        regions[base]!.replaceSubrange(off..<off + bytes.count, with: bytes)
        return true
    }
}
