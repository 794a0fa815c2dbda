import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

/// The seam where host-driver behaviours differ: one method per ioctl, plus `read` and `write`.
///
/// The protocol extension implements the `documented` personality (`contract.md`); a kernel
/// personality (`linux-2.6.18`, `linux-2.4`) is a type conforming to `Personality` that
/// overrides the handlers that differ and reuses the building blocks of `IoctlCall` and
/// `EngineState` (frames of docs/kernels.md §Frames, fetch helpers) for the rest.
protocol Personality: Sendable {
    var name: PersonalityName { get }
    func getIOPs(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func hrtGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func lctGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func parmGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func parmSet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func swDownload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func swUpload(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func swDelete(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func validate(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func html(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func eventRegister(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func eventGet(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func passthru(_ call: IoctlCall, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    func read(_ engine: Engine, file: OpenFileID, capacity: Int) -> ReadResult
    func write(_ engine: Engine, file: OpenFileID, count: Int) -> IoctlResult
    /// Whether the personality implements `command` at all (else EINVAL before any handler).
    func accepts(_ command: IoctlCommand) -> Bool
    /// `poll()`: whether the file is readable now (POLLIN).
    func isReadable(_ engine: Engine, file: OpenFileID) -> Bool
    /// EVTGET's `lost` for an open file that dropped `lost` events.
    static func reportedLost(_ lost: Int32) -> Int32
    /// The driver's `poll` and `fasync` methods (docs/kernels.md §FileOps).
    var fileOperations: FileOperations { get }
}

extension Personality {
    /// Every ioctl of docs/ioctl-abi.md §Numbers, in both ABIs.
    func accepts(_ command: IoctlCommand) -> Bool { true }
    /// The count as kept, cumulative.
    static func reportedLost(_ lost: Int32) -> Int32 { lost }
    /// POLLIN while the open file's event queue is non-empty.
    func isReadable(_ engine: Engine, file: OpenFileID) -> Bool {
        engine.peek { !($0.files[file]?.queue.isEmpty ?? true) }
    }
    /// `poll()` reports POLLIN while events are queued; no asynchronous notification (the seed
    /// document has none: FIOASYNC → ENOTTY, as for any driver without `fasync`).
    var fileOperations: FileOperations { .eventQueue }
}

/// `contract.md`: the interface of the seed document (docs/ioctl-abi.md §Seed) without the
/// kernels' bugs. Every handler is the protocol extension's default.
struct DocumentedPersonality: Personality {
    var name: PersonalityName { .documented }
}

/// Which host driver the engine imitates (`contract.md`): the interface of the seed document (docs/ioctl-abi.md §Seed), or a
/// kernel reproduced bug for bug (docs/kernels.md §Ioctls).
public enum PersonalityName: String, Sendable, CaseIterable {
    case documented
    /// Linux 2.6.18 built for x86_64: 32-bit callers go through its compat layer.
    case linux2618 = "linux-2.6.18"
    /// Linux 2.6.18 built for i386: 32-bit callers get every ioctl natively.
    case linux2618i386 = "linux-2.6.18-i386"
    case linux24 = "linux-2.4"

    var implementation: any Personality {
        switch self {
        case .documented: DocumentedPersonality()
        case .linux2618: Linux2618Personality()
        case .linux2618i386: Linux2618Personality(i386Kernel: true)
        case .linux24: Linux24Personality()
        }
    }
}

/// Limits on what one request may make the engine allocate.
enum Limits {
    /// The result buffer offered to UtilParamsGet/Set (as Linux's `i2o_parm_issue`): bounds the
    /// write reservation of `resbuf`, whatever `*reslen` claims.
    static let paramsResultBytes = 65536
    /// The longest HTML query string (`qlen`); longer → EINVAL.
    static let htmlQueryBytes = 65536
    /// Total bytes of the SGL buffers of one PASSTHRU; more → ENOMEM (the kernel's bounce
    /// buffers would not be allocated either).
    static let passthruBufferBytes = 1 << 20
    /// At most this many reply words are copied back by PASSTHRU (Linux's outbound frame size).
    static let replyWords = 128
    /// PASSTHRU's SGL element limit (`SG_TABLESIZE`).
    static let passthruElements = 30
}
