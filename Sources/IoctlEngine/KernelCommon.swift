import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// What the two kernel personalities share: the kernels' post-and-wait (docs/kernels.md §PostWait), and the
// handlers that behave alike in 2.6.18 and 2.4 (HRTGET copying on ENOBUFS, the software ioctls,
// VALIDATE). Each kernel personality's type calls these from its own handlers.

/// The kernel a bug-compatible personality imitates.
enum Kernel: Sendable {
    case linux2618, linux24
}

/// What the kernel's synchronous post-and-wait returned: 0, a positive I2O status, or an errno.
enum PostWait: Equatable, Sendable {
    case ok
    /// 2.6.18: the reply's ReqStatus; 2.4: its DetailedStatus.
    case status(Int32)
    case failed(Errno)

    /// As an ioctl result: 0, the positive status, or −1/errno.
    var result: IoctlResult {
        switch self {
        case .ok: .success
        case let .status(n): .value(n)
        case let .failed(e): .error(e)
        }
    }
    var isOK: Bool { self == .ok }
}

/// Allocation limits of the kernels, where an allocation failure is the errno a caller sees.
enum KernelLimits {
    /// The largest `kmalloc` (2.4 and 2.6.18 on x86: 128 KiB): PARMGET/PARMSET `oplen`, the
    /// PASSTHRU reply area and each bounce buffer; larger → ENOMEM.
    static let kmallocBytes = 128 * 1024
    /// The largest coherent DMA buffer (MAX_ORDER: 4 MiB): a 2.6.18 SWDL/SWUL fragment; larger → ENOMEM.
    static let dmaBytes = 4 * 1024 * 1024
    /// The result buffer of `i2o_parm_issue` / `i2o_issue_params`.
    static let paramsResultBytes = 65536
    /// The reply buffer of 2.4's `ioctl_html`.
    static let htmlReplyBytes = 65536
    /// What i2osim puts where a kernel copied bytes to the caller that nothing had written (kernel
    /// memory left over from before): a documented fill pattern, never a claim of what a kernel
    /// gave (docs/kernels.md §Unwritten).
    static let unwrittenFill: UInt8 = 0xA5
}

extension Kernel {
    /// The TID the kernel looks a device up by: 2.6.18's `i2o_iop_find_device` takes a u16, so
    /// the caller's 32-bit TID is cut to 16 bits first (0x10008 finds device 0x008); the frame
    /// then goes to the device found. 2.4 looks nothing up (its frames take the low 12 bits).
    func deviceTID(_ tid: UInt32) -> UInt32 {
        switch self {
        case .linux2618: tid & 0xFFFF
        case .linux24: tid
        }
    }

    /// Whether the buffer an SWDL/SWUL fragment of `size` bytes needs can be had (docs/kernels.md
    /// §SWDL): 2.4 takes it with `kmalloc` (128 KiB at most; 0 bytes is a valid allocation);
    /// 2.6.18 with `i2o_dma_alloc`, up to 4 MiB, and a size of 0 asks `get_order(0)` for an order
    /// far above any the allocator has, so it fails too (read from the source, not seen run).
    func allocatesFragment(_ size: UInt32) -> Bool {
        switch self {
        case .linux24: Int(size) <= KernelLimits.kmallocBytes
        case .linux2618: size > 0 && Int(size) <= KernelLimits.dmaBytes
        }
    }

    /// docs/kernels.md §PostWait: no reply (the IOP never answered) → −ETIMEDOUT; 2.6.18 returns the
    /// reply's ReqStatus when it is not 0; 2.4 returns the DetailedStatus, and only when the
    /// ReqStatus is not 0 (a failing ReqStatus with DetailedStatus 0 counts as success).
    func postWait(_ reply: MessageFrame?) -> PostWait {
        guard let reply else { return .failed(.ETIMEDOUT) }
        switch self {
        case .linux2618:
            return reply.reqStatus == .success ? .ok : .status(Int32(reply.reqStatus.rawValue))
        case .linux24:
            if reply.reqStatus == .success || reply.detailedStatus.rawValue == 0 { return .ok }
            return .status(Int32(reply.detailedStatus.rawValue))
        }
    }

