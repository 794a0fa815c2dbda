import DPTFirmware
import I2OFormats
import IOPModel

/// The parts of a `dpt:` section a management tool changes: the LSUs with their identity, task
/// and settings, and the controller's settings (clock, alarm, NVRAM, event log, flash).
/// `ctl snapshot` writes them (`FixtureYAML.dpt`), the loader reads them back.
extension Interpreter {
    static let dptArrayKeys = ["raid", "members", "stripe", "tid", "magic", "blocks", "member_blocks", "at", "write_back",
                               "rate", "amount", "task", "done", "verify_errors"]

    func dptArray(_ node: FixtureNode, _ p: String, addresses: [String: Int]) -> DPTArray? {
        guard let ao = r.object(node, p, keys: Self.dptArrayKeys, required: ["raid", "members"],
                                examples: ["raid": "1", "members": "[b0t0d0, b0t1d0]"]) else { return nil }
        var array = DPTArray(level: 0, members: [])
        if let x = ao["raid"] {
            if case let .scalar(s) = x, s.string.lowercased() == "spare" { array.level = DPTArray.hotSpare }
            else if let level = r.integer(x, ao.sub("raid"), in: 0...10, what: "a RAID level (0, 1, 5, 10, or spare)") { array.level = UInt8(level) }
        }
        if let x = ao["stripe"], let s = r.u32(x, ao.sub("stripe"), what: "a stripe size in blocks") { array.stripeBlocks = s }
        if let x = ao["members"], let ml = r.list(x, ao.sub("members"), of: "member addresses") {
            for (k, m) in ml.enumerated() {
                let mp = ao.sub("members") + "[\(k)]"
                guard let t = r.text(m, mp, what: "a disk address such as b0t1d0") else { continue }
                guard let index = addresses[t.lowercased()] else {
                    r.error(m, mp, "no disk at '\(t)'", hint: "name a disk listed under disks by its address, e.g. b0t1d0")
                    continue
                }
                array.members.append(index)
            }
        }
        if let x = ao["tid"], let t = r.integer(x, ao.sub("tid"), in: 0x200...0xFFE, what: "a TID (0x200…0xFFE)") { array.tid = UInt16(t) }
        if let x = ao["magic"], let m = r.integer(x, ao.sub("magic"), in: 1...0x7FFF_FFFF, what: "a magic number (bit 31 clear)") { array.magic = UInt32(m) }
        if let x = ao["blocks"], let b = r.u32(x, ao.sub("blocks"), what: "a count of 512-byte blocks") { array.blocks = b }
        if let x = ao["member_blocks"], let b = r.u32(x, ao.sub("member_blocks"), what: "a count of 512-byte blocks") { array.memberBlocks = b }
        if let x = ao["at"], let t = r.text(x, ao.sub("at"), what: "an address such as b0t2d0") {
            if let a = Self.parseAddress(t) { array.address = DPTAddress(bus: a.0, id: a.1, lun: a.2) } else {
                r.error(x, ao.sub("at"), "'\(t)' is not an address", hint: "write b<bus>t<id>d<lun>, e.g. b0t2d0")
            }
        }
        if let x = ao["write_back"], let b = r.bool(x, ao.sub("write_back")) { array.writeBack = b }
        if let x = ao["rate"], let v = r.u8(x, ao.sub("rate")) { array.rate = v }
        if let x = ao["amount"], let v = r.u16(x, ao.sub("amount")) { array.amount = v }
        if let x = ao["verify_errors"], let v = r.u32(x, ao.sub("verify_errors")) { array.verifyErrors = v }
        if let x = ao["task"], let t = r.text(x, ao.sub("task")) {
            if let kind = DPTTask.Kind(rawValue: t.lowercased()) { array.task = DPTTask(kind: kind) } else {
                r.error(x, ao.sub("task"), "unknown task '\(t)'", hint: "known: " + DPTTask.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let x = ao["done"], let v = r.u32(x, ao.sub("done"), what: "blocks done") {
            if array.task == nil { r.error(x, ao.sub("done"), "done without a task", hint: "add task: build, rebuild, verify or verify-fix") }
            array.task?.done = v
        }
        return array
    }

    func dptSettings(_ node: FixtureNode, _ p: String) -> DPTSettings {
        var s = DPTSettings()
        guard let o = r.object(node, p, keys: ["clock", "alarm_sounding", "nvram", "events", "flash"]) else { return s }
        if let v = o["clock"], let t = r.u32(v, o.sub("clock"), what: "a Unix time") { s.clockSet = t }
        if let v = o["alarm_sounding"], let b = r.bool(v, o.sub("alarm_sounding")) { s.alarmSounding = b }
        if let v = o["nvram"], let b = r.hexObject(v, o.sub("nvram")) {
            if b.count != 128 || b.reduce(UInt8(0), &+) != 0 {
                r.error(v, o.sub("nvram"), "an NVRAM image is 128 bytes whose sum is 0 (mod 256); this one has \(b.count) bytes, sum \(b.reduce(UInt8(0), &+))",
                        hint: "set byte 127 to 0 minus the sum of bytes 0–126")
            } else { s.nvram = b }
        }
        if let v = o["events"], let list = r.list(v, o.sub("events"), of: "events") {
            for (i, e) in list.enumerated() {
                let ep = o.sub("events") + "[\(i)]"
                guard let eo = r.object(e, ep, keys: ["severity", "code", "time", "message"], required: ["severity", "code"]) else { continue }
                var event = DPTEvent(severity: .info, code: .driveFailed, time: 0, message: "")
                if let x = eo["severity"], let n = r.integer(x, eo.sub("severity"), in: 1...4, what: "a severity (1…4)") {
                    event.severity = DPTEvent.Severity(rawValue: UInt8(n)) ?? .info
                }
                if let x = eo["code"], let n = r.u16(x, eo.sub("code")) {
                    if let c = DPTEvent.Code(rawValue: n) { event.code = c } else { r.error(x, eo.sub("code"), "unknown event code \(hex(n))") }
                }
                if let x = eo["time"], let t = r.u32(x, eo.sub("time")) { event.time = t }
                if let x = eo["message"], let t = r.text(x, eo.sub("message")) { event.message = t }
                s.events.append(event)
            }
        }
        if let v = o["flash"], let list = r.list(v, o.sub("flash"), of: "flash blocks") {
            for (i, f) in list.enumerated() {
                let fp = o.sub("flash") + "[\(i)]"
                guard let fo = r.object(f, fp, keys: ["region", "offset", "hex"], required: ["region", "offset", "hex"]) else { continue }
                guard let region = fo["region"].flatMap({ r.integer($0, fo.sub("region"), in: 0...3, what: "a flash region (0…3)") }),
                      let offset = fo["offset"].flatMap({ r.u32($0, fo.sub("offset")) }),
                      let h = fo["hex"], let t = r.text(h, fo.sub("hex")) else { continue }
                guard let bytes = Reader.parseHex(t) else { r.error(h, fo.sub("hex"), "'\(t)' is not hex bytes"); continue }
                s.flash.append(DPTFlashBlock(region: Int(region), offset: offset, bytes: bytes))
            }
        }
        return s
    }
}

extension FixtureYAML {
    /// A `dpt:` section (indented for an IOP of a machine's `iops:` list) that the loader reads
    /// back to `c`.
    public static func dpt(_ c: DPTController) -> String {
        var o = "    dpt:\n"
        o += "      controller: {vendor: \(quote(c.vendor)), model: \(quote(c.model)), firmware: \(quote(c.firmware)), "
        o += "nvram: \(quote(c.nvramVersion)), serial: \(quote(c.serial)), cache: \(c.cacheBytes), irq: \(c.irq), port_chip: \(quote(c.portChip))}\n"
        o += "      flash_regions: [\(c.flashRegionSizes.map { hex($0) }.joined(separator: ", "))]\n"
        o += "      buses:\n" + c.buses.map { "        - {initiator_id: \($0.initiatorID)}\n" }.joined()
        if c.disks.isEmpty { o += "      disks: []\n" } else { o += "      disks:\n" }
        for d in c.disks {
            o += "        - {vendor: \(quote(d.vendor)), model: \(quote(d.product)), revision: \(quote(d.revision)), serial: \(quote(d.serial)), "
            o += "blocks: \(d.blocks), at: \(d.address), status: \(d.status.rawValue)\(d.tid.map { ", tid: " + hex($0, width: 3) } ?? "")}\n"
        }
        if c.arrays.isEmpty { o += "      arrays: []\n" } else { o += "      arrays:\n" }
        for a in c.arrays {
            var parts = ["raid: \(a.isHotSpare ? "spare" : String(a.level))",
                         "members: [\(a.members.map { c.disks.indices.contains($0) ? c.disks[$0].address : "?" }.joined(separator: ", "))]",
                         "stripe: \(a.stripeBlocks)"]
            if let t = a.tid { parts.append("tid: \(hex(t, width: 3))") }
            if let m = a.magic { parts.append("magic: \(hex(m, width: 8))") }
            if let b = a.blocks { parts.append("blocks: \(b)") }
            if let b = a.memberBlocks { parts.append("member_blocks: \(b)") }
            if let at = a.address { parts.append("at: \(at.text)") }
            if a.writeBack { parts.append("write_back: true") }
            if a.rate != 0 { parts.append("rate: \(a.rate)") }
            if a.amount != 0 { parts.append("amount: \(a.amount)") }
            if let t = a.task { parts += ["task: \(t.kind.rawValue)", "done: \(t.done)"] }
            if a.verifyErrors != 0 { parts.append("verify_errors: \(a.verifyErrors)") }
            o += "        - {\(parts.joined(separator: ", "))}\n"
        }
        let s = c.settings
        o += "      settings:\n        clock: \(s.clockSet)\n        alarm_sounding: \(s.alarmSounding)\n"
        if let n = s.nvram { o += "        nvram: {hex: \(quote(hexBytes(n)))}\n" }
        if s.events.isEmpty { o += "        events: []\n" } else { o += "        events:\n" }
        for e in s.events {
            o += "          - {severity: \(e.severity.rawValue), code: \(hex(e.code.rawValue)), time: \(e.time), message: \(quote(e.message))}\n"
        }
        if s.flash.isEmpty { o += "        flash: []\n" } else { o += "        flash:\n" }
        for f in s.flash { o += "          - {region: \(f.region), offset: \(hex(f.offset)), hex: \(quote(hexBytes(f.bytes)))}\n" }
        if let status = c.failEveryMessage { o += "      fail_every_message: \(hex(status.rawValue))\n" }
        return o
    }
}
