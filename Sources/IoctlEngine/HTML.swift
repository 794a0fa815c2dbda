import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OHTML.

extension Personality {
    /// I2OHTML: UtilConfigDialog to `tid` for `page`, with the query from `qbuf`/`qlen` when
    /// `qlen` ≠ 0; the page's bytes (without a terminating NUL) to `resbuf`, its length to
    /// `*reslen`. Order: struct → EFAULT; `*reslen` → EFAULT; NULL `resbuf` → EFAULT; IOP →
    /// ENXIO; TID → ENXIO; `qlen` above `Limits.htmlQueryBytes` → EINVAL; `qbuf` → EFAULT; no
    /// such page (a failing reply) → EIO; a page longer than `*reslen` → its length to
    /// `*reslen`, ENOBUFS, nothing copied (and the query not kept by the device).
    ///
    /// The `resbuf` write reservation is the page's length with every `{query}` placeholder
    /// replaced by `qlen` bytes — an upper bound of what the device writes.
    func html(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.HTML(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        let qlen = Int(a.qlen)
        // `qbuf` is fetched only when the IOP and TID checks before it will pass, so a bad `qbuf`
        // never hides their ENXIO, in any transport.
        let checksPass = call.engine.peek { s in s.machine.withIOP(unit) { EngineState.knows($0, tid: a.tid) } ?? false }
        let readQuery = qlen > 0 && qlen <= Limits.htmlQueryBytes && checksPass
        let initial = call.engine.peek { s in EngineState.pageBound(s.machine.iops[unit], tid: a.tid, page: a.page, queryBytes: qlen) }
        return try call.run(reserve: initial, memory: &memory, ranges: { n in
            (reads: [.u32(a.reslen)] + (readQuery ? [UserRange(address: a.qbuf, count: qlen)] : []),
             writes: [.u32(a.reslen)] + (a.resbuf != 0 && n > 0 ? [UserRange(address: a.resbuf, count: n)] : []))
        }, decide: { got, reserved, s in
            guard let capacity = got.u32(0) else { return .fail(.EFAULT) }
            guard a.resbuf != 0 else { return .fail(.EFAULT) }
            guard let iop = s.machine.iops[unit] else { return .fail(.ENXIO) }
            guard EngineState.knows(iop, tid: a.tid) else { return .fail(.ENXIO) }
            guard qlen <= Limits.htmlQueryBytes else { return .fail(.EINVAL) }
            var query: [UInt8]?
            if qlen > 0 {
                // Not fetched: the IOP or TID appeared since the fetch was sized — a busy device's answer.
                guard readQuery else { return .fail(.EAGAIN) }
                guard let q = got.bytes(1), q.count == qlen else { return .fail(.EFAULT) }
                query = q
            }
            let bus = s.bus()
            let pageAddress = bus.map(zeroes: reserved + 1)
            var payload: [UInt32] = [a.page]
            if let query {
                payload += [0x5000_0000 | UInt32((reserved + 1) & 0xFF_FFFF), UInt32(truncatingIfNeeded: pageAddress),
                            0xD400_0000 | UInt32(qlen), UInt32(truncatingIfNeeded: bus.map(query))]
            } else {
                payload += [SGLFlags.simpleLastIn.word(count: reserved + 1), UInt32(truncatingIfNeeded: pageAddress)]
            }
            let frame = MessageFrame(function: .utilConfigDialog, target: TID(rawValue: UInt16(a.tid)),
                                     initiatorContext: EngineState.initiatorContext, sglOffset: 5, payload: payload)
            guard let (reply, after) = s.attempt(frame, on: unit, memory: bus, for: call.scope) else { return .fail(.ENXIO) }
            if let e = EngineState.failure(of: reply) { return .fail(e) }
            let length = Int(reply?[word: 5] ?? 0)
            if length > reserved { return .grow(length) }
            if UInt32(length) > capacity { return .finish([.u32(UInt32(length), at: a.reslen)], .error(.ENOBUFS)) }
            s.commit(after, unit: unit)
            let text = bus.read(pageAddress, count: length) ?? []
            return .finish([.u32(UInt32(length), at: a.reslen), UserWrite(address: a.resbuf, bytes: text)], .success)
        })
    }
}

extension EngineState {
    /// The most bytes page `page` of `tid` can have once `{query}` is replaced by `queryBytes`
    /// bytes; 0 when there is no such page.
    static func pageBound(_ iop: IOP?, tid: UInt32, page: UInt32, queryBytes: Int) -> Int {
        guard let iop, tid <= 0xFFF, let text = iop.devices[TID(rawValue: UInt16(tid))]?.htmlPages[page] else { return 0 }
        let count = IOP.queryPlaceholderCount(in: text)
        return text.count + count * max(0, min(queryBytes, Limits.htmlQueryBytes) - IOP.queryPlaceholder.count)
    }
}
