import Control
import DPTFirmware
import Faults
import Foundation
import I2OFormats
import IOPModel

/// What `show` prints of a machine, as plain values (encoded as JSON by `show --json`).
struct MachineReport: Encodable {
    var machine: String
    var iops: [IOPReport]
    /// The fixture's static fault rules (`faults:`).
    var faults: [FaultRuleReport]

    init(_ m: MachineDescription, faults: [FaultRule] = []) {
        machine = m.name
        iops = m.iops.map(IOPReport.init)
        self.faults = faults.map(FaultRuleReport.init)
    }

    var text: String {
        var out = "Machine: \(machine)\n"
        for iop in iops { out += "\n" + iop.text }
        if !faults.isEmpty {
            out += "\nFault rules (faults:, in the order they are tried)\n"
            for (i, r) in faults.enumerated() { out += "  \(i + 1). \(r.rule)\n" }
        }
        return out
    }
}

/// A fault rule: the line `ctl fault-list` prints, and its parts.
struct FaultRuleReport: Encodable {
    var rule: String, match: FaultMatch, action: FaultAction, count: FaultCount

    init(_ r: FaultRule) {
        rule = FaultRules.describe(r); match = r.match; action = r.action; count = r.count
    }
}

/// A decoded field value: a number, text, or bytes (as hex text).
enum FieldValue: Encodable, Equatable {
    case number(Int64), unsigned(UInt64), text(String), bytes([UInt8])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .number(v): try c.encode(v)
        case let .unsigned(v): try c.encode(v)
        case let .text(s): try c.encode(s)
        case let .bytes(b): try c.encode(hexBytes(b))
        }
    }

    var display: String {
        switch self {
        case let .number(v): String(v)
        case let .unsigned(v): v < 10 ? String(v) : "\(v) (\(hex(v)))"
        case let .text(s): "\"\(s)\""
        case let .bytes(b): b.allSatisfy { $0 == 0 } ? "(\(b.count) zero bytes)" : hexBytes(b)
        }
    }

    static func decode(_ type: ParamFieldType, _ b: ArraySlice<UInt8>) -> FieldValue {
        let bytes = Array(b)
        var u: UInt64 = 0
        for (i, x) in bytes.prefix(8).enumerated() { u |= UInt64(x) << (8 * UInt64(i)) }
        switch type {
        case .u8, .u16, .u32, .u64: return .unsigned(u)
        case .s8: return .number(Int64(Int8(truncatingIfNeeded: u)))
        case .s16: return .number(Int64(Int16(truncatingIfNeeded: u)))
        case .s32: return .number(Int64(Int32(truncatingIfNeeded: u)))
        case .s64: return .number(Int64(bitPattern: u))
        case .string: return .text(FixedText.decode(bytes))
        case .bytes: return .bytes(bytes)
        }
    }
}

