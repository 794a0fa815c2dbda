internal import CYaml
import Foundation
import Yams

/// Where a node starts in the fixture text: 1-based line and column (libyaml's marks + 1, as Yams numbered them).
struct FixtureMark: Hashable, Sendable {
    var line: Int
    var column: Int
}

/// A YAML node as the fixture loader reads it: built straight from libyaml's events, aliases
/// resolved to the node their anchor names (shared, not copied).
///
/// It answers the questions the interpreter asks the way `Yams.Node` did: a scalar's text as
/// written and its style (`0x001B` stays the text "0x001B"; quoted text is `.doubleQuoted`), the
/// pairs of a mapping in document order, the items of a list, and where each node starts.
enum FixtureNode {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    /// libyaml's scalar styles, with the raw values of `yaml_scalar_style_t`.
    enum Style: UInt8 {
        case any = 0, plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The tag a quoted scalar without an explicit tag gets (libyaml's `quoted_implicit`).
    static let strTag = "tag:yaml.org,2002:str"

    // The payloads are immutable objects: a node is one reference, copied with one retain.

    final class Scalar {
        let string: String
        let style: Style
        /// The explicit tag (or `strTag` for a quoted scalar); nil when the scalar is untagged.
        let tag: String?
        let mark: FixtureMark

        init(string: String, style: Style, tag: String?, mark: FixtureMark) {
            self.string = string; self.style = style; self.tag = tag; self.mark = mark
        }
    }

    final class Mapping: RandomAccessCollection {
        let pairs: [(key: FixtureNode, value: FixtureNode)]
        let tag: String?
        let mark: FixtureMark

        init(pairs: [(key: FixtureNode, value: FixtureNode)], tag: String?, mark: FixtureMark) {
            self.pairs = pairs; self.tag = tag; self.mark = mark
        }

        var startIndex: Int { pairs.startIndex }
        var endIndex: Int { pairs.endIndex }
        subscript(position: Int) -> (key: FixtureNode, value: FixtureNode) { pairs[position] }

        /// The value of the text key `key` (a key that is a plain or quoted scalar with that text, or
        /// tagged `!!str`), as `Yams.Node.Mapping`'s string subscript found it.
        subscript(key: String) -> FixtureNode? {
            for p in pairs.reversed() {
                if case let .scalar(s) = p.key, s.string == key, s.tag == nil || s.tag == FixtureNode.strTag { return p.value }
            }
            return nil
        }
    }

    final class Sequence: RandomAccessCollection {
        let items: [FixtureNode]
        let tag: String?
        let mark: FixtureMark

        init(items: [FixtureNode], tag: String?, mark: FixtureMark) {
            self.items = items; self.tag = tag; self.mark = mark
        }

        var startIndex: Int { items.startIndex }
        var endIndex: Int { items.endIndex }
        subscript(position: Int) -> FixtureNode { items[position] }
    }

    var mark: FixtureMark {
        switch self {
        case let .scalar(s): s.mark
        case let .mapping(m): m.mark
        case let .sequence(q): q.mark
        }
    }

    var scalar: Scalar? { if case let .scalar(s) = self { s } else { nil } }
    var mappingValue: Mapping? { if case let .mapping(m) = self { m } else { nil } }
    var sequenceValue: Sequence? { if case let .sequence(q) = self { q } else { nil } }

    /// Whether the node, aliases expanded, has at most `budget` nodes (which it uses up).
    func fits(_ budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch self {
        case .scalar: return true
        case let .mapping(m): return m.pairs.allSatisfy { $0.key.fits(&budget) && $0.value.fits(&budget) }
        case let .sequence(q): return q.items.allSatisfy { $0.fits(&budget) }
        }
    }

    /// The text of a scalar, as `Yams.Node.string` gave it (a mapping with a `=` key: that key's value's text).
    var text: String? {
        switch self {
        case let .scalar(s): return s.string
        case let .mapping(m):
            for (k, v) in m.pairs {
                if case let .scalar(s) = k, s.tag == nil ? s.string == "=" && s.style == .plain : s.tag == "tag:yaml.org,2002:value" {
                    return v.text
                }
            }
            return nil
        case .sequence: return nil
        }
    }

    /// The same node as a `Yams.Node` (tags and styles kept, not marks), for the rare questions only Yams'
    /// own rules answer exactly (which of two equal-looking keys are duplicates).
    var yamsNode: Yams.Node {
        func tag(_ t: String?) -> Tag { Tag(t.map(Tag.Name.init(rawValue:)) ?? .implicit) }
        switch self {
        case let .scalar(s):
            return .scalar(.init(s.string, tag(s.tag), Node.Scalar.Style(rawValue: UInt32(s.style.rawValue)) ?? .any))
        case let .mapping(m):
            return .mapping(.init(m.pairs.map { ($0.key.yamsNode, $0.value.yamsNode) }, tag(m.tag)))
        case let .sequence(q):
            return .sequence(.init(q.items.map(\.yamsNode), tag(q.tag)))
        }
    }
}

/// A problem that stops the YAML from becoming a node tree: a syntax error, a duplicate key, a
/// document nested too deeply or expanding to too many nodes. Its text is the diagnostic's.
struct YAMLProblem: Error, Equatable {
    var line: Int
    var column: Int
    var message: String
    var hint: String
}

/// Builds `FixtureNode` trees from libyaml's event API (`yaml_parser_parse`).
///
/// It gives what `Yams.compose(yaml:)` followed by the loader's shape check gave — the same tree,
/// the same errors with the same marks — in a fraction of the time: no tag resolution by regular
/// expressions, no per-node objects, no hashing of every mapping's keys.
enum YAMLTree {
    static let syntaxHint = "check the indentation, the `key: value` colons and the quotes on this line and the one before"

