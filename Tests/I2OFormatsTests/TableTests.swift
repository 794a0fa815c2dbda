import Testing
@testable import I2OFormats

@Suite struct HRTTests {
    // The one real HRT (docs/fixture-sources.md §HRT): Adaptec 2400A, 1 entry of 4 words.
    let hrt = HRT(entries: [HRTEntry(adapterID: 0x12, controllingTID: .executive, adapterState: 0xF, busNumber: 1,
                                     busType: HRTBusType.pci.rawValue,
                                     busInfo: HRTEntry.pciInfo(function: 0, device: 0x16, bus: 1, vendorID: 0x9005, deviceID: 0x0285))],
                  changeIndicator: 3)

    @Test func encodesTheRealAdaptecEntry() throws {
        let b = hrt.encoded()
        #expect(b.count == 24)
        let w = try b.littleEndianWords(what: "hrt")
        #expect(w[0] == 0x0004_0001)
        #expect(w[1] == 3)
        #expect(w[2] == 0x12)
        #expect(w[3] == 0x0401_F000)
        #expect(w[4] & 0x00FF_FFFF == 0x0001_1600)
        #expect(try HRT.decode(b) == hrt)
        #expect(hrt.byteCount == 24)
    }

    @Test func longerEntriesKeepTheirExtraWords() throws {
        var h = hrt
        h.entryLength = 5
        h.entries[0].extraWords = [0xDEAD_BEEF]
        let b = h.encoded()
        #expect(b.count == 8 + 20)
        #expect(try HRT.decode(b) == h)
    }

    @Test func entriesAreCutOrPaddedToEntryLength() throws {
        var long = hrt
        long.entries[0].extraWords = [0xDEAD_BEEF]   // 5 words in an HRT of 4-word entries: cut
        #expect(long.encoded() == hrt.encoded())
        var padded = hrt
        padded.entryLength = 6                       // 4 words of fields, 2 of zeros
        let b = padded.encoded()
        #expect(b.count == 8 + 24)
        #expect(Array(b[8..<24]) == Array(hrt.encoded()[8..<24]))
        #expect(b[24...].allSatisfy { $0 == 0 })
    }

    @Test func truncatedOrImpossibleHRTsAreErrors() {
        let b = hrt.encoded()
        #expect(throws: I2OFormatError.truncated(what: "HRT with 1 entries of 4 words", needed: 24, available: 20)) {
            try HRT.decode(Array(b.prefix(20)))
        }
        #expect(throws: I2OFormatError.self) { try HRT.decode([1, 0, 2, 0, 0, 0, 0, 0]) }  // EntryLength 2
        #expect(throws: I2OFormatError.self) { try HRT.decode([1, 0]) }
    }
}

@Suite struct LCTTests {
    @Test func entryBitPackingMatchesGCCsLayout() {
        // docs/i2o-formats.md §LCT: tid 0xABC/size 9 → 0x0ABC0009; class 0x051/v1/org 0x1B → 0x001B1051;
        // user 0xFFF/parent 0x123/bios 0x45 → 0x45123FFF.
        let e = LCTEntry(localTID: 0xABC, classID: .scsiPeripheral, parentTID: 0x123, userTID: .none,
                         classVersion: 1, organizationID: 0x1B, biosInfo: 0x45)
        let w = e.encodedWords
        #expect(w.count == 9)
        #expect(w[0] == 0x0ABC_0009)
        #expect(w[3] == 0x001B_1051)
        #expect(w[5] == 0x4512_3FFF)
        #expect(LCTEntry(words: w[...]) == e)
    }

    @Test func tableRoundTripsWithIopFlagsInWordOne() throws {
        let lct = LCT(entries: [
            LCTEntry(localTID: 0, classID: .executive, subClass: 1, deviceFlags: []),
            LCTEntry(localTID: 0x205, classID: .randomBlockStorage, identityTag: Array("RAID-1".utf8)),
        ], iopFlags: 1, changeIndicator: 7, bootDeviceTID: 0x205)
        let b = lct.encoded()
        #expect(b.count == (3 + 18) * 4)
        #expect(b.readLE32(at: 0) == UInt32(21) | 0x205 << 16 | 1 << 28)
        #expect(b.readLE32(at: 4) == 1)   // IopFlags
        #expect(b.readLE32(at: 8) == 7)   // CurrentChangeIndicator
        #expect(try LCT.decode(b) == lct)
        #expect(lct.entry(for: 0x205)?.classID == .randomBlockStorage)
    }

