import ArgumentParser
import Fixtures
import IOPModel

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check fixture files and report every problem with its line.",
        discussion: """
        Each FIXTURE is loaded as `show`, `serve` and `run` load it: the machine and its fault rules \
        (`faults:`, checked as `ctl fault-add` checks them). A good file prints
          ok: PATH (N IOPs, M devices[, K fault rules])
        A bad one prints each problem on its own line as
          PATH:LINE: key.path: what is wrong — how to fix
        for example
          t.yaml:12: iops[0].devices[3].class: unknown device class 'BUS_ADAPTR' — did you mean BUS_ADAPTER? …
        All problems of a file are listed (up to 50), not just the first. The exit status is 0 when \
        every file is good and 1 otherwise.

        Examples:
          i2osim validate fixtures/default.yaml
          i2osim validate fixtures/*.yaml
        """)

    @Argument(help: ArgumentHelp("Fixture files to check.", valueName: "FIXTURE"))
    var fixtures: [String]

    func run() throws {
        var failed = 0
        for path in fixtures {
            // The machine, then the fault rules (`faults:`), checked as `serve` and `run` check them.
            var problems: [String] = []
            var machine: MachineDescription?
            do throws(FixtureError) { machine = try FixtureLoader.load(path: path) } catch { problems.append(error.description) }
            var rules = 0
            do throws(FixtureError) { rules = try FixtureFaults.rules(path: path).count } catch {
                // A file that does not parse is reported once, by the machine loader.
                if machine != nil || !error.diagnostics.allSatisfy({ $0.line == 0 }) { problems.append(error.description) }
            }
            guard let m = machine, problems.isEmpty else {
                failed += 1
                print(problems.joined(separator: "\n"))
                continue
            }
            let devices = m.iops.reduce(0) { $0 + $1.devices.count }
            print("ok: \(path) (\(m.iops.count) IOP\(m.iops.count == 1 ? "" : "s"), \(devices) device\(devices == 1 ? "" : "s")"
                  + (rules > 0 ? ", \(rules) fault rule\(rules == 1 ? "" : "s")" : "") + ")")
        }
        if failed > 0 {
            if fixtures.count > 1 { print("\(failed) of \(fixtures.count) fixtures have problems") }
            throw ExitCode.failure
        }
    }
}
