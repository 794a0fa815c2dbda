/// DeviceFlags of an LCT entry (word 2).
public struct DeviceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// "C": the device asks for a configuration dialog.
    public static let configDialogRequest = DeviceFlags(rawValue: 0x01)
    /// "U": more than one user.
    public static let multiUser = DeviceFlags(rawValue: 0x02)
    /// Peer service disabled ("P" is printed when clear).
    public static let peerServiceDisabled = DeviceFlags(rawValue: 0x10)
    /// Management service disabled ("M" is printed when clear).
    public static let managementServiceDisabled = DeviceFlags(rawValue: 0x20)

    /// The letters Linux 2.2/2.4 print at boot: C, U, P, M.
    public var letters: String {
        (contains(.configDialogRequest) ? "C" : "") + (contains(.multiUser) ? "U" : "")
            + (contains(.peerServiceDisabled) ? "" : "P") + (contains(.managementServiceDisabled) ? "" : "M")
    }
}

/// One LCT entry (9 words, docs/i2o-formats.md §LCT).
public struct LCTEntry: Hashable, Sendable {
    public var localTID: TID
    public var changeIndicator: UInt32
    public var deviceFlags: DeviceFlags
    public var classID: ClassID
    /// Class version (0 = 1.0, 1 = 1.1).
    public var classVersion: UInt8
    /// OrganizationID (vendor) in the class word.
    public var organizationID: UInt16
    public var subClass: UInt32
    public var userTID: TID
    public var parentTID: TID
    public var biosInfo: UInt8
    public var identityTag: [UInt8]
    public var eventCapabilities: UInt32

    public init(localTID: TID, classID: ClassID, subClass: UInt32 = 0, parentTID: TID = .executive,
                userTID: TID = .none, deviceFlags: DeviceFlags = [], changeIndicator: UInt32 = 0,
                classVersion: UInt8 = 0, organizationID: UInt16 = 0, biosInfo: UInt8 = 0,
                identityTag: [UInt8] = [UInt8](repeating: 0, count: 8), eventCapabilities: UInt32 = 0) {
        self.localTID = localTID
        self.changeIndicator = changeIndicator
        self.deviceFlags = deviceFlags
        self.classID = classID
        self.classVersion = classVersion & 0xF
        self.organizationID = organizationID
        self.subClass = subClass
        self.userTID = userTID
        self.parentTID = parentTID
        self.biosInfo = biosInfo
        self.identityTag = Array((identityTag + [UInt8](repeating: 0, count: 8)).prefix(8))
        self.eventCapabilities = eventCapabilities
    }

    public static let words = 9

    /// Word 3: ClassID | Version << 12 | OrganizationID << 16.
    public var classWord: UInt32 {
        UInt32(classID.rawValue) | UInt32(classVersion & 0xF) << 12 | UInt32(organizationID) << 16
    }

    /// Appends the entry's nine words as bytes (no array of words in between).
    public func encode(into b: inout LittleEndianWriter) {
        b.u32(UInt32(Self.words) | UInt32(localTID.rawValue) << 16)
        b.u32(changeIndicator)
        b.u32(deviceFlags.rawValue)
        b.u32(classWord)
        b.u32(subClass)
        b.u32(UInt32(userTID.rawValue) | UInt32(parentTID.rawValue) << 12 | UInt32(biosInfo) << 24)
        b.u32(identityTag.readLE32(at: 0))
        b.u32(identityTag.readLE32(at: 4))
        b.u32(eventCapabilities)
    }

    public var encodedWords: [UInt32] {
        [
            UInt32(Self.words) | UInt32(localTID.rawValue) << 16,
            changeIndicator,
            deviceFlags.rawValue,
            classWord,
            subClass,
            UInt32(userTID.rawValue) | UInt32(parentTID.rawValue) << 12 | UInt32(biosInfo) << 24,
            identityTag.readLE32(at: 0),
            identityTag.readLE32(at: 4),
            eventCapabilities,
        ]
    }

