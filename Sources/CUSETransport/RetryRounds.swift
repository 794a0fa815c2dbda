import I2OABI
import I2ODevice

/// `UserMemory` over the CUSE unrestricted-ioctl retry protocol.
///
/// The kernel cannot be asked for memory in the middle of a call: the server answers
/// `fuse_reply_ioctl_retry` with the ranges it needs, and the kernel calls again with their
/// bytes. So each call runs the engine from the start; this memory hands it the bytes of
/// every range the previous calls asked for, in the order it asks again, and throws
/// `NeedsRound` (cumulative: everything asked so far plus the new ranges) where the call's
/// input runs out. The engine changes no state before its last fetch succeeds, so re-running
/// is safe. With one fetch for the struct and one for its buffers this is the kernel's
/// minimum: 3 calls for ioctls whose struct carries pointers, 2 for GETIOPS/EVTGET, 1 for VALIDATE.
///
/// The kernel copies the final reply's data into the out ranges in the order they were given,
/// so that order matters: ranges are given smallest first (lengths and counts before the big
/// buffers), which makes what the engine writes a prefix in every path it has.
public struct RetryRoundMemory: UserMemory {
    /// Bytes the kernel fetched for this call: the read ranges of the previous retry, concatenated.
    /// Either borrowed from the kernel's request for the call (the transport: a 64 KiB write is not
    /// copied whole only to be copied again range by range) or owned (tests, the benchmark).
    private let borrowed: UnsafeRawBufferPointer?
    private let owned: [UInt8]
    /// Room the kernel prepared for output: the total of the previous retry's write ranges.
    public let outputCapacity: Int
    private var consumed = 0
    /// Every range asked for so far in this call, in order.
    public private(set) var reads: [UserRange] = []
    public private(set) var writes: [UserRange] = []
    /// What the engine stored, in order.
    public private(set) var stores: [Store] = []

    /// One store: the bytes and where they go. (A struct, not a tuple: an array of tuples has its
    /// metadata made at run time, on every call that builds one.)
    public struct Store: Sendable {
        public var address: UInt64
        public var bytes: [UInt8]
    }

    /// A memory over a copy of `input`.
    public init(input: [UInt8], outputCapacity: Int) {
        borrowed = nil
        owned = input
        self.outputCapacity = outputCapacity
    }

    /// A memory over the kernel's own input bytes, which must outlive it (one call: the
    /// transport makes it, runs the engine and replies within the callback that got `input`).
    public init(borrowing input: UnsafeRawBufferPointer, outputCapacity: Int) {
        borrowed = input
        owned = []
        self.outputCapacity = outputCapacity
    }

    /// A memory that owns a copy of the borrowed input: it outlives the call.
    public func kept() -> RetryRoundMemory {
        guard let borrowed else { return self }
        var copy = RetryRoundMemory(input: Array(borrowed), outputCapacity: outputCapacity)
        (copy.consumed, copy.reads, copy.writes, copy.stores) = (consumed, reads, writes, stores)
        return copy
    }

