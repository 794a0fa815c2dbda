import Foundation
import I2OFormats
import IOPModel
import Synchronization

// Fault injection (docs/control.md): rules that make chosen requests fail on purpose and
// repeatably, in the spirit of scsi_debug, QEMU's blkdebug and the kernel's fail-nth.
//
// Two places apply them:
// - the ioctl entry (`Engine.ioctl`): rules whose match names nothing of the model (only the
//   ioctl and/or the open file) and whose action is an errno, a delay, a hang, short or
//   corrupted data — decided once per request (not again on a CUSE retry round);
// - the post of a frame to the model (`EngineState.post`/`attempt`): every other rule. The
//   frame can be answered with a chosen status without reaching the model, have one
//   parameter operation answered with a chosen BlockStatus, fail the IOP as a whole, or make
//   the ioctl end with an errno / after a delay or hang.
// Only frames posted on behalf of an ioctl are matched (not the UtilEventRegister cancels of
// `close`), except that a failed IOP answers nothing at all.

/// Which requests a rule applies to. Every field given must match; an empty match matches all.
public struct FaultMatch: Codable, Hashable, Sendable {
    /// The ioctl's macro name (`I2OPARMGET`), case-insensitive.
    public var ioctl: String?
    public var iop: UInt32?
    public var tid: UInt16?
    /// The I2O function of the posted frame (e.g. 0x06 UtilParamsGet).
    public var function: UInt8?
    /// A parameter operation code in the frame's operation list (UtilParamsGet/Set).
    public var operation: UInt16?
    /// A parameter group in the frame's operation list.
    public var group: UInt16?
    /// The open file (`OpenFileID`): the transports pass no pid, so an open file stands for a process.
    public var file: UInt64?

    public init(ioctl: String? = nil, iop: UInt32? = nil, tid: UInt16? = nil, function: UInt8? = nil,
                operation: UInt16? = nil, group: UInt16? = nil, file: UInt64? = nil) {
        self.ioctl = ioctl; self.iop = iop; self.tid = tid; self.function = function
        self.operation = operation; self.group = group; self.file = file
    }

    /// Whether it names something only a posted frame has.
    public var needsFrame: Bool { iop != nil || tid != nil || function != nil || operation != nil || group != nil }
}

/// What a rule does to a request it fires on.
public struct FaultAction: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// The ioctl returns `errno`.
        case errno
        /// The frame is answered with `reqStatus` / `detailedStatus` without reaching the model.
        case status
        /// The matching parameter operation is answered with `blockStatus` (and not carried out).
        case blockStatus = "block-status"
        /// The ioctl is answered `milliseconds` later.
        case delay
        /// The ioctl is held until released through the control channel, or until the timeout
        /// (`FaultTimeouts.hang`) → ETIMEDOUT.
        case hang
        /// Only the first half of every block of bytes the ioctl stores to the caller is stored.
        case short
        /// Every block of bytes the ioctl stores to the caller has its bytes inverted.
        case corrupt
        /// The IOP fails as a whole: from then on it answers nothing (→ ETIMEDOUT) but ExecStatusGet,
        /// whose status block says FAILED, until it is recovered through the control channel.
        case failIOP = "fail-iop"
    }
    public var kind: Kind
    public var errno: Int32?
    public var reqStatus: UInt8?
    public var detailedStatus: UInt16?
    public var blockStatus: UInt8?
    public var milliseconds: Int?

    public init(kind: Kind, errno: Int32? = nil, reqStatus: UInt8? = nil, detailedStatus: UInt16? = nil,
                blockStatus: UInt8? = nil, milliseconds: Int? = nil) {
        self.kind = kind; self.errno = errno; self.reqStatus = reqStatus; self.detailedStatus = detailedStatus
        self.blockStatus = blockStatus; self.milliseconds = milliseconds
    }
    public static func errno(_ e: Errno) -> FaultAction { FaultAction(kind: .errno, errno: e.rawValue) }
    public static func status(_ r: ReqStatus, _ d: DetailedStatus) -> FaultAction {
        FaultAction(kind: .status, reqStatus: r.rawValue, detailedStatus: d.rawValue)
    }
    public static func blockStatus(_ b: BlockStatus) -> FaultAction { FaultAction(kind: .blockStatus, blockStatus: b.rawValue) }
    public static func delay(milliseconds: Int) -> FaultAction { FaultAction(kind: .delay, milliseconds: milliseconds) }
    public static let hang = FaultAction(kind: .hang)
    public static let short = FaultAction(kind: .short)
    public static let corrupt = FaultAction(kind: .corrupt)
    public static let failIOP = FaultAction(kind: .failIOP)

    /// Whether the ioctl entry can carry it out (without a posted frame).
    var atEntry: Bool { [.errno, .delay, .hang, .short, .corrupt].contains(kind) }

    /// What is wrong with it, if anything.
    public var problem: String? {
        switch kind {
        case .errno: errno == nil ? "errno action needs an errno" : nil
        case .status: reqStatus == nil ? "status action needs a reqStatus" : nil
        case .blockStatus: blockStatus == nil ? "block-status action needs a blockStatus" : nil
        case .delay: (milliseconds ?? -1) < 0 ? "delay action needs milliseconds ≥ 0" : nil
        default: nil
        }
    }
}

