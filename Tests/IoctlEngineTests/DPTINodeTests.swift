import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

/// The dpt_i2o node `/dev/dptiN` over the test machine, one open file, a caller address space.
struct DPTIHarness {
    let node: DPTINode
    var file: OpenFileID
    var mem = FakeUserMemory()
    let abi: CallerABI

    init(_ abi: CallerABI, personality: PersonalityName = .documented, unit: IOPUnit = 0) {
        self.abi = abi
        node = DPTINode(engine: Engine(machine: Machine(TestMachine.description), personality: personality), unit: unit)!
        file = node.open()
    }

    /// Runs ioctl `number` at `argument`, answering NeedsRound as a transport would (run again).
    mutating func ioctl(_ number: UInt32, _ argument: UInt64) -> IoctlResult {
        mem.rounds = 0
        mem.reserved = []
        for _ in 0..<8 {
            do { return try node.ioctl(IoctlRequest(file: file, command: number, argument: argument, abi: abi), memory: &mem) }
            catch { continue }
        }
        return .error(.EAGAIN)
    }

    mutating func ioctl(_ command: DPTIoctl, _ argument: UInt64) -> IoctlResult { ioctl(command.number(abi), argument) }

    /// `command` into a fresh zeroed buffer of `size` bytes (+ 16 of slack, 0xEE): the result and the buffer.
    mutating func read(_ command: DPTIoctl, size: Int) -> (IoctlResult, [UInt8]) {
        let a = mem.place([UInt8](repeating: 0xEE, count: size + 16))
        let r = ioctl(command, a)
        return (r, mem.read(a, size + 16) ?? [])
    }

    /// `read`, expecting success and exactly `size` bytes written (the 16 after them untouched);
    /// the bytes written.
    mutating func readStruct(_ command: DPTIoctl, size: Int, _ why: Comment? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        let (r, b) = read(command, size: size)
        #expect(r == .success, sourceLocation: sourceLocation)
        #expect(Array(b[size...]) == [UInt8](repeating: 0xEE, count: 16), why, sourceLocation: sourceLocation)
        return Array(b.prefix(size))
    }

    /// I2OUSRCMD on `frame` followed by a reply area of `replyWords` words, its MessageSize `replySize`
    /// (default: `replyWords`): the result, the reply area.
    mutating func userCommand(_ frame: [UInt32], replyWords: Int = 20, replySize: Int? = nil) -> (IoctlResult, [UInt32]) {
        var reply = [UInt32](repeating: 0xCCCC_CCCC, count: replyWords)
        if replyWords > 0 { reply[0] = UInt32(replySize ?? replyWords) << 16 }
        let msg = mem.place(frame.littleEndianBytes + reply.littleEndianBytes)
        let r = ioctl(.userCommand, msg)
        let back = mem.read(msg + UInt64(frame.count * 4), replyWords * 4).flatMap { try? $0.littleEndianWords(what: "r") } ?? []
        return (r, back)
    }
}

/// A struct a dpti ioctl copies out whole and the same every time: the driver's own (DPT_SIGNATURE's, DPT_SYSINFO's).
protocol DPTDriverStruct: Equatable {
    static func driver(_ abi: CallerABI) -> Self
    static func byteCount(_ abi: CallerABI) -> Int
    static func decode(_ b: [UInt8], abi: CallerABI) -> Self?
}
extension DPTSignature: DPTDriverStruct {}
extension DPTSystemInfo: DPTDriverStruct {}

extension DPTIHarness {
    /// Expects `command` to copy out the driver's own `T` in the caller's layout, `lp64` or `ilp32`
    /// bytes long (readStruct), and EFAULT for an unmapped argument; the bytes.
    mutating func expectDriversStruct<T: DPTDriverStruct>(_ command: DPTIoctl, _ type: T.Type, lp64: Int, ilp32: Int,
                                                          sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        let size = T.byteCount(abi)
        #expect(size == (abi == .lp64 ? lp64 : ilp32), sourceLocation: sourceLocation)
        let b = readStruct(command, size: size, sourceLocation: sourceLocation)
        #expect(T.decode(b, abi: abi) == T.driver(abi), sourceLocation: sourceLocation)
        #expect(ioctl(command, FakeUserMemory.unmapped) == .error(.EFAULT), sourceLocation: sourceLocation)
        return b
    }
}

@Suite struct DPTINodeTests {
    static let abis = CallerABI.allCases

