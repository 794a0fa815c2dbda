import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

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
    /// Open file ids start at 1 (the kernel personalities': 0, as the kernels'); the low 32 bits
    /// are the TransactionContext of their registrations.
    var nextFile: UInt64 = 1
    /// Files that got events since the lock was taken.
    var notify: Set<OpenFileID> = []
    /// The pipeline's interceptors (Pipeline.swift): frames pass the frame interceptors under the lock.
    let interceptors: Interceptors
    /// The personality's waits, scaled: how long a post the IOP does not answer costs the caller.
    let timeouts: Timeouts
    /// The longest post-wait that a post since the lock was taken ran out of (its frame was not
    /// answered): the caller waits it once the lock is given back (`Engine.locked`).
    var unansweredWait: Duration?
    /// The tables the kernel personalities' driver keeps (DriverTables.swift).
    var driverTables: [IOPUnit: DriverTables] = [:]
    /// The bus window of the last request, reused by the next (`bus()`).
    private var lastBus = BusMemory()

    init(machine: Machine, interceptors: Interceptors, timeouts: Timeouts) {
        self.machine = machine; self.interceptors = interceptors; self.timeouts = timeouts
    }

    /// An empty bus window for the next request: the last one, unmapped, when nothing holds it
    /// any more (an IOP keeps the window of a request it answers later), else a new one. Most
    /// requests thus map their buffers without allocating a window.
    mutating func bus() -> BusMemory {
        if isKnownUniquelyReferenced(&lastBus) { lastBus.unmapAll() } else { lastBus = BusMemory() }
        return lastBus
    }

    /// The InitiatorContext of every request the engine builds (the config driver's context).
    static let initiatorContext: UInt32 = 0x4932_4F43 // "CO2I"

    /// Posts `frame` to IOP `unit` on behalf of the request `scope` (nil: no ioctl's) through the
    /// frame interceptors, and delivers the event replies it produced; nil when the IOP does not
    /// exist or gives no reply now. An existing IOP that gives no reply costs the caller the
    /// driver's post-wait for the frame (`passthru`: PASSTHRU's) — the kernel's
    /// `i2o_msg_post_wait` running out — before the result is delivered; `waits` false: the
    /// driver does not wait for this one.
    mutating func post(_ frame: MessageFrame, to unit: IOPUnit, memory: BusMemory, for scope: RequestScope? = nil,
                       passthru: Bool = false, waits: Bool = true) -> MessageFrame? {
        let reply: MessageFrame?
        if interceptors.framesActive {
            let chain = interceptors
            reply = chain.post(frame, to: unit, iop: machine.iops[unit], memory: memory, request: scope) { f in
                postToModel(f, to: unit, memory: memory)
            }
        } else {
            reply = postToModel(frame, to: unit, memory: memory)
        }
        if reply == nil, waits { noteUnanswered(frame, on: unit, passthru: passthru) }
        return reply
    }

    /// A frame IOP `unit` did not answer: its post-wait, if the driver waits for one.
    private mutating func noteUnanswered(_ frame: MessageFrame, on unit: IOPUnit, passthru: Bool) {
        guard machine.iops.index(forKey: unit) != nil,
              let wait = timeouts.postWait(for: frame.function, passthru: passthru) else { return }
        unansweredWait = max(unansweredWait ?? .zero, wait)
    }

    /// Posts `frame` to the model, past the interceptors.
    mutating func postToModel(_ frame: MessageFrame, to unit: IOPUnit, memory: BusMemory) -> MessageFrame? {
        guard let i = machine.iops.index(forKey: unit) else { return nil }
        let reply = machine.iops.values[i].post(frame, memory: memory)
        drain(unit)
        return reply
    }

    /// Posts `frame` to a copy of IOP `unit`: the caller decides with `commit` whether the
    /// outcome (state changes, events) becomes real. Lets a request that the ioctl will refuse
    /// afterwards (ENOBUFS) leave no trace. nil when there is no such IOP.
    mutating func attempt(_ frame: MessageFrame, on unit: IOPUnit, memory: BusMemory,
                          for scope: RequestScope? = nil) -> (reply: MessageFrame?, iop: IOP)? {
        guard var iop = machine.iops[unit] else { return nil }
        let reply: MessageFrame?
        if interceptors.framesActive {
            reply = interceptors.post(frame, to: unit, iop: iop, memory: memory, request: scope) { f in
                iop.post(f, memory: memory)
            }
        } else {
            reply = iop.post(frame, memory: memory)
        }
        if reply == nil { noteUnanswered(frame, on: unit, passthru: false) }
        return (reply, iop)
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
            queueEvent(f, from: unit, to: file)
        }
    }

    /// Queues the UtilEventRegister reply `f` from IOP `unit` as an event of `file`: EventMask =
    /// its word 4 (for a failing reply: the status word), data = its words 5… .
    mutating func queueEvent(_ f: MessageFrame, from unit: IOPUnit, to file: OpenFileID) {
        let size = min(f.messageSize.rawValue, f.words.count)
        let data = size > 5 ? Array(f.words[5..<size]).littleEndianBytes : []
        let info = EventInfo(id: EventID(iop: unit.rawValue, tid: UInt32(f.target.rawValue), eventMask: f[word: 4]),
                             data: data)
        files[file]?.enqueue(info)
        notify.insert(file)
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

    /// A reply's outcome as the documented personality reports it: nil reply → ETIMEDOUT,
    /// ReqStatus ≠ 0 → EIO, else nil (success).
    static func failure(of reply: MessageFrame?) -> Errno? {
        guard let reply else { return .ETIMEDOUT }
        return reply.reqStatus == .success ? nil : .EIO
    }
}
