import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// I2OSWDL, I2OSWUL, I2OSWDEL, I2OVALIDATE.

/// Bytes per download/upload fragment (all but the last).
let fragmentBytes = SoftwareStore.fragmentSize

extension Personality {
    /// I2OSWDL: one fragment per call. Order: struct → EFAULT; `*swlen`, `*maxfrag`, `*curfrag`
    /// → EFAULT; `*maxfrag` or `*curfrag` above 255, or a fragment size (8192, or
    /// `*swlen − (maxfrag−1)·8192` for the last) outside 0…8192 → EINVAL; NULL `buf` or `buf`
    /// unreadable for the fragment size → EFAULT; IOP → ENXIO; ExecSwDownload (9 words, the
    /// fragment host→IOP); a failing reply (out of order, inconsistent, store full) → EIO.
    ///
    /// Three fetch rounds, not two: the fragment's size, hence the range of `buf` to read,
    /// depends on `*swlen`, `*maxfrag` and `*curfrag`, which only the second round brings.
    func swDownload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.SwXfer(raw, abi: call.abi)
        let got = try memory.fetch([.u32(a.swlen), .u32(a.maxfrag), .u32(a.curfrag)], [])
        guard let swlen = got.u32(0), let maxfrag = got.u32(1), let curfrag = got.u32(2) else { return .error(.EFAULT) }
        guard maxfrag <= 255, curfrag <= 255 else { return .error(.EINVAL) }
        let size = curfrag == maxfrag ? Int(swlen) - (Int(maxfrag) - 1) * fragmentBytes : fragmentBytes
        guard size >= 0, size <= fragmentBytes else { return .error(.EINVAL) }
        guard a.buf != 0 else { return .error(.EFAULT) }
        var fragment: [UInt8] = []
        if size > 0 {
            let b = try memory.fetch([UserRange(address: a.buf, count: size)], [])
            guard let bytes = b.bytes(0), bytes.count == size else { return .error(.EFAULT) }
            fragment = bytes
        }
        let unit = IOPUnit(rawValue: a.iop)
        let result: IoctlResult = call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .error(.ENXIO) }
            let bus = s.bus()
            let address = bus.map(fragment)
            let frame = EngineState.swFrame(.execSwDownload, a, maxfrag: maxfrag, curfrag: curfrag, swlen: swlen,
                                            element: 0xD400_0000 | UInt32(size), address: address)
            if let e = EngineState.failure(of: s.post(frame, to: unit, memory: bus, for: call.scope)) { return .error(e) }
            return .success
        }
        return result
    }

    /// I2OSWUL: fragment `*curfrag` of the stored module into `buf`; the module's real size to
    /// `*swlen`, its fragment count to `*maxfrag`. Order: struct → EFAULT; `*swlen`, `*maxfrag`,
    /// `*curfrag` → EFAULT; values above 255 → EINVAL; NULL `buf` → EFAULT; IOP → ENXIO;
    /// ExecSwUpload; no such module or fragment → EIO. The `buf` write reservation is the
    /// module's fragment size (at most 8192), from the store.
    func swUpload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.SwXfer(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        let key = SoftwareKey(swType: a.swType, swID: a.swID)
        let initial = call.engine.peek { s in min(fragmentBytes, s.machine.iops[unit]?.store.module(key)?.bytes.count ?? 0) }
        return try call.run(reserve: initial, memory: &memory, ranges: { n in
            (reads: [.u32(a.swlen), .u32(a.maxfrag), .u32(a.curfrag)],
             writes: [.u32(a.swlen), .u32(a.maxfrag)] + (a.buf != 0 && n > 0 ? [UserRange(address: a.buf, count: n)] : []))
        }, decide: { got, reserved, s in
            guard let swlen = got.u32(0), let maxfrag = got.u32(1), let curfrag = got.u32(2) else { return .fail(.EFAULT) }
            guard maxfrag <= 255, curfrag <= 255 else { return .fail(.EINVAL) }
            guard a.buf != 0 else { return .fail(.EFAULT) }
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            let bus = s.bus()
            let address = bus.map(zeroes: fragmentBytes)
            let frame = EngineState.swFrame(.execSwUpload, a, maxfrag: maxfrag, curfrag: curfrag, swlen: swlen,
                                            element: SGLFlags.simpleLastIn.word(count: fragmentBytes), address: address)
            let reply = s.post(frame, to: unit, memory: bus, for: call.scope)
            if let e = EngineState.failure(of: reply) { return .fail(e) }
            let moduleSize = Int(reply?[word: 5] ?? 0), fragments = reply?[word: 6] ?? 0
            let length = max(0, min(fragmentBytes, moduleSize - (Int(curfrag) - 1) * fragmentBytes))
            if length > reserved { return .grow(length) }
            let bytes = bus.read(address, count: length) ?? []
            return .finish([.u32(UInt32(moduleSize), at: a.swlen), .u32(fragments, at: a.maxfrag),
                            UserWrite(address: a.buf, bytes: bytes)], .success)
        })
    }

    /// I2OSWDEL: ExecSwRemove. Order: struct → EFAULT; `*swlen` → EFAULT; IOP → ENXIO; no such
    /// module or `*swlen` ≠ 0 and not its size → EIO (nothing removed); the real size is written
    /// back to `*swlen`.
    func swDelete(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard let raw = try call.fetchStruct(&memory) else { return .error(.EFAULT) }
        let a = IoctlStructs.SwXfer(raw, abi: call.abi)
        let unit = IOPUnit(rawValue: a.iop)
        return try call.run(reserve: 0, memory: &memory, ranges: { _ in
            (reads: [.u32(a.swlen)], writes: [.u32(a.swlen)])
        }, decide: { got, _, s in
            guard let swlen = got.u32(0) else { return .fail(.EFAULT) }
            guard s.machine.hasIOP(unit) else { return .fail(.ENXIO) }
            let frame = MessageFrame(function: .execSwRemove, target: .executive,
                                     initiatorContext: EngineState.initiatorContext,
                                     payload: [UInt32(a.flags) << 24 | UInt32(a.swType) << 16, swlen, a.swID])
            let reply = s.post(frame, to: unit, memory: BusMemory(), for: call.scope)
            if let e = EngineState.failure(of: reply) { return .fail(e) }
            return .finish([.u32(reply?[word: 5] ?? 0, at: a.swlen)], .success)
        })
    }

    /// I2OVALIDATE: the IOP number by value in `argument`; ExecConfigValidate (4 words) to TID 0.
    /// No IOP → ENXIO; a failing reply → EIO. Touches no caller memory.
    func validate(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let unit = IOPUnit(rawValue: UInt32(truncatingIfNeeded: call.argument))
        return call.engine.locked { s in
            guard s.machine.hasIOP(unit) else { return .error(.ENXIO) }
            let frame = MessageFrame(function: .execConfigValidate, target: .executive,
                                     initiatorContext: EngineState.initiatorContext)
            if let e = EngineState.failure(of: s.post(frame, to: unit, memory: BusMemory(), for: call.scope)) { return .error(e) }
            return .success
        }
    }
}

extension EngineState {
    /// ExecSwDownload / ExecSwUpload as docs/kernels.md §Frames: 9 words, SGL at word 7; word 4 =
    /// flags<<24 | sw_type<<16 | maxfrag<<8 | curfrag; word 5 = SwSize; word 6 = SwID.
    static func swFrame(_ function: I2OFunction, _ a: IoctlStructs.SwXfer, maxfrag: UInt32, curfrag: UInt32, swlen: UInt32,
                        element: UInt32, address: UInt64) -> MessageFrame {
        MessageFrame(function: function, target: .executive, initiatorContext: initiatorContext, sglOffset: 7,
                     payload: [UInt32(a.flags) << 24 | UInt32(a.swType) << 16 | (maxfrag & 0xFF) << 8 | (curfrag & 0xFF),
                               swlen, a.swID, element, UInt32(truncatingIfNeeded: address)])
    }
}
