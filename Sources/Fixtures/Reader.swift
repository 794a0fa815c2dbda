import Foundation
import I2OFormats

/// A YAML mapping whose keys were checked against the keys a place in the format allows.
struct Object {
    let node: FixtureNode
    let path: String
    /// Pairs whose key is text, in document order.
    let pairs: [(key: String, keyNode: FixtureNode, value: FixtureNode)]

    subscript(key: String) -> FixtureNode? { pairs.first { $0.key == key }?.value }
    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }
    func keyNode(_ key: String) -> FixtureNode? { pairs.first { $0.key == key }?.keyNode }
    /// `path.key`.
    func sub(_ key: String) -> String { join(path, key) }
}

func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

/// Answers of a name lookup, remembered per load.
final class NameCache<T> {
    private let lookUp: (String) -> T?
    private var known: [String: T?] = [:]
    init(_ lookUp: @escaping (String) -> T?) { self.lookUp = lookUp }
    func name(_ s: String) -> T? {
        if let v = known[s] { return v }
        let v = lookUp(s)
        known[s] = v
        return v
    }
}

/// Walks the YAML node tree and collects diagnostics. One per load; not shared.
final class Reader {
    let file: String
    let baseDirectory: String?
    let maxDiagnostics: Int
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var truncated = false

    init(file: String, baseDirectory: String?, maxDiagnostics: Int) {
        self.file = file; self.baseDirectory = baseDirectory; self.maxDiagnostics = maxDiagnostics
    }

    var failed: Bool { !diagnostics.isEmpty }

    /// Class names already looked up (a large fixture names a few classes thousands of times).
    let classIDs = NameCache<ClassID> { ClassID(name: $0) }

    // MARK: - Reporting

    func error(line: Int, column: Int, _ path: String, _ message: String, hint: String = "") {
        guard diagnostics.count < maxDiagnostics else { truncated = true; return }
        diagnostics.append(Diagnostic(file: file, line: line, column: column, keyPath: path, message: message, hint: hint))
    }

    func error(_ node: FixtureNode?, _ path: String, _ message: String, hint: String = "") {
        let m = node?.mark
        error(line: m?.line ?? 0, column: m?.column ?? 0, path, message, hint: hint)
    }

    // MARK: - Shape

