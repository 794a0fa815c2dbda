#if canImport(Glibc)
import I2OABI
import I2ODevice
import Glibc
#endif
import Fixtures
import I2OFormats
import IOPModel
import IoctlEngine
import PreloadTransport

/// The seed corpora (`i2osim-fuzz --write-seeds DIR` writes DIR/<target>/seed-N): well-formed
/// inputs of each target, so the fuzzer starts from the shapes the code accepts.
enum Seeds {
    static func le32(_ v: UInt32) -> [UInt8] { var b = [UInt8](); b.appendLE32(v); return b }
    static func le64(_ v: UInt64) -> [UInt8] { le32(UInt32(truncatingIfNeeded: v)) + le32(UInt32(v >> 32)) }
    static func le16(_ v: UInt16) -> [UInt8] { var b = [UInt8](); b.appendLE16(v); return b }

    static var operationLists: [[UInt8]] {
        [OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded(),
         OperationList([ParamOperation(code: .fieldGet, group: 0xF100, fields: .indices([0, 3])),
                        ParamOperation(code: .tableGet, group: 0xF000)]).encoded(),
         OperationList([ParamOperation(code: .listGet, group: 0xF000, keys: [[0, 0xF0]]),
                        ParamOperation(code: .sizeGet, group: 0xF001)]).encoded(),
         OperationList([ParamOperation(code: .fieldSet, group: 0xF102, fields: .indices([0]),
                                       values: [UInt8](repeating: 0x41, count: 64))]).encoded(),
         OperationList([ParamOperation(code: .tableClear, group: 0xF003),
                        ParamOperation(code: .rowDelete, group: 0xF003, keys: [[1, 0]])]).encoded()]
    }

    static var frames: [[UInt8]] {
        let sgl = SGL(elements: [.simple(flags: [.endOfBuffer, .hostToIOP], count: 16, address: 0x1000),
                                 .simple(flags: [.lastElement, .endOfBuffer], count: 256, address: 0x2000)]).encoded()
        let imm = SGL(elements: [.immediate(flags: [.lastElement, .endOfBuffer], bytes: Array("key=1".utf8))]).encoded()
        return [MessageFrame(function: .utilNOP, target: TID(rawValue: 0)).encoded(),
                MessageFrame(function: .execStatusGet, target: TID(rawValue: 0), payload: [0, 0, 0x2000, 0, 88]).encoded(),
                MessageFrame(function: .utilParamsGet, target: TID(rawValue: 0), sglOffset: WordCount(rawValue: 5),
                             payload: [0] + sgl).encoded(),
                MessageFrame(function: .execHrtGet, target: TID(rawValue: 0), sglOffset: WordCount(rawValue: 4),
                             payload: sgl).encoded(),
                MessageFrame(function: .utilConfigDialog, target: TID(rawValue: 0), sglOffset: WordCount(rawValue: 5),
                             payload: [0] + imm).encoded(),
                MessageFrame(function: .utilEventRegister, target: TID(rawValue: 0), payload: [0xFFFF_FFFF]).encoded(),
                MessageFrame(function: .execSwDownload, target: TID(rawValue: 0), sglOffset: WordCount(rawValue: 7),
                             payload: [0x0022_0000, 16, 0x001B_0001] + sgl).encoded()]
    }

