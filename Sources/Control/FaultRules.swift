import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Faults

/// Fault rules from control requests (and the same keys in fixtures): parsing and description.
public enum FaultRules {
    static let errnos: [String: Int32] = Dictionary(uniqueKeysWithValues: Errno.names.map { ($0.value, $0.key) })

    /// The keys of a rule: what it matches, its action and its count.
    static let matchKeys = ["ioctl", "iop", "tid", "function", "operation", "group", "file"]
    static let keys = matchKeys + ["action", "errno", "status", "detail", "block-status", "ms", "firmware", "count", "n", "p", "seed"]
    /// The keys that go with one action or count only.
    static let actionKeys: [FaultAction.Kind: [String]] = [
        .errno: ["errno"], .status: ["status", "detail"], .blockStatus: ["block-status"], .delay: ["ms"], .firmware: ["firmware"],
    ]
    static let countKeys: [FaultCount.Kind: [String]] = [.times: ["n"], .every: ["n"], .probability: ["p", "seed"]]

    static let errnoNames = errnos.sorted { $0.value < $1.value }.map(\.key)

    /// A rule from a request's keys: match `ioctl iop tid function operation group file`,
    /// action `action` (+ `errno` | `status`,`detail` | `block-status` | `ms`), count `count`
    /// (+ `n` | `p`,`seed`). Unknown keys, keys of another action or count, and unknown names
    /// are refused with what is valid listed.
    static func rule(from r: Request, origin: String) throws -> FaultRule {
        try r.checkKeys(keys)
        var m = FaultMatch()
        if r.has("ioctl") {
            let name = try r.string("ioctl")
            guard let kind = IoctlCommand.Kind.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw Request.unknown("ioctl", "ioctl", name, among: IoctlCommand.Kind.allCases.map(\.name), orNumber: false)
            }
            m.ioctl = kind.name
        }
        if r.has("iop") { m.iop = try r.u32("iop") }
        if r.has("tid") { m.tid = try r.u16("tid") }
        if r.has("function") {
            m.function = try r.named("function", "I2O function", names: I2OFunction.allNames, lookup: { I2OFunction(name: $0)?.rawValue }) {
                let v = try r.u64("function")
                guard v <= 0xFF else { throw ControlError("\"function\": \(v) is not an I2O function code (0…0xFF)", key: "function") }
                return UInt8(v)
            }
        }
        if r.has("operation") {
            m.operation = try r.named("operation", "parameter operation", names: ParamOperationCode.allNames,
                                         lookup: { ParamOperationCode(name: $0)?.rawValue }) { try r.u16("operation") }
        }
        if r.has("group") { m.group = try r.u16("group") }
        if r.has("file") { m.file = try r.u64("file") }

        let kind: FaultAction.Kind = try choice(r, "action", default: .errno, keys: actionKeys)
        var a = FaultAction(kind: kind)
        switch kind {
        case .errno:
            a.errno = try r.named("errno", "errno", names: errnoNames, lookup: { errnos[$0.uppercased()] }) {
                let v = try r.u32("errno", default: 5)
                guard v < 4096 else { throw ControlError("\"errno\": \(v) is not an errno (1…4095)", key: "errno") }
                return Int32(v)
            }
        case .status:
            a.reqStatus = try r.named("status", "ReqStatus", names: ReqStatus.allNames, lookup: { ReqStatus(name: $0)?.rawValue }) {
                UInt8(truncatingIfNeeded: try r.u16("status"))
            }
            a.detailedStatus = try r.named("detail", "DetailedStatus", names: DetailedStatus.allNames, lookup: { DetailedStatus(name: $0)?.rawValue }) {
                try r.u16("detail", default: 0)
            }
        case .blockStatus:
            a.blockStatus = try r.named("block-status", "BlockStatus", names: BlockStatus.allNames,
                                        lookup: { BlockStatus(name: $0)?.rawValue }) {
                UInt8(truncatingIfNeeded: try r.u16("block-status"))
            }
        case .delay:
            a.milliseconds = Int(try r.u32("ms"))
        case .firmware:
            a.command = r.has("firmware") ? try r.string("firmware") : nil
        default: break
        }
        if let p = a.problem { throw ControlError(p) }

