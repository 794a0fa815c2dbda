import I2OFormats

/// The live configuration dialog: what UtilConfigDialog gives in place of a page's `{dialog}`.
///
/// A fixture's page is static text; where it holds `{dialog}` the IOP writes its own dialog
/// there, generated from its state at the moment of the request: the device's identity (0xF100),
/// its LCT entry (the executive: its status block), and every parameter group it has — those with
/// fields to set first —, scalar groups as name/value lists with their writable fields as form
/// inputs, tables as tables (the first `maxRows` rows). The form posts back to the page itself (`action=""`); whoever shows
/// the page sends the form's fields back as the query (`application/x-www-form-urlencoded`).
///
/// A query is applied before the page is written, as UtilParamsSet would apply it: its fields
/// named `GGGG.Field` (the group number in hex, a field name of that group) are grouped by group,
/// those whose value differs from the current one become one FIELD_SET per group, carried out as
/// a UtilParamsSet is (a refused operation changes nothing, a change raises FIELD_MODIFIED).
/// Other query fields are ignored. Every outcome is listed at the top of the page: the fields
/// set, a value that cannot be encoded for its field (which stops its group's set), the
/// BlockStatus the set operation failed with. Nothing here knows of HTTP: the page is bytes.
extension IOP {
    /// The text in a page that UtilConfigDialog replaces by the live dialog.
    public static let dialogPlaceholder: [UInt8] = Array("{dialog}".utf8)
    /// Table rows a dialog shows per table.
    static let maxRows = 32

    /// The query field that sets field `name` of group `group`: `F102.DeviceName`.
    public static func dialogFieldKey(_ group: UInt16, _ name: String) -> String {
        String(hex(group, width: 4).dropFirst(2)) + "." + name
    }

    /// One line of a dialog's outcome list: what happened to one group's set.
    public struct DialogOutcome: Hashable, Sendable {
        public var ok: Bool
        public var text: String
    }

    /// Applies `query` to device `tid` (see above); the outcomes, in group order.
    public mutating func applyDialogQuery(_ query: [UInt8], tid: TID) -> [DialogOutcome] {
        guard let device = devices[tid] else { return [] }
        var byGroup: [UInt16: [(String, String)]] = [:]
        for (key, value) in Self.formFields(query) {
            let parts = key.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let g = UInt16(parts[0], radix: 16) else { continue }
            byGroup[g, default: []].append((String(parts[1]), value))
        }
        var out: [DialogOutcome] = []
        for g in byGroup.keys.sorted() {
            let label = "group \(hex(g, width: 4))"
            guard let schema = Self.schema(g, in: device), let current = parameterGroup(g, of: tid) else {
                out.append(DialogOutcome(ok: false, text: "\(label): INVALID_GROUP_ID (the device has no such group)")); continue
            }
            guard schema.kind == .scalar, let row = current.rows.first else {
                out.append(DialogOutcome(ok: false, text: "\(schema.name): WRONG_GROUP_TYPE (a table: the dialog sets scalar groups)")); continue
            }
            var indices: [UInt16] = [], values: [UInt8] = [], names: [String] = [], bad: String?
            for (name, text) in byGroup[g] ?? [] {
                guard let i = schema.field(named: name) else { bad = "\(schema.name): NO_SUCH_FIELD \(name)"; break }
                let f = schema.fields[i], at = schema.offsets[i]
                guard let v = f.type.encode(text) else {
                    bad = "\(schema.name).\(f.name): \"\(text)\" is not a \(f.type.valueKind)"; break
                }
                if row[at..<at + f.type.width].elementsEqual(v) { continue }
                indices.append(UInt16(i)); values += v; names.append(f.name)
            }
            if let bad { out.append(DialogOutcome(ok: false, text: bad)); continue }
            guard !indices.isEmpty else { continue }
            let op = ParamOperation(code: .fieldSet, group: g, fields: .indices(indices), values: values)
            let outcome = perform(op, tid: tid, isSet: true, room: 4096)
            if outcome.block.status == .success {
                commit(outcome, tid: tid)
                out.append(DialogOutcome(ok: true, text: "\(schema.name): set \(names.joined(separator: ", "))"))
            } else {
                let info = outcome.block.errorInfo
                let fi = info.count >= 6 ? Int(info.readLE16(at: 4)) : 0xFFFF
                let field = fi < schema.fields.count ? " (field \(schema.fields[fi].name))" : ""
                out.append(DialogOutcome(ok: false, text: "\(schema.name): UtilParamsSet failed: \(outcome.block.status)\(field)"))
            }
        }
        return out
    }

