import Faults
import Simulator
import I2OABI
import I2ODevice
import Foundation
import Glibc
import IoctlEngine
@testable import PreloadTransport
import Posix
import Synchronization

/// The preload libraries and the C test client, built once per test run into a temp dir
/// (mode 0755 so the unprivileged test can use them).
struct Artifacts: Sendable {
    let dir: String
    var preload: String { "\(dir)/i2osim-preload/$PLATFORM/libi2osim-preload.so" }
    var client64: String { "\(dir)/preload-client" }
    var client32: String { "\(dir)/preload-client32" }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let shared: Result<Artifacts, HarnessError> = {
        let dir = "/tmp/i2osim-preload-test-\(getpid())"
        atexit {   // nothing left behind
            let d = "/tmp/i2osim-preload-test-\(getpid())"
            _ = Glibc.system("rm -rf '\(d)'")
        }
        mkdir(dir, 0o755)
        chmod(dir, 0o755)
        let src = "\(repo)/Tests/preload/preload-client.c"
        let steps: [[String]] = [
            ["sh", "\(repo)/Sources/CPreload/build.sh", dir],
            ["cc", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", "\(dir)/preload-client", src],
            ["cc", "-m32", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", "\(dir)/preload-client32", src],
        ]
        for step in steps {
            let r = run(step)
            guard r.status == 0 else { return .failure(HarnessError("\(step.joined(separator: " ")): \(r.stderr)")) }
        }
        return .success(Artifacts(dir: dir))
    }()

    static func get() throws -> Artifacts { try shared.get() }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a command to completion; the environment is ours plus `env` (without our LD_PRELOAD).
func run(_ argv: [String], env: [String: String] = [:]) -> RunResult {
    var e = ProcessInfo.processInfo.environment
    e.removeValue(forKey: "LD_PRELOAD")
    for (k, v) in env { e[k] = v }
    do {
        let o = try SpawnedChild(argv, environment: e).wait()
        return RunResult(status: o.shellStatus, stdout: o.standardOutput, stderr: o.standardError)
    } catch {
        return RunResult(status: -1, stdout: "", stderr: "\(error)")
    }
}

/// A server with the toy backend on a fresh socket; log lines collected.
final class LogBox: Sendable {
    let lines = Mutex<[String]>([])
}

final class ToyDaemon: Sendable {
    let hub: PreloadEventHub
    let backend: ToyBackend
    let server: PreloadServer
    private let log = LogBox()

    init(socketPath: String? = nil, mode: mode_t = 0o600, fileOperations: FileOperations = .eventQueue) throws {
        hub = PreloadEventHub()
        backend = ToyBackend(observer: hub, fileOperations: fileOperations)
        let box = log
        server = try PreloadServer(node: backend, hub: hub, socketPath: socketPath, mode: mode) { line in
            box.lines.withLock { $0.append(line) }
        }
        server.start()
    }
    var logged: [String] { log.lines.withLock { $0 } }

    func client(_ args: [String], bits: Int = 64, env: [String: String] = [:], asNobody: Bool = false) throws -> RunResult {
        let a = try Artifacts.get()
        var argv = [bits == 64 ? a.client64 : a.client32] + args
        if asNobody { argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv }
        var e = ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": server.socketPath]
        for (k, v) in env { e[k] = v }
        return run(argv, env: e)
    }

    deinit { server.stop() }
}

/// Waits until `condition` holds (or 5 s pass).
func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A client that speaks the protocol by hand (what a client in another language would do).
final class RawClient {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else { throw HarnessError("connect: errno \(errno)") }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
    func send(_ type: UInt32, _ body: [UInt8] = []) {
        var b: [UInt8] = []
        b.appendLE(UInt32(4 + body.count))
        b.appendLE(type)
        sendRaw(b + body)
    }
    /// The next frame, or nil when the daemon closed the connection.
    func receive() -> (type: UInt32, body: [UInt8])? {
        guard let h = readExact(8) else { return nil }
        let len = Int(le32(h, 0))
        guard let body = readExact(len - 4) else { return nil }
        return (le32(h, 4), body)
    }
    private func readExact(_ n: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: n)
        var done = 0
        while done < n {
            let r = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, n - done, 0) }
            if r <= 0 { return nil }
            done += r
        }
        return buf
    }
    func hello(version: UInt32 = PreloadProtocol.version, abi: UInt32 = 0) -> (type: UInt32, body: [UInt8])? {
        var b: [UInt8] = []
        b.appendLE(version); b.appendLE(abi); b.appendLE(UInt32(getpid()))
        send(1, b)
        return receive()
    }
    func openDevice() -> UInt64? {
        guard hello()?.type == 100 else { return nil }
        send(2, [2, 0, 0, 0])
        guard let r = receive(), r.type == 101 else { return nil }
        return le64(r.body, 0)
    }
}

func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
}
func le64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }
