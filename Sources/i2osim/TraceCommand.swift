import I2OABI
import I2ODevice
import ArgumentParser
import Foundation
import IoctlEngine
import PreloadTransport
import Simulator
import Trace

/// Sets a `TraceWriter` on the simulator's tracing when `path` is given; a file that cannot be created ends the command.
func attachTracer(_ path: String?, to simulator: Simulator, transport: String? = nil) throws {
    guard let path else { return }
    do {
        simulator.tracing.tracer = try TraceWriter(path: path, transport: transport)
    } catch {
        printError("i2osim: --trace \(error)")
        throw ExitCode(125)
    }
}

/// `run --record-from DEVICE [--trace FILE]`: the requests go to the real node, traced.
func passThroughBackend(device: String, trace: String?, observer: any NodeObserver, transport: String? = nil) throws -> PassThroughBackend {
    var tracer: (any EngineTracer)?
    if let trace {
        do { tracer = try TraceWriter(path: trace, transport: transport) } catch {
            printError("i2osim: --trace \(error)")
            throw ExitCode(125)
        }
    }
    do {
        return try PassThroughBackend(device: device, tracer: tracer, observer: observer)
    } catch {
        printError("i2osim: --record-from \(error)")
        throw ExitCode(125)
    }
}

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Look at request traces written by --trace.",
        subcommands: [TraceShowCommand.self])
}

struct TraceShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a trace, one line per request (docs/trace-format.md).",
        discussion: """
        Each line: sequence number, seconds since the first request, pid, open file, the request \
        with its decoded arguments, the frames posted to the IOPs with their reply status word, \
        the fetch rounds and bytes stored, the result and the time taken.

        Examples:
          i2osim run --trace t.jsonl -- i2o-suite
          i2osim trace show t.jsonl
          i2osim trace show --json t.jsonl | jq 'select(.errno != null)'
        """)

    @Flag(help: "Print the records as JSON lines (validated and renumbered as read).")
    var json = false

    @Argument(help: ArgumentHelp("The trace file.", valueName: "FILE"))
    var file: String

    func run() throws {
        let records: [TraceRecord]
        do { records = try TraceCoding.read(path: file) } catch {
            printError("i2osim: \(error)")
            throw ExitCode.failure
        }
        let start = records.first?.time ?? 0
        var out = ""
        for r in records {
            if json { out += String(decoding: TraceCoding.encode(r), as: UTF8.self) + "\n" }
            else { out += TraceShow.line(r, start: start) + "\n" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
