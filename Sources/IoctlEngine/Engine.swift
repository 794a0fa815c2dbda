import I2OFormats
import IOPModel

/// Told when something a transport waits for happens (an event queued for an open file:
/// wake `poll`, a blocked `read`).
public protocol EngineObserver: Sendable {
    func eventQueued(for file: OpenFileID)
}

/// The host driver of `/dev/i2o/ctl`: open files, the ioctls in both ABIs, `read`, `poll`, `write`.
/// Thread-safe: transports call it from any thread.
public final class Engine: Sendable {
    public init(machine: Machine, personality: PersonalityName = .documented, observer: (any EngineObserver)? = nil) {}

    /// `open()`: a new open file with an empty event queue.
    public func open() -> OpenFileID { OpenFileID(rawValue: 0) }
    /// `close()` of the last descriptor: drops its queue and registrations.
    public func release(_ file: OpenFileID) {}

    /// One `ioctl(fd, command, argument)` from a caller using `abi`.
    /// - Throws: `NeedsRound` when `memory` must do a round trip first (then call again).
    public func ioctl(_ file: OpenFileID, command: UInt32, argument: UInt64, abi: CallerABI,
                      memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult { .error(.EINVAL) }

    /// `read()` of up to `capacity` bytes.
    public func read(_ file: OpenFileID, capacity: Int) -> ReadResult { .error(.EINVAL) }
    /// `write()`.
    public func write(_ file: OpenFileID, count: Int) -> IoctlResult { .error(.EINVAL) }
    /// `poll()`: whether the file is readable now (POLLIN).
    public func isReadable(_ file: OpenFileID) -> Bool { false }
}

/// Which host driver the engine imitates (`contract.md`). Only `documented` exists so far;
/// the kernel personalities (`linux-2.6.18`, `linux-2.4`) plug in here.
public enum PersonalityName: String, Sendable, CaseIterable {
    case documented
}
