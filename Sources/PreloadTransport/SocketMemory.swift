import I2OFormats
import I2OABI
import I2ODevice

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
/// Unchecked reservations (a kernel's `put_user` whose result it ignores: `*reslen`) are not
/// tested at all: their stores go out as STORE_UNCHECKED, which the client applies if it can and
/// otherwise skips without failing the call — so the ioctl gives its result and fills its buffers
/// as the kernel did, only that write lost.
///
/// If the connection breaks or the client answers nonsense in the middle of a round, the
/// fetch throws `NeedsRound`: the engine changes no state before its last fetch succeeds,
/// so the ioctl is abandoned cleanly and the connection is closed.
/// (Public so a node can be bound to it where the node's type is known: `BoundNode<SocketMemory>`.)
public struct SocketMemory: UserMemory {
    private let socket: FrameSocket
    /// Ranges whose bytes are known (nil bytes: known to fault): slices of the IOCTL and DATA
    /// frames they came in, not copies.
    private var known: [Known] = []
    /// Ranges whose writability is known.
    private var writable: [Writability] = []
    private(set) var stores: [Store] = []

    // Named structs, not tuples: an array of tuples is destroyed element by element through
    // the runtime's generic tuple witness, a struct's through its own compiled one.
    private struct Known {
        var range: UserRange
        var bytes: ArraySlice<UInt8>?
    }
    private struct Writability {
        var range: UserRange
        var ok: Bool
    }
    struct Store {
        var address: UInt64
        var bytes: [UInt8]
        /// A fault here does not fail the call (STORE_UNCHECKED).
        var unchecked = false
    }
    private(set) var failure: PreloadProtocolError?
    /// The engine asked to reserve a range the client cannot write: the ioctl was stopped at
    /// that fetch (before the engine changed anything) and its answer is EFAULT.
    private(set) var writeFault = false
    private(set) var rounds = 0

    init(socket: FrameSocket, eagerAddress: UInt64, eagerLength: Int, eagerFlags: UInt32, eagerBytes: ArraySlice<UInt8>) {
        self.socket = socket
        if eagerLength > 0 {
            let range = UserRange(address: eagerAddress, count: eagerLength)
            let readable = eagerFlags & PreloadProtocol.eagerReadable != 0
            known.reserveCapacity(4)
            known.append(Known(range: range, bytes: readable ? eagerBytes : nil))
            // The client says whether the eager range is writable (probed when readable), unless it
            // did not test it (a struct it has not seen written): then a reservation inside it is
            // asked for like any other.
            writable.reserveCapacity(4)
            if !readable || eagerFlags & PreloadProtocol.eagerUnprobed == 0 {
                writable.append(Writability(range: range, ok: readable && eagerFlags & PreloadProtocol.eagerWritable != 0))
            }
        }
    }

    private static func contains(_ outer: UserRange, _ inner: UserRange) -> Bool {
        inner.address >= outer.address && inner.count >= 0
            && inner.address &- outer.address <= UInt64(outer.count)
            && inner.address &- outer.address + UInt64(inner.count) <= UInt64(outer.count)
    }

    /// The bytes of `r` if known: `.some(nil)` when known to fault, `.none` when not known yet.
    private func lookup(_ r: UserRange) -> ArraySlice<UInt8>?? {
        if r.count == 0 { return .some([]) }
        for k in known where Self.contains(k.range, r) {
            guard let bytes = k.bytes else { return .some(nil) }
            let start = bytes.startIndex + Int(r.address - k.range.address)
            return .some(bytes[start..<start + r.count])
        }
        return .none
    }

    private func isKnownWritable(_ r: UserRange) -> Bool? {
        if r.count == 0 { return true }
        for w in writable where Self.contains(w.range, r) { return w.ok }
        return nil
    }

