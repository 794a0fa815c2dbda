import I2OABI
import I2ODevice
import ArgumentParser
import Control
import Fixtures
import Foundation
import IOPModel
import IoctlEngine
import Simulator
import Persistence
import Posix
import Synchronization
import BlockStorage

/// Options `serve` and `run` share: persistent state and the control channel.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Keep what a card keeps across power cycles (permanent modules, PARMSET values, validation) in DIR.",
        valueName: "DIR"))
    var stateDir: String?

    @Option(help: ArgumentHelp(
        "Serve the control channel (i2osim ctl SOCKET …, docs/control.md) on this Unix socket (mode 0600).",
        valueName: "SOCKET"))
    var control: String?

    @Option(help: ArgumentHelp(
        "Keep the disks' data as sparse image files in DIR (default: DIR/disks of --state-dir; without either, in memory).",
        valueName: "DIR"))
    var diskDir: String?

    @Option(help: ArgumentHelp(
        "How fast firmware clocks (RAID rebuilds, verifies) run against the wall clock; 0 stops them (ctl clock --advance moves them).",
        valueName: "FACTOR"))
    var clockSpeed: Double = 1

    @Flag(help: "With --state-dir: move an existing state file aside (state.json.damaged-<time>) and start anew.")
    var freshState = false

    func validate() throws {
        if freshState && stateDir == nil { throw ValidationError("--fresh-state needs --state-dir DIR") }
        if !(clockSpeed >= 0 && clockSpeed.isFinite) { throw ValidationError("--clock-speed is a factor ≥ 0, e.g. 1 or 60") }
    }

    /// Opens and locks the state directory and applies its state to `description`; nil without --state-dir.
    func openState(_ description: inout MachineDescription) throws -> StateDirectory? {
        guard let stateDir else { return nil }
        do throws(StateError) {
            let dir = try StateDirectory(path: stateDir, baseline: description)
            if freshState, let moved = try dir.moveAside() {
                Log.logger.notice("moved \(dir.statePath) aside to \(moved); starting with a fresh state")
            }
            if let state = try dir.load() {
                for note in state.apply(to: &description) { Log.logger.notice("\(dir.statePath): \(note)") }
            }
            return dir
        } catch {
            printError("i2osim: \(error)")
            throw ExitCode(error.isLocked ? 75 : 1)   // EX_TEMPFAIL when another daemon holds it
        }
    }

    /// Where the disks' bytes live: image files in --disk-dir (or the state directory's disks/),
    /// else memory. Every disk of `description` is opened now, so a bad image stops the start with
    /// its path and the reason.
    func media(for description: MachineDescription) throws -> any MediaProvider {
        guard let dir = diskDir ?? stateDir.map({ $0 + "/disks" }) else { return MemoryMedia() }
        do throws(BlockError) {
            let media = try ImageFileMedia(directory: dir)
            try media.prepare(description)
            return media
        } catch {
            printError("i2osim: \(error)")
            throw ExitCode.failure
        }
    }

    /// Attaches the state directory to the simulator, adds the fixture's static fault rules and
    /// starts the control channel (it lives as long as the process).
    func attach(_ simulator: Simulator, state: StateDirectory?, fixture: String?) throws {
        if let state { simulator.persistence.attach(state, to: simulator.engine, log: { Log.logger.warning("\($0)") }) }
        simulator.faults.setLog { Log.logger.notice("\($0)") }
        startFirmwareClock(simulator)
        if let fixture {
            for rule in try FixtureFaults.rulesOrExit(path: fixture) { simulator.faults.add(rule) }
        }
        guard let control else { return }
        let handler = ControlHandler(simulator: simulator, loadFixture: { path in
            do throws(FixtureError) { return .success(try FixtureLoader.load(path: path)) } catch {
                return .failure(ControlError(error.description))
            }
        })
        do throws(ControlError) {
            let server = try ControlServer(path: control, handler: handler)
            server.start()
            controlServers.withLock { $0.append(server) }
            atexit { for s in controlServers.withLock({ $0 }) { s.stop() } }
        } catch {
            printError("i2osim: --control \(control): \(error)")
            throw ExitCode.failure
        }
    }
}

extension DaemonOptions {
    /// Runs the firmware clocks: every 100 ms of wall time they move on by 100 ms × the speed
    /// (`ctl clock --speed` changes it while the daemon runs).
    func startFirmwareClock(_ simulator: Simulator) {
        simulator.clockSpeed.withLock { $0 = clockSpeed }
        DetachedThread.start(name: "firmware-clock") {
            var owed = 0.0
            while true {
                SystemClock.sleep(microseconds: 100_000)
                let speed = simulator.clockSpeed.withLock { $0 }
                guard speed > 0 else { owed = 0; continue }
                owed += 100 * speed
                let whole = owed.rounded(.down)
                owed -= whole
                if whole >= 1 { simulator.advanceFirmwareClocks(milliseconds: UInt64(whole)) }
            }
        }
    }
}

