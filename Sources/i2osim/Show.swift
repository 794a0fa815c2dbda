import I2OABI
import I2ODevice
import ArgumentParser
import Fixtures
import Foundation
import IOPModel
import IoctlEngine

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a machine: its IOPs, status blocks, HRTs, LCTs, parameter groups, software stores and fault rules.",
        discussion: """
        Without FIXTURE the built-in default machine is shown (the same as fixtures/default.yaml).

        For each IOP: the status block (state, product id, inbound frame size …), the HRT (adapter, \
        controlling TID, bus and PCI location), the LCT as a table, the parameter groups of every \
        device decoded by field name, HTML pages, known failures and the software store; then the \
        fixture's fault rules (`faults:`), one line each as `ctl fault-list` prints them.

        In the LCT table TIDs are hex; FLAGS are the letters Linux 2.2/2.4 print at boot: C = \
        configuration dialog requested, U = multi-user, P = peer service enabled, M = management \
        service enabled (so an ordinary device shows PM). USER `none` is an unclaimed device \
        (UserTID 0xFFF). VENDOR, PRODUCT and REV come from group 0xF100 (Device Identity).

        --json prints the same as one JSON object with sorted keys, for scripts: \
        {"machine", "iops": [{"unit", "status", "hrt", "lct", "devices", "software"}], "faults": [{"rule", \
        "match", "action", "count"}]}. Numbers \
        are numbers; byte strings are hex text.

        Examples:
          i2osim show
          i2osim show fixtures/adaptec-3210s.yaml
          i2osim show --json fixtures/intel-u3-1l.yaml
          i2osim show --personality linux-2.6.18     (how that personality differs from documented)
        """)

    @Argument(help: ArgumentHelp("A fixture file; the built-in default machine when omitted.", valueName: "FIXTURE"))
    var fixture: String?

    @Flag(help: "Print machine-readable JSON instead of tables.")
    var json = false

    @Option(help: ArgumentHelp("Print how this personality differs from documented, instead of a machine.",
                               valueName: "P"))
    var personality: PersonalityName?

    func run() throws {
        if let personality {
            print("\(personality.rawValue): \(personality.purpose)")
            let width = (personality.differences + personality.transportLimits).map(\.call.count).max() ?? 0
            for d in personality.differences {
                print("  " + d.call.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + d.behaviour)
            }
            if personality.differences.isEmpty { print("  (the reference: contract.md)") }
            if !personality.transportLimits.isEmpty {
                print("  where a transport or the host cannot do as the driver did (docs/decisions.md, docs/kernels.md §Personalities):")
            }
            for d in personality.transportLimits {
                print("  " + d.call.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + d.behaviour)
            }
            print("  waits: \(personality.timeouts)")
            return
        }
        let machine = try loadMachine(fixture)
        let report = MachineReport(machine, faults: try fixture.map { try FixtureFaults.rulesOrExit(path: $0) } ?? [])
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try enc.encode(report)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text, terminator: "")
        }
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
