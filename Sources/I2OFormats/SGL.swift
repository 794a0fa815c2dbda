/// The flag byte of an SGL element (bits 24–31 of its first word, docs/i2o-formats.md §SGL).
public struct SGLFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let lastElement = SGLFlags(rawValue: 0x80)
    public static let endOfBuffer = SGLFlags(rawValue: 0x40)
    /// Host → IOP ("data out"). Without it the data flows IOP → host.
    public static let hostToIOP = SGLFlags(rawValue: 0x04)
    public static let localAddress = SGLFlags(rawValue: 0x08)
}

/// One scatter-gather element as this simulator understands it.
public enum SGLElement: Hashable, Sendable {
    /// A simple address element: `count` bytes at bus address `address`.
    case simple(flags: SGLFlags, count: Int, address: UInt64)
    /// Immediate data carried inside the frame (flag byte 0x4C/0xCC): the bytes themselves.
    case immediate(flags: SGLFlags, bytes: [UInt8])

    public var flags: SGLFlags {
        switch self {
        case let .simple(f, _, _), let .immediate(f, _): return f
        }
    }
    public var isLast: Bool { flags.contains(.lastElement) }
    public var isHostToIOP: Bool { flags.contains(.hostToIOP) }
    public var byteCount: Int {
        switch self {
        case let .simple(_, c, _): return c
        case let .immediate(_, b): return b.count
        }
    }

    /// Flag-byte values (docs/i2o-formats.md §SGL).
    public static let simpleFlagBit: UInt8 = 0x10
    public static let immediateType: UInt8 = 0x0C
    public static let attributesType: UInt8 = 0x7C
}

/// The SGL of a frame: decoded from the words after `sglOffset` to the end of the frame.
///
/// Supports the 32-bit simple form (2 words per element), the 64-bit form announced by an
/// SGL attribute element (`0x7C020002` + page-size word, then 3-word elements), and immediate
/// data elements. Any other element type is a typed error.
public struct SGL: Hashable, Sendable {
    public var elements: [SGLElement]
    /// True when the 64-bit attribute element preceded the elements.
    public var is64Bit: Bool

    public init(elements: [SGLElement], is64Bit: Bool = false) {
        self.elements = elements
        self.is64Bit = is64Bit
    }

    /// The SGL of `frame`, or an empty SGL when the frame declares none.
    public static func decode(from frame: MessageFrame) throws(I2OFormatError) -> SGL {
        guard frame.sglOffset.rawValue != 0 else { return SGL(elements: []) }
        return try collect(Reader(frame: frame))
    }

    public static func decode(words: [UInt32]) throws(I2OFormatError) -> SGL { try decode(words: words[...]) }

    public static func decode(words: ArraySlice<UInt32>) throws(I2OFormatError) -> SGL { try collect(Reader(words: words)) }

    private static func collect(_ r: Reader) throws(I2OFormatError) -> SGL {
        var reader = r
        var elements: [SGLElement] = []
        elements.reserveCapacity(4)
        while let e = try reader.next() { elements.append(e) }
        return SGL(elements: elements, is64Bit: reader.is64Bit)
    }

    /// Reads an SGL element by element, building no list: a request handler takes the elements
    /// it needs, as an IOP walks the SGL of an inbound frame. `decode` is this reader run to the end.
    public struct Reader: Sendable {
        private let words: ArraySlice<UInt32>
        private var i: Int
        /// Elements read so far.
        public private(set) var count = 0
        /// True once the 64-bit attribute element was read.
        public private(set) var is64Bit = false
        private var ended = false

        public init(words: ArraySlice<UInt32>) { self.words = words; i = words.startIndex }
        /// The SGL of `frame` (none when the frame declares none).
        public init(frame: MessageFrame) {
            let start = frame.sglOffset.rawValue
            let end = min(frame.messageSize.rawValue, frame.words.count)
            self.init(words: start == 0 ? [] : frame.words[min(start, end)..<end])
        }

