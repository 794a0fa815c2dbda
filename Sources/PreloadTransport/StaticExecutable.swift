#if canImport(Glibc)
import Glibc
#endif

/// Whether a command can see the device through the preload library at all: the dynamic loader
/// reads LD_PRELOAD, so a program the kernel starts without one (no PT_INTERP program header:
/// statically linked, static-pie, most Go binaries) never loads the library and finds no
/// /dev/i2o/ctl. `i2osim run` warns before it starts such a program (docs/preload-protocol.md).
public enum StaticExecutable {
    /// The file `command` runs: itself when it names a path (has a `/`), else the first executable
    /// of that name in `searchPath` (`$PATH`'s form, as `posix_spawnp` searches it).
    public static func resolve(_ command: String, searchPath: String?) -> String? {
        if command.contains("/") { return command }
        let path = searchPath ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + command
            var st = stat()
            if stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Whether the ELF file at `path` has no program interpreter (PT_INTERP): true for a
    /// statically linked executable; false for a dynamically linked one; nil for a file that is
    /// not a little-endian ELF file (a script, which its interpreter runs) or cannot be read.
    public static func lacksInterpreter(_ path: String) -> Bool? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ count: Int, at offset: UInt64) -> [UInt8]? {
            guard count > 0, count <= 1 << 20, offset <= UInt64(Int.max) else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? bytes : nil
        }
        return lacksInterpreter(header: read(64, at: 0) ?? read(52, at: 0) ?? [], read: read)
    }

    /// The check on an ELF header (`header`: its first 52 or 64 bytes) with `read(count, offset)`
    /// for the program headers.
    static func lacksInterpreter(header h: [UInt8], read: (Int, UInt64) -> [UInt8]?) -> Bool? {
        guard h.count >= 52, h[0] == 0x7F, h[1] == 0x45, h[2] == 0x4C, h[3] == 0x46, h[5] == 1 else { return nil }
        func u16(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(b[o]) | UInt64(b[o + 1]) << 8 }
        func u32(_ b: [UInt8], _ o: Int) -> UInt64 { u16(b, o) | u16(b, o + 2) << 16 }
        func u64(_ b: [UInt8], _ o: Int) -> UInt64 { u32(b, o) | u32(b, o + 4) << 32 }
        let is64: Bool
        switch h[4] {
        case 1: is64 = false
        case 2: is64 = true; guard h.count >= 64 else { return nil }
        default: return nil
        }
        let type = u16(h, 16)
        guard type == 2 || type == 3 else { return nil }   // ET_EXEC, ET_DYN
        let phoff = is64 ? u64(h, 32) : u32(h, 28)
        let phentsize = Int(is64 ? u16(h, 54) : u16(h, 42))
        let phnum = Int(is64 ? u16(h, 56) : u16(h, 44))
        guard phentsize >= 4, phnum > 0, phnum < 0xFFFF, let table = read(phentsize * phnum, phoff) else { return nil }
        let ptInterp: UInt64 = 3
        for i in 0..<phnum where u32(table, i * phentsize) == ptInterp { return false }
        return true
    }
}
