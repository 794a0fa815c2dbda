import I2OFormats
import IOPModel
import Synchronization

/// Told when something a transport waits for happens (an event queued for an open file:
/// wake `poll`, a blocked `read`).
public protocol EngineObserver: Sendable {
    func eventQueued(for file: OpenFileID)
}

/// The host driver of `/dev/i2o/ctl`: open files, the ioctls in both ABIs, `read`, `poll`, `write`.
/// Thread-safe: transports call it from any thread.
///
/// Every ioctl handler touches caller memory only through `UserMemory`: one `fetch` for the
/// struct, one for every buffer the struct points to (reads and writes together), then the
/// request is carried out under the engine's lock and the results are `store`d. Nothing in the
/// model changes before the last `fetch` succeeded, so a handler interrupted by `NeedsRound`
/// can be run again from the start. The engine's lock is never held across a `fetch`.
public final class Engine: Sendable {
    let state: Mutex<EngineState>
    let personality: any Personality
    let observer: (any EngineObserver)?
    /// State directory, statistics, hung requests (StateHooks.swift).
    let extras = EngineExtras()
    /// The tracer, if any (Trace*.swift).
    let tracerSlot = TracerSlot()

    /// The waits of this engine's personality, already multiplied by the scale factor.
    public let timeouts: Timeouts

    /// - Parameter timeoutScale: multiplies every entry of the personality's `Timeouts`; nil =
    ///   `$I2OSIM_TIMEOUT_SCALE`, else 1.
    public init(machine: Machine, personality: PersonalityName = .documented, observer: (any EngineObserver)? = nil,
                timeoutScale: Double? = nil) {
        state = Mutex(EngineState(machine: machine))
        self.personality = personality.implementation
        self.observer = observer
        timeouts = personality.timeouts.scaled(by: timeoutScale ?? Timeouts.environmentScale())
    }

    /// The personality this engine imitates.
    public var personalityName: PersonalityName { personality.name }

    /// `open()`: a new open file with an empty event queue.
    public func open() -> OpenFileID {
        let start = TraceContext.now()
        let id = state.withLock { s in
            let id = OpenFileID(rawValue: s.nextFile)
            s.nextFile += 1
            s.files[id] = OpenFile()
            return id
        }
        traceSimple("open", file: id, start: start) { _ in }
        return id
    }

    /// `close()` of the last descriptor: drops its queue and registrations, cancelling each
    /// registration in the model (a UtilEventRegister with mask 0). Unknown files are ignored.
    public func release(_ file: OpenFileID) {
        let start = TraceContext.now()
        defer { traceSimple("release", file: file, start: start) { _ in } }
        // A request the kernel ended itself (a retry's range faulted) left its record: it goes with the file.
        dropPendingRequest(file)
        locked { s in
            guard let f = s.files.removeValue(forKey: file) else { return }
            for r in f.registrations.sorted(by: { ($0.unit, $0.tid) < ($1.unit, $1.tid) }) {
                let frame = EngineState.eventRegisterFrame(tid: r.tid, mask: 0, file: file)
                _ = s.post(frame, to: r.unit, memory: BusMemory())
            }
        }
    }

    /// The open files now.
    public var openFiles: [OpenFileID] { state.withLock { $0.files.keys.sorted { $0.rawValue < $1.rawValue } } }

