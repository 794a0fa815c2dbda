import ArgumentParser
import Dispatch
import Foundation
import Posix
import Synchronization
import Web

struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "The machine and its configuration dialogs in a browser (a client of the control device).",
        discussion: """
        Serves a web front end of the machine behind a control device, reached only through its \
        ioctls (as any client): `/` shows each IOP's status, HRT and LCT as a tree with live events; \
        /iop/N/tid/T a device's parameter groups, the writable ones editable (I2OPARMSET); \
        /iop/N/tid/T/page/P the device's own HTML page (I2OHTML), its forms posted back to the IOP. \
        It prints `web: http://ADDRESS/` once it listens; Ctrl-C stops it.

        Safe by default: it listens on loopback only (another address needs --allow-remote), answers \
        only requests whose Host header is its own address (--allow-host adds a name), and takes \
        every change as a POST carrying the browser session's token. docs/web.md has the details.

        Examples:
          i2osim run -- i2osim web            the built-in machine (preload library)
          i2osim web --device /dev/i2o/ctl    a node `i2osim serve` made, or a card's
          i2osim run -- i2osim web --listen 127.0.0.1:0   any free port
        """)

    @Option(help: ArgumentHelp("Address and port to listen on (HOST:PORT; [IPv6]:PORT; port 0 = any free one).", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("The control device to open.", valueName: "PATH"))
    var device = "/dev/i2o/ctl"

    @Flag(help: "Allow listening on an address other than loopback (anyone who reaches it can change the machine).")
    var allowRemote = false

    @Option(help: ArgumentHelp("Another name the server may be reached by (its Host header), e.g. a proxy's; repeatable.", valueName: "NAME[:PORT]"))
    var allowHost: [String] = []

    /// `--listen` split into host and port.
    static func parseListen(_ s: String) throws(ValidationError) -> (host: String, port: Int) {
        let host: Substring, portText: Substring
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            host = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValidationError("--listen \(s): write [IPv6]:PORT, e.g. [::1]:8080") }
            portText = rest.dropFirst()
        } else if let colon = s.lastIndex(of: ":") {
            host = s[..<colon]; portText = s[s.index(after: colon)...]
        } else {
            throw ValidationError("--listen \(s): write HOST:PORT, e.g. 127.0.0.1:8080")
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--listen \(s): write HOST:PORT with a port 0-65535, e.g. 127.0.0.1:8080")
        }
        return (String(host), port)
    }

    func validate() throws {
        let (host, _) = try Self.parseListen(listen)
        if !allowRemote && !HostPolicy.isLoopback(host) {
            throw ValidationError("--listen \(listen) is not a loopback address: anyone who reaches it could change the machine. "
                                  + "Add --allow-remote to serve it anyway, or listen on 127.0.0.1.")
        }
    }

    func run() throws {
        let (host, port) = try Self.parseListen(listen)
        let client: DeviceClient
        do { client = try DeviceClient(path: device) } catch {
            printError("i2osim web: \(error). Start it as `i2osim run -- i2osim web`, or point --device at a node `i2osim serve` made.")
            throw ExitCode.failure
        }
        let front = WebFrontEnd(device: client, host: host, port: port, allowHosts: allowHost)
        let failure = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let path = device
        Task {
            do {
                try await front.run { address in
                    // Unbuffered: a script waits for this line.
                    FileHandle.standardOutput.write(Data("web: \(address) (device \(path))\n".utf8))
                }
            } catch {
                failure.withLock { $0 = "i2osim web: \(error)" }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.withLock({ $0 }) {
            printError(message)
            throw ExitCode.failure
        }
    }
}
