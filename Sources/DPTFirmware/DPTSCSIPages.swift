import I2OFormats
import IOPModel

/// The data of the SCSI front end's answers: INQUIRY, VPD, mode and log pages (DPTSCSICodes.swift
/// says who answers which).
extension DPTController {
    /// Standard INQUIRY data: 96 bytes, ANSI version 2, additional length 91.
    static func inquiry(type: UInt8, vendor: String, product: String, revision: String, flags: UInt8) -> [UInt8] {
        var b: [UInt8] = [type, 0x00, 0x02, 0x02, 91, 0x00, 0x00, flags]
        b += Self.padded(vendor, 8) + Self.padded(product, 16) + Self.padded(revision, 4)
        b += [UInt8](repeating: 0, count: 96 - b.count)
        return b
    }

    /// Space-padded ASCII of exactly `width` bytes (SCSI identification fields).
    static func padded(_ s: String, _ width: Int) -> [UInt8] {
        var b = Array(s.utf8.prefix(width))
        while b.count < width { b.append(0x20) }
        return b
    }

    /// A VPD page (`DPTVPDPage`): a 4-byte header (device type 0, page code, length), then the data.
    func vpd(_ code: UInt8, serial: String) -> DPTSCSIResult {
        guard let page = DPTVPDPage(rawValue: code) else { return .checkCondition(.invalidField) }
        let data: [UInt8] = switch page {
        case .supportedPages: DPTVPDPage.allCases.map(\.rawValue)
        case .unitSerialNumber: Array(serial.utf8.prefix(32))
        case .dptC0, .eataReadConfig: [UInt8](repeating: 0, count: 0x20)
        }
        return .good([0x00, page.rawValue, 0x00, UInt8(data.count)] + data)
    }

    /// The body of a mode page that is not zero-filled (`DPTModePage.row`).
    func modePageBody(_ page: DPTModePage, of target: DPTTarget, defaults: Bool = false) -> [UInt8] {
        switch (page, target) {
        case (.nvram, _): defaults ? factoryNVRAM() : nvramImage()
        case let (.caching, .array(i)): cachingPage(writeBack: !defaults && arrays[i].writeBack)
        case (.caching, _): cachingPage(writeBack: false)
        case let (.logicalArray, .disk(d)): array(of: d).map(lapPage) ?? []
        case (.physicalArray, _): papPage()
        case let (.magicNumber, .disk(i)): be32(diskMagic(i))
        case let (.logicalArray, .array(i)): lapPage(i)
        default: []
        }
    }

    /// The parameters of a log page.
    func logParameters(_ page: DPTLogPage, of target: DPTTarget, physical: Bool, first: Int = 0) -> [UInt8] {
        switch (page, target) {
        case (.eventLog, _): eventLogParameters(from: first)
        case (.boardLog, _): []
        case (.hardwareConfiguration, .controller): hardwareLogParameters()
        case (.hardwareConfiguration, _): [UInt8](repeating: 0, count: 0x10)
        // Physical: the firmware-level arrays; else the driver-level ones, of which there are none.
        case (.logicalDeviceList, _): physical ? arrayListParameter() : []
        }
    }

    /// A log page: code, 0, length (BE), parameters.
    static func logPage(_ code: UInt8, _ parameters: [UInt8]) -> [UInt8] {
        [code, 0x00] + be16(UInt16(truncatingIfNeeded: parameters.count)) + parameters
    }

    /// One log parameter: code (BE), control byte, length, data.
    static func logParameter(_ code: UInt16, _ data: [UInt8]) -> [UInt8] {
        be16(code) + [0x00, UInt8(truncatingIfNeeded: data.count)] + data
    }

    /// LOG SENSE 0x33 (hardware configuration), docs/dpt-protocol.md §Model #13.
    func hardwareLogParameters() -> [UInt8] {
        var p: [UInt8] = []
        p += Self.logParameter(1, [0x40, irq])                    // NVRAM present, IRQ
        p += Self.logParameter(2, [0x00])
        p += Self.logParameter(4, be32(cacheBytes))               // memory bytes → "Cache NNMB"
        p += Self.logParameter(7, [0x50, 0x00])                   // PCI 33 MHz
        p += Self.logParameter(8, [0x52])                         // wide ultra
        // CPU type with the alarm's capability bit (0x04), speed, alarm sounding (byte 3 bit 0x40)
        p += Self.logParameter(9, [0x84, 0x00, 100, settings.alarmSounding ? 0x40 : 0x00])
        p += Self.logParameter(11, [0x01, 0x00, 0x0B, 0xC8])      // firmware type 0x0BC8, pre-"I2O ver2" list form
        for n in buses.indices { p += Self.logParameter(13, [UInt8(truncatingIfNeeded: n), 0x01]) }
        p += Self.logParameter(14, arrayLimits())
        return p
    }

