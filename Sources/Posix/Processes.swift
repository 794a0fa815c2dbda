#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Other processes as `/proc` shows them (this process's pid namespace): who a signal may reach.
public enum Processes {
    /// The real and saved user ids of `pid`; nil when it does not exist (or `/proc` cannot say).
    public static func userIDs(of pid: Int32) -> (real: UInt32, saved: UInt32)? {
        guard pid > 0, let status = read("/proc/\(pid)/status") else { return nil }
        // "Uid:\t<real>\t<effective>\t<saved>\t<filesystem>"
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            let ids = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { UInt32($0) }
            return ids.count >= 3 ? (ids[0], ids[2]) : nil
        }
        return nil
    }

    /// The processes of process group `group`, in no particular order.
    public static func members(ofGroup group: Int32) -> [Int32] {
        guard group > 0, let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = Int32(name), pid > 0, let stat = read("/proc/\(pid)/stat") else { continue }
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so after the last ')'.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count >= 3, Int32(fields[2]) == group { found.append(pid) }
        }
        return found
    }

    /// A small `/proc` file's text (at most 64 KiB); nil when it cannot be read.
    private static func read(_ path: String) -> String? {
        guard let fd = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) else { return nil }
        defer { fd.closeIgnoringErrors() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { (try? fd.readSome(into: $0)) ?? -1 }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes += chunk.prefix(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
