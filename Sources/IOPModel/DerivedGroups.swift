import I2OFormats

/// The standard groups whose values the model computes from its state ("standard, consistent
/// with state"), on every read:
///
/// | group | device | content |
/// |---|---|---|
/// | 0xF000 Params Descriptor | every | one row per group the device has: GroupNumber, FieldCount, RowCount, Properties (0x01 table; 0x02\|0x04\|0x08 when rows are editable) |
/// | 0xF100 Device Identity | every | ClassID = the LCT class word (class \| version<<12 \| org<<16), OwnerTID = LCT UserTID, ParentTID = LCT ParentTID; the other fields from the fixture's row (else zeros) |
/// | 0x0001 IOP Message Interface | TID 0 | InboundFrameSize (words) and InboundMax from the status block, OutboundMax = MaxOutboundFrames, InitCode; OutboundFrameSize the fixture's or 128 words (Linux's outbound frame); the rest from the fixture |
/// | 0x0004 Driver Store | TID 0 | ModuleLimit, ModuleCount, CurrentSpace (bytes used), FreeSpace from the software store |
/// | 0x0005 Driver Store Table | TID 0 | one row per stored module: StoredDdmIndex (1-based), ModuleType = SwType, I2oVendorID = SwID high 16 bits, ModuleID = SwID low 16 bits, ModuleName, ModuleSize, ModuleFlags (0x01 permanent, 0x02 experimental) |
/// | 0x0100 Hardware Resource Table | TID 0 | one row per HRT entry: AdapterID, StateInfo (ControllingTID \| AdapterState<<12), BusNumber, BusType, PhysicalLocation = the 8-byte bus union as a u64 |
/// | 0x0101 LCT scalar | TID 0 | BootDevice, IopFlags, CurrentChangeIndicator |
/// | 0x0102 LCT table | TID 0 | one row per LCT entry (DdmTID from the device's 0xF101 when it has one) |
///
/// Fully derived groups (0xF000, 0x0004, 0x0005, 0x0100–0x0102) always have the standard schema,
/// are read-only and their rows cannot be edited. In 0xF100 the three LCT-derived fields and in
/// 0x0001 the status-derived ones are read-only whatever a fixture's schema says. Every other
/// group (0xF101, 0xF102, 0xF103, the remaining utility and executive groups, vendor groups)
/// holds the fixture's values, or zeros / no rows when the fixture has none; 0xF102 DeviceName,
/// ServiceName and PhysicalLocation are writable.
extension IOP {
    /// 0x0004, 0x0005, 0x0100–0x0102 on TID 0; 0xF000 everywhere.
    static func isFullyDerived(_ group: UInt16, executive: Bool) -> Bool {
        switch group {
        case 0xF000: true
        case 0x0004, 0x0005, 0x0100...0x0102: executive
        default: false
        }
    }

    /// Fields the model computes inside otherwise stored groups: never writable.
    static func isDerivedField(_ group: UInt16, _ name: String, executive: Bool) -> Bool {
        switch group {
        case 0xF100: return ["classid", "ownertid", "parenttid"].contains(name.lowercased())
        case 0x0001 where executive:
            return ["inboundframesize", "inboundmax", "outboundmax", "initcode"].contains(name.lowercased())
        default: return isFullyDerived(group, executive: executive)
        }
    }

    /// The schema of `group` on `device`, or nil when the device has no such group.
    static func schema(_ group: UInt16, in device: DeviceDescription) -> ParamGroupSchema? {
        schema(group, groups: device.groups, executive: device.tid == .executive)
    }
    static func schema(_ group: UInt16, groups: [UInt16: ParamGroup], executive exec: Bool) -> ParamGroupSchema? {
        if isFullyDerived(group, executive: exec) { return StandardGroups.schema(for: group, executive: exec) }
        return groups[group]?.schema ?? StandardGroups.schema(for: group, executive: exec)
    }

    /// The numbers of every group device `tid` has (standard and fixture-defined), ascending;
    /// nil when there is no such device.
    public func groupNumbers(of tid: TID) -> [UInt16]? {
        guard let d = devices[tid] else { return nil }
        return Self.groupNumbers(of: d)
    }

