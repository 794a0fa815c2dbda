import IOPModel

/// Typed HTML: pages are trees of `Node`s built with `el(…) { … }`, and text and attribute values
/// are escaped once, when the tree is rendered — no page is put together by concatenating strings.
/// The only markup that is not escaped is `Node.trusted`, which takes a `StaticString`: text
/// written in this source (the style sheet, the events script), never a value from the device.
public enum Node: Sendable {
    case element(String, [(String, String)], [Node])
    case text(String)
    case trusted(StaticString)

    /// Elements with no end tag.
    static let void: Set<String> = ["br", "input", "meta", "hr", "img", "link"]

    func render(into out: inout String) {
        switch self {
        case let .text(s): HTMLText.escape(s, into: &out)
        case let .trusted(s): out += s.description
        case let .element(name, attributes, children):
            out += "<" + name
            for (k, v) in attributes {
                out += " " + k + "=\""
                HTMLText.escape(v, into: &out)
                out += "\""
            }
            out += ">"
            if Self.void.contains(name) { return }
            for c in children { c.render(into: &out) }
            out += "</" + name + ">"
        }
    }
}

/// A whole document: `<!DOCTYPE html>` and its `html` element.
public struct Document: Sendable {
    public var root: Node
    public init(_ root: Node) { self.root = root }
    public var rendered: String {
        var out = "<!DOCTYPE html>\n"
        root.render(into: &out)
        return out
    }
}

@resultBuilder
public enum NodeBuilder {
    public static func buildBlock(_ parts: [Node]...) -> [Node] { parts.flatMap { $0 } }
    public static func buildExpression(_ n: Node) -> [Node] { [n] }
    public static func buildExpression(_ n: [Node]) -> [Node] { n }
    public static func buildExpression(_ s: String) -> [Node] { [.text(s)] }
    public static func buildOptional(_ n: [Node]?) -> [Node] { n ?? [] }
    public static func buildEither(first n: [Node]) -> [Node] { n }
    public static func buildEither(second n: [Node]) -> [Node] { n }
    public static func buildArray(_ n: [[Node]]) -> [Node] { n.flatMap { $0 } }
}

/// An element: `el("td", ["class": "num"]) { "42" }`.
public func el(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], @NodeBuilder _ content: () -> [Node] = { [] }) -> Node {
    .element(name, attributes.map { ($0.key, $0.value) }, content())
}

/// An element whose attributes are computed (a list, in order).
public func el(_ name: String, attributes: [(String, String)], @NodeBuilder _ content: () -> [Node] = { [] }) -> Node {
    .element(name, attributes, content())
}
