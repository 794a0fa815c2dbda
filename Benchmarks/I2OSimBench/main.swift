// i2osim-bench — the in-process part of `scripts/bench`.
//
//   i2osim-bench inprocess [SECONDS [NAME]]  ioctl engine (NAME: only workloads whose name starts so) + IOP model: ops/s on one core, allocations/op
//   i2osim-bench cuse-rounds           daemon calls per ioctl under the kernel's CUSE retry protocol
//   i2osim-bench loop NAME COUNT       runs one workload COUNT times (for perf stat / perf record); prints ns_per_op
//   i2osim-bench loop-cuse NAME COUNT [switch|switch-only]
//                                      the daemon's side of the same through the CUSE retry rounds; with
//                                      `switch`, a round trip to another process after each call
//                                      (`switch-only`: those round trips alone)
//   i2osim-bench fixture [DIR]         load time of a generated 32 IOPs × 500 TIDs fixture
//   i2osim-bench fuse-file MOUNTPOINT [NAME]
//                                      serves MOUNTPOINT/ctl through FUSE with the CUSE daemon's own ioctl
//                                      code; with NAME, each ioctl runs NAME's CUSE work first (the native
//                                      analogue of the CUSE rows; FuseFile.swift)
//
// Every figure is printed with a baseline measured in the same process, as one tab-separated line
//   ROW <section> <measure> <value> <baseline> <ratio> <target> <verdict>
// (verdict: ok, MISS, or LIMIT — above the target by a documented physical limit, within it).
// scripts/bench turns these lines into docs/performance.md.
import I2OABI
import I2ODevice
import CAllocCounter
import CUSETransport
import Fixtures
import IOPModel
import IoctlEngine
import Simulator
internal import CYaml  // libyaml, bundled by Yams: the fixture row's baseline

#if canImport(Glibc)
import Glibc
#endif

func row(_ section: String, _ measure: String, _ value: String, _ baseline: String, _ ratio: String, _ target: String, _ verdict: String) {
    print(["ROW", section, measure, value, baseline, ratio, target, verdict].joined(separator: "\t"))
}

func fmt(_ x: Double, _ digits: Int = 2) -> String {
    guard x.isFinite else { return "\(x)" }
    var p = 1.0; for _ in 0..<digits { p *= 10 }
    let r = (x * p).rounded() / p
    var s = "\(r)"
    if s.hasSuffix(".0") && digits == 0 { s.removeLast(2) }
    return s
}
func rate(_ x: Double) -> String {
    if x >= 1_000_000 { return fmt(x / 1_000_000, 2) + " M/s" }
    if x >= 1_000 { return fmt(x / 1_000, 1) + " k/s" }
    return fmt(x, 1) + " /s"
}

func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

/// Runs `body` in batches until `budget` seconds passed; the best of `reps` repetitions.
/// Returns (operations per second, allocations per operation).
func measure(reps: Int = 5, budget: Double, _ body: () -> Void) -> (rate: Double, allocs: Double) {
    let clock = ContinuousClock()
    for _ in 0..<200 { body() }   // warm up
    var best = 0.0, bestAllocs = Double.infinity
    for _ in 0..<reps {
        var n = 0
        let a0 = i2osim_bench_allocations()
        let t0 = clock.now
        var elapsed = 0.0
        repeat {
            for _ in 0..<256 { body() }
            n += 256
            elapsed = seconds(clock.now - t0)
        } while elapsed < budget
        let a1 = i2osim_bench_allocations()
        best = max(best, Double(n) / elapsed)
        bestAllocs = min(bestAllocs, Double(a1 - a0) / Double(n))
    }
    return (best, bestAllocs)
}

/// The default machine's engine as the daemon runs it: its pipeline assembled by `Simulator`
/// (statistics active; faults, persistence and tracing idle).
func defaultEngine() -> Engine {
    do { return Simulator(machine: Machine(try FixtureLoader.loadDefault())).engine } catch {
        print("i2osim-bench: the default fixture does not load: \(error)"); exit(2)
    }
}

// MARK: in-process

