import I2OFormats

/// UtilParamsGet (0x06) / UtilParamsSet (0x05).
///
/// Request: word 4 = OperationFlags (ignored); SGL element 1 = the operation list, either
/// immediate data inside the frame (flag byte 0x4C, Linux 2.6.18) or a simple host→IOP element
/// (Linux 2.4); element 2 = the result buffer (simple, IOP→host). The list is parsed with
/// `OperationList.parse`, value and key widths coming from the target device's schemas.
///
/// Result: one result block per operation, in order, as long as the buffer holds them; the first
/// block that does not fit and every later one get BUFFER_FULL (each carrying its error
/// information while room lasts), and a failing set operation — which includes one refused for
/// lack of room — changes nothing. A result buffer under the 8-byte minimum gets the reply
/// ERROR_PARTIAL_TRANSFER / REPLY_BUFFER_FULL and nothing is done. Otherwise the reply is
/// SUCCESS whatever the blocks say (per-operation failures live in the BlockStatus), and
/// **reply word 5 = the number of bytes of result list written** — the IOP's TransferCount.
///
/// Operations (see `docs/param-operations.md` for the byte layouts):
/// - FIELD_GET (scalar): the selected fields of the row.
/// - TABLE_GET (table): RowCount, MoreFlag, the selected fields of every row. When the whole
///   table does not fit but at least one row does, the rows that fit are returned with
///   MoreFlag 1 (continue with MORE_GET).
/// - LIST_GET (table): the rows whose key field equals each key, in key order.
/// - MORE_GET (table; template UNVERIFIED, ours): like LIST_GET with KeyCount 0 or 1; the key is
///   the last key already read, and the rows *after* that row are returned (KeyCount 0: from the
///   first row), with MoreFlag as for TABLE_GET. More than one key → OPERATION_ERROR.
/// - SIZE_GET (any; template UNVERIFIED, ours): FieldCount/indices as FIELD_GET; the block data is
///   u16 RowCount, u16 reserved (0), u32 byte size of the selected fields × RowCount.
/// - FIELD_SET (scalar): new values of the selected fields.
/// - LIST_SET (table; layout UNVERIFIED, as `ParamOperation.encoded()`): fields, KeyCount, keys,
///   then one set of values per key.
/// - ROW_ADD / ROW_DELETE / TABLE_CLEAR (table with editable rows).
///
/// BlockStatus for failures, each with `ParamErrorInfo` (operation, group, field index or 0xFFFF,
/// keys for key failures): INVALID_GROUP_ID (no such group); NO_SUCH_FIELD (index out of range);
/// FIELD_UNWRITEABLE (a read-only or derived field); BAD_KEY_ABORT (a key matching no row, or a
/// ROW_ADD key that already exists — the key in the error info); WRONG_GROUP_TYPE (a table
/// operation on a scalar group or a scalar one on a table); NON_DYNAMIC_GROUP (row add/delete/clear
/// on a group whose rows are not editable); NO_KEY_FIELD (ROW_ADD without the key field);
/// INVALID_OPERATION (a get in ParamsSet, a set in ParamsGet, an unknown operation code);
/// OPERATION_ERROR (an operation list cut short).
///
/// A successful change raises FIELD_MODIFIED on the TID, event data = group number (u16) and
/// field index (u16; 0xFFFF when several fields or whole rows changed) as one word.
extension IOP {
    /// What one operation gives: its result block, and the group to store when it changes one.
    struct OperationOutcome {
        var block: ResultBlock
        var commit: ParamGroup?
        var eventField: UInt16 = 0xFFFF
    }

    /// Operations that only tables take (SIZE_GET takes both kinds).
    /// The most row bytes ROW_ADD lets a table hold (docs/decisions.md, Limits).
    static let maxTableBytes = 65536

    static func isTableOperation(_ code: ParamOperationCode) -> Bool {
        switch code {
        case .listGet, .moreGet, .tableGet, .listSet, .rowAdd, .rowDelete, .tableClear: true
        default: false
        }
    }

    static func widths(for device: DeviceDescription) -> DeviceWidths {
        DeviceWidths(groups: device.groups, executive: device.tid == .executive)
    }

    /// The value and key widths of a device's groups, for the operation list parser.
    struct DeviceWidths: ParamWidthSource {
        let groups: [UInt16: ParamGroup]
        let executive: Bool
        func rowWidth(group: UInt16, fields: FieldSelection) -> Int? {
            IOP.schema(group, groups: groups, executive: executive)?.width(of: fields)
        }
        func keyWidth(group: UInt16) -> Int? {
            IOP.schema(group, groups: groups, executive: executive).flatMap { s in
                s.keyField >= 0 && s.keyField < s.fields.count ? s.fields[s.keyField].type.width : nil
            }
        }
    }

