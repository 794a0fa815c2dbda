import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OPASSTHRU, I2OPASSTHRU32.

extension Personality {
    /// I2OPASSTHRU / I2OPASSTHRU32: the request frame at `msg` is posted to the IOP as it is
    /// (its contexts preserved), simple SGL elements are followed both ways, and the IOP's real
    /// reply frame is copied into the reply area that follows the request.
    ///
    /// Order: struct → EFAULT; IOP → ENXIO; word 0 of the frame → EFAULT; S = its MessageSize:
    /// S above the IOP's InboundFrameSize, or below the 3-word header → EINVAL; the S words →
    /// EFAULT; the reply area's word 0 → EFAULT (R = its MessageSize, the capacity preset by
    /// the caller); SGL (offset = bits 4–7 of word 0): offset not inside the frame, an element
    /// overrunning the frame, more than 30 elements, a non-simple element → EINVAL; SGL buffers
    /// larger than `Limits.passthruBufferBytes` together → ENOMEM; a host→IOP buffer → EFAULT.
    ///
    /// Decisions where the kernel has no equivalent:
    /// - **Four fetch rounds**, the only ioctl with more than three: the struct; word 0 (S is
    ///   unknown until it is read); the frame and the reply area's word 0; then the SGL buffers
    ///   (host→IOP read, IOP→host written) with the reply area, whose addresses and R are only
    ///   known from the frame.
    /// - **No reply** from the IOP (UtilNOP, ExecStatusGet, UtilEventRegister, an ExecLctNotify
    ///   that waits) → ETIMEDOUT, as the kernel's post-wait would time out.
    /// - **ReqStatus ≠ 0 is not an errno**: the ioctl returns 0 and the caller reads the status
    ///   from word 4 of the reply it receives; IOP→host buffers are copied back only on success
    ///   (as the kernel does).
    /// - The reply area receives min(R, reply MessageSize, 128) words; the rest is left as it was.
    func passthru(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        var frame: PassthruFrame
        switch try PassthruFrame.fetch(call, memory: &memory, badSize: .EINVAL, minimumSize: 3) {
        case let .success(f): frame = f
        case let .failure(e): return .error(e)
        }
        let (unit, size, replyAt) = (frame.unit, frame.size, frame.replyAt)
        var words = frame.takeWords()
        let replyCapacity = min(frame.replyWords, Limits.replyWords)

        // The SGL: simple 2-word elements to the end of the frame.
        var elements: [PassthruElement] = []
        let offset = frame.sglOffset
        if offset != 0 {
            guard offset < size, (size - offset) % 2 == 0 else { return .error(.EINVAL) }
            let n = (size - offset) / 2
            guard n <= Limits.passthruElements else { return .error(.EINVAL) }
            for i in 0..<n {
                let at = offset + 2 * i
                let flags = UInt8(words[at] >> 24)
                guard flags & 0x30 == 0x10 else { return .error(.EINVAL) }
                elements.append(PassthruElement(index: at, flags: flags, count: Int(words[at] & 0xFF_FFFF), user: UInt64(words[at + 1])))
            }
        }
        guard elements.reduce(0, { $0 + $1.count }) <= Limits.passthruBufferBytes else { return .error(.ENOMEM) }
        // Host→IOP buffers are read, IOP→host ones and the reply area written (one pass, no arrays).
        var toIOP = UserRanges(), toHost = UserRanges()
        for e in elements where e.count > 0 {
            if e.flags & SGLFlags.hostToIOP.rawValue != 0 { toIOP.append(UserRange(address: e.user, count: e.count)) }
            else { toHost.append(UserRange(address: e.user, count: e.count)) }
        }
        if replyCapacity > 0 { toHost.append(UserRange(address: replyAt, count: replyCapacity * 4)) }
        let buffers = try memory.fetch(toIOP, toHost)
        // The host→IOP elements' bytes, by element (in the order of `elements`).
        var data = [[UInt8]?](repeating: nil, count: elements.count)
        var next = 0
        for (k, e) in elements.enumerated() where e.flags & SGLFlags.hostToIOP.rawValue != 0 && e.count > 0 {
            guard let b = buffers.bytes(next), b.count == e.count else { return .error(.EFAULT) }
            data[k] = b
            next += 1
        }

        let step: Step = call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            let bus = s.bus()
            for k in elements.indices {
                // Host→IOP: the caller's bytes; IOP→host: room the IOP fills (zero until written, no copy).
                let address = data[k].map { bus.map($0) } ?? bus.map(zeroes: elements[k].count)
                words[elements[k].index + 1] = UInt32(truncatingIfNeeded: address)
                elements[k].bus = address
            }
            guard let reply = s.post(MessageFrame(words: words), to: unit, memory: bus, for: call.scope, passthru: true) else {
                return .fail(.ETIMEDOUT)
            }
            var writes: UserWrites = []
            if reply.reqStatus == .success {
                for e in elements where e.flags & SGLFlags.hostToIOP.rawValue == 0 && e.count > 0 {
                    writes.append(UserWrite(address: e.user, bytes: bus.read(e.bus, count: e.count) ?? []))
                }
            }
            let replyWords = min(replyCapacity, reply.messageSize.rawValue, reply.words.count)
            if replyWords > 0 {
                writes.append(UserWrite(address: replyAt, bytes: reply.words.prefix(replyWords).littleEndianBytes))
            }
            return .finish(writes, .success)
        }
        switch step {
        case let .finish(writes, result): return call.finish(writes, result, memory: &memory)
        case .grow: return .error(.EIO)
        }
    }
}

