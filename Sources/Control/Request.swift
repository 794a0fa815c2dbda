import Foundation
import I2OFormats

/// A refused control request. `key` names the request key it concerns, when one does (a fixture's
/// `faults:` entry reports the problem at that key's line).
public struct ControlError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var key: String?
    public init(_ message: String, key: String? = nil) { self.message = message; self.key = key }
    public var description: String { message }
}

/// One request object, with typed access to its arguments. Every accessor refuses a value it
/// cannot read with the key, what was given and what it takes (the names it knows, listed).
struct Request {
    let object: [String: Any]
    let command: String
    init(_ object: [String: Any]) throws {
        self.object = object
        guard let c = object["command"] as? String else { throw ControlError("the request has no \"command\"", key: "command") }
        command = c
    }
    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }
    func raw(_ key: String) -> Any? { object[key] }

    /// Refuses a key the command does not take, naming the keys it takes (the nearest first, when
    /// one is a likely misspelling).
    func checkKeys(_ allowed: [String]) throws {
        for key in object.keys.sorted() where key != "command" && !allowed.contains(key) {
            let takes = allowed.isEmpty ? "\(command) takes no keys"
                : "\(command) takes: \(allowed.joined(separator: ", "))"
            let guess = closestName(to: key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw ControlError("unknown key \"\(key)\"\(guess); \(takes)", key: key)
        }
    }

    func u64(_ key: String, default d: UInt64? = nil) throws -> UInt64 {
        guard has(key), let v = object[key] else {
            if let d { return d }
            throw ControlError("\(command) needs \"\(key)\"", key: key)
        }
        if let s = v as? String, let n = parseNumber(s) { return n }
        if let n = v as? NSNumber, n.doubleValue >= 0, n.doubleValue == n.doubleValue.rounded() { return n.uint64Value }
        throw ControlError("\"\(key)\": '\(v)' is not a number (give one such as 517, 0x205 or 0b101)", key: key)
    }
    func u32(_ key: String, default d: UInt32? = nil) throws -> UInt32 {
        let v = try u64(key, default: d.map(UInt64.init))
        guard v <= UInt32.max else { throw ControlError("\"\(key)\": \(v) is too large (at most \(UInt32.max))", key: key) }
        return UInt32(v)
    }
    func u16(_ key: String, default d: UInt16? = nil) throws -> UInt16 {
        let v = try u64(key, default: d.map(UInt64.init))
        guard v <= UInt16.max else { throw ControlError("\"\(key)\": \(v) is too large (at most \(UInt16.max))", key: key) }
        return UInt16(v)
    }
    func string(_ key: String) throws -> String {
        guard let v = object[key] else { throw ControlError("\(command) needs \"\(key)\"", key: key) }
        if let s = v as? String { return s }
        return "\(v)"
    }
    /// Bytes as hex ("01 02 ff", "0102ff").
    func bytes(_ key: String, default d: [UInt8]? = nil) throws -> [UInt8] {
        guard has(key) else {
            if let d { return d }
            throw ControlError("\(command) needs \"\(key)\"", key: key)
        }
        let s = try string(key).replacingOccurrences(of: "0x", with: "").filter { !" :,".contains($0) }
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex) ?? s.endIndex
            guard let b = UInt8(s[i..<j], radix: 16), s.distance(from: i, to: j) == 2 else {
                throw ControlError("\"\(key)\" is not hex bytes (e.g. \"01 02 ff\")", key: key)
            }
            out.append(b); i = j
        }
        return out
    }

    /// The value of `key` when it is a name rather than a number (nil when absent or a number).
    func name(_ key: String) -> String? {
        guard let s = object[key] as? String, parseNumber(s) == nil else { return nil }
        return s
    }
    /// A value given by name (looked up by `lookup`) or as a number (read by `number`); a name
    /// `lookup` does not know is refused with `names` listed.
    func named<T>(_ key: String, _ what: String, names: [String], lookup: (String) -> T?,
                  number: () throws -> T) throws -> T {
        guard let s = name(key) else { return try number() }
        guard let v = lookup(s) else { throw Self.unknown(key, what, s, among: names) }
        return v
    }
    static func unknown(_ key: String, _ what: String, _ value: String, among names: [String], orNumber: Bool = true) -> ControlError {
        let guess = closestName(to: value, in: names).map { " (did you mean \($0)?)" } ?? ""
        return ControlError("\"\(key)\": unknown \(what) '\(value)'\(guess); one of: \(names.joined(separator: ", "))"
                            + (orNumber ? ", or a number" : ""), key: key)
    }

    /// A device class by name (`RANDOM_BLOCK_STORAGE`) or number.
    func classID(_ key: String) throws -> ClassID {
        let names = ClassID.allNames
        return try named(key, "device class", names: names, lookup: { ClassID(name: $0) }) { ClassID(rawValue: try u16(key)) }
    }
    func indicator(_ key: String) throws -> EventIndicator {
        try named(key, "event indicator", names: Self.indicators.map(\.name), lookup: { s in
            let n = s.uppercased().replacingOccurrences(of: "-", with: "_")
            return Self.indicators.first { $0.name == n }.map { EventIndicator(rawValue: $0.value) }
        }) { EventIndicator(rawValue: try u32(key)) }
    }
    /// The event indicators by name, in the order of docs/control.md.
    static let indicators: [(name: String, value: UInt32)] = [
        ("STATE_CHANGE", 0x8000_0000), ("GENERAL_WARNING", 0x4000_0000), ("CONFIGURATION_FLAG", 0x2000_0000),
        ("LOCK_RELEASE", 0x1000_0000), ("CAPABILITY_CHANGE", 0x0800_0000), ("DEVICE_RESET", 0x0400_0000),
        ("EVENT_MASK_MODIFIED", 0x0200_0000), ("FIELD_MODIFIED", 0x0100_0000), ("VENDOR_EVENT", 0x0080_0000),
        ("DEVICE_STATE", 0x0040_0000), ("RESOURCE_LIMITS", 0x001), ("CONNECTION_FAIL", 0x002), ("ADAPTER_FAULT", 0x004),
        ("POWER_FAIL", 0x008), ("RESET_PENDING", 0x010), ("RESET_IMMINENT", 0x020), ("HARDWARE_FAIL", 0x040),
        ("XCT_CHANGE", 0x080), ("NEW_LCT_ENTRY", 0x100), ("MODIFIED_LCT", 0x200), ("DDM_AVAILABILITY", 0x400),
    ]
}

