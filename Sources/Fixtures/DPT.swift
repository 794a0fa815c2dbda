import DPTFirmware
import I2OFormats
import IOPModel

/// The `dpt:` section of an IOP: an Adaptec/DPT RAID controller as a person describes it.
/// The LCT, the HRT, the DPT groups and the array pages are derived from it (docs/fixture-format.md).
extension Interpreter {
    static let dptKeys = ["controller", "flash_regions", "buses", "disks", "arrays", "settings", "fail_every_message"]

    func dpt(_ node: FixtureNode, _ path: String) -> DPTController? {
        guard let o = r.object(node, path, keys: Self.dptKeys, required: ["controller"],
                               examples: ["controller": "{model: 3200S, firmware: 3B0A}"]) else { return nil }
        var c = DPTController(buses: [])
        if let v = o["controller"] { controller(v, o.sub("controller"), into: &c) }
        if let v = o["flash_regions"], let list = r.list(v, o.sub("flash_regions"), of: "flash region sizes") {
            c.flashRegionSizes = list.enumerated().compactMap { r.u32($1, o.sub("flash_regions") + "[\($0)]") }
            if c.flashRegionSizes.count != 4 {
                r.error(v, o.sub("flash_regions"), "DPT flash has 4 regions; \(list.count) sizes given",
                        hint: "write 4 sizes, e.g. [0xBC000, 0x40000, 0x2000, 0x2000]")
            }
        }
        if let v = o["buses"], let list = r.list(v, o.sub("buses"), of: "buses") {
            for (i, b) in list.enumerated() {
                let p = o.sub("buses") + "[\(i)]"
                guard let bo = r.object(b, p, keys: ["initiator_id"]) else { continue }
                var bus = DPTBus()
                if let x = bo["initiator_id"], let id = r.integer(x, bo.sub("initiator_id"), in: 0...127, what: "a SCSI id (0…127)") {
                    bus.initiatorID = UInt8(id)
                }
                c.buses.append(bus)
            }
        }
        if c.buses.isEmpty { c.buses = [DPTBus()] }
        var addresses: [String: Int] = [:]
        if let v = o["disks"], let list = r.list(v, o.sub("disks"), of: "disks") {
            for (i, d) in list.enumerated() {
                guard let disk = disk(d, o.sub("disks") + "[\(i)]") else { continue }
                addresses[disk.address] = c.disks.count
                c.disks.append(disk)
            }
        }
        if let v = o["arrays"], let list = r.list(v, o.sub("arrays"), of: "arrays") {
            for (i, a) in list.enumerated() {
                if let array = dptArray(a, o.sub("arrays") + "[\(i)]", addresses: addresses) { c.arrays.append(array) }
            }
        }
        if let v = o["settings"] { c.settings = dptSettings(v, o.sub("settings")) }
        if let v = o["fail_every_message"] {
            if case let .scalar(s) = v, s.style == .plain, ["true", "false"].contains(s.string.lowercased()) {
                c.failEveryMessage = s.string.lowercased() == "true" ? .errorNoDataTransfer : nil
            } else if let x: ReqStatus = r.code(v, o.sub("fail_every_message"), what: "ReqStatus") {
                c.failEveryMessage = x
            }
        }
        for p in c.problems() { r.error(node, path, p, hint: "fix the dpt: description so its buses, disks and arrays agree") }
        return c
    }

    private func controller(_ node: FixtureNode, _ path: String, into c: inout DPTController) {
        guard let o = r.object(node, path, keys: ["vendor", "model", "firmware", "nvram", "serial", "cache", "irq", "port_chip"],
                               required: ["model"], examples: ["model": "3200S"]) else { return }
        func string(_ key: String, _ width: Int, _ set: (String) -> Void) {
            guard let v = o[key], let t = r.text(v, o.sub(key)) else { return }
            if t.utf8.count > width { r.error(v, o.sub(key), "'\(t)' is longer than \(width) characters") }
            set(t)
        }
        string("vendor", 8) { c.vendor = $0 }
        string("model", 16) { c.model = $0 }
        string("firmware", 4) { c.firmware = $0 }
        string("nvram", 8) { c.nvramVersion = $0 }
        string("serial", 15) { c.serial = $0 }
        string("port_chip", 16) { c.portChip = $0 }
        if let v = o["cache"], let x = r.integer(v, o.sub("cache"), in: 0...0xFFFF_FFFF, what: "a cache size in bytes", sizes: true) {
            c.cacheBytes = UInt32(x)
        }
        if let v = o["irq"], let x = r.u8(v, o.sub("irq")) { c.irq = x }
    }

