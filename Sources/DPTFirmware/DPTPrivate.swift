import I2OFormats
import IOPModel

/// DPT private messages: function 0xFF, word 4 = XFunctionCode | OrganizationID << 16.
public enum DPTPrivateFunction {
    public static let flashRegionSize: UInt16 = 0x0100
    public static let flashRegionRead: UInt16 = 0x0101
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
            var left = Int(count)
            for e in try Transfer.elements(of: request, minimum: 1) where left > 0 {
                let out = try Transfer.buffer(e, memory: memory)
                let n = min(left, out.count)
                // A blank flash: all 0xFF.
                try Transfer.write([UInt8](repeating: 0xFF, count: n), to: out, memory: memory)
                left -= n
            }
            return MessageFrame.reply(to: request)
        case DPTPrivateFunction.scsiScbExecute:
            return try scbExecute(request, memory: memory)
        default:
            throw RequestFault(.unsupportedFunction)
        }
    }

    /// PRIVATE_SCSI_SCB_EXECUTE: the firmware answers the CDB itself. GOOD → SUCCESS with the
    /// TransferCount in word 5; CHECK CONDITION → ERROR_NO_DATA_TRANSFER, DetailedStatus 0x0002,
    /// a 17-word I2O_SCSI_ERROR_REPLY with AutoSenseTransferCount (word 6) and the sense data
    /// (words 7–16), and the sense element, when there is one, filled too.
    func scbExecute(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame {
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
        let result = scsi(cdb, to: target(of: request.target),
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
