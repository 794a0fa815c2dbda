import Foundation
import Testing
import IOPModel
import Yams
@testable import Fixtures

/// What the loader did before it read libyaml's events itself: `Yams.compose`, its errors worded
/// by the loader, then the shape check on the composed tree. The node builder must match it.
enum YamsReference {
    static func compose(_ text: String, maxNodes: Int, maxDepth: Int) -> Result<Yams.Node?, YAMLProblem> {
        let root: Yams.Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError { return .failure(problem(e)) } catch {
            return .failure(YAMLProblem(line: 0, column: 0, message: "YAML error: \(error)", hint: ""))
        }
        guard let root else { return .success(nil) }
        var budget = maxNodes
        if let p = checkShape(root, depth: 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return .failure(p) }
        return .success(root)
    }

    static func problem(_ e: YamlError) -> YAMLProblem {
        let hint = "check the indentation, the `key: value` colons and the quotes on this line and the one before"
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var msg = "YAML syntax error: \(problem)"
            if let context { msg += " (\(context.text) at line \(context.mark.line))" }
            return YAMLProblem(line: mark.line, column: mark.column, message: msg, hint: hint)
        case let .duplicatedKeysInMapping(duplicates, context):
            return YAMLProblem(line: context.mark.line, column: context.mark.column,
                               message: "duplicate key '\(duplicates.first ?? "?")' in one mapping",
                               hint: "each key may appear once; remove or merge the repeated one")
        case let .reader(problem, offset, _, _):
            return YAMLProblem(line: 0, column: 0, message: "cannot read the YAML text: \(problem)" + (offset.map { " at byte \($0)" } ?? ""),
                               hint: "save the file as UTF-8 without control characters")
        default:
            return YAMLProblem(line: 0, column: 0, message: "YAML error: \(e)", hint: "")
        }
    }

    static func checkShape(_ node: Yams.Node, depth: Int, budget: inout Int, maxNodes: Int, maxDepth: Int) -> YAMLProblem? {
        budget -= 1
        let m = (line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        if budget < 0 {
            return YAMLProblem(line: m.line, column: m.column, message: "the document expands to more than \(maxNodes) YAML nodes",
                               hint: "aliases (*name) that repeat large parts multiply its size; write the parts out")
        }
        if depth > maxDepth {
            return YAMLProblem(line: m.line, column: m.column, message: "mappings and lists are nested more than \(maxDepth) levels deep",
                               hint: "a fixture needs about 10 levels; look for runaway nesting here")
        }
        switch node {
        case let .mapping(map):
            for (k, v) in map {
                if let p = checkShape(k, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p }
                if let p = checkShape(v, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p }
            }
        case let .sequence(s):
            for v in s { if let p = checkShape(v, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p } }
        case .scalar, .alias: break
        }
        return nil
    }

    /// Differences between the two trees, as paths (empty: the same tree).
    static func differences(_ a: FixtureNode, _ b: Yams.Node, _ path: String = "$") -> [String] {
        var out: [String] = []
        if a.mark.line != b.mark?.line || a.mark.column != b.mark?.column {
            out.append("\(path): mark \(a.mark) vs \(String(describing: b.mark))")
        }
        switch (a, b) {
        case let (.scalar(x), .scalar(y)):
            if x.string != y.string { out.append("\(path): text '\(x.string)' vs '\(y.string)'") }
            if UInt32(x.style.rawValue) != y.style.rawValue { out.append("\(path): style \(x.style) vs \(y.style)") }
            // Yams resolves a tag in place once asked: compare resolved tags.
            let mine = a.yamsNode.tag.rawValue, theirs = b.tag.rawValue
            if mine != theirs { out.append("\(path): tag \(mine) vs \(theirs)") }
        case let (.mapping(x), .mapping(y)):
            let yp = Array(y)
            if x.count != yp.count { return out + ["\(path): \(x.count) pairs vs \(yp.count)"] }
            if FixtureNode.mapping(.init(pairs: [], tag: x.tag, mark: x.mark)).yamsNode.tag.rawValue != b.tag.rawValue { out.append("\(path): tag") }
            for (i, (p, q)) in zip(x.pairs, yp).enumerated() {
                out += differences(p.key, q.key, "\(path).key[\(i)]") + differences(p.value, q.value, "\(path).value[\(i)]")
            }
        case let (.sequence(x), .sequence(y)):
            if x.count != y.count { return out + ["\(path): \(x.count) items vs \(y.count)"] }
            if FixtureNode.sequence(.init(items: [], tag: x.tag, mark: x.mark)).yamsNode.tag.rawValue != b.tag.rawValue { out.append("\(path): tag") }
            for (i, (p, q)) in zip(x.items, y).enumerated() { out += differences(p, q, "\(path)[\(i)]") }
        default:
            out.append("\(path): kinds differ")
        }
        return out
    }
}

