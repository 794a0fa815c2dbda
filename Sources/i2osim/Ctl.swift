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
import Synchronization

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

    @Flag(help: "With --state-dir: move an existing state file aside (state.json.damaged-<time>) and start anew.")
    var freshState = false

    func validate() throws {
        if freshState && stateDir == nil { throw ValidationError("--fresh-state needs --state-dir DIR") }
    }

    /// Opens and locks the state directory and applies its state to `description`; nil without --state-dir.
    func openState(_ description: inout MachineDescription) throws -> StateDirectory? {
        guard let stateDir else { return nil }
        do throws(StateError) {
            let dir = try StateDirectory(path: stateDir, baseline: description)
            if freshState, let moved = try dir.moveAside() {
                printError("i2osim: moved \(dir.statePath) aside to \(moved); starting with a fresh state")
            }
            if let state = try dir.load() {
                for note in state.apply(to: &description) { printError("i2osim: \(dir.statePath): \(note)") }
            }
            return dir
        } catch {
            printError("i2osim: \(error)")
            throw ExitCode(error.isLocked ? 75 : 1)   // EX_TEMPFAIL when another daemon holds it
        }
    }

    /// Attaches the state directory to the simulator, adds the fixture's static fault rules and
    /// starts the control channel (it lives as long as the process).
    func attach(_ simulator: Simulator, state: StateDirectory?, fixture: String?) throws {
        if let state { simulator.persistence.attach(state, to: simulator.engine, log: { printError($0) }) }
        simulator.faults.setLog { printError("i2osim: \($0)") }
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

extension StateError {
    var isLocked: Bool { if case .locked = self { true } else { false } }
}

/// Control servers running in this process (their sockets are removed at exit).
private let controlServers = Mutex<[ControlServer]>([])

/// `i2osim ctl SOCKET COMMAND [--KEY VALUE …]`: one request to a running daemon's control channel.
struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive a running daemon (serve/run --control SOCKET): hot-plug, events, parameters, faults, stats.",
        discussion: """
        Sends one request to the control channel and prints the answer (human-readable, or the \
        JSON answer with --json). Arguments after COMMAND are --KEY VALUE pairs of the request \
        (docs/control.md lists every command and key); numbers may be hex (0x205). A key the \
        command does not take, or a name it does not know, is refused with the valid ones listed. \
        A relative --path (snapshot, restore) is taken in this directory.

        Commands: \(ControlHandler.commands.joined(separator: ", ")), raw (ARG is a whole JSON request).

        Examples:
          i2osim ctl /tmp/i2o.ctl list
          i2osim ctl /tmp/i2o.ctl add-device --iop 0 --tid 0x210 --class RANDOM_BLOCK_STORAGE
          i2osim ctl /tmp/i2o.ctl remove-device --iop 0 --tid 0x210
          i2osim ctl /tmp/i2o.ctl event --iop 0 --tid 0 --indicator ADAPTER_FAULT --data "01 00 00 00"
          i2osim ctl /tmp/i2o.ctl set-param --iop 0 --tid 0x205 --group 0xF102 --field DeviceName --value "Array 1"
          i2osim ctl /tmp/i2o.ctl fault-add --ioctl I2OPARMGET --action errno --errno EIO --count once
          i2osim ctl /tmp/i2o.ctl fault-add --iop 0 --function UtilParamsGet --group 0xF100 --action block-status --block-status BAD_KEY_ABORT
          i2osim ctl /tmp/i2o.ctl stats --json
          i2osim ctl /tmp/i2o.ctl snapshot --path machine.yaml
        """)

    @Argument(help: ArgumentHelp("The daemon's control socket (--control SOCKET).", valueName: "SOCKET"))
    var socket: String

    @Argument(help: ArgumentHelp("The command.", valueName: "COMMAND"))
    var command: String

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("--KEY VALUE pairs.", valueName: "ARGS"))
    var arguments: [String] = []

    @Flag(help: "Print the JSON answer.")
    var json = false

    func run() throws {
        var args = arguments
        var asJSON = json
        if let i = args.firstIndex(of: "--json") { args.remove(at: i); asJSON = true }
        let request: String
        if command == "raw" {
            guard args.count == 1 else { throw ValidationError("raw takes one argument: the JSON request") }
            guard (try? JSONSerialization.jsonObject(with: Data(args[0].utf8))) is [String: Any] else {
                printError("i2osim ctl: raw takes one JSON object, such as '{\"command\": \"list\"}'; this is not one: \(args[0])")
                throw ExitCode(64)   // EX_USAGE, as for the other usage errors
            }
            request = args[0]
        } else {
            var object: [String: Any] = ["command": command]
            var i = 0
            while i < args.count {
                let a = args[i]
                guard a.hasPrefix("--"), a.count > 2 else { throw ValidationError("expected --KEY VALUE, not '\(a)'") }
                let key = String(a.dropFirst(2))
                if let eq = key.firstIndex(of: "=") {
                    object[String(key[..<eq])] = String(key[key.index(after: eq)...]); i += 1; continue
                }
                guard i + 1 < args.count else { throw ValidationError("--\(key) needs a value") }
                object[key] = args[i + 1]
                i += 2
            }
            // Paths are the caller's: the daemon runs in a directory of its own.
            if ["snapshot", "restore"].contains(command), let path = object["path"] as? String, !path.hasPrefix("/") {
                object["path"] = URL(fileURLWithPath: path).standardizedFileURL.path
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            request = String(decoding: data, as: UTF8.self)
        }
        let answer: String
        do throws(ControlError) { answer = try ControlClient.send(request, to: socket) } catch {
            printError("i2osim ctl: \(error)")
            throw ExitCode(69)
        }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: Any]
        let ok = parsed?["ok"] as? Bool ?? false
        if asJSON {
            print(answer)
        } else if ok {
            print(parsed?["text"] as? String ?? answer)
        } else {
            printError("i2osim ctl: \(parsed?["error"] as? String ?? answer)")
        }
        if !ok { throw ExitCode.failure }
    }
}

/// `$I2OSIM_TIMEOUT_SCALE`, read once for the whole process: it scales the personality's waits and
/// the hang timeout of fault rules alike.
let timeoutScale = Timeouts.environmentScale(ProcessInfo.processInfo.environment)
