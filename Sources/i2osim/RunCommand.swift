import I2OABI
import I2ODevice
import ArgumentParser
import Fixtures
import Foundation
import IOPModel
import IoctlEngine
import Posix
import PreloadTransport
import Simulator

/// `i2osim run [--fixture F] [--personality P] -- COMMAND [ARGS...]`: COMMAND sees
/// /dev/i2o/ctl through the preload library; no root, no CUSE.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command that sees /dev/i2o/ctl, without root or CUSE (through LD_PRELOAD).",
        discussion: """
        Starts a private daemon in this process on a fresh socket in a private directory \
        ($TMPDIR or /tmp, mode 0700), runs COMMAND with LD_PRELOAD set to the preload library \
        (64- and 32-bit: the loader picks by $PLATFORM) and I2OSIM_SOCKET set, and exits with \
        COMMAND's status (128+N when it was killed by signal N; 125 when i2osim itself could not \
        start: the fixture, the state directory, the control socket, the library). SIGINT, SIGTERM and SIGHUP sent \
        to i2osim are passed on to COMMAND. The socket and its directory are removed at the end.

        The libraries are looked for in --preload-dir, $I2OSIM_PRELOAD_DIR, next to the i2osim \
        binary, then ../lib/i2osim beside it; build them with Sources/CPreload/build.sh.

        Limits: statically linked programs and programs that make raw syscall()s do not go \
        through the C library, so they do not see the device; use CUSE for them (`i2osim serve`, \
        or `scripts/cuse-vm` where the kernel has no CUSE; docs/preload-protocol.md). A COMMAND \
        that is statically linked (no ELF program interpreter) is run with a warning saying so: \
        it may be a launcher of dynamically linked programs, which do see the device.

        --device /dev/dpti<N> serves the dpt_i2o driver's management node of IOP unit N \
        (docs/dpti.md) over the same machine; given alone, the command sees /dev/dptiN and no \
        /dev/i2o/ctl, as on a machine driven by dpt_i2o.

        Examples:
          i2osim run -- i2o-suite -d /dev/i2o/ctl
          i2osim run --fixture fixtures/two-iops.yaml -- sh -c 'ls -l /dev/i2o/ctl; raidutil -L all'
          i2osim run --device /dev/i2octl -- ./my-tool
          i2osim run --device /dev/dpti0 -- raidutil -L all
        """)

    @OptionGroup var served: ServedNodeOptions

    @Option(name: [.customLong("device"), .customLong("name")], help: ArgumentHelp(
        "A node to serve, \(DevicePath.help) (repeatable); default /dev/i2o/ctl and /dev/i2octl; /dev/dpti<N>: dpt_i2o's node of IOP N.", valueName: "PATH"),
            transform: DevicePath.absolute)
    var devices: [String] = []

    @Option(help: ArgumentHelp("Where the preload libraries are.", valueName: "DIR"))
    var preloadDir: String?

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var logging: LogOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        // COMMAND captures everything after the options, so `run --help` arrives here.
        if let first = command.first, ["--help", "-h", "help"].contains(first) { throw CleanExit.helpRequest(self) }
        guard !argv.isEmpty else { throw ValidationError("missing COMMAND (i2osim run [OPTIONS] -- COMMAND [ARGS...])") }
        if served.recordFrom != nil, served.fixture != nil {
            throw ValidationError("--record-from passes the requests to a real device; it takes no --fixture")
        }
        try DPTINames.validateSimulated(devices, source: served.recordFrom.map { _ in "--record-from" })
    }

    private var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func run() throws {
        logging.apply()
        ChildProcess.blockForwardedSignals()   // before any thread exists
        let outcome = try PreloadSetup.ownFailures {
            let hub = PreloadEventHub()
            if let recordFrom = served.recordFrom {
                let library = try PreloadSetup.libraryDirectory(preloadDir)
                let node = try passThroughBackend(device: recordFrom, trace: served.trace, observer: hub)
                return try PreloadSetup.runPrivately(argv, node: node, hub: hub, library: library, devices: devices, verbose: logging.verbose)
            }
            // The user's input first (the fixture and its fault rules, the state), then the library.
            var description = try loadMachine(served.fixture)
            let stateDirectory = try daemon.openState(&description)
            let simulator = Simulator(machine: Machine(description, media: try daemon.media(for: description)), personality: served.personality,
                                      observer: hub, timeoutScale: timeoutScale)
            try daemon.attach(simulator, state: stateDirectory, fixture: served.fixture)
            let library = try PreloadSetup.libraryDirectory(preloadDir)
            try attachTracer(served.trace, to: simulator)
            // A dpti path (`--device /dev/dpti0`) opens that IOP's dpt_i2o node; with no other
            // --device the command sees no /dev/i2o/ctl, as on a machine driven by dpt_i2o.
            let dpti = try DPTINames.nodes(devices, simulator: simulator)
            return try PreloadSetup.runPrivately(argv, node: simulator.engine, routes: dpti, hub: hub, library: library,
                                                 devices: devices, verbose: logging.verbose)
        }
        throw ExitCode(outcome.shellStatus)
    }
}

