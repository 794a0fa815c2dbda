#if canImport(Glibc)
import Glibc
#endif

/// Where the preload libraries are and what a client's environment needs.
///
/// `Sources/CPreload/build.sh DIR` puts `libi2osim-preload.so`, `libi2osim-preload32.so` and
/// the `$PLATFORM` links `i2osim-preload/<platform>/libi2osim-preload.so` into DIR; by default
/// DIR is SwiftPM's bin dir, next to the `i2osim` binary.
public enum PreloadLibrary {
    /// The directories searched, in order: `explicit`, `$I2OSIM_PRELOAD_DIR`, the directory of
    /// the running executable, and `../lib/i2osim` beside it (an installed layout).
    public static func searchPath(explicit: String? = nil) -> [String] {
        var dirs: [String] = []
        if let explicit, !explicit.isEmpty { dirs.append(explicit) }
        if let env = getenv("I2OSIM_PRELOAD_DIR"), env.pointee != 0 { dirs.append(String(cString: env)) }
        if let exe = executableDirectory() {
            dirs.append(exe)
            dirs.append(exe + "/../lib/i2osim")
        }
        return dirs
    }

    /// The first directory of `searchPath` holding a built 64-bit library, or nil.
    public static func locate(explicit: String? = nil) -> String? {
        searchPath(explicit: explicit).first { access("\($0)/i2osim-preload/x86_64/libi2osim-preload.so", R_OK) == 0 }
    }

    /// Whether the 32-bit library is there too.
    public static func has32Bit(in dir: String) -> Bool {
        access("\(dir)/i2osim-preload/i686/libi2osim-preload.so", R_OK) == 0
    }

    /// The LD_PRELOAD entry for `dir`. The dynamic loader replaces `$PLATFORM` with x86_64 in
    /// 64-bit processes and i686 (or i386…) in 32-bit ones, so both kinds find their own
    /// library and neither prints "wrong ELF class".
    public static func preloadEntry(dir: String) -> String {
        "\(dir)/i2osim-preload/$PLATFORM/libi2osim-preload.so"
    }

    /// `base` with our library first in LD_PRELOAD, `I2OSIM_SOCKET`, and `I2OSIM_DEVICES` when
    /// `devices` is not empty.
    public static func clientEnvironment(base: [String: String], libraryDir: String, socketPath: String,
                                         devices: [String] = []) -> [String: String] {
        var env = base
        let entry = preloadEntry(dir: libraryDir)
        if let old = env["LD_PRELOAD"], !old.isEmpty, !old.contains(entry) {
            env["LD_PRELOAD"] = entry + " " + old
        } else {
            env["LD_PRELOAD"] = entry
        }
        env["I2OSIM_SOCKET"] = socketPath
        if !devices.isEmpty { env["I2OSIM_DEVICES"] = devices.joined(separator: ":") }
        return env
    }

    /// The shell line that gives another shell the device: `export LD_PRELOAD=… I2OSIM_SOCKET=…`.
    public static func exportLine(libraryDir: String, socketPath: String, devices: [String] = []) -> String {
        var line = "export LD_PRELOAD=\(shellQuote(preloadEntry(dir: libraryDir))) I2OSIM_SOCKET=\(shellQuote(socketPath))"
        if !devices.isEmpty { line += " I2OSIM_DEVICES=\(shellQuote(devices.joined(separator: ":")))" }
        return line
    }

    static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func executableDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let path = buf.withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0).prefix(n), as: UTF8.self) }
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
