/// Parameter operation codes (`I2O_PARAMS_*`, docs/i2o-formats.md §ParamLists).
public struct ParamOperationCode: NamedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let names: [UInt16: String] = [
        1: "FIELD_GET", 2: "LIST_GET", 3: "MORE_GET", 4: "SIZE_GET", 5: "TABLE_GET", 6: "FIELD_SET",
        7: "LIST_SET", 8: "ROW_ADD", 9: "ROW_DELETE", 10: "TABLE_CLEAR",
    ]
    public static let hexDigits = 4

    public static let fieldGet = Self(rawValue: 0x0001)
    public static let listGet = Self(rawValue: 0x0002)
    public static let moreGet = Self(rawValue: 0x0003)
    public static let sizeGet = Self(rawValue: 0x0004)
    public static let tableGet = Self(rawValue: 0x0005)
    public static let fieldSet = Self(rawValue: 0x0006)
    public static let listSet = Self(rawValue: 0x0007)
    public static let rowAdd = Self(rawValue: 0x0008)
    public static let rowDelete = Self(rawValue: 0x0009)
    public static let tableClear = Self(rawValue: 0x000A)

    /// Operations that read (UtilParamsGet); the others write (UtilParamsSet).
    public var isGet: Bool { (1...5).contains(rawValue) }
    /// Operations whose result block starts with RowCount and MoreFlag.
    public var returnsRows: Bool { self == .listGet || self == .moreGet || self == .tableGet }
}

/// Which fields an operation names: all of them, or a list of field indices.
///
/// "All fields" arrives two ways on the wire: FieldCount 0xFFFF (NetBSD, 2.4), or FieldCount 1
/// with FieldIdx 0xFFFF (Linux 2.6.18's `i2o_parm_field_get`). Both decode to `.all`.
public enum FieldSelection: Hashable, Sendable {
    case all
    case indices([UInt16])
}

/// One operation of an operation list. Values and keys stay raw bytes: their widths come
/// from the group's schema, which the formats layer does not know.
public struct ParamOperation: Hashable, Sendable {
    public var code: ParamOperationCode
    public var group: UInt16
    public var fields: FieldSelection
    /// Key values (LIST_GET, MORE_GET, LIST_SET, ROW_DELETE), each as wide as the key field.
    public var keys: [[UInt8]]
    /// Packed field values (FIELD_SET, LIST_SET: per key; ROW_ADD: per row).
    public var values: [UInt8]
    /// ROW_ADD: rows carried in `values`.
    public var rowCount: Int

    public init(code: ParamOperationCode, group: UInt16, fields: FieldSelection = .all, keys: [[UInt8]] = [],
                values: [UInt8] = [], rowCount: Int = 0) {
        self.code = code; self.group = group; self.fields = fields; self.keys = keys
        self.values = values; self.rowCount = rowCount
    }

    /// The operation in wire form, padded to a 4-byte boundary.
    public func encoded() -> [UInt8] {
        var b = [UInt8]()
        b.appendLE16(code.rawValue); b.appendLE16(group)
        func appendFields() {
            switch fields {
            case .all: b.appendLE16(0xFFFF)
            case let .indices(ix): b.appendLE16(UInt16(ix.count)); for i in ix { b.appendLE16(i) }
            }
        }
        switch code {
        case .fieldGet, .tableGet, .sizeGet:
            appendFields()
        case .listGet, .moreGet:
            appendFields(); b.appendLE16(UInt16(keys.count)); for k in keys { b.append(contentsOf: k) }
        case .fieldSet:
            appendFields(); b.append(contentsOf: values)
        case .listSet:
            appendFields(); b.appendLE16(UInt16(keys.count)); for k in keys { b.append(contentsOf: k) }
            b.append(contentsOf: values)
        case .rowAdd:
            appendFields(); b.appendLE16(UInt16(rowCount)); b.append(contentsOf: values)
        case .rowDelete:
            b.appendLE16(UInt16(keys.count)); for k in keys { b.append(contentsOf: k) }
        default:
            break
        }
        b.padToWord()
        return b
    }
}

