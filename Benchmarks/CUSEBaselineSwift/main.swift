// cuse-baseline-swift — the C CUSE baseline (Benchmarks/cuse-baseline/cuse-baseline.c) written in
// Swift: the same libfuse3 CUSE session, the same three ioctls with the same retry rounds and
// reply sizes, canned answers, no engine and no model. Run beside the C server and `i2osim serve`
// in one guest boot, it splits i2osim's latency gap into what a Swift process costs by itself
// (runtime, callbacks through libfuse) and what i2osim's own work costs.
//
//   cuse-baseline-swift NAME RESULT_BYTES [STATS_FILE]
import Glibc

let args = CommandLine.arguments
guard args.count >= 3, let n = Int(args[2]) else {
    let usage = "usage: cuse-baseline-swift NAME RESULT_BYTES [STATS_FILE]\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
node = "/dev/" + args[1]
resultBytes = min(n, 65536)
for i in 4..<canned.count { canned[i] = UInt8(truncatingIfNeeded: i * 7) }
statsPath = args.count > 3 ? args[3] : nil
exit(serve(name: args[1]))
