import I2OFormats
import IOPModel

/// What a DPT SCSI SCB addresses: the controller itself (TID 0), a physical disk or an array.
public enum DPTTarget: Hashable, Sendable {
    case controller
    case disk(Int)
    case array(Int)
    /// A TID that is no SCSI device (a bus port, a DDM …).
    case other
}

/// The firmware's sense data: fixed-format SCSI sense (`SCSISense`, I2OFormats).
public typealias DPTSense = SCSISense

/// The outcome of one SCSI command the firmware answers itself.
public enum DPTSCSIResult: Hashable, Sendable {
    /// GOOD, with the data sent to the host (already cut to the allocation length).
    case good([UInt8])
    /// CHECK CONDITION with this sense data.
    case checkCondition(DPTSense)
}

extension DPTController {
    /// The target a TID names (a hot spare has no TID of its own: its disk's answers for it).
    public func target(of tid: TID) -> DPTTarget {
        if tid == .executive { return .controller }
        if let d = disks.indices.first(where: { diskTID($0) == tid }) { return .disk(d) }
        if let a = arrays.indices.first(where: { !arrays[$0].isHotSpare && arrayTID($0) == tid }) { return .array(a) }
        return .other
    }

    /// Answers one CDB as DPT firmware does (docs/dpt-protocol.md §Traffic, §Model), from the tables of
    /// DPTSCSICodes.swift: who answers which command and page.
    /// - Parameters:
    ///   - interpret, physical: the SCB's Interpret and Physical bits.
    ///   - dataOut: the data the host sends (MODE SELECT).
    public func scsi(_ cdb: [UInt8], to target: DPTTarget, interpret: Bool = true, physical: Bool = false,
                     dataOut: [UInt8] = []) -> DPTSCSIResult {
        var copy = self
        return copy.execute(cdb, to: target, interpret: interpret, physical: physical, dataOut: dataOut)
    }

    /// As `scsi`, for a command that may change the controller (MODE SELECT of the management
    /// pages, the event log's clear, the alarm's MFC): the change is made in `self`.
    public mutating func execute(_ cdb: [UInt8], to target: DPTTarget, interpret: Bool = true, physical: Bool = false,
                                 dataOut: [UInt8] = []) -> DPTSCSIResult {
        guard let opcode = cdb.first else { return .checkCondition(.invalidOpcode) }
        var c = cdb
        while c.count < 16 { c.append(0) }
        guard let kind = kind(of: target) else { return .checkCondition(.lunNotSupported) }
        let operation = SCSIOperation(rawValue: opcode)
        let result: DPTSCSIResult
        if kind == .controller, c[1] >> 5 != 0 {   // a LUN (CDB byte 1 bits 5–7) other than 0
            result = absentLUN(c, operation)
        } else if let operation, operation.answeredBy.always.contains(kind) {
            result = answer(operation, c, to: target, kind, physical: physical, dataOut: dataOut)
        } else if !isReady(target) {
            result = .checkCondition(.notReady)
        } else if let operation, operation.answeredBy.whenReady.contains(kind) {
            result = answer(operation, c, to: target, kind, physical: physical, dataOut: dataOut)
        } else {
            result = .checkCondition(.invalidOpcode)
        }
        guard case let .good(data) = result else { return result }
        return .good(Array(data.prefix(operation?.allocationLength(c) ?? data.count)))
    }

    /// The kind of a target that exists (nil: a TID that is no SCSI device, or an index past the
    /// description's disks or arrays).
    func kind(of target: DPTTarget) -> DPTTargetKinds? {
        switch target {
        case .controller: .controller
        case let .disk(i): disks.indices.contains(i) ? .disk : nil
        case let .array(i): arrays.indices.contains(i) ? .array : nil
        case .other: nil
        }
    }

    /// Whether the target answers every command it knows: a failed disk or array does not.
    func isReady(_ target: DPTTarget) -> Bool {
        switch target {
        case let .disk(i): disks[i].status == .optimal || papStatus(disk: i) == 0x24
        case let .array(i): arrayStatus(i) != .dead
        case .controller, .other: true
        }
    }

