#if canImport(Glibc)
import Glibc
#endif
import Foundation
import IOPModel
import Posix
import Synchronization
import struct SystemPackage.Errno
import struct SystemPackage.FileDescriptor

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
    private let lockFD: FileDescriptor
    private let dirFD: FileDescriptor
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
        if mkdir(path, 0o700) != 0 && Errno.last != .fileExists {
            throw .directory(path, Errno.last.description)
        }
        let d: FileDescriptor, l: FileDescriptor
        do { d = try .open(path, .readOnly, options: [.directory, .closeOnExec]) } catch { throw .directory(path, error.description) }
        do { l = try .open(path + "/state.lock", .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite]) } catch {
            d.closeIgnoringErrors()
            throw .directory(path, "cannot open state.lock: \(error)")
        }
        guard flock(l.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            l.closeIgnoringErrors(); d.closeIgnoringErrors()
            throw .locked(path)
        }
        lockFD = l; dirFD = d
        last = Mutex(nil)
    }

    deinit {
        lockFD.closeIgnoringErrors()   // releases the lock
        dirFD.closeIgnoringErrors()
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
        guard rename(statePath, target) == 0 else { throw .write(statePath, "rename to \(target): \(Errno.last)") }
        fsync(dirFD.rawValue)
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
        let fd: FileDescriptor
        do { fd = try .open(tmp, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite]) } catch {
            throw .write(tmp, error.description)
        }
        var bytes = [UInt8](data); bytes.append(0x0A)
        do { try fd.writeAll(bytes) } catch { fd.closeIgnoringErrors(); throw .write(tmp, error.description) }
        guard fsync(fd.rawValue) == 0 else { let why = Errno.last; fd.closeIgnoringErrors(); throw .write(tmp, "fsync: \(why)") }
        fd.closeIgnoringErrors()
        guard rename(tmp, statePath) == 0 else { throw .write(statePath, "rename: \(Errno.last)") }
        guard fsync(dirFD.rawValue) == 0 else { throw .write(path, "fsync of the directory: \(Errno.last)") }
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