@Suite struct YAMLTreeTests {
    /// Texts that cover what the builder does: anchors and aliases, tags and styles, duplicate
    /// keys of all sorts, syntax errors, several documents, nothing at all, runaway nesting.
    static let samples: [String] = [
        "",
        "# only a comment\n",
        "---\n",
        "---\n...\n",
        "a: 1\n",
        "a: 1\n---\nb: 2\n",
        "--- a\n--- b\n",
        "a: 1\n--- [\n",
        "a: &x {p: 1, q: [1, 2]}\nb: *x\nc: *x\n",
        "a: &x 1\nb: &x 2\nc: *x\n",
        "a: *nothing\n",
        "a: &x [*x]\n",
        "base: &b {k: 1}\nmerged: {<<: *b, j: 2}\n",
        "a: !!str 5\nb: !custom x\nc: '5'\nd: \"5\"\ne: |\n  lit\nf: >\n  folded\n  text\ng: !!int \"7\"\n",
        "? [a, b]\n: 1\n? {c: d}\n: 2\n",
        "k: 1\nk: 2\n",
        "x: 1\nk: 1\nb: 2\nk: 3\nb: 4\n",
        "'k': 1\nk: 2\n",
        "true: 1\n\"true\": 2\n",
        "0x10: a\n16: b\n",
        "1: a\n\"1\": b\n",
        "? [a]\n: 1\n? [a]\n: 2\n",
        "? {a: 1}\n: x\n? {a: 1}\n: y\n",
        "a: &k key\nb: {*k : 1, key: 2}\n",
        "!!str 1: a\n1: b\n",
        "null: a\n~: b\n",
        "m: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, a: 15}\n",
        "m: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15}\n",
        "machine: \"x\"\niops:\n  - unit: 0\n    devices: [ {tid: 0, class: EXECUTIVE}\n",
        "a: b: c\n",
        "a:\n  - 1\n - 2\n",
        "a: \"unterminated\n",
        "a:\tb\n\tc: d\n",
        "a: \"\\0nul\"\nb: \"\\x41\"\nc: \"é ü\"\n",
        "a: \u{01}\n",
        "é: \u{07}\n",
        "[" + String(repeating: "[", count: 69) + String(repeating: "]", count: 70) + "\n",
        "a: " + String(repeating: "{b: ", count: 70) + "1" + String(repeating: "}", count: 70) + "\n",
        "x: &a [" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "]\ny: [[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "- &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n- [*c, *c, *c]\n",
        "a: [1, 2]\nb: &q {x: [1, 2, 3]}\nc: [*q, *q, *q, *q, *q, *q, *q, *q, *q, *q]\n",
    ]

    static func fixtureTexts() -> [String] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures").standardized
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.filter { $0.hasSuffix(".yaml") }.sorted() ?? []
        return names.compactMap { try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
    }

