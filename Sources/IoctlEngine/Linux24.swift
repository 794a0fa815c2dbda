import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

/// `linux-2.4`: bug-compatible with `drivers/message/i2o/i2o_config.c` + `i2o_core.c` of Linux
/// 2.4.20 (docs/kernels.md §Ioctls, "2.4"). Handlers not listed behave as `documented` (GETIOPS, LCTGET —
/// the IOP's LCT unmodified —, EVTGET with its 32-entry ring, pending and lost).
///
/// - No PASSTHRU: both numbers → EINVAL. Both ABIs get ioctls 0–11 (a 2.4 kernel ran 32-bit
///   tools natively).
/// - HRTGET copies the table even when it answers ENOBUFS (up to `*reslen` bytes here).
/// - PARMGET/PARMSET: real result-list lengths (4 + Σ BlockSize × 4); a single failing block
///   (−BlockStatus) and timeouts → EAGAIN; a positive DetailedStatus is taken as the length.
/// - SWDL/SWUL: the positive DetailedStatus as the ioctl's value; SWDEL/VALIDATE: every
///   failure → ETIMEDOUT, no write-back of `*swlen`; VALIDATE targets TID = unit.
/// - HTML: implemented, ENOMEM (not ENOBUFS) for a short buffer, with the page copied anyway.
/// - EVTREG: reply failures ignored; events are queued as in `documented`.
/// - `read()` returns 0 bytes (EOF), `write()` returns 0; no `poll` method: `poll()` always
///   readable and writable, epoll refused; a `fasync` method whose reply handler signals the
///   O_ASYNC owner (SIGIO) for every event queued to the file (`fileOperations`).
struct Linux24Personality: KernelPersonality {
    var name: PersonalityName { .linux24 }
    var kernel: Kernel { .linux24 }
    /// `config_fops` (i2o_config.c): no `poll`, `fasync` = `cfg_fasync`; `i2o_cfg_reply` calls
    /// `kill_fasync(SIGIO, POLL_IN)` after queueing an event (docs/kernels.md §FileOps).
    var fileOperations: FileOperations { FileOperations(poll: .none, fasync: .signalsQueuedEvents) }

    func accepts(_ command: IoctlCommand) -> Bool { command.kind != .passthru && command.kind != .passthru32 }

    func passthru(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult { .error(.EINVAL) }

    /// LCTGET: the driver's copy of the IOP's LCT, byte for byte (docs/kernels.md §LCTGET).
    func lctGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelTableGet(call, memory: &memory, function: .execLctNotify, copyOnShort: false)
    }

