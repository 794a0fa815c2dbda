import Glibc
import I2OFormats
import I2OABI
import I2ODevice
import Synchronization

/// What the CUSE transport keeps per open file. `fuse_file_info.fh` points at it (retained from
/// open to release), so a call finds its file without a lookup, as a C server keeps its per-open
/// struct there.
public final class CUSEOpenFile: Sendable {
    public let id: OpenFileID
    /// With `I2OSIM_CUSE_STATS`: ioctl callbacks (daemon calls) and ioctls answered for good.
    let calls = Atomic<Int>(0), ioctls = Atomic<Int>(0)
    /// The poll handle to notify and the `read`s parked until an event.
    let waiting = Mutex(Waiting())
    struct Waiting: Sendable {
        var pollHandle: FuseHandle?
        var parkedReads: [(request: FuseHandle, capacity: Int)] = []
    }

    public init(_ id: OpenFileID) { self.id = id }

    public var callCount: Int { calls.load(ordering: .relaxed) }
    public var ioctlCount: Int { ioctls.load(ordering: .relaxed) }
}

/// How one call of an ioctl is answered: libfuse's replies in `CUSEDevice`, a recorder in tests
/// and the benchmark.
public protocol CUSEReplier {
    /// Asks the kernel to call again with the bytes of `ranges`: the first `reads` are brought in,
    /// the rest are the out ranges (given smallest first, `RetryRoundMemory.sortForOutput`).
    func retry(_ ranges: UnsafeBufferPointer<iovec>, reads: Int)
    /// Answers for good: `result`, and `data` copied into the out ranges in their order.
    func reply(_ result: Int32, _ data: UnsafeRawBufferPointer)
    /// Answers for good with -`errnum` and no data.
    func fail(_ errnum: Int32)
}

/// The CUSE unrestricted-ioctl protocol over a `ControlNode`, libfuse aside: one call of the kernel in,
/// one answer out through a `CUSEReplier`. `CUSEDevice` runs it on libfuse's threads; tests and
/// the benchmark drive the same code directly.
public final class CUSEIoctls: Sendable {
    public let node: BoundNode<RetryRoundMemory>
    /// First, input-less calls answered without running the engine.
    let firstRounds = FirstRounds()
    /// Replies whose writes were not a prefix of the out ranges (see `RetryRoundMemory.exactOutput`),
    /// kept until the kernel's next call of the same request collects them.
    private let stash = Mutex<[StashKey: Stashed]>([:])
    /// How many replies `stash` holds: when none, a call need not look there.
    private let stashCount = Atomic<Int>(0)
    private struct StashKey: Hashable { let file: UInt64, pid: Int32, command: UInt32, argument: UInt64 }
    private struct Stashed { let result: Int32, data: [UInt8], inSize: Int }
    /// Count calls and ioctls per file (`I2OSIM_CUSE_STATS`).
    let counting: Bool
    private let failures = Atomic<Int>(0)
    private let failed: @Sendable (String) -> Void
    private let debug: (@Sendable (String) -> Void)?

    /// - Parameters:
    ///   - counting: count each file's calls and ioctls (`CUSEOpenFile.callCount`, `ioctlCount`).
    ///   - failed: one line per failed request (the line names it and its errno).
    ///   - debug: one line per retry round, when set.
    public init(node: BoundNode<RetryRoundMemory>, counting: Bool, failed: @escaping @Sendable (String) -> Void,
                debug: (@Sendable (String) -> Void)? = nil) {
        self.node = node
        self.counting = counting
        self.failed = failed
        self.debug = debug
    }

    /// The protocol over `node`, its ioctl entry bound here where the node's type is known.
    @inlinable
    public convenience init(node: some ControlNode, counting: Bool, failed: @escaping @Sendable (String) -> Void,
                            debug: (@Sendable (String) -> Void)? = nil) {
        self.init(node: BoundNode<RetryRoundMemory>(node), counting: counting, failed: failed, debug: debug)
    }

    /// Requests that failed so far.
    public var failedRequests: Int { failures.load(ordering: .relaxed) }

    func logFailure(_ what: String, _ errnum: Int32) {
        failures.add(1, ordering: .relaxed)
        failed("\(what) failed: \(Errno(rawValue: errnum))")
    }

