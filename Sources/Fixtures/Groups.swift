import I2OFormats
import IOPModel

extension Interpreter {
    static func normalized(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
    static let allStandard = StandardGroups.utility + StandardGroups.executive
    /// Standard group names as a fixture writes them: "DeviceIdentity".
    static func shortName(_ g: ParamGroupSchema) -> String { g.name.split(separator: " ").joined() }

    /// A group number, written as a number or as a standard group's name (`DeviceIdentity`, "Device Identity").
    func groupNumber(_ node: FixtureNode, _ path: @autoclosure () -> String, executive: Bool) -> UInt16? {
        guard case let .scalar(s) = node else { r.error(node, path(), "expected a group number or name, found \(Reader.kindName(node))"); return nil }
        if Reader.parseInteger(s.string) != nil { return r.u16(node, path(), what: "a group number (0…0xFFFF)") }
        if let g = Self.allStandard.first(where: { Self.normalized($0.name) == Self.normalized(s.string) }) { return g.number }
        let names = Self.allStandard.map(Self.shortName)
        var hint = "name a standard group (" + names.joined(separator: ", ") + ") or give its number (0xF100)"
        if let near = Reader.nearest(s.string, in: names) { hint = "did you mean \(near)? (or give the group's number)" }
        r.error(node, path(), "unknown parameter group '\(s.string)'", hint: hint)
        return nil
    }

    func groups(_ node: FixtureNode, _ path: @autoclosure () -> String, executive: Bool) -> [UInt16: ParamGroup] {
        var out: [UInt16: ParamGroup] = [:]
        guard let pairs = r.pairs(node, path(), of: "parameter groups (number or name: fields)") else { return out }
        for (k, text, value) in pairs {
            func p() -> String { path() + "." + text }
            guard let number = groupNumber(k, p(), executive: executive) else { continue }
            if out[number] != nil {
                r.error(k, p(), "group \(hex(number, width: 4)) is given twice", hint: "merge the two into one entry")
                continue
            }
            let group: ParamGroup?
            if case let .mapping(m) = value, m["fields"] != nil {
                group = vendorGroup(number, value, p(), executive: executive)
            } else if let schema = StandardGroups.schema(for: number, executive: executive) {
                group = standardGroup(schema, value, p())
            } else {
                let execOnly = StandardGroups.executive.contains { $0.number == number }
                r.error(k, p(), "group \(hex(number, width: 4)) is not a standard group" + (execOnly ? " of this device (it is the executive's, TID 0 only)" : ""),
                        hint: "define its layout: `\(text): {fields: [{name: Foo, type: u16}], values: {Foo: 1}}`")
                group = nil
            }
            if let group { out[number] = group }
        }
        return out
    }

    /// A standard group: `{Field: value, …}` (scalar), `[{…}, …]` (table), or the long form
    /// `{values: {…} | rows: […], writable: [Field, …]}`.
    func standardGroup(_ schema: ParamGroupSchema, _ node: FixtureNode, _ path: @autoclosure () -> String) -> ParamGroup? {
        if case let .mapping(m) = node, m["values"] != nil || m["rows"] != nil || m["writable"] != nil {
            return standardGroupLongForm(schema, node, path())
        }
        return fill(schema, node, path()).map { ParamGroup(schema: schema, rows: $0) }
    }

    private func standardGroupLongForm(_ schema: ParamGroupSchema, _ node: FixtureNode, _ path: String) -> ParamGroup? {
        var schema = schema
        var content: FixtureNode? = node
        var contentPath = path
        if case let .mapping(m) = node, m["values"] != nil || m["rows"] != nil || m["writable"] != nil {
            guard let o = r.object(node, path, keys: ["values", "rows", "writable"]) else { return nil }
            content = o["values"] ?? o["rows"]
            contentPath = o.has("values") ? o.sub("values") : o.sub("rows")
            if o.has("values"), o.has("rows") {
                r.error(o.keyNode("rows"), o.sub("rows"), "give values (scalar group) or rows (table), not both"); return nil
            }
            if let w = o["writable"], let list = r.list(w, o.sub("writable"), of: "field names") {
                for (i, item) in list.enumerated() {
                    let p = o.sub("writable") + "[\(i)]"
                    guard let name = r.text(item, p, what: "a field name") else { continue }
                    if let ix = schema.field(named: name) { schema.fields[ix].writable = true } else { unknownField(name, item, p, schema) }
                }
            }
        }
        guard let content else { return ParamGroup.zeroed(schema) }
        guard let rows = fill(schema, content, contentPath) else { return nil }
        return ParamGroup(schema: schema, rows: rows)
    }

    /// The rows of a group from its field map (scalar) or list of rows (table).
    func fill(_ schema: ParamGroupSchema, _ node: FixtureNode, _ path: @autoclosure () -> String) -> [[UInt8]]? {
        switch schema.kind {
        case .scalar:
            if case .sequence = node {
                r.error(node, path(), "\(hex(schema.number, width: 4)) (\(schema.name)) is a scalar group; give its fields as a mapping",
                        hint: "write `{\(schema.fields.first?.name ?? "Field"): …}` instead of a list")
                return nil
            }
            return row(schema, node, path()).map { [$0] }
        case .table:
            guard case let .sequence(seq) = node else {
                r.error(node, path(), "\(hex(schema.number, width: 4)) (\(schema.name)) is a table; give its rows as a list",
                        hint: "write each row as `- {\(schema.fields.first?.name ?? "Field"): …}`")
                return nil
            }
            var rows: [[UInt8]] = []
            var ok = true
            for (i, item) in seq.enumerated() {
                if let row = row(schema, item, path() + "[\(i)]") { rows.append(row) } else { ok = false }
            }
            return ok ? rows : nil
        }
    }

    /// One row: `{Field: value, …}` (missing fields are zero) or `{hex: "…"}` (exactly the row's width).
    func row(_ schema: ParamGroupSchema, _ node: FixtureNode, _ path: @autoclosure () -> String) -> [UInt8]? {
        let width = schema.rowWidth
        if Reader.isHexObject(node) {
            return rawBytes(node, path(), width: width, hint: "give exactly \(width) bytes") { n in
                "the raw row is \(n) bytes; a row of \(hex(schema.number, width: 4)) is \(width) bytes"
            }
        }
        guard let pairs = r.pairs(node, path(), of: "fields (name: value)") else { return nil }
        var out = [UInt8](repeating: 0, count: width)
        let offsets = schema.offsets
        var ok = true
        for (k, name, value) in pairs {
            guard let ix = schema.field(named: name) else { unknownField(name, k, path() + "." + name, schema); ok = false; continue }
            guard let bytes = encode(schema.fields[ix], value, path() + "." + name) else { ok = false; continue }
            out.replaceSubrange(offsets[ix]..<offsets[ix] + bytes.count, with: bytes)
        }
        return ok ? out : nil
    }

    /// A `{hex: "…"}` value of exactly `width` bytes; `problem` says what is wrong with `n` bytes.
    private func rawBytes(_ node: FixtureNode, _ path: String, width: Int, hint: String,
                          _ problem: (Int) -> String) -> [UInt8]? {
        guard let b = r.hexObject(node, path) else { return nil }
        guard b.count == width else { r.error(node, path, problem(b.count), hint: hint); return nil }
        return b
    }

    func unknownField(_ name: String, _ node: FixtureNode, _ path: String, _ schema: ParamGroupSchema) {
        let names = schema.fields.map(\.name)
        var hint = "fields of \(hex(schema.number, width: 4)) (\(schema.name)): " + names.joined(separator: ", ")
        if let near = Reader.nearest(name, in: names) { hint = "did you mean \(near)? (" + hint + ")" }
        r.error(node, path, "\(hex(schema.number, width: 4)) (\(schema.name)) has no field '\(name)'", hint: hint)
    }

    static func range(of type: ParamFieldType) -> ClosedRange<Int128> {
        switch type {
        case .u8: 0...0xFF
        case .u16: 0...0xFFFF
        case .u32: 0...0xFFFF_FFFF
        case .u64: 0...Int128(UInt64.max)
        case .s8: -0x80...0x7F
        case .s16: -0x8000...0x7FFF
        case .s32: -0x8000_0000...0x7FFF_FFFF
        case .s64: Int128(Int64.min)...Int128(Int64.max)
        case .string, .bytes: 0...0
        }
    }

    /// A field's bytes (exactly its width).
    func encode(_ field: ParamField, _ node: FixtureNode, _ path: @autoclosure () -> String) -> [UInt8]? {
        let w = field.type.width
        switch field.type {
        case .string, .bytes:
            guard let b = r.textOrBytes(node, path(), width: w, what: "\(field.name) (\(field.type))") else { return nil }
            return b + [UInt8](repeating: 0, count: w - b.count)
        default:
            if Reader.isHexObject(node) {
                return rawBytes(node, path(), width: w, hint: "give exactly \(w) bytes, little-endian") { n in
                    "\(field.name) is \(field.type), \(w) bytes; the raw value is \(n) bytes"
                }
            }
            guard let v = r.integer(node, path(), in: Self.range(of: field.type), what: "\(field.name) (\(field.type))") else { return nil }
            let bits = UInt128(truncatingIfNeeded: v)
            return (0..<w).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
        }
    }

    // MARK: - Vendor groups

    static let typeNames = ["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "string(N)", "bytes(N)"]

    func vendorGroup(_ number: UInt16, _ node: FixtureNode, _ path: String, executive: Bool) -> ParamGroup? {
        if let std = StandardGroups.schema(for: number, executive: executive) {
            r.error(node, path, "\(hex(number, width: 4)) is the standard group \(std.name); its layout is fixed",
                    hint: "remove `fields:` and fill its fields by name, e.g. {\(std.fields.first?.name ?? "Field"): …}")
            return nil
        }
        guard let o = r.object(node, path, keys: ["name", "kind", "fields", "key_field", "rows_editable", "values", "rows"],
                               required: ["fields"]) else { return nil }
        var schema = ParamGroupSchema(number: number, name: "Vendor group \(hex(number, width: 4))", kind: .scalar, fields: [])
        if let v = o["name"], let t = r.text(v, o.sub("name")) { schema.name = t }
        if let v = o["kind"] {
            guard let t = r.text(v, o.sub("kind")) else { return nil }
            guard let k = ParamGroupSchema.Kind(rawValue: t.lowercased()) else {
                r.error(v, o.sub("kind"), "unknown group kind '\(t)'", hint: "write scalar (one row) or table (rows)"); return nil
            }
            schema.kind = k
        }
        guard let fv = o["fields"], let list = r.list(fv, o.sub("fields"), of: "fields ({name: …, type: u16})") else { return nil }
        if list.isEmpty { r.error(fv, o.sub("fields"), "a group needs at least one field", hint: "add `- {name: Value, type: u32}`"); return nil }
        var ok = true
        for (i, item) in list.enumerated() {
            let p = o.sub("fields") + "[\(i)]"
            guard let f = r.object(item, p, keys: ["name", "type", "writable"], required: ["name", "type"],
                                   examples: ["name": "BusTID", "type": "u16"]),
                  let nameN = f["name"], let name = r.text(nameN, f.sub("name")), let typeN = f["type"],
                  let typeText = r.text(typeN, f.sub("type")) else { ok = false; continue }
            guard let type = ParamFieldType(name: typeText) else {
                var hint = "types: " + Self.typeNames.joined(separator: ", ") + " (N = 1…4096)"
                if let near = Reader.nearest(typeText, in: Array(Self.typeNames.prefix(8))) { hint = "did you mean \(near)? (" + hint + ")" }
                r.error(typeN, f.sub("type"), "unknown field type '\(typeText)'", hint: hint)
                ok = false; continue
            }
            if schema.field(named: name) != nil {
                r.error(nameN, f.sub("name"), "field '\(name)' is defined twice", hint: "give each field its own name")
                ok = false; continue
            }
            var writable = false
            if let w = f["writable"] { writable = r.bool(w, f.sub("writable")) ?? false }
            schema.fields.append(ParamField(name, type, writable: writable))
        }
        guard ok else { return nil }
        if schema.rowWidth > 0xFFFF {
            r.error(fv, o.sub("fields"), "a row of \(schema.rowWidth) bytes is too wide", hint: "keep a row under 64 KiB"); return nil
        }
        if let v = o["key_field"], let t = r.text(v, o.sub("key_field"), what: "a field name or index") {
            if let ix = schema.field(named: t) { schema.keyField = ix }
            else if let n = Reader.parseInteger(t), n >= 0, n < schema.fields.count { schema.keyField = Int(n) }
            else { unknownField(t, v, o.sub("key_field"), schema); return nil }
        }
        if let v = o["rows_editable"], let b = r.bool(v, o.sub("rows_editable")) { schema.rowsEditable = b }
        switch schema.kind {
        case .scalar:
            if o.has("rows") {
                r.error(o.keyNode("rows"), o.sub("rows"), "a scalar group has values, not rows",
                        hint: "write `values: {Field: …}`, or `kind: table` for a table"); return nil
            }
            guard let v = o["values"] else { return ParamGroup.zeroed(schema) }
            return fill(schema, v, o.sub("values")).map { ParamGroup(schema: schema, rows: $0) }
        case .table:
            if o.has("values") {
                r.error(o.keyNode("values"), o.sub("values"), "a table has rows, not values",
                        hint: "write `rows: [{Field: …}, …]`"); return nil
            }
            guard let v = o["rows"] else { return ParamGroup(schema: schema, rows: []) }
            return fill(schema, v, o.sub("rows")).map { ParamGroup(schema: schema, rows: $0) }
        }
    }
}
