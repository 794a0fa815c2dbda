import I2OFormats

/// What a DPT SCSI SCB addresses: the controller itself (TID 0), a physical disk or an array.
public enum DPTTarget: Hashable, Sendable {
    case controller
    case disk(Int)
    case array(Int)
    /// A TID that is no SCSI device (a bus port, a DDM …).
    case other
}

/// Fixed-format SCSI sense data (18 bytes): response code 0x70, key, ASC, ASCQ.
public struct DPTSense: Hashable, Sendable {
    public var key: UInt8
    public var asc: UInt8
    public var ascq: UInt8
    public init(key: UInt8, asc: UInt8, ascq: UInt8 = 0) { self.key = key; self.asc = asc; self.ascq = ascq }
    public var bytes: [UInt8] {
        [0x70, 0, key, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0]
    }
    /// ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE.
    public static let invalidOpcode = DPTSense(key: 0x05, asc: 0x20)
    /// ILLEGAL REQUEST / INVALID FIELD IN CDB (an unknown page).
    public static let invalidField = DPTSense(key: 0x05, asc: 0x24)
    /// ILLEGAL REQUEST / LOGICAL UNIT NOT SUPPORTED.
    public static let lunNotSupported = DPTSense(key: 0x05, asc: 0x25)
    /// ILLEGAL REQUEST / INVALID FIELD IN PARAMETER LIST.
    public static let invalidParameterList = DPTSense(key: 0x05, asc: 0x26)
    /// ILLEGAL REQUEST / LOGICAL BLOCK ADDRESS OUT OF RANGE.
    public static let lbaOutOfRange = DPTSense(key: 0x05, asc: 0x21)
    /// NOT READY / LOGICAL UNIT NOT READY (a failed drive or array).
    public static let notReady = DPTSense(key: 0x02, asc: 0x04)
}

/// The outcome of one SCSI command the firmware answers itself.
public enum DPTSCSIResult: Hashable, Sendable {
    /// GOOD, with the data sent to the host (already cut to the allocation length).
    case good([UInt8])
    /// CHECK CONDITION with this sense data.
    case checkCondition(DPTSense)
}

extension DPTController {
    /// The target a TID names.
    public func target(of tid: TID) -> DPTTarget {
        if tid == .executive { return .controller }
        let base = Int(Self.firstDeviceTID)
        let t = Int(tid.rawValue)
        if t >= base && t < base + disks.count { return .disk(t - base) }
        if t >= base + disks.count && t < base + disks.count + arrays.count { return .array(t - base - disks.count) }
        return .other
    }

    /// Answers one CDB as DPT firmware does (docs/dpt-protocol.md §Traffic, §Model).
    /// - Parameters:
    ///   - interpret, physical: the SCB's Interpret and Physical bits.
    ///   - dataOut: the data the host sends (MODE SELECT).
    public func scsi(_ cdb: [UInt8], to target: DPTTarget, interpret: Bool = true, physical: Bool = false,
                     dataOut: [UInt8] = []) -> DPTSCSIResult {
        guard let opcode = cdb.first else { return .checkCondition(.invalidOpcode) }
        var c = cdb
        while c.count < 16 { c.append(0) }
        let lun = c[1] >> 5
        let result: DPTSCSIResult
        switch target {
        case .controller:
            result = controllerCommand(c, lun: lun, physical: physical, dataOut: dataOut)
        case let .disk(i):
            guard disks.indices.contains(i) else { return .checkCondition(.lunNotSupported) }
            result = diskCommand(c, disk: i, dataOut: dataOut)
        case let .array(i):
            guard arrays.indices.contains(i) else { return .checkCondition(.lunNotSupported) }
            result = arrayCommand(c, array: i, dataOut: dataOut)
        case .other:
            return .checkCondition(.lunNotSupported)
        }
        guard case let .good(data) = result else { return result }
        return .good(Array(data.prefix(Self.allocationLength(c, opcode: opcode) ?? data.count)))
    }

    /// The allocation length of a CDB that has one.
    static func allocationLength(_ c: [UInt8], opcode: UInt8) -> Int? {
        switch opcode {
        case 0x12: return Int(c[3]) << 8 | Int(c[4])
        case 0x1A: return Int(c[4])
        case 0x5A, 0x4D: return Int(c[7]) << 8 | Int(c[8])
        default: return nil
        }
    }

    // MARK: - The controller (TID 0, Interpret)

