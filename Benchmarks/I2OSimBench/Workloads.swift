import I2OABI
import I2ODevice
import IoctlEngine
import IOPModel
import I2OFormats

/// One ioctl the benchmark repeats: its command, its argument and what to reset between calls.
struct Workload {
    var name: String
    var kind: IoctlCommand.Kind
    var argument: UInt64
    /// Called before each ioctl with the iteration number; may run extra ioctls (SWDEL).
    var prepare: (Int, inout FlatMemory, Engine, OpenFileID) -> Void = { _, _, _, _ in }
    /// Whether the struct carries pointers (the CUSE minimum is then 3 calls).
    var pointerStruct = true
    var command: UInt32 { IoctlCommand(kind, abi: .lp64).number }
}

enum Workloads {
    /// The workloads on the default machine (IOP 0; TID 0 is the executive with 0xF100 and HTML page 0).
    static func make(_ mem: inout FlatMemory) -> [Workload] {
        var all: [Workload] = []

        let iops = mem.place(zeroes: 32)
        all.append(Workload(name: "GETIOPS", kind: .getIOPs, argument: iops, pointerStruct: false))

        let ops = Structs.fieldGetAll(0xF100)
        let opbuf = mem.place(ops), res = mem.place(zeroes: 1024), reslen = mem.placeU32(1024)
        let parm = mem.place(IoctlStructs.PsetGet(iop: 0, tid: 0, opbuf: opbuf, oplen: UInt32(ops.count), resbuf: res, reslen: reslen).encoded(.lp64))
        all.append(Workload(name: "PARMGET 0xF100", kind: .parmGet, argument: parm,
                            prepare: { _, m, _, _ in m.setU32(1024, at: reslen) }))

        let tres = mem.place(zeroes: 8192), tlen = mem.placeU32(8192)
        let lct = mem.place(IoctlStructs.HrtLct(iop: 0, resbuf: tres, reslen: tlen).encoded(.lp64))
        all.append(Workload(name: "LCTGET", kind: .lctGet, argument: lct, prepare: { _, m, _, _ in m.setU32(8192, at: tlen) }))
        let hres = mem.place(zeroes: 4096), hlen = mem.placeU32(4096)
        let hrt = mem.place(IoctlStructs.HrtLct(iop: 0, resbuf: hres, reslen: hlen).encoded(.lp64))
        all.append(Workload(name: "HRTGET", kind: .hrtGet, argument: hrt, prepare: { _, m, _, _ in m.setU32(4096, at: hlen) }))

        // SWDL: a 64 KiB module in 8 fragments of 8 KiB; after the 8th the module is deleted (SWDEL),
        // so the store never fills. The delete is part of the timed loop (one per 8 fragments).
        let fragments = 8
        let image = mem.place((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) })
        let swlen = mem.placeU32(UInt32(fragments * 8192)), maxfrag = mem.placeU32(UInt32(fragments)), curfrag = mem.placeU32(1)
        let dl = mem.place(IoctlStructs.SwXfer(iop: 0, flags: 0x03, swType: 0x01, swID: 0x001B_0042, buf: image, swlen: swlen, maxfrag: maxfrag, curfrag: curfrag).encoded(.lp64))
        let dlen = mem.placeU32(0), dmax = mem.placeU32(0), dcur = mem.placeU32(0)
        let del = mem.place(IoctlStructs.SwXfer(iop: 0, flags: 0x03, swType: 0x01, swID: 0x001B_0042, buf: 0, swlen: dlen, maxfrag: dmax, curfrag: dcur).encoded(.lp64))
        all.append(Workload(name: "SWDL 8 KiB fragment", kind: .swDownload, argument: dl, prepare: { i, m, engine, file in
            let n = i % fragments
            if n == 0 && i > 0 {
                m.setU32(0, at: dlen)
                _ = try? engine.ioctl(file, command: IoctlCommand(.swDelete, abi: .lp64).number, argument: del, abi: .lp64, memory: &m)
            }
            m.setU32(UInt32(n + 1), at: curfrag)
        }))

        let page = mem.place(zeroes: 4096), plen = mem.placeU32(4096)
        let html = mem.place(IoctlStructs.HTML(iop: 0, tid: 0, page: 0, resbuf: page, reslen: plen, qbuf: 0, qlen: 0).encoded(.lp64))
        all.append(Workload(name: "HTML page", kind: .html, argument: html, prepare: { _, m, _, _ in m.setU32(4096, at: plen) }))

        // PASSTHRU of UtilParamsGet (FieldGet 0xF100, all fields) to TID 0, 16-word reply area.
        let pops = mem.place(ops), pres = mem.place(zeroes: 256)
        var words: [UInt32] = [9 << 16 | 0x51, 0x06 << 24 | 1 << 12 | 0, 0xAAAA_0001, 0xBBBB_0002, 0,
                               0x5400_0000 | UInt32(ops.count), UInt32(pops), 0xD000_0000 | 256, UInt32(pres)]
        words += [16 << 16] + [UInt32](repeating: 0, count: 15)
        var msgBytes = [UInt8](); for w in words { msgBytes.appendLE(w) }
        let msg = mem.place(msgBytes)
        let replyAt = msg + 9 * 4
        all.append(Workload(name: "PASSTHRU UtilParamsGet", kind: .passthru, argument: mem.place(IoctlStructs.Passthru(iop: 0, msg: msg).encoded(.passthru, .lp64)),
                            prepare: { _, m, _, _ in m.setU32(16 << 16, at: replyAt) }))
        return all
    }

    /// VALIDATE and EVTGET: only for counting CUSE calls (VALIDATE changes state; EVTGET finds the queue empty).
    static func countingOnly(_ mem: inout FlatMemory) -> [Workload] {
        let evt = mem.place(zeroes: 112)
        // EVTGET needs a registration to get past ENOENT; the queue is then empty (EAGAIN after its fetch).
        var reg = [UInt8](); reg.appendLE(UInt32(0)); reg.appendLE(UInt32(0)); reg.appendLE(UInt32(0xFFFF_FFFF))
        let regAt = mem.place(reg)
        return [Workload(name: "EVTGET (one event queued)", kind: .eventGet, argument: evt, prepare: { _, m, engine, file in
                    _ = try? engine.ioctl(file, command: IoctlCommand(.eventRegister, abi: .lp64).number, argument: regAt,
                                          abi: .lp64, memory: &m)
                    engine.withMachine { machine in machine.iops[0]?.raiseEvent(tid: TID(rawValue: 0), indicator: EventIndicator(rawValue: 0x4000_0000), data: [1, 2, 3, 4]) }
                }, pointerStruct: false),
                Workload(name: "VALIDATE", kind: .validate, argument: 0, pointerStruct: false)]
            + [true, false].map { write in
                // 64 KiB BsaBlockWrite / BsaBlockRead through PASSTHRU to the default machine's RAID-1
                // (TID 0x203), as bench-client's bsawrite / bsaread; the reply area reset before each.
                let w = blockWorkload(&mem, name: write ? "BSAWRITE 64 KiB" : "BSAREAD 64 KiB", write: write, tid: 0x203,
                                      bytes: 65536, at: 0)
                return Workload(name: w.name, kind: .passthru, argument: w.argument,
                                prepare: { _, m, _, _ in m.setU32(16 << 16, at: w.msg + 10 * 4) })
            }
    }
}
