import I2OABI
import I2ODevice
import I2OFormats
import IOPModel

// What a handler works with, in one place: the call (`IoctlCall`: the struct fetched, the
// buffers fetched, the decision taken under the engine's lock, the results stored), the
// decision (`Step`), the writes it ends with (`UserWrite`), and the engine's lock itself.
// A request's path leaves its handler for this file and comes back to the handler's own
// `decide` closure; it never goes back up into `Engine.swift` (docs/architecture.md).

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

extension Engine {
    /// Runs `body` under the engine's lock, then tells the observer about the files that got
    /// events and, when a frame went unanswered, waits out the driver's post-wait. Whatever may
    /// post a frame or queue an event takes the lock here: a handler's decision (`IoctlCall.run`,
    /// or the handler itself), the engine's `release` and `withMachine`, the state control.
    func locked<R: Sendable>(_ body: (inout EngineState) -> R) -> R {
        let (r, notify, wait): (R, [OpenFileID], Duration?) = state.withLock { s in
            let r = body(&s)
            let wait = s.unansweredWait
            s.unansweredWait = nil
            guard !s.notify.isEmpty else { return (r, [], wait) }
            let n = s.notify.sorted { $0.rawValue < $1.rawValue }
            s.notify.removeAll()
            return (r, n, wait)
        }
        if !notify.isEmpty, let observer { for f in notify { observer.eventQueued(for: f) } }
        // A frame went unanswered: the caller waits out the driver's post-wait, outside the lock,
        // before its result (and what it stores) is delivered.
        if let wait, let postWaiter { postWaiter.waitForReply(upTo: wait) }
        return r
    }

    /// Reads the state without changing it (a handler sizing what it fetches).
    func peek<R: Sendable>(_ body: (EngineState) -> R) -> R { state.withLock { body($0) } }
}
