import I2OABI
import I2ODevice
import EngineTestSupport
import Fixtures
import I2OFormats
import IOPModel
import IoctlEngine
import Testing

/// Every ioctl × every kind of bad input, both layouts: the errno `docs/contract.md` (and
/// `docs/decisions.md`) names, no change to the machine or the caller's event queue, no store
/// outside a reserved range, and the engine still serving afterwards.
struct BadInputMatrixTests {
    static let bad = FakeUserMemory.unmapped
    static let huge: [UInt32] = [0x8000_0000, 0xFFFF_FFFF]

    /// One cell: a name and a builder of (memory, argument) with the expected errno.
    struct Cell: CustomStringConvertible {
        var kind: IoctlCommand.Kind
        var variant: String
        var expected: Errno
        var build: (inout FakeUserMemory, CallerABI) -> UInt64
        var description: String { "\(kind.name) \(variant)" }
    }

    /// A valid operation list: FIELD_GET of 0xF100 (Device Identity), all fields.
    static let ops = OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded()

    static func cells(_ abi: CallerABI) -> [Cell] {
        var c: [Cell] = []
        let kinds = IoctlCommand.all(abi).map(\.kind)
        // The struct itself: unmapped, NULL, one byte short (an unmapped gap follows it).
        for k in kinds where k != .validate {
            let size = IoctlCommand(k, abi: abi).structSize
            c.append(Cell(kind: k, variant: "bad struct pointer", expected: .EFAULT) { _, _ in bad })
            c.append(Cell(kind: k, variant: "NULL struct", expected: .EFAULT) { _, _ in 0 })
            c.append(Cell(kind: k, variant: "short struct (\(size - 1) of \(size) bytes)", expected: .EFAULT) { m, _ in
                m.place([UInt8](repeating: 0, count: size - 1))
            })
        }
        // HRTGET, LCTGET.
        for k in [IoctlCommand.Kind.hrtGet, .lctGet] {
            func cell(_ v: String, _ e: Errno, iop: UInt32 = 0, resbuf: UInt64? = nil, reslen: UInt64? = nil) -> Cell {
                Cell(kind: k, variant: v, expected: e) { m, abi in
                    let r = resbuf ?? m.place(zeroes: 4096), l = reslen ?? m.placeU32(4096)
                    return m.place(IoctlStructs.HrtLct(iop: iop, resbuf: r, reslen: l).encoded(abi))
                }
            }
            c += [cell("bad resbuf", .EFAULT, resbuf: bad), cell("NULL resbuf", .EFAULT, resbuf: 0),
                  cell("bad reslen", .EFAULT, reslen: bad), cell("NULL reslen", .EFAULT, reslen: 0),
                  cell("missing IOP", .ENXIO, iop: 7), cell("IOP 2^32-1", .ENXIO, iop: 0xFFFF_FFFF)]
            for h in huge {
                c.append(Cell(kind: k, variant: "*reslen \(h), 16-byte resbuf", expected: .EFAULT) { m, abi in
                    let r = m.place(zeroes: 16), l = m.placeU32(h)
                    return m.place(IoctlStructs.HrtLct(iop: 0, resbuf: r, reslen: l).encoded(abi))
                })
            }
        }
        // PARMGET, PARMSET.
        for k in [IoctlCommand.Kind.parmGet, .parmSet] {
            func cell(_ v: String, _ e: Errno, iop: UInt32 = 0, tid: UInt32 = 0, opbuf: UInt64? = nil, oplen: UInt32? = nil,
                      resbuf: UInt64? = nil, reslen: UInt64? = nil) -> Cell {
                Cell(kind: k, variant: v, expected: e) { m, abi in
                    let o = opbuf ?? m.place(ops), r = resbuf ?? m.place(zeroes: 4096), l = reslen ?? m.placeU32(4096)
                    return m.place(IoctlStructs.PsetGet(iop: iop, tid: tid, opbuf: o, oplen: oplen ?? UInt32(ops.count), resbuf: r, reslen: l).encoded(abi))
                }
            }
            c += [cell("bad opbuf", .EFAULT, opbuf: bad), cell("NULL opbuf", .EFAULT, opbuf: 0),
                  cell("bad resbuf", .EFAULT, resbuf: bad), cell("NULL resbuf", .EFAULT, resbuf: 0),
                  cell("bad reslen", .EFAULT, reslen: bad), cell("missing IOP", .ENXIO, iop: 7),
                  cell("missing TID", .ENXIO, tid: 0x777), cell("oplen 2", .EINVAL, oplen: 2)]
            for h in huge { c.append(cell("oplen \(h)", .EINVAL, oplen: h)) }
        }
        // SWDL, SWUL, SWDEL: the stored module of the default fixture is (0x01, 0x001B0001), 65536 bytes.
        for k in [IoctlCommand.Kind.swDownload, .swUpload, .swDelete] {
            func cell(_ v: String, _ e: Errno, iop: UInt32 = 0, swID: UInt32 = 0x001B_0001, buf: UInt64? = nil,
                      swlen: UInt64? = nil, maxfrag: UInt64? = nil, curfrag: UInt64? = nil,
                      values: (UInt32, UInt32, UInt32) = (8192, 1, 1)) -> Cell {
                Cell(kind: k, variant: v, expected: e) { m, abi in
                    let b = buf ?? m.place(zeroes: 8192)
                    let s = swlen ?? m.placeU32(values.0), mx = maxfrag ?? m.placeU32(values.1), cu = curfrag ?? m.placeU32(values.2)
                    return m.place(IoctlStructs.SwXfer(iop: iop, flags: 0, swType: 0x01, swID: swID, buf: b, swlen: s, maxfrag: mx, curfrag: cu).encoded(abi))
                }
            }
            c += [cell("bad swlen", .EFAULT, swlen: bad), cell("missing IOP", .ENXIO, iop: 7)]
            if k != .swDelete {
                c += [cell("bad buf", .EFAULT, buf: bad), cell("NULL buf", .EFAULT, buf: 0),
                      cell("bad maxfrag", .EFAULT, maxfrag: bad), cell("bad curfrag", .EFAULT, curfrag: bad)]
            }
            for h in huge {
                switch k {
                case .swDownload:
                    c += [cell("*swlen \(h)", .EINVAL, values: (h, 1, 1)), cell("*maxfrag \(h)", .EINVAL, values: (8192, h, 1)),
                          cell("*curfrag \(h)", .EINVAL, values: (8192, 1, h))]
                case .swUpload:
                    c += [cell("*curfrag \(h)", .EINVAL, values: (8192, 1, h)),
                          cell("*maxfrag \(h)", .EINVAL, values: (8192, h, 1))]
                default:
                    c += [cell("*swlen \(h) (size mismatch)", .EIO, values: (h, 1, 1))]
                }
            }
            if k != .swDownload { c.append(cell("no such module", .EIO, swID: 0x0BAD_0001)) }
        }
        // VALIDATE: the IOP number by value.
        for iop: UInt64 in [7, 0x8000_0000, 0xFFFF_FFFF] {
            c.append(Cell(kind: .validate, variant: "IOP \(iop)", expected: .ENXIO) { _, _ in iop })
        }
        // HTML.
        func html(_ v: String, _ e: Errno, iop: UInt32 = 0, tid: UInt32 = 0, page: UInt32 = 0, resbuf: UInt64? = nil,
                  reslen: UInt64? = nil, qbuf: UInt64? = nil, qlen: UInt32 = 0, reslenValue: UInt32 = 4096) -> Cell {
            Cell(kind: .html, variant: v, expected: e) { m, abi in
                let r = resbuf ?? m.place(zeroes: reslenValue > 4096 ? 16 : 4096), l = reslen ?? m.placeU32(reslenValue)
                let q = qbuf ?? m.place(Array("a=1&b=2".utf8))
                return m.place(IoctlStructs.HTML(iop: iop, tid: tid, page: page, resbuf: r, reslen: l, qbuf: q, qlen: qlen).encoded(abi))
            }
        }
        c += [html("bad resbuf", .EFAULT, resbuf: bad), html("NULL resbuf", .EFAULT, resbuf: 0),
              html("bad reslen", .EFAULT, reslen: bad), html("bad qbuf", .EFAULT, qbuf: bad, qlen: 7),
              html("missing IOP", .ENXIO, iop: 7), html("missing TID", .ENXIO, tid: 0x777),
              html("no such page", .EIO, page: 0x7777)]
        for h in huge {
            c += [html("qlen \(h)", .EINVAL, qlen: h), html("*reslen \(h), 16-byte resbuf", .EFAULT, reslenValue: h)]
        }
        // EVTREG.
        c.append(Cell(kind: .eventRegister, variant: "missing IOP", expected: .ENXIO) { m, _ in
            m.place(IoctlStructs.EventRegistration(iop: 7, tid: 0, eventMask: 0xFFFF_FFFF).encoded) })
        c.append(Cell(kind: .eventRegister, variant: "missing TID", expected: .ENODEV) { m, _ in
            m.place(IoctlStructs.EventRegistration(iop: 0, tid: 0x777, eventMask: 0xFFFF_FFFF).encoded) })
        // PASSTHRU / PASSTHRU32.
        for k in kinds where k == .passthru || k == .passthru32 {
            let structABI: CallerABI = k == .passthru32 ? .ilp32 : abi
            func cell(_ v: String, _ e: Errno, iop: UInt32 = 0, msg: UInt64? = nil, frame: [UInt32]? = nil) -> Cell {
                Cell(kind: k, variant: v, expected: e) { m, _ in
                    var bytes = [UInt8]()
                    for w in frame ?? [] { bytes.appendLE32(w) }
                    bytes += [UInt32(128 << 16)].littleEndianBytes + [UInt8](repeating: 0, count: 124 * 4)   // the reply area
                    let a = msg ?? m.place(bytes)
                    return m.place(IoctlStructs.Passthru(iop: iop, msg: a).encoded(.passthru, structABI))
                }
            }
            // UtilParamsGet to TID 0 with a 2-element SGL (operation list out, result in).
            func paramsGet(opAddress: UInt32, count: UInt32 = 8) -> [UInt32] {
                [UInt32(9 << 16 | 5 << 4 | 1), UInt32(0x06) << 24 | 1 << 12 | 0, 0, 0, 0,
                 0xD400_0000 | count, opAddress, 0xD000_0000 | 4096, 0x1000]
            }
            c += [cell("bad msg", .EFAULT, msg: bad), cell("NULL msg", .EFAULT, msg: 0),
                  cell("missing IOP", .ENXIO, iop: 7),
                  cell("MessageSize 65535 words", .EINVAL, frame: [UInt32(0xFFFF << 16 | 1), 0, 0, 0]),
                  cell("bad SGL address", .EFAULT, frame: paramsGet(opAddress: UInt32(truncatingIfNeeded: bad))),
                  cell("SGL of 2^24-1 bytes", .ENOMEM, frame: paramsGet(opAddress: 0x1000, count: 0xFF_FFFF))]
        }
        return c
    }

