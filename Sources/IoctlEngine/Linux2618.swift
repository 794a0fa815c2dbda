import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

/// `linux-2.6.18`: bug-compatible with `drivers/message/i2o/i2o_config.c` of Linux 2.6.18
/// (docs/kernels.md §Ioctls, "2.6.18" in every row). Handlers not listed behave as `documented` (GETIOPS,
/// EVTGET — whose queue never fills here).
///
/// - 32-bit callers get GETIOPS and PASSTHRU32 only; everything else → EINVAL (docs/kernels.md §Compat32). A
///   64-bit caller using the PASSTHRU32 number → EINVAL. HTML is not implemented → EINVAL.
/// - HRTGET copies the table even when it answers ENOBUFS (up to `*reslen` bytes here).
/// - LCTGET: header words 1 and 2 swapped.
/// - PARMGET/PARMSET: `*reslen` = 0 and nothing copied on success; the ReqStatus as length on
///   an IOP failure; any core failure → EAGAIN; no NULL-`resbuf` check, TID unknown → ENXIO.
/// - SWDL/SWUL: the positive ReqStatus as the ioctl's value; SWDEL/VALIDATE: every failure →
///   ETIMEDOUT; VALIDATE targets TID = unit.
/// - EVTREG: a 4-word UtilEventRegister (the mask never reaches the IOP); no event is ever
///   queued, EVTGET → ENOENT.
/// - PASSTHRU: the reply area is zero-filled except the caller's contexts (words 2–3) and,
///   on failure, word 4 = status << 24; the positive ReqStatus is the ioctl's value.
/// - `read()`/`write()` → EINVAL; no `poll` method: `poll()` always readable and writable, epoll
///   refused; a `fasync` method (O_ASYNC accepted) that nothing calls back: no signal.
///
/// `linux-2.6.18` is the kernel built for x86_64, where 32-bit callers pass `compat_ioctl`.
/// `linux-2.6.18-i386` (`i386Kernel`) is the same driver built for i386 (RHEL/CentOS 5 i386):
/// there is no compat layer, a 32-bit caller gets every ioctl natively, and 0x8008690C is the
/// native PASSTHRU (docs/kernels.md §Compat32).
struct Linux2618Personality: KernelPersonality {
    var i386Kernel = false
    var name: PersonalityName { i386Kernel ? .linux2618i386 : .linux2618 }
    var kernel: Kernel { .linux2618 }
    /// `config_fops` (i2o_config.c): no `poll`, `fasync` = `cfg_fasync`; no code calls `kill_fasync`
    /// (the driver queues no event at all; docs/kernels.md §FileOps).
    var fileOperations: FileOperations { FileOperations(poll: .none, fasync: .silent) }

    func accepts(_ command: IoctlCommand) -> Bool {
        if command.abi == .ilp32 {
            if i386Kernel { return command.kind != .html }
            return command.kind == .getIOPs || command.kind == .passthru32
        }
        return command.kind != .html && command.kind != .passthru32
    }

    /// Whether PASSTHRU runs `i2o_cfg_passthru` (native) rather than `i2o_cfg_passthru32` (compat).
    func nativePassthru(_ call: IoctlCall) -> Bool { call.command.kind == .passthru || i386Kernel }

