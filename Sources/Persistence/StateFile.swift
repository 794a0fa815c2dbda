import Foundation
import I2OFormats
import IOPModel

// Persistent state: what a real card keeps across a power cycle — the modules of its
// permanent software store (with their validation status), the parameter values set
// through UtilParamsSet, and its firmware module's configuration (a RAID controller's arrays,
// drive states, settings, event log). Memory-only modules, event registrations, downloads in progress and
// the LCT are not kept (a real card rebuilds them at power-on).

/// The persistent state of a machine, as the state file (`state.json`) holds it.
public struct PersistentState: Codable, Hashable, Sendable {
    /// The file format's version; a file of another version is refused as damaged.
    public static let currentVersion = 1
    public var version: Int = PersistentState.currentVersion
    public var iops: [PersistentIOP] = []
    public init(iops: [PersistentIOP] = []) { self.iops = iops }
}

/// One IOP's persistent state.
public struct PersistentIOP: Codable, Hashable, Sendable {
    public var unit: UInt32
    /// Every module of the store with the permanent flag, in store order. Replaces the
    /// fixture's permanent modules when loaded (a module the fixture has but this list lacks
    /// was deleted).
    public var modules: [PersistentModule]
    /// Parameter groups whose rows differ from the fixture's, by (TID, group).
    public var params: [PersistentParams]
    /// The firmware module's configuration (`IOPFirmware.persistentConfiguration`) as JSON
    /// text, nil when the module keeps none. Replaces the fixture's when loaded.
    public var firmware: String?
    public init(unit: UInt32, modules: [PersistentModule], params: [PersistentParams], firmware: String? = nil) {
        self.unit = unit; self.modules = modules; self.params = params; self.firmware = firmware
    }
}

/// Decodes a firmware configuration into the module `decoder.userInfo[.firmwareModule]` holds.
struct FirmwareRestore: Decodable {
    static let key = CodingUserInfoKey(rawValue: "i2osim.firmwareModule")!
    let module: any IOPFirmware
    init(from decoder: any Decoder) throws {
        guard let base = decoder.userInfo[Self.key] as? any IOPFirmware else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no firmware module to restore into"))
        }
        module = try base.restoringConfiguration(from: decoder)
    }
}

