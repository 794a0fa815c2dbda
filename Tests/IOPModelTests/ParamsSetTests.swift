import I2OFormats
import Testing
import IOPModel

@Suite struct ParamsSetTests {
    let vol = TestMachine.volumeTID

    func members(_ h: Host) -> [[UInt8]] { h.iop.parameterGroup(0x8010, of: vol)?.rows ?? [] }

    @Test func fieldSetDeviceNameIsSeenAndRaisesFieldModified() throws {
        var h = Host()
        h.register(vol, mask: [.fieldModified, .stateChange], context: 0x99)
        h.register(vol, mask: .stateChange, context: 0x98)                 // not interested
        h.register(TestMachine.diskTID, mask: .fieldModified, context: 0x97) // another TID
        let name = FixedText.encode("Array 1", width: 64)
        let r = try h.run(vol, [ParamOperation(code: .fieldSet, group: 0xF102, fields: .indices([0]), values: name)], set: true)
        #expect(r.reply?.reqStatus == .success)
        #expect(r.reply?.function == .utilParamsSet)
        #expect(r.reply?[word: 5] == 8)
        #expect(r.result.blocks == [ResultBlock(status: .success)])
        let b = try #require(try h.fieldGet(vol, 0xF102))
        #expect(FixedText.decode(b.data[0..<64]) == "Array 1")
        #expect(b.data[64..<196].allSatisfy { $0 == 0 })
        let events = h.iop.takeOutbound()
        #expect(events.count == 1)
        let e = try #require(events.first)
        #expect(e.words == [0x0006_8001, 0x1300_1205, 0x1234, 0x99, 0x0100_0000, 0x0000_F102])
        #expect(e.isReply)
        #expect(e.messageSize.rawValue == 6)
        #expect(h.iop.takeOutbound().isEmpty)
    }