    private func disk(_ node: FixtureNode, _ path: String) -> DPTDisk? {
        guard let o = r.object(node, path, keys: ["vendor", "model", "revision", "serial", "capacity_mb", "blocks", "at", "status", "tid"],
                               required: ["vendor", "model", "at"],
                               examples: ["vendor": "SEAGATE", "model": "ST336753LW", "at": "b0t0d0"]) else { return nil }
        var d = DPTDisk(vendor: "", product: "", blocks: 0, id: 0)
        if let v = o["vendor"], let t = r.text(v, o.sub("vendor")) { d.vendor = t }
        if let v = o["model"], let t = r.text(v, o.sub("model")) { d.product = t }
        if let v = o["revision"], let t = r.text(v, o.sub("revision")) { d.revision = t }
        if let v = o["serial"], let t = r.text(v, o.sub("serial")) { d.serial = t }
        if o.has("capacity_mb") == o.has("blocks") {
            r.error(node, path, "give the disk's size as capacity_mb or blocks (one of them)", hint: "e.g. capacity_mb: 35003")
        }
        if let v = o["capacity_mb"], let x = r.integer(v, o.sub("capacity_mb"), in: 1...0x1F_FFFF, what: "a size in MB (1…2097151)") {
            d.blocks = UInt32(x * 2048)
        }
        if let v = o["blocks"], let x = r.integer(v, o.sub("blocks"), in: 1...0xFFFF_FFFF, what: "a count of 512-byte blocks") {
            d.blocks = UInt32(x)
        }
        if let v = o["at"], let t = r.text(v, o.sub("at"), what: "an address such as b0t1d0") {
            if let a = Self.parseAddress(t) { (d.bus, d.id, d.lun) = a } else {
                r.error(v, o.sub("at"), "'\(t)' is not a disk address", hint: "write b<bus>t<id>d<lun>, e.g. b0t1d0")
            }
        }
        if let v = o["tid"], let t = r.integer(v, o.sub("tid"), in: 0x200...0xFFE, what: "a TID (0x200…0xFFE)") { d.tid = UInt16(t) }
        if let v = o["status"] {
            let names = DPTDisk.Status.allCases.map(\.rawValue)
            if let t = r.text(v, o.sub("status")) {
                if let s = DPTDisk.Status(rawValue: t.lowercased()) { d.status = s } else {
                    r.error(v, o.sub("status"), "unknown disk status '\(t)'", hint: "known: " + names.joined(separator: ", "))
                }
            }
        }
        return d
    }

    /// "b0t1d0" → (0, 1, 0).
    static func parseAddress(_ s: String) -> (UInt8, UInt8, UInt8)? {
        let t = s.lowercased()
        guard t.hasPrefix("b"), let ti = t.firstIndex(of: "t"), let di = t.firstIndex(of: "d"), ti < di else { return nil }
        guard let b = UInt8(t[t.index(after: t.startIndex)..<ti]), let id = UInt8(t[t.index(after: ti)..<di]),
              let lun = UInt8(t[t.index(after: di)...]) else { return nil }
        return (b, id, lun)
    }

    /// The devices a firmware module derives, with the devices the fixture writes itself merged
    /// in: an entry whose TID is derived adds its groups, pages and failures to the derived
    /// device (its class must agree); any other TID is appended to the LCT as written.
    func merge(_ c: any IOPFirmware, written: [DeviceDescription], node: FixtureNode?, path: String) -> [DeviceDescription] {
        var out = c.derivedDevices()
        for w in written {
            if let k = out.firstIndex(where: { $0.tid == w.tid }) {
                if out[k].entry.classID != w.entry.classID {
                    r.error(node, path, "device \(w.tid) is derived from dpt: as \(ClassID.names[out[k].entry.classID.rawValue] ?? "?"); the written class disagrees",
                            hint: "write the derived class, or use a TID the dpt: section does not use")
                    continue
                }
                for (g, group) in w.groups { out[k].groups[g] = group }
                for (p, page) in w.htmlPages { out[k].htmlPages[p] = page }
                out[k].failures += w.failures
                if w.entry.eventCapabilities != 0 { out[k].entry.eventCapabilities = w.entry.eventCapabilities }
            } else {
                out.append(w)
            }
        }
        return out
    }
}
