import I2OABI
import I2ODevice
import ArgumentParser
import Foundation
import IoctlEngine
import PreloadTransport
import Trace

#if canImport(Glibc)
import Glibc
#endif

extension ReplayMode: EnumerableFlag {}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a client from a trace, without the card (through LD_PRELOAD).",
        discussion: """
        Runs COMMAND as `i2osim run` does, but every request on the device is answered from \
        TRACE (written by --trace on run or serve, or recorded from a real card with \
        `run --record-from DEVICE --trace TRACE`): the recorded rounds are replayed against the \
        client's memory (its pointers translated), every byte the client passes is compared with \
        the recording, and the recorded results and output bytes are given back.

        --strict (the default): per open file, the same requests in the same order; an open \
        file is bound at its first request to the earliest recorded open file whose first \
        request matches; the order between open files (threads, processes) is free. \
        --keyed: each request is matched with the earliest unused recorded request of the same \
        ioctl and content (IOP, TID, operation), whatever the order.

        At the first divergence the client is stopped (SIGTERM to the requesting process, and \
        EIO to every request after it) and a report says what was expected, what came, and \
        where they differ. A client that ends before making every recorded request diverges \
        too. Exit status: COMMAND's when it followed the recording, 3 at a divergence.

        Example:
          i2osim run --trace suite.trace -- i2o-suite
          i2osim replay suite.trace -- i2o-suite
        """)

    @Flag(help: "How requests are matched with the recording.")
    var mode: ReplayMode = .strict

    @OptionGroup var logging: LogOptions
    @Option(help: ArgumentHelp("Where the preload libraries are.", valueName: "DIR"))
    var preloadDir: String?

    @Option(name: [.customLong("device"), .customLong("name")], help: ArgumentHelp(
        "A node to serve, \(DevicePath.help) (repeatable); default /dev/i2o/ctl and /dev/i2octl.", valueName: "PATH"),
            transform: DevicePath.absolute)
    var devices: [String] = []

    @Argument(help: ArgumentHelp("The trace to answer from.", valueName: "TRACE"))
    var trace: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "COMMAND"))
    var command: [String] = []

    private var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        guard !argv.isEmpty else { throw ValidationError("missing COMMAND (i2osim replay TRACE -- COMMAND [ARGS...])") }
        try DPTINames.validateSimulated(devices, source: "a replay")
    }

    func run() throws {
        logging.apply()
        ChildProcess.blockForwardedSignals()
        let (replay, outcome) = try PreloadSetup.ownFailures {
            let library = try PreloadSetup.libraryDirectory(preloadDir)
            let replay = try replayNode(trace, mode: mode)
            let hub = PreloadEventHub()
            return (replay, try PreloadSetup.runPrivately(argv, node: replay.node, hub: hub, library: library, devices: devices, verbose: logging.verbose))
        }
        if case .notStarted = outcome { throw ExitCode(outcome.shellStatus) }
        try finishReplay(replay)
        throw ExitCode(outcome.shellStatus)
    }
}

/// The trace at `path` as a node that answers from it (`replay`, `serve --replay`): at the first
/// departure the report goes to standard error and the requesting process gets SIGTERM. A trace
/// that cannot be read ends the command (125).
func replayNode(_ path: String, mode: ReplayMode) throws -> (node: ReplayBackend, records: Int) {
    let records: [TraceRecord]
    do { records = try TraceCoding.read(path: path) } catch {
        PreloadSetup.complain("\(error)")
        throw ExitCode(125)
    }
    let node = ReplayBackend(records: records, mode: mode) { d, caller in
        PreloadServer.logToStandardError(d.description)
        if let caller, caller > 0 { kill(caller, SIGTERM) }
    }
    return (node, records.count)
}

/// After the clients: a departure, or recorded requests no client made, end the command with 3;
/// else one line says the clients followed the recording.
func finishReplay(_ replay: (node: ReplayBackend, records: Int)) throws {
    if replay.node.firstDivergence != nil { throw ExitCode(3) }
    if let d = replay.node.unconsumed() {
        PreloadServer.logToStandardError(d.description)
        throw ExitCode(3)
    }
    PreloadSetup.complain("replay: the client followed the recording (\(replay.records) records, \(replay.node.mode.rawValue))")
}