    /// The same tree or the same error as Yams.compose + the shape check, for every sample, with
    /// the loader's limits and with small ones (so that aliases hit the node budget).
    @Test(arguments: [(FixtureLoader.maxNodes, FixtureLoader.maxDepth), (120, 64), (40, 8), (12, 3)])
    func matchesYams(limits: (Int, Int)) throws {
        let texts = Self.samples + Self.fixtureTexts()
        #expect(texts.count >= Self.samples.count + 7)
        for text in texts {
            let expected = YamsReference.compose(text, maxNodes: limits.0, maxDepth: limits.1)
            let got: Result<FixtureNode?, YAMLProblem>
            do { got = .success(try YAMLTree.compose(text, maxNodes: limits.0, maxDepth: limits.1)) } catch { got = .failure(error) }
            switch (got, expected) {
            case let (.success(a?), .success(b?)):
                let diff = YamsReference.differences(a, b)
                #expect(diff.isEmpty, "\(text.debugDescription): \(diff.prefix(5))")
            case (.success(nil), .success(nil)): break
            case let (.failure(a), .failure(b)):
                #expect(a == b, "\(text.debugDescription)")
            default:
                Issue.record("\(text.debugDescription): \(got) vs Yams \(expected)")
            }
        }
    }

    @Test func aliasesShareTheAnchoredNode() throws {
        let root = try #require(try YAMLTree.compose("a: &x {p: 1}\nb: *x\n"))
        let m = try #require(root.mappingValue)
        let b = try #require(m["b"]?.mappingValue)
        #expect(b["p"]?.scalar?.string == "1")
        #expect(b.mark == FixtureMark(line: 1, column: 4))   // the anchored mapping's mark (its anchor), as Yams gave it
        #expect(b === m["a"]?.mappingValue)
    }

    @Test func stringKeysMatchAsYamsDid() throws {
        let m = try #require(try YAMLTree.compose("'hex': 1\n!!str fields: 2\n!x rows: 3\n")?.mappingValue)
        #expect(m["hex"]?.scalar?.string == "1")
        #expect(m["fields"]?.scalar?.string == "2")
        #expect(m["rows"] == nil)
        #expect(m.count == 3)
    }

    @Test func scalarStylesAndTags() throws {
        let m = try #require(try YAMLTree.compose("a: 0x001B\nb: \"0x001B\"\nc: 'q'\nd:\ne: |\n  x\n")?.mappingValue)
        #expect(m["a"]?.scalar?.string == "0x001B" && m["a"]?.scalar?.style == .plain && m["a"]?.scalar?.tag == nil)
        #expect(m["b"]?.scalar?.style == .doubleQuoted && m["b"]?.scalar?.tag == FixtureNode.strTag)
        #expect(m["c"]?.scalar?.style == .singleQuoted)
        #expect(m["d"]?.scalar?.string == "" && m["d"]?.scalar?.style == .plain)
        #expect(m["e"]?.scalar?.string == "x\n" && m["e"]?.scalar?.style == .literal)
    }