    /// The personality's handler of one ioctl (`ioctl` in StateHooks.swift wraps it).
    /// - Throws: `NeedsRound` when `memory` must do a round trip first (then call again).
    /// `known` and `decoded`: whether `file` is open and what `command` decodes to, as the caller
    /// found them at the ioctl's entry (looked up once per call).
    func dispatchIoctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI, known: Bool, decoded: IoctlCommand?,
                       memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        if let tracer { return try tracedIoctl(tracer, file, command: command, argument: argument, abi: abi, memory: &memory) }
        return try dispatch(file, decoded, known: known, argument: argument, memory: &memory)
    }

    func dispatch(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                  memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try dispatch(file, IoctlCommand.decode(command, abi: abi), known: state.withLock { $0.files[file] != nil },
                     argument: argument, memory: &memory)
    }

    /// The handler of `cmd` (nil: a number no personality knows) on `file` (`known`: open).
    func dispatch(_ file: OpenFileID, _ cmd: IoctlCommand?, known: Bool, argument: UInt64,
                  memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard known else { return .error(.EBADF) }
        guard let cmd, personality.accepts(cmd) else { return .error(.EINVAL) }
        let call = IoctlCall(engine: self, file: file, command: cmd, argument: argument)
        let p = personality
        switch cmd.kind {
        case .getIOPs: return try p.getIOPs(call, memory: &memory)
        case .hrtGet: return try p.hrtGet(call, memory: &memory)
        case .lctGet: return try p.lctGet(call, memory: &memory)
        case .parmGet: return try p.parmGet(call, memory: &memory)
        case .parmSet: return try p.parmSet(call, memory: &memory)
        case .swDownload: return try p.swDownload(call, memory: &memory)
        case .swUpload: return try p.swUpload(call, memory: &memory)
        case .swDelete: return try p.swDelete(call, memory: &memory)
        case .validate: return try p.validate(call, memory: &memory)
        case .html: return try p.html(call, memory: &memory)
        case .eventRegister: return try p.eventRegister(call, memory: &memory)
        case .eventGet: return try p.eventGet(call, memory: &memory)
        case .passthru, .passthru32: return try p.passthru(call, memory: &memory)
        }
    }

    /// `read()` of up to `capacity` bytes.
    public func read(_ file: OpenFileID, capacity: Int) -> ReadResult {
        let start = TraceContext.now()
        let r = personality.read(self, file: file, capacity: capacity)
        traceSimple("read", file: file, start: start) { rec in rec.traceRead(capacity: capacity, r) }
        return r
    }
    /// `write()`.
    public func write(_ file: OpenFileID, count: Int) -> IoctlResult {
        let start = TraceContext.now()
        let r = personality.write(self, file: file, count: count)
        traceSimple("write", file: file, start: start) { rec in rec.count = count; rec.setResult(r) }
        return r
    }
    /// `poll()`: whether the file is readable now (POLLIN).
    public func isReadable(_ file: OpenFileID) -> Bool { personality.isReadable(self, file: file) }

    /// Runs `body` on the machine under the engine's lock — to inject an event, hot-plug a
    /// device, or read state — then delivers the event replies the IOPs queued meanwhile to the
    /// open files registered for them.
    public func withMachine<R: Sendable>(_ body: (inout Machine) -> R) -> R {
        locked { s in
            let r = body(&s.machine)
            for unit in s.machine.units { s.drain(unit) }
            return r
        }
    }

    /// A copy of the machine as it is now.
    public var machine: Machine { state.withLock { $0.machine } }

    /// The events queued for `file` (oldest first) and its lost count; nil for an unknown file.
    public func queuedEvents(_ file: OpenFileID) -> (events: [EventInfo], lost: Int32)? {
        state.withLock { s in s.files[file].map { ($0.queue, $0.lost) } }
    }

    // MARK: Internals

    /// Runs `body` under the lock, then tells the observer about the files that got events.
    func locked<R: Sendable>(_ body: (inout EngineState) -> R) -> R {
        let (r, notify): (R, [OpenFileID]) = state.withLock { s in
            let r = body(&s)
            guard !s.notify.isEmpty else { return (r, []) }
            let n = s.notify.sorted { $0.rawValue < $1.rawValue }
            s.notify.removeAll()
            return (r, n)
        }
        if !notify.isEmpty, let observer { for f in notify { observer.eventQueued(for: f) } }
        return r
    }

    /// Reads the state without changing it.
    func peek<R: Sendable>(_ body: (EngineState) -> R) -> R { state.withLock { body($0) } }
}

/// Which host driver the engine imitates (`contract.md`): the interface of the seed document
/// (docs/ioctl-abi.md §Seed), or a kernel reproduced bug for bug (docs/kernels.md §Ioctls).
public enum PersonalityName: String, Sendable, CaseIterable {
    case documented
    case linux2618 = "linux-2.6.18"
    case linux24 = "linux-2.4"

    var implementation: any Personality {
        switch self {
        case .documented: DocumentedPersonality()
        case .linux2618: Linux2618Personality()
        case .linux24: Linux24Personality()
        }
    }
}

/// One open file: its event queue and registrations.
struct OpenFile: Sendable {
    /// `I2O_EVT_Q_LEN`.
    static let queueCapacity = 32
    /// Oldest first; never more than `queueCapacity`.
    var queue: [EventInfo] = []
    /// Events dropped because the queue was full (cumulative, never reset).
    var lost: Int32 = 0
    var registrations: Set<EventRegistrationKey> = []

    mutating func enqueue(_ e: EventInfo) {
        if queue.count >= Self.queueCapacity {
            queue.removeFirst()
            lost &+= 1
        }
        queue.append(e)
    }
}

/// An (IOP, TID) an open file registered events for.
struct EventRegistrationKey: Hashable, Sendable {
    var unit: IOPUnit
    var tid: TID
}

/// Everything behind the engine's lock.
struct EngineState: Sendable {
    var machine: Machine
    var files: [OpenFileID: OpenFile] = [:]
    /// Open file ids start at 1; the low 32 bits are the TransactionContext of their registrations.
    var nextFile: UInt64 = 1
    /// Files that got events since the lock was taken.
    var notify: Set<OpenFileID> = []
    /// Fault rules and failed IOPs (Faults.swift).
    var faults = FaultTable()
    /// The bus window of the last request, reused by the next (`bus()`).
    private var lastBus = BusMemory()

    init(machine: Machine) { self.machine = machine }

    /// An empty bus window for the next request: the last one, unmapped, when nothing holds it
    /// any more (an IOP keeps the window of a request it answers later), else a new one. Most
    /// requests thus map their buffers without allocating a window.
    mutating func bus() -> BusMemory {
        if isKnownUniquelyReferenced(&lastBus) { lastBus.unmapAll() } else { lastBus = BusMemory() }
        return lastBus
    }

