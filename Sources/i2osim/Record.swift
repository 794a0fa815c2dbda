import I2OABI
import I2ODevice
import ArgumentParser
import Foundation
import Posix
import SystemPackage
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// The temporary file being written, removed by SIGINT/SIGTERM/SIGHUP (async-signal-safe: unlink, _exit).
nonisolated(unsafe) private var recordTempPath: UnsafeMutablePointer<CChar>?

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a fixture from a live control device, through its ioctls alone.",
        discussion: """
        Reads every IOP (I2OGETIOPS), its HRT and LCT, every parameter group each TID lists in \
        0xF000 (tables with all their rows: TABLE_GET, then MORE_GET while MoreFlag is set), the \
        stored software modules (the executive's 0x0005 table, then I2OSWUL), and the HTML pages \
        reachable from page 0 of each TID (links href="N" or href="N?query"), and writes a \
        fixture that `serve` replays. A request the device fails is recorded as a `failures:` \
        entry (its ReqStatus learned through I2OPASSTHRU). Progress goes to standard error.

        The fixture is written to a temporary file beside FIXTURE and renamed at the end: an \
        interrupted recording leaves nothing behind. Not readable through the ioctls, hence \
        not recorded: the status block (but for what group 0x0001 shows of it), which fields \
        are writable (but for the standard ones), and failures of requests record does not send.

        Without CUSE, record i2osim itself through the preload library:
          i2osim run --fixture F -- i2osim record -o OUT.yaml
        """)

    @Option(help: ArgumentHelp("The control device.", valueName: "DEVICE"))
    var device = "/dev/i2o/ctl"

    @Option(name: .shortAndLong, help: ArgumentHelp("The fixture to write.", valueName: "FIXTURE"))
    var output: String

    @Option(help: ArgumentHelp("The machine's name in the fixture (default: \"Recorded from DEVICE\").", valueName: "NAME"))
    var name: String?

    @Option(help: ArgumentHelp("Also write every ioctl record made and its result (hex) to FILE, for comparing machines.",
                               valueName: "FILE"))
    var dump: String?

    func run() throws {
        let dev: any ControlDevice
        do { dev = try KernelControlDevice(path: device) } catch {
            printError("i2osim record: \(error)")
            throw ExitCode.failure
        }
        let url = URL(fileURLWithPath: output)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".recording-\(getpid())"
        recordTempPath = strdup(temp)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { sig in
                if let p = recordTempPath { unlink(p) }
                _exit(128 + sig)
            }
        }
        let dumper = dump.map { _ in DumpingControlDevice(dev) }
        let iops: [RecordedIOP]
        do {
            iops = try FixtureRecorder(device: dumper ?? dev, progress: { printError("record: \($0)") }).record()
        } catch {
            printError("i2osim record: \(error)")
            throw ExitCode.failure
        }
        let text = FixtureWriter.yaml(machine: name ?? "Recorded from \(device)", source: device, iops: iops)
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(temp, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                         permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            printError("i2osim record: \(SystemError(path: temp, errno: error))")
            throw ExitCode.failure
        }
        var failure: SystemPackage.Errno?
        do { try fd.writeAll(Array(text.utf8)) } catch { failure = error }
        if fsync(fd.rawValue) != 0 { failure = .last }
        fd.closeIgnoringErrors()
        if failure == nil, rename(temp, output) != 0 { failure = .last }
        if let failure {
            printError("i2osim record: \(SystemError("cannot write", path: output, errno: failure))")
            unlink(temp)
            throw ExitCode.failure
        }
        if let dump, let dumper {
            _ = FileManager.default.createFile(atPath: dump, contents: Data(dumper.lines.map { $0 + "\n" }.joined().utf8))
        }
        printError("record: wrote \(output)")
    }
}
