import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import Synchronization

/// The host driver of `/dev/i2o/ctl`: open files, the ioctls in both ABIs, `read`, `poll`, `write`.
/// Thread-safe: transports call it from any thread.
///
/// Every ioctl handler touches caller memory only through `UserMemory`: one `fetch` for the
/// struct, one for every buffer the struct points to (reads and writes together), then the
/// request is carried out under the engine's lock and the results are `store`d. Nothing in the
/// model changes before the last `fetch` succeeded, so a handler interrupted by `NeedsRound`
/// can be run again from the start. The engine's lock is never held across a `fetch`.
///
/// One ioctl, top-down (docs/architecture.md): `ioctl` (the entry: the command decoded and the
/// file looked up once, the request's record found) → the `IoctlInterceptor`s' `requestBegins` →
/// `dispatch` (the personality's handler) → `EngineState.post` through the `FrameInterceptor`s to
/// the model → the interceptors' `requestEnds`, innermost first.
public final class Engine: ControlNode {
    let state: Mutex<EngineState>
    let personality: any Personality
    let observer: (any NodeObserver)?
    let interceptors: Interceptors
    /// Requests waiting for a transport's round trip, by open file (Requests.swift).
    let requests = PendingRequests()

    /// The waits of this engine's personality, already multiplied by the scale factor.
    public let timeouts: Timeouts
    /// Where a request whose frame went unanswered spends its post-wait (nil: nowhere — the
    /// engine alone answers at once).
    let postWaiter: (any PostWaiter)?

    /// - Parameters:
    ///   - interceptors: the chain around every ioctl, outermost first; `frameInterceptors` the chain
    ///     on the post path, outermost first. An engine without them is the host driver alone.
    ///   - timeoutScale: multiplies every entry of the personality's `Timeouts` (`I2OSIM_TIMEOUT_SCALE`).
    ///   - postWaiter: where a request waits when the IOP does not answer its frame (nil: no wait).
    public init(machine: Machine, personality: PersonalityName = .documented, observer: (any NodeObserver)? = nil,
                interceptors: [any IoctlInterceptor] = [], frameInterceptors: [any FrameInterceptor] = [],
                timeoutScale: Double = 1, postWaiter: (any PostWaiter)? = nil) {
        precondition(interceptors.count <= ActiveInterceptors.capacity, "at most \(ActiveInterceptors.capacity) interceptors")
        self.interceptors = Interceptors(ioctl: interceptors, frame: frameInterceptors)
        timeouts = personality.timeouts.scaled(by: timeoutScale)
        state = Mutex(EngineState(machine: machine, interceptors: self.interceptors, timeouts: timeouts))
        self.personality = personality.implementation
        self.observer = observer
        self.postWaiter = postWaiter
        // A kernel's driver reads every IOP's HRT and LCT as it brings the IOPs up, and numbers
        // its open files from 0 (`i2o_cfg_info_id`).
        if self.personality is any KernelPersonality {
            state.withLock { s in
                s.loadDriverTables()
                s.nextFile = 0
            }
        }
    }

    /// The personality this engine imitates.
    public var personalityName: PersonalityName { personality.name }

    // MARK: The ioctl entry

