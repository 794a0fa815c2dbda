import I2OABI
import I2ODevice
import EngineTestSupport
import I2OFormats
import IOPModel
@testable import IoctlEngine

/// Bytes for the tests (the ioctl structs come from `IoctlStructs`).
enum Encode {
    static func u16s(_ v: [UInt16]) -> [UInt8] { var b = [UInt8](); for x in v { b.appendLE16(x) }; return b }
}

/// The machine of the tests: IOP 0 with the executive, a bus adapter, a disk with a vendor
/// group and HTML pages, a stored module; IOP 1 with only its executive and 64-word frames.
enum TestMachine {
    static let adapter: TID = 0x008
    static let disk: TID = 0x010
    /// Vendor scalar of the disk: a writable CacheMode (1) and a read-only StripeSize (0x4000).
    static let vendorSchema = ParamGroupSchema(number: 0x8000, name: "Disk Info", kind: .scalar, fields: [
        ParamField("CacheMode", .u32, writable: true), ParamField("StripeSize", .u32)])
    static let stored = SoftwareModule(swType: 0x22, swID: 0x001B_0001, bytes: (0..<20000).map { UInt8(truncatingIfNeeded: $0 * 7) },
                                       name: "stored")

    static var description: MachineDescription {
        let exec = DeviceDescription(entry: LCTEntry(localTID: 0, classID: .executive, parentTID: 0),
                                     htmlPages: [0: Array("<html>exec</html>".utf8)])
        let adapterDevice = DeviceDescription(entry: LCTEntry(localTID: adapter, classID: .busAdapter, subClass: 1, parentTID: 0))
        let diskDevice = DeviceDescription(
            entry: LCTEntry(localTID: disk, classID: .randomBlockStorage, parentTID: adapter, organizationID: 0x1B),
            groups: [0x8000: ParamGroup(schema: vendorSchema, rows: [[1, 0, 0, 0, 0x00, 0x40, 0, 0]])],
            htmlPages: [1: Array("<p>query={query}</p>".utf8), 2: Array("<p>status ok</p>".utf8)])
        let hrt = HRT(entries: [
            HRTEntry(adapterID: 0x0001_0000, controllingTID: 0, adapterState: 2, busNumber: 1, busType: HRTBusType.pci.rawValue,
                     busInfo: HRTEntry.pciInfo(function: 0, device: 5, bus: 1, vendorID: 0x1044, deviceID: 0xA501)),
            HRTEntry(adapterID: 0x0001_0001, controllingTID: adapter, adapterState: 4, busNumber: 1,
                     busType: HRTBusType.pci.rawValue),
        ], changeIndicator: 3)
        let iop0 = IOPDescription(unit: 0, status: StatusBlock(organizationID: 0x1B, inboundFrameSize: 128, productID: "Test IOP"),
                                  hrt: hrt, lctIopFlags: 0x11, lctChangeIndicator: 9, bootDevice: disk,
                                  devices: [exec, adapterDevice, diskDevice],
                                  store: SoftwareStore(capacity: 60_000, moduleLimit: 4, modules: [stored]))
        let exec1 = DeviceDescription(entry: LCTEntry(localTID: 0, classID: .executive, parentTID: 0))
        let iop1 = IOPDescription(unit: 1, status: StatusBlock(inboundFrameSize: 64, productID: "Second IOP"),
                                  hrt: HRT(entries: []), devices: [exec1])
        return MachineDescription(name: "test", iops: [iop0, iop1])
    }
}

/// An engine, one open file and a caller address space.
struct Harness {
    let engine: Engine
    var file: OpenFileID
    var mem = FakeUserMemory()
    let abi: CallerABI

    init(_ abi: CallerABI, engine: Engine? = nil) {
        self.abi = abi
        self.engine = engine ?? Engine(machine: Machine(TestMachine.description))
        file = self.engine.open()
    }