    /// Block storage and SCSI frames to the `block` target's devices (BusMemory: 4 KiB at 0x1000,
    /// 64 KiB of zeroes at 0x2000).
    static var blockFrames: [[UInt8]] {
        let out = SGLFlags.simpleLastOut.word(count: 4096), into = SGLFlags.simpleLastIn.word(count: 8192)
        func bsa(_ f: I2OFunction, _ tid: UInt16, _ t: BsaTransfer, _ sgl: [UInt32]) -> [UInt8] {
            MessageFrame(function: f, target: TID(rawValue: tid), sglOffset: WordCount(rawValue: 8), payload: t.words + sgl).encoded()
        }
        func scsi(_ cdb: [UInt8], flags: UInt32, count: UInt32, _ sgl: [UInt32]) -> [UInt8] {
            var c = cdb; while c.count < 16 { c.append(0) }
            var p = [UInt32(cdb.count) | flags << 16]
            for i in stride(from: 0, to: 16, by: 4) { p.append(UInt32(c[i]) | UInt32(c[i + 1]) << 8 | UInt32(c[i + 2]) << 16 | UInt32(c[i + 3]) << 24) }
            return MessageFrame(function: .scsiScbExec, target: TID(rawValue: 0x020), sglOffset: WordCount(rawValue: 10),
                                payload: p + [count] + sgl).encoded()
        }
        return [bsa(.bsaBlockWrite, 0x010, BsaTransfer(byteCount: 4096, byteAddress: 8192), [out, 0x1000]),
                bsa(.bsaBlockRead, 0x010, BsaTransfer(byteCount: 8192, byteAddress: 4096), [into, 0x2000]),
                bsa(.bsaBlockWrite, 0x011, BsaTransfer(controlFlags: 0x10, byteCount: 4096, byteAddress: 0), [out, 0x1000]),
                MessageFrame(function: .bsaCacheFlush, target: TID(rawValue: 0x011), payload: [60 << 16]).encoded(),
                MessageFrame(function: .bsaBlockReassign, target: TID(rawValue: 0x010), payload: BsaTransfer(byteCount: 512, byteAddress: 512).words).encoded(),
                MessageFrame(function: .bsaMediaVerify, target: TID(rawValue: 0x010), payload: BsaTransfer(byteCount: 65536, byteAddress: 0).words).encoded(),
                MessageFrame(function: .bsaMediaLock, target: TID(rawValue: 0x103), payload: [0xFFFF_FFFF]).encoded(),
                MessageFrame(function: .bsaMediaEject, target: TID(rawValue: 0x103), payload: [0xFFFF_FFFF]).encoded(),
                scsi([0x12, 0, 0, 0, 36, 0], flags: 0x4020, count: 36, [into, 0x2000]),
                scsi([0x2A, 0, 0, 0, 0, 8, 0, 0, 8, 0], flags: 0x8020, count: 4096, [out, 0x1000]),
                scsi([0x28, 0, 0, 0, 0, 8, 0, 0, 16, 0], flags: 0x4020, count: 8192, [into, 0x2000]),
                scsi([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], flags: 0x4020, count: 8, [into, 0x2000])]
    }

    static func frameSequence(_ frames: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for f in frames { out += le16(UInt16(f.count)) + f }
        return out + [UInt8](repeating: 0, count: 32)   // the tail: bus memory at 0x1000
    }

    /// One ioctl request in the ioctl target's input form (known command by index).
    static func request(_ kind: IoctlCommand.Kind, _ abi: CallerABI, _ s: [UInt8]) -> [UInt8] {
        let index = IoctlCommand.all(abi).firstIndex { $0.kind == kind } ?? 0
        return [UInt8(index), abi == .lp64 ? 0 : 1] + le16(UInt16(s.count)) + s
    }
    static func ptr(_ v: UInt64, _ abi: CallerABI) -> [UInt8] { abi == .lp64 ? le64(v) : le32(UInt32(v)) }
    static func pad(_ abi: CallerABI) -> [UInt8] { abi == .lp64 ? le32(0) : [] }

    /// User memory at 0x10000: [0] u32 4096 (a length), [0x10] an operation list; 0x40000: 64 KiB zeroes.
    static var userMemory: [UInt8] {
        var m = le32(4096) + [UInt8](repeating: 0, count: 12)
        m += OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded()
        return m + [UInt8](repeating: 0, count: 64)
    }

