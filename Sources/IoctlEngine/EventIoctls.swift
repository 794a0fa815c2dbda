import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OEVTREG, I2OEVTGET, read(), write().

extension Personality {
    /// I2OEVTREG: registers `evt_mask` for (iop, tid) on this open file; mask 0 cancels.
    /// Order: struct → EFAULT; IOP → ENXIO; TID not in the LCT and not 0 → ENODEV (as the
    /// kernel); a UtilEventRegister (5 words, word 4 = mask, TransactionContext = the open file)
    /// is posted without waiting; a failing reply → EIO.
    func eventRegister(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try registerOnFile(call, memory: &memory) { s, frame, unit in
            let reply = s.post(frame, to: unit, memory: BusMemory(), for: call.scope)
            if let reply, reply.reqStatus != .success { return .error(.EIO) }
            return nil
        }
    }

    /// I2OEVTREG where the registration is kept on the open file (documented, linux-2.4): struct
    /// → EFAULT; IOP → ENXIO; TID not in the LCT and not 0 → ENODEV; the open file gone → EBADF;
    /// then `post` sends the UtilEventRegister `frame` (5 words) to `unit` as the personality
    /// does, returning an error to give instead of success (nil: none); mask 0 cancels the
    /// registration, any other mask registers (iop, tid).
    func registerOnFile(_ call: IoctlCall, memory: inout some UserMemory,
                        post: (inout EngineState, MessageFrame, IOPUnit) -> IoctlResult?) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory), let id = try? EventID.decode(raw) else { return .error(.EFAULT) }
        let unit = IOPUnit(rawValue: id.iop)
        let file = call.file
        return call.engine.locked { s in
            guard let iop = s.machine.iops[unit] else { return .error(.ENXIO) }
            guard EngineState.knows(iop, tid: id.tid) else { return .error(.ENODEV) }
            guard s.files[file] != nil else { return .error(.EBADF) }
            let tid = TID(rawValue: UInt16(id.tid))
            if let refused = post(&s, EngineState.eventRegisterFrame(tid: tid, mask: id.eventMask, file: file), unit) {
                return refused
            }
            let key = EventRegistrationKey(unit: unit, tid: tid)
            if id.eventMask == 0 { s.files[file]?.registrations.remove(key) } else { s.files[file]?.registrations.insert(key) }
            return .success
        }
    }

    /// I2OEVTGET: the oldest queued event as a 112-byte `i2o_evt_get` (`pending` = events left
    /// after it, `lost` = events dropped so far). Empty → ENOENT (never blocks, no fetch).
    /// The event is taken only once the write reservation is granted, and put back when the
    /// store faults (EFAULT leaves the queue as it was; the kernel would have lost the event).
    func eventGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let file = call.file
        guard call.engine.peek({ !($0.files[file]?.queue.isEmpty ?? true) }) else { return .error(.ENOENT) }
        _ = try memory.fetch([], [UserRange(address: call.argument, count: EventGet.byteCount)])
        let record: EventGet? = call.engine.locked { s in
            guard var f = s.files[file], !f.queue.isEmpty else { return nil }
            let info = f.queue.removeFirst()
            s.files[file] = f
            return EventGet(info: info, pending: Int32(f.queue.count), lost: Self.reportedLost(f.lost))
        }
        guard let record else { return .error(.ENOENT) }
        let result = call.finish([UserWrite(address: call.argument, bytes: record.encoded())], .success, memory: &memory)
        if result != .success {
            // A failing request changes no state: the event goes back to the head of the queue
            // (unless the queue filled up meanwhile, in which case it is the one dropped).
            call.engine.locked { s in
                guard var f = s.files[file] else { return }
                if f.queue.count < OpenFile.queueCapacity { f.queue.insert(record.info, at: 0) } else { f.lost &+= 1 }
                s.files[file] = f
            }
        }
        return result
    }

    /// `read()`: whole 104-byte `i2o_evt_info` records, as many as fit; fewer than 104 bytes →
    /// EINVAL; nothing queued → `.wouldBlock` (the transport blocks or answers EAGAIN).
    func read(_ engine: Engine, file: OpenFileID, capacity: Int) -> ReadResult {
        guard capacity >= EventInfo.byteCount else { return .error(.EINVAL) }
        return engine.locked { s in
            guard var f = s.files[file] else { return .error(.EBADF) }
            guard !f.queue.isEmpty else { return .wouldBlock }
            let n = min(capacity / EventInfo.byteCount, f.queue.count)
            let taken = f.queue.prefix(n)
            f.queue.removeFirst(n)
            s.files[file] = f
            return .data(taken.flatMap { $0.encoded() })
        }
    }

    /// `write()` → EINVAL.
    func write(_ engine: Engine, file: OpenFileID, count: Int) -> IoctlResult { .error(.EINVAL) }
}
