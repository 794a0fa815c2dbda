import I2OFormats

/// The ioctls of `/dev/i2o/ctl` (docs/ioctl-abi.md §Numbers), with their numbers and struct sizes per ABI.
///
/// `cmd = dir<<30 | size<<16 | 'i'<<8 | nr`. The size field differs between x86_64 and i386
/// where the struct holds pointers; both sets are recognised, each only from a caller of its ABI.
public struct IoctlCommand: Hashable, Sendable, CustomStringConvertible {
    /// Which ioctl, whatever the ABI.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case getIOPs, hrtGet, lctGet, parmSet, parmGet, swDownload, swUpload, swDelete, validate, html
        case eventRegister, eventGet, passthru, passthru32

        /// The kernel's macro name.
        public var name: String {
            switch self {
            case .getIOPs: "I2OGETIOPS"; case .hrtGet: "I2OHRTGET"; case .lctGet: "I2OLCTGET"
            case .parmSet: "I2OPARMSET"; case .parmGet: "I2OPARMGET"; case .swDownload: "I2OSWDL"
            case .swUpload: "I2OSWUL"; case .swDelete: "I2OSWDEL"; case .validate: "I2OVALIDATE"
            case .html: "I2OHTML"; case .eventRegister: "I2OEVTREG"; case .eventGet: "I2OEVTGET"
            case .passthru: "I2OPASSTHRU"; case .passthru32: "I2OPASSTHRU32"
            }
        }
        /// The `nr` byte.
        public var nr: UInt8 {
            switch self {
            case .getIOPs: 0; case .hrtGet: 1; case .lctGet: 2; case .parmSet: 3; case .parmGet: 4
            case .swDownload: 5; case .swUpload: 6; case .swDelete: 7; case .validate: 8; case .html: 9
            case .eventRegister: 10; case .eventGet: 11; case .passthru, .passthru32: 12
            }
        }
        /// Direction bits: 1 = _IOW, 2 = _IOR, 3 = _IOWR.
        var direction: UInt32 {
            switch self {
            case .getIOPs, .validate, .eventGet, .passthru, .passthru32: 2
            case .eventRegister: 1
            default: 3
            }
        }
        /// The size field the number encodes (`sizeof` of the declared type).
        public func encodedSize(_ abi: CallerABI) -> Int {
            let lp = abi == .lp64
            switch self {
            case .getIOPs: return 32
            case .hrtGet, .lctGet: return lp ? 24 : 12
            case .parmSet, .parmGet: return lp ? 40 : 24
            case .swDownload, .swUpload, .swDelete, .html: return lp ? 48 : 28
            case .validate: return 4
            case .eventRegister: return EventID.byteCount
            case .eventGet: return EventInfo.byteCount
            case .passthru: return lp ? 16 : 8
            case .passthru32: return 8
            }
        }
        /// Bytes the ioctl really transfers at `argument`: EVTGET writes the 112-byte
        /// `i2o_evt_get` although its number encodes 104; VALIDATE takes its argument by value.
        public func structSize(_ abi: CallerABI) -> Int {
            switch self {
            case .eventGet: EventGet.byteCount
            case .validate: 0
            default: encodedSize(abi)
            }
        }
        /// The ioctl number a caller of `abi` uses.
        public func number(_ abi: CallerABI) -> UInt32 {
            direction << 30 | UInt32(encodedSize(abi)) << 16 | 0x69 << 8 | UInt32(nr)
        }
    }

    public let kind: Kind
    public let abi: CallerABI

    public init(_ kind: Kind, abi: CallerABI) { self.kind = kind; self.abi = abi }

    public var name: String { kind.name }
    public var number: UInt32 { kind.number(abi) }
    /// Bytes read or written at `argument` (0 for VALIDATE, whose argument is a value).
    public var structSize: Int { kind.structSize(abi) }
    public var description: String { "\(name)(\(hex(number, width: 8)), \(abi.rawValue))" }

    /// Every ioctl of `abi`. For i386 PASSTHRU and PASSTHRU32 share a number; it decodes to PASSTHRU32.
    public static func all(_ abi: CallerABI) -> [IoctlCommand] {
        Kind.allCases.filter { abi == .lp64 || $0 != .passthru }.map { IoctlCommand($0, abi: abi) }
    }

    /// The ioctl `command` names for a caller of `abi`; nil for an unknown number, or one whose
    /// size field belongs to the other ABI (→ `EINVAL`).
    public static func decode(_ command: UInt32, abi: CallerABI) -> IoctlCommand? {
        // Every ioctl has its own `nr` but the two PASSTHRUs; a lookup by `nr`, no allocation.
        let nr = UInt8(truncatingIfNeeded: command)
        guard command >> 8 & 0xFF == 0x69, nr <= 12 else { return nil }
        let kind: Kind
        if nr == 12 {
            kind = abi == .lp64 && command == Kind.passthru.number(.lp64) ? .passthru : .passthru32
        } else {
            kind = Self.byNr[Int(nr)]
        }
        return kind.number(abi) == command ? IoctlCommand(kind, abi: abi) : nil
    }

    /// The kinds by `nr` (0…11; 12 is one of the PASSTHRUs).
    private static let byNr: [Kind] = [.getIOPs, .hrtGet, .lctGet, .parmSet, .parmGet, .swDownload, .swUpload, .swDelete,
                                       .validate, .html, .eventRegister, .eventGet]

    /// The ioctl with this macro name (`I2OHRTGET`), case-insensitive.
    public static func named(_ name: String, abi: CallerABI) -> IoctlCommand? {
        all(abi).first { $0.name.lowercased() == name.lowercased() }
    }
}

extension CallerABI: CaseIterable {
    public static let allCases: [CallerABI] = [.lp64, .ilp32]
    /// Bytes of a user pointer.
    public var pointerSize: Int { self == .lp64 ? 8 : 4 }
}