    /// LOG SENSE 0x33 parameter 0x0E (22 bytes): max LSUs, RAID-0 and RAID-3/5 max components,
    /// reserved, then u16 (big-endian) min / max / default stripe in blocks of RAID-0, RAID-3 and
    /// RAID-5. With fewer bytes the tools refuse to create RAID-0 and RAID-5.
    func arrayLimits() -> [UInt8] {
        var b: [UInt8] = [UInt8(Self.maxArrays), UInt8(Self.maxComponents), UInt8(Self.maxComponents), 0]
        for _ in 0..<3 { b += be16(16) + be16(1024) + be16(128) }
        return b
    }

    /// Mode page 8 (caching), 18 bytes: byte 0 (page byte 2) bit 0x04 = write-back (WCE).
    func cachingPage(writeBack: Bool) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 0x12)
        if writeBack { b[0] = 0x04 }
        return b
    }

    /// LOG SENSE 0x36 parameter 1: two bytes per firmware-level array, chan and id<<4 | lun.
    func arrayListParameter() -> [UInt8] {
        var list: [UInt8] = []
        for i in arrays.indices {
            let a = arrayAddress(i)
            list += [a.bus, a.id << 4 | (a.lun & 0x0F)]
        }
        return Self.logParameter(1, list)
    }

    /// MODE SENSE data: a header (4 bytes for the 6-byte CDB, 8 for the 10-byte one; no block
    /// descriptors), then the page (code, length, body).
    /// `pageLength` is the page's length byte when it differs from the body (LAP #2: 28, with the
    /// member elements after it).
    static func modeSense(ten: Bool, page: UInt8, body: [UInt8], pageLength: Int? = nil) -> [UInt8] {
        let pageBytes = [page, UInt8(truncatingIfNeeded: pageLength ?? body.count)] + body
        if ten {
            return be16(UInt16(truncatingIfNeeded: pageBytes.count + 6)) + [0, 0, 0, 0, 0, 0] + pageBytes
        }
        return [UInt8(truncatingIfNeeded: pageBytes.count + 3), 0, 0, 0] + pageBytes
    }

    /// Physical array page (0x2A): 249 status bytes indexed by `papIndex(bus:id:)`.
    func papPage() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 249)
        for i in disks.indices {
            let k = Self.papIndex(bus: disks[i].bus, id: disks[i].id)
            if k < b.count { b[k] = papStatus(disk: i) }
        }
        return b
    }

    /// LAP #2 (page 0x30): 28 bytes of array data, then one 26-byte element (page 0x31, length
    /// 0x18) per member (docs/dpt-protocol.md §Open; all big-endian): 0 status (low nibble main,
    /// high nibble sub), 1 RAID level, 2–3 component count, 4–7 LSU magic, 8–11 capacity in
    /// blocks, 12–13 block size (u16), 14 LSU target id, 15 flags, 16 LSU LUN, 17 background
    /// rate, 18–19 background amount, 20–23 blocks complete (task progress), 24–27 verify errors.
    /// Member element: 0 status, 1 HBA (0: this one), 2 channel, 3 LUN, 4–7 id, 8–11 magic,
    /// 12–15 capacity, 16–19 start block, 20–21 stripe (u16), 22–23 reserved (offsets after the
    /// element's `31 18` header).
    func lapPage(_ i: Int) -> [UInt8] {
        let a = arrays[i]
        let at = arrayAddress(i)
        var b: [UInt8] = [arrayStatus(i).rawValue, a.level] + be16(UInt16(truncatingIfNeeded: a.members.count))
        b += be32(arrayMagic(i)) + be32(arrayBlocks(i)) + be16(512) + [at.id, 0, at.lun]
        b += [a.rate] + be16(a.amount) + be32(a.task?.done ?? 0) + be32(a.verifyErrors)
        let usable = memberBlocks(i)
        for m in a.members where disks.indices.contains(m) {
            let d = disks[m]
            var e: [UInt8] = [0x31, 0x18, papStatus(disk: m) == 0x02 ? 0x00 : papStatus(disk: m), 0x00, d.bus, d.lun]
            e += be32(UInt32(d.id)) + be32(diskMagic(m)) + be32(usable) + be32(0)
            e += be16(UInt16(truncatingIfNeeded: a.stripeBlocks)) + [0, 0]
            b += e
        }
        return b
    }

    /// READ(10) of zeros inside the capacity.
    func read(_ c: [UInt8], blocks: UInt32) -> DPTSCSIResult {
        let lba = UInt64(c[2]) << 24 | UInt64(c[3]) << 16 | UInt64(c[4]) << 8 | UInt64(c[5])
        let count = UInt64(c[7]) << 8 | UInt64(c[8])
        guard lba + count <= UInt64(blocks) else { return .checkCondition(.lbaOutOfRange) }
        return .good([UInt8](repeating: 0, count: Int(min(count, 128)) * 512))
    }
}