    /// The single document of `text` (nil when the text holds none), refusing documents nested more
    /// than `maxDepth` levels or expanding (through aliases) to more than `maxNodes` nodes.
    static func compose(_ text: String, maxNodes: Int = FixtureLoader.maxNodes,
                        maxDepth: Int = FixtureLoader.maxDepth) throws(YAMLProblem) -> FixtureNode? {
        var text = text
        let result: Result<FixtureNode?, YAMLProblem> = text.withUTF8 { bytes in
            var b = Builder(text: bytes, maxNodes: maxNodes, maxDepth: maxDepth)
            defer { b.close() }
            do throws(YAMLProblem) { return .success(try b.single()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The exact check the loader made on a composed tree: pre-order (keys before values), one node of
    /// budget each, the first node past the budget or the depth limit reported.
    static func checkShape(_ node: FixtureNode, depth: Int, budget: inout Int, maxNodes: Int, maxDepth: Int) -> YAMLProblem? {
        budget -= 1
        if budget < 0 {
            return YAMLProblem(line: node.mark.line, column: node.mark.column,
                               message: "the document expands to more than \(maxNodes) YAML nodes",
                               hint: "aliases (*name) that repeat large parts multiply its size; write the parts out")
        }
        if depth > maxDepth {
            return YAMLProblem(line: node.mark.line, column: node.mark.column,
                               message: "mappings and lists are nested more than \(maxDepth) levels deep",
                               hint: "a fixture needs about 10 levels; look for runaway nesting here")
        }
        switch node {
        case let .mapping(m):
            for (k, v) in m.pairs {
                if let p = checkShape(k, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p }
                if let p = checkShape(v, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p }
            }
        case let .sequence(q):
            for v in q.items {
                if let p = checkShape(v, depth: depth + 1, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth) { return p }
            }
        case .scalar: break
        }
        return nil
    }

    /// The duplicate-key problem of a mapping with these keys, if two of them are equal.
    ///
    /// Text keys that all differ (the usual case) are checked here; otherwise Yams' own rule decides
    /// (keys equal in text and resolved tag; the smallest duplicate is named, at its first occurrence).
    static func duplicateKey(_ pairs: [(key: FixtureNode, value: FixtureNode)]) -> YAMLProblem? {
        var allText = true
        if pairs.count <= 12 {
            outer: for i in pairs.indices {
                guard case let .scalar(a) = pairs[i].key else { allText = false; break }
                for j in pairs.indices.prefix(i) {
                    if case let .scalar(b) = pairs[j].key, a.string == b.string { allText = false; break outer }
                }
            }
        } else {
            var seen = Set<String>(minimumCapacity: pairs.count)
            for p in pairs {
                guard case let .scalar(a) = p.key, seen.insert(a.string).inserted else { allText = false; break }
            }
        }
        if allText { return nil }
        // Keys that are collections are compared whole; aliases can make them huge (the shape check
        // refuses those, and a collection key is refused anyway): compare only keys of sane size.
        var budget = 100_000
        for p in pairs where !p.key.fits(&budget) { return nil }
        // As Yams.Parser.checkDuplicates did it.
        let keys = pairs.map(\.key.yamsNode)
        let duplicates: [Yams.Node: [Yams.Node]] = Dictionary(grouping: keys) { $0 }.filter { $1.count > 1 }
        // The grouping keeps the first of equal keys: its mark is the first occurrence's.
        guard let first = duplicates.keys.sorted().first, let i = keys.firstIndex(of: first) else { return nil }
        let mark = pairs[i].key.mark
        return YAMLProblem(line: mark.line, column: mark.column,
                           message: "duplicate key '\(first.string ?? "<uncovertable>")' in one mapping",
                           hint: "each key may appear once; remove or merge the repeated one")
    }
}

/// One parse: libyaml's parser over the text's UTF-8 bytes, and the collections being built.
private struct Builder {
    /// An anchored node, with the size and depth it has wherever an alias repeats it.
    struct Anchored {
        var node: FixtureNode
        /// Nodes it expands to (at most `maxNodes + 1`).
        var size: Int
        /// Levels it spans (a scalar: 1).
        var height: Int
    }

    /// A mapping or list whose end event has not come yet.
    struct Open {
        var isMapping: Bool
        var items: [FixtureNode] = []
        var pairs: [(key: FixtureNode, value: FixtureNode)] = []
        var pendingKey: FixtureNode?
        var tag: String?
        var anchor: String?
        var mark: FixtureMark
        var depth: Int
        var size = 1
        var height = 1
    }

    let text: UnsafeBufferPointer<UInt8>
    let maxNodes: Int
    let maxDepth: Int
    var parser = yaml_parser_t()
    var initialized = false
    var anchors: [String: Anchored] = [:]
    var open: [Open] = []
    /// Nodes of the expanded document so far, in pre-order (as the shape check counted them).
    var count = 0
    /// The first node past the node budget or the depth limit.
    var shapeProblem: YAMLProblem?

    init(text: UnsafeBufferPointer<UInt8>, maxNodes: Int, maxDepth: Int) {
        self.text = text; self.maxNodes = maxNodes; self.maxDepth = maxDepth
    }

    mutating func close() {
        if initialized { yaml_parser_delete(&parser); initialized = false }
    }

    static func mark(_ m: yaml_mark_t) -> FixtureMark { FixtureMark(line: Int(m.line) + 1, column: Int(m.column) + 1) }

    static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(decoding: UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))),
                      as: UTF8.self)
    }

