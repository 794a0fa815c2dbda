import I2OFormats
import IOPModel

/// Turns a composed YAML tree into a `MachineDescription`, reporting every problem to the reader.
struct Interpreter {
    let r: Reader
    init(_ r: Reader) { self.r = r }

    // MARK: - Machine

    func machine(_ root: FixtureNode) -> MachineDescription? {
        guard let o = r.object(root, "", keys: ["machine", "iops", "faults"], required: ["machine", "iops"],
                               examples: ["machine": "\"My RAID box\"", "iops": "[{unit: 0, devices: […]}]"]) else { return nil }
        var name = ""
        if let n = o["machine"] { name = r.text(n, o.sub("machine"), what: "the machine's name") ?? "" }
        var iops: [IOPDescription] = []
        var seenUnits: [UInt32: Int] = [:]
        if let list = o["iops"].flatMap({ r.list($0, o.sub("iops"), of: "IOPs") }) {
            if list.isEmpty { r.error(o["iops"], o.sub("iops"), "a machine needs at least one IOP", hint: "add `- unit: 0` with its devices") }
            for (i, node) in list.enumerated() {
                let path = o.sub("iops") + "[\(i)]"
                guard let (iop, unitOK) = iop(node, path) else { continue }
                if unitOK, let first = seenUnits[iop.unit.rawValue] {
                    r.error(unitNode(node), join(path, "unit"), "IOP unit \(iop.unit.rawValue) is already used by iops[\(first)]",
                            hint: "give each IOP its own unit number (0, 1, …)")
                } else if unitOK {
                    seenUnits[iop.unit.rawValue] = i
                }
                iops.append(iop)
            }
        }
        return MachineDescription(name: name, iops: iops)
    }

    static func has(_ node: FixtureNode, _ key: String) -> Bool {
        if case let .mapping(m) = node { return m[key] != nil }
        return false
    }

    private func unitNode(_ node: FixtureNode) -> FixtureNode? {
        if case let .mapping(m) = node { return m["unit"] ?? node }
        return node
    }

    // MARK: - IOP

    /// The IOP, and whether its unit was given and valid.
    func iop(_ node: FixtureNode, _ path: String) -> (IOPDescription, Bool)? {
        guard let o = r.object(node, path, keys: ["unit", "status", "hrt", "lct", "devices", "software", "dpt"],
                               required: ["unit"] + (Self.has(node, "dpt") ? [] : ["devices"]),
                               examples: ["unit": "0", "devices": "[{tid: 0, class: EXECUTIVE}]"]) else { return nil }
        var unit: UInt32?
        if let n = o["unit"] {
            unit = r.integer(n, o.sub("unit"), in: 0...Int128(IOPUnit.maxControllers - 1),
                             what: "an IOP unit (0…\(IOPUnit.maxControllers - 1))").map { UInt32($0) }
        }
        // A vendor's controller (a `dpt:` section) is a firmware module, which derives the LCT,
        // the HRT and the boot device; written devices are merged into the derived ones.
        let firmware: (any IOPFirmware)? = o["dpt"].flatMap { self.dpt($0, o.sub("dpt")) }
        var devices = o["devices"].map { self.devices($0, o.sub("devices"), known: Set(firmware?.derivedDevices().map(\.tid) ?? [])) } ?? []
        if let firmware { devices = merge(firmware, written: devices, node: o["devices"], path: o.sub("devices")) }
        var lctFlags: UInt32 = 0, lctChange: UInt32 = 1, boot = firmware?.derivedBootDevice ?? TID.none
        if let n = o["lct"], let l = r.object(n, o.sub("lct"), keys: ["iop_flags", "change_indicator", "boot_device"]) {
            if let v = l["iop_flags"] { lctFlags = r.u32(v, l.sub("iop_flags")) ?? 0 }
            if let v = l["change_indicator"] { lctChange = r.u32(v, l.sub("change_indicator")) ?? 1 }
            if let v = l["boot_device"], let t = r.tid(v, l.sub("boot_device")) {
                boot = t
                if t != .none, !devices.contains(where: { $0.tid == t }) {
                    r.error(v, l.sub("boot_device"), "boot device \(t) is not a device of this IOP",
                            hint: "name a TID listed under devices, or write none")
                }
            }
        }
        var sb = StatusBlock()
        sb.expectedLCTSize = UInt32(LCT(entries: devices.map(\.entry)).byteCount)
        let organization = firmware.map { type(of: $0).organizationID }
        if let firmware, let organization {
            sb.organizationID = organization
            sb.productID = firmware.productName
        }
        if let n = o["status"] { status(n, o.sub("status"), into: &sb) }
        if let organization, sb.organizationID != organization {
            r.error(o["status"], o.sub("status"), "a dpt: controller is an organization \(hex(organization, width: 4)) IOP; status.organization_id says \(hex(sb.organizationID, width: 4))",
                    hint: "remove organization_id or write \(hex(organization, width: 4))")
        }
        var table = firmware?.derivedHRT() ?? HRT(entries: [])
        if let n = o["hrt"] { table = hrt(n, o.sub("hrt")) }
        var st = SoftwareStore()
        if let n = o["software"] { st = store(n, o.sub("software")) }
        return (IOPDescription(unit: IOPUnit(rawValue: unit ?? 0), status: sb, hrt: table, lctIopFlags: lctFlags,
                               lctChangeIndicator: lctChange, bootDevice: boot, devices: devices, store: st, firmware: firmware), unit != nil)
    }

