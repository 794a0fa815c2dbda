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
    public var name: String
    public var kind: Kind
    public var fields: [ParamField] { didSet { offsets = Self.offsets(of: fields) } }
    /// Byte offset of each field inside a row (fields are packed, in order); kept with `fields`.
    public private(set) var offsets: [Int]
    /// Tables: the index of the key field (LIST_GET, ROW_DELETE …). I2O tables key on field 0.
    public var keyField: Int
    /// Tables: ROW_ADD / ROW_DELETE / TABLE_CLEAR allowed (0xF000 Properties bits 0x02/0x04/0x08).
    public var rowsEditable: Bool

    public init(number: UInt16, name: String, kind: Kind, fields: [ParamField], keyField: Int = 0, rowsEditable: Bool = false) {
        self.number = number; self.name = name; self.kind = kind; self.fields = fields
        offsets = Self.offsets(of: fields)
        self.keyField = keyField; self.rowsEditable = rowsEditable
    }

    private static func offsets(of fields: [ParamField]) -> [Int] {
        var o: [Int] = []; o.reserveCapacity(fields.count); var at = 0
        for f in fields { o.append(at); at += f.type.width }
        return o
    }
    public var rowWidth: Int { fields.reduce(0) { $0 + $1.type.width } }
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