/// How often a rule fires among the requests it matches.
public struct FaultCount: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// The first match only.
        case once
        /// The first `n` matches.
        case times
        /// Every `n`-th match (the n-th, 2n-th, …).
        case every
        /// Each match with probability `probability`, from a generator seeded with `seed`.
        case probability
        /// Every match, until the rule is removed.
        case always
    }
    public var kind: Kind
    public var n: Int?
    public var probability: Double?
    public var seed: UInt64?
    public init(kind: Kind, n: Int? = nil, probability: Double? = nil, seed: UInt64? = nil) {
        self.kind = kind; self.n = n; self.probability = probability; self.seed = seed
    }
    public static let once = FaultCount(kind: .once)
    public static let always = FaultCount(kind: .always)
    public static func times(_ n: Int) -> FaultCount { FaultCount(kind: .times, n: n) }
    public static func every(_ n: Int) -> FaultCount { FaultCount(kind: .every, n: n) }
    public static func probability(_ p: Double, seed: UInt64) -> FaultCount { FaultCount(kind: .probability, probability: p, seed: seed) }

    public var problem: String? {
        switch kind {
        case .times, .every: (n ?? 0) < 1 ? "\(kind.rawValue) needs n ≥ 1" : nil
        case .probability: (probability.map { $0 >= 0 && $0 <= 1 } ?? false) ? nil : "probability needs a value in 0…1"
        default: nil
        }
    }
}

/// A fault rule and what it did so far.
public struct FaultRule: Codable, Hashable, Sendable {
    /// Given when the rule is added; names it for removal.
    public var id: Int
    public var match: FaultMatch
    public var action: FaultAction
    public var count: FaultCount
    /// Where it came from: "fixture" or "ctl".
    public var origin: String
    /// Requests it matched.
    public var matched: Int = 0
    /// Times it fired (the fault was injected).
    public var fired: Int = 0
    /// The generator state of a probability count.
    var rng: UInt64 = 0

    public init(id: Int = 0, match: FaultMatch, action: FaultAction, count: FaultCount = .always, origin: String = "ctl") {
        self.id = id; self.match = match; self.action = action; self.count = count; self.origin = origin
        rng = count.seed ?? 0
    }

    enum CodingKeys: String, CodingKey { case id, match, action, count, origin, matched, fired }

    /// Whether it has fired all it will.
    public var spent: Bool {
        switch count.kind {
        case .once: fired >= 1
        case .times: fired >= (count.n ?? 0)
        default: false
        }
    }

    /// Counts a match and says whether the fault fires.
    mutating func decide() -> Bool {
        guard !spent else { return false }
        matched += 1
        let fire: Bool
        switch count.kind {
        case .once, .times, .always: fire = true
        case .every: fire = matched % max(1, count.n ?? 1) == 0
        case .probability:
            // SplitMix64: the same seed gives the same sequence of decisions.
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            fire = Double(z >> 11) / Double(1 << 53) < (count.probability ?? 0)
        }
        if fire { fired += 1 }
        return fire
    }
}