    /// One call of an ioctl. The transport's memory is wrapped once, here in the caller's code
    /// where its type is known (made inside the engine the wrapper would cost a run-time type
    /// lookup per call); the wrapper borrows it, so stores do not copy the caller's buffers.
    /// - Throws: `NeedsRound` when `memory` must do a round trip first (then call again).
    @inlinable
    public func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try withUnsafeMutablePointer(to: &memory) { base throws(NeedsRound) in
            var wrapped = PipelineMemory(base: base)
            return try run(request, memory: &wrapped)
        }
    }

    @usableFromInline
    func run(_ request: IoctlRequest, memory: inout some PipelineMemoryProtocol) throws(NeedsRound) -> IoctlResult {
        // The request's record: the one kept over its earlier rounds, or a new one.
        // A kept record goes on only with the call that continues it (the same ioctl at the same
        // argument); any other call, or one its transport says begins, starts a record of its own.
        var resumed = requests.take(request.file)
        if let r = resumed?.request, request.begins || r.command != request.command || r.argument != request.argument
            || r.abi != request.abi {
            resumed = nil
        }
        var context = resumed ?? newContext(request)
        for (i, interceptor) in interceptors.ioctl.enumerated() where context.active[i] { interceptor.callBegins(context) }
        // The interceptors see a request begin once, on its first call to the engine.
        var begun = interceptors.ioctl.count
        var answer: IoctlResult?
        if !context.begun {
            context.begun = true
            for (i, interceptor) in interceptors.ioctl.enumerated() where context.active[i] {
                if let a = interceptor.requestBegins(&context) { answer = a; begun = i + 1; break }
            }
        }
        var result: IoctlResult
        if let answer {
            result = answer
            context.rounds += 1
        } else {
            memory.scope = context.scope
            do throws(NeedsRound) {
                result = try dispatch(context, memory: &memory)
            } catch {
                context.rounds += 1
                requests.keep(context)
                for (i, interceptor) in interceptors.ioctl.enumerated() where context.active[i] {
                    interceptor.callNeedsRound(context, error)
                }
                throw error
            }
            context.rounds += memory.fetches
        }
        // The outcome goes back out through the interceptors that saw the request begin, innermost first.
        var i = begun
        while i > 0 {
            i -= 1
            if context.active[i] { result = interceptors.ioctl[i].requestEnds(context, result) }
        }
        return result
    }

    /// A request's record as it begins: the command decoded and the file looked up once, the
    /// active interceptors noted (and a scope made when one of them needs it).
    func newContext(_ request: IoctlRequest) -> RequestContext {
        let command = IoctlCommand.decode(request.command, abi: request.abi)
        let open = state.withLock { $0.files[request.file] != nil }
        var active = ActiveInterceptors()
        var needsScope = false
        for (i, interceptor) in interceptors.ioctl.enumerated() where interceptor.isActive {
            active[i] = true
            needsScope = needsScope || interceptor.needsScope
        }
        return RequestContext(request: request, command: command, fileIsOpen: open, rounds: 0,
                              scope: needsScope ? RequestScope(kind: command?.kind, file: request.file) : nil, active: active)
    }

    /// The personality's handler of the request (nil command: a number no personality knows).
    func dispatch(_ context: RequestContext, memory: inout some PipelineMemoryProtocol) throws(NeedsRound) -> IoctlResult {
        guard context.fileIsOpen else { return .error(.EBADF) }
        guard let cmd = context.command, personality.accepts(cmd) else {
            // An unknown number's argument bytes (_IOC_SIZE of them, when the number says the caller
            // passes data) are fetched for a memory log only: a trace shows what the caller passed.
            let command = context.request.command, size = Int(command >> 16 & 0x3FFF)
            if context.command == nil, memory.logsMemory, command >> 30 & 1 != 0, size > 0 {
                _ = try memory.fetch(reads: [UserRange(address: context.request.argument, count: min(size, 4096))], writes: [])
            }
            return .error(.EINVAL)
        }
        let call = IoctlCall(engine: self, file: context.file, command: cmd, argument: context.request.argument,
                             scope: context.scope)
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

    // MARK: The other operations of the node

    /// `open()`: a new open file with an empty event queue.
    public func open(by caller: Int32?) -> OpenFileID {
        let start = ContinuousClock.now
        let id = state.withLock { s in
            let id = OpenFileID(rawValue: s.nextFile)
            s.nextFile += 1
            s.files[id] = OpenFile()
            return id
        }
        observe(.open(id, caller: caller, start: start))
        return id
    }

    /// `close()` of the last descriptor: drops its queue and registrations, cancelling each
    /// registration in the model (a UtilEventRegister with mask 0) — except in the kernel
    /// personalities, whose `cfg_release` sends the IOP nothing (the IOP keeps the registrations;
    /// their events are dropped). Unknown files are ignored.
    public func release(_ file: OpenFileID, by caller: Int32?) {
        let start = ContinuousClock.now
        // A request the kernel ended itself (a retry's range faulted) left its record: it goes with the file.
        requests.drop(file)
        let cancels = !(personality is any KernelPersonality)
        locked { s in
            guard let f = s.files.removeValue(forKey: file), cancels else { return }
            for r in f.registrations.sorted(by: { ($0.unit, $0.tid) < ($1.unit, $1.tid) }) {
                let frame = EngineState.eventRegisterFrame(tid: r.tid, mask: 0, file: file)
                _ = s.post(frame, to: r.unit, memory: BusMemory())
            }
        }
        observe(.release(file, caller: caller, start: start))
    }

    /// `read()` of up to `capacity` bytes.
    public func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult {
        let start = ContinuousClock.now
        let r = personality.read(self, file: file, capacity: capacity)
        observe(.read(file, capacity: capacity, r, caller: caller, start: start))
        return r
    }

    /// `write()`.
    public func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult {
        let start = ContinuousClock.now
        let r = personality.write(self, file: file, count: count)
        observe(.write(file, count: count, r, caller: caller, start: start))
        return r
    }

    /// `poll()`: whether the file is readable now (POLLIN).
    public func isReadable(_ file: OpenFileID) -> Bool { personality.isReadable(self, file: file) }

    /// The personality's driver methods: `poll` and `fasync` (docs/kernels.md §FileOps).
    public var fileOperations: FileOperations { personality.fileOperations }

    private func observe(_ operation: NodeOperation) {
        for i in interceptors.ioctl where i.isActive { i.observe(operation) }
    }

    // MARK: The machine

    /// The open files now.
    public var openFiles: [OpenFileID] { state.withLock { $0.files.keys.sorted { $0.rawValue < $1.rawValue } } }

    /// Open files with events queued: (file, count), by file.
    public var queuedEventCounts: [(file: OpenFileID, count: Int)] {
        state.withLock { s in
            s.files.filter { !$0.value.queue.isEmpty }.map { ($0.key, $0.value.queue.count) }.sorted { $0.0.rawValue < $1.0.rawValue }
        }
    }

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
}
