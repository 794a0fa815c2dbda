import I2OFormats
import IOPModel

/// One parameter group as PARMGET gave it: decoded with the I2O specification's layout when the
/// group is a standard one (StandardGroups) whose field count the device confirms, else raw bytes.
public struct GroupView: Sendable {
    public var number: UInt16
    public var isTable: Bool
    /// The layout; nil for a group this front end does not know (a vendor's): then `raw`.
    public var schema: ParamGroupSchema?
    public var rows: [[UInt8]] = []
    public var raw: [UInt8] = []
    /// The IOP's BlockStatus when the read failed.
    public var error: String?

    public var name: String { schema?.name ?? (number >= 0x8000 && number < 0xF000 ? "vendor group" : "group") }

    /// Field `i` of `row` as text.
    public func value(_ row: [UInt8], _ i: Int) -> String {
        guard let s = schema, i < s.fields.count, row.count >= s.offsets[i] + s.fields[i].type.width else { return "" }
        return s.fields[i].type.display(Array(row[s.offsets[i]..<s.offsets[i] + s.fields[i].type.width]))
    }
    /// Field `i` as shown (not edited): integers of 10 and more also in hex.
    public func shown(_ row: [UInt8], _ i: Int) -> String {
        let v = value(row, i)
        guard let s = schema, s.fields[i].type.isInteger, !s.fields[i].type.isSigned, let n = UInt64(v), n >= 10 else { return v }
        return "\(v) (\(hex(n)))"
    }
    public func value(named name: String) -> String {
        guard let s = schema, let i = s.field(named: name), let row = rows.first else { return "" }
        return value(row, i)
    }
}

/// What the front end reads of one IOP: its tables and its executive's groups.
public struct IOPView: Sendable {
    public var unit: UInt32
    public var hrt: HRT?
    public var lct: LCT?
    /// Why a table could not be read.
    public var errors: [String] = []
    /// The executive's groups (status block derived ones among them).
    public var executive: [GroupView] = []
    /// Device Identity (0xF100) of each TID.
    public var identity: [UInt16: GroupView] = [:]
}

/// Reads the machine through a `DeviceClient`: the ioctls only.
public struct MachineReader: Sendable {
    public let device: DeviceClient
    public init(device: DeviceClient) { self.device = device }

    /// Every IOP with its HRT, LCT, executive groups and each device's identity.
    public func overview() throws(DeviceError) -> [IOPView] {
        try device.iops().map { unit in
            var v = IOPView(unit: unit)
            do { v.hrt = try HRT.decode(try device.table(lct: false, iop: unit)) } catch { v.errors.append("HRT: \(error)") }
            do { v.lct = try LCT.decode(try device.table(lct: true, iop: unit)) } catch { v.errors.append("LCT: \(error)") }
            v.executive = groups(iop: unit, tid: 0, only: [0x0000, 0x0001, 0x0101])
            for tid in [TID.executive] + (v.lct?.entries.map(\.localTID) ?? []) where v.identity[tid.rawValue] == nil {
                v.identity[tid.rawValue] = groups(iop: unit, tid: UInt32(tid.rawValue), only: [0xF100]).first
            }
            return v
        }
    }

    /// The groups of (iop, tid): the device's own list (0xF000, Params Descriptor), each read with
    /// FIELD_GET or TABLE_GET, all in one PARMGET. `only`: just these groups, not asking 0xF000.
    public func groups(iop: UInt32, tid: UInt32, only: [UInt16]? = nil) -> [GroupView] {
        let executive = tid == 0
        var list: [(number: UInt16, table: Bool, fields: Int?)] = []
        if let only {
            list = only.compactMap { g in StandardGroups.schema(for: g, executive: executive).map { (g, $0.kind == .table, nil) } }
        } else {
            let d = readGroups(iop: iop, tid: tid, [(0xF000, true, nil)]).first
            guard let d, d.error == nil else { return d.map { [$0] } ?? [] }
            list = d.rows.map { r in (r.readLE16(at: 0), r[6] & 0x01 != 0, Int(r.readLE16(at: 2))) }
        }
        return readGroups(iop: iop, tid: tid, list)
    }

    func readGroups(iop: UInt32, tid: UInt32, _ list: [(number: UInt16, table: Bool, fields: Int?)]) -> [GroupView] {
        guard !list.isEmpty else { return [] }
        let ops = list.map { ParamOperation(code: $0.table ? .tableGet : .fieldGet, group: $0.number) }
        let views = list.map { g in
            var schema = StandardGroups.schema(for: g.number, executive: tid == 0)
            if let s = schema, (s.kind == .table) != g.table || (g.fields.map { $0 != s.fields.count } ?? false) { schema = nil }
            return GroupView(number: g.number, isTable: g.table, schema: schema)
        }
        let result: ResultList
        do {
            let bytes = try device.params(set: false, iop: iop, tid: tid, operations: OperationList(ops).encoded())
            result = try ResultList.decode(bytes, rowHeaders: list.map(\.table))
        } catch {
            return views.map { var v = $0; v.error = "\(error)"; return v }
        }
        return views.enumerated().map { i, view in
            var v = view
            guard i < result.blocks.count else { v.error = "no result block"; return v }
            let b = result.blocks[i]
            guard b.status == .success else { v.error = "\(b.status)"; return v }
            v.raw = b.data
            if let s = v.schema, s.rowWidth > 0 {
                let n = v.isTable ? Int(b.rows?.count ?? 0) : 1
                v.rows = (0..<n).compactMap { r in
                    r * s.rowWidth + s.rowWidth <= b.data.count ? Array(b.data[r * s.rowWidth..<(r + 1) * s.rowWidth]) : nil
                }
            }
            return v
        }
    }

    /// I2OPARMSET of one field (FIELD_SET), its value given as text: nil when the IOP set it, else
    /// what went wrong — the value not one of the field's type, the ioctl's errno, or the
    /// BlockStatus the IOP answered with.
    public func set(iop: UInt32, tid: UInt32, group: UInt16, field: String, value: String) -> String? {
        guard let s = StandardGroups.schema(for: group, executive: tid == 0), let i = s.field(named: field) else {
            return "group \(hex(group, width: 4)) has no field \(field) that this front end knows"
        }
        guard let bytes = s.fields[i].type.encode(value) else { return "\"\(value)\" is not a \(s.fields[i].type.valueKind)" }
        let op = ParamOperation(code: .fieldSet, group: group, fields: .indices([UInt16(i)]), values: bytes)
        do {
            let r = try ResultList.decode(try device.params(set: true, iop: iop, tid: tid, operations: OperationList([op]).encoded()))
            guard let b = r.blocks.first else { return "the IOP returned no result block" }
            return b.status == .success ? nil : "the IOP answered \(b.status) for \(s.name) \(field)"
        } catch {
            return "\(error)"
        }
    }
}