    // MARK: - Status block

    func status(_ node: FixtureNode, _ path: String, into sb: inout StatusBlock) {
        let u32Keys: [(String, WritableKeyPath<StatusBlock, UInt32>)] = [
            ("max_inbound_frames", \.maxInboundFrames), ("current_inbound_frames", \.currentInboundFrames),
            ("max_outbound_frames", \.maxOutboundFrames), ("expected_lct_size", \.expectedLCTSize),
            ("iop_capabilities", \.iopCapabilities), ("desired_private_mem_size", \.desiredPrivateMemSize),
            ("current_private_mem_size", \.currentPrivateMemSize), ("current_private_mem_base", \.currentPrivateMemBase),
            ("desired_private_io_size", \.desiredPrivateIOSize), ("current_private_io_size", \.currentPrivateIOSize),
            ("current_private_io_base", \.currentPrivateIOBase),
        ]
        let keys = ["organization_id", "iop_id", "host_unit_id", "segment_number", "i2o_version", "state",
                    "messenger_type", "inbound_frame_size", "init_code", "product_id"] + u32Keys.map(\.0)
        guard let o = r.object(node, path, keys: keys) else { return }
        if let v = o["organization_id"], let x = r.u16(v, o.sub("organization_id")) { sb.organizationID = x }
        if let v = o["iop_id"], let x = r.integer(v, o.sub("iop_id"), in: 0...0xFFF, what: "a 12-bit IOP id") { sb.iopID = UInt16(x) }
        if let v = o["host_unit_id"], let x = r.u16(v, o.sub("host_unit_id")) { sb.hostUnitID = x }
        if let v = o["segment_number"], let x = r.integer(v, o.sub("segment_number"), in: 0...0xFFF, what: "a 12-bit segment number") { sb.segmentNumber = UInt16(x) }
        if let v = o["i2o_version"], let x = r.integer(v, o.sub("i2o_version"), in: 0...15, what: "an I2O version (0…15; 1 = 1.5)") { sb.i2oVersion = UInt8(x) }
        if let v = o["state"], let x = r.named(v, o.sub("state"), what: "IOP state", names: IOPState.allCases.map(\.name), max: 0xFF,
                                               byName: { IOPState(name: $0)?.rawValue }, byNumber: { UInt8($0) }) { sb.iopState = x }
        if let v = o["messenger_type"], let x = r.u8(v, o.sub("messenger_type")) { sb.messengerType = x }
        if let v = o["inbound_frame_size"], let x = r.integer(v, o.sub("inbound_frame_size"), in: 0...0xFFFF, what: "a frame size in 32-bit words") {
            sb.inboundFrameSize = WordCount(rawValue: Int(x))
        }
        if let v = o["init_code"], let x = r.u8(v, o.sub("init_code")) { sb.initCode = x }
        if let v = o["product_id"], let b = r.textOrBytes(v, o.sub("product_id"), width: 24, what: "product_id") {
            sb.productID = FixedText.decode(b)
        }
        for (k, kp) in u32Keys { if let v = o[k], let x = r.u32(v, o.sub(k)) { sb[keyPath: kp] = x } }
    }

    // MARK: - HRT

