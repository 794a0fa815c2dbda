import I2OABI
import I2ODevice
import Testing
import EngineTestSupport
import I2OFormats
import IOPModel
import Synchronization
@testable import IoctlEngine

/// Records every post-wait it is asked for and returns at once.
final class RecordingWaiter: PostWaiter {
    private let asked = Mutex<[Duration]>([])
    func waitForReply(upTo timeout: Duration) { asked.withLock { $0.append(timeout) } }
    var waits: [Duration] { asked.withLock { $0 } }
}

/// An IOP that answers no frame while `silent` (hung or failed), as a frame interceptor.
final class SilentIOP: FrameInterceptor {
    let isActive = true
    private let state: Atomic<Bool>
    init(silent: Bool = true) { state = Atomic(silent) }
    var silent: Bool {
        get { state.load(ordering: .relaxed) }
        set { state.store(newValue, ordering: .relaxed) }
    }
    func post(_ frame: MessageFrame, to unit: IOPUnit, iop: IOP?, memory: BusMemory, request: RequestScope?,
              next: (MessageFrame) -> MessageFrame?) -> MessageFrame? { silent ? nil : next(frame) }
}

/// docs/kernels.md §PostWait: a frame the IOP does not answer costs the caller its personality's
/// post-wait, then the kernel's no-reply answer — and nothing reaches the model or the caller's
/// buffers before it.
@Suite struct PostWaitTests {
    static func harness(_ personality: PersonalityName, silent: Bool = true, scale: Double = 1)
        -> (Harness, RecordingWaiter) {
        let waiter = RecordingWaiter()
        let engine = Engine(machine: Machine(TestMachine.description), personality: personality,
                            frameInterceptors: silent ? [SilentIOP()] : [], timeoutScale: scale, postWaiter: waiter)
        return (Harness(.lp64, engine: engine), waiter)
    }

    @Test func documentedParamsWaitTenSecondsThenETIMEDOUT() {
        var (h, waiter) = Self.harness(.documented)
        let (r, len, _) = h.params(.parmGet, tid: 0x010, ops: Ops.getVendor, capacity: 777)
        #expect(r == .error(.ETIMEDOUT))
        #expect(len == 777)   // *reslen as the caller left it
        #expect(waiter.waits == [.seconds(10)])
        // A set that is never answered changes nothing.
        let before = h.iop0.parameterGroup(0x8000, of: TID(rawValue: 0x010))
        #expect(h.params(.parmSet, tid: 0x010, ops: Ops.setCacheMode(7)).0 == .error(.ETIMEDOUT))
        #expect(h.iop0.parameterGroup(0x8000, of: TID(rawValue: 0x010)) == before)
        #expect(waiter.waits == [.seconds(10), .seconds(10)])
    }

    @Test func linux2618ParmGetIsEAGAINWithReslenUntouched() {
        var (h, waiter) = Self.harness(.linux2618)
        let (r, len, _) = h.params(.parmGet, tid: 0x010, ops: Ops.getVendor, capacity: 777)
        #expect(r == .error(.EAGAIN))
        #expect(len == 777)
        #expect(waiter.waits == [.seconds(10)])
    }

    @Test func linux2618SwDelAndValidateTimeOutAfterTenSeconds() {
        var (h, waiter) = Self.harness(.linux2618)
        let (r, swlen, _) = h.sw(.swDelete, swID: 0x001B_0001, buf: 0, swlen: 0, maxfrag: 0, curfrag: 0)
        #expect(r == .error(.ETIMEDOUT))
        #expect(swlen == 0)
        #expect(h.iop0.store.modules.count == 1)   // not removed
        #expect(h.ioctl(.validate, 0) == .error(.ETIMEDOUT))
        #expect(waiter.waits == [.seconds(10), .seconds(10)])
    }

    @Test func linux2618PassthruReplyWord4IsMinusETIMEDOUTAfterSixtySeconds() {
        var (h, waiter) = Self.harness(.linux2618)
        let ops = h.mem.place(Ops.getVendor), res = h.mem.place([UInt8](repeating: 0xEE, count: 64))
        let frame = PassthruTests.paramsGet(tid: 0x010, ops: ops, oplen: Ops.getVendor.count, res: res, reslen: 64)
        let (r, reply, _) = h.passthru(.passthru, frame: frame, replyWords: 6)
        #expect(r == .error(.ETIMEDOUT))
        #expect(reply == [0, 0, 0xAAAA_0001, 0xBBBB_0002, 0x9200_0000, 0])
        #expect(h.mem.read(res, 64) == [UInt8](repeating: 0xEE, count: 64))   // no copy-back
        #expect(waiter.waits == [.seconds(60)])
    }

    @Test func linux24HTMLWaitsItsConfigDialogTimeout() {
        var (h, waiter) = Self.harness(.linux24)
        let res = h.mem.place(zeroes: 256), len = h.mem.placeU32(256)
        let r = h.call(.html, IoctlStructs.HTML(iop: 0, tid: 0x010, page: 2, resbuf: res, reslen: len, qbuf: 0, qlen: 0).encoded(.lp64))
        #expect(r == .error(.ETIMEDOUT))
        #expect(h.mem.u32(len) == 256)
        #expect(waiter.waits == [.seconds(400)])
    }

    @Test func theScaleShrinksTheWait() {
        var (h, waiter) = Self.harness(.documented, scale: 0.01)
        #expect(h.params(.parmGet, tid: 0x010, ops: Ops.getVendor).0 == .error(.ETIMEDOUT))
        #expect(waiter.waits == [.milliseconds(100)])
    }

    @Test func framesPostedWithoutWaitingCostNothing() {
        // 2.6.18 posts UtilEventRegister and does not wait for it.
        var (h, waiter) = Self.harness(.linux2618)
        #expect(h.register(tid: 0x010, mask: 0xFFFF) == .success)
        #expect(waiter.waits.isEmpty)
    }

    @Test func anAnsweringIOPCostsNoWaitButANeverAnsweredFunctionDoes() {
        var (h, waiter) = Self.harness(.linux2618, silent: false)
        #expect(h.params(.parmGet, tid: 0x010, ops: Ops.getVendor).0 == .success)
        #expect(waiter.waits.isEmpty)
        // UtilNOP has no reply: the kernel's PASSTHRU waits its 60 s for it.
        let nop: [UInt32] = [4 << 16 | 1, 0x00 << 24 | 1 << 12, 7, 8]
        #expect(h.passthru(.passthru, frame: nop, replyWords: 6).0 == .error(.ETIMEDOUT))
        #expect(waiter.waits == [.seconds(60)])
    }
}
