import DPTFirmware
import Foundation
import I2OFormats
import IOPModel
import Simulator

/// The control channel's commands for a RAID controller's firmware (docs/control.md): a drive's
/// state, the firmware clock.
extension ControlHandler {
    static let firmwareCommands = ["drive", "clock"]
    static let firmwareKeys: [String: [String]] = ["drive": ["iop", "at", "state"], "clock": ["advance", "speed"]]

    func firmwareCommand(_ r: Request) throws -> (Any, String) {
        switch r.command {
        case "drive":
            let unit = IOPUnit(rawValue: try r.u32("iop", default: 0))
            let at = try r.string("at")
            let stateName = try r.string("state")
            guard let state = DPTDisk.Status(rawValue: stateName.lowercased()) else {
                throw ControlError("unknown drive state '\(stateName)'; known: "
                                   + DPTDisk.Status.allCases.map(\.rawValue).joined(separator: ", "), key: "state")
            }
            let outcome: String? = simulator.changeFirmware(unit) { module -> String? in
                guard var c = module as? DPTController else { return "IOP \(unit.rawValue) has no DPT RAID firmware" }
                guard let d = c.disks.firstIndex(where: { $0.address == at.lowercased() }) else {
                    return "no drive at '\(at)' on IOP \(unit.rawValue); drives: " + c.disks.map(\.address).joined(separator: ", ")
                }
                c.setDriveState(d, state)
                module = c
                return nil
            } ?? "IOP \(unit.rawValue) has no firmware module"
            if let outcome { throw ControlError(outcome) }
            return (["at": at.lowercased(), "state": state.rawValue], "drive \(at.lowercased()) on IOP \(unit.rawValue): \(state.rawValue)")
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
