import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine

/// What `record` learned of one device (an LCT entry).
public struct RecordedDevice: Sendable {
    public var entry: LCTEntry
    public var groups: [RecordedGroup] = []
    public var html: [(page: UInt32, text: String)] = []
    public var failures: [RecordedFailure] = []
}

/// One parameter group as read: its schema (standard, or learned: bytes fields of the widths
/// SIZE_GET gave) and its rows.
public struct RecordedGroup: Sendable {
    public var schema: ParamGroupSchema
    public var standard: Bool
    public var rows: [[UInt8]]
}

/// A request the device failed: `failures:` of the fixture.
public struct RecordedFailure: Sendable, Hashable {
    public var function: I2OFunction
    public var group: UInt16?
    public var status: ReqStatus
    public var detail: DetailedStatus
}

public struct RecordedModule: Sendable {
    public var swType: UInt8, swID: UInt32, name: String, permanent: Bool, experimental: Bool, bytes: [UInt8]
}

public struct RecordedIOP: Sendable {
    public var unit: UInt32
    public var hrt: HRT?
    public var lct: LCT
    public var messageInterface: [UInt8]?
    public var devices: [RecordedDevice] = []
    public var modules: [RecordedModule] = []
    public var capacity: Int?
    public var moduleLimit: Int?
}

/// Reads a whole machine through a control device's ioctls (`i2osim record`).
public struct FixtureRecorder {
    let device: any ControlDevice
    let progress: (String) -> Void

    public init(device: any ControlDevice, progress: @escaping (String) -> Void) {
        self.device = device
        self.progress = progress
    }

    public func record() throws(TraceError) -> [RecordedIOP] {
        let units: [UInt8]
        switch device.getIOPs() {
        case let .success(u): units = u
        case let .failure(e): throw TraceError("I2OGETIOPS failed: \(e)")
        }
        var out: [RecordedIOP] = []
        for (i, present) in units.enumerated() where present != 0 {
            if let iop = recordIOP(UInt32(i)) { out.append(iop) }
        }
        guard !out.isEmpty else { throw TraceError("the device lists no IOP that could be read") }
        return out
    }

    func recordIOP(_ unit: UInt32) -> RecordedIOP? {
        progress("iop \(unit): HRT, LCT")
        let hrt: HRT?
        switch device.table(lct: false, iop: unit) {
        case let .success(b): hrt = try? HRT.decode(b)
        case let .failure(e): progress("iop \(unit): I2OHRTGET failed: \(e)"); hrt = nil
        }
        let lct: LCT
        switch device.table(lct: true, iop: unit) {
        case let .success(b):
            guard let l = try? LCT.decode(b) else { progress("iop \(unit): the LCT does not decode; IOP left out"); return nil }
            lct = l
        case let .failure(e):
            progress("iop \(unit): I2OLCTGET failed: \(e); IOP left out")
            return nil
        }
        var iop = RecordedIOP(unit: unit, hrt: hrt, lct: lct)
        var entries = lct.entries
        if !entries.contains(where: { $0.localTID == .executive }) {
            entries.insert(LCTEntry(localTID: .executive, classID: .executive, parentTID: TID.none), at: 0)
        }
        for e in entries {
            progress("iop \(unit): TID \(e.localTID): parameters, HTML")
            var d = RecordedDevice(entry: e)
            recordGroups(unit, &d, into: &iop)
            d.html = recordPages(unit, e.localTID)
            iop.devices.append(d)
        }
        recordSoftware(&iop)
        return iop
    }

    // MARK: parameters

    enum Outcome { case rows([[UInt8]]), blockStatus(BlockStatus), failed(Errno) }

    /// Sends one operation, returns the block.
    func operation(_ unit: UInt32, _ tid: TID, _ op: ParamOperation) -> Result<ResultBlock, Errno> {
        switch device.paramsGet(iop: unit, tid: UInt32(tid.rawValue), operations: OperationList([op]).encoded()) {
        case let .failure(e): return .failure(e)
        case let .success(b):
            guard let list = try? ResultList.decode(b, rowHeaders: [op.code.returnsRows]), let blk = list.blocks.first
            else { return .failure(.EIO) }
            return .success(blk)
        }
    }

