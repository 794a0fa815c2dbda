import I2OABI

/// The device seam: what a transport serves as `/dev/i2o/ctl` — `open`, `ioctl`, `read`, `write`,
/// `poll` and the last `close` of one open file. The ioctl engine implements it over a simulated
/// machine; a trace replayer and a pass-through to a real node implement it too, and every
/// transport (CUSE, the preload socket, tests in-process) serves any of them.
///
/// A node is called from any thread. `caller` is the calling process's pid when the transport
/// knows it (a trace names it); nothing else depends on it.
public protocol ControlNode: Sendable {
    /// `open()`: a new open file.
    func open(by caller: Int32?) -> OpenFileID
    /// The last `close()` of `file`. Unknown files are ignored.
    func release(_ file: OpenFileID, by caller: Int32?)
    /// One call of `ioctl(fd, request.command, request.argument)`.
    /// - Throws: `NeedsRound` when `memory` must do a round trip first; the transport then calls
    ///   again with the same request (`begins` false).
    func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult
    /// `read()` of up to `capacity` bytes.
    func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult
    /// `write()` of `count` bytes.
    func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult
    /// `poll()`: whether `file` is readable now (POLLIN).
    func isReadable(_ file: OpenFileID) -> Bool
    /// The driver's `poll` and `fasync` methods: what `poll()`, `epoll` and `O_ASYNC` do on this node's
    /// files (`FileOperations`; `pollEvents(_:)` is the mask). Default: `.eventQueue`, the seed document's.
    var fileOperations: FileOperations { get }

    /// Whether the transport may answer the first, input-less call of a request on `file` itself
    /// (CUSE's first call can only ask for the ioctl's struct): true only when nothing in the node
    /// would see that call (no fault rule, no tracer). Default: false.
    func mayAnswerFirstRound(_ file: OpenFileID) -> Bool
    /// The transport answered a request's first round itself: the node counts it as its own
    /// (the request's start and rounds). Returns false — nothing counted, the transport must pass
    /// the call on — when `mayAnswerFirstRound` no longer holds. Default: false.
    func firstRoundAnswered(_ request: IoctlRequest) -> Bool
}

/// One call of `ioctl()` on an open file of a node.
public struct IoctlRequest: Sendable {
    public var file: OpenFileID
    /// The ioctl number as the caller passed it (not yet decoded).
    public var command: UInt32
    public var argument: UInt64
    /// The caller's struct layouts.
    public var abi: CallerABI
    /// The calling process, when the transport knows it.
    public var caller: Int32?
    /// The transport knows this call begins a new request (CUSE: the kernel's first call; preload:
    /// every IOCTL message). A request may end without the node seeing its end (the kernel fails a
    /// CUSE retry whose range faults): a call that begins drops what was kept of an unfinished one.
    public var begins: Bool
    /// The transport answers a `NeedsRound` by calling again with the ranges it names (CUSE's
    /// retry protocol); otherwise a `NeedsRound` ends the request (the preload socket: EFAULT).
    public var retriesRounds: Bool

    public init(file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI, caller: Int32? = nil,
                begins: Bool = false, retriesRounds: Bool = false) {
        self.file = file; self.command = command; self.argument = argument; self.abi = abi
        self.caller = caller; self.begins = begins; self.retriesRounds = retriesRounds
    }
}

/// Told when something a transport waits for happens: an event was queued for an open file
/// (wake its `poll`, a blocked `read`; signal its O_ASYNC owner where the node's `fileOperations` say so).
public protocol NodeObserver: Sendable {
    func eventQueued(for file: OpenFileID)
}

extension ControlNode {
    public var fileOperations: FileOperations { .eventQueue }
    public func mayAnswerFirstRound(_ file: OpenFileID) -> Bool { false }
    public func firstRoundAnswered(_ request: IoctlRequest) -> Bool { false }

    // The calls without a caller or a request value, for tests and in-process clients.
    public func open() -> OpenFileID { open(by: nil) }
    public func release(_ file: OpenFileID) { release(file, by: nil) }
    public func read(_ file: OpenFileID, capacity: Int) -> ReadResult { read(file, capacity: capacity, by: nil) }
    public func write(_ file: OpenFileID, count: Int) -> IoctlResult { write(file, count: count, by: nil) }
    @inlinable
    public func ioctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                      memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try ioctl(IoctlRequest(file: file, command: command, argument: argument, abi: abi), memory: &memory)
    }
}

/// A node with its `ioctl` bound to one memory type, made where the node's type is known: a
/// transport holds one per node and calls it without generic dispatch per ioctl (through an
/// `any ControlNode` the engine's generic entry would run unspecialised).
public struct BoundNode<Memory: UserMemory>: @unchecked Sendable {   // the closure holds only `node`, which is Sendable
    /// The node, for its calls that take no memory.
    public let node: any ControlNode
    @usableFromInline let entry: (IoctlRequest, inout Memory) throws(NeedsRound) -> IoctlResult

    @inlinable
    public init<Node: ControlNode>(_ node: Node) {
        self.node = node
        entry = { request, memory throws(NeedsRound) in try node.ioctl(request, memory: &memory) }
    }

    @inlinable
    public func ioctl(_ request: IoctlRequest, memory: inout Memory) throws(NeedsRound) -> IoctlResult {
        try entry(request, &memory)
    }
}
