import ArgumentParser
import Fixtures
import Foundation
import IOPModel
import IoctlEngine
import PreloadTransport

/// `serve --socket PATH`: the preload protocol for long-lived use. `ServeSocket` is a
/// complete command; `servePreloadSocket` is the piece to fold into `serve` (which may
/// serve CUSE from the same engine at the same time).
struct ServeSocket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-socket",
        abstract: "Serve /dev/i2o/ctl on a Unix socket for programs started with LD_PRELOAD (no root, no CUSE).",
        discussion: """
        Listens on PATH (mode 0600 unless --socket-mode; a stale socket left by a dead daemon is \
        replaced) and prints the line that gives a shell the device:
          export LD_PRELOAD='…/i2osim-preload/$PLATFORM/libi2osim-preload.so' I2OSIM_SOCKET='PATH'
        Runs until SIGINT, SIGTERM or SIGHUP, then removes the socket.

        Examples:
          i2osim serve-socket --socket /tmp/i2o.sock
          eval "$(i2osim serve-socket --socket /tmp/i2o.sock | head -1)"   # in another shell
        """)

    @Option(help: ArgumentHelp("The socket to listen on.", valueName: "PATH"))
    var socket: String

    @Option(help: ArgumentHelp("Permissions of the socket, octal (0666 lets every user in).", valueName: "MODE"))
    var socketMode: String = "0600"

    @Option(help: ArgumentHelp("The machine to simulate; the built-in default machine when omitted.", valueName: "FIXTURE"))
    var fixture: String?

    @Option(help: ArgumentHelp("The driver to imitate: \(PersonalityName.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "PERSONALITY"))
    var personality: String = PersonalityName.documented.rawValue

    @Option(name: .customLong("device"), help: ArgumentHelp(
        "A device path to serve (repeatable); default /dev/i2o/ctl and /dev/i2octl.", valueName: "PATH"))
    var devices: [String] = []

    @Option(help: ArgumentHelp("Where the preload libraries are.", valueName: "DIR"))
    var preloadDir: String?

    func validate() throws {
        guard PersonalityName(rawValue: personality) != nil else {
            throw ValidationError("unknown personality '\(personality)'; one of: \(PersonalityName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard mode != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0600 or 0666") }
        for d in devices where !d.hasPrefix("/") { throw ValidationError("--device needs an absolute path, not '\(d)'") }
    }

    private var mode: mode_t? {
        guard let m = UInt32(socketMode, radix: 8), m <= 0o777 else { return nil }
        return mode_t(m)
    }

    func run() throws {
        ChildProcess.blockForwardedSignals()
        let library = try PreloadSetup.libraryDirectory(preloadDir)
        let description = try PreloadSetup.machineDescription(fixture)
        let hub = PreloadEventHub()
        let engine = Engine(machine: Machine(description), personality: PersonalityName(rawValue: personality) ?? .documented,
                            observer: hub)
        try servePreloadSocket(engine: engine, hub: hub, path: socket, mode: mode ?? 0o600, libraryDir: library,
                               devices: devices)
    }
}

/// Serves `engine` on the preload socket at `path` until SIGINT/SIGTERM/SIGHUP (which must be
/// blocked already: `ChildProcess.blockForwardedSignals()` before any thread starts). `hub` must
/// be the engine's observer (or forwarded to by it). Prints the export line on stdout.
func servePreloadSocket(engine: Engine, hub: PreloadEventHub, path: String, mode: mode_t, libraryDir: String,
                        devices: [String]) throws {
    let server: PreloadServer
    do {
        server = try PreloadServer(backend: engine, hub: hub, socketPath: path, mode: mode)
    } catch {
        PreloadSetup.complain("\(error)")
        throw ExitCode.failure
    }
    server.start()
    print(PreloadLibrary.exportLine(libraryDir: libraryDir, socketPath: server.socketPath, devices: devices))
    print("# serving \(devices.isEmpty ? "/dev/i2o/ctl and /dev/i2octl" : devices.joined(separator: ", ")) on \(server.socketPath); Ctrl-C stops")
    fflush(nil)   // all streams: the export line must reach a pipe before we block
    _ = ChildProcess.waitForTerminationSignal()
    server.stop()
}