    func hrt(_ node: FixtureNode, _ path: String) -> HRT {
        var table = HRT(entries: [])
        guard let o = r.object(node, path, keys: ["change_indicator", "entry_length", "version", "entries"]) else { return table }
        if let v = o["change_indicator"], let x = r.u32(v, o.sub("change_indicator")) { table.changeIndicator = x }
        if let v = o["entry_length"], let x = r.integer(v, o.sub("entry_length"), in: 4...255, what: "an entry length in words (4…255)") {
            table.entryLength = WordCount(rawValue: Int(x))
        }
        if let v = o["version"], let x = r.u8(v, o.sub("version")) { table.version = x }
        if let v = o["entries"], let list = r.list(v, o.sub("entries"), of: "HRT entries") {
            for (i, e) in list.enumerated() {
                if let entry = hrtEntry(e, o.sub("entries") + "[\(i)]") { table.entries.append(entry) }
            }
        }
        if table.entries.count > 0xFFFF { r.error(o["entries"], o.sub("entries"), "more than 65535 HRT entries") }
        return table
    }

    static let busTypeNames = HRTBusType.allCases.map(\.name)

    func hrtEntry(_ node: FixtureNode, _ path: String) -> HRTEntry? {
        guard let o = r.object(node, path, keys: ["adapter_id", "controlling_tid", "state", "bus_number", "bus_type",
                                                  "pci", "bus_info", "extra_words"],
                               required: ["adapter_id", "bus_type"], examples: ["adapter_id": "0x12", "bus_type": "PCI"])
        else { return nil }
        var e = HRTEntry(adapterID: 0, controllingTID: .executive, adapterState: 0, busNumber: 0, busType: 0)
        if let v = o["adapter_id"], let x = r.u32(v, o.sub("adapter_id")) { e.adapterID = x }
        if let v = o["controlling_tid"], let t = r.tid(v, o.sub("controlling_tid"), allowNone: false) { e.controllingTID = t }
        if let v = o["state"], let x = r.integer(v, o.sub("state"), in: 0...15, what: "an adapter state nibble (0…15)") { e.adapterState = UInt8(x) }
        if let v = o["bus_number"], let x = r.u8(v, o.sub("bus_number")) { e.busNumber = x }
        if let v = o["bus_type"], let x = r.named(v, o.sub("bus_type"), what: "bus type", names: Self.busTypeNames, max: 0xFF,
                                                  byName: { n in HRTBusType.allCases.first { $0.name.lowercased() == n.lowercased() }?.rawValue },
                                                  byNumber: { UInt8($0) }) { e.busType = x }
        if o.has("pci"), o.has("bus_info") {
            r.error(o.keyNode("bus_info"), o.sub("bus_info"), "give either pci or bus_info, not both",
                    hint: "pci: {…} fills the 8 bus bytes by name; bus_info: {hex: …} gives them raw")
        } else if let v = o["pci"], let p = r.object(v, o.sub("pci"), keys: ["function", "device", "bus", "vendor_id", "device_id"]) {
            let f = p["function"].flatMap { r.integer($0, p.sub("function"), in: 0...7, what: "a PCI function (0…7)") } ?? 0
            let d = p["device"].flatMap { r.integer($0, p.sub("device"), in: 0...31, what: "a PCI device (0…31)") } ?? 0
            let b = p["bus"].flatMap { r.u8($0, p.sub("bus")) } ?? 0
            let vid = p["vendor_id"].flatMap { r.u16($0, p.sub("vendor_id")) } ?? 0
            let did = p["device_id"].flatMap { r.u16($0, p.sub("device_id")) } ?? 0
            e.busInfo = HRTEntry.pciInfo(function: UInt8(f), device: UInt8(d), bus: b, vendorID: vid, deviceID: did)
        } else if let v = o["bus_info"] {
            let bytes: [UInt8]?
            if case let .scalar(s) = v {
                bytes = Reader.parseHex(s.string)
                if bytes == nil { r.error(v, o.sub("bus_info"), "'\(s.string)' is not hex bytes", hint: "write 8 bytes such as \"00 16 01 00 05 90 c0 00\"") }
            } else {
                bytes = r.hexObject(v, o.sub("bus_info"))
            }
            if let bytes {
                if bytes.count == 8 { e.busInfo = bytes } else {
                    r.error(v, o.sub("bus_info"), "bus_info is \(bytes.count) bytes; it must be exactly 8", hint: "pad it with 00")
                }
            }
        }
        if let v = o["extra_words"], let list = r.list(v, o.sub("extra_words"), of: "32-bit words") {
            e.extraWords = list.enumerated().compactMap { r.u32($1, o.sub("extra_words") + "[\($0)]") }
        }
        return e
    }

    // MARK: - Software store

