/// What a node's driver declares beyond open, ioctl, read, write and release: its `poll` and
/// `fasync` methods (docs/kernels.md §FileOps). A transport answers `poll()`, `select()`, `epoll`,
/// `FIOASYNC` and `O_ASYNC` from them the way the driver's kernel did, where the transport can
/// (docs/decisions.md, "poll, epoll and O_ASYNC per transport").
public struct FileOperations: Sendable, Hashable {
    /// The driver's `poll` method.
    public enum Poll: Sendable, Hashable {
        /// A `poll` method: POLLIN|POLLRDNORM while the node says the file is readable
        /// (`ControlNode.isReadable`: its event queue is non-empty), nothing else; epoll accepts the file.
        case eventQueue
        /// No `poll` method: the kernel reports its default mask, POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM,
        /// at all times, and `epoll_ctl` refuses the file with EPERM (both kernels' i2o_config).
        case none
    }

    /// The driver's `fasync` method: what `FIOASYNC` and `O_ASYNC` do.
    public enum Fasync: Sendable, Hashable {
        /// No `fasync` method: `FIOASYNC` that would change the file's O_ASYNC → ENOTTY; `F_SETFL`
        /// O_ASYNC returns 0 and leaves the flag off (today's kernels leave it to `fasync`); nothing
        /// is ever signalled.
        case none
        /// A `fasync` method that the driver never calls back: O_ASYNC is accepted, no signal is sent
        /// (2.6.18: no event is ever queued).
        case silent
        /// A `fasync` method, and the driver signals: SIGIO (or the `F_SETSIG` signal) to the file's
        /// `F_SETOWN` owner each time an event is queued to the file (2.4's `kill_fasync`).
        case signalsQueuedEvents
    }

    public var poll: Poll
    public var fasync: Fasync

    public init(poll: Poll, fasync: Fasync) {
        self.poll = poll
        self.fasync = fasync
    }

    /// The seed document's node (docs/contract.md): `poll` reports POLLIN while events are queued;
    /// no asynchronous notification.
    public static let eventQueue = FileOperations(poll: .eventQueue, fasync: .none)
}

/// `poll()` event bits, with Linux's values (`<poll.h>`, the same on every architecture i2osim serves).
public struct PollEvents: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let `in` = PollEvents(rawValue: 0x001)
    public static let out = PollEvents(rawValue: 0x004)
    public static let readNormal = PollEvents(rawValue: 0x040)
    public static let writeNormal = PollEvents(rawValue: 0x100)

    /// What a file without a `poll` method reports (the kernels' `DEFAULT_POLLMASK`).
    public static let defaultMask: PollEvents = [.in, .out, .readNormal, .writeNormal]
    /// Readable, as a `poll` method says it.
    public static let readable: PollEvents = [.in, .readNormal]
}

extension ControlNode {
    /// `poll()` on `file` now: the events the kernel would report before masking them with the
    /// caller's request (`fileOperations.poll` and, for a `poll` method, `isReadable`).
    public func pollEvents(_ file: OpenFileID) -> PollEvents {
        switch fileOperations.poll {
        case .none: .defaultMask
        case .eventQueue: isReadable(file) ? .readable : []
        }
    }
}