/// "0x205", "517", "0b101", "0o7", with `_` allowed.
func parseNumber(_ text: String) -> UInt64? {
    let s = text.replacingOccurrences(of: "_", with: "").lowercased()
    if s.hasPrefix("0x") { return UInt64(s.dropFirst(2), radix: 16) }
    if s.hasPrefix("0b") { return UInt64(s.dropFirst(2), radix: 2) }
    if s.hasPrefix("0o") { return UInt64(s.dropFirst(2), radix: 8) }
    return UInt64(s)
}

/// The name in `names` nearest to `text` (case ignored) when it is a likely misspelling: at most
/// two edits away, and fewer than half its letters.
func closestName(to text: String, in names: [String]) -> String? {
    let a = Array(text.lowercased())
    var best: (name: String, distance: Int)?
    for name in names {
        let d = editDistance(a, Array(name.lowercased()))
        if d <= 2, d * 2 < a.count, d < (best?.distance ?? .max) { best = (name, d) }
    }
    return best?.name
}

/// Levenshtein distance: insertions, deletions and substitutions.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    var row = Array(0...b.count)
    for i in a.indices {
        var previous = row[0]
        row[0] = i + 1
        for j in b.indices {
            let current = row[j + 1]
            row[j + 1] = min(current + 1, row[j] + 1, previous + (a[i] == b[j] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}