    @Test func malformedLCTs() {
        #expect(throws: I2OFormatError.self) { try LCT.decode([0, 0, 0, 0]) }
        #expect(throws: I2OFormatError.self) { try LCT.decode([UInt8]([5, 0, 0, 0]) + [UInt8](repeating: 0, count: 16)) }
        // An entry whose TableEntrySize is not 9.
        var b = LCT(entries: [LCTEntry(localTID: 8, classID: .busAdapter)]).encoded()
        b[12] = 8
        #expect(throws: I2OFormatError.invalid(what: "LCT entry 0", reason: "TableEntrySize 8 words, expected 9")) {
            try LCT.decode(b)
        }
    }

    @Test func flagLettersAsLinuxPrintsThem() {
        #expect(DeviceFlags([]).letters == "PM")
        #expect(DeviceFlags([.configDialogRequest]).letters == "CPM")
        #expect(DeviceFlags([.multiUser, .peerServiceDisabled, .managementServiceDisabled]).letters == "U")
    }
}

@Suite struct StatusBlockTests {
    @Test func eightyEightBytesWithSyncByte() throws {
        let s = StatusBlock(organizationID: 0x1B, iopID: 2, i2oVersion: 1, iopState: IOPState.operational.rawValue,
                            inboundFrameSize: 128, productID: "ADAPTEC 3200S", expectedLCTSize: 512)
        let b = s.encoded()
        #expect(b.count == 88)
        #expect(b[87] == 0xFF)
        #expect(b.readLE16(at: 12) == 128)
        #expect(b[10] == 0x08)
        #expect(FixedText.decode(b[28..<52]) == "ADAPTEC 3200S")
        #expect(try StatusBlock.decode(b) == s)
        var bad = b; bad[87] = 0
        #expect(throws: I2OFormatError.self) { try StatusBlock.decode(bad) }
        #expect(throws: I2OFormatError.self) { try StatusBlock.decode(Array(b.prefix(87))) }
    }
}

@Suite struct EventRecordTests {
    @Test func evtInfoIs104AndEvtGetIs112Bytes() throws {
        let info = EventInfo(id: EventID(iop: 0, tid: 0x205, eventMask: EventIndicator.fieldModified.rawValue),
                             data: [0x02, 0xF1, 0, 0])
        let b = info.encoded()
        #expect(b.count == 104)
        #expect(b.readLE32(at: 4) == 0x205)
        #expect(b.readLE32(at: 8) == 0x0100_0000)
        #expect(b.readLE32(at: 100) == 4)
        #expect(try EventInfo.decode(b) == info)
        let get = EventGet(info: info, pending: 3, lost: 1)
        let g = get.encoded()
        #expect(g.count == 112)
        #expect(g.readLE32(at: 104) == 3 && g.readLE32(at: 108) == 1)
        #expect(try EventGet.decode(g) == get)
        var bad = b; bad.writeLE32(89, at: 100)
        #expect(throws: I2OFormatError.self) { try EventInfo.decode(bad) }
        #expect(EventInfo(id: info.id, data: [UInt8](repeating: 1, count: 100)).data.count == 88)
    }
}

/// `[UInt8](littleEndianCount:)` gives the same bytes written on the stack (up to 1 KiB) or
/// straight into the array.
@Suite struct LittleEndianWriterTests {
    @Test(arguments: [0, 4, 1020, 1024, 1028, 8192])
    func bytesOfAnyCount(count: Int) {
        let words = count / 4
        let a = [UInt8](littleEndianCount: count) { w in
            for i in 0..<words { w.u32(UInt32(i) &* 0x0101_0101 &+ 0x0403_0201) }
        }
        var expected: [UInt8] = []
        for i in 0..<words { expected.appendLE32(UInt32(i) &* 0x0101_0101 &+ 0x0403_0201) }
        #expect(a == expected && a.count == count)
    }
}