    /// The dialog's HTML for device `tid` now, with `outcomes` listed first.
    public func dialogHTML(tid: TID, outcomes: [DialogOutcome]) -> [UInt8] {
        guard let device = devices[tid] else { return [] }
        var h = DialogWriter()
        let identity = parameterGroup(0xF100, of: tid)
        let text = { (name: String) -> String in
            guard let g = identity, let i = g.schema.field(named: name), let row = g.rows.first else { return "" }
            return FixedText.decode(Array(row[g.schema.offsets[i]..<g.schema.offsets[i] + g.schema.fields[i].type.width]))
        }
        let entry = device.entry
        h.raw("<style>.i2o-dialog{font-family:sans-serif;font-size:14px}.i2o-dialog h1{font-size:1.4em}.i2o-dialog h2{font-size:1.1em;"
              + "margin:.8em 0 .2em}.i2o-dialog table{border-collapse:collapse}.i2o-dialog td,.i2o-dialog th{border:1px solid #ccc;"
              + "padding:2px 6px;text-align:left}.outcome-ok{color:#070;font-weight:bold}.outcome-error{color:#b00;font-weight:bold}</style>")
        h.raw("<div class=\"i2o-dialog\">")
        h.element("h1", "\(text("VendorInfo")) \(text("ProductInfo"))".trimmingSpaces + " — TID \(hex(tid.rawValue, width: 3))")
        for o in outcomes { h.element("p", o.text, attributes: "class=\"\(o.ok ? "outcome-ok" : "outcome-error")\"") }
        h.raw("<table class=\"identity\">")
        var rows: [(String, String)] = [("Class", entry.classID.description), ("Description", text("Description")),
                                        ("Revision", text("ProductRevLevel")), ("ParentTID", hex(entry.parentTID.rawValue, width: 3)),
                                        ("UserTID", hex(entry.userTID.rawValue, width: 3))]
        if tid == .executive {
            let s = currentStatusBlock
            rows += [("IOP state", IOPState(rawValue: s.iopState)?.name ?? hex(s.iopState, width: 2)), ("IOP ID", hex(s.iopID, width: 3)),
                     ("Organization", hex(s.organizationID, width: 4)), ("Inbound frames", "\(s.currentInboundFrames) of \(s.maxInboundFrames)"),
                     ("LCT change indicator", String(lctChangeIndicator))]
        }
        for (k, v) in rows { h.raw("<tr><th>"); h.text(k); h.raw("</th><td>"); h.text(v); h.raw("</td></tr>") }
        h.raw("</table>")
        for table in firmware?.dialogTables(for: tid) ?? [] {
            h.element("h2", table.title)
            h.raw("<table class=\"firmware\"><tr>")
            for c in table.header { h.raw("<th>"); h.text(c); h.raw("</th>") }
            h.raw("</tr>")
            for row in table.rows {
                h.raw("<tr>")
                for c in row { h.raw("<td>"); h.text(c); h.raw("</td>") }
                h.raw("</tr>")
            }
            h.raw("</table>")
        }
        h.raw("<form method=\"post\" action=\"\">")
        // The groups with fields to set first (the settings), then the others.
        let groups = Self.groupNumbers(of: device).filter { $0 != 0xF000 }.compactMap { parameterGroup($0, of: tid) }
        let settable = { (g: ParamGroup) in
            g.schema.kind == .scalar && g.schema.fields.contains { $0.writable && !Self.isDerivedField(g.schema.number, $0.name, executive: tid == .executive) }
        }
        for group in groups where settable(group) { writeGroup(&h, group, executive: tid == .executive) }
        for group in groups where !settable(group) { writeGroup(&h, group, executive: tid == .executive) }
        h.raw("<p><input type=\"submit\" value=\"Apply\"></p></form></div>")
        return h.bytes
    }

