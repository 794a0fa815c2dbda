// Integer access that names its byte order. Everything I2O is little-endian.

extension Array where Element == UInt8 {
    @inlinable public func readLE16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }
    @inlinable public func readLE32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
    @inlinable public func readLE64(at offset: Int) -> UInt64 {
        UInt64(readLE32(at: offset)) | UInt64(readLE32(at: offset + 4)) << 32
    }
    @inlinable public mutating func writeLE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
    @inlinable public mutating func writeLE32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
    @inlinable public mutating func writeLE64(_ value: UInt64, at offset: Int) {
        writeLE32(UInt32(truncatingIfNeeded: value), at: offset)
        writeLE32(UInt32(truncatingIfNeeded: value >> 32), at: offset + 4)
    }
    @inlinable public mutating func appendLE16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value)); append(UInt8(truncatingIfNeeded: value >> 8))
    }
    @inlinable public mutating func appendLE32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value)); append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16)); append(UInt8(truncatingIfNeeded: value >> 24))
    }
    @inlinable public mutating func appendLE64(_ value: UInt64) {
        appendLE32(UInt32(truncatingIfNeeded: value)); appendLE32(UInt32(truncatingIfNeeded: value >> 32))
    }
    /// Pads with zero bytes up to a multiple of four (I2O lists are word-aligned).
    @inlinable public mutating func padToWord() {
        while count % 4 != 0 { append(0) }
    }
}

/// Writes little-endian fields into memory of a known size, one store per field (for tables
/// encoded often: appending byte by byte costs a capacity check per byte).
public struct LittleEndianWriter {
    @usableFromInline let base: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    @usableFromInline var written = 0
    public var count: Int { written }

    @inlinable init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    @inlinable public mutating func u8(_ v: UInt8) {
        base.storeBytes(of: v, toByteOffset: written, as: UInt8.self); written += 1
    }
    @inlinable public mutating func u16(_ v: UInt16) {
        base.storeBytes(of: v.littleEndian, toByteOffset: written, as: UInt16.self); written += 2
    }
    @inlinable public mutating func u32(_ v: UInt32) {
        base.storeBytes(of: v.littleEndian, toByteOffset: written, as: UInt32.self); written += 4
    }
    @inlinable public mutating func u64(_ v: UInt64) {
        base.storeBytes(of: v.littleEndian, toByteOffset: written, as: UInt64.self); written += 8
    }
    /// The bytes of `b` in one copy.
    @inlinable public mutating func copy(_ b: ArraySlice<UInt8>) {
        let at = written
        b.withUnsafeBytes { src in
            if let from = src.baseAddress { (base.baseAddress! + at).copyMemory(from: from, byteCount: src.count) }
        }
        written += b.count
    }
    /// Zeros up to `offset` bytes from the start.
    @inlinable public mutating func zeros(upTo offset: Int) {
        while written < offset { u8(0) }
    }
}

extension Array where Element == UInt8 {
    /// An array of exactly `count` bytes, written by `fill` (which must write them all).
    @inlinable public init(littleEndianCount count: Int, _ fill: (inout LittleEndianWriter) -> Void) {
        // Up to 1 KiB (frames, tables, results) the bytes are written on the stack and copied:
        // `init(unsafeUninitializedCapacity:)` allocates through the standard library's unspecialized
        // path, a run-time metadata lookup per call that costs more than the copy (≈ 830 against
        // ≈ 540 instructions for 96 bytes).
        if count <= 1024 {
            self = withUnsafeTemporaryAllocation(byteCount: count, alignment: 8) { buffer in
                var w = LittleEndianWriter(buffer)
                fill(&w)
                precondition(w.count == count, "encoded \(w.count) bytes, announced \(count)")
                return Array(UnsafeRawBufferPointer(buffer))
            }
            return
        }
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            var w = LittleEndianWriter(UnsafeMutableRawBufferPointer(buffer))
            fill(&w)
            precondition(w.count == count, "encoded \(w.count) bytes, announced \(count)")
            initialized = count
        }
    }
}

/// A cursor over little-endian bytes that throws `I2OFormatError.truncated` instead of trapping.
/// It reads an array or a slice of one (a range of a larger buffer, not copied out); `offset`
/// counts from the first byte read.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int
    /// Names the structure being read, for error messages.
    public let what: String

    public init(_ bytes: ArraySlice<UInt8>, what: String, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.what = what
    }
    public init(_ bytes: [UInt8], what: String, offset: Int = 0) { self.init(bytes[...], what: what, offset: offset) }

    public var remaining: Int { bytes.count - offset }

    @inline(__always) private func need(_ n: Int) throws(I2OFormatError) {
        guard n >= 0, remaining >= n else {
            throw .truncated(what: what, needed: offset + n, available: bytes.count)
        }
    }
    /// Byte `k` after the cursor (`need` has checked it is there).
    @inline(__always) private func at(_ k: Int) -> UInt8 { bytes.withUnsafeBufferPointer { $0[offset + k] } }
    public mutating func u8() throws(I2OFormatError) -> UInt8 {
        try need(1); defer { offset += 1 }; return at(0)
    }
    @inline(__always)
    public mutating func u16() throws(I2OFormatError) -> UInt16 {
        try need(2); defer { offset += 2 }; return UInt16(at(0)) | UInt16(at(1)) << 8
    }
    public mutating func u32() throws(I2OFormatError) -> UInt32 {
        try need(4); defer { offset += 4 }
        return UInt32(at(0)) | UInt32(at(1)) << 8 | UInt32(at(2)) << 16 | UInt32(at(3)) << 24
    }
    public mutating func u64() throws(I2OFormatError) -> UInt64 {
        let low = try u32()
        return UInt64(low) | UInt64(try u32()) << 32
    }
    public mutating func bytes(_ n: Int) throws(I2OFormatError) -> [UInt8] {
        try need(n); defer { offset += n }
        let start = bytes.startIndex + offset
        return Array(bytes[start..<start + n])
    }
    public mutating func skip(_ n: Int) throws(I2OFormatError) {
        try need(n); offset += n
    }
    /// Skips to the next multiple of four, if the bytes reach that far; else to the end.
    public mutating func alignToWord() {
        offset = Swift.min(bytes.count, (offset + 3) & ~3)
    }
}

extension Collection where Element == UInt32 {
    /// The words as little-endian bytes.
    public var littleEndianBytes: [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count * 4)
        for w in self { out.appendLE32(w) }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Reads whole little-endian words; a trailing partial word is an error.
    public func littleEndianWords(what: String) throws(I2OFormatError) -> [UInt32] {
        guard count % 4 == 0 else { throw .invalid(what: what, reason: "length \(count) is not a multiple of 4") }
        var words = [UInt32](); words.reserveCapacity(count / 4)
        var i = 0
        while i < count { words.append(readLE32(at: i)); i += 4 }
        return words
    }
}

/// Fixed-width text fields (VendorInfo[16] …): NUL-padded on the wire.
public enum FixedText {
    /// `text` as exactly `width` bytes: truncated, or padded with NULs.
    public static func encode(_ text: String, width: Int) -> [UInt8] {
        var b = Array(text.utf8.prefix(width))
        while b.count < width { b.append(0) }
        return b
    }
    /// The bytes up to the first NUL, as text (invalid UTF-8 repaired).
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