        let ck: FaultCount.Kind = try choice(r, "count", default: .always, keys: countKeys)
        var c = FaultCount(kind: ck)
        switch ck {
        case .times, .every: c.n = Int(try r.u32("n"))
        case .probability:
            guard let p = (r.raw("p") as? Double) ?? (r.raw("p") as? String).flatMap(Double.init) else {
                throw ControlError("probability needs \"p\" in 0…1", key: "p")
            }
            c.probability = p
            c.seed = try r.u64("seed", default: 1)
        default: break
        }
        if let p = c.problem { throw ControlError(p, key: ck == .probability ? "p" : "n") }
        return FaultRule(match: m, action: a, count: c, origin: origin)
    }

    /// Refuses a key that belongs to another action (count) than `kind`: it would be ignored.
    /// The kind named by `key` (any case; `fallback` without it), the keys that go with the other
    /// kinds (`keys`) refused.
    private static func choice<K: RawRepresentable & CaseIterable & Hashable>(_ r: Request, _ key: String, default fallback: K,
                                                                            keys: [K: [String]]) throws -> K where K.RawValue == String {
        let name = try r.has(key) ? r.string(key) : fallback.rawValue
        guard let kind = K(rawValue: name.lowercased()) else {
            throw Request.unknown(key, key, name, among: K.allCases.map(\.rawValue), orNumber: false)
        }
        try refuseOthers(r, keys, except: kind, what: key, name: \.rawValue)
        return kind
    }

    private static func refuseOthers<K: Hashable>(_ r: Request, _ table: [K: [String]], except kind: K, what: String,
                                                  name: (K) -> String) throws {
        for (other, keys) in table where other != kind {
            for key in keys where r.has(key) && !(table[kind] ?? []).contains(key) {
                let owners = table.filter { $0.value.contains(key) }.map { name($0.key) }.sorted().joined(separator: " or ")
                throw ControlError("\"\(key)\" goes with \(what) \(owners), not \(name(kind)); set \(what) to \(owners), or leave \"\(key)\" out",
                                   key: key)
            }
        }
    }

    /// A rule from a fixture's `faults:` entry (the same keys as `fault-add`).
    public static func rule(fromFixture object: [String: Any]) throws(ControlError) -> FaultRule {
        do { return try rule(from: Request(["command": "fault-add"].merging(object) { a, _ in a }), origin: "fixture") } catch {
            throw (error as? ControlError) ?? ControlError("\(error)")
        }
    }

    /// One line: "I2OPARMGET iop 0 tid 0x205 → errno EIO, once".
    public static func describe(_ r: FaultRule) -> String {
        var parts: [String] = []
        let m = r.match
        if let x = m.ioctl { parts.append(x) }
        if let x = m.iop { parts.append("iop \(x)") }
        if let x = m.tid { parts.append("tid \(hex(x, width: 3))") }
        if let x = m.function { parts.append("function \(I2OFunction(rawValue: x))") }
        if let x = m.operation { parts.append("operation \(ParamOperationCode(rawValue: x))") }
        if let x = m.group { parts.append("group \(hex(x, width: 4))") }
        if let x = m.file { parts.append("file #\(x)") }
        let a = r.action
        var action = a.kind.rawValue
        switch a.kind {
        case .errno: action += " " + (errnos.first { $0.value == a.errno }?.key ?? "\(a.errno ?? 0)")
        case .status: action += " \(ReqStatus(rawValue: a.reqStatus ?? 0))/\(DetailedStatus(rawValue: a.detailedStatus ?? 0))"
        case .blockStatus: action += " \(BlockStatus(rawValue: a.blockStatus ?? 0))"
        case .delay: action += " \(a.milliseconds ?? 0) ms"
        case .firmware: action += " \"\(a.command ?? "")\""
        default: break
        }
        var count = r.count.kind.rawValue
        switch r.count.kind {
        case .times, .every: count += " \(r.count.n ?? 0)"
        case .probability: count += " \(r.count.probability ?? 0) seed \(r.count.seed ?? 0)"
        default: break
        }
        return (parts.isEmpty ? "every request" : parts.joined(separator: " ")) + " → \(action), \(count)"
    }
}
