import BlockStorage
import I2OFormats

/// The strings a disk's INQUIRY answers (space-padded to 8, 16 and 4 bytes) and its serial number.
public struct SCSIIdentity: Hashable, Sendable {
    public var vendor: String, product: String, revision: String, serial: String
    public init(vendor: String, product: String, revision: String, serial: String = "") {
        self.vendor = vendor; self.product = product; self.revision = revision; self.serial = serial
    }
}

/// How a SCSI command ended: GOOD with the data for the host, or CHECK CONDITION with its sense
/// and the data moved before the failure (a medium error part-way).
public enum SCSIOutcome: Hashable, Sendable {
    case good([UInt8])
    case checkCondition(SCSISense, moved: [UInt8])
}

/// A disk (or a logical drive) answering SCSI commands from its `BlockDevice`: the same bytes the
/// block storage class sees (docs/block-storage.md §SCSI). INQUIRY, TEST UNIT READY, REQUEST
/// SENSE, READ CAPACITY (10, 16), READ and WRITE (6, 10, 16), VERIFY (10, 16), SYNCHRONIZE CACHE
/// (10, 16), MODE SENSE (6, 10: caching and control pages), REASSIGN BLOCKS; anything else is
/// ILLEGAL REQUEST.
public enum SCSIDisk {
    /// The largest transfer one command may ask for (bytes), as `IOP.maxBlockTransfer`.
    public static let maxTransfer = Int(IOP.maxBlockTransfer)