/// Timeouts of faults that make a request wait.
public enum FaultTimeouts {
    /// How long a `hang` waits before the ioctl gives ETIMEDOUT: the documented personality's
    /// 60 seconds (Linux's I2O config requests wait 60 s), times `I2OSIM_TIMEOUT_SCALE` (a
    /// decimal factor in the environment, default 1; 0.01 makes it 0.6 s in tests).
    public static var hang: Double {
        let scale = ProcessInfo.processInfo.environment["I2OSIM_TIMEOUT_SCALE"].flatMap(Double.init) ?? 1
        return 60 * max(0, scale)
    }
}

/// The fault rules and failed IOPs of an engine (behind the engine's lock).
public struct FaultTable: Sendable {
    public internal(set) var rules: [FaultRule] = []
    public internal(set) var failedIOPs: Set<IOPUnit> = []
    var nextID = 1
    /// Faults injected, by action kind.
    public internal(set) var injected: [String: Int] = [:]

    public init() {}

    mutating func add(_ rule: FaultRule) -> Int {
        var r = rule
        r.id = nextID; nextID += 1
        r.rng = r.count.seed ?? 0
        rules.append(r)
        return r.id
    }

    mutating func note(_ kind: FaultAction.Kind) { injected[kind.rawValue, default: 0] += 1 }

    /// The first rule (in order) that applies at the ioctl entry and fires.
    mutating func atEntry(kind: IoctlCommand.Kind?, file: OpenFileID) -> FaultAction? {
        for i in rules.indices {
            let r = rules[i]
            guard !r.match.needsFrame, r.action.atEntry, Self.matches(r.match, kind: kind, file: file) else { continue }
            if rules[i].decide() { note(r.action.kind); return r.action }
        }
        return nil
    }

    static func matches(_ m: FaultMatch, kind: IoctlCommand.Kind?, file: OpenFileID) -> Bool {
        if let f = m.file, f != file.rawValue { return false }
        if let name = m.ioctl {
            guard let kind, kind.name.lowercased() == name.lowercased() else { return false }
        }
        return true
    }
}

/// The request an ioctl is carrying out, for the post hook (bound while the ioctl runs).
@usableFromInline
final class FaultScope: Sendable {
    @TaskLocal static var current: FaultScope?

    let kind: IoctlCommand.Kind?
    let file: OpenFileID
    /// What a post-level rule asked the ioctl to do afterwards.
    let outcome = Mutex<FaultOutcome>(FaultOutcome())
    /// The rule that fired at the ioctl entry, for the trace ("entry: delay" …).
    let entryNote = Mutex<String?>(nil)

    init(kind: IoctlCommand.Kind?, file: OpenFileID) { self.kind = kind; self.file = file }
}

/// Effects a fault leaves for the end of the ioctl.
struct FaultOutcome: Sendable {
    var errno: Errno?
    var delayMilliseconds: Int?
    var hang = false
    var data: FaultAction.Kind?
}

extension EngineState {
    /// The fault layer between the engine and the model: gives the reply to use instead of
    /// posting `frame` (`.replaced`), or lets it through with a BlockStatus rewrite (`.blockStatus`).
    enum Intercept {
        case pass
        case replaced(MessageFrame?)
        case blockStatus(index: Int, status: BlockStatus, operation: ParamOperation, frame: MessageFrame)
    }

