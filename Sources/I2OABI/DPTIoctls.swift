import I2OFormats

/// The ioctls of the dpt_i2o host driver's management node `/dev/dptiN` (docs/dpti.md), numbered
/// as its `dpti_ioctl.h` numbers them: magic 'D', the size field `sizeof` the declared type, which
/// differs between x86_64 and i386 where the type holds a C `long` (`uLONG`, `sigLONG`).
public enum DPTIoctl: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case signature, controllerInfo, systemInfo, blinkLED, userCommand, rescan, reset, targetBusy

    /// The header's macro name.
    public var name: String {
        switch self {
        case .signature: "DPT_SIGNATURE"; case .controllerInfo: "DPT_CTRLINFO"; case .systemInfo: "DPT_SYSINFO"
        case .blinkLED: "DPT_BLINKLED"; case .userCommand: "I2OUSRCMD"; case .rescan: "I2ORESCANCMD"
        case .reset: "I2ORESETCMD"; case .targetBusy: "DPT_TARGET_BUSY"
        }
    }
    public var description: String { name }

    /// The `nr` byte.
    public var nr: UInt8 {
        switch self {
        case .signature: 67; case .controllerInfo: 69; case .systemInfo: 72; case .blinkLED: 75
        case .userCommand: 76; case .rescan: 77; case .reset: 78; case .targetBusy: 79
        }
    }

    /// The size field of the number: `sizeof` the type the header names (0 for the `_IO` ones).
    /// DPT_CTRLINFO names `CtrlInfo` (56/72 bytes) although the driver writes a `drvrHBAinfo_S`.
    public func encodedSize(_ abi: CallerABI) -> Int {
        let lp = abi == .lp64
        switch self {
        case .signature: return DPTSignature.byteCount(abi)
        case .controllerInfo: return lp ? 72 : 56
        case .systemInfo: return DPTSystemInfo.byteCount(abi)
        case .blinkLED: return 4
        case .userCommand, .rescan, .reset: return 0
        case .targetBusy: return DPTTargetBusy.byteCount(abi)
        }
    }

    /// The ioctl number a caller of `abi` uses: `_IOR('D', nr, type)`, or `_IO('D', nr)`.
    public func number(_ abi: CallerABI) -> UInt32 {
        let size = UInt32(encodedSize(abi))
        let direction: UInt32 = size == 0 ? 0 : 2
        return direction << 30 | size << 16 | 0x44 << 8 | UInt32(nr)
    }

    /// The ioctl `command` names for a caller of `abi`; nil for any other number (the driver's
    /// `default:` → EINVAL), including a number whose size field belongs to the other ABI.
    public static func decode(_ command: UInt32, abi: CallerABI) -> DPTIoctl? {
        guard command >> 8 & 0xFF == 0x44 else { return nil }
        return allCases.first { $0.number(abi) == command }
    }

    /// The ioctl with this macro name (`DPT_SIGNATURE`), case-insensitive.
    public static func named(_ name: String) -> DPTIoctl? {
        allCases.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// `dpt_sig_S` (`dptsig.h`, packed): the driver's signature, which DPT_SIGNATURE copies out whole.
/// 81 bytes for i386, 85 for x86_64 (`dsOS` is a `sigLONG`, an `unsigned long`).
public struct DPTSignature: Sendable, Hashable {
    public var processorFamily: UInt8
    public var processor: UInt8
    public var fileType: UInt8 = 2            // FT_HBADRVR
    public var fileTypeFlags: UInt8 = 0
    public var oem: UInt8 = 0                 // OEM_DPT
    public var operatingSystems: UInt32 = 0x0100_0000   // OS_LINUX
    public var capabilities: UInt16 = 0x0040  // CAP_OVERLAP
    public var deviceSupport: UInt16 = 0xFFFF // DEV_ALL
    public var adapterSupport: UInt16 = 0x0400 // ADF_ALL_SC5
    public var application: UInt16 = 0
    public var requirements: UInt8 = 0
    public var version: UInt8 = 2             // DPT_VERSION
    public var revision: UInt8 = 0x34         // DPT_REVISION '4'
    public var subRevision: UInt8 = 0x35      // DPT_SUBREVISION '5'
    public var month: UInt8 = 8
    public var day: UInt8 = 7
    public var year: UInt8 = 21               // 2001 - 1980
    public var text = "Adaptec Linux I2O RAID Driver"

    /// `dsDescription_size`.
    public static let descriptionBytes = 50

    /// The driver's `DPTI_sig` as a kernel of `abi` builds it: on i386 PROC_INTEL and
    /// PROC_386|486|PENTIUM|SEXIUM; on x86_64 the `#else` branch, (-1),(-1).
    public static func driver(_ abi: CallerABI) -> DPTSignature {
        abi == .ilp32 ? DPTSignature(processorFamily: 0x00, processor: 0x3C) : DPTSignature(processorFamily: 0xFF, processor: 0xFF)
    }

    public static func byteCount(_ abi: CallerABI) -> Int { abi == .lp64 ? 85 : 81 }

    public func encode(_ abi: CallerABI) -> [UInt8] {
        var b: [UInt8] = Array("dPtSiG".utf8)
        b += [1, processorFamily, processor, fileType, fileTypeFlags, oem]   // dsSigVersion = SIG_VERSION
        if abi == .lp64 { b.appendLE64(UInt64(operatingSystems)) } else { b.appendLE32(operatingSystems) }
        for w in [capabilities, deviceSupport, adapterSupport, application] { b.appendLE16(w) }
        b += [requirements, version, revision, subRevision, month, day, year]
        var d = Array(text.utf8.prefix(Self.descriptionBytes - 1))
        d += [UInt8](repeating: 0, count: Self.descriptionBytes - d.count)
        return b + d
    }

    public static func decode(_ b: [UInt8], abi: CallerABI) -> DPTSignature? {
        guard b.count >= byteCount(abi), b.prefix(6).elementsEqual("dPtSiG".utf8) else { return nil }
        let long = abi == .lp64 ? 8 : 4
        var s = DPTSignature(processorFamily: b[7], processor: b[8])
        s.fileType = b[9]; s.fileTypeFlags = b[10]; s.oem = b[11]
        s.operatingSystems = b.le32(at: 12)
        let w = 12 + long
        s.capabilities = b.le16(at: w); s.deviceSupport = b.le16(at: w + 2)
        s.adapterSupport = b.le16(at: w + 4); s.application = b.le16(at: w + 6)
        let r = w + 8
        (s.requirements, s.version, s.revision, s.subRevision) = (b[r], b[r + 1], b[r + 2], b[r + 3])
        (s.month, s.day, s.year) = (b[r + 4], b[r + 5], b[r + 6])
        let d = b[(r + 7)..<(r + 7 + descriptionBytes)]
        s.text = String(decoding: d.prefix { $0 != 0 }, as: UTF8.self)
        return s
    }
}

/// `drvrHBAinfo_S` (`dpti_ioctl.h`, natural alignment): what DPT_CTRLINFO writes. 28 bytes for
/// i386, 48 for x86_64 (`baseAddr` and the three reserved words are `uLONG`s).
public struct DPTHBAInfo: Sendable, Hashable {
    /// `length` ("remaining length"): the driver leaves it 0.
    public var length: UInt16 = 0
    public var hbaNumber: UInt16
    public var baseAddress: UInt64
    public var blinkState: UInt16
    public var pciBus: UInt8
    public var pciDevice: UInt8
    /// FLG_OSD_PCI_VALID | FLG_OSD_DMA | FLG_OSD_I2O.
    public var hbaFlags: UInt16 = 0x0007
    public var interrupt: UInt16

    public init(hbaNumber: UInt16, baseAddress: UInt64, blinkState: UInt16, pciBus: UInt8, pciDevice: UInt8, interrupt: UInt16) {
        self.hbaNumber = hbaNumber; self.baseAddress = baseAddress; self.blinkState = blinkState
        self.pciBus = pciBus; self.pciDevice = pciDevice; self.interrupt = interrupt
    }

    public static func byteCount(_ abi: CallerABI) -> Int { abi == .lp64 ? 48 : 28 }

    public func encode(_ abi: CallerABI) -> [UInt8] {
        var b: [UInt8] = []
        b.appendLE16(length); b.appendLE16(hbaNumber)
        if abi == .lp64 { b.appendLE32(0); b.appendLE64(baseAddress) } else { b.appendLE32(UInt32(truncatingIfNeeded: baseAddress)) }
        b.appendLE16(blinkState); b += [pciBus, pciDevice]; b.appendLE16(hbaFlags); b.appendLE16(interrupt)
        b += [UInt8](repeating: 0, count: abi == .lp64 ? 24 : 12)   // reserved1..3
        return b
    }

    public static func decode(_ b: [UInt8], abi: CallerABI) -> DPTHBAInfo? {
        guard b.count >= byteCount(abi) else { return nil }
        let lp = abi == .lp64
        let base: UInt64 = lp ? UInt64(b.le32(at: 8)) | UInt64(b.le32(at: 12)) << 32 : UInt64(b.le32(at: 4))
        let o = lp ? 16 : 8
        var h = DPTHBAInfo(hbaNumber: b.le16(at: 2), baseAddress: base, blinkState: b.le16(at: o), pciBus: b[o + 2],
                           pciDevice: b[o + 3], interrupt: b.le16(at: o + 6))
        h.length = b.le16(at: 0)
        h.hbaFlags = b.le16(at: o + 4)
        return h
    }
}

/// `sysInfo_S` (`sys_info.h`, packed): what DPT_SYSINFO writes. 92 bytes for i386, 100 for x86_64
/// (`extendedMemSize` and `osType` are `uLONG`s). The driver fills only the OS, the bus and the
/// processor; the rest (CMOS drives, SmartROM, memory, `flags`) stays 0.
public struct DPTSystemInfo: Sendable, Hashable {
    public var processorFamily: UInt8
    public var processorType: UInt8
    public var osType: UInt32 = 0x0100_0000   // OS_LINUX
    public var busType: UInt8 = 0x04          // SI_PCI_BUS

    /// `adpt_system_info` as a kernel of `abi` answers: on i386 PROC_INTEL and, for a 686 or later
    /// CPU, PROC_PENTIUM (0x10); on x86_64 the signature's family (0xFF) and 0xFF.
    public static func driver(_ abi: CallerABI) -> DPTSystemInfo {
        abi == .ilp32 ? DPTSystemInfo(processorFamily: 0x00, processorType: 0x10) : DPTSystemInfo(processorFamily: 0xFF, processorType: 0xFF)
    }

    public static func byteCount(_ abi: CallerABI) -> Int { abi == .lp64 ? 100 : 92 }

    public func encode(_ abi: CallerABI) -> [UInt8] {
        var b: [UInt8] = [0, 0, 0, processorFamily, processorType, 0, 0, 0]
        b.appendLE16(0); b.appendLE16(0)                       // flags, conventionalMemSize
        if abi == .lp64 { b.appendLE64(0); b.appendLE64(UInt64(osType)) } else { b.appendLE32(0); b.appendLE32(osType) }
        b += [0, 0, 0, 0, busType, 0, 0, 0]                    // OS version, osSubRevision, busType, pad[3]
        return b + [UInt8](repeating: 0, count: 64)            // drives[16]
    }

    public static func decode(_ b: [UInt8], abi: CallerABI) -> DPTSystemInfo? {
        guard b.count >= byteCount(abi) else { return nil }
        let os = abi == .lp64 ? 20 : 16
        var s = DPTSystemInfo(processorFamily: b[3], processorType: b[4])
        s.osType = b.le32(at: os)
        s.busType = b[os + (abi == .lp64 ? 12 : 8)]
        return s
    }
}

/// `TARGET_BUSY_T` (`dpti_ioctl.h`): four `uLONG`s — channel, id, lun in; isBusy out.
/// 16 bytes for i386, 32 for x86_64.
public struct DPTTargetBusy: Sendable, Hashable {
    public var channel: UInt32
    public var id: UInt32
    public var lun: UInt32
    public var isBusy: UInt32

    public init(channel: UInt32, id: UInt32, lun: UInt32, isBusy: UInt32 = 0) {
        self.channel = channel; self.id = id; self.lun = lun; self.isBusy = isBusy
    }

    public static func byteCount(_ abi: CallerABI) -> Int { abi == .lp64 ? 32 : 16 }
    /// Where `isBusy` is.
    public static func isBusyOffset(_ abi: CallerABI) -> Int { abi == .lp64 ? 24 : 12 }

    public func encode(_ abi: CallerABI) -> [UInt8] {
        var b: [UInt8] = []
        for v in [channel, id, lun, isBusy] { if abi == .lp64 { b.appendLE64(UInt64(v)) } else { b.appendLE32(v) } }
        return b
    }

    /// The fields as the caller passed them (a `uLONG` above 32 bits is cut to its low word).
    public static func decode(_ b: [UInt8], abi: CallerABI) -> DPTTargetBusy? {
        guard b.count >= byteCount(abi) else { return nil }
        let step = abi == .lp64 ? 8 : 4
        return DPTTargetBusy(channel: b.le32(at: 0), id: b.le32(at: step), lun: b.le32(at: 2 * step), isBusy: b.le32(at: 3 * step))
    }
}

extension [UInt8] {
    fileprivate func le16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    fileprivate func le32(at i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}