    static func kindName(_ node: FixtureNode) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case let .scalar(s): s.style == .plain && s.string.isEmpty ? "nothing" : "the value '\(s.string)'"
        }
    }

    /// The node as a mapping with text keys, each key one of `keys`; reports unknown and missing keys.
    func object(_ node: FixtureNode, _ path: String, keys: [String], required: [String] = [],
                examples: [String: String] = [:]) -> Object? {
        guard case let .mapping(map) = node else {
            error(node, path, "expected a mapping (key: value lines), found \(Self.kindName(node))",
                  hint: "write it as `\(keys.first ?? "key"): …` lines indented under its key")
            return nil
        }
        var pairs: [(key: String, keyNode: FixtureNode, value: FixtureNode)] = []
        for (k, v) in map {
            guard case let .scalar(ks) = k else {
                error(k, path, "a key must be plain text, found \(Self.kindName(k))"); continue
            }
            let key = ks.string
            guard keys.contains(key) else {
                var hint = "known keys here: " + keys.joined(separator: ", ")
                if let near = Self.nearest(key, in: keys) { hint = "did you mean '\(near)'? (" + hint + ")" }
                error(k, join(path, key), "unknown key '\(key)'", hint: hint)
                continue
            }
            pairs.append((key, k, v))
        }
        for r in required where !pairs.contains(where: { $0.key == r }) {
            error(node, path.isEmpty ? "(top level)" : path, "missing required key '\(r)'",
                  hint: "add `\(r): \(examples[r] ?? "…")`")
        }
        return Object(node: node, path: path, pairs: pairs)
    }

    /// The node's items when it is a list (else a diagnostic and nil).
    func list(_ node: FixtureNode, _ path: @autoclosure () -> String, of what: String) -> [FixtureNode]? {
        guard case let .sequence(seq) = node else {
            error(node, path(), "expected a list of \(what), found \(Self.kindName(node))",
                  hint: "write each item on its own `- ` line")
            return nil
        }
        return Array(seq)
    }

    /// The node's pairs when it is a mapping with any scalar keys (numbered maps: groups, html pages).
    func pairs(_ node: FixtureNode, _ path: @autoclosure () -> String, of what: String) -> [(key: FixtureNode, text: String, value: FixtureNode)]? {
        guard case let .mapping(map) = node else {
            error(node, path(), "expected a mapping of \(what), found \(Self.kindName(node))")
            return nil
        }
        var out: [(key: FixtureNode, text: String, value: FixtureNode)] = []
        for (k, v) in map {
            guard case let .scalar(ks) = k else { error(k, path(), "a key must be a number or a name, found \(Self.kindName(k))"); continue }
            out.append((k, ks.string, v))
        }
        return out
    }

    // MARK: - Scalars

    /// Text of a scalar (whatever YAML would have resolved it to: `0201` stays "0201").
    func text(_ node: FixtureNode, _ path: @autoclosure () -> String, what: String = "text") -> String? {
        guard case let .scalar(s) = node else {
            error(node, path(), "expected \(what), found \(Self.kindName(node))")
            return nil
        }
        return s.string
    }

    /// Parses an integer as written: 42, -7, 0x1B, 0o17, 0b101, 1_000 (leading zeros stay decimal).
    static func parseInteger(_ raw: String) -> Int128? {
        if let v = parseASCIIInteger(raw) { return v }
        return parseIntegerSlow(raw)
    }

    /// `parseInteger` for text of ASCII letters, digits and `_` after an optional sign (what fixtures
    /// hold): the same answer without Foundation. The outer nil: the text is not of that kind.
    static func parseASCIIInteger(_ raw: String) -> Int128?? {
        var raw = raw
        return raw.withUTF8 { b -> Int128?? in
            var digits: [UInt8] = []
            digits.reserveCapacity(b.count)
            var negative = false
            for (i, c) in b.enumerated() {
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"): digits.append(c)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): digits.append(c | 0x20)
                case UInt8(ascii: "_"): continue
                case UInt8(ascii: "-") where i == 0: negative = true
                case UInt8(ascii: "+") where i == 0: continue
                default: return nil
                }
            }
            var start = 0
            var radix: UInt128 = 10
            if digits.count >= 2, digits[0] == UInt8(ascii: "0") {
                switch digits[1] {
                case UInt8(ascii: "x"): radix = 16; start = 2
                case UInt8(ascii: "o"): radix = 8; start = 2
                case UInt8(ascii: "b"): radix = 2; start = 2
                default: break
                }
            }
            guard start < digits.count, digits.count - start <= 40 else { return .some(nil) }
            var mag: UInt128 = 0
            for c in digits[start...] {
                let d: UInt128 = c <= UInt8(ascii: "9") ? UInt128(c - UInt8(ascii: "0")) : UInt128(c - UInt8(ascii: "a") + 10)
                guard d < radix else { return .some(nil) }
                let (m, o1) = mag.multipliedReportingOverflow(by: radix)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1, !o2 else { return .some(nil) }
                mag = a
            }
            guard mag <= UInt128(Int128.max) else { return .some(nil) }
            return .some(negative ? -Int128(mag) : Int128(mag))
        }
    }

    /// `parseInteger` for any text (whitespace trimmed, signs as `UInt128(_:radix:)` takes them).
    static func parseIntegerSlow(_ raw: String) -> Int128? {
        var s = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() } else if s.hasPrefix("+") { s.removeFirst() }
        var radix = 10
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { radix = 16; s = String(s.dropFirst(2)) }
        else if lower.hasPrefix("0o") { radix = 8; s = String(s.dropFirst(2)) }
        else if lower.hasPrefix("0b") { radix = 2; s = String(s.dropFirst(2)) }
        guard !s.isEmpty, s.count <= 40, let mag = UInt128(s, radix: radix), mag <= UInt128(Int128.max) else { return nil }
        return negative ? -Int128(mag) : Int128(mag)
    }

    /// Sizes as people write them: 4096, 0x1000, "64 KiB", "1 MiB", "2M", "512K".
    static func parseSize(_ raw: String) -> Int128? {
        if let v = parseInteger(raw) { return v }
        let s = raw.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int128)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("g", 1 << 30),
                                         ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        let lower = s.lowercased()
        for (u, mult) in units where lower.hasSuffix(u) {
            let num = String(lower.dropLast(u.count)).trimmingCharacters(in: .whitespaces)
            if let v = parseInteger(num), v >= 0 { return v * mult }
            return nil
        }
        return nil
    }

    static func rangeText(_ r: ClosedRange<Int128>) -> String {
        func f(_ v: Int128) -> String { v > 255 ? "0x" + String(v, radix: 16, uppercase: true) : String(v) }
        return "\(f(r.lowerBound))…\(f(r.upperBound))"
    }

    /// An integer in `range`. Quoted text is refused (it is a string, not a number).
    func integer(_ node: FixtureNode, _ path: @autoclosure () -> String, in range: ClosedRange<Int128>, what: String = "a number",
                 sizes: Bool = false) -> Int128? {
        guard case let .scalar(s) = node else {
            error(node, path(), "expected \(what), found \(Self.kindName(node))"); return nil
        }
        let parsed = sizes ? Self.parseSize(s.string) : Self.parseInteger(s.string)
        guard s.style == .plain || (sizes && parsed != nil) else {
            error(node, path(), "expected \(what), found the string \"\(s.string)\"",
                  hint: parsed != nil ? "write it without quotes: \(s.string)" : "write a number such as 42 or 0x2A")
            return nil
        }
        guard let v = parsed else {
            error(node, path(), "expected \(what), found '\(s.string)'",
                  hint: sizes ? "write a number such as 4096, 0x1000 or \"64 KiB\"" : "write a number such as 42 or 0x2A")
            return nil
        }
        guard range.contains(v) else {
            error(node, path(), "\(s.string) is out of range for \(what) (\(Self.rangeText(range)))",
                  hint: "use a value in \(Self.rangeText(range))")
            return nil
        }
        return v
    }

    func u8(_ n: FixtureNode, _ p: @autoclosure () -> String, what: String = "an 8-bit number") -> UInt8? { integer(n, p(), in: 0...0xFF, what: what).map { UInt8($0) } }
    func u16(_ n: FixtureNode, _ p: @autoclosure () -> String, what: String = "a 16-bit number") -> UInt16? { integer(n, p(), in: 0...0xFFFF, what: what).map { UInt16($0) } }
    func u32(_ n: FixtureNode, _ p: @autoclosure () -> String, what: String = "a 32-bit number") -> UInt32? { integer(n, p(), in: 0...0xFFFF_FFFF, what: what).map { UInt32($0) } }

    func bool(_ node: FixtureNode, _ path: @autoclosure () -> String) -> Bool? {
        guard case let .scalar(s) = node, s.style == .plain else {
            error(node, path(), "expected true or false, found \(Self.kindName(node))"); return nil
        }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: error(node, path(), "expected true or false, found '\(s.string)'"); return nil
        }
    }

    /// A TID: 0…0xFFF, or `none` (0xFFF) when `allowNone`.
    func tid(_ node: FixtureNode, _ path: @autoclosure () -> String, allowNone: Bool = true) -> TID? {
        if allowNone, case let .scalar(s) = node, s.string.lowercased() == "none" { return TID.none }
        return integer(node, path(), in: 0...0xFFF, what: allowNone ? "a TID (0…0xFFF or none)" : "a TID (0…0xFFF)")
            .map { TID(rawValue: UInt16($0)) }
    }

    /// A value by name (case-insensitive, `-`/space as `_`) or by number.
    /// A named code (a function, a ReqStatus…) by its name or its number.
    func code<C: NamedCode>(_ node: FixtureNode, _ path: @autoclosure () -> String, what: String) -> C? {
        named(node, path(), what: what, names: C.allNames, max: Int128(C.RawValue.max),
              byName: { C(name: $0) }, byNumber: { C(rawValue: C.RawValue($0)) })
    }

    func named<T>(_ node: FixtureNode, _ path: @autoclosure () -> String, what: String, names: [String], max: Int128,
                  byName: (String) -> T?, byNumber: (Int128) -> T) -> T? {
        guard case let .scalar(s) = node else { error(node, path(), "expected \(what), found \(Self.kindName(node))"); return nil }
        if Self.parseInteger(s.string) != nil {
            return integer(node, path(), in: 0...max, what: what).map(byNumber)
        }
        if let v = byName(s.string) { return v }
        var hint = "known names: " + names.joined(separator: ", ") + ", or a number"
        if let near = Self.nearest(s.string, in: names) { hint = "did you mean \(near)? (" + hint + ")" }
        error(node, path(), "unknown \(what) '\(s.string)'", hint: hint)
        return nil
    }

    // MARK: - Bytes

    /// "01 02 ff", "0102ff", "01:02:FF", "0x01 0x02" → bytes; nil on a bad digit or odd count.
    static func parseHex(_ raw: String) -> [UInt8]? {
        var digits: [UInt8] = []
        var tokens = raw.split(whereSeparator: { " \t\n\r:,-".contains($0) })
        tokens = tokens.map { $0.lowercased().hasPrefix("0x") ? $0.dropFirst(2) : $0 }
        for t in tokens {
            var chunk: [UInt8] = []
            for c in t {
                guard let d = c.hexDigitValue else { return nil }
                chunk.append(UInt8(d))
            }
            if chunk.count % 2 == 1 { chunk.insert(0, at: 0) }
            digits += chunk
        }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// `{hex: "01 02 ff"}` → bytes.
    func hexObject(_ node: FixtureNode, _ path: @autoclosure () -> String) -> [UInt8]? {
        guard let o = object(node, path(), keys: ["hex"], required: ["hex"]), let h = o["hex"],
              let t = text(h, o.sub("hex"), what: "hex digits") else { return nil }
        guard let b = Self.parseHex(t) else {
            error(h, o.sub("hex"), "'\(t)' is not hex bytes", hint: "write pairs of hex digits such as \"01 02 ff\"")
            return nil
        }
        return b
    }

    static func isHexObject(_ node: FixtureNode) -> Bool {
        if case let .mapping(m) = node, m.count == 1, m["hex"] != nil { return true }
        return false
    }

    /// Text (UTF-8) or `{hex: …}`, at most `width` bytes.
    func textOrBytes(_ node: FixtureNode, _ path: @autoclosure () -> String, width: Int, what: String) -> [UInt8]? {
        let bytes: [UInt8]
        if case .mapping = node {
            guard let b = hexObject(node, path()) else { return nil }
            bytes = b
        } else {
            guard let t = text(node, path(), what: "text or {hex: …}") else { return nil }
            bytes = Array(t.utf8)
        }
        guard bytes.count <= width else {
            error(node, path(), "\(what) is \(bytes.count) bytes long; it holds at most \(width)",
                  hint: "shorten it to \(width) bytes")
            return nil
        }
        return bytes
    }

    // MARK: - Files

    /// Reads a file named relative to the fixture's directory.
    func readFile(_ node: FixtureNode, _ path: @autoclosure () -> String, limit: Int) -> [UInt8]? {
        guard let name = text(node, path(), what: "a file path()") else { return nil }
        guard let base = baseDirectory else {
            error(node, path(), "a file reference needs a fixture loaded from a file",
                  hint: "load it with FixtureLoader.load(path():) or pass baseDirectory:")
            return nil
        }
        let full = name.hasPrefix("/") ? name : (base as NSString).appendingPathComponent(name)
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: full),
              let size = (attrs[.size] as? NSNumber)?.intValue else {
            error(node, path(), "cannot read '\(full)'", hint: "the path() is relative to the fixture's directory")
            return nil
        }
        guard size <= limit else {
            error(node, path(), "'\(full)' is \(size) bytes, more than the \(limit) allowed"); return nil
        }
        guard let data = FileManager.default.contents(atPath: full) else {
            error(node, path(), "cannot read '\(full)'"); return nil
        }
        return [UInt8](data)
    }

    // MARK: - Suggestions

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    /// The known word closest to `word`, when close enough to be a typo.
    static func nearest(_ word: String, in known: [String]) -> String? {
        let norm = { (s: String) in s.lowercased().filter { $0.isLetter || $0.isNumber } }
        if let same = known.first(where: { norm($0) == norm(word) }) { return same }
        let w = norm(word)
        if w.count >= 3 {
            let prefixed = known.filter { norm($0).hasPrefix(w) || w.hasPrefix(norm($0)) }
            if prefixed.count == 1 { return prefixed[0] }
        }
        let scored = known.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored, d <= max(2, word.count / 3) else { return nil }
        return best
    }
}