func inProcess(budget: Double, only: String? = nil) -> Bool {
    let engine = defaultEngine()
    let file = engine.open()
    var mem = FlatMemory()
    let workloads = Workloads.make(&mem)
    var allOK = true
    // Baseline 1: the trivial ioctl (GETIOPS) in the same process.
    let getiops = workloads[0]
    let trivial = measure(budget: budget) {
        _ = try? engine.ioctl(file, command: getiops.command, argument: getiops.argument, abi: .lp64, memory: &mem)
    }
    row("in-process", "GETIOPS (trivial ioctl, baseline)", rate(trivial.rate), "—", "1.00", "—", "ok")
    row("in-process", "GETIOPS allocations/op", fmt(trivial.allocs, 1), "—", "—", "—", "ok")
    for w in workloads.dropFirst() where only.map({ w.name.hasPrefix($0) }) ?? true {
        // Check it works, and record its memory traffic for the copy baseline.
        w.prepare(0, &mem, engine, file)
        mem.recording = true; mem.log = []
        let r = try? engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &mem)
        mem.recording = false
        let events = mem.log
        guard r == .success else {
            row("in-process", w.name, "failed: \(r.map { "\($0)" } ?? "retry")", "—", "—", "works", "MISS"); allOK = false; continue
        }
        let moved = events.reduce(0) { t, e in
            switch e { case let .fetch(r, _): t + r.reduce(0) { $0 + $1.count }; case let .store(b, _): t + b.count }
        }
        var i = 1
        let op = measure(budget: budget) {
            w.prepare(i, &mem, engine, file); i += 1
            _ = try? engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &mem)
        }
        let copy = measure(budget: budget) { mem.replay(events) }
        let isParm = w.kind == .parmGet
        let rateOK = !isParm || op.rate >= 1_000_000
        let allocOK = !isParm || op.allocs <= 8
        if !(rateOK && allocOK) { allOK = false }
        row("in-process", "\(w.name) ops/s (1 core)", rate(op.rate), "GETIOPS \(rate(trivial.rate))",
            fmt(op.rate / trivial.rate) + "× GETIOPS", isParm ? "≥ 1 M/s" : "—", rateOK ? "ok" : "MISS")
        row("in-process", "\(w.name) allocations/op", fmt(op.allocs, 1), "GETIOPS \(fmt(trivial.allocs, 1))",
            fmt(op.allocs - trivial.allocs, 1) + " more", isParm ? "≤ 8 (a handful)" : "—", allocOK ? "ok" : "MISS")
        row("in-process", "\(w.name) time/op vs copying its \(moved) bytes through UserMemory",
            fmt(1e9 / op.rate, 0) + " ns", fmt(1e9 / copy.rate, 0) + " ns", fmt(copy.rate / op.rate, 1) + "×", "—", "ok")
    }
    return allOK
}

// MARK: CUSE retry rounds

/// Drives the engine as the kernel's CUSE unrestricted-ioctl protocol does (what CUSEDevice
/// does per callback): the first call has no input; each `NeedsRound` is a retry reply and
/// the kernel calls again with the ranges' bytes; a reply whose writes are not a prefix of the
/// out ranges costs one more call. Returns the number of daemon calls.
func cuseCalls(_ engine: Engine, _ file: OpenFileID, _ w: Workload, _ flat: inout FlatMemory) -> (calls: Int, result: IoctlResult?) {
    var input: [UInt8] = [], outCap = 0, calls = 0
    while calls < 16 {
        calls += 1
        var m = RetryRoundMemory(input: input, outputCapacity: outCap)
        do {
            let r = try engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &m)
            if case .error = r, m.stores.isEmpty { return (calls, r) }
            if m.replyData() == nil {
                calls += 1
                if getenv("I2OSIM_BENCH_DEBUG") != nil { print("  \(w.name): writes not a prefix: stores \(m.stores.map { UserRange(address: $0.address, count: $0.bytes.count) }) out ranges \(m.writes)") }
            }
            for s in m.stores { _ = flat.store(s.bytes, at: s.address) }
            return (calls, r)
        } catch {
            if getenv("I2OSIM_BENCH_DEBUG") != nil { print("  \(w.name) call \(calls): retry in \(error.reads) out \(error.writes)") }
            input = error.reads.flatMap { flat.read($0) ?? [] }
            outCap = error.writes.reduce(0) { $0 + $1.count }
        }
    }
    return (calls, nil)
}

