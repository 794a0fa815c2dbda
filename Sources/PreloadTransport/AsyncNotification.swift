#if canImport(Glibc)
import Glibc
#endif
import I2OABI
import I2ODevice
import Posix

/// One open file's asynchronous notification, as the kernel keeps it in `struct file` and so
/// shares it between every descriptor of the file (dups, forked children): the O_ASYNC flag,
/// the `F_SETOWN` owner and the `F_SETSIG` signal. The library changes and reads it with ASYNC
/// messages (docs/preload-protocol.md, "O_ASYNC and SIGIO").
struct AsyncState: Equatable, Sendable {
    /// O_ASYNC.
    var on = false
    /// A pid (> 0), a process group (its negated id, < 0), or nobody (0).
    var owner: Int32 = 0
    /// The signal sent; 0 = SIGIO.
    var signal: Int32 = 0
    /// The effective user of the process that set `owner` (the kernel keeps the setter's
    /// credentials with the owner and signals only where they may).
    var ownerSetBy: UInt32 = 0

    /// The kernels' largest signal number (`_NSIG` on x86): `F_SETSIG` above it → EINVAL.
    static let signalLimit: Int32 = 64

    /// One ASYNC message's change, as the kernel's `fcntl` and `FIOASYNC` make it on a file whose
    /// driver has the `fasync` method `fasync`. Returns the errno when it is refused (then nothing
    /// changed):
    /// - `F_SETSIG` of a signal below 0 or above 64 → EINVAL;
    /// - `FIOASYNC` that would change O_ASYNC of a file without `fasync` → ENOTTY (the VFS); `F_SETFL`
    ///   returns 0 and leaves the flag off, as today's kernels do (the flag is the `fasync` method's to
    ///   set; the kernels of 2.4 and 2.6.18 set it anyway, but their driver has a `fasync`).
    mutating func apply(set: UInt32, on: Bool, owner: Int32, signal: Int32, by setter: UInt32,
                        fasync: FileOperations.Fasync) -> Errno? {
        if set & PreloadProtocol.asyncSetSignal != 0, signal < 0 || signal > Self.signalLimit { return .EINVAL }
        let setsFlag = set & PreloadProtocol.asyncSetFlag != 0
        if setsFlag, set & PreloadProtocol.asyncByFIOASYNC != 0, on != self.on, fasync == .none { return .ENOTTY }
        if setsFlag, fasync != .none { self.on = on }
        if set & PreloadProtocol.asyncSetOwner != 0 { self.owner = owner; ownerSetBy = setter }
        if set & PreloadProtocol.asyncSetSignal != 0 { self.signal = signal }
        return nil
    }

    /// Whom to signal, and with what, when an event is queued to the file; nil when nobody is to be
    /// signalled (O_ASYNC off, no owner, or a driver that never signals).
    func target(_ fasync: FileOperations.Fasync) -> AsyncTarget? {
        guard fasync == .signalsQueuedEvents, on, owner != 0 else { return nil }
        return AsyncTarget(owner: owner, signal: signal == 0 ? SIGIO : signal, setter: ownerSetBy)
    }
}

/// Whom an armed open file signals, with what, on whose behalf.
struct AsyncTarget: Equatable, Sendable {
    var owner: Int32
    var signal: Int32
    var setter: UInt32
}

extension PreloadEventHub {
    /// From now on an event queued to `file` signals `target` (nil: nothing).
    func arm(_ file: OpenFileID, _ target: AsyncTarget?) {
        armed.withLock { a in
            if let target { a[file] = target } else { a.removeValue(forKey: file) }
        }
    }

    /// Whom an event queued to `file` signals now (for tests).
    func armedTarget(_ file: OpenFileID) -> AsyncTarget? { armed.withLock { $0[file] } }

    /// The owner of `file` gets its signal, as 2.4's `kill_fasync` sent it, with the kernel's
    /// permission rule (`sigio_perm`): only processes whose real or saved user is the one that set the
    /// owner, or any process when root set it. The daemon sends it with `kill()`, so it arrives as one
    /// another process sent (`si_code` SI_USER, no `si_fd`/`si_band`), never to the daemon itself (an
    /// `i2osim run` shares its process group with the command), and only to processes the daemon can
    /// see and signal (its pid namespace, its own permissions). A process that may not be signalled is
    /// skipped, as the kernel skips it.
    func signalOwner(of file: OpenFileID) {
        guard let t = armed.withLock({ $0[file] }) else { return }
        let me = getpid()
        // A setter who is the daemon's own user (or root) could signal every process the daemon can:
        // the kernel's rule gives nothing more to check.
        let unchecked = t.setter == 0 || t.setter == geteuid()
        let group = t.owner < 0 ? -t.owner : 0
        if unchecked, t.owner > 0 {
            if t.owner != me { _ = kill(t.owner, t.signal) }
        } else if unchecked, group != getpgrp() {
            _ = kill(t.owner, t.signal)
        } else {
            for pid in t.owner > 0 ? [t.owner] : Processes.members(ofGroup: group) where pid != me {
                guard unchecked || Self.mayBeSignalled(pid, by: t.setter) else { continue }
                _ = kill(pid, t.signal)
            }
        }
    }

    /// `sigio_perm` with the setter's effective user: it is root, or the target's real or saved user.
    private static func mayBeSignalled(_ pid: Int32, by setter: UInt32) -> Bool {
        guard let ids = Processes.userIDs(of: pid) else { return false }
        return setter == 0 || setter == ids.real || setter == ids.saved
    }
}

