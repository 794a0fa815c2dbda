import I2OABI
import I2ODevice
import Testing
import Statistics
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

@Suite struct CommandTests {
    @Test func numbersMatchReferenceTable() {
        let lp64: [IoctlCommand.Kind: UInt32] = [
            .getIOPs: 0x8020_6900, .hrtGet: 0xC018_6901, .lctGet: 0xC018_6902, .parmSet: 0xC028_6903,
            .parmGet: 0xC028_6904, .swDownload: 0xC030_6905, .swUpload: 0xC030_6906, .swDelete: 0xC030_6907,
            .validate: 0x8004_6908, .html: 0xC030_6909, .eventRegister: 0x400C_690A, .eventGet: 0x8068_690B,
            .passthru: 0x8010_690C, .passthru32: 0x8008_690C,
        ]
        let ilp32: [IoctlCommand.Kind: UInt32] = [
            .getIOPs: 0x8020_6900, .hrtGet: 0xC00C_6901, .lctGet: 0xC00C_6902, .parmSet: 0xC018_6903,
            .parmGet: 0xC018_6904, .swDownload: 0xC01C_6905, .swUpload: 0xC01C_6906, .swDelete: 0xC01C_6907,
            .validate: 0x8004_6908, .html: 0xC01C_6909, .eventRegister: 0x400C_690A, .eventGet: 0x8068_690B,
            .passthru32: 0x8008_690C,
        ]
        for (k, v) in lp64 {
            #expect(IoctlCommand(k, abi: .lp64).number == v, "\(k)")
            #expect(IoctlCommand.decode(v, abi: .lp64)?.kind == k)
        }
        for (k, v) in ilp32 {
            #expect(IoctlCommand(k, abi: .ilp32).number == v, "\(k)")
            #expect(IoctlCommand.decode(v, abi: .ilp32)?.kind == k)
        }
        #expect(IoctlCommand.decode(0xC018_6901, abi: .lp64)?.name == "I2OHRTGET")
        #expect(IoctlCommand.decode(0xC00C_6901, abi: .lp64) == nil)
        #expect(IoctlCommand.decode(0xC018_6901, abi: .ilp32) == nil)
        #expect(IoctlCommand.decode(0x8068_690B, abi: .lp64)?.structSize == 112)
        #expect(IoctlCommand.decode(0x8004_6908, abi: .ilp32)?.structSize == 0)
        #expect(IoctlCommand(.swDownload, abi: .ilp32).structSize == 28)
        #expect(IoctlCommand.named("i2oparmget", abi: .lp64)?.number == 0xC028_6904)
    }

    @Test func statisticsSlotsFollowTheKindsInOrder() {
        for (i, k) in IoctlCommand.Kind.allCases.enumerated() { #expect(k.statsSlot == i, "\(k)") }
    }

    /// The table lookup of `decode` agrees with a search of every ioctl's number, over every
    /// direction, size and `nr` of type 'i' and a few other types.
    @Test(arguments: CallerABI.allCases)
    func decodeAgreesWithSearchingEveryNumber(_ abi: CallerABI) {
        let all = IoctlCommand.all(abi)
        var matched = 0
        for type: UInt32 in [0x68, 0x69, 0x6A] {
            for dir: UInt32 in 0...3 {
                for size: UInt32 in 0...0x3FFF where size < 0x80 || size % 0x100 == 0 {
                    for nr: UInt32 in 0...0x20 {
                        let command = dir << 30 | size << 16 | type << 8 | nr
                        let expected = all.first { $0.number == command }
                        #expect(IoctlCommand.decode(command, abi: abi) == expected, "\(hex(command, width: 8))")
                        if expected != nil { matched += 1 }
                    }
                }
            }
        }
        #expect(matched == all.count)
    }

    @Test(arguments: CallerABI.allCases)
    func unknownAndWrongABINumbersAreEINVAL(_ abi: CallerABI) {
        var h = Harness(abi)
        let a = h.mem.place(zeroes: 64)
        for number: UInt32 in [0xC000_6999, 0x0000_0000, 0x8020_6A00] {
            #expect(try! h.engine.ioctl(h.file, command: number, argument: a, abi: abi, memory: &h.mem) == .error(.EINVAL))
        }
        let other: CallerABI = abi == .lp64 ? .ilp32 : .lp64
        let hrt = IoctlCommand(.hrtGet, abi: other).number
        #expect(try! h.engine.ioctl(h.file, command: hrt, argument: a, abi: abi, memory: &h.mem) == .error(.EINVAL))
        #expect(h.mem.rounds == 0)
    }

    @Test func unknownFileIsEBADF() throws {
        var h = Harness(.lp64)
        let a = h.mem.place(zeroes: 32)
        let r = try h.engine.ioctl(OpenFileID(rawValue: 999), command: 0x8020_6900, argument: a, abi: .lp64, memory: &h.mem)
        #expect(r == .error(.EBADF))
    }
}

@Suite struct GetIOPsTests {
    @Test(arguments: CallerABI.allCases)
    func tableOfUnits(_ abi: CallerABI) {
        var h = Harness(abi)
        let a = h.mem.place([UInt8](repeating: 0xEE, count: 32))
        #expect(h.ioctl(.getIOPs, a) == .success)
        #expect(h.mem.read(a, 32) == [1, 1] + [UInt8](repeating: 0, count: 30))
        #expect(h.mem.rounds == 1)
        #expect(h.mem.unreservedStores == 0)
    }

    @Test(arguments: CallerABI.allCases)
    func badPointerIsEFAULT(_ abi: CallerABI) {
        var h = Harness(abi)
        #expect(h.ioctl(.getIOPs, FakeUserMemory.unmapped) == .error(.EFAULT))
        let short = h.mem.place(zeroes: 16)
        #expect(h.ioctl(.getIOPs, short) == .error(.EFAULT))
    }
}
