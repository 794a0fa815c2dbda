#if canImport(Glibc)
import Glibc
#endif
import Posix

/// Gives up root for good: supplementary groups, then the group, then the user of `name`
/// (setgroups, setgid, setuid). Called by `serve --user` once every CUSE node exists (the
/// sessions' /dev/cuse descriptors stay open and keep working), or before the socket is
/// created with --socket.
enum Privileges {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The uid and gid of user `name` (a name or a number).
    static func lookup(_ name: String) -> (uid: uid_t, gid: gid_t)? {
        if let p = getpwnam(name) { return (p.pointee.pw_uid, p.pointee.pw_gid) }
        if let n = UInt32(name), let p = getpwuid(n) { return (p.pointee.pw_uid, p.pointee.pw_gid) }
        return nil
    }

    static func drop(to name: String) throws(Failure) {
        guard let (uid, gid) = lookup(name) else { throw Failure(description: "--user \(name): no such user") }
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw Failure(description: SystemError("setgroups").description) }
        guard setgid(gid) == 0 else { throw Failure(description: SystemError("setgid(\(gid))").description) }
        guard setuid(uid) == 0 else { throw Failure(description: SystemError("setuid(\(uid))").description) }
        // Verify it sticks: no way back to root.
        guard getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid, uid == 0 || setuid(0) != 0 else {
            throw Failure(description: "root could not be dropped for good")
        }
    }
}