    func lctGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelTableGet(call, memory: &memory, function: .execLctNotify, copyOnShort: false,
                           transform: EngineState.lct2618)
    }
    /// Not implemented in 2.6.18 (`accepts` already refuses it).
    func html(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult { .error(.EINVAL) }

    /// EVTREG (docs/kernels.md §EVTREG). Order: struct → EFAULT; IOP → ENXIO; TID → ENODEV; a
    /// UtilEventRegister declaring 4 words, of which only the 4 are posted — the EventMask
    /// (word 4) never reaches the IOP — without waiting; 0. Nothing is registered for the open
    /// file: 2.6.18's config OSM has no event handler, so no event is ever delivered.
    func eventRegister(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory), let id = try? EventID.decode(raw) else { return .error(.EFAULT) }
        let unit = IOPUnit(rawValue: id.iop)
        let file = call.file
        return call.engine.locked { s in
            guard let iop = s.machine.iops[unit] else { return .error(.ENXIO) }
            let tid = Kernel.linux2618.deviceTID(id.tid)
            guard EngineState.knows(iop, tid: tid) else { return .error(.ENODEV) }
            let full = EngineState.eventRegisterFrame(tid: TID(rawValue: UInt16(tid)), mask: id.eventMask, file: file)
            var words = Array(full.words.prefix(4))
            words[0] = words[0] & 0xFFFF | 4 << 16
            _ = s.post(MessageFrame(words: words), to: unit, memory: BusMemory(), for: call.scope)
            return .success
        }
    }

    func eventGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        // The queue of a 2.6.18 open file never receives anything.
        .error(.ENOENT)
    }

    func passthru(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try passthru2618(call, memory: &memory)
    }

    /// No `read` method: the VFS answers EINVAL.
    func read(_ engine: Engine, file: OpenFileID, capacity: Int) -> ReadResult { .error(.EINVAL) }
    /// No `write` method: EINVAL.
    func write(_ engine: Engine, file: OpenFileID, count: Int) -> IoctlResult { .error(.EINVAL) }
}

