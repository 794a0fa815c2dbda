import Foundation
import I2OFormats

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

    /// A TID as fixtures write it: `none` (0xFFF) or three hex digits.
    public static func tid(_ t: TID) -> String { t == .none ? "none" : hex(t.rawValue, width: 3) }

    /// One HRT entry, a flow mapping on the line of its `- `.
    public static func hrtEntry(_ e: HRTEntry) -> String {
        let bus = HRTBusType(rawValue: e.busType)?.name ?? hex(e.busType, width: 2)
        var o = "{adapter_id: \(hex(e.adapterID, width: 8)), controlling_tid: \(tid(e.controllingTID)), "
        o += "state: \(hex(e.adapterState)), bus_number: \(e.busNumber), bus_type: \(bus), bus_info: {hex: \"\(hexBytes(e.busInfo))\"}"
        if !e.extraWords.isEmpty { o += ", extra_words: [\(e.extraWords.map { hex($0, width: 8) }.joined(separator: ", "))]" }
        return o + "}"
    }

    /// A device's LCT entry fields as lines of a device list item (`      - tid: …`, the rest
    /// indented by eight spaces).
    public static func deviceEntry(_ e: LCTEntry) -> String {
        var o = "      - tid: \(tid(e.localTID))\n"
        o += "        class: \(hex(e.classID.rawValue, width: 3))\n"
        o += "        subclass: \(hex(e.subClass))\n"
        o += "        class_version: \(e.classVersion)\n"
        o += "        org_id: \(hex(e.organizationID, width: 4))\n"
        o += "        flags: \(hex(e.deviceFlags.rawValue))\n"
        o += "        parent: \(tid(e.parentTID))\n"
        o += "        user: \(tid(e.userTID))\n"
        o += "        change_indicator: \(e.changeIndicator)\n"
        o += "        bios_info: \(e.biosInfo)\n"
        o += "        identity_tag: {hex: \"\(hexBytes(e.identityTag))\"}\n"
        o += "        event_capabilities: \(hex(e.eventCapabilities, width: 8))\n"
        return o
    }
}