    @Test func duplicateKeysRefused() {
        #expect(throws: YAMLProblem(line: 2, column: 1, message: "duplicate key 'b' in one mapping",
                                    hint: "each key may appear once; remove or merge the repeated one")) {
            try YAMLTree.compose("x: 1\nb: 1\nk: 2\nk: 3\nb: 4\n")
        }
        // Equal text, different resolved tags: not duplicates (as in Yams).
        #expect((try? YAMLTree.compose("true: 1\n\"true\": 2\n")) != nil)
    }

    @Test func syntaxErrorsWithTheirMarks() {
        #expect(throws: YAMLProblem(line: 3, column: 2, message: "YAML syntax error: did not find expected key (while parsing a block mapping at line 1)",
                                    hint: YAMLTree.syntaxHint)) {
            try YAMLTree.compose("a:\n  - 1\n - 2\n")
        }
        #expect(throws: YAMLProblem(line: 2, column: 1, message: "YAML syntax error: but found another document (expected a single document in the stream at line 1)",
                                    hint: YAMLTree.syntaxHint)) {
            try YAMLTree.compose("a\n--- b\n")
        }
        #expect(throws: YAMLProblem(line: 1, column: 4, message: "YAML syntax error: found undefined alias", hint: YAMLTree.syntaxHint)) {
            try YAMLTree.compose("a: *nothing\n")
        }
    }

    @Test func emptyInputHasNoDocument() throws {
        #expect(try YAMLTree.compose("") == nil)
        #expect(try YAMLTree.compose("# nothing\n") == nil)
        #expect(try YAMLTree.compose("---\n")?.scalar?.string == "")
    }

    @Test func nestingAndAliasBombsRefused() {
        #expect(throws: YAMLProblem(line: 1, column: 6, message: "mappings and lists are nested more than 3 levels deep",
                                    hint: "a fixture needs about 10 levels; look for runaway nesting here")) {
            try YAMLTree.compose("a: [[1, [2]]]\n", maxNodes: 100, maxDepth: 3)
        }
        let bomb = (1...9).map { i in "- &l\(i) [" + Array(repeating: i == 1 ? "lol" : "*l\(i - 1)", count: 9).joined(separator: ", ") + "]" }
            .joined(separator: "\n") + "\n"
        do {
            _ = try YAMLTree.compose(bomb)
            Issue.record("the alias bomb was accepted")
        } catch {
            #expect(error.message == "the document expands to more than 1000000 YAML nodes")
        }
    }

    @Test func loaderDiagnosticsKeepTheirWording() {
        let dup = diagnostics("machine: x\nmachine: y\niops: []\n")
        #expect(dup.map(\.description) == ["t.yaml:1: duplicate key 'machine' in one mapping — each key may appear once; remove or merge the repeated one"])
        let empty = diagnostics("# nothing\n")
        #expect(empty.first?.message == "the file holds no YAML document" && empty.first?.line == 1)
        let syntax = diagnostics("machine: \"x\"\niops:\n  - unit: 0\n    devices: [ {tid: 0, class: EXECUTIVE}\n")
        #expect(syntax.count == 1)
        #expect(syntax.first.map { ($0.line, $0.column) } ?? (0, 0) == (5, 1))
        #expect(syntax.first?.message == "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 4)")
    }

    @Test func integersParseWithoutFoundationAsBefore() {
        let alphabet = Array("0123456789abfxXoObB_+- \u{A0}Zz")
        var g = SystemRandomNumberGenerator()
        var texts = ["0x001B", "0X1b", "-0", "+5", "-+5", "--5", "0x", "0b", "0o17", "1_000", "_1", "0x_1F", "-_5", "0b102",
                     "170141183460469231731687303715884105727", "170141183460469231731687303715884105728",
                     "-170141183460469231731687303715884105727", String(repeating: "1", count: 41), " 7 ", "0201"]
        for _ in 0..<5000 { texts.append(String((0..<Int.random(in: 0...6, using: &g)).map { _ in alphabet.randomElement(using: &g)! })) }
        for t in texts { #expect(Reader.parseInteger(t) == Reader.parseIntegerSlow(t), "\(t.debugDescription)") }
        #expect(Reader.parseInteger("0x001B") == 0x1B && Reader.parseInteger("0201") == 201 && Reader.parseInteger("-7") == -7)
    }

    /// `field(named:)` tries the exact spelling first, then ignores case: the same answer only
    /// while no two fields of a schema differ in case alone (vendor groups refuse such twins).
    @Test func standardFieldNamesDifferInMoreThanCase() {
        for schema in StandardGroups.utility + StandardGroups.executive {
            let lowered = schema.fields.map { $0.name.lowercased() }
            #expect(Set(lowered).count == lowered.count, "\(schema.name)")
            for (i, f) in schema.fields.enumerated() {
                #expect(schema.field(named: f.name) == i)
                #expect(schema.field(named: f.name.uppercased()) == i)
                #expect(schema.field(named: f.name.lowercased()) == i)
            }
        }
        let d = diagnostics(machine("      - {tid: 8, class: DDM, groups: {0x9000: {fields: [{name: Key, type: u8}, {name: KEY, type: u8}]}}}"))
        #expect(d.first?.message == "field 'KEY' is defined twice")
    }
}