    @Test func numbersAreTheHeadersInBothABIs() {
        let i386: [DPTIoctl: UInt32] = [.signature: 0x8051_4443, .controllerInfo: 0x8038_4445, .systemInfo: 0x805C_4448,
                                        .blinkLED: 0x8004_444B, .userCommand: 0x444C, .rescan: 0x444D, .reset: 0x444E,
                                        .targetBusy: 0x8010_444F]
        let x86_64: [DPTIoctl: UInt32] = [.signature: 0x8055_4443, .controllerInfo: 0x8048_4445, .systemInfo: 0x8064_4448,
                                          .blinkLED: 0x8004_444B, .userCommand: 0x444C, .rescan: 0x444D, .reset: 0x444E,
                                          .targetBusy: 0x8020_444F]
        for c in DPTIoctl.allCases {
            #expect(c.number(.ilp32) == i386[c], "\(c)")
            #expect(c.number(.lp64) == x86_64[c], "\(c)")
            #expect(DPTIoctl.decode(c.number(.ilp32), abi: .ilp32) == c)
            #expect(DPTIoctl.decode(c.number(.lp64), abi: .lp64) == c)
        }
        #expect(DPTIoctl.decode(0x8051_4443, abi: .lp64) == nil)
        #expect(DPTIoctl.decode(0x444F, abi: .ilp32) == nil)
        #expect(DPTIoctl.named("dpt_target_busy") == .targetBusy)
    }

    @Test func nodeNamesAndUnits() {
        #expect(DPTINode.unit(named: "dpti0") == 0)
        #expect(DPTINode.unit(named: "/dev/dpti15") == 15)
        #expect(DPTINode.unit(named: "dpti16") == nil)
        #expect(DPTINode.unit(named: "dpti01") == nil)
        #expect(DPTINode.unit(named: "i2o/ctl") == nil)
        let engine = Engine(machine: Machine(TestMachine.description))
        #expect(DPTINode(engine: engine, unit: 1)?.name == "dpti1")
        #expect(DPTINode(engine: engine, unit: 2) == nil)
    }

    @Test(arguments: abis)
    func signatureIsTheDriversInTheCallersLayout(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let s = DPTSignature.decode(h.expectDriversStruct(.signature, DPTSignature.self, lp64: 85, ilp32: 81), abi: abi)
        #expect(s?.text == "Adaptec Linux I2O RAID Driver" && s?.operatingSystems == 0x0100_0000 && s?.fileType == 2)
        #expect(s?.processorFamily == (abi == .lp64 ? 0xFF : 0) && s?.processor == (abi == .lp64 ? 0xFF : 0x3C))
    }

    @Test(arguments: abis)
    func controllerInfoNamesTheUnitAndItsPCISlot(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let size = DPTHBAInfo.byteCount(abi)
        let b = h.readStruct(.controllerInfo, size: size, "writes drvrHBAinfo_S, not the CtrlInfo its number names")
        let info = DPTHBAInfo.decode(b, abi: abi)
        #expect(info == DPTHBAInfo(hbaNumber: 0, baseAddress: 0, blinkState: 0, pciBus: 1, pciDevice: 5, interrupt: 0))
        #expect(info?.hbaFlags == 7 && info?.length == 0)
        var second = DPTIHarness(abi, unit: 1)
        #expect(DPTHBAInfo.decode(second.read(.controllerInfo, size: size).1, abi: abi)?.hbaNumber == 1)
        #expect(h.ioctl(.controllerInfo, FakeUserMemory.unmapped) == .error(.EFAULT))
    }

    @Test(arguments: abis)
    func systemInfoIsLinuxOnPCI(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let b = h.expectDriversStruct(.systemInfo, DPTSystemInfo.self, lp64: 100, ilp32: 92)
        #expect(b == DPTSystemInfo.driver(abi).encode(abi))
    }

    @Test(arguments: abis)
    func blinkLEDIsZeroAndRescanResetSucceed(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let (r, b) = h.read(.blinkLED, size: 4)
        #expect(r == .success && Array(b.prefix(4)) == [0, 0, 0, 0] && b[4] == 0xEE)
        #expect(h.ioctl(.blinkLED, FakeUserMemory.unmapped) == .error(.EFAULT))
        // _IO: the argument is not used.
        #expect(h.ioctl(.rescan, FakeUserMemory.unmapped) == .success)
        #expect(h.ioctl(.reset, 0) == .success)
    }

