import Foundation
import Glibc
import I2OABI
import I2ODevice
import Posix
@testable import PreloadTransport
import Synchronization
import Testing

/// SIGUSR2s this test process received (`theSettersPermissionsDecide`).
private let usr2Received = Atomic<Int>(0)

/// POLL's mask and the open file's O_ASYNC state (ASYNC) at the daemon, and the signal it sends
/// the owner when an event is queued — for a node without `fasync`, one that never signals, and
/// one that signals (2.4's).
@Suite struct AsyncTests {
    struct State: Equatable {
        var errno: UInt32
        var on: Bool
        var owner: Int32
        var signal: Int32
    }

    /// One ASYNC exchange on a device connection.
    static func async(_ c: RawClient, _ set: UInt32, on: Bool = false, owner: Int32 = 0, signal: Int32 = 0) -> State? {
        var b: [UInt8] = []
        b.appendLE(set); b.appendLE(UInt32(on ? 1 : 0)); b.appendLE(owner); b.appendLE(signal)
        c.send(10, b)
        guard let r = c.receive(), r.type == 109, r.body.count == 16 else { return nil }
        return State(errno: le32(r.body, 0), on: le32(r.body, 4) != 0, owner: Int32(bitPattern: le32(r.body, 8)),
                     signal: Int32(bitPattern: le32(r.body, 12)))
    }

    static let flag = PreloadProtocol.asyncSetFlag
    static let fioasync = PreloadProtocol.asyncSetFlag | PreloadProtocol.asyncByFIOASYNC

    /// VALIDATE on the toy backend: an event queued to the file after `ms` milliseconds.
    static func queueEvent(_ c: RawClient, afterMilliseconds ms: UInt64 = 0) -> Bool {
        c.send(4, ProtocolTests.ioctlHead(0x8004_6908, argument: ms))
        return c.receive()?.type == 104
    }

    static func poll(_ c: RawClient) -> UInt32? {
        c.send(8)
        guard let r = c.receive(), r.type == 106, r.body.count == 4 else { return nil }
        return le32(r.body, 0)
    }

    /// A child that only waits to be signalled: `sleep 30` with every signal at its default and
    /// none blocked (the test runner's own mask and dispositions are not inherited).
    final class Sleeper {
        private let child: SpawnedChild
        var pid: pid_t { child.pid }
        var isRunning: Bool { child.endedStatus() == nil }

        init() throws {
            child = try SpawnedChild(["/bin/sleep", "30"], environment: [:], standardOutput: .discard, standardError: .discard)
        }

        /// The signal that ended it within 5 s; nil when it still runs (it is then killed).
        func endingSignal() -> Int32? {
            guard eventually({ child.endedStatus() != nil }) else { return nil }
            guard case let .signaled(s) = child.endedStatus() else { return -1 }
            return s
        }
    }

