import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Faults

/// Fault rules from control requests (and the same keys in fixtures): parsing and description.
public enum FaultRules {
    static let errnos: [String: Int32] = Errno.byName.mapValues(\.rawValue)

    /// A rule from a request's keys: match `ioctl iop tid function operation group file`,
    /// action `action` (+ `errno` | `status`,`detail` | `block-status` | `ms`), count `count`
    /// (+ `n` | `p`,`seed`).
    static func rule(from r: Request, origin: String) throws -> FaultRule {
        var m = FaultMatch()
        if r.has("ioctl") {
            let name = try r.string("ioctl")
            guard let kind = IoctlCommand.Kind.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw ControlError("unknown ioctl '\(name)'; one of: \(IoctlCommand.Kind.allCases.map(\.name).joined(separator: ", "))")
            }
            m.ioctl = kind.name
        }
        if r.has("iop") { m.iop = try r.u32("iop") }
        if r.has("tid") { m.tid = try r.u16("tid") }
        if r.has("function") {
            if let s = r.raw("function") as? String, let f = I2OFunction(name: s) { m.function = f.rawValue } else {
                let v = try r.u64("function")
                guard v <= 0xFF else { throw ControlError("\"function\": \(v) is not an I2O function code") }
                m.function = UInt8(v)
            }
        }
        if r.has("operation") {
            if let s = r.raw("operation") as? String, let v = ParamOperationCode(name: s.uppercased().replacingOccurrences(of: "-", with: "_"))?.rawValue {
                m.operation = v
            } else { m.operation = try r.u16("operation") }
        }
        if r.has("group") { m.group = try r.u16("group") }
        if r.has("file") { m.file = try r.u64("file") }

        let kindName = try r.has("action") ? r.string("action") : "errno"
        guard let kind = FaultAction.Kind(rawValue: kindName.lowercased()) else {
            throw ControlError("unknown action '\(kindName)'; one of: \(FaultAction.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var a = FaultAction(kind: kind)
        switch kind {
        case .errno:
            if let s = r.raw("errno") as? String, let v = errnos[s.uppercased()] { a.errno = v } else {
                let v = try r.u32("errno", default: 5)
                guard v < 4096 else { throw ControlError("\"errno\": \(v) is not an errno") }
                a.errno = Int32(v)
            }
        case .status:
            if let s = r.raw("status") as? String, let v = ReqStatus(name: s) { a.reqStatus = v.rawValue } else {
                a.reqStatus = UInt8(truncatingIfNeeded: try r.u16("status"))
            }
            if let s = r.raw("detail") as? String, let v = DetailedStatus(name: s) { a.detailedStatus = v.rawValue } else {
                a.detailedStatus = try r.u16("detail", default: 0)
            }
        case .blockStatus:
            if let s = r.raw("block-status") as? String, let v = BlockStatus(name: s) { a.blockStatus = v.rawValue } else {
                a.blockStatus = UInt8(truncatingIfNeeded: try r.u16("block-status"))
            }
        case .delay:
            a.milliseconds = Int(try r.u32("ms"))
        default: break
        }
        if let p = a.problem { throw ControlError(p) }

        let countName = try r.has("count") ? r.string("count") : "always"
        guard let ck = FaultCount.Kind(rawValue: countName.lowercased()) else {
            throw ControlError("unknown count '\(countName)'; one of: \(FaultCount.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = FaultCount(kind: ck)
        switch ck {
        case .times, .every: c.n = Int(try r.u32("n"))
        case .probability:
            guard let p = (r.raw("p") as? Double) ?? (r.raw("p") as? String).flatMap(Double.init) else {
                throw ControlError("probability needs \"p\" in 0…1")
            }
            c.probability = p
            c.seed = try r.u64("seed", default: 1)
        default: break
        }
        if let p = c.problem { throw ControlError(p) }
        return FaultRule(match: m, action: a, count: c, origin: origin)
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
