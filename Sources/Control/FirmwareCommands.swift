import DPTFirmware
import Foundation
import I2OFormats
import IOPModel
import Simulator

/// The control channel's commands for a RAID controller's firmware (docs/control.md): a drive's
/// state, the firmware clock.
extension ControlHandler {
    static let firmwareCommands = ["drive", "insert-drive", "clock"]
    static let firmwareKeys: [String: [String]] = [
        "drive": ["iop", "at", "state"], "insert-drive": ["iop", "at", "vendor", "model", "capacity_mb"],
        "clock": ["advance", "speed"],
    ]

    /// "b1t3d0" → (1, 3, 0).
    static func driveAddress(_ s: String) -> (UInt8, UInt8, UInt8)? {
        let t = s.lowercased()
        guard t.hasPrefix("b"), let ti = t.firstIndex(of: "t"), let di = t.firstIndex(of: "d"), ti < di,
              let b = UInt8(t[t.index(after: t.startIndex)..<ti]), let id = UInt8(t[t.index(after: ti)..<di]),
              let lun = UInt8(t[t.index(after: di)...]) else { return nil }
        return (b, id, lun)
    }

    func firmwareCommand(_ r: Request) throws -> (Any, String) {
        switch r.command {
        case "drive":
            let unit = IOPUnit(rawValue: try r.u32("iop", default: 0))
            let at = try r.string("at")
            let stateName = try r.string("state").lowercased()
            let state = DPTDisk.Status(rawValue: stateName)
            guard state != nil || stateName == "removed" else {
                throw ControlError("unknown drive state '\(stateName)'; known: "
                                   + (DPTDisk.Status.allCases.map(\.rawValue) + ["removed"]).joined(separator: ", "), key: "state")
            }
            let outcome: String? = simulator.changeFirmware(unit) { module -> String? in
                guard var c = module as? DPTController else { return "IOP \(unit.rawValue) has no DPT RAID firmware" }
                guard let d = c.disks.firstIndex(where: { $0.address == at.lowercased() }) else {
                    return "no drive at '\(at)' on IOP \(unit.rawValue); drives: " + c.disks.map(\.address).joined(separator: ", ")
                }
                if let state { c.setDriveState(d, state) } else if let problem = c.removeDrive(d) { return problem }
                module = c
                return nil
            } ?? "IOP \(unit.rawValue) has no firmware module"
            if let outcome { throw ControlError(outcome) }
            return (["at": at.lowercased(), "state": stateName], "drive \(at.lowercased()) on IOP \(unit.rawValue): \(stateName)")
        case "insert-drive":
            let unit = IOPUnit(rawValue: try r.u32("iop", default: 0))
            let at = try r.string("at")
            guard let a = Self.driveAddress(at) else {
                throw ControlError("'\(at)' is not a drive address; write b<bus>t<id>d<lun>, e.g. b1t3d0", key: "at")
            }
            let mb = try r.u32("capacity_mb", default: 35003)
            guard (1...0x1F_FFFF).contains(mb) else { throw ControlError("capacity_mb is 1…2097151", key: "capacity_mb") }
            let disk = DPTDisk(vendor: r.has("vendor") ? try r.string("vendor") : "SEAGATE",
                               product: r.has("model") ? try r.string("model") : "ST336753LW",
                               blocks: mb * 2048, bus: a.0, id: a.1, lun: a.2)
            let outcome: String? = simulator.changeFirmware(unit) { module -> String? in
                guard var c = module as? DPTController else { return "IOP \(unit.rawValue) has no DPT RAID firmware" }
                if let problem = c.insertDrive(disk) { return problem }
                module = c
                return nil
            } ?? "IOP \(unit.rawValue) has no firmware module"
            if let outcome { throw ControlError(outcome) }
            return (["at": disk.address], "drive \(disk.address) inserted in IOP \(unit.rawValue)")
        case "clock":
            guard r.has("advance") || r.has("speed") else {
                throw ControlError("clock takes advance=SECONDS (move every firmware clock on) and/or speed=FACTOR (against the wall clock)")
            }
            var parts: [String] = []
            if r.has("speed") {
                guard let raw = r.raw("speed"), let speed = Double("\(raw)"), speed >= 0, speed.isFinite else {
                    throw ControlError("speed is a factor ≥ 0 (0 stops the clock, 1 runs it with the wall clock)", key: "speed")
                }
                simulator.clockSpeed.withLock { $0 = speed }
                parts.append("clock speed \(speed)")
            }
            if r.has("advance") {
                let seconds = try r.u32("advance")
                guard simulator.advanceFirmwareClocks(milliseconds: UInt64(seconds) * 1000) else {
                    throw ControlError("the clock moved on, but the state file could not be written")
                }
                parts.append("advanced \(seconds) s")
            }
            return (["speed": simulator.clockSpeed.withLock { $0 }], parts.joined(separator: "; "))
        default:
            throw ControlError("unknown command '\(r.command)'")
        }
    }
}