    /// The InitiatorContext of every request the engine builds (the config driver's context).
    static let initiatorContext: UInt32 = 0x4932_4F43 // "CO2I"

    /// Posts `frame` to IOP `unit` and delivers the event replies it produced; nil when the IOP
    /// does not exist or gives no reply now.
    mutating func post(_ frame: MessageFrame, to unit: IOPUnit, memory: BusMemory) -> MessageFrame? {
        switch intercept(frame, unit: unit) {
        case let .replaced(reply): return reply
        case let .blockStatus(index, status, operation, frame):
            return postWithBlockStatus(frame, index: index, status: status, operation: operation, unit: unit, memory: memory) {
                $0.postToModel($1, to: unit, memory: memory)
            }
        case .pass: return postToModel(frame, to: unit, memory: memory)
        }
    }

    /// Posts `frame` to the model, past the fault layer.
    mutating func postToModel(_ frame: MessageFrame, to unit: IOPUnit, memory: BusMemory) -> MessageFrame? {
        defer { patchFailedStatus(frame, unit: unit, memory: memory) }
        guard let i = machine.iops.index(forKey: unit) else { return nil }
        guard let reply = machine.iops.values[i].post(frame, memory: memory) else {
            FrameCollector.note(unit: unit, request: frame, reply: nil)
            drain(unit)
            return nil
        }
        FrameCollector.note(unit: unit, request: frame, reply: reply)
        drain(unit)
        return reply
    }

    /// Posts `frame` to a copy of IOP `unit`: the caller decides with `commit` whether the
    /// outcome (state changes, events) becomes real. Lets a request that the ioctl will refuse
    /// afterwards (ENOBUFS) leave no trace. nil when there is no such IOP.
    mutating func attempt(_ frame: MessageFrame, on unit: IOPUnit, memory: BusMemory) -> (reply: MessageFrame?, iop: IOP)? {
        guard var iop = machine.iops[unit] else { return nil }
        switch intercept(frame, unit: unit) {
        case let .replaced(reply):
            FrameCollector.note(unit: unit, request: frame, reply: reply)
            return (reply, iop)
        case let .blockStatus(index, status, operation, frame):
            var copy = self
            let reply = copy.postWithBlockStatus(frame, index: index, status: status, operation: operation, unit: unit,
                                                 memory: memory) { s, f in s.machine.iops[unit]?.post(f, memory: memory) }
            return (reply, copy.machine.iops[unit] ?? iop)
        case .pass:
            let reply = iop.post(frame, memory: memory)
            FrameCollector.note(unit: unit, request: frame, reply: reply)
            return (reply, iop)
        }
    }

    /// Makes an `attempt` real.
    mutating func commit(_ iop: IOP, unit: IOPUnit) {
        machine.iops[unit] = iop
        drain(unit)
    }

    /// Takes IOP `unit`'s outbound replies and queues the UtilEventRegister replies carrying
    /// this engine's context to the open file named by their TransactionContext. Other replies
    /// (late replies to passthru requests, events of closed files) are dropped.
    mutating func drain(_ unit: IOPUnit) {
        // Looked at before it is taken: a mutation through the dictionary's subscript costs allocations.
        guard let i = machine.iops.index(forKey: unit), !machine.iops.values[i].outbound.isEmpty else { return }
        let frames = machine.iops.values[i].takeOutbound()
        for f in frames where f.function == .utilEventRegister && f.initiatorContext == Self.initiatorContext {
            guard let file = files.keys.first(where: { UInt32(truncatingIfNeeded: $0.rawValue) == f.transactionContext }),
                  files[file]?.registrations.contains(EventRegistrationKey(unit: unit, tid: f.target)) == true
            else { continue }
            let size = min(f.messageSize.rawValue, f.words.count)
            let data = size > 5 ? Array(f.words[5..<size]).littleEndianBytes : []
            let info = EventInfo(id: EventID(iop: unit.rawValue, tid: UInt32(f.target.rawValue), eventMask: f[word: 4]),
                                 data: data)
            files[file]?.enqueue(info)
            notify.insert(file)
        }
    }

    /// UtilEventRegister from this engine for `file`: 5 words, word 4 = the mask.
    static func eventRegisterFrame(tid: TID, mask: UInt32, file: OpenFileID) -> MessageFrame {
        MessageFrame(function: .utilEventRegister, target: tid, initiatorContext: initiatorContext,
                     transactionContext: UInt32(truncatingIfNeeded: file.rawValue), payload: [mask])
    }

    /// Whether `tid` names a device of `iop`: in its LCT, or 0 (the executive).
    static func knows(_ iop: IOP, tid: UInt32) -> Bool {
        guard tid <= 0xFFF else { return false }
        let t = TID(rawValue: UInt16(tid))
        return t == .executive || iop.devices[t] != nil
    }
}