    /// The problem libyaml reports after a failed `yaml_parser_parse`, worded as the loader words it.
    func parserProblem() -> YAMLProblem {
        let p = parser
        func cString(_ s: UnsafePointer<CChar>?) -> String { s.map { String(cString: $0) } ?? "" }
        switch p.error {
        case YAML_READER_ERROR:
            // Yams counted the offset in characters of the text.
            let s = String(decoding: text, as: UTF8.self)
            let offset = s.utf8.index(s.utf8.startIndex, offsetBy: Int(p.problem_offset), limitedBy: s.utf8.endIndex)?
                .samePosition(in: s).map { s.distance(from: s.startIndex, to: $0) }
            return YAMLProblem(line: 0, column: 0,
                               message: "cannot read the YAML text: \(cString(p.problem))" + (offset.map { " at byte \($0)" } ?? ""),
                               hint: "save the file as UTF-8 without control characters")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            var message = "YAML syntax error: \(cString(p.problem))"
            if let c = p.context { message += " (\(String(cString: c)) at line \(Int(p.context_mark.line) + 1))" }
            let m = Self.mark(p.problem_mark)
            return YAMLProblem(line: m.line, column: m.column, message: message, hint: YAMLTree.syntaxHint)
        default:
            return YAMLProblem(line: 0, column: 0, message: "YAML error: Memory error", hint: "")
        }
    }

    /// The next event; the caller deletes it.
    mutating func next(_ event: inout yaml_event_t) throws(YAMLProblem) {
        guard yaml_parser_parse(&parser, &event) == 1 else { throw parserProblem() }
    }

    /// As `Yams.Parser.singleRoot()`: nil for an empty stream, the document's root, or an error for a
    /// second document. Then the shape check's verdict.
    mutating func single() throws(YAMLProblem) -> FixtureNode? {
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLProblem(line: 0, column: 0, message: "YAML error: Memory error", hint: "")
        }
        initialized = true
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, text.baseAddress, text.count)
        var event = yaml_event_t()
        try next(&event)                       // STREAM-START
        yaml_event_delete(&event)
        try next(&event)                       // DOCUMENT-START or STREAM-END
        let type = event.type
        yaml_event_delete(&event)
        if type == YAML_STREAM_END_EVENT { return nil }
        let root = try document()
        try next(&event)
        defer { yaml_event_delete(&event) }
        if event.type != YAML_STREAM_END_EVENT {
            let m = Self.mark(event.start_mark)
            throw YAMLProblem(line: m.line, column: m.column,
                              message: "YAML syntax error: but found another document (expected a single document in the stream at line 1)",
                              hint: YAMLTree.syntaxHint)
        }
        if let shapeProblem { throw shapeProblem }
        return root
    }

