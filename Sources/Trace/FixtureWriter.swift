import I2OABI
import I2ODevice
import Fixtures
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine

/// Writes what `record` read as a fixture (docs/fixture-format.md) that `FixtureLoader` loads.
/// Deterministic: the same machine always gives the same bytes.
public enum FixtureWriter {
    public static func yaml(machine: String, source: String, iops: [RecordedIOP]) -> String {
        var o = "# Recorded by `i2osim record` from \(source) (docs/trace-format.md, \"record\").\n"
        o += "# Values are decoded by field where the group is standard, raw bytes otherwise.\n"
        o += "machine: \(FixtureYAML.quote(machine))\n"
        o += "iops:\n"
        for iop in iops { o += write(iop) }
        return o
    }

    static func write(_ iop: RecordedIOP) -> String {
        var o = "  - unit: \(iop.unit)\n"
        // The status block is not readable through the ioctls; what group 0x0001 derives from it is.
        if let mi = iop.messageInterface {
            let s = StandardGroups.iopMessageInterface
            func f(_ n: String) -> UInt64 { value(mi, s, n) }
            o += "    status: {inbound_frame_size: \(f("InboundFrameSize")), max_inbound_frames: \(f("InboundMax")), "
            o += "max_outbound_frames: \(f("OutboundMax")), init_code: \(hex(f("InitCode"), width: 2))}\n"
        }
        if let hrt = iop.hrt {
            o += "    hrt:\n"
            o += "      change_indicator: \(hrt.changeIndicator)\n"
            o += "      entry_length: \(hrt.entryLength.rawValue)\n"
            o += "      version: \(hrt.version)\n"
            o += "      entries:\(hrt.entries.isEmpty ? " []" : "")\n"
            for e in hrt.entries { o += "        - \(FixtureYAML.hrtEntry(e))\n" }
        }
        o += "    lct: {iop_flags: \(hex(iop.lct.iopFlags)), change_indicator: \(iop.lct.changeIndicator)"
        if iop.lct.bootDeviceTID != .none { o += ", boot_device: \(tid(iop.lct.bootDeviceTID))" }
        o += "}\n"
        o += "    devices:\n"
        for d in iop.devices { o += write(d) }
        if iop.capacity != nil || !iop.modules.isEmpty {
            o += "    software:\n"
            if let c = iop.capacity { o += "      capacity: \(c)\n" }
            if let m = iop.moduleLimit { o += "      module_limit: \(m)\n" }
            o += "      modules:\(iop.modules.isEmpty ? " []" : "")\n"
            for m in iop.modules {
                o += "        - {sw_type: \(hex(m.swType, width: 2)), sw_id: \(hex(m.swID, width: 8)), name: \(FixtureYAML.quote(m.name)), "
                o += "permanent: \(m.permanent), experimental: \(m.experimental), " + contents(m.bytes) + "}\n"
            }
        }
        return o
    }

    static func write(_ d: RecordedDevice) -> String {
        let e = d.entry
        var o = FixtureYAML.deviceEntry(e)
        let exec = e.localTID == .executive
        var groups = ""
        for g in d.groups {
            if let text = write(g, executive: exec) { groups += text }
        }
        if !groups.isEmpty { o += "        groups:\n" + groups }
        if !d.html.isEmpty {
            o += "        html:\n"
            for p in d.html { o += "          \(p.page): \(FixtureYAML.quote(p.text))\n" }
        }
        if !d.failures.isEmpty {
            o += "        failures:\n"
            for f in d.failures {
                o += "          - {function: \(hex(f.function.rawValue, width: 2))"
                if let g = f.group { o += ", group: \(hex(g, width: 4))" }
                o += ", status: \(f.status.name ?? hex(f.status.rawValue, width: 2)), detail: \(f.detail.name ?? hex(f.detail.rawValue, width: 4))}\n"
            }
        }
        return o
    }

    /// Fields the model derives (never written: it computes them from the LCT and status block).
    static func derived(_ group: UInt16, _ name: String, executive: Bool) -> Bool {
        switch group {
        case 0xF100: return ["ClassID", "OwnerTID", "ParentTID"].contains(name)
        case 0x0001 where executive: return ["InboundFrameSize", "InboundMax", "OutboundMax", "InitCode"].contains(name)
        default: return false
        }
    }

