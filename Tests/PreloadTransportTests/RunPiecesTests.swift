import Faults
import Simulator
import I2OABI
import I2ODevice
import Glibc
@testable import PreloadTransport
import Testing

@Suite struct RunPiecesTests {
    @Test func childStatuses() {
        let env = ["PATH": "/usr/bin:/bin"]
        #expect(ChildProcess.run(["sh", "-c", "exit 42"], environment: env) == .exited(42))
        let killed = ChildProcess.run(["sh", "-c", "kill -KILL $$"], environment: env)
        #expect(killed == .signaled(SIGKILL) && killed.shellStatus == 137)
        let missing = ChildProcess.run(["no-such-command-i2osim"], environment: env)
        #expect(missing == .notStarted(ENOENT) && missing.shellStatus == 127)
        #expect(ChildProcess.run(["sh", "-c", "test \"$FOO\" = bar"], environment: env.merging(["FOO": "bar"]) { a, _ in a }) == .exited(0))
    }

    /// `run` warns before a program the preload library cannot reach: one without PT_INTERP.
    @Test func staticExecutablesAreTheOnesWithoutAnInterpreter() throws {
        let sh = try #require(StaticExecutable.resolve("sh", searchPath: "/nonexistent:/usr/bin:/bin"))
        #expect(sh.hasSuffix("/sh"))
        #expect(StaticExecutable.lacksInterpreter(sh) == false, "sh is dynamically linked")
        #expect(StaticExecutable.resolve("./x", searchPath: nil) == "./x")
        #expect(StaticExecutable.resolve("no-such-command-i2osim", searchPath: "/usr/bin:/bin") == nil)
        // ELF headers by hand: 64- and 32-bit, one PT_LOAD, with and without a PT_INTERP.
        func elf(bits: Int, headers: [UInt32]) -> ([UInt8], (Int, UInt64) -> [UInt8]?) {
            var h = [UInt8](repeating: 0, count: 64)
            h[0...3] = [0x7F, 0x45, 0x4C, 0x46]; h[4] = bits == 64 ? 2 : 1; h[5] = 1; h[16] = 2   // ET_EXEC
            let size = bits == 64 ? 56 : 32
            if bits == 64 { h[32] = 64; h[54] = UInt8(size); h[56] = UInt8(headers.count) }
            else { h[28] = 52; h[42] = UInt8(size); h[44] = UInt8(headers.count) }
            var table: [UInt8] = []
            for type in headers { table += withUnsafeBytes(of: type.littleEndian, Array.init) + [UInt8](repeating: 0, count: size - 4) }
            return (h, { count, offset in offset == (bits == 64 ? 64 : 52) && count == table.count ? table : nil })
        }
        for bits in [64, 32] {
            let (staticHeader, staticRead) = elf(bits: bits, headers: [1])           // PT_LOAD
            #expect(StaticExecutable.lacksInterpreter(header: staticHeader, read: staticRead) == true, "\(bits)-bit static")
            let (dynamicHeader, dynamicRead) = elf(bits: bits, headers: [6, 3, 1])   // PT_PHDR, PT_INTERP, PT_LOAD
            #expect(StaticExecutable.lacksInterpreter(header: dynamicHeader, read: dynamicRead) == false, "\(bits)-bit dynamic")
        }
        #expect(StaticExecutable.lacksInterpreter(header: Array("#!/bin/sh\necho not ELF, a script: its interpreter decides\n".utf8),
                                                  read: { _, _ in nil }) == nil)
    }

    @Test func clientEnvironmentPutsOurLibraryFirst() {
        let env = PreloadLibrary.clientEnvironment(base: ["LD_PRELOAD": "/x/libother.so", "HOME": "/h"], libraryDir: "/opt/i2o",
                                                   socketPath: "/tmp/d/sock", devices: ["/dev/i2octl", "/tmp/x"])
        #expect(env["LD_PRELOAD"] == "/opt/i2o/i2osim-preload/$PLATFORM/libi2osim-preload.so /x/libother.so")
        #expect(env["I2OSIM_SOCKET"] == "/tmp/d/sock")
        #expect(env["I2OSIM_DEVICES"] == "/dev/i2octl:/tmp/x")
        #expect(env["HOME"] == "/h")
        let plain = PreloadLibrary.clientEnvironment(base: [:], libraryDir: "/l", socketPath: "/s")
        #expect(plain["LD_PRELOAD"] == "/l/i2osim-preload/$PLATFORM/libi2osim-preload.so" && plain["I2OSIM_DEVICES"] == nil)
    }

    @Test func exportLineIsShellSafe() {
        #expect(PreloadLibrary.exportLine(libraryDir: "/opt/it's", socketPath: "/tmp/s") ==
            "export LD_PRELOAD='/opt/it'\\''s/i2osim-preload/$PLATFORM/libi2osim-preload.so' I2OSIM_SOCKET='/tmp/s'")
        let r = run(["sh", "-c", PreloadLibrary.exportLine(libraryDir: "/opt/it's", socketPath: "/tmp/s") + "; printf %s \"$LD_PRELOAD\""])
        #expect(r.stdout == "/opt/it's/i2osim-preload/$PLATFORM/libi2osim-preload.so")
    }

    @Test func staleSocketIsReplacedLiveOneRefused() throws {
        let dir = "/tmp/i2osim-stale-\(getpid())"
        mkdir(dir, 0o700)
        defer { rmdir(dir) }
        let path = dir + "/sock"
        // A stale socket file: bound once, its owner gone.
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = try UnixSocket.address(path)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(s)
        let d = try ToyDaemon(socketPath: path)
        #expect(throws: PreloadServerError.self) { try ToyDaemon(socketPath: path) }
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        d.server.stop()
        #expect(access(path, F_OK) != 0, "stop() removes the socket")
    }

    @Test func privateDirectoryIsRemoved() throws {
        let d = try ToyDaemon()
        let dir = try #require(d.server.privateDirectory)
        var st = stat()
        #expect(stat(dir, &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(d.server.socketPath == dir + "/sock")
        d.server.stop()
        #expect(access(dir, F_OK) != 0)
    }
}
