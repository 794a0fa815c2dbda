import I2OABI
import I2ODevice
import Foundation
import Glibc
@testable import PreloadTransport
import Synchronization
import Testing

/// One socket, several nodes: an OPEN names the path it opens (`u32 flags, u32 length, path`), and a
/// path with a node of its own (`routes`) opens a file of that node; any other path, or none (an
/// older library), the main node (docs/preload-protocol.md §OPEN).
@Suite struct RoutesTests {
    final class Daemon: Sendable {
        let hub = PreloadEventHub()
        let main: ToyBackend
        let other: ToyBackend
        let server: PreloadServer
        init() throws {
            main = ToyBackend(observer: hub)
            other = ToyBackend(observer: hub)
            server = try PreloadServer(node: main, hub: hub, routes: ["/dev/dpti0": other]) { _ in }
            server.start()
        }
        deinit { server.stop() }
    }

    static func open(_ c: RawClient, path: String?) -> UInt64? {
        guard c.hello()?.type == 100 else { return nil }
        var body: [UInt8] = [2, 0, 0, 0]
        if let path { body.appendLE(UInt32(path.utf8.count)); body += Array(path.utf8) }
        c.send(2, body)
        guard let r = c.receive(), r.type == 101 else { return nil }
        return le64(r.body, 0)
    }

    @Test func anOpenReachesTheNodeOfItsPath() throws {
        let d = try Daemon()
        let a = try RawClient(path: d.server.socketPath)
        #expect(Self.open(a, path: "/dev/dpti0") != nil)
        #expect(d.other.openCount == 1 && d.main.openCount == 0)
        let b = try RawClient(path: d.server.socketPath)
        #expect(Self.open(b, path: "/dev/i2octl") != nil)
        let c = try RawClient(path: d.server.socketPath)
        #expect(Self.open(c, path: nil) != nil)
        #expect(d.other.openCount == 1 && d.main.openCount == 2)
        // The last close releases the file on its own node.
        close(a.fd)
        for _ in 0..<200 where d.other.released.load(ordering: .relaxed) == 0 { usleep(10_000) }
        #expect(d.other.released.load(ordering: .relaxed) == 1 && d.main.released.load(ordering: .relaxed) == 0)
    }

    @Test func theLibrarySendsThePathItOpens() throws {
        let d = try Daemon()
        let a = try Artifacts.get()
        // The preload client's `open` of /dev/dpti0 (configured in I2OSIM_DEVICES) reaches the routed node.
        let r = run([a.client64, "-d", "/dev/dpti0", "loop", "1"],
                    env: ["LD_PRELOAD": a.preload, "I2OSIM_SOCKET": d.server.socketPath, "I2OSIM_DEVICES": "/dev/i2octl:/dev/dpti0"])
        for _ in 0..<200 where d.other.released.load(ordering: .relaxed) == 0 { usleep(10_000) }
        #expect(d.other.released.load(ordering: .relaxed) >= 1, "\(r.stdout) \(r.stderr)")
        #expect(d.main.released.load(ordering: .relaxed) == 0)
    }
}
