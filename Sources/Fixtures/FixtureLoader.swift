import Foundation
import I2OFormats
import IOPModel

/// Loads machine descriptions written in the fixture format (docs/fixture-format.md).
///
/// Every problem is reported with its file and line; all problems of a file are collected
/// (up to `maxDiagnostics`) before the load fails.
public enum FixtureLoader {
    /// Files larger than this are refused before they are parsed (4 MiB: the biggest real fixture
    /// is 8 KB; composing 4 MiB of the densest YAML takes ~300 MB for a moment before the node
    /// limit refuses it — 16 MiB took 1.1 GB and 12 s).
    public static let maxFileBytes = 4 << 20
    /// Mappings and lists nested deeper than this are refused.
    public static let maxDepth = 64
    /// At most this many problems are listed.
    public static let maxDiagnostics = 50
    /// At most this many YAML nodes are looked at (aliases can make a small file huge).
    public static let maxNodes = 1_000_000
    /// Referenced files (HTML pages, module images) larger than this are refused.
    public static let maxReferencedFileBytes = 16 << 20

    /// The machine of fixtures/default.yaml, from the copy built into the binary.
    public static func loadDefault() throws(FixtureError) -> MachineDescription {
        try load(text: embeddedDefaultText, name: "fixtures/default.yaml (embedded)")
    }

    /// Loads the fixture at `path`; files it references are relative to its directory.
    public static func load(path: String) throws(FixtureError) -> MachineDescription {
        let whole = Diagnostic(file: path, line: 0, column: 0, keyPath: "", message: "", hint: "")
        func fail(_ message: String, _ hint: String = "") -> FixtureError {
            var d = whole; d.message = message; d.hint = hint
            return FixtureError(diagnostics: [d])
        }
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw fail("cannot open the file", "check the path; `i2osim validate` takes fixture files such as fixtures/default.yaml")
        }
        if let type = attrs[.type] as? FileAttributeType, type == .typeDirectory {
            throw fail("is a directory, not a fixture file", "name a .yaml file inside it")
        }
        let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxFileBytes else {
            throw fail("the file is \(size) bytes; fixtures are limited to \(maxFileBytes) bytes (\(maxFileBytes >> 20) MiB)",
                       "move large module images or pages into files referenced with `file:`/`html_file:`")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("the file is not UTF-8 text", "save it as UTF-8")
        }
        let base = (path as NSString).deletingLastPathComponent
        return try load(text: text, name: path, baseDirectory: base.isEmpty ? "." : base)
    }

    /// Loads fixture text. `name` is used as the file name in diagnostics; `baseDirectory`
    /// resolves `html_file:`/`file:` references (nil: references are refused).
    public static func load(text: String, name: String = "<text>", baseDirectory: String? = nil)
        throws(FixtureError) -> MachineDescription
    {
        let r = Reader(file: name, baseDirectory: baseDirectory, maxDiagnostics: maxDiagnostics)
        guard text.utf8.count <= maxFileBytes else {
            r.error(line: 0, column: 0, "", "the text is \(text.utf8.count) bytes; fixtures are limited to \(maxFileBytes) bytes (\(maxFileBytes >> 20) MiB)")
            throw FixtureError(diagnostics: r.diagnostics)
        }
        let root: FixtureNode?
        do {
            root = try YAMLTree.compose(text, maxNodes: maxNodes, maxDepth: maxDepth)
        } catch {
            r.error(line: error.line, column: error.column, "", error.message, hint: error.hint)
            throw FixtureError(diagnostics: r.diagnostics)
        }
        guard let root else {
            r.error(line: 1, column: 1, "", "the file holds no YAML document",
                    hint: "start with `machine: \"name\"` and an `iops:` list")
            throw FixtureError(diagnostics: r.diagnostics)
        }
        let machine = Interpreter(r).machine(root)
        guard let machine, !r.failed else { throw FixtureError(diagnostics: r.diagnostics, truncated: r.truncated) }
        return machine
    }
}