    func controllerCommand(_ c: [UInt8], lun: UInt8, physical: Bool, dataOut: [UInt8]) -> DPTSCSIResult {
        let opcode = c[0]
        if lun != 0 {
            // An address with no device: INQUIRY says "no LUN here", everything else is refused.
            if opcode == 0x12, c[1] & 1 == 0 { return .good([0x7F] + [UInt8](repeating: 0, count: 35)) }
            return .checkCondition(.lunNotSupported)
        }
        switch opcode {
        case 0x00: return .good([])
        case 0x12:
            if c[1] & 1 != 0 { return vpd(c[2], serial: serial) }
            return .good(Self.inquiry(type: 0x03, vendor: vendor, product: model, revision: firmware, flags: 0x00))
        case 0x4D:
            switch c[2] & 0x3F {
            case 0x33: return .good(Self.logPage(0x33, hardwareLogParameters()))
            case 0x36: return .good(Self.logPage(0x36, physical ? arrayListParameter() : []))
            default: return .checkCondition(.invalidField)
            }
        case 0x1A, 0x5A:
            let page = c[2] & 0x3F
            let body: [UInt8]
            switch page {
            case 0x2E: body = nvramPage()
            case 0x2A: body = papPage()
            case 0x22: body = [UInt8](repeating: 0, count: 0x0E)
            case 0x3C: body = [UInt8](repeating: 0, count: 0x20)
            case 0x3D: body = [UInt8](repeating: 0, count: 0x10)
            case 0x3E: body = [UInt8](repeating: 0, count: 0x08)
            case 0x08: body = [UInt8](repeating: 0, count: 0x12)
            case 0x03: body = [UInt8](repeating: 0, count: 0x16)
            default: return .checkCondition(.invalidField)
            }
            return .good(Self.modeSense(ten: opcode == 0x5A, page: page, body: body))
        case 0x0E: return .good([])
        case 0x15: return modeSelect(dataOut)
        default: return .checkCondition(.invalidOpcode)
        }
    }

    // MARK: - Physical disks

    func diskCommand(_ c: [UInt8], disk i: Int, dataOut: [UInt8]) -> DPTSCSIResult {
        let d = disks[i]
        let opcode = c[0]
        let failed = d.status == .failed
        switch opcode {
        case 0x12:
            if c[1] & 1 != 0 { return vpd(c[2], serial: d.serial) }
            return .good(Self.inquiry(type: 0x00, vendor: d.vendor, product: d.product, revision: d.revision, flags: 0x32))
        case 0x1A, 0x5A:
            let page = c[2] & 0x3F
            let body: [UInt8]
            switch page {
            case 0x32: body = be32(diskMagic(i))
            case 0x3E: body = [UInt8](repeating: 0, count: 0x08)
            case 0x08: body = [UInt8](repeating: 0, count: 0x12)
            case 0x03: body = [UInt8](repeating: 0, count: 0x16)
            default: return .checkCondition(.invalidField)
            }
            return .good(Self.modeSense(ten: opcode == 0x5A, page: page, body: body))
        default:
            break
        }
        if failed { return .checkCondition(.notReady) }
        switch opcode {
        case 0x00: return .good([])
        case 0x25: return .good(be32(d.blocks > 0 ? d.blocks - 1 : 0) + be32(512))
        case 0x28: return read(c, blocks: d.blocks)
        case 0x4D:
            guard c[2] & 0x3F == 0x33 else { return .checkCondition(.invalidField) }
            return .good(Self.logPage(0x33, [UInt8](repeating: 0, count: 0x10)))
        case 0x0E: return .good([])
        case 0x15: return modeSelect(dataOut)
        default: return .checkCondition(.invalidOpcode)
        }
    }

    // MARK: - Arrays

    func arrayCommand(_ c: [UInt8], array i: Int, dataOut: [UInt8]) -> DPTSCSIResult {
        let opcode = c[0]
        switch opcode {
        case 0x12:
            if c[1] & 1 != 0 { return vpd(c[2], serial: serial + "-\(i)") }
            return .good(Self.inquiry(type: 0x00, vendor: vendor, product: arrayProduct(i), revision: firmware, flags: 0x02))
        case 0x1A, 0x5A:
            let page = c[2] & 0x3F
            let body: [UInt8]
            switch page {
            case 0x30:
                // LAP #2: the page length says 28; the member elements follow at page + 2 + 28.
                return .good(Self.modeSense(ten: opcode == 0x5A, page: page, body: lapPage(i), pageLength: 28))
            case 0x3C: body = [UInt8](repeating: 0, count: 0x20)
            case 0x3D: body = [UInt8](repeating: 0, count: 0x10)
            case 0x08: body = [UInt8](repeating: 0, count: 0x12)
            default: return .checkCondition(.invalidField)
            }
            return .good(Self.modeSense(ten: opcode == 0x5A, page: page, body: body))
        case 0x0E: return .good([])
        default: break
        }
        if arrayStatus(i) == .failed { return .checkCondition(.notReady) }
        let blocks = arrayBlocks(i)
        switch opcode {
        case 0x00: return .good([])
        case 0x25: return .good(be32(blocks > 0 ? blocks - 1 : 0) + be32(512))
        case 0x28: return read(c, blocks: blocks)
        default: return .checkCondition(.invalidOpcode)
        }
    }

