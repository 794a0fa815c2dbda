import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import Synchronization

/// The dpt_i2o host driver's management node `/dev/dptiN` (docs/dpti.md): one node per controller,
/// `dpti<N>` for IOP unit N of the engine's machine, speaking dpt_i2o's 'D' ioctls in both ABIs —
/// DPT_SIGNATURE, I2OUSRCMD (the driver's pass-through), DPT_CTRLINFO, DPT_SYSINFO, DPT_BLINKLED,
/// I2ORESETCMD, I2ORESCANCMD, DPT_TARGET_BUSY. A second kind of node over the engine's IOPs: its frames
/// go through the engine's post path under the engine's lock (a failed IOP, the post-wait), as no
/// request's: the engine's ioctl interceptors (trace, statistics, persistence, fault rules) do not see it.
///
/// The engine's personality picks the driver: `documented` answers DPT_TARGET_BUSY as `dpti_ioctl.h`
/// declares it; the kernel personalities are mainline's `dpt_i2o.c`, bug for bug (DPT_TARGET_BUSY →
/// EINVAL; I2OUSRCMD's copy-back refuses a frame over 32 words). `linux-2.6.18` is an x86_64 kernel:
/// a 32-bit caller goes through mainline's `compat_adpt_ioctl`, which knows only the 64-bit numbers.
public final class DPTINode: ControlNode {
    public let engine: Engine
    /// The controller: IOP unit N for `dptiN`.
    public let unit: IOPUnit
    let kernel: Bool
    /// A kernel built for x86_64 (32-bit callers through its compat switch).
    let compat: Bool
    let state = Mutex(DPTIState())
    /// Called after every I2OUSRCMD that succeeded (it may have changed what the card keeps): writes
    /// the state directory; false (the write failed) turns the result into EIO, as for PASSTHRU.
    let saveState: (@Sendable () -> Bool)?

    /// The node of IOP `unit` of `engine`'s machine; nil when the machine has no such IOP.
    /// `saveState`: the simulator's state directory (`Simulator.dptiNode`).
    public init?(engine: Engine, unit: IOPUnit, saveState: (@Sendable () -> Bool)? = nil) {
        guard engine.peek({ $0.machine.hasIOP(unit) }) else { return nil }
        self.engine = engine
        self.unit = unit
        self.saveState = saveState
        let personality = engine.personalityName
        kernel = personality != .documented
        compat = personality == .linux2618
        // Its open files are numbered apart from the engine's (from 2^48 + unit·2^32): a transport
        // serving both kinds of node tells their files apart by id (the preload socket's event hub).
        state.withLock { $0.nextFile = 1 << 48 | UInt64(unit.rawValue) << 32 }
    }

    /// `dpti<N>`: the name the driver gives the node (its `pHba->name`).
    public var name: String { "dpti\(unit.rawValue)" }

    /// The unit a node name (`dpti0`, `/dev/dpti3`) stands for; nil for a name that is not a dpti node.
    public static func unit(named name: String) -> IOPUnit? {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard base.hasPrefix("dpti"), let n = UInt32(base.dropFirst(4)), String(n) == base.dropFirst(4),
              n < UInt32(DPTILimits.maxControllers) else { return nil }
        return IOPUnit(rawValue: n)
    }

    // MARK: Targets held open (DPT_TARGET_BUSY)

    /// Marks the target (channel, id, lun) held open by the operating system, or no longer:
    /// the documented DPT_TARGET_BUSY reports it busy while it is held. None is, at first.
    public func setHeldOpen(_ held: Bool, channel: UInt32, id: UInt32, lun: UInt32) {
        let t = DPTTarget(channel: channel, id: id, lun: lun)
        state.withLock { s in if held { s.heldOpen.insert(t) } else { s.heldOpen.remove(t) } }
    }

    // MARK: ControlNode

    /// `adpt_open`: any number of opens.
    public func open(by caller: Int32?) -> OpenFileID {
        state.withLock { s in
            let id = OpenFileID(rawValue: s.nextFile)
            s.nextFile += 1
            s.files.insert(id)
            return id
        }
    }

    public func release(_ file: OpenFileID, by caller: Int32?) { _ = state.withLock { $0.files.remove(file) } }

    /// The driver has no `read` method: the kernel answers EINVAL.
    public func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult { .error(.EINVAL) }
    /// Nor a `write` method: EINVAL.
    public func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult { .error(.EINVAL) }
    public func isReadable(_ file: OpenFileID) -> Bool { true }
    /// No `poll` method (the default mask, always) and no `fasync`.
    public var fileOperations: FileOperations { FileOperations(poll: .none, fasync: .none) }

