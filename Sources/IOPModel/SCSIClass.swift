import BlockStorage
import I2OFormats

/// ScsiScbExec (0x81) to a SCSI_PERIPHERAL device that holds data (docs/block-storage.md §SCSI).
///
/// The request: word 4 = CDBLength (bits 0–7) | SCBFlags (bits 16–31: 0x4000 data from the
/// device, 0x8000 to it, 0x0020 sense data in the reply), words 5–8 the CDB (16 bytes), word 9
/// ByteCount, the SGL from word 10. The reply: word 4 = ReqStatus | the HBA status (bits 8–15,
/// 0 = success) | the SCSI status (bits 0–7: 0x00 GOOD, 0x02 CHECK CONDITION); word 5 the bytes
/// moved; word 6 the sense bytes that follow; words 7… the sense data (at most 40 bytes).
extension IOP {
    static let scsiMaxSense = 40

    func scsiRequest(_ request: MessageFrame, device: BlockDevice, identity: SCSIIdentity,
                     memory: BusMemory) throws(RequestFault) -> MessageFrame {
        try Transfer.require(request, words: 10)
        let w4 = request[word: 4]
        let cdbLength = Int(w4 & 0xFF), flags = UInt16(w4 >> 16)
        guard (1...16).contains(cdbLength) else { throw .invalid }
        var cdb: [UInt8] = []
        for i in 5...8 { cdb += withUnsafeBytes(of: request[word: i].littleEndian, Array.init) }
        cdb = Array(cdb.prefix(cdbLength))
        let count = Int(request[word: 9])
        let toDevice = flags & 0x8000 != 0, fromDevice = flags & 0x4000 != 0
        guard !(toDevice && fromDevice), count <= SCSIDisk.maxTransfer else { throw .invalid }
        var buffers: [OutBuffer] = []
        if count > 0 && (toDevice || fromDevice) {
            var total = 0
            for e in try Transfer.elements(of: request, minimum: 1) where total < count {
                let b = try Transfer.buffer(e, memory: memory)
                buffers.append(b); total += b.count
            }
            guard total >= count else { throw .invalid }
        }
        var dataOut: [UInt8] = []
        if toDevice {
            for b in buffers where dataOut.count < count {
                guard let bytes = memory.read(b.address, count: min(b.count, count - dataOut.count)) else { throw .invalid }
                dataOut += bytes
            }
        }
        let outcome = SCSIDisk.execute(cdb, dataOut: dataOut, device: device, identity: identity)
        var moved: [UInt8], sense: SCSISense?
        switch outcome {
        case let .good(data): moved = data; sense = nil
        case let .checkCondition(s, data): moved = data; sense = s
        }
        var transferred = toDevice ? (sense == nil ? count : moved.count) : 0
        if fromDevice {
            moved = Array(moved.prefix(count))
            var at = 0
            for b in buffers where at < moved.count {
                let n = min(b.count, moved.count - at)
                try Transfer.write(Array(moved[at..<at + n]), to: b, memory: memory)
                at += n
            }
            transferred = moved.count
        }
        guard let sense else { return .reply(to: request, status: .success, payload: [UInt32(transferred), 0]) }
        let senseBytes = flags & 0x0060 != 0 ? Array(sense.bytes.prefix(Self.scsiMaxSense)) : []
        var payload = [UInt32(transferred), UInt32(senseBytes.count)]
        var padded = senseBytes; while padded.count % 4 != 0 { padded.append(0) }
        for i in stride(from: 0, to: padded.count, by: 4) {
            payload.append(UInt32(padded[i]) | UInt32(padded[i + 1]) << 8 | UInt32(padded[i + 2]) << 16 | UInt32(padded[i + 3]) << 24)
        }
        // CHECK CONDITION (0x02), HBA status 0: the command reached the disk and failed there.
        return .reply(to: request, status: transferred > 0 ? .errorPartialTransfer : .errorNoDataTransfer,
                      detail: DetailedStatus(rawValue: 0x0002), payload: payload)
    }

    /// The INQUIRY strings of a device: its 0xF100 identity (vendor, product, revision).
    func scsiIdentity(of device: DeviceDescription) -> SCSIIdentity {
        let row = device.identity.rows.first ?? []
        func field(_ name: String) -> String {
            guard let i = device.identity.schema.fields.firstIndex(where: { $0.name == name }) else { return "" }
            let o = device.identity.schema.offsets[i], w = device.identity.schema.fields[i].type.width
            guard o + w <= row.count else { return "" }
            return String(decoding: row[o..<o + w].prefix { $0 != 0 }, as: UTF8.self)
        }
        return SCSIIdentity(vendor: field("VendorInfo"), product: field("ProductInfo"), revision: field("ProductRevLevel"))
    }
}