    /// A LUN other than 0 of the controller's address: INQUIRY says "no LUN here", everything
    /// else is refused.
    func absentLUN(_ c: [UInt8], _ operation: SCSIOperation?) -> DPTSCSIResult {
        guard operation == .inquiry, c[1] & 1 == 0 else { return .checkCondition(.lunNotSupported) }
        return .good([Inquiry.noLUN] + [UInt8](repeating: 0, count: 35))
    }

    /// Carries out a command the target answers.
    mutating func answer(_ operation: SCSIOperation, _ c: [UInt8], to target: DPTTarget, _ kind: DPTTargetKinds,
                physical: Bool, dataOut: [UInt8]) -> DPTSCSIResult {
        switch operation {
        case .testUnitReady:
            return .good([])
        case .dptMultiFunction:
            return multiFunction(c, to: kind)
        case .inquiry:
            let id = identity(of: target)
            if c[1] & 1 != 0 { return vpd(c[2], serial: id.serial) }   // EVPD
            return .good(Self.inquiry(type: id.type, vendor: id.vendor, product: id.product, revision: id.revision,
                                      flags: id.flags))
        case .modeSense6, .modeSense10:
            guard let page = DPTModePage(rawValue: c[2] & 0x3F), page.row.answeredBy.contains(kind) else {
                return .checkCondition(.invalidField)
            }
            // A disk answers the LAP only for the hot spare it is.
            if page == .logicalArray, case let .disk(d) = target, !(array(of: d).map { arrays[$0].isHotSpare } ?? false) {
                return .checkCondition(.invalidField)
            }
            let defaults = c[2] >> 6 == 2   // PC = 2: the factory values
            let body = page.row.zeroFilled.map { [UInt8](repeating: 0, count: $0) } ?? modePageBody(page, of: target, defaults: defaults)
            return .good(Self.modeSense(ten: operation == .modeSense10, page: page.rawValue, body: body,
                                        pageLength: page.pageLength))
        case .logSense:
            guard let page = DPTLogPage(rawValue: c[2] & 0x3F), page.answeredBy.contains(kind) else {
                return .checkCondition(.invalidField)
            }
            if page == .eventLog && c[2] >> 6 == 0 {   // PC = 0: clear the log
                settings.events.removeAll()
                return .good(Self.logPage(page.rawValue, []))
            }
            let first = Int(c[5]) << 8 | Int(c[6])
            return .good(Self.logPage(page.rawValue, logParameters(page, of: target, physical: physical, first: first)))
        case .modeSelect6:
            return modeSelect6(dataOut, to: target)
        case .modeSelect10:
            return modeSelect10(dataOut, to: target)
        case .readCapacity10:
            let blocks = capacity(of: target)
            return .good(be32(blocks > 0 ? blocks - 1 : 0) + be32(512))
        case .read10:
            return read(c, blocks: capacity(of: target))
        case .write10:
            guard case .good = read(c, blocks: capacity(of: target)) else { return .checkCondition(.lbaOutOfRange) }
            return .good([])
        }
    }

    /// What INQUIRY reports of a target.
    func identity(of target: DPTTarget) -> (type: UInt8, vendor: String, product: String, revision: String,
                                            flags: UInt8, serial: String) {
        switch target {
        case let .disk(i):
            let d = disks[i]
            return (Inquiry.directAccess, d.vendor, d.product, d.revision, Inquiry.wbus16 | Inquiry.sync | Inquiry.cmdQue, d.serial)
        case let .array(i):
            return (Inquiry.directAccess, vendor, arrayProduct(i), firmware, Inquiry.cmdQue, serial + "-\(i)")
        case .controller, .other:
            return (Inquiry.processor, vendor, model, firmware, 0x00, serial)
        }
    }

    /// The capacity of a disk or array in 512-byte blocks.
    func capacity(of target: DPTTarget) -> UInt32 {
        switch target {
        case let .disk(i): disks[i].blocks
        case let .array(i): arrayBlocks(i)
        case .controller, .other: 0
        }
    }
}
