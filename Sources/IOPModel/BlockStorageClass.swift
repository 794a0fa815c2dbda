import BlockStorage
import I2OFormats
import Synchronization

/// A block storage device's data and its media state: what a RANDOM_BLOCK_STORAGE TID of the IOP
/// stores its bytes in (a disk's medium, a logical drive over its members, with the controller's
/// cache in front) and whether its media is mounted, locked and powered.
///
/// A reference: copies of an IOP share it, as every view of a card shares its disks.
public final class BlockDevice: Sendable {
    public let target: any BlockTarget
    /// Whether the media can be ejected (a removable device).
    public let removable: Bool
    fileprivate struct Media { var mounted = true; var locked = false; var power: UInt8 = 0x02 }
    private let media = Mutex(Media())

    public init(_ target: any BlockTarget, removable: Bool = false) {
        self.target = target; self.removable = removable
    }

    public var isLocked: Bool { media.withLock { $0.locked } }
    public var isMounted: Bool { media.withLock { $0.mounted } }
    /// The last BsaPowerMgt operation (0x02 powered up).
    public var power: UInt8 { media.withLock { $0.power } }

    fileprivate func withMedia<R>(_ body: (inout Media) -> R) -> R { media.withLock { body(&$0) } }
}

extension IOP {
    /// The largest transfer one request may ask for (bytes): what a card's DMA engine took; larger
    /// requests are refused as a protocol failure, never split or truncated.
    public static let maxBlockTransfer: UInt32 = 16 << 20

    /// A block storage class request (BsaBlockRead, BsaBlockWrite, …) to `device`; the reply.
    /// docs/block-storage.md §Messages lists each function's answer and its errors.
    func bsaRequest(_ request: MessageFrame, device: BlockDevice, memory: BusMemory) throws(RequestFault) -> MessageFrame {
        switch request.function {
        case .bsaBlockRead, .bsaBlockWrite, .bsaBlockWriteVerify:
            return try transfer(request, device: device, memory: memory)
        case .bsaMediaVerify:
            let t = try bsaFields(request)
            return verify(request, t, device: device)
        case .bsaBlockReassign:
            let t = try bsaFields(request)
            return reassign(request, t, device: device)
        case .bsaCacheFlush:
            do { try device.target.flush() } catch { return failure(request, error, done: 0, at: nil) }
            return .bsaReply(to: request, transferred: 0)
        case .bsaMediaLock, .bsaMediaUnlock:
            let lock = request.function == .bsaMediaLock
            device.withMedia { $0.locked = lock }
            return .bsaReply(to: request, transferred: 0)
        case .bsaMediaMount:
            device.withMedia { $0.mounted = true }
            return .bsaReply(to: request, transferred: 0)
        case .bsaMediaEject:
            guard device.removable else { return .bsaReply(to: request, status: .errorNoDataTransfer, detail: .accessError, transferred: 0) }
            let ok = device.withMedia { m -> Bool in
                guard !m.locked else { return false }
                m.mounted = false
                return true
            }
            return ok ? .bsaReply(to: request, transferred: 0)
                : .bsaReply(to: request, status: .errorNoDataTransfer, detail: .mediaLocked, transferred: 0)
        case .bsaPowerMgt:
            // The operation is word 5's low byte (the specification's layout); Linux's i2o_block puts
            // it in word 4 bits 24–31 of a 4-word frame.
            let op = request.messageSize.rawValue >= 6 && request.words.count >= 6
                ? UInt8(truncatingIfNeeded: request[word: 5]) : UInt8(truncatingIfNeeded: request.words.count > 4 ? request[word: 4] >> 24 : 0)
            device.withMedia { $0.power = op }
            return .bsaReply(to: request, transferred: 0)
        case .bsaStatusCheck, .bsaDeviceReset:
            guard device.target.isReady else {
                return .bsaReply(to: request, status: .errorNoDataTransfer, detail: .deviceNotReady, transferred: 0)
            }
            return .bsaReply(to: request, transferred: 0)
        default:
            throw RequestFault(.unsupportedFunction)
        }
    }

