import Foundation

/// The `faults:` section of a fixture: static fault rules, like a card's known failures
/// (docs/control.md). The machine loader accepts the key and leaves it alone; this reads it
/// as a list of mappings with the keys of the control channel's `fault-add` request
/// (`ioctl`, `iop`, `tid`, `function`, `operation`, `group`, `file`, `action`, `errno`,
/// `status`, `detail`, `block-status`, `ms`, `count`, `n`, `p`, `seed`), values as strings
/// (numbers as written: `0x205`) except `p` (a number).
public enum FixtureFaultRules {
    /// One rule of the section as written: its keys and values, and where each is.
    public struct Entry: Sendable {
        /// The rule's place in the list (0-based).
        public var index: Int
        public var values: [String: String]
        /// The line of the rule (its first key, or the `-` of a flow mapping).
        public var line: Int
        /// The line of each key.
        public var lines: [String: Int]
    }

    /// The rules of the fixture at `path` (empty without a `faults:` key).
    public static func load(path: String) throws(FixtureError) -> [[String: String]] {
        try entries(path: path).map(\.values)
    }

    public static func load(text: String, name: String = "<text>") throws(FixtureError) -> [[String: String]] {
        try entries(text: text, name: name).map(\.values)
    }

    /// The rules of the fixture at `path` with their lines (empty without a `faults:` key).
    public static func entries(path: String) throws(FixtureError) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return []
        }
        return try entries(text: text, name: path)
    }

    public static func entries(text: String, name: String = "<text>") throws(FixtureError) -> [Entry] {
        func fail(_ line: Int, _ keyPath: String, _ message: String) -> FixtureError {
            FixtureError(diagnostics: [Diagnostic(file: name, line: line, column: 0, keyPath: keyPath, message: message,
                                                  hint: "each rule is a mapping such as {ioctl: I2OPARMGET, action: errno, errno: EIO, count: once}")])
        }
        let root: FixtureNode?
        // The shape limits are the machine loader's business; this reads the section as it is.
        do { root = try YAMLTree.compose(text, maxNodes: Int.max / 4, maxDepth: Int.max / 4) } catch {
            throw fail(0, "faults", "the YAML does not parse")
        }
        guard let map = root?.mappingValue, let faults = map["faults"] else { return [] }
        guard let list = faults.sequenceValue else { throw fail(faults.mark.line, "faults", "faults must be a list") }
        var rules: [Entry] = []
        for (index, item) in list.enumerated() {
            guard let m = item.mappingValue else { throw fail(item.mark.line, "faults[\(index)]", "a fault rule must be a mapping") }
            var rule = Entry(index: index, values: [:], line: item.mark.line, lines: [:])
            for (k, v) in m {
                guard let key = k.text, let value = v.scalar?.string else {
                    throw fail(v.mark.line, "faults[\(index)]", "fault rule values are scalars")
                }
                rule.values[key] = value
                rule.lines[key] = k.mark.line
            }
            rules.append(rule)
        }
        return rules
    }
}