    static func groupNumbers(of d: DeviceDescription) -> [UInt16] {
        var set = Set(StandardGroups.utility.map(\.number))
        if d.tid == .executive { set.formUnion(StandardGroups.executive.map(\.number)) }
        set.formUnion(d.groups.keys)
        return set.sorted()
    }

    /// The current values of group `number` of device `tid` (derived groups computed now), or nil
    /// when the device or the group does not exist.
    public func parameterGroup(_ number: UInt16, of tid: TID) -> ParamGroup? {
        // Every device has 0xF100, kept current by the device itself.
        if number == 0xF100 { return devices[tid]?.identity }
        guard let d = devices[tid], let schema = Self.schema(number, in: d) else { return nil }
        let exec = tid == .executive
        switch number {
        case 0xF000:
            let rows = Self.groupNumbers(of: d).compactMap { g -> [UInt8]? in
                guard let s = Self.schema(g, in: d) else { return nil }
                var r = [UInt8](); r.reserveCapacity(8)
                r.appendLE16(g); r.appendLE16(UInt16(truncatingIfNeeded: s.fields.count))
                r.appendLE16(UInt16(truncatingIfNeeded: rowCount(g, schema: s, device: d)))
                r.append((s.kind == .table ? 0x01 : 0) | (s.kind == .table && s.rowsEditable && !Self.isFullyDerived(g, executive: exec) ? 0x0E : 0))
                r.append(0)
                return r
            }
            return ParamGroup(schema: schema, rows: rows)
        case 0x0001 where exec:
            var g = Self.stored(number, schema: schema, groups: d.groups)
            Self.put(UInt64(status.inboundFrameSize.rawValue), "InboundFrameSize", in: &g.rows[0], schema: schema)
            Self.put(UInt64(status.maxInboundFrames), "InboundMax", in: &g.rows[0], schema: schema)
            Self.put(UInt64(status.maxOutboundFrames), "OutboundMax", in: &g.rows[0], schema: schema)
            Self.put(UInt64(status.initCode), "InitCode", in: &g.rows[0], schema: schema)
            if let i = schema.field(named: "OutboundFrameSize"), Self.get(i, g.rows[0], schema) == 0 {
                Self.put(128, "OutboundFrameSize", in: &g.rows[0], schema: schema)
            }
            return g
        case 0x0004 where exec:
            var r = [UInt8]()
            r.appendLE32(UInt32(clamping: store.moduleLimit)); r.appendLE32(UInt32(clamping: store.modules.count))
            r.appendLE32(UInt32(clamping: store.usedSpace)); r.appendLE32(UInt32(clamping: max(0, store.capacity - store.usedSpace)))
            return ParamGroup(schema: schema, rows: [r])
        case 0x0005 where exec:
            let rows = store.modules.enumerated().map { i, m -> [UInt8] in
                var r = [UInt8](); r.reserveCapacity(56)
                r.appendLE16(UInt16(truncatingIfNeeded: i + 1)); r.append(m.swType); r.append(0)
                r.appendLE16(UInt16(truncatingIfNeeded: m.swID >> 16)); r.appendLE16(UInt16(truncatingIfNeeded: m.swID))
                r.append(contentsOf: FixedText.encode(m.name, width: 24))
                r.appendLE32(0); r.appendLE16(0); r.appendLE16(0); r.appendLE32(0)
                r.appendLE32(UInt32(clamping: m.bytes.count)); r.appendLE32(0)
                r.appendLE32((m.permanent ? 0x01 : 0) | (m.experimental ? 0x02 : 0))
                return r
            }
            return ParamGroup(schema: schema, rows: rows)
        case 0x0100 where exec:
            let rows = hrt.entries.map { e -> [UInt8] in
                var r = [UInt8](); r.reserveCapacity(24)
                r.appendLE32(e.adapterID)
                r.appendLE16(e.controllingTID.rawValue | UInt16(e.adapterState & 0xF) << 12)
                r.append(e.busNumber); r.append(e.busType)
                r.append(contentsOf: e.busInfo); r.appendLE32(0); r.appendLE32(0)
                return r
            }
            return ParamGroup(schema: schema, rows: rows)
        case 0x0101 where exec:
            var r = [UInt8]()
            r.appendLE16(bootDevice.rawValue); r.appendLE32(lctIopFlags); r.appendLE32(lctChangeIndicator)
            return ParamGroup(schema: schema, rows: [r])
        case 0x0102 where exec:
            let rows = order.compactMap { devices[$0] }.map { dev -> [UInt8] in
                let e = dev.entry, w = e.encodedWords
                var r = [UInt8](); r.reserveCapacity(45)
                r.appendLE16(e.localTID.rawValue); r.appendLE16(e.userTID.rawValue); r.appendLE16(e.parentTID.rawValue)
                let ddm = dev.groups[0xF101].flatMap { $0.rows.first }.flatMap { $0.count >= 2 ? $0.readLE16(at: 0) : nil } ?? 0
                r.appendLE16(ddm)
                r.appendLE32(e.changeIndicator); r.appendLE32(e.deviceFlags.rawValue); r.appendLE32(w[3])
                r.appendLE32(e.subClass); r.append(contentsOf: e.identityTag); r.appendLE32(e.eventCapabilities)
                r.append(e.biosInfo)
                return r
            }
            return ParamGroup(schema: schema, rows: rows)
        case _ where isBlockStorageGroup(number, of: d):
            return blockStorageGroup(number, schema: schema, of: d)
        default:
            return Self.stored(number, schema: schema, groups: d.groups)
        }
    }

