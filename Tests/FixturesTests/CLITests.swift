import Foundation
import Posix
import Testing

/// The built `i2osim` next to this test bundle in the build products directory.
func i2osimBinary() -> URL? {
    var candidates: [URL] = []
    if let arg0 = CommandLine.arguments.first {
        var dir = URL(fileURLWithPath: arg0).deletingLastPathComponent()
        for _ in 0..<4 { candidates.append(dir.appendingPathComponent("i2osim")); dir.deleteLastPathComponent() }
    }
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("i2osim"))
    candidates.append(fixturesDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/i2osim"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

func run(_ args: [String]) throws -> (status: Int32, out: String) {
    let bin = try #require(i2osimBinary(), "build the i2osim product first (swift build)")
    let o = try SpawnedChild([bin.path] + args, environment: ProcessInfo.processInfo.environment, standardError: .withOutput).wait()
    return (o.shellStatus, o.standardOutput)
}

/// A fresh scratch directory for one test's files (removed by the caller: `defer { remove(dir) }`).
func scratchDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("i2osim-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes `text` as the file `name` in `dir` and returns its URL.
func writeFile(_ text: String, named name: String, in dir: URL) throws -> URL {
    let file = dir.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
}

/// A machine of one IOP with its executive alone (fixtures add `faults:` and the like after it).
let executiveOnly = "machine: x\niops:\n  - unit: 0\n    devices:\n      - {tid: 0, class: EXECUTIVE}\n"

@Suite struct CLITests {
    @Test func validateBrokenFixtureFails() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try writeFile(executiveOnly + "      - {tid: 8, class: BUS_ADAPTR}\n", named: "bad.yaml", in: dir)
        let (status, out) = try run(["validate", fixturePath("default.yaml"), bad.path])
        #expect(status != 0)
        #expect(out.contains("ok: \(fixturePath("default.yaml")) (1 IOP, 8 devices)"))
        #expect(out.contains("\(bad.path):6: iops[0].devices[1].class: unknown device class 'BUS_ADAPTR' — did you mean BUS_ADAPTER?"))
    }

    /// A bad `faults:` rule is a fixture error like any other: validate names its line (as run does)
    /// instead of saying "ok" to a fixture run and serve then refuse.
    @Test func validateChecksTheFaultRules() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try writeFile(executiveOnly + """
        faults:
          - {ioctl: I2OPARMGET, action: errno, errno: EIO}
          - ioctl: I2OSWDL
            action: erno
        """, named: "faults.yaml", in: dir)
        let line = "\(bad.path):9: faults[1].action: unknown action 'erno' (did you mean errno?); one of: errno, status"
        let (status, out) = try run(["validate", bad.path])
        #expect(status == 1)
        #expect(out.contains(line), "\(out)")
        #expect(!out.contains("ok:"))
        let served = try run(["run", "--fixture", bad.path, "--", "true"])
        #expect(served.status != 0 && served.out.contains(line), "run gives the same words: \(served.out)")
    }

    @Test func showListsTheFaultRules() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixture = try writeFile(executiveOnly + """
        faults:
          - {ioctl: I2OPARMGET, action: errno, errno: EIO, count: every, n: 10}
          - {iop: 0, function: ExecSwDownload, action: hang, count: once}
        """, named: "flaky.yaml", in: dir)
        let validated = try run(["validate", fixture.path])
        #expect(validated.status == 0 && validated.out.contains("(1 IOP, 1 device, 2 fault rules)"), "\(validated.out)")
        let (status, out) = try run(["show", fixture.path])
        #expect(status == 0)
        #expect(out.contains("Fault rules (faults:, in the order they are tried)\n  1. I2OPARMGET → errno EIO, every 10\n"
                             + "  2. iop 0 function ExecSwDownload → hang, once"), "\(out)")
        let json = try run(["show", "--json", fixture.path])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let faults = try #require(obj["faults"] as? [[String: Any]])
        #expect(faults.count == 2 && faults.first?["rule"] as? String == "I2OPARMGET → errno EIO, every 10")
    }

    /// `--version` prints the version written once, in Sources/i2osim/Version.swift.
    @Test func versionAndCompletion() throws {
        let source = try String(contentsOf: fixturesDirectory.deletingLastPathComponent()
            .appendingPathComponent("Sources/i2osim/Version.swift"), encoding: .utf8)
        let written = try #require(source.firstMatch(of: /i2osimVersion = "([0-9]+\.[0-9]+\.[0-9]+)"/)?.1)
        let (status, out) = try run(["--version"])
        #expect(status == 0 && out == "\(written)\n", "\(out)")
        let completion = try run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.out.contains("validate") && completion.out.contains("--fixture"))
    }

    @Test func validateGoodFixturesSucceeds() throws {
        let (status, out) = try run(["validate", fixturePath("intel-u3-1l.yaml"), fixturePath("two-iops.yaml")])
        #expect(status == 0)
        #expect(out.contains("(1 IOP, 11 devices)") && out.contains("(2 IOPs, 10 devices)"))
    }

    @Test func showJSONHasTheLCT() throws {
        let (status, out) = try run(["show", "--json", fixturePath("intel-u3-1l.yaml")])
        #expect(status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let iops = try #require(obj["iops"] as? [[String: Any]])
        let lct = try #require(iops.first?["lct"] as? [[String: Any]])
        #expect(lct.compactMap { $0["tidDecimal"] as? Int } == [0, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19])
        #expect(lct.first?["vendor"] as? String == "Wind River Sys.")
        #expect(lct.first { $0["tid"] as? String == "0x00B" }?["className"] as? String == "BUS_ADAPTER")
    }

    @Test func showDefaultText() throws {
        let (status, out) = try run(["show"])
        #expect(status == 0)
        #expect(out.contains("Machine: Adaptec SCSI RAID 3200S"))
        #expect(out.contains("product \"ADAPTEC 3200S\""))
        #expect(out.range(of: #"0x203\s+RANDOM_BLOCK_STORAGE\s+0x00\s+PM\s+0x000\s+none\s+ADAPTEC\s+RAID-1\s+370F"#, options: .regularExpression) != nil)
    }
}
