// Fuzz targets of i2osim: one function per decoder or state machine that takes bytes from
// outside. Each must never trap, hang or grow without bound, whatever the bytes.
//
// Built two ways (scripts/fuzz):
//  - with libFuzzer (`-sanitize=fuzzer,address -parse-as-library -DFUZZING`): Entry.swift's
//    `LLVMFuzzerTestOneInput` runs the target named by $I2OSIM_FUZZ_TARGET;
//  - plainly (the package's normal build): `i2osim-fuzz TARGET FILE...` replays corpus files
//    (the regression run of Fuzz/corpus and of every crash ever found).
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

/// The fuzz targets by name (the directory names under Fuzz/corpus).
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "frame": frame,
        "oplist": oplist,
        "resultlist": resultlist,
        "iop": iop,
        "block": block,
        "ioctl": ioctl,
        "fixture": fixture,
        "preload": preload,
        "dpt": DPTFuzz.run,
    ]

    // MARK: frame — MessageFrame.decode, SGL.decode

    static func frame(_ data: [UInt8]) {
        if let f = try? MessageFrame.decode(data) {
            _ = try? SGL.decode(from: f)
            _ = f.encoded()
        }
        var words: [UInt32] = []
        var i = 0
        while i + 4 <= data.count { words.append(data.readLE32(at: i)); i += 4 }
        _ = try? SGL.decode(words: words)
    }

    // MARK: oplist, resultlist — OperationList.parse, ResultList.decode

    static let schemas: [UInt16: ParamGroupSchema] = {
        var d: [UInt16: ParamGroupSchema] = [:]
        for s in [StandardGroups.descriptors, StandardGroups.physicalDeviceTable, StandardGroups.claimedTable,
                  StandardGroups.userTable, StandardGroups.deviceIdentity, StandardGroups.ddmIdentity,
                  StandardGroups.userInformation] { d[s.number] = s }
        return d
    }()
    static let widths = ParamSchemaWidths(
        rowWidth: { g, f in schemas[g]?.width(of: f) },
        keyWidth: { g in schemas[g].flatMap { s in s.keyField >= 0 && s.keyField < s.fields.count ? s.fields[s.keyField].type.width : nil } })

    static func oplist(_ data: [UInt8]) {
        if let p = try? OperationList.parse(data, schema: widths) {
            _ = OperationList(p.operations).encoded()
        }
    }

    static func resultlist(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let headers = (0..<8).map { first & (1 << $0) != 0 }
        if let r = try? ResultList.decode(Array(data.dropFirst()), rowHeaders: headers) { _ = r.encoded() }
    }

    // MARK: iop — IOP.post with a BusMemory

    static let machine: MachineDescription = {
        do { return try FixtureLoader.loadDefault() } catch { fatalError("the embedded default fixture does not load: \(error)") }
    }()

    /// Input: frames, each `u16 LE byte count` then that many bytes; the bus has two buffers
    /// (4 KiB at 0x1000 from the input's tail, 4 KiB of zeroes at 0x2000) that SGLs may name.
    static func iop(_ data: [UInt8]) {
        guard let d = machine.iops.first else { return }
        var model = IOP(d)
        post(data, to: &model, zeroes: 4096)
        _ = model.snapshot
    }

    /// Posts the input's frames (each `u16 LE byte count` then that many bytes, at most 64) to
    /// `model`; the bus has the input's tail (4 KiB at 0x1000) and `zeroes` zero bytes at 0x2000.
    static func post(_ data: [UInt8], to model: inout IOP, zeroes: Int) {
        let memory = BusMemory(base: 0x1000)
        _ = memory.map(Array(data.suffix(4096)) + [UInt8](repeating: 0, count: max(0, 4096 - data.count)))
        _ = memory.map(zeroes: zeroes)
        var i = 0, n = 0
        while i + 2 <= data.count, n < 64 {
            let len = Int(data[i]) | Int(data[i + 1]) << 8
            i += 2
            let bytes = Array(data[i..<min(data.count, i + len)])
            i += len
            n += 1
            if let f = try? MessageFrame.decode(bytes) { _ = model.post(f, memory: memory) }
            _ = model.takeOutbound()
        }
    }

    // MARK: block — the block storage class and SCSI on devices that hold data

    /// A small machine whose devices hold data (in memory): a RAID 5 of three disks at 0x010, a
    /// RAID 1 of two at 0x011 (write-back), their disks, and a SCSI disk at 0x020.
    static let blockMachine: MachineDescription = {
        let text = """
        machine: fuzz-block
        iops:
          - unit: 0
            devices:
              - {tid: 0, class: EXECUTIVE}
              - {tid: 0x100, class: RANDOM_BLOCK_STORAGE, user: 0x010, storage: {disk: d0, blocks: 2048}}
              - {tid: 0x101, class: RANDOM_BLOCK_STORAGE, user: 0x010, storage: {disk: d1, blocks: 2048}}
              - {tid: 0x102, class: RANDOM_BLOCK_STORAGE, user: 0x010, storage: {disk: d2, blocks: 2048}}
              - {tid: 0x103, class: RANDOM_BLOCK_STORAGE, user: 0x011, storage: {disk: d3, blocks: 1024, removable: true}}
              - {tid: 0x104, class: RANDOM_BLOCK_STORAGE, user: 0x011, storage: {disk: d4, blocks: 1024}}
              - {tid: 0x010, class: RANDOM_BLOCK_STORAGE, storage: {raid: 5, members: [0x100, 0x101, 0x102], blocks: 4096, stripe: 16}}
              - {tid: 0x011, class: RANDOM_BLOCK_STORAGE, storage: {raid: 1, members: [0x103, 0x104], blocks: 1024, cache: write-back}}
              - {tid: 0x020, class: SCSI_PERIPHERAL, storage: {disk: s0, blocks: 512}}
        """
        do { return try FixtureLoader.load(text: text) } catch { fatalError("the block fuzz machine does not load: \(error)") }
    }()

    /// Input: as `iop` (frames, then the bus memory's tail), posted to a fresh IOP of `blockMachine`.
    static func block(_ data: [UInt8]) {
        guard let d = blockMachine.iops.first else { return }
        var model = IOP(d)
        post(data, to: &model, zeroes: 65536)
    }

    // MARK: ioctl — the engine fed random requests over random, partly faulting, user memory

    /// Caller memory: the input's tail mapped at 0x10000 (readable and writable), a 64 KiB
    /// zeroed window at 0x40000, everything else faults.
    struct FuzzMemory: UserMemory {
        var regions: [(base: UInt64, bytes: [UInt8])]
        func locate(_ a: UInt64, _ n: Int) -> (Int, Int)? {
            guard n >= 0 else { return nil }
            for (k, r) in regions.enumerated() where a >= r.base {
                let off = a - r.base
                if off <= UInt64(r.bytes.count), UInt64(n) <= UInt64(r.bytes.count) - off { return (k, Int(off)) }
            }
            return nil
        }
        mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
            reads.map { r in locate(r.address, r.count).map { k, o in Array(regions[k].bytes[o..<o + r.count]) } }
        }
        mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
            guard let (k, o) = locate(address, bytes.count) else { return false }
            regions[k].bytes.replaceSubrange(o..<o + bytes.count, with: bytes)
            return true
        }
    }

    static let engineMachine = Machine(machine)

    /// Input: requests, each `u8 selector, u8 flags, u16 LE struct length, struct bytes`; then the
    /// rest is the user memory at 0x10000. selector < 0xF0 picks a known command (by index),
    /// else the next 4 bytes are the raw command number. flags bit 0: ILP32; bit 1: a second file.
    static func ioctl(_ data: [UInt8]) {
        let engine = Engine(machine: engineMachine)
        let files = [engine.open(), engine.open()]
        var mem = FuzzMemory(regions: [(0x10000, []), (0x40000, [UInt8](repeating: 0, count: 65536))])
        var requests: [(UInt32, CallerABI, Int, [UInt8])] = []
        var i = 0
        while i + 4 <= data.count, requests.count < 16 {
            let sel = data[i], flags = data[i + 1]
            let len = min(Int(data[i + 2]) | Int(data[i + 3]) << 8, 512)
            i += 4
            let abi: CallerABI = flags & 1 == 0 ? .lp64 : .ilp32
            var command: UInt32
            if sel < 0xF0 {
                let known = IoctlCommand.all(abi)
                command = known[Int(sel) % known.count].number
            } else {
                guard i + 4 <= data.count else { break }
                command = data.readLE32(at: i); i += 4
            }
            let end = min(data.count, i + len)
            requests.append((command, abi, Int(flags >> 1) & 1, Array(data[i..<end])))
            i = end
        }
        mem.regions[0].bytes = Array(data[min(i, data.count)...])
        // Each struct lives in its own region at 0x80000 + 0x1000·n (so pointers into the
        // user memory at 0x10000 are what the bytes say).
        for (n, (command, abi, f, bytes)) in requests.enumerated() {
            let at = UInt64(0x80000 + 0x1000 * n)
            mem.regions.append((at, bytes))
            _ = try? engine.ioctl(files[f], command: command, argument: at, abi: abi, memory: &mem)
            if n % 4 == 3 { _ = engine.read(files[f], capacity: 4096) }
        }
        // An argument that faults, and an unknown file.
        _ = try? engine.ioctl(files[0], command: IoctlCommand(.eventGet, abi: .lp64).number, argument: 0xDEAD_0000,
                              abi: .lp64, memory: &mem)
        engine.release(files[0])
        engine.release(files[1])
    }

    // MARK: fixture — FixtureLoader.load(text:)

    static func fixture(_ data: [UInt8]) {
        _ = try? FixtureLoader.load(text: String(decoding: data, as: UTF8.self), name: "<fuzz>")
    }

    // MARK: preload — the daemon side of the preload protocol, over a real socket

    /// One server for the whole run (its engine on the default machine); each input is one
    /// client connection's byte stream. The daemon must answer and close, never hang. The engine is
    /// `documented`: its driver has no `fasync`, so no ASYNC message can make the daemon signal anyone.
    static let server: PreloadServer = {
        let engine = Engine(machine: Machine(machine))
        let hub = PreloadEventHub()
        do {
            let s = try PreloadServer(node: engine, hub: hub, log: { _ in })
            s.start()
            atexit { FuzzTargets.server.stop() }   // its socket and private directory go with the process
            return s
        } catch { fatalError("preload server: \(error)") }
    }()

    static func preload(_ data: [UInt8]) {
        let path = server.socketPath
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { fatalError("socket: \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (k, b) in path.utf8.prefix(p.count - 1).enumerated() { p[k] = b }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else { fatalError("connect: \(errno)") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < data.count {
            let n = data.withUnsafeBytes { send(fd, $0.baseAddress! + sent, data.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the daemon closed the connection: fine
            sent += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { continue }
            if n == 0 || errno == ECONNRESET { break }
            if errno == EINTR { continue }
            fatalError("preload: the daemon did not close the connection within 10 s (errno \(errno))")
        }
    }
}
