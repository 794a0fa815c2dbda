/// A Target ID: the 12-bit address of a device on one IOP (LocalTID, TargetAddress, …).
///
/// TID 0 is the executive (ADAPTER_TID), TID 1 the host (HOST_TID), 0xFFF "none"
/// (an unclaimed UserTID).
public struct TID: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public let rawValue: UInt16
    /// Keeps the low 12 bits, as the wire does.
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xFFF }
    public init(integerLiteral value: UInt16) { self.init(rawValue: value) }
    /// nil when `value` does not fit in 12 bits.
    public init?(exactly value: some BinaryInteger) {
        guard value >= 0, value <= 0xFFF else { return nil }
        self.init(rawValue: UInt16(value))
    }
    /// The executive (IOP) itself. The kernel calls it `ADAPTER_TID`.
    public static let executive: TID = 0
    /// The host. The kernel calls it `HOST_TID`.
    public static let host: TID = 1
    /// "No TID" (unclaimed UserTID; NetBSD's `I2O_TID_NONE`).
    public static let none: TID = 0xFFF
    public static func < (a: TID, b: TID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "0x" + String(rawValue, radix: 16, uppercase: true).leftPadded(to: 3) }
}

/// An IOP unit number: the `iop` field of every ioctl, the index of I2OGETIOPS's table.
public struct IOPUnit: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt32) { self.rawValue = value }
    /// `MAX_I2O_CONTROLLERS`: the size of I2OGETIOPS's table.
    public static let maxControllers = 32
    public static func < (a: IOPUnit, b: IOPUnit) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "iop\(rawValue)" }
}

/// A length in 32-bit words, as MessageSize, BlockSize, TableSize and EntryLength count.
public struct WordCount: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { self.rawValue = value }
    /// Rounds up: the words needed to hold `bytes` bytes.
    public init(coveringBytes bytes: Int) { self.rawValue = (bytes + 3) / 4 }
    public var bytes: Int { rawValue * 4 }
    public static func < (a: WordCount, b: WordCount) -> Bool { a.rawValue < b.rawValue }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// Hex formatting used in messages and `show`: `0x0F00`.
public func hex(_ value: some BinaryInteger, width: Int = 0) -> String {
    "0x" + String(value, radix: 16, uppercase: true).leftPadded(to: width)
}

// Dictionaries and sets keyed by TID and IOP unit sit on every request's path (devices by TID,
// IOPs by unit): their hash is a multiplicative mix of the value and the table's seed instead of
// a whole SipHash per lookup. Flooding is no concern: a TID has 12 bits, and units come from
// the machine's description. Equal values still hash equally (the value is all there is).
@inlinable
public func i2oFastHash(_ value: UInt64, seed: Int) -> Int {
    var x = (value ^ UInt64(bitPattern: Int64(seed))) &* 0x9E37_79B9_7F4A_7C15
    x ^= x >> 29
    return Int(truncatingIfNeeded: x)
}

extension TID {
    public func _rawHashValue(seed: Int) -> Int { i2oFastHash(UInt64(rawValue), seed: seed) }
}

extension IOPUnit {
    public func _rawHashValue(seed: Int) -> Int { i2oFastHash(UInt64(rawValue), seed: seed) }
}
