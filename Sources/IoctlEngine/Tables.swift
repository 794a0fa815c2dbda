import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OGETIOPS, I2OHRTGET, I2OLCTGET.

extension Personality {
    /// I2OGETIOPS: `u8[32]`, entry i = 1 when IOP unit i exists. One fetch (the write reservation).
    func getIOPs(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        _ = try memory.fetch([], [UserRange(address: call.argument, count: IOPUnit.maxControllers)])
        // One pass over the IOPs there are, not a lookup per slot.
        let present: UInt64 = call.engine.peek { s in
            var mask: UInt64 = 0
            for unit in s.machine.iops.keys where unit.rawValue < UInt32(IOPUnit.maxControllers) { mask |= 1 << UInt64(unit.rawValue) }
            return mask
        }
        // (Not `Array(repeating:count:)`: it allocates through the standard library's unspecialized
        // path, a run-time metadata lookup that costs more than the rest of this ioctl.)
        var table: [UInt8] = []
        table.reserveCapacity(IOPUnit.maxControllers)
        for i in 0..<IOPUnit.maxControllers { table.append(UInt8(truncatingIfNeeded: present >> UInt64(i) & 1)) }
        return call.finish([UserWrite(address: call.argument, bytes: table)], .success, memory: &memory)
    }

    /// I2OHRTGET: the raw HRT (ExecHrtGet) to `resbuf`, its length to `*reslen`.
    func hrtGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try tableGet(call, memory: &memory, function: .execHrtGet) { $0.hrt.byteCount }
    }

    /// I2OLCTGET: the LCT in wire format (ExecLctNotify, LastReportedChangeIndicator 0).
    func lctGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try tableGet(call, memory: &memory, function: .execLctNotify) { $0.lctByteCount }
    }

    /// HRTGET / LCTGET. Order: struct → EFAULT; `*reslen` → EFAULT; NULL `resbuf` → EFAULT;
    /// IOP → ENXIO; the table is read from the IOP; `*reslen` < length → the length written to
    /// `*reslen`, ENOBUFS, nothing copied; else length to `*reslen` and the table to `resbuf`.
    /// The `resbuf` write reservation is the table's length, not `*reslen`.
    func tableGet(_ call: IoctlCall, memory: inout some UserMemory, function: I2OFunction,
                  size: @escaping @Sendable (IOP) -> Int) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.HrtLct(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        let initial = call.engine.peek { s in s.machine.withIOP(unit, size) ?? 0 }
        return try call.run(reserve: initial, memory: &memory, ranges: { a.ranges(reserving: $0) }, decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard a.resbuf != 0 else { return .fail(.EFAULT) }
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            switch s.readTable(function, unit: unit, capacity: reserved, for: call.scope) {
            case let .failed(e): return .fail(e)
            case let .tooSmall(n): return .grow(n)
            case let .bytes(table):
                let length = UInt32(table.count)
                if length > capacity { return .finish([.u32(length, at: a.reslen)], .error(.ENOBUFS)) }
                return .finish([.u32(length, at: a.reslen), UserWrite(address: a.resbuf, bytes: table)], .success)
            }
        })
    }
}

/// What reading a table from the IOP gave.
enum TableRead: Sendable {
    case bytes([UInt8])
    /// The table is longer than the buffer offered: this many bytes.
    case tooSmall(Int)
    case failed(Errno)
}

extension EngineState {
    /// ExecHrtGet (6 words, SGL at 4) or ExecLctNotify (8 words: ClassIdentifier 0xFFFFFFFF,
    /// LastReportedChangeIndicator 0, SGL at 6) to TID 0 with a `capacity`-byte buffer; reply
    /// word 5 = the whole table's byte count. `byDriver`: the driver reads on its own account
    /// (`DriverTables`): no fault rule matches it and nothing waits for it.
    mutating func readTable(_ function: I2OFunction, unit: IOPUnit, capacity: Int, for scope: RequestScope?,
                            byDriver: Bool = false) -> TableRead {
        let memory = bus()
        let cap = max(capacity, 12)
        let address = memory.map(zeroes: cap)
        let sgl: [UInt32] = [SGLFlags.simpleLastIn.word(count: cap), UInt32(truncatingIfNeeded: address)]
        let frame = function == .execHrtGet
            ? MessageFrame(function: .execHrtGet, target: .executive, initiatorContext: Self.initiatorContext,
                           sglOffset: 4, payload: sgl)
            : MessageFrame(function: .execLctNotify, target: .executive, initiatorContext: Self.initiatorContext,
                           sglOffset: 6, payload: [0xFFFF_FFFF, 0] + sgl)
        let reply = post(frame, to: unit, memory: memory, for: scope, waits: !byDriver)
        if let e = Self.failure(of: reply) { return .failed(e) }
        let full = Int(reply?[word: 5] ?? 0)
        if full > cap || full > capacity { return .tooSmall(full) }
        return .bytes(Array((memory.buffer(at: address) ?? []).prefix(full)))
    }
}

extension IoctlStructs.HrtLct {
    /// HRTGET/LCTGET's second round: `*reslen` read and written, `n` bytes of `resbuf` written.
    func ranges(reserving n: Int) -> (reads: UserRanges, writes: UserRanges) {
        (reads: [.u32(reslen)], writes: [.u32(reslen)] + (resbuf != 0 && n > 0 ? [UserRange(address: resbuf, count: n)] : []))
    }
}
