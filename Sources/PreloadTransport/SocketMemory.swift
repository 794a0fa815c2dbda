import IoctlEngine

/// `UserMemory` over the preload protocol's rounds.
///
/// The client sends the ioctl's struct bytes eagerly with the request; fetches inside that
/// range are answered from them. Any other range costs one NEED/DATA round trip on the
/// connection, done right here (the connection's thread simply waits for the answer), so the
/// engine runs once per ioctl. Stores are collected and sent back with the result.
///
/// Write ranges are "reservations": the client tests each for writability. A reservation the
/// client cannot write stops the ioctl at that fetch (thrown `NeedsRound`, `writeFault` set)
/// and the transport answers EFAULT — the engine has changed nothing yet, so a bad output
/// pointer never costs an event, a module or a parameter. A store outside every reservation
/// into a range known unwritable returns false (→ EFAULT from the engine).
///
/// If the connection breaks or the client answers nonsense in the middle of a round, the
/// fetch throws `NeedsRound`: the engine changes no state before its last fetch succeeds,
/// so the ioctl is abandoned cleanly and the connection is closed.
struct SocketMemory: UserMemory {
    private let socket: FrameSocket
    /// Ranges whose bytes are known (nil bytes: known to fault).
    private var known: [(range: UserRange, bytes: [UInt8]?)] = []
    /// Ranges whose writability is known.
    private var writable: [(range: UserRange, ok: Bool)] = []
    private(set) var stores: [(address: UInt64, bytes: [UInt8])] = []
    private(set) var failure: PreloadProtocolError?
    /// The engine asked to reserve a range the client cannot write: the ioctl was stopped at
    /// that fetch (before the engine changed anything) and its answer is EFAULT.
    private(set) var writeFault = false
    private(set) var rounds = 0

    init(socket: FrameSocket, eagerAddress: UInt64, eagerLength: Int, eagerFlags: UInt32, eagerBytes: [UInt8]) {
        self.socket = socket
        if eagerLength > 0 {
            let range = UserRange(address: eagerAddress, count: eagerLength)
            let readable = eagerFlags & PreloadProtocol.eagerReadable != 0
            known.append((range, readable ? eagerBytes : nil))
            // The client always says whether the eager range is writable (probed when readable).
            writable.append((range, readable && eagerFlags & PreloadProtocol.eagerWritable != 0))
        }
    }

    private static func contains(_ outer: UserRange, _ inner: UserRange) -> Bool {
        inner.address >= outer.address && inner.count >= 0
            && inner.address &- outer.address <= UInt64(outer.count)
            && inner.address &- outer.address + UInt64(inner.count) <= UInt64(outer.count)
    }

    private func lookup(_ r: UserRange) -> [UInt8]?? {
        if r.count == 0 { return .some([]) }
        for k in known where Self.contains(k.range, r) {
            guard let bytes = k.bytes else { return .some(nil) }
            let start = Int(r.address - k.range.address)
            return .some(Array(bytes[start..<start + r.count]))
        }
        return .none
    }

    private func isKnownWritable(_ r: UserRange) -> Bool? {
        if r.count == 0 { return true }
        for w in writable where Self.contains(w.range, r) { return w.ok }
        return nil
    }

    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        var missingReads: [UserRange] = []
        for r in reads where lookup(r) == nil {
            if r.count < 0 || r.count > PreloadProtocol.maxFrame - 64 || r.address > UInt64.max - UInt64(r.count) {
                known.append((r, nil))   // larger than a frame can carry: treated as a fault (documented)
            } else if !missingReads.contains(r) {
                missingReads.append(r)
            }
        }
        var missingWrites: [UserRange] = []
        for w in writes where isKnownWritable(w) == nil && !missingWrites.contains(w) {
            if w.count < 0 || w.count > Int(UInt32.max) || w.address > UInt64.max - UInt64(w.count) {
                writable.append((w, false))   // no process has such a range
            } else {
                missingWrites.append(w)
            }
        }
        // Rounds, each within one frame: DATA carries 8 + len per read and 4 per write.
        while !missingReads.isEmpty || !missingWrites.isEmpty {
            var batchReads: [UserRange] = []
            var batchWrites: [UserRange] = []
            var size = 4
            while let r = missingReads.first, size + 8 + r.count <= PreloadProtocol.maxFrame, batchReads.count < 4096 {
                size += 8 + r.count
                batchReads.append(missingReads.removeFirst())
            }
            while !missingWrites.isEmpty, size + 4 <= PreloadProtocol.maxFrame, batchReads.count + batchWrites.count < 4096 {
                size += 4
                batchWrites.append(missingWrites.removeFirst())
            }
            do {
                try round(reads: batchReads, writes: batchWrites)
            } catch {
                failure = error
                throw NeedsRound(reads: reads, writes: writes)
            }
        }
        // A write reservation that cannot be granted ends the call here, as a bad pointer
        // found by the kernel's pointer checks would: EFAULT, nothing changed, nothing written.
        if writes.contains(where: { isKnownWritable($0) == false }) {
            writeFault = true
            throw NeedsRound(reads: reads, writes: writes)
        }
        return reads.map { r in lookup(r) ?? nil }
    }

    private mutating func round(reads: [UserRange], writes: [UserRange]) throws(PreloadProtocolError) {
        rounds += 1
        var body: [UInt8] = []
        body.appendLE(UInt32(reads.count))
        body.appendLE(UInt32(writes.count))
        for r in reads + writes {
            body.appendLE(r.address)
            body.appendLE(UInt32(r.count))
            body.appendLE(UInt32(0))
        }
        guard socket.send(.need, body) else { throw PreloadProtocolError("client went away during a round") }
        guard case let .frame(type, answer) = try socket.readFrame() else {
            throw PreloadProtocolError("client went away during a round")
        }
        guard type == .data else { throw PreloadProtocolError("expected DATA, got \(type)") }
        var reader = BodyReader(answer)
        for r in reads {
            let status = try reader.u32()
            let length = Int(try reader.u32())
            if status == 0 {
                guard length == r.count else {
                    throw PreloadProtocolError("DATA gives \(length) bytes for a range of \(r.count)")
                }
                known.append((r, try reader.take(length)))
            } else {
                guard length == 0 else { throw PreloadProtocolError("DATA carries bytes for a faulting range") }
                known.append((r, nil))
            }
        }
        for w in writes { writable.append((w, try reader.u32() == 0)) }
        try reader.expectEnd("DATA")
    }

    mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        if bytes.isEmpty { return true }
        guard address <= UInt64.max - UInt64(bytes.count) else { return false }
        if isKnownWritable(UserRange(address: address, count: bytes.count)) == false { return false }
        stores.append((address, bytes))
        return true
    }
}
