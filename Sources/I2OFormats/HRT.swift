/// HRT bus types (entry word 1, bits 24–31).
public enum HRTBusType: UInt8, Sendable, CaseIterable {
    case local = 0, isa = 1, eisa = 2, mca = 3, pci = 4, pcmcia = 5, nubus = 6, cardbus = 7, other = 0x80
    public var name: String {
        switch self {
        case .local: "local"; case .isa: "ISA"; case .eisa: "EISA"; case .mca: "MCA"; case .pci: "PCI"
        case .pcmcia: "PCMCIA"; case .nubus: "NuBus"; case .cardbus: "CardBus"; case .other: "other"
        }
    }
}

/// One Hardware Resource Table entry (docs/i2o-formats.md §HRT). The 8-byte bus union is kept as raw
/// bytes with typed views for PCI, so no bus type loses information.
public struct HRTEntry: Hashable, Sendable {
    public var adapterID: UInt32
    /// ControllingTID (bits 0–11 of word 1).
    public var controllingTID: TID
    /// AdapterState (bits 12–15 of word 1).
    public var adapterState: UInt8
    public var busNumber: UInt8
    /// BusType byte; see `HRTBusType`.
    public var busType: UInt8
    /// The bus-specific union (8 bytes).
    public var busInfo: [UInt8]
    /// Words past the fourth when EntryLength > 4 (kept verbatim).
    public var extraWords: [UInt32]

    /// The entry's fields in bytes, before any padding to the table's EntryLength.
    var byteCount: Int { 8 + busInfo.count + 4 * extraWords.count }

    /// Its fields: AdapterID; controlling TID, AdapterState, BusNumber, BusType; bus information; the
    /// words beyond.
    func encode(into b: inout LittleEndianWriter) {
        b.u32(adapterID)
        b.u32(UInt32(controllingTID.rawValue) | UInt32(adapterState & 0xF) << 12 | UInt32(busNumber) << 16 | UInt32(busType) << 24)
        b.copy(busInfo[...])
        for w in extraWords { b.u32(w) }
    }

    public init(adapterID: UInt32, controllingTID: TID, adapterState: UInt8, busNumber: UInt8, busType: UInt8,
                busInfo: [UInt8] = [UInt8](repeating: 0, count: 8), extraWords: [UInt32] = []) {
        self.adapterID = adapterID
        self.controllingTID = controllingTID
        self.adapterState = adapterState & 0xF
        self.busNumber = busNumber
        self.busType = busType
        self.busInfo = Array((busInfo + [UInt8](repeating: 0, count: 8)).prefix(8))
        self.extraWords = extraWords
    }

    /// PCI view of the union: function, device, bus, vendor, device ID.
    public static func pciInfo(function: UInt8, device: UInt8, bus: UInt8, vendorID: UInt16, deviceID: UInt16) -> [UInt8] {
        var b: [UInt8] = [function, device, bus, 0, 0, 0, 0, 0]
        b.writeLE16(vendorID, at: 4); b.writeLE16(deviceID, at: 6)
        return b
    }
    public var pciFunction: UInt8 { busInfo[0] }
    public var pciDevice: UInt8 { busInfo[1] }
    public var pciBus: UInt8 { busInfo[2] }
    public var pciVendorID: UInt16 { busInfo.readLE16(at: 4) }
    public var pciDeviceID: UInt16 { busInfo.readLE16(at: 6) }
}

/// The Hardware Resource Table exactly as an IOP writes it (ExecHrtGet, I2OHRTGET).
public struct HRT: Hashable, Sendable {
    public var entryLength: WordCount
    public var version: UInt8
    public var changeIndicator: UInt32
    public var entries: [HRTEntry]

    public init(entries: [HRTEntry], changeIndicator: UInt32 = 0, entryLength: WordCount = 4, version: UInt8 = 0) {
        self.entries = entries
        self.changeIndicator = changeIndicator
        self.entryLength = entryLength
        self.version = version
    }

    public static let headerBytes = 8
    /// 8 + NumberEntries × EntryLength × 4.
    public var byteCount: Int { Self.headerBytes + entries.count * entryLength.bytes }

    public func encoded() -> [UInt8] {
        [UInt8](littleEndianCount: byteCount) { b in
            b.u16(UInt16(truncatingIfNeeded: entries.count))
            b.u8(UInt8(truncatingIfNeeded: entryLength.rawValue))
            b.u8(version)
            b.u32(changeIndicator)
            for e in entries {
                let end = b.count + entryLength.bytes
                if e.byteCount <= entryLength.bytes {
                    e.encode(into: &b)
                } else {   // longer than EntryLength says: cut to it
                    b.copy([UInt8](littleEndianCount: e.byteCount) { e.encode(into: &$0) }.prefix(entryLength.bytes))
                }
                b.zeros(upTo: end)
            }
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(I2OFormatError) -> HRT {
        var r = ByteReader(bytes, what: "HRT header")
        let n = Int(try r.u16())
        let len = Int(try r.u8())
        let version = try r.u8()
        let change = try r.u32()
        guard len >= 4 else { throw .invalid(what: "HRT", reason: "EntryLength \(len) words is below the 4-word minimum") }
        let need = headerBytes + n * len * 4
        guard bytes.count >= need else { throw .truncated(what: "HRT with \(n) entries of \(len) words", needed: need, available: bytes.count) }
        var entries: [HRTEntry] = []
        for _ in 0..<n {
            let id = try r.u32(); let w1 = try r.u32(); let info = try r.bytes(8)
            var extra: [UInt32] = []
            for _ in 4..<len { extra.append(try r.u32()) }
            entries.append(HRTEntry(adapterID: id, controllingTID: TID(rawValue: UInt16(w1 & 0xFFF)),
                                    adapterState: UInt8(w1 >> 12 & 0xF), busNumber: UInt8(w1 >> 16 & 0xFF),
                                    busType: UInt8(w1 >> 24), busInfo: info, extraWords: extra))
        }
        return HRT(entries: entries, changeIndicator: change, entryLength: WordCount(rawValue: len), version: version)
    }
}
