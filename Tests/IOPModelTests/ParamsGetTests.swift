import I2OFormats
import Testing
import IOPModel

@Suite struct ParamsGetTests {
    let vol = TestMachine.volumeTID

    @Test(arguments: [true, false])
    func deviceIdentityAllFieldsBothEncodings(immediate: Bool) throws {
        var h = Host()
        // FieldCount 0xFFFF (NetBSD, 2.4) and FieldCount 1 + FieldIdx 0xFFFF (2.6.18).
        for list in [Host.list([1, 0, 0x0001, 0xF100, 0xFFFF, 0]), Host.list([1, 0, 0x0001, 0xF100, 1, 0xFFFF])] {
            let (reply, bytes) = h.params(vol, list, immediate: immediate)
            let r = try #require(reply)
            #expect(r.reqStatus == .success)
            #expect(r.messageSize.rawValue == 6)
            #expect(r[word: 5] == 92)   // 4 + BlockSize 22 words
            #expect(bytes.count == 92)
            #expect(Array(bytes[0..<8]) == [1, 0, 0, 0, 22, 0x00, 0, 0])
            let data = Array(bytes[8...])
            #expect(data.le32(0) == 0x001B_1010)              // class 0x010 | version 1 << 12 | org 0x1B << 16
            #expect(data.le16(4) == 0xFFF)                    // OwnerTID = UserTID
            #expect(data.le16(6) == 0x008)                    // ParentTID
            #expect(FixedText.decode(data[8..<24]) == "DPT")
            #expect(FixedText.decode(data[24..<40]) == "RAID-5")
            #expect(FixedText.decode(data[56..<64]) == "3A07")
            #expect(data[64] == 1)
            #expect(Array(data[65..<81]) == [UInt8](repeating: 0xAB, count: 16))
            #expect(Array(data[81..<84]) == [0, 0, 0])        // padding
        }
    }

    @Test func deviceIdentityWithoutFixtureRowIsLCTPlusZeros() throws {
        var h = Host()
        let b = try #require(try h.fieldGet(TestMachine.diskTID, 0xF100))
        #expect(b.status == .success)
        #expect(b.data.le32(0) == 0x010)
        #expect(b.data.le16(4) == 0x205)
        #expect(b.data.le16(6) == 0x008)
        #expect(b.data[8..<81].allSatisfy { $0 == 0 })
    }

    @Test func selectedFieldsInRequestOrder() throws {
        var h = Host()
        let b = try #require(try h.fieldGet(vol, 0xF100, .indices([6, 0])))
        #expect(b.status == .success)
        #expect(b.data.count == 12)
        #expect(FixedText.decode(b.data[0..<8]) == "3A07")
        #expect(b.data.le32(8) == 0x001B_1010)
    }

    @Test func fieldIndexOutOfRangeIsNoSuchField() throws {
        var h = Host()
        let b = try #require(try h.fieldGet(vol, 0xF100, .indices([0, 9])))
        #expect(b.status == .noSuchField)
        #expect(b.data.isEmpty)
        let info = ParamErrorInfo(operation: .fieldGet, group: 0xF100, fieldIndex: 9).encoded()
        #expect(b.errorInfo == info)
        #expect(info == [1, 0, 0x00, 0xF1, 9, 0, 0, 0])
    }

    @Test func unknownGroupIsInvalidGroupID() throws {
        var h = Host()
        var b = try #require(try h.fieldGet(vol, 0x7777))
        #expect(b.status == .invalidGroupID)
        #expect(b.errorInfo == ParamErrorInfo(operation: .fieldGet, group: 0x7777).encoded())
        // Executive groups exist on TID 0 only.
        b = try #require(try h.fieldGet(TestMachine.diskTID, 0x0101))
        #expect(b.status == .invalidGroupID)
        // LIST_GET with keys on an unknown group cannot even be parsed: the parser's failure becomes the block.
        let list = Host.list([2, 0, 0x0001, 0xF100, 0xFFFF, 0, 0x0002, 0x7777, 0xFFFF, 1, 5])
        let (reply, bytes) = h.params(vol, list)
        #expect(reply?.reqStatus == .success)
        let result = try ResultList.decode(bytes, rowHeaders: [false, true])
        #expect(result.blocks.count == 2)
        #expect(result.blocks[0].status == .success)
        #expect(result.blocks[1].status == .invalidGroupID)
    }

