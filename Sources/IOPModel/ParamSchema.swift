import I2OFormats

/// The type of one parameter field: a fixed width on the wire.
public enum ParamFieldType: Hashable, Sendable, CustomStringConvertible {
    case u8, u16, u32, u64, s8, s16, s32, s64
    /// NUL-padded text of a fixed width (VendorInfo[16] …).
    case string(Int)
    /// Raw bytes of a fixed width.
    case bytes(Int)

    public var width: Int {
        switch self {
        case .u8, .s8: 1
        case .u16, .s16: 2
        case .u32, .s32: 4
        case .u64, .s64: 8
        case let .string(n), let .bytes(n): n
        }
    }
    public var isSigned: Bool { [.s8, .s16, .s32, .s64].contains(self) }
    public var isInteger: Bool { if case .string = self { return false }; if case .bytes = self { return false }; return true }
    public var description: String {
        switch self {
        case .u8: "u8"; case .u16: "u16"; case .u32: "u32"; case .u64: "u64"
        case .s8: "s8"; case .s16: "s16"; case .s32: "s32"; case .s64: "s64"
        case let .string(n): "string(\(n))"; case let .bytes(n): "bytes(\(n))"
        }
    }
    /// Parses "u16", "string(16)", "bytes(8)" …
    public init?(name: String) {
        let n = name.lowercased().filter { $0 != " " }
        switch n {
        case "u8": self = .u8; case "u16": self = .u16; case "u32": self = .u32; case "u64": self = .u64
        case "s8": self = .s8; case "s16": self = .s16; case "s32": self = .s32; case "s64": self = .s64
        default:
            for (prefix, make) in [("string(", ParamFieldType.string), ("bytes(", ParamFieldType.bytes)] as [(String, (Int) -> ParamFieldType)]
            where n.hasPrefix(prefix) && n.hasSuffix(")") {
                guard let w = Int(n.dropFirst(prefix.count).dropLast()), w > 0, w <= 4096 else { return nil }
                self = make(w); return
            }
            return nil
        }
    }
}

/// One field of a parameter group.
public struct ParamField: Hashable, Sendable {
    public var name: String
    public var type: ParamFieldType
    /// Whether UtilParamsSet may change it (else FIELD_UNWRITEABLE).
    public var writable: Bool
    public init(_ name: String, _ type: ParamFieldType, writable: Bool = false) {
        self.name = name; self.type = type; self.writable = writable
    }
}

/// The shape of a parameter group: its number, name, scalar or table, fields in order.
public struct ParamGroupSchema: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case scalar, table }
    public var number: UInt16
    public var kind: Kind
    /// Tables: the index of the key field (LIST_GET, ROW_DELETE …). I2O tables key on field 0.
    public var keyField: Int
    /// Tables: ROW_ADD / ROW_DELETE / TABLE_CLEAR allowed (0xF000 Properties bits 0x02/0x04/0x08).
    public var rowsEditable: Bool

    /// The name and the fields with what follows from them, in one immutable box: every parameter
    /// request copies a schema, and a copy is then one retain, not three.
    private final class Layout: Sendable {
        let name: String
        let fields: [ParamField]
        let offsets: [Int]
        let rowWidth: Int
        init(name: String, fields: [ParamField]) {
            self.name = name; self.fields = fields
            var o: [Int] = []; o.reserveCapacity(fields.count); var at = 0
            for f in fields { o.append(at); at += f.type.width }
            offsets = o; rowWidth = at
        }
    }
    private var layout: Layout

    public var name: String {
        get { layout.name }
        set { layout = Layout(name: newValue, fields: layout.fields) }
    }
    public var fields: [ParamField] {
        get { layout.fields }
        set { layout = Layout(name: layout.name, fields: newValue) }
    }
    /// Byte offset of each field inside a row (fields are packed, in order); kept with `fields`.
    public var offsets: [Int] { layout.offsets }
    /// The bytes of one row (all fields).
    public var rowWidth: Int { layout.rowWidth }

    public init(number: UInt16, name: String, kind: Kind, fields: [ParamField], keyField: Int = 0, rowsEditable: Bool = false) {
        self.number = number; self.kind = kind; self.keyField = keyField; self.rowsEditable = rowsEditable
        layout = Layout(name: name, fields: fields)
    }

    public static func == (a: ParamGroupSchema, b: ParamGroupSchema) -> Bool {
        a.number == b.number && a.kind == b.kind && a.keyField == b.keyField && a.rowsEditable == b.rowsEditable
            && (a.layout === b.layout || (a.name == b.name && a.fields == b.fields))
    }
    public func hash(into h: inout Hasher) {
        h.combine(number); h.combine(name); h.combine(kind); h.combine(fields); h.combine(keyField); h.combine(rowsEditable)
    }

    /// Width of the named fields, or nil when an index is out of range.
    public func width(of selection: FieldSelection) -> Int? {
        switch selection {
        case .all: return rowWidth
        case let .indices(ix):
            var w = 0
            for i in ix { guard Int(i) < fields.count else { return nil }; w += fields[Int(i)].type.width }
            return w
        }
    }
    /// The index of the field called `name`, ignoring ASCII case (no string is built).
    public func field(named name: String) -> Int? {
        // The exact spelling first (the model's own lookups always match so); schemas never hold
        // two names that differ only in case (fixtures refuse them), so the answer is the same.
        if let i = fields.firstIndex(where: { $0.name == name }) { return i }
        return fields.firstIndex { f in
            f.name.utf8.elementsEqual(name.utf8) { a, b in a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) }
        }
    }
}