    // MARK: - Pages

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

    /// VPD pages: 0x00 (list), 0x80 (unit serial number), 0xC0/0xC1 (DPT pages, zero-filled).
    func vpd(_ page: UInt8, serial: String) -> DPTSCSIResult {
        switch page {
        case 0x00: return .good([0x00, 0x00, 0x00, 0x04, 0x00, 0x80, 0xC0, 0xC1])
        case 0x80:
            let s = Array(serial.utf8.prefix(32))
            return .good([0x00, 0x80, 0x00, UInt8(s.count)] + s)
        case 0xC0, 0xC1: return .good([0x00, page, 0x00, 0x20] + [UInt8](repeating: 0, count: 0x20))
        default: return .checkCondition(.invalidField)
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
        p += Self.logParameter(9, [0x80, 0x00, 100, 0x00])        // CPU type, speed
        p += Self.logParameter(11, [0x01, 0x00, 0x0B, 0xC8])      // firmware type 0x0BC8, pre-"I2O ver2" list form
        for n in buses.indices { p += Self.logParameter(13, [UInt8(truncatingIfNeeded: n), 0x01]) }
        p += Self.logParameter(14, [24, 16, 16, 0])               // max arrays …
        return p
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

    /// NVRAM image (page 0x2E): 128 bytes; NVRAM version at 104, serial at 112.
    func nvramPage() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 128)
        for (k, x) in nvramVersion.utf8.prefix(8).enumerated() { b[104 + k] = x }
        for (k, x) in serial.utf8.prefix(15).enumerated() { b[112 + k] = x }
        return b
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
    /// 0x18) per member. Offsets inside the 28 bytes are the model's (UNVERIFIED): 0 status,
    /// 1 RAID level, 2–3 component count, 4–7 LSU magic, 8–11 capacity, 12–15 block size.
    /// Member element: 0 status, 1 HBA, 2 chan, 3 lun, 4–7 id, 8–11 magic, 12–15 capacity,
    /// 16–19 start block, 20–23 stripe (all BE).
    func lapPage(_ i: Int) -> [UInt8] {
        let a = arrays[i]
        var b: [UInt8] = [arrayStatus(i).rawValue, a.level] + be16(UInt16(truncatingIfNeeded: a.members.count))
        b += be32(arrayMagic(i)) + be32(arrayBlocks(i)) + be32(512)
        b += [UInt8](repeating: 0, count: 28 - b.count)
        for m in a.members where disks.indices.contains(m) {
            let d = disks[m]
            let usable = d.blocks > Self.reservedBlocksPerMember ? d.blocks - Self.reservedBlocksPerMember : 0
            var e: [UInt8] = [0x31, 0x18, d.status == .failed ? 0x03 : 0x00, 0x00, d.bus, d.lun]
            e += be32(UInt32(d.id)) + be32(diskMagic(m)) + be32(usable) + be32(0) + be32(a.stripeBlocks)
            b += e
        }
        return b
    }

    /// MODE SELECT(6): accepted for page 0x3E (the reserved-block boundary), refused otherwise.
    func modeSelect(_ data: [UInt8]) -> DPTSCSIResult {
        guard data.count >= 4 else { return .checkCondition(.invalidParameterList) }
        let at = 4 + Int(data[3])
        guard at < data.count, data[at] & 0x3F == 0x3E else { return .checkCondition(.invalidParameterList) }
        return .good([])
    }

    /// READ(10) of zeros inside the capacity.
    func read(_ c: [UInt8], blocks: UInt32) -> DPTSCSIResult {
        let lba = UInt64(c[2]) << 24 | UInt64(c[3]) << 16 | UInt64(c[4]) << 8 | UInt64(c[5])
        let count = UInt64(c[7]) << 8 | UInt64(c[8])
        guard lba + count <= UInt64(blocks) else { return .checkCondition(.lbaOutOfRange) }
        return .good([UInt8](repeating: 0, count: Int(min(count, 128)) * 512))
    }
}