    @Test func noFasyncRefusesFIOASYNCButNotSETFL() throws {
        let d = try ToyDaemon()
        let c = try RawClient(path: d.server.socketPath)
        let handle = try #require(c.openDevice())
        #expect(Self.async(c, 0) == State(errno: 0, on: false, owner: 0, signal: 0))
        #expect(Self.async(c, Self.fioasync, on: false)?.errno == 0, "no change: no driver call")
        #expect(Self.async(c, Self.fioasync, on: true) == State(errno: UInt32(ENOTTY), on: false, owner: 0, signal: 0))
        #expect(Self.async(c, Self.flag, on: true) == State(errno: 0, on: false, owner: 0, signal: 0),
                "F_SETFL: 0, the flag left to a fasync method there is not")
        #expect(Self.async(c, PreloadProtocol.asyncSetOwner, owner: 4242)?.owner == 4242)
        #expect(Self.async(c, PreloadProtocol.asyncSetSignal, signal: 65)?.errno == UInt32(EINVAL))
        #expect(Self.async(c, PreloadProtocol.asyncSetSignal, signal: -1)?.errno == UInt32(EINVAL))
        #expect(Self.async(c, PreloadProtocol.asyncSetSignal, signal: 64) == State(errno: 0, on: false, owner: 4242, signal: 64))
        // A second connection to the open file (a dup) sees the same state.
        let dup = try RawClient(path: d.server.socketPath)
        #expect(dup.hello()?.type == 100)
        var b: [UInt8] = []
        b.appendLE(handle); b.appendLE(UInt32(0))
        dup.send(3, b)
        #expect(dup.receive()?.type == 101)
        #expect(Self.async(dup, 0) == State(errno: 0, on: false, owner: 4242, signal: 64))
        #expect(d.hub.armedTarget(OpenFileID(rawValue: 1)) == nil, "no fasync: nothing armed")
    }

    @Test func fasyncAcceptsFIOASYNC() throws {
        let d = try ToyDaemon(fileOperations: FileOperations(poll: .none, fasync: .silent))
        let c = try RawClient(path: d.server.socketPath)
        _ = try #require(c.openDevice())
        #expect(Self.async(c, Self.fioasync, on: true) == State(errno: 0, on: true, owner: 0, signal: 0))
        #expect(Self.async(c, PreloadProtocol.asyncSetOwner, owner: getpid())?.owner == getpid())
        #expect(d.hub.armedTarget(OpenFileID(rawValue: 1)) == nil, "a silent fasync signals nobody")
    }

    @Test func pollStatusIsTheMask() throws {
        let queue = try ToyDaemon()
        let c = try RawClient(path: queue.server.socketPath)
        _ = try #require(c.openDevice())
        #expect(Self.poll(c) == 0)
        #expect(Self.queueEvent(c))
        var last: UInt32?
        #expect(eventually { last = Self.poll(c); return last == UInt32(POLLIN | POLLRDNORM) },
                "the last POLL answered \(last.map { String($0, radix: 16) } ?? "no POLL_OK frame"); the daemon's log: \(queue.logged)")
        let none = try ToyDaemon(fileOperations: FileOperations(poll: .none, fasync: .silent))
        let k = try RawClient(path: none.server.socketPath)
        _ = try #require(k.openDevice())
        #expect(Self.poll(k) == UInt32(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM), "no poll method: the default mask")
    }

    /// 2.4's driver: every event queued to the file signals its owner — SIGIO, or the F_SETSIG
    /// signal; nothing once O_ASYNC is cleared; nothing is armed after the file's last close.
    @Test func queuedEventSignalsTheOwner() throws {
        let d = try ToyDaemon(fileOperations: FileOperations(poll: .none, fasync: .signalsQueuedEvents))
        let c = try RawClient(path: d.server.socketPath)
        _ = try #require(c.openDevice())
        let file = OpenFileID(rawValue: 1)
        let first = try Sleeper()
        #expect(Self.async(c, PreloadProtocol.asyncSetOwner, owner: first.pid)?.errno == 0)
        #expect(d.hub.armedTarget(file) == nil, "O_ASYNC still off")
        #expect(Self.async(c, Self.flag, on: true)?.on == true)
        #expect(d.hub.armedTarget(file)?.signal == SIGIO)
        #expect(Self.queueEvent(c))
        #expect(first.endingSignal() == SIGIO)

        let second = try Sleeper()
        _ = Self.async(c, PreloadProtocol.asyncSetOwner, owner: second.pid)
        _ = Self.async(c, PreloadProtocol.asyncSetSignal, signal: SIGUSR1)
        #expect(Self.queueEvent(c))
        #expect(second.endingSignal() == SIGUSR1)

        let third = try Sleeper()
        _ = Self.async(c, PreloadProtocol.asyncSetOwner, owner: third.pid)
        _ = Self.async(c, Self.flag, on: false)
        #expect(d.hub.armedTarget(file) == nil)
        #expect(Self.queueEvent(c))
        usleep(300_000)
        #expect(third.isRunning, "O_ASYNC off: no signal")
        _ = Self.async(c, Self.flag, on: true)
        #expect(d.hub.armedTarget(file) != nil)
        withExtendedLifetime(c) {}
    }

    @Test func lastCloseDisarms() throws {
        let d = try ToyDaemon(fileOperations: FileOperations(poll: .none, fasync: .signalsQueuedEvents))
        do {
            let c = try RawClient(path: d.server.socketPath)
            _ = try #require(c.openDevice())
            _ = Self.async(c, PreloadProtocol.asyncSetOwner, owner: 1)
            _ = Self.async(c, Self.flag, on: true)
            #expect(d.hub.armedTarget(OpenFileID(rawValue: 1)) != nil)
        }
        #expect(eventually { d.hub.armedTarget(OpenFileID(rawValue: 1)) == nil && d.server.openFileCount == 0 })
    }

    /// The kernel's `sigio_perm`: an owner set by another user (not root) is signalled only when
    /// it runs as that user; the daemon itself never is.
    @Test func theSettersPermissionsDecide() throws {
        let hub = PreloadEventHub()
        let file = OpenFileID(rawValue: 7)
        let child = try Sleeper()
        let stranger: UInt32 = geteuid() == 54321 ? 54322 : 54321
        hub.arm(file, AsyncTarget(owner: child.pid, signal: SIGUSR1, setter: stranger))
        hub.eventQueued(for: file)
        usleep(200_000)
        #expect(child.isRunning, "a stranger's owner is not signalled")
        signal(SIGUSR2) { _ in usr2Received.add(1, ordering: .relaxed) }
        hub.arm(file, AsyncTarget(owner: getpid(), signal: SIGUSR2, setter: geteuid()))
        hub.eventQueued(for: file)
        usleep(200_000)
        #expect(usr2Received.load(ordering: .relaxed) == 0, "never the daemon itself")
        hub.arm(file, AsyncTarget(owner: child.pid, signal: SIGUSR1, setter: geteuid()))
        hub.eventQueued(for: file)
        #expect(child.endingSignal() == SIGUSR1)
    }

    @Test func stateRules() {
        var s = AsyncState()
        #expect(s.apply(set: Self.fioasync, on: true, owner: 0, signal: 0, by: 0, fasync: .none) == .ENOTTY)
        #expect(s.apply(set: Self.flag, on: true, owner: 0, signal: 0, by: 0, fasync: .none) == nil && !s.on)
        #expect(s.apply(set: Self.fioasync, on: true, owner: 0, signal: 0, by: 0, fasync: .silent) == nil && s.on)
        #expect(s.target(.silent) == nil && s.target(.signalsQueuedEvents) == nil, "no owner")
        #expect(s.apply(set: PreloadProtocol.asyncSetOwner, on: false, owner: -77, signal: 0, by: 1000, fasync: .silent) == nil)
        #expect(s.on, "only the named field changes")
        #expect(s.target(.signalsQueuedEvents) == AsyncTarget(owner: -77, signal: SIGIO, setter: 1000))
        #expect(s.apply(set: PreloadProtocol.asyncSetSignal, on: false, owner: 0, signal: 65, by: 0, fasync: .silent) == .EINVAL)
        #expect(s.signal == 0, "refused: nothing changed")
    }
}