    /// Whether `bytes` parse as an operation list for device `tid` (value and key widths from
    /// its schemas): a 4-byte header, and no operation that the list ends inside. An unknown
    /// group, field or operation code is not a parse failure (the IOP reports it as BlockStatus).
    /// False when there is no such device.
    public func operationListParses(_ bytes: ArraySlice<UInt8>, for tid: TID) -> Bool {
        guard let device = devices[tid] else { return false }
        return !OperationList.isTruncated(bytes, schema: Self.widths(for: device))
    }

    /// `bytes` parsed as an operation list with device `tid`'s widths, as the IOP parses it; nil
    /// when there is no such device or the list is shorter than its header.
    public func operationList(_ bytes: [UInt8], for tid: TID) -> OperationList.Parsed? {
        guard let device = devices[tid] else { return nil }
        return try? OperationList.parse(bytes, schema: Self.widths(for: device))
    }

    mutating func paramsRequest(_ request: MessageFrame, memory: BusMemory, isSet: Bool) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 5)
        var sgl = try Transfer.sgl(of: request)
        let opElement = try Transfer.element(&sgl), resultElement = try Transfer.element(&sgl)
        let opBytes = try Transfer.bytes(of: opElement, memory: memory)
        let result = try Transfer.buffer(resultElement, memory: memory)
        let tid = request.target
        guard let device = devices[tid] else { throw RequestFault(.invalidTargetAddress) }
        // Operations are read and carried out one at a time, as they come.
        var list: OperationList.Reader
        do { list = try OperationList.Reader(opBytes) } catch { throw .invalid }
        let widths = Self.widths(for: device)

        if !device.failures.isEmpty {
            var scan = list, groups: [UInt16] = []
            while let item = scan.next(schema: widths) { groups.append(item.group) }
            if let f = device.failures.first(where: { f in
                (f.function == nil || f.function == request.function) && (f.group.map { groups.contains($0) } ?? true)
            }) {
                return MessageFrame.reply(to: request, status: f.reqStatus, detail: f.detailedStatus)
            }
        }
        guard result.count >= 8 else { throw RequestFault(.errorPartialTransfer, .replyBufferFull) }

        // Room for the usual result (a few blocks); a larger one grows it.
        var out = [UInt8]()
        out.reserveCapacity(min(result.count, 512))
        out.appendLE32(0)   // ResultCount and reserved, counted in at the end
        var blockCount = 0
        var full = false
        /// Appends a BUFFER_FULL block (with error info if it fits); false when not even its header fits.
        func appendBufferFull(_ code: ParamOperationCode, _ group: UInt16) -> Bool {
            let withInfo = ResultBlock(status: .bufferFull,
                                       errorInfo: ParamErrorInfo(operation: code, group: group).encoded()).encoded()
            if out.count + withInfo.count <= result.count {
                out.append(contentsOf: withInfo)
            } else if out.count + 4 <= result.count {
                out.append(contentsOf: ResultBlock(status: .bufferFull).encoded())
            } else {
                return false
            }
            blockCount += 1
            return true
        }
        // The operations that parse, then the one the parser stopped at (if any), which fails as a whole.
        while let item = list.next(schema: widths) {
            if !full {
                let room = result.count - out.count
                let outcome = switch item {
                case let .operation(op):
                    perform(op, tid: tid, isSet: isSet, room: room)
                case let .failure(group, code, error):
                    OperationOutcome(block: ResultBlock(
                        status: parseFailureStatus(code: code, group: group, error: error, isSet: isSet, device: device),
                        errorInfo: ParamErrorInfo(operation: code, group: group).encoded()))
                }
                if outcome.block.byteCount <= room {
                    outcome.block.encode(into: &out)
                    blockCount += 1
                    commit(outcome, tid: tid)
                    continue
                }
                full = true
            }
            if !appendBufferFull(item.code, item.group) { break }
        }
        out.writeLE16(UInt16(truncatingIfNeeded: blockCount), at: 0)
        try Transfer.write(out, to: result, memory: memory)
        return MessageFrame.reply(to: request, word: UInt32(out.count))
    }

    /// Stores the group an operation changed (if any) and raises FIELD_MODIFIED on `tid`.
    mutating func commit(_ outcome: OperationOutcome, tid: TID) {
        guard let g = outcome.commit else { return }
        devices[tid]?.groups[g.schema.number] = g
        if g.schema.number == 0x0003 { applyBlockStorageSettings(g, of: tid) }   // a device's cache mode
        var data = [UInt8](); data.appendLE16(g.schema.number); data.appendLE16(outcome.eventField)
        raiseEvent(tid: tid, indicator: .fieldModified, data: data)
    }

    /// The BlockStatus of an operation the list parser could not read.
    func parseFailureStatus(code: ParamOperationCode, group: UInt16, error: I2OFormatError, isSet: Bool,
                            device: DeviceDescription) -> BlockStatus {
        guard (1...10).contains(code.rawValue), code.isGet != isSet else { return .invalidOperation }
        guard Self.schema(group, in: device) != nil else { return .invalidGroupID }
        // With the group known, a width the schema cannot give means a field index out of range.
        if case .invalid = error { return .noSuchField }
        return .operationError
    }

    /// Carries out one operation on the current state (nothing is stored here: a change comes
    /// back as `commit`). `room` = bytes left in the result buffer, for partial table reads.
    func perform(_ op: ParamOperation, tid: TID, isSet: Bool, room: Int) -> OperationOutcome {
        func fail(_ s: BlockStatus, field: UInt16 = 0xFFFF, keys: [[UInt8]] = []) -> OperationOutcome {
            OperationOutcome(block: ResultBlock(status: s, errorInfo: ParamErrorInfo(
                operation: op.code, group: op.group, fieldIndex: field, keys: keys).encoded()))
        }
        guard (1...10).contains(op.code.rawValue), op.code.isGet != isSet else { return fail(.invalidOperation) }
        guard var group = parameterGroup(op.group, of: tid) else { return fail(.invalidGroupID) }
        let schema = group.schema
        let exec = tid == .executive
        if case let .indices(ix) = op.fields, let bad = ix.first(where: { Int($0) >= schema.fields.count }) {
            return fail(.noSuchField, field: bad)
        }
        /// The selected field indices (built only by the operations that go field by field).
        var selected: [Int] {
            switch op.fields {
            case .all: Array(schema.fields.indices)
            case let .indices(ix): ix.map(Int.init)
            }
        }
        let offsets = schema.offsets
        let isTable = schema.kind == .table
        if Self.isTableOperation(op.code) != isTable && op.code != .sizeGet { return fail(.wrongGroupType) }

        func extract(_ row: [UInt8]) -> [UInt8] {
            guard case let .indices(ix) = op.fields else { return row }
            var d = [UInt8]()
            for f in ix {
                let i = Int(f)
                d.append(contentsOf: row[offsets[i]..<offsets[i] + schema.fields[i].type.width])
            }
            return d
        }
        let hasKey = schema.keyField >= 0 && schema.keyField < schema.fields.count
        let keyOffset = hasKey ? offsets[schema.keyField] : 0, keyWidth = hasKey ? schema.fields[schema.keyField].type.width : 0
        func key(of row: [UInt8]) -> ArraySlice<UInt8> {
            row.count >= keyOffset + keyWidth ? row[keyOffset..<keyOffset + keyWidth] : []
        }
        func rowIndex(_ k: [UInt8]) -> Int? { group.rows.firstIndex { key(of: $0).elementsEqual(k) } }
        func unwriteable() -> Int? {
            return selected.first { !schema.fields[$0].writable || Self.isDerivedField(op.group, schema.fields[$0].name, executive: exec) }
        }
        func apply(_ values: ArraySlice<UInt8>, to row: inout [UInt8]) {
            let chosen = selected
            var at = values.startIndex
            for i in chosen {
                let w = schema.fields[i].type.width
                row.replaceSubrange(offsets[i]..<offsets[i] + w, with: values[at..<at + w])
                at += w
            }
        }
        /// Rows from `start` on, as many as fit in `room` (at least one), MoreFlag when cut.
        func rowsBlock(from start: Int) -> OperationOutcome {
            let rows = group.rows[start...]
            let width = schema.width(of: op.fields) ?? 0
            var n = rows.count
            if width > 0 {
                var fit = max(0, (room - 8) / width)
                while fit > 0 && (fit * width + 3) & ~3 > room - 8 { fit -= 1 }
                if fit >= 1 && fit < n { n = fit }
            }
            var data = [UInt8](); data.reserveCapacity(n * width)
            for r in rows.prefix(n) { data.append(contentsOf: extract(r)) }
            return OperationOutcome(block: ResultBlock(rows: (UInt16(truncatingIfNeeded: n), n < rows.count ? 1 : 0), data: data))
        }
        let single: UInt16
        switch op.fields {
        case .all: single = schema.fields.count == 1 ? 0 : 0xFFFF
        case let .indices(ix): single = ix.count == 1 ? ix[0] : 0xFFFF
        }
        let valueWidth = schema.width(of: op.fields) ?? 0
        let valueRows = op.code == .fieldSet ? 1 : op.code == .listSet ? op.keys.count : op.code == .rowAdd ? op.rowCount : 0
        guard op.values.count >= valueWidth * valueRows else { return fail(.operationError) }
        if isTable && !hasKey && [.listGet, .moreGet, .listSet, .rowAdd, .rowDelete].contains(op.code) {
            return fail(.noKeyField)
        }

        switch op.code {
        case .fieldGet:
            return OperationOutcome(block: ResultBlock(data: extract(group.rows.first ?? [UInt8](repeating: 0, count: schema.rowWidth))))
        case .tableGet:
            return rowsBlock(from: 0)
        case .moreGet:
            guard op.keys.count <= 1 else { return fail(.operationError) }
            guard let k = op.keys.first else { return rowsBlock(from: 0) }
            guard let i = rowIndex(k) else { return fail(.badKeyAbort, keys: [k]) }
            return rowsBlock(from: i + 1)
        case .listGet:
            var data = [UInt8]()
            for k in op.keys {
                guard let i = rowIndex(k) else { return fail(.badKeyAbort, keys: [k]) }
                data.append(contentsOf: extract(group.rows[i]))
            }
            return OperationOutcome(block: ResultBlock(rows: (UInt16(truncatingIfNeeded: op.keys.count), 0), data: data))
        case .sizeGet:
            let rows = group.rows.count
            var data = [UInt8]()
            data.appendLE16(UInt16(truncatingIfNeeded: rows)); data.appendLE16(0)
            data.appendLE32(UInt32(truncatingIfNeeded: (schema.width(of: op.fields) ?? 0) * rows))
            return OperationOutcome(block: ResultBlock(data: data))
        case .fieldSet:
            if let i = unwriteable() { return fail(.fieldUnwriteable, field: UInt16(truncatingIfNeeded: i)) }
            if group.rows.isEmpty { group.rows = [[UInt8](repeating: 0, count: schema.rowWidth)] }
            apply(op.values[...], to: &group.rows[0])
            return OperationOutcome(block: ResultBlock(), commit: group, eventField: single)
        case .listSet:
            if let i = unwriteable() { return fail(.fieldUnwriteable, field: UInt16(truncatingIfNeeded: i)) }
            let width = valueWidth
            for (n, k) in op.keys.enumerated() {
                guard let i = rowIndex(k) else { return fail(.badKeyAbort, keys: [k]) }
                apply(op.values[n * width..<(n + 1) * width], to: &group.rows[i])
            }
            return OperationOutcome(block: ResultBlock(), commit: op.keys.isEmpty ? nil : group, eventField: single)
        case .rowAdd:
            guard schema.rowsEditable, !Self.isFullyDerived(op.group, executive: exec) else { return fail(.nonDynamicGroup) }
            guard selected.contains(schema.keyField) else { return fail(.noKeyField, field: UInt16(truncatingIfNeeded: schema.keyField)) }
            let width = valueWidth
            for n in 0..<op.rowCount {
                var row = [UInt8](repeating: 0, count: schema.rowWidth)
                apply(op.values[n * width..<(n + 1) * width], to: &row)
                let k = Array(key(of: row))
                if rowIndex(k) != nil { return fail(.badKeyAbort, keys: [k]) }
                // A table never outgrows what one PARMGET can return (64 KiB, at most 65535 rows):
                // else repeated ROW_ADDs would make the IOP hold memory without bound.
                guard (group.rows.count + 1) * max(schema.rowWidth, 1) <= Self.maxTableBytes, group.rows.count < 0xFFFF else {
                    return fail(.tableError)
                }
                group.rows.append(row)
            }
            return OperationOutcome(block: ResultBlock(), commit: op.rowCount == 0 ? nil : group)
        case .rowDelete:
            guard schema.rowsEditable, !Self.isFullyDerived(op.group, executive: exec) else { return fail(.nonDynamicGroup) }
            for k in op.keys {
                guard let i = rowIndex(k) else { return fail(.badKeyAbort, keys: [k]) }
                group.rows.remove(at: i)
            }
            return OperationOutcome(block: ResultBlock(), commit: op.keys.isEmpty ? nil : group)
        case .tableClear:
            guard schema.rowsEditable, !Self.isFullyDerived(op.group, executive: exec) else { return fail(.nonDynamicGroup) }
            group.rows.removeAll()
            return OperationOutcome(block: ResultBlock(), commit: group)
        default:
            return fail(.invalidOperation)
        }
    }
}