extension Linux2618Personality {
    /// PASSTHRU / PASSTHRU32 as `i2o_cfg_passthru` (docs/kernels.md §PASSTHRU). Order: struct → EFAULT;
    /// IOP → ENXIO; word 0 → EFAULT; S above the IOP's InboundFrameSize → **EFAULT**; the S
    /// words → EFAULT; the reply area's word 0 → EFAULT, R = its MessageSize × 4 bytes above
    /// kmalloc's limit → ENOMEM; SGL (offset from word 0): offset not inside the frame →
    /// EFAULT; ⌊(S − offset) / 2⌋ elements, more than 30 → EINVAL; per element in order: no
    /// 0x10000000 flag bit → EINVAL, a length above kmalloc's limit → ENOMEM, a host→IOP buffer
    /// that faults → EFAULT — each still writing the reply area as below (but PASSTHRU32's
    /// non-simple element); the frame is posted with its contexts replaced (words 2–3, as the
    /// kernel's post-wait does); on success the IOP→host buffers are copied back; the reply
    /// area gets R bytes of zeroes except words 2–3 = the caller's contexts (read from `msg` + 8,
    /// whatever S is) and, on failure,
    /// word 4 = status << 24 (0x92000000 for no reply). Returns 0, the positive ReqStatus, or
    /// ETIMEDOUT (no reply).
    ///
    /// The buffers the kernel would write after posting (IOP→host elements, the reply area)
    /// are reserved before posting: a bad one ends the ioctl with EFAULT before the IOP sees it.
    func passthru2618(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let frame: PassthruFrame
        switch try PassthruFrame.fetch(call, memory: &memory, badSize: .EFAULT, minimumSize: 0) {
        case let .success(f): frame = f
        case let .failure(e): return .error(e)
        }
        let (unit, size, replyAt) = (frame.unit, frame.size, frame.replyAt)
        let userWords = frame.words
        let replyBytes = frame.replyWords * 4
        guard replyBytes <= KernelLimits.kmallocBytes else { return .error(.ENOMEM) }

        // The SGL, element by element; `stop` is the first element's own failure, if any.
        var elements: [PassthruElement] = []
        var stop: Errno?
        let offset = frame.sglOffset
        if offset != 0 {
            guard offset < size else { return .error(.EFAULT) }
            let n = (size - offset) / 2
            guard n <= Limits.passthruElements else { return .error(.EINVAL) }
            for i in 0..<n {
                let at = offset + 2 * i
                guard userWords[at] & 0x1000_0000 != 0 else { stop = .EINVAL; break }
                let count = Int(userWords[at] & 0xFF_FFFF)
                guard count <= KernelLimits.kmallocBytes else { stop = .ENOMEM; break }
                elements.append(PassthruElement(index: at, flags: UInt8(userWords[at] >> 24), count: count,
                                                user: UInt64(userWords[at + 1])))
            }
        }
        let toIOP: (PassthruElement) -> Bool = { $0.flags & SGLFlags.hostToIOP.rawValue != 0 }
        let outgoing = elements.filter { toIOP($0) && $0.count > 0 }
        let incoming = elements.filter { !toIOP($0) && $0.count > 0 }
        // The reply area is written at `sg_list_cleanup`, which the element loop's failures reach
        // too — all but PASSTHRU32's non-simple element, which skips it (docs/kernels.md §PASSTHRU).
        let reachesCleanup = stop == nil || stop == .ENOMEM || (stop == .EINVAL && nativePassthru(call))
        let writesReply = replyBytes > 0 && reachesCleanup
        // The caller's contexts are read again from user_msg + 2 when the reply is written, whatever S is.
        let contexts = UserRange(address: replyAt &- UInt64(size * 4) &+ 8, count: 8)
        let readsContexts = writesReply && size < 4
        let buffers = try memory.fetch(
            UserRanges(outgoing.lazy.map { UserRange(address: $0.user, count: $0.count) })
                + (readsContexts ? [contexts] : []),
            (stop != nil ? [] : UserRanges(incoming.lazy.map { UserRange(address: $0.user, count: $0.count) }))
                + (writesReply ? [UserRange(address: replyAt, count: replyBytes)] : []))
        let callerContexts: (UInt32, UInt32)? = size >= 4 ? (userWords[2], userWords[3])
            : readsContexts ? buffers.bytes(outgoing.count).flatMap { $0.count == 8 ? ($0.readLE32(at: 0), $0.readLE32(at: 4)) : nil }
            : nil
        /// The reply area as `sg_list_cleanup` writes it: zeros, the caller's contexts in words 2–3
        /// (EFAULT when they cannot be read), word 4 = the post-wait's status << 24.
        func replyArea(_ outcome: PostWait?, _ result: IoctlResult, after writes: UserWrites = []) -> (UserWrites, IoctlResult) {
            guard writesReply else { return (writes, result) }
            var reply = [UInt8](repeating: 0, count: max(replyBytes, 20))
            if let (c2, c3) = callerContexts { reply.writeLE32(c2, at: 8); reply.writeLE32(c3, at: 12) }
            switch outcome {
            case .none, .ok: break
            case let .status(n): reply.writeLE32(UInt32(bitPattern: n) << 24, at: 16)
            case let .failed(e): reply.writeLE32(UInt32(bitPattern: -e.rawValue) << 24, at: 16)
            }
            var all = writes
            all.append(UserWrite(address: replyAt, bytes: Array(reply.prefix(replyBytes))))
            return (all, callerContexts == nil ? .error(.EFAULT) : result)
        }
        var data: [Int: [UInt8]] = [:]
        for (i, e) in outgoing.enumerated() {
            guard let b = buffers.bytes(i), b.count == e.count else {
                let (writes, result) = replyArea(nil, .error(.EFAULT))
                return call.finish(writes, result, memory: &memory)
            }
            data[e.index] = b
        }
        if let stop {
            let (writes, result) = replyArea(nil, .error(stop))
            return call.finish(writes, result, memory: &memory)
        }

        let step: Step = call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            let bus = s.bus()
            var words = userWords
            while words.count < MessageFrame.headerWords { words.append(0) }
            var mapped: [(PassthruElement, UInt64)] = []
            for e in elements {
                let address = bus.map(data[e.index] ?? [UInt8](repeating: 0, count: e.count))
                words[e.index + 1] = UInt32(truncatingIfNeeded: address)
                mapped.append((e, address))
            }
            // i2o_msg_post_wait replaces both contexts.
            words[2] = EngineState.initiatorContext
            words[3] = 0x8000_0000
            let outcome = Kernel.linux2618.postWait(s.post(MessageFrame(words: words), to: unit, memory: bus, for: call.scope,
                                                                  passthru: true))
            var writes: UserWrites = []
            if outcome.isOK {
                for (e, address) in mapped where !toIOP(e) && e.count > 0 {
                    writes.append(UserWrite(address: e.user, bytes: bus.read(address, count: e.count) ?? []))
                }
            }
            let (all, result) = replyArea(outcome, outcome.result, after: writes)
            return .finish(all, result)
        }
        switch step {
        case let .finish(writes, result): return call.finish(writes, result, memory: &memory)
        case .grow: return .error(.EIO)
        }
    }
}
