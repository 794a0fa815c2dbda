#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Posix
import Synchronization

/// Running a command the way `nbdkit --run` and `umockdev-run` do: the daemon stays in this
/// process, SIGINT/SIGTERM/SIGHUP go on to the child, and the child's status comes back.
public enum ChildProcess {
    /// The signals passed on to the child.
    public static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Blocks the forwarded signals in the calling thread. Call it first thing, before any
    /// thread is started (the server's threads inherit the mask, so the signals can only be
    /// taken by `sigwait`).
    public static func blockForwardedSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in forwarded { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    public enum Outcome: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// posix_spawnp failed (errno): the command was not found or not executable.
        case notStarted(Int32)

        /// The exit status a shell would give: the code, 128+signal, 127 not found, 126 not executable.
        public var shellStatus: Int32 {
            switch self {
            case let .exited(c): c
            case let .signaled(s): 128 + s
            case let .notStarted(e): e == ENOENT ? 127 : 126
            }
        }
    }

    /// Starts `argv` (searched in PATH) with `environment`, passes the forwarded signals on
    /// while it runs, and waits for it. The forwarded signals must be blocked already
    /// (`blockForwardedSignals`); the child starts with them unblocked and at their defaults.
    /// A signal that came from the terminal (si_code SI_KERNEL: Ctrl-C, hang-up) already
    /// reached the child through its process group and is not sent twice.
    public static func run(_ argv: [String], environment: [String: String]) -> Outcome {
        let child: SpawnedChild
        do {
            child = try SpawnedChild(argv, environment: environment, inheritInput: true,
                                     standardOutput: .inherit, standardError: .inherit)
        } catch {
            return .notStarted(error.errno.rawValue)
        }
        let forwarder = SignalForwarder(child: child.pid)
        forwarder.start()
        guard let status = try? child.wait().status else { return .exited(127) }
        forwarder.stop()
        switch status {
        case let .exited(code): return .exited(code)
        case let .signaled(signal): return .signaled(signal)
        }
    }

    /// Waits (in the calling thread) for one of the forwarded signals; for long-lived serving.
    /// Returns the signal.
    public static func waitForTerminationSignal() -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        for s in forwarded { sigaddset(&set, s) }
        var sig: Int32 = 0
        while sigwait(&set, &sig) != 0 {}
        return sig
    }
}

/// A thread that takes the blocked forwarded signals with `sigtimedwait` and sends them on.
private final class SignalForwarder: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let child: pid_t
    private let done = DispatchSemaphore(value: 0)

    init(child: pid_t) { self.child = child }

    func start() {
        DetachedThread.start(name: "i2osim-signals") { [self] in
            loop()
            done.signal()
        }
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        done.wait()
    }

    private func loop() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in ChildProcess.forwarded { sigaddset(&set, s) }
        var info = siginfo_t()
        var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
        while !stopped.load(ordering: .acquiring) {
            let sig = sigtimedwait(&set, &info, &timeout)
            if sig > 0 && info.si_code != SI_KERNEL { kill(child, sig) }
        }
    }
}