extension PersistentIOP {
    /// The JSON text of a module's configuration (keys sorted, so equal states are equal text).
    static func firmwareText(_ module: (any IOPFirmware)?) -> String? {
        guard let configuration = module?.persistentConfiguration else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(configuration) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A module of the permanent store.
public struct PersistentModule: Codable, Hashable, Sendable {
    public var swType: UInt8
    public var swID: UInt32
    /// Still experimental (downloaded without the override flag and not yet validated).
    public var experimental: Bool
    public var name: String
    /// The module's bytes, base64.
    public var data: String
    public init(_ m: SoftwareModule) {
        swType = m.swType; swID = m.swID; experimental = m.experimental; name = m.name
        data = Data(m.bytes).base64EncodedString()
    }
    public var module: SoftwareModule? {
        guard let d = Data(base64Encoded: data) else { return nil }
        return SoftwareModule(swType: swType, swID: swID, bytes: [UInt8](d), permanent: true,
                              experimental: experimental, name: name)
    }
}

/// The rows of one parameter group of one device, each row in hex.
public struct PersistentParams: Codable, Hashable, Sendable {
    public var tid: UInt16
    public var group: UInt16
    public var rows: [String]
    public init(tid: UInt16, group: UInt16, rows: [String]) { self.tid = tid; self.group = group; self.rows = rows }
}

extension PersistentState {
    /// The persistent state of `machine`: its permanent modules, and the parameter groups whose
    /// rows differ from `baseline` (the description the machine was built from).
    public init(machine: Machine, baseline: MachineDescription) {
        let base = Dictionary(baseline.iops.map { ($0.unit, $0) }, uniquingKeysWith: { a, _ in a })
        iops = machine.units.compactMap { unit -> PersistentIOP? in
            guard let iop = machine.iops[unit] else { return nil }
            let modules = iop.store.modules.filter(\.permanent).map(PersistentModule.init)
            let baseDevices = Dictionary((base[unit]?.devices ?? []).map { ($0.tid, $0) }, uniquingKeysWith: { a, _ in a })
            var params: [PersistentParams] = []
            for tid in iop.devices.keys.sorted() {
                guard let device = iop.devices[tid] else { continue }
                for g in device.groups.keys.sorted() {
                    guard let group = device.groups[g], baseDevices[tid]?.groups[g]?.rows != group.rows else { continue }
                    params.append(PersistentParams(tid: tid.rawValue, group: g, rows: group.rows.map(hexString)))
                }
            }
            return PersistentIOP(unit: unit.rawValue, modules: modules, params: params,
                                 firmware: PersistentIOP.firmwareText(iop.firmware))
        }
    }

    /// Applies this state to `description` (the fixture's machine) before the machine is built.
    /// - Returns: what could not be applied (an IOP, device or group the fixture lacks, a row
    ///   of the wrong width), one line each; the rest is applied.
    public func apply(to description: inout MachineDescription) -> [String] {
        var notes: [String] = []
        for p in iops {
            guard let i = description.iops.firstIndex(where: { $0.unit.rawValue == p.unit }) else {
                notes.append("IOP \(p.unit): not in the machine; its state is ignored"); continue
            }
            var modules = description.iops[i].store.modules.filter { !$0.permanent }
            for m in p.modules {
                guard let module = m.module else {
                    notes.append("IOP \(p.unit) module \(m.swType)/\(m.swID): data is not base64; ignored"); continue
                }
                modules.append(module)
            }
            description.iops[i].store.modules = modules
            if let text = p.firmware {
                if let base = description.iops[i].firmware {
                    let decoder = JSONDecoder()
                    decoder.userInfo[FirmwareRestore.key] = base
                    do {
                        let restored = try decoder.decode(FirmwareRestore.self, from: Data(text.utf8)).module
                        var iop = IOP(description.iops[i])
                        iop.updateFirmware(restored, configurationChanged: true)
                        description.iops[i] = iop.snapshot
                    } catch {
                        notes.append("IOP \(p.unit): its firmware configuration does not load (\(StateDirectory.explain(error, size: text.utf8.count))); the fixture's is used")
                    }
                } else {
                    notes.append("IOP \(p.unit): has no firmware module; its firmware configuration is ignored")
                }
            }
            let probe = IOP(description.iops[i])
            for g in p.params {
                let tid = TID(rawValue: g.tid)
                guard let d = description.iops[i].devices.firstIndex(where: { $0.tid == tid }) else {
                    notes.append("IOP \(p.unit) TID \(g.tid): no such device; group \(hex(g.group)) ignored"); continue
                }
                guard let schema = description.iops[i].devices[d].groups[g.group]?.schema
                        ?? probe.parameterGroup(g.group, of: tid)?.schema else {
                    notes.append("IOP \(p.unit) TID \(g.tid): no group \(hex(g.group)); ignored"); continue
                }
                let rows = g.rows.map(bytes(hex:))
                guard rows.allSatisfy({ $0?.count == schema.rowWidth }) else {
                    notes.append("IOP \(p.unit) TID \(g.tid) group \(hex(g.group)): rows are not \(schema.rowWidth) bytes; ignored")
                    continue
                }
                description.iops[i].devices[d].groups[g.group] = ParamGroup(schema: schema, rows: rows.compactMap { $0 })
            }
        }
        return notes
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

func bytes(hex: String) -> [UInt8]? {
    let u = Array(hex.utf8)
    guard u.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out = [UInt8](); out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
        out.append(h << 4 | l); i += 2
    }
    return out
}