/// The widths the schema gives a parser: for (group, selection) the byte width of one row of
/// those fields, and the width of the group's key field; nil when the group is unknown.
public struct ParamSchemaWidths: ParamWidthSource, Sendable {
    public var rowWidth: @Sendable (_ group: UInt16, _ fields: FieldSelection) -> Int?
    public var keyWidth: @Sendable (_ group: UInt16) -> Int?
    public init(rowWidth: @escaping @Sendable (UInt16, FieldSelection) -> Int?,
                keyWidth: @escaping @Sendable (UInt16) -> Int?) {
        self.rowWidth = rowWidth; self.keyWidth = keyWidth
    }
    public func rowWidth(group: UInt16, fields: FieldSelection) -> Int? { rowWidth(group, fields) }
    public func keyWidth(group: UInt16) -> Int? { keyWidth(group) }
}

/// What a parser asks a schema: the byte width of one row of the selected fields of `group`,
/// and the width of the group's key field; nil when the group (or a field) is unknown.
/// A type (rather than closures) lets a caller answer without allocating.
public protocol ParamWidthSource {
    func rowWidth(group: UInt16, fields: FieldSelection) -> Int?
    func keyWidth(group: UInt16) -> Int?
}

/// An operation list (`opbuf`): u16 OperationCount, u16 reserved, then the operations.
public struct OperationList: Hashable, Sendable {
    public var operations: [ParamOperation]
    public init(_ operations: [ParamOperation]) { self.operations = operations }

    public func encoded() -> [UInt8] {
        var b = [UInt8]()
        b.appendLE16(UInt16(operations.count)); b.appendLE16(0)
        for op in operations { b.append(contentsOf: op.encoded()) }
        return b
    }

    /// The result of parsing: the operations that parsed, and why parsing stopped early, if it did
    /// (an IOP answers the operations before the bad one, then reports the bad one).
    public struct Parsed: Sendable {
        public var operations: [ParamOperation]
        public var declaredCount: Int
        /// Set when operation number `operations.count` could not be parsed.
        public var failure: (group: UInt16, code: ParamOperationCode, error: I2OFormatError)?
    }

    /// Parses the header strictly (a list shorter than 4 bytes is an error) and the operations as
    /// far as they go; widths of values and keys come from `schema`.
    public static func parse(_ bytes: [UInt8], schema: some ParamWidthSource) throws(I2OFormatError) -> Parsed {
        var reader = try Reader(bytes)
        var ops: [ParamOperation] = []
        ops.reserveCapacity(min(reader.declaredCount, 16))
        while let item = reader.next(schema: schema) {
            switch item {
            case let .operation(op): ops.append(op)
            case let .failure(group, code, error):
                return Parsed(operations: ops, declaredCount: reader.declaredCount, failure: (group, code, error))
            }
        }
        return Parsed(operations: ops, declaredCount: reader.declaredCount, failure: nil)
    }

    /// Reads an operation list operation by operation, building no list: an IOP carries each out
    /// as it reads it. `parse` is this reader run to the end. Each read takes the widths of values
    /// and keys from `schema`.
    public struct Reader: Sendable {
        /// What the next read gives: an operation, or the one the list could not be read at (the last item).
        public enum Item: Sendable {
            case operation(ParamOperation)
            case failure(group: UInt16, code: ParamOperationCode, error: I2OFormatError)
            /// The group the item names.
            public var group: UInt16 {
                switch self {
                case let .operation(op): op.group
                case let .failure(group, _, _): group
                }
            }
            /// Its operation code.
            public var code: ParamOperationCode {
                switch self {
                case let .operation(op): op.code
                case let .failure(_, code, _): code
                }
            }
        }
        private var r: ByteReader
        /// The header's OperationCount.
        public let declaredCount: Int
        /// Operations read so far.
        public private(set) var index = 0
        private var failed = false

        /// Reads the header (a list under 4 bytes is an error).
        public init(_ bytes: [UInt8]) throws(I2OFormatError) { try self.init(bytes[...]) }
        public init(_ bytes: ArraySlice<UInt8>) throws(I2OFormatError) {
            r = ByteReader(bytes, what: "operation list")
            declaredCount = Int(try r.u16())
            _ = try r.u16()
        }

