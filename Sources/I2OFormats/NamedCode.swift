/// A numeric code of the I2O world that has a name: a function code, a ReqStatus, a class ID….
/// A code type declares its values as constants and their names once, in `names` (the
/// kernel's or the specification's spelling); the name, the lookup by name and the description
/// come from here.
public protocol NamedCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible
where RawValue: FixedWidthInteger & Sendable {
    init(rawValue: RawValue)
    /// Every named value, by value.
    static var names: [RawValue: String] { get }
    /// Other names a lookup accepts (none unless a type says so).
    static var aliases: [String: RawValue] { get }
    /// Hex digits of the description of a value without a name.
    static var hexDigits: Int { get }
}

extension NamedCode {
    public static var aliases: [String: RawValue] { [:] }

    /// The value's name, or nil for a value without one.
    public var name: String? { Self.names[rawValue] }

    /// The value with this name (or alias), compared without case and with `-` taken as `_`.
    public init?(name: String) {
        let wanted = Self.folded(name)
        if let v = Self.names.first(where: { Self.folded($0.value) == wanted })?.key ?? Self.aliases[wanted] {
            self.init(rawValue: v)
        } else {
            return nil
        }
    }

    /// Every name, in the order of the values: what an error message lists as valid.
    public static var allNames: [String] { names.sorted { $0.key < $1.key }.map(\.value) }

    public var description: String { name ?? hex(rawValue, width: Self.hexDigits) }

    static func folded(_ name: String) -> String { String(name.uppercased().map { $0 == "-" ? "_" : $0 }) }
}
