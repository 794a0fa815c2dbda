import I2OFormats
import IOPModel

/// What the firmware keeps besides the LSUs: the clock the tools set (page 0x2F), the alarm, the
/// NVRAM image (page 0x2E), the event log (LOG SENSE 0x34) and what was written to flash.
public struct DPTSettings: Hashable, Sendable, Codable {
    /// The Unix time a tool last set (MODE SELECT page 0x2F), 0 when never.
    public var clockSet: UInt32
    /// Milliseconds of the firmware's clock since then (not kept across a power cycle: the
    /// clock restarts from the time last set).
    public var elapsedMilliseconds: UInt64
    /// Whether the alarm sounds (LOG SENSE 0x33 parameter 9 byte 3 bit 0x40).
    public var alarmSounding: Bool
    /// The NVRAM image a tool stored (128 bytes), nil for the factory image.
    public var nvram: [UInt8]?
    /// The event log, oldest first.
    public var events: [DPTEvent]
    /// Blocks written to flash (private 0x0102), over a blank (0xFF) flash.
    public var flash: [DPTFlashBlock]

    public init(clockSet: UInt32 = 0, elapsedMilliseconds: UInt64 = 0, alarmSounding: Bool = false, nvram: [UInt8]? = nil,
                events: [DPTEvent] = [], flash: [DPTFlashBlock] = []) {
        self.clockSet = clockSet; self.elapsedMilliseconds = elapsedMilliseconds; self.alarmSounding = alarmSounding
        self.nvram = nvram; self.events = events; self.flash = flash
    }

    enum CodingKeys: String, CodingKey { case clockSet, alarmSounding, nvram, events, flash }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(clockSet: try c.decodeIfPresent(UInt32.self, forKey: .clockSet) ?? 0,
                  alarmSounding: try c.decodeIfPresent(Bool.self, forKey: .alarmSounding) ?? false,
                  nvram: try c.decodeIfPresent([UInt8].self, forKey: .nvram),
                  events: try c.decodeIfPresent([DPTEvent].self, forKey: .events) ?? [],
                  flash: try c.decodeIfPresent([DPTFlashBlock].self, forKey: .flash) ?? [])
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clockSet, forKey: .clockSet)
        try c.encode(alarmSounding, forKey: .alarmSounding)
        try c.encodeIfPresent(nvram, forKey: .nvram)
        try c.encode(events, forKey: .events)
        try c.encode(flash, forKey: .flash)
    }

    /// The firmware's time now, in Unix seconds.
    public var now: UInt32 { clockSet &+ UInt32(truncatingIfNeeded: elapsedMilliseconds / 1000) }
}

/// One block of flash a tool wrote.
public struct DPTFlashBlock: Hashable, Sendable, Codable {
    public var region: Int
    public var offset: UInt32
    public var bytes: [UInt8]
    public init(region: Int, offset: UInt32, bytes: [UInt8]) { self.region = region; self.offset = offset; self.bytes = bytes }
}

/// One entry of the event log (LOG SENSE 0x34): a parameter whose code carries the severity in
/// its top nibble, with the time and the address concerned.
public struct DPTEvent: Hashable, Sendable, Codable {
    /// Severity (parameter code bits 12–15): 1 informational, 2 minor, 3 major, 4 critical
    /// (the model's reading of the tools' four levels).
    public enum Severity: UInt8, Hashable, Sendable, Codable { case info = 1, minor = 2, major = 3, critical = 4 }
    /// What happened (parameter code bits 0–11; the model's numbering).
    public enum Code: UInt16, Hashable, Sendable, Codable {
        case driveFailed = 0x001, driveReplaced = 0x002, driveOptimal = 0x003, hotSpareTaken = 0x004
        case driveInserted = 0x005, driveRemoved = 0x006
        case arrayDegraded = 0x010, arrayRebuilt = 0x011, arrayBuilt = 0x012, verifyDone = 0x013
        case arrayCreated = 0x020, arrayDeleted = 0x021, arrayModified = 0x022, hotSpareCreated = 0x023, taskAborted = 0x024
        case clockSet = 0x030, nvramStored = 0x031, alarmChanged = 0x032
    }
    public var severity: Severity
    public var code: Code
    /// Unix time of the firmware's clock.
    public var time: UInt32
    public var message: String
    public init(severity: Severity, code: Code, time: UInt32, message: String) {
        self.severity = severity; self.code = code; self.time = time; self.message = message
    }

    /// The log parameter: code u16 (severity << 12 | code), control 0, length, then the time (u32)
    /// and the message (ASCII, at most 124 bytes).
    var parameter: [UInt8] {
        DPTController.logParameter(UInt16(severity.rawValue) << 12 | code.rawValue, be32(time) + Array(message.utf8.prefix(124)))
    }
}

extension DPTController {
    /// Entries the event log keeps; older ones are dropped.
    public static let eventLogLimit = 64

    /// Adds an event to the log.
    mutating func log(_ severity: DPTEvent.Severity, _ code: DPTEvent.Code, _ message: String) {
        settings.events.append(DPTEvent(severity: severity, code: code, time: settings.now, message: message))
        if settings.events.count > Self.eventLogLimit { settings.events.removeFirst(settings.events.count - Self.eventLogLimit) }
    }

    /// LOG SENSE 0x34 parameters: the log from the parameter offset on (CDB bytes 5–6: the
    /// first entry to return).
    func eventLogParameters(from first: Int) -> [UInt8] {
        settings.events.dropFirst(first).flatMap(\.parameter)
    }

    /// Whether the controller's alarm is enabled: NVRAM byte 0x31 bit 0x02 clear.
    public var alarmEnabled: Bool { nvramImage()[0x31] & 0x02 == 0 }

    /// The NVRAM image (page 0x2E): the one stored, else the factory image.
    public func nvramImage() -> [UInt8] { settings.nvram ?? factoryNVRAM() }

    /// The factory NVRAM image: zero but for the NVRAM version at 104, the serial at 112, and the
    /// checksum at 127 (the negated sum of bytes 0–126).
    public func factoryNVRAM() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 128)
        for (k, x) in nvramVersion.utf8.prefix(8).enumerated() { b[104 + k] = x }
        for (k, x) in serial.utf8.prefix(15).enumerated() { b[112 + k] = x }
        b[127] = Self.nvramChecksum(b)
        return b
    }

    /// The NVRAM checksum byte: 0 − (sum of bytes 0–126).
    public static func nvramChecksum(_ b: [UInt8]) -> UInt8 {
        0 &- b.prefix(127).reduce(UInt8(0), &+)
    }
}
