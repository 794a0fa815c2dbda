/// One problem found in a fixture, with where it is and how to fix it.
///
/// Printed as `file:line: key.path: what is wrong — how to fix`.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// The fixture's path (or the name given to `load(text:name:)`).
    public var file: String
    /// 1-based line; 0 when the problem concerns the whole file.
    public var line: Int
    /// 1-based column; 0 when unknown.
    public var column: Int
    /// Where in the document: `iops[0].devices[3].groups.0xF100.VendorInfo`. Empty for the whole file.
    public var keyPath: String
    /// What is wrong.
    public var message: String
    /// How to fix it (may be empty).
    public var hint: String

    public init(file: String, line: Int, column: Int, keyPath: String, message: String, hint: String = "") {
        self.file = file; self.line = line; self.column = column; self.keyPath = keyPath
        self.message = message; self.hint = hint
    }

    public var description: String {
        var s = "\(file):\(line): "
        if !keyPath.isEmpty { s += "\(keyPath): " }
        s += message
        if !hint.isEmpty { s += " — \(hint)" }
        return s
    }
}

/// A fixture that could not be loaded: every problem found (up to `FixtureLoader.maxDiagnostics`).
public struct FixtureError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    /// More problems were found than are listed.
    public var truncated: Bool

    public init(diagnostics: [Diagnostic], truncated: Bool = false) {
        self.diagnostics = diagnostics; self.truncated = truncated
    }

    public var description: String {
        var lines = diagnostics.map(\.description)
        if truncated { lines.append("(stopped after \(diagnostics.count) errors; fix these and run again)") }
        return lines.joined(separator: "\n")
    }
}