    public init(words w: ArraySlice<UInt32>) {
        let b = w.startIndex
        self.init(localTID: TID(rawValue: UInt16(w[b] >> 16 & 0xFFF)),
                  classID: ClassID(rawValue: UInt16(w[b + 3] & 0xFFF)), subClass: w[b + 4],
                  parentTID: TID(rawValue: UInt16(w[b + 5] >> 12 & 0xFFF)),
                  userTID: TID(rawValue: UInt16(w[b + 5] & 0xFFF)), deviceFlags: DeviceFlags(rawValue: w[b + 2]),
                  changeIndicator: w[b + 1], classVersion: UInt8(w[b + 3] >> 12 & 0xF),
                  organizationID: UInt16(w[b + 3] >> 16), biosInfo: UInt8(w[b + 5] >> 24),
                  identityTag: [w[b + 6], w[b + 7]].littleEndianBytes, eventCapabilities: w[b + 8])
    }
}

/// The Logical Configuration Table in the IOP's wire format (docs/i2o-formats.md §LCT): word 1 IopFlags,
/// word 2 CurrentChangeIndicator, 9-word entries.
public struct LCT: Hashable, Sendable {
    public var bootDeviceTID: TID
    public var lctVersion: UInt8
    public var iopFlags: UInt32
    public var changeIndicator: UInt32
    public var entries: [LCTEntry]

    public init(entries: [LCTEntry], iopFlags: UInt32 = 0, changeIndicator: UInt32 = 0,
                bootDeviceTID: TID = .none, lctVersion: UInt8 = 1) {
        self.entries = entries
        self.iopFlags = iopFlags
        self.changeIndicator = changeIndicator
        self.bootDeviceTID = bootDeviceTID
        self.lctVersion = lctVersion
    }

    public static let headerWords = 3
    /// TableSize in words, header included.
    public var tableSize: WordCount { WordCount(rawValue: Self.headerWords + entries.count * LCTEntry.words) }
    public var byteCount: Int { tableSize.bytes }

    public func entry(for tid: TID) -> LCTEntry? { entries.first { $0.localTID == tid } }

    public var encodedWords: [UInt32] {
        var w: [UInt32] = [
            UInt32(UInt16(truncatingIfNeeded: tableSize.rawValue)) | UInt32(bootDeviceTID.rawValue) << 16
                | UInt32(lctVersion & 0xF) << 28,
            iopFlags, changeIndicator,
        ]
        w.reserveCapacity(tableSize.rawValue)
        for e in entries { w.append(contentsOf: e.encodedWords) }
        return w
    }
    /// The table as bytes, written in one array.
    public func encoded() -> [UInt8] {
        [UInt8](littleEndianCount: byteCount) { b in
            b.u32(UInt32(UInt16(truncatingIfNeeded: tableSize.rawValue)) | UInt32(bootDeviceTID.rawValue) << 16
                  | UInt32(lctVersion & 0xF) << 28)
            b.u32(iopFlags)
            b.u32(changeIndicator)
            for e in entries { e.encode(into: &b) }
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(I2OFormatError) -> LCT {
        guard bytes.count >= headerWords * 4 else { throw .truncated(what: "LCT header", needed: 12, available: bytes.count) }
        let w0 = bytes.readLE32(at: 0)
        let size = Int(w0 & 0xFFFF)
        guard size >= headerWords else { throw .invalid(what: "LCT", reason: "TableSize \(size) words is smaller than its 3-word header") }
        guard (size - headerWords) % LCTEntry.words == 0 else {
            throw .invalid(what: "LCT", reason: "TableSize \(size) words is not the header plus whole 9-word entries")
        }
        guard bytes.count >= size * 4 else { throw .truncated(what: "LCT of \(size) words", needed: size * 4, available: bytes.count) }
        let words = try Array(bytes[0..<size * 4]).littleEndianWords(what: "LCT")
        var entries: [LCTEntry] = []
        var i = headerWords
        while i < size {
            let entrySize = Int(words[i] & 0xFFFF)
            guard entrySize == LCTEntry.words else {
                throw .invalid(what: "LCT entry \(entries.count)", reason: "TableEntrySize \(entrySize) words, expected 9")
            }
            entries.append(LCTEntry(words: words[i..<i + LCTEntry.words]))
            i += LCTEntry.words
        }
        return LCT(entries: entries, iopFlags: words[1], changeIndicator: words[2],
                   bootDeviceTID: TID(rawValue: UInt16(w0 >> 16 & 0xFFF)), lctVersion: UInt8(w0 >> 28))
    }
}
