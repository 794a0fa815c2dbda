import Foundation

/// The `faults:` section of a fixture: static fault rules, like a card's known failures
/// (docs/control.md). The machine loader accepts the key and leaves it alone; this reads it
/// as a list of mappings with the keys of the control channel's `fault-add` request
/// (`ioctl`, `iop`, `tid`, `function`, `operation`, `group`, `file`, `action`, `errno`,
/// `status`, `detail`, `block-status`, `ms`, `count`, `n`, `p`, `seed`), values as strings
/// (numbers as written: `0x205`) except `p` (a number).
public enum FixtureFaultRules {
    /// The rules of the fixture at `path` (empty without a `faults:` key).
    public static func load(path: String) throws(FixtureError) -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return []
        }
        return try load(text: text, name: path)
    }

    public static func load(text: String, name: String = "<text>") throws(FixtureError) -> [[String: String]] {
        func fail(_ line: Int, _ message: String) -> FixtureError {
            FixtureError(diagnostics: [Diagnostic(file: name, line: line, column: 0, keyPath: "faults", message: message,
                                                  hint: "each rule is a mapping such as {ioctl: I2OPARMGET, action: errno, errno: EIO, count: once}")])
        }
        let root: FixtureNode?
        // The shape limits are the machine loader's business; this reads the section as it is.
        do { root = try YAMLTree.compose(text, maxNodes: Int.max / 4, maxDepth: Int.max / 4) } catch { throw fail(0, "the YAML does not parse") }
        guard let map = root?.mappingValue, let faults = map["faults"] else { return [] }
        guard let list = faults.sequenceValue else { throw fail(faults.mark.line, "faults must be a list") }
        var rules: [[String: String]] = []
        for item in list {
            guard let m = item.mappingValue else { throw fail(item.mark.line, "a fault rule must be a mapping") }
            var rule: [String: String] = [:]
            for (k, v) in m {
                guard let key = k.text, let value = v.scalar?.string else {
                    throw fail(v.mark.line, "fault rule values are scalars")
                }
                rule[key] = value
            }
            rules.append(rule)
        }
        return rules
    }
}