    /// The input bytes, wherever they are.
    @inline(__always)
    private func withInput<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let borrowed { return body(borrowed) }
        return owned.withUnsafeBytes(body)
    }
    private var inputCount: Int { borrowed?.count ?? owned.count }

    public mutating func fetch(reads r: [UserRange], writes w: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        try admit(reads: r, writes: w)
        var out: [[UInt8]?] = []
        out.reserveCapacity(r.count)
        for range in r { out.append(take(range.count)) }
        return out
    }

    /// A handful of ranges, copied out of the input once, into one buffer (a single range — a
    /// write's data — becomes an array the engine hands on without another copy).
    public mutating func fetch(_ r: UserRanges, _ w: UserRanges) throws(NeedsRound) -> FetchedRanges {
        try admit(reads: r, writes: w)
        var total = 0
        for range in r { total += range.count }
        var got = FetchedRanges(reservingCapacity: total)
        let at = consumed
        withInput { input in
            var from = at
            for range in r {
                got.append(UnsafeRawBufferPointer(rebasing: input[from..<from + range.count]))
                from += range.count
            }
        }
        consumed += total
        return got
    }

    /// One read (the ioctl's struct) without building lists when the input holds it.
    public mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        try admit(reads: CollectionOfOne(range), writes: EmptyCollection())
        return take(range.count)
    }

    /// The next `count` bytes of the input (admitted: they are there).
    private mutating func take(_ count: Int) -> [UInt8] {
        let at = consumed
        consumed += count
        return withInput { [UInt8](UnsafeRawBufferPointer(rebasing: $0[at..<at + count])) }
    }

    /// Records `r` and `w` after every range asked so far, or throws the round that brings them
    /// all (reads, then the probes of the small writes; the writes in output order).
    private mutating func admit(reads r: some Collection<UserRange>, writes w: some Collection<UserRange>) throws(NeedsRound) {
        // Sums first: the lists are only built when they are kept or thrown.
        var readBytes = 0, writeBytes = 0
        for x in reads { readBytes += x.count }
        for x in r { readBytes += x.count }
        for x in writes { writeBytes += x.count; if Self.isProbed(x) { readBytes += x.count } }
        for x in w { writeBytes += x.count; if Self.isProbed(x) { readBytes += x.count } }
        guard readBytes <= inputCount, writeBytes <= outputCapacity else {
            // Two lists, each built once: the reads then the probes of the small writes; the writes
            // in output order.
            // (Element by element: `append(contentsOf:)` of a `UserRanges` takes the generic path.)
            var allReads: [UserRange] = [], allWrites: [UserRange] = []
            allWrites.reserveCapacity(writes.count + w.count)
            for x in writes { allWrites.append(x) }
            for x in w { allWrites.append(x) }
            var probes = 0
            for x in allWrites where Self.isProbed(x) { probes += 1 }
            allReads.reserveCapacity(reads.count + r.count + probes)
            for x in reads { allReads.append(x) }
            for x in r { allReads.append(x) }
            for x in allWrites where Self.isProbed(x) { allReads.append(x) }
            Self.sortForOutput(&allWrites)
            throw NeedsRound(reads: allReads, writes: allWrites)
        }
        if !r.isEmpty { if reads.isEmpty { reads.reserveCapacity(4) }; for x in r { reads.append(x) } }
        if !w.isEmpty { if writes.isEmpty { writes.reserveCapacity(4) }; for x in w { writes.append(x) } }
    }

    /// Small out ranges are also fetched in (their bytes are not used): a range the caller cannot
    /// access then fails the ioctl with EFAULT in the kernel *before* the engine acts, so a bad
    /// `i2o_evt_get` pointer does not cost the event, as the contract wants ("a failing request
    /// changes no state"; a PARMSET asks for exactly its result's room, so a bad `resbuf` fails
    /// before the set is carried out). Bigger ranges are reservations (PARMGET's 64 KiB for a
    /// result usually far shorter, PASSTHRU's SGL buffers): probing them would double the traffic
    /// and would refuse a small buffer near the end of a mapping, which the kernel accepts; a
    /// fault there shows when the bytes are copied out, as with the kernel itself.
    public static let probeLimit = 4096
    static func isProbed(_ write: UserRange) -> Bool { write.count <= probeLimit }

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        if stores.isEmpty { stores.reserveCapacity(4) }
        stores.append(Store(address: address, bytes: bytes))
        return true   // CUSE: a fault shows when the kernel copies the reply out (→ EFAULT to the caller).
    }

    /// The order the out ranges are given to the kernel: by size, smallest first (stable) — an
    /// insertion sort, as the lists are a handful of ranges. (`replyData` orders indices the same way.)
    static func sortForOutput(_ out: inout [UserRange]) {
        for i in out.indices.dropFirst() {
            let x = out[i]
            var j = i
            while j > 0 && out[j - 1].count > x.count { out[j] = out[j - 1]; j -= 1 }
            out[j] = x
        }
    }

    /// The reply data for the kernel: the out ranges (in output order, `sortForOutput`) filled from the stores, as
    /// far as they were written. nil when the stores leave a gap before a later written byte or
    /// fall outside the ranges — the caller then answers through `exactOutput`.
    public func replyData() -> [UInt8]? { withReplyData { Array($0) } }

    /// `body` with the reply data (see `replyData`) — on the stack when it is small, as most replies
    /// are — or nil, `body` not called, when the stores are no prefix of the out ranges.
    public func withReplyData<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        // The bookkeeping is a handful of indices: on the stack, not in arrays.
        let n = stores.count, m = writes.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * n + 2 * m) { ints -> R? in
            // The out ranges in output order (`sortForOutput`: by size, stable), as indices.
            let order = UnsafeMutableBufferPointer(rebasing: ints[0..<m])
            for i in 0..<m {
                var j = i
                while j > 0 && writes[order[j - 1]].count > writes[i].count { order[j] = order[j - 1]; j -= 1 }
                order[j] = i
            }
            // Each store belongs to the first range (in output order) that holds it: a reservation
            // may reach past the caller's buffer over a cell that is an out range of its own
            // (`*reslen` right after `resbuf`). The written parts must then not overlap one another.
            let owner = UnsafeMutableBufferPointer(rebasing: ints[m..<m + n])
            var last = -1
            for (si, s) in stores.enumerated() {
                guard let k = (0..<m).first(where: { k in
                    let r = writes[order[k]]
                    return s.address >= r.address && s.address - r.address < UInt64(r.count)
                }) else { return nil }
                owner[si] = k
                last = max(last, k)
            }
            guard last >= 0 else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            // The stores by address (stable), walked once per range: an insertion sort, as the
            // stores are a handful (a generic sort costs more than the rest of the reply).
            let byAddress = UnsafeMutableBufferPointer(rebasing: ints[m + n..<m + 2 * n])
            for i in 0..<n {
                var j = i
                while j > 0 && stores[byAddress[j - 1]].address > stores[i].address { byAddress[j] = byAddress[j - 1]; j -= 1 }
                byAddress[j] = i
            }
            // First pass: how many bytes of each range the reply carries. A probed range starts from
            // the caller's own bytes, so writing part of it leaves no gap; any other range must be
            // written from its start without holes, and every range but the last one written whole.
            let lengths = UnsafeMutableBufferPointer(rebasing: ints[m + 2 * n..<2 * m + 2 * n])
            var total = 0
            let okay = withUnsafeTemporaryAllocation(of: Span.self, capacity: last + 1) { written -> Bool in
                for k in 0...last {
                    let range = writes[order[k]]
                    var length = probedOriginal(of: range)?.count ?? 0
                    for t in 0..<n where owner[byAddress[t]] == k {
                        let s = stores[byAddress[t]]
                        let offset = Int(s.address - range.address)
                        guard offset <= length, offset + s.bytes.count <= range.count else { return false }
                        length = max(length, offset + s.bytes.count)
                    }
                    if k < last && length < range.count { return false }
                    let span = Span(start: range.address, end: range.address + UInt64(length))
                    for q in 0..<k where written[q].start < span.end && span.start < written[q].end { return false }
                    written[k] = span
                    lengths[k] = length
                    total += length
                }
                return true
            }
            guard okay else { return nil }
            // Second pass: the bytes, range after range — the caller's own, then the stores over them.
            func fill(_ out: UnsafeMutableRawBufferPointer) {
                var base = 0
                for k in 0...last {
                    let range = writes[order[k]]
                    if let original = probedOriginal(of: range), !original.isEmpty {
                        withInput { input in
                            out.baseAddress!.advanced(by: base).copyMemory(from: input.baseAddress! + original.lowerBound, byteCount: original.count)
                        }
                    }
                    for t in 0..<n where owner[byAddress[t]] == k {
                        let s = stores[byAddress[t]]
                        let offset = Int(s.address - range.address)
                        s.bytes.withUnsafeBytes { b in
                            if b.count > 0 { out.baseAddress!.advanced(by: base + offset).copyMemory(from: b.baseAddress!, byteCount: b.count) }
                        }
                    }
                    base += lengths[k]
                }
            }
            guard total > 0 else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            // Replies of a few hundred bytes (GETIOPS, PARMGET, VALIDATE) need no allocation.
            if total <= Self.stackReplyLimit {
                return withUnsafeTemporaryAllocation(byteCount: total, alignment: 1) { out in
                    fill(out)
                    return body(UnsafeRawBufferPointer(out))
                }
            }
            let data = [UInt8](unsafeUninitializedCapacity: total) { b, count in
                fill(UnsafeMutableRawBufferPointer(b))
                count = total
            }
            return data.withUnsafeBytes(body)
        }
    }

    /// The largest reply data built on the stack.
    public static let stackReplyLimit = 1024

    private struct Span { var start: UInt64, end: UInt64 }

    /// Where in the input the caller's bytes of probed out range `range` are, which the kernel
    /// fetched after the reads (the first probe equal to it); nil when it was not probed or the
    /// input stops short of it.
    private func probedOriginal(of range: UserRange) -> Range<Int>? {
        guard Self.isProbed(range) else { return nil }
        var at = 0
        for r in reads { at += r.count }
        for p in writes where Self.isProbed(p) {
            guard at + p.count <= inputCount else { return nil }
            if p == range { return at..<at + p.count }
            at += p.count
        }
        return nil
    }

    /// The stores as exact ranges and bytes, for the rare reply whose writes are not a prefix:
    /// the transport asks the kernel for exactly these ranges and answers the next call with them.
    public var exactOutput: (ranges: [UserRange], data: [UInt8]) {
        (stores.map { UserRange(address: $0.address, count: $0.bytes.count) }, stores.flatMap(\.bytes))
    }
}
