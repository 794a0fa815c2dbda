import I2OABI
import I2ODevice
import I2OFormats
import IoctlEngine

/// A sparse caller address space for the tests that drive the engine: regions mapped at fresh
/// addresses with an unmapped gap after each; every other address faults, and so does any range
/// overlapping one marked `faulting`. Counts fetch rounds, can throw `NeedsRound` once, and counts
/// stores outside the write ranges reserved by earlier fetches.
public struct FakeUserMemory: UserMemory {
    public var regions: [UInt64: [UInt8]] = [:]
    public var faulting: [UserRange] = []
    /// Fetch calls made (each is a round).
    public var rounds = 0
    /// Throw `NeedsRound` on this fetch (1-based, counted from `rounds`) once.
    public var needsRoundAt: Int?
    /// Write ranges reserved so far.
    public var reserved: [UserRange] = []
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
    private func locate(_ address: UInt64, _ count: Int) -> (UInt64, Int)? {
        guard count >= 0 else { return nil }
        for (base, bytes) in regions where address >= base {
            let off = address - base
            guard off <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - off else { continue }
            if faulting.contains(where: { $0.address < address + UInt64(count) && address < $0.address + UInt64($0.count) }) {
                return nil
            }
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

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        if !reserved.contains(where: { address >= $0.address && address + UInt64(bytes.count) <= $0.address + UInt64($0.count) }) {
            unreservedStores += 1
        }
        guard let (base, off) = locate(address, bytes.count) else { return false }
        regions[base]!.replaceSubrange(off..<off + bytes.count, with: bytes)
        return true
    }
}