    @Test func tableGetReturnsRows() throws {
        var h = Host()
        let b = try #require(try h.tableGet(vol, 0x8010))
        #expect(b.status == .success)
        #expect(b.rows?.count == 3)
        #expect(b.rows?.more == 0)
        #expect(b.data == TestMachine.member(0x010, state: 1, capacity: 1000) + TestMachine.member(0x011, state: 1, capacity: 2000)
                + TestMachine.member(0x012, state: 0, capacity: 3000))
        // Selected fields of a table.
        let r = try h.run(vol, [ParamOperation(code: .tableGet, group: 0x8010, fields: .indices([3]))])
        #expect(r.result.blocks[0].data == [0xE8, 0x03, 0, 0, 0xD0, 0x07, 0, 0, 0xB8, 0x0B, 0, 0])
    }

    @Test func tableOperationsOnScalarsAndBackAreWrongGroupType() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .tableGet, group: 0xF100),
                                ParamOperation(code: .fieldGet, group: 0x8010),
                                ParamOperation(code: .listGet, group: 0x8000, keys: [[1, 0, 0, 0]])])
        #expect(r.result.blocks.map(\.status) == [.wrongGroupType, .wrongGroupType, .wrongGroupType])
        #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .tableGet, group: 0xF100).encoded())
    }

    @Test func listGetByKeyAndBadKey() throws {
        var h = Host()
        var r = try h.run(vol, [ParamOperation(code: .listGet, group: 0x8010, keys: [[0x12, 0], [0x10, 0]])])
        var b = r.result.blocks[0]
        #expect(b.status == .success)
        #expect(b.rows?.count == 2)
        #expect(b.data == TestMachine.member(0x012, state: 0, capacity: 3000) + TestMachine.member(0x010, state: 1, capacity: 1000))
        r = try h.run(vol, [ParamOperation(code: .listGet, group: 0x8010, keys: [[0x10, 0], [0x99, 0]])])
        b = r.result.blocks[0]
        #expect(b.status == .badKeyAbort)
        #expect(b.data.isEmpty)
        // Error info: op 2, group 0x8010, field 0xFFFF, status 0, one key 0x0099, padded.
        #expect(b.errorInfo == [2, 0, 0x10, 0x80, 0xFF, 0xFF, 0, 1, 0x99, 0, 0, 0])
    }

    @Test func moreGetContinuesAfterKey() throws {
        var h = Host()
        var r = try h.run(vol, [ParamOperation(code: .moreGet, group: 0x8010, keys: [[0x10, 0]])])
        #expect(r.result.blocks[0].status == .success)
        #expect(r.result.blocks[0].rows?.count == 2)
        #expect(r.result.blocks[0].data.le16(0) == 0x011)
        #expect(r.result.blocks[0].data.le16(8) == 0x012)
        r = try h.run(vol, [ParamOperation(code: .moreGet, group: 0x8010, keys: [[0x12, 0]])])
        #expect(r.result.blocks[0].rows?.count == 0)
        #expect(r.result.blocks[0].data.isEmpty)
        r = try h.run(vol, [ParamOperation(code: .moreGet, group: 0x8010, keys: [[0x55, 0]])])
        #expect(r.result.blocks[0].status == .badKeyAbort)
        r = try h.run(vol, [ParamOperation(code: .moreGet, group: 0x8010, keys: [[0x10, 0], [0x11, 0]])])
        #expect(r.result.blocks[0].status == .operationError)
    }

    @Test func tableGetThatDoesNotFitReturnsFirstRowsWithMoreFlag() throws {
        var h = Host()
        // 4 list header + 4 block header + 4 rows header + 2 rows of 8 = 28.
        var r = try h.run(vol, [ParamOperation(code: .tableGet, group: 0x8010)], capacity: 28)
        var b = r.result.blocks[0]
        #expect(r.reply?[word: 5] == 28)
        #expect(b.status == .success)
        #expect(b.rows?.count == 2)
        #expect(b.rows?.more == 1)
        let lastKey = Array(b.data[8..<10])
        r = try h.run(vol, [ParamOperation(code: .moreGet, group: 0x8010, keys: [lastKey])], capacity: 28)
        b = r.result.blocks[0]
        #expect(b.rows?.count == 1)
        #expect(b.rows?.more == 0)
        #expect(b.data == TestMachine.member(0x012, state: 0, capacity: 3000))
    }

    @Test func sizeGet() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .sizeGet, group: 0x8010),
                                ParamOperation(code: .sizeGet, group: 0x8010, fields: .indices([0, 1])),
                                ParamOperation(code: .sizeGet, group: 0xF100)])
        #expect(r.result.blocks[0].data == [3, 0, 0, 0, 24, 0, 0, 0])
        #expect(r.result.blocks[1].data == [3, 0, 0, 0, 9, 0, 0, 0])
        #expect(r.result.blocks[2].data == [1, 0, 0, 0, 81, 0, 0, 0])
    }

    @Test func setOperationInParamsGetIsInvalidOperation() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .tableClear, group: 0x8010),
                                ParamOperation(code: .fieldGet, group: 0x8000)])
        #expect(r.result.blocks[0].status == .invalidOperation)
        #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .tableClear, group: 0x8010).encoded())
        #expect(r.result.blocks[1].status == .success)
        #expect(h.iop.parameterGroup(0x8010, of: vol)?.rows.count == 3)
        // An operation code outside the ten.
        let (_, bytes) = h.params(vol, Host.list([1, 0, 0x0020, 0x8010]))
        #expect(try ResultList.decode(bytes).blocks[0].status == .invalidOperation)
    }

    @Test func bufferTooSmallGivesBufferFullForTheRest() throws {
        var h = Host()
        let ops = [ParamOperation(code: .fieldGet, group: 0x8000), ParamOperation(code: .fieldGet, group: 0xF100),
                   ParamOperation(code: .fieldGet, group: 0x8000)]
        // 4 + 12 (first block) + 12 + 12 (two BUFFER_FULL blocks with error info) = 40.
        let r = try h.run(vol, ops, capacity: 40)
        #expect(r.reply?.reqStatus == .success)
        #expect(r.reply?[word: 5] == 40)
        #expect(r.result.blocks.map(\.status) == [.success, .bufferFull, .bufferFull])
        #expect(r.result.blocks[0].data == [0x01, 0, 0, 0, 0x00, 0x40, 0, 0])
        #expect(r.result.blocks[1].errorInfo == ParamErrorInfo(operation: .fieldGet, group: 0xF100).encoded())
        // Room for bare headers only.
        let (_, bytes) = h.params(vol, OperationList(ops).encoded(), capacity: 24)
        #expect(bytes == [3, 0, 0, 0, 3, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0x40, 0, 0, 1, 0, 3, 0, 1, 0, 3, 0])
    }

    @Test func bufferUnderMinimumIsReplyBufferFull() throws {
        var h = Host()
        let (reply, bytes) = h.params(vol, OperationList([ParamOperation(code: .fieldGet, group: 0x8000)]).encoded(), capacity: 7)
        #expect(reply?.reqStatus == .errorPartialTransfer)
        #expect(reply?.detailedStatus == .replyBufferFull)
        #expect(bytes.isEmpty)
    }

    @Test func emptyListGivesEmptyResult() throws {
        var h = Host()
        let (reply, bytes) = h.params(vol, [0, 0, 0, 0])
        #expect(reply?.reqStatus == .success)
        #expect(bytes == [0, 0, 0, 0])
    }

    @Test func descriptorTableListsEveryGroup() throws {
        var h = Host()
        let b = try #require(try h.tableGet(vol, 0xF000))
        let expected: [UInt16] = [0x8000, 0x8010, 0x8020, 0xF000, 0xF001, 0xF002, 0xF003, 0xF005, 0xF006,
                                  0xF100, 0xF101, 0xF102, 0xF103]
        #expect(b.rows?.count == UInt16(expected.count))
        #expect(h.iop.groupNumbers(of: vol) == expected)
        var rows: [UInt16: [UInt8]] = [:]
        for i in 0..<expected.count { let r = Array(b.data[i * 8..<(i + 1) * 8]); rows[r.le16(0)] = r }
        #expect(rows[0x8010] == [0x10, 0x80, 4, 0, 3, 0, 0x0F, 0])    // table, rows editable
        #expect(rows[0x8020] == [0x20, 0x80, 2, 0, 2, 0, 0x01, 0])    // table, fixed
        #expect(rows[0x8000] == [0x00, 0x80, 2, 0, 1, 0, 0x00, 0])    // scalar
        #expect(rows[0xF100] == [0x00, 0xF1, 9, 0, 1, 0, 0x00, 0])
        #expect(rows[0xF000] == [0x00, 0xF0, 5, 0, 13, 0, 0x01, 0])
        #expect(rows[0xF002] == [0x02, 0xF0, 1, 0, 0, 0, 0x01, 0])
        // LIST_GET by group number.
        let r = try h.run(vol, [ParamOperation(code: .listGet, group: 0xF000, keys: [[0x02, 0xF1]])])
        #expect(r.result.blocks[0].data == [0x02, 0xF1, 4, 0, 1, 0, 0, 0])
        // The executive has the executive groups too.
        let exec = try #require(h.iop.groupNumbers(of: 0))
        #expect(exec.contains(0x0005) && exec.contains(0x0102) && exec.contains(0xF100))
        #expect(exec.count == 21)
        #expect(h.iop.groupNumbers(of: 0x999) == nil)
    }
}

