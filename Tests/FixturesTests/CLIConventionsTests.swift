import Foundation
import Testing

/// The CLI's conventions (issue #24): ctl verbs as subcommands, one meaning per option, log levels.
extension CLITests {
    /// A state directory whose state.json `--fresh-state` moves aside: a `notice` line in every run.
    private func stateDirectory() throws -> URL {
        let dir = try scratchDirectory()
        _ = try writeFile("{}", named: "state.json", in: dir)
        return dir
    }

    private func runWithLevel(_ level: [String]) throws -> (status: Int32, out: String) {
        let dir = try stateDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        return try run(["run"] + level + ["--state-dir", dir.path, "--fresh-state", "--", "sh", "-c", ": < /dev/i2o/ctl"])
    }

    @Test func defaultLevelShowsNoticesNotRequests() throws {
        let (status, out) = try runWithLevel([])
        #expect(status == 0, "\(out)")
        #expect(out.contains("i2osim: moved ") && out.contains("starting with a fresh state"), "\(out)")
        #expect(!out.contains("opened by pid"), "\(out)")
    }

    @Test func quietShowsErrorsOnly() throws {
        let (status, out) = try runWithLevel(["--quiet"])
        #expect(status == 0, "\(out)")
        #expect(!out.contains("i2osim:"), "\(out)")
        // Errors still show.
        let (bad, badOut) = try run(["run", "--quiet", "--fixture", "/nonexistent.yaml", "--", "true"])
        #expect(bad != 0)
        #expect(badOut.contains("/nonexistent.yaml"), "\(badOut)")
    }

    @Test func verboseAddsALinePerRequest() throws {
        let (status, out) = try runWithLevel(["-v"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("starting with a fresh state"), "\(out)")
        #expect(out.contains(#/i2osim: file#\d+ opened by pid \d+/#), "\(out)")
        #expect(out.contains(#/i2osim: file#\d+ released/#), "\(out)")
    }

    @Test func verboseAndQuietExcludeEachOther() throws {
        let (status, out) = try run(["serve", "--socket", "/nonexistent/s", "--verbose", "--quiet"])
        #expect(status == 64)
        #expect(out.contains("--verbose and --quiet exclude each other"), "\(out)")
    }

    @Test func ctlVerbsHaveTheirOwnHelpWithTheNamesTheyTake() throws {
        let (status, out) = try run(["ctl", "fault-add", "--help"])
        #expect(status == 0)
        #expect(out.contains("USAGE: i2osim ctl fault-add"), "\(out)")
        #expect(out.contains("BAD_KEY_ABORT") && out.contains("ENODEV") && out.contains("I2OPARMGET"), "\(out)")
        let (_, event) = try run(["ctl", "event", "--help"])
        #expect(event.contains("ADAPTER_FAULT"), "\(event)")
    }

    /// Refused by the parser before any socket is opened (none exists here): exit 64, not 69.
    @Test func ctlRefusesBadOptionsBeforeSending() throws {
        let socket = "/nonexistent/ctl.sock"
        let (s1, o1) = try run(["ctl", socket, "fault-add", "--ioclt", "I2OSWDL"])
        #expect(s1 == 64 && o1.contains("Unknown option '--ioclt'. Did you mean '--ioctl'?"), "\(o1)")
        let (s2, o2) = try run(["ctl", "fault-add", socket, "--errno", "ENOPE"])
        #expect(s2 == 64 && o2.contains("unknown errno 'ENOPE'") && o2.contains("ENODEV"), "\(o2)")
        let (s3, o3) = try run(["ctl", socket, "event", "--iop", "0", "--tid", "0x10000", "--indicator", "ADAPTER_FAULT"])
        #expect(s3 == 64 && o3.contains("too large"), "\(o3)")
        let (s4, o4) = try run(["ctl", socket, "fault-add", "--action", "delay"])
        #expect(s4 == 64 && o4.contains("\"ms\""), "\(o4)")
        let (s5, o5) = try run(["ctl", socket, "frobnicate"])
        #expect(s5 == 64 && o5.contains("unknown command 'frobnicate'") && o5.contains("fault-add"), "\(o5)")
        // A well-formed request gets as far as the socket.
        let (s6, o6) = try run(["ctl", socket, "list"])
        #expect(s6 == 69 && o6.contains("cannot connect"), "\(o6)")
    }

    @Test func personalityIsTypedEverywhere() throws {
        for command in [["run", "--personality", "nope", "--", "true"], ["serve", "--personality", "nope"]] {
            let (status, out) = try run(command)
            #expect(status == 64)
            #expect(out.contains("'documented', 'linux-2.6.18', 'linux-2.6.18-i386' or 'linux-2.4'"), "\(out)")
        }
    }

    @Test func deviceAndNameAreOneOption() throws {
        let (status, out) = try run(["serve", "--name", "/etc/i2o", "--socket", "/nonexistent/s"])
        #expect(status == 64 && out.contains("is not a node below /dev"), "\(out)")
        let (_, help) = try run(["run", "--help"])
        #expect(help.contains("--device, --name <PATH>"), "\(help)")
    }
}
