import I2OABI
import I2ODevice
import ArgumentParser
import Fixtures
import Foundation
import IOPModel
import IoctlEngine
import PreloadTransport

/// Serves `node` on the preload socket at `path` until SIGINT/SIGTERM/SIGHUP (which must be
/// blocked already: `ChildProcess.blockForwardedSignals()` before any thread starts). `hub` must
/// be the node's observer (or forwarded to by it). Prints the export line on stdout, then
/// `ready: PATH` once the socket accepts clients, as CUSE mode prints one per node; logs each
/// failed request and the stop on standard error, as CUSE mode does. `readiness` is announced
/// with the `ready:` line and withdrawn at the stop.
func servePreloadSocket(node: some ControlNode, routes: [String: any ControlNode] = [:], hub: PreloadEventHub, path: String,
                        mode: mode_t, libraryDir: String, devices: [String], readiness: Readiness) throws {
    let server: PreloadServer
    do {
        server = try PreloadServer(node: node, hub: hub, socketPath: path, mode: mode, routes: routes,
                                   failed: { Log.logger.warning("\($0)") })
    } catch {
        PreloadSetup.complain("\(error)")
        throw ExitCode.failure
    }
    server.start()
    print(PreloadLibrary.exportLine(libraryDir: libraryDir, socketPath: server.socketPath, devices: devices))
    print("# serving \(devices.isEmpty ? "/dev/i2o/ctl and /dev/i2octl" : devices.joined(separator: ", ")) on \(server.socketPath); Ctrl-C stops")
    print("ready: \(server.socketPath)")
    fflush(nil)   // all streams: the export line must reach a pipe before we block
    do { try readiness.announce([server.socketPath]) } catch { server.stop(); throw error }
    let signal = ChildProcess.waitForTerminationSignal()
    readiness.withdraw()
    server.stop()
    Log.logger.notice("stopped by signal \(signal); \(server.socketPath) removed")
}
