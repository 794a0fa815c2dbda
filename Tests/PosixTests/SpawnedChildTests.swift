#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Posix
import Synchronization
import Testing

/// `SpawnedChild`: a child started, waited for and its output read back, from any thread.
@Suite struct SpawnedChildTests {
    private static let path = ["PATH": "/usr/bin:/bin"]

    @Test func outputErrorAndExitCodeComeBackApart() throws {
        let o = try SpawnedChild(["sh", "-c", "echo out; echo err >&2; exit 3"], environment: Self.path).wait()
        #expect(o.status == .exited(3))
        #expect(o.shellStatus == 3)
        #expect(o.standardOutput == "out\n")
        #expect(o.standardError == "err\n")
    }

    @Test func errorsWithTheOutputKeepTheirOrder() throws {
        let o = try SpawnedChild(["sh", "-c", "echo a; echo b >&2; echo c"], environment: Self.path,
                                 standardError: .withOutput).wait()
        #expect(o.standardOutput == "a\nb\nc\n")
        #expect(o.standardError == "")
    }

    @Test func theEnvironmentIsExactlyTheOneGiven() throws {
        let o = try SpawnedChild(["env"], environment: ["I2OSIM_ONLY": "1", "PATH": "/usr/bin:/bin"]).wait()
        #expect(o.standardOutput.split(separator: "\n").sorted() == ["I2OSIM_ONLY=1", "PATH=/usr/bin:/bin"])
    }

    @Test func standardInputIsEmpty() throws {
        let o = try SpawnedChild(["cat"], environment: Self.path).wait()
        #expect(o.status == .exited(0))
        #expect(o.standardOutput.isEmpty)
    }

    @Test func aSignalledChildSaysWhich() throws {
        let child = try SpawnedChild(["sleep", "30"], environment: Self.path, standardOutput: .discard, standardError: .discard)
        child.kill(SIGTERM)
        let o = try child.wait()
        #expect(o.status == .signaled(SIGTERM))
        #expect(o.shellStatus == 128 + SIGTERM)
        #expect(try child.wait().status == .signaled(SIGTERM), "a second wait gives the same end")
    }

    @Test func aCommandNotFoundIsAnErrorNamingIt() {
        #expect {
            _ = try SpawnedChild(["i2osim-no-such-command"], environment: Self.path)
        } throws: { error in
            guard let e = error as? SystemError else { return false }
            return e.errno == .noSuchFileOrDirectory && e.description.contains("i2osim-no-such-command")
        }
    }

    /// Many threads at once, as the unit tests run their clients: each gets its own child's
    /// output, and each wait returns (Foundation's `Process.waitUntilExit` hung here).
    @Test func childrenOfManyThreadsAtOnce() {
        let outputs = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let o = try? SpawnedChild(["sh", "-c", "echo $0", "\(i)"], environment: Self.path).wait()
            outputs.withLock { $0[i] = o?.standardOutput }
        }
        let all = outputs.withLock { $0 }
        #expect(all.count == 32)
        for i in 0..<32 { #expect(all[i] == "\(i)\n") }
    }
}
