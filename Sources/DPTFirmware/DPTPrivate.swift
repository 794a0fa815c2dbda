import I2OFormats
import IOPModel

/// DPT private messages: function 0xFF, word 4 = XFunctionCode | OrganizationID << 16.
public enum DPTPrivateFunction {
    public static let flashRegionSize: UInt16 = 0x0100
    public static let flashRegionRead: UInt16 = 0x0101
    public static let flashRegionWrite: UInt16 = 0x0102
    public static let flashCRC: UInt16 = 0x0103
    public static let scsiScbExecute: UInt16 = 0x0081
    /// Word 5 bits of the SCB execute message.
    public static let interpretBit: UInt32 = 1 << 16
    public static let physicalBit: UInt32 = 1 << 17
    /// SCBFlags (word 6 bits 16–31).
    public static let dataFromDevice: UInt16 = 0x4000
    public static let dataToDevice: UInt16 = 0x8000
    /// The DetailedStatus of a CHECK CONDITION: HBA status 0 (bits 8–15), SCSI status 0x02.
    public static let checkConditionDetail = DetailedStatus(rawValue: 0x0002)
}

extension DPTController: IOPFirmware {
    /// DPT firmware answers ExecLctNotify like any IOP, but the header's TableSize is the whole
    /// table's even when the buffer holds fewer entries. raidutils reads the 12-byte header
    /// first and sizes its second read from TableSize (docs/dpt-protocol.md §Frames).
    public var lctTableSizeCountsWholeTable: Bool { true }

    /// Answers a DPT private message (docs/dpt-protocol.md §Frames): flash region size and read, SCSI SCB
    /// execute. Another XFunctionCode answers UNSUPPORTED_FUNCTION.
    public func privateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame,
                               memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        var copy = self
        return try copy.handlePrivateMessage(xFunctionCode, request, memory: memory).reply
    }

    /// As `privateMessage`; a message that changes the controller (a management MODE SELECT, a
    /// flash write) says so, and the IOP keeps the changed controller and derives its LCT again.
    public mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame,
                                              memory: BusMemory) throws(RequestFault) -> FirmwareAnswer {
        try handlePrivateMessage(xFunctionCode, request, memory: memory, data: [:])
    }

    /// As above, with the devices' data: a READ or WRITE through the SCSI path reaches the
    /// array's or the drive's bytes (`DPTStorage.swift`).
    public mutating func handlePrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame, memory: BusMemory,
                                              data: [TID: BlockDevice]) throws(RequestFault) -> FirmwareAnswer {
        let before = self
        let reply = try answerPrivateMessage(xFunctionCode, request, memory: memory, data: data)
        let changed = before != self
        return FirmwareAnswer(reply: reply, configurationChanged: changed && (before.arrays != arrays || before.disks != disks),
                              changed: changed)
    }

    mutating func answerPrivateMessage(_ xFunctionCode: UInt16, _ request: MessageFrame, memory: BusMemory,
                                       data: [TID: BlockDevice] = [:]) throws(RequestFault) -> MessageFrame? {
        switch xFunctionCode {
        case DPTPrivateFunction.flashRegionSize:
            try Transfer.require(request, words: 8)
            guard request.target == .executive else { throw RequestFault(.inappropriateFunction) }
            let region = Int(request[word: 5])
            guard flashRegionSizes.indices.contains(region) else { throw RequestFault.invalid }
            let elements = try Transfer.elements(of: request, minimum: 1)
            let out = try Transfer.buffer(elements[0], memory: memory)
            guard out.count >= 4 else { throw RequestFault.invalid }
            try Transfer.write(le32(flashRegionSizes[region]), to: out, memory: memory)
            return MessageFrame.reply(to: request)
        case DPTPrivateFunction.flashRegionRead:
            try Transfer.require(request, words: 8)
            guard request.target == .executive else { throw RequestFault(.inappropriateFunction) }
            let region = Int(request[word: 5])
            let offset = UInt64(request[word: 6]), count = UInt64(request[word: 7])
            guard flashRegionSizes.indices.contains(region),
                  offset + count <= UInt64(flashRegionSizes[region]) else { throw RequestFault.invalid }
            var bytes = flashBytes(region: region, offset: UInt32(offset), count: Int(count))
            for e in try Transfer.elements(of: request, minimum: 1) where !bytes.isEmpty {
                let out = try Transfer.buffer(e, memory: memory)
                let n = min(bytes.count, out.count)
                try Transfer.write(Array(bytes.prefix(n)), to: out, memory: memory)
                bytes.removeFirst(n)
            }
            return MessageFrame.reply(to: request)
        case DPTPrivateFunction.flashRegionWrite:
            try flashWrite(request, memory: memory)
            return MessageFrame.reply(to: request)
        case DPTPrivateFunction.flashCRC:
            try Transfer.require(request, words: 5)
            guard request.target == .executive else { throw RequestFault(.inappropriateFunction) }
            return MessageFrame.reply(to: request, word: UInt32(flashCRC()))
        case DPTPrivateFunction.scsiScbExecute:
            return try scbExecute(request, memory: memory, data: data)
        default:
            throw RequestFault(.unsupportedFunction)
        }
    }

    /// PRIVATE_SCSI_SCB_EXECUTE: the firmware answers the CDB itself. GOOD → SUCCESS with the
    /// TransferCount in word 5; CHECK CONDITION → ERROR_NO_DATA_TRANSFER, DetailedStatus 0x0002,
    /// a 17-word I2O_SCSI_ERROR_REPLY with AutoSenseTransferCount (word 6) and the sense data
    /// (words 7–16), and the sense element, when there is one, filled too.
    mutating func scbExecute(_ request: MessageFrame, memory: BusMemory,
                             data devices: [TID: BlockDevice] = [:]) throws(RequestFault) -> MessageFrame {
        try Transfer.require(request, words: 12)
        let w5 = request[word: 5], w6 = request[word: 6]
        let cdbLength = Int(w6 & 0xFF)
        guard (1...16).contains(cdbLength) else { throw RequestFault.invalid }
        let scbFlags = UInt16(w6 >> 16)
        let cdb = Array((7...10).flatMap { le32(request[word: $0]) }.prefix(cdbLength))
        let byteCount = Int(request[word: 11])
        let elements: [SGLElement] = request.sglOffset.rawValue == 0 ? [] : try Transfer.elements(of: request, minimum: 0)
        let data = elements.first
        let sense = elements.count > 1 ? elements[1] : nil
        var dataOut: [UInt8] = []
        if scbFlags & DPTPrivateFunction.dataToDevice != 0, let data {
            dataOut = Array(try Transfer.bytes(of: data, memory: memory).prefix(byteCount))
        }
        // READ, WRITE, VERIFY and SYNCHRONIZE CACHE reach the data of the array or drive addressed.
        if let device = devices[request.target], Self.isDataCommand(cdb[0]) {
            return try dataCommand(cdb, device: device, request: request, flags: scbFlags, byteCount: byteCount,
                                   data: data, sense: sense, dataOut: dataOut, memory: memory)
        }
        let result = execute(cdb, to: target(of: request.target),
                          interpret: w5 & DPTPrivateFunction.interpretBit != 0,
                          physical: w5 & DPTPrivateFunction.physicalBit != 0, dataOut: dataOut)
        switch result {
        case let .good(bytes):
            var written = 0
            if scbFlags & DPTPrivateFunction.dataToDevice == 0, let data, !bytes.isEmpty {
                let out = try Transfer.buffer(data, memory: memory)
                written = try Transfer.write(Array(bytes.prefix(byteCount)), to: out, memory: memory)
            } else if scbFlags & DPTPrivateFunction.dataToDevice != 0 {
                written = dataOut.count
            }
            return MessageFrame.reply(to: request, word: UInt32(written))
        case let .checkCondition(s):
            let senseBytes = s.bytes
            if let sense, case .simple = sense, let out = try? Transfer.buffer(sense, memory: memory) {
                try Transfer.write(senseBytes, to: out, memory: memory)
            }
            let padded = senseBytes + [UInt8](repeating: 0, count: 40 - senseBytes.count)
            let senseWords = stride(from: 0, to: 40, by: 4).map { padded.readLE32(at: $0) }
            return MessageFrame.reply(to: request, status: .errorNoDataTransfer,
                                      detail: DPTPrivateFunction.checkConditionDetail,
                                      payload: [0, UInt32(senseBytes.count)] + senseWords)
        }
    }
}

