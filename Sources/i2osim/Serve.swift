import I2OABI
import I2ODevice
import ArgumentParser
import CUSETransport
import Fixtures
import Foundation
import IOPModel
import IoctlEngine
import PreloadTransport
import Simulator
import Trace
import Synchronization

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a machine as /dev/i2o/ctl: a real device through CUSE, or a socket for LD_PRELOAD.",
        discussion: """
        Creates the device node(s) through the kernel's CUSE driver (libfuse3) and answers every \
        open, ioctl, read, poll and write from the simulated IOPs until SIGINT or SIGTERM, which \
        remove the node. Needs root and a kernel with CUSE (`modprobe cuse`). Where the kernel \
        has none, `scripts/cuse-vm -- i2osim serve ...` runs it in a throwaway VM.

        Prints `ready: /dev/NAME` on standard output once per node when it exists, so scripts can \
        wait for that line. Logs one line per failed request on standard error. Once every node \
        exists, --ready-file PATH is written (the paths served, one a line; removed at the stop) \
        and a service manager that started it with `Type=notify` is sent READY=1 ($NOTIFY_SOCKET), \
        so no client races the node; with --socket, once the socket accepts clients.

        With --socket PATH no node is created: the same machine is served on a Unix socket to \
        programs started with the preload library (no root, no CUSE; statically linked programs \
        and raw syscall() users need CUSE). The first line printed is the one a shell needs:
          export LD_PRELOAD='…/i2osim-preload/$PLATFORM/libi2osim-preload.so' I2OSIM_SOCKET='PATH'
        and `ready: PATH` follows once the socket accepts clients. Failed requests and the stop are \
        logged as in CUSE mode. For a single command, `i2osim run -- COMMAND` does all of this privately.

        A name dpti<N> (--name dpti0) serves the dpt_i2o driver's management node of IOP unit N \
        instead: its own ioctls (DPT_SIGNATURE, I2OUSRCMD, DPT_CTRLINFO, …; docs/dpti.md) over the \
        same machine; --name i2octl --name dpti0 serves both, through CUSE and --socket alike.

        A `hang` fault rule logs a line when it holds a request and when it lets go.

        Instead of a simulated machine, the node can answer from a trace (--replay TRACE, as \
        `i2osim replay` does for one command: every request is matched with the recording, the \
        recorded answers are given back, and a client that departs from it is stopped with a \
        report; --strict or --keyed say how requests are matched), or pass every request to a real \
        node and record it (--record-from DEVICE with --trace FILE), through CUSE or --socket alike: \
        statically linked and Go clients, which the preload library cannot reach, are recorded and \
        replayed through CUSE.

        Examples:
          i2osim serve                                   the built-in machine on /dev/i2o/ctl
          i2osim serve --fixture fixtures/intel-u3-1l.yaml --device /dev/i2o/ctl --device i2octl
          i2osim serve --mode 0660 --group disk
          i2osim serve --socket /tmp/i2o.sock            then, in another shell, the export line
          i2osim serve --name dpti0                      dpt_i2o's node of IOP 0, as a dpt_i2o machine has it
          i2osim serve --ready-file /run/i2osim.ready &   a script waits for the file, then runs clients
          i2osim serve --device i2o/rec --record-from /dev/i2o/ctl --trace card.trace
          i2osim serve --replay card.trace --keyed       the recorded card on /dev/i2o/ctl
        """)

    @OptionGroup var served: ServedNodeOptions

    @Option(name: [.customLong("device"), .customLong("name")], help: ArgumentHelp(
        "A node to create, \(DevicePath.help); repeat for several (default /dev/i2o/ctl; i2octl is udev's name; dpti<N>: dpt_i2o's node of IOP N).",
        valueName: "PATH"), transform: DevicePath.belowDev)
    var names: [String] = []

    @Option(help: ArgumentHelp("Permissions for the node(s), octal (the kernel creates them 0600).", valueName: "MODE"))
    var mode: String?

    @Option(help: ArgumentHelp("Group owning the node(s).", valueName: "GROUP"))
    var group: String?

    @Option(help: ArgumentHelp("Serve the preload protocol on this Unix socket instead of a CUSE node.", valueName: "PATH"))
    var socket: String?

    @Option(help: ArgumentHelp("With --socket: its permissions, octal (0666 lets every user in).", valueName: "MODE"))
    var socketMode: String = "0600"

    @Option(help: ArgumentHelp("With --socket: where the preload libraries are (found or built beside i2osim by default).",
                               valueName: "DIR"))
    var preloadDir: String?

    @Option(help: ArgumentHelp("Write FILE once the node(s) or the socket accept clients (the paths, one a line); removed at the stop.",
                               valueName: "FILE"))
    var readyFile: String?

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var logging: LogOptions
    @Option(help: ArgumentHelp("Drop root to this user (and its group) once the node(s) exist (with --socket: before the socket is made).",
                               valueName: "USER"))
    var user: String?
    @Option(help: ArgumentHelp("Answer every request from this trace instead of a simulated machine (see `i2osim replay`).",
                               valueName: "TRACE"))
    var replay: String?

    @Flag(help: "With --replay: how requests are matched with the recording.")
    var replayMode: ReplayMode?

    mutating func validate() throws {
        if let user, Privileges.lookup(user) == nil {
            throw ValidationError("--user \(user): no such user")
        }
        guard let m = UInt32(socketMode, radix: 8), m <= 0o777 else {
            throw ValidationError("--socket-mode \(socketMode) is not an octal mode such as 0600 or 0666")
        }
        if let mode, UInt16(mode, radix: 8) == nil || mode.count > 4 {
            throw ValidationError("--mode \(mode) is not an octal mode such as 0660")
        }
        if let group, getgrnam(group) == nil {
            throw ValidationError("--group \(group): no such group")
        }
        try Readiness.validate(readyFile)
        try DPTINames.validateSimulated(names, source: replay.map { _ in "--replay" } ?? served.recordFrom.map { _ in "--record-from" })
        if replayMode != nil && replay == nil { throw ValidationError("--strict and --keyed go with --replay TRACE") }
        if replay != nil && served.recordFrom != nil { throw ValidationError("--replay and --record-from exclude each other: answer from a trace, or from a real node") }
        if let source = replay.map({ _ in "--replay" }) ?? served.recordFrom.map({ _ in "--record-from" }) {
            let machineOptions = [("--fixture", served.fixture != nil), ("--state-dir", daemon.stateDir != nil), ("--control", daemon.control != nil)]
            if let (option, _) = machineOptions.first(where: { $0.1 }) {
                throw ValidationError("\(option) configures a simulated machine; \(source) serves no simulated machine")
            }
            if replay != nil, served.trace != nil { throw ValidationError("--trace records requests; with --replay there is nothing new to record") }
        }
    }

    func run() throws {
        logging.apply()
        if let socket {
            ChildProcess.blockForwardedSignals()
            let library = try PreloadSetup.libraryDirectory(preloadDir)
            if let user { try dropRoot(to: user) }   // the library is found (or built); the socket is made as U
            let hub = PreloadEventHub()
            try withNode(observer: hub, transport: nil, SocketServing(
                hub: hub, path: socket, mode: mode_t(UInt32(socketMode, radix: 8) ?? 0o600), libraryDir: library,
                devices: names.map { "/dev/" + $0 }, readiness: Readiness(file: readyFile)))
            return
        }
        let names = self.names.isEmpty ? ["i2o/ctl"] : self.names
        if let problem = CUSEDevice.preflight(names: names) {
            printError("i2osim: cannot serve /dev/\(names[0]): \(problem)")
            throw ExitCode(69)   // EX_UNAVAILABLE
        }
        // Signals are taken by sigwait below; block them before any thread exists so every
        // libfuse thread inherits the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let wakeups = CUSEWakeups()
        try withNode(observer: wakeups, transport: "cuse", CUSEServing(
            names: names, wakeups: wakeups, mode: mode.flatMap { mode_t($0, radix: 8) },
            gid: group.flatMap { getgrnam($0)?.pointee.gr_gid }, user: user, signals: signals, readiness: Readiness(file: readyFile)))
    }

    /// The node the options ask for — a trace's replay, a pass-through to a real node, or the
    /// simulated machine with its state directory, fault rules, control channel and trace — given
    /// to `serving`, which serves it until a signal. `observer` hears of queued events.
    private func withNode(observer: any NodeObserver, transport: String?, _ serving: some NodeServing) throws {
        if let replay {
            let replay = try replayNode(replay, mode: replayMode ?? .strict)
            try serving.serve(replay.node, verbose: logging.verbose)
            try finishReplay(replay)
        } else if let recordFrom = served.recordFrom {
            try serving.serve(try passThroughBackend(device: recordFrom, trace: served.trace, observer: observer, transport: transport),
                              verbose: logging.verbose)
        } else {
            var description = try loadMachine(served.fixture)
            let stateDirectory = try daemon.openState(&description)
            let simulator = Simulator(machine: Machine(description, media: try daemon.media(for: description)), personality: served.personality, observer: observer,
                                      timeoutScale: timeoutScale)
            try daemon.attach(simulator, state: stateDirectory, fixture: served.fixture)
            try attachTracer(served.trace, to: simulator, transport: transport)
            let dpti = try DPTINames.nodes(names, simulator: simulator)
            try serving.serve(simulator.engine, dpti: dpti, verbose: logging.verbose)
        }
    }
}

