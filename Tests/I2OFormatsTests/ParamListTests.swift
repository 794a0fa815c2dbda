import Testing
@testable import I2OFormats

/// Widths of a toy schema: group 0xF100 (81-byte row, u32 first), table 0x8000 with a u16 key and 8-byte rows.
let toySchema = ParamSchemaWidths(
    rowWidth: { group, fields in
        switch (group, fields) {
        case (0xF100, .all): 81
        case (0xF100, .indices(let ix)): ix.allSatisfy { $0 < 9 } ? ix.count * 4 : nil
        case (0x8000, .all): 8
        case (0x8000, .indices(let ix)): ix.count * 2
        default: nil
        }
    },
    keyWidth: { $0 == 0x8000 ? 2 : nil })

@Suite struct OperationListTests {
    @Test func bothAllFieldsEncodingsDecodeToAll() throws {
        // 2.4/NetBSD: FieldCount 0xFFFF (+ dummy pad); 2.6.18: FieldCount 1, FieldIdx 0xFFFF.
        let netbsd: [UInt8] = [1, 0, 0, 0, 1, 0, 0x00, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF]
        let linux26: [UInt8] = [1, 0, 0, 0, 1, 0, 0x00, 0xF1, 1, 0, 0xFF, 0xFF]
        for bytes in [netbsd, linux26] {
            let p = try OperationList.parse(bytes, schema: toySchema)
            #expect(p.failure == nil)
            #expect(p.operations == [ParamOperation(code: .fieldGet, group: 0xF100, fields: .all)])
        }
    }

    @Test func everyOperationRoundTrips() throws {
        let ops = [
            ParamOperation(code: .fieldGet, group: 0xF100, fields: .indices([3, 4, 6])),
            ParamOperation(code: .listGet, group: 0x8000, fields: .all, keys: [[1, 0], [2, 0]]),
            ParamOperation(code: .moreGet, group: 0x8000, fields: .all, keys: [[2, 0]]),
            ParamOperation(code: .sizeGet, group: 0x8000, fields: .all),
            ParamOperation(code: .tableGet, group: 0x8000, fields: .indices([0, 1])),
            ParamOperation(code: .fieldSet, group: 0xF100, fields: .indices([0]), values: [1, 2, 3, 4]),
            ParamOperation(code: .listSet, group: 0x8000, fields: .indices([1]), keys: [[5, 0]], values: [9, 9]),
            ParamOperation(code: .rowAdd, group: 0x8000, fields: .all, values: [UInt8](repeating: 7, count: 16), rowCount: 2),
            ParamOperation(code: .rowDelete, group: 0x8000, keys: [[5, 0]]),
            ParamOperation(code: .tableClear, group: 0x8000),
        ]
        let list = OperationList(ops)
        let bytes = list.encoded()
        #expect(bytes.count % 4 == 0)
        let p = try OperationList.parse(bytes, schema: toySchema)
        #expect(p.failure == nil)
        #expect(p.declaredCount == 10)
        #expect(p.operations == ops)
    }

    @Test func parsingStopsAtTheBadOperationWithItsGroup() throws {
        let good = ParamOperation(code: .fieldGet, group: 0xF100, fields: .all).encoded()
        let unknownGroupSet = ParamOperation(code: .fieldSet, group: 0x7777, fields: .all, values: [1]).encoded()
        let p = try OperationList.parse([3, 0, 0, 0] + good + unknownGroupSet, schema: toySchema)
        #expect(p.operations.count == 1)
        #expect(p.declaredCount == 3)
        #expect(p.failure?.group == 0x7777)
        #expect(p.failure?.code == .fieldSet)
        // A list that claims more operations than it holds stops with a truncation.
        let q = try OperationList.parse([2, 0, 0, 0] + good, schema: toySchema)
        #expect(q.operations.count == 1)
        if case .truncated = q.failure?.error {} else { Issue.record("expected truncated, got \(String(describing: q.failure))") }
        #expect(throws: I2OFormatError.self) { try OperationList.parse([1, 0], schema: toySchema) }
        // Unknown operation code.
        let r = try OperationList.parse([1, 0, 0, 0, 0x0B, 0, 0, 0xF1], schema: toySchema)
        #expect(r.failure?.code == ParamOperationCode(rawValue: 0x0B))
    }
}