    /// Every row of a group (TABLE_GET, then MORE_GET from the last key while MoreFlag is set),
    /// or its one row (FIELD_GET).
    func read(_ unit: UInt32, _ tid: TID, _ schema: ParamGroupSchema) -> Outcome {
        let width = schema.rowWidth
        if schema.kind == .scalar {
            switch operation(unit, tid, ParamOperation(code: .fieldGet, group: schema.number)) {
            case let .failure(e): return .failed(e)
            case let .success(b):
                guard b.status == .success else { return .blockStatus(b.status) }
                guard b.data.count >= width else { return .failed(.EIO) }
                return .rows([Array(b.data.prefix(width))])
            }
        }
        var rows: [[UInt8]] = []
        var op = ParamOperation(code: .tableGet, group: schema.number)
        for _ in 0..<4096 {
            switch operation(unit, tid, op) {
            case let .failure(e): return .failed(e)
            case let .success(b):
                guard b.status == .success else { return .blockStatus(b.status) }
                let n = Int(b.rows?.count ?? 0)
                guard width > 0, b.data.count >= n * width else { return .rows(rows) }
                for i in 0..<n { rows.append(Array(b.data[i * width..<(i + 1) * width])) }
                guard b.rows?.more ?? 0 != 0, n > 0, let last = rows.last else { return .rows(rows) }
                let keyOffset = schema.offsets[schema.keyField], keyWidth = schema.fields[schema.keyField].type.width
                op = ParamOperation(code: .moreGet, group: schema.number, keys: [Array(last[keyOffset..<keyOffset + keyWidth])])
            }
        }
        return .rows(rows)
    }

    /// The widths of a group's fields, by SIZE_GET of each one alone (nil when the group has no rows).
    func learnedWidths(_ unit: UInt32, _ tid: TID, group: UInt16, fieldCount: Int) -> [Int]? {
        var widths: [Int] = []
        for i in 0..<fieldCount {
            guard case let .success(b) = operation(unit, tid, ParamOperation(code: .sizeGet, group: group, fields: .indices([UInt16(i)]))),
                  b.status == .success, b.data.count >= 8 else { return nil }
            let rows = Int(b.data.readLE16(at: 0)), bytes = Int(b.data.readLE32(at: 4))
            guard rows > 0, bytes % rows == 0, bytes / rows > 0 else { return nil }
            widths.append(bytes / rows)
        }
        return widths
    }

    /// The ReqStatus and DetailedStatus of a UtilParamsGet the ioctl reported only as EIO: the
    /// same request again through I2OPASSTHRU, whose reply carries them.
    func failureStatus(_ unit: UInt32, _ tid: TID, group: UInt16) -> RecordedFailure? {
        let ops = OperationList([ParamOperation(code: .fieldGet, group: group)]).encoded()
        let header = MessageFrame(function: .utilParamsGet, target: tid, initiatorContext: 0x5245_4331,
                                  transactionContext: 1, payload: [0])
        var words = header.words
        // host→IOP element with the operation list, then record's IOP→host result buffer.
        words += [SGLFlags.simpleOut.word(count: ops.count), 0]
        guard case let .success(reply) = device.passthruWithOps(iop: unit, words: words, operations: ops),
              reply.count > 4 else { return nil }
        let status = ReqStatus(rawValue: UInt8(reply[4] >> 24))
        guard status != .success else { return nil }
        return RecordedFailure(function: .utilParamsGet, group: group, status: status,
                               detail: DetailedStatus(rawValue: UInt16(truncatingIfNeeded: reply[4])))
    }

    static let derivedExecutive: Set<UInt16> = [0x0004, 0x0005, 0x0100, 0x0101, 0x0102]

