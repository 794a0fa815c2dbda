import ArgumentParser
import IoctlEngine

// Options that mean the same on every command that takes them.
//
// A node is named one way everywhere: `--device PATH`, with `--name` as its alias. PATH is the
// node's path (/dev/i2o/ctl) or its name below /dev (i2o/ctl); both spellings work on `serve`,
// `run` and `replay`. `serve` makes CUSE nodes, which live below /dev; `run` and `replay` serve
// the path to their client through the preload library, where any absolute path will do.

enum DevicePath {
    static let help = "given as its path (/dev/i2o/ctl) or its name below /dev (i2o/ctl); --name is an alias of --device"

    /// The node's name below /dev, for CUSE (`serve`): "/dev/i2o/ctl" and "i2o/ctl" give "i2o/ctl".
    static func belowDev(_ text: String) throws -> String {
        let name = text.hasPrefix("/dev/") ? String(text.dropFirst(5)) : text
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw ValidationError("'\(text)' is not a node below /dev: give /dev/i2o/ctl or i2o/ctl")
        }
        return name
    }

    /// The node's absolute path, for the preload library (`run`, `replay`): "i2o/ctl" gives "/dev/i2o/ctl".
    static func absolute(_ text: String) throws -> String {
        if text.hasPrefix("/") { return text }
        return "/dev/" + (try belowDev(text))
    }
}

// `--personality` takes one of the personalities' names; ArgumentParser lists them in --help and
// completes them (the enum is CaseIterable).
extension PersonalityName: ExpressibleByArgument {}

/// Options `serve` and `run` share: what answers the requests (the machine of a fixture, with a
/// personality, or a real node passed through) and the trace they are written to.
struct ServedNodeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The machine to simulate (YAML); the built-in default machine when omitted.", valueName: "FIXTURE"))
    var fixture: String?

    @Option(help: "Which host driver to imitate.")
    var personality: PersonalityName = .documented

    @Option(help: ArgumentHelp("Write a trace of every request to FILE (JSON lines; `i2osim trace show FILE`).",
                               valueName: "FILE"))
    var trace: String?

    @Option(help: ArgumentHelp(
        "Pass every request through to this real device node instead of simulating a machine; with --trace, record the clients against a real card (64-bit clients).",
        valueName: "DEVICE"))
    var recordFrom: String?
}