        /// The next operation; after a failure, or `declaredCount` operations, nil.
        public mutating func next(schema: some ParamWidthSource) -> Item? {
            guard !failed, index < declaredCount else { return nil }
            let start = r.offset
            do throws(I2OFormatError) {
                let op = try OperationList.parseOne(&r, schema: schema)
                r.alignToWord()
                index += 1
                return .operation(op)
            } catch {
                failed = true
                var peek = ByteReader(r.bytes, what: "operation \(index)", offset: start)
                let code = (try? peek.u16()).map(ParamOperationCode.init(rawValue:)) ?? .fieldGet
                let group = (try? peek.u16()) ?? 0
                return .failure(group: group, code: code, error: error)
            }
        }
    }

    /// Whether `parse` would find the list cut short: a header under 4 bytes, or an operation the
    /// list ends inside (before any operation that stops parsing for another reason). The same
    /// walk as `parse`, building nothing: a host checks a list this way before it posts it.
    public static func isTruncated(_ bytes: [UInt8], schema: some ParamWidthSource) -> Bool {
        isTruncated(bytes[...], schema: schema)
    }
    public static func isTruncated(_ bytes: ArraySlice<UInt8>, schema: some ParamWidthSource) -> Bool {
        var r = ByteReader(bytes, what: "operation list")
        guard let count = try? r.u16(), (try? r.u16()) != nil else { return true }
        for _ in 0..<Int(count) {
            do throws(I2OFormatError) {
                try skipOne(&r, schema: schema)
                r.alignToWord()
            } catch {
                if case .truncated = error { return true }
                return false
            }
        }
        return false
    }

    /// `parseOne`'s walk over one operation, in the same order of reads and width lookups.
    /// The `n` field indices after a FieldCount other than 0xFFFF; the one index 0xFFFF is "all
    /// fields" too (Linux 2.6.18's form), read without an array.
    static func fieldIndices(_ r: inout ByteReader, count n: UInt16) throws(I2OFormatError) -> FieldSelection {
        if n == 1 {
            let i = try r.u16()
            return i == 0xFFFF ? .all : .indices([i])
        }
        var ix: [UInt16] = []
        ix.reserveCapacity(Int(n))
        for _ in 0..<n { ix.append(try r.u16()) }
        return .indices(ix)
    }