    static let description: MachineDescription = {
        (try? FixtureLoader.loadDefault()) ?? MachineDescription(name: "empty", iops: [])
    }()

    @Test(arguments: CallerABI.allCases)
    func everyCellGivesItsErrnoAndChangesNothing(abi: CallerABI) throws {
        let engine = Engine(machine: Machine(Self.description))
        let file = engine.open()
        // One event queued on the file, so EVTGET has something it must not lose.
        var setup = FakeUserMemory()
        let reg = setup.place(IoctlStructs.EventRegistration(iop: 0, tid: 0, eventMask: 0xFFFF_FFFF).encoded)
        #expect(try engine.ioctl(file, command: IoctlCommand(.eventRegister, abi: abi).number, argument: reg, abi: abi,
                                 memory: &setup) == .success)
        engine.withMachine { m in m.iops[IOPUnit(rawValue: 0)]?.raiseEvent(tid: TID(rawValue: 0), indicator: .stateChange, data: [1, 2, 3, 4]) }
        let queued = engine.queuedEvents(file)?.events.count ?? 0
        #expect(queued >= 1)

        let cells = Self.cells(abi)
        #expect(cells.count > 60)
        var failures: [String] = []
        for cell in cells {
            let before = engine.machine.snapshot
            var mem = FakeUserMemory()
            let argument = cell.build(&mem, abi)
            let command = IoctlCommand(cell.kind, abi: abi).number
            let result = try engine.ioctl(file, command: command, argument: argument, abi: abi, memory: &mem)
            if result != .error(cell.expected) { failures.append("\(cell): \(result), expected -1 \(cell.expected)") }
            if engine.machine.snapshot != before { failures.append("\(cell): the machine changed") }
            if engine.queuedEvents(file)?.events.count != queued { failures.append("\(cell): the event queue changed") }
            if mem.unreservedStores != 0 { failures.append("\(cell): \(mem.unreservedStores) stores outside reserved ranges") }
            // Still serving: GETIOPS on the same file.
            var ok = FakeUserMemory()
            let out = ok.place(zeroes: 32)
            let r = try engine.ioctl(file, command: IoctlCommand(.getIOPs, abi: abi).number, argument: out, abi: abi, memory: &ok)
            if r != .success || ok.read(out, 1) != [1] { failures.append("\(cell): GETIOPS afterwards gave \(r)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cells.count) cells:\n\(failures.joined(separator: "\n"))")
    }

    /// An unknown command number and an unknown open file.
    @Test(arguments: CallerABI.allCases)
    func unknownCommandAndFile(abi: CallerABI) throws {
        let engine = Engine(machine: Machine(Self.description))
        let file = engine.open()
        var mem = FakeUserMemory()
        let a = mem.place(zeroes: 64)
        for command: UInt32 in [0, 0xFFFF_FFFF, 0xC018_69FF, IoctlCommand(.getIOPs, abi: abi).number ^ 0x0001_0000] {
            #expect(try engine.ioctl(file, command: command, argument: a, abi: abi, memory: &mem) == .error(.EINVAL))
        }
        engine.release(file)
        #expect(try engine.ioctl(file, command: IoctlCommand(.getIOPs, abi: abi).number, argument: a, abi: abi,
                                 memory: &mem) == .error(.EBADF))
        #expect(try engine.ioctl(OpenFileID(rawValue: 0xFFFF), command: IoctlCommand(.getIOPs, abi: abi).number,
                                 argument: a, abi: abi, memory: &mem) == .error(.EBADF))
    }
}
