import I2OFormats
import IOPModel

/// A small IOP for the tests: executive (TID 0), bus adapter 0x008 (whose 0xF100 read is a known
/// failure), a disk 0x010 behind the RAID volume, and a RAID volume 0x205 with vendor groups.
enum TestMachine {
    static let volumeTID: TID = 0x205
    static let diskTID: TID = 0x010
    static let adapterTID: TID = 0x008

    /// Vendor table of the volume: MemberTID (key), State (writable), reserved, Capacity.
    static let membersSchema = ParamGroupSchema(number: 0x8010, name: "Volume Members", kind: .table, fields: [
        ParamField("MemberTID", .u16), ParamField("State", .u8, writable: true), ParamField("reserved", .u8),
        ParamField("Capacity", .u32)], rowsEditable: true)
    /// Vendor scalar of the volume: a writable CacheMode and a read-only StripeSize.
    static let volumeSchema = ParamGroupSchema(number: 0x8000, name: "Volume Info", kind: .scalar, fields: [
        ParamField("CacheMode", .u32, writable: true), ParamField("StripeSize", .u32)])
    /// A vendor table whose rows cannot be edited.
    static let fixedSchema = ParamGroupSchema(number: 0x8020, name: "Fixed Table", kind: .table, fields: [
        ParamField("Index", .u16), ParamField("Value", .u16, writable: true)])

    static func member(_ tid: UInt16, state: UInt8, capacity: UInt32) -> [UInt8] {
        var r = [UInt8](); r.appendLE16(tid); r.append(state); r.append(0); r.appendLE32(capacity); return r
    }

    static func identityRow(vendor: String, product: String, description: String, rev: String) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 8)
        r += FixedText.encode(vendor, width: 16) + FixedText.encode(product, width: 16)
        r += FixedText.encode(description, width: 16) + FixedText.encode(rev, width: 8)
        r.append(1); r += [UInt8](repeating: 0xAB, count: 16)
        return r
    }

    static let hrt = HRT(entries: [
        HRTEntry(adapterID: 0x0001_0000, controllingTID: 0, adapterState: 2, busNumber: 1, busType: HRTBusType.pci.rawValue,
                 busInfo: HRTEntry.pciInfo(function: 0, device: 5, bus: 1, vendorID: 0x9005, deviceID: 0x001F)),
        HRTEntry(adapterID: 0x0001_0001, controllingTID: 0x008, adapterState: 4, busNumber: 1, busType: HRTBusType.pci.rawValue,
                 busInfo: HRTEntry.pciInfo(function: 1, device: 5, bus: 1, vendorID: 0x9005, deviceID: 0x0020)),
    ], changeIndicator: 7)

    static var description: IOPDescription {
        let exec = DeviceDescription(
            entry: LCTEntry(localTID: 0, classID: .executive, subClass: 1, parentTID: 0, userTID: .none),
            groups: [0xF100: ParamGroup(schema: StandardGroups.deviceIdentity,
                                        rows: [identityRow(vendor: "Wind River Sys.", product: "IxWorks", description: "", rev: "0201")])],
            htmlPages: [0: Array("<html>exec</html>".utf8)])
        let adapter = DeviceDescription(
            entry: LCTEntry(localTID: adapterTID, classID: .busAdapter, subClass: 1, parentTID: 0, userTID: .none),
            failures: [KnownFailure(function: .utilParamsGet, group: 0xF100, reqStatus: .errorPartialTransfer,
                                    detailedStatus: .unknownError)])
        let disk = DeviceDescription(
            entry: LCTEntry(localTID: diskTID, classID: .randomBlockStorage, parentTID: adapterTID, userTID: volumeTID))
        let volume = DeviceDescription(
            entry: LCTEntry(localTID: volumeTID, classID: .randomBlockStorage, subClass: 0, parentTID: adapterTID,
                            userTID: .none, deviceFlags: [.configDialogRequest], changeIndicator: 1, classVersion: 1,
                            organizationID: 0x1B),
            groups: [
                0xF100: ParamGroup(schema: StandardGroups.deviceIdentity,
                                   rows: [identityRow(vendor: "DPT", product: "RAID-5", description: "Volume", rev: "3A07")]),
                0x8010: ParamGroup(schema: membersSchema, rows: [member(0x010, state: 1, capacity: 1000),
                                                                 member(0x011, state: 1, capacity: 2000),
                                                                 member(0x012, state: 0, capacity: 3000)]),
                0x8000: ParamGroup(schema: volumeSchema, rows: [[0x01, 0, 0, 0, 0x00, 0x40, 0, 0]]),
                0x8020: ParamGroup(schema: fixedSchema, rows: [[1, 0, 0x10, 0], [2, 0, 0x20, 0]]),
            ],
            htmlPages: [1: Array("<p>query={query}</p>".utf8), 2: Array(repeating: UInt8(ascii: "x"), count: 100)])
        return IOPDescription(
            unit: 0, status: StatusBlock(organizationID: 0x1B, iopID: 2, inboundFrameSize: 128, productID: "Test IOP"),
            hrt: hrt, lctIopFlags: 0, lctChangeIndicator: 5, bootDevice: volumeTID,
            devices: [exec, adapter, disk, volume],
            store: SoftwareStore(capacity: 40_000, moduleLimit: 3,
                                 modules: [SoftwareModule(swType: 0x22, swID: 0x001B_0001, bytes: [1, 2, 3], name: "preloaded")]))
    }

    static func iop() -> IOP { IOP(description) }
}

