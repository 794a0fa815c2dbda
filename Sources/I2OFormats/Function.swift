/// An I2O function code (message word 1, bits 24–31). Names as in the kernel's `i2o.h`.
public struct I2OFunction: NamedCode {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let names: [UInt8: String] = [
        0x00: "UtilNOP", 0x01: "UtilAbort", 0x05: "UtilParamsSet", 0x06: "UtilParamsGet", 0x09: "UtilClaim",
        0x0B: "UtilClaimRelease", 0x0D: "UtilDeviceReserve", 0x0F: "UtilDeviceRelease",
        0x10: "UtilConfigDialog", 0x13: "UtilEventRegister", 0x14: "UtilEventAck",
        0x15: "UtilReplyFaultNotify", 0x17: "UtilLock", 0x19: "UtilLockRelease",
        0xA0: "ExecStatusGet", 0xA1: "ExecOutboundInit", 0xA2: "ExecLctNotify", 0xA3: "ExecSysTabSet",
        0xA5: "ExecBiosInfoSet", 0xA7: "ExecBootDeviceSet", 0xA8: "ExecHrtGet", 0xA9: "ExecSwDownload",
        0xAB: "ExecSwUpload", 0xAD: "ExecSwRemove", 0xAF: "ExecDdmSuspend", 0xB1: "ExecDdmDestroy",
        0xB2: "ExecAdapterRead", 0xB3: "ExecAdapterAssign", 0xB5: "ExecAdapterRelease",
        0xB7: "ExecDeviceAssign", 0xB9: "ExecDeviceRelease", 0xBB: "ExecConfigValidate",
        0xBD: "ExecIopReset", 0xBE: "ExecIopClear", 0xC1: "ExecSysModify", 0xC3: "ExecSysQuiesce",
        0xC5: "ExecPathQuiesce", 0xC7: "ExecDdmQuiesce", 0xC9: "ExecIopConnect", 0xCA: "ExecConnSetup",
        0xD1: "ExecSysEnable", 0xD3: "ExecPathEnable", 0xD5: "ExecDdmEnable", 0xD7: "ExecPathReset",
        0xD9: "ExecDdmReset", 0xDD: "ExecStaticMfCreate", 0xDF: "ExecStaticMfRelease",
        0x25: "BsaStatusCheck", 0x27: "BsaDeviceReset", 0x30: "BsaBlockRead", 0x31: "BsaBlockWrite",
        0x33: "BsaBlockWriteVerify", 0x35: "BsaMediaVerify", 0x37: "BsaCacheFlush", 0x41: "BsaMediaMount",
        0x43: "BsaMediaEject", 0x45: "BsaMediaFormat", 0x49: "BsaMediaLock", 0x4B: "BsaMediaUnlock",
        0x70: "BsaPowerMgt", 0x71: "BsaBlockReassign", 0x81: "ScsiScbExec", 0x83: "ScsiScbAbort", 0xFF: "Private",
    ]
    public static let hexDigits = 2


    // Utility class (every device).
    public static let utilNOP = Self(rawValue: 0x00)
    public static let utilAbort = Self(rawValue: 0x01)
    public static let utilParamsSet = Self(rawValue: 0x05)
    public static let utilParamsGet = Self(rawValue: 0x06)
    public static let utilClaim = Self(rawValue: 0x09)
    public static let utilClaimRelease = Self(rawValue: 0x0B)
    public static let utilConfigDialog = Self(rawValue: 0x10)
    public static let utilEventRegister = Self(rawValue: 0x13)
    public static let utilEventAck = Self(rawValue: 0x14)
    // Executive class (TID 0).
    public static let execStatusGet = Self(rawValue: 0xA0)
    public static let execOutboundInit = Self(rawValue: 0xA1)
    public static let execLctNotify = Self(rawValue: 0xA2)
    public static let execSysTabSet = Self(rawValue: 0xA3)
    public static let execHrtGet = Self(rawValue: 0xA8)
    public static let execSwDownload = Self(rawValue: 0xA9)
    public static let execSwUpload = Self(rawValue: 0xAB)
    public static let execSwRemove = Self(rawValue: 0xAD)
    public static let execConfigValidate = Self(rawValue: 0xBB)
    public static let execIopReset = Self(rawValue: 0xBD)
    public static let execIopClear = Self(rawValue: 0xBE)
    public static let execSysEnable = Self(rawValue: 0xD1)
    // Random block storage class (BSA); 0x27 is also SCSI's device reset.
    public static let bsaStatusCheck = Self(rawValue: 0x25)
    public static let bsaDeviceReset = Self(rawValue: 0x27)
    public static let bsaBlockRead = Self(rawValue: 0x30)
    public static let bsaBlockWrite = Self(rawValue: 0x31)
    public static let bsaBlockWriteVerify = Self(rawValue: 0x33)
    public static let bsaMediaVerify = Self(rawValue: 0x35)
    public static let bsaCacheFlush = Self(rawValue: 0x37)
    public static let bsaMediaMount = Self(rawValue: 0x41)
    public static let bsaMediaEject = Self(rawValue: 0x43)
    public static let bsaMediaLock = Self(rawValue: 0x49)
    public static let bsaMediaUnlock = Self(rawValue: 0x4B)
    public static let bsaPowerMgt = Self(rawValue: 0x70)
    public static let bsaBlockReassign = Self(rawValue: 0x71)
    /// SCSI peripheral class: execute a SCSI control block.
    public static let scsiScbExec = Self(rawValue: 0x81)
    /// Private (vendor) messages: word 4 = XFunctionCode | OrganizationID << 16.
    public static let privateMessage = Self(rawValue: 0xFF)
}

