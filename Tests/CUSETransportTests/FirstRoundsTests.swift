import I2OABI
import I2ODevice
import Testing
import Fixtures
import IOPModel
import IoctlEngine
import Faults
import Simulator
@testable import CUSETransport

/// The first, input-less CUSE call of an ioctl is answered from `FirstRounds` once the engine has
/// run it for that command: the answer must be the engine's own, at any argument, and the engine's
/// record of the request the same as if it had run.
@Suite struct FirstRoundsTests {
    static func engine(_ personality: PersonalityName) throws -> Simulator {
        Simulator(machine: Machine(try FixtureLoader.loadDefault()), personality: personality)
    }

    /// What the engine itself asks on a first call at `argument` (nil: it answered at once).
    static func engineRound(_ engine: Simulator, _ file: OpenFileID, _ command: UInt32, _ argument: UInt64, _ abi: CallerABI) -> NeedsRound? {
        var m = RetryRoundMemory(input: [], outputCapacity: 0)
        do {
            _ = try engine.ioctl(file, command: command, argument: argument, abi: abi, memory: &m)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: PersonalityName.allCases)
    func cachedRoundsAreTheEnginesOwn(personality: PersonalityName) throws {
        let engine = try Self.engine(personality)
        let file = engine.open()
        let cache = FirstRounds()
        var learned = 0
        for abi in CallerABI.allCases {
            for command in IoctlCommand.all(abi) {
                let n = command.number
                let learnAt: UInt64 = 0x10_0000
                guard let round = Self.engineRound(engine, file, n, learnAt, abi) else {
                    #expect(cache.answer(engine, IoctlRequest(file: file, command: n, argument: learnAt, abi: abi)) == nil, "\(command)")
                    continue
                }
                cache.learn(engine, IoctlRequest(file: file, command: n, argument: learnAt, abi: abi), round: round)
                learned += 1
                for argument: UInt64 in [0x1000, 0x7FFF_F000, 0xFFFF_F000, 0x7FFF_FFFF_E000] {
                    let expected = Self.engineRound(engine, file, n, argument, abi)
                    let answered = cache.answer(engine, IoctlRequest(file: file, command: n, argument: argument, abi: abi))
                    if let answered {
                        #expect(answered == expected, "\(command) at 0x\(String(argument, radix: 16))")
                    } else {
                        // Declined only where the ranges would leave a 32-bit caller's space.
                        #expect(abi == .ilp32 && argument > 0xFFFF_0000, "\(command) at 0x\(String(argument, radix: 16)) not answered")
                    }
                }
            }
        }
        #expect(learned >= (personality == .linux2618 ? 10 : 20), "the ioctls with a struct have a first round (\(learned))")
        #expect(cache.answer(engine, IoctlRequest(file: file, command: IoctlCommand.all(.lp64)[0].number, argument: 0, abi: .lp64)) == nil,
                "a NULL argument is left to the engine")
    }

    @Test func theEngineCountsTheSkippedRound() throws {
        // Two engines, one ioctl each through the retry rounds: one runs every call, the other has
        // its first call answered from the cache. Results, writes and statistics must agree.
        let parmget = try #require(IoctlCommand.named("I2OPARMGET", abi: .lp64))
        func run(_ engine: Simulator, skipFirst: Bool) throws -> (Int32?, [UInt8]?) {
            let file = engine.open()
            var kernel = KernelSimulator()
            // struct i2o_cmd_psetget (lp64): iop, tid, opbuf, oplen, resbuf, reslen (pointer).
            var s: [UInt8] = []
            func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
            func le64(_ v: UInt64) -> [UInt8] { le32(UInt32(truncatingIfNeeded: v)) + le32(UInt32(truncatingIfNeeded: v >> 32)) }
            s += le32(0) + le32(0) + le64(0x2000) + le32(12) + le32(0) + le64(0x3000) + le64(0x2800)
            kernel.map(s, at: 0x1000)
            kernel.map(le32(1) + le32(0) + le32(6) + le32(0xF100) + le32(0xFFFF), at: 0x2000)   // FIELD_GET 0xF100, all
            kernel.map(le32(4096), at: 0x2800)
            kernel.map([UInt8](repeating: 0, count: 4096), at: 0x3000)
            let cache = FirstRounds()
            let memory = kernel.memory
            // One ioctl as CUSEDevice runs it: the first call answered from the cache when it can,
            // learned from the engine's own answer otherwise.
            func ioctl() -> (Int32?, calls: Int, answered: Bool) {
                var k = KernelSimulator(memory: memory)
                var first = true, answered = false
                let rc = k.ioctl { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
                    defer { first = false }
                    if first, skipFirst, let round = cache.answer(engine, IoctlRequest(file: file, command: parmget.number, argument: 0x1000, abi: .lp64)) {
                        answered = true
                        throw round
                    }
                    do throws(NeedsRound) {
                        switch try engine.ioctl(file, command: parmget.number, argument: 0x1000, abi: .lp64, memory: &m) {
                        case let .value(v): return v
                        case let .error(e): return -e.rawValue
                        }
                    } catch {
                        if first, skipFirst { cache.learn(engine, IoctlRequest(file: file, command: parmget.number, argument: 0x1000, abi: .lp64), round: error) }
                        throw error
                    }
                }
                kernel = k
                return (rc, k.calls, answered)
            }
            let once = ioctl()
            #expect(!once.answered && once.calls == 3)
            var rc = once.0
            if skipFirst {   // the engine ran the first ioctl's first call; the second one's comes from the cache
                let twice = ioctl()
                #expect(twice.answered && twice.calls == 3)
                rc = twice.0
            }
            return (rc, kernel.bytes(UserRange(address: 0x3000, count: 64)))
        }
        let plain = try Self.engine(.documented), skipping = try Self.engine(.documented)
        let a = try run(plain, skipFirst: false), b = try run(skipping, skipFirst: true)
        #expect(a.0 == 0 && b.0 == 0)
        #expect(a.1 == b.1 && a.1 != nil)
        let sa = plain.report.ioctls["I2OPARMGET"], sb = skipping.report.ioctls["I2OPARMGET"]
        #expect(sa?.requests == 1 && sb?.requests == 2)   // the skipping engine ran the ioctl twice
        #expect(sa?.roundsMean == sb?.roundsMean && sa?.roundsMax == sb?.roundsMax, "the skipped round is counted (\(String(describing: sa)) vs \(String(describing: sb)))")
    }
}