/// One simple SGL element of a PASSTHRU frame: its word index, flag byte, byte count, user address,
/// and the bus address its buffer is mapped at once the frame is posted.
struct PassthruElement: Sendable {
    var index: Int
    var flags: UInt8
    var count: Int
    var user: UInt64
    var bus: UInt64 = 0
}

/// What the first three rounds of PASSTHRU fetch, in both personalities' order: the struct (→ EFAULT);
/// the IOP (→ ENXIO); the frame's word 0 (→ EFAULT); its MessageSize S checked against the IOP's
/// InboundFrameSize and `minimumSize` (→ `badSize`); the S words and the reply area's word 0 (→ EFAULT).
struct PassthruFrame {
    let unit: IOPUnit
    let word0: UInt32
    /// S, in words.
    let size: Int
    private(set) var words: [UInt32]
    /// The reply area: right after the frame.
    let replyAt: UInt64
    let replyWord0: UInt32
    /// R: the reply area's capacity in words, as the caller preset its word 0.
    var replyWords: Int { Int(replyWord0 >> 16) }
    /// The SGL's offset in words (word 0 bits 4–7; 0: no SGL).
    var sglOffset: Int { Int(word0 >> 4 & 0xF) }

    /// The frame's words, taken out (so the caller changes them without a copy).
    mutating func takeWords() -> [UInt32] {
        let w = words
        words = []
        return w
    }

    static func fetch(_ call: IoctlCall, memory: inout some UserMemory, badSize: Errno,
                      minimumSize: Int) throws(NeedsRound) -> Result<PassthruFrame, Errno> {
        guard let raw = try call.fetchStruct(&memory) else { return .failure(.EFAULT) }
        let a = IoctlStructs.Passthru(raw, kind: call.command.kind, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        guard let inbound = call.engine.peek({ $0.machine.withIOP(unit) { $0.inboundFrameSize.rawValue } }) else {
            return .failure(.ENXIO)
        }
        guard let w0 = try memory.fetch([.u32(a.msg)], []).u32(0) else { return .failure(.EFAULT) }
        let size = Int(w0 >> 16)
        guard size <= inbound, size >= minimumSize else { return .failure(badSize) }
        let replyAt = a.msg &+ UInt64(size * 4)
        let got = try memory.fetch([UserRange(address: a.msg, count: size * 4), .u32(replyAt)], [])
        guard let frameBytes = got.bytes(0), frameBytes.count == size * 4,
              let words = try? frameBytes.littleEndianWords(what: "passthru frame") else { return .failure(.EFAULT) }
        guard let replyWord0 = got.u32(1) else { return .failure(.EFAULT) }
        return .success(PassthruFrame(unit: unit, word0: w0, size: size, words: words, replyAt: replyAt,
                                      replyWord0: replyWord0))
    }
}