    public mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        try admit(reads, writes)
        return reads.map { r in lookup(r).flatMap { $0.map(Array.init) } }
    }

    /// A handful of ranges (the engine's usual second round): no lists are built, and the reads'
    /// bytes are copied once, into the answer.
    public mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges {
        try admit(reads, writes)
        var total = 0
        for i in reads.indices { total += max(reads[i].count, 0) }
        var got = FetchedRanges(reservingCapacity: total)
        for i in reads.indices {
            if let b = lookup(reads[i]) ?? nil { got.append(b) } else { got.appendFault() }
        }
        return got
    }

    /// Unchecked reservations need no test: their stores are sent as STORE_UNCHECKED.
    public mutating func fetch(_ reads: UserRanges, _ writes: UserRanges, unchecked: UserRanges) throws(NeedsRound) -> FetchedRanges {
        try fetch(reads, writes)
    }

    public mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        try admit(CollectionOfOne(range), EmptyCollection())
        return lookup(range).flatMap { $0.map(Array.init) }
    }

    /// Makes every range of `reads` known and every range of `writes` known writable or not,
    /// asking the client in as few rounds as frames allow (usually one, or none); then stops
    /// the ioctl (`writeFault`) if a write reservation cannot be granted.
    private mutating func admit(_ reads: some Collection<UserRange>, _ writes: some Collection<UserRange>) throws(NeedsRound) {
        var missingReads = UserRanges()
        for i in reads.indices {   // by index: an iterator would copy the range list
            let r = reads[i]
            guard lookup(r) == nil else { continue }
            if r.count < 0 || r.count > PreloadProtocol.maxFrame - 64 || r.address > UInt64.max - UInt64(r.count) {
                known.append(Known(range: r, bytes: nil))   // larger than a frame can carry: treated as a fault (documented)
            } else if !missingReads.contains(r) {
                missingReads.append(r)
            }
        }
        var missingWrites = UserRanges()
        for i in writes.indices {
            let w = writes[i]
            guard isKnownWritable(w) == nil && !missingWrites.contains(w) else { continue }
            if w.count < 0 || w.count > Int(UInt32.max) || w.address > UInt64.max - UInt64(w.count) {
                writable.append(Writability(range: w, ok: false))   // no process has such a range
            } else {
                missingWrites.append(w)
            }
        }
        // Rounds, each within one frame: DATA carries 8 + len per read and 4 per write.
        var nextRead = 0, nextWrite = 0
        while nextRead < missingReads.count || nextWrite < missingWrites.count {
            var batchReads = UserRanges(), batchWrites = UserRanges()
            var size = 4
            while nextRead < missingReads.count, size + 8 + missingReads[nextRead].count <= PreloadProtocol.maxFrame,
                  batchReads.count < 4096 {
                size += 8 + missingReads[nextRead].count
                batchReads.append(missingReads[nextRead])
                nextRead += 1
            }
            while nextWrite < missingWrites.count, size + 4 <= PreloadProtocol.maxFrame,
                  batchReads.count + batchWrites.count < 4096 {
                size += 4
                batchWrites.append(missingWrites[nextWrite])
                nextWrite += 1
            }
            do {
                try round(reads: batchReads, writes: batchWrites)
            } catch {
                failure = error
                throw NeedsRound(reads: Array(reads), writes: Array(writes))
            }
        }
        // A write reservation that cannot be granted ends the call here, as a bad pointer
        // found by the kernel's pointer checks would: EFAULT, nothing changed, nothing written.
        if writes.indices.contains(where: { isKnownWritable(writes[$0]) == false }) {
            writeFault = true
            throw NeedsRound(reads: Array(reads), writes: Array(writes))
        }
    }

    private mutating func round(reads: UserRanges, writes: UserRanges) throws(PreloadProtocolError) {
        rounds += 1
        let bodyCount = 8 + 16 * (reads.count + writes.count)
        let frame = [UInt8](littleEndianCount: 8 + bodyCount) { w in
            w.frameHeader(.need, bodyCount: bodyCount)
            w.u32(UInt32(reads.count))
            w.u32(UInt32(writes.count))
            for i in reads.indices { w.range(reads[i]) }
            for i in writes.indices { w.range(writes[i]) }
        }
        guard socket.send(frame) else { throw PreloadProtocolError("client went away during a round") }
        guard case let .frame(type, answer) = try socket.readFrame() else {
            throw PreloadProtocolError("client went away during a round")
        }
        guard type == .data else { throw PreloadProtocolError("expected DATA, got \(type)") }
        var reader = BodyReader(answer)
        for i in reads.indices {
            let r = reads[i]
            let status = try reader.u32()
            let length = Int(try reader.u32())
            if status == 0 {
                guard length == r.count else {
                    throw PreloadProtocolError("DATA gives \(length) bytes for a range of \(r.count)")
                }
                known.append(Known(range: r, bytes: try reader.slice(length)))
            } else {
                guard length == 0 else { throw PreloadProtocolError("DATA carries bytes for a faulting range") }
                known.append(Known(range: r, bytes: nil))
            }
        }
        for i in writes.indices { writable.append(Writability(range: writes[i], ok: try reader.u32() == 0)) }
        try reader.expectEnd("DATA")
    }

    public mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        append(bytes, at: address, unchecked: false)
    }

    /// Sent as STORE_UNCHECKED; not sent at all where the range is known unwritable (false).
    public mutating func storeUnchecked(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        append(Array(bytes), at: address, unchecked: true)
    }

    private mutating func append(_ bytes: [UInt8], at address: UInt64, unchecked: Bool) -> Bool {
        if bytes.isEmpty { return true }
        guard address <= UInt64.max - UInt64(bytes.count) else { return false }
        if isKnownWritable(UserRange(address: address, count: bytes.count)) == false { return false }
        if stores.isEmpty { stores.reserveCapacity(4) }
        stores.append(Store(address: address, bytes: bytes, unchecked: unchecked))
        return true
    }
}

private extension LittleEndianWriter {
    /// A NEED range: address, length, reserved word.
    mutating func range(_ r: UserRange) {
        u64(r.address)
        u32(UInt32(r.count))
        u32(0)
    }
}
