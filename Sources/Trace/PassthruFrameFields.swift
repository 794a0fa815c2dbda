import I2OFormats

/// The fields of a PASSTHRU request frame (the `msg` buffer, docs/i2o-formats.md §Header
/// and §SGL) that hold the caller's own values rather than the request's content, so replay
/// does not compare them byte for byte (docs/trace-format.md, "PASSTHRU frames"):
///
/// - InitiatorContext and TransactionContext (words 2 and 3): opaque to the IOP, echoed in the
///   reply; a driver or tool puts a host pointer or a tag there, different on every run.
/// - The address of every SGL element: a pointer into the caller's memory (ASLR, the heap),
///   relocated by its position in the frame. 32-bit simple elements (flags | count, address),
///   the 64-bit form announced by the attribute element (`0x7C020002`, page size; then flags |
///   count, address low, address high), and chain pointers (the address of the rest of the
///   list). Immediate data carries bytes, not addresses: compared like the rest of the frame.
struct PassthruFrameFields {
    /// Where the contexts are: bytes 8..<16 (words 2–3), as far as the frame reaches.
    let contexts: Range<Int>
    /// The address fields of the SGL elements: byte offset in the frame and width (4, or 8 for
    /// the 64-bit form: low word, then high word).
    private(set) var addresses: [(offset: Int, width: Int)] = []

    /// InitiatorContext and TransactionContext: words 2–3.
    static let contextBytes = 8..<16
    /// The first word an SGL can start at (after the 4-word header).
    static let firstSGLWord = 4
    /// Type bits of a chain-pointer element (docs/i2o-formats.md §SGL: 0x30).
    static let chainPointerBits: UInt8 = 0x30

    /// The fields of `frame`, the frame's bytes (MessageSize words), walked from the SGL offset
    /// (bits 4–7 of word 0, in words) to the last element, the end of the frame, or an element
    /// this walk does not know (page lists, bit buckets, transaction elements: from there on
    /// every byte is compared). An SGL offset of 0 (none) or inside the header leaves no addresses.
    init(frame: [UInt8]) {
        contexts = min(Self.contextBytes.lowerBound, frame.count)..<min(Self.contextBytes.upperBound, frame.count)
        let words = frame.count / 4
        guard words > 0 else { return }
        func word(_ i: Int) -> UInt32 { frame.readLE32(at: i * 4) }
        let offset = Int(word(0) >> 4 & 0xF)
        guard offset >= Self.firstSGLWord else { return }
        var i = offset, is64Bit = false
        while i < words {
            let w0 = word(i)
            let flags = UInt8(w0 >> 24)
            if flags & 0x7C == SGLElement.attributesType {
                // SGL attributes: this word and the page size; bit 17 announces 64-bit addresses.
                is64Bit = w0 & 0x0002_0000 != 0
                i += 2
                continue
            }
            let n: Int
            if flags & 0x30 == SGLElement.simpleFlagBit || flags & 0x30 == Self.chainPointerBits {
                n = is64Bit ? 3 : 2
                guard i + n <= words else { return }
                addresses.append(((i + 1) * 4, is64Bit ? 8 : 4))
            } else if flags & 0x3C == SGLElement.immediateType {
                n = 1 + (Int(w0 & 0xFF_FFFF) + 3) / 4
            } else {
                return
            }
            if flags & SGLFlags.lastElement.rawValue != 0 { return }
            i += n
        }
    }
}
