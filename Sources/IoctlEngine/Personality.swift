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

/// One write into caller memory, done after the request was carried out.
struct UserWrite: Sendable, Equatable {
    enum Data: Sendable, Equatable {
        case bytes([UInt8])
        /// A little-endian u32 (`*reslen`), held without an array.
        case u32(UInt32)
    }
    var address: UInt64
    var data: Data
    /// A write whose fault the driver ignores (the kernels' `put_user(len, reslen)`): stored with
    /// `storeUnchecked`, inside a range reserved as unchecked, and never a reason for EFAULT.
    var unchecked = false
    init(address: UInt64, bytes: [UInt8]) { self.address = address; data = .bytes(bytes) }
    static func u32(_ v: UInt32, at address: UInt64, unchecked: Bool = false) -> UserWrite {
        var w = UserWrite(address: address, bytes: []); w.data = .u32(v); w.unchecked = unchecked; return w
    }
    /// Stores it; an empty write stores nothing and succeeds.
    /// - Returns: false when a checked write faulted (an unchecked one's fault is ignored: true).
    func store(into memory: inout some UserMemory) -> Bool {
        switch (data, unchecked) {
        case let (.bytes(b), false): return b.isEmpty || memory.store(b, at: address)
        case let (.u32(v), false): return withUnsafeBytes(of: v.littleEndian) { memory.store($0, at: address) }
        case let (.bytes(b), true): if !b.isEmpty { _ = b.withUnsafeBytes { memory.storeUnchecked($0, at: address) } }
        case let (.u32(v), true): _ = withUnsafeBytes(of: v.littleEndian) { memory.storeUnchecked($0, at: address) }
        }
        return true
    }
}

/// The writes of one request, in order: inline up to two (a handler's usual `*reslen` and
/// buffer), so finishing a request allocates no list.
struct UserWrites: Sendable, ExpressibleByArrayLiteral {
    private var first: UserWrite?, second: UserWrite?
    private var more: [UserWrite] = []
    init(arrayLiteral elements: UserWrite...) { for e in elements { append(e) } }
    mutating func append(_ w: UserWrite) {
        if first == nil { first = w } else if second == nil { second = w } else { more.append(w) }
    }
    /// Stores them in order; false at the first checked one that fails.
    func store(into memory: inout some UserMemory) -> Bool {
        if let first, !first.store(into: &memory) { return false }
        if let second, !second.store(into: &memory) { return false }
        for w in more where !w.store(into: &memory) { return false }
        return true
    }
}

/// What a handler decided under the lock.
enum Step: Sendable {
    /// Store these, in order (a failing store → EFAULT, unless it is unchecked), then return the result.
    case finish(UserWrites, IoctlResult)
    /// The result does not fit the write reservation (the state changed since it was sized):
    /// fetch again with this many bytes and start over. Nothing was changed.
    case grow(Int)

    static func fail(_ e: Errno) -> Step { .finish([], .error(e)) }
}

/// One ioctl call: who, what, where.
struct IoctlCall: Sendable {
    let engine: Engine
    let file: OpenFileID
    let command: IoctlCommand
    let argument: UInt64
    /// The request's shared part (for the frame interceptors), when it has one.
    let scope: RequestScope?
    var abi: CallerABI { command.abi }

    /// The ioctl's struct at `argument` (its size by ABI), nil when it faults.
    func fetchStruct(_ memory: inout some UserMemory) throws(NeedsRound) -> [UInt8]? {
        let size = command.structSize
        guard let b = try memory.fetch(UserRange(address: argument, count: size)), b.count >= size else { return nil }
        return b
    }

    /// Stores `writes` in order; the first that fails makes the result EFAULT.
    func finish(_ writes: UserWrites, _ result: IoctlResult, memory: inout some UserMemory) -> IoctlResult {
        writes.store(into: &memory) ? result : .error(.EFAULT)
    }

    /// Runs the standard second round and its completion: `fetch` the buffers for a write
    /// reservation of `reserve` bytes, decide under the lock, store. On `.grow` the round is
    /// repeated with the larger reservation (the IOP changed between sizing and posting).
    /// `unchecked`: write reservations whose fault does not end the call (the kernels' `*reslen`),
    /// for the `unchecked` writes `decide` gives.
    func run(reserve initial: Int, memory: inout some UserMemory,
             ranges: (Int) -> (reads: UserRanges, writes: UserRanges), unchecked: UserRanges = [],
             decide: (FetchedRanges, Int, inout EngineState) -> Step) throws(NeedsRound) -> IoctlResult {
        var reserve = initial
        for _ in 0..<4 {
            let r = ranges(reserve)
            let got = try memory.fetch(r.reads, r.writes, unchecked: unchecked)
            let reserved = reserve
            let step = engine.locked { s in decide(got, reserved, &s) }
            switch step {
            case let .finish(writes, result): return finish(writes, result, memory: &memory)
            case let .grow(n): reserve = max(n, reserve + 1)
            }
        }
        // The state kept changing under us: give up as a busy device would.
        return .error(.EAGAIN)
    }

}

extension UserRange {
    static func u32(_ address: UInt64) -> UserRange { UserRange(address: address, count: 4) }
}

extension EngineState {
    /// A reply's outcome as the documented personality reports it: nil reply → ETIMEDOUT,
    /// ReqStatus ≠ 0 → EIO, else nil (success).
    static func failure(of reply: MessageFrame?) -> Errno? {
        guard let reply else { return .ETIMEDOUT }
        return reply.reqStatus == .success ? nil : .EIO
    }
}