        /// The next element; nil after the last one (its flag set) or at the end of the words.
        public mutating func next() throws(I2OFormatError) -> SGLElement? {
            while !ended && i < words.endIndex {
                let w0 = words[i]
                let flagByte = UInt8(w0 >> 24)
                let count = Int(w0 & 0xFF_FFFF)
                let flags = SGLFlags(rawValue: flagByte)
                let element: SGLElement
                if flagByte & 0x7C == SGLElement.attributesType {
                    // SGL attributes element: 0x7C020002 then one word (page size). Switches to 64-bit.
                    guard i + 1 < words.endIndex else { throw .truncated(what: "SGL attribute element", needed: (i - words.startIndex + 2) * 4, available: words.count * 4) }
                    is64Bit = (w0 & 0x0002_0000) != 0
                    i += 2
                    continue
                }
                if flagByte & 0x30 == 0x10 {
                    let n = is64Bit ? 3 : 2
                    guard i + n <= words.endIndex else {
                        throw .truncated(what: "SGL simple element \(self.count)", needed: (i - words.startIndex + n) * 4, available: words.count * 4)
                    }
                    let address = is64Bit ? UInt64(words[i + 1]) | UInt64(words[i + 2]) << 32 : UInt64(words[i + 1])
                    element = .simple(flags: flags, count: count, address: address)
                    i += n
                } else if flagByte & 0x3C == SGLElement.immediateType {
                    let n = (count + 3) / 4
                    guard i + 1 + n <= words.endIndex else {
                        throw .truncated(what: "SGL immediate data element", needed: (i - words.startIndex + 1 + n) * 4, available: words.count * 4)
                    }
                    let first = i + 1
                    var bytes = [UInt8](); bytes.reserveCapacity(n * 4)
                    for k in 0..<n { bytes.appendLE32(words[first + k]) }
                    bytes.removeLast(n * 4 - count)
                    element = .immediate(flags: flags, bytes: bytes)
                    i += 1 + n
                } else {
                    throw .invalid(what: "SGL element \(self.count)", reason: "element type \(hex(flagByte, width: 2)) is not supported (only simple, immediate and attribute elements)")
                }
                self.count += 1
                ended = flags.contains(.lastElement)
                return element
            }
            return nil
        }
    }

    /// The words of this SGL (attribute element first when 64-bit).
    public func encoded() -> [UInt32] {
        var out: [UInt32] = is64Bit ? [0x7C02_0002, 4096] : []
        for e in elements {
            switch e {
            case let .simple(f, c, a):
                out.append(UInt32(f.rawValue) << 24 | UInt32(c & 0xFF_FFFF))
                out.append(UInt32(truncatingIfNeeded: a))
                if is64Bit { out.append(UInt32(truncatingIfNeeded: a >> 32)) }
            case let .immediate(f, b):
                out.append(UInt32(f.rawValue) << 24 | UInt32(b.count & 0xFF_FFFF))
                var padded = b; padded.padToWord()
                out.append(contentsOf: (try? padded.littleEndianWords(what: "immediate data")) ?? [])
            }
        }
        return out
    }
}

extension SGLFlags {
    /// The first word of an element with these flags for `count` bytes (the low 24 bits).
    @inlinable
    public func word(count: some BinaryInteger) -> UInt32 {
        UInt32(rawValue) << 24 | UInt32(truncatingIfNeeded: count) & 0xFF_FFFF
    }

    /// 0xD0: last element, end of buffer, simple, IOP → host.
    public static let simpleLastIn: SGLFlags = [.lastElement, .endOfBuffer, SGLFlags(rawValue: 0x10)]
    /// 0xD4: last element, end of buffer, simple, host → IOP.
    public static let simpleLastOut: SGLFlags = [.lastElement, .endOfBuffer, SGLFlags(rawValue: 0x10), .hostToIOP]
    /// 0x50: end of buffer, simple, IOP → host (not last).
    public static let simpleIn: SGLFlags = [.endOfBuffer, SGLFlags(rawValue: 0x10)]
    /// 0x54: end of buffer, simple, host → IOP (not last).
    public static let simpleOut: SGLFlags = [.endOfBuffer, SGLFlags(rawValue: 0x10), .hostToIOP]
    /// 0x4C: end of buffer, immediate data.
    public static let immediate: SGLFlags = [.endOfBuffer, SGLFlags(rawValue: 0x0C)]
}
