#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A child process started with `posix_spawnp` and waited for with `waitpid`, its standard output
/// and standard error caught in files, thrown away or shared: the client `i2osim run` starts
/// (`ChildProcess`), its build of the preload library, and the tests' clients.
///
/// Not Foundation's `Process`: its `waitUntilExit` waits on a run loop for the news of the child's
/// end, and on a thread that is not the main one it can miss it and wait for ever (seen in the unit
/// tests: a `cc` long gone, the test hung). Here the waiting thread calls `waitpid` for its own
/// child, which cannot be missed. The output goes to unlinked temporary files opened close-on-exec
/// (a pipe's write end, inherited by a child another thread started meanwhile, would keep the
/// reader waiting until that child ended too), and is read once the child has ended.
public final class SpawnedChild {
    /// The child's process id.
    public let pid: pid_t
    private let output: FileDescriptor?, errors: FileDescriptor?
    private var ended: WaitStatus?

    /// What a child left: how it ended and what it wrote.
    public struct Outcome: Sendable {
        public var status: WaitStatus
        public var standardOutput: String
        public var standardError: String
        /// The exit status a shell would give: the code, or 128 + the signal.
        public var shellStatus: Int32 {
            switch status {
            case let .exited(code): code
            case let .signaled(signal): 128 + signal
            }
        }
    }

    /// Where a child's standard output or error goes.
    public enum Stream: Sendable {
        /// Into a file read once the child has ended (`Outcome`).
        case capture
        /// To `/dev/null`.
        case discard
        /// Where this process's goes.
        case inherit
        /// Standard error only: into the same file as standard output, interleaved as written.
        case withOutput
    }

    /// Starts `argv` (its first word searched in `PATH`) with exactly `environment`; standard
    /// input is `/dev/null` unless `inheritInput`. The child starts with no signal blocked and
    /// every signal at its default, whatever this process blocked, ignored or caught.
    public init(_ argv: [String], environment: [String: String], inheritInput: Bool = false,
                standardOutput: Stream = .capture, standardError: Stream = .capture) throws(SystemError) {
        guard let first = argv.first else { throw SystemError("posix_spawnp", errno: .noSuchFileOrDirectory) }
        output = standardOutput == .capture ? try Self.scratchFile() : nil
        do {
            errors = standardError == .capture ? try Self.scratchFile() : standardError == .withOutput ? output : nil
        } catch {
            output?.closeIgnoringErrors()
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !inheritInput { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        for (stream, fd, target) in [(standardOutput, output, Int32(1)), (standardError, errors, Int32(2))] {
            if let fd { posix_spawn_file_actions_adddup2(&actions, fd.rawValue, target) }
            else if stream == .discard { posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0) }
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, first, &actions, &attr, cArgs, cEnv)
        guard rc == 0 else {
            output?.closeIgnoringErrors()
            if standardError == .capture { errors?.closeIgnoringErrors() }
            throw SystemError("cannot run", path: first, errno: Errno(rawValue: rc))
        }
        self.pid = pid
    }

    /// How the child ended, when it has (it is reaped then); nil while it runs. Does not wait.
    public func endedStatus() -> WaitStatus? {
        if ended == nil {
            var status: CInt = 0
            if waitpid(pid, &status, WNOHANG) == pid { ended = WaitStatus(rawValue: status) }
        }
        return ended
    }

    /// Sends `signal` to the child, if it has not been waited for yet.
    public func kill(_ signal: Int32) {
        if ended == nil { _ = Glibc.kill(pid, signal) }
    }

    /// Waits for the child to end and gives what it left.
    public func wait() throws(SystemError) -> Outcome {
        let status: WaitStatus
        if let ended { status = ended } else {
            do { status = try WaitStatus.wait(for: pid) } catch { throw SystemError("waitpid(\(pid))", errno: error) }
            ended = status
        }
        return Outcome(status: status, standardOutput: Self.text(of: output),
                       standardError: errors == output ? "" : Self.text(of: errors))
    }

    deinit {
        if ended == nil {
            _ = Glibc.kill(pid, SIGKILL)
            _ = try? WaitStatus.wait(for: pid)
        }
        closeFiles()
    }

    private func closeFiles() {
        output?.closeIgnoringErrors()
        if errors != output { errors?.closeIgnoringErrors() }
    }

    /// A new empty file, already unlinked, open close-on-exec (a child gets it by `dup2` only).
    private static func scratchFile() throws(SystemError) -> FileDescriptor {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        while true {
            let path = "\(dir)/i2osim-spawned-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            do {
                let fd = try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate, .closeOnExec],
                                                 permissions: [.ownerReadWrite])
                unlink(path)
                return fd
            } catch .fileExists {
                continue
            } catch {
                throw SystemError("cannot create", path: path, errno: error)
            }
        }
    }

    /// All that was written to `fd` (from its start), as text.
    private static func text(of fd: FileDescriptor?) -> String {
        guard let fd, let size = try? fd.size(), size > 0 else { return "" }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let read = bytes.withUnsafeMutableBytes { b in (try? fd.readAll(at: 0, into: b)) != nil }
        guard read else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