    func store(_ node: FixtureNode, _ path: String) -> SoftwareStore {
        var st = SoftwareStore()
        guard let o = r.object(node, path, keys: ["capacity", "module_limit", "modules"]) else { return st }
        if let v = o["capacity"], let x = r.integer(v, o.sub("capacity"), in: 0...0xFFFF_FFFF, what: "a size in bytes", sizes: true) {
            st.capacity = Int(x)
        }
        if let v = o["module_limit"], let x = r.integer(v, o.sub("module_limit"), in: 0...0xFFFF, what: "a module count") {
            st.moduleLimit = Int(x)
        }
        var seen: [String: Int] = [:]
        if let v = o["modules"], let list = r.list(v, o.sub("modules"), of: "modules") {
            for (i, m) in list.enumerated() {
                let p = o.sub("modules") + "[\(i)]"
                guard let mod = module(m, p) else { continue }
                let key = "\(mod.swType)/\(mod.swID)"
                if let first = seen[key] {
                    r.error(m, p, "module sw_type \(hex(mod.swType, width: 2)) sw_id \(hex(mod.swID, width: 8)) is already modules[\(first)]",
                            hint: "each (sw_type, sw_id) names one module; change one of them")
                } else { seen[key] = i }
                st.modules.append(mod)
            }
            if st.modules.count > st.moduleLimit {
                r.error(v, o.sub("modules"), "\(st.modules.count) modules exceed module_limit \(st.moduleLimit)",
                        hint: "raise module_limit or remove modules")
            }
            if st.usedSpace > st.capacity {
                r.error(v, o.sub("modules"), "the modules take \(st.usedSpace) bytes, more than the capacity of \(st.capacity)",
                        hint: "raise capacity (e.g. capacity: \"4 MiB\") or shrink the modules")
            }
        }
        return st
    }

    func module(_ node: FixtureNode, _ path: String) -> SoftwareModule? {
        guard let o = r.object(node, path, keys: ["sw_type", "sw_id", "name", "size", "pattern", "hex", "file",
                                                  "permanent", "experimental"],
                               required: ["sw_type", "sw_id"], examples: ["sw_type": "0x01", "sw_id": "0x00000001"])
        else { return nil }
        var mod = SoftwareModule(swType: 0, swID: 0, bytes: [])
        if let v = o["sw_type"], let x = r.u8(v, o.sub("sw_type")) { mod.swType = x }
        if let v = o["sw_id"], let x = r.u32(v, o.sub("sw_id")) { mod.swID = x }
        if let v = o["name"], let b = r.textOrBytes(v, o.sub("name"), width: 24, what: "name") { mod.name = FixedText.decode(b) }
        if let v = o["permanent"], let x = r.bool(v, o.sub("permanent")) { mod.permanent = x }
        if let v = o["experimental"], let x = r.bool(v, o.sub("experimental")) { mod.experimental = x }
        let sources = ["size", "hex", "file"].filter { o.has($0) }
        if sources.count != 1 {
            r.error(sources.count > 1 ? o.keyNode(sources[1]) : node, path,
                    sources.isEmpty ? "a module needs its contents" : "give only one of size, hex and file",
                    hint: "write `size: 4096` (with an optional `pattern: \"de ad\"`), `hex: \"…\"` or `file: image.bin`")
            return mod
        }
        if o.has("pattern"), !o.has("size") {
            r.error(o.keyNode("pattern"), o.sub("pattern"), "pattern only goes with size", hint: "add `size:` or remove pattern")
        }
        if let v = o["size"], let n = r.integer(v, o.sub("size"), in: 0...Int128(FixtureLoader.maxReferencedFileBytes), what: "a size in bytes", sizes: true) {
            var pattern: [UInt8] = [0]
            if let pv = o["pattern"], let t = r.text(pv, o.sub("pattern"), what: "hex bytes") {
                if let b = Reader.parseHex(t), !b.isEmpty { pattern = b } else {
                    r.error(pv, o.sub("pattern"), "'\(t)' is not hex bytes", hint: "write e.g. pattern: \"de ad be ef\"")
                }
            }
            mod.bytes = (0..<Int(n)).map { pattern[$0 % pattern.count] }
        } else if let v = o["hex"], let t = r.text(v, o.sub("hex"), what: "hex bytes") {
            if let b = Reader.parseHex(t) { mod.bytes = b } else {
                r.error(v, o.sub("hex"), "not hex bytes", hint: "write pairs of hex digits such as \"7f 45 4c 46\"")
            }
        } else if let v = o["file"], let b = r.readFile(v, o.sub("file"), limit: FixtureLoader.maxReferencedFileBytes) {
            mod.bytes = b
        }
        return mod
    }
}