/// An LCT ClassID (12 bits; docs/i2o-formats.md §Classes).
public struct ClassID: NamedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xFFF }

    /// Kernel-style names (`I2O_CLASS_*` without the prefix).
    public static let names: [UInt16: String] = [
        0x000: "EXECUTIVE", 0x001: "DDM", 0x010: "RANDOM_BLOCK_STORAGE", 0x011: "SEQUENTIAL_STORAGE",
        0x020: "LAN", 0x030: "WAN", 0x040: "FIBRE_CHANNEL_PORT", 0x041: "FIBRE_CHANNEL_PERIPHERAL",
        0x051: "SCSI_PERIPHERAL", 0x060: "ATE_PORT", 0x061: "ATE_PERIPHERAL", 0x070: "FLOPPY_CONTROLLER",
        0x071: "FLOPPY_DEVICE", 0x080: "BUS_ADAPTER", 0x090: "PEER_TRANSPORT_AGENT", 0x091: "PEER_TRANSPORT",
    ]
    public static let aliases: [String: UInt16] = ["BUS_ADAPTER_PORT": 0x080]
    public static let hexDigits = 3

    public static let executive = Self(rawValue: 0x000)
    public static let ddm = Self(rawValue: 0x001)
    public static let randomBlockStorage = Self(rawValue: 0x010)
    public static let sequentialStorage = Self(rawValue: 0x011)
    public static let lan = Self(rawValue: 0x020)
    public static let wan = Self(rawValue: 0x030)
    public static let fibreChannelPort = Self(rawValue: 0x040)
    public static let fibreChannelPeripheral = Self(rawValue: 0x041)
    public static let scsiPeripheral = Self(rawValue: 0x051)
    public static let atePort = Self(rawValue: 0x060)
    public static let atePeripheral = Self(rawValue: 0x061)
    public static let floppyController = Self(rawValue: 0x070)
    public static let floppyDevice = Self(rawValue: 0x071)
    public static let busAdapter = Self(rawValue: 0x080)
    public static let peerTransportAgent = Self(rawValue: 0x090)
    public static let peerTransport = Self(rawValue: 0x091)
}

/// Event indicators (EventMask bits, `I2O_EVT_IND_*`).
public struct EventIndicator: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let stateChange = EventIndicator(rawValue: 0x8000_0000)
    public static let generalWarning = EventIndicator(rawValue: 0x4000_0000)
    public static let configurationFlag = EventIndicator(rawValue: 0x2000_0000)
    public static let lockRelease = EventIndicator(rawValue: 0x1000_0000)
    public static let capabilityChange = EventIndicator(rawValue: 0x0800_0000)
    public static let deviceReset = EventIndicator(rawValue: 0x0400_0000)
    public static let eventMaskModified = EventIndicator(rawValue: 0x0200_0000)
    public static let fieldModified = EventIndicator(rawValue: 0x0100_0000)
    public static let vendorEvent = EventIndicator(rawValue: 0x0080_0000)
    public static let deviceState = EventIndicator(rawValue: 0x0040_0000)
    // Executive.
    public static let resourceLimits = EventIndicator(rawValue: 0x001)
    public static let connectionFail = EventIndicator(rawValue: 0x002)
    public static let adapterFault = EventIndicator(rawValue: 0x004)
    public static let powerFail = EventIndicator(rawValue: 0x008)
    public static let resetPending = EventIndicator(rawValue: 0x010)
    public static let resetImminent = EventIndicator(rawValue: 0x020)
    public static let hardwareFail = EventIndicator(rawValue: 0x040)
    public static let xctChange = EventIndicator(rawValue: 0x080)
    public static let newLCTEntry = EventIndicator(rawValue: 0x100)
    public static let modifiedLCT = EventIndicator(rawValue: 0x200)
    public static let ddmAvailability = EventIndicator(rawValue: 0x400)
}
