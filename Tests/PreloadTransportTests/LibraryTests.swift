import Faults
import Simulator
import I2OABI
import I2ODevice
import Foundation
import Glibc
@testable import PreloadTransport
import Posix
import Synchronization
import Testing

/// The C library end to end: the test client (Tests/preload/preload-client.c) run with
/// LD_PRELOAD against a server with the toy backend.
@Suite struct LibraryTests {
    @Test(arguments: [64, 32]) func basic(bits: Int) throws {
        let d = try ToyDaemon()
        let r = try d.client(["basic"], bits: bits)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(" 0 failed"))
        #expect(d.logged.isEmpty, "\(d.logged)")
        #expect(eventually { d.backend.openCount == 0 }, "every open file released after the client exited")
    }

    /// A struct sent straight from the caller's memory (no writability test) until the daemon is
    /// seen writing into it: one NEED round the first time, none after — also for a read-only
    /// struct, refused from the test sent with the request.
    @Test(arguments: [64, 32]) func writtenStructIsLearned(bits: Int) throws {
        let d = try ToyDaemon()
        let r = try d.client(["learn"], bits: bits)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(d.backend.countRounds.withLock { $0 } == [1, 0, 0, 0])
    }

    @Test(arguments: [64, 32]) func eventsPollSelectAndBlockingRead(bits: Int) throws {
        let d = try ToyDaemon()
        let r = try d.client(["events"], bits: bits)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(eventually { d.server.connectionCount == 0 && d.hub.watcherCount == 0 }, "no connection or watcher left")
    }

    /// The open file shared with a forked child ("fork") or kept across exec ("exec"): it works in
    /// both, and is released once, when the last holder closes it.
    @Test(arguments: ["fork", "exec"], [64, 32]) func sharedOpenFile(mode: String, bits: Int) throws {
        let d = try ToyDaemon()
        let r = try d.client([mode], bits: bits)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(eventually { d.backend.openCount == 0 })
    }

    @Test func threadsOnOneDescriptor() throws {
        let d = try ToyDaemon()
        let r = try d.client(["threads"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test func otherDevicePathsFromTheEnvironment() throws {
        let d = try ToyDaemon()
        let r = try d.client(["-d", "/dev/i2octl", "basic"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let custom = try d.client(["-d", "/tmp/my-i2o", "basic"], env: ["I2OSIM_DEVICES": "/tmp/my-i2o"])
        #expect(custom.status == 0, "\(custom.stdout)\(custom.stderr)")
        let notServed = try d.client(["-d", "/dev/i2o/ctl", "nodaemon"], env: ["I2OSIM_DEVICES": "/tmp/my-i2o"])
        #expect(notServed.status == 0, "with I2OSIM_DEVICES set, /dev/i2o/ctl is left alone: \(notServed.stdout)\(notServed.stderr)")
    }

    @Test func manyProcessesAtOnce() throws {
        let d = try ToyDaemon()
        let a = try Artifacts.get()
        let results = Mutex<[RunResult]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            let r = run([i % 2 == 0 ? a.client64 : a.client32, "loop", "200"],
                        env: ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": d.server.socketPath])
            results.withLock { $0.append(r) }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 12)
        for r in all { #expect(r.status == 0 && r.stdout.contains("201 passed, 0 failed"), "\(r.stdout)\(r.stderr)") }
        #expect(eventually { d.backend.openCount == 0 && d.server.connectionCount == 0 })
    }

    /// Clients killed at random points of their requests: the daemon drops their open files
    /// and keeps serving the others.
    @Test func clientsKilledMidRequest() throws {
        let d = try ToyDaemon()
        let a = try Artifacts.get()
        for round in 0..<6 {
            let client = try SpawnedChild([a.client64, "loop", "-1"],
                                          environment: ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": d.server.socketPath],
                                          standardOutput: .discard, standardError: .discard)
            usleep(UInt32(150_000 + 37_000 * round))
            client.kill(SIGKILL)
            #expect(try client.wait().status == .signaled(SIGKILL), "the client was still running, and killed")
        }
        #expect(eventually { d.backend.openCount == 0 }, "open files of killed clients released")
        let r = try d.client(["basic"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)\ndaemon's log: \(d.logged)")
    }

    @Test(arguments: [64, 32]) func noDaemonFailsPromptly(bits: Int) throws {
        let a = try Artifacts.get()
        let missing = run([bits == 64 ? a.client64 : a.client32, "nodaemon"],
                          env: ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": "/nonexistent/i2osim.sock"])
        #expect(missing.status == 0, "\(missing.stdout)\(missing.stderr)")
        // A socket file nobody listens on (a daemon that died): ENXIO, at once.
        let dir = "/tmp/i2osim-dead-\(getpid())-\(bits)"
        mkdir(dir, 0o700)
        defer { unlink(dir + "/sock"); rmdir(dir) }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in (dir + "/sock").utf8.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let dead = run([bits == 64 ? a.client64 : a.client32, "nodaemon"],
                       env: ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": dir + "/sock"])
        #expect(dead.status == 0, "\(dead.stdout)\(dead.stderr)")
    }

    /// An unprivileged client. The daemon here runs as root (the test's user), so its socket
    /// must be reachable by nobody: a socket of mode 0666 in a 0755 directory. (`i2osim run`
    /// needs none of this: daemon and client run as the same user.)
    @Test func unprivilegedClient() throws {
        guard getuid() == 0 else { return }   // only meaningful when we can switch to nobody
        let dir = "/tmp/i2osim-nobody-\(getpid())"
        mkdir(dir, 0o755)
        chmod(dir, 0o755)
        defer { rmdir(dir) }
        let d = try ToyDaemon(socketPath: dir + "/sock", mode: 0o666)
        for bits in [64, 32] {
            let r = try d.client(["basic"], bits: bits, asNobody: true)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            let f = try d.client(["fork"], bits: bits, asNobody: true)
            #expect(f.status == 0, "\(f.stdout)\(f.stderr)")
        }
        d.server.stop()
    }
}