    mutating func intercept(_ frame: MessageFrame, unit: IOPUnit) -> Intercept {
        if !faults.failedIOPs.isEmpty, faults.failedIOPs.contains(unit) {
            return frame.function == .execStatusGet ? .pass : .replaced(nil)
        }
        guard !faults.rules.isEmpty, let scope = FaultScope.current else { return .pass }
        let operations = paramOperations(of: frame, unit: unit)
        for i in faults.rules.indices {
            let r = faults.rules[i]
            let m = r.match
            guard r.match.needsFrame || !r.action.atEntry,
                  FaultTable.matches(m, kind: scope.kind, file: scope.file) else { continue }
            if let iop = m.iop, iop != unit.rawValue { continue }
            if let tid = m.tid, tid != frame.target.rawValue { continue }
            if let f = m.function, f != frame.function.rawValue { continue }
            var opIndex: Int?
            if m.operation != nil || m.group != nil || r.action.kind == .blockStatus {
                opIndex = operations?.firstIndex { op in
                    (m.operation.map { $0 == op.code.rawValue } ?? true) && (m.group.map { $0 == op.group } ?? true)
                }
                if opIndex == nil { continue }
            }
            guard faults.rules[i].decide() else { continue }
            faults.note(r.action.kind)
            FrameCollector.noteFault("rule \(r.id): \(r.action.kind.rawValue)")
            let a = r.action
            switch a.kind {
            case .errno:
                scope.outcome.withLock { $0.errno = Errno(rawValue: a.errno ?? Errno.EIO.rawValue) }
                return .replaced(MessageFrame.reply(to: frame, status: .errorNoDataTransfer, detail: .success))
            case .status:
                return .replaced(MessageFrame.reply(to: frame, status: ReqStatus(rawValue: a.reqStatus ?? 0),
                                                    detail: DetailedStatus(rawValue: a.detailedStatus ?? 0)))
            case .blockStatus:
                guard let k = opIndex, let ops = operations else { return .pass }
                return .blockStatus(index: k, status: BlockStatus(rawValue: a.blockStatus ?? 0), operation: ops[k], frame: frame)
            case .delay:
                scope.outcome.withLock { $0.delayMilliseconds = a.milliseconds ?? 0 }
                return .pass
            case .hang:
                scope.outcome.withLock { $0.hang = true }
                return .pass
            case .short, .corrupt:
                scope.outcome.withLock { $0.data = a.kind }
                return .pass
            case .failIOP:
                faults.failedIOPs.insert(unit)
                return .replaced(nil)
            }
        }
        return .pass
    }

    /// The operations of a UtilParamsGet/Set frame whose list is immediate data (as the engine
    /// builds them); nil for other frames.
    func paramOperations(of frame: MessageFrame, unit: IOPUnit) -> [ParamOperation]? {
        guard frame.function == .utilParamsGet || frame.function == .utilParamsSet,
              let iop = machine.iops[unit], let list = Self.immediateList(of: frame) else { return nil }
        return iop.operationList(list.bytes, for: frame.target)?.operations
    }

    /// The immediate operation list of a params frame: its bytes and the words it spans.
    static func immediateList(of frame: MessageFrame) -> (bytes: [UInt8], firstWord: Int, wordCount: Int)? {
        let sgl = Int(frame.sglOffset.rawValue)
        guard sgl >= 5, frame.words.count > sgl, frame.words[sgl] >> 24 & 0x7C == 0x4C else { return nil }
        let count = Int(frame.words[sgl] & 0xFF_FFFF)
        let wordCount = (count + 3) / 4
        guard frame.words.count >= sgl + 1 + wordCount else { return nil }
        let bytes = Array(Array(frame.words[(sgl + 1)..<(sgl + 1 + wordCount)]).littleEndianBytes.prefix(count))
        return (bytes, sgl + 1, wordCount)
    }

