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
    /// changes no state"). Ranges up to 64 KiB are probed — the PARMGET/PARMSET result
    /// reservation, so a PARMSET with a bad `resbuf` fails before the set is carried out (found
    /// by Tests/hardening: it used to change the parameter, raise the event, then fail EFAULT).
    /// Bigger buffers (PASSTHRU SGL buffers up to 1 MiB) are not probed: copying them in would
    /// double the traffic; a fault there is reported after the fact, as the kernel itself does.
    public static let probeLimit = 65536
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
        var data: [UInt8] = []
        var placed = 0
        var ended = false
        for range in Self.outputOrder(writes) {
            let inside = stores.filter { $0.address >= range.address && $0.address - range.address < UInt64(range.count) }
                .sorted { $0.address < $1.address }
            if inside.isEmpty { ended = true; continue }
            if ended { return nil }
            var filled = 0
            for s in inside {
                let offset = Int(s.address - range.address)
                guard offset <= filled, offset + s.bytes.count <= range.count else { return nil }
                let skip = filled - offset
                if skip < s.bytes.count { data.append(contentsOf: s.bytes[skip...]); filled = offset + s.bytes.count }
                placed += 1
            }
            if filled < range.count { ended = true }
        }
        return placed == stores.count ? data : nil
    }

    /// The stores as exact ranges and bytes, for the rare reply whose writes are not a prefix:
    /// the transport asks the kernel for exactly these ranges and answers the next call with them.
    public var exactOutput: (ranges: [UserRange], data: [UInt8]) {
        (stores.map { UserRange(address: $0.address, count: $0.bytes.count) }, stores.flatMap(\.bytes))
    }
}