    func recordGroups(_ unit: UInt32, _ d: inout RecordedDevice, into iop: inout RecordedIOP) {
        let tid = d.entry.localTID
        let exec = tid == .executive
        let descriptors: [[UInt8]]
        switch read(unit, tid, StandardGroups.descriptors) {
        case let .rows(r): descriptors = r
        case let .blockStatus(s):
            progress("iop \(unit): TID \(tid): 0xF000 gave BlockStatus \(s); no groups recorded")
            return
        case let .failed(e):
            progress("iop \(unit): TID \(tid): 0xF000 failed: \(e)")
            // Which groups fail? The standard ones are probed; all failing alike is one group-less failure.
            let candidates = (StandardGroups.utility + (exec ? StandardGroups.executive : [])).map(\.number)
            let found = candidates.compactMap { g in failureStatus(unit, tid, group: g) }
            if found.count == candidates.count, Set(found.map { [UInt32($0.status.rawValue), UInt32($0.detail.rawValue)] }).count == 1 {
                d.failures.append(RecordedFailure(function: .utilParamsGet, group: nil, status: found[0].status, detail: found[0].detail))
            } else {
                d.failures += found
            }
            return
        }
        for row in descriptors where row.count >= 7 {
            let g = row.readLE16(at: 0), fieldCount = Int(row.readLE16(at: 2)), props = row[6]
            if g == 0xF000 || (exec && Self.derivedExecutive.contains(g)) { continue }
            var schema: ParamGroupSchema
            var standard = false
            if let s = StandardGroups.schema(for: g, executive: exec), s.fields.count == fieldCount,
               (s.kind == .table) == (props & 1 != 0) {
                schema = s; standard = true
            } else {
                let widths = learnedWidths(unit, tid, group: g, fieldCount: fieldCount)
                    ?? [Int](repeating: 1, count: max(1, fieldCount))
                schema = ParamGroupSchema(number: g, name: "Vendor group \(hex(g, width: 4))", kind: props & 1 != 0 ? .table : .scalar,
                                          fields: widths.enumerated().map { ParamField("Field\($0.offset)", .bytes($0.element)) },
                                          rowsEditable: props & 0x0E == 0x0E)
            }
            switch read(unit, tid, schema) {
            case let .rows(rows):
                if exec && g == 0x0001 { iop.messageInterface = rows.first }
                d.groups.append(RecordedGroup(schema: schema, standard: standard, rows: rows))
            case let .blockStatus(s):
                progress("iop \(unit): TID \(tid): group \(hex(g, width: 4)) gave BlockStatus \(s); left out")
            case let .failed(e):
                if let f = failureStatus(unit, tid, group: g) {
                    progress("iop \(unit): TID \(tid): group \(hex(g, width: 4)) fails: \(f.status) / \(f.detail) (recorded as a failure)")
                    d.failures.append(f)
                } else {
                    progress("iop \(unit): TID \(tid): group \(hex(g, width: 4)) failed: \(e); left out")
                }
            }
        }
    }

    // MARK: software

    func recordSoftware(_ iop: inout RecordedIOP) {
        let unit = iop.unit
        if case let .rows(r) = read(unit, .executive, StandardGroups.driverStore), let s = r.first, s.count >= 16 {
            iop.moduleLimit = Int(s.readLE32(at: 0))
            iop.capacity = Int(s.readLE32(at: 8)) + Int(s.readLE32(at: 12))
        }
        guard case let .rows(table) = read(unit, .executive, StandardGroups.driverStoreTable) else { return }
        let schema = StandardGroups.driverStoreTable
        let o = schema.offsets
        for row in table where row.count == schema.rowWidth {
            let swType = row[o[1]]
            let swID = UInt32(row.readLE16(at: o[3])) << 16 | UInt32(row.readLE16(at: o[4]))
            let name = FieldText.text(Array(row[o[5]..<o[5] + 24])) ?? ""
            let flags = row.readLE32(at: o[12])
            progress("iop \(unit): software module type \(hex(swType, width: 2)) id \(hex(swID, width: 8))")
            var bytes: [UInt8] = []
            var fragment: UInt32 = 1, fragments = 1
            var ok = true
            while Int(fragment) <= fragments {
                switch device.swUpload(iop: unit, swType: swType, swID: swID, fragment: fragment) {
                case let .success(f):
                    bytes += f.bytes; fragments = f.fragments
                    if f.size == 0 { fragments = 0 }
                case let .failure(e):
                    progress("iop \(unit): I2OSWUL of \(hex(swID, width: 8)) fragment \(fragment) failed: \(e); module left out")
                    ok = false
                }
                if !ok { break }
                fragment += 1
            }
            if ok {
                iop.modules.append(RecordedModule(swType: swType, swID: swID, name: name, permanent: flags & 1 != 0,
                                                  experimental: flags & 2 != 0, bytes: bytes))
            }
        }
    }