func cuseRounds(budget: Double) -> Bool {
    let engine = defaultEngine()
    let file = engine.open()
    var mem = FlatMemory()
    let workloads = Workloads.make(&mem) + Workloads.countingOnly(&mem)
    var allOK = true
    for w in workloads {
        w.prepare(0, &mem, engine, file)
        let (calls, r) = cuseCalls(engine, file, w, &mem)
        let target: Int, limit: Int, why: String
        switch w.kind {
        case .validate: target = 1; limit = 1; why = ""
        case .getIOPs, .eventGet: target = 2; limit = 2; why = ""
        case .swDownload:
            target = 3; limit = 4
            why = " (limit 4: the fragment's length, hence the range of buf, is computed from *swlen/*maxfrag/*curfrag, known only after round 2)"
        case .passthru, .passthru32:
            target = 3; limit = 5
            why = " (limit 5: the SGL buffers are named inside the frame, which is read in round 2; their data in round 3; the reply size is in the frame header)"
        default: target = 3; limit = 3; why = ""
        }
        let verdict = calls <= target ? "ok" : calls <= limit ? "LIMIT" : "MISS"
        if verdict == "MISS" { allOK = false }
        let result = r.map { "\($0)" } ?? "no result"
        row("cuse-protocol", "\(w.name) daemon calls/ioctl (result \(result))", "\(calls)", "kernel minimum \(target)",
            fmt(Double(calls) / Double(target)) + "×", "\(target)" + (limit > target ? ", nearest limit \(limit)" : ""), verdict + why)
    }
    // The daemon's CPU per ioctl under retry rounds vs the direct (single-call) engine path.
    for w in workloads where w.kind == .parmGet || w.kind == .lctGet {
        var i = 0
        let direct = measure(budget: budget) {
            w.prepare(i, &mem, engine, file); i += 1
            _ = try? engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &mem)
        }
        let viaCUSE = measure(budget: budget) {
            w.prepare(i, &mem, engine, file); i += 1
            _ = cuseCalls(engine, file, w, &mem)
        }
        row("cuse-protocol", "\(w.name) daemon CPU via RetryRoundMemory (all calls)", rate(viaCUSE.rate),
            "direct \(rate(direct.rate))", fmt(direct.rate / viaCUSE.rate) + "× slower", "—", "ok")
        row("cuse-protocol", "\(w.name) allocations/ioctl via RetryRoundMemory", fmt(viaCUSE.allocs, 1),
            "direct \(fmt(direct.allocs, 1))", fmt(viaCUSE.allocs / max(direct.allocs, 1)) + "×", "—", "ok")
    }
    return allOK
}

/// Context switches between the replayed CUSE calls: none; a round trip to another process
/// after each call (as the kernel and the client run between a daemon's calls — in a TCG guest
/// every switch of process flushes the emulated TLB); or those round trips alone.
enum Switches { case none, after, only }

/// A profiling aid: runs the workload whose name starts with `name` exactly `count` times and
/// nothing else (`perf stat -e instructions:u i2osim-bench loop PARMGET 1000000` gives
/// instructions per operation, which a busy machine does not disturb), and prints the loop's
/// own time per operation (the CUSE guest times the model's code with it).
func loop(name: String, count: Int, cuse: Bool = false, switches: Switches = .none) -> Bool {
    let engine = defaultEngine()
    let file = engine.open()
    var mem = FlatMemory()
    guard let w = (Workloads.make(&mem) + Workloads.countingOnly(&mem)).first(where: { $0.name.hasPrefix(name) }) else {
        print("i2osim-bench: no workload named \(name)"); return false
    }
    // Through the CUSE rounds, the kernel's part (what each call brings in and copies out) is done
    // once, by cuseCalls; the loop then replays each call as the daemon sees it — its input copied
    // out of libfuse's buffer, the engine run, the retry's ranges or the reply's data made — so it
    // times the daemon's own work alone. Only where every call's input is the same each time.
    let calls = cuse ? recordedCUSECalls(engine, file, w, &mem) : nil
    let ioctls = CUSEIoctls(node: engine, counting: false, failed: { _ in })   // as in CUSEDevice
    let openFile = CUSEOpenFile(file)
    let pong = switches != .none ? PingPong() : nil
    let only = switches == .only
    let clock = ContinuousClock()
    let start = clock.now
    for i in 0..<count {
        w.prepare(i, &mem, engine, file)
        if let calls {
            for c in calls { if !only { replayCUSECall(ioctls, openFile, w, c) }; pong?.roundTrip() }
        } else if cuse {
            _ = cuseCalls(engine, file, w, &mem)
        } else {
            _ = try? engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &mem)
        }
    }
    // The loop alone, start-up excluded (the CUSE guest times the model's own code with this).
    print("ns_per_op=\(Int(seconds(clock.now - start) * 1e9 / Double(max(count, 1))))")
    return true
}

