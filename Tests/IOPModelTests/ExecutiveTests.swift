import I2OFormats
import Testing
import IOPModel

@Suite struct ExecutiveTests {
    @Test func statusGetWritesBlockWithoutReply() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 88)
        let f = MessageFrame(function: .execStatusGet, target: 0, payload: [0, 0, UInt32(buf & 0xFFFF_FFFF), UInt32(buf >> 32), 88])
        #expect(f.messageSize.rawValue == 9)
        #expect(h.post(f) == nil)
        #expect(h.iop.takeOutbound().isEmpty)
        let bytes = try #require(h.memory.buffer(at: buf))
        #expect(bytes[87] == 0xFF)
        let s = try StatusBlock.decode(bytes)
        #expect(s.productID == "Test IOP")
        #expect(s.organizationID == 0x1B)
        #expect(s.inboundFrameSize == 128)
        // ExpectedLCTSize follows the LCT: 3 + 4 × 9 words.
        #expect(s.expectedLCTSize == 156)
        // An unmapped address gets a failing reply.
        let bad = MessageFrame(function: .execStatusGet, target: 0, payload: [0, 0, 0x7777_0000, 0, 88])
        let r = try h.reply(bad)
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .invalidParameter)
    }

    @Test func hrtGetWritesTheHRT() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 1024)
        let f = MessageFrame(function: .execHrtGet, target: 0, sglOffset: 4, payload: [0xD000_0000 | 1024, UInt32(buf)])
        let r = try h.reply(f)
        #expect(r.reqStatus == .success)
        #expect(r[word: 5] == 40)
        let bytes = try #require(h.memory.buffer(at: buf))
        #expect(Array(bytes[0..<8]) == [2, 0, 4, 0, 7, 0, 0, 0])
        #expect(try HRT.decode(bytes) == TestMachine.hrt)
        #expect(bytes[40...].allSatisfy { $0 == 0 })
        // A buffer of 24 bytes gets the first 24 and the full size in word 5.
        let small = h.memory.map(zeroes: 24)
        let r2 = try h.reply(MessageFrame(function: .execHrtGet, target: 0, sglOffset: 4, payload: [0xD000_0000 | 24, UInt32(small)]))
        #expect(r2.reqStatus == .success && r2[word: 5] == 40)
        #expect(h.memory.buffer(at: small) == Array(TestMachine.hrt.encoded().prefix(24)))
    }

    @Test func lctNotifyAnswersAtOnceWithTheLCT() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 8192)
        let r = try h.reply(Host.lctNotify(last: 0, capacity: 8192, address: buf))
        #expect(r.reqStatus == .success)
        #expect(r.initiatorContext == 5 && r.transactionContext == 6)
        #expect(r[word: 5] == 156)
        let bytes = try #require(h.memory.buffer(at: buf))
        let lct = try LCT.decode(bytes)
        #expect(lct == h.iop.lct)
        #expect(lct.entries.map(\.localTID) == [0, 0x008, 0x010, 0x205])
        #expect(lct.changeIndicator == 5)
        #expect(lct.bootDeviceTID == 0x205)
        #expect(lct.entries[3] == TestMachine.description.devices[3].entry)
        #expect(bytes.le32(0) & 0xFFFF == 39)
        // A LastReportedChangeIndicator that is not the current one also answers at once.
        #expect(h.post(Host.lctNotify(last: 4, capacity: 8192, address: buf)) != nil)
    }

    @Test func lctNotifyFiltersByClassAndCutsToWholeEntries() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 8192)
        var r = try h.reply(Host.lctNotify(classID: 0x010, last: 0, capacity: 8192, address: buf))
        #expect(r[word: 5] == 12 + 2 * 36)
        var lct = try LCT.decode(h.memory.buffer(at: buf) ?? [])
        #expect(lct.entries.map(\.localTID) == [0x010, 0x205])
        // Room for two entries and a half: two whole entries, TableSize 21 words.
        let small = h.memory.map(zeroes: 12 + 36 * 2 + 20)
        r = try h.reply(Host.lctNotify(last: 0, capacity: 12 + 36 * 2 + 20, address: small))
        #expect(r.reqStatus == .success)
        #expect(r[word: 5] == 156)
        let bytes = try #require(h.memory.buffer(at: small))
        #expect(bytes.le32(0) & 0xFFFF == 21)
        lct = try LCT.decode(bytes)
        #expect(lct.entries.map(\.localTID) == [0, 0x008])
        #expect(bytes[84...].allSatisfy { $0 == 0 })
    }

    @Test func lctNotifyWaitsForAChangeAndAddDeviceCompletesIt() throws {
        var h = Host()
        h.register(0, mask: [.newLCTEntry, .modifiedLCT], context: 0x50)
        let buf = h.memory.map(zeroes: 8192)
        #expect(h.post(Host.lctNotify(last: 5, capacity: 8192, address: buf)) == nil)
        let blockOnly = h.memory.map(zeroes: 8192)
        #expect(h.post(Host.lctNotify(classID: 0x051, last: 5, capacity: 8192, address: blockOnly)) == nil)
        #expect(h.iop.pendingLctNotifyCount == 2)
        #expect(h.iop.takeOutbound().isEmpty)
        #expect(h.memory.buffer(at: buf)?.allSatisfy { $0 == 0 } == true)

        let newDisk = DeviceDescription(entry: LCTEntry(localTID: 0x011, classID: .randomBlockStorage, parentTID: 0x008))
        try h.iop.addDevice(newDisk)
        #expect(h.iop.lctChangeIndicator == 6)
        #expect(h.iop.pendingLctNotifyCount == 1)   // the SCSI-peripheral one still waits
        let out = h.iop.takeOutbound()
        #expect(out.count == 2)
        let event = try #require(out.first { $0.function == .utilEventRegister })
        #expect(event[word: 4] == EventIndicator.newLCTEntry.rawValue)
        #expect(event.transactionContext == 0x50)
        #expect(event.messageSize.rawValue == 5 + 9)
        #expect(Array(event.words[5...]) == LCTEntry(localTID: 0x011, classID: .randomBlockStorage, parentTID: 0x008,
                                                     changeIndicator: 6).encodedWords)
        let reply = try #require(out.first { $0.function == .execLctNotify })
        #expect(reply.reqStatus == .success)
        #expect(reply.initiatorContext == 5 && reply.transactionContext == 6)
        #expect(reply[word: 5] == 12 + 5 * 36)
        let lct = try LCT.decode(h.memory.buffer(at: buf) ?? [])
        #expect(lct.changeIndicator == 6)
        #expect(lct.entries.last?.localTID == 0x011)
        #expect(lct.entries.last?.changeIndicator == 6)
        // The new device answers requests, with derived groups.
        let b = try #require(try h.fieldGet(0x011, 0xF100, .indices([0, 2])))
        #expect(b.data == [0x10, 0, 0, 0, 0x08, 0, 0, 0])
        #expect(h.iop.parameterGroup(0x0101, of: 0)?.rows[0] == [0x05, 0x02, 0, 0, 0, 0, 6, 0, 0, 0])
    }

    @Test func removeAndReplaceEntries() throws {
        var h = Host()
        h.register(0, mask: .modifiedLCT)
        h.register(TestMachine.diskTID, mask: .fieldModified)
        let buf = h.memory.map(zeroes: 8192)
        #expect(h.post(Host.lctNotify(last: 5, capacity: 8192, address: buf)) == nil)
        try h.iop.removeDevice(TestMachine.diskTID)
        #expect(h.iop.eventRegistrations.allSatisfy { $0.tid != TestMachine.diskTID })
        var out = h.iop.takeOutbound()
        #expect(out.count == 2)
        #expect(out.contains { $0.function == .utilEventRegister && $0[word: 4] == 0x200 })
        #expect(try LCT.decode(h.memory.buffer(at: buf) ?? []).entries.map(\.localTID) == [0, 0x008, 0x205])
        let r = try #require(h.params(TestMachine.diskTID, OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded()).reply)
        #expect(r.detailedStatus == .invalidTargetAddress)

        var e = try #require(h.iop.devices[0x205]?.entry)
        e.userTID = 0x001
        try h.iop.replaceEntry(e)
        #expect(h.iop.lctChangeIndicator == 7)
        #expect(h.iop.devices[0x205]?.entry.changeIndicator == 7)
        out = h.iop.takeOutbound()
        #expect(out.count == 1 && out[0][word: 4] == 0x200)
        #expect(try h.fieldGet(0x205, 0xF100, .indices([1]))?.data == [0x01, 0x00, 0, 0])

        #expect(throws: IOPModelError.cannotRemoveExecutive) { try h.iop.removeDevice(0) }
        #expect(throws: IOPModelError.unknownTID(0x010)) { try h.iop.removeDevice(0x010) }
        #expect(throws: IOPModelError.unknownTID(0x333)) { try h.iop.replaceEntry(LCTEntry(localTID: 0x333, classID: .lan)) }
        #expect(throws: IOPModelError.duplicateTID(0x008)) {
            try h.iop.addDevice(DeviceDescription(entry: LCTEntry(localTID: 0x008, classID: .lan)))
        }
        #expect(throws: IOPModelError.reservedTID(1)) {
            try h.iop.addDevice(DeviceDescription(entry: LCTEntry(localTID: 1, classID: .lan)))
        }
        #expect(h.iop.lctChangeIndicator == 7)
    }

    @Test func executiveDerivedGroups() throws {
        var h = Host()
        // 0x0001: InboundFrameSize from the status block, OutboundFrameSize 128 words.
        let mi = try #require(try h.fieldGet(0, 0x0001, .indices([0, 2, 11, 12])))
        #expect(mi.data == [128, 0, 0, 0, 128, 0, 0, 0, 128, 0, 0, 0, 128, 0, 0, 0])
        // 0x0004 from the store: limit 3, one module, 3 bytes used, 39997 free.
        #expect(try h.fieldGet(0, 0x0004)?.data == [3, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0x3D, 0x9C, 0, 0])
        // 0x0100 from the HRT.
        let hrt = try #require(try h.tableGet(0, 0x0100))
        #expect(hrt.rows?.count == 2)
        #expect(Array(hrt.data[24..<48]) == [0x01, 0x00, 0x01, 0x00, 0x08, 0x40, 1, 4, 1, 5, 1, 0, 0x05, 0x90, 0x20, 0x00,
                                             0, 0, 0, 0, 0, 0, 0, 0])
        // 0x0101 and 0x0102 from the LCT.
        #expect(try h.fieldGet(0, 0x0101)?.data == [0x05, 0x02, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0])   // padded to a word
        let lct = try h.run(0, [ParamOperation(code: .listGet, group: 0x0102, keys: [[0x05, 0x02]])]).result.blocks[0]
        #expect(lct.rows?.count == 1)
        #expect(lct.data.count == 40)   // 37 bytes, padded
        #expect(lct.data.le16(0) == 0x205 && lct.data.le16(2) == 0xFFF && lct.data.le16(4) == 0x008)
        #expect(lct.data.le32(8) == 1 && lct.data.le32(12) == 1 && lct.data.le32(16) == 0x001B_1010)
        #expect(try h.tableGet(0, 0x0102)?.rows?.count == 4)
        // Groups the fixture does not fill read as zeros / no rows.
        #expect(try h.fieldGet(0, 0x0000)?.data == [UInt8](repeating: 0, count: 20))
        #expect(try h.tableGet(0, 0x0003)?.rows?.count == 0)
        // Fixture 0xF100 of the executive.
        #expect(FixedText.decode(try #require(try h.fieldGet(0, 0xF100, .indices([3]))).data) == "Wind River Sys.")
    }

    @Test func publicGroupAccessors() throws {
        let iop = TestMachine.iop()
        let g = try #require(iop.parameterGroup(0xF100, of: 0x205))
        #expect(g.schema == StandardGroups.deviceIdentity)
        #expect(g.rows[0].le32(0) == 0x001B_1010)
        #expect(iop.parameterGroup(0x0004, of: 0x205) == nil)
        #expect(iop.parameterGroup(0xF100, of: 0x444) == nil)
        #expect(iop.parameterGroup(0x8010, of: 0x205)?.rows.count == 3)
        #expect(iop.parameterGroup(0xF000, of: 0)?.rows.count == 21)
    }

    @Test func configValidateMakesModulesValid() throws {
        var h = Host()
        let module = [UInt8](repeating: 7, count: 100)
        #expect(h.download(module, current: 1, total: 1, flags: 0x00)?.reqStatus == .success)
        #expect(h.iop.store.modules.last?.experimental == true)
        #expect(h.iop.store.modules.last?.permanent == false)
        #expect(try h.tableGet(0, 0x0005)?.data.suffix(4) == [0x02, 0, 0, 0])
        let r = try h.reply(MessageFrame(function: .execConfigValidate, target: 0))
        #expect(r.reqStatus == .success)
        #expect(r.messageSize.rawValue == 5)
        #expect(h.iop.store.modules.allSatisfy { !$0.experimental })
    }
}