    /// One group: a field list (scalar, writable fields as inputs) or a table.
    func writeGroup(_ h: inout DialogWriter, _ group: ParamGroup, executive: Bool) {
        let s = group.schema
        h.element("h2", "\(hex(s.number, width: 4)) \(s.name)")
        func value(_ row: [UInt8], _ i: Int) -> String {
            s.fields[i].type.display(Array(row[s.offsets[i]..<s.offsets[i] + s.fields[i].type.width]))
        }
        if s.kind == .scalar {
            let row = group.rows.first ?? [UInt8](repeating: 0, count: s.rowWidth)
            h.raw("<table class=\"group\">")
            for (i, f) in s.fields.enumerated() where !f.name.hasPrefix("reserved") {
                h.raw("<tr><th>"); h.text(f.name); h.raw("</th><td>")
                if f.writable && !Self.isDerivedField(s.number, f.name, executive: executive) {
                    h.raw("<input name=\""); h.text(Self.dialogFieldKey(s.number, f.name)); h.raw("\" value=\"")
                    h.text(value(row, i)); h.raw("\">")
                } else {
                    h.text(value(row, i))
                }
                h.raw("</td></tr>")
            }
            h.raw("</table>")
        } else {
            h.raw("<table class=\"group\"><tr>")
            for f in s.fields { h.raw("<th>"); h.text(f.name); h.raw("</th>") }
            h.raw("</tr>")
            for row in group.rows.prefix(Self.maxRows) {
                h.raw("<tr>")
                for i in s.fields.indices { h.raw("<td>"); h.text(value(row, i)); h.raw("</td>") }
                h.raw("</tr>")
            }
            h.raw("</table>")
            if group.rows.count > Self.maxRows { h.element("p", "\(group.rows.count - Self.maxRows) more rows") }
            if group.rows.isEmpty { h.element("p", "(no rows)") }
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` query, in order (`+` is a space,
    /// `%XX` a byte; a field without `=` has an empty value).
    public static func formFields(_ query: [UInt8]) -> [(String, String)] {
        func decode(_ s: ArraySlice<UInt8>) -> String {
            var out: [UInt8] = []
            var i = s.startIndex
            while i < s.endIndex {
                let c = s[i]
                if c == UInt8(ascii: "+") { out.append(0x20) } else if c == UInt8(ascii: "%"), i + 2 < s.endIndex,
                    let b = UInt8(String(decoding: s[i + 1...i + 2], as: UTF8.self), radix: 16) {
                    out.append(b); i += 3; continue
                } else { out.append(c) }
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
        return query.split(separator: UInt8(ascii: "&")).map { part in
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                return (decode(part[..<eq]), decode(part[(eq + 1)...]))
            }
            return (decode(part), "")
        }
    }
}

/// Field values as text: what the dialog shows and takes back (and any other front end may).
extension ParamFieldType {

    /// A field's bytes as the dialog shows (and takes back) them: integers in decimal, text as
    /// text, bytes in hex.
    public func display(_ b: [UInt8]) -> String {
        var u: UInt64 = 0
        for (i, x) in b.prefix(8).enumerated() { u |= UInt64(x) << (8 * UInt64(i)) }
        switch self {
        case .u8, .u16, .u32, .u64: return String(u)
        case .s8: return String(Int8(truncatingIfNeeded: u))
        case .s16: return String(Int16(truncatingIfNeeded: u))
        case .s32: return String(Int32(truncatingIfNeeded: u))
        case .s64: return String(Int64(bitPattern: u))
        case .string: return FixedText.decode(b)
        case .bytes: return b.map { hex($0, width: 2).dropFirst(2) }.joined()
        }
    }

    public var valueKind: String {
        switch self {
        case let .string(n): "text of at most \(n) bytes"
        case let .bytes(n): "\(n) bytes in hex"
        default: "\(self) number"
        }
    }

    /// `text` as the bytes of a field of `type`; nil when it is not a value of that type (out of
    /// range, not a number, text longer than the field).
    public func encode(_ text: String) -> [UInt8]? {
        let t = text.trimmingSpaces
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        func unsigned(_ max: UInt64, _ n: Int) -> [UInt8]? {
            let v = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
            guard let v, v <= max else { return nil }
            return le(v, n)
        }
        func signed(_ bits: Int) -> [UInt8]? {
            guard let v = Int64(t), bits == 64 || (v >= -(1 << (bits - 1)) && v < 1 << (bits - 1)) else { return nil }
            return le(UInt64(bitPattern: v), bits / 8)
        }
        switch self {
        case .u8: return unsigned(0xFF, 1)
        case .u16: return unsigned(0xFFFF, 2)
        case .u32: return unsigned(0xFFFF_FFFF, 4)
        case .u64: return unsigned(.max, 8)
        case .s8: return signed(8)
        case .s16: return signed(16)
        case .s32: return signed(32)
        case .s64: return signed(64)
        case let .string(n):
            guard text.utf8.count <= n else { return nil }
            return FixedText.encode(text, width: n)
        case let .bytes(n):
            let u = Array(t.utf8)
            guard u.count == 2 * n else { return nil }
            var out: [UInt8] = []
            for i in stride(from: 0, to: u.count, by: 2) {
                guard let b = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
                out.append(b)
            }
            return out
        }
    }

}

/// Escaping HTML text and attribute values: the one spelling, for the dialog pages here and the
/// web interface's pages (Sources/Web/HTML.swift).
public enum HTMLText {
    /// `s` with `&`, `<`, `>`, `"` and `'` as character references, and `{` too with `braces`.
    public static func escape(_ s: String, braces: Bool = false, into out: inout String) {
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "{" where braces: out += "&#123;"
            default: out.unicodeScalars.append(ch)
            }
        }
    }
}

/// The dialog's HTML as it is written: markup, and text escaped once, here.
struct DialogWriter {
    var bytes: [UInt8] = []
    mutating func raw(_ s: String) { bytes += s.utf8 }
    mutating func text(_ s: String) {
        var escaped = ""
        HTMLText.escape(s, braces: true, into: &escaped)   // `{`: no placeholder can come from a value
        raw(escaped)
    }
    mutating func element(_ name: String, _ content: String, attributes: String = "") {
        raw("<\(name)\(attributes.isEmpty ? "" : " " + attributes)>"); text(content); raw("</\(name)>")
    }
}

extension String {
    var trimmingSpaces: String {
        let u = utf8
        guard let a = u.firstIndex(where: { $0 != 0x20 }), let b = u.lastIndex(where: { $0 != 0x20 }) else { return "" }
        return String(self[a...b])
    }
}