@Suite struct ResultListTests {
    @Test func blockSizesCountWordsIncludingTheHeader() throws {
        let ok = ResultBlock(status: .success, data: [1, 2, 3, 4, 5])   // 5 bytes → 2 words + header
        let table = ResultBlock(status: .success, rows: (count: 2, more: 0), data: [UInt8](repeating: 0xAA, count: 16))
        let err = ResultBlock(status: .noSuchField,
                              errorInfo: ParamErrorInfo(operation: .fieldGet, group: 0xF100, fieldIndex: 42).encoded())
        #expect(ok.blockSize == 3)
        #expect(table.blockSize == 6)
        #expect(err.blockSize == 3)
        let list = ResultList([ok, table, err])
        let b = list.encoded()
        #expect(b.count == list.byteCount)
        #expect(list.byteCount == 4 + (3 + 6 + 3) * 4)
        #expect(b.readLE16(at: 0) == 3)
        #expect(b.readLE16(at: 4) == 3 && b[6] == 0 && b[7] == 0)
        #expect(b[4 + 12 + 24 + 2] == BlockStatus.noSuchField.rawValue)
        #expect(b[4 + 12 + 24 + 3] == 2)   // ErrorInfoSize in words
        let back = try ResultList.decode(b, rowHeaders: [false, true, false])
        #expect(back.blocks[0].data.prefix(5) == [1, 2, 3, 4, 5])
        #expect(back.blocks[1].rows?.count == 2)
        #expect(back.blocks[1].data == table.data)
        #expect(back.blocks[2].status == .noSuchField)
        #expect(back.blocks[2].errorInfo == err.errorInfo)
    }

    @Test func truncatedResultListsAreErrors() {
        let b = ResultList([ResultBlock(status: .success, data: [1, 2, 3, 4])]).encoded()
        #expect(throws: I2OFormatError.self) { try ResultList.decode(Array(b.prefix(9))) }
        // BlockSize 0 cannot hold its own header.
        #expect(throws: I2OFormatError.self) { try ResultList.decode([1, 0, 0, 0, 0, 0, 0, 0]) }
    }
}

@Suite struct NamesTests {
    @Test func statusAndFunctionNamesResolveBothWays() {
        #expect(ReqStatus(name: "error_partial_transfer") == .errorPartialTransfer)
        #expect(DetailedStatus(name: "UNKNOWN_ERROR") == .unknownError)
        #expect(BlockStatus.fieldUnwriteable.description == "FIELD_UNWRITEABLE")
        #expect(I2OFunction(name: "UtilParamsGet") == .utilParamsGet)
        #expect(I2OFunction(rawValue: 0x42).description == "0x42")
        #expect(ClassID(name: "bus-adapter-port") == .busAdapter)
        #expect(ClassID(name: "RANDOM_BLOCK_STORAGE")?.rawValue == 0x010)
        #expect(TID(rawValue: 0x1205) == 0x205)
        #expect(TID(exactly: 4096) == nil)
        #expect(TID(0x205).description == "0x205")
    }
}

/// `OperationList.isTruncated` walks a list as `parse` does without building it: on every
/// prefix and single-byte corruption of lists holding each of the ten operations, it answers
/// exactly what `parse` says (a short header, or a failure that is `.truncated`).
@Suite struct OperationListTruncationTests {
    static func parseSaysTruncated(_ b: [UInt8]) -> Bool {
        guard let p = try? OperationList.parse(b, schema: toySchema) else { return true }
        if let f = p.failure, case .truncated = f.error { return true }
        return false
    }

    @Test func agreesWithParseOnPrefixesAndCorruptions() {
        let ops = [
            ParamOperation(code: .fieldGet, group: 0xF100, fields: .all),
            ParamOperation(code: .fieldGet, group: 0xF100, fields: .indices([0, 3])),
            ParamOperation(code: .tableGet, group: 0x8000, fields: .all),
            ParamOperation(code: .sizeGet, group: 0x8000, fields: .indices([1])),
            ParamOperation(code: .listGet, group: 0x8000, fields: .all, keys: [[1, 0], [2, 0]]),
            ParamOperation(code: .moreGet, group: 0x8000, fields: .indices([0]), keys: [[7, 0]]),
            ParamOperation(code: .fieldSet, group: 0xF100, fields: .indices([1]), values: [1, 2, 3, 4]),
            ParamOperation(code: .listSet, group: 0x8000, fields: .indices([1]), keys: [[1, 0]], values: [9, 9]),
            ParamOperation(code: .rowAdd, group: 0x8000, fields: .all, values: Array(repeating: 5, count: 16), rowCount: 2),
            ParamOperation(code: .rowDelete, group: 0x8000, keys: [[3, 0]]),
            ParamOperation(code: .tableClear, group: 0x8000),
            ParamOperation(code: .fieldGet, group: 0x7777, fields: .all),   // unknown group: not truncation
        ]
        var checked = 0, truncated = 0
        for op in ops {
            for list in [OperationList([op]), OperationList([op, ops[0]]), OperationList([ops[2], op])] {
                let full = list.encoded()
                for n in 0...full.count {
                    let b = Array(full.prefix(n))
                    let expected = Self.parseSaysTruncated(b)
                    #expect(OperationList.isTruncated(b, schema: toySchema) == expected, "\(op.code) prefix \(n)")
                    if expected { truncated += 1 }
                    checked += 1
                }
                for i in full.indices {
                    for v: UInt8 in [0x00, 0x01, 0x09, 0xFF] {
                        var b = full; b[i] = v
                        #expect(OperationList.isTruncated(b, schema: toySchema) == Self.parseSaysTruncated(b), "\(op.code) byte \(i) = \(v)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 2000)
        #expect(truncated > 100)   // the walk did meet lists cut short, not only whole ones
    }
}
