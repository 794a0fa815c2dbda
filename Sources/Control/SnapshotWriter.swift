import DPTFirmware
import Fixtures
import I2OFormats
import IOPModel

/// Writes a machine description as a fixture (docs/fixture-format.md) that `FixtureLoader`
/// loads back to the same description: numbers in hex, text double-quoted, parameter values
/// and module images as `{hex: …}`. Derived groups are not in a description and are not written.
public enum SnapshotWriter {
    public static func yaml(_ d: MachineDescription) -> String {
        var o = "# i2osim snapshot (i2osim ctl SOCKET snapshot); load with --fixture\n"
        o += "machine: \(FixtureYAML.quote(d.name))\niops:\n"
        for iop in d.iops { o += self.iop(iop) }
        return o
    }

    static func iop(_ p: IOPDescription) -> String {
        let s = p.status
        var o = "  - unit: \(p.unit.rawValue)\n"
        o += "    status: {organization_id: \(hex(s.organizationID)), iop_id: \(hex(s.iopID)), host_unit_id: \(hex(s.hostUnitID)), "
        o += "segment_number: \(hex(s.segmentNumber)), i2o_version: \(s.i2oVersion), state: \(hex(s.iopState)), "
        o += "messenger_type: \(s.messengerType), inbound_frame_size: \(s.inboundFrameSize.rawValue), init_code: \(hex(s.initCode)), "
        o += "max_inbound_frames: \(s.maxInboundFrames), current_inbound_frames: \(s.currentInboundFrames), "
        o += "max_outbound_frames: \(s.maxOutboundFrames), product_id: \(FixtureYAML.quote(s.productID)), expected_lct_size: \(s.expectedLCTSize), "
        o += "iop_capabilities: \(hex(s.iopCapabilities)), desired_private_mem_size: \(hex(s.desiredPrivateMemSize)), "
        o += "current_private_mem_size: \(hex(s.currentPrivateMemSize)), current_private_mem_base: \(hex(s.currentPrivateMemBase)), "
        o += "desired_private_io_size: \(hex(s.desiredPrivateIOSize)), current_private_io_size: \(hex(s.currentPrivateIOSize)), "
        o += "current_private_io_base: \(hex(s.currentPrivateIOBase))}\n"
        o += "    hrt:\n      change_indicator: \(p.hrt.changeIndicator)\n      entry_length: \(p.hrt.entryLength.rawValue)\n"
        o += "      version: \(p.hrt.version)\n      entries:\n"
        if p.hrt.entries.isEmpty { o.removeLast("      entries:\n".count); o += "      entries: []\n" }
        for e in p.hrt.entries { o += "        - \(FixtureYAML.hrtEntry(e))\n" }
        o += "    lct: {iop_flags: \(hex(p.lctIopFlags)), change_indicator: \(p.lctChangeIndicator), boot_device: \(hex(p.bootDevice.rawValue))}\n"
        // A firmware module's devices are derived from its section: only what a fixture (or a
        // parameter change) added to them is written, and the devices it does not derive.
        var devices = p.devices
        if let c = p.firmware as? DPTController {
            o += FixtureYAML.dpt(c)
            let derived = Dictionary(c.derivedDevices().map { ($0.tid, $0) }, uniquingKeysWith: { a, _ in a })
            devices = devices.compactMap { d -> DeviceDescription? in
                guard let base = derived[d.tid] else { return d }
                var extra = DeviceDescription(entry: base.entry)
                for (g, group) in d.groups where base.groups[g] != group { extra.groups[g] = group }
                extra.htmlPages = d.htmlPages
                extra.failures = d.failures.filter { !base.failures.contains($0) }
                extra.entry.eventCapabilities = d.entry.eventCapabilities
                return extra.groups.isEmpty && extra.htmlPages.isEmpty && extra.failures.isEmpty
                    && d.entry.eventCapabilities == base.entry.eventCapabilities ? nil : extra
            }
        }
        o += devices.isEmpty ? "    devices: []\n" : "    devices:\n"
        for d in devices { o += device(d) }
        o += "    software:\n      capacity: \(p.store.capacity)\n      module_limit: \(p.store.moduleLimit)\n"
        if p.store.modules.isEmpty { o += "      modules: []\n" } else { o += "      modules:\n" }
        for m in p.store.modules {
            o += "        - {sw_type: \(hex(m.swType)), sw_id: \(hex(m.swID)), name: \(FixtureYAML.quote(m.name)), permanent: \(m.permanent), "
            o += "experimental: \(m.experimental), hex: \(FixtureYAML.quote(FixtureYAML.hexBytes(m.bytes)))}\n"
        }
        return o
    }

