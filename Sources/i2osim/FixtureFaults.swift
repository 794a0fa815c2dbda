import ArgumentParser
import Control
import Faults
import Fixtures

/// A fixture's `faults:` rules, checked as `ctl fault-add` checks them (docs/control.md): the
/// rules, or every bad one as `file:line: faults[i].key: what is wrong`. `validate`, `show`,
/// `serve` and `run` all read them here, so they refuse a fixture with the same words.
enum FixtureFaults {
    static func rules(path: String) throws(FixtureError) -> [FaultRule] {
        var rules: [FaultRule] = []
        var problems: [Diagnostic] = []
        for entry in try FixtureFaultRules.entries(path: path) {
            do throws(ControlError) { rules.append(try FaultRules.rule(fromFixture: entry.values)) } catch {
                let line = error.key.flatMap { entry.lines[$0] } ?? entry.line
                var message = error.message
                if let key = error.key, message.hasPrefix("\"\(key)\": ") { message.removeFirst(key.count + 4) }
                problems.append(Diagnostic(file: path, line: line, column: 0,
                                           keyPath: "faults[\(entry.index)]" + (error.key.map { ".\($0)" } ?? ""),
                                           message: message))
            }
        }
        if !problems.isEmpty { throw FixtureError(diagnostics: problems) }
        return rules
    }

    /// The rules, or the problems printed and the command ended (status 1).
    static func rulesOrExit(path: String) throws -> [FaultRule] {
        do throws(FixtureError) { return try rules(path: path) } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
