import ArgumentParser
import Foundation
import Posix

/// How `serve` tells a supervisor that its node(s) or its socket accept clients, so that no client
/// races them: `--ready-file PATH` (written, whole, once they do — a script waits for the file —
/// and removed at the stop) and, under a service manager (`Type=notify`, `$NOTIFY_SOCKET`), the
/// READY=1 notification (STOPPING=1 at the stop). The `ready: PATH` lines on standard output come
/// at the same moment.
struct Readiness {
    /// `--ready-file`.
    let file: String?

    /// Announces that `paths` (the nodes, or the socket) accept clients. A ready file that cannot
    /// be written ends the command: a supervisor waiting for it would wait for ever.
    func announce(_ paths: [String]) throws {
        if let file {
            do {
                // Written beside the file and renamed into place: a reader never sees half of it.
                try Data(paths.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                printError("i2osim: cannot write the ready file \(file): \((error as NSError).localizedDescription)")
                throw ExitCode.failure
            }
        }
        do {
            try ServiceManager.notify("READY=1\nSTATUS=serving \(paths.joined(separator: ", "))")
        } catch {
            printError("i2osim: \(error)")
            throw ExitCode.failure
        }
    }

    /// The stop: the ready file goes first, so nothing takes the node(s) for served any more.
    func withdraw() {
        _ = try? ServiceManager.notify("STOPPING=1")
        if let file, unlink(file) != 0, errno != ENOENT {
            printError("i2osim: cannot remove the ready file \(file): \(String(cString: strerror(errno)))")
        }
    }

    /// `--ready-file`'s directory must exist (checked before anything is served).
    static func validate(_ file: String?) throws {
        guard let file else { return }
        let directory = (file as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard !file.hasSuffix("/"), FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw ValidationError("--ready-file \(file): its directory does not exist; give a file in an existing directory, such as /run/i2osim.ready")
        }
    }
}
