import IoctlEngine

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
    public let input: [UInt8]
    /// Room the kernel prepared for output: the total of the previous retry's write ranges.
    public let outputCapacity: Int
    private var consumed = 0
    /// Every range asked for so far in this call, in order.
    public private(set) var reads: [UserRange] = []
    public private(set) var writes: [UserRange] = []
    /// What the engine stored, in order.
    public private(set) var stores: [(address: UInt64, bytes: [UInt8])] = []

    public init(input: [UInt8], outputCapacity: Int) {
        self.input = input
        self.outputCapacity = outputCapacity
    }

    public mutating func fetch(reads r: [UserRange], writes w: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        let allReads = reads + r
        let allWrites = writes + w
        let probes = Self.probes(allWrites)
        let readBytes = allReads.reduce(0) { $0 + $1.count } + probes.reduce(0) { $0 + $1.count }
        guard readBytes <= input.count, allWrites.reduce(0, { $0 + $1.count }) <= outputCapacity else {
            throw NeedsRound(reads: allReads + probes, writes: Self.outputOrder(allWrites))
        }
        reads = allReads
        writes = allWrites
        var out: [[UInt8]?] = []
        out.reserveCapacity(r.count)
        for range in r {
            out.append(Array(input[consumed..<consumed + range.count]))
            consumed += range.count
        }
        return out
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
    static func probes(_ writes: [UserRange]) -> [UserRange] { writes.filter { $0.count <= probeLimit } }

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        stores.append((address, bytes))
        return true   // CUSE: a fault shows when the kernel copies the reply out (→ EFAULT to the caller).
    }

    /// The order the out ranges are given to the kernel: by size, smallest first (stable).
    public static func outputOrder(_ writes: [UserRange]) -> [UserRange] {
        writes.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }.map(\.element)
    }

    /// The reply data for the kernel: the out ranges (in `outputOrder`) filled from the stores, as
    /// far as they were written. nil when the stores leave a gap before a later written byte or
    /// fall outside the ranges — the caller then answers through `exactOutput`.
    public func replyData() -> [UInt8]? {
        let order = Self.outputOrder(writes)
        // Each store belongs to the first range (in output order) that holds it: a reservation may
        // reach past the caller's buffer over a cell that is an out range of its own (`*reslen`
        // right after `resbuf`). The written parts must then not overlap one another.
        var owned = [[Int]](repeating: [], count: order.count)
        for i in stores.indices {
            let s = stores[i]
            guard let k = order.firstIndex(where: { s.address >= $0.address && s.address - $0.address < UInt64($0.count) })
            else { return nil }
            owned[k].append(i)
        }
        guard let last = owned.lastIndex(where: { !$0.isEmpty }) else { return [] }
        let originals = probedOriginals()
        var data: [UInt8] = []
        var written: [(start: UInt64, end: UInt64)] = []
        for k in 0...last {
            let range = order[k]
            // A probed range starts from the caller's own bytes, so writing part of it leaves no
            // gap; any other range must be written from its start without holes.
            let original = originals.first { $0.range == range }?.bytes
            var bytes = original ?? []
            for i in owned[k].sorted(by: { stores[$0].address < stores[$1].address }) {
                let s = stores[i]
                let offset = Int(s.address - range.address)
                guard offset <= bytes.count, offset + s.bytes.count <= range.count else { return nil }
                if offset + s.bytes.count > bytes.count {
                    bytes.append(contentsOf: repeatElement(0, count: offset + s.bytes.count - bytes.count))
                }
                bytes.replaceSubrange(offset..<offset + s.bytes.count, with: s.bytes)
            }
            if k < last && bytes.count < range.count { return nil }
            let span = (start: range.address, end: range.address + UInt64(bytes.count))
            if written.contains(where: { $0.start < span.end && span.start < $0.end }) { return nil }
            written.append(span)
            data.append(contentsOf: bytes)
        }
        return data
    }

    /// The caller's bytes of the probed out ranges, which the kernel fetched after the reads.
    private func probedOriginals() -> [(range: UserRange, bytes: [UInt8])] {
        var at = reads.reduce(0) { $0 + $1.count }
        var out: [(range: UserRange, bytes: [UInt8])] = []
        for p in Self.probes(writes) {
            guard at + p.count <= input.count else { return out }
            out.append((p, Array(input[at..<at + p.count])))
            at += p.count
        }
        return out
    }

    /// The stores as exact ranges and bytes, for the rare reply whose writes are not a prefix:
    /// the transport asks the kernel for exactly these ranges and answers the next call with them.
    public var exactOutput: (ranges: [UserRange], data: [UInt8]) {
        (stores.map { UserRange(address: $0.address, count: $0.bytes.count) }, stores.flatMap(\.bytes))
    }
}