    static func skipOne(_ r: inout ByteReader, schema: some ParamWidthSource) throws(I2OFormatError) {
        let code = ParamOperationCode(rawValue: try r.u16())
        let group = try r.u16()
        /// Skips the field list; the selection itself only when a width must be looked up.
        func fields(needed: Bool) throws(I2OFormatError) -> FieldSelection? {
            let n = try r.u16()
            if n == 0xFFFF { return .all }
            guard needed else { try r.skip(Int(n) * 2); return nil }
            return try fieldIndices(&r, count: n)
        }
        func skipKeys(_ n: Int) throws(I2OFormatError) {
            guard n > 0 else { return }
            guard let w = schema.keyWidth(group: group) else {
                throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "unknown group: key width unknown")
            }
            try r.skip(n * w)
        }
        func rowWidth(_ f: FieldSelection?) throws(I2OFormatError) -> Int {
            guard let f, let w = schema.rowWidth(group: group, fields: f) else {
                throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "unknown group or field: value width unknown")
            }
            return w
        }
        switch code {
        case .fieldGet, .tableGet, .sizeGet:
            _ = try fields(needed: false)
        case .listGet, .moreGet:
            _ = try fields(needed: false)
            try skipKeys(Int(try r.u16()))
        case .fieldSet:
            let f = try fields(needed: true)
            try r.skip(try rowWidth(f))
        case .listSet:
            let f = try fields(needed: true)
            let n = Int(try r.u16())
            try skipKeys(n)
            try r.skip(n * (try rowWidth(f)))
        case .rowAdd:
            let f = try fields(needed: true)
            let n = Int(try r.u16())
            try r.skip(n * (try rowWidth(f)))
        case .rowDelete:
            try skipKeys(Int(try r.u16()))
        case .tableClear:
            break
        default:
            throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "unknown operation code")
        }
    }

    static func parseOne(_ r: inout ByteReader, schema: some ParamWidthSource) throws(I2OFormatError) -> ParamOperation {
        let code = ParamOperationCode(rawValue: try r.u16())
        let group = try r.u16()
        func fields() throws(I2OFormatError) -> FieldSelection {
            let n = try r.u16()
            if n == 0xFFFF { return .all }
            return try fieldIndices(&r, count: n)
        }
        func keyWidth() throws(I2OFormatError) -> Int {
            guard let w = schema.keyWidth(group: group) else {
                throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "unknown group: key width unknown")
            }
            return w
        }
        func rowWidth(_ f: FieldSelection) throws(I2OFormatError) -> Int {
            guard let w = schema.rowWidth(group: group, fields: f) else {
                throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "unknown group or field: value width unknown")
            }
            return w
        }
        func keys(_ n: Int) throws(I2OFormatError) -> [[UInt8]] {
            guard n > 0 else { return [] }
            let w = try keyWidth()
            var k: [[UInt8]] = []
            for _ in 0..<n { k.append(try r.bytes(w)) }
            return k
        }
        switch code {
        case .fieldGet, .tableGet, .sizeGet:
            return ParamOperation(code: code, group: group, fields: try fields())
        case .listGet, .moreGet:
            let f = try fields()
            let n = Int(try r.u16())
            return ParamOperation(code: code, group: group, fields: f, keys: try keys(n))
        case .fieldSet:
            let f = try fields()
            return ParamOperation(code: code, group: group, fields: f, values: try r.bytes(try rowWidth(f)))
        case .listSet:
            let f = try fields()
            let n = Int(try r.u16())
            let k = try keys(n)
            return ParamOperation(code: code, group: group, fields: f, keys: k, values: try r.bytes(n * (try rowWidth(f))))
        case .rowAdd:
            let f = try fields()
            let n = Int(try r.u16())
            return ParamOperation(code: code, group: group, fields: f, values: try r.bytes(n * (try rowWidth(f))), rowCount: n)
        case .rowDelete:
            let n = Int(try r.u16())
            return ParamOperation(code: code, group: group, fields: .all, keys: try keys(n))
        case .tableClear:
            return ParamOperation(code: code, group: group)
        default:
            throw .invalid(what: "operation on group \(hex(group, width: 4))", reason: "operation code \(hex(code.rawValue, width: 4)) is not one of the ten of the I2O specification")
        }
    }
}

/// The error information at the end of a failed result block.
public struct ParamErrorInfo: Hashable, Sendable {
    public var operation: ParamOperationCode
    public var group: UInt16
    public var fieldIndex: UInt16
    public var additionalStatus: UInt8
    public var keys: [[UInt8]]
    public init(operation: ParamOperationCode, group: UInt16, fieldIndex: UInt16 = 0xFFFF, additionalStatus: UInt8 = 0,
                keys: [[UInt8]] = []) {
        self.operation = operation; self.group = group; self.fieldIndex = fieldIndex
        self.additionalStatus = additionalStatus; self.keys = keys
    }
    public func encoded() -> [UInt8] {
        var b = [UInt8]()
        b.appendLE16(operation.rawValue); b.appendLE16(group); b.appendLE16(fieldIndex)
        b.append(additionalStatus); b.append(UInt8(truncatingIfNeeded: keys.count))
        for k in keys { b.append(contentsOf: k) }
        b.padToWord()
        return b
    }
}

/// One result block: status, optional RowCount/MoreFlag (table reads), field data, error info.
public struct ResultBlock: Hashable, Sendable {
    public var status: BlockStatus
    /// RowCount and MoreFlag for LIST_GET, MORE_GET and TABLE_GET results.
    public var rows: (count: UInt16, more: UInt16)?
    /// Field data (packed as the group defines), unpadded.
    public var data: [UInt8]
    /// Error information, already word-padded.
    public var errorInfo: [UInt8]