    /// Group 0xF100 of a device with this LCT entry and these stored groups: the stored row (the
    /// fixture's schema, else the standard one) with ClassID, OwnerTID and ParentTID from the entry.
    static func deviceIdentity(entry e: LCTEntry, groups: [UInt16: ParamGroup]) -> ParamGroup {
        let schema = groups[0xF100]?.schema ?? StandardGroups.deviceIdentity
        var g = stored(0xF100, schema: schema, groups: groups)
        put(UInt64(e.classWord), "ClassID", in: &g.rows[0], schema: schema)
        put(UInt64(e.userTID.rawValue), "OwnerTID", in: &g.rows[0], schema: schema)
        put(UInt64(e.parentTID.rawValue), "ParentTID", in: &g.rows[0], schema: schema)
        return g
    }

    /// The fixture's (or set) values of a stored group, rows normalised to the schema's width;
    /// zeros (scalar) or no rows (table) when the device has no stored values.
    static func stored(_ number: UInt16, schema: ParamGroupSchema, groups: [UInt16: ParamGroup]) -> ParamGroup {
        guard var g = groups[number] else { return ParamGroup.zeroed(schema) }
        g.schema = schema
        let w = schema.rowWidth
        for i in g.rows.indices where g.rows[i].count != w {
            g.rows[i] = Array((g.rows[i] + [UInt8](repeating: 0, count: max(0, w - g.rows[i].count))).prefix(w))
        }
        if schema.kind == .scalar && g.rows.isEmpty { g.rows = [[UInt8](repeating: 0, count: w)] }
        return g
    }

    /// How many rows group `g` has now, without building them.
    func rowCount(_ g: UInt16, schema: ParamGroupSchema, device d: DeviceDescription) -> Int {
        if schema.kind == .scalar { return 1 }
        let exec = d.tid == .executive
        switch g {
        case 0xF000: return Self.groupNumbers(of: d).count
        case 0x0005 where exec: return store.modules.count
        case 0x0100 where exec: return hrt.entries.count
        case 0x0102 where exec: return order.count
        default: return d.groups[g]?.rows.count ?? 0
        }
    }

    /// Writes integer `value` (or nothing, for text fields) into the named field of `row`.
    static func put(_ value: UInt64, _ name: String, in row: inout [UInt8], schema: ParamGroupSchema) {
        guard let i = schema.field(named: name), schema.fields[i].type.isInteger else { return }
        let off = schema.offsets[i], w = schema.fields[i].type.width
        guard off + w <= row.count else { return }
        for k in 0..<w { row[off + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    /// The integer value of field `i` of `row` (0 for text, or when out of range).
    static func get(_ i: Int, _ row: [UInt8], _ schema: ParamGroupSchema) -> UInt64 {
        guard i < schema.fields.count, schema.fields[i].type.isInteger else { return 0 }
        let off = schema.offsets[i], w = schema.fields[i].type.width
        guard off + w <= row.count else { return 0 }
        var v: UInt64 = 0
        for k in 0..<w { v |= UInt64(row[off + k]) << (8 * UInt64(k)) }
        return v
    }
}
