import ArgumentParser
import Foundation
import I2OABI
import I2ODevice
import I2OFormats
import Logging
import Synchronization

// The daemon's log lines (`serve`, `run`, `replay`) go through swift-log, one line each on
// standard error as `i2osim: TEXT`, at a level:
//   error    what ends the daemon or fails one of its parts (shown even with --quiet)
//   warning  a failed request, a state file that could not be written
//   notice   a request that waits for a reply that does not come and how the wait ended, a
//            state note, the stop (the default level shows notice and above: what was shown
//            before the levels existed)
//   info     one line per request (--verbose)
// `ready:` lines and the export line stay on standard output: scripts and tests read them.

/// `--verbose` / `--quiet`, on the commands that run a daemon.
struct LogOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log every request too (one line each, its result), on standard error.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log errors only: no failed-request, wait or stop lines.")
    var quiet = false

    func validate() throws {
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
    }

    var level: Logger.Level { verbose ? .info : quiet ? .error : .notice }

    /// Sets the level of every log line of this process.
    func apply() { Log.level.withLock { $0 = level } }
}

enum Log {
    static let level = Mutex<Logger.Level>(.notice)

    /// The logger at the level the options set.
    static var logger: Logger {
        var logger = Logger(label: "i2osim") { StandardErrorLogHandler(label: $0) }
        logger.logLevel = level.withLock { $0 }
        return logger
    }
}

/// Writes `i2osim: MESSAGE` on standard error, one write per line (lines of several threads do
/// not interleave).
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        printError("i2osim: \(event.message)")
    }
}

/// A node whose every request is logged at `info` (`--verbose`): the ioctl, the open file, the
/// caller and the result.
struct LoggingNode<Node: ControlNode>: ControlNode {
    let node: Node
    init(_ node: Node) { self.node = node }

    func open(by caller: Int32?) -> OpenFileID {
        let file = node.open(by: caller)
        Log.logger.info("\(file) opened\(by(caller))")
        return file
    }
    func release(_ file: OpenFileID, by caller: Int32?) {
        node.release(file, by: caller)
        Log.logger.info("\(file) released\(by(caller))")
    }
    func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let result = try node.ioctl(request, memory: &memory)
        let name = IoctlCommand.decode(request.command, abi: request.abi)?.name ?? hex(request.command, width: 8)
        Log.logger.info("ioctl \(name) on \(request.file)\(by(request.caller)): \(result)")
        return result
    }
    func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult {
        let result = node.read(file, capacity: capacity, by: caller)
        let text = switch result {
        case let .data(bytes): "\(bytes.count) bytes"
        case .wouldBlock: "would block"
        case let .error(e): "\(e)"
        }
        Log.logger.info("read on \(file)\(by(caller)): \(text)")
        return result
    }
    func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult { node.write(file, count: count, by: caller) }
    func isReadable(_ file: OpenFileID) -> Bool { node.isReadable(file) }
    var fileOperations: FileOperations { node.fileOperations }
    func mayAnswerFirstRound(_ file: OpenFileID) -> Bool { node.mayAnswerFirstRound(file) }
    func firstRoundAnswered(_ request: IoctlRequest) -> Bool { node.firstRoundAnswered(request) }

    private func by(_ caller: Int32?) -> String { caller.map { " by pid \($0)" } ?? "" }
}
