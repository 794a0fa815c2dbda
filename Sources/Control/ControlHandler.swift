import I2OABI
import I2ODevice
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine
import Simulator
import Faults

/// Carries out control-channel requests (docs/control.md) on an engine. One request is a JSON
/// object with a `command` and its arguments; the answer is `{"ok": true, "result": …,
/// "text": "…"}` or `{"ok": false, "error": "…"}`. Numbers may be JSON numbers or strings
/// ("0x205", "517"); names (event indicators, statuses, errnos) may stand for numbers.
public final class ControlHandler: Sendable {
    public let simulator: Simulator
    var engine: Engine { simulator.engine }
    /// Loads a fixture (for `restore`): path → description, or a message.
    let loadFixture: @Sendable (String) -> Result<MachineDescription, ControlError>

    public init(simulator: Simulator, loadFixture: @escaping @Sendable (String) -> Result<MachineDescription, ControlError>) {
        self.simulator = simulator
        self.loadFixture = loadFixture
    }

    /// Answers one request line.
    public func handle(line: String) -> String {
        let answer: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ControlError("a request is a JSON object, e.g. {\"command\": \"list\"}")
            }
            let (result, text) = try handle(Request(object))
            answer = ["ok": true, "result": result, "text": text]
        } catch let e as ControlError {
            answer = ["ok": false, "error": e.message]
        } catch {
            // Foundation's own words ("The data couldn't be read…") say nothing of what to send.
            answer = ["ok": false, "error": "the request is not JSON: send one JSON object per line, e.g. {\"command\": \"list\"}"]
        }
        let data = (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data("{\"ok\":false}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The commands, for help texts.
    public static let commands = ["list", "event", "add-device", "remove-device", "replace-entry", "set-param",
                                  "fault-add", "fault-remove", "fault-list", "fail-iop", "recover-iop", "release",
                                  "stats", "stats-reset", "snapshot", "restore"] + firmwareCommands + storageCommands

    /// The keys each command takes (besides `command`); any other key is refused (docs/control.md).
    public static let keys: [String: [String]] = [
        "list": [], "event": ["iop", "tid", "indicator", "data"],
        "add-device": ["iop", "tid", "class", "subclass", "parent", "user"], "remove-device": ["iop", "tid"],
        "replace-entry": ["iop", "tid", "class", "subclass", "user", "parent"],
        "set-param": ["iop", "tid", "group", "field", "value"], "fault-add": FaultRules.keys, "fault-remove": ["id"],
        "fault-list": [], "fail-iop": ["iop"], "recover-iop": ["iop"], "release": [], "stats": [], "stats-reset": [],
        "snapshot": ["path"], "restore": ["path"],
    ].merging(firmwareKeys) { a, _ in a }.merging(storageKeys) { a, _ in a }

    func handle(_ r: Request) throws -> (Any, String) {
        guard let keys = Self.keys[r.command] else {
            throw ControlError(ControlValues.unknownCommand(r.command, among: Self.commands))
        }
        try r.checkKeys(keys)
        switch r.command {
        case "list": return list()
        case "event":
            let unit = IOPUnit(rawValue: try r.u32("iop"))
            let tid = TID(rawValue: try r.u16("tid", default: 0))
            let indicator = try r.indicator("indicator")
            let data = try r.bytes("data", default: [])
            let known = engine.withMachine { m -> Bool in
                guard m.iops[unit] != nil else { return false }
                m.iops[unit]?.raiseEvent(tid: tid, indicator: indicator, data: data)
                return true
            }
            guard known else { throw ControlError("no IOP \(unit.rawValue)") }
            return ([:] as [String: Any], "raised \(hex(indicator.rawValue, width: 8)) on IOP \(unit.rawValue) TID \(hex(tid.rawValue, width: 3))")
        case "add-device":
            let unit = IOPUnit(rawValue: try r.u32("iop"))
            let tid = TID(rawValue: try r.u16("tid"))
            var entry = LCTEntry(localTID: tid, classID: try r.classID("class"),
                                 subClass: try r.u32("subclass", default: 0),
                                 parentTID: TID(rawValue: try r.u16("parent", default: 0)))
            entry.userTID = TID(rawValue: try r.u16("user", default: 0xFFF))
            let e = entry
            let error = engine.withMachine { m -> String? in
                guard m.iops[unit] != nil else { return "no IOP \(unit.rawValue)" }
                do throws(IOPModelError) { try m.iops[unit]?.addDevice(DeviceDescription(entry: e)); return nil } catch {
                    return error.description
                }
            }
            if let error { throw ControlError(error) }
            return (["changeIndicator": changeIndicator(unit)], "added TID \(hex(tid.rawValue, width: 3)) to IOP \(unit.rawValue); LCT change indicator \(changeIndicator(unit))")
        case "remove-device":
            let unit = IOPUnit(rawValue: try r.u32("iop"))
            let tid = TID(rawValue: try r.u16("tid"))
            let error = engine.withMachine { m -> String? in
                guard m.iops[unit] != nil else { return "no IOP \(unit.rawValue)" }
                do throws(IOPModelError) { try m.iops[unit]?.removeDevice(tid); return nil } catch { return error.description }
            }
            if let error { throw ControlError(error) }
            return (["changeIndicator": changeIndicator(unit)], "removed TID \(hex(tid.rawValue, width: 3)) from IOP \(unit.rawValue); LCT change indicator \(changeIndicator(unit))")
        case "replace-entry":
            let unit = IOPUnit(rawValue: try r.u32("iop"))
            let tid = TID(rawValue: try r.u16("tid"))
            let cls = r.has("class") ? try r.classID("class") : nil
            let sub = r.has("subclass") ? try r.u32("subclass") : nil
            let user = r.has("user") ? TID(rawValue: try r.u16("user")) : nil
            let parent = r.has("parent") ? TID(rawValue: try r.u16("parent")) : nil
            let error = engine.withMachine { m -> String? in
                guard var e = m.iops[unit]?.devices[tid]?.entry else { return "no TID \(hex(tid.rawValue, width: 3)) on IOP \(unit.rawValue)" }
                if let cls { e.classID = cls }
                if let sub { e.subClass = sub }
                if let user { e.userTID = user }
                if let parent { e.parentTID = parent }
                do throws(IOPModelError) { try m.iops[unit]?.replaceEntry(e); return nil } catch { return error.description }
            }
            if let error { throw ControlError(error) }
            return (["changeIndicator": changeIndicator(unit)], "replaced the LCT entry of TID \(hex(tid.rawValue, width: 3)); LCT change indicator \(changeIndicator(unit))")
        case "set-param": return try setParam(r)
        case "drive", "insert-drive", "clock": return try firmwareCommand(r)
        case "media-error", "media-clear": return try storageCommand(r)
        case "fault-add":
            let rule = try FaultRules.rule(from: r, origin: "ctl")
            let id = simulator.faults.add(rule)
            return (["id": id], "fault rule \(id): \(FaultRules.describe(rule))")
        case "fault-remove":
            let id = r.has("id") ? Int(try r.u32("id")) : nil
            let n = simulator.faults.remove(id)
            if id != nil && n == 0 { throw ControlError("no fault rule \(id ?? 0)") }
            return (["removed": n], "removed \(n) fault rule\(n == 1 ? "" : "s")")
        case "fault-list":
            let f = simulator.faults.snapshot
            let json = try jsonObject(f.rules)
            let text = f.rules.isEmpty ? "no fault rules" : f.rules.map {
                "\($0.id): \(FaultRules.describe($0)) — matched \($0.matched), fired \($0.fired)\($0.spent ? " (spent)" : "")"
            }.joined(separator: "\n")
            return (["rules": json, "failedIOPs": f.failedIOPs.map(\.rawValue).sorted()], text)
        case "fail-iop", "recover-iop":
            let unit = IOPUnit(rawValue: try r.u32("iop"))
            guard simulator.setIOPFailed(unit, r.command == "fail-iop") else { throw ControlError("no IOP \(unit.rawValue)") }
            return ([:] as [String: Any], "IOP \(unit.rawValue) \(r.command == "fail-iop" ? "failed" : "recovered")")
        case "release":
            let n = simulator.faults.releaseHangs()
            return (["released": n], "released \(n) hung request\(n == 1 ? "" : "s")")
        case "stats":
            let s = simulator.report
            return (try jsonObject(s), Self.describe(s))
        case "stats-reset":
            simulator.statistics.reset()
            return ([:] as [String: Any], "statistics reset")
        case "snapshot":
            let text = SnapshotWriter.yaml(engine.machine.snapshot)
            if r.has("path") {
                let path = Self.absolute(try r.string("path"))
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                    throw ControlError("cannot write \(path): \(error.localizedDescription)", key: "path")
                }
                return (["path": path], "wrote \(path)")
            }
            return (["fixture": text], text)
        case "restore":
            let path = Self.absolute(try r.string("path"))
            switch loadFixture(path) {
            case let .failure(e): throw e
            case let .success(d):
                simulator.replaceMachine(d)
                return (["path": path], "restored \(path): \(d.iops.count) IOP\(d.iops.count == 1 ? "" : "s")")
            }
        default:
            throw ControlError("unknown command '\(r.command)'")   // not reached: `keys` names every command
        }
    }

    /// A path as the daemon reads it: a relative one is taken in the daemon's working directory
    /// (`i2osim ctl` sends absolute paths, resolved in the caller's), and answered in full.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }

    func changeIndicator(_ unit: IOPUnit) -> UInt32 { engine.machine.iops[unit]?.lctChangeIndicator ?? 0 }

    func list() -> (Any, String) {
        let m = engine.machine
        let failed = simulator.faults.snapshot.failedIOPs
        var iops: [[String: Any]] = []
        var lines: [String] = []
        for unit in m.units {
            guard let iop = m.iops[unit] else { continue }
            let state = failed.contains(unit) ? "FAILED (injected)" : (IOPState(rawValue: iop.status.iopState)?.name ?? hex(iop.status.iopState))
            lines.append("IOP \(unit.rawValue): \(iop.status.productID) — \(state), LCT change indicator \(iop.lctChangeIndicator)")
            var devices: [[String: Any]] = []
            for e in iop.lct.entries {
                devices.append(["tid": Int(e.localTID.rawValue), "class": Int(e.classID.rawValue), "classname": e.classID.description,
                                "subclass": Int(e.subClass), "parent": Int(e.parentTID.rawValue), "user": Int(e.userTID.rawValue),
                                "changeIndicator": Int(e.changeIndicator)])
                lines.append("  TID \(hex(e.localTID.rawValue, width: 3)) \(e.classID) parent \(hex(e.parentTID.rawValue, width: 3)) user \(hex(e.userTID.rawValue, width: 3))")
            }
            let modules = iop.store.modules.map { mod -> [String: Any] in
                ["swType": Int(mod.swType), "swID": Int(mod.swID), "size": mod.bytes.count, "permanent": mod.permanent,
                 "experimental": mod.experimental, "name": mod.name]
            }
            for mod in iop.store.modules {
                lines.append("  module \(hex(mod.swType, width: 2))/\(hex(mod.swID, width: 8)) \(mod.bytes.count) bytes\(mod.permanent ? "" : " memory-only")\(mod.experimental ? " experimental" : "")")
            }
            iops.append(["unit": Int(unit.rawValue), "productID": iop.status.productID, "state": state,
                         "changeIndicator": Int(iop.lctChangeIndicator), "devices": devices, "modules": modules,
                         "eventRegistrations": iop.eventRegistrations.count, "pendingLctNotifies": iop.pendingLctNotifyCount])
        }
        let files = engine.openFiles.map { f -> [String: Any] in
            let q = engine.queuedEvents(f)
            return ["id": Int(f.rawValue), "queued": q?.events.count ?? 0, "lost": Int(q?.lost ?? 0)]
        }
        lines.append("open files: " + (files.isEmpty ? "none" : files.map { "#\($0["id"] ?? 0) (\($0["queued"] ?? 0) queued)" }.joined(separator: ", ")))
        return (["iops": iops, "files": files], lines.joined(separator: "\n"))
    }

    func setParam(_ r: Request) throws -> (Any, String) {
        let unit = IOPUnit(rawValue: try r.u32("iop"))
        let tid = TID(rawValue: try r.u16("tid"))
        let group = try r.u16("group")
        guard let schema = engine.machine.iops[unit]?.parameterGroup(group, of: tid)?.schema else {
            throw ControlError("no group \(hex(group, width: 4)) on IOP \(unit.rawValue) TID \(hex(tid.rawValue, width: 3))")
        }
        let names = schema.fields.map(\.name)
        let field = try r.named("field", "field of group \(hex(group, width: 4))", names: names, lookup: { schema.field(named: $0) }) {
            Int(try r.u16("field"))
        }
        guard field < schema.fields.count else {
            throw ControlError("group \(hex(group, width: 4)) has no field \(field); fields: \(names.joined(separator: ", "))", key: "field")
        }
        let f = schema.fields[field]
        let value: [UInt8]
        switch f.type {
        case let .string(n):
            let s = Array(try r.string("value").utf8)
            guard s.count <= n else { throw ControlError("the value is \(s.count) bytes; \(f.name) holds \(n)") }
            value = s + [UInt8](repeating: 0, count: n - s.count)
        case let .bytes(n):
            let b = try r.bytes("value")
            guard b.count == n else { throw ControlError("\(f.name) takes exactly \(n) bytes") }
            value = b
        default:
            let v = try r.u64("value")
            value = (0..<f.type.width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        }
        if let e = simulator.setParameter(unit: unit, tid: tid, group: group, field: UInt16(field), value: value) {
            throw ControlError("\(f.name): \(e)")
        }
        return ([:] as [String: Any], "set \(hex(group, width: 4)).\(f.name) of IOP \(unit.rawValue) TID \(hex(tid.rawValue, width: 3))")
    }

    static func describe(_ s: SimulatorStatistics) -> String {
        var lines = ["requests \(s.requests), errors \(s.errors)" + (s.stateWrites.map { ", state writes \($0)" } ?? "")
                     + (s.hungRequests > 0 ? ", hung now \(s.hungRequests)" : "")]
        for name in s.ioctls.keys.sorted() {
            guard let o = s.ioctls[name] else { continue }
            let errs = o.errnos.keys.sorted().map { "\($0) \(o.errnos[$0] ?? 0)" }.joined(separator: ", ")
            lines.append(String(format: "  %-14@ %6d requests %5d errors  rounds %.1f (max %d)  p50 %.0f µs  p90 %.0f µs  p99 %.0f µs",
                                name as NSString, o.requests, o.errors, o.roundsMean, o.roundsMax, o.p50us, o.p90us, o.p99us)
                         + (errs.isEmpty ? "" : "  [\(errs)]"))
        }
        if !s.faultsInjected.isEmpty {
            lines.append("faults injected: " + s.faultsInjected.keys.sorted().map { "\($0) \(s.faultsInjected[$0] ?? 0)" }.joined(separator: ", "))
        }
        for r in s.rules { lines.append("  rule \(r.id): matched \(r.matched), fired \(r.fired)\(r.spent ? " (spent)" : "")") }
        if !s.failedIOPs.isEmpty { lines.append("failed IOPs: \(s.failedIOPs.map(String.init).joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}

func jsonObject<T: Encodable>(_ value: T) throws -> Any {
    let data = try JSONEncoder().encode(value)
    return try JSONSerialization.jsonObject(with: data)
}
