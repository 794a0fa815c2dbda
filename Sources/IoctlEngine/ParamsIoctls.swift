import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OPARMGET, I2OPARMSET.

extension Personality {
    func parmGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try params(call, memory: &memory, function: .utilParamsGet)
    }
    func parmSet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try params(call, memory: &memory, function: .utilParamsSet)
    }

    /// PARMGET / PARMSET. Order: struct → EFAULT; `*reslen` → EFAULT; NULL `resbuf` → EFAULT;
    /// IOP → ENXIO; TID → ENXIO; `oplen` beyond what the IOP's inbound frame can carry → EINVAL;
    /// `opbuf` → EFAULT; a list that does not parse (shorter than its 4-byte header, or ending
    /// inside an operation) → EINVAL; UtilParamsGet/Set carries it out; a failing reply (no
    /// result list at all: a known failure of the device, a malformed frame) → EIO; the result
    /// list longer than `*reslen` → its length to `*reslen`, ENOBUFS, nothing copied and — for a
    /// set — nothing changed; else the length to `*reslen` and the list to `resbuf`.
    /// Per-operation failures are BlockStatus values inside the list: the ioctl returns 0.
    ///
    /// The IOP always gets a `Limits.paramsResultBytes` result buffer (the kernel's DMA buffer).
    /// The `resbuf` reservation in the caller's memory is that size for PARMGET — a reservation
    /// only: transports check just the bytes written — but for PARMSET exactly the result's
    /// length, asked for in one more round once a dry run on a copy of the IOP knows it, so a
    /// transport can check `resbuf` before the set is carried out (a bad buffer then changes
    /// nothing) without ever requiring 64 KiB behind a small buffer. Never `*reslen`.
    func params(_ call: IoctlCall, memory: inout some UserMemory, function: I2OFunction) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.PsetGet(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        // `opbuf` is fetched only when the IOP and TID checks before it will pass (an unknown IOP or
        // TID: limit 0), so a bad `opbuf` never hides their ENXIO, in any transport.
        let peekLimit = call.engine.peek { s in
            s.machine.withIOP(unit) { EngineState.knows($0, tid: a.tid) ? EngineState.maxOperationListBytes($0) : 0 } ?? 0
        }
        let oplen = Int(a.oplen)
        let readOps = oplen > 0 && oplen <= peekLimit
        let isSet = function == .utilParamsSet
        return try call.run(reserve: isSet ? 0 : Limits.paramsResultBytes, memory: &memory, ranges: { n in
            var reads = UserRanges(), writes = UserRanges()
            reads.append(.u32(a.reslen)); writes.append(.u32(a.reslen))
            if readOps { reads.append(UserRange(address: a.opbuf, count: oplen)) }
            if a.resbuf != 0 && n > 0 { writes.append(UserRange(address: a.resbuf, count: n)) }
            return (reads, writes)
        }, decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard a.resbuf != 0 else { return .fail(.EFAULT) }
            guard let iop = s.machine.iops[unit] else { return .fail(.ENXIO) }
            guard EngineState.knows(iop, tid: a.tid) else { return .fail(.ENXIO) }
            let tid = TID(rawValue: UInt16(a.tid))
            let limit = EngineState.maxOperationListBytes(iop)
            guard oplen <= limit else { return .fail(.EINVAL) }
            let ops: ArraySlice<UInt8>
            if oplen == 0 {
                ops = []
            } else {
                // The limit may have grown since the fetch was sized: then the list was not read.
                guard readOps else { return .grow(reserved) }
                guard let b = got.slice(1), b.count == oplen else { return .fail(.EFAULT) }
                ops = b
            }
            guard EngineState.parses(ops, iop: iop, tid: tid) else { return .fail(.EINVAL) }
            let memory = s.bus()
            let iopCapacity = Limits.paramsResultBytes
            let result = memory.map(zeroes: iopCapacity)
            let frame = EngineState.paramsFrame(function, tid: tid, operations: ops, resultCapacity: iopCapacity,
                                                resultAddress: result)
            // A get changes nothing: it goes to the IOP itself. A set goes to a copy, made real
            // only once its result is known to reach the caller.
            let reply: MessageFrame?, after: IOP?
            if isSet {
                guard let (r, a) = s.attempt(frame, on: unit, memory: memory, for: call.scope) else { return .fail(.ENXIO) }
                (reply, after) = (r, a)
            } else {
                (reply, after) = (s.post(frame, to: unit, memory: memory, for: call.scope), nil)
            }
            if let e = EngineState.failure(of: reply) {
                if reply != nil, let after { s.commit(after, unit: unit) }
                return .fail(e)
            }
            let length = Int(reply?[word: 5] ?? 0)
            guard length <= iopCapacity, let list = memory.read(result, count: length) else { return .fail(.EIO) }
            if UInt32(length) > capacity { return .finish([.u32(UInt32(length), at: a.reslen)], .error(.ENOBUFS)) }
            // A set is carried out only once the caller's buffer for its result is in hand.
            if reserved < length { return .grow(length) }
            if let after { s.commit(after, unit: unit) }
            return .finish([.u32(UInt32(length), at: a.reslen), UserWrite(address: a.resbuf, bytes: list)], .success)
        })
    }
}

extension EngineState {
    /// The longest operation list the IOP's inbound frame can carry as immediate data: the
    /// frame holds the header (4 words), OperationFlags, the immediate element's word, the list
    /// and the result element (2 words).
    static func maxOperationListBytes(_ iop: IOP) -> Int {
        max(0, iop.inboundFrameSize.rawValue - 8) * 4
    }

    /// UtilParamsGet/Set as docs/kernels.md §Frames builds it: word 4 = 0 (OperationFlags); SGL at word 5:
    /// the operation list as immediate data (`0x4C000000 | oplen`, padded to a word), then
    /// `0xD0000000 | capacity` and the result buffer's address.
    static func paramsFrame(_ function: I2OFunction, tid: TID, operations: [UInt8], resultCapacity: Int,
                            resultAddress: UInt64) -> MessageFrame {
        paramsFrame(function, tid: tid, operations: operations[...], resultCapacity: resultCapacity, resultAddress: resultAddress)
    }
    static func paramsFrame(_ function: I2OFunction, tid: TID, operations: ArraySlice<UInt8>, resultCapacity: Int,
                            resultAddress: UInt64) -> MessageFrame {
        MessageFrame(function: function, target: tid, initiatorContext: initiatorContext, sglOffset: 5,
                     payloadCount: 4 + (operations.count + 3) / 4) { payload in
            payload.append(0)
            payload.append(SGLFlags.immediate.word(count: operations.count))
            operations.withUnsafeBufferPointer { ops in
                var i = 0
                while i + 4 <= ops.count {
                    payload.append(UInt32(ops[i]) | UInt32(ops[i + 1]) << 8 | UInt32(ops[i + 2]) << 16 | UInt32(ops[i + 3]) << 24)
                    i += 4
                }
                if i < ops.count {
                    var w: UInt32 = 0
                    for b in 0..<ops.count - i { w |= UInt32(ops[i + b]) << (8 * b) }
                    payload.append(w)
                }
            }
            payload.append(SGLFlags.simpleLastIn.word(count: resultCapacity))
            payload.append(UInt32(truncatingIfNeeded: resultAddress))
        }
    }

    /// Whether an operation list parses: a 4-byte header, and no operation that the list ends
    /// inside. An unknown group, field or operation code is not a parse failure: the IOP
    /// reports it as BlockStatus.
    static func parses(_ ops: ArraySlice<UInt8>, iop: IOP, tid: TID) -> Bool {
        iop.operationListParses(ops, for: tid)
    }
}