// MARK: Flash

extension DPTController {
    /// `count` bytes of flash region `region` from `offset`: blank (0xFF) but for what was written.
    func flashBytes(region: Int, offset: UInt32, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0xFF, count: count)
        let start = UInt64(offset), end = UInt64(offset) + UInt64(count)
        for b in settings.flash where b.region == region {
            let bs = UInt64(b.offset), be = bs + UInt64(b.bytes.count)
            let lo = max(start, bs), hi = min(end, be)
            guard lo < hi else { continue }
            for k in lo..<hi { out[Int(k - start)] = b.bytes[Int(k - bs)] }
        }
        return out
    }

    /// Private 0x0102, flash write: word 5 region, 6 offset, 7 length, the data in the SGL
    /// (host → IOP). Outside the region → INVALID_PARAMETER; blocks an earlier write covered
    /// wholly are forgotten.
    mutating func flashWrite(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) {
        try Transfer.require(request, words: 8)
        guard request.target == .executive else { throw RequestFault(.inappropriateFunction) }
        let region = Int(request[word: 5])
        let offset = request[word: 6], count = Int(request[word: 7])
        guard flashRegionSizes.indices.contains(region), count > 0,
              UInt64(offset) + UInt64(count) <= UInt64(flashRegionSizes[region]) else { throw RequestFault.invalid }
        var bytes: [UInt8] = []
        for e in try Transfer.elements(of: request, minimum: 1) where bytes.count < count {
            bytes += try Transfer.bytes(of: e, memory: memory).prefix(count - bytes.count)
        }
        guard bytes.count == count else { throw RequestFault.invalid }
        let end = UInt64(offset) + UInt64(count)
        settings.flash.removeAll {
            $0.region == region && UInt64($0.offset) >= UInt64(offset) && UInt64($0.offset) + UInt64($0.bytes.count) <= end
        }
        settings.flash.append(DPTFlashBlock(region: region, offset: offset, bytes: bytes))
    }

    /// Private 0x0103: the CRC-32 (IEEE 802.3) of the last 64 KiB of flash region 0 (the
    /// model's choice of checksum).
    func flashCRC() -> UInt32 {
        let size = flashRegionSizes.first ?? 0
        let span = min(size, 0x10000)
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in flashBytes(region: 0, offset: size - span, count: Int(span)) {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