    public static func execute(_ cdb: [UInt8], dataOut: [UInt8] = [], device: BlockDevice,
                               identity: SCSIIdentity) -> SCSIOutcome {
        guard let op = cdb.first else { return .checkCondition(.invalidOpcode, moved: []) }
        let t = device.target, size = t.blockSize
        switch op {
        case 0x12: return inquiry(cdb, identity)
        case 0x03: return .good(SCSISense.noSense.bytes)
        default: break
        }
        guard device.isMounted else { return .checkCondition(.mediumNotPresent, moved: []) }
        guard t.isReady else { return .checkCondition(.notReady, moved: []) }
        switch op {
        case 0x00:   // TEST UNIT READY
            return .good([])
        case 0x25:   // READ CAPACITY(10): last LBA (0xFFFFFFFF when it does not fit), block size
            let last = t.blockCount == 0 ? 0 : t.blockCount - 1
            return .good(be32(UInt32(clamping: last)) + be32(UInt32(size)))
        case 0x9E where cdb.count >= 2 && cdb[1] & 0x1F == 0x10:   // READ CAPACITY(16)
            return .good(be64(t.blockCount == 0 ? 0 : t.blockCount - 1) + be32(UInt32(size)) + [UInt8](repeating: 0, count: 20))
        case 0x35, 0x91:   // SYNCHRONIZE CACHE
            do { try t.flush() } catch { return .checkCondition(sense(error, write: true), moved: []) }
            return .good([])
        case 0x1A, 0x5A:
            return modeSense(cdb, device)
        case 0x07:   // REASSIGN BLOCKS: a parameter list of 4-byte LBAs after a 4-byte header
            guard dataOut.count >= 4 else { return .checkCondition(.parameterListLength, moved: []) }
            let n = Int(dataOut[2]) << 8 | Int(dataOut[3])
            guard n % 4 == 0, dataOut.count >= 4 + n else { return .checkCondition(.parameterListLength, moved: []) }
            for i in stride(from: 4, to: 4 + n, by: 4) {
                let lba = dataOut[i..<i + 4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                do { try t.reassign(lba) } catch { return .checkCondition(sense(error, write: true), moved: []) }
            }
            return .good([])
        default:
            break
        }
        guard let r = SCSIBlockRange(cdb: cdb) else {
            return .checkCondition(cdb.count < 6 ? .invalidField : .invalidOpcode, moved: [])
        }
        guard r.lba <= t.blockCount, UInt64(r.blocks) <= t.blockCount - r.lba else { return .checkCondition(.lbaOutOfRange, moved: []) }
        guard Int(r.blocks) * size <= maxTransfer else { return .checkCondition(.invalidField, moved: []) }
        let bytes = Int(r.blocks) * size
        switch op {
        case 0x08, 0x28, 0x88, 0x2F, 0x8F:   // READ, VERIFY (which reads, checks and sends nothing)
            let verify = op == 0x2F || op == 0x8F
            var data = [UInt8](repeating: 0, count: bytes)
            do { try data.withBlockBytes { b throws(BlockError) in try t.read(r.lba, into: b) } } catch {
                // The blocks before a medium error still reach the host.
                var moved = [UInt8](repeating: 0, count: verify ? 0 : prefix(error, r, size))
                if !moved.isEmpty { _ = try? moved.withBlockBytes { b throws(BlockError) in try t.read(r.lba, into: b) } }
                return .checkCondition(sense(error, write: false), moved: moved)
            }
            return .good(verify ? [] : data)
        default:   // WRITE
            guard dataOut.count >= bytes else { return .checkCondition(.invalidField, moved: []) }
            do { try t.write(r.lba, Array(dataOut.prefix(bytes))) } catch {
                let done = prefix(error, r, size)
                if done > 0 { try? t.write(r.lba, Array(dataOut.prefix(done))) }
                return .checkCondition(sense(error, write: true), moved: Array(dataOut.prefix(done)))
            }
            return .good([])
        }
    }

    private static func inquiry(_ cdb: [UInt8], _ id: SCSIIdentity) -> SCSIOutcome {
        let evpd = cdb.count > 1 && cdb[1] & 1 != 0, page = cdb.count > 2 ? cdb[2] : 0
        func text(_ s: String, _ n: Int) -> [UInt8] { Array((Array(s.utf8.prefix(n)) + [UInt8](repeating: 0x20, count: n)).prefix(n)) }
        if evpd {
            switch page {
            case 0x00: return .good([0, 0x00, 0, 2, 0x00, 0x80])
            case 0x80: let s = text(id.serial, max(id.serial.utf8.count, 1)); return .good([0, 0x80, 0, UInt8(s.count)] + s)
            default: return .checkCondition(.invalidField, moved: [])
            }
        }
        guard page == 0 else { return .checkCondition(.invalidField, moved: []) }
        // Direct-access, SPC-2, response format 2, 36 bytes.
        return .good([0x00, 0x00, 0x04, 0x02, 31, 0, 0, 0x02] + text(id.vendor, 8) + text(id.product, 16) + text(id.revision, 4))
    }

    /// MODE SENSE: the caching page (0x08, WCE = write-back) and the control page (0x0A), alone or
    /// both (0x3F); changeable values (PC 1) show WCE as changeable.
    private static func modeSense(_ cdb: [UInt8], _ device: BlockDevice) -> SCSIOutcome {
        guard cdb.count >= (cdb[0] == 0x1A ? 6 : 10) else { return .checkCondition(.invalidField, moved: []) }
        let page = cdb[2] & 0x3F, pc = cdb[2] >> 6
        let writeBack = (device.target as? WriteCache)?.mode == .writeBack
        var caching = [UInt8](repeating: 0, count: 20); caching[0] = 0x08; caching[1] = 18
        caching[2] = pc == 1 ? 0x04 : (pc == 0 && writeBack ? 0x04 : 0)
        var control = [UInt8](repeating: 0, count: 12); control[0] = 0x0A; control[1] = 10
        let pages: [UInt8]
        switch page {
        case 0x08: pages = caching
        case 0x0A: pages = control
        case 0x3F: pages = caching + control
        default: return .checkCondition(.invalidField, moved: [])
        }
        if cdb[0] == 0x1A { return .good([UInt8(3 + pages.count), 0, 0, 0] + pages) }
        let n = UInt16(6 + pages.count)
        return .good([UInt8(n >> 8), UInt8(truncatingIfNeeded: n), 0, 0, 0, 0, 0, 0] + pages)
    }

    private static func prefix(_ error: BlockError, _ r: SCSIBlockRange, _ size: Int) -> Int {
        guard case let .mediumError(lba) = error, lba >= r.lba, lba < r.lba + UInt64(r.blocks) else { return 0 }
        return Int(lba - r.lba) * size
    }

    private static func sense(_ error: BlockError, write: Bool) -> SCSISense {
        switch error {
        case let .mediumError(lba): write ? .writeError(lba) : .readError(lba)
        case .notReady: .notReady
        case .outOfRange: .lbaOutOfRange
        case .host: .hardwareError
        }
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    private static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(truncatingIfNeeded: v)) }
}