/// Serves a node until SIGINT/SIGTERM/SIGHUP: `node` on every name but the dpt_i2o ones (`dpti0`), each
/// of which is served its own node in `dpti`.
protocol NodeServing {
    func serve<Node: ControlNode>(_ node: Node, dpti: [String: any ControlNode]) throws
}

extension NodeServing {
    /// Serves `node` (and the `dpti` nodes), each request logged with --verbose (the nodes are wrapped only then).
    func serve<Node: ControlNode>(_ node: Node, dpti: [String: DPTINode] = [:], verbose: Bool) throws {
        if verbose {
            try serve(LoggingNode(node), dpti: dpti.mapValues { LoggingNode($0) })
        } else {
            try serve(node, dpti: dpti.mapValues { $0 })
        }
    }
}

/// `serve --socket PATH`.
struct SocketServing: NodeServing {
    let hub: PreloadEventHub
    let path: String
    let mode: mode_t
    let libraryDir: String
    let devices: [String]
    let readiness: Readiness

    func serve<Node: ControlNode>(_ node: Node, dpti: [String: any ControlNode]) throws {
        // An OPEN names the path it opens: each dpti name's path reaches its node.
        let routes = Dictionary(uniqueKeysWithValues: dpti.map { ("/dev/" + $0.key, $0.value) })
        try servePreloadSocket(node: node, routes: routes, hub: hub, path: path, mode: mode, libraryDir: libraryDir,
                               devices: devices, readiness: readiness)
    }
}

