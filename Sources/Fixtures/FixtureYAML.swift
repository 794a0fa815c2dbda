import Foundation

/// Writing the fixture format's scalars, for the programs that write fixtures (`i2osim record`,
/// `i2osim ctl … snapshot`): one spelling of strings and bytes that `FixtureLoader` reads back.
public enum FixtureYAML {
    /// A YAML double-quoted scalar: quotes, backslashes and control characters escaped.
    public static func quote(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\t": o += "\\t"
            case "\r": o += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F { o += String(format: "\\x%02x", u.value) } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }

    /// Bytes as spaced lowercase hex (`01 02 ff`), the text of a `{hex: "…"}` value.
    public static func hexBytes(_ b: [UInt8]) -> String {
        b.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