    /// The events of one document up to its DOCUMENT-END, as a tree.
    mutating func document() throws(YAMLProblem) -> FixtureNode {
        var event = yaml_event_t()
        var root: FixtureNode?
        while root == nil {
            try next(&event)
            defer { yaml_event_delete(&event) }
            let depth = open.count + 1
            switch event.type {
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let mark = Self.mark(event.start_mark)
                countNode(mark, depth: depth)
                let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                let tag = s.quoted_implicit == 1 ? FixtureNode.strTag : Self.string(s.tag)
                let node = FixtureNode.scalar(.init(string: value, style: FixtureNode.Style(rawValue: UInt8(truncatingIfNeeded: s.style.rawValue)) ?? .any,
                                                    tag: tag, mark: mark))
                if let a = Self.string(s.anchor) { anchors[a] = Anchored(node: node, size: 1, height: 1) }
                root = add(node, size: 1, height: 1)
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else {
                    let m = Self.mark(event.start_mark)
                    throw YAMLProblem(line: m.line, column: m.column, message: "YAML syntax error: found undefined alias",
                                      hint: YAMLTree.syntaxHint)
                }
                countAlias(target, depth: depth)
                root = add(target.node, size: target.size, height: target.height)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let mark = Self.mark(event.start_mark)
                countNode(mark, depth: depth)
                let (anchor, tag, implicit) = isMapping
                    ? (event.data.mapping_start.anchor, event.data.mapping_start.tag, event.data.mapping_start.implicit)
                    : (event.data.sequence_start.anchor, event.data.sequence_start.tag, event.data.sequence_start.implicit)
                open.append(Open(isMapping: isMapping, tag: implicit != 0 ? nil : Self.string(tag),
                                 anchor: Self.string(anchor), mark: mark, depth: depth))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let o = open.popLast() else { continue }
                let node: FixtureNode
                if o.isMapping {
                    if let p = YAMLTree.duplicateKey(o.pairs) { throw p }
                    node = .mapping(.init(pairs: o.pairs, tag: o.tag, mark: o.mark))
                } else {
                    node = .sequence(.init(items: o.items, tag: o.tag, mark: o.mark))
                }
                if let a = o.anchor { anchors[a] = Anchored(node: node, size: o.size, height: o.height) }
                root = add(node, size: o.size, height: o.height)
            default:
                continue
            }
        }
        try next(&event)                       // DOCUMENT-END
        yaml_event_delete(&event)
        return root ?? .scalar(.init(string: "", style: .plain, tag: nil, mark: FixtureMark(line: 1, column: 1)))
    }

    /// Adds a finished node to the open collection (nil), or returns it when it is the root.
    mutating func add(_ node: FixtureNode, size: Int, height: Int) -> FixtureNode? {
        guard !open.isEmpty else { return node }
        let i = open.count - 1
        open[i].size = min(open[i].size + size, maxNodes + 1)
        open[i].height = max(open[i].height, height + 1)
        if open[i].isMapping {
            if let k = open[i].pendingKey {
                open[i].pairs.append((k, node))
                open[i].pendingKey = nil
            } else {
                open[i].pendingKey = node
            }
        } else {
            open[i].items.append(node)
        }
        return nil
    }

    /// A node written at `mark`, `depth` levels down: one more node of the budget.
    mutating func countNode(_ mark: FixtureMark, depth: Int) {
        count += 1
        guard shapeProblem == nil else { return }
        if count > maxNodes {
            shapeProblem = YAMLProblem(line: mark.line, column: mark.column,
                                       message: "the document expands to more than \(maxNodes) YAML nodes",
                                       hint: "aliases (*name) that repeat large parts multiply its size; write the parts out")
        } else if depth > maxDepth {
            shapeProblem = YAMLProblem(line: mark.line, column: mark.column,
                                       message: "mappings and lists are nested more than \(maxDepth) levels deep",
                                       hint: "a fixture needs about 10 levels; look for runaway nesting here")
        }
    }

    /// An alias `depth` levels down repeats its anchor's node: when that passes a limit, the node
    /// the shape check would have stopped at is found by walking the repeated part.
    mutating func countAlias(_ target: Anchored, depth: Int) {
        defer { count = min(count + target.size, maxNodes + 1) }
        guard shapeProblem == nil, count + target.size > maxNodes || depth + target.height - 1 > maxDepth else { return }
        var budget = maxNodes - count
        shapeProblem = YAMLTree.checkShape(target.node, depth: depth, budget: &budget, maxNodes: maxNodes, maxDepth: maxDepth)
    }
}