    @Test(arguments: abis)
    func targetBusyAsTheHeaderDeclaresIt(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let size = DPTTargetBusy.byteCount(abi)
        let a = h.mem.place(DPTTargetBusy(channel: 0, id: 1, lun: 0, isBusy: 7).encode(abi))
        #expect(h.ioctl(.targetBusy, a) == .success)
        #expect(DPTTargetBusy.decode(h.mem.read(a, size)!, abi: abi) == DPTTargetBusy(channel: 0, id: 1, lun: 0, isBusy: 0))
        h.node.setHeldOpen(true, channel: 0, id: 1, lun: 0)
        #expect(h.ioctl(.targetBusy, a) == .success)
        #expect(DPTTargetBusy.decode(h.mem.read(a, size)!, abi: abi)?.isBusy == 1)
        h.node.setHeldOpen(false, channel: 0, id: 1, lun: 0)
        #expect(h.ioctl(.targetBusy, a) == .success)
        #expect(DPTTargetBusy.decode(h.mem.read(a, size)!, abi: abi)?.isBusy == 0)
        #expect(h.ioctl(.targetBusy, FakeUserMemory.unmapped) == .error(.EFAULT))
    }

    @Test(arguments: [PersonalityName.linux2618, .linux2618i386, .linux24], abis)
    func targetBusyIsEINVALInTheKernels(_ personality: PersonalityName, _ abi: CallerABI) {
        var h = DPTIHarness(abi, personality: personality)
        // linux-2.6.18 is an x86_64 kernel: a 32-bit caller reaches adpt_ioctl only with the 64-bit numbers.
        let number = DPTIoctl.targetBusy.number(personality == .linux2618 ? .lp64 : abi)
        let a = h.mem.place(DPTTargetBusy(channel: 0, id: 1, lun: 0).encode(.lp64))
        #expect(h.ioctl(number, a) == .error(.EINVAL))
        #expect(h.ioctl(0x444F, a) == .error(.EINVAL), "DPT_TARGET_BUSY & 0xFFFF reaches the same default")
    }

    @Test func compatSwitchOfAnX86_64KernelKnowsOnlyThe64BitNumbers() {
        var h = DPTIHarness(.ilp32, personality: .linux2618)
        #expect(h.ioctl(DPTIoctl.signature.number(.ilp32), h.mem.place(zeroes: 96)) == .error(.EINVAL))
        let a = h.mem.place([UInt8](repeating: 0xEE, count: 96))
        #expect(h.ioctl(DPTIoctl.signature.number(.lp64), a) == .success)
        #expect(DPTSignature.decode(h.mem.read(a, 85)!, abi: .lp64) == DPTSignature.driver(.lp64))
        #expect(h.ioctl(DPTIoctl.blinkLED.number(.ilp32), h.mem.place(zeroes: 4)) == .success, "same number in both ABIs")
        var native = DPTIHarness(.ilp32, personality: .linux2618i386)
        #expect(native.read(.signature, size: 81).0 == .success)
    }

    @Test(arguments: abis)
    func otherNumbersAndOperations(_ abi: CallerABI) {
        var h = DPTIHarness(abi)
        let other: CallerABI = abi == .lp64 ? .ilp32 : .lp64
        #expect(h.ioctl(DPTIoctl.signature.number(other), h.mem.place(zeroes: 96)) == .error(.EINVAL))
        #expect(h.ioctl(0x8004_4441, h.mem.place(zeroes: 8)) == .error(.EINVAL), "DPT_DEBUG and the rest: the default")
        #expect(h.ioctl(IoctlCommand(.getIOPs, abi: abi).number, h.mem.place(zeroes: 32)) == .error(.EINVAL))
        #expect(h.node.read(h.file, capacity: 64) == .error(.EINVAL))
        #expect(h.node.write(h.file, count: 4) == .error(.EINVAL))
        #expect(h.node.pollEvents(h.file) == .defaultMask)
        h.node.release(h.file)
        #expect(h.ioctl(.blinkLED, h.mem.place(zeroes: 4)) == .error(.EBADF))
    }

    @Test(arguments: abis)
    func anIOPGoneWithAReplacedMachineIsENXIO(_ abi: CallerABI) {
        var h = DPTIHarness(abi, unit: 1)
        var d = TestMachine.description
        d.iops.removeAll { $0.unit == 1 }
        h.node.engine.replaceMachine(d)
        #expect(h.ioctl(.blinkLED, h.mem.place(zeroes: 4)) == .error(.ENXIO))
        #expect(h.userCommand([3 << 16 | 0x01, 0, 0]).0 == .error(.ENXIO))
    }
}
