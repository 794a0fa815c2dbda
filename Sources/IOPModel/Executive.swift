import I2OFormats

/// What the hot-plug API refuses.
public enum IOPModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A device with this TID already exists.
    case duplicateTID(TID)
    /// No device has this TID.
    case unknownTID(TID)
    /// The executive (TID 0) cannot be removed.
    case cannotRemoveExecutive
    /// TID 1 (the host) and 0xFFF (none) cannot name a device.
    case reservedTID(TID)

    public var description: String {
        switch self {
        case let .duplicateTID(t): "a device with TID \(t) already exists"
        case let .unknownTID(t): "no device with TID \(t)"
        case .cannotRemoveExecutive: "the executive (TID 0x000) cannot be removed"
        case let .reservedTID(t): "TID \(t) is reserved and cannot name a device"
        }
    }
}

/// An ExecLctNotify that waits for the LCT to change, with the host memory it was posted with.
struct PendingLctNotify: Sendable {
    var request: MessageFrame
    var memory: BusMemory
    var buffer: OutBuffer
    var classIdentifier: UInt32
}

extension IOP {
    // MARK: ExecStatusGet

    /// ExecStatusGet (0xA0): words 6/7 = 64-bit bus address, word 8 = buffer length (88).
    /// Writes the 88-byte status block there (as much as the length allows) and sends **no
    /// reply frame** (returns nil): a real IOP signals completion only by the sync byte 0xFF at
    /// offset 87, which the host polls. ExpectedLCTSize is raised to the current LCT size if the
    /// LCT has outgrown it. An unmapped address gets a failing reply (INVALID_PARAMETER).
    mutating func statusGet(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 9)
        let address = UInt64(request.words[6]) | UInt64(request.words[7]) << 32
        let length = min(Int(request.words[8]), StatusBlock.byteCount)
        guard length > 0, memory.isMapped(address, count: length) else { throw .invalid }
        try Transfer.write(currentStatusBlock.encoded(), to: OutBuffer(address: address, count: length), memory: memory)
        return nil
    }

    /// The status block as ExecStatusGet writes it now.
    public var currentStatusBlock: StatusBlock {
        var s = status
        s.expectedLCTSize = max(s.expectedLCTSize, UInt32(lctByteCount))
        return s
    }

    // MARK: ExecHrtGet

    /// ExecHrtGet (0xA8): one SGL element (IOP→host). Writes as much of the HRT as fits and
    /// replies success; reply word 5 = the HRT's full byte count (the host grows its buffer and
    /// asks again when that exceeds what it offered, as Linux does from the HRT header).
    mutating func hrtGet(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        let elements = try Transfer.elements(of: request, minimum: 1)
        let buffer = try Transfer.buffer(elements[0], memory: memory)
        let bytes = hrt.encoded()
        try Transfer.write(bytes, to: buffer, memory: memory)
        return MessageFrame.reply(to: request, word: UInt32(bytes.count))
    }

    // MARK: ExecLctNotify

    /// ExecLctNotify (0xA2): word 4 = ClassIdentifier (0xFFFFFFFF = every class, else only entries
    /// whose 12-bit ClassID equals it), word 5 = LastReportedChangeIndicator, one SGL element.
    ///
    /// When word 5 is 0 or differs from the current change indicator, the LCT is written at once
    /// and the reply sent; otherwise the request waits (nil) until an LCT change that concerns its
    /// class, and its reply then appears in `outbound`. The LCT written holds the whole entries
    /// that fit, with TableSize counting just those; reply word 5 = the byte count of the full
    /// (class-filtered) LCT, so a host can tell it was cut short.
    mutating func lctNotify(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 6)
        let elements = try Transfer.elements(of: request, minimum: 1)
        let buffer = try Transfer.buffer(elements[0], memory: memory)
        let classIdentifier = request.words[4], last = request.words[5]
        if last == 0 || last != lctChangeIndicator {
            return try completeLctNotify(request, memory: memory, buffer: buffer, classIdentifier: classIdentifier)
        }
        pendingLctNotifies.append(PendingLctNotify(request: request, memory: memory, buffer: buffer,
                                                   classIdentifier: classIdentifier))
        return nil
    }

    func completeLctNotify(_ request: MessageFrame, memory: BusMemory, buffer: OutBuffer,
                           classIdentifier: UInt32) throws(RequestFault) -> MessageFrame {
        let (bytes, full) = lctBytes(classIdentifier: classIdentifier, capacity: buffer.count)
        try Transfer.write(bytes, to: buffer, memory: memory)
        return MessageFrame.reply(to: request, word: UInt32(full))
    }

    static func matches(_ entry: LCTEntry, classIdentifier: UInt32) -> Bool {
        classIdentifier == 0xFFFF_FFFF || UInt32(entry.classID.rawValue) == classIdentifier & 0xFFF
    }

    /// The LCT (entries of the class) cut to the whole entries that fit `capacity`, and the full byte count.
    func lctBytes(classIdentifier: UInt32, capacity: Int) -> (bytes: [UInt8], fullCount: Int) {
        var table = lct
        if classIdentifier != 0xFFFF_FFFF {
            table.entries.removeAll { !Self.matches($0, classIdentifier: classIdentifier) }
        }
        let full = table.byteCount
        let fitting = max(0, (capacity - LCT.headerWords * 4) / (LCTEntry.words * 4))
        if fitting < table.entries.count { table.entries.removeLast(table.entries.count - fitting) }
        return (table.encoded(), full)
    }

    /// Completes the waiting ExecLctNotify requests that a change of `changed` (entries before
    /// and after) concerns into `outbound`.
    mutating func lctChanged(_ changed: LCTEntry...) { lctChanged(changed) }

    mutating func lctChanged(_ changed: [LCTEntry]) {
        guard !pendingLctNotifies.isEmpty else { return }
        var still: [PendingLctNotify] = []
        for p in pendingLctNotifies {
            guard changed.contains(where: { Self.matches($0, classIdentifier: p.classIdentifier) }) else {
                still.append(p); continue
            }
            do throws(RequestFault) {
                outbound.append(try completeLctNotify(p.request, memory: p.memory, buffer: p.buffer,
                                                      classIdentifier: p.classIdentifier))
            } catch {
                outbound.append(error.reply(to: p.request))
            }
        }
        pendingLctNotifies = still
    }

    // MARK: ExecConfigValidate

    /// ExecConfigValidate (0xBB): every module stored as experimental becomes valid.
    mutating func configValidate(_ request: MessageFrame) -> MessageFrame? {
        for i in store.modules.indices { store.modules[i].experimental = false }
        return MessageFrame.reply(to: request)
    }

    // MARK: Hot-plug

    /// Adds a device (an LCT entry and its groups). Bumps the LCT change indicator, stamps the
    /// entry's ChangeIndicator with it, raises NEW_LCT_ENTRY on TID 0 (event data = the new
    /// 36-byte LCT entry) and completes the waiting ExecLctNotify requests.
    public mutating func addDevice(_ d: DeviceDescription) throws(IOPModelError) {
        let tid = d.tid
        guard tid != .host, tid != .none else { throw .reservedTID(tid) }
        guard devices[tid] == nil else { throw .duplicateTID(tid) }
        var d = d
        lctChangeIndicator &+= 1
        d.entry.changeIndicator = lctChangeIndicator
        devices[tid] = d
        order.append(tid)
        raiseEvent(tid: .executive, indicator: .newLCTEntry, data: d.entry.encodedWords.littleEndianBytes)
        lctChanged(d.entry)
    }

    /// Removes a device. Bumps the change indicator, drops the registrations and the ConfigDialog
    /// query of that TID, raises MODIFIED_LCT on TID 0 (event data = the removed 36-byte entry)
    /// and completes the waiting ExecLctNotify requests. The boot device becomes none if it was this one.
    public mutating func removeDevice(_ tid: TID) throws(IOPModelError) {
        guard tid != .executive else { throw .cannotRemoveExecutive }
        guard let d = devices.removeValue(forKey: tid) else { throw .unknownTID(tid) }
        order.removeAll { $0 == tid }
        lctChangeIndicator &+= 1
        eventRegistrations.removeAll { $0.tid == tid }
        lastConfigQuery[tid] = nil
        if bootDevice == tid { bootDevice = .none }
        raiseEvent(tid: .executive, indicator: .modifiedLCT, data: d.entry.encodedWords.littleEndianBytes)
        lctChanged(d.entry)
    }

    /// Replaces the LCT entry of an existing device (same LocalTID). Bumps the change indicator,
    /// stamps the entry with it, raises MODIFIED_LCT on TID 0 (event data = the new entry) and
    /// completes the waiting ExecLctNotify requests.
    public mutating func replaceEntry(_ e: LCTEntry) throws(IOPModelError) {
        guard let old = devices[e.localTID]?.entry else { throw .unknownTID(e.localTID) }
        var e = e
        lctChangeIndicator &+= 1
        e.changeIndicator = lctChangeIndicator
        devices[e.localTID]?.entry = e
        raiseEvent(tid: .executive, indicator: .modifiedLCT, data: e.encodedWords.littleEndianBytes)
        lctChanged(old, e)
    }
}
