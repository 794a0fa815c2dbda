import Glibc
import I2OABI
import I2ODevice
import Synchronization

/// The first call of an ioctl through CUSE brings no input (the kernel knows nothing of the struct
/// yet), so the engine can only ask for the struct, or offer an all-output struct its room: ranges
/// at fixed offsets from the argument that depend on the command and the caller's ABI alone. After
/// one run of the engine per command, this cache answers that call itself — one engine run fewer
/// per ioctl — and tells the node (`ControlNode.firstRoundAnswered`), which keeps the request's rounds
/// as if it had run. The node still runs the call whenever something in it must see it (a fault
/// rule, a tracer: `ControlNode.mayAnswerFirstRound`).
public final class FirstRounds: Sendable {
    /// A range at `offset` bytes from the argument.
    private struct Relative: Sendable {
        let offset: UInt64
        let count: Int
    }
    /// The round of one command: its reads, then its writes.
    private struct Template: Sendable {
        let command: UInt32
        let reads: Int
        let ranges: [Relative]
    }
    /// Indexed by `slot`: the command's number (its low byte) and the ABI; a slot holds the last
    /// command learned there, checked in full on use. No hashing on the path of every first call.
    private let templates = Mutex<[Template?]>(Array(repeating: nil, count: 512))
    private static func slot(_ command: UInt32, _ abi: CallerABI) -> Int {
        Int(command & 0xFF) &* 2 &+ (abi == .ilp32 ? 1 : 0)
    }

    /// The largest offset from the argument a first round may ask for (a struct is far smaller).
    static let maxOffset: UInt64 = 1 << 16

    public init() {}

    /// Answers the first, input-less call of `command` at `argument` when it is learned and the
    /// engine agrees to skip its run (it then counts the round): `body` gets the round's ranges as
    /// iovecs (on the stack), its reads first, and how many reads. Returns false — `body` not
    /// called — when the engine must run the call.
    public func answer(_ node: any ControlNode, _ request: IoctlRequest,
                       _ body: (UnsafeBufferPointer<iovec>, Int) -> Void) -> Bool {
        let (command, argument, abi) = (request.command, request.argument, request.abi)
        guard argument != 0, let t = templates.withLock({ $0[Self.slot(command, abi)] }), t.command == command else { return false }
        let limit: UInt64 = abi == .ilp32 ? 1 << 32 : UInt64.max
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: t.ranges.count) { v -> Bool in
            for (i, r) in t.ranges.enumerated() {
                // A range that would leave the caller's address space: the engine answers such a pointer itself.
                let (start, o1) = argument.addingReportingOverflow(r.offset)
                let (end, o2) = start.addingReportingOverflow(UInt64(r.count))
                guard !o1, !o2, end <= limit else { return false }
                v[i] = iovec(UserRange(address: start, count: r.count))
            }
            guard node.firstRoundAnswered(request) else { return false }
            body(UnsafeBufferPointer(v), t.reads)
            return true
        }
    }

    /// `answer` as a round (tests compare it with the engine's own).
    public func answer(_ node: any ControlNode, _ request: IoctlRequest) -> NeedsRound? {
        var round: NeedsRound?
        _ = answer(node, request) { v, reads in
            let ranges = v.map { UserRange(address: UInt64(UInt(bitPattern: $0.iov_base)), count: $0.iov_len) }
            round = NeedsRound(reads: Array(ranges[..<reads]), writes: Array(ranges[reads...]))
        }
        return round
    }

    /// Keeps the round the engine asked for on a first, input-less call, when every range lies at
    /// a fixed offset from the argument and nothing (fault rule, tracer) could have shaped it.
    public func learn(_ node: any ControlNode, _ request: IoctlRequest, round: NeedsRound) {
        let (command, argument, abi) = (request.command, request.argument, request.abi)
        guard argument != 0, node.mayAnswerFirstRound(request.file),
              let ranges = Self.relative(round.reads + round.writes, argument)
        else { return }
        let t = Template(command: command, reads: round.reads.count, ranges: ranges)
        templates.withLock { $0[Self.slot(command, abi)] = t }
    }

    private static func relative(_ ranges: [UserRange], _ argument: UInt64) -> [Relative]? {
        var out: [Relative] = []
        out.reserveCapacity(ranges.count)
        for r in ranges {
            guard r.address >= argument, r.address - argument < maxOffset, r.count >= 0 else { return nil }
            out.append(Relative(offset: r.address - argument, count: r.count))
        }
        return out
    }
}
