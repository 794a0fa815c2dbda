/// IopState (status block byte 10).
public enum IOPState: UInt8, Sendable, CaseIterable {
    case initializing = 0x01, reset = 0x02, hold = 0x04, ready = 0x05, operational = 0x08, failed = 0x10, faulted = 0x11
    public var name: String {
        switch self {
        case .initializing: "INITIALIZING"; case .reset: "RESET"; case .hold: "HOLD"; case .ready: "READY"
        case .operational: "OPERATIONAL"; case .failed: "FAILED"; case .faulted: "FAULTED"
        }
    }
    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = s
    }
}

/// The 88-byte IOP status block (ExecStatusGet, docs/i2o-formats.md §StatusBlock).
public struct StatusBlock: Hashable, Sendable {
    public var organizationID: UInt16
    public var iopID: UInt16
    public var hostUnitID: UInt16
    public var segmentNumber: UInt16
    public var i2oVersion: UInt8
    /// IopState byte; see `IOPState`.
    public var iopState: UInt8
    public var messengerType: UInt8
    /// InboundFrameSize in words (bounds PASSTHRU).
    public var inboundFrameSize: WordCount
    public var initCode: UInt8
    public var maxInboundFrames: UInt32
    public var currentInboundFrames: UInt32
    public var maxOutboundFrames: UInt32
    /// ProductID[24].
    public var productID: String
    public var expectedLCTSize: UInt32
    public var iopCapabilities: UInt32
    public var desiredPrivateMemSize: UInt32
    public var currentPrivateMemSize: UInt32
    public var currentPrivateMemBase: UInt32
    public var desiredPrivateIOSize: UInt32
    public var currentPrivateIOSize: UInt32
    public var currentPrivateIOBase: UInt32

    public init(organizationID: UInt16 = 0, iopID: UInt16 = 2, hostUnitID: UInt16 = 0, segmentNumber: UInt16 = 0,
                i2oVersion: UInt8 = 1, iopState: UInt8 = IOPState.operational.rawValue, messengerType: UInt8 = 0,
                inboundFrameSize: WordCount = 128, initCode: UInt8 = 0x80, maxInboundFrames: UInt32 = 128,
                currentInboundFrames: UInt32 = 128, maxOutboundFrames: UInt32 = 128, productID: String = "",
                expectedLCTSize: UInt32 = 0, iopCapabilities: UInt32 = 0, desiredPrivateMemSize: UInt32 = 0,
                currentPrivateMemSize: UInt32 = 0, currentPrivateMemBase: UInt32 = 0, desiredPrivateIOSize: UInt32 = 0,
                currentPrivateIOSize: UInt32 = 0, currentPrivateIOBase: UInt32 = 0) {
        self.organizationID = organizationID; self.iopID = iopID; self.hostUnitID = hostUnitID
        self.segmentNumber = segmentNumber; self.i2oVersion = i2oVersion; self.iopState = iopState
        self.messengerType = messengerType; self.inboundFrameSize = inboundFrameSize; self.initCode = initCode
        self.maxInboundFrames = maxInboundFrames; self.currentInboundFrames = currentInboundFrames
        self.maxOutboundFrames = maxOutboundFrames; self.productID = productID; self.expectedLCTSize = expectedLCTSize
        self.iopCapabilities = iopCapabilities; self.desiredPrivateMemSize = desiredPrivateMemSize
        self.currentPrivateMemSize = currentPrivateMemSize; self.currentPrivateMemBase = currentPrivateMemBase
        self.desiredPrivateIOSize = desiredPrivateIOSize; self.currentPrivateIOSize = currentPrivateIOSize
        self.currentPrivateIOBase = currentPrivateIOBase
    }

    public static let byteCount = 88
    /// Byte 87 is 0xFF when the block is valid (the host polls it).
    public static let syncByte: UInt8 = 0xFF

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.byteCount)
        b.writeLE16(organizationID, at: 0)
        b.writeLE16(iopID & 0xFFF, at: 4)
        b.writeLE16(hostUnitID, at: 6)
        b.writeLE16(segmentNumber & 0xFFF | UInt16(i2oVersion & 0xF) << 12, at: 8)
        b[10] = iopState; b[11] = messengerType
        b.writeLE16(UInt16(truncatingIfNeeded: inboundFrameSize.rawValue), at: 12)
        b[14] = initCode
        b.writeLE32(maxInboundFrames, at: 16); b.writeLE32(currentInboundFrames, at: 20)
        b.writeLE32(maxOutboundFrames, at: 24)
        b.replaceSubrange(28..<52, with: FixedText.encode(productID, width: 24))
        for (i, v) in [expectedLCTSize, iopCapabilities, desiredPrivateMemSize, currentPrivateMemSize,
                       currentPrivateMemBase, desiredPrivateIOSize, currentPrivateIOSize, currentPrivateIOBase].enumerated() {
            b.writeLE32(v, at: 52 + 4 * i)
        }
        b[87] = Self.syncByte
        return b
    }

    public static func decode(_ b: [UInt8]) throws(I2OFormatError) -> StatusBlock {
        guard b.count >= byteCount else { throw .truncated(what: "status block", needed: byteCount, available: b.count) }
        guard b[87] == syncByte else { throw .invalid(what: "status block", reason: "sync byte 87 is \(hex(b[87], width: 2)), not 0xFF") }
        return StatusBlock(
            organizationID: b.readLE16(at: 0), iopID: b.readLE16(at: 4) & 0xFFF, hostUnitID: b.readLE16(at: 6),
            segmentNumber: b.readLE16(at: 8) & 0xFFF, i2oVersion: UInt8(b.readLE16(at: 8) >> 12), iopState: b[10],
            messengerType: b[11], inboundFrameSize: WordCount(rawValue: Int(b.readLE16(at: 12))), initCode: b[14],
            maxInboundFrames: b.readLE32(at: 16), currentInboundFrames: b.readLE32(at: 20),
            maxOutboundFrames: b.readLE32(at: 24), productID: FixedText.decode(b[28..<52]),
            expectedLCTSize: b.readLE32(at: 52), iopCapabilities: b.readLE32(at: 56),
            desiredPrivateMemSize: b.readLE32(at: 60), currentPrivateMemSize: b.readLE32(at: 64),
            currentPrivateMemBase: b.readLE32(at: 68), desiredPrivateIOSize: b.readLE32(at: 72),
            currentPrivateIOSize: b.readLE32(at: 76), currentPrivateIOBase: b.readLE32(at: 80))
    }
}