    /// The transfer fields, or MESSAGE_TOO_SMALL.
    private func bsaFields(_ request: MessageFrame) throws(RequestFault) -> BsaTransfer {
        do { return try BsaTransfer(request) } catch { throw .tooSmall }
    }

    /// Checks a transfer against the device: the blocks it covers, or the refusal to send.
    private func blocks(_ request: MessageFrame, _ t: BsaTransfer, _ device: BlockDevice) -> Result<Range<UInt64>, BlockRefusal> {
        let size = UInt64(device.target.blockSize), capacity = device.target.blockCount * size
        guard device.isMounted else { return .failure(.init(detail: .mediaNotPresent)) }
        guard t.byteCount <= Self.maxBlockTransfer else { return .failure(.init(detail: .protocolFailure)) }
        guard t.byteAddress % size == 0, UInt64(t.byteCount) % size == 0 else { return .failure(.init(detail: .protocolFailure)) }
        guard t.byteAddress <= capacity, UInt64(t.byteCount) <= capacity - t.byteAddress else {
            return .failure(.init(detail: .accessViolation, at: t.byteAddress))
        }
        return .success(t.byteAddress / size..<(t.byteAddress + UInt64(t.byteCount)) / size)
    }

    private func transfer(_ request: MessageFrame, device: BlockDevice, memory: BusMemory) throws(RequestFault) -> MessageFrame {
        let t = try bsaFields(request)
        let range: Range<UInt64>
        switch blocks(request, t, device) {
        case let .success(r): range = r
        case let .failure(f): return .bsaReply(to: request, status: .errorNoDataTransfer, detail: f.detail, transferred: 0, failedAt: f.at)
        }
        guard !range.isEmpty else { return .bsaReply(to: request, transferred: 0) }
        // The SGL must name at least the byte count, in mapped host buffers (read element by element:
        // no array of elements).
        var sgl = try Transfer.sgl(of: request)
        var buffers: [OutBuffer] = [], total = 0
        while total < Int(t.byteCount) {
            let e: SGLElement
            do { e = try Transfer.element(&sgl) } catch {
                // The elements end before the byte count: refused before any data moves.
                guard error.detail == .missingParameter, !buffers.isEmpty else { throw error }
                return .bsaReply(to: request, status: .errorNoDataTransfer, detail: .protocolFailure, transferred: 0)
            }
            let b = try Transfer.buffer(e, memory: memory)
            buffers.append(b); total += b.count
        }
        let size = device.target.blockSize
        if request.function == .bsaBlockRead {
            var data: [UInt8] = []
            var failed: (any Error)?, done = Int(t.byteCount)
            do { data = try device.target.read(range.lowerBound, blocks: range.count) } catch {
                data = [UInt8](repeating: 0, count: Int(t.byteCount))
                // A medium error: the blocks before it still arrive.
                failed = error
                done = prefix(before: error, range, size)
                if done > 0 { _ = try? data.withBlockBytes { b throws(BlockError) in try device.target.read(range.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<done])) } }
            }
            try scatter(done == data.count ? data : Array(data[0..<done]), into: buffers, memory: memory)
            if let failed { return failure(request, failed, done: done, at: t.byteAddress + UInt64(done)) }
            return .bsaReply(to: request, transferred: t.byteCount)
        }
        var data = [UInt8]()
        for b in buffers {
            guard let bytes = memory.read(b.address, count: min(b.count, Int(t.byteCount) - data.count)) else { throw .invalid }
            if data.isEmpty { data = bytes } else { data += bytes }   // one element: its bytes, no copy
        }
        do {
            try device.target.write(range.lowerBound, data)
            if t.controlFlags & 0x0008 != 0 { try device.target.flush() }   // write-through asked for this request
            if request.function == .bsaBlockWriteVerify {
                guard try device.target.read(range.lowerBound, blocks: range.count) == data else {
                    return .bsaReply(to: request, status: .errorDirty, detail: .mediaError, transferred: t.byteCount, failedAt: t.byteAddress)
                }
            }
        } catch {
            let done = prefix(before: error, range, size)
            if done > 0 { try? device.target.write(range.lowerBound, Array(data[0..<done])) }
            return failure(request, error, done: done, at: t.byteAddress + UInt64(done))
        }
        return .bsaReply(to: request, transferred: t.byteCount)
    }

    private func verify(_ request: MessageFrame, _ t: BsaTransfer, device: BlockDevice) -> MessageFrame {
        switch blocks(request, t, device) {
        case let .failure(f): return .bsaReply(to: request, status: .errorNoDataTransfer, detail: f.detail, transferred: 0, failedAt: f.at)
        case let .success(range):
            // Read in 1 MiB steps: a verify of a whole drive reads what it verifies, nothing more at once.
            let size = UInt64(device.target.blockSize), step = max(1, (1 << 20) / size)
            var at = range.lowerBound
            while at < range.upperBound {
                let n = min(step, range.upperBound - at)
                do { _ = try device.target.read(at, blocks: Int(n)) } catch {
                    let done = Int(at - range.lowerBound) * Int(size) + prefix(before: error, at..<at + n, Int(size))
                    return failure(request, error, done: done, at: t.byteAddress + UInt64(done))
                }
                at += n
            }
            return .bsaReply(to: request, transferred: t.byteCount)
        }
    }

    private func reassign(_ request: MessageFrame, _ t: BsaTransfer, device: BlockDevice) -> MessageFrame {
        switch blocks(request, t, device) {
        case let .failure(f): return .bsaReply(to: request, status: .errorNoDataTransfer, detail: f.detail, transferred: 0, failedAt: f.at)
        case let .success(range):
            do { for lba in range { try device.target.reassign(lba) } } catch { return failure(request, error, done: 0, at: t.byteAddress) }
            return .bsaReply(to: request, transferred: t.byteCount)
        }
    }

    /// The bytes before the block a medium error names (0 for other errors).
    private func prefix(before error: any Error, _ range: Range<UInt64>, _ blockSize: Int) -> Int {
        guard case let BlockError.mediumError(lba)? = error as? BlockError, range.contains(lba) else { return 0 }
        return Int(lba - range.lowerBound) * blockSize
    }

    /// The reply to a failed transfer: what went wrong in BSA terms, how much was moved, and where it stopped.
    private func failure(_ request: MessageFrame, _ error: any Error, done: Int, at: UInt64?) -> MessageFrame {
        let detail: BsaStatus
        switch error as? BlockError {
        case .mediumError?: detail = .mediaError
        case .notReady?: detail = .deviceNotReady
        case .outOfRange?: detail = .accessViolation
        case .host?, nil: detail = .deviceFailure
        }
        return .bsaReply(to: request, status: done > 0 ? .errorPartialTransfer : .errorNoDataTransfer, detail: detail,
                         transferred: UInt32(done), failedAt: at)
    }

    /// Writes `data` across the host buffers in order.
    private func scatter(_ data: [UInt8], into buffers: [OutBuffer], memory: BusMemory) throws(RequestFault) {
        if let b = buffers.first, b.count >= data.count {   // one element: the bytes themselves
            try Transfer.write(data, to: b, memory: memory)
            return
        }
        var at = 0
        for b in buffers where at < data.count {
            let n = min(b.count, data.count - at)
            try Transfer.write(Array(data[at..<at + n]), to: b, memory: memory)
            at += n
        }
    }
}

/// Why a transfer is refused before any data moves.
struct BlockRefusal: Error {
    var detail: BsaStatus
    var at: UInt64? = nil
}