func hexBytes(_ b: [UInt8]) -> String {
    b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

func tidText(_ t: TID) -> String { t == .none ? "none" : t.description }

struct StatusReport: Encodable {
    var state: String, productID: String, organizationID: UInt16, iopID: UInt16, i2oVersion: UInt8
    var inboundFrameSizeWords: Int, maxInboundFrames: UInt32, maxOutboundFrames: UInt32
    var expectedLCTSize: UInt32, iopCapabilities: UInt32, messengerType: UInt8, initCode: UInt8

    init(_ s: StatusBlock) {
        state = IOPState(rawValue: s.iopState)?.name ?? hex(s.iopState, width: 2)
        productID = s.productID; organizationID = s.organizationID; iopID = s.iopID; i2oVersion = s.i2oVersion
        inboundFrameSizeWords = s.inboundFrameSize.rawValue; maxInboundFrames = s.maxInboundFrames
        maxOutboundFrames = s.maxOutboundFrames; expectedLCTSize = s.expectedLCTSize
        iopCapabilities = s.iopCapabilities; messengerType = s.messengerType; initCode = s.initCode
    }
}

struct HRTEntryReport: Encodable {
    var adapterID: UInt32, controllingTID: String, state: UInt8, busNumber: UInt8, busType: String, busInfo: String
    var pci: PCI?
    struct PCI: Encodable { var function: UInt8, device: UInt8, bus: UInt8, vendorID: String, deviceID: String }

    init(_ e: HRTEntry) {
        adapterID = e.adapterID; controllingTID = tidText(e.controllingTID); state = e.adapterState
        busNumber = e.busNumber; busType = HRTBusType(rawValue: e.busType)?.name ?? hex(e.busType, width: 2)
        busInfo = hexBytes(e.busInfo)
        if e.busType == HRTBusType.pci.rawValue {
            pci = PCI(function: e.pciFunction, device: e.pciDevice, bus: e.pciBus,
                      vendorID: hex(e.pciVendorID, width: 4), deviceID: hex(e.pciDeviceID, width: 4))
        }
    }
}

struct LCTRow: Encodable {
    var tid: String, tidDecimal: Int, classID: String, className: String, subclass: UInt32, flags: String
    var deviceFlags: UInt32, parent: String, user: String, organizationID: UInt16, identityTag: String
    var eventCapabilities: UInt32, changeIndicator: UInt32, vendor: String?, product: String?, revision: String?
}

struct GroupReport: Encodable {
    var number: String, name: String, kind: String
    var fields: [String]
    var writable: [String]
    /// One object per row (scalar groups: one), field name → value.
    var rows: [[String: FieldValue]]
    /// Field names in schema order, so text output keeps the layout.
    func ordered(_ row: [String: FieldValue]) -> [(String, FieldValue)] { fields.compactMap { f in row[f].map { (f, $0) } } }

    init(_ g: ParamGroup) {
        number = hex(g.schema.number, width: 4); name = g.schema.name; kind = g.schema.kind.rawValue
        fields = g.schema.fields.map(\.name); writable = g.schema.fields.filter(\.writable).map(\.name)
        let offsets = g.schema.offsets
        rows = g.rows.map { row in
            var d: [String: FieldValue] = [:]
            for (i, f) in g.schema.fields.enumerated() where offsets[i] + f.type.width <= row.count {
                d[f.name] = FieldValue.decode(f.type, row[offsets[i]..<offsets[i] + f.type.width])
            }
            return d
        }
    }
}

struct DeviceReport: Encodable {
    var tid: String, groups: [GroupReport], htmlPages: [String: String], failures: [String]
}

struct ModuleReport: Encodable {
    var swType: String, swID: String, name: String, size: Int, permanent: Bool, experimental: Bool
}

struct StoreReport: Encodable {
    var capacity: Int, moduleLimit: Int, used: Int, modules: [ModuleReport]
}

struct IOPReport: Encodable {
    var unit: UInt32, status: StatusReport, hrt: [HRTEntryReport]
    var lctIopFlags: UInt32, lctChangeIndicator: UInt32, bootDevice: String
    var lct: [LCTRow], devices: [DeviceReport], software: StoreReport
    /// The Adaptec/DPT firmware's view (what raidutil would list), for IOPs with a `dpt:` section.
    var dpt: DPTListing?

    init(_ iop: IOPDescription) {
        unit = iop.unit.rawValue; status = StatusReport(iop.status); hrt = iop.hrt.entries.map(HRTEntryReport.init)
        dpt = iop.dpt.map(DPTListing.init)
        lctIopFlags = iop.lctIopFlags; lctChangeIndicator = iop.lctChangeIndicator; bootDevice = tidText(iop.bootDevice)
        lct = iop.devices.map { d in
            let e = d.entry
            let id = d.groups[0xF100].flatMap { g -> (String, String, String)? in
                guard let row = g.rows.first, row.count >= 64 else { return nil }
                return (FixedText.decode(row[8..<24]), FixedText.decode(row[24..<40]), FixedText.decode(row[56..<64]))
            }
            return LCTRow(tid: e.localTID.description, tidDecimal: Int(e.localTID.rawValue), classID: hex(e.classID.rawValue, width: 3),
                          className: e.classID.name ?? hex(e.classID.rawValue, width: 3), subclass: e.subClass,
                          flags: e.deviceFlags.letters, deviceFlags: e.deviceFlags.rawValue, parent: tidText(e.parentTID),
                          user: tidText(e.userTID), organizationID: e.organizationID, identityTag: hexBytes(e.identityTag),
                          eventCapabilities: e.eventCapabilities, changeIndicator: e.changeIndicator,
                          vendor: id?.0, product: id?.1, revision: id?.2)
        }
        // The model computes the groups a host would read (derived ones included).
        let model = IOP(iop)
        devices = iop.devices.map { d in
            DeviceReport(tid: d.tid.description,
                         groups: (model.groupNumbers(of: d.tid) ?? []).compactMap { model.parameterGroup($0, of: d.tid).map(GroupReport.init) },
                         htmlPages: Dictionary(uniqueKeysWithValues: d.htmlPages.map { (String($0.key), String(decoding: $0.value, as: UTF8.self)) }),
                         failures: d.failures.map { f in
                             (f.function.map { "\($0)" } ?? "any function") + (f.group.map { " group \(hex($0, width: 4))" } ?? "")
                                 + " → \(f.reqStatus) / \(f.detailedStatus)"
                         })
        }
        software = StoreReport(capacity: iop.store.capacity, moduleLimit: iop.store.moduleLimit, used: iop.store.usedSpace,
                               modules: iop.store.modules.map {
                                   ModuleReport(swType: hex($0.swType, width: 2), swID: hex($0.swID, width: 8), name: $0.name,
                                                size: $0.bytes.count, permanent: $0.permanent, experimental: $0.experimental)
                               })
    }

    var text: String {
        var o = "IOP unit \(unit) (iop\(unit))\n"
        o += "  Status block: \(status.state), product \"\(status.productID)\", org \(hex(status.organizationID, width: 4)), "
        o += "IOP id \(status.iopID), I2O version \(status.i2oVersion)\n"
        o += "    inbound frame \(status.inboundFrameSizeWords) words, inbound frames \(status.maxInboundFrames), "
        o += "outbound frames \(status.maxOutboundFrames), expected LCT size \(status.expectedLCTSize) bytes\n"
        o += "  HRT (\(hrt.count) entr\(hrt.count == 1 ? "y" : "ies")):\n"
        for e in hrt {
            o += "    adapter \(hex(e.adapterID, width: 8)) TID \(e.controllingTID) state \(hex(e.state)) bus \(e.busNumber) \(e.busType)"
            if let p = e.pci { o += ": bus \(p.bus) device \(p.device) function \(p.function), \(p.vendorID):\(p.deviceID)" }
            else { o += ": \(e.busInfo)" }
            o += "\n"
        }
        o += "  LCT (\(lct.count) entries, IopFlags \(hex(lctIopFlags, width: 8)), change indicator \(lctChangeIndicator), boot device \(bootDevice)):\n"
        let header = ["TID", "CLASS", "SUB", "FLAGS", "PARENT", "USER", "VENDOR", "PRODUCT", "REV"]
        let rows = lct.map { r in
            [r.tid, r.className, hex(r.subclass, width: 2), r.flags, r.parent, r.user,
             r.vendor ?? "-", r.product ?? "-", r.revision ?? "-"]
        }
        o += table([header] + rows, indent: "    ")
        if let dpt { o += "  " + dpt.text }
        for d in devices {
            o += "  Device \(d.tid):\n"
            // Text shows the groups with content (not the 0xF000 descriptor table); --json has them all.
            for g in d.groups where g.number != "0xF000" && g.rows.contains(where: { row in row.values.contains { !$0.isZero } }) {
                o += "    \(g.number) \(g.name) (\(g.kind))"
                if !g.writable.isEmpty { o += ", writable: " + g.writable.joined(separator: ", ") }
                o += "\n"
                for (i, row) in g.rows.enumerated() {
                    let prefix = g.kind == "table" ? "      [\(i)] " : "      "
                    let shown = g.ordered(row).filter { name, v in
                        !(g.kind == "scalar" && (v == .unsigned(0) || v == .text("") || (v.isZeroBytes)) && !g.writable.contains(name))
                    }
                    o += prefix + (shown.isEmpty ? "(all zero)" : shown.map { "\($0.0)=\($0.1.display)" }.joined(separator: ", ")) + "\n"
                }
                if g.rows.isEmpty { o += "      (no rows)\n" }
            }
            for page in d.htmlPages.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
                o += "    HTML page \(page): \(d.htmlPages[page]?.utf8.count ?? 0) bytes\n"
            }
            for f in d.failures { o += "    fails: \(f)\n" }
        }
        o += "  Software store: \(software.used) of \(software.capacity) bytes used, \(software.modules.count) of \(software.moduleLimit) modules\n"
        for m in software.modules {
            o += "    sw_type \(m.swType) sw_id \(m.swID) \"\(m.name)\" \(m.size) bytes"
            o += (m.permanent ? ", permanent" : ", in memory") + (m.experimental ? ", experimental" : "") + "\n"
        }
        return o
    }
}

extension FieldValue {
    var isZero: Bool {
        switch self {
        case let .number(v): v == 0
        case let .unsigned(v): v == 0
        case let .text(t): t.isEmpty
        case let .bytes(b): b.allSatisfy { $0 == 0 }
        }
    }
    var isZeroBytes: Bool { if case let .bytes(b) = self { return b.allSatisfy { $0 == 0 } }; return false }
}

/// Left-aligned columns.
func table(_ rows: [[String]], indent: String) -> String {
    guard let n = rows.first?.count else { return "" }
    let widths = (0..<n).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { r in
        indent + (0..<n).map { c in c == n - 1 ? r[c] : r[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.map { $0.replacingTrailingSpaces() }.joined(separator: "\n") + "\n"
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
