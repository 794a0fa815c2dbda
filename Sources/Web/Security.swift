import Synchronization

/// Which `Host` headers the server answers: its own address, by the names it can be reached by.
/// A page of another site that a browser resolves to this address (DNS rebinding) names its own
/// host, and is refused.
public struct HostPolicy: Sendable, Equatable {
    /// Accepted authorities, lowercased (`127.0.0.1:8080`, `localhost:8080` …).
    public private(set) var allowed: Set<String>

    /// The loopback names for `port` when `host` is a loopback address, else `host:port`; plus `extra`
    /// (`--allow-host`), with or without a port.
    public init(host: String, port: Int, extra: [String] = []) {
        var a: Set<String> = []
        let h = host.lowercased()
        if Self.isLoopback(h) {
            for name in ["127.0.0.1", "localhost", "[::1]"] { a.insert("\(name):\(port)") }
        }
        a.insert(h.contains(":") && !h.hasPrefix("[") ? "[\(h)]:\(port)" : "\(h):\(port)")
        if port == 80 { for name in Array(a) { a.insert(String(name.dropLast(3))) } }   // browsers leave out :80
        for e in extra { a.insert(e.contains(":") && !e.hasSuffix("]") ? e.lowercased() : "\(e.lowercased()):\(port)") }
        allowed = a
    }

    /// Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: "[]")
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a request naming `authority` (its Host header) is for this server.
    public func accepts(_ authority: String?) -> Bool {
        guard let authority else { return false }
        return allowed.contains(authority.lowercased())
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// Browser sessions and their tokens. A session is a random id in an HttpOnly, SameSite=Strict
/// cookie; its token, another random value, is put in every form of its pages and must come back
/// with every POST. The device's own pages run in a sandboxed frame that sends no cookie: their
/// URLs carry the token, which must be one this server gave out.
public final class Sessions: Sendable {
    /// The most sessions kept; the oldest is forgotten first (clients without cookies — curl, the
    /// bench — each make one, and must not push a browser's out soon).
    public static let limit = 1024
    private let state = Mutex<(tokens: [String: String], order: [String])>(([:], []))

    public init() {}

    /// 128 random bits in hex.
    static func random() -> String {
        var g = SystemRandomNumberGenerator()
        return [g.next(), g.next()].map { (v: UInt64) in
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }

    /// The session `id` names, or a new one: (id, token, new).
    public func session(_ id: String?) -> (id: String, token: String, isNew: Bool) {
        state.withLock { s in
            if let id, let t = s.tokens[id] { return (id, t, false) }
            let id = Self.random(), t = Self.random()
            s.tokens[id] = t
            s.order.append(id)
            if s.order.count > Self.limit { s.tokens[s.order.removeFirst()] = nil }
            return (id, t, true)
        }
    }

    /// Whether `token` is the token of session `id`.
    public func check(session id: String?, token: String?) -> Bool {
        guard let id, let token else { return false }
        return state.withLock { $0.tokens[id] } .map { Self.equal($0, token) } ?? false
    }

    /// Whether `token` is the token of some session (the device's frame, which has no cookie).
    public func isIssued(_ token: String) -> Bool {
        state.withLock { s in s.tokens.values.contains { Self.equal($0, token) } }
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in x.indices { d |= x[i] ^ y[i] }
        return d == 0
    }
}