    static func device(_ d: DeviceDescription) -> String {
        let e = d.entry
        var o = FixtureYAML.deviceEntry(e)
        if !d.groups.isEmpty {
            o += "        groups:\n"
            for g in d.groups.keys.sorted() {
                guard let group = d.groups[g] else { continue }
                o += "          \(hex(g, width: 4)):\n" + self.group(group, standard: isStandard(g, tid: e.localTID))
            }
        }
        if !d.htmlPages.isEmpty {
            o += "        html:\n"
            for page in d.htmlPages.keys.sorted() {
                o += "          \(page): \(FixtureYAML.quote(String(decoding: d.htmlPages[page] ?? [], as: UTF8.self)))\n"
            }
        }
        if let storage = d.blockStorage { o += "        storage: \(self.storage(storage))\n" }
        if !d.failures.isEmpty {
            o += "        failures:\n"
            for f in d.failures {
                var parts: [String] = []
                if let fn = f.function { parts.append("function: \(hex(fn.rawValue))") }
                if let g = f.group { parts.append("group: \(hex(g, width: 4))") }
                parts.append("status: \(hex(f.reqStatus.rawValue))")
                parts.append("detail: \(hex(f.detailedStatus.rawValue))")
                o += "          - {\(parts.joined(separator: ", "))}\n"
            }
        }
        return o
    }

    static func storage(_ s: StorageDescription) -> String {
        switch s {
        case let .disk(d):
            let bad = d.badBlocks.isEmpty ? "" : ", bad_blocks: [" + d.badBlocks.map { "[\($0.lowerBound), \($0.count)]" }.joined(separator: ", ") + "]"
            return "{disk: \(FixtureYAML.quote(d.name)), blocks: \(d.blocks), block_size: \(d.blockSize), removable: \(d.removable), failed: \(d.failed)\(bad)}"
        case let .volume(v):
            let members = v.members.map { hex($0.rawValue, width: 3) }.joined(separator: ", ")
            return "{raid: \(v.level.rawValue), members: [\(members)], blocks: \(v.blocks), stripe: \(v.stripeBlocks), "
                + "start: \(v.startBlock), cache: \(v.writeBack ? "write-back" : "write-through")}"
        }
    }

    static func isStandard(_ g: UInt16, tid: TID) -> Bool {
        StandardGroups.utility.contains { $0.number == g } || (tid == .executive && StandardGroups.executive.contains { $0.number == g })
    }

    static func group(_ g: ParamGroup, standard: Bool) -> String {
        let s = g.schema
        let pad = "            "
        var o = ""
        if !standard {
            o += "\(pad)name: \(FixtureYAML.quote(s.name))\n\(pad)kind: \(s.kind.rawValue)\n\(pad)fields:\n"
            for f in s.fields { o += "\(pad)  - {name: \(FixtureYAML.quote(f.name)), type: \(f.type.description), writable: \(f.writable)}\n" }
            o += "\(pad)key_field: \(s.keyField)\n\(pad)rows_editable: \(s.rowsEditable)\n"
        } else {
            let writable = s.fields.filter(\.writable).map { FixtureYAML.quote($0.name) }
            o += "\(pad)writable: [\(writable.joined(separator: ", "))]\n"
        }
        if s.kind == .scalar {
            let row = g.rows.first ?? [UInt8](repeating: 0, count: s.rowWidth)
            let offsets = s.offsets
            o += "\(pad)values:\n"
            for (i, f) in s.fields.enumerated() {
                let end = min(row.count, offsets[i] + f.type.width)
                let bytes = offsets[i] < end ? Array(row[offsets[i]..<end]) : []
                o += "\(pad)  \(FixtureYAML.quote(f.name)): {hex: \(FixtureYAML.quote(FixtureYAML.hexBytes(bytes)))}\n"
            }
        } else if g.rows.isEmpty {
            o += "\(pad)rows: []\n"
        } else {
            o += "\(pad)rows:\n"
            for r in g.rows { o += "\(pad)  - {hex: \(FixtureYAML.quote(FixtureYAML.hexBytes(r)))}\n" }
        }
        return o
    }
}