    public func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard state.withLock({ $0.files.contains(request.file) }) else { return .error(.EBADF) }
        // adpt_ioctl finds no HBA of this minor (the machine was replaced without this IOP): ENXIO.
        guard engine.peek({ $0.machine.hasIOP(unit) }) else { return .error(.ENXIO) }
        // An x86_64 kernel's compat switch passes a 32-bit caller's number on only when it is one
        // of the 64-bit numbers; adpt_ioctl then writes the 64-bit layouts.
        let abi: CallerABI = compat ? .lp64 : request.abi
        guard let command = DPTIoctl.decode(request.command, abi: abi) else { return .error(.EINVAL) }
        let arg = request.argument
        switch command {
        case .signature:
            return try store(DPTSignature.driver(abi).encode(abi), at: arg, memory: &memory)
        case .controllerInfo:
            return try store(controllerInfo().encode(abi), at: arg, memory: &memory)
        case .systemInfo:
            return try store(DPTSystemInfo.driver(abi).encode(abi), at: arg, memory: &memory)
        case .blinkLED:
            // adpt_read_blink_led: 0 unless the firmware shows a blink code (none is modelled).
            return try store([0, 0, 0, 0], at: arg, memory: &memory)
        case .userCommand:
            let result = try userCommand(arg, memory: &memory)
            guard case .value = result, let saveState, !saveState() else { return result }
            return .error(.EIO)
        case .rescan, .reset:
            // adpt_rescan reads the LCT again; adpt_hba_reset ends with the same read (the model has no
            // IOP reset to replay before it). Both return 0 whatever the IOP answered.
            engine.locked { s in _ = s.readTable(.execLctNotify, unit: unit, capacity: 1 << 16, for: nil, byDriver: true) }
            return .success
        case .targetBusy:
            return try targetBusy(arg, abi: abi, memory: &memory)
        }
    }

    // MARK: Handlers

    /// One `copy_to_user` of `bytes` at `address`: EFAULT when it faults.
    private func store(_ bytes: [UInt8], at address: UInt64, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        _ = try memory.fetch([], [UserRange(address: address, count: bytes.count)])
        return memory.store(bytes, at: address) ? .success : .error(.EFAULT)
    }

    /// DPT_CTRLINFO's `drvrHBAinfo_S`: the unit, the PCI bus and device of the IOP's first PCI HRT
    /// entry (the card's own functions); the base address and interrupt are not modelled (0).
    func controllerInfo() -> DPTHBAInfo {
        let pci = engine.peek { $0.machine.iops[unit]?.hrt.entries.first { $0.busType == HRTBusType.pci.rawValue } }
        return DPTHBAInfo(hbaNumber: UInt16(truncatingIfNeeded: unit.rawValue), baseAddress: 0, blinkState: 0,
                          pciBus: pci?.pciBus ?? 0, pciDevice: pci?.pciDevice ?? 0, interrupt: 0)
    }

    /// DPT_TARGET_BUSY. Mainline's adpt_ioctl has no case for it: EINVAL. Documented: the struct is read
    /// (channel, id, lun → EFAULT) and `isBusy` written (1 while the target is held open, else 0).
    private func targetBusy(_ arg: UInt64, abi: CallerABI, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        guard !kernel else { return .error(.EINVAL) }
        let size = DPTTargetBusy.byteCount(abi)
        let at = arg &+ UInt64(DPTTargetBusy.isBusyOffset(abi))
        let got = try memory.fetch([UserRange(address: arg, count: size)], [UserRange(address: at, count: size / 4)])
        guard let bytes = got.bytes(0), let t = DPTTargetBusy.decode(bytes, abi: abi) else { return .error(.EFAULT) }
        let busy = state.withLock { $0.heldOpen.contains(DPTTarget(channel: t.channel, id: t.id, lun: t.lun)) }
        var out: [UInt8] = []
        if abi == .lp64 { out.appendLE64(busy ? 1 : 0) } else { out.appendLE32(busy ? 1 : 0) }
        return memory.store(out, at: at) ? .success : .error(.EFAULT)
    }
}

/// A SCSI address as DPT_TARGET_BUSY names it.
struct DPTTarget: Hashable, Sendable {
    var channel: UInt32
    var id: UInt32
    var lun: UInt32
}

struct DPTIState: Sendable {
    var nextFile: UInt64 = 0
    var files: Set<OpenFileID> = []
    var heldOpen: Set<DPTTarget> = []
    /// The post-wait id the driver puts in InitiatorContext (`adpt_post_wait_id`, 15 bits).
    var nextWaitID: UInt32 = 0

    mutating func waitID() -> UInt32 {
        nextWaitID = (nextWaitID + 1) & 0x7FFF
        return nextWaitID
    }
}

/// dpt_i2o's sizes (`dpti.h`).
enum DPTILimits {
    /// `DPTI_MAX_HBA`: minors 0…15.
    static let maxControllers = 16
    /// `MAX_MESSAGE_SIZE`, words: a longer I2OUSRCMD frame → EFAULT.
    static let maxMessageWords = 128
    /// `REPLY_FRAME_SIZE`, words: the reply the driver keeps and copies out at most.
    static let replyWords = 17
    /// `SG_LIST_ELEMENTS`: the most SGL elements, whatever the IOP's frame size.
    static let sgListElements = 56

    /// `pHba->sg_tablesize` (32-bit DMA): (InboundFrameSize·4 − 48) / 8, at most 56 — a frame too
    /// small for the subtraction wraps (size_t) and is capped.
    static func sgTableSize(inboundFrameWords: Int) -> Int {
        let bytes = inboundFrameWords * 4
        return bytes < 48 ? sgListElements : min((bytes - 48) / 8, sgListElements)
    }
}