/// One daemon call of a CUSE ioctl: the kernel's input and output room for it.
struct CUSECall { var input: [UInt8]; var outputCapacity: Int }

/// The calls of one run of `w` through the retry rounds, when two runs need the same ones (the
/// replay is then exact); nil otherwise.
func recordedCUSECalls(_ engine: Engine, _ file: OpenFileID, _ w: Workload, _ flat: inout FlatMemory) -> [CUSECall]? {
    func record() -> [CUSECall] {
        w.prepare(0, &flat, engine, file)
        var calls: [CUSECall] = [], input: [UInt8] = [], outCap = 0
        while calls.count < 16 {
            calls.append(CUSECall(input: input, outputCapacity: outCap))
            var m = RetryRoundMemory(input: input, outputCapacity: outCap)
            do {
                _ = try engine.ioctl(file, command: w.command, argument: w.argument, abi: .lp64, memory: &m)
                return m.replyData() == nil ? [] : calls
            } catch {
                input = error.reads.flatMap { flat.read($0) ?? [] }
                outCap = error.writes.reduce(0) { $0 + $1.count }
            }
        }
        return []
    }
    let first = record(), second = record()
    guard !first.isEmpty, first.map(\.input) == second.map(\.input), first.map(\.outputCapacity) == second.map(\.outputCapacity)
    else { return nil }
    return first
}

/// One daemon call as `CUSEDevice.ioctl` makes it, libfuse aside: the same `CUSEIoctls.call`,
/// its answer dropped.
@inline(never)
func replayCUSECall(_ ioctls: CUSEIoctls, _ file: CUSEOpenFile, _ w: Workload, _ call: CUSECall) {
    call.input.withUnsafeBytes { input in
        ioctls.call(file, command: w.command, argument: w.argument, abi: .lp64, pid: 1, input: input,
                    outSize: call.outputCapacity, replier: DroppedReplies())
    }
}

/// Answers that go nowhere (their bytes are kept from the optimizer).
struct DroppedReplies: CUSEReplier {
    func retry(_ ranges: UnsafeBufferPointer<iovec>, reads: Int) { blackHole(ranges.baseAddress) }
    func reply(_ result: Int32, _ data: UnsafeRawBufferPointer) { blackHole(data.baseAddress) }
    func fail(_ errnum: Int32) { blackHole(errnum) }
}

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

// MARK: fixture load

func largeFixture(iops: Int, tids: Int) -> String {
    var s = "# generated by i2osim-bench: \(iops) IOPs × \(tids) TIDs\nmachine: \"Bench \(iops)x\(tids)\"\niops:\n"
    for u in 0..<iops {
        s += """
          - unit: \(u)
            status: {organization_id: 0x001B, state: OPERATIONAL, inbound_frame_size: 128, product_id: "Bench IOP \(u)"}
            hrt:
              entries:
                - {adapter_id: 0x\(String(0x10 + u, radix: 16)), state: 0xF, bus_number: 1, bus_type: PCI,
                   pci: {function: 0, device: \(u % 32), bus: 1, vendor_id: 0x1044, device_id: 0xA501}}
            devices:
              - {tid: 0, class: EXECUTIVE, subclass: 0, flags: PM, parent: none,
                 groups: {0xF100: {VendorInfo: "BENCH", ProductInfo: "IOP \(u)", ProductRevLevel: "1.00"}}}

        """
        for t in 1..<tids {
            let tid = 0x010 + t
            s += "      - {tid: 0x\(String(tid, radix: 16)), class: RANDOM_BLOCK_STORAGE, subclass: 0, flags: PM, parent: 0, "
            s += "groups: {0xF100: {VendorInfo: \"BENCH\", ProductInfo: \"Disk \(t)\", ProductRevLevel: \"1.00\", SerialNumber: \"S\(u)-\(t)\"}}}\n"
        }
    }
    return s
}

/// The events libyaml gives for `text` (nil on a syntax error): the bare cost of tokenizing and
/// parsing the fixture, no tree — what the loader cannot go below.
func libyamlEventScan(_ text: String) -> Int? {
    var text = text
    return text.withUTF8 { bytes -> Int? in
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        var n = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            n += 1
            let end = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            if end { return n }
        }
    }
}