    // MARK: HTML

    /// The query `record` sends with every page: where it comes back, the page has `{query}`.
    static let queryMarker = Array("\u{1}i2osim-query\u{1}".utf8)

    func recordPages(_ unit: UInt32, _ tid: TID) -> [(page: UInt32, text: String)] {
        var pages: [(UInt32, String)] = []
        var queue: [UInt32] = [0]
        var seen: Set<UInt32> = [0]
        while !queue.isEmpty, pages.count < 256 {
            let page = queue.removeFirst()
            guard case let .success(b) = device.html(iop: unit, tid: UInt32(tid.rawValue), page: page, query: Self.queryMarker)
            else { continue }
            let raw = String(decoding: b, as: UTF8.self)
            let text = raw.replacingAll(String(decoding: Self.queryMarker, as: UTF8.self), with: "{query}")
            pages.append((page, text))
            for n in Self.links(in: text) where !seen.contains(n) {
                seen.insert(n)
                queue.append(n)
            }
        }
        return pages.sorted { $0.0 < $1.0 }
    }

    /// Page numbers linked from a page: `href="N"` or `href="N?query"` (the form the fixtures use).
    public static func links(in text: String) -> [UInt32] {
        var out: [UInt32] = []
        let u = Array(text.utf8)
        let pattern = Array("href=".utf8)
        var i = 0
        while i + pattern.count < u.count {
            if Array(u[i..<i + pattern.count]).map({ $0 | 0x20 }) == pattern.map({ $0 | 0x20 }) {
                var j = i + pattern.count
                let quote = u[j]
                if quote == 0x22 || quote == 0x27 { j += 1 }
                var digits = ""
                while j < u.count, u[j] >= 0x30, u[j] <= 0x39 { digits.append(Character(UnicodeScalar(u[j]))); j += 1 }
                let end = j < u.count ? u[j] : 0
                if !digits.isEmpty, end == 0x3F || end == quote || (quote != 0x22 && quote != 0x27 && (end == 0x20 || end == 0x3E)),
                   let n = UInt32(digits) {
                    out.append(n)
                }
                i = j
            } else {
                i += 1
            }
        }
        return out
    }
}

extension ControlDevice {
    /// PASSTHRU of a frame whose SGL has a host→IOP element with `operations` (its address
    /// word patched here) and an IOP→host result buffer.
    func passthruWithOps(iop: UInt32, words: [UInt32], operations: [UInt8]) -> Result<[UInt32], Errno> {
        if let d = self as? DumpingControlDevice { return d.passthruOps(iop: iop, words: words, operations: operations) }
        guard let k = self as? KernelControlDevice else { return passthru(iop: iop, words: words, bufferBytes: 256) }
        return k.passthruOps(iop: iop, words: words, operations: operations)
    }
}

extension KernelControlDevice {
    func passthruOps(iop: UInt32, words: [UInt32], operations: [UInt8]) -> Result<[UInt32], Errno> {
        let a = Arena()
        guard let ops = a.bytes(operations) else { return .failure(.ENOMEM) }
        var w = words
        w[w.count - 1] = UInt32(truncatingIfNeeded: Self.addr(ops))
        // The SGL starts at the ops element: two words before the end of `words`.
        return passthru(iop: iop, words: w, bufferBytes: 256, sglStart: w.count - 2)
    }
}

/// Text of a NUL-padded field: nil when it does not read back as the same bytes.
enum FieldText {
    static func text(_ b: [UInt8]) -> String? {
        var end = b.count
        while end > 0, b[end - 1] == 0 { end -= 1 }
        let body = Array(b[..<end])
        guard !body.contains(0), body.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: body, as: UTF8.self)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