/// Builds request frames the way the Linux driver does (docs/kernels.md §Frames) and runs them.
struct Host {
    var iop = TestMachine.iop()
    let memory = BusMemory()

    /// The words of `bytes` zero-padded to whole words.
    static func words(_ bytes: [UInt8]) -> [UInt32] {
        var b = bytes; b.padToWord()
        return (try? b.littleEndianWords(what: "test")) ?? []
    }

    /// A raw operation list from its u16 fields.
    static func list(_ u16s: [UInt16]) -> [UInt8] {
        var b = [UInt8](); for v in u16s { b.appendLE16(v) }; return b
    }

    /// UtilParamsGet/Set as 2.6.18 sends it (operation list immediate) or as 2.4 does (a host→IOP element).
    mutating func params(_ tid: TID, _ opList: [UInt8], set: Bool = false, capacity: Int = 4096,
                         immediate: Bool = true) -> (reply: MessageFrame?, bytes: [UInt8]) {
        let res = memory.map(zeroes: capacity)
        var payload: [UInt32] = [0]
        if immediate {
            payload += [0x4C00_0000 | UInt32(opList.count)] + Self.words(opList)
        } else {
            payload += [0x5400_0000 | UInt32(opList.count), UInt32(memory.map(opList))]
        }
        payload += [0xD000_0000 | UInt32(capacity), UInt32(res)]
        let frame = MessageFrame(function: set ? .utilParamsSet : .utilParamsGet, target: tid, initiatorContext: 0x11,
                                 transactionContext: 0x22, sglOffset: 5, payload: payload)
        let reply = iop.post(frame, memory: memory)
        let written = Int(reply?[word: 5] ?? 0)
        return (reply, Array((memory.buffer(at: res) ?? []).prefix(reply?.reqStatus == .success ? written : 0)))
    }

    /// Runs operations and decodes the result list (row headers for table reads).
    mutating func run(_ tid: TID, _ ops: [ParamOperation], set: Bool = false, capacity: Int = 4096,
                      immediate: Bool = true) throws -> (reply: MessageFrame?, result: ResultList) {
        let (reply, bytes) = params(tid, OperationList(ops).encoded(), set: set, capacity: capacity, immediate: immediate)
        let result = try ResultList.decode(bytes, rowHeaders: ops.map(\.code.returnsRows))
        return (reply, result)
    }

    /// The single block of a FIELD_GET of `group`.
    mutating func fieldGet(_ tid: TID, _ group: UInt16, _ fields: FieldSelection = .all) throws -> ResultBlock? {
        try run(tid, [ParamOperation(code: .fieldGet, group: group, fields: fields)]).result.blocks.first
    }