    /// The highest user address + 1 `access_ok` accepts for a caller of `abi` (TASK_SIZE of a
    /// 64-bit task, or of a 32-bit task on x86_64).
    static func userLimit(_ abi: CallerABI) -> UInt64 { abi == .lp64 ? 0x0000_7FFF_FFFF_F000 : 0xFFFF_E000 }

    /// `access_ok(buf, size)`: the range lies below TASK_SIZE (nothing is read).
    static func accessOK(_ address: UInt64, _ size: UInt32, abi: CallerABI) -> Bool {
        let (end, overflow) = address.addingReportingOverflow(UInt64(size))
        return !overflow && end <= userLimit(abi)
    }
}

/// A personality that imitates a kernel.
protocol KernelPersonality: Personality {
    var kernel: Kernel { get }
}

extension KernelPersonality {
    /// The kernels keep the count in `i2o_cfg_info.q_lost`, a u16: it wraps at 65,536.
    static func reportedLost(_ lost: Int32) -> Int32 { Int32(UInt16(truncatingIfNeeded: lost)) }

    // The handlers both kernels implement alike (each kernel's file has the ones that differ).
    func hrtGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelTableGet(call, memory: &memory, function: .execHrtGet, copyOnShort: true)
    }
    func parmGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelParams(call, memory: &memory, function: .utilParamsGet)
    }
    func parmSet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelParams(call, memory: &memory, function: .utilParamsSet)
    }
    func swDownload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelSwDownload(call, memory: &memory)
    }
    func swUpload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelSwUpload(call, memory: &memory)
    }
    func swDelete(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try kernelSwDelete(call, memory: &memory)
    }
    func validate(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        kernelValidate(call)
    }

    // MARK: HRTGET / LCTGET

    /// HRTGET / LCTGET as both kernels do them (docs/kernels.md §HRTGET, §LCTGET). Order: struct → EFAULT;
    /// `*reslen` → EFAULT; NULL `resbuf` → EFAULT; IOP → ENXIO; the table is the driver's copy
    /// (`DriverTables`: the IOP is not asked); the length to `*reslen`; longer
    /// than `*reslen` → ENOBUFS, and with `copyOnShort` (HRTGET) the table is copied anyway.
    /// The length is written unchecked (`put_user`'s result ignored): a `*reslen` that can be read
    /// but not written changes nothing else.
    ///
    /// Decision: the kernel copies the whole table over a short buffer; here the copy stops at
    /// `*reslen` bytes (the caller's declared capacity), so the caller gets the table's first
    /// `*reslen` bytes and nothing beyond its buffer is written.
    func kernelTableGet(_ call: IoctlCall, memory: inout some UserMemory, function: I2OFunction, copyOnShort: Bool,
                        transform: @escaping @Sendable ([UInt8]) -> [UInt8] = { $0 }) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.HrtLct(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        var initial = call.engine.peek { s in
            s.machine.withIOP(unit) { function == .execHrtGet ? $0.hrt.byteCount : $0.lctByteCount } ?? 0
        }
        if copyOnShort {
            // The copy may be as long as *reslen: learn it before reserving.
            guard let capacity = try memory.fetch([.u32(a.reslen)], []).u32(0) else { return .error(.EFAULT) }
            initial = min(initial, Int(capacity))
        } else {
            // ENOBUFS never touches `resbuf`: learn *reslen and answer a short one before reserving
            // it (under CUSE a bad `resbuf` would otherwise fail the call with EFAULT).
            guard let capacity = try memory.fetch([.u32(a.reslen)], [], unchecked: [.u32(a.reslen)]).u32(0) else {
                return .error(.EFAULT)
            }
            // (the refusal, and the length to write to *reslen with ENOBUFS)
            let early: (Errno, UInt32?)? = call.engine.locked { s in
                guard a.resbuf != 0 else { return (.EFAULT, nil) }
                guard s.machine.hasIOP(unit) else { return (.ENXIO, nil) }
                guard case let .bytes(table) = s.driverTable(function, unit: unit) else { return nil }
                let length = transform(table).count
                return length > Int(capacity) ? (.ENOBUFS, UInt32(length)) : nil
            }
            if let (e, length) = early {
                return call.finish(length.map { [.u32($0, at: a.reslen, unchecked: true)] } ?? [], .error(e), memory: &memory)
            }
        }
        return try call.run(reserve: initial, memory: &memory, ranges: { n in
            (reads: [.u32(a.reslen)], writes: a.resbuf != 0 && n > 0 ? [UserRange(address: a.resbuf, count: n)] : [])
        }, unchecked: [.u32(a.reslen)], decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard a.resbuf != 0 else { return .fail(.EFAULT) }
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            switch s.driverTable(function, unit: unit) {
            case let .failed(e): return .fail(e)
            case let .tooSmall(n): return .grow(n)
            case let .bytes(wire):
                let table = transform(wire)
                let length = UInt32(table.count)
                if length > capacity {
                    guard copyOnShort else { return .finish([.u32(length, at: a.reslen, unchecked: true)], .error(.ENOBUFS)) }
                    let n = Int(capacity)
                    if n > reserved { return .grow(n) }
                    return .finish([.u32(length, at: a.reslen, unchecked: true),
                                    UserWrite(address: a.resbuf, bytes: Array(table.prefix(n)))], .error(.ENOBUFS))
                }
                if table.count > reserved { return .grow(table.count) }
                return .finish([.u32(length, at: a.reslen, unchecked: true), UserWrite(address: a.resbuf, bytes: table)], .success)
            }
        })
    }

    // MARK: PARMGET / PARMSET

    /// PARMGET / PARMSET (docs/kernels.md §PARMGET, §ParmIssue). Order: struct → EFAULT; `*reslen` → EFAULT;
    /// IOP → ENXIO; (2.6.18) TID not in the LCT → ENXIO; `oplen` above kmalloc's limit →
    /// ENOMEM; `opbuf` → EFAULT; the request; any negative result (no reply, 2.4's −BlockStatus)
    /// → EAGAIN; `len` = the result (2.6.18: 0 or the ReqStatus; 2.4: the result list's
    /// length or the DetailedStatus) to `*reslen`; `len` > `*reslen` → ENOBUFS, nothing copied;
    /// else `len` bytes of the result buffer to `resbuf` (NULL or bad → EFAULT) and 0. `len` is
    /// written unchecked (`put_user`'s result ignored): a read-only `*reslen` changes nothing else.
    /// No NULL-`resbuf` check before the request, no parse check of the operation list: the
    /// IOP judges it. The IOP has carried the request out whatever the ioctl then answers.
    func kernelParams(_ call: IoctlCall, memory: inout some UserMemory, function: I2OFunction) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.PsetGet(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        let oplen = Int(a.oplen)
        let kernel = self.kernel
        // 2.4 copies real result lists (up to 64 KiB): reserve what *reslen allows at once.
        // 2.6.18 copies at most a ReqStatus' worth of bytes, and usually nothing: reserve on demand.
        var initial = 0
        if kernel == .linux24 {
            guard let capacity = try memory.fetch([.u32(a.reslen)], []).u32(0) else { return .error(.EFAULT) }
            initial = min(Int(capacity), KernelLimits.paramsResultBytes)
        }
        // The kernels check the IOP (2.6.18 also the TID) and allocate the list before they copy it
        // from `opbuf`: it is fetched only when those checks will pass, so a bad `opbuf` never hides
        // their errno — under CUSE a range that faults fails the whole call (docs/kernels.md
        // §Personalities, check order). Asked again each round: the IOP may change meanwhile.
        let opsWanted: () -> Bool = {
            guard oplen > 0, oplen <= KernelLimits.kmallocBytes else { return false }
            return call.engine.peek { s in
                guard let iop = s.machine.iops[unit] else { return false }
                return kernel != .linux2618 || EngineState.knows(iop, tid: kernel.deviceTID(a.tid))
            }
        }
        var readOps = false
        return try call.run(reserve: initial, memory: &memory, ranges: { n in
            readOps = opsWanted()
            return (reads: [.u32(a.reslen)] + (readOps ? [UserRange(address: a.opbuf, count: oplen)] : []),
                    writes: a.resbuf != 0 && n > 0 ? [UserRange(address: a.resbuf, count: n)] : [])
        }, unchecked: [.u32(a.reslen)], decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard let iop = s.machine.iops[unit] else { return .fail(.ENXIO) }
            if kernel == .linux2618 { guard EngineState.knows(iop, tid: kernel.deviceTID(a.tid)) else { return .fail(.ENXIO) } }
            guard oplen <= KernelLimits.kmallocBytes else { return .fail(.ENOMEM) }
            var ops: [UInt8] = []
            if oplen > 0 {
                guard readOps else { return .grow(reserved) }   // the checks passed only now: fetch it
                guard let b = got.bytes(1), b.count == oplen else { return .fail(.EFAULT) }
                ops = b
            }
            let tid = TID(rawValue: UInt16(a.tid & 0xFFF))
            let bus = s.bus()
            let result = bus.map(zeroes: KernelLimits.paramsResultBytes)
            let frame = kernel == .linux2618
                ? EngineState.kernel2618ParamsFrame(function, tid: tid, operations: ops, resultAddress: result,
                                                     inboundWords: iop.inboundFrameSize.rawValue)
                : EngineState.kernel24ParamsFrame(function, tid: tid, operationsAddress: bus.map(ops), operationCount: ops.count,
                                                   resultAddress: result)
            guard let (reply, after) = s.attempt(frame, on: unit, memory: bus, for: call.scope) else { return .fail(.ENXIO) }
            let buffer = bus.read(result, count: KernelLimits.paramsResultBytes) ?? []
            let length: Int
            var failed = false
            switch kernel.postWait(reply) {
            case .failed:
                if reply != nil { s.commit(after, unit: unit) }
                return .fail(.EAGAIN)
            case let .status(n):
                length = Int(n)
                failed = true
            case .ok:
                if kernel == .linux2618 {
                    length = 0
                } else {
                    switch EngineState.resultListLength(buffer) {
                    case let .length(n): length = n
                    case .blockStatus:
                        s.commit(after, unit: unit)
                        return .fail(.EAGAIN)
                    }
                }
            }
            if UInt32(length) > capacity {
                s.commit(after, unit: unit)
                return .finish([.u32(UInt32(length), at: a.reslen, unchecked: true)], .error(.ENOBUFS))
            }
            if length > 0 && a.resbuf == 0 {
                s.commit(after, unit: unit)
                return .finish([.u32(UInt32(length), at: a.reslen, unchecked: true)], .error(.EFAULT))
            }
            if length > reserved { return .grow(length) }
            s.commit(after, unit: unit)
            // 2.4's i2o_issue_params returns a failing status before it copies the IOP's result
            // into the ioctl's buffer, which the ioctl then copies out unwritten (§Unwritten).
            let copied = failed && kernel == .linux24
                ? [UInt8](repeating: KernelLimits.unwrittenFill, count: length) : Array(buffer.prefix(length))
            return .finish([.u32(UInt32(length), at: a.reslen, unchecked: true), UserWrite(address: a.resbuf, bytes: copied)], .success)
        })
    }

    // MARK: SWDL / SWUL / SWDEL / VALIDATE

    /// SWDL/SWUL's first two rounds in both kernels: the struct, then `*swlen`, `*maxfrag` and
    /// `*curfrag` (the two counts cut to 8 bits); nil when any of them faults.
    static func fragmentCounts(_ call: IoctlCall, memory: inout some UserMemory)
        throws(NeedsRound) -> (IoctlStructs.SwXfer, swlen: UInt32, maxfrag: UInt32, curfrag: UInt32)? {
        guard let raw = try call.fetchStruct(&memory) else { return nil }
        let a = IoctlStructs.SwXfer(raw, abi: call.abi)
        let got = try memory.fetch([.u32(a.swlen), .u32(a.maxfrag), .u32(a.curfrag)], [])
        guard let swlen = got.u32(0), let maxfrag = got.u32(1).map({ $0 & 0xFF }),
              let curfrag = got.u32(2).map({ $0 & 0xFF }) else { return nil }
        return (a, swlen, maxfrag, curfrag)
    }

    /// The fragment size both kernels compute (docs/kernels.md §SWDL step 3): 8192, or for the
    /// fragment with `curfrag == maxfrag` `swlen − (maxfrag − 1) × 8192`, in unsigned 32-bit
    /// arithmetic with no sanity check. `maxfrag` and `curfrag` are already cut to 8 bits.
    static func fragmentSize(swlen: UInt32, maxfrag: UInt32, curfrag: UInt32) -> UInt32 {
        curfrag == maxfrag ? swlen &- (maxfrag &- 1) &* UInt32(fragmentBytes) : UInt32(fragmentBytes)
    }

    /// SWDL (docs/kernels.md §SWDL). Order: struct → EFAULT; `*swlen`, `*maxfrag`, `*curfrag` → EFAULT
    /// (the two counts cut to 8 bits); the fragment size; NULL `buf` or a range beyond the user
    /// address space → EFAULT; IOP → ENXIO; no buffer for the fragment (`Kernel.allocatesFragment`) →
    /// ENOMEM; the fragment is copied from `buf` with the result ignored (a fault leaves zeroes); the 9-word
    /// ExecSwDownload (element `0xD0000000 | size`, as the kernel) to TID 0; 0, the positive
    /// status (2.6.18 ReqStatus, 2.4 DetailedStatus), or ETIMEDOUT.
    func kernelSwDownload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let (a, swlen, maxfrag, curfrag) = try Self.fragmentCounts(call, memory: &memory) else { return .error(.EFAULT) }
        let size = Self.fragmentSize(swlen: swlen, maxfrag: maxfrag, curfrag: curfrag)
        guard a.buf != 0, Kernel.accessOK(a.buf, size, abi: call.abi) else { return .error(.EFAULT) }
        let unit = IOPUnit(rawValue: a.iop)
        guard call.engine.peek({ $0.machine.hasIOP(unit) }) else { return .error(.ENXIO) }
        guard kernel.allocatesFragment(size) else { return .error(.ENOMEM) }
        // The kernel ignores a faulting copy (zeroes go to the IOP); a CUSE transport cannot read
        // past a fault and carry on, so here — in every transport alike — the fault is EFAULT.
        var fragment: [UInt8] = []
        if size > 0 {
            guard let b = try memory.fetch([UserRange(address: a.buf, count: Int(size))], []).bytes(0),
                  b.count == Int(size) else { return .error(.EFAULT) }
            fragment = b
        }
        let kernel = self.kernel
        return call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .error(.ENXIO) }
            let bus = s.bus()
            let address = bus.map(fragment)
            let frame = EngineState.swFrame(.execSwDownload, a, maxfrag: maxfrag, curfrag: curfrag, swlen: swlen,
                                            element: SGLFlags.simpleLastIn.word(count: size), address: address)
            return kernel.postWait(s.post(frame, to: unit, memory: bus, for: call.scope)).result
        }
    }

    /// SWUL (docs/kernels.md §SWUL). Order: struct → EFAULT; the three counts → EFAULT; NULL `buf` →
    /// EFAULT; (2.4 only) `access_ok(WRITE)` → EFAULT; IOP → ENXIO; no buffer for the fragment
    /// (`Kernel.allocatesFragment`) → ENOMEM; ExecSwUpload; on success the fragment size's bytes (computed from the
    /// caller's counts, not the module) to `buf` → EFAULT on fault, 0; else the positive status
    /// or ETIMEDOUT. `*swlen` and `*maxfrag` are inputs only: never written.
    func kernelSwUpload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let (a, swlen, maxfrag, curfrag) = try Self.fragmentCounts(call, memory: &memory) else { return .error(.EFAULT) }
        let size = Self.fragmentSize(swlen: swlen, maxfrag: maxfrag, curfrag: curfrag)
        guard a.buf != 0 else { return .error(.EFAULT) }
        if kernel == .linux24 { guard Kernel.accessOK(a.buf, size, abi: call.abi) else { return .error(.EFAULT) } }
        let unit = IOPUnit(rawValue: a.iop)
        guard call.engine.peek({ $0.machine.hasIOP(unit) }) else { return .error(.ENXIO) }
        guard kernel.allocatesFragment(size) else { return .error(.ENOMEM) }
        let kernel = self.kernel
        // An upload changes nothing in the IOP: post first, reserve `buf` only when there is
        // something to copy (a round trip here reruns the request harmlessly).
        let (outcome, bytes): (PostWait, [UInt8]) = call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return (.failed(.ENXIO), []) }
            let bus = s.bus()
            let address = bus.map(zeroes: Int(size))
            let frame = EngineState.swFrame(.execSwUpload, a, maxfrag: maxfrag, curfrag: curfrag, swlen: swlen,
                                            element: SGLFlags.simpleLastIn.word(count: size), address: address)
            let w = kernel.postWait(s.post(frame, to: unit, memory: bus, for: call.scope))
            return (w, w.isOK ? bus.read(address, count: Int(size)) ?? [] : [])
        }
        guard outcome.isOK, !bytes.isEmpty else { return outcome.result }
        _ = try memory.fetch([], [UserRange(address: a.buf, count: bytes.count)])
        return call.finish([UserWrite(address: a.buf, bytes: bytes)], .success, memory: &memory)
    }

    /// SWDEL (docs/kernels.md §SWDEL). Order: struct → EFAULT; `*swlen` → EFAULT; IOP → ENXIO; the
    /// 7-word ExecSwRemove; **any** failure (IOP error or no reply) → ETIMEDOUT; else 0.
    /// `*swlen` is not written back; `buf`, `maxfrag`, `curfrag` are not used.
    func kernelSwDelete(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.SwXfer(raw, abi: call.abi)
        guard let swlen = try memory.fetch([.u32(a.swlen)], []).u32(0) else { return .error(.EFAULT) }
        let unit = IOPUnit(rawValue: a.iop)
        let kernel = self.kernel
        return call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .error(.ENXIO) }
            let frame = MessageFrame(function: .execSwRemove, target: .executive, initiatorContext: EngineState.initiatorContext,
                                     payload: [UInt32(a.flags) << 24 | UInt32(a.swType) << 16, swlen, a.swID])
            return kernel.postWait(s.post(frame, to: unit, memory: BusMemory(), for: call.scope)).isOK ? .success : .error(.ETIMEDOUT)
        }
    }

    /// VALIDATE (docs/kernels.md §VALIDATE): the IOP number by value; IOP → ENXIO; a 4-word
    /// ExecConfigValidate whose TargetAddress is the **IOP unit number** (right only for unit 0);
    /// any failure → ETIMEDOUT; else 0.
    func kernelValidate(_ call: IoctlCall) -> IoctlResult {
        let unit = IOPUnit(rawValue: UInt32(truncatingIfNeeded: call.argument))
        let kernel = self.kernel
        return call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .error(.ENXIO) }
            let frame = MessageFrame(function: .execConfigValidate, target: TID(rawValue: UInt16(unit.rawValue & 0xFFF)),
                                     initiatorContext: EngineState.initiatorContext)
            return kernel.postWait(s.post(frame, to: unit, memory: BusMemory(), for: call.scope)).isOK ? .success : .error(.ETIMEDOUT)
        }
    }

    /// `poll()`: neither kernel has a `poll` method, so the VFS reports the default mask —
    /// readable (and writable, `fileOperations`) at all times.
    func isReadable(_ engine: Engine, file: OpenFileID) -> Bool { true }
}

