#if canImport(Glibc)
import Glibc
#endif
import Foundation
import IOPModel
import Synchronization

/// Why a state directory cannot be used.
public enum StateError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The directory cannot be created or opened.
    case directory(String, String)
    /// Another process holds the lock.
    case locked(String)
    /// The state file exists but cannot be read back: its path and what is wrong.
    case damaged(String, String)
    /// Writing the state failed (the change is made in the IOP but not on disk).
    case write(String, String)

    public var description: String {
        switch self {
        case let .directory(p, why): "state directory \(p): \(why)"
        case let .locked(p):
            "state directory \(p) is in use by another i2osim (\(p)/state.lock is locked); stop it or give another --state-dir"
        case let .damaged(p, why):
            "state file \(p) is damaged: \(why); start with --fresh-state to move it aside and begin anew"
        case let .write(p, why): "cannot write state file \(p): \(why)"
        }
    }
}

/// A directory holding one machine's persistent state: `state.json` (the state), `state.lock`
/// (flock'ed while a daemon uses it). Writes are atomic: a temporary file is written and
/// fsync'ed, renamed over `state.json`, and the directory is fsync'ed — a crash at any moment
/// leaves either the old or the new file, complete.
public final class StateDirectory: Sendable {
    public let path: String
    public var statePath: String { path + "/state.json" }
    private let lockFD: Int32
    private let dirFD: Int32
    private let baseline: MachineDescription
    /// The state last written (or loaded), to skip writes that change nothing.
    private let last: Mutex<PersistentState?>
    /// Writes done (for stats).
    private let writes = Atomic<Int>(0)

    /// Opens (creating it 0700 if needed) and locks `path`.
    /// - Parameter baseline: the fixture's machine, against which parameter changes are found.
    public init(path: String, baseline: MachineDescription) throws(StateError) {
        self.path = path
        self.baseline = baseline
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .directory(path, String(cString: strerror(errno)))
        }
        let d = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard d >= 0 else { throw .directory(path, String(cString: strerror(errno))) }
        let l = Glibc.open(path + "/state.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard l >= 0 else {
            let why = String(cString: strerror(errno)); close(d)
            throw .directory(path, "cannot open state.lock: \(why)")
        }
        guard flock(l, LOCK_EX | LOCK_NB) == 0 else {
            close(l); close(d)
            throw .locked(path)
        }
        lockFD = l; dirFD = d
        last = Mutex(nil)
    }

    deinit {
        close(lockFD)   // releases the lock
        close(dirFD)
    }

    /// Reads `state.json`: nil when there is none yet.
    public func load() throws(StateError) -> PersistentState? {
        let p = statePath
        guard let data = FileManager.default.contents(atPath: p) else {
            if access(p, F_OK) == 0 { throw .damaged(p, "cannot be read") }
            return nil
        }
        let state: PersistentState
        do { state = try JSONDecoder().decode(PersistentState.self, from: data) } catch {
            throw .damaged(p, Self.explain(error, size: data.count))
        }
        guard state.version == PersistentState.currentVersion else {
            throw .damaged(p, "format version \(state.version), this i2osim reads version \(PersistentState.currentVersion)")
        }
        last.withLock { $0 = state }
        return state
    }

    /// Moves an existing `state.json` aside: `state.json.damaged-<timestamp>` (never deletes it).
    /// - Returns: the new name, or nil when there was no file.
    @discardableResult
    public func moveAside() throws(StateError) -> String? {
        guard access(statePath, F_OK) == 0 else { return nil }
        let stamp = Self.timestamp()
        var target = statePath + ".damaged-" + stamp
        var n = 1
        while access(target, F_OK) == 0 { n += 1; target = statePath + ".damaged-\(stamp)-\(n)" }
        guard rename(statePath, target) == 0 else { throw .write(statePath, "rename to \(target): \(String(cString: strerror(errno)))") }
        fsync(dirFD)
        last.withLock { $0 = nil }
        return target
    }

    /// Writes the persistent part of `machine` if it differs from what was last written.
    public func save(_ machine: Machine) throws(StateError) {
        let state = PersistentState(machine: machine, baseline: baseline)
        if last.withLock({ $0 == state }) { return }
        try write(state)
        last.withLock { $0 = state }
    }

    /// How many times the file was written.
    public var writeCount: Int { writes.load(ordering: .relaxed) }

    /// Atomically replaces `state.json` with `state`.
    public func write(_ state: PersistentState) throws(StateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(state) } catch { throw .write(statePath, "\(error)") }
        let tmp = path + "/state.json.tmp"
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .write(tmp, String(cString: strerror(errno))) }
        var bytes = [UInt8](data); bytes.append(0x0A)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno)); close(fd)
                throw .write(tmp, why)
            }
            done += n
        }
        guard fsync(fd) == 0 else { let why = String(cString: strerror(errno)); close(fd); throw .write(tmp, "fsync: \(why)") }
        close(fd)
        guard rename(tmp, statePath) == 0 else { throw .write(statePath, "rename: \(String(cString: strerror(errno)))") }
        guard fsync(dirFD) == 0 else { throw .write(path, "fsync of the directory: \(String(cString: strerror(errno)))") }
        writes.add(1, ordering: .relaxed)
    }

    static func explain(_ error: any Error, size: Int) -> String {
        if size == 0 { return "the file is empty" }
        switch error {
        case let DecodingError.dataCorrupted(c):
            return "not valid JSON (\(c.underlyingError.map { "\($0.localizedDescription)" } ?? c.debugDescription))"
        case let DecodingError.keyNotFound(k, c):
            return "missing key '\(k.stringValue)' at \(path(c.codingPath))"
        case let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c):
            return "wrong value at \(path(c.codingPath)): \(c.debugDescription)"
        default:
            return "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    static func timestamp() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y%m%dT%H%M%SZ", &tm)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
