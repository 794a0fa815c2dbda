import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
import Synchronization
@testable import IoctlEngine

/// An IOP that refuses every UtilEventRegister with a failing reply.
final class RefusingRegistrations: FrameInterceptor {
    let isActive = true
    func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
              next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        guard frame.function == .utilEventRegister else { return next(frame) }
        return MessageFrame.reply(to: frame, status: .errorNoDataTransfer, detail: DetailedStatus(rawValue: 0x0007))
    }
}

/// Records the function of every frame posted.
final class RecordingFrames: FrameInterceptor {
    let isActive = true
    private let seen = Mutex<[I2OFunction]>([])
    var functions: [I2OFunction] { seen.withLock { $0 } }
    func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
              next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        seen.withLock { $0.append(frame.function) }
        return next(frame)
    }
}

/// docs/kernels.md §Open files, §EVTREG: how the kernels' config driver numbers, closes and
/// answers for open files.
@Suite struct KernelFilesTests {
    @Test(arguments: [(PersonalityName.documented, UInt64(1)), (.linux2618, 0), (.linux24, 0)])
    func openFilesAreNumberedFromTheKernelsStart(_ p: PersonalityName, _ first: UInt64) {
        let h = Harness(.lp64, personality: p)
        #expect(h.file.rawValue == first)
        #expect(h.engine.open().rawValue == first + 1)
    }

    @Test(arguments: [(PersonalityName.documented, 1), (.linux2618, 0), (.linux24, 0)])
    func closeSendsTheIOPNothingInTheKernels(_ p: PersonalityName, _ cancels: Int) {
        let frames = RecordingFrames()
        var h = Harness(.lp64, engine: Engine(machine: Machine(TestMachine.description), personality: p,
                                              frameInterceptors: [frames]))
        #expect(h.register(tid: 0x010, mask: 0xFFFF) == .success)
        let before = frames.functions.count
        h.engine.release(h.file)
        #expect(frames.functions.dropFirst(before).filter { $0 == .utilEventRegister }.count == cancels)
        // 2.4's registration stays in the IOP; its events go to no other file.
        let context = UInt32(truncatingIfNeeded: h.file.rawValue)
        #expect(h.iop0.eventRegistrations.contains { $0.transactionContext == context } == (p == .linux24))
        let other = h.engine.open()
        h.engine.withMachine { m in m.iops[0]!.raiseEvent(tid: TID(rawValue: 0x010), indicator: .stateChange, data: []) }
        #expect(h.engine.queuedEvents(other)?.events.isEmpty == true)
    }

    @Test func linux24QueuesARefusedRegistrationAsAnEvent() {
        let engine = Engine(machine: Machine(TestMachine.description), personality: .linux24,
                            frameInterceptors: [RefusingRegistrations()])
        var h = Harness(.lp64, engine: engine)
        #expect(h.register(tid: 0x010, mask: 0xFFFF) == .success)
        let (r, got) = h.eventGet()
        #expect(r == .success)
        #expect(got?.info.id.tid == 0x010)
        #expect(got?.info.id.eventMask == 0x0500_0007)   // the reply's status word
    }

    @Test func linux2618IgnoresTheRegistrationsReply() {
        let engine = Engine(machine: Machine(TestMachine.description), personality: .linux2618,
                            frameInterceptors: [RefusingRegistrations()])
        var h = Harness(.lp64, engine: engine)
        #expect(h.register(tid: 0x010, mask: 0xFFFF) == .success)
        #expect(h.engine.queuedEvents(h.file)?.events.isEmpty == true)
    }
}

/// docs/kernels.md §SWDL: the buffer a fragment needs, as each kernel allocates it.
@Suite struct FragmentLimitTests {
    @Test func linux24KmallocsTheFragment() {
        var h = Harness(.lp64, personality: .linux24)
        let big = UInt32(KernelLimits.kmallocBytes + 4)
        let buf = h.mem.place(zeroes: Int(big))
        #expect(h.sw(.swDownload, swID: 7, buf: buf, swlen: big, maxfrag: 1, curfrag: 1).0 == .error(.ENOMEM))
        #expect(h.sw(.swUpload, swID: 7, buf: buf, swlen: big, maxfrag: 1, curfrag: 1).0 == .error(.ENOMEM))
        // 0 bytes is a valid kmalloc: the request reaches the IOP (which refuses an empty module).
        #expect(h.sw(.swDownload, swID: 7, buf: buf, swlen: 0, maxfrag: 1, curfrag: 1).0 != .error(.ENOMEM))
    }

    @Test func linux2618CannotAllocateAnEmptyFragment() {
        var h = Harness(.lp64, personality: .linux2618)
        let buf = h.mem.place(zeroes: 64)
        #expect(h.sw(.swDownload, swID: 7, buf: buf, swlen: 0, maxfrag: 1, curfrag: 1).0 == .error(.ENOMEM))
        #expect(h.sw(.swUpload, swID: 7, buf: buf, swlen: 0, maxfrag: 1, curfrag: 1).0 == .error(.ENOMEM))
        let big = UInt32(KernelLimits.kmallocBytes + 4)   // above kmalloc's limit, within the DMA allocator's
        let large = h.mem.place(zeroes: Int(big))
        #expect(h.sw(.swDownload, swID: 7, buf: large, swlen: big, maxfrag: 1, curfrag: 1).0 != .error(.ENOMEM))
    }
}

