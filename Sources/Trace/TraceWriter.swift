import I2OABI
import I2ODevice
import Foundation
import IoctlEngine
import Posix
import Synchronization
import struct SystemPackage.FileDescriptor

/// Writes a trace: one JSON line per request, each with a single write(2) as the request ends,
/// so a crash or a signal loses at most the requests in flight.
public final class TraceWriter: EngineTracer, Sendable {
    private let fd: FileDescriptor
    private let seq = Mutex<Int>(0)
    /// Set in every record (`TraceRecord.transport`).
    private let transport: String?

    /// Creates (truncates) `path`. Throws a readable message when it cannot.
    public init(path: String, transport: String? = nil) throws(TraceError) {
        do {
            fd = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate, .append, .closeOnExec],
                                         permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw TraceError(SystemError(path: path, errno: error).description)
        }
        self.transport = transport
    }

    deinit { fd.closeIgnoringErrors() }

    public func record(_ record: TraceRecord) {
        var rec = record
        rec.transport = transport
        // The sequence number and the write happen together, so lines are in seq order.
        seq.withLock { n in
            n += 1
            rec.seq = n
            var line = TraceCoding.encode(rec)
            line.append(0x0A)
            try? fd.writeAll(line)
        }
    }
}

/// A trace problem, with the message to print.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// JSON of trace records.
public enum TraceCoding {
    public static func encode(_ r: TraceRecord) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(e.encode(r))) ?? Array("{}".utf8)
    }

    /// Reads a trace file: every non-empty line a record. A broken line is an error naming it.
    public static func read(path: String) throws(TraceError) -> [TraceRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TraceError("\(path): cannot read") }
        return try parse(data, name: path)
    }

    public static func parse(_ data: Data, name: String) throws(TraceError) -> [TraceRecord] {
        let d = JSONDecoder()
        var out: [TraceRecord] = []
        var lineNo = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
            do { out.append(try d.decode(TraceRecord.self, from: Data(line))) } catch {
                throw TraceError("\(name):\(lineNo): not a trace record (\(error))")
            }
        }
        return out
    }
}
