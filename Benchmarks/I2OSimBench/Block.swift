#if canImport(Glibc)
import Glibc
#endif
import Fixtures
import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Simulator

// MARK: block storage in-process: BsaBlockRead/Write through PASSTHRU

/// A machine with one plain disk (TID 0x010, 64 MiB in memory) and a RAID 5 of three such disks
/// (TID 0x020).
let blockFixture = """
machine: bench-block
iops:
  - unit: 0
    status: {inbound_frame_size: 128}
    devices:
      - {tid: 0, class: EXECUTIVE}
      - {tid: 0x010, class: RANDOM_BLOCK_STORAGE, storage: {disk: plain, blocks: 131072}}
      - {tid: 0x100, class: RANDOM_BLOCK_STORAGE, user: 0x020, storage: {disk: m0, blocks: 131072}}
      - {tid: 0x101, class: RANDOM_BLOCK_STORAGE, user: 0x020, storage: {disk: m1, blocks: 131072}}
      - {tid: 0x102, class: RANDOM_BLOCK_STORAGE, user: 0x020, storage: {disk: m2, blocks: 131072}}
      - {tid: 0x020, class: RANDOM_BLOCK_STORAGE, storage: {raid: 5, members: [0x100, 0x101, 0x102], blocks: 262144, stripe: 128}}
"""

/// One BSA transfer through PASSTHRU: its ioctl argument and the words to reset between calls.
struct BlockWorkload {
    var name: String
    var argument: UInt64
    var msg: UInt64
    var frame: [UInt32]
    var bytes: Int
    /// How the byte address moves between calls: not at all, 4 KiB on, or to a random 4 KiB block.
    enum Walk { case fixed, sequential, random }
    var walk: Walk { name.contains("sequential") ? .sequential : name.contains("random") ? .random : .fixed }
}

func blockWorkload(_ mem: inout FlatMemory, name: String, write: Bool, tid: UInt16, bytes: Int, at byte: UInt64) -> BlockWorkload {
    let data = mem.place((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    let flags: UInt32 = write ? 0xD4 : 0xD0
    var words: [UInt32] = [10 << 16 | 0x81, UInt32(write ? 0x31 : 0x30) << 24 | 1 << 12 | UInt32(tid), 1, 2,
                           0x001F_0008, UInt32(bytes), UInt32(truncatingIfNeeded: byte), UInt32(byte >> 32),
                           flags << 24 | UInt32(bytes), UInt32(data)]
    words += [16 << 16] + [UInt32](repeating: 0, count: 15)
    var b = [UInt8](); for w in words { b.appendLE(w) }
    let msg = mem.place(b)
    let arg = mem.place(IoctlStructs.Passthru(iop: 0, msg: msg).encoded(.passthru, .lp64))
    return BlockWorkload(name: name, argument: arg, msg: msg, frame: words, bytes: bytes)
}

func blockInProcess(budget: Double) -> Bool {
    let description: MachineDescription
    do { description = try FixtureLoader.load(text: blockFixture) } catch { print("i2osim-bench: block fixture: \(error)"); exit(2) }
    let engine = Simulator(machine: Machine(description)).engine
    let file = engine.open()
    var mem = FlatMemory(size: 4 << 20)
    let command = IoctlCommand(.passthru, abi: .lp64).number
    var allOK = true
    let k64 = 65536
    var cases: [(BlockWorkload, Bool)] = [
        (blockWorkload(&mem, name: "BsaBlockWrite 64 KiB, plain disk", write: true, tid: 0x010, bytes: k64, at: 0), true),
        (blockWorkload(&mem, name: "BsaBlockRead 64 KiB, plain disk", write: false, tid: 0x010, bytes: k64, at: 0), true),
        (blockWorkload(&mem, name: "BsaBlockWrite 64 KiB, RAID 5 (3 disks)", write: true, tid: 0x020, bytes: k64, at: 0), false),
        (blockWorkload(&mem, name: "BsaBlockRead 64 KiB, RAID 5 (3 disks)", write: false, tid: 0x020, bytes: k64, at: 0), false),
    ]
    for w in [true, false] {
        cases.append((blockWorkload(&mem, name: "\(w ? "BsaBlockWrite" : "BsaBlockRead") 4 KiB sequential, plain disk",
                                    write: w, tid: 0x010, bytes: 4096, at: 0), false))
        cases.append((blockWorkload(&mem, name: "\(w ? "BsaBlockWrite" : "BsaBlockRead") 4 KiB random, plain disk",
                                    write: w, tid: 0x010, bytes: 4096, at: 0), false))
    }
    // The reply area is reset before each call; sequential and random runs move the byte address.
    func prepare(_ w: BlockWorkload, _ walk: BlockWorkload.Walk, _ i: Int, _ m: inout FlatMemory) {
        m.setU32(16 << 16, at: w.msg + 10 * 4)
        let byte: UInt64 = switch walk {
        case .fixed: 0
        case .sequential: UInt64(i % 16384) * 4096
        case .random: UInt64((i &* 2_654_435_761) % 16384) * 4096
        }
        m.setU32(UInt32(truncatingIfNeeded: byte), at: w.msg + 6 * 4)
    }
    for (w, targeted) in cases {
        let walk = w.walk
        prepare(w, walk, 0, &mem)
        mem.recording = true; mem.log = []
        let r = try? engine.ioctl(file, command: command, argument: w.argument, abi: .lp64, memory: &mem)
        mem.recording = false
        let events = mem.log
        let status = mem.u32(w.msg + 10 * 4 + 16) >> 24
        guard r == .success, status == 0 else {
            row("block in-process", w.name, "failed: \(r.map { "\($0)" } ?? "retry"), ReqStatus \(status)", "—", "—", "works", "MISS")
            allOK = false; continue
        }
        var i = 1
        let op = measure(budget: budget) {
            prepare(w, walk, i, &mem); i += 1
            _ = try? engine.ioctl(file, command: command, argument: w.argument, abi: .lp64, memory: &mem)
        }
        let copy = measure(budget: budget) { mem.replay(events) }
        let mbs = op.rate * Double(w.bytes) / 1_048_576, copyMBs = copy.rate * Double(w.bytes) / 1_048_576
        let ratio = op.rate / copy.rate
        let ok = !targeted || ratio >= 0.5
        if !ok { allOK = false }
        row("block in-process", "\(w.name) (PASSTHRU)", fmt(mbs, 0) + " MB/s, " + rate(op.rate),
            "its bytes copied through UserMemory: " + fmt(copyMBs, 0) + " MB/s", fmt(ratio, 2) + "×",
            targeted ? "≥ 0.5×" : "—", ok ? "ok" : "MISS")
    }
    return allOK
}