/// docs/kernels.md §Personalities: the audit's minor rows.
@Suite struct KernelMinorRowsTests {
    @Test func linux2618FindsDevicesByA16BitTID() {
        var h = Harness(.lp64, personality: .linux2618)
        #expect(h.params(.parmGet, tid: TID(rawValue: 0x010), ops: Ops.getVendor).0 == .success)
        // 0x10010 is cut to 0x0010 (found); 0x1010 keeps bits above the 12 a TID has (not found).
        let wide = IoctlStructs.PsetGet(iop: 0, tid: 0x1_0010, opbuf: h.mem.place(Ops.getVendor),
                                        oplen: UInt32(Ops.getVendor.count), resbuf: h.mem.place(zeroes: 256),
                                        reslen: h.mem.placeU32(256))
        #expect(h.call(.parmGet, wide.encoded(.lp64)) == .success)
        var bad = wide; bad.tid = 0x1010
        #expect(h.call(.parmGet, bad.encoded(.lp64)) == .error(.ENXIO))
        #expect(h.register(tid: 0x1_0010, mask: 0xFFFF) == .success)
        #expect(h.register(tid: 0x1010, mask: 0xFFFF) == .error(.ENODEV))
    }

    @Test func linux24LostCountWrapsAt16Bits() {
        var h = Harness(.lp64, personality: .linux24)
        #expect(h.register(tid: 0x010, mask: 0xFFFF_FFFF) == .success)
        let raised = OpenFile.queueCapacity + 65536 + 3
        for _ in 0..<raised {   // one at a time: each is delivered to the file before the next
            h.engine.withMachine { m in m.iops[0]!.raiseEvent(tid: TID(rawValue: 0x010), indicator: .stateChange, data: []) }
        }
        #expect(h.engine.queuedEvents(h.file)?.lost == Int32(65536 + 3))   // kept whole
        #expect(h.eventGet().1?.lost == 3)                           // reported as the kernel's u16
        var d = Harness(.lp64)
        #expect(d.register(tid: 0x010, mask: 0xFFFF_FFFF) == .success)
        for _ in 0..<raised {
            d.engine.withMachine { m in m.iops[0]!.raiseEvent(tid: TID(rawValue: 0x010), indicator: .stateChange, data: []) }
        }
        #expect(d.eventGet().1?.lost == Int32(65536 + 3))
    }

    @Test func linux24FetchesTheLCTWith120Seconds() {
        #expect(PersonalityName.linux24.timeouts.lctNotify == .seconds(120))
        #expect(PersonalityName.linux2618.timeouts.lctNotify == .seconds(360))
    }
}

/// docs/kernels.md §Compat32: `linux-2.6.18` is an x86_64 kernel (32-bit callers through compat);
/// `linux-2.6.18-i386` the same driver built for i386 (every ioctl native).
@Suite struct I386KernelTests {
    @Test func thirtyTwoBitCallersGetEveryIoctlNatively() {
        var compat = Harness(.ilp32, personality: .linux2618)
        var native = Harness(.ilp32, personality: .linux2618i386)
        #expect(compat.table(.lctGet).0 == .error(.EINVAL))
        #expect(native.table(.lctGet).0 == .success)
        #expect(native.params(.parmGet, tid: TID(rawValue: 0x010), ops: Ops.getVendor).0 == .success)
        #expect(native.call(.html, IoctlStructs.HTML(iop: 0, tid: 0x010, page: 2, resbuf: native.mem.place(zeroes: 64),
                                                      reslen: native.mem.placeU32(64), qbuf: 0, qlen: 0).encoded(.ilp32))
                == .error(.EINVAL))
    }

    @Test func itsPassthruIsTheNativeOne() {
        // A non-simple element: native PASSTHRU writes the reply area, compat's does not.
        for (p, wiped) in [(PersonalityName.linux2618, false), (.linux2618i386, true)] {
            var h = Harness(.ilp32, personality: p)
            let res = h.mem.place(zeroes: 64)
            var frame = PassthruTests.paramsGet(tid: 0x010, ops: res, oplen: 8, res: res, reslen: 64)
            frame[7] = 0x0000_0040
            let (r, reply, _) = h.passthru(.passthru32, frame: frame, replyWords: 6)
            #expect(r == .error(.EINVAL))
            #expect((reply[0] == 0) == wiped)
        }
    }
}

/// docs/kernels.md §Personalities, check order: what keeping the kernels' order costs in rounds.
@Suite struct CheckOrderRoundsTests {
    @Test(arguments: [(PersonalityName.documented, 2), (.linux2618, 2), (.linux24, 3)])
    func parmGetCostsNoExtraRound(_ p: PersonalityName, _ rounds: Int) {
        // documented and 2.6.18: the struct, then everything; 2.4: *reslen first (its reservation).
        var h = Harness(.lp64, personality: p)
        #expect(h.params(.parmGet, tid: TID(rawValue: 0x010), ops: Ops.getVendor).0 == .success)
        #expect(h.mem.rounds == rounds)
    }

    @Test(arguments: [(PersonalityName.documented, 2), (.linux2618, 3), (.linux24, 3)])
    func lctGetCostsTheKernelsOneRound(_ p: PersonalityName, _ rounds: Int) {
        // The kernels answer ENOBUFS before reserving resbuf: *reslen is read on its own first.
        var h = Harness(.lp64, personality: p)
        #expect(h.table(.lctGet).0 == .success)
        #expect(h.mem.rounds == rounds)
    }
}
