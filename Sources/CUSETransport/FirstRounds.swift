import IoctlEngine
import Synchronization

/// The first call of an ioctl through CUSE brings no input (the kernel knows nothing of the struct
/// yet), so the engine can only ask for the struct, or offer an all-output struct its room: ranges
/// at fixed offsets from the argument that depend on the command and the caller's ABI alone. After
/// one run of the engine per command, this cache answers that call itself — one engine run fewer
/// per ioctl — and tells the engine (`Engine.noteFirstRound`), which keeps the request's rounds as
/// if it had run. The engine still runs the call whenever a fault rule or a tracer is set.
public final class FirstRounds: Sendable {
    private struct Key: Hashable {
        let command: UInt32
        let abi: CallerABI
    }
    /// A range at `offset` bytes from the argument.
    private struct Relative: Sendable {
        let offset: UInt64
        let count: Int
    }
    private struct Template: Sendable {
        let reads: [Relative]
        let writes: [Relative]
    }
    private let templates = Mutex<[Key: Template]>([:])

    /// The largest offset from the argument a first round may ask for (a struct is far smaller).
    static let maxOffset: UInt64 = 1 << 16

    public init() {}

    /// The retry round of the first, input-less call of `command` at `argument`, when learned and
    /// the engine agrees to skip its run (it then counts the round); nil when the engine must run.
    public func answer(_ engine: Engine, _ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI) -> NeedsRound? {
        guard argument != 0, let t = templates.withLock({ $0[Key(command: command, abi: abi)] }),
              let reads = Self.absolute(t.reads, argument, abi), let writes = Self.absolute(t.writes, argument, abi),
              engine.noteFirstRound(file)
        else { return nil }
        return NeedsRound(reads: reads, writes: writes)
    }

    /// Keeps the round the engine asked for on a first, input-less call, when every range lies at
    /// a fixed offset from the argument and nothing (fault rule, tracer) could have shaped it.
    public func learn(_ engine: Engine, _ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI, round: NeedsRound) {
        guard argument != 0, engine.firstRoundMayBeSkipped(file),
              let reads = Self.relative(round.reads, argument), let writes = Self.relative(round.writes, argument)
        else { return }
        templates.withLock { $0[Key(command: command, abi: abi)] = Template(reads: reads, writes: writes) }
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

    /// The ranges at `argument`; nil when one would leave the caller's address space (the engine
    /// then runs and answers such a pointer itself).
    private static func absolute(_ ranges: [Relative], _ argument: UInt64, _ abi: CallerABI) -> [UserRange]? {
        let limit: UInt64 = abi == .ilp32 ? 1 << 32 : UInt64.max
        var out: [UserRange] = []
        out.reserveCapacity(ranges.count)
        for r in ranges {
            let (start, o1) = argument.addingReportingOverflow(r.offset)
            let (end, o2) = start.addingReportingOverflow(UInt64(r.count))
            guard !o1, !o2, end <= limit else { return nil }
            out.append(UserRange(address: start, count: r.count))
        }
        return out
    }
}
