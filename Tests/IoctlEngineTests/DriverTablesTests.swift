import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

/// docs/kernels.md §HRTGET, §LCTGET: the kernels answer HRTGET and LCTGET from the tables their
/// driver read when it brought the IOP up, refreshing the LCT when the IOP reports a change.
@Suite struct DriverTablesTests {
    static func harness(_ personality: PersonalityName) -> (Harness, SilentIOP, RecordingWaiter) {
        let iop = SilentIOP(silent: false), waiter = RecordingWaiter()
        let engine = Engine(machine: Machine(TestMachine.description), personality: personality,
                            frameInterceptors: [iop], postWaiter: waiter)
        return (Harness(.lp64, engine: engine), iop, waiter)
    }

    static func lctTIDs(_ bytes: [UInt8], _ len: UInt32?) -> [UInt16] {
        let n = (Int(len ?? 0) - 12) / 36
        // Word 0 of an entry: TableEntrySize (bits 0–15), LocalTID (bits 16–27).
        return (0..<max(0, n)).map { UInt16(bytes[12 + $0 * 36 + 2]) | UInt16(bytes[12 + $0 * 36 + 3] & 0x0F) << 8 }
    }

    @Test(arguments: [PersonalityName.linux2618, .linux24])
    func aHungIOPStillAnswersTheTablesAtOnce(_ p: PersonalityName) {
        var (h, iop, waiter) = Self.harness(p)
        let (r0, len0, hrt0) = h.table(.hrtGet)
        let (l0, llen0, lct0) = h.table(.lctGet)
        iop.silent = true
        let (r1, len1, hrt1) = h.table(.hrtGet)
        let (l1, llen1, lct1) = h.table(.lctGet)
        #expect(r0 == .success && r1 == .success && l0 == .success && l1 == .success)
        #expect(len1 == len0 && hrt1 == hrt0)
        #expect(llen1 == llen0 && lct1 == lct0)
        #expect(waiter.waits.isEmpty)
    }

    @Test(arguments: [PersonalityName.linux2618, .linux24])
    func theLCTFollowsTheIOPsChangesWhileItAnswers(_ p: PersonalityName) {
        var (h, iop, _) = Self.harness(p)
        let before = Self.lctTIDs(h.table(.lctGet).2, h.table(.lctGet).1)
        h.engine.withMachine { m in _ = try? m.iops[0]!.addDevice(DeviceDescription(entry: LCTEntry(localTID: 0x020, classID: .lan))) }
        let (_, len, lct) = h.table(.lctGet)
        #expect(Self.lctTIDs(lct, len) == before + [0x020])
        // A hung IOP cannot report its next change: the driver keeps the table it has.
        iop.silent = true
        h.engine.withMachine { m in _ = try? m.iops[0]!.addDevice(DeviceDescription(entry: LCTEntry(localTID: 0x021, classID: .lan))) }
        let (r, len2, lct2) = h.table(.lctGet)
        #expect(r == .success)
        #expect(Self.lctTIDs(lct2, len2) == before + [0x020])
        iop.silent = false
        let (_, len3, lct3) = h.table(.lctGet)
        #expect(Self.lctTIDs(lct3, len3) == before + [0x020, 0x021])
    }

    @Test func documentedAsksTheIOPEachTime() {
        var (h, iop, waiter) = Self.harness(.documented)
        iop.silent = true
        #expect(h.table(.hrtGet).0 == .error(.ETIMEDOUT))
        #expect(h.table(.lctGet).0 == .error(.ETIMEDOUT))
        #expect(waiter.waits == [.seconds(20), .seconds(360)])
    }

    @Test func theShortHRTBufferLeavesItsLastBytesUnwritten() {
        func hrt(_ entries: Int, words: UInt8 = 4) -> [UInt8] {
            [UInt8(entries), 0, words, 0, 0, 0, 0, 0] + [UInt8](repeating: 0x11, count: entries * Int(words) * 4)
        }
        // One 4-word entry fits the first 24-byte buffer; two do not (the buffer is 32, the table 40).
        #expect(EngineState.asTheDriverKeepsIt(hrt: hrt(1)) == hrt(1))
        let two = EngineState.asTheDriverKeepsIt(hrt: hrt(2))
        #expect(Array(two.prefix(32)) == Array(hrt(2).prefix(32)))
        #expect(Array(two.suffix(8)) == [UInt8](repeating: KernelLimits.unwrittenFill, count: 8))
        // One 5-word entry: 28 bytes in a 24-byte buffer.
        #expect(Array(EngineState.asTheDriverKeepsIt(hrt: hrt(1, words: 5)).suffix(4)) == [UInt8](repeating: 0xA5, count: 4))
    }
}