    static func write(_ g: RecordedGroup, executive: Bool) -> String? {
        let s = g.schema
        let key = hex(s.number, width: 4)
        if g.standard {
            if s.kind == .scalar {
                guard let row = g.rows.first else { return nil }
                var fields: [String] = []
                for (i, f) in s.fields.enumerated() where !derived(s.number, f.name, executive: executive) {
                    let b = Array(row[s.offsets[i]..<s.offsets[i] + f.type.width])
                    if b.allSatisfy({ $0 == 0 }) { continue }
                    fields.append("\(f.name): \(fieldValue(b, f.type))")
                }
                var extra = ""
                if s.number == 0xF102 { extra = ", writable: [DeviceName, ServiceName, PhysicalLocation]" }
                if fields.isEmpty { return nil }
                if extra.isEmpty { return "          \(key): {\(fields.joined(separator: ", "))}\n" }
                return "          \(key): {values: {\(fields.joined(separator: ", "))}\(extra)}\n"
            }
            guard !g.rows.isEmpty else { return nil }
            var o = "          \(key):\n"
            for row in g.rows {
                var fields: [String] = []
                for (i, f) in s.fields.enumerated() {
                    let b = Array(row[s.offsets[i]..<s.offsets[i] + f.type.width])
                    if b.allSatisfy({ $0 == 0 }) { continue }
                    fields.append("\(f.name): \(fieldValue(b, f.type))")
                }
                o += "            - {\(fields.joined(separator: ", "))}\n"
            }
            return o
        }
        var o = "          \(key):\n"
        o += "            kind: \(s.kind.rawValue)\n"
        if s.rowsEditable { o += "            rows_editable: true\n" }
        o += "            fields: [\(s.fields.map { "{name: \($0.name), type: \"\($0.type)\"}" }.joined(separator: ", "))]\n"
        if s.kind == .scalar {
            if let row = g.rows.first { o += "            values: {hex: \"\(FixtureYAML.hexBytes(row))\"}\n" }
        } else {
            o += "            rows:\(g.rows.isEmpty ? " []" : "")\n"
            for row in g.rows { o += "              - {hex: \"\(FixtureYAML.hexBytes(row))\"}\n" }
        }
        return o
    }

    static func fieldValue(_ b: [UInt8], _ t: ParamFieldType) -> String {
        switch t {
        case .string:
            if let s = FieldText.text(b) { return FixtureYAML.quote(s) }
            return "{hex: \"\(FixtureYAML.hexBytes(b))\"}"
        case .bytes:
            return "{hex: \"\(FixtureYAML.hexBytes(b))\"}"
        default:
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            if t.isSigned {
                let bits = UInt64(t.width * 8)
                let signed = bits == 64 ? Int64(bitPattern: v) : (v & (1 << (bits - 1)) != 0 ? Int64(v) - Int64(1 << bits) : Int64(v))
                return "\(signed)"
            }
            return hex(v)
        }
    }

    static func value(_ row: [UInt8], _ s: ParamGroupSchema, _ name: String) -> UInt64 {
        guard let i = s.field(named: name) else { return 0 }
        let o = s.offsets[i], w = s.fields[i].type.width
        guard o + w <= row.count else { return 0 }
        var v: UInt64 = 0
        for k in 0..<w { v |= UInt64(row[o + k]) << (8 * UInt64(k)) }
        return v
    }

    /// A module's contents: `size` (zeros), `size` + a repeated `pattern`, or `hex`.
    static func contents(_ b: [UInt8]) -> String {
        if b.isEmpty { return "size: 0" }
        if b.allSatisfy({ $0 == 0 }) { return "size: \(b.count)" }
        for n in 1...min(64, b.count) where b.count % n == 0 || n < b.count {
            let p = Array(b.prefix(n))
            if b.indices.allSatisfy({ b[$0] == p[$0 % n] }) { return "size: \(b.count), pattern: \"\(FixtureYAML.hexBytes(p))\"" }
        }
        return "hex: \"\(traceHex(b))\""
    }

    static func tid(_ t: TID) -> String { FixtureYAML.tid(t) }
}