extension StateError {
    var isLocked: Bool { if case .locked = self { true } else { false } }
}

/// Control servers running in this process (their sockets are removed at exit).
private let controlServers = Mutex<[ControlServer]>([])

/// `i2osim ctl VERB SOCKET [OPTIONS]` (or `i2osim ctl SOCKET VERB [OPTIONS]`): one request to a
/// running daemon's control channel; each verb is a subcommand (CtlVerbs.swift).
struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive a running daemon (serve/run --control SOCKET): hot-plug, events, parameters, faults, stats.",
        discussion: """
        Sends one request to the control channel and prints the answer (human-readable, or the \
        JSON answer with --json). Each command is a subcommand with its own --help, which lists \
        its options and the names they take; numbers may be hex (0x205). The socket comes before \
        or after the command: `i2osim ctl SOCKET COMMAND …` and `i2osim ctl COMMAND SOCKET …` are \
        the same. An option the command does not take, or a name it does not know, is refused \
        before anything is sent. A relative --path (snapshot, restore) is taken in this directory.

        Examples:
          i2osim ctl /tmp/i2o.ctl list
          i2osim ctl /tmp/i2o.ctl add-device --iop 0 --tid 0x210 --class RANDOM_BLOCK_STORAGE
          i2osim ctl /tmp/i2o.ctl remove-device --iop 0 --tid 0x210
          i2osim ctl /tmp/i2o.ctl event --iop 0 --tid 0 --indicator ADAPTER_FAULT --data "01 00 00 00"
          i2osim ctl /tmp/i2o.ctl set-param --iop 0 --tid 0x205 --group 0xF102 --field DeviceName --value "Array 1"
          i2osim ctl /tmp/i2o.ctl fault-add --ioctl I2OPARMGET --action errno --errno EIO --count once
          i2osim ctl /tmp/i2o.ctl stats --json
          i2osim ctl /tmp/i2o.ctl snapshot --path machine.yaml
          i2osim ctl /tmp/i2o.ctl drive --at b0t1d0 --state failed
          i2osim ctl /tmp/i2o.ctl clock --advance 3600
          i2osim ctl fault-add --help
        """,
        subcommands: verbs)

    static let verbs: [any ParsableCommand.Type] = [
        CtlList.self, CtlEvent.self, CtlAddDevice.self, CtlRemoveDevice.self, CtlReplaceEntry.self, CtlSetParam.self,
        CtlFaultAdd.self, CtlFaultRemove.self, CtlFaultList.self, CtlFailIOP.self, CtlRecoverIOP.self, CtlRelease.self,
        CtlStats.self, CtlStatsReset.self, CtlSnapshot.self, CtlRestore.self, CtlDrive.self, CtlInsertDrive.self, CtlClock.self,
        CtlMediaError.self, CtlMediaClear.self, CtlRaw.self,
    ]
    static var verbNames: [String] { verbs.compactMap { $0.configuration.commandName } }

    /// The arguments with `ctl SOCKET VERB` turned into `ctl VERB SOCKET`, the parser's order; a
    /// second word that is no command is refused with the commands listed (exit 64, EX_USAGE).
    static func reorder(_ arguments: [String]) -> [String] {
        guard arguments.count >= 2, arguments[0] == "ctl" else { return arguments }
        let first = arguments[1]
        let helpWords = ["help", "-h", "--help"]
        guard !verbNames.contains(first), !first.hasPrefix("-"), !helpWords.contains(first) else { return arguments }
        // The command is the first word after the socket (flags such as --json may come before it).
        guard let at = arguments.indices.dropFirst(2).first(where: { !arguments[$0].hasPrefix("-") }) else {
            if arguments.dropFirst(2).contains(where: helpWords.contains) { return arguments }
            printError("i2osim ctl: which command? \(first) is taken for the socket; one of: \(verbNames.joined(separator: ", ")) (i2osim ctl --help)")
            Foundation.exit(64)
        }
        let word = arguments[at]
        if verbNames.contains(word) {
            var rest = arguments
            rest.remove(at: at)
            return ["ctl", word] + rest.dropFirst(1)
        }
        printError("i2osim ctl: \(ControlValues.unknownCommand(word, among: verbNames)) (i2osim ctl --help)")
        Foundation.exit(64)
    }
}

/// `$I2OSIM_TIMEOUT_SCALE`, read once for the whole process: it scales the personality's waits and
/// the hang timeout of fault rules alike.
let timeoutScale = Timeouts.environmentScale(ProcessInfo.processInfo.environment)
