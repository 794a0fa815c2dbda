import BlockStorage
import I2OFormats
import IOPModel

/// Where the controller's disks and arrays keep their data (docs/block-storage.md §The controller
/// and the data): each drive a disk of its own, each array a logical drive over its members'
/// disks, with the array's task — a rebuild onto a replaced member, a build, a verify — as far
/// as the firmware's clock has taken it. The generic IOP makes the data follow.
extension DPTController {
    /// Drive `i`'s disk: named by its address and serial (a new drive in an old slot is a new disk).
    func diskStorage(_ i: Int) -> DiskStorage {
        let d = disks[i]
        let serial = String(d.serial.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        return DiskStorage(name: serial.isEmpty ? d.address : "\(d.address)-\(serial)", blocks: UInt64(d.blocks),
                           failed: d.status == .failed)
    }

    /// Array `i`'s logical drive (nil for a level the data model does not lay out).
    func volumeStorage(_ i: Int) -> StorageDescription? {
        let a = arrays[i]
        guard let level = RAIDLayout.Level(rawValue: a.level) else { return nil }
        var v = VolumeStorage(level: level, members: a.members.map(diskTID), stripeBlocks: UInt64(max(a.stripeBlocks, 1)),
                              blocks: UInt64(arrayBlocks(i)), writeBack: a.writeBack)
        if let task = a.task {
            switch task.kind {
            case .rebuild:
                for m in a.members where disks.indices.contains(m) && disks[m].status == .replaced {
                    v.rebuilding[diskTID(m)] = UInt64(task.done)
                }
            case .build: v.task = VolumeTask(kind: .build, done: UInt64(task.done))
            case .verify: v.task = VolumeTask(kind: .verify, done: UInt64(task.done))
            case .verifyFix: v.task = VolumeTask(kind: .verifyFix, done: UInt64(task.done))
            }
        }
        return .volume(v)
    }

    /// A verify found `n` inconsistent blocks on the array at `tid`: LAP bytes 24–27 count them.
    public mutating func dataVerified(_ tid: TID, inconsistentBlocks n: UInt64) {
        guard let i = arrays.indices.first(where: { !arrays[$0].isHotSpare && arrayTID($0) == tid }) else { return }
        arrays[i].verifyErrors = arrays[i].verifyErrors &+ UInt32(clamping: n)
    }
}

// MARK: The SCSI path to the data

extension DPTController {
    /// READ and WRITE (6, 10, 16), VERIFY (10, 16), SYNCHRONIZE CACHE (10, 16).
    static func isDataCommand(_ opcode: UInt8) -> Bool {
        [0x08, 0x28, 0x88, 0x0A, 0x2A, 0x8A, 0x2F, 0x8F, 0x35, 0x91].contains(opcode)
    }

    /// A data command of PRIVATE_SCSI_SCB_EXECUTE answered from the device's data (`SCSIDisk`):
    /// GOOD → SUCCESS with the bytes moved in word 5; CHECK CONDITION → the firmware's error reply
    /// (ERROR_NO_DATA_TRANSFER, DetailedStatus 0x0002, sense in words 7–16 and in the sense
    /// element), a read's blocks before a medium error delivered.
    func dataCommand(_ cdb: [UInt8], device: BlockDevice, request: MessageFrame, flags: UInt16, byteCount: Int,
                     data: SGLElement?, sense: SGLElement?, dataOut: [UInt8], memory: BusMemory) throws(RequestFault) -> MessageFrame {
        let toDevice = flags & DPTPrivateFunction.dataToDevice != 0
        let outcome = SCSIDisk.execute(cdb, dataOut: dataOut, device: device, identity: SCSIIdentity(vendor: "", product: "", revision: ""))
        func deliver(_ bytes: [UInt8]) throws(RequestFault) -> Int {
            guard !toDevice, let data, !bytes.isEmpty else { return toDevice ? dataOut.count : 0 }
            let out = try Transfer.buffer(data, memory: memory)
            return try Transfer.write(bytes.count <= byteCount ? bytes : Array(bytes.prefix(byteCount)), to: out, memory: memory)
        }
        switch outcome {
        case let .good(bytes):
            return MessageFrame.reply(to: request, word: UInt32(try deliver(bytes)))
        case let .checkCondition(s, moved):
            let done = toDevice ? moved.count : try deliver(moved)
            let senseBytes = s.bytes
            if let sense, case .simple = sense, let out = try? Transfer.buffer(sense, memory: memory) {
                try Transfer.write(senseBytes, to: out, memory: memory)
            }
            let padded = senseBytes + [UInt8](repeating: 0, count: 40 - senseBytes.count)
            let senseWords = stride(from: 0, to: 40, by: 4).map { padded.readLE32(at: $0) }
            return MessageFrame.reply(to: request, status: done > 0 ? .errorPartialTransfer : .errorNoDataTransfer,
                                      detail: DPTPrivateFunction.checkConditionDetail,
                                      payload: [UInt32(done), UInt32(senseBytes.count)] + senseWords)
        }
    }
}

// MARK: The dialog

extension DPTController {
    /// The controller's arrays (on TID 0: all of them, the hot spares and the drives; on an
    /// array's TID: that array) with their status and task, for the IOP's configuration dialog.
    public func dialogTables(for tid: TID) -> [FirmwareTable] {
        let header = ["TID", "Address", "Level", "Members", "Capacity", "Status", "Task", "Write cache"]
        func row(_ i: Int) -> [String] {
            let a = arrays[i]
            let members = a.members.map { disks.indices.contains($0) ? disks[$0].address + (disks[$0].status == .optimal ? "" : " (\(disks[$0].status.rawValue))") : "?" }
            let task = a.task.map { t -> String in
                let total = max(UInt64(arrayBlocks(i)), 1)
                return "\(t.kind.rawValue) \(UInt64(t.done) * 100 / total)%"
            } ?? "—"
            return [arrayTID(i).description, addressText(i), "RAID \(a.level)", members.joined(separator: ", "),
                    "\(UInt64(arrayBlocks(i)) * 512 / 1_000_000) MB", arrayStatus(i).name, task, a.writeBack ? "write-back" : "write-through"]
        }
        let lsus = arrays.indices.filter { !arrays[$0].isHotSpare }
        if tid == .executive {
            let spares = arrays.filter(\.isHotSpare).flatMap(\.members).filter { disks.indices.contains($0) }
            return [FirmwareTable(title: "Arrays", header: header, rows: lsus.map(row)),
                    FirmwareTable(title: "Hot spares", header: ["Address", "Capacity"],
                                  rows: spares.map { [disks[$0].address, "\(UInt64(disks[$0].blocks) * 512 / 1_000_000) MB"] }),
                    FirmwareTable(title: "Drives", header: ["TID", "Address", "Model", "Status", "In"],
                                  rows: disks.indices.map { d in
                                      [diskTID(d).description, disks[d].address, disks[d].product, disks[d].status.rawValue,
                                       array(of: d).map { arrays[$0].isHotSpare ? "hot spare" : addressText($0) } ?? "—"]
                                  })]
        }
        guard let i = lsus.first(where: { arrayTID($0) == tid }) else { return [] }
        return [FirmwareTable(title: "Array", header: header, rows: [row(i)])]
    }
}
