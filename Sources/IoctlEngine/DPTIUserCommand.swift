import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OUSRCMD: dpt_i2o's pass-through (`adpt_i2o_passthru`), docs/dpti.md §I2OUSRCMD.

extension DPTINode {
    /// I2OUSRCMD: `arg` points at the request frame itself (no struct), its reply area right after
    /// it (S = the frame's MessageSize, in words). The frame goes to this node's IOP.
    ///
    /// The driver's order: word 0 → EFAULT; S above 128 words (`MAX_MESSAGE_SIZE`) → EFAULT; the S
    /// words → EFAULT; the reply area's word 0, whose fault the driver ignores (no reply is copied
    /// then): R = min(its MessageSize, 17) words. SGL (offset = bits 4–7 of word 0, elements to the
    /// end of the frame, a trailing odd word ignored, an offset past the frame wrapping to a huge
    /// count): more than `sg_tablesize` elements → EINVAL; then element by element: without the
    /// simple-address bit (0x10000000) → EINVAL; its buffer (the byte count, bits 0–23) not
    /// allocated → ENOMEM; a host→IOP one (0x04000000) → EFAULT. The addresses are 32-bit: an
    /// x86_64 caller's buffers must lie below 4 GiB. Then the frame is posted, its words 2 and 3
    /// replaced by the driver's contexts (0xC0000000 | post-wait id, the ioctl's context).
    ///
    /// After the reply: a failed request whose DetailedStatus is UNSUPPORTED_FUNCTION (0x000A) →
    /// EOPNOTSUPP and nothing is copied; any other ReqStatus is no errno. The kernel driver then
    /// reads the frame again and, by a bytes-for-words slip, refuses one over 32 words that has an
    /// SGL → EINVAL, nothing copied (the documented personality copies back). Every IOP→host buffer
    /// is copied back, whatever the ReqStatus (→ EFAULT, and the reply is not copied); then the
    /// reply — the IOP's frame, zero-filled to 17 words, with the caller's words 2 and 3 — its
    /// first R words (→ EFAULT).
    ///
    /// Decision: a frame the IOP does not answer costs the post-wait of a pass-through, then
    /// ETIMEDOUT; the driver would sleep until a signal.
    func userCommand(_ arg: UInt64, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let w0 = try memory.fetch([.u32(arg)], []).u32(0) else { return .error(.EFAULT) }
        let size = Int(w0 >> 16)
        guard size <= DPTILimits.maxMessageWords else { return .error(.EFAULT) }
        let replyAt = arg &+ UInt64(size * 4)
        let got = try memory.fetch([UserRange(address: arg, count: size * 4), .u32(replyAt), UserRange(address: arg &+ 8, count: 8)], [])
        guard let frameBytes = got.bytes(0), frameBytes.count == size * 4,
              var words = try? frameBytes.littleEndianWords(what: "I2OUSRCMD frame") else { return .error(.EFAULT) }
        let replyBytes = min(Int((got.u32(1) ?? 0) >> 16), DPTILimits.replyWords) * 4
        let callerContexts = got.bytes(2)

        // The SGL, as far as the driver gets before an error.
        let offset = Int((words.first ?? 0) >> 4 & 0xF)
        var elements: [DPTIElement] = []
        var failure: Errno?
        if offset != 0 {
            let inbound = engine.peek { $0.machine.withIOP(unit) { Int($0.inboundFrameSize.rawValue) } } ?? 0
            // (size·4 − offset·4) / 8 in the driver's u32 arithmetic: an offset past the frame wraps.
            let count = offset > size ? Int.max : (size - offset) / 2
            guard count <= DPTILimits.sgTableSize(inboundFrameWords: inbound) else { return .error(.EINVAL) }
            var total = 0
            for i in 0..<count {
                let at = offset + 2 * i
                guard words[at] & 0x1000_0000 != 0 else { failure = .EINVAL; break }
                let e = DPTIElement(index: at, flagCount: words[at], user: UInt64(words[at + 1]))
                total += e.count
                guard total <= Limits.passthruBufferBytes else { failure = .ENOMEM; break }
                elements.append(e)
            }
        }
        let outgoing = elements.filter { $0.hostToIOP && $0.count > 0 }
        let incoming = failure == nil ? elements.filter { !$0.hostToIOP && $0.count > 0 } : []
        let buffers = try memory.fetch(
            UserRanges(outgoing.lazy.map { UserRange(address: $0.user, count: $0.count) }),
            failure != nil ? [] : UserRanges(incoming.lazy.map { UserRange(address: $0.user, count: $0.count) }
                + (replyBytes > 0 ? [UserRange(address: replyAt, count: replyBytes)] : [])))
        var data: [Int: [UInt8]] = [:]
        for (i, e) in outgoing.enumerated() {
            guard let b = buffers.bytes(i), b.count == e.count else { return .error(.EFAULT) }
            data[e.index] = b
        }
        if let failure { return .error(failure) }
        if words.count < 4 { words += [UInt32](repeating: 0, count: 4 - words.count) }

        let step: Step = engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            let bus = s.bus()
            var mapped: [(DPTIElement, UInt64)] = []
            for e in elements {
                let address = bus.map(data[e.index] ?? [UInt8](repeating: 0, count: e.count))
                words[e.index + 1] = UInt32(truncatingIfNeeded: address)
                mapped.append((e, address))
            }
            let id = state.withLock { $0.waitID() }
            words[2] = 0xC000_0000 | id
            words[3] = id
            guard let reply = s.post(MessageFrame(words: words), to: unit, memory: bus, passthru: true) else {
                return .fail(.ETIMEDOUT)
            }
            if reply.reqStatus != .success, reply.detailedStatus.rawValue == 0x000A { return .fail(.EOPNOTSUPP) }
            if kernel, offset != 0, size * 4 > DPTILimits.maxMessageWords { return .fail(.EINVAL) }
            var writes: UserWrites = []
            for (e, address) in mapped where !e.hostToIOP && e.count > 0 {
                writes.append(UserWrite(address: e.user, bytes: bus.read(address, count: e.count) ?? []))
            }
            if replyBytes > 0 {
                var r = Array(reply.words.prefix(DPTILimits.replyWords))
                r += [UInt32](repeating: 0, count: DPTILimits.replyWords - r.count)
                if let c = callerContexts, c.count == 8 {
                    r[2] = UInt32(c[0]) | UInt32(c[1]) << 8 | UInt32(c[2]) << 16 | UInt32(c[3]) << 24
                    r[3] = UInt32(c[4]) | UInt32(c[5]) << 8 | UInt32(c[6]) << 16 | UInt32(c[7]) << 24
                }
                writes.append(UserWrite(address: replyAt, bytes: Array(r.littleEndianBytes.prefix(replyBytes))))
            }
            // The caller's contexts that could not be read fail the call, the reply copied all the same.
            return .finish(writes, callerContexts == nil && replyBytes > 0 ? .error(.EFAULT) : .success)
        }
        switch step {
        case let .finish(writes, result): return writes.store(into: &memory) ? result : .error(.EFAULT)
        case .grow: return .error(.EIO)
        }
    }
}

/// One SGL element of an I2OUSRCMD frame: its word index, flags and count, 32-bit user address.
struct DPTIElement: Sendable {
    var index: Int
    var flagCount: UInt32
    var user: UInt64
    var count: Int { Int(flagCount & 0xFF_FFFF) }
    /// The direction bit (0x04000000): the buffer goes to the IOP.
    var hostToIOP: Bool { flagCount & 0x0400_0000 != 0 }
}
