// The second round of an ioctl without temporary arrays: the few ranges a handler asks for are
// held inline (`UserRanges`), and the bytes of every read come back in one buffer
// (`FetchedRanges`). A `UserMemory` that can answer so implements `fetch(_:_:)`; every other one
// answers through `fetch(reads:writes:)`, which the default implementation calls.

/// A handful of user ranges, inline up to four (no allocation); more go to an array.
@frozen
public struct UserRanges: RandomAccessCollection, ExpressibleByArrayLiteral, Sendable {
    @usableFromInline var r0 = UserRange(address: 0, count: 0), r1 = UserRange(address: 0, count: 0)
    @usableFromInline var r2 = UserRange(address: 0, count: 0), r3 = UserRange(address: 0, count: 0)
    @usableFromInline var inline = 0
    @usableFromInline var more: [UserRange] = []

    @inlinable
    public init() {}
    @inlinable
    public init(arrayLiteral elements: UserRange...) { for e in elements { append(e) } }
    @inlinable
    public init(_ elements: some Sequence<UserRange>) { for e in elements { append(e) } }

    @inlinable
    public var startIndex: Int { 0 }
    @inlinable
    public var endIndex: Int { inline + more.count }
    @inlinable
    public subscript(i: Int) -> UserRange {
        switch i {
        case 0: r0
        case 1: r1
        case 2: r2
        case 3: r3
        default: more[i - 4]
        }
    }

    @inlinable
    public mutating func append(_ r: UserRange) {
        switch inline {
        case 0: r0 = r; inline = 1
        case 1: r1 = r; inline = 2
        case 2: r2 = r; inline = 3
        case 3: r3 = r; inline = 4
        default: more.append(r)
        }
    }

    @inlinable
    public static func + (a: UserRanges, b: UserRanges) -> UserRanges {
        var out = a
        for r in b { out.append(r) }
        return out
    }
}

/// What a fetch of `UserRanges` gives: the bytes of each read range, all in one buffer; nil for
/// a range that faults.
@frozen
public struct FetchedRanges: Sendable {
    /// The readable ranges' bytes (`span(i)` says where range `i` is).
    @usableFromInline var buffer: [UInt8]
    /// Per range: start in `buffer` and length, or start `UInt64.max` for a range that faults.
    @usableFromInline var spans = UserRanges()

    /// The bytes `fetch(reads:writes:)` gave, in one buffer.
    @inlinable
    public init(_ reads: [[UInt8]?]) {
        var total = 0
        for r in reads { total += r?.count ?? 0 }
        self.init(reservingCapacity: total)
        for r in reads {
            if let r { append(r) } else { appendFault() }
        }
    }

    /// An empty answer whose `append`s will hold `capacity` bytes without growing.
    @inlinable
    public init(reservingCapacity capacity: Int) {
        buffer = []
        buffer.reserveCapacity(capacity)
    }

    /// The next range's bytes, copied in.
    @inlinable
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        spans.append(UserRange(address: UInt64(buffer.count), count: bytes.count))
        buffer.append(contentsOf: bytes)
    }
    @inlinable
    public mutating func append(_ bytes: [UInt8]) { append(bytes[...]) }
    /// The next range's bytes, copied in from where a transport holds them.
    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        spans.append(UserRange(address: UInt64(buffer.count), count: bytes.count))
        buffer.append(contentsOf: bytes)
    }
    /// The next range faults.
    @inlinable
    public mutating func appendFault() { spans.append(UserRange(address: UInt64.max, count: 0)) }

    @inlinable
    public var count: Int { spans.count }

    @inlinable
    func span(_ i: Int) -> Range<Int>? {
        guard i >= 0, i < spans.count else { return nil }
        let s = spans[i]
        guard s.address != UInt64.max, Int(s.address) + s.count <= buffer.count else { return nil }
        return Int(s.address)..<Int(s.address) + s.count
    }

    /// Range `i`'s bytes, nil when it faulted (or was not fetched). A range that is the whole
    /// buffer (the one range read) is the buffer itself: a 64 KiB write is not copied again.
    @inlinable
    public func bytes(_ i: Int) -> [UInt8]? {
        guard let s = span(i) else { return nil }
        return s.lowerBound == 0 && s.count == buffer.count ? buffer : Array(buffer[s])
    }
    /// Range `i`'s bytes where they lie, not copied out.
    @inlinable
    public func slice(_ i: Int) -> ArraySlice<UInt8>? { span(i).map { buffer[$0] } }

    /// Range `i` as a little-endian u32, nil when it faulted, was not fetched or is shorter.
    @inlinable
    public func u32(_ i: Int) -> UInt32? {
        guard let s = span(i), s.count >= 4 else { return nil }
        let b = s.lowerBound
        return UInt32(buffer[b]) | UInt32(buffer[b + 1]) << 8 | UInt32(buffer[b + 2]) << 16 | UInt32(buffer[b + 3]) << 24
    }
}

extension UserMemory {
    public mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges {
        FetchedRanges(try fetch(reads: Array(reads), writes: Array(writes)))
    }
}