/// What `run` and `serve --socket` share.
enum PreloadSetup {
    /// Runs `body`, in which any failure is i2osim's own (the fixture, the state directory, the
    /// control socket, the trace, the library, the socket: reported where it happened): it ends
    /// the command with 125, so a COMMAND's own status is never mistaken for it
    /// (docs/preload-protocol.md, as `env`, `nohup` and `chroot` do).
    static func ownFailures<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ExitCode {
            throw e == .success ? e : ExitCode(125)
        } catch {
            complain("\(error)")
            throw ExitCode(125)
        }
    }

    /// Serves `node` on a private socket while COMMAND runs with the preload library, then
    /// stops: what `run` and `replay` share. A command that could not start is reported here.
    /// `routes`: the nodes served on other paths (the dpti nodes, by path).
    static func runPrivately(_ argv: [String], node: some ControlNode, routes: [String: DPTINode] = [:], hub: PreloadEventHub,
                             library: String, devices: [String], verbose: Bool = false) throws -> ChildProcess.Outcome {
        let server: PreloadServer
        do {
            server = verbose ? try PreloadServer(node: LoggingNode(node), hub: hub, routes: routes.mapValues { LoggingNode($0) })
                             : try PreloadServer(node: node, hub: hub, routes: routes.mapValues { $0 })
        } catch {
            complain("cannot create the daemon socket: \(error)")
            throw ExitCode(125)
        }
        warnIfStaticallyLinked(argv[0])
        server.start()
        let env = PreloadLibrary.clientEnvironment(base: ProcessInfo.processInfo.environment, libraryDir: library,
                                                   socketPath: server.socketPath, devices: devices)
        let outcome = ChildProcess.run(argv, environment: env)
        server.stop()
        if case let .notStarted(e) = outcome { complain(SystemError(path: argv[0], errno: .init(rawValue: e)).description) }
        return outcome
    }

    /// A program without a program interpreter never loads the preload library: say so before it
    /// fails to find the device. A warning, not a refusal: such a program may start dynamically
    /// linked ones (a static shell or launcher), which do see the device.
    static func warnIfStaticallyLinked(_ command: String) {
        guard let file = StaticExecutable.resolve(command, searchPath: ProcessInfo.processInfo.environment["PATH"]),
              StaticExecutable.lacksInterpreter(file) == true else { return }
        complain("warning: \(file) is statically linked (no ELF program interpreter), so the preload library cannot reach it: "
                 + "it will not see the device (its open gives ENOENT); programs it starts that are dynamically linked will.")
        complain("warning: serve it a real node through CUSE instead: `sudo i2osim serve` (a kernel with CUSE), "
                 + "or `scripts/cuse-vm -- i2osim serve …` where the kernel has none")
    }

    static func complain(_ line: String) {
        FileHandle.standardError.write(Data("i2osim: \(line)\n".utf8))
    }

    static func libraryDirectory(_ explicit: String?) throws -> String {
        if explicit == nil, PreloadLibrary.locate(explicit: nil) == nil { buildBesideExecutable() }
        if let dir = PreloadLibrary.locate(explicit: explicit) {
            if !PreloadLibrary.has32Bit(in: dir) {
                Log.logger.notice("note: no 32-bit preload library in \(dir); 32-bit programs will not see the device")
            }
            return dir
        }
        complain("""
            the preload library is not built (looked in \(PreloadLibrary.searchPath(explicit: explicit).joined(separator: ", "))).
            Build it with: Sources/CPreload/build.sh   (or: Sources/CPreload/build.sh DIR, then --preload-dir DIR)
            """)
        throw ExitCode(125)
    }

    /// In a source checkout (the binary in .build/<triple>/<config>/), builds the libraries
    /// next to it on first use, so `swift run i2osim run -- …` works without a setup step.
    static func buildBesideExecutable() {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let dir = exe.deletingLastPathComponent()
        var repo = dir
        for _ in 0..<3 { repo = repo.deletingLastPathComponent() }
        let script = repo.appendingPathComponent("Sources/CPreload/build.sh").path
        guard dir.path.contains("/.build/"), FileManager.default.isExecutableFile(atPath: script) else { return }
        Log.logger.notice("building the preload library into \(dir.path)")   // progress: not with --quiet
        do {
            let built = try SpawnedChild(["/bin/sh", script, dir.path], environment: ProcessInfo.processInfo.environment,
                                         standardOutput: .discard, standardError: .inherit).wait()
            if built.status != .exited(0) { complain("\(script) failed (exit status \(built.shellStatus))") }
        } catch {
            complain("cannot run \(script): \(error)")
        }
    }

}
