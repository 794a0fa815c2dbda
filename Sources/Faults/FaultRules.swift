import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine

// Fault injection (docs/control.md): rules that make chosen requests fail on purpose and
// repeatably, in the spirit of scsi_debug, QEMU's blkdebug and the kernel's fail-nth.
//
// Two places apply them (FaultInjector.swift):
// - the ioctl entry (the injector's `requestBegins`): rules whose match names nothing of the model (only the
//   ioctl and/or the open file) and whose action is an errno, a delay, a hang, short or
//   corrupted data — decided once per request (not again on a CUSE retry round);
// - the post of a frame to the model (the injector as a frame interceptor): every other rule. The
//   frame can be answered with a chosen status without reaching the model, have one
//   parameter operation answered with a chosen BlockStatus, fail the IOP as a whole, or make
//   the ioctl end with an errno / after a delay, or go unanswered (hang).
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
        /// The IOP answers none of the request's frames (matched at the entry: every frame the
        /// ioctl posts; at the post: that frame): the caller waits its personality's post-wait
        /// (`Timeouts.postWait`, ended early by `ctl release`) and gets the kernel's no-reply answer.
        case hang
        /// Only the first half of every block of bytes the ioctl stores to the caller is stored.
        case short
        /// Every block of bytes the ioctl stores to the caller has its bytes inverted.
        case corrupt
        /// The IOP fails as a whole: from then on it answers nothing (→ ETIMEDOUT) but ExecStatusGet,
        /// whose status block says FAILED, until it is recovered through the control channel.
        case failIOP = "fail-iop"
        /// The frame goes through; when the request ends, the IOP's firmware module is given
        /// `command` (e.g. a RAID controller's `drive b0t1d0 failed`: a disk that dies on a
        /// given I/O).
        case firmware
    }
    public var kind: Kind
    public var errno: Int32?
    public var reqStatus: UInt8?
    public var detailedStatus: UInt16?
    public var blockStatus: UInt8?
    public var milliseconds: Int?
    /// The firmware command (`firmware` action), as words separated by spaces.
    public var command: String?

    public init(kind: Kind, errno: Int32? = nil, reqStatus: UInt8? = nil, detailedStatus: UInt16? = nil,
                blockStatus: UInt8? = nil, milliseconds: Int? = nil, command: String? = nil) {
        self.kind = kind; self.errno = errno; self.reqStatus = reqStatus; self.detailedStatus = detailedStatus
        self.blockStatus = blockStatus; self.milliseconds = milliseconds; self.command = command
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
    public var atEntry: Bool { [.errno, .delay, .hang, .short, .corrupt].contains(kind) }

    /// What is wrong with it, if anything.
    public var problem: String? {
        switch kind {
        case .errno: errno == nil ? "errno action needs an errno" : nil
        case .status: reqStatus == nil ? "status action needs a reqStatus" : nil
        case .blockStatus: blockStatus == nil ? "block-status action needs a blockStatus" : nil
        case .delay: (milliseconds ?? -1) < 0 ? "delay action needs milliseconds ≥ 0" : nil
        case .firmware: (command ?? "").split(separator: " ").isEmpty ? "firmware action needs a command, e.g. \"drive b0t1d0 failed\"" : nil
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
    public mutating func decide() -> Bool {
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

/// The fault rules and failed IOPs of an engine (behind the engine's lock).
public struct FaultTable: Sendable {
    public var rules: [FaultRule] = []
    public var failedIOPs: Set<IOPUnit> = []
    var nextID = 1
    /// Faults injected, by action kind.
    public internal(set) var injected: [String: Int] = [:]

    public init() {}

    public mutating func add(_ rule: FaultRule) -> Int {
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
