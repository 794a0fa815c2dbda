import I2OFormats

extension IOP {
    /// Posts a request frame to the IOP, which acts on it and answers.
    ///
    /// Routing, in this order:
    /// 1. a TargetAddress that names no device of this IOP → ERROR_NO_DATA_TRANSFER /
    ///    INVALID_TARGET_ADDRESS;
    /// 2. an executive function (0xA0–0xDF) to a TID other than 0 → ERROR_NO_DATA_TRANSFER /
    ///    INAPPROPRIATE_FUNCTION;
    /// 3. a `KnownFailure` of the target device that matches the function (and, for
    ///    UtilParamsGet/Set, the group of any operation) → its ReqStatus / DetailedStatus, no
    ///    state change;
    /// 4. the function's handler — a block storage function to a device with data goes to
    ///    `bsaRequest` (BlockStorageClass.swift); a function the model does not implement →
    ///    ERROR_NO_DATA_TRANSFER / UNSUPPORTED_FUNCTION.
    ///
    /// A malformed request never traps: a frame shorter than its function needs → MESSAGE_TOO_SMALL,
    /// no SGL or too few elements → MISSING_PARAMETER, an SGL that does not decode or names a bus
    /// address range that is not mapped → INVALID_PARAMETER (all with ERROR_NO_DATA_TRANSFER).
    ///
    /// - Parameters:
    ///   - request: the inbound message frame (MessageSize words).
    ///   - memory: the host memory its SGL elements point at; the IOP reads buffers flowing
    ///     host→IOP and writes buffers flowing IOP→host.
    /// - Returns: the reply frame, or nil when there is none now: UtilNOP (never answered),
    ///   UtilEventRegister (events come later through `outbound`), ExecStatusGet (completion is
    ///   the status block's sync byte), ExecLctNotify waiting for a change.
    public mutating func post(_ request: MessageFrame, memory: BusMemory) -> MessageFrame? {
        let function = request.function
        guard let device = devices[request.target] else {
            return MessageFrame.reply(to: request, status: .errorNoDataTransfer, detail: .invalidTargetAddress)
        }
        if Self.isExecutiveFunction(function) && request.target != .executive {
            return MessageFrame.reply(to: request, status: .errorNoDataTransfer, detail: .inappropriateFunction)
        }
        // Parameter requests match their failures per operation group, after parsing.
        if function != .utilParamsGet && function != .utilParamsSet,
           let f = device.failures.first(where: { ($0.function == nil || $0.function == function) && $0.group == nil }) {
            return MessageFrame.reply(to: request, status: f.reqStatus, detail: f.detailedStatus)
        }
        do throws(RequestFault) {
            switch function {
            case .utilNOP: return nil
            case .utilParamsGet: return try paramsRequest(request, memory: memory, isSet: false)
            case .utilParamsSet: return try paramsRequest(request, memory: memory, isSet: true)
            case .utilConfigDialog: return try configDialog(request, memory: memory)
            case .utilEventRegister: return eventRegister(request)
            case .execStatusGet: return try statusGet(request, memory: memory)
            case .execHrtGet: return try hrtGet(request, memory: memory)
            case .execLctNotify:
                if firmware?.lctTableSizeCountsWholeTable == true { return try lctNotifyCountingWholeTable(request, memory: memory) }
                return try lctNotify(request, memory: memory)
            case .execSwDownload: return try swDownload(request, memory: memory)
            case .execSwUpload: return try swUpload(request, memory: memory)
            case .execSwRemove: return try swRemove(request)
            case .execConfigValidate: return configValidate(request)
            case .privateMessage: return try privateMessage(request, memory: memory)
            case .scsiScbExec where device.entry.classID == .scsiPeripheral && blockDevices[request.target] != nil:
                return try scsiRequest(request, device: blockDevices[request.target]!, identity: scsiIdentity(of: device), memory: memory)
            case _ where Self.isBlockStorageFunction(function):
                guard device.entry.classID == .randomBlockStorage, let blockDevice = blockDevices[request.target] else { fallthrough }
                return try bsaRequest(request, device: blockDevice, memory: memory)
            default:
                return MessageFrame.reply(to: request, status: .errorNoDataTransfer, detail: .unsupportedFunction)
            }
        } catch {
            return error.reply(to: request)
        }
    }

    /// The block storage class's functions (BsaStatusCheck 0x25 … BsaBlockReassign 0x71).
    /// (A switch, not an array literal's `contains`: that builds the array on every request.)
    static func isBlockStorageFunction(_ f: I2OFunction) -> Bool {
        switch f {
        case .bsaStatusCheck, .bsaDeviceReset, .bsaBlockRead, .bsaBlockWrite, .bsaBlockWriteVerify, .bsaMediaVerify, .bsaCacheFlush,
             .bsaMediaMount, .bsaMediaEject, .bsaMediaLock, .bsaMediaUnlock, .bsaPowerMgt, .bsaBlockReassign: true
        default: false
        }
    }

    /// Executive class functions (0xA0–0xDF), which only TID 0 accepts.
    static func isExecutiveFunction(_ f: I2OFunction) -> Bool { (0xA0...0xDF).contains(f.rawValue) }
}