    static func ioctlSeeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for abi in CallerABI.allCases {
            let hrtlct = le32(0) + pad(abi) + ptr(0x40000, abi) + ptr(0x10000, abi)
            let pget = le32(0) + le32(0) + ptr(0x10010, abi) + le32(8) + pad(abi) + ptr(0x40000, abi) + ptr(0x10000, abi)
            let sw = le32(0) + [0, 0x22, 0, 0] + le32(0x001B_0001) + pad(abi) + ptr(0x40000, abi) + ptr(0x10000, abi)
                + ptr(0x10004, abi) + ptr(0x10008, abi)
            let html = le32(0) + le32(0) + le32(0) + pad(abi) + ptr(0x40000, abi) + ptr(0x10000, abi) + ptr(0x10010, abi)
                + le32(8) + pad(abi)
            var pt = le32(0) + pad(abi) + ptr(0x10010, abi)
            if abi == .ilp32 { pt = le32(0) + le32(0x10010) }
            out.append(request(.getIOPs, abi, []) + request(.hrtGet, abi, hrtlct) + request(.lctGet, abi, hrtlct) + userMemory)
            out.append(request(.parmGet, abi, pget) + request(.parmSet, abi, pget) + userMemory)
            out.append(request(.swUpload, abi, sw) + request(.swDownload, abi, sw) + request(.swDelete, abi, sw)
                       + request(.validate, abi, le32(0)) + userMemory)
            out.append(request(.html, abi, html) + userMemory)
            out.append(request(.eventRegister, abi, le32(0) + le32(0) + le32(0xFFFF_FFFF))
                       + request(.eventGet, abi, []) + request(.lctGet, abi, hrtlct) + request(.eventGet, abi, []) + userMemory)
            let frame = MessageFrame(function: .execStatusGet, target: TID(rawValue: 0)).encoded()
            out.append(request(abi == .lp64 ? .passthru : .passthru32, abi, pt)
                       + le32(4096) + [UInt8](repeating: 0, count: 12) + frame)
        }
        out.append([0xF0, 0] + le16(8) + le32(0xC0186999) + le64(0))   // an unknown command number
        return out
    }

    static func preloadSeeds() -> [[UInt8]] {
        func frame(_ type: UInt32, _ body: [UInt8]) -> [UInt8] { le32(UInt32(4 + body.count)) + le32(type) + body }
        let hello = frame(1, le32(PreloadProtocol.version) + le32(0) + le32(1234))
        let getiops = IoctlCommand(.getIOPs, abi: .lp64).number
        let hrt = IoctlCommand(.hrtGet, abi: .lp64).number
        let hrtStruct = le32(0) + le32(0) + le64(0x7000) + le64(0x8000)
        return [
            hello + frame(2, le32(2)),
            hello + frame(2, le32(2)) + frame(4, le32(getiops) + le32(0) + le64(0x5000) + le64(0x5000) + le32(16) + le32(2)),
            hello + frame(2, le32(2)) + frame(4, le32(hrt) + le32(0) + le64(0x6000) + le64(0x6000) + le32(24) + le32(1) + hrtStruct)
                + frame(5, le32(0) + le32(4) + le32(4096) + le32(0)),
            hello + frame(2, le32(2)) + frame(6, le32(112)) + frame(7, le32(4)) + frame(8, []),
            hello + frame(3, le64(1) + le32(0)),
            hello + frame(9, le32(1) + le64(1)),
            frame(1, le32(PreloadProtocol.version - 1) + le32(0) + le32(0)),   // another version
            // O_ASYNC: ask, FIOASYNC on, F_SETOWN, F_SETSIG, F_SETFL on, POLL.
            hello + frame(2, le32(2)) + frame(10, le32(0) + le32(0) + le32(0) + le32(0))
                + frame(10, le32(3) + le32(1) + le32(0) + le32(0)) + frame(10, le32(4) + le32(0) + le32(0x7FFF_FFFF) + le32(0))
                + frame(10, le32(8) + le32(0) + le32(0) + le32(65)) + frame(10, le32(1) + le32(1) + le32(0) + le32(0))
                + frame(8, []),
        ]
    }

    static func all() -> [String: [[UInt8]]] {
        let fixtureText = Array(FixtureLoader.embeddedDefaultText.utf8)
        return [
            "frame": frames + [SGL(elements: [.simple(flags: [.lastElement], count: 8, address: 0x1000)], is64Bit: true)
                .encoded().flatMap { le32($0) }],
            "oplist": operationLists,
            "resultlist": [[0] + ResultList([ResultBlock(status: .success, data: [1, 2, 3, 4])]).encoded(),
                           [1] + ResultList([ResultBlock(status: .success, rows: (count: 1, more: 0), data: [1, 0, 0, 0]),
                                             ResultBlock(status: .badKeyAbort, data: [])]).encoded()],
            "iop": [frameSequence(frames), frameSequence(Array(frames.reversed()))],
            "block": [frameSequence(blockFrames), frameSequence(Array(blockFrames.reversed()))],
            "ioctl": ioctlSeeds(),
            "fixture": [fixtureText, Array("machine: tiny\niops:\n  - unit: 0\n    devices:\n      - tid: 0\n        class: EXECUTIVE\n".utf8)],
            "preload": preloadSeeds(),
            "dpt": DPTFuzz.seeds,
        ]
    }

    static func write(to dir: String) {
        for (target, seeds) in all() {
            mkdir(dir, 0o755)
            mkdir(dir + "/" + target, 0o755)
            for (n, s) in seeds.enumerated() {
                let path = "\(dir)/\(target)/seed-\(n)"
                guard let f = fopen(path, "wb") else { errorLine("cannot write \(path)\n"); exit(1) }
                _ = s.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
                fclose(f)
            }
        }
    }
}
