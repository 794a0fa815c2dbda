import ArgumentParser
import Foundation
import IOPModel
import IoctlEngine

/// Options `serve` and `run` share: persistent state and the control channel.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Keep what a card keeps across power cycles (permanent modules, PARMSET values, validation) in DIR.",
        valueName: "DIR"))
    var stateDir: String?

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

    /// Attaches the state directory to the engine.
    func attach(_ engine: Engine, state: StateDirectory?) throws {
        if let state { engine.attachState(state, log: { printError($0) }) }
    }
}

extension StateError {
    var isLocked: Bool { if case .locked = self { true } else { false } }
}