    mutating func tableGet(_ tid: TID, _ group: UInt16) throws -> ResultBlock? {
        try run(tid, [ParamOperation(code: .tableGet, group: group)]).result.blocks.first
    }

    mutating func post(_ frame: MessageFrame) -> MessageFrame? { iop.post(frame, memory: memory) }

    /// Registers for events on `tid` (5-word frame, as 2.4 posts it).
    mutating func register(_ tid: TID, mask: EventIndicator, context: UInt32 = 0x77) {
        let f = MessageFrame(function: .utilEventRegister, target: tid, initiatorContext: 0x1234,
                             transactionContext: context, payload: [mask.rawValue])
        _ = iop.post(f, memory: memory)
    }

    /// ExecSwDownload/Upload frame as the kernel builds it (9 words, SGL at 7, flag byte 0xD0).
    static func swFrame(_ function: I2OFunction, current: Int, total: Int, type: UInt8, flags: UInt8, size: Int,
                        id: UInt32, count: Int, address: UInt64, sglFlags: UInt32 = 0xD000_0000) -> MessageFrame {
        MessageFrame(function: function, target: 0, sglOffset: 7, payload: [
            UInt32(flags) << 24 | UInt32(type) << 16 | UInt32(total) << 8 | UInt32(current),
            UInt32(size), id, sglFlags | UInt32(count), UInt32(address)])
    }

    mutating func download(_ module: [UInt8], current: Int, total: Int, type: UInt8 = 0x01, flags: UInt8 = 0x01,
                           id: UInt32 = 0x001B_0042, fragment: [UInt8]? = nil, size: Int? = nil,
                           sglFlags: UInt32 = 0xD000_0000) -> MessageFrame? {
        let start = (current - 1) * 8192
        let frag = fragment ?? Array(module[min(start, module.count)..<Swift.min(module.count, start + 8192)])
        let addr = memory.map(frag)
        return post(Self.swFrame(.execSwDownload, current: current, total: total, type: type, flags: flags,
                                 size: size ?? module.count, id: id, count: frag.count, address: addr, sglFlags: sglFlags))
    }

    mutating func upload(current: Int, type: UInt8 = 0x01, id: UInt32 = 0x001B_0042, capacity: Int = 8192)
        -> (reply: MessageFrame?, bytes: [UInt8]) {
        let addr = memory.map(zeroes: capacity)
        let reply = post(Self.swFrame(.execSwUpload, current: current, total: 0, type: type, flags: 0, size: 0, id: id,
                                      count: capacity, address: addr))
        return (reply, memory.buffer(at: addr) ?? [])
    }

    static func remove(type: UInt8, size: Int, id: UInt32) -> MessageFrame {
        MessageFrame(function: .execSwRemove, target: 0, payload: [UInt32(type) << 16, UInt32(size), id])
    }

    /// ExecLctNotify as 2.6.18 builds it: 8 words, SGL at 6.
    static func lctNotify(classID: UInt32 = 0xFFFF_FFFF, last: UInt32, capacity: Int, address: UInt64) -> MessageFrame {
        MessageFrame(function: .execLctNotify, target: 0, initiatorContext: 5, transactionContext: 6, sglOffset: 6,
                     payload: [classID, last, 0xD000_0000 | UInt32(capacity), UInt32(address)])
    }
}

struct NoReply: Error {}

extension Host {
    /// Posts and requires a reply frame.
    mutating func reply(_ frame: MessageFrame) throws -> MessageFrame {
        guard let r = post(frame) else { throw NoReply() }
        return r
    }
}

extension [UInt8] {
    func le16(_ at: Int) -> UInt16 { readLE16(at: at) }
    func le32(_ at: Int) -> UInt32 { readLE32(at: at) }
}

/// `#require` for values computed by mutating calls (which the macro cannot capture).
func unwrap<T>(_ value: T?) throws -> T {
    guard let value else { throw NoReply() }
    return value
}