    @Test func fieldSetWholeGroupNeedsEveryFieldWritable() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .fieldSet, group: 0xF102, fields: .all,
                                               values: [UInt8](repeating: 0x41, count: 196))], set: true)
        #expect(r.result.blocks[0].status == .fieldUnwriteable)
        #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .fieldSet, group: 0xF102, fieldIndex: 3).encoded())
        #expect(try h.fieldGet(vol, 0xF102)?.data.allSatisfy { $0 == 0 } == true)
    }

    @Test func fieldSetOfReadOnlyFieldIsUnwriteableAndChangesNothing() throws {
        var h = Host()
        h.register(vol, mask: .fieldModified)
        let before = try #require(try h.fieldGet(vol, 0xF100))
        // VendorInfo (3) is read-only; ClassID (0) is derived.
        for (field, width) in [(3, 16), (0, 4)] as [(UInt16, Int)] {
            let r = try h.run(vol, [ParamOperation(code: .fieldSet, group: 0xF100, fields: .indices([field]),
                                                   values: [UInt8](repeating: 0x5A, count: width))], set: true)
            #expect(r.result.blocks[0].status == .fieldUnwriteable)
            #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .fieldSet, group: 0xF100, fieldIndex: field).encoded())
        }
        // One writable and one read-only field in the same operation: nothing is written.
        let r = try h.run(vol, [ParamOperation(code: .fieldSet, group: 0x8000, fields: .indices([0, 1]),
                                               values: [9, 0, 0, 0, 9, 0, 0, 0])], set: true)
        #expect(r.result.blocks[0].status == .fieldUnwriteable)
        #expect(try h.fieldGet(vol, 0x8000)?.data == [0x01, 0, 0, 0, 0x00, 0x40, 0, 0])
        #expect(try h.fieldGet(vol, 0xF100) == before)
        #expect(h.iop.takeOutbound().isEmpty)
    }

    @Test func fieldSetVendorScalar() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .fieldSet, group: 0x8000, fields: .indices([0]), values: [3, 0, 0, 0])], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(try h.fieldGet(vol, 0x8000)?.data == [0x03, 0, 0, 0, 0x00, 0x40, 0, 0])
    }

    @Test func fieldSetWithUnknownFieldIsNoSuchField() throws {
        var h = Host()
        // The value width of field 7 of 0x8000 is unknown: the list stops there.
        let (reply, bytes) = h.params(vol, Host.list([1, 0, 0x0006, 0x8000, 1, 7, 0, 0]), set: true)
        #expect(reply?.reqStatus == .success)
        let b = try ResultList.decode(bytes).blocks
        #expect(b.count == 1)
        #expect(b[0].status == .noSuchField)
    }

    @Test func getOperationInParamsSetIsInvalidOperation() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .fieldGet, group: 0xF100)], set: true)
        #expect(r.result.blocks[0].status == .invalidOperation)
        #expect(r.result.blocks[0].data.isEmpty)
    }

    @Test func listSetByKey() throws {
        var h = Host()
        var r = try h.run(vol, [ParamOperation(code: .listSet, group: 0x8010, fields: .indices([1]),
                                               keys: [[0x12, 0], [0x10, 0]], values: [7, 8])], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(members(h).map { $0[2] } == [8, 1, 7])
        // A bad key anywhere: nothing changes.
        r = try h.run(vol, [ParamOperation(code: .listSet, group: 0x8010, fields: .indices([1]),
                                           keys: [[0x11, 0], [0x44, 0]], values: [5, 5])], set: true)
        #expect(r.result.blocks[0].status == .badKeyAbort)
        #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .listSet, group: 0x8010, keys: [[0x44, 0]]).encoded())
        #expect(members(h).map { $0[2] } == [8, 1, 7])
        // Capacity (3) is read-only.
        r = try h.run(vol, [ParamOperation(code: .listSet, group: 0x8010, fields: .indices([3]),
                                           keys: [[0x11, 0]], values: [0, 0, 0, 0])], set: true)
        #expect(r.result.blocks[0].status == .fieldUnwriteable)
        #expect(members(h)[1] == TestMachine.member(0x011, state: 1, capacity: 2000))
    }

    @Test func rowAddDeleteAndClear() throws {
        var h = Host()
        h.register(vol, mask: .fieldModified)
        let new = TestMachine.member(0x020, state: 2, capacity: 4000)
        var r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, values: new, rowCount: 1)], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(members(h).count == 4)
        #expect(members(h)[3] == new)
        // ROW_ADD with some fields: the others are zero.
        r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, fields: .indices([0, 3]),
                                           values: [0x21, 0, 0x10, 0, 0, 0], rowCount: 1)], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(members(h)[4] == [0x21, 0, 0, 0, 0x10, 0, 0, 0])
        // ROW_DELETE two keys.
        r = try h.run(vol, [ParamOperation(code: .rowDelete, group: 0x8010, keys: [[0x10, 0], [0x21, 0]])], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(members(h).map { $0.le16(0) } == [0x011, 0x012, 0x020])
        // The descriptor table follows.
        let d = try h.run(vol, [ParamOperation(code: .listGet, group: 0xF000, keys: [[0x10, 0x80]])])
        #expect(d.result.blocks[0].data == [0x10, 0x80, 4, 0, 3, 0, 0x0F, 0])
        // TABLE_CLEAR.
        r = try h.run(vol, [ParamOperation(code: .tableClear, group: 0x8010)], set: true)
        #expect(r.result.blocks[0].status == .success)
        #expect(members(h).isEmpty)
        #expect(try h.tableGet(vol, 0x8010)?.rows?.count == 0)
        let events = h.iop.takeOutbound()
        #expect(events.count == 4)
        #expect(events.allSatisfy { $0[word: 4] == 0x0100_0000 && $0[word: 5] == 0xFFFF_8010 })
    }

    @Test func rowAddRejections() throws {
        var h = Host()
        let dup = TestMachine.member(0x011, state: 0, capacity: 1)
        let fresh = TestMachine.member(0x030, state: 0, capacity: 1)
        // Second row's key exists: the first row is not added either.
        var r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, values: fresh + dup, rowCount: 2)], set: true)
        #expect(r.result.blocks[0].status == .badKeyAbort)
        #expect(r.result.blocks[0].errorInfo == ParamErrorInfo(operation: .rowAdd, group: 0x8010, keys: [[0x11, 0]]).encoded())
        #expect(members(h).count == 3)
        // The same new key twice.
        r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, values: fresh + fresh, rowCount: 2)], set: true)
        #expect(r.result.blocks[0].status == .badKeyAbort)
        #expect(members(h).count == 3)
        // Without the key field.
        r = try h.run(vol, [ParamOperation(code: .rowAdd, group: 0x8010, fields: .indices([1]), values: [1], rowCount: 1)], set: true)
        #expect(r.result.blocks[0].status == .noKeyField)
        // Groups whose rows are fixed: a fixture table, and the derived tables.
        let fixed: [ParamOperation] = [
            ParamOperation(code: .rowAdd, group: 0x8020, values: [3, 0, 0, 0], rowCount: 1),
            ParamOperation(code: .rowDelete, group: 0x8020, keys: [[1, 0]]),
            ParamOperation(code: .tableClear, group: 0x8020),
            ParamOperation(code: .tableClear, group: 0xF000),
            ParamOperation(code: .rowDelete, group: 0xF000, keys: [[0x00, 0xF1]]),
        ]
        r = try h.run(vol, fixed, set: true)
        #expect(r.result.blocks.map(\.status) == [.nonDynamicGroup, .nonDynamicGroup, .nonDynamicGroup, .nonDynamicGroup, .nonDynamicGroup])
        #expect(h.iop.parameterGroup(0x8020, of: vol)?.rows.count == 2)
        // Row operations on a scalar.
        r = try h.run(vol, [ParamOperation(code: .tableClear, group: 0xF102)], set: true)
        #expect(r.result.blocks[0].status == .wrongGroupType)
    }

    @Test func rowDeleteIsAllOrNothing() throws {
        var h = Host()
        let r = try h.run(vol, [ParamOperation(code: .rowDelete, group: 0x8010, keys: [[0x10, 0], [0x77, 0]])], set: true)
        #expect(r.result.blocks[0].status == .badKeyAbort)
        #expect(r.result.blocks[0].errorInfo == [9, 0, 0x10, 0x80, 0xFF, 0xFF, 0, 1, 0x77, 0, 0, 0])
        #expect(members(h).count == 3)
    }

    @Test func laterOperationsSeeEarlierChanges() throws {
        var h = Host()
        let r = try h.run(vol, [
            ParamOperation(code: .rowAdd, group: 0x8010, values: TestMachine.member(0x40, state: 1, capacity: 5), rowCount: 1),
            ParamOperation(code: .listSet, group: 0x8010, fields: .indices([1]), keys: [[0x40, 0]], values: [9]),
            ParamOperation(code: .rowAdd, group: 0x8010, values: TestMachine.member(0x40, state: 1, capacity: 5), rowCount: 1),
        ], set: true)
        #expect(r.result.blocks.map(\.status) == [.success, .success, .badKeyAbort])
        #expect(members(h).last == TestMachine.member(0x40, state: 9, capacity: 5))
    }

    @Test func setThatDoesNotFitChangesNothing() throws {
        var h = Host()
        // 8 bytes: the list header and one success block; the second set gets no block.
        let ops = [ParamOperation(code: .fieldSet, group: 0x8000, fields: .indices([0]), values: [5, 0, 0, 0]),
                   ParamOperation(code: .tableClear, group: 0x8010)]
        let (reply, bytes) = h.params(vol, OperationList(ops).encoded(), set: true, capacity: 8)
        #expect(reply?.reqStatus == .success)
        #expect(bytes == [1, 0, 0, 0, 1, 0, 0, 0])
        #expect(try h.fieldGet(vol, 0x8000)?.data.first == 5)
        #expect(members(h).count == 3)
        // 12 bytes: both success blocks fit, both are carried out.
        let (_, b2) = h.params(vol, OperationList(ops).encoded(), set: true, capacity: 12)
        #expect(b2 == [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
        #expect(members(h).isEmpty)
    }

    @Test func derivedGroupsAreReadOnly() throws {
        var h = Host()
        let r = try h.run(0, [ParamOperation(code: .fieldSet, group: 0x0004, fields: .indices([0]), values: [1, 0, 0, 0]),
                              ParamOperation(code: .fieldSet, group: 0x0101, fields: .indices([0]), values: [0, 0]),
                              ParamOperation(code: .listSet, group: 0x0102, fields: .indices([1]), keys: [[0, 0]], values: [1, 0]),
                              ParamOperation(code: .fieldSet, group: 0x0001, fields: .indices([0]), values: [1, 0, 0, 0])],
                          set: true)
        #expect(r.result.blocks.map(\.status) == [.fieldUnwriteable, .fieldUnwriteable, .fieldUnwriteable, .fieldUnwriteable])
    }
}