/// 0xF100 is kept current by the device (`DeviceDescription.identity`), not computed per read.
@Suite struct DeviceIdentityTests {
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24 }
    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    @Test func identityFollowsTheEntryAndTheStoredRow() throws {
        // A stored row whose ClassID/OwnerTID/ParentTID disagree with the LCT, and a vendor string.
        var row = [UInt8](repeating: 0xEE, count: 8)
        row += Array("Acme".utf8) + [UInt8](repeating: 0, count: 12)
        row += [UInt8](repeating: 0, count: StandardGroups.deviceIdentity.rowWidth - row.count)
        var d = DeviceDescription(entry: LCTEntry(localTID: 0x210, classID: .lan, parentTID: 0x008, userTID: .none),
                                  groups: [0xF100: ParamGroup(schema: StandardGroups.deviceIdentity, rows: [row])])
        var id = try #require(d.identity.rows.first)
        #expect(Self.u32(id, 0) == d.entry.classWord)
        #expect(Self.u16(id, 4) == TID.none.rawValue && Self.u16(id, 6) == 0x008)
        #expect(FixedText.decode(id[8..<24]) == "Acme")

        // The entry changes: the row follows.
        d.entry.userTID = 0x211
        d.entry.parentTID = 0x009
        id = try #require(d.identity.rows.first)
        #expect(Self.u16(id, 4) == 0x211 && Self.u16(id, 6) == 0x009)

        // The stored row changes: the derived fields stay the LCT's, the rest is the new row.
        var other = row
        other.replaceSubrange(8..<12, with: Array("Zeta".utf8))
        d.groups[0xF100]?.rows = [other]
        id = try #require(d.identity.rows.first)
        #expect(FixedText.decode(id[8..<24]) == "Zeta")
        #expect(Self.u32(id, 0) == d.entry.classWord && Self.u16(id, 4) == 0x211)

        // No stored row at all: zeros beside the derived fields.
        d.groups[0xF100] = nil
        id = try #require(d.identity.rows.first)
        #expect(id.count == StandardGroups.deviceIdentity.rowWidth && id[8..<24].allSatisfy { $0 == 0 })
        #expect(Self.u16(id, 6) == 0x009)
    }
}