    /// Runs `kind` with `argument`, answering NeedsRound as a transport would (run again).
    mutating func ioctl(_ kind: IoctlCommand.Kind, _ argument: UInt64, file: OpenFileID? = nil) -> IoctlResult {
        mem.rounds = 0
        mem.reserved = []
        mem.uncheckedReserved = []
        let number = IoctlCommand(kind, abi: kind == .passthru32 ? abi : abi).number
        for _ in 0..<8 {
            do { return try engine.ioctl(file ?? self.file, command: number, argument: argument, abi: abi, memory: &mem) }
            catch { continue }
        }
        return .error(.EAGAIN)
    }

    /// Places a struct and runs the ioctl on it.
    mutating func call(_ kind: IoctlCommand.Kind, _ bytes: [UInt8], file: OpenFileID? = nil) -> IoctlResult {
        let a = mem.place(bytes)
        return ioctl(kind, a, file: file)
    }

    var iop0: IOP { engine.machine.iops[0]! }

    // Common request shapes.

    /// HRTGET/LCTGET with a `capacity`-byte buffer; returns the result, *reslen and the buffer.
    mutating func table(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, capacity: UInt32 = 4096)
        -> (IoctlResult, UInt32?, [UInt8]) {
        let res = mem.place(zeroes: Int(capacity)), len = mem.placeU32(capacity)
        let r = call(kind, IoctlStructs.HrtLct(iop: iop, resbuf: res, reslen: len).encoded(abi))
        return (r, mem.u32(len), mem.read(res, Int(capacity)) ?? [])
    }

    /// PARMGET/PARMSET; returns the result, *reslen and the first *reslen bytes of the buffer.
    mutating func params(_ kind: IoctlCommand.Kind, iop: UInt32 = 0, tid: TID, ops: [UInt8], capacity: UInt32 = 1024,
                         file: OpenFileID? = nil) -> (IoctlResult, UInt32, [UInt8]) {
        let opbuf = mem.place(ops), res = mem.place(zeroes: Int(capacity)), len = mem.placeU32(capacity)
        let r = call(kind, IoctlStructs.PsetGet(iop: iop, tid: UInt32(tid.rawValue), opbuf: opbuf, oplen: UInt32(ops.count), resbuf: res, reslen: len).encoded(abi), file: file)
        let n = mem.u32(len) ?? 0
        return (r, n, mem.read(res, Int(min(n, capacity))) ?? [])
    }

    /// EVTREG for (iop, tid, mask) on `file`.
    mutating func register(iop: UInt32 = 0, tid: UInt32, mask: UInt32, file: OpenFileID? = nil) -> IoctlResult {
        call(.eventRegister, EventID(iop: iop, tid: tid, eventMask: mask).encoded(), file: file)
    }

    /// EVTGET into a fresh 112-byte buffer.
    mutating func eventGet(file: OpenFileID? = nil) -> (IoctlResult, EventGet?) {
        let a = mem.place(zeroes: EventGet.byteCount)
        let r = ioctl(.eventGet, a, file: file)
        return (r, mem.read(a, EventGet.byteCount).flatMap { try? EventGet.decode($0) })
    }
}

/// Operation lists used by the tests.
enum Ops {
    /// FIELD_GET of every field of group 0x8000.
    static let getVendor = Encode.u16s([1, 0, 1, 0x8000, 0xFFFF, 0])
    /// FIELD_SET of field 0 (CacheMode) of 0x8000 to `value`.
    static func setCacheMode(_ value: UInt32) -> [UInt8] {
        var b = Encode.u16s([1, 0, 6, 0x8000, 1, 0]); b.appendLE32(value); return b
    }
    /// FIELD_SET of field 1 (StripeSize, read-only) of 0x8000.
    static let setStripe: [UInt8] = { var b = Encode.u16s([1, 0, 6, 0x8000, 1, 1]); b.appendLE32(0x8000); return b }()
}

extension IoctlResult {
    var errno: Errno? { if case let .error(e) = self { return e }; return nil }
}