    /// HTML as 2.4's `ioctl_html` (docs/kernels.md §HTML). Order: struct → EFAULT; `*reslen` → EFAULT;
    /// NULL `resbuf` → EFAULT; IOP → ENXIO; `qlen` above kmalloc's limit → ENOMEM; `qbuf` →
    /// EFAULT; UtilConfigDialog to `tid` (not checked) for `page` with a 65536-byte reply buffer
    /// (7 words, or 9 with the query); no reply → ETIMEDOUT; a failing reply is ignored;
    /// len = strnlen(page, 65536) to `*reslen`; len > `*reslen` → ENOMEM with the page copied
    /// anyway — here its first `*reslen` bytes, never beyond the caller's buffer; else the
    /// `len` bytes, 0. `len` is written unchecked (`put_user`'s result ignored).
    func html(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.HTML(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        let qlen = Int(a.qlen)
        let readQuery = qlen > 0 && qlen <= KernelLimits.kmallocBytes
        guard let capacity = try memory.fetch([.u32(a.reslen)], []).u32(0) else { return .error(.EFAULT) }
        // NULL `resbuf`, the IOP and the query's allocation are checked before `qbuf` is copied: so
        // a bad `qbuf` never hides their errno (under CUSE a range that faults fails the whole call).
        let early: Errno? = call.engine.peek { s in
            guard a.resbuf != 0 else { return .EFAULT }
            guard s.machine.hasIOP(unit) else { return .ENXIO }
            return qlen <= KernelLimits.kmallocBytes ? nil : .ENOMEM
        }
        if let early { return .error(early) }
        let bound = call.engine.peek { s in
            EngineState.pageBound(s.machine.iops[unit], tid: a.tid, page: a.page, queryBytes: qlen)
        }
        let initial = min(Int(capacity), bound, KernelLimits.htmlReplyBytes)
        return try call.run(reserve: initial, memory: &memory, ranges: { n in
            (reads: [.u32(a.reslen)] + (readQuery ? [UserRange(address: a.qbuf, count: qlen)] : []),
             writes: a.resbuf != 0 && n > 0 ? [UserRange(address: a.resbuf, count: n)] : [])
        }, unchecked: [.u32(a.reslen)], decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard a.resbuf != 0 else { return .fail(.EFAULT) }
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            guard qlen <= KernelLimits.kmallocBytes else { return .fail(.ENOMEM) }
            let bus = s.bus()
            var query: [UInt8]?
            if qlen > 0 {
                guard let q = got.bytes(1), q.count == qlen else { return .fail(.EFAULT) }
                query = q
            }
            // The reply buffer comes from kmalloc, not zeroed: where the IOP writes nothing (a failed
            // request, whose status 2.4 ignores) strnlen runs over leftover memory (§Unwritten).
            let pageAddress = bus.map([UInt8](repeating: KernelLimits.unwrittenFill, count: KernelLimits.htmlReplyBytes))
            let element = UInt32(KernelLimits.htmlReplyBytes & 0xFF_FFFF)
            var payload: [UInt32] = [a.page]
            if let query {
                payload += [SGLFlags.simpleIn.word(count: element), UInt32(truncatingIfNeeded: pageAddress),
                            0xD400_0000 | UInt32(qlen), UInt32(truncatingIfNeeded: bus.map(query))]
            } else {
                payload += [SGLFlags.simpleLastIn.word(count: element), UInt32(truncatingIfNeeded: pageAddress)]
            }
            let frame = MessageFrame(function: .utilConfigDialog, target: TID(rawValue: UInt16(a.tid & 0xFFF)),
                                     initiatorContext: EngineState.initiatorContext, sglOffset: 5, payload: payload)
            guard let (reply, after) = s.attempt(frame, on: unit, memory: bus, for: call.scope) else { return .fail(.ENXIO) }
            if case let .failed(e) = Kernel.linux24.postWait(reply) { return .fail(e) }
            let buffer = bus.read(pageAddress, count: KernelLimits.htmlReplyBytes) ?? []
            let length = buffer.firstIndex(of: 0) ?? buffer.count
            let copy = min(length, Int(capacity))
            if copy > reserved { return .grow(copy) }
            s.commit(after, unit: unit)
            let writes: UserWrites = [.u32(UInt32(length), at: a.reslen, unchecked: true),
                                      UserWrite(address: a.resbuf, bytes: Array(buffer.prefix(copy)))]
            return .finish(writes, UInt32(length) > capacity ? .error(.ENOMEM) : .success)
        })
    }

    /// EVTREG (docs/kernels.md §EVTREG). Order: struct → EFAULT; IOP → ENXIO; TID → ENODEV; a
    /// UtilEventRegister declaring 4 words but posted with 5 (the mask in word 4 reaches the
    /// IOP), not waited for; 0. Mask 0 cancels the open file's registration. A reply the IOP
    /// gives it (a failing one: the registration refused) reaches 2.4's `i2o_cfg_reply` like any
    /// event reply carrying the file's context: it is queued as an event, its EventMask the
    /// reply's status word.
    func eventRegister(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try registerOnFile(call, memory: &memory) { s, frame, unit in
            var words = frame.words
            words[0] = words[0] & 0xFFFF | 4 << 16
            if let reply = s.post(MessageFrame(words: words), to: unit, memory: BusMemory(), for: call.scope) {
                s.queueEvent(reply, from: unit, to: call.file)
            }
            return nil
        }
    }

    /// `read()` always returns 0 (end of file), whatever is queued.
    func read(_ engine: Engine, file: OpenFileID, capacity: Int) -> ReadResult { .data([]) }
    /// `write()` logs "not yet supported" in 2.4 and returns 0.
    func write(_ engine: Engine, file: OpenFileID, count: Int) -> IoctlResult { .success }
}