    /// Posts `frame` with operation `index` left out, then puts a block of `status` in its
    /// place in the result list: the operation is not carried out (a set changes nothing).
    mutating func postWithBlockStatus(_ frame: MessageFrame, index: Int, status: BlockStatus, operation: ParamOperation,
                                      unit: IOPUnit, memory: BusMemory,
                                      poster: (inout EngineState, MessageFrame) -> MessageFrame?) -> MessageFrame? {
        guard let list = Self.immediateList(of: frame), let ops = paramOperations(of: frame, unit: unit),
              index < ops.count else { return poster(&self, frame) }
        var kept = ops; kept.remove(at: index)
        var newList = OperationList(kept).encoded()
        let count = newList.count
        newList.padToWord()
        let listWords = (try? newList.littleEndianWords(what: "operation list")) ?? []
        var words = Array(frame.words[..<(list.firstWord - 1)])
        words.append(0x4C00_0000 | UInt32(count))
        words += listWords
        words += frame.words[(list.firstWord + list.wordCount)...]
        var modified = MessageFrame(words: words)
        modified.messageSize = WordCount(rawValue: words.count)
        // The result element is the last two words (flags|count, address).
        let resultAddress = UInt64(words[words.count - 1])
        let capacity = Int(words[words.count - 2] & 0xFF_FFFF)
        guard let reply = poster(&self, modified), reply.reqStatus == .success else { return poster(&self, frame) }
        let length = Int(reply[word: 5])
        guard let bytes = memory.read(resultAddress, count: length),
              var results = try? ResultList.decode(bytes, rowHeaders: kept.map(\.code.returnsRows)) else { return reply }
        let block = ResultBlock(status: status, errorInfo: ParamErrorInfo(operation: operation.code, group: operation.group).encoded())
        results.blocks.insert(block, at: min(index, results.blocks.count))
        let out = results.encoded()
        guard out.count <= capacity, memory.write(out, at: resultAddress) else { return reply }
        return MessageFrame.reply(to: frame, payload: [UInt32(out.count)])
    }

    /// A failed IOP's status block says FAILED: patches IopState of the block ExecStatusGet wrote.
    func patchFailedStatus(_ frame: MessageFrame, unit: IOPUnit, memory: BusMemory) {
        guard !faults.failedIOPs.isEmpty, faults.failedIOPs.contains(unit), frame.function == .execStatusGet, frame.words.count >= 9 else { return }
        let address = UInt64(frame.words[6]) | UInt64(frame.words[7]) << 32
        if frame.words[8] > 10 { _ = memory.write([IOPState.failed.rawValue], at: address + 10) }
    }
}

/// What the engine needs of the memory wrapper it dispatches through: the fault layer's scope
/// and entry fault go in, the fetch rounds come out. Generic code over the wrapper's own type
/// (rather than over the memory it wraps) gets the wrapper's type from its caller, whose code
/// knows it: no run-time type lookup per ioctl.
@usableFromInline
protocol FaultWrapper: UserMemory {
    var fetches: Int { get }
    var scope: FaultScope? { get set }
    var entryData: FaultAction.Kind? { get set }
}

/// A `UserMemory` that counts fetch rounds and applies short/corrupt data faults to stores.
/// (Made by `Engine.ioctl`'s inlinable entry in the caller's code, hence `@usableFromInline`.)
@usableFromInline
struct FaultingMemory<Base: UserMemory>: FaultWrapper {
    /// The caller's memory, borrowed for one `ioctl` call.
    let base: UnsafeMutablePointer<Base>
    @usableFromInline var fetches = 0
    @usableFromInline var scope: FaultScope?
    @usableFromInline var entryData: FaultAction.Kind?

    @usableFromInline
    init(base: UnsafeMutablePointer<Base>) { self.base = base }

    @usableFromInline
    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        fetches += 1
        return try base.pointee.fetch(reads: reads, writes: writes)
    }

    @usableFromInline
    mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        fetches += 1
        return try base.pointee.fetch(range)
    }

    @usableFromInline
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges {
        fetches += 1
        return try base.pointee.fetch(reads, writes)
    }

    @usableFromInline
    mutating func store(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        // Data faults change the bytes: they go through the array path.
        if entryData != nil || scope != nil { return store(Array(bytes), at: address) }
        return base.pointee.store(bytes, at: address)
    }

    @usableFromInline
    mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        switch entryData ?? scope?.outcome.withLock({ $0.data }) {
        case .short?: return base.pointee.store(Array(bytes.prefix(bytes.count / 2)), at: address)
        case .corrupt?: return base.pointee.store(bytes.map { ~$0 }, at: address)
        default: return base.pointee.store(bytes, at: address)
        }
    }
}