func fixtureLoad(dir: String) -> Bool {
    let text = largeFixture(iops: 32, tids: 500)
    let path = dir + "/large-32x500.yaml"
    guard let f = fopen(path, "w") else { print("i2osim-bench: cannot write \(path)"); return false }
    fputs(text, f); fclose(f)
    let clock = ContinuousClock()
    var best = Double.infinity, bestParse = Double.infinity, devices = 0
    for _ in 0..<3 {
        let t0 = clock.now
        do {
            let d = try FixtureLoader.load(path: path)
            let m = Machine(d)
            devices = d.iops.reduce(0) { $0 + $1.devices.count }
            _ = m
        } catch { row("start-up", "large fixture load", "failed: \(error)", "—", "—", "< 0.5 s", "MISS"); return false }
        best = min(best, seconds(clock.now - t0))
        let t1 = clock.now
        guard libyamlEventScan(text) != nil else { row("start-up", "large fixture scan", "failed", "—", "—", "< 0.5 s", "MISS"); return false }
        bestParse = min(bestParse, seconds(clock.now - t1))
    }
    let ok = best < 0.5
    row("start-up", "large fixture (32 IOPs × 500 TIDs, \(devices) devices, \(text.utf8.count / 1024) KiB) load + Machine",
        fmt(best * 1000, 0) + " ms", "libyaml event scan only " + fmt(bestParse * 1000, 0) + " ms",
        fmt(best / bestParse) + "×", "< 500 ms", ok ? "ok" : "MISS")
    return ok
}

// MARK: main

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "all"
let budget = args.count > 2 ? Double(args[2]) ?? 0.2 : 0.2
var ok = true
switch mode {
case "inprocess": ok = inProcess(budget: budget, only: args.count > 3 ? args[3] : nil)
case "cuse-rounds": ok = cuseRounds(budget: budget)
case "block": ok = blockInProcess(budget: budget)
case "fixture": ok = fixtureLoad(dir: args.count > 2 ? args[2] : "/tmp")
case "loop": ok = loop(name: args.count > 2 ? args[2] : "PARMGET", count: args.count > 3 ? Int(args[3]) ?? 1_000_000 : 1_000_000)
case "loop-cuse":
    let switches: Switches = args.count > 4 ? (args[4] == "switch" ? .after : args[4] == "switch-only" ? .only : .none) : .none
    ok = loop(name: args.count > 2 ? args[2] : "PARMGET", count: args.count > 3 ? Int(args[3]) ?? 1_000_000 : 1_000_000, cuse: true,
              switches: switches)
case "fuse-file":
    guard args.count > 2 else { print("usage: i2osim-bench fuse-file MOUNTPOINT [NAME]"); exit(2) }
    ok = serveFuseFile(mountpoint: args[2], work: args.count > 3 ? args[3] : nil)
case "all":
    ok = inProcess(budget: budget)
    ok = cuseRounds(budget: budget) && ok
    ok = fixtureLoad(dir: "/tmp") && ok
default:
    print("usage: i2osim-bench inprocess|cuse-rounds|block [SECONDS] | fixture [DIR] | loop NAME COUNT | loop-cuse NAME COUNT [switch|switch-only] | fuse-file MOUNTPOINT [NAME] | all"); exit(2)
}
exit(ok ? 0 : 1)

/// A pipe round trip to a child process: two switches of process.
final class PingPong {
    var toChild: [Int32] = [0, 0], toParent: [Int32] = [0, 0]
    init() {
        guard pipe(&toChild) == 0, pipe(&toParent) == 0 else {
            print("i2osim-bench: pipe: errno \(errno)"); exit(2)
        }
        let child = fork()
        guard child >= 0 else { print("i2osim-bench: fork: errno \(errno)"); exit(2) }
        if child == 0 {
            close(toChild[1]); close(toParent[0])
            var b: UInt8 = 0
            while read(toChild[0], &b, 1) == 1 { _ = write(toParent[1], &b, 1) }
            exit(0)
        }
        close(toChild[0]); close(toParent[1])
    }
    func roundTrip() {
        var b: UInt8 = 1
        _ = write(toChild[1], &b, 1)
        _ = read(toParent[0], &b, 1)
    }
}