    /// One call of `ioctl(fd, command, argument)` on `file` by the process `pid`: the kernel
    /// brings `input` (the previous retry's read ranges, concatenated) and room for `outSize` bytes.
    public func call(_ file: CUSEOpenFile, command: UInt32, argument: UInt64, abi: CallerABI, pid: Int32,
                     input: UnsafeRawBufferPointer, outSize: Int, replier: some CUSEReplier) {
        var finalReply = true
        defer {
            if counting {
                file.calls.add(1, ordering: .relaxed)
                if finalReply { file.ioctls.add(1, ordering: .relaxed) }
            }
        }
        // The second half of a reply whose writes were not a prefix of the out ranges.
        if stashCount.load(ordering: .acquiring) > 0,
           let s = stash.withLock({ s -> Stashed? in
               let v = s.removeValue(forKey: StashKey(file: file.id.rawValue, pid: pid, command: command, argument: argument))
               if v != nil { stashCount.subtract(1, ordering: .releasing) }
               return v
           }), s.inSize == input.count, s.data.count == outSize {
            s.data.withUnsafeBytes { replier.reply(s.result, $0) }
            return
        }
        // The first call brings nothing: its round follows from the command (learned below).
        let first = input.isEmpty && outSize == 0
        // A first call begins a new request: the kernel may have ended this file's previous one
        // itself (a retry's range faulted).
        let request = IoctlRequest(file: file.id, command: command, argument: argument, abi: abi, caller: pid, begins: first,
                                   retriesRounds: true)
        if first, firstRounds.answer(node.node, request, { ranges, reads in
            if let debug {
                let r = ranges.map { UserRange(address: UInt64(UInt(bitPattern: $0.iov_base)), count: $0.iov_len) }
                debug("  retry: in \(Array(r[..<reads])) out \(Array(r[reads...])) (first round, learned)")
            }
            replier.retry(ranges, reads: reads)
        }) {
            finalReply = false
            return
        }
        var memory = RetryRoundMemory(borrowing: input, outputCapacity: outSize)
        let result: IoctlResult
        do {
            result = try node.ioctl(request, memory: &memory)
        } catch {
            finalReply = false
            if first { firstRounds.learn(node.node, request, round: error) }
            retry(error.reads, error.writes, replier)
            return
        }
        // An error may come with data (ENOBUFS writes the needed length to *reslen): the kernel
        // copies the data out and then returns the negative result.
        let rc: Int32
        switch result {
        case let .value(v): rc = v
        case let .error(e):
            rc = -e.rawValue
            logFailure("ioctl \(IoctlCommand.decode(command, abi: abi)?.description ?? hex(command, width: 8)) on \(file.id)", e.rawValue)
            if memory.stores.isEmpty { replier.fail(e.rawValue); return }
        }
        if memory.withReplyData({ replier.reply(rc, $0) }) == nil {
            // Ask for exactly the stored ranges. Linux (6.1) mis-sends the next request when a
            // retry that had input asks for none (it keeps reading the arguments from the input
            // pages), so keep the first input range, which is known to be readable.
            let exact = memory.exactOutput
            let keep = Array(memory.reads.prefix(1))
            let key = StashKey(file: file.id.rawValue, pid: pid, command: command, argument: argument)
            stash.withLock { if $0.updateValue(Stashed(result: rc, data: exact.data, inSize: keep.first?.count ?? 0), forKey: key) == nil {
                stashCount.add(1, ordering: .releasing)
            } }
            finalReply = false
            retry(keep, exact.ranges, replier)
        }
    }

    /// The retry of `reads` and `writes`, its iovecs on the stack for the call (a handful of ranges).
    private func retry(_ reads: [UserRange], _ writes: [UserRange], _ replier: some CUSEReplier) {
        if let debug { debug("  retry: in \(reads) out \(writes)") }
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: reads.count + writes.count) { v in
            for i in reads.indices { v[i] = iovec(reads[i]) }
            for i in writes.indices { v[reads.count + i] = iovec(writes[i]) }
            replier.retry(UnsafeBufferPointer(v), reads: reads.count)
        }
    }

    /// Forgets the stashed replies of `file` (it was released).
    func forget(_ file: OpenFileID) {
        guard stashCount.load(ordering: .acquiring) > 0 else { return }
        stash.withLock { s in
            let before = s.count
            s = s.filter { $0.key.file != file.rawValue }
            stashCount.subtract(before - s.count, ordering: .releasing)
        }
    }
}

extension iovec {
    init(_ r: UserRange) {
        self.init(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: r.address)), iov_len: r.count)
    }
}