/// `serve` through CUSE: a node per name, `ready: PATH` printed as each appears; the readiness
/// announced once all exist.
struct CUSEServing: NodeServing {
    let names: [String]
    let wakeups: CUSEWakeups
    let mode: mode_t?
    let gid: gid_t?
    let user: String?
    /// SIGINT, SIGTERM, SIGHUP: blocked in every thread, taken by `sigwait`.
    let signals: sigset_t
    let readiness: Readiness

    func serve<Node: ControlNode>(_ node: Node, dpti: [String: any ControlNode]) throws {
        let ready = DispatchSemaphore(value: 0)
        let (mode, gid) = (self.mode, self.gid)
        for name in names {
            let bound: BoundNode<RetryRoundMemory> = dpti[name].map { BoundNode($0) } ?? BoundNode(node)
            let device = CUSEDevice(
                name: name, node: bound,
                onReady: { path in
                    if let mode { chmod(path, mode) }
                    if let gid { chown(path, uid_t.max, gid) }
                    FileHandle.standardOutput.write(Data("ready: \(path)\n".utf8))
                    ready.signal()
                },
                log: { line in Log.logger.warning("\(line)") })
            wakeups.attach(device)
            device.start { error in
                if let error {
                    printError("i2osim: \(device.path): \(error)")
                    Foundation.exit(1)
                }
            }
            devices.withLock { $0.append(device) }
        }
        for _ in names where ready.wait(timeout: .now() + 120) == .timedOut {
            printError("i2osim: the node(s) did not appear within 120 s")
            Foundation.exit(1)
        }
        // Every node exists (its session holds /dev/cuse open): clients may come, root is no longer needed.
        try readiness.announce(names.map { "/dev/" + $0 })
        if let user { try dropRoot(to: user) }
        var signals = self.signals
        var caught: Int32 = 0
        sigwait(&signals, &caught)
        readiness.withdraw()
        for d in devices.withLock({ $0 }) { d.stop() }
        Log.logger.notice("stopped by signal \(caught); nodes removed")
    }
}

/// `--user`: drops root or ends the command.
private func dropRoot(to user: String) throws {
    do throws(Privileges.Failure) {
        try Privileges.drop(to: user)
        Log.logger.notice("running as user \(user) (uid \(getuid()), gid \(getgid()))")
    } catch {
        printError("i2osim: \(error)")
        throw ExitCode.failure
    }
}

/// The devices being served, for the signal path.
private let devices = Mutex<[CUSEDevice]>([])

/// The machine in `fixture`, or the built-in default; a broken fixture is reported and ends the command.
func loadMachine(_ fixture: String?) throws -> MachineDescription {
    do throws(FixtureError) {
        if let fixture { return try FixtureLoader.load(path: fixture) }
        return try FixtureLoader.loadDefault()
    } catch {
        printError(error.description)
        throw ExitCode.failure
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
