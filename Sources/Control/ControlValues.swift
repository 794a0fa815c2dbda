import Foundation
import I2OABI
import I2OFormats
import IoctlEngine
import Faults

/// The values each request key takes, for a client that checks a request before it sends it
/// (`i2osim ctl`'s subcommands: their --help, completion and validation). The checks are the
/// daemon's own — the same accessors and the same messages — so a client refuses exactly what
/// the daemon would.
public enum ControlValues {
    /// The names a key takes (besides numbers, where `takesNumbers`), for help and completion.
    public static func names(_ key: String) -> [String] {
        switch key {
        case "indicator": Request.indicators.map(\.name)
        case "class": ClassID.allNames
        case "ioctl": IoctlCommand.Kind.allCases.map(\.name)
        case "function": I2OFunction.allNames
        case "operation": ParamOperationCode.allNames
        case "action": FaultAction.Kind.allCases.map(\.rawValue)
        case "errno": FaultRules.errnoNames
        case "status": ReqStatus.allNames
        case "detail": DetailedStatus.allNames
        case "block-status": BlockStatus.allNames
        case "count": FaultCount.Kind.allCases.map(\.rawValue)
        default: []
        }
    }

    /// Whether a key with names also takes a number.
    public static func takesNumbers(_ key: String) -> Bool { !["ioctl", "action", "count"].contains(key) }

    /// Checks one value of `command`'s `key` as the daemon reads it; throws the daemon's message.
    public static func check(_ command: String, key: String, value: String) throws(ControlError) {
        do {
            let r = try Request(["command": command, key: value])
            switch key {
            case "indicator": _ = try r.indicator(key)
            case "class": _ = try r.classID(key)
            case "iop", "subclass", "id", "ms", "n": _ = try r.u32(key)
            case "tid", "parent", "user", "group": _ = try r.u16(key)
            case "file", "seed": _ = try r.u64(key)
            case "p":
                guard let p = Double(value), (0...1).contains(p) else { throw ControlError("\"p\": '\(value)' is not a probability in 0…1", key: key) }
            case "data": _ = try r.bytes(key)
            case "ioctl", "function", "operation", "action", "errno", "status", "detail", "block-status", "count":
                // A rule of this one key, with the keys its action or count needs filled in.
                var object: [String: Any] = ["command": "fault-add", key: value]
                if key == "status" { object["action"] = "status" }
                if key == "block-status" { object["action"] = "block-status" }
                if key == "detail" { object["action"] = "status"; object["status"] = "0" }
                if key == "action" { object.merge(Self.filler(action: value)) { a, _ in a } }
                if key == "count" { object.merge(Self.filler(count: value)) { a, _ in a } }
                _ = try FaultRules.rule(from: try Request(object), origin: "check")
            default: break
            }
        } catch let e as ControlError {
            throw e
        } catch {
            throw ControlError("\"\(key)\": \(error)", key: key)
        }
    }

    /// Checks a whole request as the daemon will (for fault-add: the rule, with its keys that go together).
    public static func check(request object: [String: Any]) throws(ControlError) {
        guard object["command"] as? String == "fault-add" else { return }
        do { _ = try FaultRules.rule(from: try Request(object), origin: "check") } catch let e as ControlError { throw e } catch {
            throw ControlError("\(error)")
        }
    }

    private static func filler(action: String) -> [String: Any] {
        switch action.lowercased() {
        case "status": ["status": "0"]
        case "block-status": ["block-status": "0"]
        case "delay": ["ms": "1"]
        case "firmware": ["firmware": "check"]
        default: [:]
        }
    }
    private static func filler(count: String) -> [String: Any] {
        switch count.lowercased() {
        case "times", "every": ["n": "1"]
        case "probability": ["p": "1"]
        default: [:]
        }
    }
}

extension ControlValues {
    /// The daemon's message for a command it does not know (with the nearest one, when one is likely).
    public static func unknownCommand(_ name: String, among commands: [String]) -> String {
        let guess = closestName(to: name, in: commands).map { " (did you mean \($0)?)" } ?? ""
        return "unknown command '\(name)'\(guess); one of: \(commands.joined(separator: ", "))"
    }
}