/// How 2.4's `i2o_issue_params` measures a result list.
enum ResultListMeasure: Equatable {
    /// 4 + Σ BlockSize × 4.
    case length(Int)
    /// Exactly one block, with this non-zero BlockStatus (returned negated → EAGAIN).
    case blockStatus(UInt8)
}

extension EngineState {
    /// 2.6.18's UtilParamsGet/Set (docs/kernels.md §Frames): the operation list as immediate data in the
    /// frame, the result SGL always 65536 bytes. A frame longer than the IOP's inbound frame is
    /// cut at InboundFrameSize words (the kernel overruns it; the IOP then sees a frame whose
    /// MessageSize exceeds what it holds and fails it).
    static func kernel2618ParamsFrame(_ function: I2OFunction, tid: TID, operations: [UInt8], resultAddress: UInt64,
                                      inboundWords: Int) -> MessageFrame {
        let full = paramsFrame(function, tid: tid, operations: operations, resultCapacity: KernelLimits.paramsResultBytes,
                               resultAddress: resultAddress)
        guard full.words.count > inboundWords else { return full }
        return MessageFrame(words: Array(full.words.prefix(max(inboundWords, 4))))
    }

    /// 2.4's UtilParamsGet/Set: 9 words, SGL at word 5: the operation list in its own buffer
    /// (`0x54000000 | oplen`, host→IOP) and the 65536-byte result buffer (`0xD0000000 | 65536`).
    static func kernel24ParamsFrame(_ function: I2OFunction, tid: TID, operationsAddress: UInt64, operationCount: Int,
                                    resultAddress: UInt64) -> MessageFrame {
        MessageFrame(function: function, target: tid, initiatorContext: initiatorContext, sglOffset: 5,
                     payload: [0, SGLFlags.simpleOut.word(count: operationCount), UInt32(truncatingIfNeeded: operationsAddress),
                               SGLFlags.simpleLastIn.word(count: KernelLimits.paramsResultBytes),
                               UInt32(truncatingIfNeeded: resultAddress)])
    }

    /// 2.4's walk of a result list: ResultCount blocks of BlockSize words after the 4-byte header.
    static func resultListLength(_ list: [UInt8]) -> ResultListMeasure {
        guard list.count >= 4 else { return .length(4) }
        let count = Int(list.readLE16(at: 0))
        if count == 1, list.count >= 8, list[6] != 0 { return .blockStatus(list[6]) }
        var length = 4, offset = 4
        for _ in 0..<count {
            guard offset + 4 <= list.count else { break }
            let words = Int(list.readLE16(at: offset))
            length += words * 4
            offset += words * 4
        }
        return .length(length)
    }

    /// The LCT as 2.6.18's `i2o_device_parse_lct` rebuilds it: header words 1 (IopFlags) and 2
    /// (CurrentChangeIndicator) swapped; entries taken at a 9-word stride (the wire bytes, as
    /// every simulated IOP reports 9-word entries).
    static func lct2618(_ wire: [UInt8]) -> [UInt8] {
        guard wire.count >= 12 else { return wire }
        var b = wire
        b.replaceSubrange(4..<8, with: wire[8..<12])
        b.replaceSubrange(8..<12, with: wire[4..<8])
        return b
    }
}