    public init(status: BlockStatus = .success, rows: (count: UInt16, more: UInt16)? = nil, data: [UInt8] = [],
                errorInfo: [UInt8] = []) {
        self.status = status; self.rows = rows; self.data = data; self.errorInfo = errorInfo
    }
    public static func == (a: ResultBlock, b: ResultBlock) -> Bool {
        a.status == b.status && a.rows?.count == b.rows?.count && a.rows?.more == b.rows?.more
            && a.data == b.data && a.errorInfo == b.errorInfo
    }
    public func hash(into h: inout Hasher) {
        h.combine(status); h.combine(rows?.count); h.combine(rows?.more); h.combine(data); h.combine(errorInfo)
    }

    /// BlockSize in words, including the 4-byte block header.
    public var blockSize: WordCount {
        WordCount(rawValue: 1 + (rows == nil ? 0 : 1) + WordCount(coveringBytes: data.count).rawValue + errorInfo.count / 4)
    }
    public func encoded() -> [UInt8] {
        var b = [UInt8]()
        b.reserveCapacity(byteCount)
        encode(into: &b)
        return b
    }
    /// Bytes of the encoded block.
    public var byteCount: Int { 4 + (rows == nil ? 0 : 4) + (data.count + 3) & ~3 + errorInfo.count }
    /// Appends the encoded block to `b` (no temporary array).
    public func encode(into b: inout [UInt8]) {
        let start = b.count
        b.appendLE16(UInt16(truncatingIfNeeded: blockSize.rawValue))
        b.append(status.rawValue)
        b.append(UInt8(truncatingIfNeeded: errorInfo.count / 4))
        if let rows { b.appendLE16(rows.count); b.appendLE16(rows.more) }
        b.append(contentsOf: data)
        while (b.count - start) % 4 != 0 { b.append(0) }
        b.append(contentsOf: errorInfo)
    }
}

/// A result list (`resbuf`): u16 ResultCount, u16 reserved, then one block per operation.
public struct ResultList: Hashable, Sendable {
    public var blocks: [ResultBlock]
    public init(_ blocks: [ResultBlock]) { self.blocks = blocks }

    /// 4 + Σ BlockSize × 4 — what Linux 2.4 returned as the length.
    public var byteCount: Int { 4 + blocks.reduce(0) { $0 + $1.blockSize.bytes } }

    public func encoded() -> [UInt8] {
        var b = [UInt8](); b.reserveCapacity(byteCount)
        b.appendLE16(UInt16(truncatingIfNeeded: blocks.count)); b.appendLE16(0)
        for blk in blocks { b.append(contentsOf: blk.encoded()) }
        return b
    }

    /// Decodes a result list. `rowHeaders[i]` says whether block i carries RowCount/MoreFlag
    /// (true for table reads); missing entries mean false. Field data keeps its padding.
    public static func decode(_ bytes: [UInt8], rowHeaders: [Bool] = []) throws(I2OFormatError) -> ResultList {
        var r = ByteReader(bytes, what: "result list")
        let count = Int(try r.u16())
        _ = try r.u16()
        var blocks: [ResultBlock] = []
        for i in 0..<count {
            let start = r.offset
            let size = Int(try r.u16())
            let status = BlockStatus(rawValue: try r.u8())
            let errWords = Int(try r.u8())
            guard size >= 1 + errWords else {
                throw .invalid(what: "result block \(i)", reason: "BlockSize \(size) words cannot hold its header and \(errWords) error words")
            }
            guard bytes.count >= start + size * 4 else {
                throw .truncated(what: "result block \(i) of \(size) words", needed: start + size * 4, available: bytes.count)
            }
            var rows: (UInt16, UInt16)?
            var dataWords = size - 1 - errWords
            if i < rowHeaders.count, rowHeaders[i], dataWords >= 1 {
                rows = (try r.u16(), try r.u16()); dataWords -= 1
            }
            let data = try r.bytes(dataWords * 4)
            let err = try r.bytes(errWords * 4)
            blocks.append(ResultBlock(status: status, rows: rows, data: data, errorInfo: err))
        }
        return ResultList(blocks)
    }
}
