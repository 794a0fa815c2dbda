#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Posix
import Testing

/// `ServiceManager.notify` against a datagram socket the test binds, as a service manager binds
/// `$NOTIFY_SOCKET`: the state arrives as one datagram, byte for byte.
@Suite struct ServiceManagerTests {
    /// A bound AF_UNIX datagram socket (a path, or an abstract name when `abstract`) and its name as
    /// `$NOTIFY_SOCKET` spells it.
    private static func bind(abstract: Bool) throws -> (fd: Int32, name: String, path: String?) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let unique = "i2osim-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let path = abstract ? nil : NSTemporaryDirectory() + "/" + unique
        let name = abstract ? "@" + unique : path!
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            if abstract { raw[0] = 0 }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        try #require(rc == 0, "bind \(name): \(String(cString: strerror(errno)))")
        return (fd, name, path)
    }

    private static func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n < 0 ? nil : String(decoding: buffer[..<n], as: UTF8.self)
    }

    @Test(arguments: [false, true])
    func readyArrivesAsOneDatagram(abstract: Bool) throws {
        let (fd, name, path) = try Self.bind(abstract: abstract)
        defer { close(fd); if let path { unlink(path) } }
        #expect(try ServiceManager.notify("READY=1\nSTATUS=serving /dev/i2o/ctl", socket: name))
        #expect(Self.receive(fd) == "READY=1\nSTATUS=serving /dev/i2o/ctl")
        #expect(try ServiceManager.notify("STOPPING=1", socket: name))
        #expect(Self.receive(fd) == "STOPPING=1")
    }

    @Test func noSocketMeansNoServiceManager() throws {
        #expect(try ServiceManager.notify("READY=1", socket: nil) == false)
    }

    @Test func aSocketNobodyListensOnIsAnError() throws {
        let path = NSTemporaryDirectory() + "/i2osim-notify-none-\(getpid())"
        let error = #expect(throws: SystemError.self) { try ServiceManager.notify("READY=1", socket: path) }
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.description.contains(path) == true)
    }

    @Test func aRelativeNameIsRefused() throws {
        let error = #expect(throws: SystemError.self) { try ServiceManager.notify("READY=1", socket: "notify.sock") }
        #expect(error?.description.contains("NOTIFY_SOCKET") == true)
    }
}
